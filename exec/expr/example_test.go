package expr_test

import (
	"fmt"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// Build and evaluate `price * 2 > 100`.
func ExampleNewBinary() {
	mem := memory.NewGoAllocator()
	b := array.NewInt64Builder(mem)
	b.AppendValues([]int64{10, 60, 0}, []bool{true, true, false})
	prices := b.NewArray()
	b.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "price", Type: sqltypes.BigInt, Nullable: true}}, nil)
	batch := array.NewRecord(schema, []arrow.Array{prices}, 3)
	prices.Release()
	defer batch.Release()

	price := expr.NewColumn(0, "price", sqltypes.BigInt)
	double, err := expr.NewBinary(expr.Mul, price, expr.NewLiteral(scalar.NewInt64Scalar(2)))
	if err != nil {
		panic(err)
	}
	pred, err := expr.NewBinary(expr.Gt, double, expr.NewLiteral(scalar.NewInt64Scalar(100)))
	if err != nil {
		panic(err)
	}
	out, err := pred.Eval(&expr.Context{Mem: mem, Now: time.Now()}, batch)
	if err != nil {
		panic(err)
	}
	defer out.Release()
	fmt.Println(pred)
	fmt.Println(out)
	// Output:
	// price * 2 > 100
	// [false true (null)]
}

// Call a built-in function the way the planner does: resolve the argument
// types, cast the arguments, build.
func ExampleLookupFunc() {
	f, _ := expr.LookupFunc("UPPER")
	ret, want, err := f.Resolve([]arrow.DataType{sqltypes.Varchar})
	if err != nil {
		panic(err)
	}
	arg, _ := expr.NewCast(expr.NewLiteral(scalar.NewStringScalar("weir")), want[0], false)
	e, _ := f.New([]expr.Expr{arg}, ret)
	fmt.Println(f.Doc)
	fmt.Println(e) // folded: the argument is a constant
	// Output:
	// UPPER(s) → VARCHAR: s in upper case.
	// 'WEIR'
}
