package exec

import (
	byteorder "encoding/binary"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/state"
)

// Spilling an unwindowed GROUP BY: its groups never close, and every batch
// must emit the previous row of each group it changes, so spilled groups
// are read back on demand. The in-memory table is a cache: when it holds
// more than the budget, all its groups are written as a run, split by key
// hash into spillParts partitions, and the cache starts empty. Before a
// batch is folded in, its keys the cache lacks are looked for in the runs
// of their partitions: each such partition's runs are combined, the groups
// the batch needs are moved into the cache, and the rest is written back
// as one new run, replacing the partition's runs. A key is so held in the
// cache or in one run, never both. Runs are never changed: the replaced
// ones are deleted, once the next checkpoint has committed when the query
// takes checkpoints (the last one may still refer to them).

// groupSpill is a GroupAggregate's spilling.
type groupSpill struct {
	budget  int64
	open    func() (SpillStore, error)
	store   SpillStore
	prefix  []byte
	nextRun uint64
	// parts lists each partition's live runs (their numbers); filters
	// tell which keys may be in them.
	parts        [spillParts][]uint64
	filters      [spillParts]keyFilter
	deferDeletes bool
	garbage      [][]byte // run keys to delete when a checkpoint commits
	cleaned      bool     // runs the state does not own removed
	restored     bool     // restored from a checkpoint
	refused      bool     // the table cannot spill (no key columns)
	runs, bytes  int64    // runs and bytes written
	loads        int64    // partitions read back
}

var (
	_ Spiller            = (*GroupAggregate)(nil)
	_ checkpointListener = (*GroupAggregate)(nil)
)

// SetSpill implements Spiller.
func (g *GroupAggregate) SetSpill(budget int64, store func() (SpillStore, error), prefix []byte) {
	g.spill = &groupSpill{budget: budget, open: store, prefix: prefix}
}

// SpillStats implements SpillReporter; its runs include those rewritten
// after groups were read back.
func (g *GroupAggregate) SpillStats() SpillStats {
	st := SpillStats{PeakState: g.peak}
	if g.spill != nil {
		st.Runs, st.Bytes = g.spill.runs, g.spill.bytes
	}
	return st
}

// SpilledRuns is the number of runs the operator has written to disk.
func (g *GroupAggregate) SpilledRuns() int64 { return g.SpillStats().Runs }

// SpillLoads is the number of times a partition's runs were read back.
func (g *GroupAggregate) SpillLoads() int64 {
	if g.spill == nil {
		return 0
	}
	return g.spill.loads
}

// StateBytes estimates the memory the in-memory groups hold.
func (g *GroupAggregate) StateBytes() int64 {
	if g.table == nil {
		return 0
	}
	return g.table.MemoryBytes()
}

// PeakStateBytes is the most memory the groups have held (after a batch,
// before any spill it caused).
func (g *GroupAggregate) PeakStateBytes() int64 { return g.peak }

// keyFilter is a Bloom filter of the key hashes of a partition's spilled
// groups, so that a batch's new keys do not make the partition be read: 10
// bits a key at capacity, 5 probes (about 1 % false positives). A filter
// that is not valid (after a restore, or filled past its capacity) says
// every key may be there, until the partition is read again and the
// filter rebuilt from its groups.
type keyFilter struct {
	bits  []uint64
	n     int
	cap   int
	valid bool
}

const filterProbes = 5

// filterMinCap is the fewest keys a filter has room for (a variable for
// tests, which make filters overflow).
var filterMinCap = 512

// newKeyFilter returns a filter of the hashes with room for twice as many.
func newKeyFilter(hashes []uint64) keyFilter {
	c := max(2*len(hashes), filterMinCap)
	f := keyFilter{bits: make([]uint64, (c*10+63)/64), cap: c, valid: true}
	for _, h := range hashes {
		f.add(h)
	}
	return f
}

func (f *keyFilter) probes(h uint64) (uint64, uint64, uint64) {
	x := h * 0x9e3779b97f4a7c15
	x ^= x >> 29
	m := uint64(len(f.bits)) * 64
	return uint64(uint32(x)), uint64(uint32(x>>32)) | 1, m
}

func (f *keyFilter) add(h uint64) {
	if !f.valid {
		return
	}
	if f.n >= f.cap {
		*f = keyFilter{}
		return
	}
	f.n++
	a, b, m := f.probes(h)
	for i := range uint64(filterProbes) {
		p := (a + i*b) % m
		f.bits[p/64] |= 1 << (p % 64)
	}
}

// mayHold reports whether the key of hash h may be in the partition.
func (f *keyFilter) mayHold(h uint64) bool {
	if !f.valid {
		return true
	}
	a, b, m := f.probes(h)
	for i := range uint64(filterProbes) {
		p := (a + i*b) % m
		if f.bits[p/64]&(1<<(p%64)) == 0 {
			return false
		}
	}
	return true
}

// runKey is the key of partition p's run.
func (s *groupSpill) runKey(p int, run uint64) []byte {
	k := byteorder.BigEndian.AppendUint32(append([]byte(nil), s.prefix...), uint32(p))
	return byteorder.BigEndian.AppendUint64(k, run)
}

// spilled reports whether any partition has runs.
func (s *groupSpill) spilled() bool {
	for _, rs := range s.parts {
		if len(rs) > 0 {
			return true
		}
	}
	return false
}

// area opens the spill area on first use and removes the runs the state
// does not own: those of an earlier run of the query, written after the
// checkpoint it resumed from, or replaced before it.
func (g *GroupAggregate) area() (SpillStore, error) {
	s := g.spill
	if s.store == nil {
		st, err := s.open()
		if err != nil {
			return nil, fmt.Errorf("open spill area: %w", err)
		}
		s.store = st
	}
	if !s.cleaned {
		s.cleaned = true
		live := map[string]bool{}
		for p, rs := range s.parts {
			for _, r := range rs {
				live[string(s.runKey(p, r))] = true
			}
		}
		var stale [][]byte
		err := s.store.Scan(s.prefix, func(k, _ []byte) error {
			if !live[string(k)] {
				stale = append(stale, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, k := range stale {
			if err := s.store.DeletePrefix(k); err != nil {
				return nil, err
			}
		}
	}
	return s.store, nil
}

// drop deletes a run, or defers it to the next committed checkpoint.
func (s *groupSpill) drop(key []byte) error {
	if s.deferDeletes {
		s.garbage = append(s.garbage, key)
		return nil
	}
	return s.store.DeletePrefix(key)
}

// liveGroups lists t's groups that hold rows.
func (g *GroupAggregate) liveGroups(t *agg.Table, skip []bool) []uint32 {
	ids := make([]uint32, 0, t.Len())
	for id := range t.Len() {
		if skip != nil && skip[id] {
			continue
		}
		if !g.retract || t.RowCount(uint32(id)) > 0 {
			ids = append(ids, uint32(id))
		}
	}
	return ids
}

// writeRun writes the groups ids of t as a run of partition p.
func (g *GroupAggregate) writeRun(store SpillStore, t *agg.Table, p int, run uint64, ids []uint32) error {
	s := g.spill
	e := state.NewEncoder(nil)
	if err := t.SaveGroups(e, ids); err != nil {
		return err
	}
	if err := store.Put(s.runKey(p, run), e.Bytes()); err != nil {
		return fmt.Errorf("spill group state: %w", err)
	}
	s.parts[p] = append(s.parts[p], run)
	s.bytes += int64(e.Len())
	s.runs++
	return nil
}

// maybeSpill writes every cached group to disk when the cache is over
// budget, and starts an empty cache.
func (g *GroupAggregate) maybeSpill() error {
	s := g.spill
	if g.table != nil {
		g.peak = max(g.peak, g.table.MemoryBytes())
	}
	if s == nil || s.budget <= 0 || g.table.Len() == 0 || g.table.MemoryBytes() <= s.budget {
		return nil
	}
	if !g.table.CanSaveGroups() {
		s.refused = true
		return nil
	}
	store, err := g.area()
	if err != nil {
		return err
	}
	hashes, err := g.table.KeyHashes()
	if err != nil {
		return err
	}
	var parts [spillParts][]uint32
	for _, id := range g.liveGroups(g.table, nil) {
		p := (hashes[id] >> 32) % spillParts
		parts[p] = append(parts[p], id)
	}
	run := s.nextRun
	s.nextRun++
	for p, ids := range parts {
		if len(ids) == 0 {
			continue
		}
		if len(s.parts[p]) == 0 {
			s.filters[p] = newKeyFilter(nil)
		}
		for _, id := range ids {
			s.filters[p].add(hashes[id])
		}
		if err := g.writeRun(store, g.table, p, run, ids); err != nil {
			return err
		}
	}
	fresh, err := g.table.EmptyCopy()
	if err != nil {
		return err
	}
	g.table.Release()
	g.table = fresh
	g.stamp = g.stamp[:0]
	return nil
}

// unspill moves into the cache the spilled groups of the batch's keys
// (the key columns of its n rows) that the cache lacks.
func (g *GroupAggregate) unspill(keys []arrow.Array, n int) error {
	s := g.spill
	if s == nil || !s.spilled() {
		return nil
	}
	found := make([]uint32, n)
	g.table.Find(keys, nil, found)
	var miss []int32
	for i, id := range found {
		if id == agg.NotFound {
			miss = append(miss, int32(i))
		}
	}
	if len(miss) == 0 {
		return nil
	}
	// The missing keys' partitions, from their hashes in a scratch table.
	probe, err := g.table.EmptyCopy()
	if err != nil {
		return err
	}
	defer probe.Release()
	pids := make([]uint32, len(miss))
	probe.Lookup(keys, miss, pids)
	hashes, err := probe.KeyHashes()
	if err != nil {
		return err
	}
	var sels [spillParts][]int32
	for k, r := range miss {
		h := hashes[pids[k]]
		p := (h >> 32) % spillParts
		if len(s.parts[p]) > 0 && s.filters[p].mayHold(h) {
			sels[p] = append(sels[p], r)
		}
	}
	for p, sel := range sels {
		if len(sel) > 0 {
			if err := g.unspillPart(p, keys, sel); err != nil {
				return err
			}
		}
	}
	return nil
}

// unspillPart reads partition p's runs, moves the groups of the keys at
// rows sel into the cache and writes the others back as one run.
func (g *GroupAggregate) unspillPart(p int, keys []arrow.Array, sel []int32) error {
	s := g.spill
	store, err := g.area()
	if err != nil {
		return err
	}
	s.loads++
	all, err := g.table.EmptyCopy()
	if err != nil {
		return err
	}
	defer all.Release()
	live := map[string]bool{}
	for _, r := range s.parts[p] {
		live[string(s.runKey(p, r))] = true
	}
	prefix := byteorder.BigEndian.AppendUint32(append([]byte(nil), s.prefix...), uint32(p))
	read := 0
	err = store.Scan(prefix, func(k, v []byte) error {
		if !live[string(k)] {
			return nil // replaced, awaiting a checkpoint to be deleted
		}
		read++
		part, err := g.table.EmptyCopy()
		if err != nil {
			return err
		}
		defer part.Release()
		if err := part.Load(state.NewDecoder(v)); err != nil {
			return fmt.Errorf("read spilled group state: %w", err)
		}
		return all.MergeTable(part)
	})
	if err != nil {
		return err
	}
	if read != len(live) {
		return fmt.Errorf("spilled group state: %d of partition %d's %d runs are missing", len(live)-read, p, len(live))
	}
	ids := make([]uint32, len(sel))
	all.Find(keys, sel, ids)
	taken := make([]bool, all.Len())
	var take []uint32
	for _, id := range ids {
		if id != agg.NotFound && !taken[id] {
			taken[id] = true
			take = append(take, id)
		}
	}
	if len(take) == 0 {
		if !s.filters[p].valid { // rebuild it
			hashes, err := all.KeyHashes()
			if err != nil {
				return err
			}
			s.filters[p] = newKeyFilter(hashes)
		}
		return nil
	}
	e := state.NewEncoder(nil)
	if err := all.SaveGroups(e, take); err != nil {
		return err
	}
	moved, err := g.table.EmptyCopy()
	if err != nil {
		return err
	}
	defer moved.Release()
	if err := moved.Load(state.NewDecoder(e.Bytes())); err != nil {
		return err
	}
	if err := g.table.MergeTable(moved); err != nil {
		return err
	}
	old := s.parts[p]
	s.parts[p] = nil
	rest := g.liveGroups(all, taken)
	hashes, err := all.KeyHashes()
	if err != nil {
		return err
	}
	rh := make([]uint64, len(rest))
	for i, id := range rest {
		rh[i] = hashes[id]
	}
	s.filters[p] = newKeyFilter(rh)
	if len(rest) > 0 {
		run := s.nextRun
		s.nextRun++
		if err := g.writeRun(store, all, p, run, rest); err != nil {
			return err
		}
	}
	for _, r := range old {
		if err := s.drop(s.runKey(p, r)); err != nil {
			return err
		}
	}
	return nil
}

// dropSpilled drops every run at the end of the input: no more batch can
// need them.
func (g *GroupAggregate) dropSpilled() error {
	s := g.spill
	if s == nil || !s.spilled() && !s.restored {
		return nil
	}
	if _, err := g.area(); err != nil {
		return err
	}
	for p, rs := range s.parts {
		for _, r := range rs {
			if err := s.drop(s.runKey(p, r)); err != nil {
				return err
			}
		}
		s.parts[p] = nil
		s.filters[p] = keyFilter{}
	}
	return nil
}

func (g *GroupAggregate) deferSpillDeletes() {
	if g.spill != nil {
		g.spill.deferDeletes = true
	}
}

// checkpointCommitted deletes the runs replaced before the checkpoint: no
// checkpoint needs them any more.
func (g *GroupAggregate) checkpointCommitted() error {
	s := g.spill
	if s == nil || s.store == nil {
		return nil
	}
	for _, k := range s.garbage {
		if err := s.store.DeletePrefix(k); err != nil {
			return err
		}
	}
	s.garbage = s.garbage[:0]
	return nil
}

// saveSpill writes the spill's part of a checkpoint: the next run number
// and the live runs.
func (g *GroupAggregate) saveSpill(e *state.Encoder) {
	s := g.spill
	if s == nil {
		e.Uvarint(0)
		e.Count(0)
		return
	}
	e.Uvarint(s.nextRun)
	n := 0
	for _, rs := range s.parts {
		n += len(rs)
	}
	e.Count(n)
	for p, rs := range s.parts {
		for _, r := range rs {
			e.Uvarint(uint64(p))
			e.Uvarint(r)
		}
	}
}

// restoreSpill reads what saveSpill wrote.
func (g *GroupAggregate) restoreSpill(d *state.Decoder) error {
	next := d.Uvarint()
	n := d.Count(2)
	if n > 0 && g.spill == nil {
		return fmt.Errorf("group aggregate: the checkpoint has spilled groups, but no spill area is configured")
	}
	for i := 0; i < n && d.Err() == nil; i++ {
		p, r := d.Uvarint(), d.Uvarint()
		if p >= spillParts || r >= next {
			d.Fail("spilled run %d of partition %d (next run %d)", r, p, next)
			break
		}
		g.spill.parts[p] = append(g.spill.parts[p], r)
	}
	if g.spill != nil {
		g.spill.nextRun, g.spill.restored = next, true
	}
	return d.Err()
}
