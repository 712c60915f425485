package exec

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
	"github.com/weirsql/weir/state"
)

// openGroupsAggregate returns a tumbling-window aggregate (COUNT, SUM, MAX
// per BIGINT key) holding groups open groups in one window.
func openGroupsAggregate(b *testing.B, mem memory.Allocator, groups int) *WindowAggregate {
	schema := schemaOf(field("k", sqltypes.BigInt), field("v", sqltypes.BigInt), field("ts", tsType))
	spec := &AggregateSpec{
		Keys:    []expr.Expr{expr.NewColumn(0, "k", sqltypes.BigInt)},
		Aggs:    []agg.Spec{{Func: agg.CountStar}, {Func: agg.Sum, Arg: sqltypes.BigInt}, {Func: agg.Max, Arg: sqltypes.BigInt}},
		Args:    []expr.Expr{nil, expr.NewColumn(1, "v", sqltypes.BigInt), expr.NewColumn(1, "v", sqltypes.BigInt)},
		Filters: make([]expr.Expr, 3),
		Schema: schemaOf(field("k", sqltypes.BigInt), field("window_start", tsType), field("window_end", tsType),
			field("window_time", tsType), field("n", sqltypes.BigInt), field("sum", sqltypes.BigInt), field("max", sqltypes.BigInt)),
	}
	w := NewWindowAggregate(nil, spec, WindowSpec{Kind: Tumble, TimeCol: 2, Size: 3600_000}, newExprCtx(mem))
	const batch = 8192
	kb, vb := array.NewInt64Builder(mem), array.NewInt64Builder(mem)
	tb := array.NewTimestampBuilder(mem, tsType.(*arrow.TimestampType))
	defer kb.Release()
	defer vb.Release()
	defer tb.Release()
	for start := 0; start < groups; start += batch {
		n := min(batch, groups-start)
		for i := 0; i < n; i++ {
			kb.Append(int64(start + i))
			vb.Append(int64(i))
			tb.Append(arrow.Timestamp(i))
		}
		cols := []arrow.Array{kb.NewArray(), vb.NewArray(), tb.NewArray()}
		rec := array.NewRecord(schema, cols, int64(n))
		for _, c := range cols {
			c.Release()
		}
		if err := w.consume(BatchMessage(rec)); err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
	return w
}

// BenchmarkCheckpointOpenGroups measures a checkpoint of a window holding
// 1M and 10M open groups: encoding the state and committing it to Badger,
// then recovering it (loading and decoding into a new operator). It reports
// the bytes per group in the checkpoint and on disk.
//
//	go test ./exec -run NONE -bench CheckpointOpenGroups -benchtime 3x
func BenchmarkCheckpointOpenGroups(b *testing.B) {
	for _, groups := range []int{1_000_000, 10_000_000} {
		b.Run(fmt.Sprintf("groups=%dM", groups/1_000_000), func(b *testing.B) {
			mem := memory.NewGoAllocator()
			w := openGroupsAggregate(b, mem, groups)
			defer func() {
				for _, ow := range w.open {
					ow.table.Release()
				}
			}()
			dir := filepath.Join(b.TempDir(), "state")
			st, err := state.Open(dir)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			var save, restore time.Duration
			var size int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				e := state.NewEncoder(nil)
				if err := w.SaveState(e); err != nil {
					b.Fatal(err)
				}
				if err := st.Save("q", state.Manifest{ID: uint64(i + 1)}, e.Bytes()); err != nil {
					b.Fatal(err)
				}
				save += time.Since(t0)
				size = e.Len()

				t0 = time.Now()
				_, data, err := st.Load("q")
				if err != nil {
					b.Fatal(err)
				}
				r := NewWindowAggregate(nil, w.spec, w.win, w.ec)
				if err := r.RestoreState(state.NewDecoder(data)); err != nil {
					b.Fatal(err)
				}
				restore += time.Since(t0)
				if r.open[3600_000].table.Len() != groups {
					b.Fatalf("restored %d groups", r.open[3600_000].table.Len())
				}
				for _, ow := range r.open {
					ow.table.Release()
				}
			}
			b.StopTimer()
			if err := st.Flatten(); err != nil {
				b.Fatal(err)
			}
			disk, _ := state.DiskUsage(dir)
			b.ReportMetric(save.Seconds()/float64(b.N), "checkpoint-s")
			b.ReportMetric(restore.Seconds()/float64(b.N), "recovery-s")
			b.ReportMetric(float64(size)/float64(groups), "B/group")
			b.ReportMetric(float64(disk)/float64(groups), "disk-B/group")
		})
	}
}
