-- Nexmark q13: bounded side input join.
-- Every bid enriched with a value looked up in a bounded side table: a
-- lookup (processing-time temporal) join against data/side_input.csv, a
-- file of 10,000 rows key,value (the key and its decimal text, as the
-- reference's side input generator writes them), on the auction id modulo
-- 10,000 (not in the original suite). The file is read whole when the
-- query starts, indexed by key, and read again if it changes; each bid
-- looks it up as it is when the bid is processed, so the output keeps the
-- bids' order. p_time is a computed column of the source, PROCTIME() (Flink
-- computes it in a view, SELECT *, PROCTIME() AS p_time FROM bid).
--
-- Run it with: go run ./cmd/weir run examples/nexmark/q13.sql
-- 'events' below counts every Nexmark event (people, auctions and bids; 46
-- in 50 are bids): raise it for a longer run, or remove it for an endless
-- stream (Ctrl-C stops it). `weir bench nexmark --query q13` measures it.

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

CREATE SOURCE side_input (
  key   BIGINT,
  value VARCHAR
) WITH (
  'connector' = 'file',
  'path'      = 'data/side_input.csv',   -- relative to this file's folder
  'format'    = 'csv'
);

SELECT
    B.auction,
    B.bidder,
    B.price,
    B.date_time,
    S.value
FROM bid B
JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S
ON MOD(B.auction, 10000) = S.key;
