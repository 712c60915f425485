package exec

import (
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// TestWindowsMatchBatchComputation streams random events whose disorder stays
// within the watermark delay through each window operator, and checks the
// result equals a brute-force batch computation written here, for many
// seeds, window shapes and batch sizes. Within the delay no row is late, so
// the streamed and the batch answers must be identical.
func TestWindowsMatchBatchComputation(t *testing.T) {
	const delay = 400
	windows := []WindowSpec{
		{Kind: Tumble, TimeCol: 2, Size: 1000},
		{Kind: Hop, TimeCol: 2, Slide: 500, Size: 1500},
		{Kind: Cumulate, TimeCol: 2, Step: 500, Size: 2000},
		{Kind: Session, TimeCol: 2, Gap: 300},
	}
	schema := schemaOf(field("k", sqltypes.Varchar), field("v", sqltypes.BigInt), field("ts", tsType))
	outSchema := schemaOf(field("k", sqltypes.Varchar),
		field("window_start", tsType), field("window_end", tsType), field("window_time", tsType),
		field("n", sqltypes.BigInt), field("sum", sqltypes.BigInt), field("min", sqltypes.BigInt), field("max", sqltypes.BigInt))
	seeds := 25
	if testing.Short() {
		seeds = 5
	}
	for seed := 0; seed < seeds; seed++ {
		events := randomEvents(seed, 150, delay)
		for _, win := range windows {
			want := bruteForce(events, win)
			for _, bs := range []int{1, 7, 64} {
				name := fmt.Sprintf("seed%d/%s/batch%d", seed, win.Kind, bs)
				t.Run(name, func(t *testing.T) {
					mem := newMem(t)
					var rows []row
					for _, e := range events {
						rows = append(rows, row{e.k, e.v, e.ts})
					}
					src := newFakeSource(t, mem, schema, 1, interleave(bs, true, rows))
					scan := NewScan("events", src, WatermarkSpec{Column: 2, DelayMs: delay}, nil, newExprCtx(mem))
					spec := &AggregateSpec{
						Keys: []expr.Expr{expr.NewColumn(0, "k", sqltypes.Varchar)},
						Aggs: []agg.Spec{{Func: agg.CountStar}, {Func: agg.Sum, Arg: sqltypes.BigInt},
							{Func: agg.Min, Arg: sqltypes.BigInt}, {Func: agg.Max, Arg: sqltypes.BigInt}},
						Args: []expr.Expr{nil, expr.NewColumn(1, "v", sqltypes.BigInt),
							expr.NewColumn(1, "v", sqltypes.BigInt), expr.NewColumn(1, "v", sqltypes.BigInt)},
						Filters: make([]expr.Expr, 4),
						Schema:  outSchema,
					}
					var op Operator
					if win.Kind == Session {
						op = NewSessionAggregate(scan, spec, win, newExprCtx(mem))
					} else {
						op = NewWindowAggregate(scan, spec, win, newExprCtx(mem))
					}
					out := drain(t, op)
					got := make([]string, len(out.rows))
					for i, r := range out.rows {
						got[i] = fmt.Sprint(r...)
					}
					sort.Strings(got)
					if strings.Join(got, "\n") != strings.Join(want, "\n") {
						t.Fatalf("streamed result differs from the batch computation\n%s", diffLines(want, got))
					}
					if lo, ok := op.(interface{ LateRows() int64 }); ok && lo.LateRows() != 0 {
						t.Errorf("%d rows reported late; disorder stays within the delay", lo.LateRows())
					}
				})
			}
		}
	}
}

type event struct {
	k  any // string or nil
	v  any // int64 or nil
	ts int64
}

// randomEvents makes n events in an order where each event's time is at
// least (the largest earlier time − delay/2): disorder within the delay.
func randomEvents(seed, n int, delay int64) []event {
	r := rand.New(rand.NewSource(int64(seed)))
	type keyed struct {
		e     event
		order int64
	}
	evs := make([]keyed, n)
	t := int64(-3000 + r.Intn(2000)) // negative times too: alignment must floor
	for i := range evs {
		t += int64(r.Intn(120))
		var k any = []string{"a", "b", "c"}[r.Intn(3)]
		if r.Intn(10) == 0 {
			k = nil
		}
		var v any = int64(r.Intn(1000) - 300)
		if r.Intn(8) == 0 {
			v = nil
		}
		evs[i] = keyed{event{k, v, t}, t + int64(r.Intn(int(delay/2)))}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].order < evs[j].order })
	out := make([]event, n)
	for i, e := range evs {
		out[i] = e.e
	}
	return out
}

// bruteForce computes the windowed aggregates of the events directly from
// the window definitions, in the row form drain returns, sorted.
func bruteForce(events []event, w WindowSpec) []string {
	type gk struct {
		k          any
		start, end int64
	}
	groups := map[gk][]event{}
	floor := func(t, s int64) int64 {
		q := t / s
		if t%s != 0 && t < 0 {
			q--
		}
		return q * s
	}
	switch w.Kind {
	case Tumble:
		for _, e := range events {
			s := floor(e.ts, w.Size)
			groups[gk{e.k, s, s + w.Size}] = append(groups[gk{e.k, s, s + w.Size}], e)
		}
	case Hop:
		for _, e := range events {
			for s := floor(e.ts-w.Size+1, w.Slide); s <= e.ts; s += w.Slide {
				if e.ts >= s && e.ts < s+w.Size {
					groups[gk{e.k, s, s + w.Size}] = append(groups[gk{e.k, s, s + w.Size}], e)
				}
			}
		}
	case Cumulate:
		for _, e := range events {
			s := floor(e.ts, w.Size)
			for end := s + w.Step; end <= s+w.Size; end += w.Step {
				if e.ts < end {
					groups[gk{e.k, s, end}] = append(groups[gk{e.k, s, end}], e)
				}
			}
		}
	case Session:
		byKey := map[any][]event{}
		for _, e := range events {
			byKey[e.k] = append(byKey[e.k], e)
		}
		for k, evs := range byKey {
			slices.SortStableFunc(evs, func(a, b event) int { return compareInt64(a.ts, b.ts) })
			var cur []event
			flush := func() {
				if len(cur) > 0 {
					g := gk{k, cur[0].ts, cur[len(cur)-1].ts + w.Gap}
					groups[g] = append(groups[g], cur...)
				}
				cur = nil
			}
			for _, e := range evs {
				if len(cur) > 0 && e.ts > cur[len(cur)-1].ts+w.Gap {
					flush()
				}
				cur = append(cur, e)
			}
			flush()
		}
	}
	var out []string
	for g, evs := range groups {
		var n int64
		var sum, mn, mx any
		for _, e := range evs {
			n++
			if e.v == nil {
				continue
			}
			v := e.v.(int64)
			if sum == nil {
				sum, mn, mx = v, v, v
				continue
			}
			sum = sum.(int64) + v
			mn = min(mn.(int64), v)
			mx = max(mx.(int64), v)
		}
		out = append(out, fmt.Sprint(g.k, g.start, g.end, g.end-1, n, sum, mn, mx))
	}
	sort.Strings(out)
	return out
}

func diffLines(want, got []string) string {
	var b strings.Builder
	w := map[string]int{}
	for _, s := range want {
		w[s]++
	}
	for _, s := range got {
		if w[s] > 0 {
			w[s]--
			continue
		}
		b.WriteString("+ " + s + "\n")
	}
	for s, n := range w {
		for ; n > 0; n-- {
			b.WriteString("- " + s + "\n")
		}
	}
	return b.String()
}
