package exec

// SaveState and RestoreState of the join (see Stateful): the inputs'
// watermarks and ends, and the stored rows of each side (with their
// matched flags and, under a state TTL, when their keys were last seen) or
// the open windows' rows, as Arrow records.

import (
	"fmt"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/state"
)

// joinStateVersion is the encoding version of a join's state.
const joinStateVersion = 1

// SaveState implements Stateful.
func (j *Join) SaveState(e *state.Encoder) error {
	if j.err != nil {
		return j.err
	}
	if len(j.pending) > 0 {
		return errPendingAtBarrier("join", len(j.pending))
	}
	e.Uvarint(joinStateVersion)
	e.Uvarint(uint64(j.mode))
	for side := range 2 {
		e.Varint(j.wm[side])
		e.Bool(j.ended[side])
	}
	e.Varint(j.outWM)
	e.Bool(j.done)
	e.Int(j.last)
	e.Int(j.streak)
	e.Varint(j.late)
	e.Varint(j.nullTime)
	if j.mode == windowJoin {
		return j.win.save(e, j.spill)
	}
	for side, s := range j.sides {
		if err := s.save(e, j.timeCols[side]); err != nil {
			return fmt.Errorf("join: %s state: %w", sideName(side), err)
		}
	}
	return nil
}

// RestoreState implements Stateful.
func (j *Join) RestoreState(d *state.Decoder) error {
	if j.err != nil {
		return j.err
	}
	if v := d.Uvarint(); v != joinStateVersion && d.Err() == nil {
		return fmt.Errorf("join state has encoding version %d; this weir reads version %d", v, joinStateVersion)
	}
	if m := joinMode(d.Uvarint()); m != j.mode && d.Err() == nil {
		return fmt.Errorf("join state is of a %s join, the plan has a %s join", m, j.mode)
	}
	for side := range 2 {
		j.wm[side] = d.Varint()
		j.ended[side] = d.Bool()
	}
	j.outWM = d.Varint()
	j.done = d.Bool()
	j.last = d.Int()
	j.streak = d.Int()
	j.late = d.Varint()
	j.nullTime = d.Varint()
	if err := d.Err(); err != nil {
		return err
	}
	if j.mode == windowJoin {
		return j.win.restore(d, j)
	}
	for side, s := range j.sides {
		if err := j.restoreSide(d, side, s); err != nil {
			return fmt.Errorf("join: %s state: %w", sideName(side), err)
		}
	}
	return nil
}

// save writes the side's stored rows, record by record in order of
// arrival, each with only its stored rows.
func (s *joinSide) save(e *state.Encoder, timeCol int) error {
	var recs []*joinRec
	for _, r := range s.recs {
		if r != nil && r.live > 0 {
			recs = append(recs, r)
		}
	}
	slices.SortFunc(recs, func(a, b *joinRec) int {
		if a.seq < b.seq {
			return -1
		}
		return 1
	})
	e.Count(len(recs))
	for _, r := range recs {
		rows := make([]int32, 0, r.live)
		for i, slot := range r.slots {
			if slot != noSlot {
				rows = append(rows, int32(i))
			}
		}
		rec, err := s.view(r)
		if err != nil {
			return err
		}
		if len(rows) < len(r.slots) {
			all := rec
			rec, err = takeRows(s.mem, all, rows)
			all.Release()
			if err != nil {
				return err
			}
		}
		err = e.Record(rec)
		rec.Release()
		if err != nil {
			return err
		}
		matched := make([]bool, len(rows))
		var seen []int64
		if s.ttl > 0 {
			seen = make([]int64, len(rows))
		}
		for k, i := range rows {
			slot := r.slots[i]
			matched[k] = s.sMatched[slot]
			if seen != nil {
				seen[k] = s.seen[s.sKey[slot]]
			}
		}
		state.PutSlice(e, matched)
		state.PutSlice(e, seen)
	}
	return nil
}

// restoreSide reads what save wrote into an empty side.
func (j *Join) restoreSide(d *state.Decoder, side int, s *joinSide) error {
	n := d.Count(2)
	for i := 0; i < n && d.Err() == nil; i++ {
		rec := d.Record(j.ec.Mem)
		if rec == nil {
			break
		}
		matched := state.Slice[bool](d)
		seen := state.Slice[int64](d)
		err := j.restoreRecord(d, side, s, rec, matched, seen)
		rec.Release()
		if err == nil {
			// A state larger than the budget spills as it is read.
			err = j.maybeSpill()
		}
		if err != nil {
			return err
		}
	}
	return d.Err()
}

func (j *Join) restoreRecord(d *state.Decoder, side int, s *joinSide, rec arrow.Record, matched []bool, seen []int64) error {
	rows := int(rec.NumRows())
	if !rec.Schema().Equal(j.inputs[side].Schema()) {
		d.Fail("stored rows of schema %s, the input has %s", rec.Schema(), j.inputs[side].Schema())
		return d.Err()
	}
	if len(matched) != rows || (s.ttl > 0) != (seen != nil) || seen != nil && len(seen) != rows {
		d.Fail("%d stored rows with %d matched flags and %d key times", rows, len(matched), len(seen))
		return d.Err()
	}
	keys, err := j.evalKeys(side, rec)
	if err != nil {
		return err
	}
	defer releaseAll(keys)
	var times []int64
	if j.mode == intervalJoin {
		ts, t, err := timeColumn(rec, j.timeCols[side])
		if err != nil {
			return err
		}
		times = t
		j.sel = validRows(rows, keys, ts, j.sel)
	} else {
		j.sel = validRows(rows, keys, nil, j.sel)
	}
	if len(j.sel) != rows {
		d.Fail("%d of %d stored rows cannot match", rows-len(j.sel), rows)
		return d.Err()
	}
	ri, err := s.insert(rec, keys, j.sel, times, matched, 0)
	if err != nil {
		return err
	}
	if seen != nil {
		for row, slot := range s.recs[ri].slots {
			id := s.sKey[slot]
			s.seen[id] = max(s.seen[id], seen[row])
		}
	}
	return nil
}

// save writes the open windows in order of end.
func (ws *joinWindowSet) save(e *state.Encoder, sp *recordSpill) error {
	e.Varint(ws.closed)
	ends := make([]int64, 0, len(ws.open))
	for end := range ws.open {
		ends = append(ends, end)
	}
	slices.Sort(ends)
	e.Count(len(ends))
	for _, end := range ends {
		w := ws.open[end]
		e.Varint(end)
		for side, recs := range w.recs {
			e.Count(len(recs) + len(w.spilled[side]))
			for _, r := range recs {
				if err := e.Record(r); err != nil {
					return fmt.Errorf("join: window state: %w", err)
				}
			}
			for _, id := range w.spilled[side] {
				r, err := sp.read(id)
				if err != nil {
					return err
				}
				err = e.Record(r)
				r.Release()
				if err != nil {
					return fmt.Errorf("join: window state: %w", err)
				}
			}
		}
	}
	return nil
}

// restore reads what save wrote into an empty set.
func (ws *joinWindowSet) restore(d *state.Decoder, j *Join) error {
	ws.closed = d.Varint()
	n := d.Count(3)
	for i := 0; i < n && d.Err() == nil; i++ {
		end := d.Varint()
		if _, dup := ws.open[end]; dup {
			d.Fail("window ending %d twice", end)
			break
		}
		for side := range 2 {
			m := d.Count(1)
			for k := 0; k < m && d.Err() == nil; k++ {
				rec := d.Record(j.ec.Mem)
				if rec == nil {
					break
				}
				if !rec.Schema().Equal(j.inputs[side].Schema()) {
					rec.Release()
					d.Fail("window rows of schema %s, the input has %s", rec.Schema(), j.inputs[side].Schema())
					break
				}
				ws.add(side, end, rec)
				rec.Release()
				if err := j.maybeSpill(); err != nil {
					return err
				}
			}
		}
	}
	return d.Err()
}
