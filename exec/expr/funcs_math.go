package expr

// Numeric functions. ABS, ROUND, FLOOR, CEIL and SIGN keep their argument's
// type; the transcendental functions work in DOUBLE and follow IEEE 754 as
// Java's Math does (SQRT(-1) is NaN, LN(0) is -Infinity).

import (
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/sqltypes"
)

func init() {
	d := sqltypes.Double
	register(
		&Func{Name: "ABS", Doc: "ABS(x) → type of x: the absolute value of a number (integer overflow wraps).",
			Resolve: numericSame("ABS", 1), New: newAbs},
		&Func{Name: "SIGN", Doc: "SIGN(x) → type of x (INT for DECIMAL): -1, 0 or 1 by the sign of x.",
			Resolve: resolveSign, New: newSign},
		&Func{Name: "ROUND", Doc: "ROUND(x[, d]) → type of x (DECIMAL(p, s) without d: DECIMAL(p-s+1, 0)): x rounded half away from zero to d decimal places (default 0; negative d rounds to tens, hundreds, ...). DOUBLE rounds its shortest decimal form, so ROUND(2.675, 2) is 2.68.",
			Resolve: resolveRound, New: newRound},
		&Func{Name: "FLOOR", Doc: "FLOOR(x) → type of x (DECIMAL(p, s): DECIMAL(p-s+1, 0)): the largest integer not greater than x.",
			Resolve: resolveFloorCeil("FLOOR"), New: newFloorCeil("FLOOR", true)},
		&Func{Name: "CEIL", Doc: "CEIL(x) → type of x (DECIMAL(p, s): DECIMAL(p-s+1, 0)): the smallest integer not less than x.",
			Resolve: resolveFloorCeil("CEIL"), New: newFloorCeil("CEIL", false)},
		&Func{Name: "MOD", Doc: "MOD(a, b) → type of a % b: the remainder of a / b, with the sign of a; an integer or DECIMAL b of 0 is an error.",
			Resolve: resolveMod, New: func(args []Expr, _ arrow.DataType) (Expr, error) { return NewBinary(Mod, args[0], args[1]) }},
		&Func{Name: "POWER", Doc: "POWER(a, b) → DOUBLE: a raised to the power b.",
			Resolve: sig("POWER", d, 2, false, kDouble, kDouble), New: doubleFunc("POWER", math.Pow)},
		&Func{Name: "SQRT", Doc: "SQRT(x) → DOUBLE: the square root of x (NaN for x < 0).",
			Resolve: sig("SQRT", d, 1, false, kDouble), New: doubleFunc("SQRT", math.Sqrt)},
		&Func{Name: "LN", Doc: "LN(x) → DOUBLE: the natural logarithm of x.",
			Resolve: sig("LN", d, 1, false, kDouble), New: doubleFunc("LN", math.Log)},
		&Func{Name: "LOG10", Doc: "LOG10(x) → DOUBLE: the base-10 logarithm of x.",
			Resolve: sig("LOG10", d, 1, false, kDouble), New: doubleFunc("LOG10", math.Log10)},
		&Func{Name: "LOG2", Doc: "LOG2(x) → DOUBLE: the base-2 logarithm of x.",
			Resolve: sig("LOG2", d, 1, false, kDouble), New: doubleFunc("LOG2", math.Log2)},
		&Func{Name: "LOG", Doc: "LOG(x) → DOUBLE: the natural logarithm of x; LOG(b, x): the base-b logarithm of x.",
			Resolve: sig("LOG", d, 1, false, kDouble, kDouble), New: newLog},
		&Func{Name: "EXP", Doc: "EXP(x) → DOUBLE: e raised to the power x.",
			Resolve: sig("EXP", d, 1, false, kDouble), New: doubleFunc("EXP", math.Exp)},
		&Func{Name: "SIN", Doc: "SIN(x) → DOUBLE: the sine of x radians.",
			Resolve: sig("SIN", d, 1, false, kDouble), New: doubleFunc("SIN", math.Sin)},
		&Func{Name: "COS", Doc: "COS(x) → DOUBLE: the cosine of x radians.",
			Resolve: sig("COS", d, 1, false, kDouble), New: doubleFunc("COS", math.Cos)},
		&Func{Name: "TAN", Doc: "TAN(x) → DOUBLE: the tangent of x radians.",
			Resolve: sig("TAN", d, 1, false, kDouble), New: doubleFunc("TAN", math.Tan)},
		&Func{Name: "ATAN2", Doc: "ATAN2(y, x) → DOUBLE: the angle of the point (x, y) in radians.",
			Resolve: sig("ATAN2", d, 2, false, kDouble, kDouble), New: doubleFunc("ATAN2", math.Atan2)},
		&Func{Name: "DEGREES", Doc: "DEGREES(x) → DOUBLE: x radians in degrees.",
			Resolve: sig("DEGREES", d, 1, false, kDouble), New: doubleFunc("DEGREES", func(x float64) float64 { return x * 180 / math.Pi })},
		&Func{Name: "RADIANS", Doc: "RADIANS(x) → DOUBLE: x degrees in radians.",
			Resolve: sig("RADIANS", d, 1, false, kDouble), New: doubleFunc("RADIANS", func(x float64) float64 { return x * math.Pi / 180 })},
		&Func{Name: "PI", Doc: "PI() → DOUBLE: π.",
			Resolve: sig("PI", d, 0, false), New: func([]Expr, arrow.DataType) (Expr, error) {
				return NewLiteral(scalar.NewFloat64Scalar(math.Pi)), nil
			}},
	)
	alias("CEILING", "CEIL")
	alias("POW", "POWER")
}

// numericSame accepts one number and returns its type.
func numericSame(name string, n int) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		if err := checkArity(name, args, n, n); err != nil {
			return nil, nil, err
		}
		t := args[0]
		if isNullType(t) {
			t = sqltypes.Double
		}
		if !sqltypes.IsNumeric(t) || physOf(t) == physOther {
			return nil, nil, fmt.Errorf("%s argument must be a number, not %s", name, sqltypes.Name(args[0]))
		}
		return t, []arrow.DataType{t}, nil
	}
}

// mapNum applies per-layout functions to a numeric array (nil: not
// supported for that layout).
func mapNum(name string, args []Expr, ret arrow.DataType,
	fi32 func(int32) int32, fi64 func(int64) int64, ff64 func(float64) float64, fdec func(decimal128.Num) decimal128.Num) Expr {
	return newFunc(name, args, ret, false, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
		x := ops[0]
		switch physOf(args[0].DataType()) {
		case physI32:
			return mapFixed(ctx, x, ret, n, fi32)
		case physI64:
			return mapFixed(ctx, x, ret, n, fi64)
		case physF32:
			return mapFixed(ctx, x, ret, n, func(v float32) float32 { return float32(ff64(float64(v))) })
		case physF64:
			return mapFixed(ctx, x, ret, n, ff64)
		case physDec:
			return mapFixed(ctx, x, ret, n, fdec)
		}
		return nil, Errorf("%s does not apply to %s", name, sqltypes.Name(args[0].DataType()))
	})
}

// mapFixed computes f over a fixed-width operand, keeping its NULLs.
func mapFixed[F, T any](ctx *Context, x operand, ret arrow.DataType, n int, f func(F) T) (arrow.Array, error) {
	a := newNumArg[F](x)
	return buildFixed(ctx.Mem, ret, n, func(i int) (T, bool, error) {
		v, ok := a.get(i)
		if !ok {
			var z T
			return z, false, nil
		}
		return f(v), true, nil
	})
}

func newAbs(args []Expr, ret arrow.DataType) (Expr, error) {
	return mapNum("ABS", args, ret,
		func(v int32) int32 {
			if v < 0 {
				return -v
			}
			return v
		},
		func(v int64) int64 {
			if v < 0 {
				return -v
			}
			return v
		},
		math.Abs,
		func(v decimal128.Num) decimal128.Num { return v.Abs() }), nil
}

func resolveSign(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	ret, want, err := numericSame("SIGN", 1)(args)
	if err == nil && ret.ID() == arrow.DECIMAL128 {
		ret = sqltypes.Int
	}
	return ret, want, err
}

func newSign(args []Expr, ret arrow.DataType) (Expr, error) {
	if args[0].DataType().ID() == arrow.DECIMAL128 {
		return newFunc("SIGN", args, ret, false, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
			return mapFixed(ctx, ops[0], ret, n, func(v decimal128.Num) int32 { return int32(v.Sign()) })
		}), nil
	}
	return mapNum("SIGN", args, ret,
		func(v int32) int32 { return int32(sign64(int64(v))) },
		sign64,
		func(v float64) float64 {
			switch {
			case v > 0:
				return 1
			case v < 0:
				return -1
			}
			return v // 0, -0 and NaN
		}, nil), nil
}

func sign64(v int64) int64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// integerDecimal is the DECIMAL of x's integer part rounded up:
// DECIMAL(p-s+1, 0), or x's own type when s is 0.
func integerDecimal(t arrow.DataType) arrow.DataType {
	d := t.(*arrow.Decimal128Type)
	if d.Scale == 0 {
		return t
	}
	return &arrow.Decimal128Type{Precision: min32(maxPrecision, d.Precision-d.Scale+1), Scale: 0}
}

func resolveRound(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	if err := checkArity("ROUND", args, 1, 2); err != nil {
		return nil, nil, err
	}
	ret, want, err := numericSame("ROUND", 1)(args[:1])
	if err != nil {
		return nil, nil, err
	}
	if len(args) == 2 {
		w, ok := kInt.accepts(args[1])
		if !ok {
			return nil, nil, fmt.Errorf("ROUND argument 2 must be an integer, not %s", sqltypes.Name(args[1]))
		}
		return ret, append(want, w), nil
	}
	if ret.ID() == arrow.DECIMAL128 {
		ret = integerDecimal(ret)
	}
	return ret, want, nil
}

func newRound(args []Expr, ret arrow.DataType) (Expr, error) {
	t := args[0].DataType()
	return newFunc("ROUND", args, ret, physOf(t) == physDec, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
		digits := numArg[int64]{isConst: true}
		if len(ops) == 2 {
			digits = newNumArg[int64](ops[1])
		}
		switch physOf(t) {
		case physI32:
			return roundInts[int32](ctx, ops[0], digits, ret, n)
		case physI64:
			return roundInts[int64](ctx, ops[0], digits, ret, n)
		case physF32:
			return roundFloats[float32](ctx, ops[0], digits, ret, n, 32)
		case physF64:
			return roundFloats[float64](ctx, ops[0], digits, ret, n, 64)
		case physDec:
			return roundDecimals(ctx, ops[0], digits, t, ret, n)
		}
		return nil, Errorf("ROUND does not apply to %s", sqltypes.Name(t))
	}), nil
}

func roundInts[T integer](ctx *Context, x operand, digits numArg[int64], ret arrow.DataType, n int) (arrow.Array, error) {
	a := newNumArg[T](x)
	return buildFixed(ctx.Mem, ret, n, func(i int) (T, bool, error) {
		v, ok1 := a.get(i)
		d, ok2 := digits.get(i)
		if !ok1 || !ok2 {
			return 0, false, nil
		}
		return T(roundInt(int64(v), d)), true, nil
	})
}

// roundInt rounds v half away from zero to 10^-d when d < 0.
func roundInt(v, d int64) int64 {
	if d >= 0 {
		return v
	}
	if d < -18 {
		return 0
	}
	m := int64(pow10[-d].lo)
	q, r := v/m, v%m
	if r < 0 {
		r = -r
	}
	if r >= m-r {
		if v < 0 {
			q--
		} else {
			q++
		}
	}
	return q * m
}

func roundFloats[T float](ctx *Context, x operand, digits numArg[int64], ret arrow.DataType, n int, bits int) (arrow.Array, error) {
	a := newNumArg[T](x)
	return buildFixed(ctx.Mem, ret, n, func(i int) (T, bool, error) {
		v, ok1 := a.get(i)
		d, ok2 := digits.get(i)
		if !ok1 || !ok2 {
			return 0, false, nil
		}
		return T(roundFloat(float64(v), d, bits)), true, nil
	})
}

// roundFloat rounds x half away from zero to d decimal places, working on
// the shortest decimal text of x (as Java's BigDecimal.valueOf does), so
// that 2.675 rounds to 2.68 even though the nearest double is below it.
func roundFloat(x float64, d int64, bits int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || x == 0 {
		return x
	}
	var buf [40]byte
	b := strconv.AppendFloat(buf[:0], x, 'e', -1, bits)
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	e := 0
	var digits [24]byte
	nd := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == 'e' {
			e, _ = strconv.Atoi(string(b[i+1:]))
			break
		}
		if c != '.' {
			digits[nd] = c
			nd++
		}
	}
	p := e - (nd - 1) // power of ten of the last digit
	if d > 400 || int64(p) >= -d {
		return x
	}
	if d < -400 {
		return math.Copysign(0, x)
	}
	keep := nd - int(-d-int64(p))
	var q uint64
	if keep < 0 {
		return math.Copysign(0, x)
	}
	for i := 0; i < keep; i++ {
		q = q*10 + uint64(digits[i]-'0')
	}
	if digits[keep] >= '5' {
		q++
	}
	r := float64(q)
	switch {
	case d > 0 && d <= 22:
		r /= pow10f[d]
	case d > 22:
		r /= math.Pow10(int(d))
	case d < 0 && d >= -22:
		r *= pow10f[-d]
	case d < -22:
		r *= math.Pow10(int(-d))
	}
	if neg {
		r = -r
	}
	return r
}

func roundDecimals(ctx *Context, x operand, digits numArg[int64], from, ret arrow.DataType, n int) (arrow.Array, error) {
	_, s := decScale(from)
	p, rs := decScale(ret)
	a := newNumArg[decimal128.Num](x)
	return buildFixed(ctx.Mem, ret, n, func(i int) (decimal128.Num, bool, error) {
		v, ok1 := a.get(i)
		d, ok2 := digits.get(i)
		if !ok1 || !ok2 {
			return decimal128.Num{}, false, nil
		}
		u, neg := decSplit(v)
		drop := int64(s) - d
		if drop > 0 {
			if drop > 38 {
				u = u128{}
			} else {
				u = roundDiv(u, int32(drop), true)
			}
			// back to the result scale
			if back := int64(rs) - (int64(s) - drop); back > 0 {
				if back > 38 {
					u = u128{}
				} else if m, ok := mulU128(u, pow10[back]); ok {
					u = m
				} else {
					return decimal128.Num{}, false, Errorf("numeric overflow: ROUND(%s, %d) does not fit %s", appendDecimal(nil, v, s), d, sqltypes.Name(ret))
				}
			}
		}
		r := decJoin(u, neg)
		if !decFits(r, p) {
			return decimal128.Num{}, false, Errorf("numeric overflow: ROUND(%s, %d) does not fit %s", appendDecimal(nil, v, s), d, sqltypes.Name(ret))
		}
		return r, true, nil
	})
}

func resolveFloorCeil(name string) func([]arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	return func(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
		ret, want, err := numericSame(name, 1)(args)
		if err == nil && ret.ID() == arrow.DECIMAL128 {
			ret = integerDecimal(ret)
		}
		return ret, want, err
	}
}

func newFloorCeil(name string, floor bool) newFn {
	return func(args []Expr, ret arrow.DataType) (Expr, error) {
		t := args[0].DataType()
		switch {
		case sqltypes.IsInteger(t):
			return args[0], nil
		case t.ID() == arrow.DECIMAL128:
			_, s := decScale(t)
			if s == 0 {
				return args[0], nil
			}
			return newFunc(name, args, ret, false, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
				return mapFixed(ctx, ops[0], ret, n, func(v decimal128.Num) decimal128.Num {
					u, neg := decSplit(v)
					q := roundDiv(u, s, false)
					exact := func() bool { m, _ := mulU128(q, pow10[s]); return m == u }
					if neg == floor && !exact() { // away from zero
						q = q.add64(1)
					}
					return decJoin(q, neg)
				})
			}), nil
		}
		f := math.Ceil
		if floor {
			f = math.Floor
		}
		return mapNum(name, args, ret, nil, nil, f, nil), nil
	}
}

func resolveMod(args []arrow.DataType) (arrow.DataType, []arrow.DataType, error) {
	if err := checkArity("MOD", args, 2, 2); err != nil {
		return nil, nil, err
	}
	for i, t := range args {
		if !sqltypes.IsNumeric(t) && !isNullType(t) {
			return nil, nil, fmt.Errorf("MOD argument %d must be a number, not %s", i+1, sqltypes.Name(t))
		}
	}
	p, err := planBinary(Mod, args[0], args[1])
	if err != nil {
		return nil, nil, err
	}
	return p.result, []arrow.DataType{p.lt, p.rt}, nil
}

// doubleFunc makes a DOUBLE function of one or two DOUBLE arguments from
// f (a func(float64) float64 or func(float64, float64) float64).
func doubleFunc(name string, f any) newFn {
	return func(args []Expr, ret arrow.DataType) (Expr, error) {
		return newFunc(name, args, ret, false, func(ctx *Context, ops []operand, n int) (arrow.Array, error) {
			switch f := f.(type) {
			case func(float64) float64:
				return mapFixed(ctx, ops[0], ret, n, f)
			case func(float64, float64) float64:
				a, b := newNumArg[float64](ops[0]), newNumArg[float64](ops[1])
				return buildFixed(ctx.Mem, ret, n, func(i int) (float64, bool, error) {
					x, ok1 := a.get(i)
					y, ok2 := b.get(i)
					return f(x, y), ok1 && ok2, nil
				})
			}
			panic("expr: bad doubleFunc")
		}), nil
	}
}

func newLog(args []Expr, ret arrow.DataType) (Expr, error) {
	if len(args) == 1 {
		return doubleFunc("LOG", math.Log)(args, ret)
	}
	return doubleFunc("LOG", func(b, x float64) float64 { return math.Log(x) / math.Log(b) })(args, ret)
}
