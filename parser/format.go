package parser

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Format renders a node as canonical SQL: keywords in upper case, single
// spaces, names quoted only when they must be (reserved words, unusual
// characters, or written quoted), parentheses only where precedence needs
// them, and every WITH and SET value as a string literal. Parsing the output
// gives back the same tree, apart from positions; statements are printed
// without a trailing semicolon. Format(nil) is "".
func Format(n Node) string {
	var p printer
	p.node(n)
	return p.String()
}

type printer struct {
	strings.Builder
}

func (p *printer) node(n Node) {
	switch n := n.(type) {
	case nil:
	case Statement:
		p.stmt(n)
	case Expr:
		p.expr(n, precLowest)
	case TableExpr:
		p.table(n)
	case *Query:
		p.query(n)
	case *Select:
		p.sel(n)
	case *SelectItem:
		p.selectItem(n)
	case *OrderItem:
		p.orderItem(n)
	case *ColumnDef:
		p.columnDef(n)
	case *WatermarkDef:
		p.watermark(n)
	case *Option:
		p.option(n.Key, n.Value)
	case *TypeName:
		p.typeName(n)
	case *Ident:
		p.ident(*n)
	case *When:
		p.WriteString("WHEN ")
		p.expr(n.Cond, precLowest)
		p.WriteString(" THEN ")
		p.expr(n.Result, precLowest)
	case *WindowSpec:
		p.windowSpec(n)
	}
}

// ---------------------------------------------------------------------------
// Statements

func (p *printer) stmt(s Statement) {
	switch s := s.(type) {
	case *CreateSource:
		p.WriteString("CREATE ")
		if s.Table {
			p.WriteString("TABLE ")
		} else {
			p.WriteString("SOURCE ")
		}
		p.ifNotExists(s.IfNotExists)
		p.ident(s.Name)
		p.WriteString(" (")
		for i, c := range s.Columns {
			p.sep(i)
			p.columnDef(c)
		}
		if s.Watermark != nil {
			p.sep(len(s.Columns))
			p.watermark(s.Watermark)
		}
		p.WriteString(")")
		p.with(s.With)
	case *CreateView:
		p.WriteString("CREATE VIEW ")
		p.ifNotExists(s.IfNotExists)
		p.ident(s.Name)
		p.WriteString(" AS ")
		p.query(s.Query)
	case *CreateSink:
		p.WriteString("CREATE SINK ")
		p.ifNotExists(s.IfNotExists)
		p.ident(s.Name)
		if len(s.Columns) > 0 {
			p.WriteString(" (")
			for i, c := range s.Columns {
				p.sep(i)
				p.columnDef(c)
			}
			p.WriteString(")")
		}
		p.with(s.With)
		if s.Query != nil {
			p.WriteString(" AS ")
			p.query(s.Query)
		}
	case *Insert:
		p.WriteString("INSERT INTO ")
		p.ident(s.Target)
		p.WriteString(" ")
		p.query(s.Query)
	case *Drop:
		p.WriteString("DROP " + s.Kind + " ")
		if s.IfExists {
			p.WriteString("IF EXISTS ")
		}
		p.ident(s.Name)
	case *Show:
		p.WriteString("SHOW " + s.Kind)
	case *Describe:
		p.WriteString("DESCRIBE ")
		p.ident(s.Name)
	case *Explain:
		p.WriteString("EXPLAIN ")
		p.stmt(s.Stmt)
	case *Set:
		p.WriteString("SET ")
		p.option(s.Key, s.Value)
	case *QueryStmt:
		p.query(s.Query)
	}
}

func (p *printer) sep(i int) {
	if i > 0 {
		p.WriteString(", ")
	}
}

func (p *printer) ifNotExists(b bool) {
	if b {
		p.WriteString("IF NOT EXISTS ")
	}
}

func (p *printer) columnDef(c *ColumnDef) {
	p.ident(c.Name)
	if c.Computed != nil {
		p.WriteString(" AS ")
		p.expr(c.Computed, precLowest)
		return
	}
	p.WriteString(" ")
	p.typeName(c.Type)
	if c.NotNull {
		p.WriteString(" NOT NULL")
	}
	if m := c.Metadata; m != nil {
		p.WriteString(" METADATA")
		if m.Key != "" {
			p.WriteString(" FROM " + quoteString(m.Key))
		}
		if m.Virtual {
			p.WriteString(" VIRTUAL")
		}
	}
}

func (p *printer) watermark(w *WatermarkDef) {
	p.WriteString("WATERMARK FOR ")
	p.ident(w.Column)
	p.WriteString(" AS ")
	p.expr(w.Expr, precLowest)
}

func (p *printer) with(opts []*Option) {
	p.WriteString(" WITH (")
	for i, o := range opts {
		p.sep(i)
		p.option(o.Key, o.Value)
	}
	p.WriteString(")")
}

func (p *printer) option(key, value string) {
	p.WriteString(quoteString(key) + " = " + quoteString(value))
}

func (p *printer) typeName(t *TypeName) {
	if t == nil {
		return
	}
	params := ""
	if len(t.Params) > 0 {
		ps := make([]string, len(t.Params))
		for i, n := range t.Params {
			ps[i] = strconv.Itoa(n)
		}
		params = "(" + strings.Join(ps, ", ") + ")"
	}
	// The zone suffix follows the precision: TIMESTAMP(3) WITH LOCAL TIME ZONE.
	if base, zone, ok := strings.Cut(t.Name, " "); ok && base == "TIMESTAMP" {
		p.WriteString(base + params + " " + zone)
		return
	}
	p.WriteString(t.Name + params)
}

// ---------------------------------------------------------------------------
// Queries

func (p *printer) query(q *Query) {
	if q == nil {
		return
	}
	p.sel(q.Select)
	if len(q.OrderBy) > 0 {
		p.WriteString(" ORDER BY ")
		p.orderItems(q.OrderBy)
	}
	if q.Limit != nil {
		p.WriteString(" LIMIT ")
		p.expr(q.Limit, precLowest)
	}
}

func (p *printer) sel(s *Select) {
	if s == nil {
		return
	}
	p.WriteString("SELECT ")
	if s.Distinct {
		p.WriteString("DISTINCT ")
	}
	for i, it := range s.Items {
		p.sep(i)
		p.selectItem(it)
	}
	if s.From != nil {
		p.WriteString(" FROM ")
		p.table(s.From)
	}
	if s.Where != nil {
		p.WriteString(" WHERE ")
		p.expr(s.Where, precLowest)
	}
	if len(s.GroupBy) > 0 {
		p.WriteString(" GROUP BY ")
		p.exprs(s.GroupBy)
	}
	if s.Having != nil {
		p.WriteString(" HAVING ")
		p.expr(s.Having, precLowest)
	}
}

func (p *printer) selectItem(it *SelectItem) {
	switch {
	case it.Star && it.StarTable != nil:
		p.ident(*it.StarTable)
		p.WriteString(".*")
	case it.Star:
		p.WriteString("*")
	default:
		p.expr(it.Expr, precLowest)
		p.alias(it.Alias)
	}
}

func (p *printer) alias(a *Ident) {
	if a != nil {
		p.WriteString(" AS ")
		p.ident(*a)
	}
}

func (p *printer) orderItems(items []*OrderItem) {
	for i, o := range items {
		p.sep(i)
		p.orderItem(o)
	}
}

func (p *printer) orderItem(o *OrderItem) {
	p.expr(o.Expr, precLowest)
	if o.Desc {
		p.WriteString(" DESC")
	}
	if o.NullsFirst != nil {
		if *o.NullsFirst {
			p.WriteString(" NULLS FIRST")
		} else {
			p.WriteString(" NULLS LAST")
		}
	}
}

func (p *printer) table(t TableExpr) {
	switch t := t.(type) {
	case *TableName:
		p.ident(t.Name)
		if t.ForSystemTime != nil {
			p.WriteString(" FOR SYSTEM_TIME AS OF ")
			p.expr(t.ForSystemTime, precLowest)
		}
		p.alias(t.Alias)
	case *SubqueryTable:
		p.WriteString("(")
		p.query(t.Query)
		p.WriteString(")")
		p.alias(t.Alias)
	case *JoinTable:
		p.table(t.Left)
		if t.Kind == CrossJoin {
			p.WriteString(" CROSS JOIN ")
			p.table(t.Right)
			return
		}
		p.WriteString(" " + t.Kind.String() + " JOIN ")
		p.table(t.Right)
		p.WriteString(" ON ")
		p.expr(t.On, precLowest)
	case *WindowTable:
		p.WriteString("TABLE(" + t.Func + "(TABLE ")
		p.ident(t.Table)
		p.WriteString(", DESCRIPTOR(")
		p.ident(t.TimeCol)
		p.WriteString(")")
		for _, a := range t.Args {
			p.WriteString(", ")
			p.expr(a, precLowest)
		}
		p.WriteString("))")
		p.alias(t.Alias)
	}
}

// ---------------------------------------------------------------------------
// Expressions

// Precedence levels, lowest first, as the grammar nests them.
const (
	precLowest = iota
	precOr
	precAnd
	precNot
	precCompare // = <> < <= > >= IS IN BETWEEN LIKE
	precConcat
	precAdd
	precMul
	precUnary
	precPrimary
)

var binaryPrec = map[string]int{
	"OR": precOr, "AND": precAnd,
	"=": precCompare, "<>": precCompare, "!=": precCompare, "<": precCompare, "<=": precCompare, ">": precCompare, ">=": precCompare,
	"||": precConcat, "+": precAdd, "-": precAdd, "*": precMul, "/": precMul, "%": precMul,
}

func exprPrec(e Expr) int {
	switch e := e.(type) {
	case *Binary:
		if pr, ok := binaryPrec[e.Op]; ok {
			return pr
		}
		return precLowest
	case *Unary:
		if e.Op == "NOT" {
			return precNot
		}
		return precUnary
	case *IsNull, *IsBool, *In, *Between, *Like:
		return precCompare
	}
	return precPrimary
}

func (p *printer) exprs(es []Expr) {
	for i, e := range es {
		p.sep(i)
		p.expr(e, precLowest)
	}
}

// expr prints e, in parentheses when its precedence is below min.
func (p *printer) expr(e Expr, min int) {
	if e == nil {
		return
	}
	if exprPrec(e) < min {
		p.WriteString("(")
		defer p.WriteString(")")
	}
	switch e := e.(type) {
	case *ColumnRef:
		if e.Table != nil {
			p.ident(*e.Table)
			p.WriteString(".")
		}
		p.ident(e.Column)
	case *Literal:
		switch e.Kind {
		case LitNull:
			p.WriteString("NULL")
		case LitBool:
			p.WriteString(strings.ToUpper(e.Value))
		case LitString:
			p.WriteString(quoteString(e.Value))
		default:
			p.WriteString(e.Value)
		}
	case *IntervalLit:
		p.WriteString("INTERVAL " + quoteString(e.Value))
		if e.Unit != "" {
			p.WriteString(" " + e.Unit)
		}
	case *TypedLit:
		p.WriteString(e.Type + " " + quoteString(e.Value))
	case *Binary:
		pr := exprPrec(e)
		p.expr(e.Left, pr)
		p.WriteString(" " + e.Op + " ")
		p.expr(e.Right, pr+1)
	case *Unary:
		if e.Op == "NOT" {
			p.WriteString("NOT ")
			p.expr(e.X, precNot)
			return
		}
		p.WriteString(e.Op)
		// "- -x" must not become the comment "--x".
		if startsWithSign(e.X) {
			p.WriteString(" ")
		}
		p.expr(e.X, precUnary)
	case *IsNull:
		p.expr(e.X, precCompare)
		p.WriteString(" IS " + not(e.Not) + "NULL")
	case *IsBool:
		p.expr(e.X, precCompare)
		p.WriteString(" IS " + not(e.Not))
		if e.Value {
			p.WriteString("TRUE")
		} else {
			p.WriteString("FALSE")
		}
	case *In:
		p.expr(e.X, precCompare)
		p.WriteString(" " + not(e.Not) + "IN (")
		if len(e.List) == 1 {
			if sq, ok := e.List[0].(*Subquery); ok {
				p.query(sq.Query)
				p.WriteString(")")
				return
			}
		}
		p.exprs(e.List)
		p.WriteString(")")
	case *Between:
		p.expr(e.X, precCompare)
		p.WriteString(" " + not(e.Not) + "BETWEEN ")
		p.expr(e.Lo, precConcat)
		p.WriteString(" AND ")
		p.expr(e.Hi, precConcat)
	case *Like:
		p.expr(e.X, precCompare)
		p.WriteString(" " + not(e.Not) + "LIKE ")
		p.expr(e.Pattern, precConcat)
		if e.Escape != nil {
			p.WriteString(" ESCAPE ")
			p.expr(e.Escape, precConcat)
		}
	case *Case:
		p.WriteString("CASE")
		if e.Operand != nil {
			p.WriteString(" ")
			p.expr(e.Operand, precLowest)
		}
		for _, w := range e.Whens {
			p.WriteString(" ")
			p.node(w)
		}
		if e.Else != nil {
			p.WriteString(" ELSE ")
			p.expr(e.Else, precLowest)
		}
		p.WriteString(" END")
	case *Cast:
		if e.Try {
			p.WriteString("TRY_CAST(")
		} else {
			p.WriteString("CAST(")
		}
		p.expr(e.X, precLowest)
		p.WriteString(" AS ")
		p.typeName(e.Type)
		p.WriteString(")")
	case *Extract:
		p.WriteString("EXTRACT(" + e.Unit + " FROM ")
		p.expr(e.X, precLowest)
		p.WriteString(")")
	case *FuncCall:
		p.funcCall(e)
	case *Subquery:
		p.WriteString("(")
		p.query(e.Query)
		p.WriteString(")")
	}
}

// startsWithSign reports whether x, printed as the operand of a unary
// operator, begins with - or +.
func startsWithSign(x Expr) bool {
	switch x := x.(type) {
	case *Unary:
		return x.Op != "NOT"
	case *Literal:
		return (x.Kind == LitInt || x.Kind == LitFloat) && (strings.HasPrefix(x.Value, "-") || strings.HasPrefix(x.Value, "+"))
	}
	return false
}

func not(b bool) string {
	if b {
		return "NOT "
	}
	return ""
}

// niladic are the calls written without parentheses.
var niladic = set("CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "LOCALTIMESTAMP", "LOCALTIME")

func (p *printer) funcCall(f *FuncCall) {
	if niladic[f.Name] && len(f.Args) == 0 && !f.Star {
		p.WriteString(f.Name)
	} else {
		p.WriteString(f.Name + "(")
		switch {
		case f.Star:
			p.WriteString("*")
		default:
			if f.Distinct {
				p.WriteString("DISTINCT ")
			}
			p.exprs(f.Args)
		}
		p.WriteString(")")
	}
	if f.Filter != nil {
		p.WriteString(" FILTER (WHERE ")
		p.expr(f.Filter, precLowest)
		p.WriteString(")")
	}
	if f.Over != nil {
		p.WriteString(" OVER ")
		p.windowSpec(f.Over)
	}
}

func (p *printer) windowSpec(w *WindowSpec) {
	p.WriteString("(")
	if len(w.PartitionBy) > 0 {
		p.WriteString("PARTITION BY ")
		p.exprs(w.PartitionBy)
	}
	if len(w.OrderBy) > 0 {
		if len(w.PartitionBy) > 0 {
			p.WriteString(" ")
		}
		p.WriteString("ORDER BY ")
		p.orderItems(w.OrderBy)
	}
	if f := w.Frame; f != nil {
		if len(w.PartitionBy) > 0 || len(w.OrderBy) > 0 {
			p.WriteString(" ")
		}
		p.WriteString(f.Unit + " ")
		if f.End != nil {
			p.WriteString("BETWEEN ")
			p.frameBound(f.Start)
			p.WriteString(" AND ")
			p.frameBound(f.End)
		} else {
			p.frameBound(f.Start)
		}
	}
	p.WriteString(")")
}

func (p *printer) frameBound(b *FrameBound) {
	if b.Offset != nil {
		p.expr(b.Offset, precConcat)
		p.WriteString(" ")
	}
	p.WriteString(b.Kind)
}

// ident writes a name bare when it reads back as the same unquoted name.
func (p *printer) ident(id Ident) {
	if !id.Quoted && isPlainIdent(id.Name) {
		p.WriteString(id.Name)
		return
	}
	p.WriteString(quoteIdent(id.Name))
}

// isPlainIdent reports whether s lexes as one unreserved identifier.
func isPlainIdent(s string) bool {
	if s == "" || isReserved(s) {
		return false
	}
	for i, r := range s {
		if r == utf8.RuneError {
			return false
		}
		ok := unicode.IsLetter(r) || r == '_'
		if i > 0 {
			ok = ok || unicode.IsDigit(r) || unicode.Is(unicode.M, r) || unicode.Is(unicode.N, r) || r == '$'
		}
		if !ok {
			return false
		}
	}
	return true
}
