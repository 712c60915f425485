package exec

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/sqltypes"
)

// topNSchema is the input of the TopN tests: a partition key, a value to
// order by, an event time and a row id.
var topNSchema = schemaOf(field("k", sqltypes.Varchar), field("v", sqltypes.BigInt), field("ts", tsType), field("id", sqltypes.BigInt))

// topNSpec makes a spec over topNSchema partitioned by k.
func topNSpec(mode TopNMode, n int64, rank bool, order ...SortKey) TopNSpec {
	fields := slices.Clone(topNSchema.Fields())
	if rank {
		fields = append(fields, field("rn", sqltypes.BigInt))
	}
	return TopNSpec{Partition: []int{0}, Order: order, N: n, Mode: mode, RankOutput: rank, Schema: arrow.NewSchema(fields, nil)}
}

// topNRows is the input of the exact-output tests (k, v, ts, id).
var topNRows = []row{
	{"a", 10, 1000, 1},
	{"a", 20, 1001, 2},
	{"b", 5, 1002, 3},
	{"a", 15, 1003, 4},
	{"a", 15, 1004, 5}, // ties with 4, which came first: not in the top 2
	{"a", nil, 1005, 6},
	{nil, 1, 1006, 7}, // NULL keys form one partition
}

// vDescNullsFirst orders by v DESC with NULLs first (Weir's default for
// DESC).
var vDescNullsFirst = SortKey{Column: 1, Desc: true, NullsFirst: true}

// TestTopNRanked checks the updates by rank of a top 2 with its row
// number: row by row at batch size 1 (Flink's output), the net change of
// the one batch at batch size 1024, and the same final table at every
// batch size.
func TestTopNRanked(t *testing.T) {
	spec := topNSpec(TopNRows, 2, true, vDescNullsFirst)
	final := []row{{"a", nil, 1005, 6, 1}, {"a", 20, 1001, 2, 2}, {"b", 5, 1002, 3, 1}, {nil, 1, 1006, 7, 1}}
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		op := NewTopN(newScriptOp(t, mem, topNSchema, batchItems(topNRows, size)...), spec, mem)
		out := drain(t, op)
		switch size {
		case 1:
			assertRows(t, spec.Schema, out.rows, []row{
				{"a", 10, 1000, 1, 1},
				{"a", 10, 1000, 1, 1}, {"a", 20, 1001, 2, 1}, {"a", 10, 1000, 1, 2},
				{"b", 5, 1002, 3, 1},
				{"a", 10, 1000, 1, 2}, {"a", 15, 1003, 4, 2},
				{"a", 20, 1001, 2, 1}, {"a", nil, 1005, 6, 1}, {"a", 15, 1003, 4, 2}, {"a", 20, 1001, 2, 2},
				{nil, 1, 1006, 7, 1},
			})
			assertOps(t, out.ops, OpInsert, OpUpdateBefore, OpUpdateAfter, OpInsert, OpInsert, OpUpdateBefore, OpUpdateAfter,
				OpUpdateBefore, OpUpdateAfter, OpUpdateBefore, OpUpdateAfter, OpInsert)
		case 1024:
			assertRows(t, spec.Schema, out.rows, final)
			assertOps(t, out.ops, OpInsert, OpInsert, OpInsert, OpInsert)
		}
		assertRowSet(t, spec.Schema, applyOps(t, out), final)
		if got := op.StateRows(); got != 0 {
			t.Errorf("StateRows after Close = %d", got)
		}
	})
}

// TestTopNNoRank checks a top 2 without its row number: a row that leaves
// is deleted (-D), one that enters inserted (+I).
func TestTopNNoRank(t *testing.T) {
	spec := topNSpec(TopNRows, 2, false, vDescNullsFirst)
	final := []row{{"a", nil, 1005, 6}, {"a", 20, 1001, 2}, {"b", 5, 1002, 3}, {nil, 1, 1006, 7}}
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		out := drain(t, NewTopN(newScriptOp(t, mem, topNSchema, batchItems(topNRows, size)...), spec, mem))
		if size == 1 {
			assertRows(t, spec.Schema, out.rows, []row{
				{"a", 10, 1000, 1}, {"a", 20, 1001, 2}, {"b", 5, 1002, 3},
				{"a", 10, 1000, 1}, {"a", 15, 1003, 4},
				{"a", 15, 1003, 4}, {"a", nil, 1005, 6},
				{nil, 1, 1006, 7},
			})
			assertOps(t, out.ops, OpInsert, OpInsert, OpInsert, OpDelete, OpInsert, OpDelete, OpInsert, OpInsert)
		}
		if size == 3 {
			// Batch 1 (ids 1-3) inserts 2, 1 and 3; batch 2 (ids 4-6)
			// replaces 1 by 6: 4 entered and left within the batch.
			assertRows(t, spec.Schema, out.rows, []row{
				{"a", 20, 1001, 2}, {"a", 10, 1000, 1}, {"b", 5, 1002, 3},
				{"a", 10, 1000, 1}, {"a", nil, 1005, 6},
				{nil, 1, 1006, 7},
			})
			assertOps(t, out.ops, OpInsert, OpInsert, OpInsert, OpDelete, OpInsert, OpInsert)
		}
		assertRowSet(t, spec.Schema, applyOps(t, out), final)
	})
}

// TestTopNOne checks a top 1 without its row number: a replacement is an
// update of the partition's row (-U, +U), and ascending order.
func TestTopNOne(t *testing.T) {
	spec := topNSpec(TopNRows, 1, false, SortKey{Column: 1})
	mem := newMem(t)
	out := drain(t, NewTopN(newScriptOp(t, mem, topNSchema, batchItems(topNRows, 1)...), spec, mem))
	assertRows(t, spec.Schema, out.rows, []row{
		{"a", 10, 1000, 1}, {"b", 5, 1002, 3}, {nil, 1, 1006, 7},
	})
	assertOps(t, out.ops, OpInsert, OpInsert, OpInsert)
	rows := []row{{"x", 3, 0, 1}, {"x", 2, 0, 2}, {"x", 2, 0, 3}, {"x", 1, 0, 4}}
	out = drain(t, NewTopN(newScriptOp(t, mem, topNSchema, batchItems(rows, 1)...), spec, mem))
	assertRows(t, spec.Schema, out.rows, []row{
		{"x", 3, 0, 1}, {"x", 3, 0, 1}, {"x", 2, 0, 2}, {"x", 2, 0, 2}, {"x", 1, 0, 4},
	})
	assertOps(t, out.ops, OpInsert, OpUpdateBefore, OpUpdateAfter, OpUpdateBefore, OpUpdateAfter)
}

// TestTopNKeepLast checks deduplication keeping the last row by event time:
// an older row is ignored, a later one or one at the same time replaces the
// row held.
func TestTopNKeepLast(t *testing.T) {
	spec := topNSpec(TopNKeepLast, 1, false, SortKey{Column: 2, Desc: true, NullsFirst: true})
	rows := []row{{"a", 1, 100, 1}, {"a", 2, 50, 2}, {"b", 3, 70, 3}, {"a", 4, 100, 4}, {"a", 9, nil, 9}, {"a", 5, 120, 5}}
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		op := NewTopN(newScriptOp(t, mem, topNSchema, batchItems(rows, size)...), spec, mem)
		out := drain(t, op)
		if op.NullTimeRows() != 1 {
			t.Errorf("%d rows without a time, want 1", op.NullTimeRows())
		}
		if size == 1 {
			assertRows(t, spec.Schema, out.rows, []row{
				{"a", 1, 100, 1}, {"b", 3, 70, 3},
				{"a", 1, 100, 1}, {"a", 4, 100, 4},
				{"a", 4, 100, 4}, {"a", 5, 120, 5},
			})
			assertOps(t, out.ops, OpInsert, OpInsert, OpUpdateBefore, OpUpdateAfter, OpUpdateBefore, OpUpdateAfter)
		}
		assertRowSet(t, spec.Schema, applyOps(t, out), []row{{"a", 5, 120, 5}, {"b", 3, 70, 3}})
	})
}

// TestTopNKeepLastByArrival: over processing time every row replaces its
// partition's row, whatever its time value.
func TestTopNKeepLastByArrival(t *testing.T) {
	spec := topNSpec(TopNKeepLast, 1, true, SortKey{Column: 2, Desc: true})
	spec.ByArrival = true
	mem := newMem(t)
	rows := []row{{"a", 1, 100, 1}, {"a", 2, 50, 2}, {"b", 3, nil, 3}}
	out := drain(t, NewTopN(newScriptOp(t, mem, topNSchema, batchItems(rows, 1)...), spec, mem))
	assertRows(t, spec.Schema, out.rows, []row{
		{"a", 1, 100, 1, 1}, {"a", 1, 100, 1, 1}, {"a", 2, 50, 2, 1}, {"b", 3, nil, 3, 1},
	})
	assertOps(t, out.ops, OpInsert, OpUpdateBefore, OpUpdateAfter, OpInsert)
}

// TestTopNKeepFirstByArrival: over processing time the first row of each
// partition is emitted at once, and the output is append-only.
func TestTopNKeepFirstByArrival(t *testing.T) {
	spec := topNSpec(TopNKeepFirst, 1, false, SortKey{Column: 2})
	spec.ByArrival = true
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		op := NewTopN(newScriptOp(t, mem, topNSchema, batchItems(topNRows, size)...), spec, mem)
		defer op.Close()
		out := drainKeep(t, op)
		assertRows(t, spec.Schema, out.rows, []row{{"a", 10, 1000, 1}, {"b", 5, 1002, 3}, {nil, 1, 1006, 7}})
		if out.ops != nil {
			t.Errorf("ops %v on an append-only output", out.ops)
		}
		// Once out, a first row is not kept: only its key is.
		if op.StateRows() != 0 || op.Partitions() != 3 {
			t.Errorf("%d rows held for %d partitions, want 0 for 3", op.StateRows(), op.Partitions())
		}
	})
}

// TestTopNKeepFirstEventTime: over event time the earliest row of each
// partition waits until the watermark reaches its time; rows behind the
// watermark are late, and a partition whose row went out takes no more.
func TestTopNKeepFirstEventTime(t *testing.T) {
	spec := topNSpec(TopNKeepFirst, 1, true, SortKey{Column: 2})
	mem := newMem(t)
	op := NewTopN(newScriptOp(t, mem, topNSchema,
		batchItem(row{"a", 1, 100, 1}, row{"a", 2, 90, 2}, row{"b", 3, 95, 3}, row{"c", 4, nil, 4}),
		wmItem(80),
		batchItem(row{"a", 5, 90, 5}), // ties with 2, which came first
		wmItem(95),
		batchItem(row{"a", 6, 96, 6}, row{"c", 7, 94, 7}, row{"c", 8, 100, 8}, row{"c", 9, 99, 9}),
		barrierItem(1),
	), spec, mem)
	out := drain(t, op)
	assertTrace(t, out.trace, "wm 80", "batch 2", "wm 95", "barrier 1", "batch 1")
	assertRows(t, spec.Schema, out.rows, []row{{"a", 2, 90, 2, 1}, {"b", 3, 95, 3, 1}, {"c", 9, 99, 9, 1}})
	if out.ops != nil {
		t.Errorf("ops %v on an append-only output", out.ops)
	}
	if op.LateRows() != 1 || op.NullTimeRows() != 1 {
		t.Errorf("late %d, NULL time %d; want 1 and 1", op.LateRows(), op.NullTimeRows())
	}
}

// TestTopNRejectsUpdatingInput: a changelog input is an error.
func TestTopNRejectsUpdatingInput(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, topNSchema, item{kind: MsgBatch, rows: []row{{"a", 1, 1, 1}}, ops: []Op{OpInsert}})
	_, err := tryDrain(t, NewTopN(in, topNSpec(TopNRows, 1, false, vDescNullsFirst), mem))
	if err == nil || !strings.Contains(err.Error(), "updating stream") {
		t.Fatalf("err = %v", err)
	}
}

// TestTopNSpecErrors: Open reports an invalid spec.
func TestTopNSpecErrors(t *testing.T) {
	for _, c := range []struct {
		spec TopNSpec
		want string
	}{
		{topNSpec(TopNRows, 0, false, vDescNullsFirst), "N is 0"},
		{topNSpec(TopNKeepLast, 2, false, vDescNullsFirst), "keeps one row"},
		{topNSpec(TopNRows, 1, false), "no sort keys"},
		{topNSpec(TopNKeepFirst, 1, false, SortKey{Column: 1}), "one ascending TIMESTAMP"},
		{topNSpec(TopNRows, 1, true, SortKey{Column: 9}), "sort column 9"},
	} {
		mem := newMem(t)
		_, err := tryDrain(t, NewTopN(newScriptOp(t, mem, topNSchema), c.spec, mem))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
}

// TestTopNDescribe shows the operator in EXPLAIN.
func TestTopNDescribe(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, topNSchema)
	if got, want := NewTopN(in, topNSpec(TopNRows, 3, true, vDescNullsFirst), mem).Describe(),
		"TopNExec: n=3 partition=[k] order=[v DESC] rank=rn (updating)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := NewTopN(in, topNSpec(TopNKeepFirst, 1, false, SortKey{Column: 2}), mem).Describe(),
		"DeduplicateExec: keep first row partition=[k] order=[ts]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestTopNCompaction drives many batches through a top 3 of many
// partitions, each row soon pushed out, so that segments empty out, go
// sparse and are rewritten; the rows held stay those of the brute force
// and every buffer is released (the checked allocator).
func TestTopNCompaction(t *testing.T) {
	mem := newMem(t)
	spec := topNSpec(TopNRows, 3, true, SortKey{Column: 1, Desc: true})
	var rows []row
	best := map[string][]row{} // the brute force: each partition's top 3
	for i := 0; i < 20000; i++ {
		// Scattered values: most rows are pushed out soon, a few stay, so
		// segments go sparse rather than empty.
		r := row{fmt.Sprintf("p%d", (i*7919)%500), (i * 2654435761) % 100003, 0, i}
		rows = append(rows, r)
		b := append(best[r[0].(string)], r)
		slices.SortStableFunc(b, func(x, y row) int { return y[1].(int) - x[1].(int) })
		best[r[0].(string)] = b[:min(3, len(b))]
	}
	var items []item
	for _, c := range chunk(rows, 100) {
		items = append(items, batchItem(c...))
	}
	op := NewTopN(newScriptOp(t, mem, topNSchema, items...), spec, mem)
	var st *topNStore
	out, err := tryDrainInspect(t, op, func() {
		if op.store == nil {
			return
		}
		st = op.store
		if st.live > 1500 {
			t.Fatalf("%d rows held, at most 1500 expected", st.live)
		}
		if st.nsegs > 2*topNMinSegs {
			t.Fatalf("%d segments for %d rows", st.nsegs, st.live)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.rewrites == 0 {
		t.Error("no segment was rewritten")
	}
	var want []row
	for _, b := range best {
		for rank, r := range b {
			want = append(want, append(slices.Clone(r), rank+1))
		}
	}
	assertRowSet(t, spec.Schema, applyOps(t, out), want)
}

// tryDrainInspect is tryDrain calling inspect after every message.
func tryDrainInspect(t *testing.T, op Operator, inspect func()) (out output, err error) {
	t.Helper()
	probe := &inspectOp{Operator: op, inspect: inspect}
	return tryDrain(t, probe)
}

// inspectOp wraps an operator to run a check after each Next.
type inspectOp struct {
	Operator
	inspect func()
}

func (o *inspectOp) Next(ctx context.Context) (Message, error) {
	m, err := o.Operator.Next(ctx)
	o.inspect()
	return m, err
}

// applyOps applies an updating output to a table and returns its rows
// (in no particular order).
func applyOps(t testing.TB, out output) []row {
	t.Helper()
	live := map[string][]row{}
	for i, r := range out.rows {
		op := OpInsert
		if out.ops != nil {
			op = out.ops[i]
		}
		k := fmt.Sprint(r)
		switch op {
		case OpInsert, OpUpdateAfter:
			live[k] = append(live[k], r)
		default:
			if len(live[k]) == 0 {
				t.Fatalf("%s %v retracts a row not in the table", op, r)
			}
			live[k] = live[k][1:]
		}
	}
	var rows []row
	for _, rs := range live {
		rows = append(rows, rs...)
	}
	return rows
}

// assertRowSet compares rows as multisets.
func assertRowSet(t testing.TB, schema *arrow.Schema, got, want []row) {
	t.Helper()
	want = canonRows(t, schema, want)
	key := func(a, b row) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) }
	got, want = slices.Clone(got), slices.Clone(want)
	slices.SortFunc(got, key)
	slices.SortFunc(want, key)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("row sets differ\n got: %s\nwant: %s", fmtRows(got), fmtRows(want))
	}
}

func assertOps(t testing.TB, got []Op, want ...Op) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("ops differ\n got: %v\nwant: %v", got, want)
	}
}
