package expr

// x [NOT] IN (list). A list of literals becomes a typed set built once; a
// list with computed items is an OR of equalities.

import (
	"errors"
	"github.com/weirsql/weir/internal/arrowbuf"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/sqltypes"
)

type inExpr struct {
	x    Expr
	list []Expr
	not  bool
	// A literal list: the set of its non-NULL values and whether it holds
	// a NULL.
	set     inSet
	hasNull bool
	// A computed list: x = a OR x = b ..., negated for NOT IN.
	general Expr
}

var _ Expr = (*inExpr)(nil)

// NewIn returns x IN (list), or x NOT IN (list) when not is set, with SQL
// semantics: TRUE if x equals an item; otherwise NULL if x or any item is
// NULL; otherwise FALSE (NOT IN negates, so NULL stays NULL). x and the items
// are compared in their common type, as = compares them.
func NewIn(x Expr, list []Expr, not bool) (Expr, error) {
	if len(list) == 0 {
		return nil, errors.New("IN needs at least one value")
	}
	t := x.DataType()
	for _, it := range list {
		p, err := planBinary(Eq, t, it.DataType())
		if err != nil {
			return nil, err
		}
		t = p.lt
	}
	if isNullType(t) {
		return NewLiteral(scalar.MakeNullScalar(sqltypes.Boolean)), nil
	}
	var err error
	if x, err = coerce(x, t); err != nil {
		return nil, err
	}
	items := make([]Expr, len(list))
	allLit := true
	for i, it := range list {
		if items[i], err = coerce(it, t); err != nil {
			return nil, err
		}
		if _, ok := IsLiteral(items[i]); !ok {
			allLit = false
		}
	}
	e := &inExpr{x: x, list: items, not: not}
	if allLit {
		lits := make([]scalar.Scalar, 0, len(items))
		for _, it := range items {
			s, _ := IsLiteral(it)
			if !s.IsValid() {
				e.hasNull = true
				continue
			}
			lits = append(lits, s)
		}
		e.set = newInSet(physOf(t), lits)
		return foldConstant(e), nil
	}
	var or Expr
	for _, it := range items {
		eq, err := NewBinary(Eq, x, it)
		if err != nil {
			return nil, err
		}
		if or == nil {
			or = eq
		} else if or, err = NewBinary(Or, or, eq); err != nil {
			return nil, err
		}
	}
	if not {
		if or, err = NewNot(or); err != nil {
			return nil, err
		}
	}
	e.general = or
	return e, nil
}

func (e *inExpr) DataType() arrow.DataType { return sqltypes.Boolean }
func (e *inExpr) fallible() bool           { return false }

func (e *inExpr) children() []Expr {
	if e.general != nil {
		return []Expr{e.general}
	}
	return []Expr{e.x}
}

func (e *inExpr) String() string {
	parts := make([]string, len(e.list))
	for i, it := range e.list {
		parts[i] = it.String()
	}
	op := " IN ("
	if e.not {
		op = " NOT IN ("
	}
	return parenthesize(e.x) + op + strings.Join(parts, ", ") + ")"
}

func (e *inExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	if e.general != nil {
		return e.general.Eval(ctx, batch)
	}
	x, err := e.x.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer x.Release()
	n := x.Len()
	found := make([]byte, (n+7)/8)
	if n > 0 {
		e.set.probe(x, found)
	}
	xv := validOf(x).aligned(n)
	vals, out := arrowbuf.AllocBits(ctx.Mem, n)
	validBuf, vb := arrowbuf.AllocBits(ctx.Mem, n)
	for i := range out {
		m := byte(0xFF)
		if xv != nil {
			m = xv[i]
		}
		f := found[i]
		valid := m
		if e.hasNull {
			valid &= f
		}
		v := f
		if e.not {
			v = ^f
		}
		out[i] = v & valid
		vb[i] = valid
	}
	return newArray(sqltypes.Boolean, n, validBuf, vals), nil
}

// inSet finds the rows of an array whose value is in a constant set.
type inSet interface {
	// probe sets bit i of found for every row i of x whose value is in the
	// set (NULL rows may be set too; the caller masks them).
	probe(x arrow.Array, found []byte)
}

func newInSet(k phys, lits []scalar.Scalar) inSet {
	switch k {
	case physI32:
		return newValueSet[int32](lits)
	case physI64:
		return newValueSet[int64](lits)
	case physF32:
		return newValueSet[float32](lits)
	case physF64:
		return newValueSet[float64](lits)
	case physDec:
		return newValueSet[decimal128.Num](lits)
	case physBool:
		s := &boolSet{}
		for _, l := range lits {
			if l.(*scalar.Boolean).Value {
				s.t = true
			} else {
				s.f = true
			}
		}
		return s
	case physStr:
		s := &strSet{m: make(map[string]struct{}, len(lits))}
		for _, l := range lits {
			s.m[litString(l)] = struct{}{}
			s.list = append(s.list, litString(l))
		}
		return s
	}
	panic("expr: no IN set for this type")
}

// valueSet is a set of fixed-width values: a slice scanned linearly when
// small, a map otherwise.
type valueSet[T comparable] struct {
	list []T
	m    map[T]struct{}
}

const smallSet = 8

func newValueSet[T comparable](lits []scalar.Scalar) *valueSet[T] {
	s := &valueSet[T]{}
	for _, l := range lits {
		s.list = append(s.list, litValue[T](l))
	}
	if len(s.list) > smallSet {
		s.m = make(map[T]struct{}, len(s.list))
		for _, v := range s.list {
			s.m[v] = struct{}{}
		}
	}
	return s
}

func (s *valueSet[T]) probe(x arrow.Array, found []byte) {
	in := arrowbuf.Values[T](x)
	if s.m != nil {
		for i, v := range in {
			if _, ok := s.m[v]; ok {
				found[i>>3] |= 1 << (uint(i) & 7)
			}
		}
		return
	}
	for i, v := range in {
		for _, c := range s.list {
			if v == c {
				found[i>>3] |= 1 << (uint(i) & 7)
				break
			}
		}
	}
}

type strSet struct {
	list []string
	m    map[string]struct{}
}

func (s *strSet) probe(x arrow.Array, found []byte) {
	a := x.(*array.String)
	for i := 0; i < a.Len(); i++ {
		v := a.Value(i)
		hit := false
		if len(s.list) <= smallSet {
			for _, c := range s.list {
				if v == c {
					hit = true
					break
				}
			}
		} else {
			_, hit = s.m[v]
		}
		if hit {
			found[i>>3] |= 1 << (uint(i) & 7)
		}
	}
}

type boolSet struct{ t, f bool }

func (s *boolSet) probe(x arrow.Array, found []byte) {
	b := boolBits(x)
	for i := 0; i < x.Len(); i++ {
		if v := b.isSet(i); (v && s.t) || (!v && s.f) {
			found[i>>3] |= 1 << (uint(i) & 7)
		}
	}
}
