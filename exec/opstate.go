package exec

// SaveState and RestoreState of the stateful operators (see Stateful).

import (
	"container/heap"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/sqltypes"
	"github.com/weirsql/weir/state"
)

// Stateful is implemented by operators that keep state from one message to
// the next, so that a checkpoint can save it and a restart restore it.
type Stateful interface {
	// SaveState writes the operator's state. The runtime calls it when a
	// barrier has come out of the plan: the operator has handled everything
	// before the barrier and nothing after it, and has no output waiting.
	SaveState(e *state.Encoder) error
	// RestoreState reads what SaveState wrote, in a new operator of the
	// same plan. It is called once, before Open.
	RestoreState(d *state.Decoder) error
}

var (
	_ Stateful = (*Scan)(nil)
	_ Stateful = (*WindowAggregate)(nil)
	_ Stateful = (*SessionAggregate)(nil)
	_ Stateful = (*GroupAggregate)(nil)
	_ Stateful = (*Sort)(nil)
	_ Stateful = (*Limit)(nil)
	_ Stateful = (*Values)(nil)
)

// errPendingAtBarrier reports a broken invariant: an operator still held
// output when the barrier came out of the plan.
func errPendingAtBarrier(op string, n int) error {
	return fmt.Errorf("checkpoint: %s holds %d message(s) at a barrier", op, n)
}

// SaveState implements Stateful: the watermark state of every split and the
// source's read position.
func (s *Scan) SaveState(e *state.Encoder) error {
	if len(s.pending) > 0 {
		return errPendingAtBarrier("scan "+s.name, len(s.pending))
	}
	cs, ok := s.src.(CheckpointedSource)
	if !ok {
		return fmt.Errorf("checkpoint: source %s cannot save its read position", s.name)
	}
	pos, err := cs.Position()
	if err != nil {
		return fmt.Errorf("checkpoint: source %s: %w", s.name, err)
	}
	e.Blob(pos)
	state.PutSlice(e, s.splitMax)
	state.PutSlice(e, s.splitDone)
	e.Varint(s.emitted)
	e.Varint(s.rowsOut)
	e.Uvarint(s.barrier)
	return nil
}

// RestoreState implements Stateful; Open applies it.
func (s *Scan) RestoreState(d *state.Decoder) error {
	cs, ok := s.src.(CheckpointedSource)
	if !ok {
		return fmt.Errorf("restore: source %s cannot restore a read position", s.name)
	}
	pos := d.Blob()
	r := &scanRestore{splitMax: state.Slice[int64](d), splitDone: state.Slice[bool](d), emitted: d.Varint(), rowsOut: d.Varint()}
	s.barrier = d.Uvarint()
	if err := d.Err(); err != nil {
		return err
	}
	if len(r.splitMax) != len(r.splitDone) {
		d.Fail("scan %s: %d split maxima, %d split flags", s.name, len(r.splitMax), len(r.splitDone))
		return d.Err()
	}
	if err := cs.Restore(pos); err != nil {
		return fmt.Errorf("restore source %s: %w", s.name, err)
	}
	s.restored = r
	return nil
}

// scanRestore is a Scan's restored state, applied by Open.
type scanRestore struct {
	splitMax  []int64
	splitDone []bool
	emitted   int64
	rowsOut   int64
}

// SaveState implements Stateful: every open window with its table.
func (w *WindowAggregate) SaveState(e *state.Encoder) error {
	if len(w.pending) > 0 {
		return errPendingAtBarrier("window aggregate", len(w.pending))
	}
	e.Varint(w.watermark)
	e.Varint(w.late)
	e.Varint(w.nullTime)
	e.Bool(w.done)
	var nextRun uint64
	if w.spill != nil {
		nextRun = w.spill.nextRun
	}
	e.Uvarint(nextRun)
	e.Count(len(w.open))
	for _, ow := range w.open {
		e.Varint(ow.start)
		e.Varint(ow.end)
		e.Bool(ow.fired)
		e.Bool(ow.spilled)
		if err := ow.table.Save(e); err != nil {
			return fmt.Errorf("window aggregate: %w", err)
		}
	}
	return nil
}

// RestoreState implements Stateful.
func (w *WindowAggregate) RestoreState(d *state.Decoder) error {
	w.watermark, w.late, w.nullTime, w.done = d.Varint(), d.Varint(), d.Varint(), d.Bool()
	nextRun := d.Uvarint()
	if w.spill != nil {
		w.spill.nextRun, w.spill.keepRuns = nextRun, nextRun
	}
	n := d.Count(3)
	for i := 0; i < n && d.Err() == nil; i++ {
		start, end, fired, spilled := d.Varint(), d.Varint(), d.Bool(), d.Bool()
		if spilled && w.spill == nil {
			return fmt.Errorf("window aggregate: the checkpoint has spilled windows, but no spill area is configured")
		}
		t, err := agg.NewTable(w.ec.Mem, w.spec.keyTypes(), w.spec.Aggs)
		if err != nil {
			return err
		}
		if err := t.Load(d); err != nil {
			t.Release()
			return fmt.Errorf("window aggregate: %w", err)
		}
		if _, dup := w.open[end]; dup {
			t.Release()
			d.Fail("window ending %d twice", end)
			break
		}
		w.open[end] = &openWindow{start: start, end: end, table: t, fired: fired, spilled: spilled}
		if fired {
			heap.Push(&w.retained, end+w.win.Lateness)
		} else {
			heap.Push(&w.ends, end)
		}
	}
	return d.Err()
}

// SaveState implements Stateful: the open sessions of every key and the
// two tables.
func (s *SessionAggregate) SaveState(e *state.Encoder) error {
	if len(s.pending) > 0 {
		return errPendingAtBarrier("session aggregate", len(s.pending))
	}
	if err := s.openTables(); err != nil {
		return err
	}
	e.Varint(s.watermark)
	e.Varint(s.late)
	e.Varint(s.nullTime)
	e.Bool(s.done)
	e.Varint(s.nextID)
	if err := s.keyTable.Save(e); err != nil {
		return fmt.Errorf("session aggregate: %w", err)
	}
	if err := s.accTable.Save(e); err != nil {
		return fmt.Errorf("session aggregate: %w", err)
	}
	var dead []uint32
	for g, d := range s.dead {
		if d {
			dead = append(dead, uint32(g))
		}
	}
	e.Count(len(dead))
	for _, g := range dead {
		e.Uvarint(uint64(g))
	}
	saveSpill(s.spill, e)
	e.Count(len(s.byKey))
	for _, list := range s.byKey {
		alive := 0
		for _, ss := range list {
			if ss.alive {
				alive++
			}
		}
		e.Count(alive)
		for _, ss := range list {
			if ss.alive {
				e.Varint(ss.id)
				e.Varint(ss.start)
				e.Varint(ss.end)
				e.Bool(ss.hasRows)
			}
		}
	}
	return nil
}

// RestoreState implements Stateful.
func (s *SessionAggregate) RestoreState(d *state.Decoder) error {
	if err := s.openTables(); err != nil {
		return err
	}
	s.watermark, s.late, s.nullTime, s.done, s.nextID = d.Varint(), d.Varint(), d.Varint(), d.Bool(), d.Varint()
	if err := s.keyTable.Load(d); err != nil {
		return fmt.Errorf("session aggregate: %w", err)
	}
	if err := s.accTable.Load(d); err != nil {
		return fmt.Errorf("session aggregate: %w", err)
	}
	s.dead = make([]bool, s.accTable.Len())
	nd := d.Count(1)
	for i := 0; i < nd && d.Err() == nil; i++ {
		g := d.Uvarint()
		if g >= uint64(len(s.dead)) {
			d.Fail("dead session group %d of %d", g, len(s.dead))
			break
		}
		s.dead[g] = true
	}
	if err := restoreSpill(s.spill, d, "session aggregate"); err != nil {
		return err
	}
	keys := d.Count(1)
	if d.Err() == nil && keys != s.keyTable.Len() {
		d.Fail("sessions of %d keys, table of %d", keys, s.keyTable.Len())
	}
	s.byKey = make([][]*session, keys)
	for k := 0; k < keys && d.Err() == nil; k++ {
		n := d.Count(4)
		for j := 0; j < n && d.Err() == nil; j++ {
			ss := &session{id: d.Varint(), key: uint32(k), start: d.Varint(), end: d.Varint(), hasRows: d.Bool(), alive: true}
			s.byKey[k] = append(s.byKey[k], ss)
			s.sessions[ss.id] = ss
			heap.Push(&s.ends, sessionEnd{end: ss.end, id: ss.id})
		}
	}
	return d.Err()
}

// openTables makes the session tables unless Open or a restore did.
func (s *SessionAggregate) openTables() error {
	if s.keyTable != nil {
		return nil
	}
	var err error
	if s.keyTable, err = agg.NewTable(s.ec.Mem, s.spec.keyTypes(), nil); err != nil {
		return err
	}
	accKeys := append(s.spec.keyTypes(), sqltypes.BigInt)
	if s.accTable, err = agg.NewTable(s.ec.Mem, accKeys, s.spec.Aggs); err != nil {
		s.keyTable.Release()
		s.keyTable = nil
		return err
	}
	return nil
}

// SaveState implements Stateful: the table of every group.
func (g *GroupAggregate) SaveState(e *state.Encoder) error {
	if len(g.pending) > 0 {
		return errPendingAtBarrier("group aggregate", len(g.pending))
	}
	if err := g.openTable(); err != nil {
		return err
	}
	e.Bool(g.done)
	if err := g.table.Save(e); err != nil {
		return err
	}
	g.saveSpill(e)
	return nil
}

// RestoreState implements Stateful.
func (g *GroupAggregate) RestoreState(d *state.Decoder) error {
	if err := g.openTable(); err != nil {
		return err
	}
	g.done = d.Bool()
	if err := g.table.Load(d); err != nil {
		return err
	}
	return g.restoreSpill(d)
}

// openTable makes the table unless Open or a restore did.
func (g *GroupAggregate) openTable() error {
	if g.table != nil {
		return nil
	}
	t, err := g.newTable()
	if err != nil {
		return err
	}
	g.table = t
	return nil
}

// SaveState implements Stateful: the buffered batches and their ops.
func (s *Sort) SaveState(e *state.Encoder) error {
	if s.sorted {
		return fmt.Errorf("checkpoint: sort is emitting its output")
	}
	e.Count(len(s.batches))
	for i, b := range s.batches {
		if err := e.Record(b); err != nil {
			return err
		}
		e.Bool(s.ops[i] != nil)
		if s.ops[i] != nil {
			state.PutSlice(e, s.ops[i].Int8Values())
		}
	}
	return nil
}

// RestoreState implements Stateful.
func (s *Sort) RestoreState(d *state.Decoder) error {
	n := d.Count(2)
	for i := 0; i < n && d.Err() == nil; i++ {
		rec := d.Record(s.mem)
		if rec == nil {
			break
		}
		var ops *array.Int8
		if d.Bool() {
			vals := state.Slice[int8](d)
			if len(vals) != int(rec.NumRows()) {
				d.Fail("sort batch of %d rows with %d ops", rec.NumRows(), len(vals))
			}
			b := array.NewInt8Builder(s.mem)
			b.AppendValues(vals, nil)
			ops = b.NewInt8Array()
			b.Release()
		}
		s.batches = append(s.batches, rec)
		s.ops = append(s.ops, ops)
	}
	return d.Err()
}

// SaveState implements Stateful: the rows passed so far.
func (l *Limit) SaveState(e *state.Encoder) error {
	e.Varint(l.seen)
	return nil
}

// RestoreState implements Stateful.
func (l *Limit) RestoreState(d *state.Decoder) error {
	l.seen = d.Varint()
	return d.Err()
}

// SaveState implements Stateful: whether the row has been sent.
func (v *Values) SaveState(e *state.Encoder) error {
	e.Bool(v.sent)
	return nil
}

// RestoreState implements Stateful.
func (v *Values) RestoreState(d *state.Decoder) error {
	v.sent = d.Bool()
	return d.Err()
}
