package expr

import (
	"math"
	"math/rand"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/sqltypes"
)

func nonZero32(r *rand.Rand, i int) any {
	v := int32(r.Intn(101) - 50)
	if v == 0 {
		v = 7
	}
	return v
}

func nonZero64(r *rand.Rand, i int) any {
	v := int64(r.Intn(2001) - 1000)
	if v == 0 {
		v = -3
	}
	return v
}

func intOp[T int32 | int64](op BinaryOp, a, b T) T {
	switch op {
	case Add:
		return a + b
	case Sub:
		return a - b
	case Mul:
		return a * b
	case Div:
		return a / b
	}
	return a % b
}

func floatOp(op BinaryOp, a, b float64) float64 {
	switch op {
	case Add:
		return a + b
	case Sub:
		return a - b
	case Mul:
		return a * b
	case Div:
		return a / b
	}
	return math.Mod(a, b)
}

// TestArithRows checks + - * / % on INT, BIGINT and DOUBLE at every batch
// size, with columns on both sides and with a literal on either side.
func TestArithRows(t *testing.T) {
	for _, op := range []BinaryOp{Add, Sub, Mul, Div, Mod} {
		op := op
		checkRows(t, rowCase{
			name:  "INT " + op.String() + " INT",
			types: []arrow.DataType{sqltypes.Int, sqltypes.Int},
			gens:  []gen{genInt32(math.MinInt32, math.MaxInt32), nonZero32},
			build: func(c []Expr) (Expr, error) { return NewBinary(op, c[0], c[1]) },
			ref: func(row []any) (any, error) {
				if nullIn(row) {
					return nil, nil
				}
				return intOp(op, row[0].(int32), row[1].(int32)), nil
			},
		})
		checkRows(t, rowCase{
			name:  "BIGINT " + op.String() + " literal",
			types: []arrow.DataType{sqltypes.BigInt},
			gens:  []gen{genInt64(-1e12, 1e12)},
			build: func(c []Expr) (Expr, error) { return NewBinary(op, c[0], lit(t, sqltypes.BigInt, int64(-7))) },
			ref: func(row []any) (any, error) {
				if nullIn(row) {
					return nil, nil
				}
				return intOp(op, row[0].(int64), -7), nil
			},
		})
		checkRows(t, rowCase{
			name:  "literal " + op.String() + " BIGINT",
			types: []arrow.DataType{sqltypes.BigInt},
			gens:  []gen{nonZero64},
			build: func(c []Expr) (Expr, error) { return NewBinary(op, lit(t, sqltypes.BigInt, int64(1000)), c[0]) },
			ref: func(row []any) (any, error) {
				if nullIn(row) {
					return nil, nil
				}
				return intOp(op, 1000, row[0].(int64)), nil
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
				return floatOp(op, row[0].(float64), row[1].(float64)), nil
			},
		})
		checkRows(t, rowCase{
			name:  "INT " + op.String() + " BIGINT widens",
			types: []arrow.DataType{sqltypes.Int, sqltypes.BigInt},
			gens:  []gen{genInt32(-1000, 1000), nonZero64},
			build: func(c []Expr) (Expr, error) { return NewBinary(op, c[0], c[1]) },
			ref: func(row []any) (any, error) {
				if nullIn(row) {
					return nil, nil
				}
				return intOp(op, int64(row[0].(int32)), row[1].(int64)), nil
			},
		})
	}
}

func TestArithTable(t *testing.T) {
	i, bi, f, d := sqltypes.Int, sqltypes.BigInt, sqltypes.Float, sqltypes.Double
	cases := []struct {
		op     BinaryOp
		lt     arrow.DataType
		l      any
		rt     arrow.DataType
		r      any
		want   any
		wantTy arrow.DataType
	}{
		{Add, i, int32(2), i, int32(3), int32(5), i},
		{Add, i, int32(math.MaxInt32), i, int32(1), int32(math.MinInt32), i}, // wraps
		{Mul, bi, int64(math.MaxInt64), bi, int64(2), int64(-2), bi},
		{Div, i, int32(7), i, int32(2), int32(3), i},
		{Div, i, int32(-7), i, int32(2), int32(-3), i}, // toward zero
		{Mod, i, int32(-7), i, int32(2), int32(-1), i},
		{Div, bi, int64(math.MinInt64), bi, int64(-1), int64(math.MinInt64), bi},
		{Add, i, int32(1), bi, int64(2), int64(3), bi},
		{Add, i, int32(1), d, 0.5, 1.5, d},
		{Add, bi, int64(1), f, float32(0.5), float32(1.5), f},
		{Div, d, 1.0, d, 0.0, math.Inf(1), d},
		{Div, d, -1.0, d, 0.0, math.Inf(-1), d},
		{Div, d, 0.0, d, 0.0, math.NaN(), d},
		{Mod, d, 7.5, d, 2.0, 1.5, d},
		{Add, i, nil, i, int32(1), nil, i},
		{Sub, d, 1.0, d, nil, nil, d},
	}
	for _, tc := range cases {
		mem := newMem(t)
		rec := record(t, mem, c("l", tc.lt, tc.l), c("r", tc.rt, tc.r))
		e := must(NewBinary(tc.op, NewColumn(0, "l", tc.lt), NewColumn(1, "r", tc.rt)))
		if !arrow.TypeEqual(e.DataType(), tc.wantTy) {
			t.Errorf("%s: type %s, want %s", e, sqltypes.Name(e.DataType()), sqltypes.Name(tc.wantTy))
		}
		got, err := eval(t, mem, e, rec)
		rec.Release()
		if err != nil {
			t.Errorf("%s with %v, %v: %v", e, tc.l, tc.r, err)
			continue
		}
		if !equalValue(got[0], tc.want) {
			t.Errorf("%s with %v, %v = %v, want %v", e, tc.l, tc.r, got[0], tc.want)
		}
	}
}

func TestDivisionByZero(t *testing.T) {
	mem := newMem(t)
	rec := record(t, mem,
		c("a", sqltypes.BigInt, int64(10), int64(20), int64(30)),
		c("b", sqltypes.BigInt, int64(5), nil, int64(0)), // the NULL slot holds 0
		c("z", sqltypes.Decimal(10, 2), "1.00", "2.00", "0.00"))
	defer rec.Release()
	a := NewColumn(0, "a", sqltypes.BigInt)
	b := NewColumn(1, "b", sqltypes.BigInt)
	for _, op := range []BinaryOp{Div, Mod} {
		_, err := eval(t, mem, must(NewBinary(op, a, b)), rec)
		wantErr(t, err, "division by zero")
		_, err = eval(t, mem, must(NewBinary(op, a, lit(t, sqltypes.BigInt, int64(0)))), rec)
		wantErr(t, err, "division by zero")
		z := NewColumn(2, "z", sqltypes.Decimal(10, 2))
		_, err = eval(t, mem, must(NewBinary(op, z, z)), rec)
		wantErr(t, err, "division by zero")
	}
	// A zero divisor in a NULL row is not an error.
	rec2 := rec.NewSlice(0, 2)
	defer rec2.Release()
	got, err := eval(t, mem, must(NewBinary(Div, a, b)), rec2)
	if err != nil || got[0] != int64(2) || got[1] != nil {
		t.Fatalf("got %v, %v", got, err)
	}
	// A literal zero divisor with only NULL dividends is not an error either.
	nulls := record(t, mem, c("a", sqltypes.BigInt, nil, nil))
	defer nulls.Release()
	got, err = eval(t, mem, must(NewBinary(Div, a, lit(t, sqltypes.BigInt, int64(0)))), nulls)
	if err != nil || got[0] != nil {
		t.Fatalf("got %v, %v", got, err)
	}
	// Folding a failing constant keeps the error for evaluation time.
	e := must(NewBinary(Div, lit(t, sqltypes.Int, int32(1)), lit(t, sqltypes.Int, int32(0))))
	if _, ok := IsLiteral(e); ok {
		t.Fatal("1 / 0 was folded")
	}
	_, err = evalOne(t, e)
	wantErr(t, err, "division by zero")
	var ee *EvalError
	if !asEvalError(err, &ee) {
		t.Fatalf("%T is not an *EvalError", err)
	}
}

func TestDecimalArithmetic(t *testing.T) {
	cases := []struct {
		op       BinaryOp
		lt       arrow.DataType
		l        string
		rt       arrow.DataType
		r        string
		wantType string
		want     any
	}{
		{Add, dec(10, 2), "12.50", dec(10, 2), "0.75", "DECIMAL(11, 2)", "13.25"},
		{Sub, dec(10, 2), "12.50", dec(10, 2), "20.75", "DECIMAL(11, 2)", "-8.25"},
		{Add, dec(5, 1), "1.5", dec(5, 3), "0.125", "DECIMAL(8, 3)", "1.625"},
		{Mul, dec(10, 2), "1.10", dec(5, 1), "2.0", "DECIMAL(15, 3)", "2.200"},
		{Mul, dec(10, 2), "-1.10", dec(5, 1), "2.5", "DECIMAL(15, 3)", "-2.750"},
		{Div, dec(10, 2), "10.00", dec(10, 2), "3.00", "DECIMAL(38, 6)", "3.333333"},
		{Div, dec(10, 2), "2.00", dec(10, 2), "3.00", "DECIMAL(38, 6)", "0.666667"},
		{Div, dec(10, 2), "-2.00", dec(10, 2), "3.00", "DECIMAL(38, 6)", "-0.666667"},
		{Div, dec(10, 8), "1.00000000", dec(10, 0), "3", "DECIMAL(38, 8)", "0.33333333"},
		{Div, dec(38, 2), "12345678901234567890123456.00", dec(38, 2), "100000000000000000000.00", "DECIMAL(38, 6)", "123456.789012"},
		{Div, dec(38, 2), "-12345678901234567890123456.00", dec(38, 2), "100000000000000000000.00", "DECIMAL(38, 6)", "-123456.789012"},
		{Div, dec(38, 2), "2.00", dec(38, 2), "-300000000000000000000.00", "DECIMAL(38, 6)", "0.000000"},
		{Mod, dec(10, 2), "10.00", dec(10, 2), "3.00", "DECIMAL(10, 2)", "1.00"},
		{Mod, dec(10, 2), "-10.00", dec(10, 2), "3.00", "DECIMAL(10, 2)", "-1.00"},
		{Mod, dec(38, 0), "12345678901234567890123", dec(38, 0), "7", "DECIMAL(38, 0)", "3"},
		{Mod, dec(38, 0), "-12345678901234567890123", dec(38, 0), "7", "DECIMAL(38, 0)", "-3"},
		{Div, dec(38, 0), "12345678901234567890123", dec(38, 0), "7", "DECIMAL(38, 6)", "1763668414462081127160.428571"},
		{Add, dec(38, 0), "99999999999999999999999999999999999999", dec(38, 0), "1", "DECIMAL(38, 0)", "overflow"},
		{Mul, dec(20, 0), "99999999999999999999", dec(20, 0), "99999999999999999999", "DECIMAL(38, 0)", "overflow"},
	}
	for _, tc := range cases {
		mem := newMem(t)
		rec := record(t, mem, c("l", tc.lt, tc.l), c("r", tc.rt, tc.r))
		e := must(NewBinary(tc.op, NewColumn(0, "l", tc.lt), NewColumn(1, "r", tc.rt)))
		if got := sqltypes.Name(e.DataType()); got != tc.wantType {
			t.Errorf("%s: type %s, want %s", e, got, tc.wantType)
		}
		got, err := eval(t, mem, e, rec)
		rec.Release()
		switch {
		case tc.want == "overflow":
			wantErr(t, err, "numeric overflow")
		case err != nil:
			t.Errorf("%s %s %s: %v", tc.l, tc.op, tc.r, err)
		case got[0] != tc.want:
			t.Errorf("%s %s %s = %v, want %v", tc.l, tc.op, tc.r, got[0], tc.want)
		}
	}
	// The big-number division path.
	mem := newMem(t)
	rec := record(t, mem, c("l", dec(38, 2), "999999999999999999999999999999999999.99"), c("r", dec(38, 2), "0.01"))
	defer rec.Release()
	e := must(NewBinary(Div, NewColumn(0, "l", dec(38, 2)), NewColumn(1, "r", dec(38, 2))))
	_, err := eval(t, mem, e, rec)
	wantErr(t, err, "numeric overflow") // 38 integer digits + 6 decimals do not fit 38
	rec2 := record(t, mem, c("l", dec(38, 2), "12345678901234567890123456789.01"), c("r", dec(38, 2), "3.00"))
	defer rec2.Release()
	got, err := eval(t, mem, e, rec2)
	if err != nil || got[0] != "4115226300411522630041152263.003333" {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestDecimalWithIntegers(t *testing.T) {
	e := must(NewBinary(Add, lit(t, dec(10, 2), "1.25"), lit(t, sqltypes.Int, int32(2))))
	if got := sqltypes.Name(e.DataType()); got != "DECIMAL(13, 2)" {
		t.Fatalf("type %s", got)
	}
	v, err := evalOne(t, e)
	if err != nil || v != "3.25" {
		t.Fatalf("got %v, %v", v, err)
	}
	e = must(NewBinary(Mul, lit(t, dec(10, 2), "1.25"), lit(t, sqltypes.Double, 2.0)))
	if v, err := evalOne(t, e); err != nil || v != 2.5 {
		t.Fatalf("got %v, %v", v, err)
	}
}

func TestTemporalArithmetic(t *testing.T) {
	ts, dt, iv, bi, in := sqltypes.Timestamp, sqltypes.Date, sqltypes.Interval, sqltypes.BigInt, sqltypes.Int
	hour := int64(3_600_000)
	cases := []struct {
		op     BinaryOp
		lt     arrow.DataType
		l      any
		rt     arrow.DataType
		r      any
		want   any
		wantTy arrow.DataType
	}{
		{Add, ts, "2024-01-01 23:00:00", iv, 2 * hour, "2024-01-02 01:00:00", ts},
		{Add, iv, int64(1500), ts, "2024-01-01 00:00:00", "2024-01-01 00:00:01.500", ts},
		{Sub, ts, "2024-01-01 00:00:00", iv, int64(1), "2023-12-31 23:59:59.999", ts},
		{Sub, ts, "2024-01-02 00:00:00", ts, "2024-01-01 12:00:00", 12 * hour, iv},
		{Add, dt, "2024-02-28", iv, 24 * hour, "2024-02-29 00:00:00", ts},
		{Sub, dt, "2024-03-01", iv, hour, "2024-02-29 23:00:00", ts},
		{Add, iv, hour, dt, "2024-03-01", "2024-03-01 01:00:00", ts},
		{Add, iv, hour, iv, int64(5), hour + 5, iv},
		{Sub, iv, hour, iv, 2 * hour, -hour, iv},
		{Mul, iv, hour, bi, int64(3), 3 * hour, iv},
		{Mul, bi, int64(-2), iv, hour, -2 * hour, iv},
		{Mul, in, int32(2), iv, hour, 2 * hour, iv},
		{Div, iv, hour, bi, int64(4), hour / 4, iv},
		{Sub, ts, "2024-01-02 00:00:00", dt, "2024-01-01", 24 * hour, iv},
		{Add, ts, nil, iv, hour, nil, ts},
	}
	for _, tc := range cases {
		mem := newMem(t)
		rec := record(t, mem, c("l", tc.lt, tc.l), c("r", tc.rt, tc.r))
		e := must(NewBinary(tc.op, NewColumn(0, "l", tc.lt), NewColumn(1, "r", tc.rt)))
		if !arrow.TypeEqual(e.DataType(), tc.wantTy) {
			t.Errorf("%s: type %s, want %s", e, sqltypes.Name(e.DataType()), sqltypes.Name(tc.wantTy))
		}
		got, err := eval(t, mem, e, rec)
		rec.Release()
		if err != nil || !equalValue(got[0], tc.want) {
			t.Errorf("%s with %v, %v = %v (%v), want %v", e, tc.l, tc.r, got, err, tc.want)
		}
	}
}

func TestBinaryTypeErrors(t *testing.T) {
	cases := []struct {
		op   BinaryOp
		l, r arrow.DataType
		want string
	}{
		{Add, sqltypes.Varchar, sqltypes.BigInt, "cannot apply + to VARCHAR and BIGINT"},
		{Add, sqltypes.Timestamp, sqltypes.Timestamp, "cannot apply + to TIMESTAMP(3) and TIMESTAMP(3)"},
		{Mul, sqltypes.Interval, sqltypes.Interval, "cannot apply * to INTERVAL and INTERVAL"},
		{Concat, sqltypes.Varchar, sqltypes.Int, "cannot apply || to VARCHAR and INT"},
		{Eq, sqltypes.Varchar, sqltypes.BigInt, "cannot compare VARCHAR and BIGINT"},
		{Lt, sqltypes.Boolean, sqltypes.Int, "cannot compare BOOLEAN and INT"},
		{And, sqltypes.Int, sqltypes.Boolean, "cannot apply AND to INT and BOOLEAN"},
		{Add, sqltypes.Boolean, sqltypes.Boolean, "cannot apply + to BOOLEAN and BOOLEAN"},
	}
	for _, tc := range cases {
		_, err := BinaryResultType(tc.op, tc.l, tc.r)
		wantErr(t, err, tc.want)
		_, err = NewBinary(tc.op, NewColumn(0, "a", tc.l), NewColumn(1, "b", tc.r))
		wantErr(t, err, tc.want)
	}
	for _, tc := range []struct {
		op   BinaryOp
		l, r arrow.DataType
		want arrow.DataType
	}{
		{Add, sqltypes.Null, sqltypes.Int, sqltypes.Int},
		{Add, sqltypes.Null, sqltypes.Null, sqltypes.Null},
		{Eq, sqltypes.Null, sqltypes.Varchar, sqltypes.Boolean},
		{And, sqltypes.Null, sqltypes.Boolean, sqltypes.Boolean},
		{Add, sqltypes.Timestamp, sqltypes.Null, sqltypes.Timestamp},
		{Lt, sqltypes.Varchar, sqltypes.Timestamp, sqltypes.Boolean},
		{Mul, dec(30, 20), dec(30, 20), dec(38, 40)},
	} {
		got, err := BinaryResultType(tc.op, tc.l, tc.r)
		if tc.op == Mul && err != nil {
			continue // scale 40 exceeds 38: an error is right
		}
		if err != nil || !arrow.TypeEqual(got, tc.want) {
			t.Errorf("%s %s %s: %v, %v; want %s", sqltypes.Name(tc.l), tc.op, sqltypes.Name(tc.r), got, err, sqltypes.Name(tc.want))
		}
	}
}

func TestNullOperands(t *testing.T) {
	mem := newMem(t)
	rec := record(t, mem, c("a", sqltypes.Int, int32(1), nil))
	defer rec.Release()
	a := NewColumn(0, "a", sqltypes.Int)
	null := NewLiteral(scalar.MakeNullScalar(sqltypes.Null))
	for _, op := range []BinaryOp{Add, Sub, Mul, Div, Mod, Eq, Lt} {
		e := must(NewBinary(op, a, null))
		got, err := eval(t, mem, e, rec)
		if err != nil || got[0] != nil || got[1] != nil {
			t.Errorf("%s: %v, %v", e, got, err)
		}
	}
	e := must(NewBinary(Add, null, null))
	if e.DataType().ID() != arrow.NULL {
		t.Fatalf("NULL + NULL is %s", e.DataType())
	}
	got, err := eval(t, mem, e, rec)
	if err != nil || got[0] != nil {
		t.Fatalf("%v %v", got, err)
	}
}

func TestNegate(t *testing.T) {
	mem := newMem(t)
	for _, tc := range []struct {
		typ  arrow.DataType
		in   []any
		want []any
	}{
		{sqltypes.Int, []any{int32(1), nil, int32(math.MinInt32)}, []any{int32(-1), nil, int32(math.MinInt32)}},
		{sqltypes.BigInt, []any{int64(-5), nil, int64(0)}, []any{int64(5), nil, int64(0)}},
		{sqltypes.Double, []any{1.5, nil, -0.25}, []any{-1.5, nil, 0.25}},
		{sqltypes.Float, []any{float32(1.5), nil, float32(2)}, []any{float32(-1.5), nil, float32(-2)}},
		{dec(5, 2), []any{"1.25", nil, "-3.00"}, []any{"-1.25", nil, "3.00"}},
		{sqltypes.Interval, []any{int64(1000), nil, int64(-1)}, []any{int64(-1000), nil, int64(1)}},
	} {
		rec := record(t, mem, c("x", tc.typ, tc.in...))
		e := must(NewNegate(NewColumn(0, "x", tc.typ)))
		got, err := eval(t, mem, e, rec)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if !equalValue(got[i], tc.want[i]) {
				t.Errorf("-%v = %v, want %v", tc.in[i], got[i], tc.want[i])
			}
		}
	}
	_, err := NewNegate(NewColumn(0, "s", sqltypes.Varchar))
	wantErr(t, err, "cannot negate VARCHAR")
}

func TestBinaryString(t *testing.T) {
	a := NewColumn(0, "a", sqltypes.BigInt)
	b := NewColumn(1, "b", sqltypes.BigInt)
	two := lit(t, sqltypes.BigInt, int64(2))
	sum := must(NewBinary(Add, a, b))
	cases := map[string]Expr{
		"(a + b) * 2": must(NewBinary(Mul, sum, two)),
		"a + b * 2":   must(NewBinary(Add, a, must(NewBinary(Mul, b, two)))),
		"a - (a + b)": must(NewBinary(Sub, a, sum)),
		"a + b + 2":   must(NewBinary(Add, sum, two)),
		"a + b > 2":   must(NewBinary(Gt, sum, two)),
		"a = 2 OR a > b AND b <> 2": must(NewBinary(Or, must(NewBinary(Eq, a, two)),
			must(NewBinary(And, must(NewBinary(Gt, a, b)), must(NewBinary(NotEq, b, two)))))),
		"(a = 2 OR a > b) AND b <> 2": must(NewBinary(And, must(NewBinary(Or, must(NewBinary(Eq, a, two)),
			must(NewBinary(Gt, a, b)))), must(NewBinary(NotEq, b, two)))),
		"-(a + b)": must(NewNegate(sum)),
	}
	for want, e := range cases {
		if got := e.String(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if s := must(NewBinary(Add, lit(t, sqltypes.BigInt, int64(2)), two)).String(); s != "4" {
		t.Errorf("2 + 2 folds to %q", s)
	}
}
