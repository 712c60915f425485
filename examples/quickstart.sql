-- Weir quickstart: the busiest auctions of every 10 seconds, counted over
-- the built-in Nexmark generator (300,000 events, about 30 s of event time,
-- generated as fast as Weir can take them).
-- Run it with: go run ./cmd/weir run examples/quickstart.sql

CREATE SOURCE bids (
  auction   BIGINT,
  bidder    BIGINT,
  price     BIGINT,
  channel   VARCHAR,
  date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (
  'connector'     = 'nexmark',
  'nexmark.table' = 'bid',
  'events'        = '300000'     -- remove for an endless stream (Ctrl-C stops it)
);

-- Each window's rows appear once, when the watermark passes its end.
SELECT auction,
       TUMBLE_START(date_time, INTERVAL '10' SECOND) AS window_start,
       COUNT(*)   AS bids,
       MAX(price) AS top_price
FROM bids
GROUP BY auction, TUMBLE(date_time, INTERVAL '10' SECOND)
HAVING COUNT(*) >= 820;
