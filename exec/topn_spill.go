package exec

// Spilling a TopN's state. Over its share of the query's state memory, a
// TopN writes the segments (the records its retained rows live in) used
// least recently to the spill area and lets them go from memory, as a
// join does with its stored records. The partitions' ranked lists and the
// rows' encoded sort keys stay in memory, so placing a row needs no disk;
// a segment is read back when one of its rows goes into the output (a
// row's retraction as it is pushed out of the top N, or a deduplicated
// row's emission). A checkpoint reads spilled segments back to write
// them, so none refers to the spill area, which is emptied when the TopN
// first uses it in a run.

import (
	"cmp"
	"fmt"
	"slices"
)

var (
	_ Spiller       = (*TopN)(nil)
	_ SpillReporter = (*TopN)(nil)
)

// SetSpill implements Spiller.
func (t *TopN) SetSpill(budget int64, store func() (SpillStore, error), prefix []byte) {
	t.spill = &recordSpill{what: "top-n", budget: budget, open: store, prefix: prefix, mem: t.mem}
	if t.store != nil {
		t.store.sp = t.spill
	}
}

// SpillStats implements SpillReporter: Runs counts the segments spilled.
func (t *TopN) SpillStats() SpillStats {
	st := SpillStats{PeakState: t.peak}
	if t.spill != nil {
		st.Runs, st.Bytes = t.spill.spilled, t.spill.bytes
	}
	return st
}

// SpillReads is how many spilled segments the TopN has read back.
func (t *TopN) SpillReads() int64 {
	if t.spill == nil {
		return 0
	}
	return t.spill.reads
}

// maybeSpill spills the segments used least recently while the state
// holds more than the budget, down to spillLowWater of it.
func (t *TopN) maybeSpill() error {
	bytes := t.StateBytes()
	t.peak = max(t.peak, bytes)
	sp := t.spill
	if sp == nil || sp.budget <= 0 || bytes <= sp.budget {
		return nil
	}
	over := bytes - int64(float64(sp.budget)*spillLowWater)
	var cands []*topNSeg
	for _, g := range t.store.segs {
		if g != nil && g.rec != nil && g.live > 0 {
			cands = append(cands, g)
		}
	}
	slices.SortStableFunc(cands, func(a, b *topNSeg) int { return cmp.Compare(a.lastUse, b.lastUse) })
	for _, g := range cands {
		if over <= 0 {
			break
		}
		over -= g.bytes
		if err := t.store.evict(g); err != nil {
			return err
		}
	}
	return nil
}

// resident makes sure g's record is in memory, reading it back if it was
// spilled, and marks it used now.
func (s *topNStore) resident(g *topNSeg) error {
	if s.sp != nil {
		g.lastUse = s.sp.tick
	}
	if g.rec != nil {
		return nil
	}
	rec, err := s.sp.read(g.spillID)
	if err != nil {
		return err
	}
	if rec.NumRows() != int64(len(g.slots)) || !rec.Schema().Equal(s.schema) {
		rec.Release()
		return fmt.Errorf("top-n: read spilled rows: segment %d has %d rows of %s, want %d of %s",
			g.spillID, rec.NumRows(), rec.Schema(), len(g.slots), s.schema)
	}
	g.rec = rec
	s.recBytes += g.bytes
	return nil
}

// evict writes g's record to disk, unless an unchanged copy is there
// already, and lets it go from memory.
func (s *topNStore) evict(g *topNSeg) error {
	if g.spillID == 0 {
		id, err := s.sp.write(g.rec)
		if err != nil {
			return err
		}
		g.spillID = id
	}
	g.rec.Release()
	g.rec = nil
	s.recBytes -= g.bytes
	return nil
}

// forget deletes g's copy on disk, if any: its rows are gone.
func (s *topNStore) forget(g *topNSeg) error {
	if g.spillID == 0 {
		return nil
	}
	id := g.spillID
	g.spillID = 0
	return s.sp.remove(id)
}
