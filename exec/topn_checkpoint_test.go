package exec

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/weirsql/weir/state"
)

// topNEvents makes n rows (k, v, ts, id) over keys partitions, up to 40 ms
// out of time order.
func topNEvents(seed int64, n, keys int) []row {
	r := rand.New(rand.NewSource(seed))
	rows := make([]row, n)
	ts := int64(1000)
	for i := range rows {
		ts += int64(r.Intn(20))
		var k any = fmt.Sprintf("k%d", r.Intn(keys))
		if r.Intn(15) == 0 {
			k = nil
		}
		rows[i] = row{k, r.Intn(50), ts - int64(r.Intn(40)), i}
	}
	return rows
}

// TestTopNCheckpointRecovery runs TopNs over a checkpointed source with
// checkpoints every few batches, crashing at random points and restarting
// from the last stored checkpoint until a run finishes; the committed
// output must be exactly an uninterrupted run's.
func TestTopNCheckpointRecovery(t *testing.T) {
	specs := map[string]TopNSpec{
		"top3/rank":          topNSpec(TopNRows, 3, true, vDescNullsFirst, SortKey{Column: 2}),
		"top2":               topNSpec(TopNRows, 2, false, SortKey{Column: 1}),
		"keep-last":          topNSpec(TopNKeepLast, 1, false, SortKey{Column: 2, Desc: true}),
		"keep-first/rowtime": topNSpec(TopNKeepFirst, 1, true, SortKey{Column: 2}),
	}
	byArrival := topNSpec(TopNKeepFirst, 1, false, SortKey{Column: 2})
	byArrival.ByArrival = true
	specs["keep-first/arrival"] = byArrival
	seeds := 3
	if testing.Short() {
		seeds = 1
	}
	for name, spec := range specs {
		for seed := 0; seed < seeds; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", name, seed), func(t *testing.T) {
				mem := newMem(t)
				rows := topNEvents(int64(seed), 400, 25)
				// Seed 1 spills every segment after every batch.
				spill := seed == 1 || testing.Short()
				var ops []*TopN
				build := func() Operator {
					src := &triggerSource{ckptSource: &ckptSource{fakeSource: newFakeSource(t, mem, topNSchema, 1, interleave(9, true, rows))}, every: 4}
					scan := NewScan("events", src, WatermarkSpec{Column: 2, DelayMs: 30}, nil, newExprCtx(mem))
					src.scan = scan
					op := NewTopN(scan, spec, mem)
					if spill {
						op.SetSpill(1, func() (SpillStore, error) { return newMemSpill(), nil }, []byte("t/"))
						ops = append(ops, op)
					}
					return op
				}
				if err := CanCheckpoint(build()); err != nil {
					t.Fatal(err)
				}
				want, got, crashes, checkpoints := crashRestart(t, build, spec.updating(), int64(seed))
				if len(want) == 0 {
					t.Fatal("no output")
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("after %d crashes and %d checkpoints the output differs\n%s", crashes, checkpoints, diffLines(want, got))
				}
				if crashes == 0 || checkpoints < 3 {
					t.Fatalf("%d crashes, %d checkpoints", crashes, checkpoints)
				}
				if spill && !spec.ByArrival { // (keep-first by arrival holds no rows)
					var spilled, reads int64
					for _, op := range ops {
						spilled, reads = spilled+op.SpillStats().Runs, reads+op.SpillReads()
					}
					if spilled == 0 || reads == 0 {
						t.Fatalf("spilled %d segments, read %d back", spilled, reads)
					}
				}
			})
		}
	}
}

// TestTopNRestoreRejectsDamage: a restore checks what it reads.
func TestTopNRestoreRejectsDamage(t *testing.T) {
	mem := newMem(t)
	spec := topNSpec(TopNRows, 2, true, vDescNullsFirst)
	op := NewTopN(newScriptOp(t, mem, topNSchema, batchItems(topNRows, 3)...), spec, mem)
	out := drainKeep(t, op)
	defer op.Close()
	if len(out.rows) == 0 {
		t.Fatal("no output")
	}
	e := state.NewEncoder(nil)
	if err := op.SaveState(e); err != nil {
		t.Fatal(err)
	}
	saved := e.Bytes()
	// The saved state restores into a fresh operator with the same rows.
	fresh := NewTopN(newScriptOp(t, mem, topNSchema), spec, mem)
	if err := fresh.RestoreState(state.NewDecoder(saved)); err != nil {
		t.Fatal(err)
	}
	if fresh.StateRows() != op.StateRows() || fresh.Partitions() != op.Partitions() {
		t.Errorf("restored %d rows of %d partitions, saved %d of %d", fresh.StateRows(), fresh.Partitions(), op.StateRows(), op.Partitions())
	}
	fresh.Close()
	for cut := 0; cut < len(saved); cut += 7 {
		damaged := NewTopN(newScriptOp(t, mem, topNSchema), spec, mem)
		if err := damaged.RestoreState(state.NewDecoder(saved[:cut])); err == nil {
			t.Errorf("a state cut at %d of %d bytes restored", cut, len(saved))
		}
		damaged.Close()
	}
}

// drainKeep pulls op to its end without closing it, so its state can be
// inspected.
func drainKeep(t *testing.T, op Operator) output {
	t.Helper()
	ctx := t.Context()
	if err := op.Open(ctx); err != nil {
		t.Fatal(err)
	}
	var out output
	for {
		m, err := op.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind == MsgEnd {
			return out
		}
		out.record(t, op.Schema(), m)
	}
}
