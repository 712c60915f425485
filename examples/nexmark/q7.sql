-- Nexmark q7: highest bid.
-- The bids with the highest price of each 10-second window: the maximum
-- per TUMBLE window, joined back to the bids on the price and on the time
-- range of the window, B.date_time BETWEEN window_end - 10 s AND window_end
-- (both ends included, so a bid exactly at a window's end is compared with
-- that window's maximum too, as in Flink's text). The window's maximum
-- arrives when the watermark passes its end; Weir runs the join as a
-- regular join on price with the time range as a residual condition, so it
-- keeps every bid (the aggregate's output carries no watermark to expire
-- them by); on an endless stream bound it with
-- SET 'table.exec.state.ttl' = '1min'; before the query.
--
-- Run it with: go run ./cmd/weir run examples/nexmark/q7.sql
-- 'events' below counts every Nexmark event (people, auctions and bids; 46
-- in 50 are bids): raise it for a longer run, or remove it for an endless
-- stream (Ctrl-C stops it). The query reads the bids twice, once on each
-- side of the join. `weir bench nexmark --query q7` measures it.

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

SELECT B.auction, B.bidder, B.price, B.date_time, B.extra
FROM bid B
JOIN (
  SELECT MAX(price) AS maxprice, window_end AS date_time
  FROM TABLE(
          TUMBLE(TABLE bid, DESCRIPTOR(date_time), INTERVAL '10' SECOND))
  GROUP BY window_start, window_end
) B1
ON B.price = B1.maxprice
WHERE B.date_time BETWEEN B1.date_time - INTERVAL '10' SECOND AND B1.date_time;
