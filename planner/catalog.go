package planner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/diag"
	"github.com/weirsql/weir/parser"
)

// WatermarkDef is a source's bound `WATERMARK FOR col AS col - INTERVAL ...`.
type WatermarkDef struct {
	// Column is the index of the event-time column in the source's schema.
	Column int
	// DelayMs is how far the watermark trails the largest event time seen.
	DelayMs int64
}

// ColumnKind says where the values of a source's column come from.
type ColumnKind int

// Column kinds.
const (
	// PhysicalColumn: decoded from each record by the connector's format.
	PhysicalColumn ColumnKind = iota
	// MetadataColumn: filled by the connector (`col TYPE METADATA [FROM
	// 'key'] [VIRTUAL]`), such as the file a row came from.
	MetadataColumn
	// ComputedColumn: evaluated by the scan from the row's physical and
	// metadata columns (`col AS expr`); the connector never sees it.
	ComputedColumn
)

// SourceColumn is how one declared column of a source gets its values.
type SourceColumn struct {
	Kind ColumnKind
	// MetadataKey is the connector's key of a MetadataColumn (the column's
	// name when FROM is omitted); Virtual says it is read-only.
	MetadataKey string
	Virtual     bool
	// Expr is a ComputedColumn's expression, bound over the source's
	// Schema; it reads physical and metadata columns only. Text is the
	// expression as SQL, for DESCRIBE and EXPLAIN.
	Expr Expr
	Text string
}

// Extras describes a metadata or computed column as in its DDL
// ("METADATA FROM 'file.path' VIRTUAL", "AS PROCTIME()"); "" for a
// physical column.
func (c SourceColumn) Extras() string {
	switch c.Kind {
	case MetadataColumn:
		s := "METADATA FROM '" + strings.ReplaceAll(c.MetadataKey, "'", "''") + "'"
		if c.Virtual {
			s += " VIRTUAL"
		}
		return s
	case ComputedColumn:
		return "AS " + c.Text
	}
	return ""
}

// SourceDef is a source (CREATE SOURCE / CREATE TABLE) in the catalog.
type SourceDef struct {
	Name   string
	Pos    diag.Pos
	Schema *Schema // every declared column, qualified by Name
	// Columns says how each column of Schema gets its values (same order).
	Columns   []SourceColumn
	Watermark *WatermarkDef
	Connector *connectors.Spec
	Options   connectors.Options
	BaseDir   string
	// Table records that it was declared with CREATE TABLE (which may also
	// be an INSERT target when its connector can be written).
	Table bool
}

// Column returns how column i gets its values (physical when Columns does
// not say).
func (s *SourceDef) Column(i int) SourceColumn {
	if i < len(s.Columns) {
		return s.Columns[i]
	}
	return SourceColumn{}
}

// Physical returns the indexes (into Schema) of the physical columns, in
// declaration order: the columns a connector's format decodes.
func (s *SourceDef) Physical() []int {
	var out []int
	for i := range s.Schema.Columns {
		if s.Column(i).Kind == PhysicalColumn {
			out = append(out, i)
		}
	}
	return out
}

// Bounded reports whether the source ends by itself.
func (s *SourceDef) Bounded() bool {
	return s.Connector.Bounded == nil || s.Connector.Bounded(s.Options)
}

// ViewDef is a view; its query is bound anew at each use.
type ViewDef struct {
	Name    string
	Pos     diag.Pos
	Query   *parser.Query
	Schema  *Schema
	BaseDir string
}

// SinkDef is a sink (CREATE SINK) in the catalog.
type SinkDef struct {
	Name      string
	Pos       diag.Pos
	Connector *connectors.Spec
	Options   connectors.Options
	BaseDir   string
	// Schema is the declared column list; nil when none was declared.
	Schema *Schema
}

// Catalog holds the sources, views and sinks of a session. Names are
// case-insensitive and share one namespace.
type Catalog struct {
	sources map[string]*SourceDef
	views   map[string]*ViewDef
	sinks   map[string]*SinkDef
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog {
	return &Catalog{sources: map[string]*SourceDef{}, views: map[string]*ViewDef{}, sinks: map[string]*SinkDef{}}
}

func key(name string) string { return strings.ToLower(name) }

// exists reports the kind of object named name, or "".
func (c *Catalog) exists(name string) string {
	k := key(name)
	switch {
	case c.sources[k] != nil:
		if c.sources[k].Table {
			return "table"
		}
		return "source"
	case c.views[k] != nil:
		return "view"
	case c.sinks[k] != nil:
		return "sink"
	}
	return ""
}

// Source returns the source named name.
func (c *Catalog) Source(name string) (*SourceDef, bool) {
	s, ok := c.sources[key(name)]
	return s, ok
}

// View returns the view named name.
func (c *Catalog) View(name string) (*ViewDef, bool) {
	v, ok := c.views[key(name)]
	return v, ok
}

// Sink returns the sink named name.
func (c *Catalog) Sink(name string) (*SinkDef, bool) {
	s, ok := c.sinks[key(name)]
	return s, ok
}

// Sources lists the sources, sorted by name.
func (c *Catalog) Sources() []*SourceDef { return sortedValues(c.sources) }

// Views lists the views, sorted by name.
func (c *Catalog) Views() []*ViewDef { return sortedValues(c.views) }

// Sinks lists the sinks, sorted by name.
func (c *Catalog) Sinks() []*SinkDef { return sortedValues(c.sinks) }

func sortedValues[T any](m map[string]*T) []*T {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*T, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// relationNames lists every source and view name, for suggestions.
func (c *Catalog) relationNames() []string {
	var out []string
	for _, s := range c.sources {
		out = append(out, s.Name)
	}
	for _, v := range c.views {
		out = append(out, v.Name)
	}
	sort.Strings(out)
	return out
}

func (c *Catalog) checkFree(name parser.Ident) error {
	if kind := c.exists(name.Name); kind != "" {
		return errorf(ErrDuplicate, name.Pos, "%s %q already exists", kind, name.Name).
			WithHint("drop it first, or use CREATE ... IF NOT EXISTS")
	}
	return nil
}

// Drop removes an object of the given kind ("SOURCE", "TABLE", "VIEW", "SINK").
func (c *Catalog) Drop(d *parser.Drop) error {
	k := key(d.Name.Name)
	var found bool
	switch d.Kind {
	case "SOURCE", "TABLE":
		_, found = c.sources[k]
		delete(c.sources, k)
	case "VIEW":
		_, found = c.views[k]
		delete(c.views, k)
	case "SINK":
		_, found = c.sinks[k]
		delete(c.sinks, k)
	default:
		return errorf(ErrInvalid, d.Pos, "cannot drop a %s", strings.ToLower(d.Kind))
	}
	if !found && !d.IfExists {
		msg := fmt.Sprintf("%s %q does not exist", strings.ToLower(d.Kind), d.Name.Name)
		if other := c.exists(d.Name.Name); other != "" {
			return errorf(ErrUnknownTable, d.Name.Pos, "%s (it is a %s: use DROP %s)", msg, other, strings.ToUpper(other))
		}
		return errorf(ErrUnknownTable, d.Name.Pos, "%s", msg)
	}
	return nil
}
