package exec

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/exec/agg"
)

// Spilling session windows: the accumulator table (group keys + session
// id) is a cache of groups, spilled as an unwindowed GROUP BY's is
// (groupSpill, spill.go): over the budget, its live groups are written as
// a run, split by key hash into partitions, and the cache starts empty. A
// session's group is read back when a batch adds rows to it, when it is
// merged with another session, and when it closes. The sessions' metadata
// (bounds, the end heap) stays in memory. Groups of sessions merged away
// or emitted are dead and never written, so the runs hold open sessions
// only and are empty once no session is open.

var (
	_ Spiller            = (*SessionAggregate)(nil)
	_ SpillReporter      = (*SessionAggregate)(nil)
	_ checkpointListener = (*SessionAggregate)(nil)
)

// SetSpill implements Spiller.
func (s *SessionAggregate) SetSpill(budget int64, store func() (SpillStore, error), prefix []byte) {
	s.spill = &groupSpill{what: "session", budget: budget, open: store, prefix: prefix,
		live: func(t *agg.Table, id uint32) bool {
			return t != s.accTable || int(id) >= len(s.dead) || !s.dead[id]
		}}
}

// SpillStats implements SpillReporter; its runs include those rewritten
// after groups were read back.
func (s *SessionAggregate) SpillStats() SpillStats {
	st := SpillStats{PeakState: s.peak}
	if s.spill != nil {
		st.Runs, st.Bytes = s.spill.runs, s.spill.bytes
	}
	return st
}

// SpilledRuns is the number of runs the operator has written to disk.
func (s *SessionAggregate) SpilledRuns() int64 { return s.SpillStats().Runs }

// SpillLoads is the number of times a partition's runs were read back.
func (s *SessionAggregate) SpillLoads() int64 {
	if s.spill == nil {
		return 0
	}
	return s.spill.loads
}

// growDead sizes dead to the accumulator table.
func (s *SessionAggregate) growDead() {
	for len(s.dead) < s.accTable.Len() {
		s.dead = append(s.dead, false)
	}
}

// sessionGroup returns the accumulator group of session sid of the keys
// at row of keys, read back from disk if spilled (agg.NotFound if none).
func (s *SessionAggregate) sessionGroup(keys []arrow.Array, row int32, sid int64) (uint32, error) {
	cols := make([]arrow.Array, 0, len(keys)+1)
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, k := range keys {
		cols = append(cols, array.NewSlice(k, int64(row), int64(row)+1))
	}
	b := array.NewInt64Builder(s.ec.Mem)
	b.Append(sid)
	cols = append(cols, b.NewArray())
	b.Release()
	if err := s.spill.unspill(s.accTable, cols, nil, 1); err != nil {
		return 0, err
	}
	s.growDead()
	g := make([]uint32, 1)
	s.accTable.Find(cols, nil, g)
	return g[0], nil
}

// closingGroups returns the accumulator groups of closing sessions, read
// back from disk if spilled.
func (s *SessionAggregate) closingGroups(closing []*session) ([]uint32, error) {
	groups := make([]uint32, len(closing))
	kids := make([]uint32, len(closing))
	sids := make([]int64, len(closing))
	for i, ss := range closing {
		kids[i], sids[i] = ss.key, ss.id
	}
	keys, _, err := s.keyTable.Results(kids)
	if err != nil {
		return nil, err
	}
	b := array.NewInt64Builder(s.ec.Mem)
	b.AppendValues(sids, nil)
	keys = append(keys, b.NewArray())
	b.Release()
	defer func() {
		for _, k := range keys {
			k.Release()
		}
	}()
	if err := s.spill.unspill(s.accTable, keys, nil, len(closing)); err != nil {
		return nil, err
	}
	s.growDead()
	s.accTable.Find(keys, nil, groups)
	for i, g := range groups {
		if g == agg.NotFound {
			return nil, fmt.Errorf("session aggregate: the state of session %d is missing", closing[i].id)
		}
	}
	return groups, nil
}

// maybeSpill writes the accumulators of the open sessions to disk when
// they are over budget, and starts an empty cache.
func (s *SessionAggregate) maybeSpill() error {
	s.peak = max(s.peak, s.accTable.MemoryBytes())
	sp := s.spill
	if sp == nil || sp.budget <= 0 || s.accTable.Len() == 0 || s.accTable.MemoryBytes() <= sp.budget {
		return nil
	}
	spilled, err := sp.spillCache(&s.accTable)
	if spilled {
		s.dead = s.dead[:0]
	}
	return err
}

func (s *SessionAggregate) deferSpillDeletes() {
	if s.spill != nil {
		s.spill.deferDeletes = true
	}
}

// checkpointCommitted deletes the runs replaced before the checkpoint: no
// checkpoint needs them any more.
func (s *SessionAggregate) checkpointCommitted() error { return s.spill.committed() }
