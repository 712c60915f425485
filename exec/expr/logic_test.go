package expr

import (
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/sqltypes"
)

// tri is the three truth values: TRUE, FALSE and NULL (nil).
var tri = []any{true, false, nil}

func kleeneAnd(a, b any) any {
	if a == false || b == false {
		return false
	}
	if a == nil || b == nil {
		return nil
	}
	return true
}

func kleeneOr(a, b any) any {
	if a == true || b == true {
		return true
	}
	if a == nil || b == nil {
		return nil
	}
	return false
}

func kleeneNot(a any) any {
	if a == nil {
		return nil
	}
	return !a.(bool)
}

func TestAndOrTruthTable(t *testing.T) {
	var ls, rs []any
	for _, a := range tri {
		for _, b := range tri {
			ls, rs = append(ls, a), append(rs, b)
		}
	}
	mem := newMem(t)
	rec := record(t, mem, c("a", sqltypes.Boolean, ls...), c("b", sqltypes.Boolean, rs...))
	defer rec.Release()
	a, b := NewColumn(0, "a", sqltypes.Boolean), NewColumn(1, "b", sqltypes.Boolean)
	for _, op := range []BinaryOp{And, Or} {
		ref := kleeneAnd
		if op == Or {
			ref = kleeneOr
		}
		got, err := eval(t, mem, must(NewBinary(op, a, b)), rec)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ls {
			if want := ref(ls[i], rs[i]); got[i] != want {
				t.Errorf("%v %s %v = %v, want %v", ls[i], op, rs[i], got[i], want)
			}
		}
		// With a literal on the right (folding a NULL literal must not
		// lose FALSE AND NULL = FALSE).
		for _, v := range tri {
			e := must(NewBinary(op, a, lit(t, sqltypes.Boolean, v)))
			got, err := eval(t, mem, e, rec)
			if err != nil {
				t.Fatal(err)
			}
			for i := range ls {
				if want := ref(ls[i], v); got[i] != want {
					t.Errorf("%v %s literal %v = %v, want %v", ls[i], op, v, got[i], want)
				}
			}
		}
	}
	// NOT
	got, err := eval(t, mem, must(NewNot(a)), rec)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ls {
		if want := kleeneNot(ls[i]); got[i] != want {
			t.Errorf("NOT %v = %v, want %v", ls[i], got[i], want)
		}
	}
	// A bare NULL: NULL AND FALSE is FALSE.
	null := NewLiteral(scalar.MakeNullScalar(sqltypes.Null))
	if v, err := evalOne(t, must(NewBinary(And, null, lit(t, sqltypes.Boolean, false)))); err != nil || v != false {
		t.Errorf("NULL AND FALSE = %v, %v", v, err)
	}
	if v, err := evalOne(t, must(NewNot(null))); err != nil || v != nil {
		t.Errorf("NOT NULL = %v, %v", v, err)
	}
}

func TestAndOrRows(t *testing.T) {
	for _, op := range []BinaryOp{And, Or} {
		op := op
		ref := kleeneAnd
		if op == Or {
			ref = kleeneOr
		}
		checkRows(t, rowCase{
			name:  "BOOLEAN " + op.String() + " BOOLEAN",
			types: []arrow.DataType{sqltypes.Boolean, sqltypes.Boolean},
			gens:  []gen{genBool(), genBool()},
			build: func(c []Expr) (Expr, error) { return NewBinary(op, c[0], c[1]) },
			ref:   func(row []any) (any, error) { return ref(row[0], row[1]), nil },
		})
		// The lazy path: the right side can fail (division), so it is only
		// evaluated where the left side does not decide.
		checkRows(t, rowCase{
			name:  "lazy " + op.String(),
			types: []arrow.DataType{sqltypes.BigInt, sqltypes.BigInt},
			gens:  []gen{genInt64(-3, 3), genInt64(-3, 3)},
			build: func(c []Expr) (Expr, error) {
				// a <> 0 AND b / a > 0, or a = 0 OR b / a > 0
				cmp := NotEq
				if op == Or {
					cmp = Eq
				}
				l := must(NewBinary(cmp, c[0], lit(t, sqltypes.BigInt, int64(0))))
				div := must(NewBinary(Div, c[1], c[0]))
				r := must(NewBinary(Gt, div, lit(t, sqltypes.BigInt, int64(0))))
				return NewBinary(op, l, r)
			},
			ref: func(row []any) (any, error) {
				var l, r any
				if row[0] != nil {
					l = (row[0].(int64) != 0) == (op == And)
				}
				if l == (op == Or) && l != nil {
					return l, nil
				}
				if row[0] != nil && row[1] != nil {
					if row[0].(int64) == 0 {
						return nil, errDivZero()
					}
					r = row[1].(int64)/row[0].(int64) > 0
				}
				return ref(l, r), nil
			},
		})
	}
}

func TestIsNullIsBool(t *testing.T) {
	mem := newMem(t)
	rec := record(t, mem, c("b", sqltypes.Boolean, tri...), c("i", sqltypes.Int, int32(1), nil, int32(0)))
	defer rec.Release()
	b := NewColumn(0, "b", sqltypes.Boolean)
	i := NewColumn(1, "i", sqltypes.Int)
	check := func(e Expr, want ...any) {
		t.Helper()
		got, err := eval(t, mem, e, rec)
		if err != nil {
			t.Fatal(err)
		}
		for k := range want {
			if got[k] != want[k] {
				t.Errorf("%s on row %d = %v, want %v", e, k, got[k], want[k])
			}
		}
	}
	check(NewIsNull(b, false), false, false, true)
	check(NewIsNull(b, true), true, true, false)
	check(NewIsNull(i, false), false, true, false)
	check(NewIsNull(i, true), true, false, true)
	check(must(NewIsBool(b, true, false)), true, false, false)  // IS TRUE
	check(must(NewIsBool(b, true, true)), false, true, true)    // IS NOT TRUE
	check(must(NewIsBool(b, false, false)), false, true, false) // IS FALSE
	check(must(NewIsBool(b, false, true)), true, false, true)   // IS NOT FALSE
	null := NewLiteral(scalar.MakeNullScalar(sqltypes.Null))
	check(NewIsNull(null, false), true, true, true)
	check(must(NewIsBool(null, true, true)), true, true, true)
	if got := NewIsNull(b, true).String(); got != "b IS NOT NULL" {
		t.Errorf("String() = %q", got)
	}
	if got := must(NewIsBool(b, false, false)).String(); got != "b IS FALSE" {
		t.Errorf("String() = %q", got)
	}
	_, err := NewIsBool(i, true, false)
	wantErr(t, err, "cannot apply IS TRUE to INT")
	_, err = NewNot(i)
	wantErr(t, err, "cannot apply NOT to INT")
}

func TestIn(t *testing.T) {
	mem := newMem(t)
	rec := record(t, mem,
		c("x", sqltypes.BigInt, int64(1), int64(2), nil, int64(4)),
		c("y", sqltypes.BigInt, int64(1), nil, int64(3), int64(5)))
	defer rec.Release()
	x := NewColumn(0, "x", sqltypes.BigInt)
	y := NewColumn(1, "y", sqltypes.BigInt)
	one, two := lit(t, sqltypes.BigInt, int64(1)), lit(t, sqltypes.Int, int32(2))
	null := NewLiteral(scalar.MakeNullScalar(sqltypes.BigInt))
	cases := []struct {
		list []Expr
		not  bool
		want []any
	}{
		{[]Expr{one, two}, false, []any{true, true, nil, false}},
		{[]Expr{one, two}, true, []any{false, false, nil, true}},
		{[]Expr{one, null}, false, []any{true, nil, nil, nil}},
		{[]Expr{one, null}, true, []any{false, nil, nil, nil}},
		{[]Expr{y}, false, []any{true, nil, nil, false}},
		{[]Expr{y, two}, false, []any{true, true, nil, false}},
		{[]Expr{y, two}, true, []any{false, false, nil, true}},
	}
	for _, tc := range cases {
		e := must(NewIn(x, tc.list, tc.not))
		got, err := eval(t, mem, e, rec)
		if err != nil {
			t.Fatal(err)
		}
		for k := range tc.want {
			if got[k] != tc.want[k] {
				t.Errorf("%s on row %d = %v, want %v", e, k, got[k], tc.want[k])
			}
		}
	}
	// A long list uses a map.
	var long []Expr
	for k := int64(10); k < 30; k++ {
		long = append(long, lit(t, sqltypes.BigInt, k))
	}
	long = append(long, lit(t, sqltypes.BigInt, int64(4)))
	got, err := eval(t, mem, must(NewIn(x, long, false)), rec)
	if err != nil || got[0] != false || got[2] != nil || got[3] != true {
		t.Errorf("long list: %v, %v", got, err)
	}
	if s := must(NewIn(x, []Expr{one, two}, true)).String(); s != "x NOT IN (1, 2)" {
		t.Errorf("String() = %q", s)
	}
	_, err = NewIn(x, []Expr{lit(t, sqltypes.Varchar, "a")}, false)
	wantErr(t, err, "cannot compare BIGINT and VARCHAR")
}

func TestInTypes(t *testing.T) {
	mem := newMem(t)
	cases := []struct {
		typ  arrow.DataType
		vals []any
		list []any
		want []any
	}{
		{sqltypes.Varchar, []any{"a", "b", nil, "é"}, []any{"é", "a"}, []any{true, false, nil, true}},
		{sqltypes.Double, []any{1.5, 2.0, nil, math.Copysign(0, -1)}, []any{0.0, 1.5}, []any{true, false, nil, true}},
		{sqltypes.Int, []any{int32(1), int32(2), nil, int32(3)}, []any{int32(3)}, []any{false, false, nil, true}},
		{dec(5, 2), []any{"1.50", "2.00", nil, "3.25"}, []any{"3.25", "1.50"}, []any{true, false, nil, true}},
		{sqltypes.Boolean, []any{true, false, nil, true}, []any{false}, []any{false, true, nil, false}},
		{sqltypes.Date, []any{"2024-01-01", "2024-01-02", nil, "2024-01-03"}, []any{"2024-01-02"}, []any{false, true, nil, false}},
	}
	for _, tc := range cases {
		rec := record(t, mem, c("x", tc.typ, tc.vals...))
		var list []Expr
		for _, v := range tc.list {
			list = append(list, lit(t, tc.typ, v))
		}
		e := must(NewIn(NewColumn(0, "x", tc.typ), list, false))
		got, err := eval(t, mem, e, rec)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		for k := range tc.want {
			if got[k] != tc.want[k] {
				t.Errorf("%s on %v = %v, want %v", e, tc.vals[k], got[k], tc.want[k])
			}
		}
	}
}

func TestSimplifyLogic(t *testing.T) {
	b := NewColumn(0, "b", sqltypes.Boolean)
	T, F := lit(t, sqltypes.Boolean, true), lit(t, sqltypes.Boolean, false)
	for _, tc := range []struct {
		e    Expr
		want string
	}{
		{must(NewBinary(And, b, T)), "b"},
		{must(NewBinary(And, F, b)), "FALSE"},
		{must(NewBinary(Or, b, F)), "b"},
		{must(NewBinary(Or, T, b)), "TRUE"},
		{must(NewBinary(And, b, lit(t, sqltypes.Boolean, nil))), "b AND NULL"},
	} {
		if got := tc.e.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
