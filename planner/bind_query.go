package planner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/weirsql/weir/parser"
)

// queryBinder turns a parsed query into a logical plan.
type queryBinder struct {
	cat      *Catalog
	settings Settings
	// viewDepth guards against views that (through DROP and re-CREATE)
	// refer to themselves.
	viewDepth int
}

// bindQuery binds a query; it returns the plan and the scope of its output.
func (qb *queryBinder) bindQuery(q *parser.Query) (Node, error) {
	sel := q.Select
	var (
		plan Node
		sc   *scope
		err  error
	)
	where := sel.Where
	if sel.From == nil {
		plan, sc = &Values{Rows: 1}, &scope{}
	} else if src := qb.topNFrom(sel.From); src != nil {
		// A Top-N: the WHERE's bound on the row number is part of it.
		if plan, sc, where, err = qb.bindTopN(src, sel.Where); err != nil {
			return nil, err
		}
	} else if plan, sc, err = qb.bindFrom(sel.From); err != nil {
		return nil, err
	}
	if where != nil {
		eb := &exprBinder{sc: sc, clause: "WHERE"}
		cond, err := eb.bindBool(where, "WHERE")
		if err != nil {
			return nil, err
		}
		plan = &Filter{Input: plan, Cond: cond}
	}
	var (
		exprs  []Expr
		names  []string
		orderB *exprBinder
	)
	if calls := overAggCalls(sel); len(calls) > 0 {
		if plan, sc, err = qb.bindOverAgg(sel, calls, plan, sc); err != nil {
			return nil, err
		}
	}
	if containsAggregate(sel) {
		plan, exprs, names, orderB, err = qb.bindAggregation(sel, plan, sc)
		if err != nil {
			return nil, err
		}
		if sel.Distinct {
			return nil, errorf(ErrUnsupported, sel.Pos, "SELECT DISTINCT with GROUP BY is not supported").
				WithHint("the groups are distinct already; drop DISTINCT")
		}
	} else {
		if exprs, names, err = qb.bindSelectList(sel.Items, sc); err != nil {
			return nil, err
		}
		orderB = &exprBinder{sc: sc, clause: "ORDER BY"}
		if sel.Distinct {
			// SELECT DISTINCT is a grouping by every output column (over an
			// updating input, one that retracts).
			inner := &Project{Input: plan, Exprs: exprs, Names: names}
			keys := make([]Expr, len(exprs))
			for i, e := range exprs {
				keys[i] = &ColRef{Index: i, Name: names[i], Typ: e.Type()}
			}
			plan = &Aggregate{Input: inner, Keys: keys, KeyNames: names}
			exprs = append([]Expr(nil), keys...)
			orderB = &exprBinder{sc: scopeOf(plan.Schema(), ""), clause: "ORDER BY"}
		}
	}
	if len(q.OrderBy) > 0 {
		if plan, err = qb.bindOrderBy(q, plan, orderB, exprs, names); err != nil {
			return nil, err
		}
	} else {
		plan = &Project{Input: plan, Exprs: exprs, Names: names}
	}
	if q.Limit != nil {
		n, err := limitValue(q.Limit)
		if err != nil {
			return nil, err
		}
		plan = &Limit{Input: plan, N: n}
	}
	return plan, nil
}

func limitValue(e parser.Expr) (int64, error) {
	lit, ok := e.(*parser.Literal)
	if !ok || lit.Kind != parser.LitInt {
		return 0, errorf(ErrInvalid, e.Position(), "LIMIT needs a non-negative integer literal")
	}
	n, err := strconv.ParseInt(lit.Value, 10, 64)
	if err != nil || n < 0 {
		return 0, errorf(ErrInvalid, e.Position(), "LIMIT needs a non-negative integer literal")
	}
	return n, nil
}

// bindSelectList expands stars and binds each item with its output name.
// Unnamed expressions are called EXPR$n after their position, as in Flink.
func (qb *queryBinder) bindSelectList(items []*parser.SelectItem, sc *scope) ([]Expr, []string, error) {
	var exprs []Expr
	var names []string
	eb := &exprBinder{sc: sc, clause: "SELECT"}
	for _, it := range items {
		if it.Star {
			n := 0
			for i, c := range sc.cols {
				if it.StarTable != nil && !nameEq(*it.StarTable, c.table) {
					continue
				}
				exprs = append(exprs, &ColRef{Index: i, Name: c.name, Typ: c.typ})
				names = append(names, c.name)
				n++
			}
			if n == 0 {
				if it.StarTable != nil {
					msg := fmt.Sprintf("unknown source or alias %q", it.StarTable.Name)
					if s, ok := closest(it.StarTable.Name, sc.tables()); ok {
						msg += fmt.Sprintf(" (did you mean %q?)", s)
					}
					return nil, nil, errorf(ErrUnknownTable, it.StarTable.Pos, "%s", msg)
				}
				return nil, nil, errorf(ErrInvalid, it.Pos, "SELECT * needs a FROM clause")
			}
			continue
		}
		x, err := eb.bind(it.Expr)
		if err != nil {
			return nil, nil, err
		}
		var name string
		switch {
		case it.Alias != nil:
			name = it.Alias.Name
		case isColumnRef(it.Expr):
			name = it.Expr.(*parser.ColumnRef).Column.Name
			if c, ok := x.(*ColRef); ok {
				name = c.Name
			}
		default:
			name = fmt.Sprintf("EXPR$%d", len(exprs))
		}
		exprs = append(exprs, x)
		names = append(names, name)
	}
	return exprs, names, nil
}

func isColumnRef(e parser.Expr) bool {
	_, ok := e.(*parser.ColumnRef)
	return ok
}

// bindOrderBy plans ORDER BY over the projection. Keys may name output
// columns (by alias) or any input expression; the latter are computed as
// hidden columns and projected away after the sort.
func (qb *queryBinder) bindOrderBy(q *parser.Query, input Node, eb *exprBinder, exprs []Expr, names []string) (Node, error) {
	visible := len(exprs)
	allExprs := append([]Expr(nil), exprs...)
	allNames := append([]string(nil), names...)
	var keys []SortKey
	for _, o := range q.OrderBy {
		idx := -1
		if ref, ok := o.Expr.(*parser.ColumnRef); ok && ref.Table == nil {
			for i := 0; i < visible; i++ {
				if nameEq(ref.Column, names[i]) {
					idx = i
					break
				}
			}
		}
		if lit, ok := o.Expr.(*parser.Literal); ok && lit.Kind == parser.LitInt {
			n, _ := strconv.Atoi(lit.Value)
			if n < 1 || n > visible {
				return nil, errorf(ErrInvalid, lit.Pos, "ORDER BY position %s is not in the select list (1 to %d)", lit.Value, visible)
			}
			idx = n - 1
		}
		if idx < 0 {
			x, err := eb.bindOutput(o.Expr)
			if err != nil {
				return nil, err
			}
			idx = len(allExprs)
			allExprs = append(allExprs, x)
			allNames = append(allNames, fmt.Sprintf("$order%d", len(keys)))
		}
		nullsFirst := o.Desc
		if o.NullsFirst != nil {
			nullsFirst = *o.NullsFirst
		}
		keys = append(keys, SortKey{Column: idx, Name: displayName(o.Expr, allNames[idx]), Desc: o.Desc, NullsFirst: nullsFirst})
	}
	var plan Node = &Project{Input: input, Exprs: allExprs, Names: allNames}
	if !plan.Props().Bounded {
		return nil, errorf(ErrUnsupported, q.OrderBy[0].Pos, "ORDER BY needs a bounded input; this query reads an unbounded stream").
			WithHint("read a bounded source (a file, or a generator with 'events'); streaming top-N is not supported yet")
	}
	plan = &Sort{Input: plan, Keys: keys}
	if len(allExprs) > visible {
		out := make([]Expr, visible)
		for i := range out {
			out[i] = &ColRef{Index: i, Name: allNames[i], Typ: allExprs[i].Type()}
		}
		plan = &Project{Input: plan, Exprs: out, Names: names}
	}
	return plan, nil
}

func displayName(e parser.Expr, fallback string) string {
	if ref, ok := e.(*parser.ColumnRef); ok {
		return ref.Column.Name
	}
	if strings.HasPrefix(fallback, "$order") {
		return "expr"
	}
	return fallback
}

// bindFrom binds a FROM item to a plan and the scope its columns form.
func (qb *queryBinder) bindFrom(t parser.TableExpr) (Node, *scope, error) {
	switch t := t.(type) {
	case *parser.TableName:
		if t.ForSystemTime != nil {
			return nil, nil, errorf(ErrInvalid, t.ForSystemTime.Position(), "FOR SYSTEM_TIME AS OF belongs on the right side of a JOIN (a lookup join)")
		}
		alias := t.Name.Name
		if t.Alias != nil {
			alias = t.Alias.Name
		}
		if src, ok := qb.cat.Source(t.Name.Name); ok {
			cols := make([]int, src.Schema.Len())
			for i := range cols {
				cols[i] = i
			}
			scan := newScan(t.Name.Pos, src, alias, cols, nil)
			return scan, scopeOf(scan.Schema(), alias), nil
		}
		if v, ok := qb.cat.View(t.Name.Name); ok {
			if qb.viewDepth > 32 {
				return nil, nil, errorf(ErrInvalid, t.Pos, "view %q refers to itself", v.Name)
			}
			qb.viewDepth++
			plan, err := qb.bindQuery(v.Query)
			qb.viewDepth--
			if err != nil {
				return nil, nil, fmt.Errorf("in view %s: %w", v.Name, err)
			}
			return plan, scopeOf(plan.Schema(), alias), nil
		}
		msg := fmt.Sprintf("unknown source or view %q", t.Name.Name)
		if s, ok := closest(t.Name.Name, qb.cat.relationNames()); ok {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		if _, ok := qb.cat.Sink(t.Name.Name); ok {
			msg = fmt.Sprintf("%q is a sink and cannot be read", t.Name.Name)
		}
		return nil, nil, errorf(ErrUnknownTable, t.Name.Pos, "%s", msg).
			WithHint("create it first with CREATE SOURCE; SHOW SOURCES lists what exists")
	case *parser.SubqueryTable:
		plan, err := qb.bindQuery(t.Query)
		if err != nil {
			return nil, nil, err
		}
		alias := ""
		if t.Alias != nil {
			alias = t.Alias.Name
		}
		return plan, scopeOf(plan.Schema(), alias), nil
	case *parser.JoinTable:
		return qb.bindJoin(t)
	case *parser.WindowTable:
		return qb.bindWindowTable(t)
	}
	return nil, nil, errorf(ErrUnsupported, t.Position(), "unsupported FROM item %T", t)
}
