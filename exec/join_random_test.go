package exec

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/weirsql/weir/exec/expr"
)

// randomJoinInput makes n rows of one side of the test schemas: keys in a
// small domain with NULLs, a unique value, and times rising by step on
// average with up to jitter ms of disorder; and the items serving them in
// batches of size, each batch followed by the watermark max time seen -
// jitter (so no row is ever behind its input's watermark).
func randomJoinInput(r *rand.Rand, left bool, n, domain int, step, jitter int64, size int) ([]row, []item) {
	rows := make([]row, n)
	for i := range rows {
		var k any
		if r.Intn(8) != 0 {
			k = r.Intn(domain)
		}
		ts := int64(i)*step + r.Int63n(jitter+1)
		if left {
			rows[i] = row{k, fmt.Sprintf("l%d", i), ts}
		} else {
			rows[i] = row{k, 1000 + i, ts}
		}
	}
	var items []item
	maxTS := WatermarkMin
	for _, c := range chunk(rows, size) {
		items = append(items, batchItem(c...))
		for _, rw := range c {
			maxTS = max(maxTS, rw[2].(int64))
		}
		items = append(items, wmItem(maxTS-jitter))
	}
	return rows, items
}

// TestJoinIntervalRandom compares interval joins of every kind over random
// inputs (random bounds, keys with NULLs and duplicates, disorder within
// the watermark delay, sometimes a residual condition on both sides) with
// a nested loop over the whole inputs. It also checks that no output row
// is behind the output watermark sent before it, and that the state is
// empty at the end. Odd seeds spill the state after every batch.
func TestJoinIntervalRandom(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 10
	}
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		n := 20 + r.Intn(150)
		domain := 1 + r.Intn(6)
		size := batchSizes[r.Intn(len(batchSizes))]
		lower := int64(r.Intn(41) - 30)
		upper := lower + int64(r.Intn(41))
		leftRows, leftItems := randomJoinInput(r, true, n, domain, 1+r.Int63n(4), r.Int63n(20), size)
		rightRows, rightItems := randomJoinInput(r, false, n+r.Intn(20)-10, domain, 1+r.Int63n(4), r.Int63n(20), size)
		withResidual := r.Intn(2) == 0
		for _, kind := range joinKinds {
			t.Run(fmt.Sprintf("seed%d/%s", seed, kind), func(t *testing.T) {
				mem := newMem(t)
				spec := joinSpecOn(kind)
				spec.Interval = &IntervalBounds{LeftTime: 2, RightTime: 2, Lower: lower, Upper: upper}
				cond := func(l, r row) bool {
					d := l[2].(int64) - r[2].(int64)
					return d >= lower && d <= upper
				}
				if withResidual {
					// l.ts <> r.ts
					spec.Residual = binary(t, expr.NotEq, expr.NewColumn(2, "ts", tsType), expr.NewColumn(5, "ts0", tsType))
					inBounds := cond
					cond = func(l, r row) bool { return inBounds(l, r) && l[2].(int64) != r[2].(int64) }
				}
				j := NewJoin(newScriptOp(t, mem, joinLeftSchema, leftItems...), newScriptOp(t, mem, joinRightSchema, rightItems...),
					spec, newExprCtx(mem))
				var sp *memSpill
				if seed%2 == 1 {
					sp = spillEverything(j)
				}
				ctx := context.Background()
				if err := j.Open(ctx); err != nil {
					t.Fatal(err)
				}
				defer j.Close()
				var got []row
				wm := WatermarkMin
				for {
					m, err := j.Next(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if m.Kind == MsgEnd {
						break
					}
					switch m.Kind {
					case MsgWatermark:
						if m.Watermark <= wm {
							t.Fatalf("watermark %d after %d", m.Watermark, wm)
						}
						wm = m.Watermark
					case MsgBatch:
						rows := recordRows(t, m.Batch)
						for _, rw := range rows {
							for _, c := range []int{2, 5} {
								if rw[c] != nil && rw[c].(int64) < wm {
									t.Fatalf("row %v is behind the watermark %d", rw, wm)
								}
							}
						}
						got = append(got, rows...)
					}
					m.Release()
				}
				want := batchJoin(kind, leftRows, rightRows, cond)
				assertSameRows(t, joinOutSchema, got, want)
				if j.StateRows() != 0 || j.StateBytes() != 0 || j.LateRows() != 0 {
					t.Fatalf("at the end: %d rows, %d bytes held, %d late", j.StateRows(), j.StateBytes(), j.LateRows())
				}
				if sp != nil {
					checkJoinSpilled(t, j, sp, len(got) > 0)
				}
			})
		}
	}
}

// TestJoinRegularRandom applies the changelog of regular joins of every
// kind over random inputs and compares it with the join of the whole
// inputs. Odd seeds spill the state after every batch.
func TestJoinRegularRandom(t *testing.T) {
	seeds := 30
	if testing.Short() {
		seeds = 8
	}
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		n := 10 + r.Intn(50)
		domain := 1 + r.Intn(8)
		size := batchSizes[r.Intn(len(batchSizes))]
		leftRows, leftItems := randomJoinInput(r, true, n, domain, 1, 5, size)
		rightRows, rightItems := randomJoinInput(r, false, n+r.Intn(20)-10, domain, 1, 5, size)
		withResidual := r.Intn(2) == 0
		for _, kind := range joinKinds {
			t.Run(fmt.Sprintf("seed%d/%s", seed, kind), func(t *testing.T) {
				mem := newMem(t)
				spec := joinSpecOn(kind)
				cond := func(l, r row) bool { return true }
				if withResidual {
					// l.ts <= r.ts
					spec.Residual = binary(t, expr.LtEq, expr.NewColumn(2, "ts", tsType), expr.NewColumn(5, "ts0", tsType))
					cond = func(l, r row) bool { return l[2].(int64) <= r[2].(int64) }
				}
				j := NewJoin(newScriptOp(t, mem, joinLeftSchema, leftItems...), newScriptOp(t, mem, joinRightSchema, rightItems...),
					spec, newExprCtx(mem))
				var sp *memSpill
				if seed%2 == 1 {
					sp = spillEverything(j)
				}
				got := materializeChangelog(t, mem, j)
				assertSameRows(t, joinOutSchema, got, batchJoin(kind, leftRows, rightRows, cond))
				if sp != nil && j.SpillStats().Runs == 0 {
					t.Fatal("nothing spilled")
				}
			})
		}
	}
}

// TestJoinWindowRandom compares window joins of every kind over random
// windowed inputs with a nested loop. Odd seeds spill the open windows
// after every batch.
func TestJoinWindowRandom(t *testing.T) {
	for seed := 0; seed < 20; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		size := batchSizes[r.Intn(len(batchSizes))]
		gen := func(left bool) ([]row, []item) {
			var rows []row
			var items []item
			for w := int64(0); w < 8; w++ {
				var win []row
				for i := 0; i < r.Intn(6); i++ {
					var k any
					if r.Intn(6) != 0 {
						k = r.Intn(3)
					}
					v := any(fmt.Sprintf("l%d", len(rows)+len(win)))
					if !left {
						v = 100 + len(rows) + len(win)
					}
					win = append(win, row{k, v, w * 10, w*10 + 10})
				}
				rows = append(rows, win...)
				items = append(items, batchItems(win, size)...)
				items = append(items, wmItem(w*10+10))
			}
			return rows, items
		}
		leftRows, leftItems := gen(true)
		rightRows, rightItems := gen(false)
		for _, kind := range joinKinds {
			t.Run(fmt.Sprintf("seed%d/%s", seed, kind), func(t *testing.T) {
				mem := newMem(t)
				j := NewJoin(newScriptOp(t, mem, winLeftSchema, leftItems...), newScriptOp(t, mem, winRightSchema, rightItems...),
					windowJoinSpec(kind), newExprCtx(mem))
				var sp *memSpill
				if seed%2 == 1 {
					sp = spillEverything(j)
				}
				out := drain(t, j)
				want := batchJoinWindows(kind, leftRows, rightRows)
				assertSameRows(t, winOutSchema, out.rows, want)
				if sp != nil {
					checkJoinSpilled(t, j, sp, len(want) > 0)
				}
			})
		}
	}
}

// batchJoinWindows is batchJoin for the window-join schemas: rows join
// when their keys and windows are equal.
func batchJoinWindows(kind JoinKind, left, right []row) []row {
	var out []row
	rMatched := make([]bool, len(right))
	nulls := row{nil, nil, nil, nil}
	for _, l := range left {
		matched := false
		for i, r := range right {
			if l[0] != nil && r[0] != nil && toI64(l[0]) == toI64(r[0]) && l[2] == r[2] && l[3] == r[3] {
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

// TestJoinIntervalChurn streams keys that keep changing through a FULL
// interval join with narrow bounds and large batches, so that the state
// rewrites records most of whose rows have expired and rebuilds its key
// index without the keys that have no rows; the result must still equal a
// nested loop's.
func TestJoinIntervalChurn(t *testing.T) {
	for _, size := range []int{200, 333} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			mem := newMem(t)
			r := rand.New(rand.NewSource(int64(size)))
			gen := func(left bool, n int) ([]row, []item) {
				rows := make([]row, n)
				for i := range rows {
					k := (i + r.Intn(8)) % 5000
					if left {
						rows[i] = row{k, fmt.Sprintf("l%d", i), int64(i)}
					} else {
						rows[i] = row{k, i, int64(i) + int64(r.Intn(5))}
					}
				}
				var items []item
				for _, c := range chunk(rows, size) {
					items = append(items, batchItem(c...), wmItem(c[len(c)-1][2].(int64)-10))
				}
				return rows, items
			}
			lrows, litems := gen(true, 4000)
			rrows, ritems := gen(false, 4000)
			spec := joinSpecOn(FullJoin)
			spec.Interval = &IntervalBounds{LeftTime: 2, RightTime: 2, Lower: -6, Upper: 3}
			j := NewJoin(newScriptOp(t, mem, joinLeftSchema, litems...), newScriptOp(t, mem, joinRightSchema, ritems...), spec, newExprCtx(mem))
			out := drain(t, j)
			want := batchJoin(FullJoin, lrows, rrows, func(l, r row) bool {
				d := l[2].(int64) - r[2].(int64)
				return d >= -6 && d <= 3
			})
			assertSameRows(t, joinOutSchema, out.rows, want)
			for side, s := range j.sides {
				if s.compactions == 0 || s.rebuilds == 0 {
					t.Errorf("%s side: %d compactions, %d index rebuilds", sideName(side), s.compactions, s.rebuilds)
				}
			}
		})
	}
}

// TestJoinRegularTTLChurn: in a regular join whose keys come and go, the
// state TTL keeps the state bounded (dropping keys and rebuilding the
// index) while every pair that meets within the TTL still joins.
func TestJoinRegularTTLChurn(t *testing.T) {
	mem := newMem(t)
	now := int64(0)
	var lrows, rrows []row
	var litems, ritems []item
	var lat, rat []int64
	for b := 0; b < 80; b++ {
		var lb, rb []row
		for i := 0; i < 40; i++ {
			k := b*40 + i
			lb = append(lb, row{k, fmt.Sprintf("l%d", k), 0})
			rb = append(rb, row{k, k, 0})
			if i%3 == 0 {
				rb = append(rb, row{k, -k, 0})
			}
		}
		lrows, rrows = append(lrows, lb...), append(rrows, rb...)
		litems, ritems = append(litems, batchItem(lb...)), append(ritems, batchItem(rb...))
		lat, rat = append(lat, int64(2*b)), append(rat, int64(2*b+1))
	}
	l := &joinClockOp{scriptOp: newScriptOp(t, mem, joinLeftSchema, litems...), now: &now, at: lat}
	r := &joinClockOp{scriptOp: newScriptOp(t, mem, joinRightSchema, ritems...), now: &now, at: rat}
	spec := joinSpecOn(InnerJoin)
	spec.StateTTL = 10 * time.Millisecond
	j := NewJoin(l, r, spec, newExprCtx(mem))
	j.clock = func() int64 { return now }
	next, out := stepStream(t, j)
	var peak int64
	for next().Kind != MsgEnd {
		peak = max(peak, j.StateRows())
	}
	assertSameRows(t, joinOutSchema, out.rows, batchJoin(InnerJoin, lrows, rrows, func(l, r row) bool { return true }))
	if peak > 12*95 {
		t.Errorf("state peaked at %d rows", peak)
	}
	if j.sides[0].rebuilds == 0 {
		t.Errorf("the key index was never rebuilt")
	}
}
