package expr

// CAST and TRY_CAST. The pair of types picks a kernel once at construction;
// a pair that is never valid is a construction error, a value that cannot
// be converted is an evaluation error (or NULL under TRY_CAST). Text forms
// of temporal values and floats come from sqltypes.

import (
	"fmt"
	"github.com/weirsql/weir/internal/arrowbuf"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

// castFn converts a whole array; try turns row failures into NULLs.
type castFn func(mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool) (arrow.Array, error)

type castExpr struct {
	x   Expr
	to  arrow.DataType
	try bool
	fn  castFn
}

var _ Expr = (*castExpr)(nil)

// NewCast returns CAST(x AS to), or TRY_CAST when try is set. It fails when
// no value of x's type converts to `to` (TIMESTAMP to BIGINT, say). At
// evaluation a value that does not convert ('abc' to BIGINT, 3e9 to INT) is
// an error, or NULL for TRY_CAST.
//
// Conversions: numbers among themselves (FLOAT and DOUBLE to integers
// truncate toward zero; to DECIMAL rounds half away from zero; out of range
// fails); numbers, BOOLEAN, DATE, TIMESTAMP and INTERVAL to VARCHAR (DECIMAL
// keeps its scale: 12.50; BOOLEAN is TRUE or FALSE); VARCHAR to numbers
// (surrounding spaces ignored), BOOLEAN ('true', 'false', 't', 'f', '1',
// '0', 'yes', 'no', any case), DATE and TIMESTAMP; DATE to and from
// TIMESTAMP; INTEGER to and from BOOLEAN; a bare NULL to anything. A cast to
// the same type returns x itself.
func NewCast(x Expr, to arrow.DataType, try bool) (Expr, error) {
	from := x.DataType()
	if arrow.TypeEqual(from, to) {
		return x, nil
	}
	fn, err := castFunc(from, to)
	if err != nil {
		return nil, err
	}
	return foldConstant(&castExpr{x: x, to: to, try: try, fn: fn}), nil
}

// CanCast reports whether NewCast accepts a cast from one type to another.
func CanCast(from, to arrow.DataType) bool {
	if arrow.TypeEqual(from, to) {
		return true
	}
	_, err := castFunc(from, to)
	return err == nil
}

func (e *castExpr) DataType() arrow.DataType { return e.to }
func (e *castExpr) children() []Expr         { return []Expr{e.x} }
func (e *castExpr) fallible() bool           { return !e.try && castCanFail(e.x.DataType(), e.to) }

func (e *castExpr) String() string {
	name := "CAST"
	if e.try {
		name = "TRY_CAST"
	}
	return name + "(" + e.x.String() + " AS " + sqltypes.Name(e.to) + ")"
}

func (e *castExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	x, err := e.x.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer x.Release()
	return e.fn(ctx.Mem, x, e.to, e.try)
}

// castCanFail reports whether some value of from fails to convert to to.
func castCanFail(from, to arrow.DataType) bool {
	f, t := from.ID(), to.ID()
	switch {
	case f == arrow.NULL, t == arrow.STRING:
		return false
	case f == arrow.INT32 && (t == arrow.INT64 || t == arrow.FLOAT32 || t == arrow.FLOAT64):
		return false
	case f == arrow.INT64 && (t == arrow.FLOAT32 || t == arrow.FLOAT64):
		return false
	case f == arrow.FLOAT32 && t == arrow.FLOAT64, f == arrow.FLOAT64 && t == arrow.FLOAT32:
		return false
	case f == arrow.DECIMAL128 && (t == arrow.FLOAT32 || t == arrow.FLOAT64):
		return false
	case sqltypes.IsInteger(from) && t == arrow.DECIMAL128:
		return !intFitsDecimal(from, to)
	case f == arrow.DECIMAL128 && t == arrow.DECIMAL128:
		fp, fs := decScale(from)
		tp, ts := decScale(to)
		return !(fs == ts && tp >= fp)
	case f == arrow.DATE32 && t == arrow.TIMESTAMP, f == arrow.TIMESTAMP && t == arrow.DATE32:
		return false
	case f == arrow.BOOL && sqltypes.IsInteger(to), sqltypes.IsInteger(from) && t == arrow.BOOL:
		return false
	}
	return true
}

func castError(from, to arrow.DataType, hint string) error {
	msg := fmt.Sprintf("cannot cast %s to %s", sqltypes.Name(from), sqltypes.Name(to))
	if hint != "" {
		msg += " (" + hint + ")"
	}
	return fmt.Errorf("%s", msg)
}

// castFunc picks the kernel for a cast between two different types.
func castFunc(from, to arrow.DataType) (castFn, error) {
	if from.ID() == arrow.NULL {
		return castNull, nil
	}
	if to.ID() == arrow.NULL {
		return nil, castError(from, to, "")
	}
	fp, tp := physOf(from), physOf(to)
	if fp == physOther || tp == physOther {
		return nil, castError(from, to, "unsupported type")
	}
	f, t := from.ID(), to.ID()
	if t == arrow.STRING {
		return castToString(from), nil
	}
	if f == arrow.STRING {
		switch t {
		case arrow.BOOL:
			return castStringToBool, nil
		case arrow.INT32:
			return castStringToInt[int32](32), nil
		case arrow.INT64:
			return castStringToInt[int64](64), nil
		case arrow.FLOAT32:
			return castStringToFloat[float32](32), nil
		case arrow.FLOAT64:
			return castStringToFloat[float64](64), nil
		case arrow.DECIMAL128:
			return castStringToDecimal, nil
		case arrow.TIMESTAMP:
			return castStringToTimestamp, nil
		case arrow.DATE32:
			return castStringToDate, nil
		}
		return nil, castError(from, to, "")
	}
	numeric := func(t arrow.DataType) bool { return sqltypes.IsNumeric(t) }
	switch {
	case numeric(from) && numeric(to):
		return numericCast(from, to), nil
	case f == arrow.BOOL && sqltypes.IsInteger(to):
		return castBoolToInt, nil
	case sqltypes.IsInteger(from) && t == arrow.BOOL:
		return castIntToBool, nil
	case f == arrow.DATE32 && t == arrow.TIMESTAMP:
		return castDateToTimestamp, nil
	case f == arrow.TIMESTAMP && t == arrow.DATE32:
		return castTimestampToDate, nil
	case f == arrow.TIMESTAMP && numeric(to):
		return nil, castError(from, to, "use EXTRACT(EPOCH FROM ...) for epoch seconds")
	case numeric(from) && t == arrow.TIMESTAMP:
		return nil, castError(from, to, "use TO_TIMESTAMP_LTZ(x, 3) for epoch milliseconds")
	}
	return nil, castError(from, to, "")
}

func castNull(mem memory.Allocator, x arrow.Array, to arrow.DataType, _ bool) (arrow.Array, error) {
	return nullArray(mem, to, x.Len()), nil
}

// valueError is the row error of a value that does not convert.
func valueError(text string, to arrow.DataType, why string) error {
	if why != "" {
		return Errorf("cannot cast %s to %s: %s", text, sqltypes.Name(to), why)
	}
	return Errorf("cannot cast %s to %s", text, sqltypes.Name(to))
}

// castFixed converts fixed-width F values with f, which reports failure as
// a non-nil error builder.
func castFixed[F, T any](mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool, f func(F) (T, bool), fail func(F) error) (arrow.Array, error) {
	n := x.Len()
	in := arrowbuf.Values[F](x)
	out := newFixedOut[T](mem, n)
	out.withValidity(copyValidity(mem, x))
	valid := validOf(x)
	for i := 0; i < n; i++ {
		if !valid.isSet(i) {
			var z T
			out.v[i] = z
			continue
		}
		v, ok := f(in[i])
		if !ok {
			if !try {
				out.release()
				return nil, fail(in[i])
			}
			out.setNull(i)
			continue
		}
		out.v[i] = v
	}
	return out.finish(to), nil
}

// convertAll converts every value without checks (widening casts).
func convertAll[F, T number](mem memory.Allocator, x arrow.Array, to arrow.DataType) arrow.Array {
	in := arrowbuf.Values[F](x)
	buf, out := arrowbuf.AllocValues[T](mem, x.Len())
	for i, v := range in {
		out[i] = T(v)
	}
	return newArray(to, x.Len(), shareValidity(mem, x), buf)
}

// ---------------------------------------------------------------------------
// Numbers

func numericCast(from, to arrow.DataType) castFn {
	fp, tp := physOf(from), physOf(to)
	switch tp {
	case physI32:
		switch fp {
		case physI64:
			return intCast[int64, int32](math.MinInt32, math.MaxInt32)
		case physF32:
			return floatToInt[float32, int32](-(1 << 31), 1<<31)
		case physF64:
			return floatToInt[float64, int32](-(1 << 31), 1<<31)
		case physDec:
			return decToInt[int32](math.MinInt32, math.MaxInt32)
		}
	case physI64:
		switch fp {
		case physI32:
			return widen[int32, int64]
		case physF32:
			return floatToInt[float32, int64](-(1 << 63), 1<<63)
		case physF64:
			return floatToInt[float64, int64](-(1 << 63), 1<<63)
		case physDec:
			return decToInt[int64](math.MinInt64, math.MaxInt64)
		}
	case physF32:
		switch fp {
		case physI32:
			return widen[int32, float32]
		case physI64:
			return widen[int64, float32]
		case physF64:
			return widen[float64, float32]
		case physDec:
			return decToFloatCast[float32]
		}
	case physF64:
		switch fp {
		case physI32:
			return widen[int32, float64]
		case physI64:
			return widen[int64, float64]
		case physF32:
			return widen[float32, float64]
		case physDec:
			return decToFloatCast[float64]
		}
	case physDec:
		switch fp {
		case physI32:
			return intToDec[int32]
		case physI64:
			return intToDec[int64]
		case physF32:
			return floatToDec[float32](32)
		case physF64:
			return floatToDec[float64](64)
		case physDec:
			fp, fs := decScale(from)
			tp, ts := decScale(to)
			if fs == ts && tp >= fp {
				return retype // the same numbers, a wider precision
			}
			return decToDec
		}
	}
	panic("expr: no numeric cast from " + from.String() + " to " + to.String())
}

func widen[F, T number](mem memory.Allocator, x arrow.Array, to arrow.DataType, _ bool) (arrow.Array, error) {
	return convertAll[F, T](mem, x, to), nil
}

func outOfRange[F any](to arrow.DataType) func(F) error {
	return func(v F) error { return valueError(fmt.Sprint(v), to, "value out of range") }
}

func intCast[F, T integer](lo, hi int64) castFn {
	return func(mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool) (arrow.Array, error) {
		return castFixed(mem, x, to, try, func(v F) (T, bool) {
			return T(v), int64(v) >= lo && int64(v) <= hi
		}, outOfRange[F](to))
	}
}

// floatToInt truncates toward zero; lo ≤ v < hi must hold.
func floatToInt[F float, T integer](lo, hi float64) castFn {
	return func(mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool) (arrow.Array, error) {
		return castFixed(mem, x, to, try, func(v F) (T, bool) {
			f := float64(v)
			if !((f >= lo || f > lo-1) && f < hi) { // NaN fails too
				return 0, false
			}
			return T(f), true
		}, func(v F) error {
			return valueError(string(sqltypes.AppendFloat(nil, float64(v), bitSize[F]())), to, "value out of range")
		})
	}
}

func bitSize[F float]() int {
	var z F
	if _, ok := any(z).(float32); ok {
		return 32
	}
	return 64
}

func decScale(t arrow.DataType) (prec, scale int32) {
	d := t.(*arrow.Decimal128Type)
	return d.Precision, d.Scale
}

func decToInt[T integer](lo, hi int64) castFn {
	return func(mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool) (arrow.Array, error) {
		_, s := decScale(x.DataType())
		return castFixed(mem, x, to, try, func(v decimal128.Num) (T, bool) {
			i, ok := decInt64(decTrunc(v, s))
			return T(i), ok && i >= lo && i <= hi
		}, func(v decimal128.Num) error {
			return valueError(string(appendDecimal(nil, v, s)), to, "value out of range")
		})
	}
}

func decToFloatCast[T float](mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool) (arrow.Array, error) {
	_, s := decScale(x.DataType())
	return castFixed(mem, x, to, try, func(v decimal128.Num) (T, bool) {
		return T(decToFloat(v, s)), true
	}, nil)
}

// intFitsDecimal reports whether every value of the integer type from
// fits in the DECIMAL to: BIGINT has 19 digits, so it fits DECIMAL(22, 3).
func intFitsDecimal(from, to arrow.DataType) bool {
	fd, _ := decimalOf(from)
	p, s := decScale(to)
	return fd.Precision+s <= p
}

func intToDec[F integer](mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool) (arrow.Array, error) {
	if _, s := decScale(to); s >= 0 && s <= 18 && intFitsDecimal(x.DataType(), to) {
		// Every value fits: v × 10^s, one multiplication a row.
		k := int64(pow10[s].lo)
		buf, out := arrowbuf.AllocValues[decimal128.Num](mem, x.Len())
		for i, v := range arrowbuf.Values[F](x) {
			out[i] = mulI64(int64(v), k)
		}
		return newArray(to, x.Len(), shareValidity(mem, x), buf), nil
	}
	return intToDecChecked[F](mem, x, to, try)
}

// intToDecChecked converts integers to a DECIMAL some of them may not fit.
func intToDecChecked[F integer](mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool) (arrow.Array, error) {
	p, s := decScale(to)
	return castFixed(mem, x, to, try, func(v F) (decimal128.Num, bool) {
		d, ok := decFromInt(int64(v), s)
		return d, ok && decFits(d, p)
	}, func(v F) error { return valueError(strconv.FormatInt(int64(v), 10), to, "value out of range") })
}

func floatToDec[F float](bits int) castFn {
	return func(mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool) (arrow.Array, error) {
		p, s := decScale(to)
		return castFixed(mem, x, to, try, func(v F) (decimal128.Num, bool) {
			return decFromFloat(float64(v), bits, p, s)
		}, func(v F) error {
			return valueError(string(sqltypes.AppendFloat(nil, float64(v), bits)), to, "value out of range")
		})
	}
}

// retype returns x's data under another type with the same layout.
func retype(_ memory.Allocator, x arrow.Array, to arrow.DataType, _ bool) (arrow.Array, error) {
	d := x.Data()
	data := array.NewData(to, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
	defer data.Release()
	return array.MakeFromData(data), nil
}

func decToDec(mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool) (arrow.Array, error) {
	_, fs := decScale(x.DataType())
	p, s := decScale(to)
	return castFixed(mem, x, to, try, func(v decimal128.Num) (decimal128.Num, bool) {
		d, ok := decRescale(v, fs, s)
		return d, ok && decFits(d, p)
	}, func(v decimal128.Num) error {
		return valueError(string(appendDecimal(nil, v, fs)), to, "value out of range")
	})
}

// ---------------------------------------------------------------------------
// BOOLEAN and integers, DATE and TIMESTAMP

func castBoolToInt(mem memory.Allocator, x arrow.Array, to arrow.DataType, _ bool) (arrow.Array, error) {
	n := x.Len()
	b := boolBits(x)
	if to.ID() == arrow.INT32 {
		buf, out := arrowbuf.AllocValues[int32](mem, n)
		for i := range out {
			out[i] = int32(b2u(b.isSet(i)))
		}
		return newArray(to, n, shareValidity(mem, x), buf), nil
	}
	buf, out := arrowbuf.AllocValues[int64](mem, n)
	for i := range out {
		out[i] = int64(b2u(b.isSet(i)))
	}
	return newArray(to, n, shareValidity(mem, x), buf), nil
}

func castIntToBool(mem memory.Allocator, x arrow.Array, to arrow.DataType, _ bool) (arrow.Array, error) {
	n := x.Len()
	vals, out := arrowbuf.AllocBits(mem, n)
	if x.DataType().ID() == arrow.INT32 {
		for i, v := range arrowbuf.Values[int32](x) {
			setBit(out, i, v != 0)
		}
	} else {
		for i, v := range arrowbuf.Values[int64](x) {
			setBit(out, i, v != 0)
		}
	}
	return newArray(to, n, shareValidity(mem, x), vals), nil
}

const msPerDay = 86_400_000

func castDateToTimestamp(mem memory.Allocator, x arrow.Array, to arrow.DataType, _ bool) (arrow.Array, error) {
	in := arrowbuf.Values[int32](x)
	buf, out := arrowbuf.AllocValues[int64](mem, x.Len())
	for i, d := range in {
		out[i] = int64(d) * msPerDay
	}
	return newArray(to, x.Len(), shareValidity(mem, x), buf), nil
}

func castTimestampToDate(mem memory.Allocator, x arrow.Array, to arrow.DataType, _ bool) (arrow.Array, error) {
	in := arrowbuf.Values[int64](x)
	buf, out := arrowbuf.AllocValues[int32](mem, x.Len())
	for i, ms := range in {
		out[i] = int32(floorDiv(ms, msPerDay))
	}
	return newArray(to, x.Len(), shareValidity(mem, x), buf), nil
}

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// floorMod is the remainder of floorDiv, with the sign of b.
func floorMod(a, b int64) int64 {
	return a - floorDiv(a, b)*b
}

// ---------------------------------------------------------------------------
// To VARCHAR

func castToString(from arrow.DataType) castFn {
	switch physOf(from) {
	case physBool:
		return func(mem memory.Allocator, x arrow.Array, _ arrow.DataType, _ bool) (arrow.Array, error) {
			b := boolBits(x)
			return formatEach(mem, x, func(dst []byte, i int) []byte {
				if b.isSet(i) {
					return append(dst, "TRUE"...)
				}
				return append(dst, "FALSE"...)
			})
		}
	case physI32:
		if from.ID() == arrow.DATE32 {
			return formatFixed(func(dst []byte, v int32) []byte { return sqltypes.AppendDate(dst, v) })
		}
		return formatFixed(func(dst []byte, v int32) []byte { return strconv.AppendInt(dst, int64(v), 10) })
	case physI64:
		switch from.ID() {
		case arrow.TIMESTAMP:
			return formatFixed(sqltypes.AppendTimestamp)
		case arrow.DURATION:
			return formatFixed(sqltypes.AppendInterval)
		}
		return formatFixed(func(dst []byte, v int64) []byte { return strconv.AppendInt(dst, v, 10) })
	case physF32:
		return formatFixed(func(dst []byte, v float32) []byte { return sqltypes.AppendFloat(dst, float64(v), 32) })
	case physF64:
		return formatFixed(func(dst []byte, v float64) []byte { return sqltypes.AppendFloat(dst, v, 64) })
	case physDec:
		_, s := decScale(from)
		return formatFixed(func(dst []byte, v decimal128.Num) []byte { return appendDecimal(dst, v, s) })
	}
	panic("expr: no cast to VARCHAR from " + from.String())
}

// formatFixed makes a cast to VARCHAR from a fixed-width type.
func formatFixed[F any](f func(dst []byte, v F) []byte) castFn {
	return func(mem memory.Allocator, x arrow.Array, _ arrow.DataType, _ bool) (arrow.Array, error) {
		in := arrowbuf.Values[F](x)
		return formatEach(mem, x, func(dst []byte, i int) []byte { return f(dst, in[i]) })
	}
}

// formatEach builds a VARCHAR array with f's text for every valid row of x.
func formatEach(mem memory.Allocator, x arrow.Array, f func(dst []byte, i int) []byte) (arrow.Array, error) {
	n := x.Len()
	valid := validOf(x)
	o := newStrOut(mem, n)
	for i := 0; i < n; i++ {
		if !valid.isSet(i) {
			o.appendNull()
			continue
		}
		o.data = f(o.data, i)
		o.commit()
	}
	return o.finish()
}

// ---------------------------------------------------------------------------
// From VARCHAR

// castFromString converts every valid row of a VARCHAR array with f.
func castFromString[T any](mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool, f func(string) (T, bool)) (arrow.Array, error) {
	s := x.(*array.String)
	n := x.Len()
	valid := validOf(x)
	out := newFixedOut[T](mem, n)
	out.withValidity(copyValidity(mem, x))
	for i := 0; i < n; i++ {
		if !valid.isSet(i) {
			var z T
			out.v[i] = z
			continue
		}
		v, ok := f(s.Value(i))
		if !ok {
			if !try {
				out.release()
				return nil, valueError(quoteSQL(s.Value(i)), to, "")
			}
			out.setNull(i)
			continue
		}
		out.v[i] = v
	}
	return out.finish(to), nil
}

func castStringToInt[T integer](bits int) castFn {
	return func(mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool) (arrow.Array, error) {
		return castFromString(mem, x, to, try, func(s string) (T, bool) {
			v, ok := parseInt(s, bits)
			return T(v), ok
		})
	}
}

// parseInt parses a decimal integer with optional sign and surrounding
// spaces, without allocating.
func parseInt(s string, bits int) (int64, bool) {
	s = strings.TrimSpace(s)
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 19 {
		if len(s) > 19 { // maybe leading zeros
			t := strings.TrimLeft(s, "0")
			if len(t) <= 19 {
				return parseInt(signed(neg, t), bits)
			}
		}
		return 0, false
	}
	var u uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0') // 19 digits fit in uint64
	}
	limit := uint64(1) << (bits - 1)
	if neg {
		if u > limit {
			return 0, false
		}
		return -int64(u), true
	}
	if u >= limit {
		return 0, false
	}
	return int64(u), true
}

func signed(neg bool, s string) string {
	if s == "" {
		s = "0"
	}
	if neg {
		return "-" + s
	}
	return s
}

func castStringToFloat[T float](bits int) castFn {
	return func(mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool) (arrow.Array, error) {
		return castFromString(mem, x, to, try, func(s string) (T, bool) {
			f, err := strconv.ParseFloat(strings.TrimSpace(s), bits)
			if err != nil {
				// Accept the spelling AppendFloat writes.
				switch strings.TrimSpace(s) {
				case "Infinity", "+Infinity":
					return T(math.Inf(1)), true
				case "-Infinity":
					return T(math.Inf(-1)), true
				}
				return 0, false
			}
			return T(f), true
		})
	}
}

func castStringToDecimal(mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool) (arrow.Array, error) {
	p, s := decScale(to)
	return castFromString(mem, x, to, try, func(str string) (decimal128.Num, bool) {
		return parseDecimal(str, p, s)
	})
}

func castStringToBool(mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool) (arrow.Array, error) {
	s := x.(*array.String)
	n := x.Len()
	valid := validOf(x)
	out := newBoolOut(mem, n)
	for i := 0; i < n; i++ {
		if !valid.isSet(i) {
			out.setNull(i)
			continue
		}
		v, ok := parseBool(s.Value(i))
		if !ok {
			if !try {
				out.release()
				return nil, valueError(quoteSQL(s.Value(i)), to, "")
			}
			out.setNull(i)
			continue
		}
		out.set(i, v)
	}
	return out.finish(), nil
}

// parseBool reads 'true', 'false', 't', 'f', '1', '0', 'yes', 'no' in any
// case, with surrounding spaces.
func parseBool(s string) (bool, bool) {
	s = strings.TrimSpace(s)
	switch {
	case strings.EqualFold(s, "true"), strings.EqualFold(s, "t"), s == "1", strings.EqualFold(s, "yes"), strings.EqualFold(s, "y"):
		return true, true
	case strings.EqualFold(s, "false"), strings.EqualFold(s, "f"), s == "0", strings.EqualFold(s, "no"), strings.EqualFold(s, "n"):
		return false, true
	}
	return false, false
}

func castStringToTimestamp(mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool) (arrow.Array, error) {
	return castFromString(mem, x, to, try, func(s string) (int64, bool) {
		ms, err := sqltypes.ParseTimestamp(s)
		return ms, err == nil
	})
}

func castStringToDate(mem memory.Allocator, x arrow.Array, to arrow.DataType, try bool) (arrow.Array, error) {
	return castFromString(mem, x, to, try, func(s string) (int32, bool) {
		if d, err := sqltypes.ParseDate(s); err == nil {
			return d, true
		}
		// A timestamp's text gives its day.
		if ms, err := sqltypes.ParseTimestamp(s); err == nil && strings.ContainsAny(s, "-") {
			return int32(floorDiv(ms, msPerDay)), true
		}
		return 0, false
	})
}
