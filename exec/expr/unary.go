package expr

// Unary minus.

import (
	"fmt"
	"github.com/weirsql/weir/internal/arrowbuf"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"

	"github.com/weirsql/weir/sqltypes"
)

type negateExpr struct{ x Expr }

var _ Expr = (*negateExpr)(nil)

// NewNegate returns -x for a number or an INTERVAL. Integer negation wraps
// around (-(-2147483648) is -2147483648 for INT), as in Java.
func NewNegate(x Expr) (Expr, error) {
	t := x.DataType()
	switch {
	case isNullType(t):
		return x, nil
	case sqltypes.IsNumeric(t), t.ID() == arrow.DURATION:
		if physOf(t) == physOther {
			return nil, fmt.Errorf("cannot negate %s", sqltypes.Name(t))
		}
		return foldConstant(&negateExpr{x: x}), nil
	}
	return nil, fmt.Errorf("cannot negate %s", sqltypes.Name(t))
}

func (e *negateExpr) DataType() arrow.DataType { return e.x.DataType() }
func (e *negateExpr) String() string           { return "-" + parenthesize(e.x) }
func (e *negateExpr) children() []Expr         { return []Expr{e.x} }
func (e *negateExpr) fallible() bool           { return false }

func (e *negateExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	x, err := e.x.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer x.Release()
	switch physOf(x.DataType()) {
	case physI32:
		return negate[int32](ctx, x), nil
	case physI64:
		return negate[int64](ctx, x), nil
	case physF32:
		return negate[float32](ctx, x), nil
	case physF64:
		return negate[float64](ctx, x), nil
	case physDec:
		in := arrowbuf.Values[decimal128.Num](x)
		buf, out := arrowbuf.AllocValues[decimal128.Num](ctx.Mem, x.Len())
		for i, v := range in {
			out[i] = v.Negate()
		}
		return newArray(x.DataType(), x.Len(), shareValidity(ctx.Mem, x), buf), nil
	}
	return nil, Errorf("cannot negate %s", sqltypes.Name(x.DataType()))
}

func negate[T number](ctx *Context, x arrow.Array) arrow.Array {
	in := arrowbuf.Values[T](x)
	buf, out := arrowbuf.AllocValues[T](ctx.Mem, x.Len())
	for i, v := range in {
		out[i] = -v
	}
	return newArray(x.DataType(), x.Len(), shareValidity(ctx.Mem, x), buf)
}
