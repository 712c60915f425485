package planner

import (
	"fmt"
	"strings"

	"github.com/weirsql/weir/diag"
)

// Scan reads a source. Columns lists the source columns read (projection
// pruning narrows it) and Filter, when set, is applied right after decoding
// (predicate pushdown moves WHERE clauses here).
type Scan struct {
	// Pos is where the query names the source, for connector errors.
	Pos     diag.Pos
	Source  *SourceDef
	Alias   string
	Columns []int // indexes into Source.Schema
	Filter  Expr  // over the scan's output columns; nil when none
	schema  *Schema
}

func newScan(pos diag.Pos, src *SourceDef, alias string, cols []int, filter Expr) *Scan {
	s := &Scan{Pos: pos, Source: src, Alias: alias, Columns: cols, Filter: filter, schema: &Schema{}}
	for _, i := range cols {
		c := src.Schema.Columns[i]
		c.Table = alias
		s.schema.Columns = append(s.schema.Columns, c)
	}
	return s
}

// Schema implements Node.
func (s *Scan) Schema() *Schema { return s.schema }

// Children implements Node.
func (s *Scan) Children() []Node { return nil }

// WithChildren implements Node.
func (s *Scan) WithChildren([]Node) Node { return s }

// Props implements Node.
func (s *Scan) Props() Props {
	p := Props{Bounded: s.Source.Bounded(), Watermark: -1}
	if wm := s.Source.Watermark; wm != nil {
		for i, c := range s.Columns {
			if c == wm.Column {
				p.Watermark = i
			}
		}
	}
	return p
}

// Describe implements Node.
func (s *Scan) Describe() string {
	d := fmt.Sprintf("Scan: %s [%s] connector=%s", s.Source.Name, strings.Join(s.schema.Names(), ", "), s.Source.Connector.Name)
	if s.Filter != nil {
		d += " filter=" + s.Filter.String()
	}
	if wm := s.Source.Watermark; wm != nil {
		d += " watermark=" + WatermarkText(s.Source.Schema.Columns[wm.Column].Name, wm.DelayMs)
	}
	return d
}

// Values produces Rows empty rows; SELECT without FROM reads one.
type Values struct {
	Rows int
}

// Schema implements Node.
func (v *Values) Schema() *Schema { return &Schema{} }

// Children implements Node.
func (v *Values) Children() []Node { return nil }

// WithChildren implements Node.
func (v *Values) WithChildren([]Node) Node { return v }

// Props implements Node.
func (v *Values) Props() Props { return Props{Bounded: true, Watermark: -1} }

// Describe implements Node.
func (v *Values) Describe() string { return fmt.Sprintf("Values: %d row(s)", v.Rows) }
