package parser

import (
	"strconv"
	"strings"
)

// This file turns the grammar tree of grammar.go into the AST of ast.go.
// It also checks what the grammar accepts loosely on purpose (so that
// participle need not backtrack over long alternatives), such as FROM inside
// a call to a function other than SUBSTRING or TRIM. Every error it returns
// is a *diag.Error of kind diag.ErrSyntax.

func convStatement(g *gStatement) (Statement, error) {
	switch {
	case g.Create != nil:
		return convCreate(g.Create)
	case g.Insert != nil:
		return convInsert(g.Insert)
	case g.Drop != nil:
		name, err := convIdent(g.Drop.Name)
		if err != nil {
			return nil, err
		}
		return &Drop{Pos: toPos(g.Drop.Pos), Kind: foldUpper(g.Drop.Kind), IfExists: g.Drop.IfExists, Name: name}, nil
	case g.Show != nil:
		return &Show{Pos: toPos(g.Show.Pos), Kind: foldUpper(g.Show.Kind)}, nil
	case g.Describe != nil:
		name, err := convIdent(g.Describe.Name)
		if err != nil {
			return nil, err
		}
		return &Describe{Pos: toPos(g.Describe.Pos), Name: name}, nil
	case g.Explain != nil:
		return convExplain(g.Explain)
	case g.Set != nil:
		value, err := convValue(g.Set.Value, true)
		if err != nil {
			return nil, err
		}
		return &Set{Pos: toPos(g.Set.Pos), Key: convOptionKey(g.Set.Key), Value: value}, nil
	case g.Query != nil:
		q, err := convQueryExpr(g.Query)
		if err != nil {
			return nil, err
		}
		return &QueryStmt{Pos: toPos(g.Pos), Query: q}, nil
	}
	return nil, syntaxErrorf(g.Pos, "empty statement")
}

func convCreate(g *gCreate) (Statement, error) {
	pos := toPos(g.Pos)
	switch {
	case g.Source != nil:
		s := g.Source
		name, err := convIdent(s.Name)
		if err != nil {
			return nil, err
		}
		out := &CreateSource{Pos: pos, Table: foldUpper(s.Kind) == "TABLE", IfNotExists: s.IfNotExists, Name: name}
		for _, e := range s.Entries {
			switch {
			case e.Watermark != nil:
				if out.Watermark != nil {
					return nil, syntaxErrorf(e.Watermark.Pos, "a source can declare only one WATERMARK")
				}
				col, err := convIdent(e.Watermark.Column)
				if err != nil {
					return nil, err
				}
				x, err := convExpr(e.Watermark.Expr)
				if err != nil {
					return nil, err
				}
				out.Watermark = &WatermarkDef{Pos: toPos(e.Watermark.Pos), Column: col, Expr: x}
			case e.Column != nil:
				c, err := convColumnDef(e.Column)
				if err != nil {
					return nil, err
				}
				out.Columns = append(out.Columns, c)
			}
			// PRIMARY KEY (...) NOT ENFORCED is accepted and dropped.
		}
		if len(out.Columns) == 0 {
			return nil, syntaxErrorf(s.Name.Pos, "%s %s has no columns", strings.ToLower(foldUpper(s.Kind)), quoteIdent(name.Name))
		}
		if out.With, err = convWith(s.With); err != nil {
			return nil, err
		}
		return out, nil
	case g.View != nil:
		name, err := convIdent(g.View.Name)
		if err != nil {
			return nil, err
		}
		q, err := convQueryExpr(g.View.Query)
		if err != nil {
			return nil, err
		}
		return &CreateView{Pos: pos, IfNotExists: g.View.IfNotExists, Name: name, Query: q}, nil
	default:
		s := g.Sink
		name, err := convIdent(s.Name)
		if err != nil {
			return nil, err
		}
		out := &CreateSink{Pos: pos, IfNotExists: s.IfNotExists, Name: name}
		for _, c := range s.Columns {
			if c.Computed != nil {
				return nil, syntaxErrorf(c.Pos, "a sink cannot declare computed columns").
					WithHint("compute the value in the query that writes to the sink")
			}
			cd, err := convColumnDef(c)
			if err != nil {
				return nil, err
			}
			out.Columns = append(out.Columns, cd)
		}
		if out.With, err = convWith(s.With); err != nil {
			return nil, err
		}
		if s.Query != nil {
			if out.Query, err = convQueryExpr(s.Query); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
}

func convColumnDef(g *gColumnDef) (*ColumnDef, error) {
	name, err := convIdent(g.Name)
	if err != nil {
		return nil, err
	}
	if g.Computed != nil {
		x, err := convExpr(g.Computed)
		if err != nil {
			return nil, err
		}
		return &ColumnDef{Pos: toPos(g.Pos), Name: name, Computed: x}, nil
	}
	t, err := convType(g.Type)
	if err != nil {
		return nil, err
	}
	c := &ColumnDef{Pos: toPos(g.Pos), Name: name, Type: t, NotNull: g.NotNull}
	if m := g.Metadata; m != nil {
		c.Metadata = &MetadataDef{Pos: toPos(m.Pos), Virtual: m.Virtual}
		if m.Key != nil {
			c.Metadata.Key = unquote(m.Key.Value)
		}
	}
	return c, nil
}

func convWith(g *gWith) ([]*Option, error) {
	var opts []*Option
	for _, o := range g.Options {
		v, err := convValue(o.Value, false)
		if err != nil {
			return nil, err
		}
		opts = append(opts, &Option{Pos: toPos(o.Pos), Key: convOptionKey(o.Key), Value: v, ValuePos: toPos(o.Value.Pos)})
	}
	return opts, nil
}

func convOptionKey(g *gOptionKey) string {
	if g.Quoted != "" {
		return unquote(g.Quoted)
	}
	return strings.Join(g.Words, "")
}

// convValue returns the text of a WITH or SET value. Bare words are allowed
// only in SET (SET mode = streaming); a WITH value is a string, a number,
// TRUE or FALSE.
func convValue(g *gValue, bareWords bool) (string, error) {
	switch {
	case g.String != "":
		return unquote(g.String), nil
	case g.Number != "":
		return g.Number, nil
	}
	text := strings.Join(g.Words, "")
	if !bareWords {
		if w := foldUpper(text); w != "TRUE" && w != "FALSE" {
			return "", syntaxErrorf(g.Pos, "option values are strings, numbers, TRUE or FALSE, not %q", text).
				WithHint("quote it: '%s'", text)
		}
	}
	return text, nil
}

func convInsert(g *gInsert) (*Insert, error) {
	target, err := convIdent(g.Target)
	if err != nil {
		return nil, err
	}
	q, err := convQueryExpr(g.Query)
	if err != nil {
		return nil, err
	}
	return &Insert{Pos: toPos(g.Pos), Target: target, Query: q}, nil
}

func convExplain(g *gExplain) (Statement, error) {
	var (
		stmt Statement
		err  error
	)
	switch {
	case g.Insert != nil:
		stmt, err = convInsert(g.Insert)
	case g.Create != nil:
		if g.Create.Sink == nil || g.Create.Sink.Query == nil {
			return nil, syntaxErrorf(g.Create.Pos, "only a query, INSERT INTO or CREATE SINK ... AS query can be explained")
		}
		stmt, err = convCreate(g.Create)
	default:
		var q *Query
		q, err = convQueryExpr(g.Query)
		stmt = &QueryStmt{Pos: toPos(g.Query.Pos), Query: q}
	}
	if err != nil {
		return nil, err
	}
	return &Explain{Pos: toPos(g.Pos), Stmt: stmt}, nil
}

// ---------------------------------------------------------------------------
// Queries

func convQueryExpr(g *gQueryExpr) (*Query, error) {
	for g.Paren != nil {
		g = g.Paren
	}
	return convQuery(g.Query)
}

func convQuery(g *gQuery) (*Query, error) {
	sel, err := convSelect(g.Select)
	if err != nil {
		return nil, err
	}
	q := &Query{Pos: toPos(g.Pos), Select: sel}
	if q.OrderBy, err = convOrderItems(g.OrderBy); err != nil {
		return nil, err
	}
	if g.Limit != nil {
		if q.Limit, err = convExpr(g.Limit); err != nil {
			return nil, err
		}
	}
	return q, nil
}

func convSelect(g *gSelect) (*Select, error) {
	s := &Select{Pos: toPos(g.Pos), Distinct: g.Distinct}
	for _, it := range g.Items {
		item := &SelectItem{Pos: toPos(it.Pos)}
		switch {
		case it.Star:
			item.Star = true
		case it.StarTable != nil:
			id, err := convIdent(it.StarTable)
			if err != nil {
				return nil, err
			}
			item.Star, item.StarTable = true, &id
		default:
			x, err := convExpr(it.Expr)
			if err != nil {
				return nil, err
			}
			item.Expr = x
			if it.Alias != nil {
				if item.Alias, err = convIdentPtr(it.Alias); err != nil {
					return nil, err
				}
			}
		}
		s.Items = append(s.Items, item)
	}
	var err error
	if g.From != nil {
		if s.From, err = convFrom(g.From); err != nil {
			return nil, err
		}
	}
	if s.Where, err = convOptExpr(g.Where); err != nil {
		return nil, err
	}
	if s.GroupBy, err = convExprs(g.GroupBy); err != nil {
		return nil, err
	}
	if s.Having, err = convOptExpr(g.Having); err != nil {
		return nil, err
	}
	return s, nil
}

func convOrderItems(items []*gOrderItem) ([]*OrderItem, error) {
	var out []*OrderItem
	for _, it := range items {
		x, err := convExpr(it.Expr)
		if err != nil {
			return nil, err
		}
		o := &OrderItem{Pos: toPos(it.Pos), Expr: x, Desc: foldUpper(it.Dir) == "DESC"}
		if it.Nulls != "" {
			first := foldUpper(it.Nulls) == "FIRST"
			o.NullsFirst = &first
		}
		out = append(out, o)
	}
	return out, nil
}

func convFrom(g *gFrom) (TableExpr, error) {
	left, err := convTablePrimary(g.First)
	if err != nil {
		return nil, err
	}
	for _, j := range g.Joins {
		join := &JoinTable{Pos: left.Position(), Left: left}
		var right *gTablePrimary
		switch {
		case j.Comma != nil:
			join.Kind, right = CrossJoin, j.Comma
		case j.Cross != nil:
			join.Kind, right = CrossJoin, j.Cross
		default:
			right = j.Right
			switch foldUpper(j.Kind) {
			case "LEFT":
				join.Kind = LeftJoin
			case "RIGHT":
				join.Kind = RightJoin
			case "FULL":
				join.Kind = FullJoin
			default:
				join.Kind = InnerJoin
			}
			if join.On, err = convExpr(j.On); err != nil {
				return nil, err
			}
		}
		if join.Right, err = convTablePrimary(right); err != nil {
			return nil, err
		}
		left = join
	}
	return left, nil
}

func convTablePrimary(g *gTablePrimary) (TableExpr, error) {
	var alias *Ident
	var err error
	if g.Alias != nil {
		if alias, err = convIdentPtr(g.Alias); err != nil {
			return nil, err
		}
	}
	sys := g.System1
	if g.System2 != nil {
		if sys != nil {
			return nil, syntaxErrorf(g.System2.Pos, "duplicate FOR SYSTEM_TIME AS OF")
		}
		sys = g.System2
	}
	if sys != nil && g.Name == nil {
		return nil, syntaxErrorf(sys.Pos, "only a table name can have FOR SYSTEM_TIME AS OF")
	}
	switch {
	case g.Window != nil:
		w, err := convWindowTable(g.Window)
		if err != nil {
			return nil, err
		}
		w.Alias = alias
		return w, nil
	case g.Subquery != nil:
		q, err := convQueryExpr(g.Subquery)
		if err != nil {
			return nil, err
		}
		return &SubqueryTable{Pos: toPos(g.Pos), Query: q, Alias: alias}, nil
	default:
		name, err := convIdent(g.Name)
		if err != nil {
			return nil, err
		}
		t := &TableName{Pos: toPos(g.Pos), Name: name, Alias: alias}
		if sys != nil {
			if t.ForSystemTime, err = convExpr(sys.Expr); err != nil {
				return nil, err
			}
		}
		return t, nil
	}
}

// windowParams lists, per windowing table function, the names of the
// interval parameters in positional order, and how many are required.
var windowParams = map[string]struct {
	names    []string
	required int
}{
	"TUMBLE":   {[]string{"SIZE", "OFFSET"}, 1},
	"HOP":      {[]string{"SLIDE", "SIZE", "OFFSET"}, 2},
	"CUMULATE": {[]string{"STEP", "SIZE", "OFFSET"}, 2},
	"SESSION":  {[]string{"GAP"}, 1},
}

// convWindowTable converts TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size)), in
// positional form or with named arguments (DATA => TABLE t, TIMECOL =>
// DESCRIPTOR(ts), SIZE => ...), into a WindowTable with Args in positional
// order.
func convWindowTable(g *gWindowTable) (*WindowTable, error) {
	fn := foldUpper(g.Func)
	params := windowParams[fn]
	w := &WindowTable{Pos: toPos(g.Pos), Func: fn}
	usage := func() string {
		names := []string{"TABLE t", "DESCRIPTOR(ts)"}
		for i, n := range params.names {
			if i >= params.required {
				n = "[" + n + "]"
			}
			names = append(names, strings.ToLower(n))
		}
		return fn + "(" + strings.Join(names, ", ") + ")"
	}
	named := len(g.Args) > 0 && g.Args[0].Name != nil
	if !named {
		for i, a := range g.Args {
			var err error
			switch {
			case a.Name != nil:
				return nil, syntaxErrorf(a.Pos, "cannot mix named and positional arguments in %s", fn)
			case i == 0:
				if a.Table == nil {
					return nil, syntaxErrorf(a.Pos, "the first argument of %s must be TABLE name", fn).WithHint("write %s", usage())
				}
				w.Table, err = convIdent(a.Table)
			case i == 1:
				if a.Descriptor == nil {
					return nil, syntaxErrorf(a.Pos, "the second argument of %s must be DESCRIPTOR(column)", fn).WithHint("write %s", usage())
				}
				w.TimeCol, err = convIdent(a.Descriptor)
			default:
				if a.Expr == nil {
					return nil, syntaxErrorf(a.Pos, "argument %d of %s must be an interval", i+1, fn).WithHint("write %s", usage())
				}
				var x Expr
				x, err = convExpr(a.Expr)
				w.Args = append(w.Args, x)
			}
			if err != nil {
				return nil, err
			}
		}
		if n := len(g.Args) - 2; n < params.required || n > len(params.names) {
			pos := g.Args[len(g.Args)-1].Pos
			return nil, syntaxErrorf(pos, "wrong number of arguments to %s", fn).WithHint("write %s", usage())
		}
		return w, nil
	}
	var haveTable, haveCol bool
	values := make([]Expr, len(params.names))
	for _, a := range g.Args {
		if a.Name == nil {
			return nil, syntaxErrorf(a.Pos, "cannot mix named and positional arguments in %s", fn)
		}
		name := foldUpper(a.Name.Plain)
		if a.Name.Quoted != "" {
			name = unquote(a.Name.Quoted)
		}
		var err error
		switch name {
		case "DATA":
			if haveTable {
				return nil, syntaxErrorf(a.Pos, "argument DATA is given twice")
			}
			if a.Table == nil {
				return nil, syntaxErrorf(a.Pos, "argument DATA must be TABLE name")
			}
			haveTable = true
			w.Table, err = convIdent(a.Table)
		case "TIMECOL":
			if haveCol {
				return nil, syntaxErrorf(a.Pos, "argument TIMECOL is given twice")
			}
			if a.Descriptor == nil {
				return nil, syntaxErrorf(a.Pos, "argument TIMECOL must be DESCRIPTOR(column)")
			}
			haveCol = true
			w.TimeCol, err = convIdent(a.Descriptor)
		default:
			i := indexOf(params.names, name)
			if i < 0 {
				return nil, syntaxErrorf(a.Pos, "unknown argument %s of %s", name, fn).
					WithHint("its arguments are DATA, TIMECOL, %s", strings.Join(params.names, ", "))
			}
			if values[i] != nil {
				return nil, syntaxErrorf(a.Pos, "argument %s is given twice", name)
			}
			if a.Expr == nil {
				return nil, syntaxErrorf(a.Pos, "argument %s must be an interval", name)
			}
			values[i], err = convExpr(a.Expr)
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case !haveTable:
		return nil, syntaxErrorf(g.Pos, "missing argument DATA => TABLE name of %s", fn)
	case !haveCol:
		return nil, syntaxErrorf(g.Pos, "missing argument TIMECOL => DESCRIPTOR(column) of %s", fn)
	}
	for i, v := range values {
		if v == nil {
			if i < params.required {
				return nil, syntaxErrorf(g.Pos, "missing argument %s => interval of %s", params.names[i], fn)
			}
			break
		}
		w.Args = append(w.Args, v)
	}
	return w, nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// ---------------------------------------------------------------------------
// Expressions

func convOptExpr(g *gExpr) (Expr, error) {
	if g == nil {
		return nil, nil
	}
	return convExpr(g)
}

func convExprs(gs []*gExpr) ([]Expr, error) {
	var out []Expr
	for _, g := range gs {
		x, err := convExpr(g)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

func convExpr(g *gExpr) (Expr, error) {
	x, err := convNot(g.Left)
	if err != nil || len(g.Right) == 0 {
		return x, err
	}
	xs, starts, ops := []Expr{x}, []Pos{toPos(g.Left.Pos)}, make([]string, len(g.Right))
	for i, r := range g.Right {
		y, err := convNot(r.Right)
		if err != nil {
			return nil, err
		}
		xs, starts, ops[i] = append(xs, y), append(starts, toPos(r.Right.Pos)), foldUpper(r.Op)
	}
	return climb(xs, starts, ops), nil
}

// climb builds left-associative Binary nodes from operands and the
// operators between them (ops[i] joins xs[i] and xs[i+1]) by precedence
// climbing. starts are where the operands begin; a Binary starts where its
// left operand does.
func climb(xs []Expr, starts []Pos, ops []string) Expr {
	i := 0
	var sub func(min int) Expr
	sub = func(min int) Expr {
		left, start := xs[i], starts[i]
		for i < len(ops) && binaryPrec[ops[i]] >= min {
			op := ops[i]
			i++
			right := sub(binaryPrec[op] + 1)
			left = &Binary{Pos: start, Op: op, Left: left, Right: right}
		}
		return left
	}
	return sub(0)
}

func convNot(g *gNot) (Expr, error) {
	x, err := convCompare(g.X)
	if err != nil {
		return nil, err
	}
	for i := len(g.Nots) - 1; i >= 0; i-- {
		x = &Unary{Pos: toPos(g.Nots[i].Pos), Op: "NOT", X: x}
	}
	return x, nil
}

func convCompare(g *gCompare) (Expr, error) {
	x, err := convArith(g.Left)
	if err != nil {
		return nil, err
	}
	pos := toPos(g.Pos)
	for _, t := range g.Tails {
		switch {
		case t.Op != "":
			y, err := convArith(t.Right)
			if err != nil {
				return nil, err
			}
			op := t.Op
			if op == "!=" {
				op = "<>"
			}
			x = &Binary{Pos: pos, Op: op, Left: x, Right: y}
		case t.Is != nil:
			switch v := foldUpper(t.Is.Value); v {
			case "NULL":
				x = &IsNull{Pos: pos, X: x, Not: t.Is.Not}
			default:
				x = &IsBool{Pos: pos, X: x, Not: t.Is.Not, Value: v == "TRUE"}
			}
		case t.In != nil:
			in := &In{Pos: pos, X: x, Not: t.Not}
			if t.In.Query != nil {
				q, err := convQuery(t.In.Query)
				if err != nil {
					return nil, err
				}
				in.List = []Expr{&Subquery{Pos: toPos(t.In.Pos), Query: q}}
			} else if in.List, err = convExprs(t.In.List); err != nil {
				return nil, err
			}
			x = in
		case t.Between != nil:
			lo, err := convArith(t.Between.Lo)
			if err != nil {
				return nil, err
			}
			hi, err := convArith(t.Between.Hi)
			if err != nil {
				return nil, err
			}
			x = &Between{Pos: pos, X: x, Lo: lo, Hi: hi, Not: t.Not}
		case t.Like != nil:
			p, err := convArith(t.Like.Pattern)
			if err != nil {
				return nil, err
			}
			like := &Like{Pos: pos, X: x, Pattern: p, Not: t.Not}
			if t.Like.Escape != nil {
				if like.Escape, err = convArith(t.Like.Escape); err != nil {
					return nil, err
				}
			}
			x = like
		}
	}
	return x, nil
}

func convArith(g *gArith) (Expr, error) {
	x, err := convUnary(g.Left)
	if err != nil || len(g.Right) == 0 {
		return x, err
	}
	xs, starts, ops := []Expr{x}, []Pos{toPos(g.Left.Pos)}, make([]string, len(g.Right))
	for i, r := range g.Right {
		y, err := convUnary(r.Right)
		if err != nil {
			return nil, err
		}
		xs, starts, ops[i] = append(xs, y), append(starts, toPos(r.Right.Pos)), r.Op
	}
	return climb(xs, starts, ops), nil
}

func convUnary(g *gUnary) (Expr, error) {
	x, err := convPrimary(g.X)
	if err != nil {
		return nil, err
	}
	for i := len(g.Signs) - 1; i >= 0; i-- {
		x = &Unary{Pos: toPos(g.Signs[i].Pos), Op: g.Signs[i].Op, X: x}
	}
	return x, nil
}

func convPrimary(g *gPrimary) (Expr, error) {
	pos := toPos(g.Pos)
	switch {
	case g.Paren != nil:
		if g.Paren.Query != nil {
			q, err := convQuery(g.Paren.Query)
			if err != nil {
				return nil, err
			}
			return &Subquery{Pos: pos, Query: q}, nil
		}
		return convExpr(g.Paren.Expr)
	case g.Case != nil:
		return convCase(pos, g.Case)
	case g.Cast != nil:
		x, err := convExpr(g.Cast.X)
		if err != nil {
			return nil, err
		}
		t, err := convType(g.Cast.Type)
		if err != nil {
			return nil, err
		}
		return &Cast{Pos: pos, X: x, Type: t, Try: foldUpper(g.Cast.Kind) == "TRY_CAST"}, nil
	case g.Extract != nil:
		x, err := convExpr(g.Extract.X)
		if err != nil {
			return nil, err
		}
		return &Extract{Pos: pos, Unit: foldUpper(g.Extract.Unit), X: x}, nil
	case g.Interval != nil:
		v := g.Interval.Value
		if strings.HasPrefix(v, "'") {
			v = unquote(v)
		}
		return &IntervalLit{Pos: pos, Value: v, Unit: strings.TrimSuffix(foldUpper(g.Interval.Unit), "S")}, nil
	case g.Typed != nil:
		return &TypedLit{Pos: pos, Type: foldUpper(g.Typed.Type), Value: unquote(g.Typed.Value)}, nil
	case g.Niladic != "":
		return &FuncCall{Pos: pos, Name: foldUpper(g.Niladic)}, nil
	case g.Func != nil:
		return convFuncCall(g.Func)
	case g.Number != "":
		kind := LitInt
		if strings.ContainsAny(g.Number, ".eE") {
			kind = LitFloat
		}
		return &Literal{Pos: pos, Kind: kind, Value: g.Number}, nil
	case g.String != "":
		return &Literal{Pos: pos, Kind: LitString, Value: unquote(g.String)}, nil
	case g.Null:
		return &Literal{Pos: pos, Kind: LitNull, Value: "NULL"}, nil
	case g.Bool != "":
		return &Literal{Pos: pos, Kind: LitBool, Value: foldUpper(g.Bool)}, nil
	default:
		c := g.Column
		first, err := convIdent(c.Parts[0])
		if err != nil {
			return nil, err
		}
		if len(c.Parts) == 1 {
			return &ColumnRef{Pos: pos, Column: first}, nil
		}
		col, err := convIdent(c.Parts[1])
		if err != nil {
			return nil, err
		}
		return &ColumnRef{Pos: pos, Table: &first, Column: col}, nil
	}
}

func convCase(pos Pos, g *gCase) (Expr, error) {
	c := &Case{Pos: pos}
	var err error
	if c.Operand, err = convOptExpr(g.Operand); err != nil {
		return nil, err
	}
	for _, w := range g.Whens {
		cond, err := convExpr(w.Cond)
		if err != nil {
			return nil, err
		}
		res, err := convExpr(w.Result)
		if err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, &When{Pos: toPos(w.Pos), Cond: cond, Result: res})
	}
	if c.Else, err = convOptExpr(g.Else); err != nil {
		return nil, err
	}
	return c, nil
}

// convFuncCall converts a call, normalizing the SQL-standard special forms
// as FuncCall documents.
func convFuncCall(g *gFuncCall) (Expr, error) {
	f := &FuncCall{Pos: toPos(g.Pos), Name: foldUpper(g.Name)}
	if a := g.Args; a != nil {
		switch {
		case a.Star:
			f.Star = true
		case a.TrimSpec != "":
			spec := foldUpper(a.TrimSpec)
			if f.Name != "TRIM" {
				return nil, syntaxErrorf(a.Pos, "unexpected %s in the arguments of %s", spec, f.Name).
					WithHint("BOTH, LEADING and TRAILING are allowed only in TRIM(LEADING chars FROM x)")
			}
			f.Name = map[string]string{"BOTH": "TRIM", "LEADING": "LTRIM", "TRAILING": "RTRIM"}[spec]
			x, err := convExpr(a.TrimFrom)
			if err != nil {
				return nil, err
			}
			f.Args = []Expr{x}
			if a.TrimChar != nil {
				c, err := convExpr(a.TrimChar)
				if err != nil {
					return nil, err
				}
				f.Args = append(f.Args, c)
			}
		default:
			f.Distinct = foldUpper(a.Quant) == "DISTINCT"
			first, err := convExpr(a.First)
			if err != nil {
				return nil, err
			}
			switch {
			case a.From != nil:
				from, err := convExpr(a.From.X)
				if err != nil {
					return nil, err
				}
				switch {
				case f.Name == "SUBSTRING" || f.Name == "SUBSTR":
					f.Args = []Expr{first, from}
					if a.From.For != nil {
						n, err := convExpr(a.From.For)
						if err != nil {
							return nil, err
						}
						f.Args = append(f.Args, n)
					}
				case f.Name == "TRIM" && a.From.For == nil:
					f.Args = []Expr{from, first} // TRIM(chars FROM x)
				default:
					return nil, syntaxErrorf(a.From.Pos, "unexpected FROM in the arguments of %s", f.Name).
						WithHint("FROM is allowed only in SUBSTRING(x FROM start [FOR length]) and TRIM([chars] FROM x)")
				}
			case a.In != nil:
				if f.Name != "POSITION" {
					return nil, syntaxErrorf(a.In.Pos, "unexpected IN in the arguments of %s", f.Name).
						WithHint("IN is allowed only in POSITION(substring IN string)")
				}
				in, err := convExpr(a.In.X)
				if err != nil {
					return nil, err
				}
				f.Args = []Expr{first, in}
			default:
				rest, err := convExprs(a.Rest)
				if err != nil {
					return nil, err
				}
				f.Args = append([]Expr{first}, rest...)
				// POSITION(a IN (b)) reads as the predicate a IN (b).
				if in, ok := first.(*In); ok && f.Name == "POSITION" && len(rest) == 0 && !in.Not && len(in.List) == 1 {
					if _, sub := in.List[0].(*Subquery); !sub {
						f.Args = []Expr{in.X, in.List[0]}
					}
				}
			}
		}
	}
	var err error
	if f.Filter, err = convOptExpr(g.Filter); err != nil {
		return nil, err
	}
	if w := g.Over; w != nil {
		f.Over = &WindowSpec{Pos: toPos(w.Pos)}
		if f.Over.PartitionBy, err = convExprs(w.PartitionBy); err != nil {
			return nil, err
		}
		if f.Over.OrderBy, err = convOrderItems(w.OrderBy); err != nil {
			return nil, err
		}
		if w.Frame != nil {
			if f.Over.Frame, err = convFrame(w.Frame); err != nil {
				return nil, err
			}
		}
	}
	return f, nil
}

// convFrame converts a window frame; a bound is checked only for its form
// here (the planner says which frames it runs).
func convFrame(g *gFrame) (*WindowFrame, error) {
	fr := &WindowFrame{Pos: toPos(g.Pos), Unit: foldUpper(g.Unit)}
	var err error
	if g.Only != nil {
		fr.Start, err = convFrameBound(g.Only)
		return fr, err
	}
	if fr.Start, err = convFrameBound(g.Start); err != nil {
		return nil, err
	}
	if fr.End, err = convFrameBound(g.End); err != nil {
		return nil, err
	}
	return fr, nil
}

func convFrameBound(g *gFrameBound) (*FrameBound, error) {
	b := &FrameBound{Pos: toPos(g.Pos)}
	switch {
	case g.Unbounded != "":
		b.Kind = "UNBOUNDED " + foldUpper(g.Unbounded)
	case g.Current:
		b.Kind = "CURRENT ROW"
	default:
		b.Kind = foldUpper(g.Dir)
		off, err := convArith(g.Offset)
		if err != nil {
			return nil, err
		}
		b.Offset = off
	}
	return b, nil
}

// ---------------------------------------------------------------------------
// Types, names and literals

func convType(g *gType) (*TypeName, error) {
	t := &TypeName{Pos: toPos(g.Pos)}
	var params []string
	switch {
	case g.Timestamp != nil:
		t.Name = "TIMESTAMP"
		if g.Timestamp.Precision != "" {
			params = []string{g.Timestamp.Precision}
		}
		switch z := foldUpper(g.Timestamp.Zone); {
		case z == "":
		case z == "WITHOUT":
			t.Name = "TIMESTAMP WITHOUT TIME ZONE"
		default:
			t.Name = "TIMESTAMP WITH LOCAL TIME ZONE"
		}
	case g.Interval != nil:
		t.Name = "INTERVAL"
	case g.Double != nil:
		t.Name = "DOUBLE"
		if g.Double.Precision {
			t.Name = "DOUBLE PRECISION"
		}
	case g.Char != nil:
		t.Name = "CHARACTER"
		if g.Char.Varying {
			t.Name = "CHARACTER VARYING"
		}
		params = g.Char.Params
	default:
		t.Name = foldUpper(g.Name)
		params = g.Params
	}
	for _, p := range params {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, syntaxErrorf(g.Pos, "the parameters of %s must be non-negative integers, not %s", t.Name, p)
		}
		t.Params = append(t.Params, n)
	}
	return t, nil
}

func convIdent(g *gIdent) (Ident, error) {
	if g.Quoted == "" {
		return Ident{Pos: toPos(g.Pos), Name: g.Plain}, nil
	}
	name := unquote(g.Quoted)
	if name == "" {
		return Ident{}, syntaxErrorf(g.Pos, "zero-length quoted identifier")
	}
	return Ident{Pos: toPos(g.Pos), Name: name, Quoted: true}, nil
}

func convIdentPtr(g *gIdent) (*Ident, error) {
	id, err := convIdent(g)
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// unquote strips the quotes of a 'string', "identifier" or `identifier` and
// undoubles the quote character inside it.
func unquote(s string) string {
	if len(s) < 2 {
		return s
	}
	q := s[:1]
	return strings.ReplaceAll(s[1:len(s)-1], q+q, q)
}
