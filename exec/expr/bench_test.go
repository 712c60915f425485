package expr

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

const benchRows = 1024

// benchEval evaluates e over batch b.N times and reports rows per second.
func benchEval(b *testing.B, e Expr, batch arrow.Record) {
	ctx := &Context{Mem: memory.NewGoAllocator()}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := e.Eval(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
	b.ReportMetric(float64(b.N)*float64(batch.NumRows())/b.Elapsed().Seconds(), "rows/s")
}

func benchRecord(b *testing.B, typ arrow.DataType, gen func(r *rand.Rand, i int) any, ncols int) arrow.Record {
	r := rand.New(rand.NewSource(1))
	cols := make([]col, ncols)
	for k := range cols {
		vals := make([]any, benchRows)
		for i := range vals {
			if i%50 == 7 {
				continue // a few NULLs
			}
			vals[i] = gen(r, i)
		}
		cols[k] = c(fmt.Sprintf("c%d", k), typ, vals...)
	}
	return record(b, memory.NewGoAllocator(), cols...)
}

func BenchmarkCompareInt64Const(b *testing.B) {
	batch := benchRecord(b, sqltypes.BigInt, genInt64(0, 200), 1)
	defer batch.Release()
	e := must(NewBinary(Gt, NewColumn(0, "price", sqltypes.BigInt), lit(b, sqltypes.BigInt, int64(100))))
	benchEval(b, e, batch)
}

func BenchmarkAddInt64(b *testing.B) {
	batch := benchRecord(b, sqltypes.BigInt, genInt64(-1e9, 1e9), 2)
	defer batch.Release()
	e := must(NewBinary(Add, NewColumn(0, "a", sqltypes.BigInt), NewColumn(1, "b", sqltypes.BigInt)))
	benchEval(b, e, batch)
}

func BenchmarkMulInt64Const(b *testing.B) {
	batch := benchRecord(b, sqltypes.BigInt, genInt64(-1e9, 1e9), 1)
	defer batch.Release()
	e := must(NewBinary(Mul, NewColumn(0, "price", sqltypes.BigInt), lit(b, sqltypes.BigInt, int64(2))))
	benchEval(b, e, batch)
}

func BenchmarkLikeContains(b *testing.B) {
	words := []string{"apple", "banana", "cherry", "foobar", "grape", "lemon"}
	batch := benchRecord(b, sqltypes.Varchar, func(r *rand.Rand, _ int) any {
		return words[r.Intn(len(words))] + " " + words[r.Intn(len(words))] + " pie"
	}, 1)
	defer batch.Release()
	e := must(NewLike(NewColumn(0, "s", sqltypes.Varchar), lit(b, sqltypes.Varchar, "%foo%"), 0, false))
	benchEval(b, e, batch)
}

func BenchmarkCastStringToInt64(b *testing.B) {
	batch := benchRecord(b, sqltypes.Varchar, func(r *rand.Rand, _ int) any {
		return fmt.Sprint(r.Int63n(1e12) - 5e11)
	}, 1)
	defer batch.Release()
	e := must(NewCast(NewColumn(0, "s", sqltypes.Varchar), sqltypes.BigInt, false))
	benchEval(b, e, batch)
}

func BenchmarkCaseLazyDivision(b *testing.B) {
	batch := benchRecord(b, sqltypes.BigInt, genInt64(0, 10), 2)
	defer batch.Release()
	a, d := NewColumn(0, "a", sqltypes.BigInt), NewColumn(1, "d", sqltypes.BigInt)
	zero := lit(b, sqltypes.BigInt, int64(0))
	e := must(NewCase([]When{{Cond: must(NewBinary(Eq, d, zero)), Result: zero}}, must(NewBinary(Div, a, d))))
	benchEval(b, e, batch)
}

func BenchmarkPricePredicate(b *testing.B) {
	batch := benchRecord(b, sqltypes.BigInt, genInt64(0, 200), 1)
	defer batch.Release()
	price := NewColumn(0, "price", sqltypes.BigInt)
	e := must(NewBinary(Gt, must(NewBinary(Mul, price, lit(b, sqltypes.BigInt, int64(2)))), lit(b, sqltypes.BigInt, int64(100))))
	benchEval(b, e, batch)
}

var _ = array.NewRecord
