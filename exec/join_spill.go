package exec

// Spilling a join's state. When a join holds more than its share of the
// query's state memory, it writes stored records to the spill area (Arrow
// IPC, one key each) and lets them go from memory:
//
//   - An interval or regular join spills the records used least recently
//     (by a probe's match, an outer row's emission, or arrival). Their
//     rows stay indexed: the key chains, times and matched flags, about 40
//     bytes a row, stay in memory, so a probe still finds every candidate
//     and the time bounds and residual are checked as before; a record is
//     read back only when one of its rows is gathered into the output.
//     Rows expire from a spilled record without reading it, and the copy
//     on disk is deleted with its last row.
//   - A window join spills whole windows, latest first. When a spilled
//     window closes, its right rows are read back and hashed, and its left
//     rows probe them one spilled record at a time.
//
// A checkpoint writes the join's rows whether in memory or on disk (read
// back a record at a time), so no checkpoint refers to the spill area: the
// join empties its part of the area when it first uses it in a run, and
// deletes a spilled copy as soon as its rows are gone.

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
)

var (
	_ Spiller       = (*Join)(nil)
	_ SpillReporter = (*Join)(nil)
)

// SetSpill implements Spiller.
func (j *Join) SetSpill(budget int64, store func() (SpillStore, error), prefix []byte) {
	j.spill = &recordSpill{what: "join", budget: budget, open: store, prefix: prefix, mem: j.ec.Mem}
	for _, s := range j.sides {
		if s != nil {
			s.sp = j.spill
		}
	}
}

// SpillStats implements SpillReporter: Runs counts the records spilled.
func (j *Join) SpillStats() SpillStats {
	st := SpillStats{PeakState: j.peak}
	if j.spill != nil {
		st.Runs, st.Bytes = j.spill.spilled, j.spill.bytes
	}
	return st
}

// SpillReads is how many spilled records the join has read back.
func (j *Join) SpillReads() int64 {
	if j.spill == nil {
		return 0
	}
	return j.spill.reads
}

// resident makes sure r's record is in memory, reading it back if it was
// spilled, and marks it used now.
func (s *joinSide) resident(r *joinRec) error {
	if s.sp != nil {
		r.lastUse = s.sp.tick
	}
	if r.rec != nil {
		return nil
	}
	rec, err := s.sp.read(r.spillID)
	if err != nil {
		return err
	}
	if rec.NumRows() != int64(len(r.slots)) {
		rec.Release()
		return fmt.Errorf("join: read spilled rows: record %d has %d rows, want %d", r.spillID, rec.NumRows(), len(r.slots))
	}
	r.rec = rec
	s.recBytes += r.bytes
	return nil
}

// view returns r's record, from memory or read from disk without making
// it resident; the caller releases it.
func (s *joinSide) view(r *joinRec) (arrow.Record, error) {
	if r.rec != nil {
		r.rec.Retain()
		return r.rec, nil
	}
	return s.sp.read(r.spillID)
}

// evict writes r's record to disk, unless an unchanged copy is there
// already, and lets it go from memory.
func (s *joinSide) evict(r *joinRec) error {
	if r.spillID == 0 {
		id, err := s.sp.write(r.rec)
		if err != nil {
			return err
		}
		r.spillID = id
	}
	r.rec.Release()
	r.rec = nil
	s.recBytes -= r.bytes
	return nil
}

// forget deletes r's copy on disk, if any: its rows are gone or changed.
func (s *joinSide) forget(r *joinRec) error {
	if r.spillID == 0 {
		return nil
	}
	id := r.spillID
	r.spillID = 0
	return s.sp.remove(id)
}

// spillLowWater is the share of the budget a join spills down to once it
// is over it, so that it does not spill again at the next batch.
const spillLowWater = 0.75

// maybeSpill spills state while the join holds more than its budget.
func (j *Join) maybeSpill() error {
	bytes := j.StateBytes()
	j.peak = max(j.peak, bytes)
	sp := j.spill
	if sp == nil || sp.budget <= 0 || bytes <= sp.budget {
		return nil
	}
	over := bytes - int64(float64(sp.budget)*spillLowWater)
	if j.mode == windowJoin {
		return j.win.spill(sp, over)
	}
	type cand struct {
		side int
		r    *joinRec
	}
	var cands []cand
	for side, s := range j.sides {
		for _, r := range s.recs {
			if r != nil && r.rec != nil && r.live > 0 {
				cands = append(cands, cand{side, r})
			}
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if a.r.lastUse != b.r.lastUse {
			return cmp.Compare(a.r.lastUse, b.r.lastUse)
		}
		if a.side != b.side {
			return a.side - b.side
		}
		return cmp.Compare(a.r.seq, b.r.seq)
	})
	for _, c := range cands {
		if over <= 0 {
			break
		}
		over -= c.r.bytes
		if err := j.sides[c.side].evict(c.r); err != nil {
			return err
		}
	}
	return nil
}

// spill writes the records of open windows to disk, latest window first,
// until over bytes have gone from memory.
func (ws *joinWindowSet) spill(sp *recordSpill, over int64) error {
	ends := make([]int64, 0, len(ws.open))
	for end, w := range ws.open {
		if len(w.recs[0])+len(w.recs[1]) > 0 {
			ends = append(ends, end)
		}
	}
	slices.Sort(ends)
	for i := len(ends) - 1; i >= 0 && over > 0; i-- {
		w := ws.open[ends[i]]
		for side := range 2 {
			for _, rec := range w.recs[side] {
				id, err := sp.write(rec)
				if err != nil {
					return err
				}
				b := recordBytes(rec)
				w.spilled[side] = append(w.spilled[side], id)
				ws.bytes -= b
				over -= b
				rec.Release()
			}
			w.recs[side] = nil
		}
	}
	return nil
}

// readSpilled reads the spilled records of a window's side back into
// w.recs.
func (w *joinWindow) readSpilled(sp *recordSpill, side int) error {
	for len(w.spilled[side]) > 0 {
		id := w.spilled[side][0]
		rec, err := sp.read(id)
		if err != nil {
			return err
		}
		w.recs[side] = append(w.recs[side], rec)
		w.spilled[side] = w.spilled[side][1:]
		if err := sp.remove(id); err != nil {
			return err
		}
	}
	return nil
}

// removeSpilled deletes a window's spilled records.
func (w *joinWindow) removeSpilled(sp *recordSpill) error {
	for side := range 2 {
		for _, id := range w.spilled[side] {
			if err := sp.remove(id); err != nil {
				return err
			}
		}
		w.spilled[side] = nil
	}
	return nil
}
