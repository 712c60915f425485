package exec

// SaveState and RestoreState of TopN (see Stateful).

import (
	"container/heap"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/state"
)

// SaveState implements Stateful: the partition keys, each partition's
// ranked rows (one record of every retained row, partition by partition,
// best first) and, for keep-first-row, which partitions have emitted
// their row.
func (t *TopN) SaveState(e *state.Encoder) error {
	if len(t.pending) > 0 {
		return errPendingAtBarrier("top-n", len(t.pending))
	}
	if err := t.init(); err != nil {
		return err
	}
	e.Bool(t.done)
	e.Varint(t.watermark)
	e.Varint(t.late)
	e.Varint(t.nullTime)
	if err := t.parts.Save(e); err != nil {
		return fmt.Errorf("top-n: %w", err)
	}
	e.Count(len(t.lists))
	var slots []uint32
	for _, l := range t.lists {
		e.Count(len(l))
		slots = append(slots, l...)
	}
	state.PutSlice(e, t.emitted)
	if err := t.store.save(e, slots); err != nil {
		return fmt.Errorf("top-n: %w", err)
	}
	return nil
}

// RestoreState implements Stateful.
func (t *TopN) RestoreState(d *state.Decoder) error {
	if err := t.init(); err != nil {
		return err
	}
	if t.parts.Len() != 0 || t.store.live != 0 {
		return fmt.Errorf("top-n: restore into an operator that holds rows")
	}
	t.done = d.Bool()
	t.watermark, t.late, t.nullTime = d.Varint(), d.Varint(), d.Varint()
	if err := t.parts.Load(d); err != nil {
		return fmt.Errorf("top-n: %w", err)
	}
	n := d.Count(1)
	if d.Err() == nil && n != t.parts.Len() {
		d.Fail("top-n: lists of %d partitions, %d partition keys", n, t.parts.Len())
	}
	lens := make([]int, n)
	total := 0
	for i := range lens {
		lens[i] = d.Count(0)
		total += lens[i]
		if d.Err() == nil && (int64(lens[i]) > t.spec.N || (t.spec.ByArrival && t.spec.Mode == TopNKeepFirst && lens[i] > 0)) {
			d.Fail("top-n: a partition of %d rows, N is %d", lens[i], t.spec.N)
		}
	}
	emitted := state.Slice[bool](d)
	if err := d.Err(); err != nil {
		return fmt.Errorf("top-n: %w", err)
	}
	want := 0
	if t.spec.Mode == TopNKeepFirst {
		want = n
	}
	if len(emitted) != want {
		return fmt.Errorf("top-n: %d emitted flags for %d partitions", len(emitted), n)
	}
	slots, err := t.store.load(d, t.spec.Order)
	if err != nil {
		return fmt.Errorf("top-n: %w", err)
	}
	if len(slots) != total {
		return fmt.Errorf("top-n: %d rows for lists of %d", len(slots), total)
	}
	t.lists = make([][]uint32, n)
	t.stamp = make([]uint32, n)
	t.emitted = emitted
	for p, l := range lens {
		if l > 0 {
			t.lists[p] = append([]uint32(nil), slots[:l]...)
			slots = slots[l:]
		}
	}
	if t.spec.eventTimeFirst() {
		col := t.spec.Order[0].Column
		for p, l := range t.lists {
			if len(l) == 0 {
				continue
			}
			if t.emitted[p] {
				return fmt.Errorf("top-n: partition %d has emitted its row and still holds one", p)
			}
			rec, row, err := t.store.value(l[0])
			if err != nil {
				return err
			}
			times := rec.Column(col).(*array.Timestamp)
			heap.Push(&t.due, dueRow{ts: int64(times.Value(row)), part: uint32(p), slot: l[0]})
		}
	}
	// A state larger than the budget spills now.
	return t.maybeSpill()
}
