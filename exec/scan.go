package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/exec/expr"
)

// WatermarkSpec says how a scan derives watermarks: from the TIMESTAMP column
// at index Column of its output (-1: no watermarks), trailing the largest
// event time seen by DelayMs.
type WatermarkSpec struct {
	Column  int
	DelayMs int64
	// IdleTimeout, when positive, excludes a split from the watermark once
	// it has produced nothing for that long (wall-clock time) while other
	// splits still produce; the split counts again with its next batch.
	IdleTimeout time.Duration
}

// IdleTimeoutSource is a Source with its own idle timeout, from a WITH
// option (Kafka's 'scan.watermark.idle-timeout'); when positive it replaces
// WatermarkSpec.IdleTimeout.
type IdleTimeoutSource interface {
	Source
	IdleTimeout() time.Duration
}

// Scan reads a Source, applies a pushed-down filter, and emits watermarks.
// The watermark of each split is the largest event time it has produced
// minus the delay; the scan's watermark is the minimum over the splits that
// are not finished, and it only moves forward. At the end of a bounded input
// the scan emits WatermarkMax, closing every window.
type Scan struct {
	name   string
	src    Source
	wm     WatermarkSpec
	filter expr.Expr
	ec     *expr.Context

	splitMax  []int64 // largest event time per split
	splitDone []bool
	lastSeen  []time.Time // when each split last produced a batch
	now       func() time.Time
	emitted   int64 // last watermark sent
	pending   []Message
	done      bool
	rowsOut   int64

	shape *ScanShape // nil: the source's batches are the output as is

	trigger *CheckpointTrigger // nil: no checkpoints
	barrier uint64             // id of the last barrier sent
	// held: a barrier went out and no source batch has been read since;
	// the next barrier waits for one, so that checkpoints slower than
	// their interval cannot stop the query from making progress.
	held     bool
	restored *scanRestore // state to apply in Open
}

var _ Operator = (*Scan)(nil)
var _ Describer = (*Scan)(nil)

// NewScan builds a scan over src. filter may be nil.
func NewScan(name string, src Source, wm WatermarkSpec, filter expr.Expr, ec *expr.Context) *Scan {
	if it, ok := src.(IdleTimeoutSource); ok && it.IdleTimeout() > 0 {
		wm.IdleTimeout = it.IdleTimeout()
	}
	return &Scan{name: name, src: src, wm: wm, filter: filter, ec: ec, emitted: WatermarkMin, now: time.Now}
}

// Schema implements Operator.
func (s *Scan) Schema() *arrow.Schema {
	if s.shape != nil {
		return s.shape.Schema
	}
	return s.src.Schema()
}

// Children implements Operator.
func (s *Scan) Children() []Operator { return nil }

// Name is the name of the scanned source.
func (s *Scan) Name() string { return s.name }

// Source returns the scanned source (for its statistics).
func (s *Scan) Source() Source { return s.src }

// Describe implements Describer.
func (s *Scan) Describe() string {
	d := fmt.Sprintf("ScanExec: %s", s.name)
	d += s.shape.describe()
	if s.filter != nil {
		d += " filter=" + s.filter.String()
	}
	if s.wm.Column >= 0 {
		d += fmt.Sprintf(" watermark=%s - %v", s.Schema().Field(s.wm.Column).Name, time.Duration(s.wm.DelayMs)*time.Millisecond)
	}
	return d
}

// Open implements Operator.
func (s *Scan) Open(ctx context.Context) error {
	n := s.src.Splits()
	s.splitMax = make([]int64, n)
	s.splitDone = make([]bool, n)
	s.lastSeen = make([]time.Time, n)
	start := s.now()
	for i := range s.lastSeen {
		s.lastSeen[i] = start
	}
	for i := range s.splitMax {
		s.splitMax[i] = WatermarkMin
	}
	if r := s.restored; r != nil {
		if len(r.splitMax) != n {
			return fmt.Errorf("restore source %s: checkpoint has %d splits, the source now has %d", s.name, len(r.splitMax), n)
		}
		copy(s.splitMax, r.splitMax)
		copy(s.splitDone, r.splitDone)
		s.emitted, s.rowsOut = r.emitted, r.rowsOut
		s.restored = nil
	}
	if err := s.src.Open(ctx); err != nil {
		return fmt.Errorf("open source %s: %w", s.name, err)
	}
	return nil
}

// Next implements Operator.
func (s *Scan) Next(ctx context.Context) (Message, error) {
	for len(s.pending) == 0 {
		if s.done {
			return EndMessage(), nil
		}
		if s.trigger != nil && !s.held {
			if id := s.trigger.requested(); id > s.barrier {
				// Between two source batches: the read position and the
				// watermarks so far are this barrier's.
				s.barrier, s.held = id, true
				return Message{Kind: MsgBarrier, Barrier: id}, nil
			}
		}
		s.held = false
		if err := s.pull(ctx); err != nil {
			return Message{}, err
		}
	}
	m := s.pending[0]
	s.pending = s.pending[1:]
	return m, nil
}

// pull reads one source batch and queues what it yields.
func (s *Scan) pull(ctx context.Context) error {
	sb, err := s.src.Next(ctx)
	if errors.Is(err, io.EOF) {
		s.done = true
		if s.wm.Column >= 0 {
			s.pending = append(s.pending, WatermarkMessage(WatermarkMax))
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("source %s: %w", s.name, err)
	}
	s.growSplits()
	if sb.Record != nil && s.shape != nil {
		shaped, err := s.shape.apply(s.ec, sb.Record)
		sb.Record.Release()
		if err != nil {
			return fmt.Errorf("source %s: %w", s.name, err)
		}
		sb.Record = shaped
	}
	if sb.Record != nil {
		if sb.Split < len(s.lastSeen) {
			s.lastSeen[sb.Split] = s.now()
		}
		if s.wm.Column >= 0 && sb.Split < len(s.splitMax) {
			if mx, ok := maxTimestamp(sb.Record.Column(s.wm.Column)); ok && mx > s.splitMax[sb.Split] {
				s.splitMax[sb.Split] = mx
			}
		}
		rec := sb.Record
		if s.filter != nil {
			if rec, err = applyFilter(s.ec, s.filter, sb.Record); err != nil {
				return fmt.Errorf("source %s: %w", s.name, err)
			}
		}
		if rec != nil {
			s.rowsOut += rec.NumRows()
			s.pending = append(s.pending, BatchMessage(rec))
		}
	}
	if sb.SplitDone && sb.Split < len(s.splitDone) {
		s.splitDone[sb.Split] = true
	}
	if s.wm.Column >= 0 {
		if wm := s.watermark(); wm > s.emitted {
			s.emitted = wm
			s.pending = append(s.pending, WatermarkMessage(wm))
		}
	}
	return nil
}

// growSplits makes room for splits a source added after Open (Kafka
// partitions found by partition discovery; Splits never shrinks). A new
// split has seen no event time, so it holds the watermark back until it
// produces, finishes or goes idle, as a split does at the start.
func (s *Scan) growSplits() {
	n := s.src.Splits()
	if n <= len(s.splitMax) {
		return
	}
	now := s.now()
	for len(s.splitMax) < n {
		s.splitMax = append(s.splitMax, WatermarkMin)
		s.splitDone = append(s.splitDone, false)
		s.lastSeen = append(s.lastSeen, now)
	}
}

// watermark is the minimum over unfinished splits of their event-time
// maximum minus the delay.
func (s *Scan) watermark() int64 {
	wm := WatermarkMax
	open := false
	var idleSince time.Time
	if s.wm.IdleTimeout > 0 {
		idleSince = s.now().Add(-s.wm.IdleTimeout)
	}
	active := 0
	for i := range s.splitMax {
		if !s.splitDone[i] && !s.idle(i, idleSince) {
			active++
		}
	}
	for i, mx := range s.splitMax {
		if s.splitDone[i] || (active > 0 && s.idle(i, idleSince)) {
			continue
		}
		open = true
		if mx == WatermarkMin {
			return WatermarkMin
		}
		wm = min(wm, mx-s.wm.DelayMs)
	}
	if !open {
		// Every split is done; the end-of-input watermark follows EOF.
		return s.emitted
	}
	return wm
}

// idle reports whether split i has produced nothing since idleSince (never
// when no idle timeout is set).
func (s *Scan) idle(i int, idleSince time.Time) bool {
	return !idleSince.IsZero() && s.lastSeen[i].Before(idleSince)
}

func maxTimestamp(col arrow.Array) (int64, bool) {
	ts, ok := col.(*array.Timestamp)
	if !ok {
		return 0, false
	}
	vals := ts.TimestampValues()
	mx, found := WatermarkMin, false
	if ts.NullN() == 0 {
		for _, v := range vals {
			if int64(v) > mx {
				mx = int64(v)
			}
		}
		return mx, len(vals) > 0
	}
	for i, v := range vals {
		if ts.IsValid(i) && int64(v) > mx {
			mx, found = int64(v), true
		}
	}
	return mx, found
}

// Close implements Operator.
func (s *Scan) Close() error {
	for i := range s.pending {
		s.pending[i].Release()
	}
	s.pending = nil
	if s.src == nil {
		return nil
	}
	return s.src.Close()
}
