package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/exec"
)

// Source reads the partitions of one or more topics; each partition is a
// split. It assigns the partitions to itself (no consumer-group protocol),
// so that its position is exactly the next offset of every partition, which
// a checkpoint saves and Restore seeks back to. With
// 'scan.partition.assignment' = 'group' it joins the consumer group
// instead, and each assignment of a partition is a split (group.go).
//
// Next returns the records of one partition per batch. When nothing arrives
// for a while it returns an empty batch (no Record, no SplitDone), so the
// scan can place checkpoint barriers and re-check idle partitions.
type Source struct {
	name      string
	opts      *options
	rows      *rowBuilder
	batchSize int
	notify    *notifier

	cl       *kgo.Client
	opened   bool
	resolved bool
	closed   bool

	mu          sync.Mutex // guards splits' next offsets against Position from another goroutine
	splits      []*split
	byTP        map[tp]*split
	probeSplits int
	restored    []posSplit

	queue         []run
	doneQ         []int // splits that ended without a batch to say so
	live          int   // splits not done
	lastDiscovery time.Time
	lastCommit    time.Time
	committer     *committer
	group         *groupState // nil unless 'scan.partition.assignment' = 'group' (group.go)

	rowsRead   atomic.Int64
	bad        atomic.Int64
	tombstones atomic.Int64
	firstBad   atomic.Pointer[RecordError]
	errMu      sync.Mutex
	asyncErr   error // from producing to the dead-letter topic
}

// split is one topic-partition.
type split struct {
	tp    tp
	index int
	next  int64 // offset of the first record not yet returned
	stop  int64 // bounded: the split ends at this offset; -1: never
	done  bool
	// revoked: group mode, the group took the partition away (guarded
	// by Source.mu); Next ends the split.
	revoked bool
}

// run is fetched records of one partition not yet returned.
type run struct {
	sp   *split
	recs []*kgo.Record
	pos  int
}

var (
	_ exec.Source             = (*Source)(nil)
	_ exec.SourceStats        = (*Source)(nil)
	_ exec.CheckpointedSource = (*Source)(nil)
)

// heartbeat is how long Next waits for records before returning an empty
// batch.
const heartbeat = 500 * time.Millisecond

// probeTimeout bounds the topic check NewSource and NewSink make.
const probeTimeout = 5 * time.Second

// NewSource checks the options and the declared columns and, if the cluster
// answers within a few seconds, that the topics exist (so a missing topic
// is a planning error). A cluster that does not answer is waited for by
// Open.
func NewSource(cfg connectors.SourceConfig) (exec.Source, error) {
	s, err := newSource(cfg, Notices)
	if err != nil {
		return nil, err
	}
	if err := s.probe(); err != nil {
		s.Close()
		return nil, fmt.Errorf("kafka source %q: %w", cfg.Name, err)
	}
	return s, nil
}

func newSource(cfg connectors.SourceConfig, notices io.Writer) (*Source, error) {
	opts, err := parseOptions(cfg.Options)
	if err != nil {
		return nil, fmt.Errorf("kafka source %q: %w", cfg.Name, err)
	}
	rows, err := newRowBuilder(cfg, opts)
	if err != nil {
		return nil, fmt.Errorf("kafka source %q: %w", cfg.Name, err)
	}
	shared, err := parseAssignment(cfg.Options, opts)
	if err != nil {
		return nil, fmt.Errorf("kafka source %q: %w", cfg.Name, err)
	}
	bs := cfg.BatchSize
	if bs <= 0 {
		bs = 1024
	}
	var g *groupState
	if shared {
		g = newGroupState()
	}
	return &Source{
		group:     g,
		name:      cfg.Name,
		opts:      opts,
		rows:      rows,
		batchSize: bs,
		notify:    newNotifier(notices, fmt.Sprintf("kafka source %q", cfg.Name)),
		byTP:      map[tp]*split{},
	}, nil
}

// probe checks that the topics exist, if the cluster answers.
func (s *Source) probe() error {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	cl, err := kgo.NewClient(s.opts.client.common...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()
	n, err := s.checkTopics(ctx, cl)
	if err != nil && retriable(err) {
		return nil // checked again when the query starts
	}
	s.probeSplits = n
	return err
}

// checkTopics lists the source's partitions and fails if a named topic or
// the dead-letter topic is missing.
func (s *Source) checkTopics(ctx context.Context, cl *kgo.Client) (int, error) {
	parts, missing, all, err := topicPartitions(ctx, cl, s.opts.topics, s.opts.pattern)
	if err != nil {
		return 0, err
	}
	if len(missing) > 0 {
		return 0, unknownTopicError(missing, all, s.opts.client.seeds)
	}
	if s.opts.pattern != nil && len(parts) == 0 && (s.opts.discovery == 0 || s.opts.bounded != boundNone) {
		return 0, fmt.Errorf("%w: no topic matches 'topic-pattern' = '%s' on the cluster at %s", ErrUnknownTopic,
			s.opts.pattern.String(), s.opts.bootstrapRaw)
	}
	if s.opts.dlqTopic != "" {
		_, missing, all, err := topicPartitions(ctx, cl, []string{s.opts.dlqTopic}, nil)
		if err != nil {
			return 0, err
		}
		if len(missing) > 0 {
			return 0, fmt.Errorf("'bad_records.dlq-topic': %w", unknownTopicError(missing, all, s.opts.client.seeds))
		}
	}
	n := 0
	for _, ps := range parts {
		n += len(ps)
	}
	return n, nil
}

// Schema is the schema of the batches: the projected columns, then the
// metadata columns.
func (s *Source) Schema() *arrow.Schema { return s.rows.schema }

// Splits is the number of partitions. It can grow after Open, when
// partition discovery finds new partitions (in group mode: with every
// partition the group assigns); it never shrinks. Before Open
// it is the number of partitions of a restored position, or else of the
// topics when NewSource checked them.
func (s *Source) Splits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.resolved:
		return len(s.splits)
	case s.restored != nil:
		return len(s.restored)
	}
	return s.probeSplits
}

// IdleTimeout is 'scan.watermark.idle-timeout' (0 when unset): the scan
// leaves a partition out of the watermark after it has produced nothing
// for this long.
func (s *Source) IdleTimeout() time.Duration { return s.opts.idleTimeout }

// RowsRead is the number of rows decoded so far.
func (s *Source) RowsRead() int64 { return s.rowsRead.Load() }

// BadRecords is the number of malformed records skipped or sent to the
// dead-letter topic so far.
func (s *Source) BadRecords() int64 { return s.bad.Load() }

// FirstBadRecord is the first malformed record skipped, or nil.
func (s *Source) FirstBadRecord() *RecordError { return s.firstBad.Load() }

// Tombstones is the number of records with a null value skipped so far.
func (s *Source) Tombstones() int64 { return s.tombstones.Load() }

// Open connects, finds the partitions and where to start reading each
// (the restored position, or the startup mode), and starts fetching. While
// the cluster cannot be reached it waits, retrying with backoff and
// reporting on Notices, until ctx ends.
func (s *Source) Open(ctx context.Context) error {
	if s.opened {
		return nil
	}
	if s.closed {
		return fmt.Errorf("kafka source %q: open after close", s.name)
	}
	s.opened = true
	kopts := append([]kgo.Opt{}, s.opts.client.common...)
	kopts = append(kopts, s.opts.client.consumer...)
	kopts = append(kopts, s.opts.client.producer...) // for the dead-letter topic
	kopts = append(kopts,
		kgo.WithHooks(connHook{s.notify}),
		kgo.KeepControlRecords(),
		kgo.RecordDeliveryTimeout(s.opts.client.deliveryTimeout),
	)
	if s.opts.client.readCommitted {
		kopts = append(kopts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	if s.group != nil {
		return s.openGroup(ctx, kopts)
	}
	cl, err := kgo.NewClient(kopts...)
	if err != nil {
		return fmt.Errorf("kafka source %q: kafka client: %w", s.name, err)
	}
	s.cl = cl
	if err := retry(ctx, s.notify, "find the partitions to read", s.resolve); err != nil {
		return fmt.Errorf("kafka source %q: %w", s.name, err)
	}
	s.lastDiscovery, s.lastCommit = time.Now(), time.Now()
	if s.opts.client.group != "" {
		s.committer = startCommitter(s.cl, s.opts.client.group, s.notify)
	}
	return nil
}

// resolve finds the partitions, their start offsets and, for a bounded
// source, their stop offsets, then starts fetching. It changes nothing
// until it has everything, so it can be retried.
func (s *Source) resolve(ctx context.Context) error {
	parts, missing, all, err := topicPartitions(ctx, s.cl, s.opts.topics, s.opts.pattern)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return unknownTopicError(missing, all, s.opts.client.seeds)
	}
	if s.opts.dlqTopic != "" {
		if _, missing, all, err := topicPartitions(ctx, s.cl, []string{s.opts.dlqTopic}, nil); err != nil {
			return err
		} else if len(missing) > 0 {
			return fmt.Errorf("'bad_records.dlq-topic': %w", unknownTopicError(missing, all, s.opts.client.seeds))
		}
	}
	exists := map[tp]bool{}
	for t, ps := range parts {
		for _, p := range ps {
			exists[tp{t, p}] = true
		}
	}
	var splits []*split
	seen := map[tp]bool{}
	for _, r := range s.restored {
		k := tp{r.Topic, r.Partition}
		sp := &split{tp: k, index: len(splits), next: r.Offset, stop: -1}
		// A partition of the checkpoint that is gone (the topic was
		// deleted, or is no longer named) keeps its split number, done.
		sp.done = !exists[k]
		splits = append(splits, sp)
		seen[k] = true
	}
	var fresh []tp
	for _, t := range sortedKeys(parts) {
		for _, p := range parts[t] {
			if k := (tp{t, p}); !seen[k] {
				fresh = append(fresh, k)
			}
		}
	}
	starts, err := s.startOffsets(ctx, fresh)
	if err != nil {
		return err
	}
	for _, k := range fresh {
		splits = append(splits, &split{tp: k, index: len(splits), next: starts[k], stop: -1})
	}
	if s.opts.bounded != boundNone {
		// A partition ends when its next offset reaches the stop offset.
		// Transaction markers are kept (KeepControlRecords) so that the
		// offset moves past them. Known gap: under read_committed, if the
		// last records before the stop offset belong to a transaction whose
		// abort marker comes after it (another transaction was open when
		// the query started), they are never returned and the partition
		// waits for more records to pass the stop offset.
		var live []tp
		for _, sp := range splits {
			if !sp.done {
				live = append(live, sp.tp)
			}
		}
		ts := tsLatest
		if s.opts.bounded == boundTime {
			ts = s.opts.boundedTS
		}
		stops, err := listOffsets(ctx, s.cl, live, ts, s.opts.client.readCommitted)
		if err != nil {
			return err
		}
		for _, sp := range splits {
			if !sp.done {
				sp.stop = stops[sp.tp]
				sp.done = sp.next >= sp.stop
			}
		}
	}
	s.mu.Lock()
	s.splits = splits
	for _, sp := range splits {
		s.byTP[sp.tp] = sp
	}
	s.resolved = true
	s.mu.Unlock()
	s.consume(splits)
	return nil
}

// startOffsets returns where each new partition starts: by the startup
// mode, or at its first offset when the source resumes from a checkpoint.
func (s *Source) startOffsets(ctx context.Context, tps []tp) (map[tp]int64, error) {
	mode := s.opts.startup
	if s.restored != nil {
		mode = startEarliest
	}
	switch mode {
	case startLatest:
		return listOffsets(ctx, s.cl, tps, tsLatest, s.opts.client.readCommitted)
	case startTime:
		return listOffsets(ctx, s.cl, tps, s.opts.startupTS, s.opts.client.readCommitted)
	case startGroup:
		got, err := committedOffsets(ctx, s.cl, s.opts.client.group, tps)
		if err != nil {
			return nil, err
		}
		var rest []tp
		for _, k := range tps {
			if _, ok := got[k]; !ok {
				rest = append(rest, k)
			}
		}
		if len(rest) == 0 {
			return got, nil
		}
		var ts int64
		switch s.opts.client.autoOffsetReset {
		case "earliest":
			ts = tsEarliest
		case "latest":
			ts = tsLatest
		default:
			return nil, fmt.Errorf("%w: group %q has no committed offset for %s; set 'properties.auto.offset.reset' to 'earliest' or 'latest'",
				connectors.ErrBadOption, s.opts.client.group, rest[0])
		}
		more, err := listOffsets(ctx, s.cl, rest, ts, s.opts.client.readCommitted)
		if err != nil {
			return nil, err
		}
		for k, v := range more {
			got[k] = v
		}
		return got, nil
	}
	out, err := listOffsets(ctx, s.cl, tps, tsEarliest, false)
	if err != nil {
		return nil, err
	}
	if mode == startSpecific {
		for _, k := range tps {
			if off, ok := s.opts.specific[k.partition]; ok {
				out[k] = max(off, out[k])
			}
		}
	}
	return out, nil
}

// consume starts fetching the splits that are not done, at their next
// offsets, and queues SplitDone for the others.
func (s *Source) consume(splits []*split) {
	add := map[string]map[int32]kgo.Offset{}
	for _, sp := range splits {
		if sp.done {
			s.doneQ = append(s.doneQ, sp.index)
			continue
		}
		s.live++
		if add[sp.tp.topic] == nil {
			add[sp.tp.topic] = map[int32]kgo.Offset{}
		}
		add[sp.tp.topic][sp.tp.partition] = kgo.NewOffset().At(sp.next)
	}
	if len(add) > 0 {
		s.cl.AddConsumePartitions(add)
	}
}

// Next returns the next batch of one partition. A bounded source sets
// SplitDone on a partition's last batch and returns io.EOF when every
// partition is done.
func (s *Source) Next(ctx context.Context) (exec.SourceBatch, error) {
	if !s.opened || s.closed {
		return exec.SourceBatch{}, fmt.Errorf("kafka source %q: next without open", s.name)
	}
	for {
		if err := ctx.Err(); err != nil {
			return exec.SourceBatch{}, err
		}
		if err := s.failure(); err != nil {
			return exec.SourceBatch{}, err
		}
		if s.group != nil {
			s.groupEvents()
		}
		if len(s.doneQ) > 0 {
			i := s.doneQ[0]
			s.doneQ = s.doneQ[1:]
			return exec.SourceBatch{Split: i, SplitDone: true}, nil
		}
		if len(s.queue) > 0 {
			b, ok, err := s.decodeRun()
			if err != nil || ok {
				return b, err
			}
			continue
		}
		if s.opts.bounded != boundNone && s.live == 0 {
			return exec.SourceBatch{}, io.EOF
		}
		if s.group == nil { // the group finds partitions; it gets checkpointed offsets only
			s.maybeDiscover(ctx)
			s.maybeCommit()
		}
		got, err := s.poll(ctx)
		if err != nil {
			return exec.SourceBatch{}, err
		}
		if !got {
			return exec.SourceBatch{}, nil // nothing for a while
		}
	}
}

// poll waits up to heartbeat for records and queues them by partition.
func (s *Source) poll(ctx context.Context) (bool, error) {
	pctx, cancel := context.WithTimeout(ctx, heartbeat)
	fetches := s.cl.PollRecords(pctx, s.opts.client.maxPollRecords)
	cancel()
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if fetches.IsClientClosed() {
		return false, fmt.Errorf("kafka source %q: %w", s.name, kgo.ErrClientClosed)
	}
	var ferr error
	fetches.EachError(func(t string, p int32, err error) {
		var loss *kgo.ErrDataLoss
		switch {
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		case errors.As(err, &loss):
			s.notify.problem("data loss", "%v", err)
		case s.group != nil && groupSessionRetried(err):
			s.notify.problem("group", "consumer group %q: %v; franz-go joins it again", s.opts.client.group, err)
		case ferr == nil:
			ferr = fmt.Errorf("kafka source %q: topic %q partition %d: %w", s.name, t, p, err)
		}
	})
	if ferr != nil {
		return false, ferr
	}
	if s.group != nil {
		s.groupEvents() // number the splits of partitions assigned meanwhile
	}
	got := false
	fetches.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) == 0 {
			return
		}
		s.mu.Lock()
		sp := s.byTP[tp{p.Topic, p.Partition}]
		s.mu.Unlock()
		if sp == nil || sp.done || sp.index < 0 {
			return
		}
		s.queue = append(s.queue, run{sp: sp, recs: p.Records})
		got = true
	})
	return got, nil
}

// decodeRun decodes up to a batch of rows from the first queued run. ok is
// false when it consumed records but has nothing to return.
func (s *Source) decodeRun() (exec.SourceBatch, bool, error) {
	r := &s.queue[0]
	sp := r.sp
	if s.revoked(sp) {
		r.pos = len(r.recs) // the partition's next owner reads these
	}
	next := sp.next
	for r.pos < len(r.recs) && s.rows.len() < s.batchSize {
		rec := r.recs[r.pos]
		if sp.done || (sp.stop >= 0 && rec.Offset >= sp.stop) {
			r.pos = len(r.recs)
			break
		}
		r.pos++
		if rec.Offset < next {
			continue
		}
		next = rec.Offset + 1
		if rec.Attrs.IsControl() {
			continue // a transaction marker
		}
		if rec.Value == nil && !s.rows.rawValue {
			s.tombstones.Add(1)
			continue
		}
		if part, bad := s.rows.add(rec); bad != nil {
			if err := s.badRecord(rec, part, bad.Column, bad.Msg); err != nil {
				return exec.SourceBatch{}, false, err
			}
		}
	}
	if r.pos >= len(r.recs) {
		s.queue[0] = run{}
		s.queue = s.queue[1:]
	}
	s.mu.Lock()
	sp.next = next
	s.mu.Unlock()
	done := false
	if sp.stop >= 0 && sp.next >= sp.stop && !sp.done {
		sp.done, done = true, true
		s.live--
		s.cl.RemoveConsumePartitions(map[string][]int32{sp.tp.topic: {sp.tp.partition}})
	}
	n := s.rows.len()
	if n == 0 && !done {
		return exec.SourceBatch{}, false, nil
	}
	b := exec.SourceBatch{Split: sp.index, SplitDone: done}
	if n > 0 {
		b.Record = s.rows.flush()
		s.rowsRead.Add(int64(n))
	}
	return b, true, nil
}

// badRecord stops, counts or dead-letters a record that does not decode.
func (s *Source) badRecord(rec *kgo.Record, part, col, msg string) error {
	e := &RecordError{Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset, Part: part, Column: col, Msg: msg}
	switch s.opts.badRecords {
	case "skip":
		s.bad.Add(1)
		s.firstBad.CompareAndSwap(nil, e)
		return nil
	case "dlq":
		s.bad.Add(1)
		s.firstBad.CompareAndSwap(nil, e)
		headers := append(append([]kgo.RecordHeader{}, rec.Headers...),
			kgo.RecordHeader{Key: "weir.error", Value: []byte(e.Error())},
			kgo.RecordHeader{Key: "weir.topic", Value: []byte(rec.Topic)},
			kgo.RecordHeader{Key: "weir.partition", Value: []byte(strconv.Itoa(int(rec.Partition)))},
			kgo.RecordHeader{Key: "weir.offset", Value: []byte(strconv.FormatInt(rec.Offset, 10))},
		)
		out := &kgo.Record{Topic: s.opts.dlqTopic, Key: rec.Key, Value: rec.Value, Headers: headers, Timestamp: rec.Timestamp}
		// Not Next's context: the record must outlive this call. A full
		// buffer waits, bounded by the delivery timeout.
		s.cl.Produce(context.Background(), out, func(_ *kgo.Record, err error) {
			if err != nil {
				s.setFailure(fmt.Errorf("kafka source %q: write %s to the dead-letter topic %q: %w", s.name, tp{rec.Topic, rec.Partition}, s.opts.dlqTopic, err))
			}
		})
		return nil
	}
	return fmt.Errorf("kafka source %q: %w (set 'bad_records' = 'skip' or 'dlq' on the source to go on past malformed records)", s.name, e)
}

func (s *Source) setFailure(err error) {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	if s.asyncErr == nil {
		s.asyncErr = err
	}
}

func (s *Source) failure() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.asyncErr
}

// maybeDiscover looks for new partitions every discovery interval (for an
// unbounded source). New ones start at their first offset. Failures are
// reported and tried again at the next interval.
func (s *Source) maybeDiscover(ctx context.Context) {
	if s.opts.bounded != boundNone || s.opts.discovery <= 0 || time.Since(s.lastDiscovery) < s.opts.discovery {
		return
	}
	s.lastDiscovery = time.Now()
	actx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	parts, _, _, err := topicPartitions(actx, s.cl, s.opts.topics, s.opts.pattern)
	if err != nil {
		s.notify.problem("discovery", "look for new partitions: %v; trying again in %s", err, s.opts.discovery)
		return
	}
	var fresh []tp
	for _, t := range sortedKeys(parts) {
		for _, p := range parts[t] {
			if k := (tp{t, p}); s.byTP[k] == nil {
				fresh = append(fresh, k)
			}
		}
	}
	if len(fresh) == 0 {
		return
	}
	starts, err := listOffsets(actx, s.cl, fresh, tsEarliest, false)
	if err != nil {
		s.notify.problem("discovery", "look for new partitions: %v; trying again in %s", err, s.opts.discovery)
		return
	}
	var added []*split
	s.mu.Lock()
	for _, k := range fresh {
		sp := &split{tp: k, index: len(s.splits), next: starts[k], stop: -1}
		s.splits = append(s.splits, sp)
		s.byTP[k] = sp
		added = append(added, sp)
	}
	s.mu.Unlock()
	s.consume(added)
}

// offsets returns the next offset of every partition.
func (s *Source) offsets() map[tp]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[tp]int64, len(s.splits))
	for _, sp := range s.splits {
		out[sp.tp] = sp.next
	}
	return out
}

func (s *Source) maybeCommit() {
	if s.committer == nil || !s.opts.client.autoCommit || time.Since(s.lastCommit) < s.opts.client.commitInterval {
		return
	}
	s.lastCommit = time.Now()
	s.committer.offer(s.offsets())
}

// position is what Position encodes: the next offset of every partition,
// in split order.
type position struct {
	V      int        `json:"v"`
	Splits []posSplit `json:"splits"`
	// Group: taken in group mode, where a partition may have several
	// splits (one per assignment) and an offset may be -1 (nothing read
	// yet from where the startup mode put it).
	Group bool `json:"group,omitempty"`
}

type posSplit struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Gone      bool   `json:"gone,omitempty"` // group mode: no longer assigned
}

// Position encodes the next offset of every partition: the records before
// it have been returned by Next (or skipped as bad, tombstones or
// transaction markers), the others not. With 'bad_records' = 'dlq' it
// first waits until the dead-letter records are written. When a group is
// set, the offsets are also committed to it (asynchronously; for
// monitoring).
func (s *Source) Position() ([]byte, error) {
	if s.opts.badRecords == "dlq" && s.cl != nil {
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.client.deliveryTimeout)
		err := s.cl.Flush(ctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("kafka source %q: flush the dead-letter topic: %w", s.name, err)
		}
		if err := s.failure(); err != nil {
			return nil, err
		}
	}
	p := position{V: 1, Splits: []posSplit{}, Group: s.group != nil}
	s.mu.Lock()
	if s.resolved {
		for _, sp := range s.splits {
			p.Splits = append(p.Splits, posSplit{sp.tp.topic, sp.tp.partition, sp.next, sp.revoked})
		}
		if s.group != nil {
			s.groupPosition()
		}
	} else if s.restored != nil {
		p.Splits = append(p.Splits, s.restored...)
	}
	s.mu.Unlock()
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("kafka source %q: encode position: %w", s.name, err)
	}
	if s.committer != nil {
		s.committer.offer(s.offsets())
	}
	return b, nil
}

// Restore makes Open start from pos, a Position of an earlier run:
// every partition in it resumes at its offset (the startup mode is
// ignored) and partitions not in it start at their first offset.
func (s *Source) Restore(pos []byte) error {
	if s.opened {
		return fmt.Errorf("kafka source %q: restore after open", s.name)
	}
	var p position
	if err := json.Unmarshal(pos, &p); err != nil {
		return fmt.Errorf("kafka source %q: restore: %w", s.name, err)
	}
	if p.V != 1 {
		return fmt.Errorf("kafka source %q: restore: unknown position version %d", s.name, p.V)
	}
	if p.Group && s.group == nil {
		return fmt.Errorf("kafka source %q: restore: the checkpoint was taken with 'scan.partition.assignment' = 'group'; "+
			"it cannot resume with 'all' (start the query afresh with a new state directory)", s.name)
	}
	seen := map[tp]bool{}
	for _, sp := range p.Splits {
		k := tp{sp.Topic, sp.Partition}
		if p.Group && sp.Offset >= -1 {
			continue // several splits per partition; -1: nothing read
		}
		if sp.Offset < 0 || seen[k] {
			return fmt.Errorf("kafka source %q: restore: bad position for %s", s.name, k)
		}
		seen[k] = true
	}
	s.mu.Lock()
	s.restored = append([]posSplit{}, p.Splits...)
	s.mu.Unlock()
	return nil
}

// Close stops reading; it waits (up to 'properties.delivery.timeout.ms')
// for dead-letter records and commits the final position to the group. It
// is safe to call twice and without Open.
func (s *Source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	var err error
	if s.group != nil {
		s.closeGroup()
	}
	if s.cl != nil {
		if s.opts.badRecords == "dlq" {
			ctx, cancel := context.WithTimeout(context.Background(), s.opts.client.deliveryTimeout)
			if ferr := s.cl.Flush(ctx); ferr != nil {
				err = fmt.Errorf("kafka source %q: flush the dead-letter topic: %w", s.name, ferr)
			}
			cancel()
			if ferr := s.failure(); ferr != nil && err == nil {
				err = ferr
			}
		}
		if s.committer != nil {
			s.committer.stop(s.offsets())
		}
		s.cl.Close()
	}
	for i := range s.queue {
		s.queue[i] = run{}
	}
	s.queue = nil
	s.rows.release()
	return err
}

// committer commits offsets to a group in the background, latest first.
type committer struct {
	cl     *kgo.Client
	group  string
	notify *notifier

	mu      sync.Mutex
	pending map[tp]int64
	wake    chan struct{}
	quit    chan struct{}
	wg      sync.WaitGroup
}

func startCommitter(cl *kgo.Client, group string, n *notifier) *committer {
	c := &committer{cl: cl, group: group, notify: n, wake: make(chan struct{}, 1), quit: make(chan struct{})}
	c.wg.Add(1)
	go c.loop()
	return c
}

// offer replaces the offsets waiting to be committed.
func (c *committer) offer(offsets map[tp]int64) {
	c.mu.Lock()
	c.pending = offsets
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *committer) take() map[tp]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.pending
	c.pending = nil
	return m
}

func (c *committer) loop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.quit:
			return
		case <-c.wake:
			if m := c.take(); m != nil {
				c.commit(m, attemptTimeout)
			}
		}
	}
}

func (c *committer) commit(m map[tp]int64, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := commitOffsets(ctx, c.cl, c.group, m); err != nil {
		c.notify.problem("commit", "%v (the offsets are only for monitoring; reading goes on)", err)
	}
}

// stop ends the loop and commits final synchronously.
func (c *committer) stop(final map[tp]int64) {
	close(c.quit)
	c.wg.Wait()
	c.commit(final, 5*time.Second)
}
