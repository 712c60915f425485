package expr

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
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

// Nexmark q14's expressions as the planner builds them, over a batch of
// bids like the generator's: log-uniform prices from 100 to 100,000,000,
// times spread over a day, 54 to 81 random letters of extra.

func q14Batch(b *testing.B) arrow.Record {
	r := rand.New(rand.NewSource(14))
	prices := make([]any, benchRows)
	times := make([]any, benchRows)
	extras := make([]any, benchRows)
	const day = 86_400_000
	for i := range prices {
		prices[i] = int64(math.Round(math.Pow(10, 2+6*r.Float64())))
		times[i] = sqltypes.FormatTimestamp(1_704_067_200_000 + r.Int63n(day))
		letters := make([]byte, 54+r.Intn(28))
		for k := range letters {
			letters[k] = byte('a' + r.Intn(26))
		}
		extras[i] = string(letters)
	}
	return record(b, memory.NewGoAllocator(),
		c("price", sqltypes.BigInt, prices...),
		c("date_time", sqltypes.Timestamp, times...),
		c("extra", sqltypes.Varchar, extras...))
}

// q14Price is 0.908 * price: both sides cast to DECIMAL(22, 3), as the
// planner types it, giving DECIMAL(38, 6).
func q14Price(b testing.TB) Expr {
	d := dec(22, 3)
	return must(NewBinary(Mul, must(NewCast(lit(b, dec(3, 3), "0.908"), d, false)),
		must(NewCast(NewColumn(0, "price", sqltypes.BigInt), d, false))))
}

// q14Where is its WHERE clause.
func q14Where(b testing.TB) Expr {
	bound := func(v int64) Expr { return must(NewCast(lit(b, sqltypes.BigInt, v), dec(38, 6), false)) }
	return must(NewBinary(And,
		must(NewBinary(Gt, q14Price(b), bound(1_000_000))),
		must(NewBinary(Lt, q14Price(b), bound(50_000_000)))))
}

// q14Case is its CASE over HOUR(date_time).
func q14Case(b testing.TB) Expr {
	hour := func() Expr { return must(NewExtract("HOUR", NewColumn(1, "date_time", sqltypes.Timestamp))) }
	n := func(v int64) Expr { return lit(b, sqltypes.BigInt, v) }
	vc := sqltypes.Varchar
	return must(NewCase([]When{
		{Cond: must(NewBinary(And, must(NewBinary(GtEq, hour(), n(8))), must(NewBinary(LtEq, hour(), n(18))))),
			Result: lit(b, vc, "dayTime")},
		{Cond: must(NewBinary(Or, must(NewBinary(LtEq, hour(), n(6))), must(NewBinary(GtEq, hour(), n(20))))),
			Result: lit(b, vc, "nightTime")},
	}, lit(b, vc, "otherTime")))
}

func BenchmarkQ14Where(b *testing.B) {
	batch := q14Batch(b)
	defer batch.Release()
	benchEval(b, q14Where(b), batch)
}

func BenchmarkQ14Price(b *testing.B) {
	batch := q14Batch(b)
	defer batch.Release()
	benchEval(b, q14Price(b), batch)
}

func BenchmarkQ14Case(b *testing.B) {
	batch := q14Batch(b)
	defer batch.Release()
	benchEval(b, q14Case(b), batch)
}

func BenchmarkQ14CountChar(b *testing.B) {
	batch := q14Batch(b)
	defer batch.Release()
	f, _ := LookupFunc("COUNT_CHAR")
	benchEval(b, must(f.New([]Expr{NewColumn(2, "extra", sqltypes.Varchar), lit(b, sqltypes.Varchar, "c")}, sqltypes.BigInt)), batch)
}
