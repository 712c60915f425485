-- Nexmark q20: expand bid with auction.
-- Every bid on a category-10 auction, with the auction's details: a
-- regular (unbounded) join of bids and auctions on the auction id, with a
-- filter on the auction side that goes below the join (not in the original
-- suite). Both inputs only grow, so the output does too: a bid joins as
-- soon as it and its auction have both arrived, whichever came first (a bid
-- can name an auction up to 10 ahead of the latest). The join keeps every
-- bid and every category-10 auction; on an endless stream bound its state
-- with SET 'table.exec.state.ttl' = '1h'; before the query. The bid's and
-- the auction's date_time and extra are named as in Flink's sink table.
--
-- Run it with: go run ./cmd/weir run examples/nexmark/q20.sql
-- 'events' below counts every Nexmark event (people, auctions and bids; of
-- each 50, one person, three auctions and 46 bids). The two sources read
-- one stream of events, each its own kind, so keep their counts equal:
-- raise them for a longer run, or remove them for an endless stream (Ctrl-C
-- stops it). `weir bench nexmark --query q20` measures it.

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

SELECT
    auction, bidder, price, channel, url, B.date_time AS bid_date_time, B.extra AS bid_extra,
    item_name, description, initial_bid, reserve, A.date_time AS auction_date_time, expires, seller, category,
    A.extra AS auction_extra
FROM
    bid AS B INNER JOIN auction AS A ON B.auction = A.id
WHERE A.category = 10;
