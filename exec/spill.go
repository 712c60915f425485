package exec

import (
	byteorder "encoding/binary"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/state"
)

// Spilling: when the open windows of a windowed aggregate hold more memory
// than their budget, the largest window's groups are written to disk as a
// run, split by key hash into spillParts partitions, and the window goes
// on in a fresh table. When the window closes, each partition's runs are
// combined (agg.Table.MergeTable) and emitted in turn, so no more than
// about a partition's share of the window is in memory at once. This is
// the partial-aggregation spill of DataFusion and the grace hash
// aggregation of databases, with Badger as the disk.

// SpillStore is where operators spill state: a sorted key-value area.
type SpillStore interface {
	Put(key, value []byte) error
	// Scan calls fn with each key under prefix and its value, in key order.
	Scan(prefix []byte, fn func(key, value []byte) error) error
	DeletePrefix(prefix []byte) error
}

// SpillConfig gives a query's operators a memory budget for their state
// and somewhere to spill what exceeds it.
type SpillConfig struct {
	// Budget is the bytes of state the query's operators may hold in memory
	// together; 0 means no limit.
	Budget int64
	// Store returns the spill area, opened on first use.
	Store func() (SpillStore, error)
}

// Spiller is implemented by operators that can spill state.
type Spiller interface {
	// SetSpill gives the operator its share of the budget, the spill area
	// and the key prefix that is its own in it.
	SetSpill(budget int64, store func() (SpillStore, error), prefix []byte)
}

// ConfigureSpill shares cfg's budget among the plan's spilling operators.
// Each gets a key prefix from its position in the plan.
func ConfigureSpill(root Operator, cfg SpillConfig) {
	if cfg.Budget <= 0 || cfg.Store == nil {
		return
	}
	var spillers []Spiller
	var idx []int
	i := 0
	Walk(root, func(op Operator) {
		if s, ok := op.(Spiller); ok {
			spillers = append(spillers, s)
			idx = append(idx, i)
		}
		i++
	})
	for k, s := range spillers {
		s.SetSpill(cfg.Budget/int64(len(spillers)), cfg.Store, byteorder.BigEndian.AppendUint32(nil, uint32(idx[k])))
	}
}

// spillParts is the number of hash partitions of a spilled window.
const spillParts = 16

// spillState is a windowed aggregate's spilling.
type spillState struct {
	budget  int64
	open    func() (SpillStore, error)
	store   SpillStore
	prefix  []byte
	nextRun uint64
	// deferDeletes keeps the runs of emitted windows until the next
	// checkpoint commits (the last one may still need them); garbage
	// lists their key prefixes.
	deferDeletes bool
	garbage      [][]byte
	refused      bool  // a window could not spill (lateness, no key columns)
	runs, bytes  int64 // runs and bytes spilled
	cleaned      bool  // stale runs of an earlier run removed
	keepRuns     uint64
}

var _ Spiller = (*WindowAggregate)(nil)

// SetSpill implements Spiller.
func (w *WindowAggregate) SetSpill(budget int64, store func() (SpillStore, error), prefix []byte) {
	w.spill = &spillState{budget: budget, open: store, prefix: prefix}
}

// SpillStats is what an operator has spilled, and the most memory its
// state held.
type SpillStats struct {
	Runs, Bytes int64 // runs and bytes written to disk
	PeakState   int64 // the most memory the state held
}

// SpillReporter is implemented by operators that can spill.
type SpillReporter interface {
	SpillStats() SpillStats
}

// SpillStats implements SpillReporter.
func (w *WindowAggregate) SpillStats() SpillStats {
	st := SpillStats{PeakState: w.peak}
	if w.spill != nil {
		st.Runs, st.Bytes = w.spill.runs, w.spill.bytes
	}
	return st
}

// SpilledRuns is the number of runs the operator has written to disk.
func (w *WindowAggregate) SpilledRuns() int64 { return w.SpillStats().Runs }

// area opens the spill area on first use and removes the runs the
// operator's state does not own: those of an earlier run of the query, or
// written after the checkpoint it resumed from, or of windows emitted
// before it.
func (w *WindowAggregate) area() (SpillStore, error) {
	s := w.spill
	if s.store == nil {
		st, err := s.open()
		if err != nil {
			return nil, fmt.Errorf("open spill area: %w", err)
		}
		s.store = st
	}
	if !s.cleaned {
		s.cleaned = true
		var stale [][]byte
		err := s.store.Scan(s.prefix, func(k, _ []byte) error {
			p := len(s.prefix)
			if len(k) != p+8+4+8 || byteorder.BigEndian.Uint64(k[p+12:]) >= s.keepRuns {
				stale = append(stale, append([]byte(nil), k...))
				return nil
			}
			end := int64(byteorder.BigEndian.Uint64(k[p:p+8]) ^ (1 << 63))
			if ow := w.open[end]; ow == nil || !ow.spilled {
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

// windowKey is the prefix of a window's runs.
func (s *spillState) windowKey(end int64) []byte {
	return byteorder.BigEndian.AppendUint64(append([]byte(nil), s.prefix...), uint64(end)^(1<<63))
}

// maybeSpill spills the largest spillable window while the state is over
// budget.
func (w *WindowAggregate) maybeSpill() error {
	s := w.spill
	if s == nil || s.budget <= 0 {
		return nil
	}
	for w.StateBytes() > s.budget {
		var victim *openWindow
		var size int64
		for _, ow := range w.open {
			if ow.fired || w.win.Lateness > 0 || !ow.table.CanSaveGroups() || ow.table.Len() == 0 {
				continue
			}
			if b := ow.table.MemoryBytes(); b > size {
				victim, size = ow, b
			}
		}
		if victim == nil {
			s.refused = true
			return nil
		}
		if err := w.spillWindow(victim); err != nil {
			return err
		}
	}
	return nil
}

// spillWindow writes a window's groups as one run per partition and gives
// the window a fresh table.
func (w *WindowAggregate) spillWindow(ow *openWindow) error {
	s := w.spill
	store, err := w.area()
	if err != nil {
		return err
	}
	hashes, err := ow.table.KeyHashes()
	if err != nil {
		return err
	}
	var parts [spillParts][]uint32
	for g, h := range hashes {
		p := (h >> 32) % spillParts
		parts[p] = append(parts[p], uint32(g))
	}
	run := s.nextRun
	s.nextRun++
	for p, ids := range parts {
		if len(ids) == 0 {
			continue
		}
		e := state.NewEncoder(nil)
		if err := ow.table.SaveGroups(e, ids); err != nil {
			return err
		}
		key := byteorder.BigEndian.AppendUint32(s.windowKey(ow.end), uint32(p))
		key = byteorder.BigEndian.AppendUint64(key, run)
		if err := store.Put(key, e.Bytes()); err != nil {
			return fmt.Errorf("spill window state: %w", err)
		}
		s.bytes += int64(e.Len())
	}
	s.runs++
	fresh, err := ow.table.EmptyCopy()
	if err != nil {
		return err
	}
	ow.table.Release()
	ow.table = fresh
	ow.spilled = true
	return nil
}

// emitSpilled emits a window that has spilled: its in-memory groups are
// spilled too, then each partition's runs are combined and emitted.
func (w *WindowAggregate) emitSpilled(ow *openWindow) error {
	s := w.spill
	if ow.table.Len() > 0 {
		if err := w.spillWindow(ow); err != nil {
			return err
		}
	}
	store, err := w.area()
	if err != nil {
		return err
	}
	for p := 0; p < spillParts; p++ {
		final, err := ow.table.EmptyCopy()
		if err != nil {
			return err
		}
		prefix := byteorder.BigEndian.AppendUint32(s.windowKey(ow.end), uint32(p))
		err = store.Scan(prefix, func(_, v []byte) error {
			part, err := ow.table.EmptyCopy()
			if err != nil {
				return err
			}
			defer part.Release()
			if err := part.Load(state.NewDecoder(v)); err != nil {
				return fmt.Errorf("read spilled window state: %w", err)
			}
			return final.MergeTable(part)
		})
		if err == nil && final.Len() > 0 {
			var rec arrow.Record
			rec, err = w.emit(&openWindow{start: ow.start, end: ow.end, table: final})
			if rec != nil {
				w.pending = append(w.pending, BatchMessage(rec))
			}
		}
		final.Release()
		if err != nil {
			return err
		}
	}
	key := s.windowKey(ow.end)
	if s.deferDeletes {
		s.garbage = append(s.garbage, key)
		return nil
	}
	return store.DeletePrefix(key)
}

func (w *WindowAggregate) deferSpillDeletes() {
	if w.spill != nil {
		w.spill.deferDeletes = true
	}
}

// checkpointCommitted deletes the runs of windows emitted before the
// checkpoint: no checkpoint needs them any more.
func (w *WindowAggregate) checkpointCommitted() error {
	s := w.spill
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

// Spilling a cache of groups (an unwindowed GROUP BY, the accumulators
// of open sessions): its groups never close, and every batch
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

// groupSpill is the spilling of a table used as a cache of groups: a
// GroupAggregate's, or a SessionAggregate's accumulators.
type groupSpill struct {
	what string // the operator, for errors
	// live tells which groups of a table to write (nil: all).
	live    func(t *agg.Table, id uint32) bool
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
func (s *groupSpill) area() (SpillStore, error) {
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

// liveGroups lists t's groups that are live (s.live).
func (s *groupSpill) liveGroups(t *agg.Table, skip []bool) []uint32 {
	ids := make([]uint32, 0, t.Len())
	for id := range t.Len() {
		if skip != nil && skip[id] {
			continue
		}
		if s.live == nil || s.live(t, uint32(id)) {
			ids = append(ids, uint32(id))
		}
	}
	return ids
}

// writeRun writes the groups ids of t as a run of partition p.
func (s *groupSpill) writeRun(store SpillStore, t *agg.Table, p int, run uint64, ids []uint32) error {
	e := state.NewEncoder(nil)
	if err := t.SaveGroups(e, ids); err != nil {
		return err
	}
	if err := store.Put(s.runKey(p, run), e.Bytes()); err != nil {
		return fmt.Errorf("spill %s state: %w", s.what, err)
	}
	s.parts[p] = append(s.parts[p], run)
	s.bytes += int64(e.Len())
	s.runs++
	return nil
}

// spillCache writes every live group of the cache *tp as a run, split by
// key hash into partitions, and replaces the cache with an empty table. It
// reports whether it did; a table that cannot save its groups is left as
// it is (refused).
func (s *groupSpill) spillCache(tp **agg.Table) (bool, error) {
	t := *tp
	if !t.CanSaveGroups() {
		s.refused = true
		return false, nil
	}
	store, err := s.area()
	if err != nil {
		return false, err
	}
	hashes, err := t.KeyHashes()
	if err != nil {
		return false, err
	}
	var parts [spillParts][]uint32
	for _, id := range s.liveGroups(t, nil) {
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
		if err := s.writeRun(store, t, p, run, ids); err != nil {
			return false, err
		}
	}
	fresh, err := t.EmptyCopy()
	if err != nil {
		return false, err
	}
	t.Release()
	*tp = fresh
	return true, nil
}

// unspill moves into the cache t the spilled groups of the keys at rows
// sel (all n rows if sel is nil) that t lacks.
func (s *groupSpill) unspill(t *agg.Table, keys []arrow.Array, sel []int32, n int) error {
	if s == nil || !s.spilled() {
		return nil
	}
	if sel == nil {
		sel = make([]int32, n)
		for i := range sel {
			sel[i] = int32(i)
		}
	}
	found := make([]uint32, len(sel))
	t.Find(keys, sel, found)
	var miss []int32
	for j, id := range found {
		if id == agg.NotFound {
			miss = append(miss, sel[j])
		}
	}
	if len(miss) == 0 {
		return nil
	}
	// The missing keys' partitions, from their hashes in a scratch table.
	probe, err := t.EmptyCopy()
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
			if err := s.unspillPart(t, p, keys, sel); err != nil {
				return err
			}
		}
	}
	return nil
}

// unspillPart reads partition p's runs, moves the groups of the keys at
// rows sel into the cache t and writes the others back as one run.
func (s *groupSpill) unspillPart(t *agg.Table, p int, keys []arrow.Array, sel []int32) error {
	store, err := s.area()
	if err != nil {
		return err
	}
	s.loads++
	all, err := t.EmptyCopy()
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
		part, err := t.EmptyCopy()
		if err != nil {
			return err
		}
		defer part.Release()
		if err := part.Load(state.NewDecoder(v)); err != nil {
			return fmt.Errorf("read spilled %s state: %w", s.what, err)
		}
		return all.MergeTable(part)
	})
	if err != nil {
		return err
	}
	if read != len(live) {
		return fmt.Errorf("spilled %s state: %d of partition %d's %d runs are missing", s.what, len(live)-read, p, len(live))
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
	moved, err := t.EmptyCopy()
	if err != nil {
		return err
	}
	defer moved.Release()
	if err := moved.Load(state.NewDecoder(e.Bytes())); err != nil {
		return err
	}
	if err := t.MergeTable(moved); err != nil {
		return err
	}
	old := s.parts[p]
	s.parts[p] = nil
	rest := s.liveGroups(all, taken)
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
		if err := s.writeRun(store, all, p, run, rest); err != nil {
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

// dropAll drops every run: no more batch can need them.
func (s *groupSpill) dropAll() error {
	if s == nil || !s.spilled() && !s.restored {
		return nil
	}
	if _, err := s.area(); err != nil {
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

// committed deletes the runs replaced before a checkpoint that has
// committed: no checkpoint needs them any more.
func (s *groupSpill) committed() error {
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

// saveSpill writes a cache spill's part of a checkpoint (s may be nil):
// the next run number and the live runs.
func saveSpill(s *groupSpill, e *state.Encoder) {
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

// restoreSpill reads what saveSpill wrote into s (which may be nil when
// no budget is configured); what names the operator in errors.
func restoreSpill(s *groupSpill, d *state.Decoder, what string) error {
	next := d.Uvarint()
	n := d.Count(2)
	if n > 0 && s == nil {
		return fmt.Errorf("%s: the checkpoint has spilled groups, but no spill area is configured", what)
	}
	for i := 0; i < n && d.Err() == nil; i++ {
		p, r := d.Uvarint(), d.Uvarint()
		if p >= spillParts || r >= next {
			d.Fail("spilled run %d of partition %d (next run %d)", r, p, next)
			break
		}
		s.parts[p] = append(s.parts[p], r)
	}
	if s != nil {
		s.nextRun, s.restored = next, true
	}
	return d.Err()
}
