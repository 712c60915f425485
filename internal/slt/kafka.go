package slt

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// KafkaVar in a record's SQL is replaced by the address of the file's
// Kafka broker, started for the file on first use.
const KafkaVar = "$KAFKA"

// kafkaTimeout bounds each request to the file's broker: producing a
// record's messages, creating a topic, reading a topic back.
const kafkaTimeout = 30 * time.Second

// KafkaRecord is a `kafka produce` or `kafka consume` record.
type KafkaRecord struct {
	// Op is "produce" or "consume".
	Op string
	// Topic is the topic written or read.
	Topic string
	// Partitions is the partition count a produce record asks for (0: not
	// given; a topic created without it has one partition).
	Partitions int32
	// Messages are a produce record's lines.
	Messages []*Message
}

// Message is one body line of a `kafka produce` record.
type Message struct {
	// Line is the 1-based line of the message in the golden file.
	Line      int
	Partition int32
	// Key is nil for a null key (an empty KEY field).
	Key []byte
	// Value is nil for a tombstone (VALUE NULL).
	Value []byte
	// Timestamp is the record's timestamp; zero means Now.
	Timestamp time.Time
}

// parseKafkaDirective parses the fields of a `kafka ...` directive line.
func parseKafkaDirective(path string, line int, f []string) (*KafkaRecord, bool, error) {
	bad := func(format string, args ...any) (*KafkaRecord, bool, error) {
		return nil, false, fmt.Errorf("%s:%d: %s", path, line, fmt.Sprintf(format, args...))
	}
	if len(f) < 3 || (f[1] != "produce" && f[1] != "consume") {
		return bad("want 'kafka produce TOPIC [partitions N]' or 'kafka consume TOPIC [rowsort]'")
	}
	k := &KafkaRecord{Op: f[1], Topic: f[2]}
	rowsort := false
	rest := f[3:]
	switch k.Op {
	case "produce":
		if len(rest) == 0 {
			break
		}
		if len(rest) != 2 || rest[0] != "partitions" {
			return bad("want 'kafka produce TOPIC [partitions N]', got %q", strings.Join(f, " "))
		}
		n, err := strconv.ParseInt(rest[1], 10, 32)
		if err != nil || n < 1 {
			return bad("partitions %q: want a whole number of at least 1", rest[1])
		}
		k.Partitions = int32(n)
	case "consume":
		for _, opt := range rest {
			if opt != "rowsort" {
				return bad("unknown kafka consume option %q (rowsort)", opt)
			}
			rowsort = true
		}
	}
	return k, rowsort, nil
}

// parseMessage parses a produce record's body line:
// [@TIMESTAMP ]PARTITION|KEY|VALUE.
func parseMessage(path string, line int, text string) (*Message, error) {
	bad := func(format string, args ...any) (*Message, error) {
		return nil, fmt.Errorf("%s:%d: kafka message: %s", path, line, fmt.Sprintf(format, args...))
	}
	m := &Message{Line: line}
	if strings.HasPrefix(text, "@") {
		ts, rest, ok := strings.Cut(text[1:], " ")
		if !ok {
			return bad("want '@TIMESTAMP PARTITION|KEY|VALUE', with a space after the timestamp")
		}
		t, err := parseTimestamp(ts)
		if err != nil {
			return bad("timestamp %q: want epoch milliseconds or RFC 3339 (2024-01-01T00:00:00Z)", ts)
		}
		m.Timestamp, text = t, rest
	}
	part, rest, ok := strings.Cut(text, "|")
	if !ok {
		return bad("want PARTITION|KEY|VALUE, got %q", text)
	}
	key, value, ok := strings.Cut(rest, "|")
	if !ok {
		return bad("want PARTITION|KEY|VALUE, got %q (no '|' after the key)", text)
	}
	p, err := strconv.ParseInt(part, 10, 32)
	if err != nil || p < 0 {
		return bad("partition %q: want a whole number, 0 or more", part)
	}
	m.Partition = int32(p)
	if key != "" {
		m.Key = []byte(key)
	}
	if value != "NULL" {
		m.Value = []byte(value)
	}
	return m, nil
}

func parseTimestamp(s string) (time.Time, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// kafkaBroker is the in-process broker (franz-go's kfake) of one golden
// file's run, with a client that produces and reads back.
type kafkaBroker struct {
	cluster *kfake.Cluster
	addr    string
	cl      *kgo.Client
	topics  map[string]int32 // partitions of the topics the file created
}

// startKafka starts a one-broker cluster on a loopback port.
func startKafka() (*kafkaBroker, error) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(0))
	if err != nil {
		return nil, fmt.Errorf("start the golden file's kafka broker: %w", err)
	}
	addr := c.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("kafka client of the golden file's broker: %w", err)
	}
	return &kafkaBroker{cluster: c, addr: addr, cl: cl, topics: map[string]int32{}}, nil
}

// Close stops the client and the broker.
func (b *kafkaBroker) Close() {
	b.cl.Close()
	b.cluster.Close()
}

// ensureTopic creates topic with partitions (1 if 0) unless the file
// created it already, in which case partitions must match if given.
func (b *kafkaBroker) ensureTopic(ctx context.Context, topic string, partitions int32) (int32, error) {
	if n, ok := b.topics[topic]; ok {
		if partitions != 0 && partitions != n {
			return 0, fmt.Errorf("topic %q has %d partition(s), not %d", topic, n, partitions)
		}
		return n, nil
	}
	if partitions == 0 {
		partitions = 1
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic, t.NumPartitions, t.ReplicationFactor = topic, partitions, 1
	req.Topics = append(req.Topics, t)
	req.TimeoutMillis = int32(kafkaTimeout / time.Millisecond)
	resp, err := req.RequestWith(ctx, b.cl)
	if err != nil {
		return 0, fmt.Errorf("create topic %q: %w", topic, err)
	}
	for _, rt := range resp.Topics {
		if err := kerr.ErrorForCode(rt.ErrorCode); err != nil {
			return 0, fmt.Errorf("create topic %q: %w", topic, err)
		}
	}
	b.topics[topic] = partitions
	return partitions, nil
}

// produce creates the record's topic if needed and writes its messages,
// waiting until the broker has acknowledged every one.
func (b *kafkaBroker) produce(ctx context.Context, path string, k *KafkaRecord) error {
	ctx, cancel := context.WithTimeout(ctx, kafkaTimeout)
	defer cancel()
	n, err := b.ensureTopic(ctx, k.Topic, k.Partitions)
	if err != nil {
		return err
	}
	recs := make([]*kgo.Record, 0, len(k.Messages))
	for _, m := range k.Messages {
		if m.Partition >= n {
			return fmt.Errorf("%s:%d: partition %d of topic %q, which has %d partition(s)", path, m.Line, m.Partition, k.Topic, n)
		}
		ts := m.Timestamp
		if ts.IsZero() {
			ts = Now
		}
		recs = append(recs, &kgo.Record{Topic: k.Topic, Partition: m.Partition, Key: m.Key, Value: m.Value, Timestamp: ts})
	}
	if len(recs) == 0 {
		return nil
	}
	if err := b.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("produce to topic %q: %w", k.Topic, err)
	}
	return nil
}

// consume reads topic with read_committed from the earliest offsets to the
// last stable offsets of this moment and renders its records, one line
// PARTITION|KEY|VALUE each, in partition and offset order (a null key is
// empty, a null value NULL).
func (b *kafkaBroker) consume(ctx context.Context, topic string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, kafkaTimeout)
	defer cancel()
	parts, err := b.partitions(ctx, topic)
	if err != nil {
		return "", err
	}
	starts, err := b.offsets(ctx, topic, parts, -2)
	if err != nil {
		return "", err
	}
	ends, err := b.offsets(ctx, topic, parts, -1)
	if err != nil {
		return "", err
	}
	at := map[int32]kgo.Offset{}
	for _, p := range parts {
		if ends[p] > starts[p] {
			at[p] = kgo.NewOffset().At(starts[p])
		}
	}
	var recs []*kgo.Record
	if len(at) > 0 {
		cl, err := kgo.NewClient(kgo.SeedBrokers(b.addr),
			kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: at}),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()),
			kgo.KeepControlRecords())
		if err != nil {
			return "", fmt.Errorf("kafka consume %s: client: %w", topic, err)
		}
		defer cl.Close()
		left := len(at)
		for left > 0 {
			fs := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				return "", fmt.Errorf("kafka consume %s: read %d record(s), then no more within %v (an aborted transaction at the end of a partition cannot be seen to end)", topic, len(recs), kafkaTimeout)
			}
			var ferr error
			fs.EachError(func(_ string, p int32, err error) {
				if ferr == nil {
					ferr = fmt.Errorf("kafka consume %s: partition %d: %w", topic, p, err)
				}
			})
			if ferr != nil {
				return "", ferr
			}
			fs.EachRecord(func(r *kgo.Record) {
				end := ends[r.Partition]
				if r.Offset >= end {
					return
				}
				if r.Offset+1 == end {
					left--
				}
				if !r.Attrs.IsControl() {
					recs = append(recs, r)
				}
			})
		}
	}
	sort.SliceStable(recs, func(i, j int) bool {
		if recs[i].Partition != recs[j].Partition {
			return recs[i].Partition < recs[j].Partition
		}
		return recs[i].Offset < recs[j].Offset
	})
	var sb strings.Builder
	for i, r := range recs {
		if i > 0 {
			sb.WriteByte('\n')
		}
		value := "NULL"
		if r.Value != nil {
			value = string(r.Value)
		}
		fmt.Fprintf(&sb, "%d|%s|%s", r.Partition, r.Key, value)
	}
	return sb.String(), nil
}

// partitions lists topic's partitions, failing if it does not exist.
func (b *kafkaBroker) partitions(ctx context.Context, topic string) ([]int32, error) {
	req := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, b.cl)
	if err != nil {
		return nil, fmt.Errorf("kafka consume %s: metadata: %w", topic, err)
	}
	for _, rt := range resp.Topics {
		if rt.Topic == nil || *rt.Topic != topic {
			continue
		}
		if err := kerr.ErrorForCode(rt.ErrorCode); err != nil {
			return nil, fmt.Errorf("kafka consume %s: %w", topic, err)
		}
		var out []int32
		for _, p := range rt.Partitions {
			out = append(out, p.Partition)
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out, nil
	}
	return nil, fmt.Errorf("kafka consume %s: no such topic", topic)
}

// offsets lists the earliest (-2) or, read_committed, the last stable (-1)
// offsets of topic's partitions.
func (b *kafkaBroker) offsets(ctx context.Context, topic string, parts []int32, ts int64) (map[int32]int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	req.IsolationLevel = 1
	t := kmsg.NewListOffsetsRequestTopic()
	t.Topic = topic
	for _, p := range parts {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition, rp.Timestamp, rp.CurrentLeaderEpoch = p, ts, -1
		t.Partitions = append(t.Partitions, rp)
	}
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, b.cl)
	if err != nil {
		return nil, fmt.Errorf("kafka consume %s: list offsets: %w", topic, err)
	}
	out := map[int32]int64{}
	for _, rt := range resp.Topics {
		for _, p := range rt.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, fmt.Errorf("kafka consume %s: list offsets of partition %d: %w", topic, p.Partition, err)
			}
			out[p.Partition] = p.Offset
		}
	}
	for _, p := range parts {
		if _, ok := out[p]; !ok {
			return nil, fmt.Errorf("kafka consume %s: no offset listed for partition %d", topic, p)
		}
	}
	return out, nil
}
