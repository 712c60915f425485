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
}

var _ Expr = (*arithExpr)(nil)

func newArith(op BinaryOp, l, r Expr, p binaryPlan) *arithExpr {
	e := &arithExpr{op: op, l: l, r: r, typ: p.result, kind: p.kind}
	if p.kind == physDec {
		e.ls = l.DataType().(*arrow.Decimal128Type).Scale
		e.rs = r.DataType().(*arrow.Decimal128Type).Scale
		d := p.result.(*arrow.Decimal128Type)
		e.prec, e.scale = d.Precision, d.Scale
	}
	return e
}

func (e *arithExpr) DataType() arrow.DataType { return e.typ }
func (e *arithExpr) String() string           { return binaryString(e.op, e.l, e.r) }
func (e *arithExpr) children() []Expr         { return []Expr{e.l, e.r} }

// fallible: integer and DECIMAL division by zero, DECIMAL overflow.
func (e *arithExpr) fallible() bool {
	isInt := e.kind == physI32 || e.kind == physI64
	return (isInt && (e.op == Div || e.op == Mod)) || e.kind == physDec
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

func (e *arithExpr) evalDecimal(mem memory.Allocator, l, r operand, n int) (arrow.Array, error) {
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
		if !ok || !decFits(v, e.prec) {
			return fail(Errorf("numeric overflow: %s %s %s does not fit %s",
				appendDecimal(nil, a, e.ls), e.op, appendDecimal(nil, b, e.rs), sqltypes.Name(e.typ)))
		}
		out[i] = v
	}
	return newArray(e.typ, n, valid, buf), nil
}
