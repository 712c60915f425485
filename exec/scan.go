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
}

var _ Operator = (*Scan)(nil)
var _ Describer = (*Scan)(nil)

// NewScan builds a scan over src. filter may be nil.
func NewScan(name string, src Source, wm WatermarkSpec, filter expr.Expr, ec *expr.Context) *Scan {
	return &Scan{name: name, src: src, wm: wm, filter: filter, ec: ec, emitted: WatermarkMin, now: time.Now}
}

// Schema implements Operator.
func (s *Scan) Schema() *arrow.Schema { return s.src.Schema() }

// Children implements Operator.
func (s *Scan) Children() []Operator { return nil }

// Name is the name of the scanned source.
func (s *Scan) Name() string { return s.name }

// Source returns the scanned source (for its statistics).
func (s *Scan) Source() Source { return s.src }

// Describe implements Describer.
func (s *Scan) Describe() string {
	d := fmt.Sprintf("ScanExec: %s", s.name)
	if s.filter != nil {
		d += " filter=" + s.filter.String()
	}
	if s.wm.Column >= 0 {
		d += fmt.Sprintf(" watermark=%s - %v", s.src.Schema().Field(s.wm.Column).Name, time.Duration(s.wm.DelayMs)*time.Millisecond)
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
