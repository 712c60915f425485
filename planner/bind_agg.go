package planner

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/parser"
	"github.com/weirsql/weir/sqltypes"
)

// aggRef stands for aggregate Index of the query while its select list is
// bound; rewriteOverAggregate replaces it with the aggregate's output column.
type aggRef struct {
	Index int
	Call  *AggCall
}

// winRef stands for window_start (0), window_end (1) or window_time (2) of
// the GROUP BY window, as TUMBLE_START(...) and friends name them.
type winRef struct {
	Col int
	Pos parser.Pos
}

func (e *aggRef) Type() arrow.DataType     { return e.Call.Typ }
func (e *aggRef) String() string           { return e.Call.String() }
func (e *aggRef) Children() []Expr         { return nil }
func (e *aggRef) WithChildren([]Expr) Expr { return e }
func (e *winRef) Type() arrow.DataType     { return sqltypes.Timestamp }
func (e *winRef) String() string           { return windowColumns[e.Col] }
func (e *winRef) Children() []Expr         { return nil }
func (e *winRef) WithChildren([]Expr) Expr { return e }

// aggContext collects the aggregate calls of one SELECT while it is bound.
type aggContext struct {
	calls []*AggCall
	keys  map[string]int // exprKey of a call → index
	// window is the GROUP BY window; windowCall is its call as written.
	window     *Window
	windowCall *parser.FuncCall
	windowArgs []Expr
	// updating says the input is a changelog: every aggregate must be able
	// to retract a row.
	updating bool
}

// containsAggregate reports whether a SELECT needs aggregation.
func containsAggregate(sel *parser.Select) bool {
	if len(sel.GroupBy) > 0 || sel.Having != nil {
		return true
	}
	found := false
	for _, it := range sel.Items {
		if it.Expr != nil {
			walkAST(it.Expr, func(e parser.Expr) {
				if f, ok := e.(*parser.FuncCall); ok && f.Over == nil && aggregateNames[f.Name] {
					found = true
				}
			})
		}
	}
	return found
}

// walkAST calls f on e and the expressions inside it (not into subqueries).
func walkAST(e parser.Expr, f func(parser.Expr)) {
	if e == nil {
		return
	}
	f(e)
	switch e := e.(type) {
	case *parser.Binary:
		walkAST(e.Left, f)
		walkAST(e.Right, f)
	case *parser.Unary:
		walkAST(e.X, f)
	case *parser.IsNull:
		walkAST(e.X, f)
	case *parser.IsBool:
		walkAST(e.X, f)
	case *parser.In:
		walkAST(e.X, f)
		for _, x := range e.List {
			walkAST(x, f)
		}
	case *parser.Between:
		walkAST(e.X, f)
		walkAST(e.Lo, f)
		walkAST(e.Hi, f)
	case *parser.Like:
		walkAST(e.X, f)
		walkAST(e.Pattern, f)
	case *parser.Case:
		walkAST(e.Operand, f)
		for _, w := range e.Whens {
			walkAST(w.Cond, f)
			walkAST(w.Result, f)
		}
		walkAST(e.Else, f)
	case *parser.Cast:
		walkAST(e.X, f)
	case *parser.Extract:
		walkAST(e.X, f)
	case *parser.FuncCall:
		for _, a := range e.Args {
			walkAST(a, f)
		}
		walkAST(e.Filter, f)
	}
}

// bindAggregateCall binds COUNT(...), SUM(...), ... in an aggregate context.
func (b *exprBinder) bindAggregateCall(e *parser.FuncCall) (Expr, error) {
	if b.inAggregate {
		return nil, errorf(ErrInvalid, e.Pos, "aggregate function calls cannot be nested")
	}
	if e.Over != nil {
		return nil, errorf(ErrUnsupported, e.Pos, "OVER windows are not supported yet")
	}
	fn, ok := agg.LookupFunc(e.Name)
	if !ok {
		return nil, errorf(ErrUnknownFunction, e.Pos, "unknown aggregate function %s", e.Name)
	}
	if b.aggs.updating && !agg.Retractable(fn) {
		hint := "aggregate an append-only input, or use MIN or MAX"
		if fn == agg.ApproxCountDistinct {
			hint = "use COUNT(DISTINCT ...), which can"
		}
		return nil, errorf(ErrUnsupported, e.Pos, "%s over an updating input (a changelog) is not supported: it cannot take back a retracted row", fn).
			WithHint("%s", hint)
	}
	inner := &exprBinder{sc: b.sc, clause: b.clause, inAggregate: true, colPos: b.colPos}
	call := &AggCall{Func: fn, Distinct: e.Distinct}
	switch {
	case e.Star:
		if fn != agg.Count {
			return nil, errorf(ErrInvalid, e.Pos, "%s(*) is not allowed; only COUNT(*)", e.Name)
		}
		call.Func = agg.CountStar
	case len(e.Args) != 1:
		return nil, errorf(ErrInvalid, e.Pos, "%s takes one argument, got %d", e.Name, len(e.Args))
	default:
		arg, err := inner.bind(e.Args[0])
		if err != nil {
			return nil, err
		}
		if arg.Type().ID() == arrow.NULL {
			arg = castTo(arg, sqltypes.BigInt)
		}
		call.Arg = arg
	}
	if e.Filter != nil {
		cond, err := inner.bindBool(e.Filter, "FILTER (WHERE ...)")
		if err != nil {
			return nil, err
		}
		call.Filter = cond
	}
	spec := agg.Spec{Func: call.Func, Distinct: call.Distinct}
	if call.Arg != nil {
		spec.Arg = call.Arg.Type()
	}
	t, err := agg.ResultType(spec)
	if err != nil {
		return nil, errorf(ErrType, e.Pos, "%v", err)
	}
	call.Typ = t
	k := exprKey(&aggRef{Call: call})
	if i, ok := b.aggs.keys[k]; ok {
		return &aggRef{Index: i, Call: b.aggs.calls[i]}, nil
	}
	b.aggs.keys[k] = len(b.aggs.calls)
	b.aggs.calls = append(b.aggs.calls, call)
	return &aggRef{Index: len(b.aggs.calls) - 1, Call: call}, nil
}

// bindWindowProperty binds TUMBLE_START(ts, size) and friends, which must
// repeat the GROUP BY window.
func (b *exprBinder) bindWindowProperty(e *parser.FuncCall) (Expr, error) {
	i := strings.LastIndexByte(e.Name, '_')
	kind, prop := e.Name[:i], e.Name[i+1:]
	w := b.aggs.window
	if w == nil || b.aggs.windowCall == nil || w.Kind.String() != kind {
		return nil, errorf(ErrInvalid, e.Pos, "%s needs GROUP BY %s(...)", e.Name, kind)
	}
	args, _, err := b.bindAll(e.Args)
	if err != nil {
		return nil, err
	}
	same := len(args) == len(b.aggs.windowArgs)
	for j := 0; same && j < len(args); j++ {
		same = exprKey(args[j]) == exprKey(b.aggs.windowArgs[j])
	}
	if !same {
		return nil, errorf(ErrInvalid, e.Pos, "the arguments of %s must repeat those of %s in GROUP BY", e.Name, kind)
	}
	col := map[string]int{"START": 0, "END": 1, "ROWTIME": 2}[prop]
	return &winRef{Col: col, Pos: e.Pos}, nil
}

// bindGroupWindow turns TUMBLE(ts, size), HOP(ts, slide, size),
// CUMULATE(ts, step, size) or SESSION(ts, gap) into a Window.
func bindGroupWindow(b *exprBinder, e *parser.FuncCall) (*Window, []Expr, error) {
	want := map[string]int{"TUMBLE": 2, "HOP": 3, "CUMULATE": 3, "SESSION": 2}[e.Name]
	if len(e.Args) != want {
		return nil, nil, errorf(ErrInvalid, e.Pos, "%s takes %d arguments, got %d", e.Name, want, len(e.Args))
	}
	ref, ok := e.Args[0].(*parser.ColumnRef)
	if !ok {
		return nil, nil, errorf(ErrInvalid, e.Args[0].Position(), "the first argument of %s must be a TIMESTAMP column", e.Name)
	}
	args, _, err := b.bindAll(e.Args)
	if err != nil {
		return nil, nil, err
	}
	col := args[0].(*ColRef)
	if col.Typ.ID() != arrow.TIMESTAMP {
		return nil, nil, errorf(ErrType, ref.Pos, "%s needs a TIMESTAMP column, %q is %s", e.Name, col.Name, typeName(col.Typ))
	}
	ms := make([]int64, len(args)-1)
	for i, a := range args[1:] {
		if ms[i], err = intervalArg(a, e.Args[i+1].Position(), e.Name); err != nil {
			return nil, nil, err
		}
	}
	w := &Window{TimeCol: col.Index, TimeName: col.Name, ProcTime: b.sc.cols[col.Index].procTime}
	switch e.Name {
	case "TUMBLE":
		w.Kind, w.Size = Tumble, ms[0]
	case "HOP":
		w.Kind, w.Slide, w.Size = Hop, ms[0], ms[1]
	case "CUMULATE":
		w.Kind, w.Step, w.Size = Cumulate, ms[0], ms[1]
	case "SESSION":
		w.Kind, w.Gap = Session, ms[0]
	}
	if err := checkWindow(w, e.Pos); err != nil {
		return nil, nil, err
	}
	return w, args, nil
}

// intervalArg reads a constant INTERVAL argument of a window function.
func intervalArg(e Expr, pos parser.Pos, fn string) (int64, error) {
	if f, ok := foldExpr(e); ok {
		e = f
	}
	lit, ok := e.(*Lit)
	if !ok || !lit.Value.IsValid() {
		return 0, errorf(ErrInvalid, pos, "%s needs a constant INTERVAL here", fn)
	}
	d, ok := lit.Value.(*scalar.Duration)
	if !ok {
		return 0, errorf(ErrType, pos, "%s needs an INTERVAL here, got %s", fn, typeName(lit.Value.DataType()))
	}
	if d.Value <= 0 {
		return 0, errorf(ErrInvalid, pos, "%s needs a positive INTERVAL", fn)
	}
	return int64(d.Value), nil
}

func checkWindow(w *Window, pos parser.Pos) error {
	switch w.Kind {
	case Hop:
		if w.Size%w.Slide != 0 {
			return errorf(ErrInvalid, pos, "HOP size %s must be a whole multiple of its slide %s", formatInterval(w.Size), formatInterval(w.Slide))
		}
	case Cumulate:
		if w.Size%w.Step != 0 {
			return errorf(ErrInvalid, pos, "CUMULATE size %s must be a whole multiple of its step %s", formatInterval(w.Size), formatInterval(w.Step))
		}
	}
	return nil
}

// bindWindowTable binds FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), ...)).
func (qb *queryBinder) bindWindowTable(t *parser.WindowTable) (Node, *scope, error) {
	input, sc, err := qb.bindFrom(&parser.TableName{Pos: t.Table.Pos, Name: t.Table})
	if err != nil {
		return nil, nil, err
	}
	eb := &exprBinder{sc: sc}
	call := &parser.FuncCall{Pos: t.Pos, Name: t.Func, Args: append([]parser.Expr{&parser.ColumnRef{Pos: t.TimeCol.Pos, Column: t.TimeCol}}, t.Args...)}
	w, _, err := bindGroupWindow(eb, call)
	if err != nil {
		return nil, nil, err
	}
	if err := checkWatermark(input, w, t.Pos); err != nil {
		return nil, nil, err
	}
	node := &WindowTVF{Input: input, Window: w}
	alias := t.Table.Name
	if t.Alias != nil {
		alias = t.Alias.Name
	}
	return node, scopeOf(node.Schema(), alias), nil
}

// checkWatermark refuses a window over an unbounded input whose time column
// carries no watermark: its windows would never close.
//
// A window over a processing-time attribute needs none: it closes on the
// wall clock.
func checkWatermark(input Node, w *Window, pos parser.Pos) error {
	p := input.Props()
	if p.Bounded || p.Watermark == w.TimeCol || w.ProcTime {
		return nil
	}
	return errorf(ErrInvalid, pos, "%s over %s needs a watermark on %s: the input is unbounded, so its windows would never close", w.Kind, w.TimeName, w.TimeName).
		WithHint("declare WATERMARK FOR %s AS %s - INTERVAL '5' SECOND in the source", w.TimeName, w.TimeName)
}

// bindAggregation plans the aggregation of a SELECT over input (whose
// columns form sc): GROUP BY, the aggregate calls of the select list and
// HAVING. It returns the plan up to HAVING, and the select list bound over
// the plan's output.
//
// Over an updating input (a changelog) only an unwindowed aggregation runs,
// retracting rows as the input retracts them; a windowed one is refused.
func (qb *queryBinder) bindAggregation(sel *parser.Select, input Node, sc *scope) (Node, []Expr, []string, *exprBinder, error) {
	updating := input.Props().Updating
	ac := &aggContext{keys: map[string]int{}, updating: updating}
	colPos := map[*ColRef]parser.Pos{}
	gb := &exprBinder{sc: sc, clause: "GROUP BY", colPos: colPos}
	var keys []Expr
	for _, g := range sel.GroupBy {
		if f, ok := g.(*parser.FuncCall); ok && (f.Name == "TUMBLE" || f.Name == "HOP" || f.Name == "SESSION" || f.Name == "CUMULATE") {
			if ac.window != nil {
				return nil, nil, nil, nil, errorf(ErrInvalid, f.Pos, "GROUP BY takes one window, found a second: %s", f.Name)
			}
			w, args, err := bindGroupWindow(gb, f)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			if err := checkWatermark(input, w, f.Pos); err != nil {
				return nil, nil, nil, nil, err
			}
			ac.window, ac.windowCall, ac.windowArgs = w, f, args
			continue
		}
		k, err := gb.bind(g)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		keys = append(keys, k)
	}

	// A window table function grouped by window_start and window_end is a
	// windowed aggregate over the table function's input.
	tvfCols := map[int]int{} // TVF column → window column (0 start, 1 end, 2 time)
	if ac.window == nil {
		if tvf, filters, ok := windowTVFBelow(input); ok {
			n := tvf.Input.Schema().Len()
			var rest []Expr
			for _, k := range keys {
				if c, ok := k.(*ColRef); ok && c.Index >= n && c.Index < n+3 {
					tvfCols[c.Index] = c.Index - n
					continue
				}
				rest = append(rest, k)
			}
			_, hasStart := tvfCols[n]
			_, hasEnd := tvfCols[n+1]
			if hasStart && hasEnd {
				ac.window = tvf.Window
				keys = rest
				input = tvf.Input
				for _, f := range filters {
					input = &Filter{Input: input, Cond: f}
				}
			} else {
				tvfCols = map[int]int{}
			}
		}
	}
	// Grouping the result of a windowed aggregation by its window_start and
	// window_end aggregates it again per window (cascaded windows).
	if ac.window == nil {
		start, end := -1, -1
		var rest []Expr
		for _, k := range keys {
			if c, ok := k.(*ColRef); ok {
				if b, ok := windowBound(input, c.Index); ok {
					if b == "start" && start < 0 {
						start = c.Index
						continue
					}
					if b == "end" && end < 0 {
						end = c.Index
						continue
					}
				}
			}
			rest = append(rest, k)
		}
		if start >= 0 && end >= 0 {
			cols := input.Schema().Columns
			ac.window = &Window{Kind: Given, TimeCol: end, TimeName: cols[end].Name, StartCol: start, StartName: cols[start].Name}
			keys = rest
			tvfCols = map[int]int{start: 0, end: 1}
		}
	}

	if updating && ac.window != nil {
		pos := sel.Pos
		if ac.windowCall != nil {
			pos = ac.windowCall.Pos
		}
		return nil, nil, nil, nil, errorf(ErrUnsupported, pos, "windowed aggregation over an updating input (a changelog: an unwindowed GROUP BY, an outer join) is not supported").
			WithHint("aggregate the changelog without a window, or window an append-only input")
	}

	names := make([]string, len(keys))
	for i, k := range keys {
		if c, ok := k.(*ColRef); ok {
			names[i] = c.Name
		} else {
			names[i] = fmt.Sprintf("$key%d", i)
		}
	}

	// Bind the select list and HAVING with aggregates as placeholders.
	sb := &exprBinder{sc: sc, clause: "SELECT", aggs: ac, colPos: colPos}
	var items []Expr
	var itemNames []string
	for _, it := range sel.Items {
		if it.Star {
			return nil, nil, nil, nil, errorf(ErrInvalid, it.Pos, "SELECT * cannot be used with GROUP BY or aggregates; name the columns")
		}
		x, err := sb.bind(it.Expr)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		items = append(items, x)
		switch {
		case it.Alias != nil:
			itemNames = append(itemNames, it.Alias.Name)
		case isColumnRef(it.Expr):
			itemNames = append(itemNames, x.String())
		default:
			itemNames = append(itemNames, fmt.Sprintf("EXPR$%d", len(items)-1))
		}
	}
	var having Expr
	if sel.Having != nil {
		hb := &exprBinder{sc: sc, clause: "HAVING", aggs: ac, colPos: colPos}
		h, err := hb.bindBool(sel.Having, "HAVING")
		if err != nil {
			return nil, nil, nil, nil, err
		}
		having = h
	}

	if ac.window != nil && ac.window.Kind != Session && !ac.window.ProcTime && qb.settings.AllowedLatenessMs > 0 {
		w := *ac.window
		w.LatenessMs = qb.settings.AllowedLatenessMs
		ac.window = &w
	}
	node := &Aggregate{Input: input, Keys: keys, KeyNames: names, Window: ac.window, Aggs: ac.calls}
	rw := &aggRewriter{node: node, tvfCols: tvfCols, colPos: colPos}
	for i, x := range items {
		r, err := rw.rewrite(x)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		items[i] = r
	}
	var plan Node = node
	if having != nil {
		h, err := rw.rewrite(having)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		plan = &Filter{Input: plan, Cond: h}
	}
	// ORDER BY keys that are not output names bind like select items.
	ob := &exprBinder{sc: sc, clause: "ORDER BY", aggs: ac, colPos: colPos, rewrite: rw}
	return plan, items, itemNames, ob, nil
}

// windowTVFBelow finds a window table function under filters that do not
// read its window columns (those filters can run before windowing).
func windowTVFBelow(n Node) (*WindowTVF, []Expr, bool) {
	var filters []Expr
	for {
		switch x := n.(type) {
		case *WindowTVF:
			width := x.Input.Schema().Len()
			for _, f := range filters {
				used := map[int]bool{}
				columnsUsed(f, used)
				for c := range used {
					if c >= width {
						return nil, nil, false
					}
				}
			}
			return x, filters, true
		case *Filter:
			filters = append(filters, x.Cond)
			n = x.Input
		default:
			return nil, nil, false
		}
	}
}

// aggRewriter maps expressions bound over an aggregate's input onto its
// output: grouped expressions become key columns, aggregates and window
// properties their columns; any other input column is an error.
type aggRewriter struct {
	node    *Aggregate
	tvfCols map[int]int
	colPos  map[*ColRef]parser.Pos
	keyIdx  map[string]int
}

func (r *aggRewriter) rewrite(e Expr) (Expr, error) {
	if r.keyIdx == nil {
		r.keyIdx = map[string]int{}
		for i, k := range r.node.Keys {
			r.keyIdx[exprKey(k)] = i
		}
	}
	out := r.node.Schema()
	nk := len(r.node.Keys)
	winBase := nk
	aggBase := nk
	if r.node.Window != nil {
		aggBase += len(windowColumns)
	}
	col := func(i int) Expr {
		c := out.Columns[i]
		return &ColRef{Index: i, Name: c.Name, Typ: c.Type}
	}
	var err error
	var walk func(e Expr) Expr
	walk = func(e Expr) Expr {
		if err != nil {
			return e
		}
		if i, ok := r.keyIdx[exprKey(e)]; ok {
			return col(i)
		}
		switch x := e.(type) {
		case *aggRef:
			return col(aggBase + x.Index)
		case *winRef:
			return col(winBase + x.Col)
		case *ColRef:
			if w, ok := r.tvfCols[x.Index]; ok {
				return col(winBase + w)
			}
			err = errorf(ErrInvalid, r.colPos[x], "column %q must appear in GROUP BY or be used in an aggregate function", x.Name)
			return e
		}
		kids := e.Children()
		if len(kids) == 0 {
			return e
		}
		nk := make([]Expr, len(kids))
		for i, k := range kids {
			nk[i] = walk(k)
		}
		return e.WithChildren(nk)
	}
	res := walk(e)
	return res, err
}

// exprKey identifies an expression by its structure and the input columns
// it reads, so that equal GROUP BY and select expressions match.
func exprKey(e Expr) string {
	switch x := e.(type) {
	case *ColRef:
		return fmt.Sprintf("#%d", x.Index)
	case *aggRef:
		parts := []string{x.Call.Func.String()}
		if x.Call.Distinct {
			parts = append(parts, "DISTINCT")
		}
		for _, c := range x.Call.exprs() {
			parts = append(parts, exprKey(c))
		}
		if x.Call.Filter != nil {
			parts = append(parts, "FILTER")
		}
		return "agg(" + strings.Join(parts, " ") + ")"
	}
	kids := e.Children()
	if len(kids) == 0 {
		return fmt.Sprintf("%T:%s", e, e.String())
	}
	parts := make([]string, len(kids))
	for i, k := range kids {
		parts[i] = exprKey(k)
	}
	// The node's own text with its children replaced by their keys.
	return fmt.Sprintf("%T:%s(%s)", e, nodeLabel(e), strings.Join(parts, ","))
}

// nodeLabel is what distinguishes an expression node from others of its
// type besides its children (operator, target type, function name, flags).
func nodeLabel(e Expr) string {
	switch x := e.(type) {
	case *BinaryExpr:
		return x.Op.String()
	case *CastExpr:
		return fmt.Sprintf("%s,%v", typeName(x.To), x.Try)
	case *CallExpr:
		return x.Func.Name
	case *ExtractExpr:
		return x.Unit
	case *IsNullExpr:
		return fmt.Sprint(x.Not)
	case *IsBoolExpr:
		return fmt.Sprint(x.Value, x.Not)
	case *InExpr:
		return fmt.Sprint(x.Not)
	case *LikeExpr:
		return fmt.Sprint(x.Escape, x.Not)
	case *CaseExpr:
		return fmt.Sprint(x.Else != nil)
	}
	return ""
}
