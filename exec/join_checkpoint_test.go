package exec

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// joinEvents makes n rows (k VARCHAR, v BIGINT, ts TIMESTAMP) with keys
// k0..k{keys-1} (and NULLs), arriving up to delay/2 ms out of time order.
func joinEvents(seed, n, keys int, delay int64) []row {
	r := rand.New(rand.NewSource(int64(seed)))
	type keyed struct {
		rw    row
		order int64
	}
	evs := make([]keyed, n)
	t := int64(r.Intn(1000))
	for i := range evs {
		t += int64(r.Intn(60))
		var k any = fmt.Sprintf("k%d", r.Intn(keys))
		if r.Intn(10) == 0 {
			k = nil
		}
		evs[i] = keyed{row{k, int64(seed*10000 + i), t}, t + int64(r.Intn(int(delay/2)))}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].order < evs[j].order })
	out := make([]row, n)
	for i, e := range evs {
		out[i] = e.rw
	}
	return out
}

// TestJoinCheckpointRecovery runs joins of two checkpointed sources
// through RunWith with checkpoints every few source batches of either
// input (every barrier aligned across the two scans), crashing at random
// points and
// restarting from the last stored checkpoint, until a run finishes. The
// committed output must hold the same rows as an uninterrupted run's (as a
// multiset; for an updating result, after applying the changelog): the
// order of rows from the two inputs depends on where the barriers fell.
func TestJoinCheckpointRecovery(t *testing.T) {
	evSchema := schemaOf(field("k", sqltypes.Varchar), field("v", sqltypes.BigInt), field("ts", tsType))
	key := []expr.Expr{expr.NewColumn(0, "k", sqltypes.Varchar)}
	type joinPlan struct {
		name     string
		rows     int
		updating bool
		build    func(mem *memory.CheckedAllocator, left, right Operator) Operator
	}
	aggSpec := func() *AggregateSpec {
		return &AggregateSpec{
			Keys:    key,
			Aggs:    []agg.Spec{{Func: agg.CountStar}, {Func: agg.Sum, Arg: sqltypes.BigInt}},
			Args:    []expr.Expr{nil, expr.NewColumn(1, "v", sqltypes.BigInt)},
			Filters: make([]expr.Expr, 2),
			Schema: schemaOf(field("k", sqltypes.Varchar), field("window_start", tsType), field("window_end", tsType),
				field("window_time", tsType), field("n", sqltypes.BigInt), field("sum", sqltypes.BigInt)),
		}
	}
	joined := func(a, b *arrow.Schema) *arrow.Schema {
		return arrow.NewSchema(append(slices.Clone(a.Fields()), b.Fields()...), nil)
	}
	plans := []joinPlan{
		{name: "interval/LEFT", rows: 300, build: func(mem *memory.CheckedAllocator, l, r Operator) Operator {
			spec := &JoinSpec{Kind: LeftJoin, LeftKeys: key, RightKeys: key, Schema: joined(evSchema, evSchema),
				Interval: &IntervalBounds{LeftTime: 2, RightTime: 2, Lower: -200, Upper: 100}}
			return NewJoin(l, r, spec, newExprCtx(mem))
		}},
		{name: "interval/FULL", rows: 300, build: func(mem *memory.CheckedAllocator, l, r Operator) Operator {
			spec := &JoinSpec{Kind: FullJoin, LeftKeys: key, RightKeys: key, Schema: joined(evSchema, evSchema),
				Interval: &IntervalBounds{LeftTime: 2, RightTime: 2, Lower: -50, Upper: 150},
				Residual: binary(t, expr.NotEq, expr.NewColumn(1, "v", sqltypes.BigInt), expr.NewColumn(4, "v", sqltypes.BigInt))}
			return NewJoin(l, r, spec, newExprCtx(mem))
		}},
		{name: "window/FULL", rows: 300, build: func(mem *memory.CheckedAllocator, l, r Operator) Operator {
			win := WindowSpec{Kind: Tumble, TimeCol: 2, Size: 500}
			la := NewWindowAggregate(l, aggSpec(), win, newExprCtx(mem))
			ra := NewWindowAggregate(r, aggSpec(), win, newExprCtx(mem))
			spec := &JoinSpec{Kind: FullJoin, LeftKeys: key, RightKeys: key, Schema: joined(la.Schema(), ra.Schema()),
				Window: &WindowJoinCols{LeftStart: 1, LeftEnd: 2, RightStart: 1, RightEnd: 2}}
			return NewJoin(la, ra, spec, newExprCtx(mem))
		}},
		{name: "regular/LEFT", rows: 80, updating: true, build: func(mem *memory.CheckedAllocator, l, r Operator) Operator {
			spec := &JoinSpec{Kind: LeftJoin, LeftKeys: key, RightKeys: key, Schema: joined(evSchema, evSchema)}
			return NewJoin(l, r, spec, newExprCtx(mem))
		}},
		{name: "regular/INNER", rows: 80, build: func(mem *memory.CheckedAllocator, l, r Operator) Operator {
			spec := &JoinSpec{Kind: InnerJoin, LeftKeys: key, RightKeys: key, Schema: joined(evSchema, evSchema)}
			return NewJoin(l, r, spec, newExprCtx(mem))
		}},
	}
	seeds := 3
	if testing.Short() {
		seeds = 1
	}
	for seed := 0; seed < seeds; seed++ {
		for _, p := range plans {
			// Seed 1 spills the join's state after every batch, so
			// checkpoints hold spilled rows.
			spill := seed == 1 || testing.Short()
			t.Run(fmt.Sprintf("seed%d/%s", seed, p.name), func(t *testing.T) {
				mem := newMem(t)
				const delay = 300
				var spilled, reads int64
				var joins []*Join
				defer func() {
					for _, j := range joins {
						spilled, reads = spilled+j.SpillStats().Runs, reads+j.SpillReads()
					}
					if spill && !t.Failed() && (spilled == 0 || reads == 0) {
						t.Errorf("spilled %d records, read back %d", spilled, reads)
					}
				}()
				lrows := joinEvents(2*seed, p.rows, 12, delay)
				rrows := joinEvents(2*seed+1, p.rows*3/4, 12, delay)
				build := func() Operator {
					ls := &triggerSource{ckptSource: &ckptSource{fakeSource: newFakeSource(t, mem, evSchema, 2,
						interleave(7, true, lrows[:len(lrows)/2], lrows[len(lrows)/2:]))}, every: 5}
					rs := &triggerSource{ckptSource: &ckptSource{fakeSource: newFakeSource(t, mem, evSchema, 1,
						interleave(5, true, rrows))}, every: 7}
					l := NewScan("left", ls, WatermarkSpec{Column: 2, DelayMs: delay}, nil, newExprCtx(mem))
					r := NewScan("right", rs, WatermarkSpec{Column: 2, DelayMs: delay}, nil, newExprCtx(mem))
					ls.scan, rs.scan = l, r
					op := p.build(mem, l, r)
					if spill {
						spillEverything(op.(*Join))
						joins = append(joins, op.(*Join))
					}
					return op
				}
				if err := CanCheckpoint(build()); err != nil {
					t.Fatal(err)
				}
				want, got, crashes, checkpoints := crashRestart(t, build, p.updating, int64(seed))
				if p.updating {
					want, got = applyChangelogLines(t, want), applyChangelogLines(t, got)
				}
				slices.Sort(want)
				slices.Sort(got)
				if len(want) == 0 {
					t.Fatal("no output")
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

// crashRestart runs build's plan once uninterrupted, then again with
// checkpoints (requested by its sources: see triggerSource), crashing at random points and restarting from the
// last stored checkpoint until a run finishes, and returns both runs'
// committed output. Every checkpoint stored is also restored into a fresh
// plan, to check that it reads back.
func crashRestart(t *testing.T, build func() Operator, updating bool, seed int64) (want, got []string, crashes, checkpoints int) {
	t.Helper()
	ctx := context.Background()
	wantOut := &durableOutput{prepared: map[uint64][]string{}, done: map[uint64]bool{}}
	var last *Snapshot
	store := func(_ context.Context, s *Snapshot) error { last = s; return nil }
	if _, err := RunWith(ctx, build(), &memSink{out: wantOut}, updating, CheckpointConfig{Store: store}); err != nil {
		t.Fatal(err)
	}
	if !last.Final {
		t.Fatal("the uninterrupted run's last checkpoint is not final")
	}

	r := rand.New(rand.NewSource(seed))
	gotOut := &durableOutput{prepared: map[uint64][]string{}, done: map[uint64]bool{}}
	last = nil
	for run := 0; ; run++ {
		if run > 300 {
			t.Fatal("no run finished")
		}
		sink := &memSink{out: gotOut}
		storeFails := false
		mode := r.Intn(4)
		if run == 0 {
			mode = 1 // the first run always crashes
		}
		switch mode {
		case 0:
			sink.failAfter = 1 + r.Intn(12)
		case 1:
			storeFails = true
		case 2:
			sink.failCommit = true
		}
		stores := 0
		failAt := 1 + r.Intn(6)
		if run == 0 {
			failAt = 2 // after a checkpoint with state has committed
		}
		cfg := CheckpointConfig{
			Resume: last,
			Store: func(_ context.Context, s *Snapshot) error {
				stores++
				if storeFails && stores == failAt {
					return errCrash
				}
				last = s
				checkpoints++
				if !s.Final {
					probe := &checkpointer{cfg: CheckpointConfig{Resume: s}, root: build(),
						sink: &memSink{out: &durableOutput{prepared: map[uint64][]string{}, done: map[uint64]bool{}}}}
					Walk(probe.root, func(op Operator) { probe.ops = append(probe.ops, op) })
					if err := probe.restore(ctx); err != nil {
						t.Fatalf("checkpoint %d does not restore: %v", s.ID, err)
					}
					probe.root.Close()
				}
				return nil
			},
		}
		_, err := RunWith(ctx, build(), sink, updating, cfg)
		if err == nil {
			break
		}
		if !errors.Is(err, errCrash) {
			t.Fatal(err)
		}
		crashes++
	}
	return wantOut.committed, gotOut.committed, crashes, checkpoints
}

// applyChangelogLines applies memSink lines of an updating stream ("+I
// ...", "-D ...") and returns the rows left.
func applyChangelogLines(t *testing.T, lines []string) []string {
	t.Helper()
	live := map[string]int{}
	for _, l := range lines {
		op, rest, ok := strings.Cut(l, " ")
		if !ok {
			t.Fatalf("bad line %q", l)
		}
		switch op {
		case "+I", "+U":
			live[rest]++
		case "-D", "-U":
			if live[rest] == 0 {
				t.Fatalf("%q retracts a row that is not there", l)
			}
			live[rest]--
		}
	}
	var out []string
	for row, n := range live {
		for range n {
			out = append(out, row)
		}
	}
	return out
}

// TestCanCheckpointSeveralInputs: a plan reading several sources can be
// checkpointed when every operator with several inputs aligns barriers.
func TestCanCheckpointSeveralInputs(t *testing.T) {
	mem := newMem(t)
	schema := schemaOf(field("k", sqltypes.BigInt))
	scan := func(name string) *Scan {
		return NewScan(name, &ckptSource{fakeSource: newFakeSource(t, mem, schema, 1, nil)}, WatermarkSpec{Column: -1}, nil, newExprCtx(mem))
	}
	key := []expr.Expr{expr.NewColumn(0, "k", sqltypes.BigInt)}
	spec := &JoinSpec{LeftKeys: key, RightKeys: key, Schema: schemaOf(field("k", sqltypes.BigInt), field("k0", sqltypes.BigInt))}
	if err := CanCheckpoint(NewJoin(scan("a"), scan("b"), spec, newExprCtx(mem))); err != nil {
		t.Errorf("a join of two scans: %v", err)
	}
	err := CanCheckpoint(twoInputs{scriptOp: newScriptOp(t, mem, schema), left: scan("a"), right: scan("b")})
	if !errors.Is(err, ErrNotCheckpointable) || !strings.Contains(err.Error(), "does not align checkpoint barriers") {
		t.Errorf("an operator with two inputs that does not align barriers: %v", err)
	}
}

// triggerSource is a checkpointed source that requests a checkpoint from
// its scan's trigger every few batches, so that checkpoints fall at
// points the test decides rather than the clock.
type triggerSource struct {
	*ckptSource
	scan  *Scan
	every int
	n     int
}

func (s *triggerSource) Next(ctx context.Context) (SourceBatch, error) {
	s.n++
	if tr := s.scan.trigger; tr != nil && s.n%s.every == 0 {
		tr.Request(tr.requested() + 1)
	}
	return s.ckptSource.Next(ctx)
}

// TestJoinResumeNoStaleBarrier: after a restart from checkpoint N, no scan
// sends a barrier before a new checkpoint is requested, even one that had
// saved an older barrier id (a join's checkpoint takes the larger id of
// its inputs' barriers; here the resumed checkpoint is renumbered past
// both). Otherwise the join would hold that scan's input back until the
// other ends.
func TestJoinResumeNoStaleBarrier(t *testing.T) {
	mem := newMem(t)
	evSchema := schemaOf(field("k", sqltypes.Varchar), field("v", sqltypes.BigInt), field("ts", tsType))
	key := []expr.Expr{expr.NewColumn(0, "k", sqltypes.Varchar)}
	lrows, rrows := joinEvents(1, 60, 4, 100), joinEvents(2, 60, 4, 100)
	every := 4
	var scans []*Scan
	build := func() Operator {
		ls := &triggerSource{ckptSource: &ckptSource{fakeSource: newFakeSource(t, mem, evSchema, 1, interleave(3, true, lrows))}, every: every}
		rs := &triggerSource{ckptSource: &ckptSource{fakeSource: newFakeSource(t, mem, evSchema, 1, interleave(3, true, rrows))}, every: 1 << 30}
		l := NewScan("left", ls, WatermarkSpec{Column: 2, DelayMs: 100}, nil, newExprCtx(mem))
		r := NewScan("right", rs, WatermarkSpec{Column: 2, DelayMs: 100}, nil, newExprCtx(mem))
		ls.scan, rs.scan = l, r
		scans = []*Scan{l, r}
		spec := &JoinSpec{Kind: FullJoin, LeftKeys: key, RightKeys: key,
			Schema: arrow.NewSchema(append(slices.Clone(evSchema.Fields()), evSchema.Fields()...), nil)}
		return NewJoin(l, r, spec, newExprCtx(mem))
	}
	ctx := context.Background()
	var snaps []*Snapshot
	store := func(_ context.Context, s *Snapshot) error { snaps = append(snaps, s); return nil }
	if _, err := RunWith(ctx, build(), &memSink{out: &durableOutput{prepared: map[uint64][]string{}, done: map[uint64]bool{}}}, false, CheckpointConfig{Store: store}); err != nil {
		t.Fatal(err)
	}
	if len(snaps) < 2 || snaps[0].Final {
		t.Fatalf("%d checkpoints", len(snaps))
	}
	resume := *snaps[0]
	resume.ID += 5

	every = 1 << 30 // no more requests
	snaps = nil
	if _, err := RunWith(ctx, build(), &memSink{out: &durableOutput{prepared: map[uint64][]string{}, done: map[uint64]bool{}}}, false,
		CheckpointConfig{Store: store, Resume: &resume}); err != nil {
		t.Fatal(err)
	}
	for _, s := range scans {
		if s.barrier != resume.ID {
			t.Errorf("scan %s: last barrier %d, want %d", s.Name(), s.barrier, resume.ID)
		}
	}
	if len(snaps) != 1 || !snaps[0].Final {
		t.Errorf("the resumed run took %d checkpoints, want only the final one", len(snaps))
	}
}
