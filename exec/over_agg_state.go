package exec

// SaveState and RestoreState of OverAggregate (see Stateful).

import (
	"fmt"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/state"
)

// overStateVersion is the encoding version of an OverAggregate's state.
const overStateVersion = 1

var _ Stateful = (*OverAggregate)(nil)

// SaveState implements Stateful: the partition keys; each partition's
// frame rows (times and arguments) and accumulators; and the rows waiting
// for the watermark, as one record with their times, arrival numbers and
// partitions.
func (o *OverAggregate) SaveState(e *state.Encoder) error {
	if len(o.pending) > 0 {
		return errPendingAtBarrier("over", len(o.pending))
	}
	if err := o.init(); err != nil {
		return err
	}
	e.Uvarint(overStateVersion)
	e.Bool(o.done)
	e.Varint(o.watermark)
	e.Uvarint(o.seq)
	e.Varint(o.late)
	e.Varint(o.nullTime)
	if err := o.parts.Save(e); err != nil {
		return fmt.Errorf("over: %w", err)
	}
	e.Count(len(o.states))
	for _, p := range o.states {
		e.Varint(p.off + int64(p.head))
		state.PutSlice(e, p.ts[p.head:])
		for k := range p.vals {
			state.PutSlice(e, p.vals[k][p.head:])
			state.PutSlice(e, p.nulls[k][p.head:])
		}
		for _, a := range p.acc {
			e.Varint(a.n)
			e.Varint(a.sumI)
			e.Uvarint(math.Float64bits(a.sumF))
			e.Varint(a.best)
			e.Bool(a.has)
		}
	}
	e.Count(len(o.waiting))
	if len(o.waiting) == 0 {
		return nil
	}
	refs := &o.refs
	refs.reset()
	defer refs.reset()
	src := map[int32]int32{}
	ts := make([]int64, len(o.waiting))
	seq := make([]uint64, len(o.waiting))
	pid := make([]uint32, len(o.waiting))
	for i, r := range o.waiting {
		s, ok := src[r.batch]
		if !ok {
			s = refs.source(o.batches[r.batch].rec)
			src[r.batch] = s
		}
		refs.add(s, r.row)
		ts[i], seq[i], pid[i] = r.ts, r.seq, r.pid
	}
	in := o.input.Schema()
	parts := make([]arrow.Array, len(refs.srcs))
	cols := make([]arrow.Array, in.NumFields())
	for c := range cols {
		for j, s := range refs.srcs {
			parts[j] = s.Column(c)
		}
		a, err := gatherRows(o.mem, in.Field(c).Type, parts, refs.which, refs.rows)
		if err != nil {
			releaseAll(cols[:c])
			return fmt.Errorf("over: %w", err)
		}
		cols[c] = a
	}
	rec := array.NewRecord(in, cols, int64(len(o.waiting)))
	releaseAll(cols)
	defer rec.Release()
	if err := e.Record(rec); err != nil {
		return err
	}
	state.PutSlice(e, ts)
	state.PutSlice(e, seq)
	state.PutSlice(e, pid)
	return nil
}

// RestoreState implements Stateful.
func (o *OverAggregate) RestoreState(d *state.Decoder) error {
	if err := o.init(); err != nil {
		return err
	}
	if o.parts.Len() != 0 || len(o.waiting) != 0 {
		return fmt.Errorf("over: restore into an operator that holds rows")
	}
	if v := d.Uvarint(); v != overStateVersion && d.Err() == nil {
		return fmt.Errorf("over state has encoding version %d; this weir reads version %d", v, overStateVersion)
	}
	o.done = d.Bool()
	o.watermark = d.Varint()
	o.seq = d.Uvarint()
	o.late, o.nullTime = d.Varint(), d.Varint()
	if err := o.parts.Load(d); err != nil {
		return fmt.Errorf("over: %w", err)
	}
	n := d.Count(1)
	if d.Err() == nil && n != o.parts.Len() {
		d.Fail("over: state of %d partitions, %d partition keys", n, o.parts.Len())
	}
	bounded := !o.spec.Frame.Unbounded
	for i := 0; i < n && d.Err() == nil; i++ {
		p := o.newPart()
		p.off = d.Varint()
		p.ts = state.Slice[int64](d)
		for k := range p.vals {
			p.vals[k] = state.Slice[int64](d)
			p.nulls[k] = state.Slice[bool](d)
			if d.Err() == nil && (len(p.vals[k]) != len(p.ts) || len(p.nulls[k]) != len(p.ts)) {
				d.Fail("over: a frame of %d rows with %d values and %d NULL flags", len(p.ts), len(p.vals[k]), len(p.nulls[k]))
			}
		}
		if d.Err() == nil && !bounded && len(p.ts) > 0 {
			d.Fail("over: an unbounded frame with %d rows", len(p.ts))
		}
		for k := range p.acc {
			a := &p.acc[k]
			a.n = d.Varint()
			a.sumI = d.Varint()
			a.sumF = math.Float64frombits(d.Uvarint())
			a.best = d.Varint()
			a.has = d.Bool()
		}
		if d.Err() != nil {
			break
		}
		if bounded {
			o.rebuildQueues(p)
		}
		o.states = append(o.states, p)
	}
	w := d.Count(1)
	if err := d.Err(); err != nil || w == 0 {
		return err
	}
	rec := d.Record(o.mem)
	if err := d.Err(); err != nil {
		return err
	}
	defer rec.Release()
	ts := state.Slice[int64](d)
	seq := state.Slice[uint64](d)
	pid := state.Slice[uint32](d)
	if err := d.Err(); err != nil {
		return err
	}
	if int(rec.NumRows()) != w || len(ts) != w || len(seq) != w || len(pid) != w || !rec.Schema().Equal(o.input.Schema()) {
		d.Fail("over: %d waiting rows in a record of %d rows of %s, with %d times", w, rec.NumRows(), rec.Schema(), len(ts))
		return d.Err()
	}
	bi, err := o.addBatch(rec)
	if err != nil {
		return err
	}
	o.batches[bi].waiting = w
	for i := 0; i < w; i++ {
		if int(pid[i]) >= len(o.states) {
			d.Fail("over: a waiting row of partition %d of %d", pid[i], len(o.states))
			return d.Err()
		}
		o.waiting = append(o.waiting, overRow{ts: ts[i], seq: seq[i], batch: bi, row: int32(i), pid: pid[i]})
	}
	return nil
}

// rebuildQueues makes the MIN and MAX queues of a restored bounded frame:
// they depend only on the frame's rows.
func (o *OverAggregate) rebuildQueues(p *overPart) {
	for k, c := range o.spec.Calls {
		if c.Func != agg.Min && c.Func != agg.Max {
			continue
		}
		a := &p.acc[k]
		a.queue = a.queue[:0]
		for i, v := range p.vals[k] {
			if p.nulls[k][i] {
				continue
			}
			for len(a.queue) > 0 && !o.better(k, p.vals[k][a.queue[len(a.queue)-1]-p.off], v) {
				a.queue = a.queue[:len(a.queue)-1]
			}
			a.queue = append(a.queue, p.off+int64(i))
		}
	}
}
