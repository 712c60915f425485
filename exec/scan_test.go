package exec

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// scanSchema is (ts TIMESTAMP, v BIGINT); the watermark is on ts.
var scanSchema = schemaOf(field("ts", tsType), field("v", sqltypes.BigInt))

var errSource = errors.New("disk on fire")

func TestScanWatermarkTrace(t *testing.T) {
	mem := newMem(t)
	src := newFakeSource(t, mem, scanSchema, 2, []srcStep{
		{split: 0, rows: []row{{100, 1}, {50, 2}}}, // split 1 has no data yet: no watermark
		{split: 1, rows: []row{{80, 3}}},           // min(100, 80) - 10
		{split: 0, rows: []row{{30, 4}}},           // older events: no step back
		{split: 1, rows: []row{{200, 5}}},          // min(100, 200) - 10
		{split: 0, done: true},                     // split 0 no longer holds back: 200 - 10
		{split: 1, rows: []row{{150, 6}}},          // older than split 1's max: nothing
	})
	scan := NewScan("orders", src, WatermarkSpec{Column: 0, DelayMs: 10}, nil, newExprCtx(mem))
	out := drain(t, scan)
	assertTrace(t, out.trace,
		"batch 2", "batch 1", "wm 70", "batch 1", "batch 1", "wm 90", "wm 190", "batch 1", "wm max")
	assertRows(t, scanSchema, out.rows, []row{{100, 1}, {50, 2}, {80, 3}, {30, 4}, {200, 5}, {150, 6}})
	if src.opened != 1 || src.closed != 2 {
		t.Errorf("source opened %d, closed %d times; want 1 and 2", src.opened, src.closed)
	}
}

func TestScanWatermarkWaitsForEverySplit(t *testing.T) {
	mem := newMem(t)
	src := newFakeSource(t, mem, scanSchema, 3, []srcStep{
		{split: 0, rows: []row{{100, 1}}},
		{split: 1, rows: []row{{120, 2}}},
		{split: 0, rows: []row{{300, 3}}},
		{split: 2, rows: []row{{110, 4}}}, // every split has data now
		{split: 1, done: true},
		{split: 2, done: true}, // only split 0 is open
	})
	scan := NewScan("s", src, WatermarkSpec{Column: 0, DelayMs: 0}, nil, newExprCtx(mem))
	out := drain(t, scan)
	assertTrace(t, out.trace,
		"batch 1", "batch 1", "batch 1", "batch 1", "wm 110", "wm 300", "wm max")
}

func TestScanDoneSplitWithoutData(t *testing.T) {
	// A split that ends without ever producing rows stops holding the others
	// back: the watermark follows the remaining split.
	mem := newMem(t)
	src := newFakeSource(t, mem, scanSchema, 2, []srcStep{
		{split: 0, rows: []row{{1000, 1}}},
		{split: 1, rows: []row{}, done: true}, // an empty last batch
		{split: 0, rows: []row{{2000, 2}}},
	})
	scan := NewScan("s", src, WatermarkSpec{Column: 0, DelayMs: 500}, nil, newExprCtx(mem))
	out := drain(t, scan)
	// The empty batch is passed on; it carries no rows.
	assertTrace(t, out.trace, "batch 1", "batch 0", "wm 500", "batch 1", "wm 1500", "wm max")
}

func TestScanNullEventTimesIgnored(t *testing.T) {
	mem := newMem(t)
	src := newFakeSource(t, mem, scanSchema, 2, []srcStep{
		{split: 0, rows: []row{{nil, 1}}}, // only NULL event times: split 0 has no event time yet
		{split: 1, rows: []row{{40, 2}}},
		{split: 0, rows: []row{{nil, 3}, {60, 4}, {nil, 5}}},
		{split: 1, rows: []row{{nil, 6}}}, // changes nothing
	})
	scan := NewScan("s", src, WatermarkSpec{Column: 0, DelayMs: 10}, nil, newExprCtx(mem))
	out := drain(t, scan)
	assertTrace(t, out.trace, "batch 1", "batch 1", "batch 3", "wm 30", "batch 1", "wm max")
	assertRows(t, scanSchema, out.rows, []row{{nil, 1}, {40, 2}, {nil, 3}, {60, 4}, {nil, 5}, {nil, 6}})
}

func TestScanWithoutWatermark(t *testing.T) {
	mem := newMem(t)
	src := newFakeSource(t, mem, scanSchema, 1, []srcStep{
		{split: 0, rows: []row{{100, 1}}},
		{split: 0, rows: []row{{200, 2}}, done: true},
	})
	scan := NewScan("s", src, WatermarkSpec{Column: -1}, nil, newExprCtx(mem))
	out := drain(t, scan)
	assertTrace(t, out.trace, "batch 1", "batch 1") // not even WatermarkMax
}

// scanInput is three splits of (ts, v) with NULLs in both columns and
// event times out of order within each split.
func scanInput() [][]row {
	splits := make([][]row, 3)
	for s := range splits {
		n := 20 + 7*s
		for i := 0; i < n; i++ {
			var ts, v any = int64(1000*s + 37*i - 50*(i%4)), int64(i*3 + s)
			if i%5 == 2 {
				ts = nil
			}
			if i%6 == 4 {
				v = nil
			}
			splits[s] = append(splits[s], row{ts, v})
		}
	}
	return splits
}

// expectScan is the reference model of a scan: the messages it must emit
// for steps, each batch reduced by keep (nil: no filter, so that empty
// batches pass too).
func expectScan(t *testing.T, nsplits int, steps []srcStep, delay int64, keep func(row) bool) (trace []string, rows []row) {
	maxTs := make([]int64, nsplits)
	seen := make([]bool, nsplits)
	done := make([]bool, nsplits)
	emitted := WatermarkMin
	for _, st := range steps {
		if st.rows != nil {
			n := 0
			for _, r := range st.rows {
				if r[0] != nil {
					ts := canon(t, tsType, r[0]).(int64)
					if !seen[st.split] || ts > maxTs[st.split] {
						maxTs[st.split], seen[st.split] = ts, true
					}
				}
				if keep == nil || keep(r) {
					rows = append(rows, r)
					n++
				}
			}
			if n > 0 || keep == nil {
				trace = append(trace, fmt.Sprintf("batch %d", n))
			}
		}
		if st.done {
			done[st.split] = true
		}
		wm, open, ready := WatermarkMax, false, true
		for i := range maxTs {
			if done[i] {
				continue
			}
			open = true
			if !seen[i] {
				ready = false
				break
			}
			wm = min(wm, maxTs[i]-delay)
		}
		if open && ready && wm > emitted {
			emitted = wm
			trace = append(trace, fmt.Sprintf("wm %d", wm))
		}
	}
	return append(trace, "wm max"), rows
}

func TestScanBatchSizes(t *testing.T) {
	for _, markDone := range []bool{false, true} {
		t.Run(fmt.Sprintf("splitDone=%v", markDone), func(t *testing.T) {
			forEachBatchSize(t, func(t *testing.T, size int) {
				mem := newMem(t)
				steps := interleave(size, markDone, scanInput()...)
				src := newFakeSource(t, mem, scanSchema, 3, steps)
				scan := NewScan("s", src, WatermarkSpec{Column: 0, DelayMs: 25}, nil, newExprCtx(mem))
				out := drain(t, scan)

				wantTrace, wantRows := expectScan(t, 3, steps, 25, nil)
				assertTrace(t, out.trace, wantTrace...)
				assertRows(t, scanSchema, out.rows, wantRows)
				for i := 1; i < len(out.wms); i++ {
					if out.wms[i] <= out.wms[i-1] {
						t.Fatalf("watermarks not increasing: %v", out.wms)
					}
				}
				// At 1024 each split is one batch; with SplitDone markers no
				// split is open long enough to produce a watermark.
				if len(out.wms) < 2 && (size < 1024 || !markDone) {
					t.Fatalf("watermarks %v: want some before the end", out.wms)
				}
			})
		})
	}
}

func TestScanPushedFilter(t *testing.T) {
	// v > 10 drops v <= 10 and NULL v. Watermarks still count the event
	// times of dropped rows: they were read.
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		steps := interleave(size, true, scanInput()...)
		src := newFakeSource(t, mem, scanSchema, 3, steps)
		pred := binary(t, expr.Gt, colExpr(scanSchema, "v"), int64Lit(10))
		scan := NewScan("s", src, WatermarkSpec{Column: 0, DelayMs: 25}, pred, newExprCtx(mem))
		out := drain(t, scan)

		keep := func(r row) bool { return r[1] != nil && r[1].(int64) > 10 }
		wantTrace, wantRows := expectScan(t, 3, steps, 25, keep)
		assertTrace(t, out.trace, wantTrace...)
		assertRows(t, scanSchema, out.rows, wantRows)
		if len(out.rows) == 0 {
			t.Fatal("filter dropped every row")
		}
	})
}

func TestScanPushedFilterAllTrueKeepsBatch(t *testing.T) {
	mem := newMem(t)
	src := newFakeSource(t, mem, scanSchema, 1, []srcStep{
		{split: 0, rows: []row{{1, 20}, {2, nil}, {3, 5}}},
		{split: 0, rows: []row{{4, nil}}}, // NULL predicate: dropped, no batch
		{split: 0, rows: []row{{5, 30}, {6, 40}}},
	})
	pred := binary(t, expr.Gt, colExpr(scanSchema, "v"), int64Lit(10))
	scan := NewScan("s", src, WatermarkSpec{Column: -1}, pred, newExprCtx(mem))
	out := drain(t, scan)
	assertTrace(t, out.trace, "batch 1", "batch 2")
	assertRows(t, scanSchema, out.rows, []row{{1, 20}, {5, 30}, {6, 40}})
}

func TestScanSourceError(t *testing.T) {
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		steps := interleave(size, true, scanInput()...)
		steps = append(steps[:3:3], srcStep{err: errSource})
		src := newFakeSource(t, mem, scanSchema, 3, steps)
		scan := NewScan("orders", src, WatermarkSpec{Column: 0, DelayMs: 25}, nil, newExprCtx(mem))
		out, err := tryDrain(t, scan)
		if !errors.Is(err, errSource) {
			t.Fatalf("err = %v, want %v", err, errSource)
		}
		if !strings.Contains(err.Error(), "orders") {
			t.Errorf("error %q does not name the source", err)
		}
		if got := len(out.batches); got != 3 {
			t.Errorf("%d batches before the error, want 3", got)
		}
		if src.closed == 0 {
			t.Error("source not closed")
		}
	})
}

func TestScanOpenError(t *testing.T) {
	mem := newMem(t)
	src := newFakeSource(t, mem, scanSchema, 1, nil)
	src.openErr = errSource
	scan := NewScan("orders", src, WatermarkSpec{Column: 0}, nil, newExprCtx(mem))
	_, err := tryDrain(t, scan)
	if !errors.Is(err, errSource) || !strings.Contains(err.Error(), "orders") {
		t.Fatalf("err = %v, want %v naming the source", err, errSource)
	}
}

func TestScanFilterError(t *testing.T) {
	// 100 / v fails on v = 0 in the third batch; the batch is released.
	mem := newMem(t)
	src := newFakeSource(t, mem, scanSchema, 1, []srcStep{
		{split: 0, rows: []row{{1, 5}}},
		{split: 0, rows: []row{{2, nil}}},
		{split: 0, rows: []row{{3, 4}, {4, 0}}},
		{split: 0, rows: []row{{5, 1}}},
	})
	pred := binary(t, expr.Gt, binary(t, expr.Div, int64Lit(100), colExpr(scanSchema, "v")), int64Lit(1))
	scan := NewScan("orders", src, WatermarkSpec{Column: 0}, pred, newExprCtx(mem))
	out, err := tryDrain(t, scan)
	var ee *expr.EvalError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v, want an *expr.EvalError", err)
	}
	if !strings.Contains(err.Error(), "orders") {
		t.Errorf("error %q does not name the source", err)
	}
	assertRows(t, scanSchema, out.rows, []row{{1, 5}})
}

func TestScanCloseEarly(t *testing.T) {
	for _, reads := range []int{0, 1, 2, 3} {
		t.Run(fmt.Sprint(reads), func(t *testing.T) {
			mem := newMem(t)
			steps := interleave(2, true, scanInput()...)
			src := newFakeSource(t, mem, scanSchema, 3, steps)
			scan := NewScan("s", src, WatermarkSpec{Column: 0, DelayMs: 25}, nil, newExprCtx(mem))
			ctx := context.Background()
			if err := scan.Open(ctx); err != nil {
				t.Fatal(err)
			}
			for range reads {
				m, err := scan.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				m.Release()
			}
			if err := scan.Close(); err != nil {
				t.Fatal(err)
			}
			if err := scan.Close(); err != nil {
				t.Fatal(err)
			}
			// newMem checks that the unread records were released.
		})
	}
}

func TestScanCloseWithoutOpen(t *testing.T) {
	mem := newMem(t)
	src := newFakeSource(t, mem, scanSchema, 1, nil)
	scan := NewScan("s", src, WatermarkSpec{Column: 0}, nil, newExprCtx(mem))
	if err := scan.Close(); err != nil {
		t.Fatal(err)
	}
	if err := scan.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestScanDescribe(t *testing.T) {
	mem := newMem(t)
	src := newFakeSource(t, mem, scanSchema, 1, nil)
	pred := binary(t, expr.Gt, colExpr(scanSchema, "v"), int64Lit(10))
	for _, tc := range []struct {
		scan *Scan
		want string
	}{
		{NewScan("orders", src, WatermarkSpec{Column: -1}, nil, nil), "ScanExec: orders"},
		{NewScan("orders", src, WatermarkSpec{Column: 0, DelayMs: 5000}, pred, nil), "ScanExec: orders filter=v > 10 watermark=ts - 5s"},
	} {
		if got := tc.scan.Describe(); got != tc.want {
			t.Errorf("Describe() = %q, want %q", got, tc.want)
		}
	}
}

// TestScanIdleSplitTimeout: a split that produces nothing for longer than
// the idle timeout stops holding the watermark back, and counts again when
// it produces.
func TestScanIdleSplitTimeout(t *testing.T) {
	mem := newMem(t)
	schema := schemaOf(field("ts", tsType))
	steps := []srcStep{
		{split: 0, rows: []row{{int64(1000)}}},
		{split: 1, rows: []row{{int64(500)}}},
		{split: 0, rows: []row{{int64(2000)}}}, // split 1 idle from here on
		{split: 0, rows: []row{{int64(3000)}}},
		{split: 1, rows: []row{{int64(2500)}}}, // split 1 wakes up
		{split: 0, rows: []row{{int64(4000)}}},
	}
	src := newFakeSource(t, mem, schema, 2, steps)
	scan := NewScan("s", src, WatermarkSpec{Column: 0, IdleTimeout: time.Second}, nil, newExprCtx(mem))
	clock := time.Unix(0, 0)
	scan.now = func() time.Time { return clock }
	// Each batch is pulled at a later moment: a second passes before the
	// fourth step, so split 1 (last seen at the second) is idle there.
	ctx := context.Background()
	if err := scan.Open(ctx); err != nil {
		t.Fatal(err)
	}
	var wms []int64
	step := 0
	for {
		switch step {
		case 3:
			clock = clock.Add(1500 * time.Millisecond)
		}
		m, err := scan.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind == MsgEnd {
			break
		}
		if m.Kind == MsgBatch {
			step++
		}
		if m.Kind == MsgWatermark {
			wms = append(wms, m.Watermark)
		}
		m.Release()
	}
	if err := scan.Close(); err != nil {
		t.Fatal(err)
	}
	// 500 once both splits have data; 3000 at the fourth batch, when split
	// 1 has been idle for 1.5 s and split 0 alone sets it; when split 1
	// wakes at 2500 the watermark holds at 3000 (it never goes back); the
	// end of input brings the maximum.
	want := []int64{500, 3000, WatermarkMax}
	if fmt.Sprint(wms) != fmt.Sprint(want) {
		t.Errorf("watermarks = %v, want %v", wms, want)
	}
}
