package expr

// Searched CASE and COALESCE, evaluated lazily per row: a condition or
// result that could fail is evaluated only on the rows that reach it, so
// `CASE WHEN b = 0 THEN 0 ELSE a / b END` never divides by zero. Branches
// that cannot fail are evaluated over the whole batch, which is cheaper than
// selecting rows.

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/sqltypes"
)

// When is one WHEN Cond THEN Result arm of a CASE.
type When struct{ Cond, Result Expr }

type caseExpr struct {
	whens []When
	els   Expr // nil: ELSE NULL
	typ   arrow.DataType
	// switchOn is set when every condition is `switchOn = keys[k]` with a
	// constant string (CASE WHEN lower(c) = 'a' THEN ... WHEN lower(c) =
	// 'b' ...): the expression is then evaluated once per batch, not once
	// per arm.
	switchOn Expr
	keys     []string
	// ranges is set when every condition compares one integer expression
	// with integer constants, under AND, OR and NOT (CASE WHEN HOUR(t) >= 8
	// AND HOUR(t) <= 18 THEN ... WHEN HOUR(t) <= 6 ...): the expression is
	// evaluated once per batch and each row's arm looked up from its value.
	ranges *rangeSwitch
}

var _ Expr = (*caseExpr)(nil)

// NewCase returns the searched CASE WHEN c1 THEN r1 ... [ELSE els] END; els
// may be nil (ELSE NULL). Conditions must be BOOLEAN; a NULL condition does
// not select its arm. The results should have one type (the planner casts
// them); results of other types are cast to their CommonType.
//
// Evaluation is lazy per row: each condition is evaluated only on rows that
// no earlier arm selected, and each result only on the rows that selected
// it, so errors of arms a row did not take never surface.
func NewCase(whens []When, els Expr) (Expr, error) {
	if len(whens) == 0 {
		return nil, errors.New("CASE needs at least one WHEN")
	}
	var typ arrow.DataType = sqltypes.Null
	for _, w := range whens {
		t, ok := CommonType(typ, w.Result.DataType())
		if !ok {
			return nil, fmt.Errorf("CASE results have no common type: %s and %s", sqltypes.Name(typ), sqltypes.Name(w.Result.DataType()))
		}
		typ = t
	}
	if els != nil {
		t, ok := CommonType(typ, els.DataType())
		if !ok {
			return nil, fmt.Errorf("CASE results have no common type: %s and %s", sqltypes.Name(typ), sqltypes.Name(els.DataType()))
		}
		typ = t
	}
	e := &caseExpr{typ: typ}
	for _, w := range whens {
		cond, err := coerceBool(w.Cond, "CASE WHEN")
		if err != nil {
			return nil, err
		}
		res, err := coerce(w.Result, typ)
		if err != nil {
			return nil, err
		}
		if s, ok := IsLiteral(cond); ok {
			if !s.IsValid() || !s.(*scalar.Boolean).Value {
				continue // never selected
			}
			if len(e.whens) == 0 {
				return res, nil // always selected first
			}
			els = res
			break
		}
		e.whens = append(e.whens, When{Cond: cond, Result: res})
	}
	if els != nil {
		var err error
		if els, err = coerce(els, typ); err != nil {
			return nil, err
		}
		e.els = els
	}
	if len(e.whens) == 0 {
		if e.els != nil {
			return e.els, nil
		}
		return NewLiteral(scalar.MakeNullScalar(typ)), nil
	}
	e.detectSwitch()
	if e.switchOn == nil {
		e.ranges = detectRanges(e.whens)
	}
	return e, nil
}

// detectSwitch sets switchOn and keys when every condition compares one
// string expression with a different constant.
func (e *caseExpr) detectSwitch() {
	if len(e.whens) < 2 {
		return
	}
	var on Expr
	keys := make([]string, 0, len(e.whens))
	for _, w := range e.whens {
		c, ok := w.Cond.(*compareExpr)
		if !ok || c.op != Eq || c.kind != physStr {
			return
		}
		x, lit := c.l, c.r
		if _, isLit := IsLiteral(x); isLit {
			x, lit = lit, x
		}
		s, ok := IsLiteral(lit)
		if !ok || !s.IsValid() {
			return
		}
		if _, isLit := IsLiteral(x); isLit {
			return
		}
		if on == nil {
			on = x
		} else if x.String() != on.String() || !arrow.TypeEqual(x.DataType(), on.DataType()) {
			return
		}
		keys = append(keys, litString(s))
	}
	e.switchOn, e.keys = on, keys
}

// switchAssign evaluates switchOn once and sets assign[i] to the first arm
// whose key equals row i's value; it returns the rows no arm takes.
func (e *caseExpr) switchAssign(ctx *Context, batch arrow.Record, assign []int16) ([]int32, error) {
	x, err := evalArray(ctx, e.switchOn, batch)
	if err != nil {
		return nil, err
	}
	defer x.Release()
	sa := newStrArg(operand{arr: x})
	remaining := make([]int32, 0, len(assign))
	for i := range assign {
		v, ok := sa.get(i)
		k := -1
		if ok {
			for j, key := range e.keys {
				if v == key {
					k = j
					break
				}
			}
		}
		if k < 0 {
			remaining = append(remaining, int32(i))
			continue
		}
		assign[i] = int16(k)
	}
	return remaining, nil
}

// coerceBool checks that e is BOOLEAN, casting a bare NULL.
func coerceBool(e Expr, what string) (Expr, error) {
	switch e.DataType().ID() {
	case arrow.BOOL:
		return e, nil
	case arrow.NULL:
		return coerce(e, sqltypes.Boolean)
	}
	return nil, fmt.Errorf("%s condition must be BOOLEAN, not %s", what, sqltypes.Name(e.DataType()))
}

func (e *caseExpr) DataType() arrow.DataType { return e.typ }
func (e *caseExpr) fallible() bool           { return false }

func (e *caseExpr) children() []Expr {
	var c []Expr
	for _, w := range e.whens {
		c = append(c, w.Cond, w.Result)
	}
	if e.els != nil {
		c = append(c, e.els)
	}
	return c
}

func (e *caseExpr) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, w := range e.whens {
		b.WriteString(" WHEN " + w.Cond.String() + " THEN " + w.Result.String())
	}
	if e.els != nil {
		b.WriteString(" ELSE " + e.els.String())
	}
	b.WriteString(" END")
	return b.String()
}

func (e *caseExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	n := int(batch.NumRows())
	assign := make([]int16, n)
	for i := range assign {
		assign[i] = -1
	}
	var (
		remaining []int32
		err       error
	)
	switch {
	case e.switchOn != nil:
		remaining, err = e.switchAssign(ctx, batch, assign)
	case e.ranges != nil:
		remaining, err = e.ranges.assign(ctx, batch, assign)
	default:
		remaining, err = e.condAssign(ctx, batch, assign)
	}
	if err != nil {
		return nil, err
	}
	left := len(remaining)
	results := make([]Expr, len(e.whens), len(e.whens)+1)
	for k, w := range e.whens {
		results[k] = w.Result
	}
	if e.els != nil && left > 0 {
		results = append(results, e.els)
		for _, r := range remaining {
			assign[r] = int16(len(e.whens))
		}
	}
	return evalBranches(ctx, batch, e.typ, results, assign)
}

// condAssign evaluates the conditions in order, each on the rows no earlier
// arm took (a condition that cannot fail on the whole batch, which is
// cheaper than selecting rows), sets assign[i] to the arm row i takes and
// returns the rows no arm takes.
func (e *caseExpr) condAssign(ctx *Context, batch arrow.Record, assign []int16) ([]int32, error) {
	n := len(assign)
	var remaining []int32 // nil: every row
	for k, w := range e.whens {
		if remaining != nil && len(remaining) == 0 {
			break
		}
		compact := remaining != nil && canFail(w.Cond)
		var cond arrow.Array
		var err error
		if compact {
			cond, err = evalRows(ctx, w.Cond, batch, remaining)
		} else {
			cond, err = w.Cond.Eval(ctx, batch)
		}
		if err != nil {
			return nil, err
		}
		cv, cvalid := boolBits(cond), validOf(cond)
		if remaining == nil {
			remaining = make([]int32, 0, n)
			for i := 0; i < n; i++ {
				if cvalid.isSet(i) && cv.isSet(i) {
					assign[i] = int16(k)
				} else {
					remaining = append(remaining, int32(i))
				}
			}
		} else {
			kept := remaining[:0]
			for j, r := range remaining {
				idx := int(r)
				if compact {
					idx = j
				}
				if cvalid.isSet(idx) && cv.isSet(idx) {
					assign[r] = int16(k)
				} else {
					kept = append(kept, r)
				}
			}
			remaining = kept
		}
		cond.Release()
	}
	return remaining, nil
}

// evalBranches evaluates results[k] for the rows with assign[row] == k and
// gathers them into one array; rows with assign < 0 are NULL.
func evalBranches(ctx *Context, batch arrow.Record, typ arrow.DataType, results []Expr, assign []int16) (arrow.Array, error) {
	n := len(assign)
	counts := make([]int, len(results))
	for _, k := range assign {
		if k >= 0 {
			counts[k]++
		}
	}
	for k, c := range counts {
		if c == n { // one branch takes every row
			return results[k].Eval(ctx, batch)
		}
	}
	srcs := make([]arrow.Array, len(results))
	defer func() {
		for _, s := range srcs {
			if s != nil {
				s.Release()
			}
		}
	}()
	pos := make([]int32, n)
	for k, res := range results {
		if counts[k] == 0 {
			continue
		}
		var err error
		switch lit, isLit := IsLiteral(res); {
		case isLit: // one row of the constant serves every row
			srcs[k], err = operand{lit: lit}.array(ctx.Mem, 1)
			for i, a := range assign {
				if int(a) == k {
					pos[i] = 0
				}
			}
		case !canFail(res) && !isCostly(res):
			srcs[k], err = res.Eval(ctx, batch)
			for i, a := range assign {
				if int(a) == k {
					pos[i] = int32(i)
				}
			}
		default:
			rows := make([]int32, 0, counts[k])
			for i, a := range assign {
				if int(a) == k {
					pos[i] = int32(len(rows))
					rows = append(rows, int32(i))
				}
			}
			srcs[k], err = evalRows(ctx, res, batch, rows)
		}
		if err != nil {
			return nil, err
		}
	}
	return gather(ctx.Mem, typ, n, srcs, assign, pos), nil
}

// ---------------------------------------------------------------------------
// COALESCE

type coalesceExpr struct {
	args []Expr
	typ  arrow.DataType
}

var _ Expr = (*coalesceExpr)(nil)

// newCoalesce returns COALESCE(args...): the first non-NULL argument, each
// argument evaluated only on the rows still NULL.
func newCoalesce(args []Expr, typ arrow.DataType) (Expr, error) {
	cast := make([]Expr, 0, len(args))
	for _, a := range args {
		c, err := coerce(a, typ)
		if err != nil {
			return nil, err
		}
		if s, ok := IsLiteral(c); ok && !s.IsValid() {
			continue // NULL never wins
		}
		cast = append(cast, c)
		if _, ok := IsLiteral(c); ok {
			break // a constant ends the search
		}
	}
	switch len(cast) {
	case 0:
		return NewLiteral(scalar.MakeNullScalar(typ)), nil
	case 1:
		return cast[0], nil
	}
	return &coalesceExpr{args: cast, typ: typ}, nil
}

func (e *coalesceExpr) DataType() arrow.DataType { return e.typ }
func (e *coalesceExpr) children() []Expr         { return e.args }
func (e *coalesceExpr) fallible() bool           { return false }
func (e *coalesceExpr) String() string           { return callString("COALESCE", e.args) }

func (e *coalesceExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	n := int(batch.NumRows())
	first, err := e.args[0].Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	if first.NullN() == 0 {
		return first, nil
	}
	srcs := make([]arrow.Array, len(e.args))
	defer func() {
		for _, s := range srcs {
			if s != nil {
				s.Release()
			}
		}
	}()
	srcs[0] = first
	assign := make([]int16, n)
	pos := make([]int32, n)
	var remaining []int32
	for i := 0; i < n; i++ {
		pos[i] = int32(i)
		if first.IsNull(i) {
			assign[i] = -1
			remaining = append(remaining, int32(i))
		}
	}
	for k := 1; k < len(e.args) && len(remaining) > 0; k++ {
		a := e.args[k]
		var arr arrow.Array
		compact := false
		if lit, ok := IsLiteral(a); ok {
			arr, err = operand{lit: lit}.array(ctx.Mem, 1)
		} else if compact = canFail(a); compact {
			arr, err = evalRows(ctx, a, batch, remaining)
		} else {
			arr, err = a.Eval(ctx, batch)
		}
		if err != nil {
			return nil, err
		}
		srcs[k] = arr
		kept := remaining[:0]
		for j, r := range remaining {
			idx := int(r)
			switch {
			case arr.Len() == 1 && n != 1:
				idx = 0
			case compact:
				idx = j
			}
			if arr.IsValid(idx) {
				assign[r] = int16(k)
				pos[r] = int32(idx)
			} else {
				kept = append(kept, r)
			}
		}
		remaining = kept
	}
	return gather(ctx.Mem, e.typ, n, srcs, assign, pos), nil
}

// callString renders NAME(arg, ...).
func callString(name string, args []Expr) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.String()
	}
	return name + "(" + strings.Join(parts, ", ") + ")"
}
