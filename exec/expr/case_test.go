package expr

import (
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/sqltypes"
)

func TestCaseRows(t *testing.T) {
	bi := sqltypes.BigInt
	// CASE WHEN a = 0 THEN -1 WHEN b / a > 1 THEN b / a ELSE a END:
	// both the second condition and the second result divide by a, and
	// must never see the rows where a = 0.
	checkRows(t, rowCase{
		name:  "lazy CASE",
		types: []arrow.DataType{bi, bi},
		gens:  []gen{genInt64(-2, 2), genInt64(-10, 10)},
		build: func(c []Expr) (Expr, error) {
			zero := lit(t, bi, int64(0))
			div := must(NewBinary(Div, c[1], c[0]))
			return NewCase([]When{
				{Cond: must(NewBinary(Eq, c[0], zero)), Result: lit(t, bi, int64(-1))},
				{Cond: must(NewBinary(Gt, div, lit(t, bi, int64(1)))), Result: div},
			}, c[0])
		},
		ref: func(row []any) (any, error) {
			a, b := row[0], row[1]
			if a != nil && a.(int64) == 0 {
				return int64(-1), nil
			}
			if a != nil && b != nil && b.(int64)/a.(int64) > 1 {
				return b.(int64) / a.(int64), nil
			}
			return a, nil
		},
	})
	// Strings from several branches, without ELSE.
	checkRows(t, rowCase{
		name:  "CASE strings",
		types: []arrow.DataType{bi, sqltypes.Varchar},
		gens:  []gen{genInt64(0, 3), genString("xyé", 3)},
		build: func(c []Expr) (Expr, error) {
			return NewCase([]When{
				{Cond: must(NewBinary(Eq, c[0], lit(t, bi, int64(0)))), Result: c[1]},
				{Cond: must(NewBinary(Eq, c[0], lit(t, bi, int64(1)))), Result: lit(t, sqltypes.Varchar, "one")},
				{Cond: must(NewBinary(Eq, c[0], lit(t, bi, int64(2)))), Result: must(NewBinary(Concat, c[1], c[1]))},
			}, nil)
		},
		ref: func(row []any) (any, error) {
			switch row[0] {
			case int64(0):
				return row[1], nil
			case int64(1):
				return "one", nil
			case int64(2):
				if row[1] == nil {
					return nil, nil
				}
				return row[1].(string) + row[1].(string), nil
			}
			return nil, nil
		},
	})
	// Booleans and decimals, with a cast that fails outside its branch.
	checkRows(t, rowCase{
		name:  "CASE with failing cast",
		types: []arrow.DataType{sqltypes.Varchar},
		gens:  []gen{genString("12x", 2)},
		build: func(c []Expr) (Expr, error) {
			isNum := must(NewLike(c[0], lit(t, sqltypes.Varchar, "%x%"), 0, true))
			return NewCase([]When{{Cond: isNum, Result: must(NewCast(c[0], dec(10, 2), false))}},
				lit(t, dec(10, 2), "-1.00"))
		},
		ref: func(row []any) (any, error) {
			if row[0] == nil {
				return "-1.00", nil // NULL NOT LIKE is NULL: ELSE
			}
			s := row[0].(string)
			for _, r := range s {
				if r == 'x' {
					return "-1.00", nil
				}
			}
			if s == "" {
				return nil, Errorf("cannot cast '' to DECIMAL(10, 2)")
			}
			n, _ := parseDecimal(s, 10, 2)
			return string(appendDecimal(nil, n, 2)), nil
		},
	})
}

func TestCaseLaziness(t *testing.T) {
	mem := newMem(t)
	rec := record(t, mem, c("a", sqltypes.Int, int32(0), int32(2), nil), c("b", sqltypes.Int, int32(10), int32(10), int32(1)))
	defer rec.Release()
	a, b := NewColumn(0, "a", sqltypes.Int), NewColumn(1, "b", sqltypes.Int)
	zero := lit(t, sqltypes.Int, int32(0))
	e := must(NewCase([]When{{Cond: must(NewBinary(Eq, a, zero)), Result: zero}}, must(NewBinary(Div, b, a))))
	got, err := eval(t, mem, e, rec)
	if err != nil {
		t.Fatalf("%s: %v", e, err)
	}
	if got[0] != int32(0) || got[1] != int32(5) || got[2] != nil {
		t.Fatalf("%s = %v", e, got)
	}
	// The same division evaluated for a row that selects it fails.
	e = must(NewCase([]When{{Cond: must(NewBinary(Gt, b, zero)), Result: must(NewBinary(Div, b, a))}}, nil))
	_, err = eval(t, mem, e, rec)
	wantErr(t, err, "division by zero")
	// IF is a CASE.
	f := must(mustFunc(t, "IF", must(NewBinary(NotEq, a, zero)), must(NewBinary(Div, b, a)), lit(t, sqltypes.Int, int32(-1))))
	got, err = eval(t, mem, f, rec)
	if err != nil || got[0] != int32(-1) || got[1] != int32(5) || got[2] != int32(-1) {
		t.Fatalf("%s = %v, %v", f, got, err)
	}
}

func TestCaseFolding(t *testing.T) {
	x := NewColumn(0, "x", sqltypes.BigInt)
	T, F := lit(t, sqltypes.Boolean, true), lit(t, sqltypes.Boolean, false)
	one, two := lit(t, sqltypes.BigInt, int64(1)), lit(t, sqltypes.BigInt, int64(2))
	if e := must(NewCase([]When{{Cond: T, Result: x}}, one)); e != x {
		t.Errorf("CASE WHEN TRUE THEN x = %s", e)
	}
	if e := must(NewCase([]When{{Cond: F, Result: x}}, one)); e != one {
		t.Errorf("CASE WHEN FALSE THEN x ELSE 1 = %s", e)
	}
	if e := must(NewCase([]When{{Cond: F, Result: x}}, nil)); e.String() != "NULL" {
		t.Errorf("CASE WHEN FALSE THEN x = %s", e)
	}
	cond := must(NewBinary(Gt, x, one))
	e := must(NewCase([]When{{Cond: cond, Result: one}, {Cond: T, Result: two}, {Cond: cond, Result: x}}, x))
	if got := e.String(); got != "CASE WHEN x > 1 THEN 1 ELSE 2 END" {
		t.Errorf("String() = %q", got)
	}
	_, err := NewCase([]When{{Cond: x, Result: one}}, nil)
	wantErr(t, err, "CASE WHEN condition must be BOOLEAN, not BIGINT")
	_, err = NewCase([]When{{Cond: cond, Result: one}}, lit(t, sqltypes.Varchar, "a"))
	wantErr(t, err, "CASE results have no common type: BIGINT and VARCHAR")
	// Results of different numeric types meet in their common type.
	e = must(NewCase([]When{{Cond: cond, Result: lit(t, sqltypes.Int, int32(1))}}, lit(t, sqltypes.Double, 0.5)))
	if e.DataType().ID() != arrow.FLOAT64 {
		t.Errorf("type %s", e.DataType())
	}
}

func TestCaseTypes(t *testing.T) {
	mem := newMem(t)
	cases := []struct {
		typ  arrow.DataType
		a, b any
	}{
		{sqltypes.Boolean, true, false},
		{sqltypes.Int, int32(1), int32(2)},
		{sqltypes.Float, float32(1.5), float32(2.5)},
		{sqltypes.Double, 1.5, 2.5},
		{dec(20, 3), "1.500", "-2.250"},
		{sqltypes.Varchar, "", "yes"},
		{sqltypes.Timestamp, "2024-01-01 00:00:00", "2024-01-02 00:00:00.001"},
		{sqltypes.Date, "2024-01-01", "1969-12-31"},
		{sqltypes.Interval, int64(5), int64(-5)},
	}
	for _, tc := range cases {
		rec := record(t, mem, c("k", sqltypes.Int, int32(0), int32(1), nil, int32(1)),
			c("a", tc.typ, tc.a, tc.a, tc.a, nil), c("b", tc.typ, tc.b, tc.b, tc.b, tc.b))
		k := NewColumn(0, "k", sqltypes.Int)
		cond := must(NewBinary(Eq, k, lit(t, sqltypes.Int, int32(1))))
		// Division makes the branches fallible, so both the gathered
		// (compact) and the whole-batch paths run.
		for _, lazy := range []bool{false, true} {
			ra, rb := NewColumn(1, "a", tc.typ), NewColumn(2, "b", tc.typ)
			if lazy && tc.typ.ID() != arrow.DURATION {
				ra = must(NewCast(must(NewCast(ra, sqltypes.Varchar, false)), tc.typ, false))
				rb = must(NewCast(must(NewCast(rb, sqltypes.Varchar, false)), tc.typ, false))
			}
			e := must(NewCase([]When{{Cond: cond, Result: ra}}, rb))
			got, err := eval(t, mem, e, rec)
			if err != nil {
				t.Fatalf("%s: %v", e, err)
			}
			want := []any{tc.b, tc.a, tc.b, nil}
			for i := range want {
				if !equalValue(got[i], want[i]) {
					t.Errorf("%s row %d = %v, want %v", e, i, got[i], want[i])
				}
			}
		}
		rec.Release()
	}
}

func TestCoalesceNullIf(t *testing.T) {
	mem := newMem(t)
	rec := record(t, mem,
		c("a", sqltypes.Int, int32(1), nil, nil, nil),
		c("b", sqltypes.BigInt, int64(10), int64(20), nil, nil),
		c("z", sqltypes.BigInt, int64(1), int64(0), int64(4), nil))
	defer rec.Release()
	a, b, z := NewColumn(0, "a", sqltypes.Int), NewColumn(1, "b", sqltypes.BigInt), NewColumn(2, "z", sqltypes.BigInt)
	check := func(e Expr, want ...any) {
		t.Helper()
		got, err := eval(t, mem, e, rec)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		for i := range want {
			if !equalValue(got[i], want[i]) {
				t.Errorf("%s row %d = %v, want %v", e, i, got[i], want[i])
			}
		}
	}
	seven := lit(t, sqltypes.BigInt, int64(7))
	check(must(mustFunc(t, "COALESCE", a, b, seven)), int64(1), int64(20), int64(7), int64(7))
	check(must(mustFunc(t, "COALESCE", a, b)), int64(1), int64(20), nil, nil)
	check(must(mustFunc(t, "IFNULL", b, seven)), int64(10), int64(20), int64(7), int64(7))
	// Lazy: 100 / z runs only where the earlier arguments are NULL; z is 0
	// in row 1, where b is not NULL.
	div := must(NewBinary(Div, lit(t, sqltypes.BigInt, int64(100)), z))
	check(must(mustFunc(t, "COALESCE", b, div, seven)), int64(10), int64(20), int64(25), int64(7))
	_, err := eval(t, mem, must(mustFunc(t, "COALESCE", a, div)), rec)
	wantErr(t, err, "division by zero")
	// The first argument without NULLs is returned as is.
	check(must(mustFunc(t, "COALESCE", seven, a)), int64(7), int64(7), int64(7), int64(7))
	check(must(mustFunc(t, "NULLIF", b, lit(t, sqltypes.BigInt, int64(20)))), int64(10), nil, nil, nil)
	check(must(mustFunc(t, "NULLIF", z, lit(t, sqltypes.BigInt, int64(0)))), int64(1), nil, int64(4), nil)
	null := NewLiteral(scalar.MakeNullScalar(sqltypes.Null))
	check(must(mustFunc(t, "COALESCE", null, a)), int32(1), nil, nil, nil)
}

// mustFunc resolves and builds a registered function, casting arguments as
// the planner would.
func mustFunc(t testing.TB, name string, args ...Expr) (Expr, error) {
	t.Helper()
	f, ok := LookupFunc(name)
	if !ok {
		t.Fatalf("no function %s", name)
	}
	types := make([]arrow.DataType, len(args))
	for i, a := range args {
		types[i] = a.DataType()
	}
	ret, want, err := f.Resolve(types)
	if err != nil {
		return nil, err
	}
	if len(want) != len(args) {
		t.Fatalf("%s: Resolve returned %d types for %d arguments", name, len(want), len(args))
	}
	cast := make([]Expr, len(args))
	for i, a := range args {
		if cast[i], err = NewCast(a, want[i], false); err != nil {
			return nil, err
		}
	}
	e, err := f.New(cast, ret)
	if err != nil {
		return nil, err
	}
	if !arrow.TypeEqual(e.DataType(), ret) {
		t.Fatalf("%s: built %s, Resolve said %s", name, e.DataType(), ret)
	}
	return e, nil
}
