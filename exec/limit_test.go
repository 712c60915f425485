package exec

import (
	"errors"
	"fmt"
	"testing"
)

func TestLimitCuts(t *testing.T) {
	const n = 10
	rows := seqRows(n, 3, func(i int) any { return i * 10 })
	forEachBatchSize(t, func(t *testing.T, size int) {
		batches := len(chunk(rows, size))
		for _, limit := range []int{0, 1, n - 1, n, n + 1} {
			t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
				mem := newMem(t)
				in := newScriptOp(t, mem, kvSchema, batchItems(rows, size)...)
				out := drain(t, NewLimit(in, int64(limit)))
				assertRows(t, kvSchema, out.rows, rows[:min(limit, n)])

				// The limit stops pulling as soon as it has its rows; an
				// input shorter than the limit is read to its end (and the
				// two extra Next calls of drain reach it again).
				wantPulls := (limit + size - 1) / size
				if limit > n {
					wantPulls = batches + 3
				}
				if in.next != wantPulls {
					t.Errorf("input pulled %d times, want %d", in.next, wantPulls)
				}
				if in.opened != 1 || in.closed == 0 {
					t.Errorf("input opened %d, closed %d times", in.opened, in.closed)
				}
			})
		}
	})
}

func TestLimitForwardsWatermarksUntilDone(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, kvSchema,
		wmItem(1),
		batchItem(row{1, 1}, row{2, nil}, row{3, 3}),
		wmItem(2),
		barrierItem(1),
		batchItem(row{4, 4}, row{5, 5}, row{6, 6}),
		wmItem(3), // after the limit: never read
	)
	out := drain(t, NewLimit(in, 4))
	assertTrace(t, out.trace, "wm 1", "batch 3", "wm 2", "barrier 1", "batch 1")
	assertRows(t, kvSchema, out.rows, []row{{1, 1}, {2, nil}, {3, 3}, {4, 4}})
	if in.next != 5 {
		t.Errorf("input pulled %d times, want 5", in.next)
	}
}

func TestLimitUpdatingStream(t *testing.T) {
	mem := newMem(t)
	// Whole batches of an updating stream pass with their ops.
	in := newScriptOp(t, mem, kvSchema, item{kind: MsgBatch, rows: []row{{1, 1}, {1, 2}}, ops: []Op{OpUpdateBefore, OpUpdateAfter}})
	out := drain(t, NewLimit(in, 2))
	if !equalOps(out.ops, []Op{OpUpdateBefore, OpUpdateAfter}) {
		t.Errorf("ops = %v", out.ops)
	}
	// Cutting one is an error.
	in = newScriptOp(t, mem, kvSchema, item{kind: MsgBatch, rows: []row{{1, 1}, {1, 2}}, ops: []Op{OpUpdateBefore, OpUpdateAfter}})
	if _, err := tryDrain(t, NewLimit(in, 1)); err == nil {
		t.Error("no error for cutting an updating batch")
	}
}

func TestLimitInputError(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, kvSchema, batchItem(row{1, 1}), errItem(errInput))
	if _, err := tryDrain(t, NewLimit(in, 5)); !errors.Is(err, errInput) {
		t.Fatalf("err = %v, want %v", err, errInput)
	}
}

func TestLimitDescribe(t *testing.T) {
	l := NewLimit(newScriptOp(t, nil, kvSchema), 5)
	if got, want := l.Describe(), "LimitExec: 5"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
	if l.Schema() != kvSchema {
		t.Error("Limit must keep its input's schema")
	}
}
