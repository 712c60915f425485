package exec

import (
	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/state"
)

var (
	_ Spiller            = (*GroupAggregate)(nil)
	_ checkpointListener = (*GroupAggregate)(nil)
)

// SetSpill implements Spiller.
func (g *GroupAggregate) SetSpill(budget int64, store func() (SpillStore, error), prefix []byte) {
	g.spill = &groupSpill{what: "group", budget: budget, open: store, prefix: prefix,
		live: func(t *agg.Table, id uint32) bool { return !g.retract || t.RowCount(id) > 0 }}
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
	spilled, err := s.spillCache(&g.table)
	if spilled {
		g.stamp = g.stamp[:0]
	}
	return err
}

// unspill moves into the cache the spilled groups of the batch's keys
// (the key columns of its n rows) that the cache lacks.
func (g *GroupAggregate) unspill(keys []arrow.Array, n int) error {
	return g.spill.unspill(g.table, keys, nil, n)
}

// dropSpilled drops every run at the end of the input: no more batch can
// need them.
func (g *GroupAggregate) dropSpilled() error { return g.spill.dropAll() }

func (g *GroupAggregate) deferSpillDeletes() {
	if g.spill != nil {
		g.spill.deferDeletes = true
	}
}

// checkpointCommitted deletes the runs replaced before the checkpoint: no
// checkpoint needs them any more.
func (g *GroupAggregate) checkpointCommitted() error { return g.spill.committed() }

// saveSpill writes the spill's part of a checkpoint: the next run number
// and the live runs.
func (g *GroupAggregate) saveSpill(e *state.Encoder) { saveSpill(g.spill, e) }

// restoreSpill reads what saveSpill wrote.
func (g *GroupAggregate) restoreSpill(d *state.Decoder) error {
	return restoreSpill(g.spill, d, "group aggregate")
}
