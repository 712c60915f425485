package planner

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/parser"
)

// Join is a streaming join of two inputs; its rows are the left input's
// columns then the right's. Cond is the whole join condition over those
// columns (nil for a cross join); how the join runs follows from it (see
// classify): an interval join when it bounds the two inputs' event times
// against each other, a window join when it equates the window bounds of two
// windowed inputs, a regular join otherwise.
type Join struct {
	Left, Right Node
	Kind        exec.JoinKind
	Cross       bool // FROM a, b or CROSS JOIN: an inner join whose condition comes from WHERE
	Cond        Expr
	// StateTTL bounds a regular join's state (SET 'table.exec.state.ttl').
	StateTTL time.Duration
	Pos      parser.Pos
}

// Schema implements Node.
func (j *Join) Schema() *Schema {
	l, r := j.Left.Schema(), j.Right.Schema()
	return &Schema{Columns: append(append([]Column(nil), l.Columns...), r.Columns...)}
}

// Children implements Node.
func (j *Join) Children() []Node { return []Node{j.Left, j.Right} }

// WithChildren implements Node.
func (j *Join) WithChildren(c []Node) Node {
	out := *j
	out.Left, out.Right = c[0], c[1]
	return &out
}

// Props implements Node.
func (j *Join) Props() Props {
	l, r := j.Left.Props(), j.Right.Props()
	p := Props{Bounded: l.Bounded && r.Bounded, Watermark: -1}
	jc := j.classify()
	switch {
	case jc.interval != nil:
		p.Watermark = l.Watermark
	case jc.window != nil:
	default:
		p.Updating = j.Kind != exec.InnerJoin || l.Updating || r.Updating
	}
	return p
}

// Describe implements Node.
func (j *Join) Describe() string {
	jc := j.classify()
	var parts []string
	for i := range jc.leftKeys {
		parts = append(parts, fmt.Sprintf("%s = %s", sided(jc.leftKeys[i], "left"), sided(jc.rightKeys[i], "right")))
	}
	desc := fmt.Sprintf("Join: %s %s keys=[%s]", j.Kind, jc.mode(), strings.Join(parts, ", "))
	l, r := j.Left.Schema().Columns, j.Right.Schema().Columns
	if iv := jc.interval; iv != nil {
		desc += fmt.Sprintf(" left.%s - right.%s in [%s, %s]", l[iv.LeftTime].Name, r[iv.RightTime].Name,
			time.Duration(iv.Lower)*time.Millisecond, time.Duration(iv.Upper)*time.Millisecond)
	}
	if w := jc.window; w != nil {
		desc += fmt.Sprintf(" windows=[left.%s = right.%s]", l[w.LeftEnd].Name, r[w.RightEnd].Name)
	}
	if jc.residual != nil {
		desc += " residual=" + jc.residual.String()
	}
	if jc.mode() == "regular" && j.StateTTL > 0 {
		desc += " ttl=" + j.StateTTL.String()
	}
	return desc
}

// sided prints a key with its columns qualified by the input they read.
func sided(e Expr, side string) string {
	return transformExpr(e, func(x Expr) Expr {
		if c, ok := x.(*ColRef); ok {
			return &ColRef{Index: c.Index, Name: side + "." + c.Name, Typ: c.Typ}
		}
		return x
	}).String()
}

// joinClass is how a join's condition splits up.
type joinClass struct {
	leftKeys, rightKeys []Expr // equi-join keys, over each side's columns
	interval            *exec.IntervalBounds
	window              *exec.WindowJoinCols
	residual            Expr // the rest, over the joined columns
}

func (jc *joinClass) mode() string {
	switch {
	case jc.interval != nil:
		return "interval"
	case jc.window != nil:
		return "window"
	}
	return "regular"
}

// conjuncts splits e at its top-level ANDs.
func conjuncts(e Expr) []Expr {
	if e == nil {
		return nil
	}
	if b, ok := e.(*BinaryExpr); ok && b.Op == expr.And {
		return append(conjuncts(b.L), conjuncts(b.R)...)
	}
	return []Expr{e}
}

// side says which inputs an expression reads: 0 none, 1 left, 2 right, 3
// both.
func side(e Expr, width int) int {
	s := 0
	walkExpr(e, func(x Expr) {
		if c, ok := x.(*ColRef); ok {
			if c.Index < width {
				s |= 1
			} else {
				s |= 2
			}
		}
	})
	return s
}

// classify splits the join condition into equi-keys, time bounds or window
// equalities, and a residual.
func (j *Join) classify() *joinClass {
	width := j.Left.Schema().Len()
	jc := &joinClass{}
	var rest []Expr
	var lower, upper *int64
	var ltime, rtime = -1, -1
	var starts, ends [][2]int
	lw, rw := j.Left.Props().Watermark, j.Right.Props().Watermark
	for _, c := range conjuncts(j.Cond) {
		c, _ = foldExpr(c)
		b, ok := c.(*BinaryExpr)
		if !ok {
			rest = append(rest, c)
			continue
		}
		if b.Op == expr.Eq {
			ls, rs := side(b.L, width), side(b.R, width)
			l, r := b.L, b.R
			if ls == 2 && rs == 1 {
				l, r, ls, rs = r, l, rs, ls
			}
			if ls == 1 && rs == 2 {
				lc, lok := l.(*ColRef)
				rc, rok := r.(*ColRef)
				if lok && rok {
					lk, lb := windowBound(j.Left, lc.Index)
					rk, rb := windowBound(j.Right, rc.Index-width)
					if lb && rb && lk == rk {
						pair := [2]int{lc.Index, rc.Index - width}
						if lk == "start" {
							// Windows are matched by their end; the start
							// stays a condition, for windows of other sizes.
							starts = append(starts, pair)
							rest = append(rest, c)
						} else {
							ends = append(ends, pair)
						}
						continue
					}
				}
				jc.leftKeys = append(jc.leftKeys, l)
				jc.rightKeys = append(jc.rightKeys, remap(r, offsetMap(width, j.Right.Schema().Len())))
				continue
			}
		}
		if lo, hi, lc, rc, ok := timeBound(b, width); ok && lc == lw && rc == rw && lw >= 0 && rw >= 0 {
			ltime, rtime = lc, rc
			if lo != nil && (lower == nil || *lo > *lower) {
				lower = lo
			}
			if hi != nil && (upper == nil || *hi < *upper) {
				upper = hi
			}
			rest = append(rest, c) // kept too, in case no interval join results
			continue
		}
		rest = append(rest, c)
	}
	switch {
	case len(starts) > 0 && len(ends) > 0:
		jc.window = &exec.WindowJoinCols{LeftStart: starts[0][0], RightStart: starts[0][1], LeftEnd: ends[0][0], RightEnd: ends[0][1]}
	case lower != nil && upper != nil:
		jc.interval = &exec.IntervalBounds{LeftTime: ltime, RightTime: rtime, Lower: *lower, Upper: *upper}
		// The bounds are the interval join's; drop them from the residual.
		kept := rest[:0]
		for _, c := range rest {
			if b, ok := c.(*BinaryExpr); ok {
				if _, _, lc, rc, ok := timeBound(b, width); ok && lc == ltime && rc == rtime {
					continue
				}
			}
			kept = append(kept, c)
		}
		rest = kept
	}
	jc.residual = conjoin(rest)
	return jc
}

// offsetMap maps the join's right columns to the right input's.
func offsetMap(width, n int) map[int]int {
	m := make(map[int]int, n)
	for i := 0; i < n; i++ {
		m[width+i] = i
	}
	return m
}

// timeBound reads a comparison between a left and a right TIMESTAMP column,
// each plus or minus a constant interval, as bounds on left.time -
// right.time: lo <= difference, difference <= hi (either may be nil).
func timeBound(b *BinaryExpr, width int) (lo, hi *int64, lcol, rcol int, ok bool) {
	switch b.Op {
	case expr.Lt, expr.LtEq, expr.Gt, expr.GtEq, expr.Eq:
	default:
		return nil, nil, 0, 0, false
	}
	ac, aoff, aok := timeTerm(b.L)
	bc, boff, bok := timeTerm(b.R)
	if !aok || !bok {
		return nil, nil, 0, 0, false
	}
	op := b.Op
	// a + aoff op b + boff, with a on the left: left - right op boff - aoff.
	var c int64
	switch {
	case ac < width && bc >= width:
		lcol, rcol, c = ac, bc-width, boff-aoff
	case bc < width && ac >= width:
		lcol, rcol, c = bc, ac-width, aoff-boff
		op = flip(op)
	default:
		return nil, nil, 0, 0, false
	}
	v := func(x int64) *int64 { return &x }
	switch op {
	case expr.GtEq:
		lo = v(c)
	case expr.Gt:
		lo = v(c + 1)
	case expr.LtEq:
		hi = v(c)
	case expr.Lt:
		hi = v(c - 1)
	case expr.Eq:
		lo, hi = v(c), v(c)
	}
	return lo, hi, lcol, rcol, true
}

func flip(op expr.BinaryOp) expr.BinaryOp {
	switch op {
	case expr.Lt:
		return expr.Gt
	case expr.LtEq:
		return expr.GtEq
	case expr.Gt:
		return expr.Lt
	case expr.GtEq:
		return expr.LtEq
	}
	return op
}

// timeTerm reads col, col + interval or col - interval (a TIMESTAMP column
// and a constant INTERVAL in milliseconds).
func timeTerm(e Expr) (col int, off int64, ok bool) {
	switch e := e.(type) {
	case *ColRef:
		if e.Typ.ID() == arrow.TIMESTAMP {
			return e.Index, 0, true
		}
	case *BinaryExpr:
		if e.Op != expr.Add && e.Op != expr.Sub {
			return 0, 0, false
		}
		c, cok := e.L.(*ColRef)
		lit, lok := e.R.(*Lit)
		if !cok || !lok {
			if e.Op == expr.Sub {
				return 0, 0, false
			}
			c, cok = e.R.(*ColRef)
			lit, lok = e.L.(*Lit)
			if !cok || !lok {
				return 0, 0, false
			}
		}
		d, dok := lit.Value.(*scalar.Duration)
		if c.Typ.ID() != arrow.TIMESTAMP || !dok || !d.IsValid() {
			return 0, 0, false
		}
		ms := int64(d.Value)
		if e.Op == expr.Sub {
			ms = -ms
		}
		return c.Index, ms, true
	}
	return 0, 0, false
}

// windowBound says whether column col of n is the window_start or
// window_end of a windowed aggregate or window table function, passed on
// unchanged by projections and filters.
func windowBound(n Node, col int) (string, bool) {
	switch n := n.(type) {
	case *Project:
		if c, ok := n.Exprs[col].(*ColRef); ok {
			return windowBound(n.Input, c.Index)
		}
	case *Filter:
		return windowBound(n.Input, col)
	case *Aggregate:
		if n.Window != nil && n.Window.LatenessMs == 0 {
			switch col - len(n.Keys) {
			case 0:
				return "start", true
			case 1:
				return "end", true
			}
		}
	case *WindowTVF:
		switch col - n.Input.Schema().Len() {
		case 0:
			return "start", true
		case 1:
			return "end", true
		}
	}
	return "", false
}

// bindJoin binds `left JOIN right ON cond`, or a lookup join when the right
// side is `t FOR SYSTEM_TIME AS OF ...`.
func (qb *queryBinder) bindJoin(t *parser.JoinTable) (Node, *scope, error) {
	left, lsc, err := qb.bindFrom(t.Left)
	if err != nil {
		return nil, nil, err
	}
	if tn, ok := t.Right.(*parser.TableName); ok && tn.ForSystemTime != nil {
		return qb.bindLookupJoin(t, left, lsc, tn)
	}
	right, rsc, err := qb.bindFrom(t.Right)
	if err != nil {
		return nil, nil, err
	}
	sc := &scope{cols: append(append([]scopeCol(nil), lsc.cols...), rsc.cols...)}
	j := &Join{Left: left, Right: right, Pos: t.Pos, StateTTL: qb.settings.StateTTL}
	switch t.Kind {
	case parser.InnerJoin:
		j.Kind = exec.InnerJoin
	case parser.LeftJoin:
		j.Kind = exec.LeftJoin
	case parser.RightJoin:
		j.Kind = exec.RightJoin
	case parser.FullJoin:
		j.Kind = exec.FullJoin
	case parser.CrossJoin:
		j.Kind, j.Cross = exec.InnerJoin, true
	}
	if t.On != nil {
		eb := &exprBinder{sc: sc, clause: "ON"}
		cond, err := eb.bindBool(t.On, "ON")
		if err != nil {
			return nil, nil, err
		}
		j.Cond = cond
	}
	for i, in := range []Node{left, right} {
		if in.Props().Updating {
			pos := t.Left.Position()
			if i == 1 {
				pos = t.Right.Position()
			}
			return nil, nil, errorf(ErrUnsupported, pos, "joins of an updating input (a changelog, such as an unwindowed GROUP BY) are not supported yet").
				WithHint("join the inputs first and aggregate after, or window the aggregation")
		}
	}
	return j, sc, nil
}

// checkJoin reports what keeps a join from running, at compile time (after
// the rules have moved WHERE conditions into cross joins).
func (j *Join) check(jc *joinClass) error {
	if len(jc.leftKeys) == 0 && jc.window == nil {
		return errorf(ErrUnsupported, j.Pos, "a streaming join needs an equality between the two inputs (l.a = r.b)").
			WithHint("a join without one would pair every row with every other; add an equi-join condition")
	}
	if j.Cross && len(jc.leftKeys) == 0 {
		return errorf(ErrUnsupported, j.Pos, "a cross join of two streams is not supported")
	}
	return nil
}

// LookupJoin joins each row of its input with the rows of a bounded table
// (a file) as they are when the row is processed: `JOIN dim FOR SYSTEM_TIME
// AS OF s.proc_time AS d ON s.k = d.k`. The table is read whole and read
// again when it changes.
type LookupJoin struct {
	Input Node
	Table *SourceDef
	Alias string
	Kind  exec.JoinKind
	// StreamKeys are over the input's columns; TableKeys are table column
	// indexes. Residual is over the joined columns.
	StreamKeys []Expr
	TableKeys  []int
	Residual   Expr
	Pos        parser.Pos
}

// Schema implements Node.
func (l *LookupJoin) Schema() *Schema {
	s := &Schema{Columns: append([]Column(nil), l.Input.Schema().Columns...)}
	for _, c := range l.Table.Schema.Columns {
		c.Table = l.Alias
		s.Columns = append(s.Columns, c)
	}
	return s
}

// Children implements Node.
func (l *LookupJoin) Children() []Node { return []Node{l.Input} }

// WithChildren implements Node.
func (l *LookupJoin) WithChildren(c []Node) Node {
	out := *l
	out.Input = c[0]
	return &out
}

// Props implements Node: the input's.
func (l *LookupJoin) Props() Props { return l.Input.Props() }

// Describe implements Node.
func (l *LookupJoin) Describe() string {
	var keys []string
	for i, k := range l.StreamKeys {
		keys = append(keys, fmt.Sprintf("%s = %s.%s", k, l.Alias, l.Table.Schema.Columns[l.TableKeys[i]].Name))
	}
	d := fmt.Sprintf("LookupJoin: %s %s keys=[%s]", l.Kind, l.Table.Name, strings.Join(keys, ", "))
	if l.Residual != nil {
		d += " residual=" + l.Residual.String()
	}
	return d
}

// bindLookupJoin binds a join with `t FOR SYSTEM_TIME AS OF x` on the right.
func (qb *queryBinder) bindLookupJoin(t *parser.JoinTable, left Node, lsc *scope, tn *parser.TableName) (Node, *scope, error) {
	src, ok := qb.cat.Source(tn.Name.Name)
	if !ok {
		return nil, nil, errorf(ErrUnknownTable, tn.Name.Pos, "FOR SYSTEM_TIME AS OF needs a source table; %q is not one", tn.Name.Name)
	}
	if src.Connector.NewDimension == nil {
		return nil, nil, errorf(ErrUnsupported, tn.Name.Pos, "source %s (connector '%s') cannot be a lookup table", src.Name, src.Connector.Name).
			WithHint("lookup joins read bounded tables: a 'file' source or a compacted 'kafka' topic")
	}
	for i, c := range src.Columns {
		if c.Kind != PhysicalColumn {
			return nil, nil, errorf(ErrUnsupported, tn.Name.Pos, "lookup table %s has a computed or metadata column (%s); lookup tables hold physical columns only", src.Name, src.Schema.Columns[i].Name)
		}
	}
	kind := exec.InnerJoin
	switch t.Kind {
	case parser.InnerJoin:
	case parser.LeftJoin:
		kind = exec.LeftJoin
	default:
		return nil, nil, errorf(ErrUnsupported, t.Pos, "a lookup join is INNER or LEFT, not %s", t.Kind)
	}
	// The time must be a processing-time attribute of the stream: Weir
	// looks up the table as it is now.
	eb := &exprBinder{sc: lsc, clause: "FOR SYSTEM_TIME AS OF"}
	at, err := eb.bind(tn.ForSystemTime)
	if err != nil {
		return nil, nil, err
	}
	if !isProcTime(at, lsc) {
		return nil, nil, errorf(ErrUnsupported, tn.ForSystemTime.Position(), "FOR SYSTEM_TIME AS OF needs a processing-time column (declared `p AS PROCTIME()`); event-time temporal joins are not supported yet")
	}
	alias := tn.Name.Name
	if tn.Alias != nil {
		alias = tn.Alias.Name
	}
	lj := &LookupJoin{Input: left, Table: src, Alias: alias, Kind: kind, Pos: t.Pos}
	rsc := scopeOf(src.Schema, alias)
	sc := &scope{cols: append(append([]scopeCol(nil), lsc.cols...), rsc.cols...)}
	if t.On == nil {
		return nil, nil, errorf(ErrInvalid, t.Pos, "a lookup join needs ON with the table's key")
	}
	onb := &exprBinder{sc: sc, clause: "ON"}
	cond, err := onb.bindBool(t.On, "ON")
	if err != nil {
		return nil, nil, err
	}
	width := left.Schema().Len()
	var rest []Expr
	for _, c := range conjuncts(cond) {
		if b, ok := c.(*BinaryExpr); ok && b.Op == expr.Eq {
			l, r := b.L, b.R
			if side(l, width) == 2 {
				l, r = r, l
			}
			if rc, ok := r.(*ColRef); ok && rc.Index >= width && side(l, width) == 1 {
				lj.StreamKeys = append(lj.StreamKeys, l)
				lj.TableKeys = append(lj.TableKeys, rc.Index-width)
				continue
			}
		}
		rest = append(rest, c)
	}
	if len(lj.TableKeys) == 0 {
		return nil, nil, errorf(ErrInvalid, t.On.Position(), "a lookup join's ON needs an equality between a stream expression and a column of %s", alias)
	}
	lj.Residual = conjoin(rest)
	return lj, sc, nil
}

// isProcTime reports whether e is processing time: PROCTIME() or a
// processing-time column.
func isProcTime(e Expr, sc *scope) bool {
	switch e := e.(type) {
	case *ColRef:
		return sc.cols[e.Index].procTime
	case *CallExpr:
		return strings.EqualFold(e.Func.Name, "PROCTIME")
	}
	return false
}

// PushFilterIntoJoin moves a filter over an inner join into the join's
// condition, where equalities become keys and time bounds an interval, and
// moves the conditions of a join that read one input only into that input,
// as far as the join kind allows (never into the side an outer join pads).
type PushFilterIntoJoin struct{}

// Name implements Rule.
func (PushFilterIntoJoin) Name() string { return "PushFilterIntoJoin" }

// Apply implements Rule.
func (PushFilterIntoJoin) Apply(n Node) (Node, bool, error) {
	return transformUp(n, func(n Node) (Node, bool, error) {
		if f, ok := n.(*Filter); ok {
			if j, ok := f.Input.(*Join); ok && j.Kind == exec.InnerJoin {
				out := *j
				out.Cond = conjoin(append(conjuncts(j.Cond), conjuncts(f.Cond)...))
				return &out, true, nil
			}
			return n, false, nil
		}
		j, ok := n.(*Join)
		if !ok {
			return n, false, nil
		}
		width := j.Left.Schema().Len()
		var toLeft, toRight, kept []Expr
		for _, c := range conjuncts(j.Cond) {
			switch side(c, width) {
			case 1:
				if j.Kind == exec.InnerJoin || j.Kind == exec.RightJoin {
					toLeft = append(toLeft, c)
					continue
				}
			case 2:
				if j.Kind == exec.InnerJoin || j.Kind == exec.LeftJoin {
					toRight = append(toRight, remap(c, offsetMap(width, j.Right.Schema().Len())))
					continue
				}
			}
			kept = append(kept, c)
		}
		if len(toLeft) == 0 && len(toRight) == 0 {
			return n, false, nil
		}
		out := *j
		if len(toLeft) > 0 {
			out.Left = &Filter{Input: j.Left, Cond: conjoin(toLeft)}
		}
		if len(toRight) > 0 {
			out.Right = &Filter{Input: j.Right, Cond: conjoin(toRight)}
		}
		out.Cond = conjoin(kept)
		return &out, true, nil
	})
}
