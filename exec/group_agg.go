package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/exec/expr"
)

// GroupAggregate is an unwindowed GROUP BY over a stream: its result never
// closes, so it is an updating stream (a changelog). After each input batch
// it emits, for every group the batch touched, the group's previous row as
// -U and its new row as +U, or +I for a group it created; the -U rows of a
// batch come before its +U and +I rows. Output columns: the keys, then the
// aggregates.
type GroupAggregate struct {
	input   Operator
	spec    *AggregateSpec
	ec      *expr.Context
	table   *agg.Table
	pending []Message
	done    bool

	groups []uint32
	stamp  []uint32 // batch number that last touched each group
	batch  uint32
}

var _ Operator = (*GroupAggregate)(nil)
var _ Describer = (*GroupAggregate)(nil)

// NewGroupAggregate builds an updating aggregate over input.
func NewGroupAggregate(input Operator, spec *AggregateSpec, ec *expr.Context) *GroupAggregate {
	return &GroupAggregate{input: input, spec: spec, ec: ec}
}

// Schema implements Operator.
func (g *GroupAggregate) Schema() *arrow.Schema { return g.spec.Schema }

// Children implements Operator.
func (g *GroupAggregate) Children() []Operator { return []Operator{g.input} }

// Describe implements Describer.
func (g *GroupAggregate) Describe() string {
	return "GroupAggregateExec: " + g.spec.describe() + " (updating)"
}

// Groups is the number of groups held.
func (g *GroupAggregate) Groups() int { return g.table.Len() }

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
		default:
			g.pending = append(g.pending, m)
		}
	}
	m := g.pending[0]
	g.pending = g.pending[1:]
	return m, nil
}

func (g *GroupAggregate) consume(m Message) (Message, error) {
	if m.Ops != nil {
		return Message{}, fmt.Errorf("aggregation over an updating stream is not supported yet")
	}
	rec := m.Batch
	n := int(rec.NumRows())
	if n == 0 {
		return Message{}, nil
	}
	in, err := g.spec.eval(g.ec, rec)
	if err != nil {
		return Message{}, err
	}
	defer in.release()
	before := g.table.Len()
	g.groups = grow(g.groups, n)
	g.table.Lookup(in.keys, nil, g.groups)
	// The groups this batch touches, each once, in first-touch order:
	// existing ones (which retract their old row) and new ones.
	g.batch++
	for len(g.stamp) < g.table.Len() {
		g.stamp = append(g.stamp, 0)
	}
	var existing, created []uint32
	for _, id := range g.groups {
		if g.stamp[id] == g.batch {
			continue
		}
		g.stamp[id] = g.batch
		if int(id) < before {
			existing = append(existing, id)
		} else {
			created = append(created, id)
		}
	}
	var old []arrow.Array
	if len(existing) > 0 {
		k, r, err := g.table.Results(existing)
		if err != nil {
			return Message{}, err
		}
		old = append(k, r...)
	}
	if err := g.table.Update(nil, g.groups, in.args, in.filters); err != nil {
		releaseAll(old)
		return Message{}, err
	}
	k, r, err := g.table.Results(append(existing, created...))
	if err != nil {
		releaseAll(old)
		return Message{}, err
	}
	cur := append(k, r...)
	ops := make([]int8, 0, 2*len(existing)+len(created))
	for range existing {
		ops = append(ops, int8(OpUpdateBefore))
	}
	for range existing {
		ops = append(ops, int8(OpUpdateAfter))
	}
	for range created {
		ops = append(ops, int8(OpInsert))
	}
	cols := cur
	if old != nil {
		cols = make([]arrow.Array, len(cur))
		for i := range cur {
			c, err := array.Concatenate([]arrow.Array{old[i], cur[i]}, g.ec.Mem)
			if err != nil {
				releaseAll(old)
				releaseAll(cur)
				releaseAll(cols[:i])
				return Message{}, err
			}
			cols[i] = c
		}
		releaseAll(old)
		releaseAll(cur)
	}
	out := array.NewRecord(g.spec.Schema, cols, int64(len(ops)))
	releaseAll(cols)
	ob := array.NewInt8Builder(g.ec.Mem)
	ob.AppendValues(ops, nil)
	opsArr := ob.NewInt8Array()
	ob.Release()
	return Message{Kind: MsgBatch, Batch: out, Ops: opsArr}, nil
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
