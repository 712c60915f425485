-- Nexmark q17: auction statistics report.
-- Per auction and day, how many bids at three price levels and the
-- minimum, maximum, average and total price: an unbounded group
-- aggregation (not in the original suite). An updating result (op column:
-- +I, -U, +U). Weir's AVG of a BIGINT is a DOUBLE; Flink's is a truncated
-- BIGINT.
--
-- Run it with: go run ./cmd/weir run examples/nexmark/q17.sql
-- 'events' below counts every Nexmark event (people, auctions and bids; 46
-- in 50 are bids): raise it for a longer run, or remove it for an endless
-- stream (Ctrl-C stops it). `weir bench nexmark --query q17` measures it.

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
  'events'        = '100000'   -- events of all kinds (46 in 50 are bids); remove for an endless stream
);

SELECT
     auction,
     DATE_FORMAT(date_time, 'yyyy-MM-dd') AS `day`,
     COUNT(*) AS total_bids,
     COUNT(*) FILTER (WHERE price < 10000) AS rank1_bids,
     COUNT(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids,
     COUNT(*) FILTER (WHERE price >= 1000000) AS rank3_bids,
     MIN(price) AS min_price,
     MAX(price) AS max_price,
     AVG(price) AS avg_price,
     SUM(price) AS sum_price
FROM bid
GROUP BY auction, DATE_FORMAT(date_time, 'yyyy-MM-dd');
