-- Run by TestSQLEndToEnd (sql_test.go) against a kfake broker; the test
-- puts the broker's address in place of $BOOTSTRAP. Its output, and what
-- the sinks wrote, is in e2e.out (WEIR_UPDATE=1 go test ./connectors/kafka/
-- rewrites it).

CREATE SOURCE bids (
  auction BIGINT, price BIGINT, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND
) WITH (
  'connector' = 'kafka', 'topic' = 'bids', 'properties.bootstrap.servers' = '$BOOTSTRAP',
  'format' = 'json', 'scan.bounded.mode' = 'latest-offset'
);

-- A windowed count per auction, to standard output.
SELECT auction, TUMBLE_START(date_time, INTERVAL '10' SECOND) AS window_start,
       COUNT(*) AS bids, MAX(price) AS top
FROM bids
GROUP BY auction, TUMBLE(date_time, INTERVAL '10' SECOND);

-- The same count into a topic, exactly once.
CREATE SINK bid_counts WITH (
  'connector' = 'kafka', 'topic' = 'bid_counts', 'properties.bootstrap.servers' = '$BOOTSTRAP',
  'format' = 'json', 'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'e2e-counts'
) AS
SELECT auction, TUMBLE_START(date_time, INTERVAL '10' SECOND) AS window_start, COUNT(*) AS bids
FROM bids
GROUP BY auction, TUMBLE(date_time, INTERVAL '10' SECOND);

-- An updating result (a running total per auction) as upserts keyed by
-- auction, with small batches so that totals change along the way. It
-- reads the same bids from a topic of one partition, so that the order of
-- the updates is fixed.
SET 'batch.size' = '4';

CREATE SOURCE bids1 (auction BIGINT, price BIGINT) WITH (
  'connector' = 'kafka', 'topic' = 'bids1', 'properties.bootstrap.servers' = '$BOOTSTRAP',
  'format' = 'json', 'scan.bounded.mode' = 'latest-offset'
);

CREATE SINK totals WITH (
  'connector' = 'kafka', 'topic' = 'totals', 'properties.bootstrap.servers' = '$BOOTSTRAP',
  'format' = 'json', 'key.format' = 'json', 'key.fields' = 'auction'
) AS
SELECT auction, SUM(price) AS total FROM bids1 GROUP BY auction;
