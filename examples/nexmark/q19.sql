-- Nexmark q19: auction TOP-10 price.
-- The ten highest bids of each auction: ROW_NUMBER() OVER (PARTITION BY
-- auction ORDER BY price DESC) filtered by rank_number <= 10, the row
-- number selected. An updating result (op column): a bid that enters an
-- auction's top 10 takes its rank and moves each bid after it one rank
-- down, each move a -U of the bid with its old rank and a +U with its new
-- one (Flink's updates by rank); a rank filled for the first time is a +I.
-- Equal prices rank in arrival order. Its state keeps ten bids per auction.
--
-- Run it with: go run ./cmd/weir run examples/nexmark/q19.sql
-- 'events' below counts every Nexmark event (people, auctions and bids; 46
-- in 50 are bids): raise it for a longer run, or remove it for an endless
-- stream (Ctrl-C stops it). `weir bench nexmark --query q19` measures it.

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

SELECT * FROM
(SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number FROM bid)
WHERE rank_number <= 10;
