package planner

import (
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
)

// Column is one output column of a plan node.
type Column struct {
	// Table is the qualifier a query may use (`b.price`); "" when none.
	Table string
	Name  string
	Type  arrow.DataType
	// ProcTime marks a processing-time attribute: a TIMESTAMP column whose
	// value is PROCTIME() (a source's `col AS PROCTIME()`, or PROCTIME() in
	// a select list), passed on unchanged by projections and filters. A
	// window over it closes on the wall clock and needs no watermark.
	ProcTime bool
}

// Schema is the ordered output columns of a plan node.
type Schema struct {
	Columns []Column
}

// Len is the number of columns.
func (s *Schema) Len() int { return len(s.Columns) }

// Arrow converts the schema to an Arrow schema (unqualified names; every
// field nullable).
func (s *Schema) Arrow() *arrow.Schema {
	fields := make([]arrow.Field, len(s.Columns))
	for i, c := range s.Columns {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// Names lists the column names.
func (s *Schema) Names() []string {
	out := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		out[i] = c.Name
	}
	return out
}

// Equal reports whether two schemas have the same names and types.
func (s *Schema) Equal(o *Schema) bool {
	if len(s.Columns) != len(o.Columns) {
		return false
	}
	for i, c := range s.Columns {
		d := o.Columns[i]
		if !strings.EqualFold(c.Name, d.Name) || !arrow.TypeEqual(c.Type, d.Type) {
			return false
		}
	}
	return true
}

// WithTable returns a copy whose columns are all qualified by table.
func (s *Schema) WithTable(table string) *Schema {
	out := &Schema{Columns: make([]Column, len(s.Columns))}
	for i, c := range s.Columns {
		c.Table = table
		out.Columns[i] = c
	}
	return out
}
