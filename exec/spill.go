package exec

import (
	byteorder "encoding/binary"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"

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
