package exec

import (
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// kvsSchema is (id BIGINT, v BIGINT, s VARCHAR).
var kvsSchema = schemaOf(field("id", sqltypes.BigInt), field("v", sqltypes.BigInt), field("s", sqltypes.Varchar))

// projectRows has NULLs in v and s.
func projectRows() []row {
	rows := make([]row, 40)
	for i := range rows {
		var v, s any = i - 20, string(rune('a' + i%26))
		if i%3 == 1 {
			v = nil
		}
		if i%7 == 5 {
			s = nil
		}
		rows[i] = row{i, v, s}
	}
	return rows
}

// newTestProject is `SELECT v * 2 AS doubled, s, id + v AS total`.
func newTestProject(t testing.TB, in Operator, ec *expr.Context) *Project {
	exprs := []expr.Expr{
		binary(t, expr.Mul, colExpr(kvsSchema, "v"), int64Lit(2)),
		colExpr(kvsSchema, "s"),
		binary(t, expr.Add, colExpr(kvsSchema, "id"), colExpr(kvsSchema, "v")),
	}
	out := schemaOf(field("doubled", sqltypes.BigInt), field("s", sqltypes.Varchar), field("total", sqltypes.BigInt))
	return NewProject(in, exprs, out, ec)
}

func TestProjectBatchSizes(t *testing.T) {
	rows := projectRows()
	want := make([]row, len(rows))
	for i, r := range rows {
		var doubled, total any
		if r[1] != nil {
			doubled, total = r[1].(int)*2, r[0].(int)+r[1].(int)
		}
		want[i] = row{doubled, r[2], total}
	}
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		in := newScriptOp(t, mem, kvsSchema, batchItems(rows, size)...)
		p := newTestProject(t, in, newExprCtx(mem))
		out := drain(t, p)
		assertRows(t, p.Schema(), out.rows, want)
		wantBatches := chunk(rows, size)
		if len(out.batches) != len(wantBatches) {
			t.Fatalf("%d batches, want %d (one per input batch)", len(out.batches), len(wantBatches))
		}
	})
}

func TestProjectForwardsWatermarksAndOps(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, kvsSchema,
		wmItem(10),
		item{kind: MsgBatch, rows: []row{{1, 2, "x"}, {2, 3, nil}}, ops: []Op{OpUpdateBefore, OpUpdateAfter}},
		barrierItem(4),
		item{kind: MsgBatch, rows: []row{{3, nil, "y"}}, ops: []Op{OpDelete}},
		wmItem(20),
	)
	out := drain(t, newTestProject(t, in, newExprCtx(mem)))
	assertTrace(t, out.trace, "wm 10", "batch 2", "barrier 4", "batch 1", "wm 20")
	if want := []Op{OpUpdateBefore, OpUpdateAfter, OpDelete}; !equalOps(out.ops, want) {
		t.Errorf("ops = %v, want %v", out.ops, want)
	}
	assertRows(t, schemaOf(field("doubled", sqltypes.BigInt), field("s", sqltypes.Varchar), field("total", sqltypes.BigInt)),
		out.rows, []row{{4, "x", 3}, {6, nil, 5}, {nil, "y", nil}})
}

func equalOps(a, b []Op) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestProjectDivisionByZero(t *testing.T) {
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		rows := []row{{1, 5, "a"}, {2, nil, "b"}, {3, 4, "c"}, {4, 0, "d"}, {5, 1, "e"}}
		in := newScriptOp(t, mem, kvsSchema, batchItems(rows, size)...)
		// The first expression succeeds on the failing batch; its result
		// must be released with the batch.
		exprs := []expr.Expr{
			colExpr(kvsSchema, "s"),
			binary(t, expr.Div, int64Lit(100), colExpr(kvsSchema, "v")),
		}
		p := NewProject(in, exprs, schemaOf(field("s", sqltypes.Varchar), field("q", sqltypes.BigInt)), newExprCtx(mem))
		out, err := tryDrain(t, p)
		var ee *expr.EvalError
		if !errors.As(err, &ee) {
			t.Fatalf("err = %v, want an *expr.EvalError", err)
		}
		want := []row{{"a", 20}, {"b", nil}, {"c", 25}}
		assertRows(t, p.Schema(), out.rows, want[:3/size*size]) // the batches before the failing one
	})
}

// wrongLen is an expression that returns one row too many.
type wrongLen struct{}

func (wrongLen) DataType() arrow.DataType { return sqltypes.BigInt }
func (wrongLen) String() string           { return "wrong_len()" }
func (wrongLen) Eval(ctx *expr.Context, batch arrow.Record) (arrow.Array, error) {
	b := array.NewInt64Builder(ctx.Mem)
	defer b.Release()
	for i := int64(0); i <= batch.NumRows(); i++ {
		b.Append(i)
	}
	return b.NewArray(), nil
}

func TestProjectWrongLength(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, kvsSchema, batchItem(row{1, 2, "a"}))
	p := NewProject(in, []expr.Expr{colExpr(kvsSchema, "id"), wrongLen{}},
		schemaOf(field("id", sqltypes.BigInt), field("w", sqltypes.BigInt)), newExprCtx(mem))
	if _, err := tryDrain(t, p); err == nil {
		t.Fatal("no error for an expression of the wrong length")
	}
}

func TestProjectInputError(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, kvsSchema, batchItem(row{1, 2, "a"}), errItem(errInput))
	out, err := tryDrain(t, newTestProject(t, in, newExprCtx(mem)))
	if !errors.Is(err, errInput) {
		t.Fatalf("err = %v, want %v", err, errInput)
	}
	if len(out.rows) != 1 {
		t.Errorf("%d rows before the error, want 1", len(out.rows))
	}
}

func TestProjectOverValues(t *testing.T) {
	// SELECT 40 + 2 AS answer: Values gives the row count, Project the value.
	mem := newMem(t)
	p := NewProject(NewValues(3), []expr.Expr{binary(t, expr.Add, int64Lit(40), int64Lit(2))},
		schemaOf(field("answer", sqltypes.BigInt)), newExprCtx(mem))
	out := drain(t, p)
	assertTrace(t, out.trace, "batch 3")
	assertRows(t, p.Schema(), out.rows, []row{{42}, {42}, {42}})
}

func TestProjectDescribe(t *testing.T) {
	p := newTestProject(t, newScriptOp(t, nil, kvsSchema), nil)
	if got, want := p.Describe(), "ProjectExec: v * 2 AS doubled, s, id + v AS total"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
}

func TestValues(t *testing.T) {
	for _, n := range []int{0, 1, 5} {
		v := NewValues(n)
		out := drain(t, v)
		assertTrace(t, out.trace, fmt.Sprintf("batch %d", n))
		if v.Schema().NumFields() != 0 || len(v.Children()) != 0 {
			t.Errorf("Values has %d fields and %d children, want none", v.Schema().NumFields(), len(v.Children()))
		}
	}
	if got, want := NewValues(1).Describe(), "ValuesExec: 1 row(s)"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
}
