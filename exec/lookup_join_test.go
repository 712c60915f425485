package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/zeebo/xxh3"

	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// The lookup join tests join orders (id, cust, amount) with customers
// (cid, name, tier) on cust = cid.
var (
	ordersSchema = schemaOf(field("id", sqltypes.BigInt), field("cust", sqltypes.BigInt), field("amount", sqltypes.BigInt))
	custSchema   = schemaOf(field("cid", sqltypes.BigInt), field("name", sqltypes.Varchar), field("tier", sqltypes.BigInt))
	ordCustOut   = joinedSchema(ordersSchema, custSchema)
)

// joinedSchema is a's fields then b's.
func joinedSchema(a, b *arrow.Schema) *arrow.Schema {
	return arrow.NewSchema(append(append([]arrow.Field{}, a.Fields()...), b.Fields()...), nil)
}

// customers has two rows for key 2, none for 4, and one with a NULL key.
var customers = []row{
	{1, "ann", 10},
	{2, "bob", 20},
	{3, "cy", 30},
	{2, "bea", 5},
	{nil, "nobody", 0},
}

// orders has rows matching once, twice, not at all, and a NULL key.
var orders = []row{
	{100, 1, 15},
	{101, 2, 15},
	{102, 4, 15},
	{103, nil, 15},
	{104, 3, 40},
	{105, 2, 1},
}

// memTable is a DimensionTable over rows a test sets; Load serves them as
// records of batch rows (all in one when batch is 0) when they changed.
type memTable struct {
	t       testing.TB
	mem     memory.Allocator
	schema  *arrow.Schema
	rows    []row
	batch   int
	version int
	served  int // version last served
	loads   int
	closed  int
	err     error
}

var _ DimensionTable = (*memTable)(nil)

func newMemTable(t testing.TB, mem memory.Allocator, schema *arrow.Schema, rows []row) *memTable {
	return &memTable{t: t, mem: mem, schema: schema, rows: rows, version: 1}
}

// set replaces the rows: the next Load sees a change.
func (m *memTable) set(rows []row) { m.rows, m.version = rows, m.version+1 }

func (m *memTable) Schema() *arrow.Schema { return m.schema }
func (m *memTable) Close() error          { m.closed++; return nil }

func (m *memTable) Load(context.Context) ([]arrow.Record, bool, error) {
	m.loads++
	if m.err != nil {
		return nil, false, m.err
	}
	if m.served == m.version {
		return nil, false, nil
	}
	m.served = m.version
	size := m.batch
	if size == 0 {
		size = max(1, len(m.rows))
	}
	var recs []arrow.Record
	for _, c := range chunk(m.rows, size) {
		recs = append(recs, buildRecord(m.t, m.mem, m.schema, c))
	}
	return recs, true, nil
}

// custSpec is the spec of orders JOIN customers ON cust = cid.
func custSpec(kind JoinKind, residual expr.Expr, reload time.Duration) *LookupJoinSpec {
	return &LookupJoinSpec{
		Kind:       kind,
		StreamKeys: []expr.Expr{colExpr(ordersSchema, "cust")},
		TableKeys:  []int{0},
		Residual:   residual,
		Reload:     reload,
		Schema:     ordCustOut,
	}
}

func TestLookupJoinInner(t *testing.T) {
	want := []row{
		{100, 1, 15, 1, "ann", 10},
		{101, 2, 15, 2, "bob", 20},
		{101, 2, 15, 2, "bea", 5},
		{104, 3, 40, 3, "cy", 30},
		{105, 2, 1, 2, "bob", 20},
		{105, 2, 1, 2, "bea", 5},
	}
	forEachBatchSize(t, func(t *testing.T, size int) {
		for _, tableBatch := range []int{0, 1, 2} {
			mem := newMem(t)
			in := newScriptOp(t, mem, ordersSchema, batchItems(orders, size)...)
			table := newMemTable(t, mem, custSchema, customers)
			table.batch = tableBatch
			j := NewLookupJoin(in, table, custSpec(InnerJoin, nil, 0), newExprCtx(mem))
			out := drain(t, j)
			assertRows(t, ordCustOut, out.rows, want)
			if table.closed == 0 || in.closed == 0 {
				t.Errorf("table closed %d times, input %d", table.closed, in.closed)
			}
			if got := j.TableRows(); got != 0 {
				t.Errorf("TableRows after Close = %d", got)
			}
		}
	})
}

func TestLookupJoinLeft(t *testing.T) {
	want := []row{
		{100, 1, 15, 1, "ann", 10},
		{101, 2, 15, 2, "bob", 20},
		{101, 2, 15, 2, "bea", 5},
		{102, 4, 15, nil, nil, nil},
		{103, nil, 15, nil, nil, nil},
		{104, 3, 40, 3, "cy", 30},
		{105, 2, 1, 2, "bob", 20},
		{105, 2, 1, 2, "bea", 5},
	}
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		in := newScriptOp(t, mem, ordersSchema, batchItems(orders, size)...)
		j := NewLookupJoin(in, newMemTable(t, mem, custSchema, customers), custSpec(LeftJoin, nil, 0), newExprCtx(mem))
		assertRows(t, ordCustOut, drain(t, j).rows, want)
	})
}

// TestLookupJoinNullKeysNeverMatch joins a table whose only row has a NULL
// key with inputs whose keys are NULL.
func TestLookupJoinNullKeysNeverMatch(t *testing.T) {
	input := []row{{1, nil, 5}, {2, nil, nil}, {3, 7, 1}}
	table := []row{{nil, "null key", 1}, {7, "seven", 2}}
	for _, kind := range []JoinKind{InnerJoin, LeftJoin} {
		t.Run(kind.String(), func(t *testing.T) {
			mem := newMem(t)
			in := newScriptOp(t, mem, ordersSchema, batchItem(input...))
			j := NewLookupJoin(in, newMemTable(t, mem, custSchema, table), custSpec(kind, nil, 0), newExprCtx(mem))
			want := []row{{3, 7, 1, 7, "seven", 2}}
			if kind == LeftJoin {
				want = []row{{1, nil, 5, nil, nil, nil}, {2, nil, nil, nil, nil, nil}, {3, 7, 1, 7, "seven", 2}}
			}
			assertRows(t, ordCustOut, drain(t, j).rows, want)
		})
	}
}

// amountGeTier is `amount >= tier` over the joined row.
func amountGeTier(t testing.TB) expr.Expr {
	return binary(t, expr.GtEq, colExpr(ordCustOut, "amount"), colExpr(ordCustOut, "tier"))
}

func TestLookupJoinResidual(t *testing.T) {
	// Order 101 (amount 15) passes with bea (5) only; 105 (amount 1) with
	// neither of key 2's rows; 100 (15 >= 10) and 104 (40 >= 30) pass.
	inner := []row{
		{100, 1, 15, 1, "ann", 10},
		{101, 2, 15, 2, "bea", 5},
		{104, 3, 40, 3, "cy", 30},
	}
	left := []row{
		{100, 1, 15, 1, "ann", 10},
		{101, 2, 15, 2, "bea", 5},
		{102, 4, 15, nil, nil, nil},
		{103, nil, 15, nil, nil, nil},
		{104, 3, 40, 3, "cy", 30},
		{105, 2, 1, nil, nil, nil},
	}
	for _, tc := range []struct {
		kind JoinKind
		want []row
	}{{InnerJoin, inner}, {LeftJoin, left}} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			forEachBatchSize(t, func(t *testing.T, size int) {
				mem := newMem(t)
				in := newScriptOp(t, mem, ordersSchema, batchItems(orders, size)...)
				j := NewLookupJoin(in, newMemTable(t, mem, custSchema, customers), custSpec(tc.kind, amountGeTier(t), 0), newExprCtx(mem))
				assertRows(t, ordCustOut, drain(t, j).rows, tc.want)
			})
		})
	}
}

// TestLookupJoinResidualNullIsFalse: a residual that is NULL drops the
// pair, as a filter does.
func TestLookupJoinResidualNullIsFalse(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, ordersSchema, batchItem(row{1, 1, nil}, row{2, 1, 50}))
	j := NewLookupJoin(in, newMemTable(t, mem, custSchema, []row{{1, "ann", 10}}), custSpec(LeftJoin, amountGeTier(t), 0), newExprCtx(mem))
	assertRows(t, ordCustOut, drain(t, j).rows, []row{{1, 1, nil, nil, nil, nil}, {2, 1, 50, 1, "ann", 10}})
}

// TestLookupJoinCompositeKeys joins on (VARCHAR, BIGINT), the general
// path of the probe, with NULLs in either key column.
func TestLookupJoinCompositeKeys(t *testing.T) {
	inSchema := schemaOf(field("region", sqltypes.Varchar), field("shop", sqltypes.BigInt), field("n", sqltypes.BigInt))
	tSchema := schemaOf(field("region", sqltypes.Varchar), field("shop", sqltypes.BigInt), field("manager", sqltypes.Varchar))
	out := joinedSchema(inSchema, tSchema)
	table := []row{
		{"eu", 1, "ada"},
		{"eu", 2, "bo"},
		{"us", 1, "cal"},
		{"", 1, "empty"},
		{"eu", 1, "ada2"},
		{nil, 1, "null region"},
		{"us", nil, "null shop"},
	}
	input := []row{
		{"eu", 1, 1},
		{"us", 2, 2},
		{"us", 1, 3},
		{"", 1, 4},
		{nil, 1, 5},
		{"us", nil, 6},
		{"eu", 2, 7},
	}
	spec := &LookupJoinSpec{
		Kind:       LeftJoin,
		StreamKeys: []expr.Expr{colExpr(inSchema, "region"), colExpr(inSchema, "shop")},
		TableKeys:  []int{0, 1},
		Schema:     out,
	}
	want := []row{
		{"eu", 1, 1, "eu", 1, "ada"},
		{"eu", 1, 1, "eu", 1, "ada2"},
		{"us", 2, 2, nil, nil, nil},
		{"us", 1, 3, "us", 1, "cal"},
		{"", 1, 4, "", 1, "empty"},
		{nil, 1, 5, nil, nil, nil},
		{"us", nil, 6, nil, nil, nil},
		{"eu", 2, 7, "eu", 2, "bo"},
	}
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		in := newScriptOp(t, mem, inSchema, batchItems(input, size)...)
		j := NewLookupJoin(in, newMemTable(t, mem, tSchema, table), spec, newExprCtx(mem))
		assertRows(t, out, drain(t, j).rows, want)
	})
}

// TestLookupJoinDoubleKeys: -0 equals +0 and NaN equals NaN, as in GROUP BY.
func TestLookupJoinDoubleKeys(t *testing.T) {
	s := schemaOf(field("x", sqltypes.Double), field("tag", sqltypes.Varchar))
	out := joinedSchema(s, s)
	spec := &LookupJoinSpec{Kind: InnerJoin, StreamKeys: []expr.Expr{colExpr(s, "x")}, TableKeys: []int{0}, Schema: out}
	nan := math.NaN()
	mem := newMem(t)
	in := newScriptOp(t, mem, s, batchItem(row{math.Copysign(0, -1), "a"}, row{nan, "b"}, row{1.5, "c"}, row{2.0, "d"}))
	j := NewLookupJoin(in, newMemTable(t, mem, s, []row{{0.0, "zero"}, {nan, "nan"}, {1.5, "x"}}), spec, newExprCtx(mem))
	got := drain(t, j).rows
	var tags []string
	for _, r := range got {
		tags = append(tags, r[1].(string)+"="+r[3].(string))
	}
	if want := "a=zero b=nan c=x"; strings.Join(tags, " ") != want {
		t.Fatalf("got %v, want %s", tags, want)
	}
}

func TestLookupJoinEmptyTable(t *testing.T) {
	for _, kind := range []JoinKind{InnerJoin, LeftJoin} {
		for _, residual := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/residual=%v", kind, residual), func(t *testing.T) { testLookupJoinEmptyTable(t, kind, residual) })
		}
	}
}

func testLookupJoinEmptyTable(t *testing.T, kind JoinKind, residual bool) {
	mem := newMem(t)
	in := newScriptOp(t, mem, ordersSchema, batchItem(orders[:3]...), wmItem(50), batchItem(orders[3:]...))
	var res expr.Expr
	if residual {
		res = amountGeTier(t)
	}
	j := NewLookupJoin(in, newMemTable(t, mem, custSchema, nil), custSpec(kind, res, 0), newExprCtx(mem))
	out := drain(t, j)
	if kind == InnerJoin {
		assertTrace(t, out.trace, "wm 50")
		return
	}
	assertTrace(t, out.trace, "batch 3", "wm 50", "batch 3")
	var want []row
	for _, o := range orders {
		want = append(want, row{o[0], o[1], o[2], nil, nil, nil})
	}
	assertRows(t, ordCustOut, out.rows, want)
}

// TestLookupJoinPassesMessages: watermarks and barriers pass unchanged, in
// order; batches without output are dropped, and empty batches give none.
func TestLookupJoinPassesMessages(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, ordersSchema,
		batchItem(row{1, 1, 1}), wmItem(10), barrierItem(1),
		batchItem(row{2, 9, 1}), batchItem(), wmItem(20), batchItem(row{3, 2, 1}), wmItem(WatermarkMax))
	j := NewLookupJoin(in, newMemTable(t, mem, custSchema, customers), custSpec(InnerJoin, nil, 0), newExprCtx(mem))
	out := drain(t, j)
	assertTrace(t, out.trace, "batch 1", "wm 10", "barrier 1", "wm 20", "batch 2", "wm max")
}

// stepJoin opens j and returns a function that pulls its next message,
// with the clock set to ms, and returns its rows (nil for a watermark).
func stepJoin(t *testing.T, j *LookupJoin, clock *fakeClock) func(ms int64) []row {
	t.Helper()
	ctx := context.Background()
	if err := j.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return func(ms int64) []row {
		t.Helper()
		clock.ms = ms
		m, err := j.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Release()
		if m.Kind != MsgBatch {
			return nil
		}
		return recordRows(t, m.Batch)
	}
}

// TestLookupJoinReload: a change of the table shows in batches processed
// after the next check, never in output already emitted
// (processing-time semantics), and an unchanged table is not reindexed.
func TestLookupJoinReload(t *testing.T) {
	mem := newMem(t)
	probe := row{1, 1, 15}
	items := make([]item, 5)
	for i := range items {
		items[i] = batchItem(probe)
	}
	in := newScriptOp(t, mem, ordersSchema, items...)
	table := newMemTable(t, mem, custSchema, []row{{1, "ann", 10}})
	clock := &fakeClock{ms: 1000}
	ec := newExprCtx(mem)
	ec.Proc = expr.NewProcClock(clock.now)
	j := NewLookupJoin(in, table, custSpec(InnerJoin, nil, time.Second), ec)
	next := stepJoin(t, j, clock) // loads at 1000: next check at 2000

	first := next(1000)
	assertRows(t, ordCustOut, first, []row{{1, 1, 15, 1, "ann", 10}})

	table.set([]row{{1, "ann v2", 11}, {1, "ann v2b", 12}})
	assertRows(t, ordCustOut, next(1999), []row{{1, 1, 15, 1, "ann", 10}}) // not due yet
	if table.loads != 1 {
		t.Fatalf("table loaded %d times before the reload was due", table.loads)
	}
	assertRows(t, ordCustOut, next(2000), []row{{1, 1, 15, 1, "ann v2", 11}, {1, 1, 15, 1, "ann v2b", 12}})
	if j.Loads() != 2 || j.TableRows() != 2 {
		t.Fatalf("after the reload: %d loads, %d table rows", j.Loads(), j.TableRows())
	}
	// The row emitted before the change is what it was.
	assertRows(t, ordCustOut, first, []row{{1, 1, 15, 1, "ann", 10}})

	// Due again at 3000, unchanged: asked, not reindexed.
	assertRows(t, ordCustOut, next(3500), []row{{1, 1, 15, 1, "ann v2", 11}, {1, 1, 15, 1, "ann v2b", 12}})
	if table.loads != 3 || j.Loads() != 2 {
		t.Fatalf("table asked %d times, indexed %d times; want 3 and 2", table.loads, j.Loads())
	}
	// The key disappears: the fifth and last batch finds no match and
	// the inner join emits nothing more.
	table.set([]row{{2, "bob", 20}})
	clock.ms = 4500
	m, err := j.Next(context.Background())
	if err != nil || m.Kind != MsgEnd {
		t.Fatalf("got %s, %v; want the end", traceOf(m), err)
	}
	if j.Loads() != 3 || j.TableRows() != 1 {
		t.Fatalf("after the last reload: %d loads, %d table rows", j.Loads(), j.TableRows())
	}
}

// TestLookupJoinReloadDrop: after the table loses a key, later rows of
// that key no longer match; a LEFT join pads them.
func TestLookupJoinReloadDrop(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, ordersSchema, batchItem(row{1, 1, 15}), batchItem(row{2, 1, 15}), batchItem(row{3, 1, 15}))
	table := newMemTable(t, mem, custSchema, []row{{1, "ann", 10}})
	clock := &fakeClock{}
	ec := newExprCtx(mem)
	ec.Proc = expr.NewProcClock(clock.now)
	j := NewLookupJoin(in, table, custSpec(LeftJoin, nil, 10*time.Millisecond), ec)
	next := stepJoin(t, j, clock)
	assertRows(t, ordCustOut, next(0), []row{{1, 1, 15, 1, "ann", 10}})
	table.set(nil)
	assertRows(t, ordCustOut, next(10), []row{{2, 1, 15, nil, nil, nil}})
	table.set([]row{{1, "ann again", 1}})
	assertRows(t, ordCustOut, next(20), []row{{3, 1, 15, 1, "ann again", 1}})
}

// TestLookupJoinNoReload: Reload 0 never asks the table again.
func TestLookupJoinNoReload(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, ordersSchema, batchItem(row{1, 1, 15}), batchItem(row{2, 1, 15}))
	table := newMemTable(t, mem, custSchema, []row{{1, "ann", 10}})
	clock := &fakeClock{}
	ec := newExprCtx(mem)
	ec.Proc = expr.NewProcClock(clock.now)
	next := stepJoin(t, NewLookupJoin(in, table, custSpec(InnerJoin, nil, 0), ec), clock)
	next(0)
	table.set([]row{{1, "changed", 1}})
	assertRows(t, ordCustOut, next(int64(time.Hour/time.Millisecond)), []row{{2, 1, 15, 1, "ann", 10}})
	if table.loads != 1 {
		t.Fatalf("table loaded %d times", table.loads)
	}
}

var errTable = errors.New("table unreadable")

func TestLookupJoinErrors(t *testing.T) {
	t.Run("load at open", func(t *testing.T) {
		mem := newMem(t)
		table := newMemTable(t, mem, custSchema, customers)
		table.err = errTable
		j := NewLookupJoin(newScriptOp(t, mem, ordersSchema), table, custSpec(InnerJoin, nil, 0), newExprCtx(mem))
		_, err := tryDrain(t, j)
		if !errors.Is(err, errTable) || !strings.Contains(err.Error(), "lookup join: load table") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("reload", func(t *testing.T) {
		mem := newMem(t)
		table := newMemTable(t, mem, custSchema, customers)
		clock := &fakeClock{}
		ec := newExprCtx(mem)
		ec.Proc = expr.NewProcClock(clock.now)
		in := newScriptOp(t, mem, ordersSchema, batchItem(row{1, 1, 1}), batchItem(row{2, 1, 1}))
		j := NewLookupJoin(in, table, custSpec(InnerJoin, nil, time.Millisecond), ec)
		ctx := context.Background()
		if err := j.Open(ctx); err != nil {
			t.Fatal(err)
		}
		defer j.Close()
		table.err = errTable
		clock.ms = 5
		_, err := j.Next(ctx)
		if !errors.Is(err, errTable) || !strings.Contains(err.Error(), "reload table") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("key types differ", func(t *testing.T) {
		mem := newMem(t)
		spec := custSpec(InnerJoin, nil, 0)
		spec.TableKeys = []int{1} // VARCHAR name
		j := NewLookupJoin(newScriptOp(t, mem, ordersSchema), newMemTable(t, mem, custSchema, customers), spec, newExprCtx(mem))
		_, err := tryDrain(t, j)
		if err == nil || !strings.Contains(err.Error(), `table column "name" is VARCHAR`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("updating input", func(t *testing.T) {
		mem := newMem(t)
		in := newScriptOp(t, mem, ordersSchema, item{kind: MsgBatch, rows: []row{{1, 1, 1}}, ops: []Op{OpInsert}})
		j := NewLookupJoin(in, newMemTable(t, mem, custSchema, customers), custSpec(InnerJoin, nil, 0), newExprCtx(mem))
		_, err := tryDrain(t, j)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("input error", func(t *testing.T) {
		mem := newMem(t)
		in := newScriptOp(t, mem, ordersSchema, batchItem(row{1, 1, 1}), errItem(errInput))
		j := NewLookupJoin(in, newMemTable(t, mem, custSchema, customers), custSpec(InnerJoin, nil, 0), newExprCtx(mem))
		_, err := tryDrain(t, j)
		if !errors.Is(err, errInput) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestLookupJoinDescribe(t *testing.T) {
	mem := newMem(t)
	j := NewLookupJoin(newScriptOp(t, mem, ordersSchema), newMemTable(t, mem, custSchema, nil), custSpec(LeftJoin, amountGeTier(t), 10*time.Second), newExprCtx(mem))
	want := "LookupJoinExec: LEFT ON cust = table.cid AND amount >= tier reload=10s"
	if got := j.Describe(); got != want {
		t.Fatalf("Describe() = %q, want %q", got, want)
	}
}

// TestLookupJoinRandom compares the join with a nested loop over random
// inputs and tables with duplicate and NULL keys.
func TestLookupJoinRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	val := func(n int) any {
		if rng.IntN(8) == 0 {
			return nil
		}
		return rng.IntN(n)
	}
	for iter := 0; iter < 30; iter++ {
		var input, table []row
		for i := 0; i < rng.IntN(60); i++ {
			input = append(input, row{i, val(12), val(40)})
		}
		for i := 0; i < rng.IntN(30); i++ {
			table = append(table, row{val(12), fmt.Sprintf("c%d", i), val(40)})
		}
		for _, kind := range []JoinKind{InnerJoin, LeftJoin} {
			for _, withResidual := range []bool{false, true} {
				var want []row
				for _, l := range input {
					matched := false
					for _, r := range table {
						if l[1] == nil || r[0] == nil || l[1] != r[0] {
							continue
						}
						if withResidual && (l[2] == nil || r[2] == nil || l[2].(int) < r[2].(int)) {
							continue
						}
						matched = true
						want = append(want, row{l[0], l[1], l[2], r[0], r[1], r[2]})
					}
					if !matched && kind == LeftJoin {
						want = append(want, row{l[0], l[1], l[2], nil, nil, nil})
					}
				}
				var residual expr.Expr
				if withResidual {
					residual = amountGeTier(t)
				}
				size := 1 + rng.IntN(20)
				mem := newMem(t)
				in := newScriptOp(t, mem, ordersSchema, batchItems(input, size)...)
				tab := newMemTable(t, mem, custSchema, table)
				tab.batch = rng.IntN(4)
				j := NewLookupJoin(in, tab, custSpec(kind, residual, 0), newExprCtx(mem))
				got := drain(t, j).rows
				t.Run(fmt.Sprintf("iter=%d/%s/residual=%v", iter, kind, withResidual), func(t *testing.T) {
					assertRows(t, ordCustOut, got, want)
				})
			}
		}
	}
}

// ---------------------------------------------------------------------------
// NewSourceTable

// versions serves a sequence of versions, repeating the last.
type versions struct {
	vs    []string
	calls int
	err   error
}

func (v *versions) next() (string, error) {
	v.calls++
	if v.err != nil {
		return "", v.err
	}
	i := min(v.calls, len(v.vs)) - 1
	return v.vs[i], nil
}

// tableRows returns the rows of recs and releases them.
func tableRows(t *testing.T, recs []arrow.Record) []row {
	t.Helper()
	var out []row
	for _, r := range recs {
		out = append(out, recordRows(t, r)...)
		r.Release()
	}
	return out
}

func TestSourceTable(t *testing.T) {
	mem := newMem(t)
	ctx := context.Background()
	data := [][]row{
		{{1, "ann", 10}, {2, "bob", 20}, {3, "cy", 30}},
		{{1, "ann", 11}},
	}
	var opened []*fakeSource
	load := 0
	open := func(context.Context) (Source, error) {
		steps := interleave(2, true, data[load])
		load++
		src := newFakeSource(t, mem, custSchema, 1, steps)
		opened = append(opened, src)
		return src, nil
	}
	v := &versions{vs: []string{"v1", "v1", "v2"}}
	tab := NewSourceTable(custSchema, open, v.next)
	if tab.Schema() != custSchema {
		t.Fatal("wrong schema")
	}

	recs, changed, err := tab.Load(ctx)
	if err != nil || !changed {
		t.Fatalf("first Load: changed %v, err %v", changed, err)
	}
	assertRows(t, custSchema, tableRows(t, recs), data[0])

	recs, changed, err = tab.Load(ctx)
	if err != nil || changed || recs != nil {
		t.Fatalf("Load of the same version: %d records, changed %v, err %v", len(recs), changed, err)
	}
	if len(opened) != 1 {
		t.Fatalf("an unchanged table was opened again")
	}

	recs, changed, err = tab.Load(ctx)
	if err != nil || !changed {
		t.Fatalf("Load of a new version: changed %v, err %v", changed, err)
	}
	assertRows(t, custSchema, tableRows(t, recs), data[1])
	for i, s := range opened {
		if s.closed == 0 {
			t.Errorf("source %d not closed", i)
		}
	}
	if err := tab.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSourceTableErrors(t *testing.T) {
	ctx := context.Background()
	rows := []row{{1, "ann", 10}, {2, "bob", 20}, {3, "cy", 30}}
	errRead := errors.New("line 2: bad")

	t.Run("version", func(t *testing.T) {
		errStat := errors.New("stat failed")
		tab := NewSourceTable(custSchema, nil, (&versions{err: errStat}).next)
		_, _, err := tab.Load(ctx)
		if !errors.Is(err, errStat) || !strings.Contains(err.Error(), "check lookup table for changes") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("open", func(t *testing.T) {
		errOpen := errors.New("no such file")
		open := func(context.Context) (Source, error) { return nil, errOpen }
		_, _, err := NewSourceTable(custSchema, open, (&versions{vs: []string{"v1"}}).next).Load(ctx)
		if !errors.Is(err, errOpen) || !strings.Contains(err.Error(), "open lookup table") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("read", func(t *testing.T) {
		mem := newMem(t)
		var src *fakeSource
		open := func(context.Context) (Source, error) {
			steps := append(interleave(1, false, rows[:2]), srcStep{err: errRead})
			src = newFakeSource(t, mem, custSchema, 1, steps)
			return src, nil
		}
		v := &versions{vs: []string{"v1"}}
		_, _, err := NewSourceTable(custSchema, open, v.next).Load(ctx)
		if !errors.Is(err, errRead) || !strings.Contains(err.Error(), "read lookup table") {
			t.Fatalf("err = %v", err)
		}
		if src.closed == 0 {
			t.Error("source not closed after a failed read")
		}
	})
	t.Run("schema", func(t *testing.T) {
		mem := newMem(t)
		open := func(context.Context) (Source, error) {
			return newFakeSource(t, mem, ordersSchema, 1, interleave(2, false, []row{{1, 2, 3}})), nil
		}
		_, _, err := NewSourceTable(custSchema, open, (&versions{vs: []string{"v1"}}).next).Load(ctx)
		if err == nil || !strings.Contains(err.Error(), `column "name" is BIGINT, not VARCHAR`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("changed while read", func(t *testing.T) {
		// The first read fails and the version moved meanwhile: the table
		// was being rewritten, so it is read again.
		mem := newMem(t)
		reads := 0
		open := func(context.Context) (Source, error) {
			reads++
			steps := interleave(2, false, rows)
			if reads == 1 {
				steps = append(steps[:1], srcStep{err: errRead})
			}
			return newFakeSource(t, mem, custSchema, 1, steps), nil
		}
		v := &versions{vs: []string{"v1", "v2"}}
		recs, changed, err := NewSourceTable(custSchema, open, v.next).Load(ctx)
		if err != nil || !changed {
			t.Fatalf("changed %v, err %v", changed, err)
		}
		assertRows(t, custSchema, tableRows(t, recs), rows)
		if reads != 2 {
			t.Fatalf("%d reads, want 2", reads)
		}
	})
	t.Run("steady failure", func(t *testing.T) {
		mem := newMem(t)
		reads := 0
		open := func(context.Context) (Source, error) {
			reads++
			return newFakeSource(t, mem, custSchema, 1, []srcStep{{err: io.ErrUnexpectedEOF}}), nil
		}
		_, _, err := NewSourceTable(custSchema, open, (&versions{vs: []string{"v1"}}).next).Load(ctx)
		if !errors.Is(err, io.ErrUnexpectedEOF) || reads != 1 {
			t.Fatalf("%d reads, err = %v", reads, err)
		}
	})
}

// recTable is a DimensionTable serving the same records on its first
// Load.
type recTable struct {
	schema *arrow.Schema
	recs   []arrow.Record
	loaded bool
}

func (r *recTable) Schema() *arrow.Schema { return r.schema }
func (r *recTable) Close() error          { return nil }

func (r *recTable) Load(context.Context) ([]arrow.Record, bool, error) {
	if r.loaded {
		return nil, false, nil
	}
	r.loaded = true
	for _, rec := range r.recs {
		rec.Retain()
	}
	return append([]arrow.Record(nil), r.recs...), true, nil
}

// BenchmarkLookupJoin probes a 100,000-row table with a BIGINT key (and a
// VARCHAR key) from batches of 1024 rows, each row matching one table row;
// the table's load and indexing are part of each run.
func BenchmarkLookupJoin(b *testing.B) {
	for _, keyType := range []string{"bigint", "varchar"} {
		b.Run(keyType, func(b *testing.B) {
			const tableRows, inputRows = 100_000, 1 << 18
			mem := memory.NewGoAllocator()
			typ := sqltypes.BigInt
			if keyType == "varchar" {
				typ = sqltypes.Varchar
			}
			appendKey := func(kb array.Builder, i int) {
				if keyType == "varchar" {
					kb.(*array.StringBuilder).Append(fmt.Sprintf("customer-%07d", i))
				} else {
					kb.(*array.Int64Builder).Append(int64(i))
				}
			}
			tSchema := schemaOf(field("k", typ), field("name", sqltypes.Varchar))
			inSchema := schemaOf(field("id", sqltypes.BigInt), field("k", typ))
			tb := array.NewRecordBuilder(mem, tSchema)
			for i := 0; i < tableRows; i++ {
				appendKey(tb.Field(0), i)
				tb.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("name %d", i))
			}
			table := tb.NewRecord()
			tb.Release()
			defer table.Release()
			rng := rand.New(rand.NewPCG(1, 2))
			var recs []arrow.Record
			for off := 0; off < inputRows; off += 1024 {
				rb := array.NewRecordBuilder(mem, inSchema)
				for i := 0; i < 1024; i++ {
					rb.Field(0).(*array.Int64Builder).Append(int64(off + i))
					appendKey(rb.Field(1), rng.IntN(tableRows))
				}
				recs = append(recs, rb.NewRecord())
				rb.Release()
			}
			defer releaseLookupRecords(recs)
			spec := &LookupJoinSpec{Kind: InnerJoin, StreamKeys: []expr.Expr{colExpr(inSchema, "k")}, TableKeys: []int{0}, Schema: joinedSchema(inSchema, tSchema)}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				in := &recordsOp{schema: inSchema, recs: recs, times: 1}
				j := NewLookupJoin(in, &recTable{schema: tSchema, recs: []arrow.Record{table}}, spec, newExprCtx(mem))
				if n := drainCount(b, j); n != inputRows {
					b.Fatalf("%d rows out", n)
				}
			}
			b.ReportMetric(float64(inputRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// tagTwins finds two different keys among key(0), key(1), ... whose hashes
// have the same upper 32 bits (the tag the index compares first), so that
// the index has to tell them apart by their values.
func tagTwins[K comparable](t *testing.T, key func(i int) K, hash func(K) uint64) (K, K) {
	t.Helper()
	seen := make(map[uint32]K)
	for i := 0; i < 1<<20; i++ {
		k := key(i)
		tag := uint32(hash(k) >> 32)
		if prev, ok := seen[tag]; ok {
			return prev, k
		}
		seen[tag] = k
	}
	t.Fatal("no two keys with the same tag")
	var z K
	return z, z
}

// TestLookupJoinTagCollisions joins keys whose hashes share their tag,
// through the one-word probe (BIGINT) and the general one (VARCHAR).
func TestLookupJoinTagCollisions(t *testing.T) {
	a, b := tagTwins(t, func(i int) int64 { return int64(i) * 7919 }, func(k int64) uint64 { return lookupMix(lookupSeed, uint64(k)) })
	sa, sb := tagTwins(t, func(i int) string { return fmt.Sprintf("k%d", i) }, func(k string) uint64 { return lookupMix(lookupSeed, xxh3.HashString(k)) })
	for _, tc := range []struct {
		typ  arrow.DataType
		a, b any
	}{{sqltypes.BigInt, a, b}, {sqltypes.Varchar, sa, sb}} {
		t.Run(sqltypes.Name(tc.typ), func(t *testing.T) {
			s := schemaOf(field("k", tc.typ), field("v", sqltypes.BigInt))
			out := joinedSchema(s, s)
			spec := &LookupJoinSpec{Kind: LeftJoin, StreamKeys: []expr.Expr{colExpr(s, "k")}, TableKeys: []int{0}, Schema: out}
			input := []row{{tc.a, 1}, {tc.b, 2}}
			for _, tc2 := range []struct {
				table []row
				want  []row
			}{
				{[]row{{tc.a, 10}}, []row{{tc.a, 1, tc.a, 10}, {tc.b, 2, nil, nil}}},
				{[]row{{tc.b, 20}}, []row{{tc.a, 1, nil, nil}, {tc.b, 2, tc.b, 20}}},
				{[]row{{tc.b, 20}, {tc.a, 10}, {tc.b, 21}}, []row{{tc.a, 1, tc.a, 10}, {tc.b, 2, tc.b, 20}, {tc.b, 2, tc.b, 21}}},
			} {
				mem := newMem(t)
				in := newScriptOp(t, mem, s, batchItem(input...))
				j := NewLookupJoin(in, newMemTable(t, mem, s, tc2.table), spec, newExprCtx(mem))
				assertRows(t, out, drain(t, j).rows, tc2.want)
			}
		})
	}
}

// TestLookupJoinKeyTypes joins on a key of each type alone and on all of
// them at once, with input batches that are slices of larger records (a
// non-zero array offset, as a filtered or split batch has).
func TestLookupJoinKeyTypes(t *testing.T) {
	types := []struct {
		typ        arrow.DataType
		a, b, miss any
	}{
		{sqltypes.Int, 1, -2, 3},
		{sqltypes.BigInt, int64(1) << 40, -2, 3},
		{sqltypes.Boolean, true, false, nil},
		{sqltypes.Double, 1.25, -0.5, 2.0},
		{sqltypes.Varchar, "α", "", "b"},
		{sqltypes.Date, "2024-03-15", "1969-12-31", "2000-01-01"},
		{sqltypes.Timestamp, "2024-03-15 10:30:00.123", "1969-12-31 23:59:59", "2024-03-15 10:30:00"},
		{sqltypes.Interval, 1000, -5, 7},
		{sqltypes.Decimal(20, 2), "12345678901234.56", "-0.01", "0.02"},
	}
	run := func(t *testing.T, keyTypes []arrow.DataType, input, table, want []row) {
		t.Helper()
		var inFields, tFields []arrow.Field
		var keys []expr.Expr
		var tkeys []int
		for i, typ := range keyTypes {
			inFields = append(inFields, field(fmt.Sprintf("k%d", i), typ))
			tFields = append(tFields, field(fmt.Sprintf("t%d", i), typ))
			keys = append(keys, expr.NewColumn(i, fmt.Sprintf("k%d", i), typ))
			tkeys = append(tkeys, i)
		}
		inSchema := arrow.NewSchema(append(inFields, field("id", sqltypes.BigInt)), nil)
		tSchema := arrow.NewSchema(append(tFields, field("v", sqltypes.Varchar)), nil)
		out := joinedSchema(inSchema, tSchema)
		mem := newMem(t)
		var recs []arrow.Record
		for _, c := range chunk(input, 2) {
			junk := make(row, len(c[0]))
			full := buildRecord(t, mem, inSchema, append([]row{junk}, c...))
			recs = append(recs, full.NewSlice(1, full.NumRows()))
			full.Release()
		}
		defer releaseLookupRecords(recs)
		in := &recordsOp{schema: inSchema, recs: recs, times: 1}
		spec := &LookupJoinSpec{Kind: LeftJoin, StreamKeys: keys, TableKeys: tkeys, Schema: out}
		j := NewLookupJoin(in, newMemTable(t, mem, tSchema, table), spec, newExprCtx(mem))
		assertRows(t, out, drain(t, j).rows, want)
	}
	for _, tc := range types {
		t.Run(sqltypes.Name(tc.typ), func(t *testing.T) {
			input := []row{{tc.a, 1}, {tc.miss, 2}, {nil, 3}, {tc.b, 4}, {tc.a, 5}}
			table := []row{{tc.b, "b"}, {nil, "null"}, {tc.a, "a"}}
			want := []row{
				{tc.a, 1, tc.a, "a"},
				{tc.miss, 2, nil, nil},
				{nil, 3, nil, nil},
				{tc.b, 4, tc.b, "b"},
				{tc.a, 5, tc.a, "a"},
			}
			run(t, []arrow.DataType{tc.typ}, input, table, want)
		})
	}
	t.Run("all", func(t *testing.T) {
		var keyTypes []arrow.DataType
		var ka, kb, kmix row
		for i, tc := range types {
			keyTypes = append(keyTypes, tc.typ)
			ka, kb = append(ka, tc.a), append(kb, tc.b)
			if i == 4 {
				kmix = append(kmix, tc.b) // a's key but for one column
			} else {
				kmix = append(kmix, tc.a)
			}
		}
		with := func(k row, vs ...any) row { return append(append(row{}, k...), vs...) }
		input := []row{with(ka, 1), with(kmix, 2), with(kb, 3)}
		table := []row{with(kb, "b"), with(ka, "a")}
		nulls := make([]any, len(types)+1)
		want := []row{
			with(ka, append([]any{1}, with(ka, "a")...)...),
			with(kmix, append([]any{2}, nulls...)...),
			with(kb, append([]any{3}, with(kb, "b")...)...),
		}
		run(t, keyTypes, input, table, want)
	})
}
