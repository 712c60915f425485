package exec

// Window joins: both inputs are windowed results, so each row belongs to
// one window, named by its window_end. Rows are buffered by window; when
// the watermark reaches a window's end its right rows are hashed (keys and
// window_start; every row of the window shares the end), its left rows
// probe them, and the window's state is dropped.

import (
	"container/heap"
	"fmt"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/internal/arrowbuf"
)

// joinWindowSet is a window join's state: the open windows' rows.
type joinWindowSet struct {
	open   map[int64]*joinWindow // by window end
	ends   endHeap
	closed int64 // windows ending at or before it have been emitted
	rows   int64
	bytes  int64
}

// joinWindow is one open window: the records of each side's rows in it.
type joinWindow struct {
	end     int64
	recs    [2][]arrow.Record // in memory
	spilled [2][]uint64       // on disk: ids in the join's spill area
	rows    int64
}

// empty reports whether the window has no rows of side.
func (w *joinWindow) empty(side int) bool {
	return len(w.recs[side]) == 0 && len(w.spilled[side]) == 0
}

func newJoinWindowSet() *joinWindowSet {
	return &joinWindowSet{open: map[int64]*joinWindow{}, closed: WatermarkMin}
}

// add buffers rec (retaining it) as rows of window end from side.
func (ws *joinWindowSet) add(side int, end int64, rec arrow.Record) {
	w := ws.open[end]
	if w == nil {
		w = &joinWindow{end: end}
		ws.open[end] = w
		heap.Push(&ws.ends, end)
	}
	rec.Retain()
	w.recs[side] = append(w.recs[side], rec)
	w.rows += rec.NumRows()
	ws.rows += rec.NumRows()
	ws.bytes += recordBytes(rec)
}

// take removes the window ending at end and returns it.
func (ws *joinWindowSet) take(end int64) *joinWindow {
	w := ws.open[end]
	delete(ws.open, end)
	ws.rows -= w.rows
	for _, recs := range w.recs {
		for _, r := range recs {
			ws.bytes -= recordBytes(r)
		}
	}
	return w
}

func (w *joinWindow) release() {
	for _, recs := range w.recs {
		for _, r := range recs {
			r.Release()
		}
	}
	w.recs = [2][]arrow.Record{}
}

func (ws *joinWindowSet) release() {
	for _, w := range ws.open {
		w.release()
	}
	ws.open = map[int64]*joinWindow{}
	ws.ends = ws.ends[:0]
	ws.rows, ws.bytes = 0, 0
}

// windowBatch buffers a batch of a window join by window; rows of windows
// already emitted are late and dropped.
func (j *Join) windowBatch(side int, rec arrow.Record) error {
	col := j.spec.Window.LeftEnd
	if side == 1 {
		col = j.spec.Window.RightEnd
	}
	ts, ok := rec.Column(col).(*array.Timestamp)
	if !ok {
		return fmt.Errorf("join: window_end column %d is %s, not TIMESTAMP", col, rec.Column(col).DataType())
	}
	ends := arrowbuf.Values[int64](ts)
	ws := j.win
	n := len(ends)
	if ts.NullN() == 0 && ends[0] > ws.closed && !slices.ContainsFunc(ends, func(e int64) bool { return e != ends[0] }) {
		ws.add(side, ends[0], rec) // the usual case: one window's rows
		return nil
	}
	byEnd := map[int64][]int32{}
	var order []int64
	for i := 0; i < n; i++ {
		switch {
		case ts.IsNull(i):
			j.nullTime++
		case ends[i] <= ws.closed:
			j.late++
		default:
			e := ends[i]
			if _, seen := byEnd[e]; !seen {
				order = append(order, e)
			}
			byEnd[e] = append(byEnd[e], int32(i))
		}
	}
	for _, e := range order {
		rows := byEnd[e]
		if len(rows) == n {
			ws.add(side, e, rec)
			continue
		}
		part, err := takeRows(j.ec.Mem, rec, rows)
		if err != nil {
			return fmt.Errorf("join: %w", err)
		}
		ws.add(side, e, part)
		part.Release()
	}
	return nil
}

// closeWindows joins and emits, in order of end, every window that ends at
// or before wm.
func (j *Join) closeWindows(wm int64) error {
	ws := j.win
	for ws.ends.Len() > 0 && ws.ends[0] <= wm {
		end := heap.Pop(&ws.ends).(int64)
		w := ws.take(end)
		err := j.joinWindow(w)
		w.release()
		if err == nil && j.spill != nil {
			err = w.removeSpilled(j.spill)
		}
		if err != nil {
			return err
		}
	}
	ws.closed = max(ws.closed, wm)
	return nil
}

// joinWindow hash-joins one window's rows and queues the result: the
// right rows are stored in a build state, record by record, and each left
// record probes it; then the right rows nothing matched go out NULL-padded
// for a RIGHT or FULL join. Spilled right rows are read back first;
// spilled left rows are read one record at a time as they probe.
func (j *Join) joinWindow(w *joinWindow) error {
	if w.empty(0) && !j.preserve[1] || w.empty(1) && !j.preserve[0] {
		return nil // an inner side is empty: nothing joins
	}
	if err := w.readSpilled(j.spill, 1); err != nil {
		return err
	}
	build := newJoinSide(j.ec.Mem, j.keyTypes, false, 0)
	defer build.release()
	stored := make([]int32, len(w.recs[1])) // build record of each right record
	for i, rec := range w.recs[1] {
		keys, err := j.evalKeys(1, rec)
		if err != nil {
			return err
		}
		j.sel = validRows(int(rec.NumRows()), keys, nil, j.sel)
		stored[i], err = build.insert(rec, keys, j.sel, nil, nil, 0)
		releaseAll(keys)
		if err != nil {
			return err
		}
	}
	for _, rec := range w.recs[0] {
		if err := j.probeWindow(rec, build); err != nil {
			return err
		}
	}
	for len(w.spilled[0]) > 0 {
		id := w.spilled[0][0]
		rec, err := j.spill.read(id)
		if err != nil {
			return err
		}
		err = j.probeWindow(rec, build)
		rec.Release()
		if err != nil {
			return err
		}
		w.spilled[0] = w.spilled[0][1:]
		if err := j.spill.remove(id); err != nil {
			return err
		}
	}
	if !j.preserve[1] {
		return nil
	}
	o := &j.out
	o.reset()
	for i, rec := range w.recs[1] {
		src := o.right.source(rec)
		var slots []uint32
		if stored[i] >= 0 {
			slots = build.recs[stored[i]].slots
		}
		for r := 0; r < int(rec.NumRows()); r++ {
			if slots == nil || slots[r] == noSlot || !build.sMatched[slots[r]] {
				o.left.addNull()
				o.right.add(src, int32(r))
			}
		}
	}
	return j.flush()
}

// probeWindow joins one left record of a window with the window's right
// rows in build, marking the right rows it matches, and queues the joined
// rows (and, for a LEFT or FULL join, its unmatched rows NULL-padded).
func (j *Join) probeWindow(rec arrow.Record, build *joinSide) error {
	n := int(rec.NumRows())
	keys, err := j.evalKeys(0, rec)
	if err != nil {
		return err
	}
	j.sel = validRows(n, keys, nil, j.sel)
	if cap(j.ids) < len(j.sel) {
		j.ids = make([]uint32, len(j.sel))
	}
	ids := j.ids[:len(j.sel)]
	build.find(keys, j.sel, ids)
	releaseAll(keys)
	pr, ps := j.pairRow[:0], j.pairSlot[:0]
	for k, id := range ids {
		if id == agg.NotFound {
			continue
		}
		for s := build.head[id]; s != 0; s = build.sNext[s-1] {
			pr, ps = append(pr, j.sel[k]), append(ps, s-1)
		}
	}
	j.pairRow, j.pairSlot = pr, ps
	if pr, ps, err = j.filterResidual(0, rec, build, pr, ps); err != nil {
		return err
	}
	o := &j.out
	o.reset()
	src := o.left.source(rec)
	for k, r := range pr {
		build.sMatched[ps[k]] = true
		o.left.add(src, r)
		o.addStored(&o.right, build, ps[k])
	}
	if j.preserve[0] {
		if cap(j.matched) < n {
			j.matched = make([]bool, n)
		}
		matched := j.matched[:n]
		clear(matched)
		for _, r := range pr {
			matched[r] = true
		}
		for r, m := range matched {
			if !m {
				o.left.add(src, int32(r))
				o.right.addNull()
			}
		}
	}
	return j.flush()
}
