// Package kafka is the 'kafka' connector: a source that reads topics and a
// sink that writes one, over the Kafka protocol with franz-go, with Flink's
// option names.
//
//	CREATE SOURCE bids (
//	  auction BIGINT, price BIGINT, date_time TIMESTAMP(3),
//	  part INT METADATA FROM 'partition' VIRTUAL,
//	  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND
//	) WITH ('connector' = 'kafka', 'topic' = 'bids',
//	        'properties.bootstrap.servers' = 'localhost:9092', 'format' = 'json');
//
//	CREATE SINK counts WITH ('connector' = 'kafka', 'topic' = 'counts',
//	        'properties.bootstrap.servers' = 'localhost:9092', 'format' = 'json',
//	        'sink.delivery-guarantee' = 'exactly-once')
//	AS SELECT auction, COUNT(*) AS n FROM bids GROUP BY auction, TUMBLE(date_time, INTERVAL '10' SECOND);
//
// # Source
//
// Source assigns itself every partition of its topics, as Flink's
// KafkaSource does, rather than joining a consumer group: its position is
// then exactly the next offset of each partition, which is what a
// checkpoint saves (Position) and a restart seeks back to (Restore). Each
// partition is a split, so exec.Scan keeps one watermark per partition and
// takes the minimum; 'scan.watermark.idle-timeout' (IdleTimeout) leaves
// out partitions that have gone quiet. Partition discovery adds splits
// while the query runs (Splits grows; exec.Scan grows with it).
//
// Open resolves where each partition starts (the restored position, or
// 'scan.startup.mode' turned into exact offsets with ListOffsets or the
// group's committed offsets) and, with 'scan.bounded.mode', where it stops.
// Records are fetched with isolation level read_committed by default and
// with transaction markers kept, so that the position advances past them
// and a bounded source knows when it has reached its stop offsets. Next
// returns one partition's records per batch, decoded by
// format.MessageDecoder straight into Arrow column buffers: the value (and
// with 'value.fields-include' = 'EXCEPT_KEY' the key) in its format, then
// the metadata columns. A malformed record stops the query naming its
// topic, partition and offset (*RecordError), or is counted and skipped,
// or is written to a dead-letter topic. When nothing arrives for half a
// second, Next returns an empty batch so that the scan can place
// checkpoint barriers.
//
// A broker that cannot be reached is not an error: requests are retried
// with backoff, and the outage and the recovery are reported on Notices.
// NewSource checks that the topics exist if the cluster answers within a
// few seconds, so that a misspelt topic is a planning error.
//
// # Sinks
//
// Sink writes each row as one record (key from 'key.fields'), at least
// once: it flushes at every checkpoint barrier. TxnSink
// ('sink.delivery-guarantee' = 'exactly-once') implements
// exec.CommittingSink with Kafka transactions; its doc comment describes
// the two-phase commit, the transactional ids and what happens to a crash
// between a durable checkpoint and the Kafka commit. In an updating query
// (a changelog) -U and -D rows become tombstones.
//
// # Tests
//
// The tests start franz-go's kfake broker on a loopback port and use the
// real client over TCP: see helpers_test.go. `weir kafka-dev` starts the
// same broker for trying queries by hand.
package kafka
