package exec

// The rows a TopN holds. They stay in the Arrow records they arrived in
// (segments), each row with its encoded sort key beside it, and are named
// by slots: small integers, reused once a row is dropped, that the
// partitions' ranked lists hold. A batch becomes a segment while it is
// processed; afterwards it is kept as it is when more than half of its
// rows were retained, and rewritten with only those rows otherwise. A
// segment is released when its last row is dropped and rewritten once half
// of it is dead, and many sparse segments are merged into one, so the
// records hold at most about twice the bytes of the rows retained.

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/state"
)

// Thresholds of the store's housekeeping.
const (
	// topNMinSegs is how many segments the store may hold before sparse
	// ones are merged.
	topNMinSegs = 64
	// topNDenseRows is the live rows per segment below which a segment is
	// sparse: once the segments average fewer, the sparse ones are merged.
	topNDenseRows = 256
)

// topNSeg is one stored record with its rows' sort keys.
type topNSeg struct {
	rec   arrow.Record // nil while spilled
	keys  orderKeys
	slots []uint32 // per row: its slot, or noSlot
	live  int
	bytes int64
	dirty bool  // rows were dropped since the last settle
	mark  int32 // scratch of gather and rewrite: source index + 1

	spillID uint64 // its copy in the spill area, 0 for none
	lastUse uint64 // the spill clock's tick when it was last used
}

// topNStore holds the retained rows of a TopN.
type topNStore struct {
	mem    memory.Allocator
	schema *arrow.Schema
	sp     *recordSpill // nil when the operator does not spill

	segs     []*topNSeg // nil entries are free
	freeSegs []int32
	nsegs    int
	recBytes int64

	// per slot; sSeg is -1 for a free slot
	sSeg, sRow []int32
	freeSlots  []uint32
	live       int

	dirty []int32 // segments with rows dropped since the last settle
	refs  rowRefs // scratch of gather

	rewrites int // housekeeping done, for tests
}

func newTopNStore(mem memory.Allocator, schema *arrow.Schema) *topNStore {
	return &topNStore{mem: mem, schema: schema}
}

// addSeg stores rec (taking over the caller's reference) with its rows'
// keys (which it keeps) and returns its index. No row holds a slot yet.
func (s *topNStore) addSeg(rec arrow.Record, keys orderKeys) int32 {
	g := &topNSeg{rec: rec, keys: keys, slots: make([]uint32, rec.NumRows()), bytes: recordBytes(rec)}
	if s.sp != nil {
		g.lastUse = s.sp.tick
	}
	for i := range g.slots {
		g.slots[i] = noSlot
	}
	s.recBytes += g.bytes
	s.nsegs++
	if n := len(s.freeSegs); n > 0 {
		i := s.freeSegs[n-1]
		s.freeSegs = s.freeSegs[:n-1]
		s.segs[i] = g
		return i
	}
	s.segs = append(s.segs, g)
	return int32(len(s.segs) - 1)
}

// touch marks a segment for the next settle (a batch's segment, whose
// unretained rows are dead from the start).
func (s *topNStore) touch(si int32) {
	if g := s.segs[si]; !g.dirty {
		g.dirty = true
		s.dirty = append(s.dirty, si)
	}
}

// alloc gives row row of segment si a slot.
func (s *topNStore) alloc(si int32, row int) uint32 {
	var slot uint32
	if n := len(s.freeSlots); n > 0 {
		slot = s.freeSlots[n-1]
		s.freeSlots = s.freeSlots[:n-1]
		s.sSeg[slot], s.sRow[slot] = si, int32(row)
	} else {
		slot = uint32(len(s.sSeg))
		s.sSeg = append(s.sSeg, si)
		s.sRow = append(s.sRow, int32(row))
	}
	g := s.segs[si]
	g.slots[row] = slot
	g.live++
	s.live++
	return slot
}

// drop frees a slot and its row.
func (s *topNStore) drop(slot uint32) {
	si := s.sSeg[slot]
	g := s.segs[si]
	g.slots[s.sRow[slot]] = noSlot
	g.live--
	s.live--
	s.touch(si)
	s.sSeg[slot] = -1
	s.freeSlots = append(s.freeSlots, slot)
}

// key is the encoded sort key of a slot's row.
func (s *topNStore) key(slot uint32) []byte {
	return s.segs[s.sSeg[slot]].keys.key(int(s.sRow[slot]))
}

// value is the row and record of a slot, the record read back if it was
// spilled.
func (s *topNStore) value(slot uint32) (arrow.Record, int, error) {
	g := s.segs[s.sSeg[slot]]
	if err := s.resident(g); err != nil {
		return nil, 0, err
	}
	return g.rec, int(s.sRow[slot]), nil
}

func (s *topNStore) releaseSeg(si int32) error {
	g := s.segs[si]
	if g.rec != nil {
		g.rec.Release()
		s.recBytes -= g.bytes
	}
	s.segs[si] = nil
	s.freeSegs = append(s.freeSegs, si)
	s.nsegs--
	return s.forget(g)
}

// settle releases the segments left without rows and rewrites the ones
// that are mostly dead, together with the sparse ones once there are many.
func (s *topNStore) settle() error {
	var rewrite []int32
	for _, si := range s.dirty {
		g := s.segs[si]
		if g == nil {
			continue
		}
		g.dirty = false
		rows := len(g.slots)
		switch {
		case g.live == 0:
			if err := s.releaseSeg(si); err != nil {
				return err
			}
		case g.rec != nil && rows-g.live >= compactMinDead && g.live*2 <= rows:
			// (A spilled segment is left as it is: only its keys and
			// slots are in memory.)
			g.mark = 1
			rewrite = append(rewrite, si)
		}
	}
	s.dirty = s.dirty[:0]
	if s.nsegs > topNMinSegs && s.nsegs*topNDenseRows > s.live {
		for i, g := range s.segs {
			if g != nil && g.rec != nil && g.mark == 0 && g.live < topNDenseRows {
				g.mark = 1
				rewrite = append(rewrite, int32(i))
			}
		}
	}
	if len(rewrite) == 0 {
		return nil
	}
	return s.rewrite(rewrite)
}

// rewrite copies the live rows of the listed segments into one new
// segment, moves their slots there and releases the old ones.
func (s *topNStore) rewrite(list []int32) error {
	s.rewrites++
	refs := &s.refs
	refs.reset()
	var slots []uint32
	size := 0
	for _, si := range list {
		g := s.segs[si]
		g.mark = 0
		src := refs.source(g.rec)
		for row, slot := range g.slots {
			if slot != noSlot {
				refs.add(src, int32(row))
				slots = append(slots, slot)
				size += len(g.keys.key(row))
			}
		}
	}
	rec, err := s.assemble(refs)
	if err != nil {
		return err
	}
	keys := orderKeys{buf: make([]byte, 0, size), offs: make([]int32, 1, len(slots)+1)}
	for _, slot := range slots {
		keys.buf = append(keys.buf, s.key(slot)...)
		keys.offs = append(keys.offs, int32(len(keys.buf)))
	}
	for _, si := range list {
		s.segs[si].live = 0
		if err := s.releaseSeg(si); err != nil {
			rec.Release()
			return err
		}
	}
	ni := s.addSeg(rec, keys)
	g := s.segs[ni]
	for row, slot := range slots {
		g.slots[row] = slot
		s.sSeg[slot], s.sRow[slot] = ni, int32(row)
	}
	g.live = len(slots)
	refs.reset()
	return nil
}

// gather builds the columns of the listed slots' rows, in order. Spilled
// segments are read back: kept in memory when keep is set (output rows,
// whose segments are in use), else only for the gather (a checkpoint's).
func (s *topNStore) gather(slots []uint32, keep bool) ([]arrow.Array, error) {
	refs := &s.refs
	refs.reset()
	var marked []*topNSeg
	var views []arrow.Record
	defer func() {
		for _, g := range marked {
			g.mark = 0
		}
		for _, v := range views {
			v.Release()
		}
		refs.reset()
	}()
	for _, slot := range slots {
		g := s.segs[s.sSeg[slot]]
		if g.mark == 0 {
			rec := g.rec
			switch {
			case keep || rec != nil:
				if err := s.resident(g); err != nil {
					return nil, err
				}
				rec = g.rec
			default:
				v, err := s.sp.read(g.spillID)
				if err != nil {
					return nil, err
				}
				views = append(views, v)
				rec = v
			}
			g.mark = refs.source(rec) + 1
			marked = append(marked, g)
		}
		refs.add(g.mark-1, s.sRow[slot])
	}
	return s.columns(refs)
}

// columns gathers every column of the schema from refs.
func (s *topNStore) columns(refs *rowRefs) ([]arrow.Array, error) {
	cols := make([]arrow.Array, s.schema.NumFields())
	parts := make([]arrow.Array, len(refs.srcs))
	for c := range cols {
		for j, src := range refs.srcs {
			parts[j] = src.Column(c)
		}
		a, err := gatherRows(s.mem, s.schema.Field(c).Type, parts, refs.which, refs.rows)
		if err != nil {
			releaseAll(cols[:c])
			return nil, fmt.Errorf("top-n: %w", err)
		}
		cols[c] = a
	}
	return cols, nil
}

func (s *topNStore) assemble(refs *rowRefs) (arrow.Record, error) {
	cols, err := s.columns(refs)
	if err != nil {
		return nil, err
	}
	rec := array.NewRecord(s.schema, cols, int64(refs.len()))
	releaseAll(cols)
	return rec, nil
}

// bytes estimates the memory the store holds: records, keys and per-slot
// facts, by capacity.
func (s *topNStore) bytes() int64 {
	b := s.recBytes
	for _, g := range s.segs {
		if g != nil {
			b += int64(cap(g.keys.buf)) + int64(cap(g.keys.offs)+cap(g.slots))*4 + 96
		}
	}
	b += int64(cap(s.sSeg)+cap(s.sRow)+cap(s.freeSlots)) * 4
	return b + int64(cap(s.segs))*8
}

// save writes the rows of the listed slots, in that order, as one record
// (their keys are encoded again on load).
func (s *topNStore) save(e *state.Encoder, slots []uint32) error {
	e.Count(len(slots))
	if len(slots) == 0 {
		return nil
	}
	cols, err := s.gather(slots, false)
	if err != nil {
		return err
	}
	rec := array.NewRecord(s.schema, cols, int64(len(slots)))
	releaseAll(cols)
	defer rec.Release()
	return e.Record(rec)
}

// load reads what save wrote into an empty store and returns the rows'
// slots, in the order saved.
func (s *topNStore) load(d *state.Decoder, order []SortKey) ([]uint32, error) {
	n := d.Count(1)
	if err := d.Err(); err != nil || n == 0 {
		return nil, err
	}
	rec := d.Record(s.mem)
	if err := d.Err(); err != nil {
		return nil, err
	}
	if int(rec.NumRows()) != n || !rec.Schema().Equal(s.schema) {
		rec.Release()
		d.Fail("top-n rows: a record of %d rows and schema %s, want %d rows of %s", rec.NumRows(), rec.Schema(), n, s.schema)
		return nil, d.Err()
	}
	var keys orderKeys
	if err := encodeOrderKeys(rec, order, &keys); err != nil {
		rec.Release()
		return nil, err
	}
	si := s.addSeg(rec, keys)
	slots := make([]uint32, n)
	for i := range slots {
		slots[i] = s.alloc(si, i)
	}
	return slots, nil
}

// release frees every segment.
func (s *topNStore) release() {
	for i, g := range s.segs {
		if g != nil && g.rec != nil {
			g.rec.Release()
		}
		s.segs[i] = nil
	}
	s.segs, s.freeSegs, s.nsegs, s.recBytes = nil, nil, 0, 0
	s.sSeg, s.sRow, s.freeSlots, s.live, s.dirty = nil, nil, nil, 0, nil
	s.refs.reset()
}
