package exec

import (
	"fmt"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// WindowKind is the shape of event-time windows.
type WindowKind int

// Window kinds.
const (
	Tumble WindowKind = iota
	Hop
	Cumulate
	Session
	// Given windows are read from the rows: column StartCol holds each
	// row's window_start and TimeCol its window_end (the output of an
	// earlier windowed aggregation, aggregated again per window).
	Given
)

func (k WindowKind) String() string {
	return [...]string{"TUMBLE", "HOP", "CUMULATE", "SESSION", "GIVEN"}[k]
}

// WindowSpec assigns rows to windows by the event time in input column
// TimeCol. Durations are milliseconds. Windows are aligned to the Unix
// epoch: a TUMBLE of size s holds [k·s, (k+1)·s); a HOP of size s and slide
// d holds [k·d, k·d+s); a CUMULATE of size s and step p holds [k·s, k·s+j·p)
// for j = 1..s/p; a SESSION closes Gap after its last row.
type WindowSpec struct {
	Kind    WindowKind
	TimeCol int
	Size    int64
	Slide   int64
	Step    int64
	Gap     int64
	// StartCol is the window_start column of Given windows.
	StartCol int
	// Lateness (TUMBLE, HOP, CUMULATE) keeps a window's state this long
	// after it fires; late rows within it update the window's rows.
	Lateness int64
	// ProcTime says TimeCol holds processing time (PROCTIME()): windows
	// close when the query's processing-time clock (expr.Context.ProcTime)
	// passes their end, checked after each input batch and watermark,
	// instead of on watermarks; at the end of input every window closes.
	ProcTime bool
}

// procClock returns the clock that closes the windows: nil for event-time
// windows, which close on watermarks.
func (w WindowSpec) procClock(ec *expr.Context) func() int64 {
	if !w.ProcTime {
		return nil
	}
	return ec.ProcTime
}

func (w WindowSpec) String() string {
	s := w.shape()
	if w.ProcTime {
		s += " proctime"
	}
	return s
}

func (w WindowSpec) shape() string {
	d := func(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }
	switch w.Kind {
	case Hop:
		return fmt.Sprintf("HOP(slide=%v, size=%v)", d(w.Slide), d(w.Size))
	case Cumulate:
		return fmt.Sprintf("CUMULATE(step=%v, size=%v)", d(w.Step), d(w.Size))
	case Session:
		return fmt.Sprintf("SESSION(gap=%v)", d(w.Gap))
	case Given:
		return fmt.Sprintf("WINDOW(start=#%d, end=#%d)", w.StartCol, w.TimeCol)
	}
	return fmt.Sprintf("TUMBLE(size=%v)", d(w.Size))
}

// alignDown is the largest multiple of size not above ts (floor division,
// so negative times align correctly).
func alignDown(ts, size int64) int64 {
	r := ts % size
	if r < 0 {
		r += size
	}
	return ts - r
}

// passes is the number of windows a row can belong to: 1 for TUMBLE,
// size/slide for HOP, size/step for CUMULATE.
func (w WindowSpec) passes() int {
	switch w.Kind {
	case Hop:
		return int(w.Size / w.Slide)
	case Cumulate:
		return int(w.Size / w.Step)
	}
	return 1
}

// assign computes, for pass k, the window of every row: starts[i] and
// ends[i], or ends[i] = skip when row i has no k-th window (a NULL time, or
// a CUMULATE window that ends before the row). It works a whole column at a
// time, with no per-row allocation.
func (w WindowSpec) assign(ts *array.Timestamp, k int, starts, ends []int64) {
	vals := ts.TimestampValues()
	nulls := ts.NullN() > 0
	for i, v := range vals {
		if nulls && ts.IsNull(i) {
			ends[i] = skip
			continue
		}
		t := int64(v)
		switch w.Kind {
		case Tumble:
			s := alignDown(t, w.Size)
			starts[i], ends[i] = s, s+w.Size
		case Hop:
			s := alignDown(t, w.Slide) - int64(k)*w.Slide
			starts[i], ends[i] = s, s+w.Size
		case Cumulate:
			s := alignDown(t, w.Size)
			e := s + int64(k+1)*w.Step
			if e <= t {
				ends[i] = skip
				continue
			}
			starts[i], ends[i] = s, e
		}
	}
}

// assignGiven reads the windows of Given rows: starts from the StartCol
// column, ends from the TimeCol column ts.
func (w WindowSpec) assignGiven(rec arrow.Record, ts *array.Timestamp, starts, ends []int64) error {
	st, ok := rec.Column(w.StartCol).(*array.Timestamp)
	if !ok {
		return fmt.Errorf("window_start column %d is %s, not TIMESTAMP", w.StartCol, rec.Column(w.StartCol).DataType())
	}
	sv, ev := st.TimestampValues(), ts.TimestampValues()
	for i := range ends {
		if ts.IsNull(i) || st.IsNull(i) {
			ends[i] = skip
			continue
		}
		starts[i], ends[i] = int64(sv[i]), int64(ev[i])
	}
	return nil
}

// skip marks "no window" in assign's output.
const skip = int64(-1) << 63

// lastEnd is the end of the latest window that holds event time t: a row
// whose lastEnd is at or below the watermark is late.
func (w WindowSpec) lastEnd(t int64) int64 {
	switch w.Kind {
	case Hop:
		return alignDown(t, w.Slide) + w.Size
	case Session:
		return t + w.Gap
	case Given:
		return t // t is the window's end
	}
	return alignDown(t, w.Size) + w.Size
}

// constTimestamps builds a TIMESTAMP column of n copies of v.
func constTimestamps(mem memory.Allocator, v int64, n int) arrow.Array {
	b := array.NewTimestampBuilder(mem, sqltypes.Timestamp.(*arrow.TimestampType))
	defer b.Release()
	b.Reserve(n)
	for i := 0; i < n; i++ {
		b.UnsafeAppend(arrow.Timestamp(v))
	}
	return b.NewArray()
}
