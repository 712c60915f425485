package planner

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/sqltypes"
)

// WindowKind is the shape of an event-time window.
type WindowKind int

// Window kinds.
const (
	Tumble WindowKind = iota
	Hop
	Cumulate
	Session
	// Given: the windows of an earlier windowed aggregation, read from its
	// window_start (StartCol) and window_end (TimeCol) columns when a query
	// groups its result by them again.
	Given
)

func (k WindowKind) String() string {
	return [...]string{"TUMBLE", "HOP", "CUMULATE", "SESSION", "WINDOW"}[k]
}

// Window describes the windows rows are assigned to by their event time,
// read from input column TimeCol. Sizes are in milliseconds: Size for
// TUMBLE, HOP and CUMULATE, Slide for HOP, Step for CUMULATE, Gap for
// SESSION. Windows are aligned to the Unix epoch; start is inclusive, end
// exclusive.
type Window struct {
	Kind     WindowKind
	TimeCol  int
	TimeName string
	Size     int64
	Slide    int64
	Step     int64
	Gap      int64
	// StartCol and StartName are the window_start column of Given windows.
	StartCol  int
	StartName string
	// LatenessMs is the allowed lateness of TUMBLE, HOP and CUMULATE
	// windows (see Settings); 0 for none.
	LatenessMs int64
	// ProcTime says TimeCol is a processing-time attribute (PROCTIME()):
	// windows close when the wall clock passes their end, not on
	// watermarks, and every open window closes at the end of input.
	ProcTime bool
}

func (w *Window) String() string {
	iv := formatInterval
	switch w.Kind {
	case Hop:
		return fmt.Sprintf("HOP(%s, %s, %s)", w.TimeName, iv(w.Slide), iv(w.Size)) + w.latenessText()
	case Cumulate:
		return fmt.Sprintf("CUMULATE(%s, %s, %s)", w.TimeName, iv(w.Step), iv(w.Size)) + w.latenessText()
	case Session:
		return fmt.Sprintf("SESSION(%s, %s)", w.TimeName, iv(w.Gap)) + w.latenessText()
	case Given:
		return fmt.Sprintf("WINDOW(%s, %s)", w.StartName, w.TimeName)
	}
	return fmt.Sprintf("TUMBLE(%s, %s)", w.TimeName, iv(w.Size)) + w.latenessText()
}

func (w *Window) latenessText() string {
	s := ""
	if w.ProcTime {
		s = " proctime"
	}
	if w.LatenessMs != 0 {
		s += " lateness=" + formatInterval(w.LatenessMs)
	}
	return s
}

// AggCall is one aggregate function call of an Aggregate.
type AggCall struct {
	Func     agg.Func
	Distinct bool
	Arg      Expr // nil for COUNT(*)
	Filter   Expr // nil when there is no FILTER (WHERE ...)
	Typ      arrow.DataType
}

func (a *AggCall) String() string {
	var b strings.Builder
	b.WriteString(a.Func.String())
	b.WriteByte('(')
	if a.Distinct {
		b.WriteString("DISTINCT ")
	}
	if a.Arg == nil {
		b.WriteByte('*')
	} else {
		b.WriteString(a.Arg.String())
	}
	b.WriteByte(')')
	if a.Filter != nil {
		b.WriteString(" FILTER (WHERE " + a.Filter.String() + ")")
	}
	return b.String()
}

// exprs lists the input expressions the call reads.
func (a *AggCall) exprs() []Expr {
	var out []Expr
	if a.Arg != nil {
		out = append(out, a.Arg)
	}
	if a.Filter != nil {
		out = append(out, a.Filter)
	}
	return out
}

// withExprs rebuilds the call over rewritten expressions (same order as exprs).
func (a *AggCall) withExprs(es []Expr) *AggCall {
	c := *a
	i := 0
	if a.Arg != nil {
		c.Arg, i = es[0], 1
	}
	if a.Filter != nil {
		c.Filter = es[i]
	}
	return &c
}

// Aggregate groups its input by Keys (and, when Window is set, by window)
// and computes Aggs per group. Its output columns are the keys, then
// window_start, window_end and window_time for a windowed aggregate, then
// one column per aggregate.
//
// A windowed aggregate emits each window's rows once, when the watermark
// passes the window's end: its output is append-only. Without a window the
// output is an updating changelog: every input batch updates its groups.
type Aggregate struct {
	Input    Node
	Keys     []Expr
	KeyNames []string
	Window   *Window
	Aggs     []*AggCall
}

// windowColumns are the names of the window columns of a windowed aggregate.
var windowColumns = []string{"window_start", "window_end", "window_time"}

// Schema implements Node.
func (a *Aggregate) Schema() *Schema {
	s := &Schema{}
	for i, k := range a.Keys {
		s.Columns = append(s.Columns, Column{Name: a.KeyNames[i], Type: k.Type()})
	}
	if a.Window != nil {
		for _, n := range windowColumns {
			s.Columns = append(s.Columns, Column{Name: n, Type: sqltypes.Timestamp})
		}
	}
	for _, c := range a.Aggs {
		s.Columns = append(s.Columns, Column{Name: c.String(), Type: c.Typ})
	}
	return s
}

// Children implements Node.
func (a *Aggregate) Children() []Node { return []Node{a.Input} }

// WithChildren implements Node.
func (a *Aggregate) WithChildren(c []Node) Node {
	out := *a
	out.Input = c[0]
	return &out
}

// Props implements Node.
func (a *Aggregate) Props() Props {
	in := a.Input.Props()
	if a.Window == nil || a.Window.LatenessMs > 0 {
		return Props{Bounded: in.Bounded, Updating: true, Watermark: -1}
	}
	return Props{Bounded: in.Bounded, Watermark: -1}
}

// Describe implements Node.
func (a *Aggregate) Describe() string {
	var parts []string
	for _, k := range a.Keys {
		parts = append(parts, k.String())
	}
	name := "Aggregate"
	if a.Window != nil {
		name = "WindowAggregate"
		parts = append(parts, a.Window.String())
	}
	aggs := make([]string, len(a.Aggs))
	for i, c := range a.Aggs {
		aggs[i] = c.String()
	}
	return fmt.Sprintf("%s: group=[%s] aggs=[%s]", name, strings.Join(parts, ", "), strings.Join(aggs, ", "))
}

// WindowTVF is the windowing table function TABLE(TUMBLE(TABLE t, ...)):
// its input's columns plus window_start, window_end and window_time; a HOP
// or CUMULATE row appears once per window that holds it.
type WindowTVF struct {
	Input  Node
	Window *Window
}

// Schema implements Node.
func (w *WindowTVF) Schema() *Schema {
	in := w.Input.Schema()
	s := &Schema{Columns: append([]Column(nil), in.Columns...)}
	for _, n := range windowColumns {
		s.Columns = append(s.Columns, Column{Name: n, Type: sqltypes.Timestamp})
	}
	return s
}

// Children implements Node.
func (w *WindowTVF) Children() []Node { return []Node{w.Input} }

// WithChildren implements Node.
func (w *WindowTVF) WithChildren(c []Node) Node { return &WindowTVF{Input: c[0], Window: w.Window} }

// Props implements Node. Window columns keep the input's watermark.
func (w *WindowTVF) Props() Props { return w.Input.Props() }

// Describe implements Node.
func (w *WindowTVF) Describe() string { return "WindowTVF: " + w.Window.String() }
