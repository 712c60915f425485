package expr

import (
	"math"
	"strconv"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/sqltypes"
)

func TestCast(t *testing.T) {
	i, bi, f, d, vc, b := sqltypes.Int, sqltypes.BigInt, sqltypes.Float, sqltypes.Double, sqltypes.Varchar, sqltypes.Boolean
	ts, dt, iv := sqltypes.Timestamp, sqltypes.Date, sqltypes.Interval
	const fails = "fails"
	cases := []struct {
		from arrow.DataType
		in   any
		to   arrow.DataType
		want any // fails: an evaluation error (NULL under TRY_CAST)
	}{
		// numbers
		{i, int32(-5), bi, int64(-5)},
		{bi, int64(math.MaxInt32), i, int32(math.MaxInt32)},
		{bi, int64(math.MaxInt32) + 1, i, fails},
		{bi, int64(math.MinInt32), i, int32(math.MinInt32)},
		{bi, int64(math.MinInt32) - 1, i, fails},
		{d, 2.9, i, int32(2)},
		{d, -2.9, i, int32(-2)}, // toward zero
		{d, 2147483647.9, i, int32(2147483647)},
		{d, -2147483648.9, i, int32(-2147483648)},
		{d, 2147483648.0, i, fails},
		{d, math.NaN(), bi, fails},
		{d, math.Inf(1), bi, fails},
		{d, 9.2e18, bi, int64(9200000000000000000)},
		{d, 9.3e18, bi, fails},
		{f, float32(1.5), d, 1.5},
		{d, 0.1, f, float32(0.1)},
		{i, int32(7), d, 7.0},
		{bi, int64(1) << 53, f, float32(1 << 53)},
		// decimals
		{i, int32(12), dec(5, 2), "12.00"},
		{i, int32(1234), dec(5, 2), fails},
		{bi, int64(-3), dec(3, 0), "-3"},
		{d, 1.005, dec(10, 2), "1.01"}, // from the shortest text, half up
		{d, -1.005, dec(10, 2), "-1.01"},
		{d, 0.125, dec(10, 2), "0.13"},
		{d, 1e20, dec(10, 2), fails},
		{d, math.NaN(), dec(10, 2), fails},
		{f, float32(0.1), dec(5, 3), "0.100"},
		{dec(10, 2), "12.99", i, int32(12)},
		{dec(10, 2), "-12.99", bi, int64(-12)},
		{dec(38, 0), "99999999999999999999", bi, fails},
		{dec(10, 2), "12.50", d, 12.5},
		{dec(10, 3), "-0.001", f, float32(-0.001)},
		{dec(10, 2), "12.34", dec(10, 1), "12.3"},
		{dec(10, 2), "12.35", dec(10, 1), "12.4"},
		{dec(10, 3), "12.345", dec(10, 2), "12.35"},
		{dec(10, 3), "-12.345", dec(10, 2), "-12.35"},
		{dec(10, 2), "123.45", dec(4, 2), fails},
		{dec(10, 2), "1.5", dec(20, 10), "1.5000000000"},
		// to VARCHAR
		{b, true, vc, "TRUE"},
		{b, false, vc, "FALSE"},
		{i, int32(-42), vc, "-42"},
		{bi, int64(math.MinInt64), vc, "-9223372036854775808"},
		{d, 0.1, vc, "0.1"},
		{d, 1e21, vc, "1e+21"},
		{d, 2.0, vc, "2"},
		{d, math.Inf(-1), vc, "-Infinity"},
		{f, float32(0.1), vc, "0.1"},
		{dec(10, 2), "12.50", vc, "12.50"},
		{dec(10, 2), "-0.05", vc, "-0.05"},
		{dec(10, 0), "7", vc, "7"},
		{dec(38, 2), "123456789012345678901234567890123456.78", vc, "123456789012345678901234567890123456.78"},
		{ts, "2024-01-02 03:04:05.006", vc, "2024-01-02 03:04:05.006"},
		{ts, "2024-01-02 03:04:05", vc, "2024-01-02 03:04:05"},
		{dt, "1969-07-20", vc, "1969-07-20"},
		{iv, int64(90_061_001), vc, "1 day 01:01:01.001"},
		// from VARCHAR
		{vc, " 42 ", i, int32(42)},
		{vc, "+42", bi, int64(42)},
		{vc, "-9223372036854775808", bi, int64(math.MinInt64)},
		{vc, "9223372036854775808", bi, fails},
		{vc, "000000000000000000000000123", bi, int64(123)},
		{vc, "2147483648", i, fails},
		{vc, "abc", bi, fails},
		{vc, "", i, fails},
		{vc, "1.5", i, fails},
		{vc, " 1.5e3 ", d, 1500.0},
		{vc, "NaN", d, math.NaN()},
		{vc, "-Infinity", d, math.Inf(-1)},
		{vc, "1,5", d, fails},
		{vc, "0.1", f, float32(0.1)},
		{vc, " 12.345 ", dec(10, 2), "12.35"},
		{vc, "-0.005", dec(10, 2), "-0.01"},
		{vc, "1e2", dec(10, 2), "100.00"},
		{vc, ".5", dec(10, 2), "0.50"},
		{vc, "123456789.00", dec(10, 2), fails},
		{vc, "1.2.3", dec(10, 2), fails},
		{vc, "12345678901234567890123456789012345678901234.5", dec(38, 0), fails},
		{vc, "0.00000000000000000000000000000000000000000001", dec(38, 2), "0.00"},
		{vc, "TRUE", b, true},
		{vc, " f ", b, false},
		{vc, "Yes", b, true},
		{vc, "0", b, false},
		{vc, "maybe", b, fails},
		{vc, "2024-01-02 03:04:05.6", ts, "2024-01-02 03:04:05.600"},
		{vc, "2024-01-02T03:04:05+01:00", ts, "2024-01-02 02:04:05"},
		{vc, "2024-01-02", ts, "2024-01-02 00:00:00"},
		{vc, "yesterday", ts, fails},
		{vc, "2024-02-29", dt, "2024-02-29"},
		{vc, "2023-02-29", dt, fails},
		{vc, "2024-02-29 10:00:00", dt, "2024-02-29"},
		// temporal
		{dt, "2024-01-02", ts, "2024-01-02 00:00:00"},
		{ts, "2024-01-02 23:59:59.999", dt, "2024-01-02"},
		{ts, "1969-12-31 23:59:59", dt, "1969-12-31"},
		// booleans and integers
		{b, true, i, int32(1)},
		{b, false, bi, int64(0)},
		{i, int32(-3), b, true},
		{bi, int64(0), b, false},
		// NULL
		{i, nil, vc, nil},
		{vc, nil, i, nil},
		{sqltypes.Null, nil, dec(5, 2), nil},
		{sqltypes.Null, nil, ts, nil},
	}
	mem := newMem(t)
	for _, tc := range cases {
		for _, try := range []bool{false, true} {
			rec := record(t, mem, c("x", tc.from, tc.in, nil))
			e := must(NewCast(NewColumn(0, "x", tc.from), tc.to, try))
			got, err := eval(t, mem, e, rec)
			rec.Release()
			switch {
			case tc.want == fails && !try:
				if err == nil {
					t.Errorf("%s of %v = %v, want an error", e, tc.in, got[0])
				} else if _, ok := err.(*EvalError); !ok {
					t.Errorf("%s: %T is not an *EvalError", e, err)
				}
			case tc.want == fails && try:
				if err != nil || got[0] != nil {
					t.Errorf("%s of %v = %v, %v; want NULL", e, tc.in, got, err)
				}
			case err != nil:
				t.Errorf("%s of %v: %v", e, tc.in, err)
			case !equalValue(got[0], tc.want) || got[1] != nil:
				t.Errorf("%s of %v = %v (%T), want %v", e, tc.in, got[0], got[0], tc.want)
			}
		}
		// The same cast of a literal folds to a literal.
		if tc.in != nil && tc.want != fails {
			e := must(NewCast(lit(t, tc.from, tc.in), tc.to, false))
			if _, ok := IsLiteral(e); !ok {
				t.Errorf("%s was not folded", e)
			}
			if v, err := evalOne(t, e); err != nil || !equalValue(v, tc.want) {
				t.Errorf("folded %s = %v, %v; want %v", e, v, err, tc.want)
			}
		}
	}
}

func TestCastErrors(t *testing.T) {
	mem := newMem(t)
	rec := record(t, mem, c("s", sqltypes.Varchar, "1", "abc"), c("d", sqltypes.Double, 1.0, 3e9))
	defer rec.Release()
	_, err := eval(t, mem, must(NewCast(NewColumn(0, "s", sqltypes.Varchar), sqltypes.BigInt, false)), rec)
	wantErr(t, err, "cannot cast 'abc' to BIGINT")
	_, err = eval(t, mem, must(NewCast(NewColumn(1, "d", sqltypes.Double), sqltypes.Int, false)), rec)
	wantErr(t, err, "cannot cast 3000000000 to INT: value out of range")
	got, err := eval(t, mem, must(NewCast(NewColumn(0, "s", sqltypes.Varchar), sqltypes.BigInt, true)), rec)
	if err != nil || got[0] != int64(1) || got[1] != nil {
		t.Fatalf("TRY_CAST: %v, %v", got, err)
	}
	for _, tc := range []struct {
		from, to arrow.DataType
		want     string
	}{
		{sqltypes.Timestamp, sqltypes.BigInt, "cannot cast TIMESTAMP(3) to BIGINT (use EXTRACT(EPOCH FROM ...) for epoch seconds)"},
		{sqltypes.BigInt, sqltypes.Timestamp, "cannot cast BIGINT to TIMESTAMP(3) (use TO_TIMESTAMP_LTZ(x, 3) for epoch milliseconds)"},
		{sqltypes.Date, sqltypes.Int, "cannot cast DATE to INT"},
		{sqltypes.Interval, sqltypes.BigInt, "cannot cast INTERVAL to BIGINT"},
		{sqltypes.Boolean, sqltypes.Double, "cannot cast BOOLEAN to DOUBLE"},
		{sqltypes.Varchar, sqltypes.Interval, "cannot cast VARCHAR to INTERVAL"},
		{sqltypes.Int, sqltypes.Null, "cannot cast INT to NULL"},
	} {
		_, err := NewCast(NewColumn(0, "x", tc.from), tc.to, false)
		wantErr(t, err, tc.want)
		if CanCast(tc.from, tc.to) {
			t.Errorf("CanCast(%s, %s)", tc.from, tc.to)
		}
	}
	// Same type: the expression itself.
	x := NewColumn(0, "x", sqltypes.Varchar)
	if e := must(NewCast(x, sqltypes.Varchar, false)); e != x {
		t.Errorf("identity cast is %s", e)
	}
	if s := must(NewCast(x, dec(10, 2), true)).String(); s != "TRY_CAST(x AS DECIMAL(10, 2))" {
		t.Errorf("String() = %q", s)
	}
	// A failing literal cast stays a cast (the row may never need it);
	// TRY_CAST folds to NULL.
	bad := lit(t, sqltypes.Varchar, "abc")
	if _, ok := IsLiteral(must(NewCast(bad, sqltypes.Int, false))); ok {
		t.Error("CAST('abc' AS INT) was folded")
	}
	if e := must(NewCast(bad, sqltypes.Int, true)); e.String() != "NULL" {
		t.Errorf("TRY_CAST('abc' AS INT) = %s", e)
	}
	if e := must(NewCast(NewLiteral(scalar.MakeNullScalar(sqltypes.Null)), sqltypes.Int, false)); e.DataType().ID() != arrow.INT32 {
		t.Errorf("CAST(NULL AS INT) is %s", e.DataType())
	}
}

// TestCastRows round-trips numbers through VARCHAR at every batch size.
func TestCastRows(t *testing.T) {
	checkRows(t, rowCase{
		name:  "BIGINT → VARCHAR → BIGINT",
		types: []arrow.DataType{sqltypes.BigInt},
		gens:  []gen{genInt64(math.MinInt64/4, math.MaxInt64/4)},
		build: func(c []Expr) (Expr, error) {
			return NewCast(must(NewCast(c[0], sqltypes.Varchar, false)), sqltypes.BigInt, false)
		},
		ref: func(row []any) (any, error) { return row[0], nil },
	})
	checkRows(t, rowCase{
		name:  "DOUBLE → VARCHAR",
		types: []arrow.DataType{sqltypes.Double},
		gens:  []gen{genFloat64()},
		build: func(c []Expr) (Expr, error) { return NewCast(c[0], sqltypes.Varchar, false) },
		ref: func(row []any) (any, error) {
			if row[0] == nil {
				return nil, nil
			}
			return string(sqltypes.AppendFloat(nil, row[0].(float64), 64)), nil
		},
	})
	checkRows(t, rowCase{
		name:  "VARCHAR → INT, TRY",
		types: []arrow.DataType{sqltypes.Varchar},
		gens:  []gen{genString("12x-", 4)},
		build: func(c []Expr) (Expr, error) { return NewCast(c[0], sqltypes.Int, true) },
		ref: func(row []any) (any, error) {
			if row[0] == nil {
				return nil, nil
			}
			v, err := strconv.ParseInt(row[0].(string), 10, 32)
			if err != nil {
				return nil, nil
			}
			return int32(v), nil
		},
	})
}
