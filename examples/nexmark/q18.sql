-- Nexmark q18: find last bid.
-- The last bid of each bidder on each auction: a deduplication,
-- ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY date_time DESC)
-- filtered by rank_number <= 1 (Flink's "keep last row" on event time). An
-- updating result (op column: +I for a pair's first bid, then -U and +U
-- each time a later bid replaces it); the row number is not selected.
-- Its state keeps one bid per bidder and auction.
--
-- Run it with: go run ./cmd/weir run examples/nexmark/q18.sql
-- 'events' below counts every Nexmark event (people, auctions and bids; 46
-- in 50 are bids): raise it for a longer run, or remove it for an endless
-- stream (Ctrl-C stops it). `weir bench nexmark --query q18` measures it.

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

SELECT auction, bidder, price, channel, url, date_time, extra
FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY date_time DESC) AS rank_number
      FROM bid)
WHERE rank_number <= 1;
