package expr

// Comparing a scaled integer with a constant. Nexmark q14 filters on
//
//	0.908 * price > 1000000 AND 0.908 * price < 50000000
//
// with price a BIGINT: the planner casts it to DECIMAL(22, 3), multiplies
// and compares DECIMAL(38, 6) values, which takes a 128-bit array for the
// cast and another for the product, per comparison. But the product of an
// integer x and a positive constant k compares with a constant t as x
// compares with t / k, rounded the right way:
//
//	x·k >  t  ⇔  x >  ⌊t/k⌋        x·k <  t  ⇔  x <  ⌈t/k⌉
//	x·k >= t  ⇔  x >= ⌈t/k⌉        x·k <= t  ⇔  x <= ⌊t/k⌋
//	x·k =  t  ⇔  x =  t/k          (when k divides t)
//
// so the comparison reads the integer column and compares it with one
// integer constant, computed at construction. It applies only when the
// product cannot overflow (arithExpr.exact) and the cast cannot fail, so
// that no error is lost, and it gives the same NULLs: a NULL x makes both
// forms NULL. EXPLAIN still shows the comparison as written.

import (
	"math/big"
	"math/bits"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/scalar"
)

type scaledCompare struct {
	x     Expr          // the integer (INT or BIGINT)
	op    BinaryOp      // x op bound
	kind  phys          // x's layout
	bound scalar.Scalar // of x's type
}

// detectScaled returns the integer form of c, or nil when c is not a
// comparison of CAST(integer AS DECIMAL) times a positive constant with a
// constant, or when the bound does not fit the integer's type.
func detectScaled(c *compareExpr) *scaledCompare {
	if c.kind != physDec {
		return nil
	}
	prod, lit, op := c.l, c.r, c.op
	if _, ok := IsLiteral(prod); ok {
		prod, lit, op = lit, prod, op.flip()
	}
	ts, ok := IsLiteral(lit)
	if !ok || !ts.IsValid() {
		return nil
	}
	m, ok := prod.(*arithExpr)
	if !ok || m.op != Mul || m.kind != physDec || !m.exact {
		return nil
	}
	cast, factor := m.l, m.r
	if _, ok := IsLiteral(cast); ok {
		cast, factor = factor, cast
	}
	cs, ok := IsLiteral(factor)
	cx, isCast := cast.(*castExpr)
	if !ok || !cs.IsValid() || !isCast {
		return nil
	}
	from := cx.x.DataType()
	kind := physOf(from)
	if (kind != physI32 && kind != physI64) || castCanFail(from, cx.to) {
		return nil
	}
	// k = the factor's unscaled value × 10^(the cast's scale): x·k is the
	// product's unscaled value, which compares with t's.
	_, s := decScale(cx.to)
	cv := litValue[decimal128.Num](cs)
	if s < 0 || s > 18 || notI64(cv) != 0 || int64(cv.LowBits()) <= 0 {
		return nil
	}
	hi, k := bits.Mul64(cv.LowBits(), pow10[s].lo)
	if hi != 0 || k >= 1<<63 {
		return nil
	}
	t := litValue[decimal128.Num](ts).BigInt()
	q, r := new(big.Int).DivMod(t, new(big.Int).SetUint64(k), new(big.Int)) // Euclidean: q = ⌊t/k⌋ for k > 0
	ceil := new(big.Int).Set(q)
	if r.Sign() != 0 {
		ceil.Add(ceil, big.NewInt(1))
	}
	var b *big.Int
	switch op {
	case Gt, LtEq:
		b = q
	case GtEq, Lt:
		b = ceil
	default: // = and <>: only when k divides t
		if r.Sign() != 0 {
			return nil
		}
		b = q
	}
	if !b.IsInt64() {
		return nil
	}
	v := b.Int64()
	var bound scalar.Scalar
	switch {
	case from.ID() == arrow.INT64:
		bound = scalar.NewInt64Scalar(v)
	case from.ID() == arrow.INT32 && v == int64(int32(v)):
		bound = scalar.NewInt32Scalar(int32(v))
	default:
		return nil
	}
	return &scaledCompare{x: cx.x, op: op, kind: kind, bound: bound}
}

func (sc *scaledCompare) eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	x, err := evalOperand(ctx, sc.x, batch)
	if err != nil {
		return nil, err
	}
	defer x.release()
	return compareOperands(ctx.Mem, sc.op, sc.kind, x, operand{lit: sc.bound}, int(batch.NumRows()))
}
