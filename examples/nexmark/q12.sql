-- Nexmark q12: processing-time windows.
-- How many bids does each user make within a fixed processing-time
-- window? The bids of each bidder are grouped into 10-second windows of
-- the wall clock (not in the original suite). p_time is a computed column
-- of the source, PROCTIME(): a window over it closes when the wall clock
-- passes its end, with no watermark, and at the end of the input every
-- open window closes. The rows depend on when the query runs; what does
-- not is each bidder's total over all windows and the windows' alignment
-- to 10 seconds (internal/nexmarktest checks those). Flink's text computes
-- p_time in a subquery, FROM (SELECT *, PROCTIME() AS p_time FROM bid) B,
-- which Weir runs too.
--
-- Run it with: go run ./cmd/weir run examples/nexmark/q12.sql
-- 'events' below counts every Nexmark event (people, auctions and bids; 46
-- in 50 are bids): raise it for a longer run, or remove it for an endless
-- stream (Ctrl-C stops it). `weir bench nexmark --query q12` measures it.

CREATE SOURCE bid (
  auction   BIGINT,
  bidder    BIGINT,
  price     BIGINT,
  channel   VARCHAR,
  url       VARCHAR,
  date_time TIMESTAMP(3),
  extra     VARCHAR,
  p_time    AS PROCTIME(),
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (
  'connector'     = 'nexmark',
  'nexmark.table' = 'bid',
  'events'        = '100000'   -- events of all kinds (46 in 50 are bids); remove for an endless stream
);

SELECT
    B.bidder,
    COUNT(*) AS bid_count,
    TUMBLE_START(B.p_time, INTERVAL '10' SECOND) AS starttime,
    TUMBLE_END(B.p_time, INTERVAL '10' SECOND) AS endtime
FROM bid B
GROUP BY B.bidder, TUMBLE(B.p_time, INTERVAL '10' SECOND);
