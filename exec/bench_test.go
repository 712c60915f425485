package exec

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// recordsOp serves recs, each retained, times times over, then MsgEnd.
type recordsOp struct {
	schema *arrow.Schema
	recs   []arrow.Record
	times  int
	i      int
}

func (o *recordsOp) Schema() *arrow.Schema      { return o.schema }
func (o *recordsOp) Children() []Operator       { return nil }
func (o *recordsOp) Open(context.Context) error { return nil }
func (o *recordsOp) Close() error               { return nil }

func (o *recordsOp) Next(context.Context) (Message, error) {
	if o.i >= len(o.recs)*o.times {
		return EndMessage(), nil
	}
	rec := o.recs[o.i%len(o.recs)]
	o.i++
	rec.Retain()
	return BatchMessage(rec), nil
}

// int64Batches builds n rows of (id, price) in batches of size rows with
// price drawn from [0, maxPrice).
func int64Batches(mem memory.Allocator, schema *arrow.Schema, n, size int, maxPrice int64) []arrow.Record {
	rng := rand.New(rand.NewPCG(1, 2))
	var recs []arrow.Record
	for off := 0; off < n; off += size {
		m := min(size, n-off)
		rb := array.NewRecordBuilder(mem, schema)
		id, price := rb.Field(0).(*array.Int64Builder), rb.Field(1).(*array.Int64Builder)
		for i := 0; i < m; i++ {
			id.Append(int64(off + i))
			price.Append(rng.Int64N(maxPrice))
		}
		recs = append(recs, rb.NewRecord())
		rb.Release()
	}
	return recs
}

// drainCount pulls op to its end and returns the rows it emitted.
func drainCount(b *testing.B, op Operator) int64 {
	ctx := context.Background()
	if err := op.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer op.Close()
	var rows int64
	for {
		m, err := op.Next(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if m.Kind == MsgEnd {
			return rows
		}
		rows += int64(m.NumRows())
		m.Release()
	}
}

var priceSchema = schemaOf(field("id", sqltypes.BigInt), field("price", sqltypes.BigInt))

// BenchmarkFilterProject is `SELECT price * 2 FROM t WHERE price > 1000`
// over 1024-row batches; about half the rows pass. rows/s counts input rows.
func BenchmarkFilterProject(b *testing.B) {
	mem := memory.NewGoAllocator()
	recs := int64Batches(mem, priceSchema, 1024, 1024, 2000)
	defer recs[0].Release()
	ec := &expr.Context{Mem: mem}
	price := colExpr(priceSchema, "price")
	pred := binary(b, expr.Gt, price, int64Lit(1000))
	double := binary(b, expr.Mul, price, int64Lit(2))
	in := &recordsOp{schema: priceSchema, recs: recs, times: b.N}
	op := NewProject(NewFilter(in, pred, ec), []expr.Expr{double}, schemaOf(field("double_price", sqltypes.BigInt)), ec)
	b.ReportAllocs()
	b.ResetTimer()
	out := drainCount(b, op)
	b.StopTimer()
	if out == 0 || out >= int64(b.N)*1024 {
		b.Fatalf("%d rows out of %d", out, b.N*1024)
	}
	b.ReportMetric(float64(b.N)*1024/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkSortInt64 sorts 1M rows of (id, price) on price, read in
// 1024-row batches. rows/s counts rows sorted.
func BenchmarkSortInt64(b *testing.B) {
	const n = 1 << 20
	mem := memory.NewGoAllocator()
	recs := int64Batches(mem, priceSchema, n, 1024, 1<<62)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in := &recordsOp{schema: priceSchema, recs: recs, times: 1}
		if got := drainCount(b, NewSort(in, []SortKey{{Column: 1}}, mem)); got != n {
			b.Fatalf("sorted %d rows, want %d", got, n)
		}
	}
	b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "rows/s")
}
