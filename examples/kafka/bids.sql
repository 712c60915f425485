-- Nexmark bids from Kafka: a windowed count written exactly once to a
-- topic, then read back. Start a local broker with example data first, in
-- another terminal:
--
--   go run ./cmd/weir kafka-dev
--
-- then run this file:
--
--   go run ./cmd/weir run examples/kafka/bids.sql
--
-- With a real cluster, change 'properties.bootstrap.servers' (and add
-- 'properties.security.protocol' and friends, see docs/connectors.md).

CREATE SOURCE bids (
  auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'bids',
  'properties.bootstrap.servers' = 'localhost:9092',
  'format' = 'json',
  'scan.startup.mode' = 'earliest-offset',
  -- Read what the topic holds now and stop. Without this line the query
  -- keeps following the topic (try `weir kafka-dev --rate 1000`).
  'scan.bounded.mode' = 'latest-offset'
);

-- Bids per auction per 10-second window, into the topic bid_counts as
-- records keyed by auction, in Kafka transactions.
CREATE SINK bid_counts WITH (
  'connector' = 'kafka',
  'topic' = 'bid_counts',
  'properties.bootstrap.servers' = 'localhost:9092',
  'format' = 'json',
  'key.format' = 'json',
  'key.fields' = 'auction',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = 'weir-example-bid-counts'
) AS
SELECT auction, TUMBLE_START(date_time, INTERVAL '10' SECOND) AS window_start,
       COUNT(*) AS bids, MAX(price) AS top_price
FROM bids
GROUP BY auction, TUMBLE(date_time, INTERVAL '10' SECOND);

-- Read the results back (committed transactions only) and print the
-- busiest auctions.
CREATE SOURCE bid_counts_in (
  auction BIGINT, window_start TIMESTAMP(3), bids BIGINT, top_price BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = 'bid_counts',
  'properties.bootstrap.servers' = 'localhost:9092',
  'format' = 'json',
  'scan.bounded.mode' = 'latest-offset'
);

SELECT auction, window_start, bids, top_price
FROM bid_counts_in
ORDER BY bids DESC, auction
LIMIT 5;
