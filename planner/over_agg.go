package planner

// OVER aggregation: aggregate calls with an OVER clause in a select list,
// Flink's over aggregation:
//
//	SELECT sensor, ts, temp,
//	  AVG(temp) OVER (PARTITION BY sensor ORDER BY ts
//	                  RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW) AS avg_1m
//	FROM readings
//
// As in Flink, every OVER call of a query shares one window (the same
// PARTITION BY, ORDER BY and frame), ordered by one time attribute
// ascending (the input's watermark column, or a processing-time
// attribute), with a frame that ends at the current row. The plan is
//
//	Project: the select list, each OVER call read from its column
//	  OverAgg: [AVG(temp)] partition=[sensor] order=[ts] RANGE ...
//	    Project: the FROM's columns, then partition keys and arguments
//	             that are not plain columns
//	      ... the FROM and WHERE
//
// The input's columns keep their positions, so the select list binds in
// the FROM's scope, with each OVER call mapped to its result column.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/parser"
)

// OverAgg computes aggregates over a window of rows for each input row.
// Its output is the input's columns, then one column per call.
type OverAgg struct {
	Input          Node
	Partition      []int // input columns
	PartitionNames []string
	TimeCol        int
	ByArrival      bool
	Frame          exec.OverFrame
	Calls          []OverAggCall
	Pos            parser.Pos
}

// OverAggCall is one aggregate of an OverAgg.
type OverAggCall struct {
	Func agg.Func
	Arg  int // input column; -1 for COUNT(*)
	Type arrow.DataType
	// Text is the call as written, for EXPLAIN.
	Text string
}

// Schema implements Node.
func (n *OverAgg) Schema() *Schema {
	cols := slices.Clone(n.Input.Schema().Columns)
	for i, c := range n.Calls {
		cols = append(cols, Column{Name: fmt.Sprintf("$over%d", i), Type: c.Type})
	}
	return &Schema{Columns: cols}
}

// Children implements Node.
func (n *OverAgg) Children() []Node { return []Node{n.Input} }

// WithChildren implements Node.
func (n *OverAgg) WithChildren(c []Node) Node {
	out := *n
	out.Input = c[0]
	return &out
}

// Props implements Node: rows go out once each, in order of time, so the
// output is append-only and keeps the input's watermark.
func (n *OverAgg) Props() Props { return n.Input.Props() }

// Describe implements Node.
func (n *OverAgg) Describe() string {
	in := n.Input.Schema()
	calls := make([]string, len(n.Calls))
	for i, c := range n.Calls {
		calls[i] = c.Text
	}
	parts := make([]string, len(n.Partition))
	for i, c := range n.Partition {
		parts[i] = in.Columns[c].Name
		if strings.HasPrefix(parts[i], "$") && i < len(n.PartitionNames) {
			parts[i] = n.PartitionNames[i]
		}
	}
	by := ""
	if n.ByArrival {
		by = " by arrival"
	}
	return fmt.Sprintf("OverAggregate: [%s] partition=[%s] order=[%s]%s %s", strings.Join(calls, ", "),
		strings.Join(parts, ", "), in.Columns[n.TimeCol].Name, by, n.Frame)
}

// spec is the exec spec of the node.
func (n *OverAgg) spec() exec.OverSpec {
	calls := make([]exec.OverCall, len(n.Calls))
	for i, c := range n.Calls {
		calls[i] = exec.OverCall{Func: c.Func, Arg: c.Arg}
	}
	return exec.OverSpec{Partition: n.Partition, TimeCol: n.TimeCol, ByArrival: n.ByArrival, Frame: n.Frame,
		Calls: calls, Schema: n.Schema().Arrow()}
}

// rankNames are the ranking functions, which run as a Top-N.
var rankNames = map[string]bool{"ROW_NUMBER": true, "RANK": true, "DENSE_RANK": true}

// overAggCalls lists the aggregate calls with an OVER clause in a select
// list, in order.
func overAggCalls(sel *parser.Select) []*parser.FuncCall {
	var calls []*parser.FuncCall
	for _, it := range sel.Items {
		walkAST(it.Expr, func(e parser.Expr) {
			if f, ok := e.(*parser.FuncCall); ok && f.Over != nil && !rankNames[f.Name] {
				calls = append(calls, f)
			}
		})
	}
	return calls
}

// bindOverAgg plans the OVER calls of a select list over plan, whose
// scope is sc; it returns the plan and a scope in which the select list
// binds, each call read from its result column.
func (qb *queryBinder) bindOverAgg(sel *parser.Select, calls []*parser.FuncCall, plan Node, sc *scope) (Node, *scope, error) {
	first := calls[0]
	w := first.Over
	for _, c := range calls[1:] {
		if windowText(c.Over) != windowText(w) {
			return nil, nil, errorf(ErrUnsupported, c.Over.Pos, "every OVER aggregate of a query must use the same window; this one differs from the first").
				WithHint("compute the other window in a subquery, or give them the same PARTITION BY, ORDER BY and frame")
		}
	}
	switch {
	case containsAggregate(sel):
		return nil, nil, errorf(ErrUnsupported, first.Pos, "OVER aggregates in a query with GROUP BY or other aggregates are not supported").
			WithHint("aggregate in a subquery, and compute the OVER aggregates over its result")
	case sel.Distinct:
		return nil, nil, errorf(ErrUnsupported, sel.Pos, "SELECT DISTINCT with OVER aggregates is not supported")
	case plan.Props().Updating:
		return nil, nil, errorf(ErrUnsupported, first.Pos, "OVER aggregation over an updating input (a changelog, such as an unwindowed GROUP BY or an outer join) is not supported").
			WithHint("aggregate an append-only stream: a source, a window aggregation, or an inner join")
	case len(w.OrderBy) != 1:
		return nil, nil, errorf(ErrInvalid, w.Pos, "an OVER aggregate needs ORDER BY one time attribute in its window").
			WithHint("order by the event time: OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)")
	}

	// Below: the FROM's columns in place, then the partition keys and
	// arguments that are not plain columns.
	in := plan.Schema()
	width := in.Len()
	exprs := make([]Expr, width)
	names := make([]string, width)
	for i, c := range in.Columns {
		exprs[i] = &ColRef{Index: i, Name: c.Name, Typ: c.Type}
		names[i] = c.Name
	}
	column := func(e Expr, hidden string) int {
		if c, ok := e.(*ColRef); ok {
			return c.Index
		}
		exprs, names = append(exprs, e), append(names, hidden)
		return len(exprs) - 1
	}
	eb := &exprBinder{sc: sc, clause: "OVER"}
	node := &OverAgg{Pos: first.Pos}
	for i, p := range w.PartitionBy {
		x, err := eb.bind(p)
		if err != nil {
			return nil, nil, err
		}
		node.Partition = append(node.Partition, column(x, fmt.Sprintf("$partition%d", i)))
		node.PartitionNames = append(node.PartitionNames, displayName(p, parser.Format(p)))
	}
	o := w.OrderBy[0]
	ox, err := eb.bind(o.Expr)
	if err != nil {
		return nil, nil, err
	}
	ref, ok := ox.(*ColRef)
	switch {
	case !ok || o.Desc || (in.Columns[ref.Index].ProcTime == (plan.Props().Watermark == ref.Index)):
		return nil, nil, errorf(ErrUnsupported, o.Pos, "an OVER aggregate must be ordered by a time attribute ascending: the input's watermark column or a processing-time attribute").
			WithHint("order by the column the source's WATERMARK is declared on, or by a PROCTIME() column")
	}
	node.TimeCol = ref.Index
	node.ByArrival = in.Columns[ref.Index].ProcTime
	if node.Frame, err = overFrame(w); err != nil {
		return nil, nil, err
	}
	for i, c := range calls {
		call, err := qb.bindOverCall(c, eb, func(x Expr) int { return column(x, fmt.Sprintf("$arg%d", i)) })
		if err != nil {
			return nil, nil, err
		}
		node.Calls = append(node.Calls, call)
	}
	input := &Project{Input: plan, Exprs: exprs, Names: names}
	node.Input = input
	spec := node.spec()
	if err := spec.Validate(input.Schema().Arrow()); err != nil {
		return nil, nil, errorf(ErrUnsupported, first.Pos, "%s", strings.TrimPrefix(err.Error(), "over: "))
	}
	out := &scope{cols: sc.cols, unusable: sc.unusable, over: map[*parser.FuncCall]*ColRef{}}
	base := len(exprs)
	for i, c := range calls {
		out.over[c] = &ColRef{Index: base + i, Name: node.Calls[i].Text, Typ: node.Calls[i].Type}
	}
	return node, out, nil
}

// bindOverCall binds one OVER call's function and argument; column places
// the argument in the OverAgg's input.
func (qb *queryBinder) bindOverCall(c *parser.FuncCall, eb *exprBinder, column func(Expr) int) (OverAggCall, error) {
	fn, ok := agg.LookupFunc(c.Name)
	if !ok || !aggregateNames[c.Name] {
		return OverAggCall{}, errorf(ErrUnsupported, c.Pos, "%s OVER (...) is not supported; OVER takes the aggregates COUNT, SUM, AVG, MIN and MAX, and ROW_NUMBER() as a Top-N", c.Name)
	}
	switch {
	case c.Distinct:
		return OverAggCall{}, errorf(ErrUnsupported, c.Pos, "DISTINCT in an OVER aggregate is not supported")
	case c.Filter != nil:
		return OverAggCall{}, errorf(ErrUnsupported, c.Filter.Position(), "FILTER in an OVER aggregate is not supported").
			WithHint("aggregate a CASE instead: SUM(CASE WHEN cond THEN x END) OVER (...)")
	}
	call := OverAggCall{Func: fn, Arg: -1, Text: parser.Format(c)}
	if i := strings.Index(strings.ToUpper(call.Text), " OVER"); i > 0 {
		call.Text = call.Text[:i]
	}
	var argType arrow.DataType
	switch {
	case c.Star && fn == agg.Count:
		call.Func = agg.CountStar
	case len(c.Args) != 1:
		return OverAggCall{}, errorf(ErrInvalid, c.Pos, "%s takes one argument", c.Name)
	default:
		x, err := eb.bind(c.Args[0])
		if err != nil {
			return OverAggCall{}, err
		}
		call.Arg = column(x)
		argType = x.Type()
	}
	t, err := exec.OverCallType(call.Func, argType)
	if err != nil {
		return OverAggCall{}, errorf(ErrUnsupported, c.Pos, "%s", err.Error())
	}
	call.Type = t
	return call, nil
}

// overFrame reads a window's frame: ROWS or RANGE from UNBOUNDED
// PRECEDING, n PRECEDING (ROWS), INTERVAL ... PRECEDING (RANGE) or CURRENT
// ROW, up to CURRENT ROW. No frame is RANGE BETWEEN UNBOUNDED PRECEDING
// AND CURRENT ROW, SQL's default with ORDER BY.
func overFrame(w *parser.WindowSpec) (exec.OverFrame, error) {
	f := w.Frame
	if f == nil {
		return exec.OverFrame{Unbounded: true}, nil
	}
	out := exec.OverFrame{Rows: f.Unit == "ROWS"}
	if f.End != nil && f.End.Kind != "CURRENT ROW" {
		return out, errorf(ErrUnsupported, f.End.Pos, "OVER frames must end at CURRENT ROW; %s is not supported", f.End.Kind).
			WithHint("a streaming OVER aggregate emits each row once, when it arrives: its frame cannot reach later rows")
	}
	b := f.Start
	switch b.Kind {
	case "UNBOUNDED PRECEDING":
		out.Unbounded = true
	case "CURRENT ROW":
	case "PRECEDING":
		if out.Rows {
			lit, ok := b.Offset.(*parser.Literal)
			var n int64
			var err error
			if ok && lit.Kind == parser.LitInt {
				n, err = strconv.ParseInt(lit.Value, 10, 64)
			}
			if !ok || lit.Kind != parser.LitInt || err != nil || n < 0 {
				return out, errorf(ErrInvalid, b.Pos, "ROWS n PRECEDING needs a non-negative integer n")
			}
			out.Preceding = n
			break
		}
		iv, ok := b.Offset.(*parser.IntervalLit)
		if !ok {
			return out, errorf(ErrInvalid, b.Pos, "RANGE ... PRECEDING needs an interval, such as INTERVAL '10' MINUTE").
				WithHint("count rows with ROWS BETWEEN n PRECEDING AND CURRENT ROW")
		}
		ms, err := intervalMillis(iv)
		if err != nil {
			return out, err
		}
		out.Preceding = ms
	default:
		return out, errorf(ErrUnsupported, b.Pos, "an OVER frame cannot start at %s", b.Kind)
	}
	return out, nil
}

// windowText renders a window for comparing the windows of OVER calls.
func windowText(w *parser.WindowSpec) string {
	var b strings.Builder
	for _, p := range w.PartitionBy {
		b.WriteString(parser.Format(p) + ";")
	}
	b.WriteString("|")
	for _, o := range w.OrderBy {
		fmt.Fprintf(&b, "%s %v;", parser.Format(o.Expr), o.Desc)
	}
	if f := w.Frame; f != nil {
		fmt.Fprintf(&b, "|%s %s %s", f.Unit, f.Start.Kind, formatOffset(f.Start.Offset))
		if f.End != nil {
			b.WriteString(" " + f.End.Kind)
		}
	}
	return b.String()
}

func formatOffset(e parser.Expr) string {
	if e == nil {
		return ""
	}
	return parser.Format(e)
}
