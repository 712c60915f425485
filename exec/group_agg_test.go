package exec

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
	"github.com/weirsql/weir/state"
)

// gaSchema is the input of the group aggregate tests: a key and a value.
var gaSchema = schemaOf(field("k", sqltypes.Varchar), field("v", sqltypes.BigInt))

// gaSpec is GROUP BY k with COUNT(*), SUM(v), MIN(v), MAX(v),
// COUNT(DISTINCT v) and AVG(v).
func gaSpec() *AggregateSpec {
	v := expr.NewColumn(1, "v", sqltypes.BigInt)
	return &AggregateSpec{
		Keys: []expr.Expr{expr.NewColumn(0, "k", sqltypes.Varchar)},
		Aggs: []agg.Spec{{Func: agg.CountStar}, {Func: agg.Sum, Arg: sqltypes.BigInt},
			{Func: agg.Min, Arg: sqltypes.BigInt}, {Func: agg.Max, Arg: sqltypes.BigInt},
			{Func: agg.Count, Arg: sqltypes.BigInt, Distinct: true}, {Func: agg.Avg, Arg: sqltypes.BigInt}},
		Args:    []expr.Expr{nil, v, v, v, v, v},
		Filters: make([]expr.Expr, 6),
		Schema: schemaOf(field("k", sqltypes.Varchar), field("n", sqltypes.BigInt), field("sum", sqltypes.BigInt),
			field("min", sqltypes.BigInt), field("max", sqltypes.BigInt), field("d", sqltypes.BigInt),
			field("avg", sqltypes.Double)),
	}
}

// gaBatch is a batch of an updating stream.
func gaBatch(rows []row, ops []Op) item {
	return item{kind: MsgBatch, rows: rows, ops: ops}
}

// gaRows renders an output's rows with their ops, one string each.
func gaRows(out output) []string {
	var s []string
	for i, r := range out.rows {
		s = append(s, fmt.Sprintf("%s %v", out.ops[i], r))
	}
	return s
}

// TestGroupAggregateRetracting: over a changelog, +I and +U add, -U and -D
// retract; a changed group emits -U/+U, a new one +I, an emptied one -D,
// an unchanged one nothing; a retraction for a group never seen is ignored.
func TestGroupAggregateRetracting(t *testing.T) {
	mem := newMem(t)
	i := func(v int64) any { return v }
	in := newScriptOp(t, mem, gaSchema,
		gaBatch([]row{{"a", i(1)}, {"a", i(5)}, {"b", i(2)}}, []Op{OpInsert, OpInsert, OpInsert}),
		gaBatch([]row{{"a", i(5)}, {"a", i(3)}, {"b", i(2)}}, []Op{OpUpdateBefore, OpUpdateAfter, OpDelete}),
		gaBatch([]row{{"b", i(7)}, {"a", i(1)}, {"a", i(3)}}, []Op{OpInsert, OpDelete, OpDelete}),
		gaBatch([]row{{"b", i(7)}, {"b", i(7)}}, []Op{OpUpdateBefore, OpUpdateAfter}), // no change
		gaBatch([]row{{"x", i(1)}, {"c", nil}}, []Op{OpUpdateBefore, OpInsert}),
	)
	g := NewRetractingGroupAggregate(in, gaSpec(), newExprCtx(mem))
	if !strings.Contains(g.Describe(), "retracting") {
		t.Errorf("Describe = %q", g.Describe())
	}
	out := drain(t, g)
	want := []string{
		"+I [a 2 6 1 5 2 3]", "+I [b 1 2 2 2 1 2]",
		"-U [a 2 6 1 5 2 3]", "-D [b 1 2 2 2 1 2]", "+U [a 2 4 1 3 2 2]",
		"-D [a 2 4 1 3 2 2]", "+I [b 1 7 7 7 1 7]",
		"+I [c 1 <nil> <nil> <nil> 0 <nil>]",
	}
	if got := gaRows(out); !slices.Equal(got, want) {
		t.Fatalf("output\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := out.batches; !slices.Equal(got, []int{2, 3, 2, 1}) {
		t.Errorf("batches %v, want [2 3 2 1] (the no-op update emits nothing)", got)
	}
}

// TestGroupAggregateGlobalRetracting: an aggregate without GROUP BY over a
// changelog deletes its row when every row is retracted, and inserts it
// again with the next.
func TestGroupAggregateGlobalRetracting(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, gaSchema,
		gaBatch([]row{{"a", int64(4)}}, []Op{OpInsert}),
		gaBatch([]row{{"a", int64(4)}}, []Op{OpDelete}),
		gaBatch([]row{{"b", int64(6)}}, []Op{OpInsert}),
	)
	v := expr.NewColumn(1, "v", sqltypes.BigInt)
	spec := &AggregateSpec{
		Aggs: []agg.Spec{{Func: agg.CountStar}, {Func: agg.Sum, Arg: sqltypes.BigInt}},
		Args: []expr.Expr{nil, v}, Filters: make([]expr.Expr, 2),
		Schema: schemaOf(field("n", sqltypes.BigInt), field("sum", sqltypes.BigInt)),
	}
	out := drain(t, NewRetractingGroupAggregate(in, spec, newExprCtx(mem)))
	want := []string{"+I [1 4]", "-D [1 4]", "+I [1 6]"}
	if got := gaRows(out); !slices.Equal(got, want) {
		t.Fatalf("output %v, want %v", got, want)
	}
}

// TestGroupAggregateRefusals: a plain aggregate refuses retractions; a
// retracting one refuses aggregates that cannot retract.
func TestGroupAggregateRefusals(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, gaSchema, gaBatch([]row{{"a", int64(1)}}, []Op{OpDelete}))
	if _, err := tryDrain(t, NewGroupAggregate(in, gaSpec(), newExprCtx(mem))); err == nil || !strings.Contains(err.Error(), "updating stream") {
		t.Errorf("plain aggregate over retractions: %v", err)
	}
	spec := gaSpec()
	spec.Aggs[3] = agg.Spec{Func: agg.LastValue, Arg: sqltypes.BigInt}
	in = newScriptOp(t, mem, gaSchema)
	if _, err := tryDrain(t, NewRetractingGroupAggregate(in, spec, newExprCtx(mem))); !errors.Is(err, agg.ErrNotRetractable) {
		t.Errorf("LAST_VALUE over a changelog: %v, want ErrNotRetractable", err)
	}
}

// gaRandomChangelog returns batches of a random changelog over a few keys
// (+I, -D, -U with or without its +U; values with NULLs), and the rows
// that survive it.
func gaRandomChangelog(r *rand.Rand, batches int) ([]item, []row) {
	var items []item
	var live []row
	for range batches {
		var rows []row
		var ops []Op
		for n := 1 + r.Intn(12); len(rows) < n; {
			if len(live) == 0 || r.Intn(5) < 3 {
				var v any = int64(r.Intn(9) - 2)
				if r.Intn(7) == 0 {
					v = nil
				}
				nr := row{fmt.Sprint("k", r.Intn(5)), v}
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
			nr := row{old[0], int64(r.Intn(9) - 2)}
			live = append(live, nr)
			rows, ops = append(rows, nr), append(ops, OpUpdateAfter)
		}
		items = append(items, gaBatch(rows, ops))
	}
	return items, live
}

// gaApply applies an output changelog to a multiset of rows.
func gaApply(t *testing.T, out output) map[string]int {
	t.Helper()
	table := map[string]int{}
	for i, r := range out.rows {
		k := fmt.Sprint(r)
		switch out.ops[i] {
		case OpInsert, OpUpdateAfter:
			table[k]++
		default:
			if table[k] == 0 {
				t.Fatalf("row %d: %s retracts %s, not in the result", i, out.ops[i], k)
			}
			if table[k]--; table[k] == 0 {
				delete(table, k)
			}
		}
	}
	return table
}

// gaExpected aggregates the surviving rows from scratch as gaSpec does.
func gaExpected(live []row) map[string]int {
	type acc struct {
		n, sum, cnt int64
		min, max    any
		distinct    map[int64]bool
	}
	groups := map[string]*acc{}
	for _, r := range live {
		k := r[0].(string)
		a := groups[k]
		if a == nil {
			a = &acc{distinct: map[int64]bool{}}
			groups[k] = a
		}
		a.n++
		if r[1] == nil {
			continue
		}
		v := r[1].(int64)
		a.sum += v
		a.cnt++
		a.distinct[v] = true
		if a.min == nil || v < a.min.(int64) {
			a.min = v
		}
		if a.max == nil || v > a.max.(int64) {
			a.max = v
		}
	}
	out := map[string]int{}
	for k, a := range groups {
		var sum, avg any
		if a.cnt > 0 {
			sum, avg = a.sum, float64(a.sum)/float64(a.cnt)
		}
		out[fmt.Sprint(row{k, a.n, sum, a.min, a.max, int64(len(a.distinct)), avg})]++
	}
	return out
}

// TestGroupAggregateRetractingRandom: random changelogs through the
// retracting aggregate; its own changelog, applied, must equal the
// aggregation from scratch of the rows that survive the input, and a run
// saved and restored halfway must give the same output as one straight
// through.
func TestGroupAggregateRetractingRandom(t *testing.T) {
	seeds := 60
	if testing.Short() {
		seeds = 15
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			mem := newMem(t)
			r := rand.New(rand.NewSource(int64(seed)))
			items, live := gaRandomChangelog(r, 1+r.Intn(25))
			straight := drain(t, NewRetractingGroupAggregate(newScriptOp(t, mem, gaSchema, items...), gaSpec(), newExprCtx(mem)))
			got, want := gaApply(t, straight), gaExpected(live)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("final table\n%v\nwant\n%v", got, want)
			}

			// Save after the first half, restore into a new operator.
			half := len(items) / 2
			ctx := context.Background()
			first := NewRetractingGroupAggregate(newScriptOp(t, mem, gaSchema, append(slices.Clone(items[:half]), barrierItem(1))...), gaSpec(), newExprCtx(mem))
			if err := first.Open(ctx); err != nil {
				t.Fatal(err)
			}
			var resumed output
			for {
				m, err := first.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if m.Kind == MsgBarrier {
					break
				}
				resumed.record(t, first.Schema(), m)
			}
			e := state.NewEncoder(nil)
			if err := first.SaveState(e); err != nil {
				t.Fatal(err)
			}
			first.Close()
			second := NewRetractingGroupAggregate(newScriptOp(t, mem, gaSchema, items[half:]...), gaSpec(), newExprCtx(mem))
			if err := second.RestoreState(state.NewDecoder(e.Bytes())); err != nil {
				t.Fatal(err)
			}
			rest := drain(t, second)
			resumed.rows = append(resumed.rows, rest.rows...)
			resumed.ops = append(resumed.ops, rest.ops...)
			if a, b := strings.Join(gaRows(straight), "\n"), strings.Join(gaRows(resumed), "\n"); a != b {
				t.Fatalf("restored run differs\n%s", diffLines(gaRows(straight), gaRows(resumed)))
			}
		})
	}
}

// TestGroupAggregateCompacts: groups that empty out are compacted away
// while the aggregate runs, and the result stays right.
func TestGroupAggregateCompacts(t *testing.T) {
	mem := newMem(t)
	var items []item
	const keys = 3000
	for b := range keys / 100 {
		var rows []row
		var ops []Op
		for k := b * 100; k < (b+1)*100; k++ {
			rows, ops = append(rows, row{fmt.Sprint("k", k), int64(k)}), append(ops, OpInsert)
			if k > 0 {
				rows, ops = append(rows, row{fmt.Sprint("k", k-1), int64(k - 1)}), append(ops, OpDelete)
			}
		}
		items = append(items, gaBatch(rows, ops))
	}
	g := NewRetractingGroupAggregate(newScriptOp(t, mem, gaSchema, items...), gaSpec(), newExprCtx(mem))
	out := drain(t, g)
	got := gaApply(t, out)
	want := gaExpected([]row{{fmt.Sprint("k", keys-1), int64(keys - 1)}})
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("final table %v, want %v", got, want)
	}
}

// TestGroupAggregateCompactsTable checks the compaction itself on the
// operator's table: after the run above most groups were empty.
func TestGroupAggregateCompactsTable(t *testing.T) {
	mem := newMem(t)
	var rows []row
	var ops []Op
	for k := range 5000 {
		rows, ops = append(rows, row{fmt.Sprint("k", k), int64(k)}), append(ops, OpInsert)
	}
	var dels []row
	var delOps []Op
	for k := range 4990 {
		dels, delOps = append(dels, row{fmt.Sprint("k", k), int64(k)}), append(delOps, OpDelete)
	}
	g := NewRetractingGroupAggregate(newScriptOp(t, mem, gaSchema, gaBatch(rows, ops), gaBatch(dels, delOps)), gaSpec(), newExprCtx(mem))
	ctx := context.Background()
	if err := g.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for {
		m, err := g.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind == MsgEnd {
			break
		}
		m.Release()
	}
	if g.Groups() != 10 || g.table.Len() != 10 {
		t.Fatalf("Groups %d, table of %d groups; want 10 and 10 (compacted)", g.Groups(), g.table.Len())
	}
}
