package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/exec"
)

// lookupTimeoutOption is the WITH option that bounds how long a lookup
// table's load waits for the brokers.
const lookupTimeoutOption = "lookup.read.timeout"

// defaultLookupTimeout is lookupTimeoutOption's default.
const defaultLookupTimeout = 30 * time.Second

// Dimension is a lookup table over Kafka topics, usually compacted ones:
// the table side of a lookup join (`JOIN t FOR SYSTEM_TIME AS OF s.p AS d
// ON ...`), as Flink's upsert-kafka table or RisingWave's table on a
// compacted topic.
//
// The table holds, for each record key, the latest record with that key
// over every partition of the topics, read from the earliest offset. A
// record with a null value (a tombstone) deletes its key. A key is its
// bytes: two encodings of the same value (JSON with different spacing) are
// two keys. Each row is the record decoded as the source would decode it
// ('format', and with 'value.fields-include' = 'EXCEPT_KEY' the
// 'key.fields' from the key in 'key.format').
//
// Kafka keeps every record of a key in one partition when producers use
// the default partitioner; within a partition the later offset wins. A key
// found in several partitions keeps the record with the latest timestamp
// (on a tie, the one read last).
//
// A record without a key cannot be a row of a keyed table: it counts as a
// malformed record, as does a value that does not decode. With
// 'bad_records' = 'fail' (the default) the load fails naming its topic,
// partition and offset; with 'skip' the record is left out and counted.
// ('dlq' is not available for a lookup table.) Values are decoded when the
// table is built, so a malformed value that a later record of its key
// replaced before the load is never seen.
//
// One client stays open for the table's life. The first Load reads every
// partition from its earliest offset up to the end offsets of that moment
// (the last stable offsets under read_committed, the default) and returns
// the table. Each later Load reads what was written since, up to the end
// offsets of its own moment, and returns the whole table again if a row
// was added, replaced or deleted; else it returns changed = false.
// Partitions and topics ('topic-pattern') that appear are read from their
// start. A Load that gets no record for 'lookup.read.timeout' while it has
// not reached the end offsets (a broker gone away) fails, and so does the
// query. Known gap, as for a bounded source: under read_committed, if the
// last records before an end offset belong to an aborted transaction whose
// abort marker comes after it (another transaction was open), the
// partition cannot be seen to reach its end and the Load fails after
// 'lookup.read.timeout'.
//
// Metadata columns are not available: the planner gives lookup tables
// physical columns only.
type Dimension struct {
	name      string
	opts      *options
	rows      *rowBuilder
	batchSize int
	timeout   time.Duration
	notify    *notifier

	cl     *kgo.Client
	next   map[tp]int64       // next offset to read of each partition read
	table  map[string]*dimRow // by record key
	dirty  bool               // the table changed since the last Load returned it
	loaded bool
	closed bool
	failed error // a failure after records were taken from the client: every later Load returns it

	bad        atomic.Int64
	tombstones atomic.Int64
	firstBad   atomic.Pointer[RecordError]
}

// dimRow is the latest record of a key: a copy of what decoding and
// metadata need, holding no fetch buffer.
type dimRow struct {
	rec *kgo.Record
	bad bool // its value or key did not decode; counted and left out
}

var _ exec.DimensionTable = (*Dimension)(nil)

// NewDimension makes a lookup table of a Kafka source (see Dimension). It
// checks the options and the columns as NewSource does, and that the
// topics exist if the cluster answers within a few seconds, so that those
// mistakes are planning errors. It connects for good at the first Load.
// A startup mode other than 'earliest-offset', a bounded mode,
// 'scan.partition.assignment' = 'group' and 'bad_records' = 'dlq' are
// errors: a table is read from the start, whole, by the one process, never
// ends, and has no dead-letter topic.
func NewDimension(cfg connectors.SourceConfig) (exec.DimensionTable, error) {
	return newDimension(cfg, Notices)
}

func newDimension(cfg connectors.SourceConfig, notices io.Writer) (*Dimension, error) {
	what := fmt.Sprintf("kafka lookup table %q", cfg.Name)
	s, err := newSource(cfg, notices)
	if err != nil {
		return nil, err
	}
	opts := s.opts
	err = func() error {
		if opts.startup != startEarliest {
			return badOption("scan.startup.mode", opts.startup, "cannot be used by a lookup table, which reads its topics from the earliest offset")
		}
		if opts.bounded != boundNone {
			return badOption("scan.bounded.mode", opts.bounded, "cannot be used by a lookup table, which keeps reading its topics")
		}
		if a := cfg.Options.Get("scan.partition.assignment"); strings.EqualFold(a, "group") {
			return badOption("scan.partition.assignment", a, "cannot be used by a lookup table, which reads every partition itself")
		}
		if opts.badRecords == "dlq" {
			return badOption("bad_records", opts.badRecords, "is not available for a lookup table; use 'fail' or 'skip'")
		}
		return s.probe()
	}()
	if cerr := s.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	timeout, err := cfg.Options.Duration(lookupTimeoutOption, defaultLookupTimeout)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("%s: %w", what, badOption(lookupTimeoutOption, cfg.Options.Get(lookupTimeoutOption), "must be positive"))
	}
	rows, err := newRowBuilder(cfg, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	bs := cfg.BatchSize
	if bs <= 0 {
		bs = 1024
	}
	return &Dimension{
		name:      cfg.Name,
		opts:      opts,
		rows:      rows,
		batchSize: bs,
		timeout:   timeout,
		notify:    newNotifier(notices, what),
		next:      map[tp]int64{},
		table:     map[string]*dimRow{},
	}, nil
}

// Schema implements exec.DimensionTable: the source's columns.
func (d *Dimension) Schema() *arrow.Schema { return d.rows.schema }

// Rows is the number of keys in the table (malformed rows included).
func (d *Dimension) Rows() int { return len(d.table) }

// BadRecords is the number of records skipped as malformed so far
// ('bad_records' = 'skip'): records without a key, and rows that did not
// decode (each counted once).
func (d *Dimension) BadRecords() int64 { return d.bad.Load() }

// FirstBadRecord is the first malformed record skipped, or nil.
func (d *Dimension) FirstBadRecord() *RecordError { return d.firstBad.Load() }

// Tombstones is the number of records with a null value read so far.
func (d *Dimension) Tombstones() int64 { return d.tombstones.Load() }

// Load implements exec.DimensionTable: it reads the topics up to their
// current end offsets and returns the whole table if it changed since the
// last Load (always on the first).
func (d *Dimension) Load(ctx context.Context) ([]arrow.Record, bool, error) {
	if d.closed {
		return nil, false, fmt.Errorf("kafka lookup table %q: load after close", d.name)
	}
	if d.failed != nil {
		return nil, false, d.failed
	}
	if err := d.catchUp(ctx); err != nil {
		return nil, false, fmt.Errorf("kafka lookup table %q: %w", d.name, err)
	}
	if d.loaded && !d.dirty {
		return nil, false, nil
	}
	recs, err := d.build()
	if err != nil {
		return nil, false, fmt.Errorf("kafka lookup table %q: %w", d.name, err)
	}
	d.loaded, d.dirty = true, false
	return recs, true, nil
}

// connect makes the table's client, which reads with the source's
// isolation level and keeps transaction markers, so that a partition's
// next offset moves past them.
func (d *Dimension) connect() error {
	kopts := append([]kgo.Opt{}, d.opts.client.common...)
	kopts = append(kopts, d.opts.client.consumer...)
	kopts = append(kopts, kgo.WithHooks(connHook{d.notify}), kgo.KeepControlRecords())
	if d.opts.client.readCommitted {
		kopts = append(kopts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	d.cl = cl
	return nil
}

// catchUp finds new partitions and reads every partition up to the end
// offsets listed now, applying the records to the table.
func (d *Dimension) catchUp(ctx context.Context) error {
	if d.cl == nil {
		if err := d.connect(); err != nil {
			return err
		}
	}
	ends, err := d.endOffsets(ctx)
	if err != nil {
		return err
	}
	behind := func() (tp, bool) {
		for _, k := range sortedTPs(ends) {
			if d.next[k] < ends[k] {
				return k, true
			}
		}
		return tp{}, false
	}
	lastProgress := time.Now()
	for {
		k, ok := behind()
		if !ok {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if waited := time.Since(lastProgress); waited >= d.timeout {
			return fmt.Errorf("read %s up to offset %d: no record for %s at offset %d (is the broker at %s reachable? '%s' sets how long to wait)",
				k, ends[k], waited.Round(time.Millisecond), d.next[k], d.opts.bootstrapRaw, lookupTimeoutOption)
		}
		got, err := d.poll(ctx)
		if err != nil {
			if ctx.Err() == nil {
				// Records were taken from the client and may be lost
				// to the table: it cannot be served any more.
				d.failed = fmt.Errorf("kafka lookup table %q: %w", d.name, err)
			}
			return err
		}
		if got {
			lastProgress = time.Now()
		}
	}
}

// endOffsets lists the partitions of the topics, starts reading those not
// read yet at their earliest offset, and returns every partition's end
// offset (the last stable offset under read_committed).
func (d *Dimension) endOffsets(ctx context.Context) (map[tp]int64, error) {
	rctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	parts, missing, all, err := topicPartitions(rctx, d.cl, d.opts.topics, d.opts.pattern)
	if err != nil {
		return nil, d.requestError(ctx, err)
	}
	if len(missing) > 0 {
		return nil, unknownTopicError(missing, all, d.opts.client.seeds)
	}
	var tps, fresh []tp
	for _, t := range sortedKeys(parts) {
		for _, p := range parts[t] {
			k := tp{t, p}
			tps = append(tps, k)
			if _, ok := d.next[k]; !ok {
				fresh = append(fresh, k)
			}
		}
	}
	if len(fresh) > 0 {
		starts, err := listOffsets(rctx, d.cl, fresh, tsEarliest, false)
		if err != nil {
			return nil, d.requestError(ctx, err)
		}
		add := map[string]map[int32]kgo.Offset{}
		for _, k := range fresh {
			d.next[k] = starts[k]
			if add[k.topic] == nil {
				add[k.topic] = map[int32]kgo.Offset{}
			}
			add[k.topic][k.partition] = kgo.NewOffset().At(starts[k])
		}
		d.cl.AddConsumePartitions(add)
	}
	ends, err := listOffsets(rctx, d.cl, tps, tsLatest, d.opts.client.readCommitted)
	if err != nil {
		return nil, d.requestError(ctx, err)
	}
	return ends, nil
}

// requestError explains a request that failed: ctx's own error when it
// ended, else err with the cluster it asked (and the timeout that cut it
// short).
func (d *Dimension) requestError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer from the cluster at %s within %s ('%s'): %w", d.opts.bootstrapRaw, d.timeout, lookupTimeoutOption, err)
	}
	return fmt.Errorf("ask the cluster at %s (waited up to %s, '%s'): %w", d.opts.bootstrapRaw, d.timeout, lookupTimeoutOption, err)
}

// poll waits up to heartbeat for records and applies them.
func (d *Dimension) poll(ctx context.Context) (bool, error) {
	pctx, cancel := context.WithTimeout(ctx, heartbeat)
	fetches := d.cl.PollRecords(pctx, d.opts.client.maxPollRecords)
	cancel()
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if fetches.IsClientClosed() {
		return false, kgo.ErrClientClosed
	}
	var ferr error
	fetches.EachError(func(t string, p int32, err error) {
		var loss *kgo.ErrDataLoss
		switch {
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		case errors.As(err, &loss):
			d.notify.problem("data loss", "%v", err)
		case ferr == nil:
			ferr = fmt.Errorf("topic %q partition %d: %w", t, p, err)
		}
	})
	// Every record taken is applied, even after a failure, so that the
	// failure is the only thing lost.
	got := false
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		k := tp{p.Topic, p.Partition}
		for _, r := range p.Records {
			next, ok := d.next[k]
			if !ok || r.Offset < next {
				continue
			}
			d.next[k] = r.Offset + 1
			got = true
			if r.Attrs.IsControl() {
				continue
			}
			if err := d.apply(r); err != nil && ferr == nil {
				ferr = err
			}
		}
	})
	return got, ferr
}

// apply makes r the row of its key, or deletes the key for a tombstone.
func (d *Dimension) apply(r *kgo.Record) error {
	if r.Key == nil {
		return d.badRecord(&RecordError{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Part: "key",
			Msg: "the record has no key, and a lookup table's rows are the latest record of each key"})
	}
	key := string(r.Key)
	old := d.table[key]
	if old != nil && (old.rec.Topic != r.Topic || old.rec.Partition != r.Partition) && r.Timestamp.Before(old.rec.Timestamp) {
		return nil // an older record of the key, from another partition
	}
	if r.Value == nil {
		d.tombstones.Add(1)
		if old != nil {
			delete(d.table, key)
			d.dirty = true
		}
		return nil
	}
	if old != nil && !old.bad && bytes.Equal(old.rec.Value, r.Value) && sameHeaders(old.rec.Headers, r.Headers) {
		// The same row again: the table does not change.
		old.rec.Topic, old.rec.Partition, old.rec.Offset = r.Topic, r.Partition, r.Offset
		old.rec.Timestamp, old.rec.Attrs, old.rec.LeaderEpoch = r.Timestamp, r.Attrs, r.LeaderEpoch
		return nil
	}
	c := &kgo.Record{
		Key:         []byte(key),
		Value:       bytes.Clone(r.Value),
		Timestamp:   r.Timestamp,
		Topic:       r.Topic,
		Partition:   r.Partition,
		Attrs:       r.Attrs,
		LeaderEpoch: r.LeaderEpoch,
		Offset:      r.Offset,
	}
	for _, h := range r.Headers {
		c.Headers = append(c.Headers, kgo.RecordHeader{Key: h.Key, Value: bytes.Clone(h.Value)})
	}
	d.table[key] = &dimRow{rec: c}
	d.dirty = true
	return nil
}

func sameHeaders(a, b []kgo.RecordHeader) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || !bytes.Equal(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

// badRecord fails with e, or counts it ('bad_records' = 'skip').
func (d *Dimension) badRecord(e *RecordError) error {
	if d.opts.badRecords == "skip" {
		d.bad.Add(1)
		d.firstBad.CompareAndSwap(nil, e)
		return nil
	}
	return fmt.Errorf("%w (set 'bad_records' = 'skip' on the lookup table to leave malformed records out of the table)", e)
}

// build decodes the table's rows, in topic, partition and offset order,
// into records of at most batchSize rows.
func (d *Dimension) build() (recs []arrow.Record, err error) {
	rows := make([]*dimRow, 0, len(d.table))
	for _, r := range d.table {
		if !r.bad {
			rows = append(rows, r)
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i].rec, rows[j].rec
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		if a.Partition != b.Partition {
			return a.Partition < b.Partition
		}
		return a.Offset < b.Offset
	})
	defer func() {
		if err != nil {
			for _, r := range recs {
				r.Release()
			}
			recs = nil
			if d.rows.len() > 0 {
				d.rows.flush().Release()
			}
		}
	}()
	for _, r := range rows {
		if part, bad := d.rows.add(r.rec); bad != nil {
			e := &RecordError{Topic: r.rec.Topic, Partition: r.rec.Partition, Offset: r.rec.Offset, Part: part, Column: bad.Column, Msg: bad.Msg}
			if err := d.badRecord(e); err != nil {
				return recs, err
			}
			r.bad = true
			continue
		}
		if d.rows.len() >= d.batchSize {
			recs = append(recs, d.rows.flush())
		}
	}
	if d.rows.len() > 0 {
		recs = append(recs, d.rows.flush())
	}
	return recs, nil
}

// Close implements exec.DimensionTable: it closes the client and drops
// the table. It is safe to call twice.
func (d *Dimension) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	if d.cl != nil {
		d.cl.Close()
	}
	d.table = nil
	d.rows.release()
	return nil
}

// sortedTPs returns the keys of m in topic and partition order.
func sortedTPs(m map[tp]int64) []tp {
	out := make([]tp, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortTPs(out)
	return out
}
