package exec

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/exec/expr"
)

// GroupAggregate is an unwindowed GROUP BY over a stream: its result never
// closes, so it is an updating stream (a changelog). After each input batch
// it emits, for every group the batch changed, the group's previous row as
// -U and its new row as +U, +I for a group that held no rows, and -D for a
// group left without rows: first the batch's -U and -D rows, then its +U
// rows, then its +I rows, each in the order the batch first touched the
// groups. A
// group the batch touched whose row came out the same emits nothing, as in
// Flink. Output columns: the keys, then the aggregates.
//
// Over an updating input (NewRetractingGroupAggregate) the input's +I and
// +U rows add to their groups and its -U and -D rows retract from them,
// through a retractable table (agg.NewRetractableTable): a group whose rows
// have all been retracted is deleted (-D), as Flink does, the global group
// of an aggregate without GROUP BY too, and comes back as +I with its next
// row. A batch's additions are folded in before its retractions. The table
// is compacted when most of its groups are empty (agg.Table.Compact).
//
// With a memory budget (SetSpill) the table is a cache of the groups, and
// the others are spilled to disk and read back when a batch needs them
// (group_agg_spill.go).
type GroupAggregate struct {
	input   Operator
	spec    *AggregateSpec
	ec      *expr.Context
	retract bool
	table   *agg.Table
	pending []Message
	done    bool
	spill   *groupSpill // nil: no memory budget
	peak    int64       // most bytes the table has held

	groups []uint32
	stamp  []uint32 // batch number that last touched each group
	batch  uint32
	// Per batch, reused: the groups touched (first-touch order), whether
	// each held rows before, and the rows to add and to retract.
	touched        []uint32
	wasLive        []bool
	oldIDs, newIDs []uint32
	addSel, retSel []int32
	addG, retG     []uint32
}

var _ Operator = (*GroupAggregate)(nil)
var _ Describer = (*GroupAggregate)(nil)

// NewGroupAggregate builds an updating aggregate over input, an append-only
// stream.
func NewGroupAggregate(input Operator, spec *AggregateSpec, ec *expr.Context) *GroupAggregate {
	return &GroupAggregate{input: input, spec: spec, ec: ec}
}

// NewRetractingGroupAggregate builds an updating aggregate over input, an
// updating stream (a changelog) whose -U and -D rows it retracts. Its
// aggregates must be able to retract (agg.Retractable): Open fails
// otherwise, with an error matching agg.ErrNotRetractable.
func NewRetractingGroupAggregate(input Operator, spec *AggregateSpec, ec *expr.Context) *GroupAggregate {
	return &GroupAggregate{input: input, spec: spec, ec: ec, retract: true}
}

// Schema implements Operator.
func (g *GroupAggregate) Schema() *arrow.Schema { return g.spec.Schema }

// Children implements Operator.
func (g *GroupAggregate) Children() []Operator { return []Operator{g.input} }

// Describe implements Describer.
func (g *GroupAggregate) Describe() string {
	if g.retract {
		return "GroupAggregateExec: " + g.spec.describe() + " (updating, retracting)"
	}
	return "GroupAggregateExec: " + g.spec.describe() + " (updating)"
}

// Groups is the number of groups held in memory (not those spilled): over
// an updating input, those that hold rows.
func (g *GroupAggregate) Groups() int {
	if g.table == nil {
		return 0
	}
	return g.table.Live()
}

// Open implements Operator.
func (g *GroupAggregate) Open(ctx context.Context) error {
	if err := g.openTable(); err != nil {
		return err
	}
	return g.input.Open(ctx)
}

// Next implements Operator.
func (g *GroupAggregate) Next(ctx context.Context) (Message, error) {
	for len(g.pending) == 0 {
		if g.done {
			return EndMessage(), nil
		}
		m, err := g.input.Next(ctx)
		if err != nil {
			return Message{}, err
		}
		switch m.Kind {
		case MsgBatch:
			out, err := g.consume(m)
			m.Release()
			if err != nil {
				return Message{}, err
			}
			if out.Batch != nil {
				g.pending = append(g.pending, out)
			}
		case MsgEnd:
			g.done = true
			if err := g.dropSpilled(); err != nil {
				return Message{}, err
			}
		default:
			g.pending = append(g.pending, m)
		}
	}
	m := g.pending[0]
	g.pending = g.pending[1:]
	return m, nil
}

// newTable makes the aggregate's table: retractable over an updating
// input.
func (g *GroupAggregate) newTable() (*agg.Table, error) {
	if g.retract {
		t, err := agg.NewRetractableTable(g.ec.Mem, g.spec.keyTypes(), g.spec.Aggs)
		if err != nil {
			return nil, fmt.Errorf("group aggregate: %w", err)
		}
		return t, nil
	}
	return agg.NewTable(g.ec.Mem, g.spec.keyTypes(), g.spec.Aggs)
}

// holds reports whether group id held rows before the batch (before is
// the number of groups then).
func (g *GroupAggregate) holds(id uint32, before int) bool {
	if g.retract {
		return g.table.RowCount(id) > 0
	}
	return int(id) < before
}

func (g *GroupAggregate) consume(m Message) (Message, error) {
	rec := m.Batch
	n := int(rec.NumRows())
	if n == 0 {
		return Message{}, nil
	}
	var ops []int8
	if m.Ops != nil {
		ops = m.Ops.Int8Values()
		if !g.retract && slices.ContainsFunc(ops, func(o int8) bool { return Op(o) == OpUpdateBefore || Op(o) == OpDelete }) {
			return Message{}, fmt.Errorf("group aggregate: the input is an updating stream, and this aggregate was not built to retract (NewRetractingGroupAggregate)")
		}
	}
	in, err := g.spec.eval(g.ec, rec)
	if err != nil {
		return Message{}, err
	}
	defer in.release()
	if err := g.unspill(in.keys, n); err != nil {
		return Message{}, err
	}
	before := g.table.Len()
	g.groups = grow(g.groups, n)
	g.table.Lookup(in.keys, nil, g.groups)
	// The groups this batch touches, each once, in first-touch order, and
	// whether each held rows (and so had a row in the result) before it.
	g.batch++
	for len(g.stamp) < g.table.Len() {
		g.stamp = append(g.stamp, 0)
	}
	g.touched, g.wasLive, g.oldIDs = g.touched[:0], g.wasLive[:0], g.oldIDs[:0]
	for _, id := range g.groups {
		if g.stamp[id] == g.batch {
			continue
		}
		g.stamp[id] = g.batch
		live := g.holds(id, before)
		g.touched = append(g.touched, id)
		g.wasLive = append(g.wasLive, live)
		if live {
			g.oldIDs = append(g.oldIDs, id)
		}
	}
	var old []arrow.Array
	if len(g.oldIDs) > 0 {
		k, r, err := g.table.Results(g.oldIDs)
		if err != nil {
			return Message{}, err
		}
		old = append(k, r...)
	}
	if err := g.apply(ops, in); err != nil {
		releaseAll(old)
		return Message{}, err
	}
	g.newIDs = g.newIDs[:0]
	for _, id := range g.touched {
		if !g.retract || g.table.RowCount(id) > 0 {
			g.newIDs = append(g.newIDs, id)
		}
	}
	k, r, err := g.table.Results(g.newIDs)
	if err != nil {
		releaseAll(old)
		return Message{}, err
	}
	cur := append(k, r...)
	out, err := g.changes(old, cur)
	releaseAll(old)
	releaseAll(cur)
	if err != nil {
		return Message{}, err
	}
	if g.retract {
		compacted, err := g.table.Compact(false)
		if err != nil {
			out.Release()
			return Message{}, fmt.Errorf("group aggregate: %w", err)
		}
		if compacted {
			g.stamp = g.stamp[:0] // group ids have changed
		}
	}
	if err := g.maybeSpill(); err != nil {
		out.Release()
		return Message{}, err
	}
	return out, nil
}

// apply folds the batch into the table: every row, or over an updating
// input its +I and +U rows, then retracts its -U and -D rows.
func (g *GroupAggregate) apply(ops []int8, in *aggInput) error {
	if !g.retract || ops == nil {
		return g.table.Update(nil, g.groups, in.args, in.filters)
	}
	g.addSel, g.addG, g.retSel, g.retG = g.addSel[:0], g.addG[:0], g.retSel[:0], g.retG[:0]
	for i, o := range ops {
		switch Op(o) {
		case OpInsert, OpUpdateAfter:
			g.addSel = append(g.addSel, int32(i))
			g.addG = append(g.addG, g.groups[i])
		case OpUpdateBefore, OpDelete:
			g.retSel = append(g.retSel, int32(i))
			g.retG = append(g.retG, g.groups[i])
		default:
			return fmt.Errorf("group aggregate: unknown changelog op %d", o)
		}
	}
	if len(g.addG) > 0 {
		if err := g.table.Update(g.addSel, g.addG, in.args, in.filters); err != nil {
			return err
		}
	}
	if len(g.retG) > 0 {
		return g.table.Retract(g.retSel, g.retG, in.args, in.filters)
	}
	return nil
}

// changes builds the output batch from the rows of the touched groups that
// held rows before the batch (old, in the order of g.oldIDs) and after it
// (cur, g.newIDs): -U and +U for a group in both whose row changed, -D for
// one only in old, +I for one only in cur.
func (g *GroupAggregate) changes(old, cur []arrow.Array) (Message, error) {
	nk := len(g.spec.Keys)
	var retracts, updates, inserts []int32 // rows of old, of cur and of cur to emit
	var retOps []int8
	oi, ci := 0, 0
	for i, id := range g.touched {
		wasLive := g.wasLive[i]
		isLive := ci < len(g.newIDs) && g.newIDs[ci] == id
		switch {
		case wasLive && isLive:
			if !sameRow(old[nk:], cur[nk:], oi, ci) {
				retracts, retOps = append(retracts, int32(oi)), append(retOps, int8(OpUpdateBefore))
				updates = append(updates, int32(ci))
			}
		case wasLive:
			retracts, retOps = append(retracts, int32(oi)), append(retOps, int8(OpDelete))
		case isLive:
			inserts = append(inserts, int32(ci))
		}
		if wasLive {
			oi++
		}
		if isLive {
			ci++
		}
	}
	ops := retOps
	for range updates {
		ops = append(ops, int8(OpUpdateAfter))
	}
	for range inserts {
		ops = append(ops, int8(OpInsert))
	}
	inserts = append(updates, inserts...)
	total := len(retracts) + len(inserts)
	if total == 0 {
		return Message{}, nil
	}
	cols := make([]arrow.Array, len(cur))
	for c := range cols {
		parts := make([]arrow.Array, 0, 2)
		for _, p := range []struct {
			from []arrow.Array
			rows []int32
		}{{old, retracts}, {cur, inserts}} {
			if len(p.rows) == 0 {
				continue
			}
			a := p.from[c]
			if inOrder(p.rows, a.Len()) {
				a.Retain()
			} else {
				t, err := takeArray(g.ec.Mem, a, p.rows)
				if err != nil {
					releaseAll(parts)
					releaseAll(cols[:c])
					return Message{}, err
				}
				a = t
			}
			parts = append(parts, a)
		}
		if len(parts) == 1 {
			cols[c] = parts[0]
			continue
		}
		joined, err := array.Concatenate(parts, g.ec.Mem)
		releaseAll(parts)
		if err != nil {
			releaseAll(cols[:c])
			return Message{}, err
		}
		cols[c] = joined
	}
	out := array.NewRecord(g.spec.Schema, cols, int64(total))
	releaseAll(cols)
	ob := array.NewInt8Builder(g.ec.Mem)
	ob.AppendValues(ops, nil)
	opsArr := ob.NewInt8Array()
	ob.Release()
	return Message{Kind: MsgBatch, Batch: out, Ops: opsArr}, nil
}

// inOrder reports whether rows are 0, 1, ..., n-1.
func inOrder(rows []int32, n int) bool {
	if len(rows) != n {
		return false
	}
	for i, r := range rows {
		if int(r) != i {
			return false
		}
	}
	return true
}

// sameRow reports whether row i of the columns x equals row j of y, NULL
// equal to NULL and floats compared by their bits (so NaN equals NaN, and
// -0 and +0 differ).
func sameRow(x, y []arrow.Array, i, j int) bool {
	for c := range x {
		if !sameCell(x[c], y[c], i, j) {
			return false
		}
	}
	return true
}

func sameCell(x, y arrow.Array, i, j int) bool {
	xn, yn := x.IsNull(i), y.IsNull(j)
	if xn || yn {
		return xn == yn
	}
	switch x := x.(type) {
	case *array.String:
		return x.Value(i) == y.(*array.String).Value(j)
	case *array.Boolean:
		return x.Value(i) == y.(*array.Boolean).Value(j)
	}
	fw, ok := x.DataType().(arrow.FixedWidthDataType)
	if !ok || fw.BitWidth()%8 != 0 {
		return false // a type without a cheap comparison: say it changed
	}
	w := fw.BitWidth() / 8
	xb := x.Data().Buffers()[1].Bytes()[(x.Data().Offset()+i)*w:][:w]
	yb := y.Data().Buffers()[1].Bytes()[(y.Data().Offset()+j)*w:][:w]
	return bytes.Equal(xb, yb)
}

func releaseAll(as []arrow.Array) {
	for _, a := range as {
		if a != nil {
			a.Release()
		}
	}
}

// Close implements Operator.
func (g *GroupAggregate) Close() error {
	for _, m := range g.pending {
		m.Release()
	}
	g.pending = nil
	if g.table != nil {
		g.table.Release()
		g.table = nil
	}
	return g.input.Close()
}
