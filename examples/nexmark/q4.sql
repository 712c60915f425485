-- Nexmark q4: average price for a category.
-- The average winning price of the auctions of each category: each
-- auction's winning bid is its highest bid between its opening and its
-- expiry, from a regular join of auctions and bids grouped by auction; the
-- second GROUP BY averages those per category. The inner aggregation is an
-- updating result (an auction's maximum grows as its bids arrive), so the
-- outer one retracts an auction's old maximum from its category's average
-- and adds the new one. An updating result (op column: +I, -U, +U). Weir's
-- AVG of a BIGINT is a DOUBLE; Flink's is a truncated BIGINT. The join
-- keeps every auction and every bid: on an endless stream bound its state
-- with SET 'table.exec.state.ttl' = '1h'; before the query.
--
-- Run it with: go run ./cmd/weir run examples/nexmark/q4.sql
-- 'events' below counts every Nexmark event (people, auctions and bids; of
-- each 50, one person, three auctions and 46 bids). The two sources read
-- one stream of events, each its own kind, so keep their counts equal:
-- raise them for a longer run, or remove them for an endless stream (Ctrl-C
-- stops it). `weir bench nexmark --query q4` measures it.

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
    Q.category,
    AVG(Q.final)
FROM (
    SELECT MAX(B.price) AS final, A.category
    FROM auction A, bid B
    WHERE A.id = B.auction AND B.date_time BETWEEN A.date_time AND A.expires
    GROUP BY A.id, A.category
) Q
GROUP BY Q.category;
