package planner

// Top-N and deduplication: the one use of OVER that Weir runs, Flink's
// pattern
//
//	SELECT * FROM (
//	  SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x DESC) AS rn FROM t
//	) WHERE rn <= N
//
// The binder recognizes it at the FROM item of the outer query (a subquery
// or a view whose select list has ROW_NUMBER() OVER (...)), takes N from
// the outer WHERE (rn <= N, rn < N, rn = N, rn BETWEEN a AND N; the other
// conditions stay a filter over the result) and plans a TopN node:
//
//	Project: the subquery's select list, rn as the TopN's last column
//	  TopN: n=N partition=[k] order=[x DESC] rank=rn
//	    Project: the select list without rn, then the keys it lacks
//	      ... the subquery's FROM and WHERE
//
// With N = 1 and a time attribute as the only sort key, the TopN is a
// deduplication (exec.TopNKeepFirst ascending, exec.TopNKeepLast
// descending). PruneColumns drops the row number when nothing above reads
// it, which is Flink's "no rank number" optimization: rows that leave the
// top N are deleted instead of every rank after them being updated.

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/parser"
	"github.com/weirsql/weir/sqltypes"
)

// TopN keeps, for each partition of its input, the first N rows by Order.
// Its output is the input's columns, then the row number (BIGINT, from 1)
// when RankOutput.
type TopN struct {
	Input     Node
	Partition []int // input columns
	// PartitionNames are the partition keys as written, for EXPLAIN.
	PartitionNames []string
	Order          []SortKey
	N              int64
	// Mode is exec.TopNRows, or a deduplication (exec.TopNKeepFirst,
	// exec.TopNKeepLast) when N is 1 and Order is one time attribute.
	Mode exec.TopNMode
	// ByArrival marks a deduplication over a processing-time attribute:
	// arrival order, not the values, decides.
	ByArrival  bool
	RankName   string
	RankOutput bool
	Pos        parser.Pos
}

// Schema implements Node.
func (n *TopN) Schema() *Schema {
	in := n.Input.Schema()
	if !n.RankOutput {
		return in
	}
	return &Schema{Columns: append(slices.Clone(in.Columns), Column{Name: n.RankName, Type: sqltypes.BigInt})}
}

// Children implements Node.
func (n *TopN) Children() []Node { return []Node{n.Input} }

// WithChildren implements Node.
func (n *TopN) WithChildren(c []Node) Node {
	out := *n
	out.Input = c[0]
	return &out
}

// Props implements Node. Keeping the first row only ever inserts, so the
// input's watermark survives; the other modes update their rows.
func (n *TopN) Props() Props {
	in := n.Input.Props()
	if n.Mode == exec.TopNKeepFirst {
		return in
	}
	return Props{Bounded: in.Bounded, Updating: true, Watermark: -1}
}

// Describe implements Node.
func (n *TopN) Describe() string {
	in := n.Input.Schema()
	// A key computed below the TopN has a hidden name ($order0): it
	// shows as written instead.
	parts := make([]string, len(n.Partition))
	for i, c := range n.Partition {
		parts[i] = in.Columns[c].Name
		if strings.HasPrefix(parts[i], "$") && i < len(n.PartitionNames) {
			parts[i] = n.PartitionNames[i]
		}
	}
	order := make([]string, len(n.Order))
	for i, k := range n.Order {
		order[i] = in.Columns[k.Column].Name
		if strings.HasPrefix(order[i], "$") && k.Name != "" {
			order[i] = k.Name
		}
		if k.Desc {
			order[i] += " DESC"
		}
		if k.NullsFirst != k.Desc {
			if k.NullsFirst {
				order[i] += " NULLS FIRST"
			} else {
				order[i] += " NULLS LAST"
			}
		}
	}
	var b strings.Builder
	if n.Mode == exec.TopNRows {
		fmt.Fprintf(&b, "TopN: n=%d", n.N)
	} else {
		fmt.Fprintf(&b, "Deduplicate: %s", n.Mode)
	}
	fmt.Fprintf(&b, " partition=[%s] order=[%s]", strings.Join(parts, ", "), strings.Join(order, ", "))
	if n.ByArrival {
		b.WriteString(" by arrival")
	}
	if n.RankOutput {
		b.WriteString(" rank=" + n.RankName)
	} else if n.Mode == exec.TopNRows {
		b.WriteString(" no rank number")
	}
	return b.String()
}

// prune narrows the input to the columns the parent, the keys and the
// order need, and drops the row number when the parent does not read it.
func (n *TopN) prune(need map[int]bool, changed *bool) (Node, map[int]int) {
	width := n.Input.Schema().Len()
	want := map[int]bool{}
	for i := range need {
		if i < width {
			want[i] = true
		}
	}
	for _, c := range n.Partition {
		want[c] = true
	}
	for _, k := range n.Order {
		want[k.Column] = true
	}
	in, m := prune(n.Input, want, changed)
	rank := n.RankOutput && need[width]
	if in == n.Input && rank == n.RankOutput {
		return n, identity(n.Schema().Len())
	}
	if rank != n.RankOutput {
		*changed = true
	}
	out := *n
	out.Input, out.RankOutput = in, rank
	out.Partition = make([]int, len(n.Partition))
	for i, c := range n.Partition {
		out.Partition[i] = m[c]
	}
	out.Order = make([]SortKey, len(n.Order))
	for i, k := range n.Order {
		k.Column = m[k.Column]
		out.Order[i] = k
	}
	om := map[int]int{}
	for o, nw := range m {
		om[o] = nw
	}
	if rank {
		om[width] = in.Schema().Len()
	}
	return &out, om
}

// ---------------------------------------------------------------------------
// Binding

// overUnsupported is the error for an OVER call the query cannot run
// where it is: a ranking function outside the Top-N pattern, or an OVER
// aggregate outside a select list.
func overUnsupported(e *parser.FuncCall) error {
	if rankNames[e.Name] {
		return errorf(ErrUnsupported, e.Pos, "%s() OVER (...) runs only as a Top-N", e.Name).
			WithHint("rank in a subquery and bound the rank in the outer query: " +
				"SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x DESC) AS rn FROM t) WHERE rn <= 10")
	}
	return errorf(ErrUnsupported, e.Pos, "%s OVER (...) is not allowed here", e.Name).
		WithHint("OVER aggregates go in a select list: SELECT k, ts, SUM(x) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) FROM t")
}

// topNSource is a FROM item whose query ranks its rows with ROW_NUMBER().
type topNSource struct {
	query *parser.Query
	alias string // what the outer query may qualify its columns with
	view  string // the view it comes from, or ""
}

// overItem returns the select item's OVER call when the item is one.
func overItem(it *parser.SelectItem) *parser.FuncCall {
	if f, ok := it.Expr.(*parser.FuncCall); ok && f.Over != nil {
		return f
	}
	return nil
}

// topNFrom returns the Top-N source that t is, or nil: a subquery, or a
// view, with an OVER call as an item of its select list.
func (qb *queryBinder) topNFrom(t parser.TableExpr) *topNSource {
	ranks := func(q *parser.Query) bool {
		return slices.ContainsFunc(q.Select.Items, func(it *parser.SelectItem) bool {
			f := overItem(it)
			return f != nil && rankNames[f.Name]
		})
	}
	switch t := t.(type) {
	case *parser.SubqueryTable:
		if !ranks(t.Query) {
			return nil
		}
		src := &topNSource{query: t.Query}
		if t.Alias != nil {
			src.alias = t.Alias.Name
		}
		return src
	case *parser.TableName:
		if t.ForSystemTime != nil {
			return nil
		}
		if _, ok := qb.cat.Source(t.Name.Name); ok {
			return nil
		}
		v, ok := qb.cat.View(t.Name.Name)
		if !ok || !ranks(v.Query) {
			return nil
		}
		src := &topNSource{query: v.Query, alias: t.Name.Name, view: v.Name}
		if t.Alias != nil {
			src.alias = t.Alias.Name
		}
		return src
	}
	return nil
}

// bindTopN plans a Top-N source filtered by the outer query's WHERE. It
// returns the plan, its scope, and what remains of the WHERE to apply
// over it.
func (qb *queryBinder) bindTopN(src *topNSource, where parser.Expr) (Node, *scope, parser.Expr, error) {
	if src.view != "" {
		if qb.viewDepth > 32 {
			return nil, nil, nil, errorf(ErrInvalid, src.query.Pos, "view %q refers to itself", src.view)
		}
		qb.viewDepth++
		defer func() { qb.viewDepth-- }()
	}
	plan, sc, rest, err := qb.bindTopNQuery(src, where, false)
	if err != nil && src.view != "" {
		err = fmt.Errorf("in view %s: %w", src.view, err)
	}
	return plan, sc, rest, err
}

// bindViewQuery binds a view's query when the view is created. A view
// whose select list ranks its rows is a Top-N waiting for the bound that
// a query over it gives: it is checked as one without a bound.
func (qb *queryBinder) bindViewQuery(q *parser.Query) (Node, error) {
	if src := qb.topNFrom(&parser.SubqueryTable{Pos: q.Pos, Query: q}); src != nil {
		plan, _, _, err := qb.bindTopNQuery(src, nil, true)
		return plan, err
	}
	return qb.bindQuery(q)
}

// bindTopNQuery plans src bounded by where; unbounded lets a missing bound
// pass (a view's definition), keeping every row.
func (qb *queryBinder) bindTopNQuery(src *topNSource, where parser.Expr, unbounded bool) (Node, *scope, parser.Expr, error) {
	q := src.query
	sel := q.Select
	var call *parser.FuncCall
	item := -1
	for i, it := range sel.Items {
		if f := overItem(it); f != nil {
			if call != nil {
				return nil, nil, nil, errorf(ErrUnsupported, f.Pos, "only one OVER call per query is supported")
			}
			call, item = f, i
		}
	}
	if err := checkRankCall(call); err != nil {
		return nil, nil, nil, err
	}
	switch {
	case len(q.OrderBy) > 0:
		return nil, nil, nil, errorf(ErrUnsupported, q.OrderBy[0].Pos, "ORDER BY in a query with ROW_NUMBER() is not supported").
			WithHint("the ranking orders the rows: put the order in OVER (... ORDER BY ...)")
	case q.Limit != nil:
		return nil, nil, nil, errorf(ErrUnsupported, q.Limit.Position(), "LIMIT in a query with ROW_NUMBER() is not supported").
			WithHint("filter on the row number instead: WHERE rn <= 10")
	case sel.Distinct:
		return nil, nil, nil, errorf(ErrUnsupported, sel.Pos, "SELECT DISTINCT with ROW_NUMBER() is not supported")
	case containsAggregate(sel):
		return nil, nil, nil, errorf(ErrUnsupported, call.Pos, "ROW_NUMBER() in an aggregating query is not supported yet")
	case sel.From == nil:
		return nil, nil, nil, errorf(ErrInvalid, call.Pos, "ROW_NUMBER() needs a FROM clause")
	}
	plan, sc, err := qb.bindFrom(sel.From)
	if err != nil {
		return nil, nil, nil, err
	}
	if sel.Where != nil {
		cond, err := (&exprBinder{sc: sc, clause: "WHERE"}).bindBool(sel.Where, "WHERE")
		if err != nil {
			return nil, nil, nil, err
		}
		plan = &Filter{Input: plan, Cond: cond}
	}
	if plan.Props().Updating {
		return nil, nil, nil, errorf(ErrUnsupported, call.Pos, "ROW_NUMBER() over an updating input (a changelog, such as an unwindowed GROUP BY or an outer join) is not supported yet").
			WithHint("rank an append-only stream: a source, a window aggregation, or an inner join")
	}

	// The select list, the row number aside.
	var exprs []Expr
	var names []string
	rankAt := -1
	rankName := ""
	for i, it := range sel.Items {
		if i == item {
			rankAt = len(exprs)
			rankName = fmt.Sprintf("EXPR$%d", len(exprs))
			if it.Alias != nil {
				rankName = it.Alias.Name
			}
			exprs, names = append(exprs, nil), append(names, rankName)
			continue
		}
		es, ns, err := qb.bindSelectList([]*parser.SelectItem{it}, sc)
		if err != nil {
			return nil, nil, nil, err
		}
		if it.Alias == nil && !it.Star && !isColumnRef(it.Expr) {
			ns[0] = fmt.Sprintf("EXPR$%d", len(exprs)) // numbered in the whole list
		}
		exprs, names = append(exprs, es...), append(names, ns...)
	}

	// The rows to keep, from the outer WHERE.
	n, rest, err := rankBound(where, call, func(e parser.Expr) bool {
		ref, ok := e.(*parser.ColumnRef)
		return ok && nameEq(ref.Column, rankName) && (ref.Table == nil || (src.alias != "" && nameEq(*ref.Table, src.alias)))
	}, rankName)
	switch {
	case err != nil && unbounded && where == nil:
		n = math.MaxInt64
	case err != nil:
		return nil, nil, nil, err
	}

	// Below the TopN: the select list without the row number, then the
	// partition and sort keys it does not hold already.
	var inExprs []Expr
	var inNames []string
	at := make([]int, len(exprs)) // select item → input column
	for i, e := range exprs {
		if i == rankAt {
			continue
		}
		at[i] = len(inExprs)
		inExprs, inNames = append(inExprs, e), append(inNames, names[i])
	}
	column := func(e Expr, hidden string) int {
		if c, ok := e.(*ColRef); ok {
			for j, x := range inExprs {
				if d, ok := x.(*ColRef); ok && d.Index == c.Index {
					return j
				}
			}
		}
		inExprs, inNames = append(inExprs, e), append(inNames, hidden)
		return len(inExprs) - 1
	}
	eb := &exprBinder{sc: sc, clause: "OVER"}
	top := &TopN{N: n, Mode: exec.TopNRows, RankName: rankName, RankOutput: true, Pos: call.Pos}
	for i, p := range call.Over.PartitionBy {
		x, err := eb.bind(p)
		if err != nil {
			return nil, nil, nil, err
		}
		top.Partition = append(top.Partition, column(x, fmt.Sprintf("$partition%d", i)))
		top.PartitionNames = append(top.PartitionNames, displayName(p, parser.Format(p)))
	}
	for i, o := range call.Over.OrderBy {
		x, err := eb.bind(o.Expr)
		if err != nil {
			return nil, nil, nil, err
		}
		nullsFirst := o.Desc
		if o.NullsFirst != nil {
			nullsFirst = *o.NullsFirst
		}
		top.Order = append(top.Order, SortKey{Column: column(x, fmt.Sprintf("$order%d", i)), Name: displayName(o.Expr, parser.Format(o.Expr)), Desc: o.Desc, NullsFirst: nullsFirst})
	}
	input := &Project{Input: plan, Exprs: inExprs, Names: inNames}
	top.Input = input
	dedup(top)
	spec := top.spec()
	if err := spec.Validate(input.Schema().Arrow()); err != nil {
		return nil, nil, nil, errorf(ErrUnsupported, call.Over.Pos, "%s", strings.TrimPrefix(err.Error(), "top-n: "))
	}

	// Above it: the select list in its order, the row number included.
	width := input.Schema().Len()
	out := &Project{Input: top}
	for i, e := range exprs {
		if i == rankAt {
			out.Exprs = append(out.Exprs, &ColRef{Index: width, Name: rankName, Typ: sqltypes.BigInt})
		} else {
			out.Exprs = append(out.Exprs, &ColRef{Index: at[i], Name: names[i], Typ: e.Type()})
		}
		out.Names = append(out.Names, names[i])
	}
	return out, scopeOf(out.Schema(), src.alias), rest, nil
}

// dedup makes a top 1 ordered by one time attribute a deduplication: over
// the watermark's column (event time) or a processing-time attribute,
// ascending keeps each partition's first row, descending its last.
func dedup(top *TopN) {
	if top.N != 1 || len(top.Order) != 1 {
		return
	}
	k := top.Order[0]
	in := top.Input
	proc := in.Schema().Columns[k.Column].ProcTime
	if !proc && in.Props().Watermark != k.Column {
		return
	}
	top.Mode, top.ByArrival = exec.TopNKeepFirst, proc
	if k.Desc {
		top.Mode = exec.TopNKeepLast
	}
}

// checkRankCall accepts ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...).
func checkRankCall(f *parser.FuncCall) error {
	switch {
	case f.Name == "RANK" || f.Name == "DENSE_RANK":
		return errorf(ErrUnsupported, f.Pos, "%s() is not supported yet; ROW_NUMBER() is", f.Name).
			WithHint("ROW_NUMBER() numbers rows with equal sort keys one after another, in arrival order")
	case f.Name != "ROW_NUMBER":
		return overUnsupported(f)
	case len(f.Args) > 0 || f.Star || f.Distinct:
		return errorf(ErrInvalid, f.Pos, "ROW_NUMBER() takes no arguments")
	case f.Filter != nil:
		return errorf(ErrInvalid, f.Filter.Position(), "ROW_NUMBER() takes no FILTER")
	case f.Over.Frame != nil:
		return errorf(ErrUnsupported, f.Over.Frame.Pos, "window frames (%s ...) are not supported yet", f.Over.Frame.Unit).
			WithHint("ROW_NUMBER() needs no frame: drop it")
	case len(f.Over.OrderBy) == 0:
		return errorf(ErrInvalid, f.Over.Pos, "ROW_NUMBER() needs ORDER BY in its OVER clause").
			WithHint("say which rows come first: OVER (PARTITION BY k ORDER BY x DESC)")
	}
	return nil
}

// rankBound finds how many rows per partition the outer WHERE keeps: the
// smallest upper bound among its conjuncts rn <= N, rn < N, rn = N and
// rn BETWEEN a AND N (either side of the comparison). Conjuncts that only
// bound the row number from above are consumed; the others (rn = 3,
// rn >= 2, conditions on other columns) are returned to be applied over
// the Top-N's result.
func rankBound(where parser.Expr, call *parser.FuncCall, isRank func(parser.Expr) bool, name string) (int64, parser.Expr, error) {
	n := int64(-1)
	var boundPos parser.Pos
	var rest []parser.Expr
	for _, c := range astConjuncts(where) {
		upper, consumed, ok := rankUpper(c, isRank)
		if ok && (n < 0 || upper < n) {
			n, boundPos = upper, c.Position()
		}
		if !consumed {
			rest = append(rest, c)
		}
	}
	switch {
	case n < 0:
		return 0, nil, errorf(ErrUnsupported, call.Pos, "ROW_NUMBER() needs an upper bound on %s in the outer query's WHERE", name).
			WithHint("keep the top rows of each partition: SELECT * FROM (SELECT ..., ROW_NUMBER() OVER (...) AS %s FROM t) WHERE %s <= 10", name, name)
	case n < 1:
		return 0, nil, errorf(ErrInvalid, boundPos, "this bound on %s keeps no rows (row numbers start at 1)", name)
	}
	var out parser.Expr
	for _, c := range rest {
		if out == nil {
			out = c
		} else {
			out = &parser.Binary{Pos: out.Position(), Op: "AND", Left: out, Right: c}
		}
	}
	return n, out, nil
}

// astConjuncts splits e at its top-level ANDs.
func astConjuncts(e parser.Expr) []parser.Expr {
	if e == nil {
		return nil
	}
	if b, ok := e.(*parser.Binary); ok && b.Op == "AND" {
		return append(astConjuncts(b.Left), astConjuncts(b.Right)...)
	}
	return []parser.Expr{e}
}

// rankUpper reads an upper bound on the row number from one conjunct; it
// is consumed when the Top-N enforces all it says.
func rankUpper(c parser.Expr, isRank func(parser.Expr) bool) (upper int64, consumed, ok bool) {
	switch c := c.(type) {
	case *parser.Binary:
		op := c.Op
		var lit parser.Expr
		switch {
		case isRank(c.Left):
			lit = c.Right
		case isRank(c.Right):
			lit = c.Left
			op = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}[op]
		default:
			return 0, false, false
		}
		v, ok := rankLiteral(lit)
		if !ok {
			return 0, false, false
		}
		switch op {
		case "<=":
			return v, true, true
		case "<":
			return v - 1, true, true
		case "=":
			return v, v == 1, true
		}
	case *parser.Between:
		if c.Not || !isRank(c.X) {
			return 0, false, false
		}
		lo, ok1 := rankLiteral(c.Lo)
		hi, ok2 := rankLiteral(c.Hi)
		if ok1 && ok2 {
			return hi, lo <= 1, true
		}
	}
	return 0, false, false
}

// rankLiteral reads an integer literal.
func rankLiteral(e parser.Expr) (int64, bool) {
	lit, ok := e.(*parser.Literal)
	if !ok || lit.Kind != parser.LitInt {
		return 0, false
	}
	v, err := strconv.ParseInt(lit.Value, 10, 64)
	return v, err == nil
}
