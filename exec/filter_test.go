package exec

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// kvSchema is (id BIGINT, v BIGINT).
var kvSchema = schemaOf(field("id", sqltypes.BigInt), field("v", sqltypes.BigInt))

var errInput = errors.New("input failed")

// vGt10 is `v > 10` over kvSchema.
func vGt10(t testing.TB) expr.Expr {
	return binary(t, expr.Gt, colExpr(kvSchema, "v"), int64Lit(10))
}

func TestFilterBatchSizes(t *testing.T) {
	rows := seqRows(100, 4, func(i int) any { return i * 7 % 23 })
	var want []row
	for _, r := range rows {
		if r[1] != nil && r[1].(int) > 10 {
			want = append(want, r)
		}
	}
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		in := newScriptOp(t, mem, kvSchema, batchItems(rows, size)...)
		out := drain(t, NewFilter(in, vGt10(t), newExprCtx(mem)))
		assertRows(t, kvSchema, out.rows, want)
		for _, n := range out.batches {
			if n == 0 || n > size {
				t.Fatalf("batch of %d rows at batch size %d", n, size)
			}
		}
		if in.closed == 0 {
			t.Error("input not closed")
		}
	})
}

func TestFilterAllTruePassesRecordThrough(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, kvSchema, batchItem(row{1, 11}, row{2, 12}, row{3, 13}))
	f := NewFilter(in, vGt10(t), newExprCtx(mem))
	ctx := context.Background()
	if err := f.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := f.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Release()
	if m.Kind != MsgBatch || m.Batch != in.last {
		t.Fatalf("got %s %p, want the input record %p itself", traceOf(m), m.Batch, in.last)
	}
}

func TestFilterSkipsAllFalseAndForwardsInOrder(t *testing.T) {
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		// Batches that lose every row (FALSE or NULL) produce no message;
		// watermarks and barriers keep their place among the others.
		items := []item{batchItem(row{1, 1}, row{2, nil}), wmItem(5)}
		items = append(items, batchItems([]row{{3, 0}, {4, nil}, {5, 10}}, size)...)
		items = append(items, barrierItem(1))
		items = append(items, batchItems([]row{{6, 20}, {7, nil}, {8, 3}, {9, 30}}, size)...)
		items = append(items, wmItem(7), batchItem(row{10, nil}), barrierItem(2))
		in := newScriptOp(t, mem, kvSchema, items...)
		out := drain(t, NewFilter(in, vGt10(t), newExprCtx(mem)))

		var want []string
		want = append(want, "wm 5", "barrier 1")
		// The passing rows 6 and 9 land in one batch or two, by size.
		switch {
		case size <= 3:
			want = append(want, "batch 1", "batch 1")
		default:
			want = append(want, "batch 2")
		}
		want = append(want, "wm 7", "barrier 2")
		assertTrace(t, out.trace, want...)
		assertRows(t, kvSchema, out.rows, []row{{6, 20}, {9, 30}})
		if in.next != len(items)+3 { // items, MsgEnd, two more MsgEnd checks
			t.Errorf("input pulled %d times, want %d", in.next, len(items)+3)
		}
	})
}

func TestFilterEmptyBatch(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, kvSchema, batchItem(), batchItem(row{1, 20}))
	out := drain(t, NewFilter(in, vGt10(t), newExprCtx(mem)))
	assertRows(t, kvSchema, out.rows, []row{{1, 20}})
	for _, n := range out.batches {
		if n == 0 {
			t.Errorf("filter emitted an empty batch: %v", out.trace)
		}
	}
}

func TestFilterErrors(t *testing.T) {
	div, err := expr.NewBinary(expr.Div, int64Lit(100), colExpr(kvSchema, "v"))
	if err != nil {
		t.Fatal(err)
	}
	divPred := binary(t, expr.Gt, div, int64Lit(1))
	for _, tc := range []struct {
		name  string
		pred  expr.Expr
		items []item
		check func(t *testing.T, err error)
	}{
		{
			name:  "division by zero",
			pred:  divPred,
			items: []item{batchItem(row{1, 5}), batchItem(row{2, 4}, row{3, 0})},
			check: func(t *testing.T, err error) {
				var ee *expr.EvalError
				if !errors.As(err, &ee) {
					t.Fatalf("err = %v, want an *expr.EvalError", err)
				}
			},
		},
		{
			name:  "not boolean",
			pred:  colExpr(kvSchema, "v"),
			items: []item{batchItem(row{1, 5})},
			check: func(t *testing.T, err error) {
				if err == nil {
					t.Fatal("no error for a BIGINT predicate")
				}
			},
		},
		{
			name:  "input error",
			pred:  vGt10(t),
			items: []item{batchItem(row{1, 20}), errItem(errInput)},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, errInput) {
					t.Fatalf("err = %v, want %v", err, errInput)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := newMem(t)
			in := newScriptOp(t, mem, kvSchema, tc.items...)
			_, err := tryDrain(t, NewFilter(in, tc.pred, newExprCtx(mem)))
			tc.check(t, err)
		})
	}
}

func TestFilterDescribe(t *testing.T) {
	f := NewFilter(newScriptOp(t, nil, kvSchema), vGt10(t), nil)
	if got, want := f.Describe(), "FilterExec: v > 10"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
	if len(f.Children()) != 1 || f.Schema() != kvSchema {
		t.Error("Filter must have its input as only child and keep its schema")
	}
}

func TestFilterNullPredicateDropsRow(t *testing.T) {
	// Under v < 10 the value slot of a NULL v holds 0, which compares TRUE;
	// the row must still go, as the predicate is NULL there. Every other
	// row passes, so a filter that ignored validity would keep the batch.
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		rows := []row{{1, 5}, {2, nil}, {3, -1}, {4, nil}}
		in := newScriptOp(t, mem, kvSchema, batchItems(rows, size)...)
		pred := binary(t, expr.Lt, colExpr(kvSchema, "v"), int64Lit(10))
		out := drain(t, NewFilter(in, pred, newExprCtx(mem)))
		assertRows(t, kvSchema, out.rows, []row{{1, 5}, {3, -1}})
	})
}

// TestFilterChangelog: over an updating stream each kept row keeps its op.
func TestFilterChangelog(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, kvSchema,
		item{kind: MsgBatch, rows: []row{{1, 20}, {2, 5}, {1, 30}, {3, 11}}, ops: []Op{OpUpdateBefore, OpInsert, OpUpdateAfter, OpDelete}},
		item{kind: MsgBatch, rows: []row{{4, 1}}, ops: []Op{OpInsert}},
	)
	out := drain(t, NewFilter(in, vGt10(t), newExprCtx(mem)))
	want := []row{{int64(1), int64(20)}, {int64(1), int64(30)}, {int64(3), int64(11)}}
	if got := fmtRows(out.rows); got != fmtRows(want) {
		t.Errorf("rows = %s, want %s", got, fmtRows(want))
	}
	if got := fmt.Sprint(out.ops); got != "[-U +U -D]" {
		t.Errorf("ops = %s, want [-U +U -D]", got)
	}
}
