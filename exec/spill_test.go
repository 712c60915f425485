package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
	"github.com/weirsql/weir/state"
)

// memSpill is a SpillStore in memory, for tests.
type memSpill struct{ kv map[string][]byte }

func newMemSpill() *memSpill { return &memSpill{kv: map[string][]byte{}} }

func (m *memSpill) Put(k, v []byte) error {
	m.kv[string(k)] = append([]byte(nil), v...)
	return nil
}

func (m *memSpill) Scan(prefix []byte, fn func(k, v []byte) error) error {
	var keys []string
	for k := range m.kv {
		if strings.HasPrefix(k, string(prefix)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := fn([]byte(k), m.kv[k]); err != nil {
			return err
		}
	}
	return nil
}

func (m *memSpill) DeletePrefix(prefix []byte) error {
	for k := range m.kv {
		if bytes.HasPrefix([]byte(k), prefix) {
			delete(m.kv, k)
		}
	}
	return nil
}

// spillAggregate builds a windowed COUNT/SUM/MIN/MAX/FIRST/LAST/AVG per
// VARCHAR key over a fake source of events.
func spillAggregate(t testing.TB, src Source, win WindowSpec, delay int64) *WindowAggregate {
	ec := newExprCtx(memFromSource(src))
	scan := NewScan("events", src, WatermarkSpec{Column: 2, DelayMs: delay}, nil, ec)
	v := expr.NewColumn(1, "v", sqltypes.BigInt)
	spec := &AggregateSpec{
		Keys: []expr.Expr{expr.NewColumn(0, "k", sqltypes.Varchar)},
		Aggs: []agg.Spec{{Func: agg.CountStar}, {Func: agg.Sum, Arg: sqltypes.BigInt}, {Func: agg.Min, Arg: sqltypes.BigInt},
			{Func: agg.FirstValue, Arg: sqltypes.BigInt}, {Func: agg.LastValue, Arg: sqltypes.BigInt}, {Func: agg.Avg, Arg: sqltypes.BigInt},
			{Func: agg.Count, Arg: sqltypes.BigInt, Distinct: true}},
		Args:    []expr.Expr{nil, v, v, v, v, v, v},
		Filters: make([]expr.Expr, 7),
		Schema: schemaOf(field("k", sqltypes.Varchar), field("window_start", tsType), field("window_end", tsType), field("window_time", tsType),
			field("n", sqltypes.BigInt), field("sum", sqltypes.BigInt), field("min", sqltypes.BigInt),
			field("first", sqltypes.BigInt), field("last", sqltypes.BigInt), field("avg", sqltypes.Double),
			field("distinct", sqltypes.BigInt)),
	}
	return NewWindowAggregate(scan, spec, win, ec)
}

func memFromSource(src Source) interface {
	Allocate(int) []byte
	Reallocate(int, []byte) []byte
	Free([]byte)
} {
	switch s := src.(type) {
	case *ckptSource:
		return s.mem
	case *fakeSource:
		return s.mem
	}
	panic("unknown source")
}

// spillEvents are random events over many keys, so windows hold many
// groups.
func spillEvents(seed int) []row {
	r := rand.New(rand.NewSource(int64(seed)))
	var rows []row
	ts := int64(0)
	for i := 0; i < 3000; i++ {
		ts += int64(r.Intn(4))
		rows = append(rows, row{fmt.Sprintf("key%03d", r.Intn(300)), int64(r.Intn(1000) - 200), ts - int64(r.Intn(50))})
	}
	return rows
}

func sortedOutput(out output) []string {
	got := make([]string, len(out.rows))
	for i, r := range out.rows {
		got[i] = fmt.Sprint(r...)
	}
	sort.Strings(got)
	return got
}

// TestSpillMatchesInMemory: with a memory budget far below the state (a
// few hundred bytes against tens of KB), windows spill on nearly every
// batch, yet every window's rows are those of a run without a budget.
func TestSpillMatchesInMemory(t *testing.T) {
	schema := schemaOf(field("k", sqltypes.Varchar), field("v", sqltypes.BigInt), field("ts", tsType))
	for _, win := range []WindowSpec{
		{Kind: Tumble, TimeCol: 2, Size: 1000},
		{Kind: Hop, TimeCol: 2, Slide: 250, Size: 1000},
	} {
		for _, store := range []string{"memory", "badger"} {
			t.Run(fmt.Sprintf("%s/%s", win.Kind, store), func(t *testing.T) {
				mem := newMem(t)
				rows := spillEvents(1)
				want := sortedOutput(drain(t, spillAggregate(t, newFakeSource(t, mem, schema, 1, interleave(64, true, rows)), win, 60)))

				op := spillAggregate(t, newFakeSource(t, mem, schema, 1, interleave(64, true, rows)), win, 60)
				var spill SpillStore = newMemSpill()
				if store == "badger" {
					st, err := state.Open(filepath.Join(t.TempDir(), "state"))
					if err != nil {
						t.Fatal(err)
					}
					defer st.Close()
					spill = st.Spill("q1")
				}
				ConfigureSpill(op, SpillConfig{Budget: 512, Store: func() (SpillStore, error) { return spill, nil }})
				got := sortedOutput(drain(t, op))
				if op.SpilledRuns() < 10 {
					t.Fatalf("only %d runs spilled", op.SpilledRuns())
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("after %d spilled runs the result differs\n%s", op.SpilledRuns(), diffLines(want, got))
				}
				left := 0
				spill.Scan(nil, func(_, _ []byte) error { left++; return nil })
				if left != 0 {
					t.Errorf("%d spilled runs left after every window closed", left)
				}
			})
		}
	}
}

// TestSpillCheckpointRecovery crashes and restarts a spilling aggregation
// as TestCheckpointRecovery does: spilled runs must survive exactly as the
// checkpoint needs them.
func TestSpillCheckpointRecovery(t *testing.T) {
	schema := schemaOf(field("k", sqltypes.Varchar), field("v", sqltypes.BigInt), field("ts", tsType))
	win := WindowSpec{Kind: Tumble, TimeCol: 2, Size: 1000}
	for seed := 0; seed < 3; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			mem := newMem(t)
			rows := spillEvents(seed)
			build := func(spill SpillStore) *WindowAggregate {
				op := spillAggregate(t, &ckptSource{fakeSource: newFakeSource(t, mem, schema, 1, interleave(50, true, rows))}, win, 60)
				if spill != nil {
					ConfigureSpill(op, SpillConfig{Budget: 400, Store: func() (SpillStore, error) { return spill, nil }})
				}
				return op
			}
			want, got, crashes, spilled, _ := spillCrashRuns(t, seed, 8, func(s SpillStore) Operator { return build(s) })
			if spilled == 0 || crashes == 0 {
				t.Fatalf("%d runs spilled, %d crashes", spilled, crashes)
			}
			// A spilled window emits its groups partition by partition: the
			// same rows, in another order.
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("after %d crashes with %d spilled runs the output differs\n%s", crashes, spilled, diffLines(want, got))
			}
		})
	}
}

// spillCrashRuns runs build(nil) once without a budget and without
// crashes, then build(spill) with crashes (a sink failing within its first
// failRange writes, in the first six runs) and restarts from the last
// checkpoint until a run finishes. It returns both committed outputs and
// counts; it fails the test if spilled runs are left at the end.
func spillCrashRuns(t *testing.T, seed, failRange int, build func(SpillStore) Operator) (want, got []string, crashes int, spilled, loads int64) {
	t.Helper()
	ctx := context.Background()
	wantOut := &durableOutput{prepared: map[uint64][]string{}, done: map[uint64]bool{}}
	store := func(context.Context, *Snapshot) error { return nil }
	if _, err := RunWith(ctx, build(nil), &memSink{out: wantOut}, false, CheckpointConfig{Store: store}); err != nil {
		t.Fatal(err)
	}
	spill := newMemSpill()
	gotOut := &durableOutput{prepared: map[uint64][]string{}, done: map[uint64]bool{}}
	var last *Snapshot
	r := rand.New(rand.NewSource(int64(seed)))
	for run := 0; ; run++ {
		if run > 100 {
			t.Fatal("no run finished")
		}
		sink := &memSink{out: gotOut}
		if run < 6 {
			sink.failAfter = 1 + r.Intn(failRange)
		}
		op := build(spill)
		_, err := RunWith(ctx, op, sink, false, CheckpointConfig{
			Interval: time.Microsecond, Resume: last,
			Store: func(_ context.Context, s *Snapshot) error { last = s; return nil },
		})
		if sr, ok := op.(SpillReporter); ok {
			spilled += sr.SpillStats().Runs
		}
		if l, ok := op.(interface{ SpillLoads() int64 }); ok {
			loads += l.SpillLoads()
		}
		if err == nil {
			break
		}
		if !errors.Is(err, errCrash) {
			t.Fatal(err)
		}
		crashes++
	}
	if len(spill.kv) != 0 {
		t.Errorf("%d spilled runs left at the end", len(spill.kv))
	}
	return wantOut.committed, gotOut.committed, crashes, spilled, loads
}
