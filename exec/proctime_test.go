package exec

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// fakeClock is a processing-time clock a test sets by hand.
type fakeClock struct{ ms int64 }

func (c *fakeClock) now() time.Time { return time.UnixMilli(c.ms) }

// clockedSource sets the clock before serving each batch of its inner
// source: ticks[i] is the time at which batch i is read.
type clockedSource struct {
	Source
	clock *fakeClock
	ticks []int64
	n     int
}

func (s *clockedSource) Next(ctx context.Context) (SourceBatch, error) {
	if s.n < len(s.ticks) {
		s.clock.ms = s.ticks[s.n]
	}
	s.n++
	return s.Source.Next(ctx)
}

func procTimeExpr(t testing.TB) expr.Expr {
	f, ok := expr.LookupFunc("PROCTIME")
	if !ok {
		t.Fatal("no PROCTIME")
	}
	e, err := f.New(nil, sqltypes.Timestamp)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// procScan is a scan over (k, v) batches read at the given clock ticks,
// shaped to (k, v, p) with p = PROCTIME().
func procScan(t *testing.T, ec *expr.Context, clock *fakeClock, ticks []int64, batches ...[]row) *Scan {
	in := schemaOf(field("k", sqltypes.Varchar), field("v", sqltypes.BigInt))
	var steps []srcStep
	for _, b := range batches {
		steps = append(steps, srcStep{rows: b})
	}
	src := &clockedSource{Source: newFakeSource(t, ec.Mem, in, 1, steps), clock: clock, ticks: ticks}
	scan := NewScan("events", src, WatermarkSpec{Column: -1}, nil, ec)
	scan.SetShape(&ScanShape{
		Computed: []expr.Expr{procTimeExpr(t)},
		Names:    []string{"p"},
		Output:   []int{0, 1, 2},
		Schema:   schemaOf(field("k", sqltypes.Varchar), field("v", sqltypes.BigInt), field("p", sqltypes.Timestamp)),
	})
	return scan
}

func countSpec(schema *arrow.Schema) *AggregateSpec {
	return &AggregateSpec{
		Keys:    []expr.Expr{expr.NewColumn(0, "k", sqltypes.Varchar)},
		Aggs:    []agg.Spec{{Func: agg.CountStar}},
		Args:    []expr.Expr{nil},
		Filters: make([]expr.Expr, 1),
		Schema:  schema,
	}
}

// pullUntilBatch returns the first batch op emits (and the clock then), or
// nil at the end.
func pullUntilBatch(t *testing.T, op Operator, clock *fakeClock) ([]row, int64) {
	t.Helper()
	for {
		m, err := op.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		switch m.Kind {
		case MsgEnd:
			return nil, clock.ms
		case MsgBatch:
			rows := recordRows(t, m.Batch)
			m.Release()
			return rows, clock.ms
		}
		m.Release()
	}
}

// TestProcTimeTumble: a TUMBLE over PROCTIME() closes when the clock
// passes the window's end, not at the end of input, and the last windows
// close at the end.
func TestProcTimeTumble(t *testing.T) {
	mem := newMem(t)
	clock := &fakeClock{}
	ec := newExprCtx(mem)
	ec.Proc = expr.NewProcClock(clock.now)
	scan := procScan(t, ec, clock, []int64{1000, 4000, 10500, 12000},
		[]row{{"a", 1}, {"b", 2}}, []row{{"a", 3}}, []row{{"b", 4}}, []row{{"a", 5}})
	ts := sqltypes.Timestamp
	out := schemaOf(field("k", sqltypes.Varchar), field("window_start", ts), field("window_end", ts), field("window_time", ts), field("n", sqltypes.BigInt))
	op := NewWindowAggregate(scan, countSpec(out), WindowSpec{Kind: Tumble, TimeCol: 2, Size: 10_000, ProcTime: true}, ec)
	if err := op.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	rows, at := pullUntilBatch(t, op, clock)
	if at != 10500 {
		t.Errorf("window [0, 10s) closed when the clock read %d, want 10500 (the first reading past its end)", at)
	}
	assertRows(t, out, rows, []row{{"a", 0, 10_000, 9_999, 2}, {"b", 0, 10_000, 9_999, 1}})
	rows, _ = pullUntilBatch(t, op, clock)
	assertRows(t, out, rows, []row{{"b", 10_000, 20_000, 19_999, 1}, {"a", 10_000, 20_000, 19_999, 1}})
	if rows, _ := pullUntilBatch(t, op, clock); rows != nil {
		t.Errorf("unexpected rows after the last window: %v", rows)
	}
	if op.LateRows() != 0 {
		t.Errorf("%d late rows; processing time is never late", op.LateRows())
	}
}

// TestProcTimeSession: a session over processing time closes gap after its
// last row, on the clock.
func TestProcTimeSession(t *testing.T) {
	mem := newMem(t)
	clock := &fakeClock{}
	ec := newExprCtx(mem)
	ec.Proc = expr.NewProcClock(clock.now)
	scan := procScan(t, ec, clock, []int64{1000, 2500, 6000},
		[]row{{"a", 1}}, []row{{"a", 2}}, []row{{"b", 3}})
	ts := sqltypes.Timestamp
	out := schemaOf(field("k", sqltypes.Varchar), field("window_start", ts), field("window_end", ts), field("window_time", ts), field("n", sqltypes.BigInt))
	op := NewSessionAggregate(scan, countSpec(out), WindowSpec{Kind: Session, TimeCol: 2, Gap: 3000, ProcTime: true}, ec)
	if err := op.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	rows, at := pullUntilBatch(t, op, clock)
	if at != 6000 {
		t.Errorf("session closed when the clock read %d, want 6000", at)
	}
	assertRows(t, out, rows, []row{{"a", 1000, 5500, 5499, 2}})
	rows, _ = pullUntilBatch(t, op, clock)
	assertRows(t, out, rows, []row{{"b", 6000, 9000, 8999, 1}})
}

// TestProcTimeClockGoesBack: a clock set back does not make PROCTIME() go
// back, so no row lands in a window that has closed.
func TestProcTimeClockGoesBack(t *testing.T) {
	mem := newMem(t)
	clock := &fakeClock{}
	ec := newExprCtx(mem)
	ec.Proc = expr.NewProcClock(clock.now)
	scan := procScan(t, ec, clock, []int64{9000, 11000, 8000},
		[]row{{"a", 1}}, []row{{"a", 2}}, []row{{"a", 3}})
	out := drain(t, scan)
	assertRows(t, scan.Schema(), out.rows, []row{{"a", 1, 9000}, {"a", 2, 11000}, {"a", 3, 11000}})
}

// TestScanShape: computed columns are evaluated before the watermark and
// the pushed-down filter, which may both use them; the output order is the
// plan's, at every batch size.
func TestScanShape(t *testing.T) {
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		in := schemaOf(field("v", sqltypes.BigInt), field("ts", sqltypes.Timestamp))
		rows := []row{{1, 1000}, {nil, 2000}, {3, 12_000}, {4, nil}, {5, 30_000}}
		src := newFakeSource(t, mem, in, 1, interleave(size, true, rows))
		ec := newExprCtx(mem)
		ts2 := binary(t, expr.Add, colExpr(in, "ts"), expr.NewLiteral(durationMs(500)))
		double := binary(t, expr.Mul, colExpr(in, "v"), int64Lit(2))
		outSchema := schemaOf(field("ts2", sqltypes.Timestamp), field("v", sqltypes.BigInt), field("double", sqltypes.BigInt))
		// The filter reads the output: double IS NOT NULL.
		filter := expr.NewIsNull(expr.NewColumn(2, "double", sqltypes.BigInt), true)
		scan := NewScan("s", src, WatermarkSpec{Column: 0, DelayMs: 100}, filter, ec)
		scan.SetShape(&ScanShape{Computed: []expr.Expr{ts2, double}, Names: []string{"ts2", "double"}, Output: []int{2, 0, 3}, Schema: outSchema})
		if got := scan.Describe(); got != "ScanExec: s computed=[ts2 AS ts + INTERVAL '0.500' SECOND, double AS v * 2] filter=double IS NOT NULL watermark=ts2 - 100ms" {
			t.Errorf("Describe() = %q", got)
		}
		out := drain(t, scan)
		assertRows(t, outSchema, out.rows, []row{{1500, 1, 2}, {12_500, 3, 6}, {nil, 4, 8}, {30_500, 5, 10}})
		if last := out.wms[len(out.wms)-1]; last != WatermarkMax {
			t.Errorf("last watermark %d, want max", last)
		}
		if size == 2 && (len(out.wms) != 3 || out.wms[0] != 2400 || out.wms[1] != 12_400) {
			t.Errorf("watermarks %v, want [2400 12400 max]: the computed ts2 minus 100 ms", out.wms)
		}
	})
}

func durationMs(ms int64) scalar.Scalar {
	return scalar.NewDurationScalar(arrow.Duration(ms), sqltypes.Interval.(*arrow.DurationType))
}
