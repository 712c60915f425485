package exec

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// joinBenchInput builds one input of the interval-join benchmark: batches
// of 1024 rows (k BIGINT, v BIGINT, ts TIMESTAMP), one row per ms, keys
// spread over keys values, each batch followed by the watermark ts - 1 s.
func joinBenchInput(mem memory.Allocator, batches, keys int, salt int64) *replay {
	const rows = 1024
	schema := schemaOf(field("k", sqltypes.BigInt), field("v", sqltypes.BigInt), field("ts", tsType))
	src := &replay{schema: schema}
	t := int64(0)
	for i := 0; i < batches; i++ {
		kb := array.NewInt64Builder(mem)
		vb := array.NewInt64Builder(mem)
		tb := array.NewTimestampBuilder(mem, tsType.(*arrow.TimestampType))
		for j := 0; j < rows; j++ {
			kb.Append((int64(i*rows+j)*7919 + salt) % int64(keys))
			vb.Append(int64(j))
			tb.Append(arrow.Timestamp(t))
			t++
		}
		cols := []arrow.Array{kb.NewArray(), vb.NewArray(), tb.NewArray()}
		src.recs = append(src.recs, array.NewRecord(schema, cols, rows))
		src.wms = append(src.wms, t-1000)
		releaseAll(cols)
	}
	return src
}

// BenchmarkIntervalJoin runs an inner interval join alone over two
// pre-built inputs of 1024-row batches, one row per ms each:
// l.ts BETWEEN r.ts - 5 s AND r.ts + 5 s on a BIGINT key. It reports the
// input rows the join consumes per second (each is stored, then probes
// the other side), the joined rows it emits per second, and the bytes of
// state per buffered row (at the end of the run's busiest batch).
func BenchmarkIntervalJoin(b *testing.B) {
	for _, keys := range []int{100_000, 10_000, 1_000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			const batches = 100
			mem := memory.NewGoAllocator()
			left := joinBenchInput(mem, batches, keys, 0)
			right := joinBenchInput(mem, batches, keys, 17)
			outSchema := schemaOf(field("k", sqltypes.BigInt), field("v", sqltypes.BigInt), field("ts", tsType),
				field("k0", sqltypes.BigInt), field("v0", sqltypes.BigInt), field("ts0", tsType))
			key := []expr.Expr{expr.NewColumn(0, "k", sqltypes.BigInt)}
			spec := &JoinSpec{Kind: InnerJoin, LeftKeys: key, RightKeys: key, Schema: outSchema,
				Interval: &IntervalBounds{LeftTime: 2, RightTime: 2, Lower: -5000, Upper: 5000}}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			var out, peakRows, peakBytes int64
			for i := 0; i < b.N; i++ {
				j := NewJoin(left, right, spec, &expr.Context{Mem: mem})
				if err := j.Open(ctx); err != nil {
					b.Fatal(err)
				}
				for {
					m, err := j.Next(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if m.Kind == MsgEnd {
						break
					}
					out += int64(m.NumRows())
					if i == 0 && m.Kind == MsgWatermark {
						if n := j.StateRows(); n > peakRows {
							peakRows, peakBytes = n, j.StateBytes()
						}
					}
					m.Release()
				}
				j.Close()
			}
			b.StopTimer()
			secs := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N)*2*batches*1024/secs, "in-rows/s")
			b.ReportMetric(float64(out)/secs, "out-rows/s")
			if peakRows > 0 {
				b.ReportMetric(float64(peakBytes)/float64(peakRows), "state-B/row")
				b.ReportMetric(float64(peakRows), "state-rows")
			}
			for _, r := range append(left.recs, right.recs...) {
				r.Release()
			}
		})
	}
}
