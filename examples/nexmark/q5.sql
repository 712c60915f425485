-- Nexmark q5: hot items.
-- Which auctions have the most bids in each 10-second window, sliding
-- every 2 seconds? A HOP count of bids per auction and window
-- (AuctionBids); the same count again, whose maximum per window is taken by
-- grouping it by its window bounds, a cascaded window aggregation
-- (MaxBids); and a window join of the two on the window bounds, keeping
-- the auctions whose count reaches the maximum (ties give several rows).
-- Each window's rows come when the watermark passes its end, and then its
-- state is dropped, so the state stays bounded on an endless stream.
--
-- This is Flink's text with one change: it also selects
-- AuctionBids.starttime, the window's start, so that each row says which
-- window the auction was hot in. Flink's selects only the auction and its
-- count, so its rows cannot be told apart by window (every bid is in five
-- overlapping windows, and an auction hot in two windows with the same
-- count makes two equal rows).
--
-- Run it with: go run ./cmd/weir run examples/nexmark/q5.sql
-- 'events' below counts every Nexmark event (people, auctions and bids; of
-- each 50, one person, three auctions and 46 bids): raise it for a longer
-- run, or remove it for an endless stream (Ctrl-C stops it).
-- `weir bench nexmark --query q5` measures it.

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
  'events'        = '100000'   -- events of all kinds (46 in 50 are bids)
);

SELECT AuctionBids.auction, AuctionBids.num, AuctionBids.starttime
FROM (
  SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
  FROM TABLE(HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
  GROUP BY auction, window_start, window_end
) AS AuctionBids
JOIN (
  SELECT max(CountBids.num) AS maxn, CountBids.starttime, CountBids.endtime
  FROM (
    SELECT count(*) AS num, window_start AS starttime, window_end AS endtime
    FROM TABLE(HOP(TABLE bid, DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
    GROUP BY auction, window_start, window_end
  ) AS CountBids
  GROUP BY CountBids.starttime, CountBids.endtime
) AS MaxBids
ON AuctionBids.starttime = MaxBids.starttime AND AuctionBids.endtime = MaxBids.endtime AND AuctionBids.num >= MaxBids.maxn;
