package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"

	"github.com/weirsql/weir/exec/expr"
)

// Filter keeps the rows for which its predicate is TRUE (NULL and FALSE
// rows are dropped). Watermarks and barriers pass through.
type Filter struct {
	input Operator
	pred  expr.Expr
	ec    *expr.Context
}

var _ Operator = (*Filter)(nil)
var _ Describer = (*Filter)(nil)

// NewFilter builds a filter over input.
func NewFilter(input Operator, pred expr.Expr, ec *expr.Context) *Filter {
	return &Filter{input: input, pred: pred, ec: ec}
}

// Schema implements Operator.
func (f *Filter) Schema() *arrow.Schema { return f.input.Schema() }

// Children implements Operator.
func (f *Filter) Children() []Operator { return []Operator{f.input} }

// Describe implements Describer.
func (f *Filter) Describe() string { return "FilterExec: " + f.pred.String() }

// Open implements Operator.
func (f *Filter) Open(ctx context.Context) error { return f.input.Open(ctx) }

// Next implements Operator.
func (f *Filter) Next(ctx context.Context) (Message, error) {
	for {
		m, err := f.input.Next(ctx)
		if err != nil || m.Kind != MsgBatch {
			return m, err
		}
		if m.Ops != nil {
			out, err := f.filterChangelog(m)
			if err != nil || out.Batch != nil {
				return out, err
			}
			continue
		}
		out, err := applyFilter(f.ec, f.pred, m.Batch)
		if err != nil {
			return Message{}, err
		}
		if out != nil {
			return BatchMessage(out), nil
		}
	}
}

// filterChangelog filters an updating batch, keeping each kept row's op:
// a -U whose row fails the predicate while its +U passes becomes a plain
// insertion downstream, which is how a changelog expresses a row entering
// the result.
func (f *Filter) filterChangelog(m Message) (Message, error) {
	defer m.Release()
	maskArr, err := f.pred.Eval(f.ec, m.Batch)
	if err != nil {
		return Message{}, err
	}
	defer maskArr.Release()
	mask, ok := maskArr.(*array.Boolean)
	if !ok {
		return Message{}, fmt.Errorf("filter predicate %s is %s, not BOOLEAN", f.pred, maskArr.DataType())
	}
	rows := selectedRows(mask, mask.Len())
	if len(rows) == 0 {
		return Message{}, nil
	}
	rec, err := takeRows(f.ec.Mem, m.Batch, rows)
	if err != nil {
		return Message{}, err
	}
	ob := array.NewInt8Builder(f.ec.Mem)
	defer ob.Release()
	for _, r := range rows {
		ob.Append(m.Ops.Value(int(r)))
	}
	return Message{Kind: MsgBatch, Batch: rec, Ops: ob.NewInt8Array()}, nil
}

// Close implements Operator.
func (f *Filter) Close() error { return f.input.Close() }

// applyFilter evaluates pred over rec and returns the rows where it is TRUE,
// taking over the caller's reference to rec. It returns nil when no row
// passes; when every row passes it returns rec itself.
func applyFilter(ec *expr.Context, pred expr.Expr, rec arrow.Record) (arrow.Record, error) {
	maskArr, err := pred.Eval(ec, rec)
	if err != nil {
		rec.Release()
		return nil, err
	}
	defer maskArr.Release()
	mask, ok := maskArr.(*array.Boolean)
	if !ok {
		rec.Release()
		return nil, fmt.Errorf("filter predicate %s is %s, not BOOLEAN", pred, maskArr.DataType())
	}
	n := mask.Len()
	trues := 0
	if mask.NullN() == 0 {
		trues = countTrue(mask)
	} else {
		for i := 0; i < n; i++ {
			if mask.IsValid(i) && mask.Value(i) {
				trues++
			}
		}
	}
	switch trues {
	case 0: // before n: an empty batch has no row that passes
		rec.Release()
		return nil, nil
	case n:
		return rec, nil
	}
	out, err := takeRows(ec.Mem, rec, selectedRows(mask, trues))
	rec.Release()
	if err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	return out, nil
}

// countTrue counts the set bits of a null-free boolean array.
func countTrue(b *array.Boolean) int {
	return bitutil.CountSetBits(b.Data().Buffers()[1].Bytes(), b.Data().Offset(), b.Len())
}
