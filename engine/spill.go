package engine

import (
	"fmt"
	"os"

	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/state"
)

// DefaultStateMemory is the memory budget of a query's state unless set:
// a quarter of the machine's memory (2 GiB where it cannot be read).
func DefaultStateMemory() int64 {
	if total := totalMemory(); total > 0 {
		return total / 4
	}
	return 2 << 30
}

// spillConfig gives a query its state budget and spill area: the state
// directory's with durable state, else a temporary Badger directory opened
// on first use; cleanup closes and removes that one.
func (s *Session) spillConfig(ns string) (exec.SpillConfig, func()) {
	budget := s.opts.StateMemory
	if budget == 0 {
		budget = DefaultStateMemory()
	}
	if budget < 0 {
		return exec.SpillConfig{}, func() {}
	}
	if s.opts.State != nil {
		st := s.opts.State.Store
		return exec.SpillConfig{Budget: budget, Store: func() (exec.SpillStore, error) { return st.Spill(ns), nil }}, func() {}
	}
	var tmp *state.Store
	var dir string
	open := func() (exec.SpillStore, error) {
		if tmp == nil {
			d, err := os.MkdirTemp("", "weir-spill-")
			if err != nil {
				return nil, fmt.Errorf("spill: %w", err)
			}
			st, err := state.Open(d)
			if err != nil {
				os.RemoveAll(d)
				return nil, fmt.Errorf("spill: %w", err)
			}
			tmp, dir = st, d
		}
		return tmp.Spill(ns), nil
	}
	return exec.SpillConfig{Budget: budget, Store: open}, func() {
		if tmp != nil {
			tmp.Close()
			os.RemoveAll(dir)
		}
	}
}

// reportSpill says on stderr what the query spilled.
func (s *Session) reportSpill(op exec.Operator, where string) {
	var runs, bytes int64
	s.peakState = 0
	exec.Walk(op, func(o exec.Operator) {
		if r, ok := o.(exec.SpillReporter); ok {
			st := r.SpillStats()
			runs, bytes, s.peakState = runs+st.Runs, bytes+st.Bytes, s.peakState+st.PeakState
		}
	})
	if runs > 0 {
		fmt.Fprintf(s.opts.Stderr, "weir: %s: state over its memory budget: spilled %d run(s), %.1f MB, to disk\n", where, runs, float64(bytes)/(1<<20))
	}
}
