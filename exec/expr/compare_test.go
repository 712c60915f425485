package expr

import (
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/sqltypes"
)

var comparisons = []BinaryOp{Eq, NotEq, Lt, LtEq, Gt, GtEq}

func cmpRef(op BinaryOp, c int) bool { return cmpResult(op, c) }

func cmp3[T int32 | int64 | float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestCompareRows checks every comparison on numbers and strings at every
// batch size, column against column and against literals on both sides.
func TestCompareRows(t *testing.T) {
	for _, op := range comparisons {
		op := op
		checkRows(t, rowCase{
			name:  "INT " + op.String() + " INT",
			types: []arrow.DataType{sqltypes.Int, sqltypes.Int},
			gens:  []gen{genInt32(-5, 5), genInt32(-5, 5)},
			build: func(c []Expr) (Expr, error) { return NewBinary(op, c[0], c[1]) },
			ref: func(row []any) (any, error) {
				if nullIn(row) {
					return nil, nil
				}
				return cmpRef(op, cmp3(row[0].(int32), row[1].(int32))), nil
			},
		})
		checkRows(t, rowCase{
			name:  "BIGINT " + op.String() + " 3",
			types: []arrow.DataType{sqltypes.BigInt},
			gens:  []gen{genInt64(-5, 5)},
			build: func(c []Expr) (Expr, error) { return NewBinary(op, c[0], lit(t, sqltypes.BigInt, int64(3))) },
			ref: func(row []any) (any, error) {
				if nullIn(row) {
					return nil, nil
				}
				return cmpRef(op, cmp3(row[0].(int64), 3)), nil
			},
		})
		checkRows(t, rowCase{
			name:  "3 " + op.String() + " BIGINT",
			types: []arrow.DataType{sqltypes.BigInt},
			gens:  []gen{genInt64(-5, 5)},
			build: func(c []Expr) (Expr, error) { return NewBinary(op, lit(t, sqltypes.BigInt, int64(3)), c[0]) },
			ref: func(row []any) (any, error) {
				if nullIn(row) {
					return nil, nil
				}
				return cmpRef(op, cmp3(3, row[0].(int64))), nil
			},
		})
		checkRows(t, rowCase{
			name:  "DOUBLE " + op.String() + " DOUBLE",
			types: []arrow.DataType{sqltypes.Double, sqltypes.Double},
			gens:  []gen{genFloat64(), genFloat64()},
			build: func(c []Expr) (Expr, error) { return NewBinary(op, c[0], c[1]) },
			ref: func(row []any) (any, error) {
				if nullIn(row) {
					return nil, nil
				}
				return cmpRef(op, cmp3(row[0].(float64), row[1].(float64))), nil
			},
		})
		checkRows(t, rowCase{
			name:  "VARCHAR " + op.String() + " VARCHAR",
			types: []arrow.DataType{sqltypes.Varchar, sqltypes.Varchar},
			gens:  []gen{genString("abé", 3), genString("abé", 3)},
			build: func(c []Expr) (Expr, error) { return NewBinary(op, c[0], c[1]) },
			ref: func(row []any) (any, error) {
				if nullIn(row) {
					return nil, nil
				}
				return cmpRef(op, strings.Compare(row[0].(string), row[1].(string))), nil
			},
		})
		checkRows(t, rowCase{
			name:  "VARCHAR " + op.String() + " 'ab'",
			types: []arrow.DataType{sqltypes.Varchar},
			gens:  []gen{genString("ab", 3)},
			build: func(c []Expr) (Expr, error) { return NewBinary(op, c[0], lit(t, sqltypes.Varchar, "ab")) },
			ref: func(row []any) (any, error) {
				if nullIn(row) {
					return nil, nil
				}
				return cmpRef(op, strings.Compare(row[0].(string), "ab")), nil
			},
		})
		checkRows(t, rowCase{
			name:  "BOOLEAN " + op.String() + " BOOLEAN",
			types: []arrow.DataType{sqltypes.Boolean, sqltypes.Boolean},
			gens:  []gen{genBool(), genBool()},
			build: func(c []Expr) (Expr, error) { return NewBinary(op, c[0], c[1]) },
			ref: func(row []any) (any, error) {
				if nullIn(row) {
					return nil, nil
				}
				b := func(v bool) int {
					if v {
						return 1
					}
					return 0
				}
				return cmpRef(op, b(row[0].(bool))-b(row[1].(bool))), nil
			},
		})
	}
}

func TestCompareTypes(t *testing.T) {
	T, F := true, false
	cases := []struct {
		lt   arrow.DataType
		l    any
		op   BinaryOp
		rt   arrow.DataType
		r    any
		want any
	}{
		{dec(10, 2), "12.50", Eq, dec(10, 2), "12.50", T},
		{dec(10, 2), "-12.50", Lt, dec(10, 2), "1.00", T},
		{dec(10, 2), "12.50", Eq, dec(10, 1), "12.5", T},      // different scales
		{dec(10, 2), "12.50", Gt, sqltypes.Int, int32(12), T}, // with an integer
		{dec(38, 0), "-99999999999999999999999999999999999999", Lt, dec(38, 0), "99999999999999999999999999999999999999", T},
		{sqltypes.Int, int32(2), Lt, sqltypes.Double, 2.5, T},
		{sqltypes.Double, math.NaN(), Eq, sqltypes.Double, math.NaN(), F},
		{sqltypes.Double, math.NaN(), NotEq, sqltypes.Double, 1.0, T},
		{sqltypes.Double, math.NaN(), Lt, sqltypes.Double, 1.0, F},
		{sqltypes.Float, float32(1.5), Eq, sqltypes.Double, 1.5, T},
		{sqltypes.Timestamp, "2024-01-01 00:00:00", Lt, sqltypes.Timestamp, "2024-01-01 00:00:00.001", T},
		{sqltypes.Date, "2024-01-02", Gt, sqltypes.Timestamp, "2024-01-01 23:59:59", T},
		{sqltypes.Timestamp, "2024-01-01 10:00:00", Gt, sqltypes.Varchar, "2024-01-01", T},
		{sqltypes.Varchar, "2024-01-01", Eq, sqltypes.Date, "2024-01-01", T},
		{sqltypes.Interval, int64(1000), Lt, sqltypes.Interval, int64(2000), T},
		{sqltypes.Boolean, false, Lt, sqltypes.Boolean, true, T},
		{sqltypes.Varchar, "B", Lt, sqltypes.Varchar, "a", T}, // bytewise
		{sqltypes.Varchar, "é", Gt, sqltypes.Varchar, "z", T},
		{sqltypes.Int, nil, Eq, sqltypes.Int, nil, nil},
		{sqltypes.Varchar, nil, NotEq, sqltypes.Varchar, "x", nil},
	}
	for _, tc := range cases {
		mem := newMem(t)
		rec := record(t, mem, c("l", tc.lt, tc.l), c("r", tc.rt, tc.r))
		e := must(NewBinary(tc.op, NewColumn(0, "l", tc.lt), NewColumn(1, "r", tc.rt)))
		got, err := eval(t, mem, e, rec)
		rec.Release()
		if err != nil || got[0] != tc.want {
			t.Errorf("%v %s %v = %v (%v), want %v", tc.l, tc.op, tc.r, got, err, tc.want)
		}
		// The same with literals (folded) and with the left side a literal.
		if tc.l != nil {
			e := must(NewBinary(tc.op, lit(t, tc.lt, tc.l), lit(t, tc.rt, tc.r)))
			if v, err := evalOne(t, e); err != nil || v != tc.want {
				t.Errorf("literals %v %s %v = %v (%v), want %v", tc.l, tc.op, tc.r, v, err, tc.want)
			}
		}
	}
}

// TestCompareNarrowsLiterals checks that a column compared with a constant
// is read in its own type when the constant converts exactly.
func TestCompareNarrowsLiterals(t *testing.T) {
	mem := newMem(t)
	rec := record(t, mem, c("i", sqltypes.Int, int32(5), int32(-5), nil), c("p", dec(10, 2), "100.50", "99.99", nil))
	defer rec.Release()
	i, p := NewColumn(0, "i", sqltypes.Int), NewColumn(1, "p", dec(10, 2))
	cases := []struct {
		e       Expr
		col     Expr // the compared column, unwrapped when narrowed
		want    []any
		narrows bool
	}{
		{must(NewBinary(Gt, i, lit(t, sqltypes.BigInt, int64(0)))), i, []any{true, false, nil}, true},
		{must(NewBinary(Gt, lit(t, sqltypes.BigInt, int64(0)), i)), i, []any{false, true, nil}, true},
		{must(NewBinary(Lt, i, lit(t, sqltypes.BigInt, int64(3_000_000_000)))), i, []any{true, true, nil}, false},
		{must(NewBinary(Gt, p, lit(t, sqltypes.Int, int32(100)))), p, []any{true, false, nil}, true},
		{must(NewBinary(Gt, p, lit(t, dec(4, 1), "99.9"))), p, []any{true, true, nil}, true},
		{must(NewBinary(Gt, p, lit(t, dec(6, 3), "99.995"))), p, []any{true, false, nil}, false},
	}
	for _, tc := range cases {
		ce := tc.e.(*compareExpr)
		if narrowed := ce.l == tc.col || ce.r == tc.col; narrowed != tc.narrows {
			t.Errorf("%s: column read as is: %v, want %v", tc.e, narrowed, tc.narrows)
		}
		got, err := eval(t, mem, tc.e, rec)
		if err != nil {
			t.Fatal(err)
		}
		for k := range tc.want {
			if got[k] != tc.want[k] {
				t.Errorf("%s row %d = %v, want %v", tc.e, k, got[k], tc.want[k])
			}
		}
	}
}
