package exec

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/sqltypes"
)

// overSchema: a partition key with NULLs, a BIGINT and a DOUBLE argument
// with NULLs, the time, and a row id.
var overSchema = schemaOf(field("k", sqltypes.BigInt), field("v", sqltypes.BigInt), field("f", sqltypes.Double),
	field("ts", tsType), field("id", sqltypes.BigInt))

// overCalls are the calls the tests draw from: COUNT(*), COUNT(v), SUM,
// AVG, MIN and MAX over v, SUM, MIN, MAX over f, MAX over ts.
var overCalls = []OverCall{
	{Func: agg.CountStar, Arg: -1}, {Func: agg.Count, Arg: 1}, {Func: agg.Sum, Arg: 1}, {Func: agg.Avg, Arg: 1},
	{Func: agg.Min, Arg: 1}, {Func: agg.Max, Arg: 1}, {Func: agg.Sum, Arg: 2}, {Func: agg.Min, Arg: 2},
	{Func: agg.Max, Arg: 2}, {Func: agg.Avg, Arg: 2}, {Func: agg.Max, Arg: 3},
}

// overSpecOf builds the spec of calls over overSchema.
func overSpecOf(t testing.TB, partition []int, frame OverFrame, calls []OverCall) OverSpec {
	t.Helper()
	fields := slices.Clone(overSchema.Fields())
	for i, c := range calls {
		var arg arrow.DataType
		if c.Arg >= 0 {
			arg = overSchema.Field(c.Arg).Type
		}
		typ, err := OverCallType(c.Func, arg)
		if err != nil {
			t.Fatal(err)
		}
		fields = append(fields, field(fmt.Sprintf("a%d", i), typ))
	}
	return OverSpec{Partition: partition, TimeCol: 3, Frame: frame, Calls: calls, Schema: arrow.NewSchema(fields, nil)}
}

// bruteOver computes the expected output rows: every row with a time,
// with its calls over its frame, by a scan of its partition.
func bruteOver(rows []row, spec OverSpec) []row {
	type ent struct {
		r   row
		seq int
	}
	parts := map[string][]ent{}
	for i, r := range rows {
		if r[3] == nil {
			continue
		}
		var key []any
		for _, c := range spec.Partition {
			key = append(key, r[c])
		}
		k := fmt.Sprint(key)
		parts[k] = append(parts[k], ent{r, i})
	}
	var out []row
	for _, es := range parts {
		slices.SortStableFunc(es, func(a, b ent) int {
			ta, tb := a.r[3].(int64), b.r[3].(int64)
			if ta != tb {
				return int(ta - tb)
			}
			return a.seq - b.seq
		})
		for i, e := range es {
			ts := e.r[3].(int64)
			var frame []row
			for j, x := range es {
				xt := x.r[3].(int64)
				in := false
				switch f := spec.Frame; {
				case f.Rows && f.Unbounded:
					in = j <= i
				case f.Rows:
					in = j <= i && int64(i-j) <= f.Preceding
				case f.Unbounded:
					in = xt <= ts
				default:
					in = xt <= ts && xt >= ts-f.Preceding
				}
				if in {
					frame = append(frame, x.r)
				}
			}
			o := slices.Clone(e.r)
			for _, c := range spec.Calls {
				o = append(o, bruteCall(c, frame))
			}
			out = append(out, o)
		}
	}
	return out
}

func bruteCall(c OverCall, frame []row) any {
	var vals []any
	for _, r := range frame {
		if c.Arg < 0 {
			vals = append(vals, true)
		} else if r[c.Arg] != nil {
			vals = append(vals, r[c.Arg])
		}
	}
	switch c.Func {
	case agg.CountStar, agg.Count:
		return int64(len(vals))
	}
	if len(vals) == 0 {
		return nil
	}
	num := func(v any) float64 {
		if f, ok := v.(float64); ok {
			return f
		}
		return float64(v.(int64))
	}
	switch c.Func {
	case agg.Sum:
		if _, ok := vals[0].(float64); ok {
			s := 0.0
			for _, v := range vals {
				s += v.(float64)
			}
			return s
		}
		var s int64
		for _, v := range vals {
			s += v.(int64)
		}
		return s
	case agg.Avg:
		s := 0.0
		for _, v := range vals {
			s += num(v)
		}
		return s / float64(len(vals))
	case agg.Min, agg.Max:
		best := vals[0]
		for _, v := range vals[1:] {
			if (c.Func == agg.Min && num(v) < num(best)) || (c.Func == agg.Max && num(v) > num(best)) {
				best = v
			}
		}
		return best
	}
	return nil
}

// overInput makes n random rows, up to jitter ms out of time order (a few
// without a time), and the items serving them in batches of size, each
// followed by the watermark max time seen - jitter.
func overInput(r *rand.Rand, n, keys int, jitter int64, size int) ([]row, []item) {
	rows := make([]row, n)
	for i := range rows {
		var k, v, f, ts any
		if r.Intn(8) != 0 {
			k = int64(r.Intn(keys))
		}
		if r.Intn(6) != 0 {
			v = int64(r.Intn(200) - 50)
		}
		if r.Intn(6) != 0 {
			f = float64(r.Intn(400)-100) / 4 // exact in binary: sums do not drift
		}
		if r.Intn(40) != 0 {
			ts = int64(i*3) + r.Int63n(jitter+1)
		}
		rows[i] = row{k, v, f, ts, int64(i)}
	}
	var items []item
	maxTS := WatermarkMin
	for _, c := range chunk(rows, size) {
		items = append(items, batchItem(c...))
		for _, rw := range c {
			if rw[3] != nil {
				maxTS = max(maxTS, rw[3].(int64))
			}
		}
		if maxTS > WatermarkMin {
			items = append(items, wmItem(maxTS-jitter))
		}
	}
	return rows, items
}

// TestOverAggregateRandom compares OVER aggregations of random frames and
// calls over random inputs with a brute-force scan of each row's frame,
// and checks that no output row is behind the watermark sent before it
// and that nothing is left waiting at the end.
func TestOverAggregateRandom(t *testing.T) {
	seeds := 120
	if testing.Short() {
		seeds = 30
	}
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		frame := OverFrame{Rows: r.Intn(2) == 0}
		switch r.Intn(3) {
		case 0:
			frame.Unbounded = true
		case 1:
			frame.Preceding = int64(r.Intn(4))
			if !frame.Rows {
				frame.Preceding *= 7
			}
		default:
			frame.Preceding = int64(r.Intn(30))
		}
		var partition []int
		if r.Intn(4) != 0 {
			partition = []int{0}
		}
		var calls []OverCall
		for _, i := range r.Perm(len(overCalls))[:1+r.Intn(len(overCalls))] {
			calls = append(calls, overCalls[i])
		}
		rows, items := overInput(r, 20+r.Intn(300), 1+r.Intn(6), r.Int63n(25), batchSizes[r.Intn(len(batchSizes))])
		spec := overSpecOf(t, partition, frame, calls)
		t.Run(fmt.Sprintf("seed%d/%s", seed, frame), func(t *testing.T) {
			mem := newMem(t)
			op := NewOverAggregate(newScriptOp(t, mem, overSchema, items...), spec, mem)
			out := drain(t, op)
			assertSameRows(t, spec.Schema, out.rows, bruteOver(rows, spec))
			// No row behind the watermark before it.
			wm, at := WatermarkMin, 0
			for _, tr := range out.trace {
				switch {
				case strings.HasPrefix(tr, "wm "):
					if tr == "wm max" {
						wm = WatermarkMax
					} else {
						fmt.Sscanf(tr, "wm %d", &wm)
					}
				case strings.HasPrefix(tr, "batch "):
					var n int
					fmt.Sscanf(tr, "batch %d", &n)
					for _, rw := range out.rows[at : at+n] {
						if rw[3].(int64) < wm {
							t.Fatalf("row %v behind the watermark %d", rw, wm)
						}
					}
					at += n
				}
			}
			if len(op.waiting) != 0 || op.LateRows() != 0 {
				t.Fatalf("at the end: %d rows waiting, %d late", len(op.waiting), op.LateRows())
			}
		})
	}
}

// TestOverAggregateLateAndNull: rows behind the watermark and rows without
// a time are dropped and counted; peers (RANGE) see each other.
func TestOverAggregateLateAndNull(t *testing.T) {
	mem := newMem(t)
	spec := overSpecOf(t, []int{0}, OverFrame{Preceding: 10}, []OverCall{{Func: agg.Sum, Arg: 1}, {Func: agg.CountStar, Arg: -1}})
	in := newScriptOp(t, mem, overSchema,
		batchItem(row{1, 1, nil, 100, 0}, row{1, 2, nil, 100, 1}, row{1, 4, nil, 95, 2}, row{1, 8, nil, nil, 3}),
		wmItem(101),
		batchItem(row{1, 16, nil, 90, 4}, row{1, 32, nil, 120, 5}, row{2, 64, nil, 111, 6}))
	op := NewOverAggregate(in, spec, mem)
	out := drain(t, op)
	assertRows(t, spec.Schema, out.rows, canonRows(t, spec.Schema, []row{
		{1, 4, nil, 95, 2, 4, 1},
		{1, 1, nil, 100, 0, 7, 3}, {1, 2, nil, 100, 1, 7, 3},
		{2, 64, nil, 111, 6, 64, 1},
		{1, 32, nil, 120, 5, 32, 1},
	}))
	if op.LateRows() != 1 || op.NullTimeRows() != 1 {
		t.Fatalf("late %d, without a time %d; want 1 and 1", op.LateRows(), op.NullTimeRows())
	}
	assertTrace(t, out.trace, "batch 3", "wm 101", "batch 2")
}

// TestOverAggregateByArrival: over processing time rows go out as they
// arrive, without waiting for a watermark.
func TestOverAggregateByArrival(t *testing.T) {
	mem := newMem(t)
	spec := overSpecOf(t, nil, OverFrame{Rows: true, Preceding: 1}, []OverCall{{Func: agg.Sum, Arg: 1}})
	spec.ByArrival = true
	in := newScriptOp(t, mem, overSchema, batchItem(row{1, 1, nil, 5, 0}, row{1, 2, nil, 3, 1}), batchItem(row{1, 4, nil, 1, 2}))
	out := drain(t, NewOverAggregate(in, spec, mem))
	assertRows(t, spec.Schema, out.rows, canonRows(t, spec.Schema, []row{
		{1, 1, nil, 5, 0, 1}, {1, 2, nil, 3, 1, 3}, {1, 4, nil, 1, 2, 6},
	}))
	assertTrace(t, out.trace, "batch 2", "batch 1")
}

// TestOverSpecErrors: what OVER aggregation does not compute is refused.
func TestOverSpecErrors(t *testing.T) {
	if _, err := OverCallType(agg.StddevPop, sqltypes.Double); err == nil || !strings.Contains(err.Error(), "not supported yet") {
		t.Errorf("STDDEV_POP: %v", err)
	}
	if _, err := OverCallType(agg.Sum, sqltypes.Varchar); err == nil {
		t.Error("SUM(VARCHAR) accepted")
	}
	if _, err := OverCallType(agg.Sum, tsType); err == nil {
		t.Error("SUM(TIMESTAMP) accepted")
	}
	spec := overSpecOf(t, nil, OverFrame{Unbounded: true}, []OverCall{{Func: agg.Sum, Arg: 1}})
	spec.TimeCol = 1
	if err := spec.Validate(overSchema); err == nil || !strings.Contains(err.Error(), "TIMESTAMP") {
		t.Errorf("a BIGINT order column: %v", err)
	}
}

// TestOverAggregateCheckpointRecovery runs OVER aggregations over a
// checkpointed source with checkpoints every few batches, crashing at
// random points and restarting from the last stored checkpoint until a
// run finishes; the committed output must be exactly an uninterrupted
// run's. The state holds frames (bounded and not) and rows waiting for
// the watermark.
func TestOverAggregateCheckpointRecovery(t *testing.T) {
	frames := []OverFrame{{Rows: true, Preceding: 3}, {Preceding: 60}, {Unbounded: true}, {Rows: true, Unbounded: true}}
	calls := []OverCall{{Func: agg.CountStar, Arg: -1}, {Func: agg.Sum, Arg: 1}, {Func: agg.Avg, Arg: 1},
		{Func: agg.Min, Arg: 1}, {Func: agg.Max, Arg: 2}}
	seeds := 2
	if testing.Short() {
		seeds = 1
	}
	for _, frame := range frames {
		for seed := 0; seed < seeds; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", frame, seed), func(t *testing.T) {
				mem := newMem(t)
				rows := topNEvents(int64(seed), 400, 12)
				fields := slices.Clone(topNSchema.Fields())
				for i, c := range calls {
					var arg arrow.DataType
					if c.Arg >= 0 {
						arg = topNSchema.Field(c.Arg).Type
					}
					typ, err := OverCallType(c.Func, arg)
					if err != nil {
						t.Fatal(err)
					}
					fields = append(fields, field(fmt.Sprintf("a%d", i), typ))
				}
				spec := OverSpec{Partition: []int{0}, TimeCol: 2, Frame: frame, Calls: calls, Schema: arrow.NewSchema(fields, nil)}
				build := func() Operator {
					src := &triggerSource{ckptSource: &ckptSource{fakeSource: newFakeSource(t, mem, topNSchema, 1, interleave(9, true, rows))}, every: 4}
					scan := NewScan("events", src, WatermarkSpec{Column: 2, DelayMs: 30}, nil, newExprCtx(mem))
					src.scan = scan
					return NewOverAggregate(scan, spec, mem)
				}
				if err := CanCheckpoint(build()); err != nil {
					t.Fatal(err)
				}
				want, got, crashes, checkpoints := crashRestart(t, build, false, int64(seed))
				if len(want) < 300 {
					t.Fatalf("only %d rows", len(want))
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("after %d crashes and %d checkpoints the output differs\n%s", crashes, checkpoints, diffLines(want, got))
				}
				if crashes == 0 || checkpoints < 3 {
					t.Fatalf("%d crashes, %d checkpoints", crashes, checkpoints)
				}
			})
		}
	}
}

// BenchmarkOverAggregate runs the OVER aggregation operator alone over
// pre-built 1024-row batches (a BIGINT key with 1,000 values, event times
// 1 ms apart, watermarks 4 s behind): COUNT(*), SUM, AVG and MAX of a
// BIGINT, for each frame kind.
//
//	go test ./exec -run NONE -bench OverAggregate
func BenchmarkOverAggregate(b *testing.B) {
	const batches, rows, keys = 200, 1024, 1000
	mem := memory.NewGoAllocator()
	src := keyedBatches(mem, batches, rows, keys, func(i, j int) int64 { return int64((i*rows + j) % 977) })
	schema := src.schema
	calls := []OverCall{{Func: agg.CountStar, Arg: -1}, {Func: agg.Sum, Arg: 1}, {Func: agg.Avg, Arg: 1}, {Func: agg.Max, Arg: 1}}
	fields := slices.Clone(schema.Fields())
	for i, c := range calls {
		var arg arrow.DataType
		if c.Arg >= 0 {
			arg = sqltypes.BigInt
		}
		typ, _ := OverCallType(c.Func, arg)
		fields = append(fields, field(fmt.Sprintf("a%d", i), typ))
	}
	for _, frame := range []OverFrame{{Unbounded: true}, {Rows: true, Preceding: 10}, {Preceding: 60_000}} {
		b.Run(strings.ReplaceAll(frame.String(), " ", "_"), func(b *testing.B) {
			spec := OverSpec{Partition: []int{0}, TimeCol: 2, Frame: frame, Calls: calls, Schema: arrow.NewSchema(fields, nil)}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				op := NewOverAggregate(src, spec, mem)
				if err := op.Open(ctx); err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					m, err := op.Next(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if m.Kind == MsgEnd {
						break
					}
					n += m.NumRows()
					m.Release()
				}
				op.Close()
				if n != batches*rows {
					b.Fatalf("%d rows out", n)
				}
			}
			b.ReportMetric(float64(batches*rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
