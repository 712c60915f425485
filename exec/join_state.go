package exec

// The state of one side of a streaming hash join: the stored rows, kept as
// the Arrow records they arrived in, and an index from join key to those
// rows.
//
// The key index is an agg.Table with the key columns and no aggregates: it
// maps each key to a dense id. Each stored row has a slot (a small integer,
// reused after the row is dropped); the slots of one key form a doubly
// linked chain, newest first, so a probe walks exactly the rows of its key
// and a dropped row is unlinked at once. Per-slot facts (record, row, key,
// time, matched flag, chain links) live in flat slices indexed by slot.
//
// Rows are dropped by time (interval joins: a heap orders the records by
// their earliest live row, and each record lists its rows in time order)
// or by key (a regular join's state TTL). A record is released when its
// last row is dropped, and rewritten with only its live rows when most of
// it is dead; the key index is rebuilt when most of its keys have no rows.

import (
	"container/heap"
	"fmt"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/exec/agg"
)

// noSlot marks a row of a stored record that holds no slot: it was never
// stored (a NULL key) or it has been dropped.
const noSlot = ^uint32(0)

// Thresholds of the state's housekeeping.
const (
	// compactMinDead is how many dead rows a record must have before it is
	// rewritten with its live rows (once they are at most a quarter).
	compactMinDead = 32
	// rebuildMinKeys is how many keys the index must hold before it is
	// rebuilt without the keys that have no rows (once they are most).
	rebuildMinKeys = 1024
)

// joinRec is one stored record.
type joinRec struct {
	rec    arrow.Record // nil while spilled
	seq    uint64       // arrival order among the side's records
	slots  []uint32     // per row: its slot, or noSlot
	byTime []int32      // time-ordered sides: the stored rows by time, then row
	cursor int          // byTime[:cursor] are dropped
	live   int
	bytes  int64
	dirty  bool  // rows were dropped since the last settle
	mark   int32 // scratch of the output builder: source index + 1

	spillID uint64 // its copy in the spill area, 0 for none
	lastUse uint64 // the spill clock's tick when it was last used
}

// joinSide is the state of one input of a join.
type joinSide struct {
	mem      memory.Allocator
	sp       *recordSpill // nil when the join does not spill
	keyTypes []arrow.DataType
	timed    bool  // rows are dropped in time order (interval joins)
	ttl      int64 // state TTL in milliseconds (regular joins); 0: none

	index    *agg.Table // nil until the first row is stored
	head     []uint32   // per key: its newest slot + 1 (0: none)
	keyLive  []int32    // per key: its stored rows
	liveKeys int        // keys with rows
	seen     []int64    // per key: when it was last seen (state TTL)
	queued   []bool     // per key: it has an entry in ttl

	recs     []*joinRec // nil entries are free
	freeRecs []int32
	nextSeq  uint64
	recBytes int64

	// per slot; sRec is -1 for a free slot
	sRec, sRow   []int32
	sNext, sPrev []uint32 // chain links: slot + 1, 0 at the ends
	sKey         []uint32
	sTime        []int64 // timed sides only
	sMatched     []bool
	freeSlots    []uint32
	live         int64

	expiry recHeap // time-ordered sides: records by their earliest live row
	ttlq   ttlHeap // regular joins with a TTL: keys by when they expire
	dirty  []int32 // records with rows dropped since the last settle

	ids []uint32 // scratch

	compactions, rebuilds int // housekeeping done, for tests
}

func newJoinSide(mem memory.Allocator, keyTypes []arrow.DataType, timed bool, ttl int64) *joinSide {
	return &joinSide{mem: mem, keyTypes: keyTypes, timed: timed, ttl: ttl}
}

// rows is the number of stored rows.
func (s *joinSide) rows() int64 { return s.live }

// bytes estimates the memory the side holds: records, per-slot facts, the
// key index and per-key facts, by capacity.
func (s *joinSide) bytes() int64 {
	b := s.recBytes
	b += int64(cap(s.sRec)+cap(s.sRow)+cap(s.sNext)+cap(s.sPrev)+cap(s.sKey)+cap(s.freeSlots)) * 4
	b += int64(cap(s.sTime))*8 + int64(cap(s.sMatched))
	b += int64(cap(s.head)+cap(s.keyLive))*4 + int64(cap(s.seen))*8 + int64(cap(s.queued))
	b += int64(cap(s.recs)) * 8
	for _, r := range s.recs {
		if r != nil {
			b += int64(cap(r.slots)+cap(r.byTime))*4 + 96
		}
	}
	if s.index != nil {
		b += s.index.MemoryBytes()
	}
	return b
}

// validRows lists the rows where every key (and the time, when times is
// not nil) is not NULL: the rows that can match.
func validRows(n int, keys []arrow.Array, times *array.Timestamp, out []int32) []int32 {
	out = out[:0]
	anyNull := times != nil && times.NullN() > 0
	for _, k := range keys {
		if k.NullN() > 0 {
			anyNull = true
		}
	}
	if !anyNull {
		for i := 0; i < n; i++ {
			out = append(out, int32(i))
		}
		return out
	}
rows:
	for i := 0; i < n; i++ {
		if times != nil && times.IsNull(i) {
			continue
		}
		for _, k := range keys {
			if k.IsNull(i) {
				continue rows
			}
		}
		out = append(out, int32(i))
	}
	return out
}

// insert stores rows sel of rec (retaining it) under their keys, with
// times (one per row of rec; nil when the side is not timed) and matched
// flags (one per entry of sel; nil: none matched), at time now for the
// TTL. It returns the stored record's index, or -1 when sel is empty.
func (s *joinSide) insert(rec arrow.Record, keys []arrow.Array, sel []int32, times []int64, matched []bool, now int64) (int32, error) {
	if len(sel) == 0 {
		return -1, nil
	}
	if s.index == nil {
		t, err := agg.NewTable(s.mem, s.keyTypes, nil)
		if err != nil {
			return -1, fmt.Errorf("join state: %w", err)
		}
		s.index = t
	}
	if cap(s.ids) < len(sel) {
		s.ids = make([]uint32, len(sel))
	}
	ids := s.ids[:len(sel)]
	s.index.Lookup(keys, sel, ids)
	if n := s.index.Len(); n > len(s.head) {
		s.head = append(s.head, make([]uint32, n-len(s.head))...)
		s.keyLive = append(s.keyLive, make([]int32, n-len(s.keyLive))...)
		if s.ttl > 0 {
			s.seen = append(s.seen, make([]int64, n-len(s.seen))...)
			s.queued = append(s.queued, make([]bool, n-len(s.queued))...)
		}
	}

	n := int(rec.NumRows())
	r := &joinRec{rec: rec, seq: s.nextSeq, slots: make([]uint32, n), live: len(sel), bytes: recordBytes(rec)}
	s.nextSeq++
	if s.sp != nil {
		r.lastUse = s.sp.tick
	}
	for i := range r.slots {
		r.slots[i] = noSlot
	}
	rec.Retain()
	var ri int32
	if k := len(s.freeRecs); k > 0 {
		ri, s.freeRecs = s.freeRecs[k-1], s.freeRecs[:k-1]
		s.recs[ri] = r
	} else {
		ri = int32(len(s.recs))
		s.recs = append(s.recs, r)
	}
	s.recBytes += r.bytes

	for k, row := range sel {
		slot := s.allocSlot()
		id := ids[k]
		r.slots[row] = slot
		s.sRec[slot], s.sRow[slot], s.sKey[slot] = ri, row, id
		s.sMatched[slot] = matched != nil && matched[k]
		if times != nil {
			s.sTime[slot] = times[row]
		}
		h := s.head[id]
		s.sNext[slot], s.sPrev[slot] = h, 0
		if h != 0 {
			s.sPrev[h-1] = slot + 1
		}
		s.head[id] = slot + 1
		if s.keyLive[id] == 0 {
			s.liveKeys++
		}
		s.keyLive[id]++
	}
	s.live += int64(len(sel))
	if s.ttl > 0 {
		s.touch(ids, now)
	}
	if s.timed {
		r.byTime = slices.Clone(sel)
		if !slices.IsSortedFunc(r.byTime, func(a, b int32) int { return cmpTime(times, a, b) }) {
			slices.SortFunc(r.byTime, func(a, b int32) int { return cmpTime(times, a, b) })
		}
		heap.Push(&s.expiry, s.expiryEntry(ri))
	}
	return ri, nil
}

// cmpTime orders rows by time, then by row.
func cmpTime(times []int64, a, b int32) int {
	if times[a] != times[b] {
		if times[a] < times[b] {
			return -1
		}
		return 1
	}
	return int(a - b)
}

func (s *joinSide) allocSlot() uint32 {
	if k := len(s.freeSlots); k > 0 {
		slot := s.freeSlots[k-1]
		s.freeSlots = s.freeSlots[:k-1]
		return slot
	}
	s.sRec = append(s.sRec, 0)
	s.sRow = append(s.sRow, 0)
	s.sNext = append(s.sNext, 0)
	s.sPrev = append(s.sPrev, 0)
	s.sKey = append(s.sKey, 0)
	if s.timed {
		s.sTime = append(s.sTime, 0)
	}
	s.sMatched = append(s.sMatched, false)
	return uint32(len(s.sRec) - 1)
}

// find sets ids[k] to the key id of row sel[k], or agg.NotFound.
func (s *joinSide) find(keys []arrow.Array, sel []int32, ids []uint32) {
	if s.index == nil || s.live == 0 {
		for k := range ids {
			ids[k] = agg.NotFound
		}
		return
	}
	s.index.Find(keys, sel, ids)
}

// drop removes a stored row from its chain and its record. The record is
// released or compacted by the next settle.
func (s *joinSide) drop(slot uint32) {
	id := s.sKey[slot]
	p, nx := s.sPrev[slot], s.sNext[slot]
	if p != 0 {
		s.sNext[p-1] = nx
	} else {
		s.head[id] = nx
	}
	if nx != 0 {
		s.sPrev[nx-1] = p
	}
	s.keyLive[id]--
	if s.keyLive[id] == 0 {
		s.liveKeys--
	}
	ri := s.sRec[slot]
	r := s.recs[ri]
	r.slots[s.sRow[slot]] = noSlot
	r.live--
	if !r.dirty {
		r.dirty = true
		s.dirty = append(s.dirty, ri)
	}
	s.sRec[slot] = -1
	s.freeSlots = append(s.freeSlots, slot)
	s.live--
}

// expire drops, in order of time, every stored row whose time is below
// cutoff (every row when all is set), calling dropped for each before it
// goes. Call settle once the dropped rows' records are no longer read.
func (s *joinSide) expire(cutoff int64, all bool, dropped func(ri, row int32, matched bool)) {
	for s.expiry.Len() > 0 {
		top := s.expiry[0]
		if !all && top.time >= cutoff {
			return
		}
		heap.Pop(&s.expiry)
		r := s.recs[top.rec]
		for r.cursor < len(r.byTime) {
			row := r.byTime[r.cursor]
			slot := r.slots[row]
			if !all && s.sTime[slot] >= cutoff {
				break
			}
			dropped(top.rec, row, s.sMatched[slot])
			s.drop(slot)
			r.cursor++
		}
		if r.cursor < len(r.byTime) {
			heap.Push(&s.expiry, s.expiryEntry(top.rec))
		}
	}
}

func (s *joinSide) expiryEntry(ri int32) expiryEntry {
	r := s.recs[ri]
	return expiryEntry{time: s.sTime[r.slots[r.byTime[r.cursor]]], seq: r.seq, rec: ri}
}

// touch records that keys ids were seen at now, for the state TTL.
func (s *joinSide) touch(ids []uint32, now int64) {
	for _, id := range ids {
		if id == agg.NotFound {
			continue
		}
		s.seen[id] = now
		if !s.queued[id] {
			s.queued[id] = true
			heap.Push(&s.ttlq, ttlEntry{deadline: satAdd(now, s.ttl), key: id})
		}
	}
}

// expireTTL drops the rows of every key not seen since now - ttl.
func (s *joinSide) expireTTL(now int64) {
	for s.ttlq.Len() > 0 && s.ttlq[0].deadline <= now {
		e := heap.Pop(&s.ttlq).(ttlEntry)
		id := e.key
		s.queued[id] = false
		if s.keyLive[id] == 0 {
			continue
		}
		if d := satAdd(s.seen[id], s.ttl); d > now {
			s.queued[id] = true
			heap.Push(&s.ttlq, ttlEntry{deadline: d, key: id})
			continue
		}
		for s.head[id] != 0 {
			s.drop(s.head[id] - 1)
		}
	}
}

// settle releases the records whose rows are all dropped, rewrites those
// that are mostly dead, and rebuilds the key index when most of its keys
// have no rows; with no row left it gives back all the space.
func (s *joinSide) settle() error {
	if len(s.dirty) == 0 {
		return nil
	}
	for _, ri := range s.dirty {
		r := s.recs[ri]
		r.dirty = false
		switch n := len(r.slots); {
		case r.live == 0:
			// Not in the expiry heap: rows of a timed side are only
			// dropped by expire, which pops their record and pushes it
			// back only while it has rows.
			if r.rec != nil {
				r.rec.Release()
				s.recBytes -= r.bytes
			}
			s.recs[ri] = nil
			s.freeRecs = append(s.freeRecs, ri)
			if err := s.forget(r); err != nil {
				return err
			}
		case r.rec != nil && n-r.live >= compactMinDead && r.live*4 <= n:
			// (A spilled record is left as it is: only its slots are in
			// memory.)
			if err := s.compact(r); err != nil {
				return err
			}
		}
	}
	s.dirty = s.dirty[:0]
	if s.live == 0 {
		s.reset()
		return nil
	}
	if s.index.Len() >= rebuildMinKeys && s.liveKeys*2 < s.index.Len() {
		return s.rebuildIndex()
	}
	return nil
}

// compact rewrites a record with only its live rows, in their order.
func (s *joinSide) compact(r *joinRec) error {
	n := len(r.slots)
	rows := make([]int32, 0, r.live)
	newRow := make([]int32, n)
	for i, slot := range r.slots {
		newRow[i] = -1
		if slot != noSlot {
			newRow[i] = int32(len(rows))
			rows = append(rows, int32(i))
		}
	}
	rec, err := takeRows(s.mem, r.rec, rows)
	if err != nil {
		return fmt.Errorf("join state: %w", err)
	}
	slots := make([]uint32, len(rows))
	for j, i := range rows {
		slot := r.slots[i]
		slots[j] = slot
		s.sRow[slot] = int32(j)
	}
	if r.byTime != nil {
		byTime := make([]int32, 0, r.live)
		for _, i := range r.byTime[r.cursor:] {
			byTime = append(byTime, newRow[i])
		}
		r.byTime, r.cursor = byTime, 0
	}
	r.rec.Release()
	s.recBytes -= r.bytes
	r.rec, r.slots, r.bytes = rec, slots, recordBytes(rec)
	s.recBytes += r.bytes
	s.compactions++
	return s.forget(r)
}

// rebuildIndex makes a new key index of the keys that have rows.
func (s *joinSide) rebuildIndex() error {
	var keep []uint32
	for id, n := range s.keyLive {
		if n > 0 {
			keep = append(keep, uint32(id))
		}
	}
	keys, _, err := s.index.Results(keep)
	if err != nil {
		return fmt.Errorf("join state: rebuild key index: %w", err)
	}
	defer releaseAll(keys)
	t, err := agg.NewTable(s.mem, s.keyTypes, nil)
	if err != nil {
		return fmt.Errorf("join state: %w", err)
	}
	ids := make([]uint32, len(keep))
	t.Lookup(keys, nil, ids)
	remap := make([]uint32, len(s.keyLive))
	for j, old := range keep {
		if ids[j] != uint32(j) {
			t.Release()
			return fmt.Errorf("join state: rebuilt key index gave key %d id %d", j, ids[j])
		}
		remap[old] = uint32(j)
	}
	head := make([]uint32, len(keep))
	keyLive := make([]int32, len(keep))
	for j, old := range keep {
		head[j], keyLive[j] = s.head[old], s.keyLive[old]
	}
	if s.seen != nil {
		seen := make([]int64, len(keep))
		for j, old := range keep {
			seen[j] = s.seen[old]
		}
		s.seen, s.queued = seen, make([]bool, len(keep))
		s.ttlq = s.ttlq[:0]
		for j := range keep {
			s.queued[j] = true
			s.ttlq = append(s.ttlq, ttlEntry{deadline: satAdd(seen[j], s.ttl), key: uint32(j)})
		}
		heap.Init(&s.ttlq)
	}
	for slot, ri := range s.sRec {
		if ri >= 0 {
			s.sKey[slot] = remap[s.sKey[slot]]
		}
	}
	s.index.Release()
	s.index, s.head, s.keyLive = t, head, keyLive
	s.rebuilds++
	return nil
}

// reset drops every row and gives back the space.
func (s *joinSide) reset() {
	for _, r := range s.recs {
		if r != nil && r.rec != nil {
			r.rec.Release()
		}
	}
	if s.index != nil {
		s.index.Release()
	}
	*s = joinSide{mem: s.mem, sp: s.sp, keyTypes: s.keyTypes, timed: s.timed, ttl: s.ttl, nextSeq: s.nextSeq,
		compactions: s.compactions, rebuilds: s.rebuilds}
}

// release frees everything; the side can still be used (as empty).
func (s *joinSide) release() { s.reset() }

// expiryEntry is a record in the expiry heap: the time of its earliest
// live row, ties broken by arrival.
type expiryEntry struct {
	time int64
	seq  uint64
	rec  int32
}

// recHeap is a min-heap of records by their earliest live row.
type recHeap []expiryEntry

func (h recHeap) Len() int { return len(h) }
func (h recHeap) Less(i, j int) bool {
	if h[i].time != h[j].time {
		return h[i].time < h[j].time
	}
	return h[i].seq < h[j].seq
}
func (h recHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *recHeap) Push(x any)   { *h = append(*h, x.(expiryEntry)) }
func (h *recHeap) Pop() any     { old := *h; x := old[len(old)-1]; *h = old[:len(old)-1]; return x }

// ttlEntry is a key in the TTL heap.
type ttlEntry struct {
	deadline int64
	key      uint32
}

type ttlHeap []ttlEntry

func (h ttlHeap) Len() int           { return len(h) }
func (h ttlHeap) Less(i, j int) bool { return h[i].deadline < h[j].deadline }
func (h ttlHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *ttlHeap) Push(x any)        { *h = append(*h, x.(ttlEntry)) }
func (h *ttlHeap) Pop() any          { old := *h; x := old[len(old)-1]; *h = old[:len(old)-1]; return x }

// satAdd is a + b, saturating at the int64 range.
func satAdd(a, b int64) int64 {
	c := a + b
	if (c > a) == (b > 0) {
		return c
	}
	if b > 0 {
		return WatermarkMax
	}
	return WatermarkMin
}
