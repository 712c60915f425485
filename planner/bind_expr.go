package planner

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/diag"
	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/parser"
	"github.com/weirsql/weir/sqltypes"
)

// scope is the set of columns an expression may name.
type scope struct {
	cols []scopeCol
	// unusable, when set, is asked about a name the scope lacks; it returns
	// the error to report when the name exists but may not be read here
	// (a computed column inside another), or nil.
	unusable func(ref *parser.ColumnRef) error
	// over maps the OVER aggregate calls of a select list to their result
	// columns (see bindOverAgg).
	over map[*parser.FuncCall]*ColRef
}

type scopeCol struct {
	table    string
	name     string
	typ      arrow.DataType
	procTime bool // a processing-time attribute (see Column.ProcTime)
}

func scopeOf(s *Schema, table string) *scope {
	sc := &scope{cols: make([]scopeCol, len(s.Columns))}
	for i, c := range s.Columns {
		t := c.Table
		if table != "" {
			t = table
		}
		sc.cols[i] = scopeCol{table: t, name: c.Name, typ: c.Type, procTime: c.ProcTime}
	}
	return sc
}

func (sc *scope) tables() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range sc.cols {
		if c.table != "" && !seen[strings.ToLower(c.table)] {
			seen[strings.ToLower(c.table)] = true
			out = append(out, c.table)
		}
	}
	return out
}

func nameEq(id parser.Ident, name string) bool {
	if id.Quoted {
		return id.Name == name
	}
	return strings.EqualFold(id.Name, name)
}

// resolve finds a column reference in the scope.
func (sc *scope) resolve(ref *parser.ColumnRef) (int, error) {
	found := -1
	for i, c := range sc.cols {
		if ref.Table != nil && !nameEq(*ref.Table, c.table) {
			continue
		}
		if !nameEq(ref.Column, c.name) {
			continue
		}
		if found >= 0 {
			return 0, errorf(ErrAmbiguous, ref.Pos, "column %q is ambiguous", ref.Column.Name).
				WithHint("qualify it with its source: %s.%s or %s.%s", sc.cols[found].table, c.name, c.table, c.name)
		}
		found = i
	}
	if found >= 0 {
		return found, nil
	}
	if ref.Table != nil {
		known := false
		for _, t := range sc.tables() {
			if nameEq(*ref.Table, t) {
				known = true
			}
		}
		if !known {
			msg := fmt.Sprintf("unknown source or alias %q", ref.Table.Name)
			if s, ok := closest(ref.Table.Name, sc.tables()); ok {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return 0, errorf(ErrUnknownTable, ref.Table.Pos, "%s", msg)
		}
	}
	if sc.unusable != nil {
		if err := sc.unusable(ref); err != nil {
			return 0, err
		}
	}
	var names []string
	for _, c := range sc.cols {
		if ref.Table == nil || nameEq(*ref.Table, c.table) {
			names = append(names, c.name)
		}
	}
	msg := fmt.Sprintf("unknown column %q", ref.Column.Name)
	if ts := sc.tables(); len(ts) > 0 {
		if ref.Table != nil {
			msg += " in " + ref.Table.Name
		} else {
			msg += " in " + strings.Join(ts, ", ")
		}
	}
	if s, ok := closest(ref.Column.Name, names); ok {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return 0, errorf(ErrUnknownColumn, ref.Column.Pos, "%s", msg)
}

// exprBinder binds AST expressions against a scope.
type exprBinder struct {
	sc *scope
	// clause names the clause being bound, for messages ("WHERE").
	clause string
	// aggs, when set, collects aggregate calls (the select list and HAVING
	// of an aggregating query); inAggregate is set inside their arguments.
	aggs        *aggContext
	inAggregate bool
	// colPos records where each bound column reference was written, for
	// errors found after binding.
	colPos map[*ColRef]parser.Pos
	// rewrite, when set, maps results onto an aggregate's output (ORDER BY
	// of an aggregating query).
	rewrite *aggRewriter
}

// bindOutput binds e and, in an aggregating query's ORDER BY, maps it onto
// the aggregate's output.
func (b *exprBinder) bindOutput(e parser.Expr) (Expr, error) {
	x, err := b.bind(e)
	if err != nil || b.rewrite == nil {
		return x, err
	}
	return b.rewrite.rewrite(x)
}

func (b *exprBinder) bind(e parser.Expr) (Expr, error) {
	switch e := e.(type) {
	case *parser.ColumnRef:
		i, err := b.sc.resolve(e)
		if err != nil {
			return nil, err
		}
		c := b.sc.cols[i]
		ref := &ColRef{Index: i, Name: c.name, Typ: c.typ}
		if b.colPos != nil {
			b.colPos[ref] = e.Pos
		}
		return ref, nil
	case *parser.Literal:
		return bindLiteral(e)
	case *parser.IntervalLit:
		ms, err := intervalMillis(e)
		if err != nil {
			return nil, err
		}
		return &Lit{Value: scalar.NewDurationScalar(arrow.Duration(ms), sqltypes.Interval.(*arrow.DurationType))}, nil
	case *parser.TypedLit:
		return bindTypedLit(e.Type, e.Value, e.Pos)
	case *parser.Binary:
		return b.bindBinary(e)
	case *parser.Unary:
		return b.bindUnary(e)
	case *parser.IsNull:
		x, err := b.bind(e.X)
		if err != nil {
			return nil, err
		}
		return &IsNullExpr{X: x, Not: e.Not}, nil
	case *parser.IsBool:
		x, err := b.bindBool(e.X, "IS TRUE/FALSE")
		if err != nil {
			return nil, err
		}
		return &IsBoolExpr{X: x, Value: e.Value, Not: e.Not}, nil
	case *parser.In:
		return b.bindIn(e)
	case *parser.Between:
		return b.bindBetween(e)
	case *parser.Like:
		return b.bindLike(e)
	case *parser.Case:
		return b.bindCase(e)
	case *parser.Cast:
		return b.bindCast(e)
	case *parser.Extract:
		x, err := b.bind(e.X)
		if err != nil {
			return nil, err
		}
		if _, err := expr.NewExtract(e.Unit, expr.NewColumn(0, "x", x.Type())); err != nil {
			return nil, errorf(ErrType, e.Pos, "%v", err)
		}
		return &ExtractExpr{Unit: e.Unit, X: x}, nil
	case *parser.FuncCall:
		return b.bindCall(e)
	case *parser.Subquery:
		return nil, errorf(ErrUnsupported, e.Pos, "subqueries in expressions are not supported").
			WithHint("join the subquery in FROM instead")
	}
	return nil, errorf(ErrUnsupported, e.Position(), "unsupported expression %T", e)
}

func bindLiteral(e *parser.Literal) (Expr, error) {
	switch e.Kind {
	case parser.LitNull:
		return &Lit{Value: scalar.MakeNullScalar(arrow.Null)}, nil
	case parser.LitBool:
		return &Lit{Value: scalar.NewBooleanScalar(strings.EqualFold(e.Value, "TRUE"))}, nil
	case parser.LitString:
		return &Lit{Value: scalar.NewStringScalar(e.Value)}, nil
	case parser.LitInt:
		n, err := strconv.ParseInt(e.Value, 10, 64)
		if err != nil {
			return bindDecimalLiteral(e)
		}
		if n >= math.MinInt32 && n <= math.MaxInt32 {
			return &Lit{Value: scalar.NewInt32Scalar(int32(n))}, nil
		}
		return &Lit{Value: scalar.NewInt64Scalar(n)}, nil
	case parser.LitFloat:
		if strings.ContainsAny(e.Value, "eE") {
			f, err := strconv.ParseFloat(e.Value, 64)
			if err != nil {
				return nil, errorf(ErrType, e.Pos, "bad number %s", e.Value)
			}
			return &Lit{Value: scalar.NewFloat64Scalar(f)}, nil
		}
		return bindDecimalLiteral(e)
	}
	return nil, errorf(ErrType, e.Pos, "bad literal %q", e.Value)
}

// bindDecimalLiteral types an exact numeric literal as the narrowest DECIMAL
// that holds it, as Flink does (1.50 is DECIMAL(3, 2)).
func bindDecimalLiteral(e *parser.Literal) (Expr, error) {
	v := strings.TrimLeft(e.Value, "+")
	digits := strings.TrimLeft(strings.Replace(strings.TrimLeft(v, "-"), ".", "", 1), "0")
	scale := 0
	if i := strings.IndexByte(v, '.'); i >= 0 {
		scale = len(v) - i - 1
	}
	prec := max(len(digits), scale, 1)
	if prec > 38 {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, errorf(ErrType, e.Pos, "bad number %s", e.Value)
		}
		return &Lit{Value: scalar.NewFloat64Scalar(f)}, nil
	}
	n, err := decimal128.FromString(v, int32(prec), int32(scale))
	if err != nil {
		return nil, errorf(ErrType, e.Pos, "bad number %s: %v", e.Value, err)
	}
	return &Lit{Value: scalar.NewDecimal128Scalar(n, sqltypes.Decimal(int32(prec), int32(scale)))}, nil
}

func bindTypedLit(typ, value string, pos parser.Pos) (Expr, error) {
	switch typ {
	case "TIMESTAMP":
		ms, err := sqltypes.ParseTimestamp(value)
		if err != nil {
			return nil, errorf(ErrType, pos, "'%s' is %v", value, err)
		}
		return &Lit{Value: scalar.NewTimestampScalar(arrow.Timestamp(ms), sqltypes.Timestamp)}, nil
	case "DATE":
		d, err := sqltypes.ParseDate(value)
		if err != nil {
			return nil, errorf(ErrType, pos, "%v", err)
		}
		return &Lit{Value: scalar.NewDate32Scalar(arrow.Date32(d))}, nil
	}
	return nil, errorf(ErrType, pos, "unknown literal type %s", typ)
}

var unitMillis = map[string]int64{
	"MILLISECOND": 1, "SECOND": 1000, "MINUTE": 60_000, "HOUR": 3_600_000,
	"DAY": 86_400_000, "WEEK": 7 * 86_400_000,
}

// intervalMillis evaluates INTERVAL '10' SECOND and INTERVAL '1 minute'.
func intervalMillis(e *parser.IntervalLit) (int64, error) {
	value, unit := strings.TrimSpace(e.Value), e.Unit
	if unit == "" {
		fields := strings.Fields(value)
		if len(fields) != 2 {
			return 0, errorf(ErrType, e.Pos, "bad interval '%s'", e.Value).
				WithHint("write INTERVAL '10' SECOND or INTERVAL '10 seconds'")
		}
		value = fields[0]
		unit = strings.TrimSuffix(strings.ToUpper(fields[1]), "S")
		if unit == "MS" || unit == "MILLI" {
			unit = "MILLISECOND"
		}
	}
	if unit == "MONTH" || unit == "YEAR" || unit == "QUARTER" {
		return 0, errorf(ErrUnsupported, e.Pos, "year-month intervals are not supported").
			WithHint("use days: INTERVAL '30' DAY")
	}
	mult, ok := unitMillis[unit]
	if !ok {
		return 0, errorf(ErrType, e.Pos, "unknown interval unit %q", unit).
			WithHint("units are MILLISECOND, SECOND, MINUTE, HOUR, DAY and WEEK")
	}
	f, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return 0, errorf(ErrType, e.Pos, "bad interval value '%s'", value)
	}
	return int64(math.Round(f * float64(mult))), nil
}

var binaryOps = map[string]expr.BinaryOp{
	"+": expr.Add, "-": expr.Sub, "*": expr.Mul, "/": expr.Div, "%": expr.Mod,
	"||": expr.Concat, "=": expr.Eq, "<>": expr.NotEq, "<": expr.Lt, "<=": expr.LtEq,
	">": expr.Gt, ">=": expr.GtEq, "AND": expr.And, "OR": expr.Or,
}

func (b *exprBinder) bindBool(e parser.Expr, what string) (Expr, error) {
	x, err := b.bind(e)
	if err != nil {
		return nil, err
	}
	switch x.Type().ID() {
	case arrow.BOOL:
		return x, nil
	case arrow.NULL:
		return castTo(x, sqltypes.Boolean), nil
	}
	return nil, errorf(ErrType, e.Position(), "%s needs a BOOLEAN, got %s", what, typeName(x.Type()))
}

func (b *exprBinder) bindBinary(e *parser.Binary) (Expr, error) {
	op, ok := binaryOps[e.Op]
	if !ok {
		return nil, errorf(ErrUnsupported, e.Pos, "unknown operator %s", e.Op)
	}
	if op == expr.And || op == expr.Or {
		l, err := b.bindBool(e.Left, e.Op)
		if err != nil {
			return nil, err
		}
		r, err := b.bindBool(e.Right, e.Op)
		if err != nil {
			return nil, err
		}
		return &BinaryExpr{Op: op, L: l, R: r, Typ: sqltypes.Boolean}, nil
	}
	l, err := b.bind(e.Left)
	if err != nil {
		return nil, err
	}
	r, err := b.bind(e.Right)
	if err != nil {
		return nil, err
	}
	return makeBinary(op, l, r, e.Left.Position(), e.Right.Position(), e.Pos)
}

// makeBinary coerces the operands of op and builds the typed expression.
func makeBinary(op expr.BinaryOp, l, r Expr, lpos, rpos, pos parser.Pos) (Expr, error) {
	var err error
	if op == expr.Concat {
		// || accepts any operands and reads them as text.
		l, r = castTo(l, sqltypes.Varchar), castTo(r, sqltypes.Varchar)
	} else if l, r, err = coercePair(l, r, lpos, rpos, op); err != nil {
		return nil, err
	}
	t, terr := expr.BinaryResultType(op, l.Type(), r.Type())
	if terr != nil {
		return nil, errorf(ErrType, pos, "%v", terr)
	}
	return &BinaryExpr{Op: op, L: l, R: r, Typ: t}, nil
}

// coercePair widens two operands to their common type. Temporal arithmetic
// (TIMESTAMP + INTERVAL) keeps both types; a string literal meeting a
// TIMESTAMP or DATE is read as one.
func coercePair(l, r Expr, lpos, rpos parser.Pos, op expr.BinaryOp) (Expr, Expr, error) {
	lt, rt := l.Type(), r.Type()
	var err error
	if sqltypes.IsTemporal(lt) && rt.ID() == arrow.STRING {
		if r, err = literalAs(r, lt, rpos); err != nil {
			return nil, nil, err
		}
		return l, r, nil
	}
	if sqltypes.IsTemporal(rt) && lt.ID() == arrow.STRING {
		if l, err = literalAs(l, rt, lpos); err != nil {
			return nil, nil, err
		}
		return l, r, nil
	}
	isArith := op == expr.Add || op == expr.Sub || op == expr.Mul || op == expr.Div || op == expr.Mod
	if isArith && (sqltypes.IsTemporal(lt) || sqltypes.IsTemporal(rt)) {
		if lt.ID() == arrow.DURATION && sqltypes.IsInteger(rt) {
			return l, castTo(r, sqltypes.BigInt), nil
		}
		if rt.ID() == arrow.DURATION && sqltypes.IsInteger(lt) {
			return castTo(l, sqltypes.BigInt), r, nil
		}
		return l, r, nil
	}
	ct, ok := commonType(lt, rt)
	if !ok {
		return nil, nil, errorf(ErrType, lpos, "cannot compare or combine %s with %s", typeName(lt), typeName(rt)).
			WithHint("convert one side with CAST(... AS %s)", typeName(lt))
	}
	if ct.ID() == arrow.NULL && isArith {
		ct = sqltypes.Int
	}
	return castTo(l, ct), castTo(r, ct), nil
}

// literalAs reads a string literal as a TIMESTAMP, DATE or INTERVAL constant;
// a non-literal string is cast at run time.
func literalAs(e Expr, t arrow.DataType, pos parser.Pos) (Expr, error) {
	lit, ok := e.(*Lit)
	if !ok || !lit.Value.IsValid() {
		return castTo(e, t), nil
	}
	s := lit.Value.(*scalar.String).String()
	switch t.ID() {
	case arrow.TIMESTAMP:
		return bindTypedLit("TIMESTAMP", s, pos)
	case arrow.DATE32:
		return bindTypedLit("DATE", s, pos)
	}
	return castTo(e, t), nil
}

// castTo converts e to t: NULL literals retype, same types pass through.
func castTo(e Expr, t arrow.DataType) Expr {
	if arrow.TypeEqual(e.Type(), t) {
		return e
	}
	if lit, ok := e.(*Lit); ok && !lit.Value.IsValid() {
		return &Lit{Value: scalar.MakeNullScalar(t)}
	}
	return &CastExpr{X: e, To: t}
}

func (b *exprBinder) bindUnary(e *parser.Unary) (Expr, error) {
	if e.Op == "NOT" {
		x, err := b.bindBool(e.X, "NOT")
		if err != nil {
			return nil, err
		}
		return &NotExpr{X: x}, nil
	}
	x, err := b.bind(e.X)
	if err != nil {
		return nil, err
	}
	t := x.Type()
	if !sqltypes.IsNumeric(t) && t.ID() != arrow.DURATION && t.ID() != arrow.NULL {
		return nil, errorf(ErrType, e.Pos, "cannot apply unary %s to %s", e.Op, typeName(t))
	}
	if e.Op == "+" {
		return x, nil
	}
	if t.ID() == arrow.NULL {
		x = castTo(x, sqltypes.Int)
	}
	return &NegExpr{X: x}, nil
}

// coerceList widens every expression to one common type.
func coerceList(es []Expr, poss []parser.Pos) ([]Expr, arrow.DataType, error) {
	t := es[0].Type()
	for i, e := range es[1:] {
		ct, ok := commonType(t, e.Type())
		if !ok && sqltypes.IsTemporal(t) && e.Type().ID() == arrow.STRING {
			ct, ok = t, true
		}
		if !ok && sqltypes.IsTemporal(e.Type()) && t.ID() == arrow.STRING {
			ct, ok = e.Type(), true
		}
		if !ok {
			return nil, nil, errorf(ErrType, poss[i+1], "%s does not match %s", typeName(e.Type()), typeName(t))
		}
		t = ct
	}
	out := make([]Expr, len(es))
	for i, e := range es {
		if sqltypes.IsTemporal(t) && e.Type().ID() == arrow.STRING {
			x, err := literalAs(e, t, poss[i])
			if err != nil {
				return nil, nil, err
			}
			out[i] = x
			continue
		}
		out[i] = castTo(e, t)
	}
	return out, t, nil
}

func (b *exprBinder) bindAll(es []parser.Expr) ([]Expr, []parser.Pos, error) {
	out := make([]Expr, len(es))
	poss := make([]parser.Pos, len(es))
	for i, e := range es {
		x, err := b.bind(e)
		if err != nil {
			return nil, nil, err
		}
		out[i], poss[i] = x, e.Position()
	}
	return out, poss, nil
}

func (b *exprBinder) bindIn(e *parser.In) (Expr, error) {
	for _, item := range e.List {
		if sq, ok := item.(*parser.Subquery); ok {
			return nil, errorf(ErrUnsupported, sq.Pos, "IN (SELECT ...) is not supported").
				WithHint("join the subquery in FROM instead")
		}
	}
	all, poss, err := b.bindAll(append([]parser.Expr{e.X}, e.List...))
	if err != nil {
		return nil, err
	}
	all, _, err = coerceList(all, poss)
	if err != nil {
		return nil, err
	}
	return &InExpr{X: all[0], List: all[1:], Not: e.Not}, nil
}

func (b *exprBinder) bindBetween(e *parser.Between) (Expr, error) {
	all, poss, err := b.bindAll([]parser.Expr{e.X, e.Lo, e.Hi})
	if err != nil {
		return nil, err
	}
	all, _, err = coerceList(all, poss)
	if err != nil {
		return nil, err
	}
	x, lo, hi := all[0], all[1], all[2]
	bt := sqltypes.Boolean
	if e.Not {
		return &BinaryExpr{Op: expr.Or,
			L: &BinaryExpr{Op: expr.Lt, L: x, R: lo, Typ: bt},
			R: &BinaryExpr{Op: expr.Gt, L: x, R: hi, Typ: bt}, Typ: bt}, nil
	}
	return &BinaryExpr{Op: expr.And,
		L: &BinaryExpr{Op: expr.GtEq, L: x, R: lo, Typ: bt},
		R: &BinaryExpr{Op: expr.LtEq, L: x, R: hi, Typ: bt}, Typ: bt}, nil
}

func (b *exprBinder) bindLike(e *parser.Like) (Expr, error) {
	x, err := b.bind(e.X)
	if err != nil {
		return nil, err
	}
	p, err := b.bind(e.Pattern)
	if err != nil {
		return nil, err
	}
	for _, side := range []struct {
		x   Expr
		pos parser.Pos
	}{{x, e.X.Position()}, {p, e.Pattern.Position()}} {
		if id := side.x.Type().ID(); id != arrow.STRING && id != arrow.NULL {
			return nil, errorf(ErrType, side.pos, "LIKE needs VARCHAR operands, got %s", typeName(side.x.Type()))
		}
	}
	var esc rune
	if e.Escape != nil {
		lit, ok := e.Escape.(*parser.Literal)
		if !ok || lit.Kind != parser.LitString || len([]rune(lit.Value)) != 1 {
			return nil, errorf(ErrType, e.Escape.Position(), "ESCAPE needs a one-character string literal")
		}
		esc = []rune(lit.Value)[0]
	}
	return &LikeExpr{X: castTo(x, sqltypes.Varchar), Pattern: castTo(p, sqltypes.Varchar), Escape: esc, Not: e.Not}, nil
}

func (b *exprBinder) bindCase(e *parser.Case) (Expr, error) {
	var operand Expr
	var err error
	if e.Operand != nil {
		if operand, err = b.bind(e.Operand); err != nil {
			return nil, err
		}
	}
	conds := make([]Expr, len(e.Whens))
	results := make([]Expr, 0, len(e.Whens)+1)
	rposs := make([]parser.Pos, 0, len(e.Whens)+1)
	for i, w := range e.Whens {
		if operand != nil {
			v, err := b.bind(w.Cond)
			if err != nil {
				return nil, err
			}
			c, err := makeBinary(expr.Eq, operand, v, e.Operand.Position(), w.Cond.Position(), w.Pos)
			if err != nil {
				return nil, err
			}
			conds[i] = c
		} else if conds[i], err = b.bindBool(w.Cond, "WHEN"); err != nil {
			return nil, err
		}
		r, err := b.bind(w.Result)
		if err != nil {
			return nil, err
		}
		results = append(results, r)
		rposs = append(rposs, w.Result.Position())
	}
	if e.Else != nil {
		r, err := b.bind(e.Else)
		if err != nil {
			return nil, err
		}
		results = append(results, r)
		rposs = append(rposs, e.Else.Position())
	}
	results, t, err := coerceList(results, rposs)
	if err != nil {
		return nil, err
	}
	out := &CaseExpr{Typ: t}
	for i := range conds {
		out.Pairs = append(out.Pairs, conds[i], results[i])
	}
	if e.Else != nil {
		out.Else = results[len(results)-1]
	}
	return out, nil
}

func (b *exprBinder) bindCast(e *parser.Cast) (Expr, error) {
	x, err := b.bind(e.X)
	if err != nil {
		return nil, err
	}
	to, err := typeFromAST(e.Type)
	if err != nil {
		return nil, err
	}
	if arrow.TypeEqual(x.Type(), to) {
		return x, nil
	}
	if x.Type().ID() == arrow.STRING && sqltypes.IsTemporal(to) && to.ID() != arrow.DURATION {
		if lit, ok := x.(*Lit); ok && lit.Value.IsValid() && !e.Try {
			return literalAs(x, to, e.X.Position())
		}
	}
	if _, err := expr.NewCast(expr.NewColumn(0, "x", x.Type()), to, e.Try); err != nil {
		return nil, errorf(ErrType, e.Pos, "%v", err)
	}
	return &CastExpr{X: x, To: to, Try: e.Try}, nil
}

// aggregateNames are the aggregate functions, bound by the aggregation planner.
var aggregateNames = map[string]bool{
	"COUNT": true, "SUM": true, "MIN": true, "MAX": true, "AVG": true,
	"STDDEV_POP": true, "STDDEV_SAMP": true, "STDDEV": true, "VAR_POP": true, "VAR_SAMP": true, "VARIANCE": true,
	"FIRST_VALUE": true, "LAST_VALUE": true, "APPROX_COUNT_DISTINCT": true,
}

// windowNames are the group-window functions of GROUP BY.
var windowNames = map[string]bool{
	"TUMBLE": true, "HOP": true, "SESSION": true, "CUMULATE": true,
	"TUMBLE_START": true, "TUMBLE_END": true, "TUMBLE_ROWTIME": true,
	"HOP_START": true, "HOP_END": true, "HOP_ROWTIME": true,
	"SESSION_START": true, "SESSION_END": true, "SESSION_ROWTIME": true,
}

func (b *exprBinder) bindCall(e *parser.FuncCall) (Expr, error) {
	if aggregateNames[e.Name] && e.Over == nil {
		if b.inAggregate {
			return nil, errorf(ErrInvalid, e.Pos, "aggregate function calls cannot be nested")
		}
		if b.aggs == nil {
			return nil, errorf(ErrInvalid, e.Pos, "aggregate function %s is not allowed in %s", e.Name, b.clauseName())
		}
		return b.bindAggregateCall(e)
	}
	if windowNames[e.Name] {
		if strings.Contains(e.Name, "_") && b.aggs != nil {
			return b.bindWindowProperty(e)
		}
		if strings.Contains(e.Name, "_") {
			return nil, errorf(ErrInvalid, e.Pos, "%s needs GROUP BY %s(...)", e.Name, e.Name[:strings.LastIndexByte(e.Name, '_')])
		}
		return nil, errorf(ErrInvalid, e.Pos, "%s is only allowed in GROUP BY", e.Name).
			WithHint("group by it: GROUP BY %s(ts, INTERVAL '10' SECOND), or use FROM TABLE(%s(TABLE t, DESCRIPTOR(ts), ...))", e.Name, e.Name)
	}
	if e.Over != nil {
		if c, ok := b.sc.over[e]; ok {
			return c, nil
		}
		return nil, overUnsupported(e)
	}
	f, ok := expr.LookupFunc(e.Name)
	if !ok {
		msg := fmt.Sprintf("unknown function %s", e.Name)
		var names []string
		for _, f := range expr.Funcs() {
			names = append(names, f.Name)
		}
		if s, ok := closest(e.Name, names); ok {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		return nil, errorf(ErrUnknownFunction, e.Pos, "%s", msg).WithHint("SHOW FUNCTIONS lists them")
	}
	if e.Distinct || e.Filter != nil || e.Star {
		return nil, errorf(ErrInvalid, e.Pos, "DISTINCT, FILTER and * apply to aggregate functions, not %s", e.Name)
	}
	args, _, err := b.bindAll(e.Args)
	if err != nil {
		return nil, err
	}
	types := make([]arrow.DataType, len(args))
	for i, a := range args {
		types[i] = a.Type()
	}
	ret, want, err := f.Resolve(types)
	if err != nil {
		return nil, errorf(ErrType, e.Pos, "%s%s: %v", e.Name, describeTypes(types), err)
	}
	for i := range args {
		args[i] = castTo(args[i], want[i])
	}
	var call Expr = &CallExpr{Func: f, Args: args, Typ: ret}
	// Build the evaluator now, so errors that depend on literal arguments
	// (an unknown DATE_TRUNC unit, a bad regular expression) point here.
	if _, err := compileExpr(call); err != nil {
		return nil, errorf(ErrType, e.Pos, "%v", err)
	}
	// ROUND(decimal, d) with a literal d has scale d, as in Flink.
	if e.Name == "ROUND" && len(args) == 2 && ret.ID() == arrow.DECIMAL128 {
		if d, ok := intLiteral(args[1]); ok && d >= 0 {
			dt := ret.(*arrow.Decimal128Type)
			if int32(d) < dt.Scale {
				call = &CastExpr{X: call, To: sqltypes.Decimal(dt.Precision-dt.Scale+int32(d), int32(d))}
			}
		}
	}
	return call, nil
}

// intLiteral returns the value of an integer literal (possibly cast).
func intLiteral(e Expr) (int64, bool) {
	if c, ok := e.(*CastExpr); ok {
		e = c.X
	}
	l, ok := e.(*Lit)
	if !ok || !l.Value.IsValid() {
		return 0, false
	}
	switch v := l.Value.(type) {
	case *scalar.Int32:
		return int64(v.Value), true
	case *scalar.Int64:
		return v.Value, true
	}
	return 0, false
}

func (b *exprBinder) clauseName() string {
	if b.clause == "" {
		return "this clause"
	}
	return b.clause
}

func closest(name string, candidates []string) (string, bool) {
	return diag.Closest(name, candidates)
}
