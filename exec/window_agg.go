package exec

import (
	"container/heap"
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/exec/expr"
)

// WindowAggregate computes aggregates per group and TUMBLE, HOP or CUMULATE
// window. Each open window has its own hash table; a window's rows are
// emitted once, when the watermark reaches the window's end, in order of
// window end (then start). Output columns: the keys, window_start,
// window_end, window_time (end − 1 ms), then the aggregates.
//
// A row whose windows have all been emitted is late: it is dropped and
// counted (LateRows). A row with a NULL event time belongs to no window and
// is counted too (NullTimeRows).
//
// With an allowed lateness (WindowSpec.Lateness) a fired window keeps its
// state until the watermark passes its end plus the lateness; a late row in
// that time updates the window, and the operator emits the changed rows at
// once as -U (old) and +U (new), or +I for a new group. The output is then an
// updating stream; only rows later than that are dropped.
type WindowAggregate struct {
	input Operator
	spec  *AggregateSpec
	win   WindowSpec
	ec    *expr.Context

	open      map[int64]*openWindow // by window end
	ends      endHeap               // ends of windows not yet fired
	retained  endHeap               // end + lateness of fired windows
	pool      []*agg.Table
	watermark int64
	pending   []Message
	done      bool

	// per-batch scratch, reused
	starts, ends2 []int64
	groups        []uint32
	touched       []*openWindow

	late, nullTime int64

	spill *spillState // nil: no memory budget
	peak  int64       // the most memory the open windows have held
}

type openWindow struct {
	start, end int64
	table      *agg.Table
	sel        []int32 // rows of the current batch
	fired      bool    // emitted once; kept for allowed lateness
	spilled    bool    // some of its groups are in spilled runs
}

var _ Operator = (*WindowAggregate)(nil)
var _ Describer = (*WindowAggregate)(nil)

// NewWindowAggregate builds a windowed aggregate over input.
func NewWindowAggregate(input Operator, spec *AggregateSpec, win WindowSpec, ec *expr.Context) *WindowAggregate {
	return &WindowAggregate{input: input, spec: spec, win: win, ec: ec, open: map[int64]*openWindow{}, watermark: WatermarkMin}
}

// Schema implements Operator.
func (w *WindowAggregate) Schema() *arrow.Schema { return w.spec.Schema }

// Children implements Operator.
func (w *WindowAggregate) Children() []Operator { return []Operator{w.input} }

// Describe implements Describer.
func (w *WindowAggregate) Describe() string {
	return fmt.Sprintf("WindowAggregateExec: %s %s", w.win, w.spec.describe())
}

// LateRows is the number of rows dropped because all their windows had
// been emitted.
func (w *WindowAggregate) LateRows() int64 { return w.late }

// NullTimeRows is the number of rows dropped for a NULL event time.
func (w *WindowAggregate) NullTimeRows() int64 { return w.nullTime }

// OpenWindows is the number of windows holding state.
func (w *WindowAggregate) OpenWindows() int { return len(w.open) }

// StateBytes estimates the memory the open windows hold.
func (w *WindowAggregate) StateBytes() int64 {
	var n int64
	for _, ow := range w.open {
		n += ow.table.MemoryBytes()
	}
	return n
}

// Open implements Operator.
func (w *WindowAggregate) Open(ctx context.Context) error { return w.input.Open(ctx) }

// Next implements Operator.
func (w *WindowAggregate) Next(ctx context.Context) (Message, error) {
	return windowedNext(ctx, w.input, &w.pending, &w.done, w.consume, w.advance, w.win.procClock(w.ec))
}

func (w *WindowAggregate) consume(m Message) error {
	if m.Ops != nil {
		return fmt.Errorf("windowed aggregation over an updating stream is not supported")
	}
	rec := m.Batch
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	ts, ok := rec.Column(w.win.TimeCol).(*array.Timestamp)
	if !ok {
		return fmt.Errorf("window time column %d is %s, not TIMESTAMP", w.win.TimeCol, rec.Column(w.win.TimeCol).DataType())
	}
	in, err := w.spec.eval(w.ec, rec)
	if err != nil {
		return err
	}
	defer in.release()
	w.countDropped(ts)
	if cap(w.starts) < n {
		w.starts, w.ends2 = make([]int64, n), make([]int64, n)
	}
	starts, ends := w.starts[:n], w.ends2[:n]
	w.touched = w.touched[:0]
	for k := 0; k < w.win.passes(); k++ {
		if w.win.Kind == Given {
			if err := w.win.assignGiven(rec, ts, starts, ends); err != nil {
				return err
			}
		} else {
			w.win.assign(ts, k, starts, ends)
		}
		var cur *openWindow
		for i := 0; i < n; i++ {
			e := ends[i]
			if e == skip || e+w.win.Lateness <= w.watermark {
				continue // no k-th window, or that window is gone
			}
			if cur == nil || cur.end != e {
				if cur = w.open[e]; cur == nil {
					if cur, err = w.openWindow(starts[i], e); err != nil {
						return err
					}
				}
				if len(cur.sel) == 0 {
					w.touched = append(w.touched, cur)
				}
			}
			cur.sel = append(cur.sel, int32(i))
		}
	}
	for _, ow := range w.touched {
		if w.win.passes() > 1 {
			// Rows joined the window in several passes; restore arrival
			// order, which FIRST_VALUE and LAST_VALUE depend on.
			slices.Sort(ow.sel)
		}
		if cap(w.groups) < len(ow.sel) {
			w.groups = make([]uint32, len(ow.sel))
		}
		groups := w.groups[:len(ow.sel)]
		if ow.fired {
			if err := w.updateFired(ow, in, groups); err != nil {
				return err
			}
			ow.sel = ow.sel[:0]
			continue
		}
		ow.table.Lookup(in.keys, ow.sel, groups)
		if err := ow.table.Update(ow.sel, groups, in.args, in.filters); err != nil {
			return err
		}
		ow.sel = ow.sel[:0]
	}
	w.peak = max(w.peak, w.StateBytes())
	return w.maybeSpill()
}

// PeakStateBytes is the most memory the open windows have held (after a
// batch, before any spill it caused).
func (w *WindowAggregate) PeakStateBytes() int64 { return w.peak }

// updateFired folds late rows into a window that has already been emitted
// and emits the groups they changed as a changelog.
func (w *WindowAggregate) updateFired(ow *openWindow, in *aggInput, groups []uint32) error {
	before := ow.table.Len()
	ow.table.Lookup(in.keys, ow.sel, groups)
	seen := map[uint32]bool{}
	var existing, created []uint32
	for _, g := range groups {
		if seen[g] {
			continue
		}
		seen[g] = true
		if int(g) < before {
			existing = append(existing, g)
		} else {
			created = append(created, g)
		}
	}
	var old arrow.Record
	if len(existing) > 0 {
		var err error
		if old, err = w.rows(ow, existing); err != nil {
			return err
		}
	}
	if err := ow.table.Update(ow.sel, groups, in.args, in.filters); err != nil {
		if old != nil {
			old.Release()
		}
		return err
	}
	cur, err := w.rows(ow, append(existing, created...))
	if err != nil {
		if old != nil {
			old.Release()
		}
		return err
	}
	ops := make([]Op, 0, 2*len(existing)+len(created))
	for range existing {
		ops = append(ops, OpUpdateBefore)
	}
	if old != nil {
		w.pending = append(w.pending, changelogMessage(w.ec, old, ops))
		ops = ops[:0]
	}
	for range existing {
		ops = append(ops, OpUpdateAfter)
	}
	for range created {
		ops = append(ops, OpInsert)
	}
	w.pending = append(w.pending, changelogMessage(w.ec, cur, ops))
	return nil
}

// changelogMessage pairs a batch with its ops.
func changelogMessage(ec *expr.Context, rec arrow.Record, ops []Op) Message {
	b := array.NewInt8Builder(ec.Mem)
	defer b.Release()
	b.Reserve(len(ops))
	for _, o := range ops {
		b.UnsafeAppend(int8(o))
	}
	return Message{Kind: MsgBatch, Batch: rec, Ops: b.NewInt8Array()}
}

// countDropped counts the rows with no open window: NULL times, and rows
// whose latest window has already been emitted.
func (w *WindowAggregate) countDropped(ts *array.Timestamp) {
	vals := ts.TimestampValues()
	if ts.NullN() > 0 {
		for i := range vals {
			if ts.IsNull(i) {
				w.nullTime++
			} else if w.watermark != WatermarkMin && w.win.lastEnd(int64(vals[i]))+w.win.Lateness <= w.watermark {
				w.late++
			}
		}
		return
	}
	if w.watermark == WatermarkMin {
		return
	}
	for _, v := range vals {
		if w.win.lastEnd(int64(v))+w.win.Lateness <= w.watermark {
			w.late++
		}
	}
}

func (w *WindowAggregate) openWindow(start, end int64) (*openWindow, error) {
	var t *agg.Table
	if n := len(w.pool); n > 0 {
		t, w.pool = w.pool[n-1], w.pool[:n-1]
	} else {
		var err error
		if t, err = agg.NewTable(w.ec.Mem, w.spec.keyTypes(), w.spec.Aggs); err != nil {
			return nil, err
		}
	}
	ow := &openWindow{start: start, end: end, table: t}
	w.open[end] = ow
	if end <= w.watermark {
		// A window that first sees rows within its allowed lateness: it
		// has fired (empty) already, so its rows go out as they come.
		ow.fired = true
		heap.Push(&w.retained, end+w.win.Lateness)
	} else {
		heap.Push(&w.ends, end)
	}
	return ow, nil
}

// advance emits every window that ends at or before wm, in order of end.
func (w *WindowAggregate) advance(wm int64) error {
	if wm <= w.watermark {
		return nil
	}
	w.watermark = wm
	for w.ends.Len() > 0 && w.ends[0] <= wm {
		end := heap.Pop(&w.ends).(int64)
		ow := w.open[end]
		if ow.spilled {
			if err := w.emitSpilled(ow); err != nil {
				return err
			}
			w.drop(ow)
			continue
		}
		rec, err := w.emit(ow)
		if err != nil {
			return err
		}
		if rec != nil {
			w.pending = append(w.pending, BatchMessage(rec))
		}
		if w.win.Lateness > 0 && wm != WatermarkMax {
			ow.fired = true
			heap.Push(&w.retained, end+w.win.Lateness)
			continue
		}
		w.drop(ow)
	}
	for w.retained.Len() > 0 && (w.retained[0] <= wm || wm == WatermarkMax) {
		until := heap.Pop(&w.retained).(int64)
		if ow := w.open[until-w.win.Lateness]; ow != nil {
			w.drop(ow)
		}
	}
	return nil
}

// drop releases a window's state back to the pool.
func (w *WindowAggregate) drop(ow *openWindow) {
	delete(w.open, ow.end)
	ow.table.Reset()
	w.pool = append(w.pool, ow.table)
}

// emit builds the output rows of one window.
func (w *WindowAggregate) emit(ow *openWindow) (arrow.Record, error) {
	n := ow.table.Len()
	if n == 0 {
		return nil, nil
	}
	groups := make([]uint32, n)
	for i := range groups {
		groups[i] = uint32(i)
	}
	return w.rows(ow, groups)
}

// rows builds the output rows of the listed groups of a window.
func (w *WindowAggregate) rows(ow *openWindow, groups []uint32) (arrow.Record, error) {
	n := len(groups)
	keys, results, err := ow.table.Results(groups)
	if err != nil {
		return nil, err
	}
	cols := make([]arrow.Array, 0, len(keys)+3+len(results))
	cols = append(cols, keys...)
	cols = append(cols,
		constTimestamps(w.ec.Mem, ow.start, n),
		constTimestamps(w.ec.Mem, ow.end, n),
		constTimestamps(w.ec.Mem, ow.end-1, n))
	cols = append(cols, results...)
	rec := array.NewRecord(w.spec.Schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec, nil
}

// Close implements Operator.
func (w *WindowAggregate) Close() error {
	for _, m := range w.pending {
		m.Release()
	}
	w.pending = nil
	for _, ow := range w.open {
		ow.table.Release()
	}
	w.open = map[int64]*openWindow{}
	for _, t := range w.pool {
		t.Release()
	}
	w.pool = nil
	return w.input.Close()
}

// endHeap is a min-heap of window ends.
type endHeap []int64

func (h endHeap) Len() int           { return len(h) }
func (h endHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h endHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *endHeap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *endHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
