package planner

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/diag"
	"github.com/weirsql/weir/parser"
	"github.com/weirsql/weir/sqltypes"
)

// Planner binds statements against a catalog and plans queries.
type Planner struct {
	Catalog  *Catalog
	Settings Settings
}

// Settings are the session options that change plans (SET 'key' = 'value').
type Settings struct {
	// AllowedLatenessMs keeps a window's state this long after it first
	// fires; late rows within it update the window's result, which makes
	// windowed aggregates updating streams. 0 drops every late row.
	AllowedLatenessMs int64
	// StateTTL drops a regular join's rows once their key has not been
	// seen for this long; 0 keeps them forever.
	StateTTL time.Duration
}

// New returns a planner over cat.
func New(cat *Catalog) *Planner { return &Planner{Catalog: cat} }

// Plan is a planned query: the plan as bound, the optimized plan, and the
// rules that changed it.
type Plan struct {
	Bound     Node
	Optimized Node
	Fired     []string
}

// options turns a WITH clause into a map and validates it against the
// connector named by 'connector'.
func options(with []*parser.Option, stmtPos diag.Pos, what string) (*connectors.Spec, connectors.Options, error) {
	raw := map[string]string{}
	var connPos diag.Pos
	for _, o := range with {
		k := strings.ToLower(o.Key)
		if _, dup := raw[k]; dup {
			return nil, nil, errorf(ErrDuplicate, o.Pos, "option '%s' is given twice", o.Key)
		}
		raw[k] = o.Value
		if k == "connector" {
			connPos = o.ValuePos
		}
	}
	name, ok := raw["connector"]
	if !ok {
		return nil, nil, errorf(ErrConnector, stmtPos, "%s needs a 'connector' option", what).
			WithHint("add WITH ('connector' = 'file', ...); connectors: %s", strings.Join(connectors.Names(), ", "))
	}
	spec, err := connectors.Lookup(name)
	if err != nil {
		msg := fmt.Sprintf("unknown connector '%s'", name)
		if s, ok := closest(name, connectors.Names()); ok {
			msg += fmt.Sprintf(" (did you mean '%s'?)", s)
		}
		return nil, nil, errorf(ErrConnector, connPos, "%s", msg).WithHint("connectors: %s", strings.Join(connectors.Names(), ", "))
	}
	opts, err := spec.Validate(raw)
	if err != nil {
		pos := stmtPos
		for _, o := range with {
			if strings.Contains(err.Error(), "'"+strings.ToLower(o.Key)+"'") {
				pos = o.Pos
				break
			}
		}
		return nil, nil, &diag.Error{Pos: pos, Msg: err.Error(), Kind: ErrConnector}
	}
	return spec, opts, nil
}

// columns binds a sink's column list to a schema qualified by table.
func columns(defs []*parser.ColumnDef, table string) (*Schema, error) {
	s := &Schema{}
	seen := map[string]bool{}
	for _, d := range defs {
		if seen[strings.ToLower(d.Name.Name)] {
			return nil, errorf(ErrDuplicate, d.Name.Pos, "column %q is declared twice", d.Name.Name)
		}
		seen[strings.ToLower(d.Name.Name)] = true
		if d.Metadata != nil {
			return nil, errorf(ErrUnsupported, d.Metadata.Pos, "a sink cannot declare METADATA columns").
				WithHint("metadata columns belong to a CREATE SOURCE or CREATE TABLE")
		}
		t, err := typeFromAST(d.Type)
		if err != nil {
			return nil, err
		}
		s.Columns = append(s.Columns, Column{Table: table, Name: d.Name.Name, Type: t})
	}
	return s, nil
}

// sourceColumns binds the column list of a CREATE SOURCE/TABLE: physical
// and metadata columns get their declared types (a metadata key must be
// one the connector declares, with its type), then each computed column is
// bound over the physical and metadata columns and typed by its expression.
func sourceColumns(defs []*parser.ColumnDef, table string, spec *connectors.Spec) (*Schema, []SourceColumn, error) {
	schema := &Schema{Columns: make([]Column, len(defs))}
	cols := make([]SourceColumn, len(defs))
	seen := map[string]bool{}
	for i, d := range defs {
		if seen[strings.ToLower(d.Name.Name)] {
			return nil, nil, errorf(ErrDuplicate, d.Name.Pos, "column %q is declared twice", d.Name.Name)
		}
		seen[strings.ToLower(d.Name.Name)] = true
		schema.Columns[i] = Column{Table: table, Name: d.Name.Name}
		if d.Computed != nil {
			cols[i] = SourceColumn{Kind: ComputedColumn, Text: parser.Format(d.Computed)}
			continue
		}
		t, err := typeFromAST(d.Type)
		if err != nil {
			return nil, nil, err
		}
		schema.Columns[i].Type = t
		if m := d.Metadata; m != nil {
			key := m.Key
			if key == "" {
				key = d.Name.Name
			}
			if err := spec.CheckMetadata(key, t); err != nil {
				e := errorf(ErrConnector, m.Pos, "column %q: %v", d.Name.Name, err)
				if errors.Is(err, connectors.ErrMetadataType) {
					want, _ := spec.MetadataKey(key)
					e.WithHint("declare it %s %s METADATA FROM '%s'", d.Name.Name, sqltypes.Name(want.Type), key)
				}
				return nil, nil, e
			}
			cols[i] = SourceColumn{Kind: MetadataColumn, MetadataKey: key, Virtual: m.Virtual}
		}
	}
	// The scope of computed columns: the physical and metadata columns.
	stored := &Schema{}
	toFull := map[int]int{}
	for i, c := range cols {
		if c.Kind != ComputedColumn {
			toFull[stored.Len()] = i
			stored.Columns = append(stored.Columns, schema.Columns[i])
		}
	}
	for i, d := range defs {
		if d.Computed == nil {
			continue
		}
		sc := scopeOf(stored, "")
		sc.unusable = func(ref *parser.ColumnRef) error {
			for j, c := range cols {
				if c.Kind == ComputedColumn && nameEq(ref.Column, schema.Columns[j].Name) {
					return errorf(ErrInvalid, ref.Column.Pos, "computed column %q cannot read computed column %q", d.Name.Name, schema.Columns[j].Name).
						WithHint("a computed column reads physical and metadata columns only; repeat the expression of %s", schema.Columns[j].Name)
				}
			}
			return nil
		}
		eb := &exprBinder{sc: sc, clause: "a computed column"}
		x, err := eb.bind(d.Computed)
		if err != nil {
			return nil, nil, err
		}
		if x.Type().ID() == arrow.NULL {
			return nil, nil, errorf(ErrType, d.Computed.Position(), "computed column %q has no type", d.Name.Name).
				WithHint("CAST the expression to the column's type")
		}
		x = remap(x, toFull)
		cols[i].Expr = x
		schema.Columns[i].Type = x.Type()
		schema.Columns[i].ProcTime = isProcTimeCall(x)
	}
	return schema, cols, nil
}

// isProcTimeCall reports whether e is PROCTIME().
func isProcTimeCall(e Expr) bool {
	c, ok := e.(*CallExpr)
	return ok && c.Func.Name == "PROCTIME" && len(c.Args) == 0
}

// CreateSource adds a source (or Flink-style table) to the catalog.
func (p *Planner) CreateSource(s *parser.CreateSource, baseDir string) error {
	if s.IfNotExists && p.Catalog.exists(s.Name.Name) != "" {
		return nil
	}
	if err := p.Catalog.checkFree(s.Name); err != nil {
		return err
	}
	what := "CREATE SOURCE"
	if s.Table {
		what = "CREATE TABLE"
	}
	if len(s.Columns) == 0 {
		return errorf(ErrInvalid, s.Pos, "%s %s declares no columns", what, s.Name.Name)
	}
	spec, opts, err := options(s.With, s.Pos, what)
	if err != nil {
		return err
	}
	if spec.NewSource == nil && (!s.Table || spec.NewSink == nil) {
		return errorf(ErrConnector, s.Pos, "connector '%s' cannot be read from", spec.Name).
			WithHint("declare it with CREATE SINK")
	}
	schema, cols, err := sourceColumns(s.Columns, s.Name.Name, spec)
	if err != nil {
		return err
	}
	def := &SourceDef{Name: s.Name.Name, Pos: s.Pos, Schema: schema, Columns: cols, Connector: spec, Options: opts, BaseDir: baseDir, Table: s.Table}
	if s.Watermark != nil {
		wm, err := bindWatermark(s.Watermark, schema)
		if err != nil {
			return err
		}
		def.Watermark = wm
	}
	p.Catalog.sources[key(def.Name)] = def
	return nil
}

// bindWatermark accepts `WATERMARK FOR ts AS ts` and `... AS ts - INTERVAL ...`.
func bindWatermark(w *parser.WatermarkDef, schema *Schema) (*WatermarkDef, error) {
	sc := scopeOf(schema, "")
	col, err := sc.resolve(&parser.ColumnRef{Pos: w.Column.Pos, Column: w.Column})
	if err != nil {
		return nil, err
	}
	if t := schema.Columns[col].Type; t.ID() != arrow.TIMESTAMP {
		return nil, errorf(ErrType, w.Column.Pos, "watermark column %q is %s; it must be a TIMESTAMP", w.Column.Name, sqltypes.Name(t))
	}
	if schema.Columns[col].ProcTime {
		return nil, errorf(ErrInvalid, w.Column.Pos, "watermark column %q is PROCTIME(), a processing-time attribute", w.Column.Name).
			WithHint("windows over %s close on the wall clock without a watermark; declare the watermark on an event-time column", w.Column.Name)
	}
	bad := func() error {
		return errorf(ErrUnsupported, w.Expr.Position(), "watermark expression must be %s or %s - INTERVAL '...' unit", w.Column.Name, w.Column.Name)
	}
	isCol := func(e parser.Expr) bool {
		ref, ok := e.(*parser.ColumnRef)
		return ok && ref.Table == nil && nameEq(ref.Column, schema.Columns[col].Name)
	}
	if isCol(w.Expr) {
		return &WatermarkDef{Column: col}, nil
	}
	b, ok := w.Expr.(*parser.Binary)
	if !ok || b.Op != "-" || !isCol(b.Left) {
		return nil, bad()
	}
	iv, ok := b.Right.(*parser.IntervalLit)
	if !ok {
		return nil, bad()
	}
	ms, err := intervalMillis(iv)
	if err != nil {
		return nil, err
	}
	if ms < 0 {
		return nil, errorf(ErrInvalid, iv.Pos, "watermark delay must not be negative")
	}
	return &WatermarkDef{Column: col, DelayMs: ms}, nil
}

// CreateView binds the view's query once to check it, then stores it.
func (p *Planner) CreateView(s *parser.CreateView, baseDir string) error {
	if s.IfNotExists && p.Catalog.exists(s.Name.Name) != "" {
		return nil
	}
	if err := p.Catalog.checkFree(s.Name); err != nil {
		return err
	}
	qb := &queryBinder{cat: p.Catalog}
	plan, err := qb.bindViewQuery(s.Query)
	if err != nil {
		return err
	}
	schema := plan.Schema()
	seen := map[string]bool{}
	for _, c := range schema.Columns {
		if seen[strings.ToLower(c.Name)] {
			return errorf(ErrDuplicate, s.Query.Pos, "view %s has two columns named %q", s.Name.Name, c.Name).
				WithHint("give one of them an alias with AS")
		}
		seen[strings.ToLower(c.Name)] = true
	}
	p.Catalog.views[key(s.Name.Name)] = &ViewDef{Name: s.Name.Name, Pos: s.Pos, Query: s.Query, Schema: schema, BaseDir: baseDir}
	return nil
}

// CreateSink adds a sink to the catalog. A CREATE SINK ... AS query is then
// run by the caller through PlanInsert.
func (p *Planner) CreateSink(s *parser.CreateSink, baseDir string) (*SinkDef, error) {
	if s.IfNotExists && p.Catalog.exists(s.Name.Name) != "" {
		return nil, nil
	}
	if err := p.Catalog.checkFree(s.Name); err != nil {
		return nil, err
	}
	spec, opts, err := options(s.With, s.Pos, "CREATE SINK")
	if err != nil {
		return nil, err
	}
	if spec.NewSink == nil {
		return nil, errorf(ErrConnector, s.Pos, "connector '%s' cannot be written to", spec.Name)
	}
	def := &SinkDef{Name: s.Name.Name, Pos: s.Pos, Connector: spec, Options: opts, BaseDir: baseDir}
	if len(s.Columns) > 0 {
		if def.Schema, err = columns(s.Columns, s.Name.Name); err != nil {
			return nil, err
		}
	}
	p.Catalog.sinks[key(def.Name)] = def
	return def, nil
}

// Drop removes a source, view or sink.
func (p *Planner) Drop(d *parser.Drop) error { return p.Catalog.Drop(d) }

// PlanQuery binds and optimizes a query.
func (p *Planner) PlanQuery(q *parser.Query) (*Plan, error) {
	qb := &queryBinder{cat: p.Catalog, settings: p.Settings}
	bound, err := qb.bindQuery(q)
	if err != nil {
		return nil, err
	}
	opt, fired, err := Optimize(bound, DefaultRules())
	if err != nil {
		return nil, err
	}
	if err := checkJoins(opt); err != nil {
		return nil, err
	}
	return &Plan{Bound: bound, Optimized: opt, Fired: fired}, nil
}

// checkJoins reports a join that cannot run, once the rules have moved
// WHERE conditions into joins.
func checkJoins(n Node) error {
	if j, ok := n.(*Join); ok {
		if err := j.check(j.classify()); err != nil {
			return err
		}
	}
	for _, c := range n.Children() {
		if err := checkJoins(c); err != nil {
			return err
		}
	}
	return nil
}

// SinkTarget is where an INSERT writes.
type SinkTarget struct {
	Name      string
	Connector *connectors.Spec
	Options   connectors.Options
	BaseDir   string
}

// PlanInsert plans `INSERT INTO target query`: the target is a sink, or a
// table whose connector can be written. When the target declares columns,
// the query's columns must match them in number and be convertible.
func (p *Planner) PlanInsert(target parser.Ident, q *parser.Query) (*Plan, *SinkTarget, error) {
	var (
		t      *SinkTarget
		schema *Schema
	)
	if s, ok := p.Catalog.Sink(target.Name); ok {
		t = &SinkTarget{Name: s.Name, Connector: s.Connector, Options: s.Options, BaseDir: s.BaseDir}
		schema = s.Schema
	} else if s, ok := p.Catalog.Source(target.Name); ok && s.Connector.NewSink != nil {
		t = &SinkTarget{Name: s.Name, Connector: s.Connector, Options: s.Options, BaseDir: s.BaseDir}
		var err error
		if schema, err = writableSchema(s, target.Pos); err != nil {
			return nil, nil, err
		}
	} else {
		msg := fmt.Sprintf("unknown sink %q", target.Name)
		if ok {
			msg = fmt.Sprintf("%q is a source whose connector cannot be written to", target.Name)
		}
		var names []string
		for _, s := range p.Catalog.Sinks() {
			names = append(names, s.Name)
		}
		if s, ok := closest(target.Name, names); ok {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return nil, nil, errorf(ErrUnknownTable, target.Pos, "%s", msg).WithHint("create it first with CREATE SINK")
	}
	plan, err := p.PlanQuery(q)
	if err != nil {
		return nil, nil, err
	}
	if schema != nil {
		if err := conformTo(plan, schema, q.Pos, target.Name); err != nil {
			return nil, nil, err
		}
	}
	return plan, t, nil
}

// writableSchema is the schema an INSERT INTO a table writes: its physical
// columns. Computed and VIRTUAL metadata columns are read-only and left
// out, as in Flink; a writable metadata column is refused, since no
// connector writes metadata yet.
func writableSchema(s *SourceDef, pos diag.Pos) (*Schema, error) {
	out := &Schema{}
	for i := range s.Schema.Columns {
		switch c := s.Column(i); {
		case c.Kind == PhysicalColumn:
			out.Columns = append(out.Columns, s.Schema.Columns[i])
		case c.Kind == MetadataColumn && !c.Virtual:
			return nil, errorf(ErrUnsupported, pos, "cannot write metadata column %q of %s: connector '%s' does not write metadata", s.Schema.Columns[i].Name, s.Name, s.Connector.Name).
				WithHint("declare it METADATA FROM '%s' VIRTUAL (read-only)", c.MetadataKey)
		}
	}
	return out, nil
}

// conformTo wraps the plan in a projection that casts and renames its
// columns to a declared sink schema.
func conformTo(plan *Plan, schema *Schema, pos diag.Pos, name string) error {
	out := plan.Optimized.Schema()
	if out.Len() != schema.Len() {
		return errorf(ErrType, pos, "query has %d columns but %s has %d (%s)", out.Len(), name, schema.Len(), strings.Join(schema.Names(), ", "))
	}
	exprs := make([]Expr, out.Len())
	for i, c := range out.Columns {
		want := schema.Columns[i]
		var e Expr = &ColRef{Index: i, Name: c.Name, Typ: c.Type}
		if !arrow.TypeEqual(c.Type, want.Type) {
			ct, ok := commonType(c.Type, want.Type)
			if !ok || !arrow.TypeEqual(ct, want.Type) {
				return errorf(ErrType, pos, "column %d (%s) is %s but %s.%s is %s", i+1, c.Name, sqltypes.Name(c.Type), name, want.Name, sqltypes.Name(want.Type)).
					WithHint("CAST it to %s", sqltypes.Name(want.Type))
			}
			e = castTo(e, want.Type)
		}
		exprs[i] = e
	}
	plan.Optimized = &Project{Input: plan.Optimized, Exprs: exprs, Names: schema.Names()}
	return nil
}
