package exec

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/exec/expr"
)

// recordingSink records every message it is given and releases it.
type recordingSink struct {
	t        testing.TB
	openErr  error
	writeErr error // returned by the write numbered failAt (from 1)
	failAt   int
	closeErr error
	onWrite  func(n int) // called at the start of write n (from 1)

	schema         *arrow.Schema
	updating       bool
	out            output
	opened, closed int
	writes         int
}

var _ Sink = (*recordingSink)(nil)

func (s *recordingSink) Open(_ context.Context, schema *arrow.Schema, updating bool) error {
	s.opened++
	s.schema, s.updating = schema, updating
	return s.openErr
}

func (s *recordingSink) Write(_ context.Context, m Message) error {
	s.writes++
	if s.opened == 0 {
		s.t.Error("Write before Open")
	}
	if s.onWrite != nil {
		s.onWrite(s.writes)
	}
	if s.writeErr != nil && s.writes == s.failAt {
		m.Release() // the sink owns the message, failing or not
		return s.writeErr
	}
	s.out.record(s.t, s.schema, m)
	return nil
}

func (s *recordingSink) Close() error {
	s.closed++
	return s.closeErr
}

var errSink = errors.New("sink full")

// runPipeline is a filtered scan of two splits with watermarks.
func runPipeline(t testing.TB, mem memory.Allocator, size int) (*fakeSource, Operator) {
	steps := interleave(size, true, scanInput()[:2]...)
	src := newFakeSource(t, mem, scanSchema, 2, steps)
	pred := binary(t, expr.Gt, colExpr(scanSchema, "v"), int64Lit(10))
	scan := NewScan("orders", src, WatermarkSpec{Column: 0, DelayMs: 25}, nil, newExprCtx(mem))
	return src, NewFilter(scan, pred, newExprCtx(mem))
}

func TestRunMovesEveryMessage(t *testing.T) {
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		_, ref := runPipeline(t, mem, size)
		want := drain(t, ref)

		src, root := runPipeline(t, mem, size)
		sink := &recordingSink{t: t}
		st, err := Run(context.Background(), root, sink, true)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(sink.out, want) {
			t.Fatalf("sink got %v\nwant %v", sink.out.trace, want.trace)
		}
		if len(want.wms) == 0 || want.wms[len(want.wms)-1] != WatermarkMax {
			t.Fatalf("pipeline watermarks %v: want WatermarkMax last", want.wms)
		}
		if st.RowsOut != int64(len(want.rows)) || st.Batches != int64(len(want.batches)) {
			t.Errorf("stats %+v, want %d rows in %d batches", st, len(want.rows), len(want.batches))
		}
		if sink.schema != root.Schema() || !sink.updating {
			t.Errorf("sink opened with %v, updating=%v", sink.schema, sink.updating)
		}
		if sink.opened != 1 || sink.closed != 1 || src.opened != 1 || src.closed != 1 {
			t.Errorf("sink opened %d closed %d, source opened %d closed %d; want 1 each",
				sink.opened, sink.closed, src.opened, src.closed)
		}
	})
}

func TestRunCancel(t *testing.T) {
	mem := newMem(t)
	src, root := runPipeline(t, mem, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := &recordingSink{t: t, onWrite: func(n int) {
		if n == 2 {
			cancel()
		}
	}}
	_, err := Run(ctx, root, sink, false)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if sink.writes != 2 {
		t.Errorf("sink got %d messages, want 2 (none after the cancel)", sink.writes)
	}
	if sink.closed != 1 || src.closed != 1 {
		t.Errorf("sink closed %d, source closed %d times; want 1", sink.closed, src.closed)
	}
	// newMem checks that the unread source batches were released.
}

func TestRunCancelledBeforeStart(t *testing.T) {
	mem := newMem(t)
	_, root := runPipeline(t, mem, 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sink := &recordingSink{t: t}
	if _, err := Run(ctx, root, sink, false); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if sink.writes != 0 {
		t.Errorf("sink got %d messages, want none", sink.writes)
	}
}

func TestRunErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setup  func(src *fakeSource, sink *recordingSink)
		want   error
		prefix string
		writes int  // messages the sink gets (-1: not checked)
		whole  bool // the sink gets the whole stream
	}{
		{
			name:   "sink open",
			setup:  func(_ *fakeSource, sink *recordingSink) { sink.openErr = errSink },
			want:   errSink,
			prefix: "open sink: ",
			writes: 0,
		},
		{
			name:   "sink write",
			setup:  func(_ *fakeSource, sink *recordingSink) { sink.writeErr, sink.failAt = errSink, 3 },
			want:   errSink,
			prefix: "sink: ",
			writes: 3,
		},
		{
			name:   "source open",
			setup:  func(src *fakeSource, _ *recordingSink) { src.openErr = errSource },
			want:   errSource,
			prefix: "open source orders: ",
			writes: 0,
		},
		{
			name: "source read",
			setup: func(src *fakeSource, _ *recordingSink) {
				src.steps = append(src.steps[:2:2], srcStep{err: errSource})
			},
			want:   errSource,
			prefix: "source orders: ",
			writes: -1,
		},
		{
			name:   "sink close",
			setup:  func(_ *fakeSource, sink *recordingSink) { sink.closeErr = errSink },
			want:   errSink,
			prefix: "close sink: ",
			writes: -1,
			whole:  true,
		},
		{
			name:   "pipeline close",
			setup:  func(src *fakeSource, _ *recordingSink) { src.closeErr = errSource },
			want:   errSource,
			prefix: "close pipeline: ",
			writes: -1,
			whole:  true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := newMem(t)
			src, root := runPipeline(t, mem, 3)
			sink := &recordingSink{t: t}
			tc.setup(src, sink)
			_, err := Run(context.Background(), root, sink, false)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.prefix) {
				t.Errorf("err = %q, want prefix %q", err, tc.prefix)
			}
			if tc.writes >= 0 && sink.writes != tc.writes {
				t.Errorf("sink got %d messages, want %d", sink.writes, tc.writes)
			}
			if tc.whole && sink.out.trace[len(sink.out.trace)-1] != "wm max" {
				t.Errorf("sink did not get the whole stream: %v", sink.out.trace)
			}
			if sink.closed != 1 || src.closed != 1 {
				t.Errorf("sink closed %d, source closed %d times; want 1", sink.closed, src.closed)
			}
		})
	}
}

func TestFormatPlanAndWalk(t *testing.T) {
	mem := newMem(t)
	src := newFakeSource(t, mem, scanSchema, 1, nil)
	scan := NewScan("orders", src, WatermarkSpec{Column: 0, DelayMs: 5000},
		binary(t, expr.Gt, colExpr(scanSchema, "v"), int64Lit(0)), nil)
	filter := NewFilter(scan, binary(t, expr.Gt, colExpr(scanSchema, "v"), int64Lit(1000)), nil)
	project := NewProject(filter,
		[]expr.Expr{colExpr(scanSchema, "ts"), binary(t, expr.Mul, colExpr(scanSchema, "v"), int64Lit(2))},
		schemaOf(field("ts", tsType), field("double_v", scanSchema.Field(1).Type)), nil)
	sort := NewSort(project, []SortKey{{Column: 1, Desc: true}}, mem)
	limit := NewLimit(sort, 10)

	want := `LimitExec: 10
  SortExec: double_v DESC NULLS LAST
    ProjectExec: ts, v * 2 AS double_v
      FilterExec: v > 1000
        ScanExec: orders filter=v > 0 watermark=ts - 5s
`
	if got := FormatPlan(limit); got != want {
		t.Errorf("FormatPlan:\n%s\nwant:\n%s", got, want)
	}

	// An operator without Describe prints its type.
	if got, want := FormatPlan(NewLimit(newScriptOp(t, mem, kvSchema), 1)), "LimitExec: 1\n  *exec.scriptOp\n"; got != want {
		t.Errorf("FormatPlan = %q, want %q", got, want)
	}

	var visited []Operator
	Walk(limit, func(op Operator) { visited = append(visited, op) })
	if wantOps := []Operator{limit, sort, project, filter, scan}; !sameOps(visited, wantOps) {
		t.Errorf("Walk visited %d operators: %s", len(visited), FormatPlan(limit))
	}
}

// twoInputs is an operator with two children, as a join has.
type twoInputs struct {
	*scriptOp
	left, right Operator
}

func (o twoInputs) Children() []Operator { return []Operator{o.left, o.right} }

func TestFormatPlanTwoChildren(t *testing.T) {
	leaf := newScriptOp(t, nil, kvSchema)
	left, right := NewLimit(leaf, 1), NewValues(2)
	join := twoInputs{scriptOp: newScriptOp(t, nil, kvSchema), left: left, right: right}
	want := "exec.twoInputs\n  LimitExec: 1\n    *exec.scriptOp\n  ValuesExec: 2 row(s)\n"
	if got := FormatPlan(join); got != want {
		t.Errorf("FormatPlan = %q, want %q", got, want)
	}
	var visited []Operator
	Walk(join, func(op Operator) { visited = append(visited, op) })
	if wantOps := []Operator{join, left, leaf, right}; !sameOps(visited, wantOps) {
		t.Errorf("Walk order wrong: got %d operators", len(visited))
	}
}

// sameOps reports whether a and b hold the same operators (by identity).
func sameOps(a, b []Operator) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
