package exec

import (
	"bytes"
	"container/heap"
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/internal/arrowbuf"
)

// TopNMode says which rows of each partition a TopN keeps.
type TopNMode uint8

// Top-N modes.
const (
	// TopNRows keeps the first N rows by the sort keys. Rows with equal
	// keys rank in arrival order, the earlier first.
	TopNRows TopNMode = iota
	// TopNKeepFirst keeps one row per partition, the first by a time
	// attribute ascending (Flink's deduplication "keep first row"). Over
	// processing time (ByArrival) it is the first row to arrive, emitted
	// at once. Over event time it is the row with the smallest time (the
	// earlier arrival on a tie), emitted when the watermark reaches its
	// time, when no earlier row can come any more; a row later than the
	// watermark is dropped and counted (LateRows). Either way the output
	// is append-only.
	TopNKeepFirst
	// TopNKeepLast keeps one row per partition, the last by a time
	// attribute descending (Flink's "keep last row"): the latest time, a
	// later arrival winning a tie (a row without a time is dropped and
	// counted, NullTimeRows); over processing time (ByArrival) the last
	// row to arrive. Each replacement is an update (-U, +U).
	TopNKeepLast
)

func (m TopNMode) String() string {
	switch m {
	case TopNRows:
		return "rows"
	case TopNKeepFirst:
		return "keep first row"
	case TopNKeepLast:
		return "keep last row"
	}
	return fmt.Sprintf("TopNMode(%d)", uint8(m))
}

// TopNSpec describes a TopN: which columns partition the input, which
// order it, how many rows to keep and whether to emit their row numbers.
type TopNSpec struct {
	// Partition lists the input columns that form the partition key; none
	// make one partition.
	Partition []int
	// Order lists the sort keys over input columns. TopNKeepFirst over
	// event time orders by one TIMESTAMP column, the watermark's.
	Order []SortKey
	// N is how many rows per partition to keep (1 for the keep modes).
	N int64
	// Mode says which rows those are.
	Mode TopNMode
	// ByArrival, with TopNKeepFirst or TopNKeepLast, orders by arrival
	// (a processing-time attribute) and ignores the sort keys' values.
	ByArrival bool
	// RankOutput adds the row number (ROW_NUMBER(), a BIGINT from 1) as
	// the last output column.
	RankOutput bool
	// Schema is the output schema: the input's columns, then the row
	// number when RankOutput.
	Schema *arrow.Schema
}

// Validate checks the spec against the input's schema.
func (s *TopNSpec) Validate(in *arrow.Schema) error {
	width := in.NumFields()
	want := width
	if s.RankOutput {
		want++
	}
	if s.Schema == nil || s.Schema.NumFields() != want {
		return fmt.Errorf("top-n: output schema of %d columns over %d input columns", s.Schema.NumFields(), width)
	}
	if s.N < 1 {
		return fmt.Errorf("top-n: N is %d, want at least 1", s.N)
	}
	if s.Mode != TopNRows && s.N != 1 {
		return fmt.Errorf("top-n: %s keeps one row, not %d", s.Mode, s.N)
	}
	if len(s.Order) == 0 && !s.ByArrival {
		return fmt.Errorf("top-n: no sort keys")
	}
	for _, f := range in.Fields() {
		if err := gatherable(f.Type); err != nil {
			return fmt.Errorf("top-n: column %q: %w", f.Name, err)
		}
	}
	var keyTypes []arrow.DataType
	for _, c := range s.Partition {
		if c < 0 || c >= width {
			return fmt.Errorf("top-n: partition column %d of %d", c, width)
		}
		keyTypes = append(keyTypes, in.Field(c).Type)
	}
	t, err := agg.NewTable(memory.DefaultAllocator, keyTypes, nil)
	if err != nil {
		return fmt.Errorf("top-n: PARTITION BY: %w", err)
	}
	t.Release()
	for _, k := range s.Order {
		if k.Column < 0 || k.Column >= width {
			return fmt.Errorf("top-n: sort column %d of %d", k.Column, width)
		}
		if err := checkOrderType(in.Field(k.Column).Type); err != nil {
			return fmt.Errorf("top-n: %w", err)
		}
	}
	if s.eventTimeFirst() {
		if len(s.Order) != 1 || in.Field(s.Order[0].Column).Type.ID() != arrow.TIMESTAMP || s.Order[0].Desc {
			return fmt.Errorf("top-n: keep first row over event time needs one ascending TIMESTAMP sort key")
		}
	}
	return nil
}

// eventTimeFirst is TopNKeepFirst over event time: rows wait for the
// watermark.
func (s *TopNSpec) eventTimeFirst() bool { return s.Mode == TopNKeepFirst && !s.ByArrival }

// updating reports whether the output is a changelog.
func (s *TopNSpec) updating() bool { return s.Mode != TopNKeepFirst }

// TopN keeps, for each partition of an append-only input, its first N rows
// in the sort order (Flink's Top-N, and its deduplication when N is 1 and
// the order is a time attribute; see TopNMode).
//
// A batch is processed as a whole: the partition keys are looked up in a
// hash table (exec/agg) and the sort keys encoded to comparable bytes for
// every row at once; then each row is placed in its partition's ranked
// list (a short sorted slice) if it ranks within N. After the batch the
// operator emits, for each partition the batch changed, the difference
// between its top rows before and after the batch (rows that entered and
// left within one batch are never emitted):
//
//   - with the row number (RankOutput): per rank whose row changed, the
//     old row with that rank as -U and the new one as +U; a rank that was
//     empty gets its row as +I (Flink's updates by rank);
//   - without it and N = 1: the old row as -U and the new one as +U, or
//     +I for a new partition;
//   - without it and N > 1 (Flink's "no rank number" optimization): each
//     row that left as -D, then each that entered as +I.
//
// TopNKeepFirst emits only inserts, as an append-only stream. Watermarks
// and barriers pass through in order, after the output they follow.
type TopN struct {
	input Operator
	spec  TopNSpec
	mem   memory.Allocator
	err   error // an invalid spec, reported by Open and RestoreState

	parts     *agg.Table // partition key → partition id
	lists     [][]uint32 // per partition: its rows' slots, best first
	emitted   []bool     // TopNKeepFirst: the partition's row has been emitted
	store     *topNStore
	spill     *recordSpill // nil unless SetSpill gave a budget
	peak      int64        // the most memory the state has held
	due       dueHeap      // eventTimeFirst: the waiting rows by time
	watermark int64
	late      int64
	nullTime  int64
	pending   []Message
	done      bool

	// scratch of one batch
	pids     []uint32
	keys     orderKeys
	stamp    []uint32 // per partition: the batch that last touched it
	batch    uint32
	touched  []uint32 // partitions the batch changed, in first-touch order
	before   []uint32 // their lists before the batch, concatenated
	beforeAt []int32  // where each touched partition's list starts in before
	dropped  []uint32 // slots that left during the batch, freed after it
	marks    []uint64 // per slot: scratch of the set difference
	markGen  uint64
	outOps   []int8
	outSlots []uint32
	outRanks []int64
}

var (
	_ Operator  = (*TopN)(nil)
	_ Describer = (*TopN)(nil)
	_ Stateful  = (*TopN)(nil)
)

// NewTopN builds a TopN over input; an invalid spec is reported by Open.
func NewTopN(input Operator, spec TopNSpec, mem memory.Allocator) *TopN {
	t := &TopN{input: input, spec: spec, mem: mem, watermark: WatermarkMin}
	t.err = spec.Validate(input.Schema())
	return t
}

// Schema implements Operator.
func (t *TopN) Schema() *arrow.Schema { return t.spec.Schema }

// Children implements Operator.
func (t *TopN) Children() []Operator { return []Operator{t.input} }

// Describe implements Describer.
func (t *TopN) Describe() string {
	in := t.input.Schema()
	names := func(cols []int) string {
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = in.Field(c).Name
		}
		return strings.Join(parts, ", ")
	}
	order := make([]string, len(t.spec.Order))
	for i, k := range t.spec.Order {
		order[i] = in.Field(k.Column).Name
		if k.Desc {
			order[i] += " DESC"
		}
	}
	var b strings.Builder
	if t.spec.Mode == TopNRows {
		fmt.Fprintf(&b, "TopNExec: n=%d", t.spec.N)
	} else {
		fmt.Fprintf(&b, "DeduplicateExec: %s", t.spec.Mode)
	}
	fmt.Fprintf(&b, " partition=[%s] order=[%s]", names(t.spec.Partition), strings.Join(order, ", "))
	if t.spec.ByArrival {
		b.WriteString(" by arrival")
	}
	if t.spec.RankOutput {
		b.WriteString(" rank=" + t.spec.Schema.Field(in.NumFields()).Name)
	}
	if t.spec.updating() {
		b.WriteString(" (updating)")
	}
	return b.String()
}

// StateRows is the number of rows the operator holds.
func (t *TopN) StateRows() int64 {
	if t.store == nil {
		return 0
	}
	return int64(t.store.live)
}

// StateBytes estimates the memory the operator's state holds.
func (t *TopN) StateBytes() int64 {
	if t.store == nil {
		return 0
	}
	// The lists hold one slot per row, and a slice header each.
	b := t.store.bytes() + t.parts.MemoryBytes() + int64(t.store.live)*4 + int64(cap(t.lists))*24
	return b + int64(cap(t.emitted)+cap(t.stamp)*4+cap(t.marks)*8) + int64(cap(t.due))*24
}

// Partitions is the number of partitions seen.
func (t *TopN) Partitions() int {
	if t.parts == nil {
		return 0
	}
	return t.parts.Len()
}

// LateRows is the number of rows dropped by keep-first-row over event time
// because the watermark had passed them.
func (t *TopN) LateRows() int64 { return t.late }

// LateReason says why late rows were dropped, for the report of them.
func (t *TopN) LateReason() string {
	return "the watermark had passed their time, so the first row of their key had been decided"
}

// NullTimeRows is the number of rows dropped by a deduplication over event
// time for a NULL time.
func (t *TopN) NullTimeRows() int64 { return t.nullTime }

// init makes the state unless Open or a restore did.
func (t *TopN) init() error {
	if t.err != nil {
		return t.err
	}
	if t.parts != nil {
		return nil
	}
	in := t.input.Schema()
	var keyTypes []arrow.DataType
	for _, c := range t.spec.Partition {
		keyTypes = append(keyTypes, in.Field(c).Type)
	}
	parts, err := agg.NewTable(t.mem, keyTypes, nil)
	if err != nil {
		return fmt.Errorf("top-n: %w", err)
	}
	t.parts = parts
	t.store = newTopNStore(t.mem, in)
	t.store.sp = t.spill
	return nil
}

// Open implements Operator.
func (t *TopN) Open(ctx context.Context) error {
	if err := t.init(); err != nil {
		return err
	}
	return t.input.Open(ctx)
}

// Next implements Operator.
func (t *TopN) Next(ctx context.Context) (Message, error) {
	for len(t.pending) == 0 {
		if t.done {
			return EndMessage(), nil
		}
		m, err := t.input.Next(ctx)
		if err != nil {
			return Message{}, err
		}
		switch m.Kind {
		case MsgBatch:
			if t.spill != nil {
				t.spill.tick++
			}
			err := t.consume(m)
			m.Release()
			if err == nil {
				err = t.maybeSpill()
			}
			if err != nil {
				return Message{}, err
			}
		case MsgWatermark:
			if m.Watermark > t.watermark {
				t.watermark = m.Watermark
				if t.spec.eventTimeFirst() {
					if err := t.emitDue(m.Watermark); err != nil {
						return Message{}, err
					}
				}
			}
			t.pending = append(t.pending, m)
		case MsgEnd:
			if t.spec.eventTimeFirst() {
				if err := t.emitDue(WatermarkMax); err != nil {
					return Message{}, err
				}
			}
			t.done = true
		default:
			t.pending = append(t.pending, m)
		}
	}
	m := t.pending[0]
	t.pending = t.pending[1:]
	return m, nil
}

// consume places a batch's rows and queues the changes it made.
func (t *TopN) consume(m Message) error {
	if m.Ops != nil {
		return fmt.Errorf("top-n over an updating stream is not supported")
	}
	rec := m.Batch
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	keys := make([]arrow.Array, len(t.spec.Partition))
	for i, c := range t.spec.Partition {
		keys[i] = rec.Column(c)
	}
	t.pids = grow(t.pids, n)
	t.parts.Lookup(keys, nil, t.pids)
	for len(t.lists) < t.parts.Len() {
		t.lists = append(t.lists, nil)
		t.stamp = append(t.stamp, 0)
		if t.spec.Mode == TopNKeepFirst {
			t.emitted = append(t.emitted, false)
		}
	}
	if !t.spec.ByArrival {
		if err := encodeOrderKeys(rec, t.spec.Order, &t.keys); err != nil {
			return err
		}
	} else {
		t.keys.buf, t.keys.offs = t.keys.buf[:0], grow(t.keys.offs, n+1)
		clear(t.keys.offs)
	}
	rec.Retain()
	cur := t.store.addSeg(rec, t.keys)
	t.store.touch(cur)
	var err error
	if t.spec.eventTimeFirst() {
		t.placeFirst(rec, cur)
	} else {
		t.place(rec, cur)
		err = t.emitChanges()
		if t.spec.Mode == TopNKeepFirst { // by arrival: its rows went out for good
			for _, p := range t.touched {
				t.dropped = append(t.dropped, t.lists[p]...)
				t.lists[p] = nil
			}
		}
	}
	for _, slot := range t.dropped {
		t.store.drop(slot)
	}
	t.dropped = t.dropped[:0]
	if serr := t.store.settle(); err == nil {
		err = serr
	}
	// The batch's keys stay with its segment when the segment is kept
	// as it is; the next batch then encodes into new space.
	if g := t.store.segs[cur]; g != nil && g.rec == rec {
		t.keys = orderKeys{}
	}
	return err
}

// place puts each row of the batch (segment cur) in its partition's list
// if it ranks within N, remembering each changed partition's old list.
func (t *TopN) place(rec arrow.Record, cur int32) {
	n := int(rec.NumRows())
	var times arrow.Array // keep-last-row over event time: rows without a time are dropped
	if t.spec.Mode == TopNKeepLast && !t.spec.ByArrival {
		if c := rec.Column(t.spec.Order[0].Column); c.NullN() > 0 {
			times = c
		}
	}
	t.batch++
	if t.batch == 0 { // wrapped: no stamp may look current
		clear(t.stamp)
		t.batch = 1
	}
	t.touched, t.before, t.beforeAt = t.touched[:0], t.before[:0], t.beforeAt[:0]
	limit := t.spec.N
	laterWins := t.spec.Mode == TopNKeepLast
	for i := 0; i < n; i++ {
		p := t.pids[i]
		list := t.lists[p]
		pos := 0
		switch {
		case t.spec.ByArrival && t.spec.Mode == TopNKeepFirst:
			// The first row is emitted and dropped; only the flag stays.
			if t.emitted[p] {
				continue
			}
			t.emitted[p] = true
		case t.spec.ByArrival:
			// keep last by arrival: every row replaces the one held
		default:
			if times != nil && times.IsNull(i) {
				t.nullTime++
				continue
			}
			pos = t.search(list, t.keys.key(i), laterWins)
			if int64(pos) >= limit {
				continue
			}
		}
		if t.stamp[p] != t.batch {
			t.stamp[p] = t.batch
			t.touched = append(t.touched, p)
			t.beforeAt = append(t.beforeAt, int32(len(t.before)))
			t.before = append(t.before, list...)
		}
		slot := t.store.alloc(cur, i)
		list = append(list, 0)
		copy(list[pos+1:], list[pos:])
		list[pos] = slot
		if int64(len(list)) > limit {
			t.dropped = append(t.dropped, list[len(list)-1])
			list = list[:len(list)-1]
		}
		t.lists[p] = list
	}
}

// search returns where a row with key k goes in list: after the rows with
// equal keys, or before them when laterWins.
func (t *TopN) search(list []uint32, k []byte, laterWins bool) int {
	lo, hi := 0, len(list)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		c := bytes.Compare(t.store.key(list[mid]), k)
		if c < 0 || (c == 0 && !laterWins) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// emitChanges queues the difference between each touched partition's old
// and new lists.
func (t *TopN) emitChanges() error {
	t.outOps, t.outSlots, t.outRanks = t.outOps[:0], t.outSlots[:0], t.outRanks[:0]
	add := func(op Op, slot uint32, rank int) {
		t.outOps = append(t.outOps, int8(op))
		t.outSlots = append(t.outSlots, slot)
		t.outRanks = append(t.outRanks, int64(rank))
	}
	for ti, p := range t.touched {
		end := len(t.before)
		if ti+1 < len(t.beforeAt) {
			end = int(t.beforeAt[ti+1])
		}
		old, cur := t.before[t.beforeAt[ti]:end], t.lists[p]
		switch {
		case t.spec.RankOutput || t.spec.N == 1:
			// By rank: the list only grows or keeps its length.
			for k, slot := range cur {
				switch {
				case k >= len(old):
					add(OpInsert, slot, k+1)
				case old[k] != slot:
					add(OpUpdateBefore, old[k], k+1)
					add(OpUpdateAfter, slot, k+1)
				}
			}
		default:
			gen := t.nextMarks(2)
			for _, slot := range cur {
				t.marks[slot] = gen
			}
			for k, slot := range old {
				if t.marks[slot] != gen {
					add(OpDelete, slot, k+1)
				}
				t.marks[slot] = gen + 1
			}
			for k, slot := range cur {
				if t.marks[slot] != gen+1 {
					add(OpInsert, slot, k+1)
				}
			}
		}
	}
	return t.queue()
}

// nextMarks reserves n fresh mark values and sizes marks to the slots.
func (t *TopN) nextMarks(n uint64) uint64 {
	for len(t.marks) < len(t.store.sSeg) {
		t.marks = append(t.marks, 0)
	}
	gen := t.markGen + 1
	t.markGen += n
	return gen
}

// queue turns the collected output rows into a message.
func (t *TopN) queue() error {
	if len(t.outSlots) == 0 {
		return nil
	}
	cols, err := t.store.gather(t.outSlots, true)
	if err != nil {
		return err
	}
	if t.spec.RankOutput {
		buf, vals := arrowbuf.AllocValues[int64](t.mem, len(t.outRanks))
		copy(vals, t.outRanks)
		cols = append(cols, makeArray(arrow.PrimitiveTypes.Int64, len(vals), []*memory.Buffer{nil, buf}, 0))
	}
	out := array.NewRecord(t.spec.Schema, cols, int64(len(t.outSlots)))
	releaseAll(cols)
	msg := BatchMessage(out)
	if t.spec.updating() {
		b := array.NewInt8Builder(t.mem)
		b.AppendValues(t.outOps, nil)
		msg.Ops = b.NewInt8Array()
		b.Release()
	}
	t.pending = append(t.pending, msg)
	return nil
}

// placeFirst is place for keep-first-row over event time: a row becomes
// its partition's candidate if it is earlier than the one waiting; rows
// the watermark has passed, rows without a time and rows of partitions
// already emitted are left out.
func (t *TopN) placeFirst(rec arrow.Record, cur int32) {
	times := rec.Column(t.spec.Order[0].Column).(*array.Timestamp)
	vals := times.TimestampValues()
	for i, p := range t.pids[:rec.NumRows()] {
		if times.IsNull(i) {
			t.nullTime++
			continue
		}
		ts := int64(vals[i])
		if ts < t.watermark {
			t.late++
			continue
		}
		if t.emitted[p] {
			continue
		}
		list := t.lists[p]
		if len(list) == 1 && bytes.Compare(t.keys.key(i), t.store.key(list[0])) >= 0 {
			continue
		}
		slot := t.store.alloc(cur, i)
		if len(list) == 1 {
			t.dropped = append(t.dropped, list[0])
		}
		t.lists[p] = append(list[:0], slot)
		heap.Push(&t.due, dueRow{ts: ts, part: p, slot: slot})
	}
}

// emitDue emits, for keep-first-row over event time, every waiting row
// whose time the watermark wm has reached: no earlier row of its partition
// can come any more.
func (t *TopN) emitDue(wm int64) error {
	t.outOps, t.outSlots, t.outRanks = t.outOps[:0], t.outSlots[:0], t.outRanks[:0]
	for len(t.due) > 0 && t.due[0].ts <= wm {
		d := heap.Pop(&t.due).(dueRow)
		// A replaced candidate's entry is stale: its partition now holds
		// an earlier row (whose entry came out first) or none.
		if l := t.lists[d.part]; len(l) != 1 || l[0] != d.slot {
			continue
		}
		t.emitted[d.part] = true
		t.lists[d.part] = nil
		t.outOps = append(t.outOps, int8(OpInsert))
		t.outSlots = append(t.outSlots, d.slot)
		t.outRanks = append(t.outRanks, 1)
	}
	if len(t.outSlots) == 0 {
		return nil
	}
	if err := t.queue(); err != nil {
		return err
	}
	for _, slot := range t.outSlots {
		t.store.drop(slot)
	}
	return t.store.settle()
}

// Close implements Operator.
func (t *TopN) Close() error {
	for _, m := range t.pending {
		m.Release()
	}
	t.pending = nil
	if t.parts != nil {
		t.parts.Release()
		t.parts = nil
	}
	if t.store != nil {
		t.store.release()
		t.store = nil
	}
	t.lists, t.emitted, t.due = nil, nil, nil
	return t.input.Close()
}

// dueRow is a row waiting for the watermark (keep-first-row over event
// time).
type dueRow struct {
	ts   int64
	part uint32
	slot uint32
}

type dueHeap []dueRow

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].ts < h[j].ts }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueRow)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
