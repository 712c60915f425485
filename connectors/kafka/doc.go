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
// By default ('scan.partition.assignment' = 'all') Source assigns itself
// every partition of its topics, as Flink's KafkaSource does, rather than
// joining a consumer group: its position is then exactly the next offset
// of each partition, which is what a checkpoint saves (Position) and a
// restart seeks back to (Restore). Each
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
// With 'scan.partition.assignment' = 'group' (group.go) the source joins
// the consumer group 'properties.group.id' instead (cooperative-sticky
// rebalancing, no auto-commit), so that processes running the same query
// share the partitions; it is an exec.SharedSource, and the runtime refuses
// a query with state over it, since a moved partition's state would stay
// behind. Each assignment of a partition is a new split, so a revoked
// partition ends its split (it no longer holds the watermark back) and an
// assigned one joins the minimum like a discovered one. The group's
// committed offsets are where the next owner starts, so only positions of
// committed checkpoints go there (the source is an
// exec.CheckpointRequester: it learns of each commit). On revocation the
// source stops returning the partitions' records, asks the runtime for a
// checkpoint, waits until one taken after that has committed, commits
// the partitions' positions in it synchronously, and only then lets the
// rebalance go on; fetched records not yet returned are dropped, for the
// next owner to read. An assigned partition starts at the group's offset,
// or at the restored checkpoint's position when that is further on. Lost
// partitions (the session expired) are dropped without a commit. Group
// mode needs checkpoints and an unbounded source.
//
// A broker that cannot be reached is not an error: requests are retried
// with backoff, and the outage and the recovery are reported on Notices.
// NewSource checks that the topics exist if the cluster answers within a
// few seconds, so that a misspelt topic is a planning error.
//
// # Lookup tables
//
// NewDimension (dimension.go) makes a topic the table side of a lookup
// join (`JOIN users FOR SYSTEM_TIME AS OF o.p AS u ON ...`): the latest
// value of each record key over every partition, read from the earliest
// offset, a tombstone deleting its key, as a compacted topic holds it. One
// client stays open for the table's life; each reload reads what arrived
// since the last and hands the join the whole table again only if it
// changed.
//
// # Sinks
//
// Sink writes each row as one record (key from 'key.fields'), at least
// once: it flushes at every checkpoint barrier. TxnSink
// ('sink.delivery-guarantee' = 'exactly-once') implements
// exec.CommittingSink with Kafka transactions; its doc comment describes
// the two-phase commit, the transactional ids and what happens to a crash
// between a durable checkpoint and the Kafka commit. Each transaction has a
// producer client of its own and is ended by the sink's own EndTxn request,
// with the producer id and epoch saved at PreCommit (franz-go v1.22.2's
// EndTransaction can turn a commit into an abort; see TxnSink). In an updating query
// (a changelog) -U and -D rows become tombstones.
//
// # Tests
//
// The tests start franz-go's kfake broker on a loopback port and use the
// real client over TCP: see helpers_test.go. `weir kafka-dev` starts the
// same broker for trying queries by hand.
package kafka
