package nexmark

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/diag"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/sqltypes"
)

// Source reads the events of one Nexmark table. Its splits take blocks of
// 50 event numbers in turn; Next serves the splits round robin, a batch at
// a time.
type Source struct {
	name      string
	opts      options
	gen       generator
	fill      func(g *generator, n int64, w *writer)
	schema    *arrow.Schema
	batchSize int
	mem       memory.Allocator

	// outCol maps each output column to the table column it holds; dupOf
	// is the earlier output column with the same table column, or -1.
	outCol []int
	dupOf  []int
	isStr  []bool     // per table column: VARCHAR
	i64    []int64Col // per table column, used when projected
	str    []strCol
	w      writer

	splits  []split
	cur     int   // split to serve next
	end     int64 // event numbers from here on do not exist
	start   time.Time
	opened  bool
	closed  bool
	oooSalt uint64
	oooCut  uint64 // an event is late when its hash is below this

	rows atomic.Int64
}

var (
	_ exec.Source      = (*Source)(nil)
	_ exec.SourceStats = (*Source)(nil)
)

// split is the read position of one split.
type split struct {
	next  int64     // next event number of the table in this split
	late  lateQueue // events held back, by the position they are due at
	ended bool      // its SplitDone has been returned
}

// NewSource checks the options and the declared columns against the table.
func NewSource(cfg connectors.SourceConfig) (exec.Source, error) {
	opts, err := parseOptions(cfg.Options)
	if err != nil {
		return nil, fmt.Errorf("nexmark source %q: %w", cfg.Name, err)
	}
	if cfg.Schema == nil {
		return nil, fmt.Errorf("nexmark source %q: no schema", cfg.Name)
	}
	if len(cfg.Metadata) > 0 {
		return nil, fmt.Errorf("nexmark source %q: %w '%s': the generator has no metadata", cfg.Name, connectors.ErrUnknownMetadata, cfg.Metadata[0].Key)
	}
	t := opts.table
	declared := make([]int, cfg.Schema.NumFields())
	for i, f := range cfg.Schema.Fields() {
		c := t.lookup(f.Name)
		if c < 0 {
			names := make([]string, len(t.columns))
			for j, col := range t.columns {
				names[j] = col.name
			}
			hint := ""
			if best, ok := diag.Closest(f.Name, names); ok {
				hint = fmt.Sprintf(" (did you mean %q?)", best)
			}
			return nil, fmt.Errorf("nexmark source %q: %w %q in table '%s'%s; its columns are %s",
				cfg.Name, ErrUnknownColumn, f.Name, t.name, hint, t.ddl())
		}
		if want := t.columns[c].typ; !arrow.TypeEqual(f.Type, want) {
			return nil, fmt.Errorf("nexmark source %q: %w %q: declared %s, but table '%s' makes %s",
				cfg.Name, ErrColumnType, f.Name, sqltypes.Name(f.Type), t.name, sqltypes.Name(want))
		}
		declared[i] = c
	}
	proj := cfg.Projection
	if proj == nil {
		proj = make([]int, len(declared))
		for i := range proj {
			proj[i] = i
		}
	}
	s := &Source{
		name:      cfg.Name,
		opts:      opts,
		batchSize: cfg.BatchSize,
		mem:       cfg.Mem,
		outCol:    make([]int, len(proj)),
		dupOf:     make([]int, len(proj)),
		isStr:     make([]bool, len(t.columns)),
		i64:       make([]int64Col, len(t.columns)),
		str:       make([]strCol, len(t.columns)),
		gen:       generator{baseMs: opts.baseMs, rate: opts.rate},
	}
	if s.batchSize <= 0 {
		s.batchSize = 1024
	}
	if s.mem == nil {
		s.mem = memory.DefaultAllocator
	}
	switch t.name {
	case "person":
		s.fill = (*generator).person
	case "auction":
		s.fill = (*generator).auction
	default:
		s.fill = (*generator).bid
		s.gen.channels = channels()
	}
	if opts.seed != 0 {
		st := uint64(opts.seed)
		s.gen.seedMix = splitMix64(&st)
	}
	fields := make([]arrow.Field, len(proj))
	first := map[int]int{}
	for i, p := range proj {
		if p < 0 || p >= len(declared) {
			return nil, fmt.Errorf("nexmark source %q: projection index %d out of range", cfg.Name, p)
		}
		c := declared[p]
		fields[i] = cfg.Schema.Field(p)
		s.outCol[i] = c
		s.dupOf[i] = -1
		if j, ok := first[c]; ok {
			s.dupOf[i] = j
			continue
		}
		first[c] = i
		if col := t.columns[c]; col.typ.ID() == arrow.STRING {
			s.isStr[c] = true
			s.str[c].bytes = col.bytes
		} else {
			s.i64[c].typ = col.typ
		}
	}
	s.schema = arrow.NewSchema(fields, nil)

	s.end = math.MaxInt64
	if opts.events > 0 {
		s.end = opts.events
	}
	s.splits = make([]split, opts.splits)
	for i := range s.splits {
		s.splits[i].next = int64(i)*blockSize + t.first
	}
	if opts.oooFraction > 0 && opts.oooEvents > 0 {
		st := uint64(opts.seed) ^ 0x6f75742d6f662d6f // "out-of-o"
		s.oooSalt = splitMix64(&st)
		if opts.oooFraction >= 1 {
			s.oooCut = math.MaxUint64
		} else {
			s.oooCut = uint64(opts.oooFraction * (1 << 64))
		}
	}
	return s, nil
}

// Schema is the schema of the batches: the projected columns.
func (s *Source) Schema() *arrow.Schema { return s.schema }

// Splits is the value of 'splits'.
func (s *Source) Splits() int { return len(s.splits) }

// RowsRead is the number of rows generated so far.
func (s *Source) RowsRead() int64 { return s.rows.Load() }

// BadRecords is always 0: generated events are never malformed.
func (s *Source) BadRecords() int64 { return 0 }

// Open starts the wall clock that pacing follows.
func (s *Source) Open(ctx context.Context) error {
	if !s.opened {
		s.opened = true
		s.start = time.Now()
	}
	return nil
}

// Close ends the source; Next then returns io.EOF. It is safe to call
// twice and without Open.
func (s *Source) Close() error {
	s.closed = true
	return nil
}

// Next returns the next batch of up to BatchSize rows from one split, the
// splits taking turns. A bounded source sets SplitDone on each split's last
// batch (without a Record for a split that ends with nothing left) and
// returns io.EOF after the last. With 'rate.pacing' it waits until events
// are due and returns those, fewer than BatchSize if need be.
func (s *Source) Next(ctx context.Context) (exec.SourceBatch, error) {
	if err := s.Open(ctx); err != nil {
		return exec.SourceBatch{}, err
	}
	for {
		if err := ctx.Err(); err != nil {
			return exec.SourceBatch{}, err
		}
		if s.closed {
			return exec.SourceBatch{}, io.EOF
		}
		due := int64(math.MaxInt64)
		if s.opts.pacing {
			due = s.dueBefore(time.Now())
		}
		live := false
		for range s.splits {
			i := s.cur
			s.cur = (s.cur + 1) % len(s.splits)
			sp := &s.splits[i]
			if sp.ended {
				continue
			}
			live = true
			rec := s.batch(sp, due)
			done := s.finished(sp)
			sp.ended = done
			if rec != nil || done {
				return exec.SourceBatch{Record: rec, Split: i, SplitDone: done}, nil
			}
		}
		if !live {
			s.closed = true
			return exec.SourceBatch{}, io.EOF
		}
		// Pacing, and nothing is due yet: sleep until something is.
		if err := s.sleepUntilDue(ctx); err != nil {
			return exec.SourceBatch{}, err
		}
	}
}

// finished reports whether a split has emitted all of its events.
func (s *Source) finished(sp *split) bool {
	return sp.next >= s.end && len(sp.late) == 0
}

// take returns the next event number the split emits, if it has one due
// before event number due. Held-back events come out once the split has
// passed the position they are due at (or has reached its end).
func (s *Source) take(sp *split, due int64) (int64, bool) {
	t := s.opts.table
	for {
		if len(sp.late) > 0 {
			top := sp.late[0]
			if (top.at < sp.next || sp.next >= s.end) && top.at < due {
				return sp.late.pop().n, true
			}
		}
		n := sp.next
		if n >= s.end || n >= due {
			return 0, false
		}
		if off := n % blockSize; off < t.last {
			sp.next = n + 1
		} else {
			sp.next = n - off + int64(len(s.splits))*blockSize + t.first
		}
		if s.oooCut != 0 {
			if h := splitMix64Once(uint64(n) ^ s.oooSalt); h < s.oooCut {
				at := n + 1 + int64(splitMix64Once(h)%uint64(s.opts.oooEvents))
				sp.late.push(lateEvent{at: at, n: n})
				continue
			}
		}
		return n, true
	}
}

// splitMix64Once hashes x.
func splitMix64Once(x uint64) uint64 { return splitMix64(&x) }

// batch generates up to BatchSize rows of a split; nil when none is due.
func (s *Source) batch(sp *split, due int64) arrow.Record {
	// The rows can be no more than the event numbers left before the end
	// (or before what is due) plus the events held back: size the buffers
	// for that, so a short last or paced batch does not hold a full one.
	capRows := s.batchSize
	if left := min(due, s.end) - sp.next; left < int64(capRows) {
		capRows = min(capRows, int(max(left, 0))+len(sp.late))
	}
	n, ok := s.take(sp, due)
	if !ok {
		return nil
	}
	capRows = max(capRows, 1)
	for i, c := range s.outCol {
		if s.dupOf[i] >= 0 {
			continue
		}
		if s.isStr[c] {
			s.str[c].start(s.mem, capRows)
			s.w.str[c] = &s.str[c]
		} else {
			s.i64[c].start(s.mem, capRows)
			s.w.i64[c] = &s.i64[c]
		}
	}
	s.w.row = 0
	for {
		s.fill(&s.gen, n, &s.w)
		s.w.row++
		if s.w.row == capRows {
			break
		}
		if n, ok = s.take(sp, due); !ok {
			break
		}
	}
	rows := s.w.row
	cols := make([]arrow.Array, len(s.outCol))
	for i, c := range s.outCol {
		switch {
		case s.dupOf[i] >= 0:
			cols[i] = cols[s.dupOf[i]]
			cols[i].Retain()
		case s.w.str[c] != nil:
			cols[i] = s.str[c].finish(rows)
		default:
			cols[i] = s.i64[c].finish(rows)
		}
		s.w.str[c], s.w.i64[c] = nil, nil
	}
	rec := array.NewRecord(s.schema, cols, int64(rows))
	for _, c := range cols {
		c.Release()
	}
	s.rows.Add(int64(rows))
	return rec
}

// dueBefore is one past the last event number due by now when pacing:
// event n is due 'n / rate' seconds after Open.
func (s *Source) dueBefore(now time.Time) int64 {
	el := now.Sub(s.start)
	if el < 0 {
		return 1
	}
	hi, lo := bits.Mul64(uint64(el), uint64(s.opts.rate))
	if hi >= uint64(time.Second) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(time.Second))
	if q >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q) + 1
}

// sleepUntilDue waits until the earliest event any split could emit next
// is due.
func (s *Source) sleepUntilDue(ctx context.Context) error {
	next := int64(math.MaxInt64)
	for i := range s.splits {
		sp := &s.splits[i]
		if sp.next < s.end {
			next = min(next, sp.next)
		}
		if len(sp.late) > 0 {
			next = min(next, sp.late[0].at)
		}
	}
	at := s.start.Add(time.Duration(float64(next) / float64(s.opts.rate) * float64(time.Second)))
	d := time.Until(at)
	if d <= 0 {
		// Rounding: try again a little later rather than spin.
		d = time.Millisecond
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// lateEvent is an event held back until the split reaches position at.
type lateEvent struct{ at, n int64 }

// lateQueue is a binary min-heap of held-back events by (at, n).
type lateQueue []lateEvent

func (q lateQueue) less(i, j int) bool {
	return q[i].at < q[j].at || (q[i].at == q[j].at && q[i].n < q[j].n)
}

func (q *lateQueue) push(e lateEvent) {
	*q = append(*q, e)
	h := *q
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *lateQueue) pop() lateEvent {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h.less(l, m) {
			m = l
		}
		if r < len(h) && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}
