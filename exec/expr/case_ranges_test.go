package expr

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/sqltypes"
)

// TestCaseRangesQ14: q14's CASE over HOUR(date_time) (its last comparison
// written constant first) evaluates HOUR once and looks the arm up, with
// q14's answers for every hour and for NULL.
func TestCaseRangesQ14(t *testing.T) {
	ts := sqltypes.Timestamp
	build := func(c []Expr) (Expr, error) {
		hour := func() Expr { return must(NewExtract("HOUR", c[0])) }
		n := func(v int64) Expr { return lit(t, sqltypes.BigInt, v) }
		vc := sqltypes.Varchar
		return NewCase([]When{
			{Cond: must(NewBinary(And, must(NewBinary(GtEq, hour(), n(8))), must(NewBinary(LtEq, hour(), n(18))))),
				Result: lit(t, vc, "dayTime")},
			{Cond: must(NewBinary(Or, must(NewBinary(LtEq, hour(), n(6))), must(NewBinary(LtEq, n(20), hour())))),
				Result: lit(t, vc, "nightTime")},
		}, lit(t, vc, "otherTime"))
	}
	e, _ := build([]Expr{NewColumn(0, "date_time", ts)})
	ce, ok := e.(*caseExpr)
	if !ok || ce.ranges == nil || fmt.Sprint(ce.ranges.bounds) != "[6 8 18 20]" {
		t.Fatalf("%s: not evaluated as ranges", e)
	}
	checkRows(t, rowCase{
		name:  "q14 CASE",
		types: []arrow.DataType{ts},
		gens: []gen{func(r *rand.Rand, _ int) any {
			return sqltypes.FormatTimestamp(1_704_067_200_000 + r.Int63n(3*86_400_000) - 86_400_000)
		}},
		build: build,
		ref: func(row []any) (any, error) {
			if row[0] == nil {
				return "otherTime", nil // every condition is NULL
			}
			ms, err := sqltypes.ParseTimestamp(row[0].(string))
			if err != nil {
				return nil, err
			}
			h := ms / 3_600_000 % 24
			switch {
			case h >= 8 && h <= 18:
				return "dayTime", nil
			case h <= 6 || h >= 20:
				return "nightTime", nil
			}
			return "otherTime", nil
		},
	})
}

// TestCaseRangesRandom: random CASEs whose arms compare one integer
// expression with constants under AND, OR and NOT give what the arm-by-arm
// evaluation gives, on INT and BIGINT, with constants at the ends of the
// range.
func TestCaseRangesRandom(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	consts := []int64{math.MinInt64, -5, -1, 0, 1, 2, 3, 7, 10, 11, math.MaxInt64}
	ops := []BinaryOp{Eq, NotEq, Lt, LtEq, Gt, GtEq}
	checked := 0
	for round := 0; round < 200; round++ {
		typ := sqltypes.BigInt
		if round%2 == 1 {
			typ = sqltypes.Int
		}
		// The expression: the column, or the column modulo 13.
		mod := round%3 == 0
		on := func(x Expr) Expr {
			if mod {
				return must(NewBinary(Mod, x, lit(t, typ, 13)))
			}
			return x
		}
		k := func() Expr {
			v := consts[r.Intn(len(consts))]
			if typ.ID() == arrow.INT32 {
				v = max(min(v, math.MaxInt32), math.MinInt32)
				return lit(t, typ, int32(v))
			}
			return lit(t, typ, v)
		}
		var cond func(x Expr, depth int) Expr
		cond = func(x Expr, depth int) Expr {
			switch c := r.Intn(5); {
			case depth < 2 && c == 0:
				return must(NewBinary(And, cond(x, depth+1), cond(x, depth+1)))
			case depth < 2 && c == 1:
				return must(NewBinary(Or, cond(x, depth+1), cond(x, depth+1)))
			case depth < 2 && c == 2:
				return must(NewNot(cond(x, depth+1)))
			}
			op := ops[r.Intn(len(ops))]
			if r.Intn(2) == 0 {
				return must(NewBinary(op, k(), on(x)))
			}
			return must(NewBinary(op, on(x), k()))
		}
		arms := 1 + r.Intn(4)
		// Draw the conditions once, then rebuild them over any column by
		// replaying the same draws.
		seed := r.Int63()
		withElse := r.Intn(2) == 0
		build := func(c []Expr) Expr {
			saved := r
			r = rand.New(rand.NewSource(seed))
			defer func() { r = saved }()
			whens := make([]When, arms)
			for a := range whens {
				whens[a] = When{Cond: cond(c[0], 0), Result: lit(t, sqltypes.BigInt, int64(a))}
			}
			var els Expr
			if withElse {
				els = lit(t, sqltypes.BigInt, int64(-1))
			}
			return must(NewCase(whens, els))
		}
		e := build([]Expr{NewColumn(0, "x", typ)})
		ce, ok := e.(*caseExpr)
		if !ok {
			continue // folded: every condition constant
		}
		if ce.ranges == nil {
			t.Fatalf("%s: not evaluated as ranges", e)
		}
		draw := func(r *rand.Rand, _ int) any {
			v := consts[r.Intn(len(consts))] + int64(r.Intn(5)-2)
			if r.Intn(4) == 0 {
				v = int64(r.Uint64())
			}
			if typ.ID() == arrow.INT32 {
				return int32(v)
			}
			return v
		}
		sameAsGeneral(t, e.String(), []arrow.DataType{typ}, []gen{draw}, build, func(e Expr) Expr {
			g := *e.(*caseExpr)
			g.ranges = nil
			return &g
		})
		checked++
	}
	if checked < 150 {
		t.Fatalf("only %d of 200 random CASEs were checked", checked)
	}
}

// TestCaseRangesNotApplied: arms over different expressions, a comparison
// of two columns, a function of the column or a NULL constant keep the
// arm-by-arm evaluation.
func TestCaseRangesNotApplied(t *testing.T) {
	bi := sqltypes.BigInt
	x, y := NewColumn(0, "x", bi), NewColumn(1, "y", bi)
	one := lit(t, bi, int64(1))
	abs := func(e Expr) Expr {
		f, _ := LookupFunc("ABS")
		return must(f.New([]Expr{e}, bi))
	}
	for _, whens := range [][]When{
		{{Cond: must(NewBinary(Gt, x, one)), Result: one}, {Cond: must(NewBinary(Gt, y, one)), Result: one}},
		{{Cond: must(NewBinary(Gt, x, y)), Result: one}},
		{{Cond: must(NewBinary(Gt, abs(x), one)), Result: one}},
		{{Cond: must(NewBinary(Gt, x, one)), Result: one}, {Cond: must(NewBinary(Lt, x, lit(t, bi, nil))), Result: one}},
		{{Cond: must(NewBinary(Gt, x, one)), Result: one}, {Cond: must(NewBinary(Gt, must(NewBinary(Add, x, one)), one)), Result: one}},
	} {
		e := must(NewCase(whens, nil))
		if ce, ok := e.(*caseExpr); ok && ce.ranges != nil {
			t.Errorf("%s: evaluated as ranges", e)
		}
	}
	// The same expression written twice is one expression.
	plus := func() Expr { return must(NewBinary(Add, x, one)) }
	e := must(NewCase([]When{
		{Cond: must(NewBinary(Gt, plus(), one)), Result: one},
		{Cond: must(NewBinary(Lt, plus(), lit(t, bi, int64(-4)))), Result: one},
	}, nil))
	if ce, ok := e.(*caseExpr); !ok || ce.ranges == nil {
		t.Errorf("%s: not evaluated as ranges", e)
	}
}

// BenchmarkCaseRanges compares q14's CASE with its arm-by-arm evaluation.
func BenchmarkCaseRanges(b *testing.B) {
	batch := q14Batch(b)
	defer batch.Release()
	e := q14Case(b)
	g := *e.(*caseExpr)
	g.ranges = nil
	b.Run("ranges", func(b *testing.B) { benchEval(b, e, batch) })
	b.Run("arms", func(b *testing.B) { benchEval(b, &g, batch) })
}
