-- Nexmark q1: currency conversion.
-- Every bid with its price converted from dollars to euros: a simple
-- projection with DECIMAL arithmetic.
--
-- Run it with: go run ./cmd/weir run examples/nexmark/q1.sql
-- 'events' below counts every Nexmark event (people, auctions and bids; 46
-- in 50 are bids): raise it for a longer run, or remove it for an endless
-- stream (Ctrl-C stops it). `weir bench nexmark --query q1` measures it.

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
    bidder,
    0.908 * price AS price, -- convert dollar to euro
    date_time,
    extra
FROM bid;
