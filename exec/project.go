package exec

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/exec/expr"
)

// Project computes one output column per expression over each batch.
// Watermarks and barriers pass through; an updating stream keeps its ops.
type Project struct {
	input  Operator
	exprs  []expr.Expr
	schema *arrow.Schema
	ec     *expr.Context
}

var _ Operator = (*Project)(nil)
var _ Describer = (*Project)(nil)

// NewProject builds a projection whose output has the given schema.
func NewProject(input Operator, exprs []expr.Expr, schema *arrow.Schema, ec *expr.Context) *Project {
	return &Project{input: input, exprs: exprs, schema: schema, ec: ec}
}

// Schema implements Operator.
func (p *Project) Schema() *arrow.Schema { return p.schema }

// Children implements Operator.
func (p *Project) Children() []Operator { return []Operator{p.input} }

// Describe implements Describer.
func (p *Project) Describe() string {
	items := make([]string, len(p.exprs))
	for i, e := range p.exprs {
		items[i] = e.String()
		if name := p.schema.Field(i).Name; name != items[i] {
			items[i] += " AS " + name
		}
	}
	return "ProjectExec: " + strings.Join(items, ", ")
}

// Open implements Operator.
func (p *Project) Open(ctx context.Context) error { return p.input.Open(ctx) }

// Next implements Operator.
func (p *Project) Next(ctx context.Context) (Message, error) {
	m, err := p.input.Next(ctx)
	if err != nil || m.Kind != MsgBatch {
		return m, err
	}
	rec := m.Batch
	cols := make([]arrow.Array, len(p.exprs))
	release := func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}
	for i, e := range p.exprs {
		c, err := e.Eval(p.ec, rec)
		if err != nil {
			release()
			m.Release()
			return Message{}, err
		}
		if n := c.Len(); n != int(rec.NumRows()) {
			err := fmt.Errorf("project: %s returned %d rows for a batch of %d", e, n, rec.NumRows())
			c.Release()
			release()
			m.Release()
			return Message{}, err
		}
		cols[i] = c
	}
	out := array.NewRecord(p.schema, cols, rec.NumRows())
	release()
	ops := m.Ops
	m.Ops = nil
	m.Release()
	return Message{Kind: MsgBatch, Batch: out, Ops: ops}, nil
}

// Close implements Operator.
func (p *Project) Close() error { return p.input.Close() }
