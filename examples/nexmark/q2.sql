-- Nexmark q2: selection.
-- The bids on every 123rd auction, with their price: a filter. (The
-- original suite names five auction ids, which would keep only a few
-- hundred bids of any stream.)
--
-- Run it with: go run ./cmd/weir run examples/nexmark/q2.sql
-- 'events' below counts every Nexmark event (people, auctions and bids; 46
-- in 50 are bids): raise it for a longer run, or remove it for an endless
-- stream (Ctrl-C stops it). `weir bench nexmark --query q2` measures it.

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

SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;
