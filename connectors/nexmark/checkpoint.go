package nexmark

import (
	"fmt"
	"time"

	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/state"
)

var _ exec.CheckpointedSource = (*Source)(nil)

const positionVersion = 1

// Position implements exec.CheckpointedSource: the next event number of
// every split and the events it holds back. Generation is deterministic,
// so this is all a restart needs to go on with the same events.
func (s *Source) Position() ([]byte, error) {
	e := state.NewEncoder(nil)
	e.Uvarint(positionVersion)
	e.Count(len(s.splits))
	e.Count(s.cur)
	e.Varint(s.rows.Load())
	for _, sp := range s.splits {
		e.Varint(sp.next)
		e.Bool(sp.ended)
		state.PutSlice(e, sp.late)
	}
	return e.Bytes(), nil
}

// Restore implements exec.CheckpointedSource. With pacing, the wall clock
// is set so that the restored position is due now.
func (s *Source) Restore(pos []byte) error {
	d := state.NewDecoder(pos)
	if v := d.Uvarint(); v != positionVersion && d.Err() == nil {
		return fmt.Errorf("nexmark source %q: position version %d, want %d", s.name, v, positionVersion)
	}
	n := d.Count(1)
	if d.Err() == nil && n != len(s.splits) {
		return fmt.Errorf("nexmark source %q: the checkpoint has %d splits, the source %d ('nexmark.splits' changed?)", s.name, n, len(s.splits))
	}
	cur, rows := int(d.Uvarint()), d.Varint()
	splits := make([]split, n)
	for i := range splits {
		splits[i] = split{next: d.Varint(), ended: d.Bool(), late: state.Slice[lateEvent](d)}
	}
	if err := d.Err(); err != nil {
		return fmt.Errorf("nexmark source %q: %w", s.name, err)
	}
	if cur < 0 || cur >= max(n, 1) {
		return fmt.Errorf("nexmark source %q: %w: split %d of %d", s.name, state.ErrCorrupt, cur, n)
	}
	s.splits, s.cur = splits, cur
	s.rows.Store(rows)
	if s.opts.pacing && s.opts.rate > 0 {
		first := s.end
		for _, sp := range splits {
			if !sp.ended {
				first = min(first, sp.next)
			}
		}
		s.opened = true
		s.start = time.Now().Add(-time.Duration(float64(first) / float64(s.opts.rate) * float64(time.Second)))
	}
	return nil
}
