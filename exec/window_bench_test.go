package exec

import (
	"context"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// replay serves pre-built batches (retained per use) and a final
// watermark, so a benchmark measures only the operator above it.
type replay struct {
	schema *arrow.Schema
	recs   []arrow.Record
	wms    []int64 // watermark after each batch
	pos    int
}

func (r *replay) Schema() *arrow.Schema      { return r.schema }
func (r *replay) Open(context.Context) error { r.pos = 0; return nil }
func (r *replay) Close() error               { return nil }
func (r *replay) Children() []Operator       { return nil }
func (r *replay) Next(context.Context) (Message, error) {
	i := r.pos / 2
	if i >= len(r.recs) {
		return EndMessage(), nil
	}
	r.pos++
	if r.pos%2 == 1 {
		r.recs[i].Retain()
		return BatchMessage(r.recs[i]), nil
	}
	return WatermarkMessage(r.wms[i]), nil
}

// keyedBatches builds batches of rows (k BIGINT, v BIGINT, ts): key
// (i*rows+j)*7919 % keys and value v(i, j) for row j of batch i, times 1
// ms apart, each batch followed by a watermark 4 s behind its last row.
func keyedBatches(mem memory.Allocator, batches, rows, keys int, v func(i, j int) int64) *replay {
	schema := schemaOf(field("k", sqltypes.BigInt), field("v", sqltypes.BigInt), field("ts", tsType))
	src := &replay{schema: schema}
	t := int64(0)
	for i := 0; i < batches; i++ {
		kb := array.NewInt64Builder(mem)
		vb := array.NewInt64Builder(mem)
		tb := array.NewTimestampBuilder(mem, tsType.(*arrow.TimestampType))
		for j := 0; j < rows; j++ {
			kb.Append(int64((i*rows + j) * 7919 % keys))
			vb.Append(v(i, j))
			tb.Append(arrow.Timestamp(t))
			t++
		}
		cols := []arrow.Array{kb.NewArray(), vb.NewArray(), tb.NewArray()}
		src.recs = append(src.recs, array.NewRecord(schema, cols, int64(rows)))
		src.wms = append(src.wms, t-4000)
		for _, c := range cols {
			c.Release()
		}
	}
	return src
}

// BenchmarkWindowAggregateTumble runs the TUMBLE aggregate operator alone
// (window assignment, hash lookup, COUNT/SUM/MAX, emission at watermarks)
// over pre-built 1024-row batches: a BIGINT key with 10,000 values, event
// times 1 ms apart, 10 s windows.
func BenchmarkWindowAggregateTumble(b *testing.B) {
	const batches, rows, keys = 200, 1024, 10_000
	mem := memory.NewGoAllocator()
	src := keyedBatches(mem, batches, rows, keys, func(i, j int) int64 { return int64(j) })
	spec := &AggregateSpec{
		Keys:    []expr.Expr{expr.NewColumn(0, "k", sqltypes.BigInt)},
		Aggs:    []agg.Spec{{Func: agg.CountStar}, {Func: agg.Sum, Arg: sqltypes.BigInt}, {Func: agg.Max, Arg: sqltypes.BigInt}},
		Args:    []expr.Expr{nil, expr.NewColumn(1, "v", sqltypes.BigInt), expr.NewColumn(1, "v", sqltypes.BigInt)},
		Filters: make([]expr.Expr, 3),
		Schema: schemaOf(field("k", sqltypes.BigInt), field("window_start", tsType), field("window_end", tsType),
			field("window_time", tsType), field("n", sqltypes.BigInt), field("sum", sqltypes.BigInt), field("max", sqltypes.BigInt)),
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	var peakGroups, peakBytes int64
	for i := 0; i < b.N; i++ {
		op := NewWindowAggregate(src, spec, WindowSpec{Kind: Tumble, TimeCol: 2, Size: 10_000}, &expr.Context{Mem: mem})
		if err := op.Open(ctx); err != nil {
			b.Fatal(err)
		}
		for {
			m, err := op.Next(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if m.Kind == MsgEnd {
				break
			}
			if i == 0 {
				var groups int64
				for _, ow := range op.open {
					groups += int64(ow.table.Len())
				}
				if groups > peakGroups {
					peakGroups, peakBytes = groups, op.StateBytes()
				}
			}
			m.Release()
		}
		op.Close()
	}
	b.StopTimer()
	total := float64(b.N) * batches * rows
	b.ReportMetric(total/b.Elapsed().Seconds(), "rows/s")
	if peakGroups > 0 {
		b.ReportMetric(float64(peakBytes)/float64(peakGroups), "B/open-group")
	}
	for _, r := range src.recs {
		r.Release()
	}
}
