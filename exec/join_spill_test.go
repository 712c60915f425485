package exec

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// spillEverything gives j a budget of one byte and a spill area in memory,
// so that it spills all it can after every batch and reads back every
// stored record a match needs.
func spillEverything(j *Join) *memSpill {
	m := newMemSpill()
	j.SetSpill(1, func() (SpillStore, error) { return m, nil }, []byte("j/"))
	return m
}

// checkJoinSpilled checks, once a join whose state has all gone has run to
// its end, that it spilled (and, when it emitted rows, read some back) and
// that nothing is left in its spill area.
func checkJoinSpilled(t *testing.T, j *Join, sp *memSpill, matched bool) {
	t.Helper()
	st := j.SpillStats()
	if st.Runs == 0 || st.Bytes == 0 {
		t.Fatalf("nothing spilled: %+v", st)
	}
	if matched && j.SpillReads() == 0 {
		t.Fatal("no spilled rows were read back")
	}
	if len(sp.kv) != 0 {
		t.Fatalf("%d spilled records left in the spill area", len(sp.kv))
	}
}

// faultySpill is a memSpill whose reads can return damaged bytes and
// whose writes can fail as on a full disk.
type faultySpill struct {
	*memSpill
	damage, full bool
}

func (f *faultySpill) Put(k, v []byte) error {
	if f.full {
		return errors.New("write state directory /x: the disk is full: no space left on device")
	}
	return f.memSpill.Put(k, v)
}

func (f *faultySpill) Scan(prefix []byte, fn func(k, v []byte) error) error {
	if f.damage {
		return f.memSpill.Scan(prefix, func(k, v []byte) error { return fn(k, v[:len(v)/2]) })
	}
	return f.memSpill.Scan(prefix, fn)
}

// TestJoinSpillFaults: a spilled record that reads back damaged, and a
// spill area that cannot be written, stop the join with a clear error.
func TestJoinSpillFaults(t *testing.T) {
	for _, fault := range []string{"damage", "full"} {
		t.Run(fault, func(t *testing.T) {
			mem := newMem(t)
			l := newScriptOp(t, mem, joinLeftSchema, batchItem(row{1, "a", 1}), batchItem(row{2, "b", 2}))
			r := newScriptOp(t, mem, joinRightSchema, batchItem(row{1, 10, 3}), batchItem(row{2, 11, 4}))
			j := NewJoin(l, r, joinSpecOn(InnerJoin), newExprCtx(mem))
			f := &faultySpill{memSpill: newMemSpill(), damage: fault == "damage", full: fault == "full"}
			j.SetSpill(1, func() (SpillStore, error) { return f, nil }, []byte("j/"))
			ctx := context.Background()
			if err := j.Open(ctx); err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			var err error
			for range 20 {
				var m Message
				if m, err = j.Next(ctx); err != nil || m.Kind == MsgEnd {
					break
				}
				m.Release()
			}
			want := map[string]string{"damage": "join: read spilled rows", "full": "join: spill rows: write state directory /x: the disk is full"}[fault]
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got %v, want an error with %q", err, want)
			}
		})
	}
}

// TestJoinSpillClearsStaleRecords: records a crashed run left in the
// join's part of the spill area are deleted when the join first uses it;
// other operators' keys stay.
func TestJoinSpillClearsStaleRecords(t *testing.T) {
	mem := newMem(t)
	l := newScriptOp(t, mem, joinLeftSchema, batchItem(row{1, "a", 1}))
	r := newScriptOp(t, mem, joinRightSchema, batchItem(row{1, 10, 3}))
	j := NewJoin(l, r, joinSpecOn(InnerJoin), newExprCtx(mem))
	sp := spillEverything(j)
	sp.kv["j/\x00\x00\x00\x00\x00\x00\x00\x07"] = []byte("stale")
	sp.kv["k/other"] = []byte("another operator's")
	out := drain(t, j)
	assertSameRows(t, joinOutSchema, out.rows, []row{{1, "a", 1, 1, 10, 3}})
	if _, ok := sp.kv["j/\x00\x00\x00\x00\x00\x00\x00\x07"]; ok {
		t.Error("the stale record is still there")
	}
	if _, ok := sp.kv["k/other"]; !ok {
		t.Error("another operator's key was deleted")
	}
	if j.SpillStats().Runs == 0 || j.SpillReads() == 0 {
		t.Errorf("spilled %d records, read %d back", j.SpillStats().Runs, j.SpillReads())
	}
}
