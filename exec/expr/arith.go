package expr

// Arithmetic kernels: + - * / % over whole arrays, with a literal operand
// used as a constant. Integer kernels also serve TIMESTAMP, DATE and
// INTERVAL arithmetic, which is arithmetic on their int64 milliseconds.

import (
	"github.com/weirsql/weir/internal/arrowbuf"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/sqltypes"
)

type integer interface{ ~int32 | ~int64 }
type float interface{ ~float32 | ~float64 }
type number interface{ integer | float }

// errDivZero is the error of integer or DECIMAL division by zero.
func errDivZero() error { return Errorf("division by zero") }

type arithExpr struct {
	op   BinaryOp
	l, r Expr
	typ  arrow.DataType
	kind phys
	// DECIMAL: operand scales and result precision and scale.
	ls, rs, prec, scale int32
	// exact: DECIMAL + - * whose operands are too small for any result
	// to exceed the precision (decDigits), so no row can overflow.
	exact bool
}

var _ Expr = (*arithExpr)(nil)

func newArith(op BinaryOp, l, r Expr, p binaryPlan) *arithExpr {
	e := &arithExpr{op: op, l: l, r: r, typ: p.result, kind: p.kind}
	if p.kind == physDec {
		e.ls = l.DataType().(*arrow.Decimal128Type).Scale
		e.rs = r.DataType().(*arrow.Decimal128Type).Scale
		d := p.result.(*arrow.Decimal128Type)
		e.prec, e.scale = d.Precision, d.Scale
		if op == Add || op == Sub || op == Mul {
			e.exact = arithDigits(op, l, r) <= e.prec
		}
	}
	return e
}

// decDigits bounds the values of a DECIMAL expression: each, unscaled, is
// below 10^d in magnitude. The bound is the type's precision, or less for a
// constant, an integer cast to DECIMAL (a BIGINT has 19 digits whatever
// the scale it is cast to) and sums and products of such: 0.908 * price,
// with price a BIGINT cast to DECIMAL(22, 3), has at most 3 + 22 digits,
// well inside its DECIMAL(38, 6).
func decDigits(e Expr) int32 {
	p, s := decScale(e.DataType())
	d := p
	switch x := e.(type) {
	case *literal:
		if !x.s.IsValid() {
			return 0
		}
		return digitsOf(litValue[decimal128.Num](x.s))
	case *castExpr:
		from := x.x.DataType()
		switch {
		case sqltypes.IsInteger(from):
			fd, _ := decimalOf(from)
			d = fd.Precision + s
		case from.ID() == arrow.DECIMAL128:
			if _, fs := decScale(from); s >= fs {
				d = decDigits(x.x) + s - fs
			}
		}
	case *arithExpr:
		if x.kind == physDec && (x.op == Add || x.op == Sub || x.op == Mul) {
			d = arithDigits(x.op, x.l, x.r)
		}
	}
	return min(d, p)
}

// arithDigits bounds the digits of l op r for DECIMAL operands: a product
// has the digits of both factors, a sum one more than the larger operand
// (+ and - see their operands at the result's scale).
func arithDigits(op BinaryOp, l, r Expr) int32 {
	if op == Mul {
		return decDigits(l) + decDigits(r)
	}
	return max(decDigits(l), decDigits(r)) + 1
}

func (e *arithExpr) DataType() arrow.DataType { return e.typ }
func (e *arithExpr) String() string           { return binaryString(e.op, e.l, e.r) }
func (e *arithExpr) children() []Expr         { return []Expr{e.l, e.r} }

// fallible: integer division by zero (not by a constant other than zero),
// DECIMAL division by zero and DECIMAL overflow (unless the operands rule
// it out).
func (e *arithExpr) fallible() bool {
	isInt := e.kind == physI32 || e.kind == physI64
	if isInt && (e.op == Div || e.op == Mod) {
		s, _ := IsLiteral(e.r)
		switch v := s.(type) {
		case *scalar.Int32:
			return !v.IsValid() || v.Value == 0
		case *scalar.Int64:
			return !v.IsValid() || v.Value == 0
		}
		return true
	}
	return e.kind == physDec && !e.exact
}

func (e *arithExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	n := int(batch.NumRows())
	l, err := evalOperand(ctx, e.l, batch)
	if err != nil {
		return nil, err
	}
	defer l.release()
	r, err := evalOperand(ctx, e.r, batch)
	if err != nil {
		return nil, err
	}
	defer r.release()
	if l.isNullLit() || r.isNullLit() || e.kind == physNull {
		return nullArray(ctx.Mem, e.typ, n), nil
	}
	if l.lit != nil && r.lit != nil {
		a, err := l.array(ctx.Mem, n)
		if err != nil {
			return nil, err
		}
		defer a.Release()
		l = operand{arr: a}
	}
	switch e.kind {
	case physI32:
		return arithInt[int32](ctx.Mem, e.op, e.typ, l, r, n)
	case physI64:
		return arithInt[int64](ctx.Mem, e.op, e.typ, l, r, n)
	case physF32:
		return arithFloat[float32](ctx.Mem, e.op, e.typ, l, r, n)
	case physF64:
		return arithFloat[float64](ctx.Mem, e.op, e.typ, l, r, n)
	case physDec:
		return e.evalDecimal(ctx.Mem, l, r, n)
	}
	return nil, Errorf("cannot apply %s to %s", e.op, sqltypes.Name(e.typ))
}

// addSubMul computes out = a op b for + - * with either side constant
// (a == nil: ac is a; b == nil: bc is b).
func addSubMul[T number](op BinaryOp, out, a, b []T, ac, bc T) {
	switch {
	case a != nil && b != nil:
		a, b = a[:len(out)], b[:len(out)]
		switch op {
		case Add:
			for i := range out {
				out[i] = a[i] + b[i]
			}
		case Sub:
			for i := range out {
				out[i] = a[i] - b[i]
			}
		case Mul:
			for i := range out {
				out[i] = a[i] * b[i]
			}
		}
	case b == nil:
		a = a[:len(out)]
		switch op {
		case Add:
			for i, v := range a {
				out[i] = v + bc
			}
		case Sub:
			for i, v := range a {
				out[i] = v - bc
			}
		case Mul:
			for i, v := range a {
				out[i] = v * bc
			}
		}
	default:
		b = b[:len(out)]
		switch op {
		case Add:
			for i, v := range b {
				out[i] = ac + v
			}
		case Sub:
			for i, v := range b {
				out[i] = ac - v
			}
		case Mul:
			for i, v := range b {
				out[i] = ac * v
			}
		}
	}
}

// sides returns the value slices of two operands and the constants of the
// literal ones.
func sides[T any](l, r operand) (a, b []T, ac, bc T) {
	if l.arr != nil {
		a = arrowbuf.Values[T](l.arr)
	} else {
		ac = litValue[T](l.lit)
	}
	if r.arr != nil {
		b = arrowbuf.Values[T](r.arr)
	} else {
		bc = litValue[T](r.lit)
	}
	return
}

// anyValid reports whether any of n rows is valid under validity (nil: all).
func anyValid(valid []byte, n int) bool {
	return n > 0 && (valid == nil || bitutil.CountSetBits(valid, 0, n) > 0)
}

func arithInt[T integer](mem memory.Allocator, op BinaryOp, typ arrow.DataType, l, r operand, n int) (arrow.Array, error) {
	valid := andValidity(mem, n, l.arr, r.arr)
	buf, out := arrowbuf.AllocValues[T](mem, n)
	a, b, ac, bc := sides[T](l, r)
	if a == nil && l.arr != nil || b == nil && r.arr != nil { // empty batch
		return newArray(typ, n, valid, buf), nil
	}
	vb := bitsOf(valid)
	fail := false
	switch op {
	case Add, Sub, Mul:
		addSubMul(op, out, a, b, ac, bc)
	case Div, Mod:
		switch {
		case b == nil: // constant divisor
			if bc == 0 {
				if anyValid(vb, n) {
					fail = true
					break
				}
				clear(out)
				break
			}
			if op == Div {
				for i, v := range a {
					out[i] = v / bc
				}
			} else {
				for i, v := range a {
					out[i] = v % bc
				}
			}
		default:
			fail = !intDivide(op == Div, out, a, b, ac, vb)
		}
	}
	if fail {
		buf.Release()
		if valid != nil {
			valid.Release()
		}
		return nil, errDivZero()
	}
	return newArray(typ, n, valid, buf), nil
}

// intDivide computes out = a / b (or a % b) with a vector divisor; a == nil
// means the dividend is the constant ac. Rows that are NULL (vb) are
// skipped; it returns false on division by zero in a valid row.
func intDivide[T integer](div bool, out, a, b []T, ac T, vb []byte) bool {
	b = b[:len(out)]
	for i, d := range b {
		if d == 0 {
			if vb == nil || vb[i>>3]&(1<<(i&7)) != 0 {
				return false
			}
			out[i] = 0
			continue
		}
		x := ac
		if a != nil {
			x = a[i]
		}
		if div {
			out[i] = x / d
		} else {
			out[i] = x % d
		}
	}
	return true
}

func arithFloat[T float](mem memory.Allocator, op BinaryOp, typ arrow.DataType, l, r operand, n int) (arrow.Array, error) {
	valid := andValidity(mem, n, l.arr, r.arr)
	buf, out := arrowbuf.AllocValues[T](mem, n)
	a, b, ac, bc := sides[T](l, r)
	if a == nil && l.arr != nil || b == nil && r.arr != nil {
		return newArray(typ, n, valid, buf), nil
	}
	switch op {
	case Add, Sub, Mul:
		addSubMul(op, out, a, b, ac, bc)
	case Div:
		switch {
		case a != nil && b != nil:
			b = b[:len(a)]
			for i := range out {
				out[i] = a[i] / b[i]
			}
		case b == nil:
			for i, v := range a {
				out[i] = v / bc
			}
		default:
			for i, v := range b {
				out[i] = ac / v
			}
		}
	case Mod:
		for i := range out {
			x, y := ac, bc
			if a != nil {
				x = a[i]
			}
			if b != nil {
				y = b[i]
			}
			out[i] = T(math.Mod(float64(x), float64(y)))
		}
	}
	return newArray(typ, n, valid, buf), nil
}

// mulDecimal is DECIMAL * when every row's factors fit in an int64, as
// they do for most DECIMAL columns and for integers cast to DECIMAL: one
// 64×64-bit multiplication a row, exact in 128 bits, and a precision check
// only when the operand types do not rule out overflow. It returns nil
// when some row needs the general loop (a larger factor, or an overflow,
// which the general loop reports).
func (e *arithExpr) mulDecimal(mem memory.Allocator, l, r operand, n int) arrow.Array {
	a, b, ac, bc := sides[decimal128.Num](l, r)
	if n == 0 || (a == nil && l.arr != nil) || (b == nil && r.arr != nil) {
		return nil
	}
	valid := andValidity(mem, n, l.arr, r.arr)
	vb := bitsOf(valid)
	buf, out := arrowbuf.AllocValues[decimal128.Num](mem, n)
	var wide uint64 // nonzero when some factor does not fit in an int64
	switch {
	case a == nil:
		wide = notI64(ac)
		c := int64(ac.LowBits())
		for i, v := range b[:n] {
			wide |= notI64(v)
			out[i] = mulI64(c, int64(v.LowBits()))
		}
	case b == nil:
		wide = notI64(bc)
		c := int64(bc.LowBits())
		for i, v := range a[:n] {
			wide |= notI64(v)
			out[i] = mulI64(int64(v.LowBits()), c)
		}
	default:
		b = b[:n]
		for i, v := range a[:n] {
			w := b[i]
			wide |= notI64(v) | notI64(w)
			out[i] = mulI64(int64(v.LowBits()), int64(w.LowBits()))
		}
	}
	isValid := func(i int) bool { return vb == nil || vb[i>>3]&(1<<(i&7)) != 0 }
	if wide != 0 && vb != nil {
		// A NULL row's value may be anything: look at the valid rows only.
		wide = 0
		for i := range out {
			if !isValid(i) {
				continue
			}
			x, y := ac, bc
			if a != nil {
				x = a[i]
			}
			if b != nil {
				y = b[i]
			}
			wide |= notI64(x) | notI64(y)
		}
	}
	if wide == 0 && !e.exact {
		for i, v := range out {
			if isValid(i) && !decFits(v, e.prec) {
				wide = 1
				break
			}
		}
	}
	if wide != 0 {
		buf.Release()
		if valid != nil {
			valid.Release()
		}
		return nil
	}
	return newArray(e.typ, n, valid, buf)
}

func (e *arithExpr) evalDecimal(mem memory.Allocator, l, r operand, n int) (arrow.Array, error) {
	if e.op == Mul {
		if out := e.mulDecimal(mem, l, r, n); out != nil {
			return out, nil
		}
	}
	return e.decimalRows(mem, l, r, n)
}

// decimalRows is the general DECIMAL loop: 128-bit arithmetic row by row,
// each result checked against the precision unless the types rule
// overflow out.
func (e *arithExpr) decimalRows(mem memory.Allocator, l, r operand, n int) (arrow.Array, error) {
	valid := andValidity(mem, n, l.arr, r.arr)
	vb := bitsOf(valid)
	buf, out := arrowbuf.AllocValues[decimal128.Num](mem, n)
	la, ra := newNumArg[decimal128.Num](l), newNumArg[decimal128.Num](r)
	fail := func(err error) (arrow.Array, error) {
		buf.Release()
		if valid != nil {
			valid.Release()
		}
		return nil, err
	}
	shift := e.scale - e.ls + e.rs
	for i := 0; i < n; i++ {
		if vb != nil && vb[i>>3]&(1<<(i&7)) == 0 {
			out[i] = decimal128.Num{}
			continue
		}
		a, _ := la.get(i)
		b, _ := ra.get(i)
		var v decimal128.Num
		ok := true
		switch e.op {
		case Add:
			v, ok = decAdd(a, b)
		case Sub:
			v, ok = decSub(a, b)
		case Mul:
			v, ok = decMul(a, b)
		case Div:
			if b == (decimal128.Num{}) {
				return fail(errDivZero())
			}
			v, ok = decDiv(a, b, shift)
		case Mod:
			if b == (decimal128.Num{}) {
				return fail(errDivZero())
			}
			v = decMod(a, b)
		}
		if !ok || (!e.exact && !decFits(v, e.prec)) {
			return fail(Errorf("numeric overflow: %s %s %s does not fit %s",
				appendDecimal(nil, a, e.ls), e.op, appendDecimal(nil, b, e.rs), sqltypes.Name(e.typ)))
		}
		out[i] = v
	}
	return newArray(e.typ, n, valid, buf), nil
}
