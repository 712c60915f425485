package planner

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/connectors"
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
	var meta, computed []string
	for _, i := range s.Columns {
		c, name := s.Source.Column(i), s.Source.Schema.Columns[i].Name
		switch c.Kind {
		case MetadataColumn:
			meta = append(meta, fmt.Sprintf("%s FROM '%s'", name, c.MetadataKey))
		case ComputedColumn:
			computed = append(computed, name+" AS "+c.Expr.String())
		}
	}
	if len(meta) > 0 {
		d += " metadata=[" + strings.Join(meta, ", ") + "]"
	}
	if len(computed) > 0 {
		d += " computed=[" + strings.Join(computed, ", ") + "]"
	}
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

// scanLayout is how a scan's columns come about at run time. The connector
// reads the projected physical columns and then fills the metadata
// columns, in that order (connectors.SourceConfig); the scan operator then
// evaluates the computed columns over that batch and arranges the output.
type scanLayout struct {
	// physical is the source's physical columns, projection indexes into it.
	physical   *arrow.Schema
	projection []int
	metadata   []connectors.MetadataColumn
	// computed are expressions over the connector's batch; output lists,
	// per scan column, its index in the batch's columns followed by the
	// computed ones. shaped is false when the batch is the output as is.
	computed []Expr
	names    []string
	output   []int
	shaped   bool
}

// layout works out what the connector reads and what the scan computes:
// the physical and metadata columns the scan outputs or its computed
// columns read.
func (s *Scan) layout() *scanLayout {
	src := s.Source
	need := map[int]bool{}
	for _, i := range s.Columns {
		if c := src.Column(i); c.Kind == ComputedColumn {
			columnsUsed(c.Expr, need)
		} else {
			need[i] = true
		}
	}
	l := &scanLayout{projection: []int{}} // not nil, which would read every column
	var fields []arrow.Field
	pos := map[int]int{} // source column → batch column
	for _, i := range src.Physical() {
		if need[i] {
			pos[i] = len(l.projection)
			l.projection = append(l.projection, len(fields))
		}
		c := src.Schema.Columns[i]
		fields = append(fields, arrow.Field{Name: c.Name, Type: c.Type, Nullable: true})
	}
	l.physical = arrow.NewSchema(fields, nil)
	for i := range src.Schema.Columns {
		if c := src.Column(i); c.Kind == MetadataColumn && need[i] {
			pos[i] = len(l.projection) + len(l.metadata)
			col := src.Schema.Columns[i]
			l.metadata = append(l.metadata, connectors.MetadataColumn{
				Key: c.MetadataKey, Field: arrow.Field{Name: col.Name, Type: col.Type, Nullable: true}})
		}
	}
	width := len(l.projection) + len(l.metadata)
	for j, i := range s.Columns {
		if c := src.Column(i); c.Kind == ComputedColumn {
			l.computed = append(l.computed, remap(c.Expr, pos))
			l.names = append(l.names, src.Schema.Columns[i].Name)
			l.output = append(l.output, width+len(l.computed)-1)
		} else {
			l.output = append(l.output, pos[i])
		}
		if l.output[j] != j {
			l.shaped = true
		}
	}
	if len(l.computed) > 0 || len(l.output) != width {
		l.shaped = true
	}
	return l
}
