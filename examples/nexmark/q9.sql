-- Nexmark q9: winning bids.
-- The winning bid of each auction: its highest bid made between the
-- auction's start and its expiry, the earliest of equal bids. A regular
-- (unbounded) join of auctions and bids on the auction id, with the time
-- range as a residual condition (its upper end is a column, expires, so it
-- is no interval join), then a top 1 per auction: ROW_NUMBER() OVER
-- (PARTITION BY id ORDER BY price DESC, date_time) filtered by rownum <= 1.
-- The join's output only grows, and the top 1 over it is an updating
-- result: when a higher bid comes, the auction's row is updated (op column:
-- +I, -U, +U). Both the join's and the ranking's state keep growing on an
-- endless stream: bound the join's with SET 'table.exec.state.ttl' = '1h';
-- before the query.
--
-- Run it with: go run ./cmd/weir run examples/nexmark/q9.sql
-- 'events' below counts every Nexmark event (people, auctions and bids; of
-- each 50, one person, three auctions and 46 bids). The two sources read
-- one stream of events, each its own kind, so keep their counts equal:
-- raise them for a longer run, or remove them for an endless stream (Ctrl-C
-- stops it). `weir bench nexmark --query q9` measures it.

CREATE SOURCE auction (
  id          BIGINT,
  item_name   VARCHAR,
  description VARCHAR,
  initial_bid BIGINT,
  reserve     BIGINT,
  date_time   TIMESTAMP(3),
  expires     TIMESTAMP(3),
  seller      BIGINT,
  category    BIGINT,
  extra       VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (
  'connector'     = 'nexmark',
  'nexmark.table' = 'auction',
  'events'        = '100000'   -- events of all kinds (3 in 50 are auctions); the same in every source
);

CREATE SOURCE bid (
  auction   BIGINT,
  bidder    BIGINT,
  price     BIGINT,
  channel   VARCHAR,
  url       VARCHAR,
  date_time TIMESTAMP(3),
  extra     VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (
  'connector'     = 'nexmark',
  'nexmark.table' = 'bid',
  'events'        = '100000'   -- events of all kinds (46 in 50 are bids); the same in every source
);

SELECT
    id, item_name, description, initial_bid, reserve, date_time, expires, seller, category, extra,
    auction, bidder, price, bid_date_time, bid_extra
FROM (
    SELECT A.*, B.auction, B.bidder, B.price, B.date_time AS bid_date_time, B.extra AS bid_extra,
        ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.date_time ASC) AS rownum
    FROM auction A, bid B
    WHERE A.id = B.auction AND B.date_time BETWEEN A.date_time AND A.expires
)
WHERE rownum <= 1;
