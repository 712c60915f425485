-- Nexmark q22: get URL directories.
-- Every bid with the first three directories of its URL: SPLIT_INDEX
-- (not in the original suite).
--
-- Run it with: go run ./cmd/weir run examples/nexmark/q22.sql
-- 'events' below counts every Nexmark event (people, auctions and bids; 46
-- in 50 are bids): raise it for a longer run, or remove it for an endless
-- stream (Ctrl-C stops it). `weir bench nexmark --query q22` measures it.

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
    auction, bidder, price, channel,
    SPLIT_INDEX(url, '/', 3) AS dir1,
    SPLIT_INDEX(url, '/', 4) AS dir2,
    SPLIT_INDEX(url, '/', 5) AS dir3
FROM bid;
