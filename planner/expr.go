package planner

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// Expr is a bound, typed logical expression. Column references are indexes
// into the input schema of the node that holds the expression, so rules
// that reshape plans rewrite them with remap. Expressions are immutable.
type Expr interface {
	Type() arrow.DataType
	String() string
	Children() []Expr
	WithChildren(children []Expr) Expr
}

// ColRef reads input column Index.
type ColRef struct {
	Index int
	Name  string
	Typ   arrow.DataType
}

// Lit is a constant.
type Lit struct {
	Value scalar.Scalar
}

// BinaryExpr applies a binary operator; operands already share a type
// (except temporal mixes, which the expr package defines).
type BinaryExpr struct {
	Op   expr.BinaryOp
	L, R Expr
	Typ  arrow.DataType
}

// NotExpr is NOT X.
type NotExpr struct{ X Expr }

// NegExpr is -X.
type NegExpr struct{ X Expr }

// IsNullExpr is X IS [NOT] NULL.
type IsNullExpr struct {
	X   Expr
	Not bool
}

// IsBoolExpr is X IS [NOT] TRUE|FALSE.
type IsBoolExpr struct {
	X     Expr
	Value bool
	Not   bool
}

// InExpr is X [NOT] IN (List).
type InExpr struct {
	X    Expr
	List []Expr
	Not  bool
}

// LikeExpr is X [NOT] LIKE Pattern.
type LikeExpr struct {
	X, Pattern Expr
	Escape     rune
	Not        bool
}

// CaseExpr is a searched CASE (simple CASE is bound into this form).
// Children are cond, result pairs, then Else if present.
type CaseExpr struct {
	Pairs []Expr // cond0, result0, cond1, result1, ...
	Else  Expr   // nil when absent
	Typ   arrow.DataType
}

// CastExpr is CAST(X AS To).
type CastExpr struct {
	X   Expr
	To  arrow.DataType
	Try bool
}

// ExtractExpr is EXTRACT(Unit FROM X).
type ExtractExpr struct {
	Unit string
	X    Expr
}

// CallExpr calls a registered scalar function.
type CallExpr struct {
	Func *expr.Func
	Args []Expr
	Typ  arrow.DataType
}

func (e *ColRef) Type() arrow.DataType      { return e.Typ }
func (e *Lit) Type() arrow.DataType         { return e.Value.DataType() }
func (e *BinaryExpr) Type() arrow.DataType  { return e.Typ }
func (e *NotExpr) Type() arrow.DataType     { return sqltypes.Boolean }
func (e *NegExpr) Type() arrow.DataType     { return e.X.Type() }
func (e *IsNullExpr) Type() arrow.DataType  { return sqltypes.Boolean }
func (e *IsBoolExpr) Type() arrow.DataType  { return sqltypes.Boolean }
func (e *InExpr) Type() arrow.DataType      { return sqltypes.Boolean }
func (e *LikeExpr) Type() arrow.DataType    { return sqltypes.Boolean }
func (e *CaseExpr) Type() arrow.DataType    { return e.Typ }
func (e *CastExpr) Type() arrow.DataType    { return e.To }
func (e *ExtractExpr) Type() arrow.DataType { return sqltypes.BigInt }
func (e *CallExpr) Type() arrow.DataType    { return e.Typ }

func (e *ColRef) Children() []Expr     { return nil }
func (e *Lit) Children() []Expr        { return nil }
func (e *BinaryExpr) Children() []Expr { return []Expr{e.L, e.R} }
func (e *NotExpr) Children() []Expr    { return []Expr{e.X} }
func (e *NegExpr) Children() []Expr    { return []Expr{e.X} }
func (e *IsNullExpr) Children() []Expr { return []Expr{e.X} }
func (e *IsBoolExpr) Children() []Expr { return []Expr{e.X} }
func (e *InExpr) Children() []Expr     { return append([]Expr{e.X}, e.List...) }
func (e *LikeExpr) Children() []Expr   { return []Expr{e.X, e.Pattern} }
func (e *CaseExpr) Children() []Expr {
	out := append([]Expr(nil), e.Pairs...)
	if e.Else != nil {
		out = append(out, e.Else)
	}
	return out
}
func (e *CastExpr) Children() []Expr    { return []Expr{e.X} }
func (e *ExtractExpr) Children() []Expr { return []Expr{e.X} }
func (e *CallExpr) Children() []Expr    { return e.Args }

func (e *ColRef) WithChildren([]Expr) Expr { return e }
func (e *Lit) WithChildren([]Expr) Expr    { return e }
func (e *BinaryExpr) WithChildren(c []Expr) Expr {
	return &BinaryExpr{Op: e.Op, L: c[0], R: c[1], Typ: e.Typ}
}
func (e *NotExpr) WithChildren(c []Expr) Expr    { return &NotExpr{X: c[0]} }
func (e *NegExpr) WithChildren(c []Expr) Expr    { return &NegExpr{X: c[0]} }
func (e *IsNullExpr) WithChildren(c []Expr) Expr { return &IsNullExpr{X: c[0], Not: e.Not} }
func (e *IsBoolExpr) WithChildren(c []Expr) Expr {
	return &IsBoolExpr{X: c[0], Value: e.Value, Not: e.Not}
}
func (e *InExpr) WithChildren(c []Expr) Expr {
	return &InExpr{X: c[0], List: append([]Expr(nil), c[1:]...), Not: e.Not}
}
func (e *LikeExpr) WithChildren(c []Expr) Expr {
	return &LikeExpr{X: c[0], Pattern: c[1], Escape: e.Escape, Not: e.Not}
}
func (e *CaseExpr) WithChildren(c []Expr) Expr {
	n := len(e.Pairs)
	out := &CaseExpr{Pairs: append([]Expr(nil), c[:n]...), Typ: e.Typ}
	if e.Else != nil {
		out.Else = c[n]
	}
	return out
}
func (e *CastExpr) WithChildren(c []Expr) Expr    { return &CastExpr{X: c[0], To: e.To, Try: e.Try} }
func (e *ExtractExpr) WithChildren(c []Expr) Expr { return &ExtractExpr{Unit: e.Unit, X: c[0]} }
func (e *CallExpr) WithChildren(c []Expr) Expr {
	return &CallExpr{Func: e.Func, Args: append([]Expr(nil), c...), Typ: e.Typ}
}

func (e *ColRef) String() string { return e.Name }
func (e *Lit) String() string    { return litString(e.Value) }
func (e *BinaryExpr) String() string {
	return fmt.Sprintf("%s %s %s", paren(e.L), e.Op, paren(e.R))
}
func (e *NotExpr) String() string { return "NOT " + paren(e.X) }
func (e *NegExpr) String() string { return "-" + paren(e.X) }
func (e *IsNullExpr) String() string {
	if e.Not {
		return paren(e.X) + " IS NOT NULL"
	}
	return paren(e.X) + " IS NULL"
}
func (e *IsBoolExpr) String() string {
	s := paren(e.X) + " IS "
	if e.Not {
		s += "NOT "
	}
	if e.Value {
		return s + "TRUE"
	}
	return s + "FALSE"
}
func (e *InExpr) String() string {
	items := make([]string, len(e.List))
	for i, x := range e.List {
		items[i] = x.String()
	}
	op := " IN ("
	if e.Not {
		op = " NOT IN ("
	}
	return paren(e.X) + op + strings.Join(items, ", ") + ")"
}
func (e *LikeExpr) String() string {
	op := " LIKE "
	if e.Not {
		op = " NOT LIKE "
	}
	return paren(e.X) + op + paren(e.Pattern)
}
func (e *CaseExpr) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	for i := 0; i < len(e.Pairs); i += 2 {
		fmt.Fprintf(&b, " WHEN %s THEN %s", e.Pairs[i], e.Pairs[i+1])
	}
	if e.Else != nil {
		fmt.Fprintf(&b, " ELSE %s", e.Else)
	}
	b.WriteString(" END")
	return b.String()
}
func (e *CastExpr) String() string {
	if e.Try {
		return fmt.Sprintf("TRY_CAST(%s AS %s)", e.X, typeName(e.To))
	}
	return fmt.Sprintf("CAST(%s AS %s)", e.X, typeName(e.To))
}
func (e *ExtractExpr) String() string { return fmt.Sprintf("EXTRACT(%s FROM %s)", e.Unit, e.X) }
func (e *CallExpr) String() string {
	args := make([]string, len(e.Args))
	for i, a := range e.Args {
		args[i] = a.String()
	}
	return e.Func.Name + "(" + strings.Join(args, ", ") + ")"
}

// paren wraps compound operands in parentheses for unambiguous printing.
func paren(e Expr) string {
	switch e.(type) {
	case *BinaryExpr, *InExpr, *LikeExpr, *IsNullExpr, *IsBoolExpr, *NotExpr:
		return "(" + e.String() + ")"
	}
	return e.String()
}

func litString(s scalar.Scalar) string {
	if !s.IsValid() {
		return "NULL"
	}
	switch v := s.(type) {
	case *scalar.String:
		return "'" + strings.ReplaceAll(v.String(), "'", "''") + "'"
	case *scalar.Timestamp:
		return "TIMESTAMP '" + sqltypes.FormatTimestamp(int64(v.Value)) + "'"
	case *scalar.Date32:
		return "DATE '" + string(sqltypes.AppendDate(nil, int32(v.Value))) + "'"
	case *scalar.Duration:
		return "INTERVAL '" + string(sqltypes.AppendInterval(nil, int64(v.Value))) + "'"
	case *scalar.Boolean:
		if v.Value {
			return "TRUE"
		}
		return "FALSE"
	case *scalar.Decimal128:
		return v.Value.ToString(v.Type.(*arrow.Decimal128Type).Scale)
	case *scalar.Float64:
		return string(sqltypes.AppendFloat(nil, v.Value, 64))
	case *scalar.Float32:
		return string(sqltypes.AppendFloat(nil, float64(v.Value), 32))
	}
	return s.String()
}

// transformExpr rewrites e bottom-up with f.
func transformExpr(e Expr, f func(Expr) Expr) Expr {
	kids := e.Children()
	if len(kids) > 0 {
		changed := false
		nk := make([]Expr, len(kids))
		for i, k := range kids {
			nk[i] = transformExpr(k, f)
			if nk[i] != k {
				changed = true
			}
		}
		if changed {
			e = e.WithChildren(nk)
		}
	}
	return f(e)
}

// walkExpr calls f on e and every descendant.
func walkExpr(e Expr, f func(Expr)) {
	f(e)
	for _, k := range e.Children() {
		walkExpr(k, f)
	}
}

// columnsUsed adds the input columns e reads to set.
func columnsUsed(e Expr, set map[int]bool) {
	walkExpr(e, func(x Expr) {
		if c, ok := x.(*ColRef); ok {
			set[c.Index] = true
		}
	})
}

// remap rewrites column indexes through m (old index → new index).
func remap(e Expr, m map[int]int) Expr {
	return transformExpr(e, func(x Expr) Expr {
		if c, ok := x.(*ColRef); ok {
			if n, ok := m[c.Index]; ok && n != c.Index {
				return &ColRef{Index: n, Name: c.Name, Typ: c.Typ}
			}
		}
		return x
	})
}

// substitute replaces each ColRef i with exprs[i] (inlining a projection).
func substitute(e Expr, exprs []Expr) Expr {
	return transformExpr(e, func(x Expr) Expr {
		if c, ok := x.(*ColRef); ok {
			return exprs[c.Index]
		}
		return x
	})
}

// conjoin joins predicates with AND.
func conjoin(es []Expr) Expr {
	if len(es) == 0 {
		return nil
	}
	out := es[0]
	for _, e := range es[1:] {
		out = &BinaryExpr{Op: expr.And, L: out, R: e, Typ: sqltypes.Boolean}
	}
	return out
}
