package expr

// Operands: a child's value for one batch, either an array or a literal
// that kernels use as a constant without materializing an array of it.

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"
	"github.com/weirsql/weir/internal/arrowbuf"
)

// operand is an evaluated child: arr for a computed column, lit for a
// literal (then arr is nil).
type operand struct {
	arr arrow.Array
	lit scalar.Scalar
}

// evalOperand evaluates e over batch, keeping a literal as a constant.
func evalOperand(ctx *Context, e Expr, batch arrow.Record) (operand, error) {
	if s, ok := IsLiteral(e); ok {
		return operand{lit: s}, nil
	}
	a, err := e.Eval(ctx, batch)
	if err != nil {
		return operand{}, err
	}
	return operand{arr: a}, nil
}

// evalOperands evaluates every expression; on error it releases what it
// evaluated.
func evalOperands(ctx *Context, es []Expr, batch arrow.Record) ([]operand, error) {
	ops := make([]operand, len(es))
	for i, e := range es {
		o, err := evalOperand(ctx, e, batch)
		if err != nil {
			releaseOperands(ops[:i])
			return nil, err
		}
		ops[i] = o
	}
	return ops, nil
}

func releaseOperands(ops []operand) {
	for _, o := range ops {
		o.release()
	}
}

func (o operand) release() {
	if o.arr != nil {
		o.arr.Release()
	}
}

// isNullLit reports whether o is the NULL literal.
func (o operand) isNullLit() bool { return o.lit != nil && !o.lit.IsValid() }

// array returns o as an array of n rows; the caller releases it.
func (o operand) array(mem memory.Allocator, n int) (arrow.Array, error) {
	if o.arr != nil {
		o.arr.Retain()
		return o.arr, nil
	}
	if !o.lit.IsValid() {
		return nullArray(mem, o.lit.DataType(), n), nil
	}
	return scalar.MakeArrayFromScalar(o.lit, n, mem)
}

// ---------------------------------------------------------------------------
// Typed per-row access to an operand, for function kernels. Access costs a
// branch and no allocation.

// numArg reads a fixed-width operand of Go type T.
type numArg[T any] struct {
	v       []T
	valid   bitmap
	c       T
	isConst bool
	null    bool
}

func newNumArg[T any](o operand) numArg[T] {
	if o.lit != nil {
		if !o.lit.IsValid() {
			return numArg[T]{isConst: true, null: true}
		}
		return numArg[T]{isConst: true, c: litValue[T](o.lit)}
	}
	return numArg[T]{v: arrowbuf.Values[T](o.arr), valid: validOf(o.arr)}
}

// get returns row i's value and whether it is not NULL.
func (a *numArg[T]) get(i int) (T, bool) {
	if a.isConst {
		return a.c, !a.null
	}
	return a.v[i], a.valid.isSet(i)
}

// strArg reads a VARCHAR operand.
type strArg struct {
	a       *array.String
	valid   bitmap
	c       string
	isConst bool
	null    bool
}

func newStrArg(o operand) strArg {
	if o.lit != nil {
		if !o.lit.IsValid() {
			return strArg{isConst: true, null: true}
		}
		return strArg{isConst: true, c: litString(o.lit)}
	}
	return strArg{a: o.arr.(*array.String), valid: validOf(o.arr)}
}

func (a *strArg) get(i int) (string, bool) {
	if a.isConst {
		return a.c, !a.null
	}
	if !a.valid.isSet(i) {
		return "", false
	}
	return a.a.Value(i), true
}

// boolArg reads a BOOLEAN operand.
type boolArg struct {
	vals    bitmap
	valid   bitmap
	c       bool
	isConst bool
	null    bool
}

func newBoolArg(o operand) boolArg {
	if o.lit != nil {
		if !o.lit.IsValid() {
			return boolArg{isConst: true, null: true}
		}
		return boolArg{isConst: true, c: o.lit.(*scalar.Boolean).Value}
	}
	return boolArg{vals: boolBits(o.arr), valid: validOf(o.arr)}
}

func (a *boolArg) get(i int) (bool, bool) {
	if a.isConst {
		return a.c, !a.null
	}
	return a.vals.isSet(i), a.valid.isSet(i)
}

// litValue returns a valid literal's value as the Go type T of its
// physical layout (int32 for INT and DATE, int64 for BIGINT, TIMESTAMP and
// INTERVAL, float32, float64, decimal128.Num).
func litValue[T any](s scalar.Scalar) T {
	var v any
	switch s := s.(type) {
	case *scalar.Int8:
		v = int32(s.Value)
	case *scalar.Int16:
		v = int32(s.Value)
	case *scalar.Int32:
		v = s.Value
	case *scalar.Int64:
		v = s.Value
	case *scalar.Float32:
		v = s.Value
	case *scalar.Float64:
		v = s.Value
	case *scalar.Date32:
		v = int32(s.Value)
	case *scalar.Timestamp:
		v = int64(s.Value)
	case *scalar.Duration:
		v = int64(s.Value)
	case *scalar.Decimal128:
		v = s.Value
	case *scalar.Boolean:
		v = s.Value
	}
	if t, ok := v.(T); ok {
		return t
	}
	var z T
	panic("expr: literal " + s.String() + " read as " + typeNameOf(z))
}

func typeNameOf(v any) string {
	switch v.(type) {
	case int32:
		return "int32"
	case int64:
		return "int64"
	case float32:
		return "float32"
	case float64:
		return "float64"
	case decimal128.Num:
		return "decimal128"
	}
	return "?"
}

// litString returns a valid VARCHAR literal's text.
func litString(s scalar.Scalar) string {
	switch s := s.(type) {
	case *scalar.String:
		return string(s.Data())
	case *scalar.LargeString:
		return string(s.Data())
	case *scalar.Binary:
		return string(s.Data())
	}
	return s.String()
}
