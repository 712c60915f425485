package expr

// Boolean logic: AND and OR with SQL's three-valued (Kleene) logic, NOT,
// IS [NOT] NULL and IS [NOT] TRUE/FALSE, all as byte-wide bitmap
// operations.

import (
	"fmt"
	"github.com/weirsql/weir/internal/arrowbuf"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

type logicExpr struct {
	op   BinaryOp // And or Or
	l, r Expr
}

var _ Expr = (*logicExpr)(nil)

func (e *logicExpr) DataType() arrow.DataType { return sqltypes.Boolean }
func (e *logicExpr) String() string           { return binaryString(e.op, e.l, e.r) }
func (e *logicExpr) children() []Expr         { return []Expr{e.l, e.r} }
func (e *logicExpr) fallible() bool           { return false }

func (e *logicExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	n := int(batch.NumRows())
	first, second := e.l, e.r
	if isCostly(first) && !isCostly(second) && !canFail(first) {
		// AND and OR are commutative: evaluate the cheap side first, and
		// the costly one only where it matters.
		first, second = second, first
	}
	l, err := evalArray(ctx, first, batch)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	if !canFail(second) && !isCostly(second) {
		r, err := evalArray(ctx, second, batch)
		if err != nil {
			return nil, err
		}
		defer r.Release()
		return kleene(ctx.Mem, e.op, l, r, n), nil
	}
	// The right side may fail or is costly: evaluate it only where the
	// left side does not decide the answer (FALSE for AND, TRUE for OR).
	decisive := e.op == Or
	lv, lval := boolBits(l), validOf(l)
	need := make([]int32, 0, n)
	for i := 0; i < n; i++ {
		if !lval.isSet(i) || lv.isSet(i) != decisive {
			need = append(need, int32(i))
		}
	}
	if len(need) == n {
		r, err := evalArray(ctx, second, batch)
		if err != nil {
			return nil, err
		}
		defer r.Release()
		return kleene(ctx.Mem, e.op, l, r, n), nil
	}
	var r arrow.Array
	if len(need) > 0 {
		if r, err = evalRows(ctx, second, batch, need); err != nil {
			return nil, err
		}
		defer r.Release()
	}
	out := newBoolOut(ctx.Mem, n)
	rv, rval := bitmap{}, bitmap{}
	if r != nil {
		rv, rval = boolBits(r), validOf(r)
	}
	j := 0
	for i := 0; i < n; i++ {
		if j < len(need) && int(need[j]) == i {
			lok, rok := lval.isSet(i), rval.isSet(j)
			x, y := lok && lv.isSet(i), rok && rv.isSet(j)
			switch {
			case rok && y == decisive:
				out.set(i, decisive)
			case lok && rok:
				out.set(i, x && y || (decisive && (x || y)))
			default:
				out.setNull(i)
			}
			j++
			continue
		}
		out.set(i, decisive)
	}
	return out.finish(), nil
}

// evalArray evaluates e to an array, materializing a literal.
func evalArray(ctx *Context, e Expr, batch arrow.Record) (arrow.Array, error) {
	return e.Eval(ctx, batch)
}

// kleene combines two Boolean arrays of n rows with AND or OR.
func kleene(mem memory.Allocator, op BinaryOp, l, r arrow.Array, n int) arrow.Array {
	lv, rv := boolBits(l).aligned(n), boolBits(r).aligned(n)
	lm, rm := validOf(l).aligned(n), validOf(r).aligned(n)
	vals, out := arrowbuf.AllocBits(mem, n)
	var valid *memory.Buffer
	var vb []byte
	if lm != nil || rm != nil {
		valid, vb = arrowbuf.AllocBits(mem, n)
	}
	for i := range out {
		lmask, rmask := byte(0xFF), byte(0xFF)
		if lm != nil {
			lmask = lm[i]
		}
		if rm != nil {
			rmask = rm[i]
		}
		lt, lf := lv[i]&lmask, ^lv[i]&lmask
		rt, rf := rv[i]&rmask, ^rv[i]&rmask
		var t, f byte
		if op == And {
			t, f = lt&rt, lf|rf
		} else {
			t, f = lt|rt, lf&rf
		}
		out[i] = t
		if vb != nil {
			vb[i] = t | f
		}
	}
	return newArray(sqltypes.Boolean, n, valid, vals)
}

// ---------------------------------------------------------------------------
// NOT

type notExpr struct{ x Expr }

var _ Expr = (*notExpr)(nil)

// NewNot returns NOT x for a BOOLEAN x (NOT NULL is NULL).
func NewNot(x Expr) (Expr, error) {
	if isNullType(x.DataType()) {
		x = &castExpr{x: x, to: sqltypes.Boolean, fn: castNull}
	}
	if x.DataType().ID() != arrow.BOOL {
		return nil, fmt.Errorf("cannot apply NOT to %s", sqltypes.Name(x.DataType()))
	}
	return foldConstant(&notExpr{x: x}), nil
}

func (e *notExpr) DataType() arrow.DataType { return sqltypes.Boolean }
func (e *notExpr) String() string           { return "NOT " + parenthesize(e.x) }
func (e *notExpr) children() []Expr         { return []Expr{e.x} }
func (e *notExpr) fallible() bool           { return false }

func (e *notExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	x, err := e.x.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer x.Release()
	n := x.Len()
	v := boolBits(x).aligned(n)
	vals, out := arrowbuf.AllocBits(ctx.Mem, n)
	for i := range out {
		out[i] = ^v[i]
	}
	return newArray(sqltypes.Boolean, n, shareValidity(ctx.Mem, x), vals), nil
}

// parenthesize wraps operator expressions in parentheses for printing.
func parenthesize(e Expr) string {
	switch e.(type) {
	case *arithExpr, *compareExpr, *logicExpr, *concatExpr, *isNullExpr, *isBoolExpr, *inExpr, *likeExpr:
		return "(" + e.String() + ")"
	}
	return e.String()
}

// ---------------------------------------------------------------------------
// IS [NOT] NULL

type isNullExpr struct {
	x   Expr
	not bool
}

var _ Expr = (*isNullExpr)(nil)

// NewIsNull returns x IS NULL, or x IS NOT NULL when not is set. The result
// is never NULL.
func NewIsNull(x Expr, not bool) Expr {
	return foldConstant(&isNullExpr{x: x, not: not})
}

func (e *isNullExpr) DataType() arrow.DataType { return sqltypes.Boolean }
func (e *isNullExpr) children() []Expr         { return []Expr{e.x} }
func (e *isNullExpr) fallible() bool           { return false }

func (e *isNullExpr) String() string {
	if e.not {
		return parenthesize(e.x) + " IS NOT NULL"
	}
	return parenthesize(e.x) + " IS NULL"
}

func (e *isNullExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	n := int(batch.NumRows())
	if s, ok := IsLiteral(e.x); ok {
		return constBool(ctx.Mem, n, s.IsValid() == e.not), nil
	}
	if f, ok := e.x.(*funcExpr); ok {
		if arr, ok, err := f.evalNullness(ctx, batch, e.not); ok {
			return arr, err
		}
	}
	x, err := e.x.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer x.Release()
	valid := validOf(x).aligned(n)
	vals, out := arrowbuf.AllocBits(ctx.Mem, n)
	for i := range out {
		v := byte(0xFF)
		if valid != nil {
			v = valid[i]
		}
		if e.not {
			out[i] = v
		} else {
			out[i] = ^v
		}
	}
	return newArray(sqltypes.Boolean, n, nil, vals), nil
}

// constBool returns n copies of a non-NULL Boolean.
func constBool(mem memory.Allocator, n int, v bool) arrow.Array {
	vals, out := arrowbuf.AllocBits(mem, n)
	if v {
		for i := range out {
			out[i] = 0xFF
		}
	}
	return newArray(sqltypes.Boolean, n, nil, vals)
}

// ---------------------------------------------------------------------------
// IS [NOT] TRUE / FALSE

type isBoolExpr struct {
	x          Expr
	value, not bool
}

var _ Expr = (*isBoolExpr)(nil)

// NewIsBool returns x IS [NOT] TRUE or x IS [NOT] FALSE. The result is never
// NULL: NULL IS TRUE is FALSE, NULL IS NOT TRUE is TRUE.
func NewIsBool(x Expr, value, not bool) (Expr, error) {
	if isNullType(x.DataType()) {
		x = &castExpr{x: x, to: sqltypes.Boolean, fn: castNull}
	}
	if x.DataType().ID() != arrow.BOOL {
		return nil, fmt.Errorf("cannot apply IS %s to %s", boolWord(value), sqltypes.Name(x.DataType()))
	}
	return foldConstant(&isBoolExpr{x: x, value: value, not: not}), nil
}

func boolWord(v bool) string {
	if v {
		return "TRUE"
	}
	return "FALSE"
}

func (e *isBoolExpr) DataType() arrow.DataType { return sqltypes.Boolean }
func (e *isBoolExpr) children() []Expr         { return []Expr{e.x} }
func (e *isBoolExpr) fallible() bool           { return false }

func (e *isBoolExpr) String() string {
	s := parenthesize(e.x) + " IS "
	if e.not {
		s += "NOT "
	}
	return s + boolWord(e.value)
}

func (e *isBoolExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	x, err := e.x.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer x.Release()
	n := x.Len()
	v := boolBits(x).aligned(n)
	valid := validOf(x).aligned(n)
	vals, out := arrowbuf.AllocBits(ctx.Mem, n)
	for i := range out {
		m := byte(0xFF)
		if valid != nil {
			m = valid[i]
		}
		b := v[i]
		if !e.value {
			b = ^b
		}
		b &= m
		if e.not {
			b = ^b
		}
		out[i] = b
	}
	return newArray(sqltypes.Boolean, n, nil, vals), nil
}
