package exec

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// The inputs of the join tests: left (k, v, ts) and right (k, w, ts).
var (
	joinLeftSchema  = schemaOf(field("k", sqltypes.BigInt), field("v", sqltypes.Varchar), field("ts", tsType))
	joinRightSchema = schemaOf(field("k", sqltypes.BigInt), field("w", sqltypes.BigInt), field("ts", tsType))
	joinOutSchema   = schemaOf(field("k", sqltypes.BigInt), field("v", sqltypes.Varchar), field("ts", tsType),
		field("k0", sqltypes.BigInt), field("w", sqltypes.BigInt), field("ts0", tsType))
)

var joinKinds = []JoinKind{InnerJoin, LeftJoin, RightJoin, FullJoin}

// joinSpecOn is an equi-join on k of the test inputs.
func joinSpecOn(kind JoinKind) *JoinSpec {
	return &JoinSpec{
		Kind:      kind,
		LeftKeys:  []expr.Expr{expr.NewColumn(0, "k", sqltypes.BigInt)},
		RightKeys: []expr.Expr{expr.NewColumn(0, "k", sqltypes.BigInt)},
		Schema:    joinOutSchema,
	}
}

// sortedRows returns rows in a canonical order, for comparing results
// whose order the join does not promise.
func sortedRows(rows []row) []row {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b row) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	return out
}

func assertSameRows(t testing.TB, schema *arrow.Schema, got, want []row) {
	t.Helper()
	assertRows(t, schema, sortedRows(got), sortedRows(canonRows(t, schema, want)))
}

// joinCase is one join over scripted inputs with its expected rows per
// kind (unordered).
type joinCase struct {
	left, right []row
	wants       map[JoinKind][]row
}

// runJoinKinds runs spec (one per kind) over the case's rows, cut into
// batches of every test size, each input followed by a watermark past
// all its rows, and checks the rows of every kind.
func runJoinKinds(t *testing.T, c joinCase, spec func(JoinKind) *JoinSpec, wmAfter int64) {
	for _, kind := range joinKinds {
		t.Run(kind.String(), func(t *testing.T) {
			forEachBatchSize(t, func(t *testing.T, size int) {
				mem := newMem(t)
				left := newScriptOp(t, mem, joinLeftSchema, append(batchItems(c.left, size), wmItem(wmAfter))...)
				right := newScriptOp(t, mem, joinRightSchema, append(batchItems(c.right, size), wmItem(wmAfter))...)
				j := NewJoin(left, right, spec(kind), newExprCtx(mem))
				out := drain(t, j)
				assertSameRows(t, joinOutSchema, out.rows, c.wants[kind])
				if out.ops != nil {
					t.Errorf("an append-only join emitted ops %v", out.ops)
				}
				if left.closed == 0 || right.closed == 0 {
					t.Errorf("inputs closed %d and %d times", left.closed, right.closed)
				}
			})
		})
	}
}

// intervalSpec: l.ts BETWEEN r.ts - 10ms AND r.ts + 5ms.
func intervalSpec(kind JoinKind) *JoinSpec {
	s := joinSpecOn(kind)
	s.Interval = &IntervalBounds{LeftTime: 2, RightTime: 2, Lower: -10, Upper: 5}
	return s
}

// The interval-join case: rows of key 1 match only inside the bounds
// (inclusive), key 2 is out of bounds, NULL keys never match, keys 3 and
// 4 have no partner.
var intervalCase = joinCase{
	left: []row{
		{1, "a", 100}, // matches r10 (95 <= ... ) and r12 (bound: 100 = 110 - 10)
		{1, "b", 120}, // matches r11
		{2, "c", 100}, // r13 is 30 ms later: out of bounds
		{nil, "d", 100},
		{3, "e", 200},
	},
	right: []row{
		{1, 10, 105},
		{1, 11, 118},
		{1, 12, 110},
		{2, 13, 130},
		{nil, 14, 100},
		{4, 15, 200},
	},
}

func init() {
	inner := []row{
		{1, "a", 100, 1, 10, 105},
		{1, "a", 100, 1, 12, 110},
		{1, "b", 120, 1, 11, 118},
	}
	leftOnly := []row{
		{2, "c", 100, nil, nil, nil},
		{nil, "d", 100, nil, nil, nil},
		{3, "e", 200, nil, nil, nil},
	}
	rightOnly := []row{
		{nil, nil, nil, 2, 13, 130},
		{nil, nil, nil, nil, 14, 100},
		{nil, nil, nil, 4, 15, 200},
	}
	intervalCase.wants = map[JoinKind][]row{
		InnerJoin: inner,
		LeftJoin:  concatRows(inner, leftOnly),
		RightJoin: concatRows(inner, rightOnly),
		FullJoin:  concatRows(inner, leftOnly, rightOnly),
	}
}

func concatRows(parts ...[]row) []row {
	var out []row
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestJoinInterval(t *testing.T) {
	runJoinKinds(t, intervalCase, intervalSpec, 1000)
}

// TestJoinIntervalResidual adds w > 10 to the condition: the pair with
// w = 10 no longer joins, so its right row goes out NULL-padded in a
// RIGHT join while its left row still has a partner.
func TestJoinIntervalResidual(t *testing.T) {
	spec := func(kind JoinKind) *JoinSpec {
		s := intervalSpec(kind)
		s.Residual = binary(t, expr.Gt, expr.NewColumn(4, "w", sqltypes.BigInt), int64Lit(10))
		return s
	}
	inner := []row{
		{1, "a", 100, 1, 12, 110},
		{1, "b", 120, 1, 11, 118},
	}
	c := intervalCase
	c.wants = map[JoinKind][]row{
		InnerJoin: inner,
		LeftJoin:  concatRows(inner, intervalCase.wants[LeftJoin][3:]),
		RightJoin: concatRows(inner, intervalCase.wants[RightJoin][3:], []row{{nil, nil, nil, 1, 10, 105}}),
		FullJoin: concatRows(inner, intervalCase.wants[LeftJoin][3:], intervalCase.wants[RightJoin][3:],
			[]row{{nil, nil, nil, 1, 10, 105}}),
	}
	runJoinKinds(t, c, spec, 1000)
}

// TestJoinIntervalDuplicates: every pair of rows of one key within the
// bounds joins: a cross product per key.
func TestJoinIntervalDuplicates(t *testing.T) {
	left := []row{{7, "x", 100}, {7, "y", 101}, {8, "z", 100}}
	right := []row{{7, 1, 100}, {7, 2, 102}, {7, 3, 104}, {8, 4, 100}, {8, 5, 100}}
	var inner []row
	for _, l := range left {
		for _, r := range right {
			if l[0] == r[0] {
				inner = append(inner, joinRow(l, r))
			}
		}
	}
	if len(inner) != 8 {
		t.Fatalf("%d pairs", len(inner))
	}
	c := joinCase{left: left, right: right, wants: map[JoinKind][]row{
		InnerJoin: inner, LeftJoin: inner, RightJoin: inner, FullJoin: inner}}
	runJoinKinds(t, c, intervalSpec, 1000)
}

// stepStream drives a join by hand: it opens it and returns a function that
// pulls the next message, recording it, and the output so far.
func stepStream(t *testing.T, j *Join) (func() Message, *output) {
	t.Helper()
	if err := j.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := &output{}
	t.Cleanup(func() {
		if err := j.Close(); err != nil {
			t.Error(err)
		}
	})
	return func() Message {
		t.Helper()
		m, err := j.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		kind, wm, barrier := m.Kind, m.Watermark, m.Barrier
		if kind != MsgEnd {
			out.record(t, j.Schema(), m)
		}
		return Message{Kind: kind, Watermark: wm, Barrier: barrier}
	}, out
}

// TestJoinIntervalExpiry follows an outer interval join message by
// message: an unmatched row goes out NULL-padded once the watermark of
// both inputs proves no row of the other side can match it, before the
// output watermark (held back by the 10 ms of the bounds); the state is
// empty once the watermark has passed every row.
func TestJoinIntervalExpiry(t *testing.T) {
	mem := newMem(t)
	left := newScriptOp(t, mem, joinLeftSchema,
		batchItem(row{1, "a", 100}), wmItem(100), wmItem(300))
	right := newScriptOp(t, mem, joinRightSchema,
		batchItem(row{2, 20, 150}), wmItem(150), wmItem(250))
	j := NewJoin(left, right, intervalSpec(FullJoin), newExprCtx(mem))
	next, out := stepStream(t, j)
	// Reads alternate, then follow the input whose watermark is behind:
	// left batch, right batch, left wm 100, right wm 150 (the output
	// watermark moves to 100 - 10), left wm 300, right wm 250.
	for out.wms == nil {
		next()
	}
	if out.wms[0] != 90 || j.StateRows() != 2 {
		t.Fatalf("after the first watermarks: wms %v, %d rows held", out.wms, j.StateRows())
	}
	// Left's row expires once the watermark passes 100 + 10: when the
	// left side's reaches 300 (the minimum is then the right side's 150).
	for m := next(); m.Kind != MsgWatermark; m = next() {
	}
	assertTrace(t, out.trace, "wm 90", "batch 1", "wm 140")
	assertRows(t, joinOutSchema, out.rows, []row{{1, "a", 100, nil, nil, nil}})
	if j.StateRows() != 1 {
		t.Fatalf("%d rows held, want the right one", j.StateRows())
	}
	// The right row (150) expires once the watermark passes 150 + 5:
	// when the right side's reaches 250.
	for m := next(); m.Kind != MsgWatermark; m = next() {
	}
	assertTrace(t, out.trace, "wm 90", "batch 1", "wm 140", "batch 1", "wm 240")
	assertRows(t, joinOutSchema, out.rows, []row{{1, "a", 100, nil, nil, nil}, {nil, nil, nil, 2, 20, 150}})
	if j.StateRows() != 0 || j.StateBytes() != 0 {
		t.Fatalf("state after the watermark passed every row: %d rows, %d bytes", j.StateRows(), j.StateBytes())
	}
	for next().Kind != MsgEnd {
	}
	if !slices.Equal(out.wms, []int64{90, 140, 240, 290, WatermarkMax}) {
		t.Fatalf("watermarks %v", out.wms)
	}
}

// TestJoinIntervalStateBounded streams many rows through an interval
// join whose inputs advance together: the state holds only the rows the
// bounds need, and none once the watermark has passed them all.
func TestJoinIntervalStateBounded(t *testing.T) {
	mem := newMem(t)
	var li, ri []item
	for b := 0; b < 200; b++ {
		var lrows, rrows []row
		for i := 0; i < 10; i++ {
			ts := b*10 + i
			lrows = append(lrows, row{ts % 7, "v", ts})
			rrows = append(rrows, row{ts % 5, ts, ts})
		}
		li = append(li, batchItem(lrows...), wmItem(int64(b*10+9)))
		ri = append(ri, batchItem(rrows...), wmItem(int64(b*10+9)))
	}
	wm := int64(5000)
	li, ri = append(li, wmItem(wm)), append(ri, wmItem(wm))
	j := NewJoin(newScriptOp(t, mem, joinLeftSchema, li...), newScriptOp(t, mem, joinRightSchema, ri...), intervalSpec(LeftJoin), newExprCtx(mem))
	next, _ := stepStream(t, j)
	var peak int64
	for {
		m := next()
		peak = max(peak, j.StateRows())
		if m.Kind == MsgWatermark && m.Watermark == wm-10 {
			break
		}
	}
	// Rows stay 10 ms (left) or 5 ms (right) behind the watermark, plus
	// one batch of each side.
	if peak > 60 {
		t.Errorf("state peaked at %d rows", peak)
	}
	if j.StateRows() != 0 || j.StateBytes() != 0 {
		t.Fatalf("state after the watermark passed every row: %d rows, %d bytes", j.StateRows(), j.StateBytes())
	}
}

// TestJoinIntervalLate: rows behind their input's watermark still join
// with the state that remains, and are counted.
func TestJoinIntervalLate(t *testing.T) {
	mem := newMem(t)
	// Reads: left wm 490, right batch, right wm 490 (behind), then the
	// left batch (level: alternate), whose rows 480 and 100 are late.
	left := newScriptOp(t, mem, joinLeftSchema,
		wmItem(490), batchItem(row{1, "late", 480}, row{1, "old", 100}, row{1, "fine", 498}))
	right := newScriptOp(t, mem, joinRightSchema,
		batchItem(row{1, 1, 500}, row{1, 2, 485}), wmItem(490), wmItem(500))
	j := NewJoin(left, right, intervalSpec(FullJoin), newExprCtx(mem))
	out := drain(t, j)
	assertSameRows(t, joinOutSchema, out.rows, []row{
		{1, "late", 480, 1, 2, 485},
		{1, "old", 100, nil, nil, nil},
		{1, "fine", 498, 1, 1, 500},
	})
	if j.LateRows() != 2 {
		t.Errorf("LateRows = %d, want 2", j.LateRows())
	}
}

// The window-join inputs: left (k, v, window_start, window_end) and right
// (k, w, window_start, window_end).
var (
	winLeftSchema = schemaOf(field("k", sqltypes.BigInt), field("v", sqltypes.Varchar),
		field("window_start", tsType), field("window_end", tsType))
	winRightSchema = schemaOf(field("k", sqltypes.BigInt), field("w", sqltypes.BigInt),
		field("window_start", tsType), field("window_end", tsType))
	winOutSchema = schemaOf(field("k", sqltypes.BigInt), field("v", sqltypes.Varchar),
		field("window_start", tsType), field("window_end", tsType),
		field("k0", sqltypes.BigInt), field("w", sqltypes.BigInt),
		field("window_start0", tsType), field("window_end0", tsType))
)

func windowJoinSpec(kind JoinKind) *JoinSpec {
	return &JoinSpec{
		Kind:      kind,
		LeftKeys:  []expr.Expr{expr.NewColumn(0, "k", sqltypes.BigInt)},
		RightKeys: []expr.Expr{expr.NewColumn(0, "k", sqltypes.BigInt)},
		Window:    &WindowJoinCols{LeftStart: 2, LeftEnd: 3, RightStart: 2, RightEnd: 3},
		Schema:    winOutSchema,
	}
}

// TestJoinWindow joins two windowed inputs: rows join only within the
// same window, duplicates make a cross product, NULL keys never match, and
// the outer kinds pad the rest when the window closes.
func TestJoinWindow(t *testing.T) {
	left := []row{
		{1, "a", 0, 10}, {1, "b", 0, 10}, {2, "c", 0, 10}, {nil, "d", 0, 10},
		{1, "e", 10, 20}, {3, "f", 10, 20},
	}
	right := []row{
		{1, 100, 0, 10}, {1, 101, 0, 10}, {nil, 102, 0, 10},
		{2, 103, 10, 20}, {1, 104, 10, 20}, {3, 105, 20, 30},
	}
	inner := []row{
		{1, "a", 0, 10, 1, 100, 0, 10}, {1, "a", 0, 10, 1, 101, 0, 10},
		{1, "b", 0, 10, 1, 100, 0, 10}, {1, "b", 0, 10, 1, 101, 0, 10},
		{1, "e", 10, 20, 1, 104, 10, 20},
	}
	leftOnly := []row{
		{2, "c", 0, 10, nil, nil, nil, nil}, {nil, "d", 0, 10, nil, nil, nil, nil},
		{3, "f", 10, 20, nil, nil, nil, nil},
	}
	rightOnly := []row{
		{nil, nil, nil, nil, nil, 102, 0, 10}, {nil, nil, nil, nil, 2, 103, 10, 20},
		{nil, nil, nil, nil, 3, 105, 20, 30},
	}
	wants := map[JoinKind][]row{
		InnerJoin: inner,
		LeftJoin:  concatRows(inner, leftOnly),
		RightJoin: concatRows(inner, rightOnly),
		FullJoin:  concatRows(inner, leftOnly, rightOnly),
	}
	for _, kind := range joinKinds {
		t.Run(kind.String(), func(t *testing.T) {
			forEachBatchSize(t, func(t *testing.T, size int) {
				mem := newMem(t)
				l := newScriptOp(t, mem, winLeftSchema, append(batchItems(left, size), wmItem(100))...)
				r := newScriptOp(t, mem, winRightSchema, append(batchItems(right, size), wmItem(100))...)
				out := drain(t, NewJoin(l, r, windowJoinSpec(kind), newExprCtx(mem)))
				assertSameRows(t, winOutSchema, out.rows, wants[kind])
			})
		})
	}
}

// TestJoinWindowClose follows a window join message by message: a window
// is joined and dropped when the watermark of both inputs reaches its
// end, its rows go out before that watermark, and a row of a window
// already emitted is late and dropped.
func TestJoinWindowClose(t *testing.T) {
	mem := newMem(t)
	l := newScriptOp(t, mem, winLeftSchema,
		batchItem(row{1, "a", 0, 10}, row{1, "b", 10, 20}), wmItem(10),
		batchItem(row{1, "late", 0, 10}), wmItem(20))
	r := newScriptOp(t, mem, winRightSchema,
		batchItem(row{1, 100, 0, 10}), wmItem(10), wmItem(30))
	spec := windowJoinSpec(LeftJoin)
	spec.Residual = binary(t, expr.NotEq, expr.NewColumn(1, "v", sqltypes.Varchar),
		expr.NewLiteral(scalar.NewStringScalar("zz")))
	j := NewJoin(l, r, spec, newExprCtx(mem))
	next, out := stepStream(t, j)
	for out.wms == nil {
		next()
	}
	assertTrace(t, out.trace, "batch 1", "wm 10")
	assertRows(t, winOutSchema, out.rows, []row{{1, "a", 0, 10, 1, 100, 0, 10}})
	if j.StateRows() != 1 {
		t.Fatalf("%d rows held, want the one of window [10, 20)", j.StateRows())
	}
	for m := next(); m.Kind != MsgWatermark; m = next() {
	}
	assertTrace(t, out.trace, "batch 1", "wm 10", "batch 1", "wm 20")
	if j.StateRows() != 0 || j.StateBytes() != 0 || j.LateRows() != 1 {
		t.Fatalf("after window [10, 20): %d rows, %d bytes, %d late", j.StateRows(), j.StateBytes(), j.LateRows())
	}
	for next().Kind != MsgEnd {
	}
	assertRows(t, winOutSchema, out.rows, []row{{1, "a", 0, 10, 1, 100, 0, 10}, {1, "b", 10, 20, nil, nil, nil, nil}})
}

// TestJoinRegularInner: an inner regular join keeps every row and emits
// an append-only stream; the watermark is the inputs' minimum.
func TestJoinRegularInner(t *testing.T) {
	left := []row{{1, "a", 1}, {1, "b", 2}, {2, "c", 3}, {nil, "d", 4}}
	right := []row{{1, 10, 5}, {3, 11, 6}, {2, 12, 7}, {1, 13, 8}, {nil, 14, 9}}
	inner := []row{
		{1, "a", 1, 1, 10, 5}, {1, "b", 2, 1, 10, 5}, {1, "a", 1, 1, 13, 8}, {1, "b", 2, 1, 13, 8},
		{2, "c", 3, 2, 12, 7},
	}
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		l := newScriptOp(t, mem, joinLeftSchema, append(batchItems(left, size), wmItem(50))...)
		r := newScriptOp(t, mem, joinRightSchema, append(batchItems(right, size), wmItem(40))...)
		out := drain(t, NewJoin(l, r, joinSpecOn(InnerJoin), newExprCtx(mem)))
		assertSameRows(t, joinOutSchema, out.rows, inner)
		if out.ops != nil {
			t.Errorf("inner join emitted ops")
		}
		if !slices.Equal(out.wms, []int64{40, 50, WatermarkMax}) {
			t.Errorf("watermarks %v", out.wms)
		}
	})
}

// TestJoinRegularChangelog follows a LEFT regular join: an unmatched row
// goes out NULL-padded at once, and its first match retracts it (-D) in
// the same batch, before the joined rows; later matches only add rows.
func TestJoinRegularChangelog(t *testing.T) {
	mem := newMem(t)
	l := newScriptOp(t, mem, joinLeftSchema, batchItem(row{1, "a", 1}, row{nil, "n", 1}), batchItem(row{2, "b", 2}))
	r := newScriptOp(t, mem, joinRightSchema, batchItem(row{1, 10, 3}, row{1, 11, 3}), batchItem(row{1, 12, 4}, row{2, 13, 4}))
	out := drain(t, NewJoin(l, r, joinSpecOn(LeftJoin), newExprCtx(mem)))
	// Reads alternate: left, right, left, right.
	assertTrace(t, out.trace, "batch 2", "batch 3", "batch 1", "batch 3", "wm max")
	assertRows(t, joinOutSchema, out.rows, []row{
		{1, "a", 1, nil, nil, nil}, {nil, "n", 1, nil, nil, nil},
		{1, "a", 1, nil, nil, nil}, {1, "a", 1, 1, 10, 3}, {1, "a", 1, 1, 11, 3},
		{2, "b", 2, nil, nil, nil},
		{2, "b", 2, nil, nil, nil}, {1, "a", 1, 1, 12, 4}, {2, "b", 2, 2, 13, 4},
	})
	want := []Op{OpInsert, OpInsert, OpDelete, OpInsert, OpInsert, OpInsert, OpDelete, OpInsert, OpInsert}
	if !slices.Equal(out.ops, want) {
		t.Fatalf("ops %v, want %v", out.ops, want)
	}
}

// TestJoinRegularKinds checks every kind of regular join at every batch
// size by applying its changelog and comparing with the join of the whole
// inputs.
func TestJoinRegularKinds(t *testing.T) {
	left := []row{{1, "a", 1}, {1, "b", 2}, {2, "c", 3}, {nil, "d", 4}, {5, "e", 5}}
	right := []row{{1, 10, 5}, {3, 11, 6}, {2, 12, 7}, {1, 13, 8}, {nil, 14, 9}}
	for _, kind := range joinKinds {
		t.Run(kind.String(), func(t *testing.T) {
			forEachBatchSize(t, func(t *testing.T, size int) {
				mem := newMem(t)
				l := newScriptOp(t, mem, joinLeftSchema, batchItems(left, size)...)
				r := newScriptOp(t, mem, joinRightSchema, batchItems(right, size)...)
				got := materializeChangelog(t, mem, NewJoin(l, r, joinSpecOn(kind), newExprCtx(mem)))
				want := batchJoin(kind, left, right, func(l, r row) bool { return true })
				assertSameRows(t, joinOutSchema, got, want)
			})
		})
	}
}

// materializeChangelog drains op and applies its changelog.
func materializeChangelog(t *testing.T, mem memory.Allocator, op Operator) []row {
	t.Helper()
	ctx := context.Background()
	if err := op.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	cl := NewChangelog(mem, op.Schema())
	defer cl.Release()
	for {
		m, err := op.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind == MsgEnd {
			break
		}
		if m.Kind == MsgBatch {
			cl.Add(m.Batch, m.Ops)
			continue
		}
		m.Release()
	}
	res, err := cl.Result()
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	return recordRows(t, res)
}

// batchJoin is the join of whole inputs of the test schemas, by nested
// loops: pairs with equal non-NULL k for which cond holds, then the
// unmatched rows of the outer sides NULL-padded.
func batchJoin(kind JoinKind, left, right []row, cond func(l, r row) bool) []row {
	var out []row
	rMatched := make([]bool, len(right))
	nulls := row{nil, nil, nil}
	for _, l := range left {
		matched := false
		for i, r := range right {
			if l[0] != nil && r[0] != nil && toI64(l[0]) == toI64(r[0]) && cond(l, r) {
				out = append(out, joinRow(l, r))
				matched, rMatched[i] = true, true
			}
		}
		if !matched && (kind == LeftJoin || kind == FullJoin) {
			out = append(out, joinRow(l, nulls))
		}
	}
	if kind == RightJoin || kind == FullJoin {
		for i, r := range right {
			if !rMatched[i] {
				out = append(out, joinRow(nulls, r))
			}
		}
	}
	return out
}

// joinRow is the output row of l and r.
func joinRow(l, r row) row { return append(slices.Clone(l), r...) }

func toI64(v any) int64 {
	switch v := v.(type) {
	case int:
		return int64(v)
	case int64:
		return v
	}
	panic(fmt.Sprintf("not an integer: %T", v))
}

// joinClockOp sets a fake clock to at[i] as it serves its i-th message.
type joinClockOp struct {
	*scriptOp
	now *int64
	at  []int64
	i   int
}

func (c *joinClockOp) Next(ctx context.Context) (Message, error) {
	if c.i < len(c.at) {
		*c.now = c.at[c.i]
	}
	c.i++
	return c.scriptOp.Next(ctx)
}

// TestJoinRegularTTL: a row's key stays alive while either side sees it;
// once it has not been seen for the TTL its rows are dropped and later
// rows of the key no longer join them.
func TestJoinRegularTTL(t *testing.T) {
	mem := newMem(t)
	now := int64(0)
	// Reads alternate: left L1 (t=0), right R1 (t=800, joins, refreshes
	// key 1 on both sides), left L2 key 2 (t=900), right R2 (t=1500:
	// key 1 seen at 800, alive; joins L1), left ends, right R3 (t=2600:
	// key 1 last seen at 1500 — expired before R3 is read; key 2 too).
	l := &joinClockOp{scriptOp: newScriptOp(t, mem, joinLeftSchema,
		batchItem(row{1, "L1", 0}), batchItem(row{2, "L2", 0})), now: &now, at: []int64{0, 900, 900}}
	r := &joinClockOp{scriptOp: newScriptOp(t, mem, joinRightSchema,
		batchItem(row{1, 1, 0}), batchItem(row{1, 2, 0}), wmItem(1), batchItem(row{1, 3, 0}, row{2, 4, 0})),
		now: &now, at: []int64{800, 1500, 2600, 2600}}
	spec := joinSpecOn(InnerJoin)
	spec.StateTTL = time.Second
	j := NewJoin(l, r, spec, newExprCtx(mem))
	j.clock = func() int64 { return now }
	next, out := stepStream(t, j)
	for next().Kind != MsgEnd {
	}
	assertRows(t, joinOutSchema, out.rows, []row{{1, "L1", 0, 1, 1, 0}, {1, "L1", 0, 1, 2, 0}})
	// R3 and R4 are held (seen at 2600).
	if j.StateRows() != 2 {
		t.Errorf("%d rows held, want 2", j.StateRows())
	}
}

// TestJoinBarrierAlignment: after a barrier from one input the join
// reads only the other until its barrier comes, then sends one barrier
// after the output of everything before it.
func TestJoinBarrierAlignment(t *testing.T) {
	mem := newMem(t)
	l := newScriptOp(t, mem, joinLeftSchema,
		batchItem(row{1, "a", 1}), barrierItem(1), batchItem(row{2, "b", 2}), barrierItem(3))
	r := newScriptOp(t, mem, joinRightSchema,
		batchItem(row{3, 30, 1}), batchItem(row{1, 10, 1}), barrierItem(1), batchItem(row{2, 20, 2}),
		batchItem(row{1, 11, 2}), barrierItem(2))
	j := NewJoin(l, r, joinSpecOn(InnerJoin), newExprCtx(mem))
	next, out := stepStream(t, j)
	var at []int // items served by the left input when each barrier came out
	for {
		m := next()
		if m.Kind == MsgEnd {
			break
		}
		if m.Kind == MsgBarrier {
			at = append(at, l.pos, r.pos)
		}
	}
	// Barrier 1 after the pair (a, 10); left waits at its barrier while
	// right is read up to its own. Then right's barrier 2 and left's 3
	// align into one barrier 3.
	assertTrace(t, out.trace, "batch 1", "barrier 1", "batch 1", "batch 1", "barrier 3", "wm max")
	if !slices.Equal(at, []int{2, 3, 4, 6}) {
		t.Errorf("inputs had served %v items at the barriers", at)
	}
	assertRows(t, joinOutSchema, out.rows, []row{{1, "a", 1, 1, 10, 1}, {2, "b", 2, 2, 20, 2}, {1, "a", 1, 1, 11, 2}})
}

// TestJoinBarrierEndedInput: an input that has ended does not hold a
// barrier back.
func TestJoinBarrierEndedInput(t *testing.T) {
	mem := newMem(t)
	l := newScriptOp(t, mem, joinLeftSchema, batchItem(row{1, "a", 1}))
	r := newScriptOp(t, mem, joinRightSchema, batchItem(row{1, 10, 1}), batchItem(row{1, 11, 1}), barrierItem(4), batchItem(row{1, 12, 1}))
	out := drain(t, NewJoin(l, r, joinSpecOn(InnerJoin), newExprCtx(mem)))
	assertTrace(t, out.trace, "batch 1", "batch 1", "barrier 4", "batch 1", "wm max")
}

// TestJoinSpecErrors: specs the join cannot run fail at Open with a
// message naming the problem.
func TestJoinSpecErrors(t *testing.T) {
	mem := newMem(t)
	bad := []struct {
		name string
		edit func(*JoinSpec)
		want string
	}{
		{"key types", func(s *JoinSpec) { s.RightKeys = []expr.Expr{expr.NewColumn(2, "ts", tsType)} }, "key k is BIGINT but ts is TIMESTAMP(3)"},
		{"key count", func(s *JoinSpec) { s.RightKeys = nil }, "1 left keys and 0 right keys"},
		{"schema", func(s *JoinSpec) { s.Schema = joinLeftSchema }, "output schema"},
		{"time column", func(s *JoinSpec) { s.Interval = &IntervalBounds{LeftTime: 1, RightTime: 2} }, `left time column "v" is VARCHAR, not TIMESTAMP`},
		{"both modes", func(s *JoinSpec) {
			s.Interval = &IntervalBounds{LeftTime: 2, RightTime: 2}
			s.Window = &WindowJoinCols{}
		}, "both interval bounds and window columns"},
		{"residual", func(s *JoinSpec) { s.Residual = expr.NewColumn(0, "k", sqltypes.BigInt) }, "not BOOLEAN"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			spec := joinSpecOn(InnerJoin)
			c.edit(spec)
			j := NewJoin(newScriptOp(t, mem, joinLeftSchema), newScriptOp(t, mem, joinRightSchema), spec, newExprCtx(mem))
			_, err := tryDrain(t, j)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to say %q", err, c.want)
			}
		})
	}
}

// TestJoinUpdatingInput: a changelog input is refused.
func TestJoinUpdatingInput(t *testing.T) {
	mem := newMem(t)
	l := newScriptOp(t, mem, joinLeftSchema, item{kind: MsgBatch, rows: []row{{1, "a", 1}}, ops: []Op{OpDelete}})
	_, err := tryDrain(t, NewJoin(l, newScriptOp(t, mem, joinRightSchema), joinSpecOn(InnerJoin), newExprCtx(mem)))
	if err == nil || !strings.Contains(err.Error(), "updating stream") {
		t.Fatalf("error %v", err)
	}
}

func TestJoinDescribe(t *testing.T) {
	mem := newMem(t)
	cases := []struct {
		spec *JoinSpec
		want string
	}{
		{intervalSpec(LeftJoin), "JoinExec: LEFT interval keys=[k = k] time=[left.ts BETWEEN right.ts - 10ms AND right.ts + 5ms]"},
		{windowJoinSpec(FullJoin), "JoinExec: FULL window keys=[k = k] window=[window_start, window_end]"},
		{func() *JoinSpec { s := joinSpecOn(RightJoin); s.StateTTL = time.Hour; return s }(), "JoinExec: RIGHT regular keys=[k = k] ttl=1h0m0s updating"},
	}
	for _, c := range cases {
		ls, rs := joinLeftSchema, joinRightSchema
		if c.spec.Window != nil {
			ls, rs = winLeftSchema, winRightSchema
		}
		j := NewJoin(newScriptOp(t, mem, ls), newScriptOp(t, mem, rs), c.spec, newExprCtx(mem))
		if got := j.Describe(); got != c.want {
			t.Errorf("Describe() = %q\nwant         %q", got, c.want)
		}
	}
}
