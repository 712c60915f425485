package exec

import (
	"fmt"
	"math/rand"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
	"github.com/weirsql/weir/state"
)

// gaSpillSpec is GROUP BY k with COUNT(*), SUM(v), MIN(v), MAX(v), AVG(v),
// FIRST_VALUE(v) and LAST_VALUE(v): aggregates whose groups can spill.
func gaSpillSpec() *AggregateSpec {
	v := expr.NewColumn(1, "v", sqltypes.BigInt)
	return &AggregateSpec{
		Keys: []expr.Expr{expr.NewColumn(0, "k", sqltypes.Varchar)},
		Aggs: []agg.Spec{{Func: agg.CountStar}, {Func: agg.Sum, Arg: sqltypes.BigInt},
			{Func: agg.Min, Arg: sqltypes.BigInt}, {Func: agg.Max, Arg: sqltypes.BigInt},
			{Func: agg.Avg, Arg: sqltypes.BigInt}, {Func: agg.FirstValue, Arg: sqltypes.BigInt},
			{Func: agg.LastValue, Arg: sqltypes.BigInt}},
		Args:    []expr.Expr{nil, v, v, v, v, v, v},
		Filters: make([]expr.Expr, 7),
		Schema: schemaOf(field("k", sqltypes.Varchar), field("n", sqltypes.BigInt), field("sum", sqltypes.BigInt),
			field("min", sqltypes.BigInt), field("max", sqltypes.BigInt), field("avg", sqltypes.Double),
			field("first", sqltypes.BigInt), field("last", sqltypes.BigInt)),
	}
}

// gaSpillInput is a random input over many keys: append-only, or a
// changelog (+I, -D, -U with its +U), and the rows that survive it.
func gaSpillInput(r *rand.Rand, changelog bool, batches, keys int) ([]item, []row) {
	var items []item
	var live []row
	for range batches {
		var rows []row
		var ops []Op
		for n := 1 + r.Intn(60); len(rows) < n; {
			if !changelog || len(live) == 0 || r.Intn(5) < 3 {
				var v any = int64(r.Intn(100) - 20)
				if r.Intn(9) == 0 {
					v = nil
				}
				nr := row{fmt.Sprint("k", r.Intn(keys)), v}
				live = append(live, nr)
				rows, ops = append(rows, nr), append(ops, OpInsert)
				continue
			}
			j := r.Intn(len(live))
			old := live[j]
			live = slices.Delete(live, j, j+1)
			if r.Intn(2) == 0 {
				rows, ops = append(rows, old), append(ops, OpDelete)
				continue
			}
			rows, ops = append(rows, old), append(ops, OpUpdateBefore)
			nr := row{old[0], int64(r.Intn(100) - 20)}
			live = append(live, nr)
			rows, ops = append(rows, nr), append(ops, OpUpdateAfter)
		}
		if !changelog {
			ops = nil
		}
		items = append(items, gaBatch(rows, ops))
	}
	return items, live
}

// TestGroupAggregateSpillMatchesInMemory: with a budget of a few hundred
// bytes, an unwindowed GROUP BY over hundreds of keys spills its groups
// and reads them back on nearly every batch, yet emits the same changelog,
// row for row, as a run without a budget; over a changelog input too
// (whose applied output must also equal the aggregation of the surviving
// rows). At the end no run is left on disk.
func TestGroupAggregateSpillMatchesInMemory(t *testing.T) {
	for _, changelog := range []bool{false, true} {
		for _, store := range []string{"memory", "badger"} {
			for seed := range 4 {
				t.Run(fmt.Sprintf("changelog=%v/%s/%d", changelog, store, seed), func(t *testing.T) {
					if testing.Short() && store == "badger" && seed > 0 {
						t.Skip("short")
					}
					if seed%2 == 1 {
						// Filters so small that they overflow, and
						// partitions are read for keys not in them.
						defer func(c int) { filterMinCap = c }(filterMinCap)
						filterMinCap = 4
					}
					mem := newMem(t)
					r := rand.New(rand.NewSource(int64(seed)))
					items, live := gaSpillInput(r, changelog, 120, 50+r.Intn(400))
					build := func() *GroupAggregate {
						in := newScriptOp(t, mem, gaSchema, items...)
						if changelog {
							return NewRetractingGroupAggregate(in, gaSpec(), newExprCtx(mem))
						}
						return NewGroupAggregate(in, gaSpillSpec(), newExprCtx(mem))
					}
					want := drain(t, build())
					if changelog {
						if got, exp := gaApply(t, want), gaExpected(live); fmt.Sprint(got) != fmt.Sprint(exp) {
							t.Fatalf("in memory: final table\n%v\nwant\n%v", got, exp)
						}
					}

					var spill SpillStore = newMemSpill()
					if store == "badger" {
						st, err := state.Open(filepath.Join(t.TempDir(), "state"))
						if err != nil {
							t.Fatal(err)
						}
						defer st.Close()
						spill = st.Spill("q1")
					}
					op := build()
					ConfigureSpill(op, SpillConfig{Budget: 512, Store: func() (SpillStore, error) { return spill, nil }})
					got := drain(t, op)
					if op.SpilledRuns() < 20 || op.SpillLoads() < 20 {
						t.Fatalf("only %d runs spilled, %d partitions read back", op.SpilledRuns(), op.SpillLoads())
					}
					if a, b := gaRows(want), gaRows(got); strings.Join(a, "\n") != strings.Join(b, "\n") {
						t.Fatalf("after %d spilled runs the changelog differs\n%s", op.SpilledRuns(), diffLines(a, b))
					}
					if changelog {
						if a, exp := gaApply(t, got), gaExpected(live); fmt.Sprint(a) != fmt.Sprint(exp) {
							t.Fatalf("spilled: final table\n%v\nwant\n%v", a, exp)
						}
					}
					left := 0
					spill.Scan(nil, func(_, _ []byte) error { left++; return nil })
					if left != 0 {
						t.Errorf("%d spilled runs left after the end", left)
					}
				})
			}
		}
	}
}

// TestGroupAggregateSpillDistinct: an aggregate with a DISTINCT aggregate
// spills its groups' distinct sets with them, and gives the same changelog
// as without a budget.
func TestGroupAggregateSpillDistinct(t *testing.T) {
	mem := newMem(t)
	r := rand.New(rand.NewSource(1))
	items, _ := gaSpillInput(r, false, 40, 200)
	want := drain(t, NewGroupAggregate(newScriptOp(t, mem, gaSchema, items...), gaSpec(), newExprCtx(mem)))
	op := NewGroupAggregate(newScriptOp(t, mem, gaSchema, items...), gaSpec(), newExprCtx(mem))
	spill := newMemSpill()
	ConfigureSpill(op, SpillConfig{Budget: 512, Store: func() (SpillStore, error) { return spill, nil }})
	got := drain(t, op)
	if op.SpilledRuns() < 10 || len(spill.kv) != 0 {
		t.Fatalf("%d runs spilled, %d left", op.SpilledRuns(), len(spill.kv))
	}
	if a, b := gaRows(want), gaRows(got); strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("the changelog differs\n%s", diffLines(a, b))
	}
}

// TestGroupAggregateSpillCheckpointRecovery crashes and restarts a
// spilling GROUP BY as TestSpillCheckpointRecovery does: the committed
// changelog must equal an uninterrupted run's, row for row, and no run
// may be left on disk at the end.
func TestGroupAggregateSpillCheckpointRecovery(t *testing.T) {
	schema := schemaOf(field("k", sqltypes.Varchar), field("v", sqltypes.BigInt), field("ts", tsType))
	for seed := 0; seed < 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			mem := newMem(t)
			rows := spillEvents(seed)
			build := func(spill SpillStore) *GroupAggregate {
				ec := newExprCtx(mem)
				src := &ckptSource{fakeSource: newFakeSource(t, mem, schema, 1, interleave(50, true, rows))}
				op := NewGroupAggregate(NewScan("events", src, WatermarkSpec{Column: 2, DelayMs: 60}, nil, ec), gaSpillSpec(), ec)
				if spill != nil {
					ConfigureSpill(op, SpillConfig{Budget: 400, Store: func() (SpillStore, error) { return spill, nil }})
				}
				return op
			}
			want, got, crashes, spilled, loads := spillCrashRuns(t, seed, 20, func(s SpillStore) Operator { return build(s) })
			if spilled == 0 || loads == 0 || crashes == 0 {
				t.Fatalf("%d runs spilled, %d partitions read back, %d crashes", spilled, loads, crashes)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("after %d crashes with %d spilled runs the output differs\n%s", crashes, spilled, diffLines(want, got))
			}
		})
	}
}
