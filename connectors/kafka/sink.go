package kafka

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/connectors/format"
	"github.com/weirsql/weir/exec"
)

// Sink writes a query's rows to a topic, one record per row, at least once:
// it flushes at every checkpoint barrier and when it closes, so every row
// written before a checkpoint is in Kafka when the checkpoint completes.
type Sink struct {
	name   string
	opts   *options
	notify *notifier

	cl     *kgo.Client
	enc    *recordEncoder
	opened bool
	closed bool
	deliveries
}

// deliveries counts a producer's delivered records and keeps the first
// failed delivery; produce callbacks report to it.
type deliveries struct {
	written atomic.Int64
	errMu   sync.Mutex
	err     error
}

// delivered records one delivery's outcome.
func (d *deliveries) delivered(sink string, r *kgo.Record, err error) {
	if err != nil {
		d.errMu.Lock()
		if d.err == nil {
			d.err = fmt.Errorf("kafka sink %q: write to topic %q: %w", sink, r.Topic, err)
		}
		d.errMu.Unlock()
		return
	}
	d.written.Add(1)
}

// failure is the first failed delivery, or nil.
func (d *deliveries) failure() error {
	d.errMu.Lock()
	defer d.errMu.Unlock()
	return d.err
}

var _ exec.Sink = (*Sink)(nil)

// NewSink checks the options and, if the cluster answers within a few
// seconds, that the topic exists. With 'sink.delivery-guarantee' =
// 'exactly-once' it returns a *TxnSink.
func NewSink(cfg connectors.SinkConfig) (exec.Sink, error) {
	opts, err := parseSinkOptions(cfg.Name, cfg.Options)
	if err != nil {
		return nil, err
	}
	if err := probeSinkTopic(opts); err != nil {
		return nil, fmt.Errorf("kafka sink %q: %w", cfg.Name, err)
	}
	if opts.exactlyOnce {
		return newTxnSink(cfg.Name, opts, Notices), nil
	}
	return newSink(cfg.Name, opts, Notices), nil
}

func newSink(name string, opts *options, notices io.Writer) *Sink {
	return &Sink{name: name, opts: opts, notify: newNotifier(notices, fmt.Sprintf("kafka sink %q", name))}
}

func parseSinkOptions(name string, o connectors.Options) (*options, error) {
	opts, err := parseOptions(o)
	if err != nil {
		return nil, fmt.Errorf("kafka sink %q: %w", name, err)
	}
	if opts.pattern != nil || len(opts.topics) != 1 {
		return nil, fmt.Errorf("kafka sink %q: %w: a sink writes to one 'topic'", name, connectors.ErrBadOption)
	}
	if opts.exactlyOnce && opts.txnPrefix == "" {
		opts.txnPrefix = "weir-" + name
	}
	return opts, nil
}

// probeSinkTopic fails if the cluster answers and has no such topic.
func probeSinkTopic(opts *options) error {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	cl, err := kgo.NewClient(opts.client.common...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	if err := checkTopic(ctx, cl, opts); err != nil && !retriable(err) {
		return err
	}
	return nil
}

func checkTopic(ctx context.Context, cl *kgo.Client, opts *options) error {
	_, missing, all, err := topicPartitions(ctx, cl, opts.topics, nil)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return unknownTopicError(missing, all, opts.client.seeds)
	}
	return nil
}

// producerOpts are the client options of a sink's producers.
func producerOpts(opts *options, n *notifier) []kgo.Opt {
	kopts := append([]kgo.Opt{}, opts.client.common...)
	kopts = append(kopts, opts.client.producer...)
	return append(kopts,
		kgo.WithHooks(connHook{n}),
		kgo.RecordDeliveryTimeout(opts.client.deliveryTimeout),
		kgo.DefaultProduceTopic(opts.topics[0]),
	)
}

// Open makes the encoders for the query's rows and connects, waiting (with
// Check implements exec.SinkChecker: the key fields must be columns of
// the result, and an updating result needs them.
func (s *Sink) Check(schema *arrow.Schema, updating bool) error {
	_, err := newRecordEncoder(schema, updating, s.opts)
	return err
}

// retries, reported on Notices) while the cluster cannot be reached.
func (s *Sink) Open(ctx context.Context, schema *arrow.Schema, updating bool) error {
	if s.opened {
		return fmt.Errorf("kafka sink %q: opened twice", s.name)
	}
	s.opened = true
	enc, err := newRecordEncoder(schema, updating, s.opts)
	if err != nil {
		return fmt.Errorf("kafka sink %q: %w", s.name, err)
	}
	s.enc = enc
	cl, err := kgo.NewClient(producerOpts(s.opts, s.notify)...)
	if err != nil {
		return fmt.Errorf("kafka sink %q: kafka client: %w", s.name, err)
	}
	s.cl = cl
	if err := retry(ctx, s.notify, "find the topic", func(ctx context.Context) error { return checkTopic(ctx, cl, s.opts) }); err != nil {
		return fmt.Errorf("kafka sink %q: %w", s.name, err)
	}
	return nil
}

// Write produces a batch's rows, and at a checkpoint barrier waits until
// every row so far is written. It releases the message.
func (s *Sink) Write(ctx context.Context, msg exec.Message) error {
	defer msg.Release()
	if err := s.failure(); err != nil {
		return err
	}
	if s.cl == nil {
		return fmt.Errorf("kafka sink %q: write before open", s.name)
	}
	switch msg.Kind {
	case exec.MsgBatch:
		// A record outlives this call, so not Write's context: a full
		// buffer waits, bounded by the delivery timeout.
		return s.enc.records(msg, func(r *kgo.Record) {
			s.cl.Produce(context.Background(), r, s.delivered)
		})
	case exec.MsgBarrier:
		if err := s.cl.Flush(ctx); err != nil {
			return fmt.Errorf("kafka sink %q: flush at checkpoint %d: %w", s.name, msg.Barrier, err)
		}
		return s.failure()
	}
	return nil
}

func (s *Sink) delivered(r *kgo.Record, err error) { s.deliveries.delivered(s.name, r, err) }

// Written is the number of records the brokers have acknowledged.
func (s *Sink) Written() int64 { return s.written.Load() }

// Close waits until every row is written (up to
// 'properties.delivery.timeout.ms') and disconnects. It is safe to call
// twice and without Open.
func (s *Sink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.cl == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.client.deliveryTimeout)
	err := s.cl.Flush(ctx)
	cancel()
	s.cl.Close()
	if ferr := s.failure(); ferr != nil {
		return ferr
	}
	if err != nil {
		return fmt.Errorf("kafka sink %q: flush: %w", s.name, err)
	}
	return nil
}

// recordEncoder turns batches into Kafka records: the value columns (every
// column, or all but the key fields with 'value.fields-include' =
// 'EXCEPT_KEY') in the value format, the key fields in the key format. In
// an updating stream, -U and -D rows become tombstones (but for a -U whose
// key gets its new value later in the same batch): the key with a nil
// value.
type recordEncoder struct {
	topic     string
	valCols   []int
	keyCols   []int
	valSchema *arrow.Schema
	keySchema *arrow.Schema
	val       *format.MessageEncoder
	key       *format.MessageEncoder
}

func newRecordEncoder(schema *arrow.Schema, updating bool, opts *options) (*recordEncoder, error) {
	e := &recordEncoder{topic: opts.topics[0]}
	fields := schema.Fields()
	isKey := make([]bool, len(fields))
	for _, name := range opts.keyFields {
		found, err := keyField(fields, name, "query")
		if err != nil {
			return nil, err
		}
		isKey[found] = true
		e.keyCols = append(e.keyCols, found)
	}
	if updating && len(e.keyCols) == 0 {
		return nil, fmt.Errorf("%w 'key.fields': the query's result is updating (a changelog), which a Kafka topic holds as "+
			"upserts keyed by the columns that identify a row (normally the GROUP BY columns); set 'key.fields' and 'key.format'",
			connectors.ErrMissingOption)
	}
	var valFields, keyFields []arrow.Field
	for i, f := range fields {
		if opts.exceptKey && isKey[i] {
			continue
		}
		e.valCols = append(e.valCols, i)
		valFields = append(valFields, f)
	}
	for _, i := range e.keyCols {
		keyFields = append(keyFields, fields[i])
	}
	e.valSchema = arrow.NewSchema(valFields, nil)
	var err error
	if e.val, err = format.NewMessageEncoder(opts.valueFormat, e.valSchema, opts.delim); err != nil {
		return nil, fmt.Errorf("value: %w", err)
	}
	if len(e.keyCols) > 0 {
		e.keySchema = arrow.NewSchema(keyFields, nil)
		if e.key, err = format.NewMessageEncoder(opts.keyFormat, e.keySchema, opts.delim); err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
	}
	return e, nil
}

// columns returns a record of rec's columns cols (sharing their data).
func columns(rec arrow.Record, schema *arrow.Schema, cols []int) arrow.Record {
	arrs := make([]arrow.Array, len(cols))
	for i, c := range cols {
		arrs[i] = rec.Column(c)
	}
	return array.NewRecord(schema, arrs, rec.NumRows())
}

// records calls emit with the record of each row of a batch message.
func (e *recordEncoder) records(msg exec.Message, emit func(*kgo.Record)) error {
	rec := msg.Batch
	if rec == nil || rec.NumRows() == 0 {
		return nil
	}
	vals := columns(rec, e.valSchema, e.valCols)
	err := e.val.Encode(vals)
	vals.Release()
	if err != nil {
		return fmt.Errorf("encode value: %w", err)
	}
	if e.key != nil {
		keys := columns(rec, e.keySchema, e.keyCols)
		err := e.key.Encode(keys)
		keys.Release()
		if err != nil {
			return fmt.Errorf("encode key: %w", err)
		}
	}
	ops := msg.Ops
	if ops != nil && int64(ops.Len()) != rec.NumRows() {
		return fmt.Errorf("%d ops for %d rows", ops.Len(), rec.NumRows())
	}
	n := int(rec.NumRows())
	opAt := func(i int) exec.Op {
		if ops != nil && ops.IsValid(i) {
			return exec.Op(ops.Value(i))
		}
		return exec.OpInsert
	}
	// A -U whose key gets a new value later in the batch is not written:
	// an upsert replaces the old value anyway, and a tombstone between the
	// two would show readers of the topic the key deleted for a moment
	// (Flink's upsert-kafka drops UPDATE_BEFORE likewise).
	var upsertAt map[string]int
	if ops != nil && e.key != nil {
		for i := 0; i < n; i++ {
			if op := opAt(i); op == exec.OpUpdateAfter || op == exec.OpInsert {
				if upsertAt == nil {
					upsertAt = map[string]int{}
				}
				upsertAt[string(e.key.Row(i))] = i
			}
		}
	}
	for i := 0; i < n; i++ {
		r := &kgo.Record{Topic: e.topic}
		if e.key != nil {
			r.Key = e.key.Row(i)
		}
		op := opAt(i)
		if op == exec.OpUpdateBefore {
			if j, ok := upsertAt[string(r.Key)]; ok && j > i {
				continue
			}
		}
		if op != exec.OpUpdateBefore && op != exec.OpDelete {
			r.Value = e.val.Row(i)
		}
		emit(r)
	}
	return nil
}
