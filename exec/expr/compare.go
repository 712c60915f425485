package expr

// Comparison kernels: = <> < <= > >= producing packed Boolean bitmaps. The
// numeric kernels compare eight rows into a register byte at a time; a
// literal operand stays a constant (`price > 100` reads one array).

import (
	"github.com/weirsql/weir/internal/arrowbuf"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

type ordered interface{ integer | float }

type compareExpr struct {
	op   BinaryOp
	l, r Expr
	kind phys
	// scaled, when set, computes the comparison of an integer times a
	// constant with a constant on the integer alone (compare_scaled.go).
	scaled *scaledCompare
}

var _ Expr = (*compareExpr)(nil)

func (e *compareExpr) DataType() arrow.DataType { return sqltypes.Boolean }
func (e *compareExpr) String() string           { return binaryString(e.op, e.l, e.r) }
func (e *compareExpr) children() []Expr         { return []Expr{e.l, e.r} }
func (e *compareExpr) fallible() bool           { return false }

func (e *compareExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	if e.scaled != nil {
		return e.scaled.eval(ctx, batch)
	}
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
	return compareOperands(ctx.Mem, e.op, e.kind, l, r, n)
}

// compareOperands compares two operands of the same layout.
func compareOperands(mem memory.Allocator, op BinaryOp, kind phys, l, r operand, n int) (arrow.Array, error) {
	if l.isNullLit() || r.isNullLit() || kind == physNull {
		return nullArray(mem, sqltypes.Boolean, n), nil
	}
	if l.lit != nil && r.lit != nil {
		a, err := l.array(mem, n)
		if err != nil {
			return nil, err
		}
		defer a.Release()
		l = operand{arr: a}
	}
	if l.arr == nil { // constant on the left: swap so kernels see column op constant
		l, r, op = r, l, op.flip()
	}
	valid := andValidity(mem, n, l.arr, r.arr)
	vals, out := arrowbuf.AllocBits(mem, n)
	if n > 0 {
		switch kind {
		case physI32:
			compareNum[int32](op, out, l, r)
		case physI64:
			compareNum[int64](op, out, l, r)
		case physF32:
			compareNum[float32](op, out, l, r)
		case physF64:
			compareNum[float64](op, out, l, r)
		case physDec:
			compareDec(op, out, l, r, n)
		case physStr:
			compareStr(op, out, l, r, n)
		case physBool:
			compareBool(op, out, l, r, n)
		}
	}
	return newArray(sqltypes.Boolean, n, valid, vals), nil
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func compareNum[T ordered](op BinaryOp, out []byte, l, r operand) {
	a := arrowbuf.Values[T](l.arr)
	if r.arr == nil {
		cmpVS(op, out, a, litValue[T](r.lit))
		return
	}
	cmpVV(op, out, a, arrowbuf.Values[T](r.arr))
}

// cmpVS sets bit i of out to a[i] op c.
func cmpVS[T ordered](op BinaryOp, out []byte, a []T, c T) {
	n := len(a)
	switch op {
	case Eq:
		for j := 0; j < n; j += 8 {
			var m byte
			for k, v := range a[j:min(j+8, n)] {
				m |= b2u(v == c) << (uint(k) & 7)
			}
			out[j>>3] = m
		}
	case NotEq:
		for j := 0; j < n; j += 8 {
			var m byte
			for k, v := range a[j:min(j+8, n)] {
				m |= b2u(v != c) << (uint(k) & 7)
			}
			out[j>>3] = m
		}
	case Lt:
		for j := 0; j < n; j += 8 {
			var m byte
			for k, v := range a[j:min(j+8, n)] {
				m |= b2u(v < c) << (uint(k) & 7)
			}
			out[j>>3] = m
		}
	case LtEq:
		for j := 0; j < n; j += 8 {
			var m byte
			for k, v := range a[j:min(j+8, n)] {
				m |= b2u(v <= c) << (uint(k) & 7)
			}
			out[j>>3] = m
		}
	case Gt:
		for j := 0; j < n; j += 8 {
			var m byte
			for k, v := range a[j:min(j+8, n)] {
				m |= b2u(v > c) << (uint(k) & 7)
			}
			out[j>>3] = m
		}
	case GtEq:
		for j := 0; j < n; j += 8 {
			var m byte
			for k, v := range a[j:min(j+8, n)] {
				m |= b2u(v >= c) << (uint(k) & 7)
			}
			out[j>>3] = m
		}
	}
}

// cmpVV sets bit i of out to a[i] op b[i].
func cmpVV[T ordered](op BinaryOp, out []byte, a, b []T) {
	n := len(a)
	b = b[:n]
	switch op {
	case Eq:
		for j := 0; j < n; j += 8 {
			var m byte
			bb := b[j:min(j+8, n)]
			for k, v := range a[j:min(j+8, n)] {
				m |= b2u(v == bb[k]) << (uint(k) & 7)
			}
			out[j>>3] = m
		}
	case NotEq:
		for j := 0; j < n; j += 8 {
			var m byte
			bb := b[j:min(j+8, n)]
			for k, v := range a[j:min(j+8, n)] {
				m |= b2u(v != bb[k]) << (uint(k) & 7)
			}
			out[j>>3] = m
		}
	case Lt:
		for j := 0; j < n; j += 8 {
			var m byte
			bb := b[j:min(j+8, n)]
			for k, v := range a[j:min(j+8, n)] {
				m |= b2u(v < bb[k]) << (uint(k) & 7)
			}
			out[j>>3] = m
		}
	case LtEq:
		for j := 0; j < n; j += 8 {
			var m byte
			bb := b[j:min(j+8, n)]
			for k, v := range a[j:min(j+8, n)] {
				m |= b2u(v <= bb[k]) << (uint(k) & 7)
			}
			out[j>>3] = m
		}
	case Gt:
		for j := 0; j < n; j += 8 {
			var m byte
			bb := b[j:min(j+8, n)]
			for k, v := range a[j:min(j+8, n)] {
				m |= b2u(v > bb[k]) << (uint(k) & 7)
			}
			out[j>>3] = m
		}
	case GtEq:
		for j := 0; j < n; j += 8 {
			var m byte
			bb := b[j:min(j+8, n)]
			for k, v := range a[j:min(j+8, n)] {
				m |= b2u(v >= bb[k]) << (uint(k) & 7)
			}
			out[j>>3] = m
		}
	}
}

// cmpResult turns a three-way comparison into op's answer.
func cmpResult(op BinaryOp, c int) bool {
	switch op {
	case Eq:
		return c == 0
	case NotEq:
		return c != 0
	case Lt:
		return c < 0
	case LtEq:
		return c <= 0
	case Gt:
		return c > 0
	}
	return c >= 0
}

func setBit(out []byte, i int, v bool) {
	out[i>>3] |= b2u(v) << (uint(i) & 7)
}

// compareDec compares DECIMALs of one scale eight rows to a byte: every
// comparison is an equality or a "less than", with the operands swapped
// or the answer negated.
func compareDec(op BinaryOp, out []byte, l, r operand, n int) {
	a := arrowbuf.Values[decimal128.Num](l.arr)[:n]
	var b []decimal128.Num
	var c decimal128.Num
	if r.arr == nil {
		c = litValue[decimal128.Num](r.lit)
	} else {
		b = arrowbuf.Values[decimal128.Num](r.arr)[:n]
	}
	eq := op == Eq || op == NotEq
	swap := op == Gt || op == LtEq                 // a > b is b < a; a <= b is !(b < a)
	neg := op == NotEq || op == LtEq || op == GtEq // a >= b is !(a < b)
	for j := 0; j < n; j += 8 {
		var m byte
		for k := j; k < min(j+8, n); k++ {
			x, y := a[k], c
			if b != nil {
				y = b[k]
			}
			if swap {
				x, y = y, x
			}
			var t bool
			if eq {
				t = x == y
			} else {
				t = decLess(x, y)
			}
			m |= b2u(t != neg) << (uint(k) & 7)
		}
		out[j>>3] = m
	}
}

func compareStr(op BinaryOp, out []byte, l, r operand, n int) {
	a := l.arr.(*array.String)
	if r.arr == nil {
		c := litString(r.lit)
		if op == Eq || op == NotEq {
			eq := op == Eq
			for i := 0; i < n; i++ {
				setBit(out, i, (a.Value(i) == c) == eq)
			}
			return
		}
		for i := 0; i < n; i++ {
			setBit(out, i, cmpResult(op, strings.Compare(a.Value(i), c)))
		}
		return
	}
	b := r.arr.(*array.String)
	for i := 0; i < n; i++ {
		setBit(out, i, cmpResult(op, strings.Compare(a.Value(i), b.Value(i))))
	}
}

func compareBool(op BinaryOp, out []byte, l, r operand, n int) {
	la, ra := newBoolArg(l), newBoolArg(r)
	for i := 0; i < n; i++ {
		x, _ := la.get(i)
		y, _ := ra.get(i)
		setBit(out, i, cmpResult(op, int(b2u(x))-int(b2u(y))))
	}
}
