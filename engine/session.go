package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors"
	_ "github.com/weirsql/weir/connectors/all" // every built-in connector
	"github.com/weirsql/weir/diag"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/parser"
	"github.com/weirsql/weir/planner"
	"github.com/weirsql/weir/sqltypes"
)

// DefaultBatchSize is the number of rows per batch unless SET otherwise.
const DefaultBatchSize = 4096

// Options configure a session.
type Options struct {
	// Stdout receives query results; Stderr receives notes (skipped
	// records) and the live status line.
	Stdout io.Writer
	Stderr io.Writer
	// Format of results on Stdout: "csv", "json" or "table".
	Format string
	// BatchSize is the maximum rows per batch (default DefaultBatchSize).
	BatchSize int
	// Mem allocates every batch (default the Go allocator).
	Mem memory.Allocator
	// Now returns the query start time (CURRENT_TIMESTAMP); default time.Now.
	Now func() time.Time
	// Clock is the wall clock of processing time: PROCTIME() and the
	// windows over it; default time.Now. Golden tests fix it.
	Clock func() time.Time
	// Status shows a live one-line status on Stderr while a query runs.
	Status bool
	// State, when set, checkpoints every query into a state directory and
	// resumes it from there after a restart.
	State *StateOptions
	// StateMemory is the bytes of state a query may hold in memory before
	// it spills to disk: 0 means DefaultStateMemory, negative no limit.
	StateMemory int64
	// ResultSink, when set, makes the sink that prints a bare SELECT's rows
	// and the tables of SHOW and DESCRIBE, in place of the stdout connector
	// in Format; the REPL uses it to redraw updating results in place.
	ResultSink func(format string) (exec.Sink, error)
}

// Session is a catalog plus settings; statements run one after another.
type Session struct {
	opts        Options
	planner     *planner.Planner
	idleTimeout time.Duration

	// With Options.State: queries run so far in the script, the
	// namespaces they checkpoint under, and the last checkpoint taken.
	queries        int
	durable        []string
	lastCheckpoint exec.CheckpointStats
	spills         int   // queries run without state, naming their spill areas
	peakState      int64 // the last query's peak window state in memory
}

// NewSession returns a session with an empty catalog.
func NewSession(opts Options) *Session {
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	if opts.Format == "" {
		opts.Format = "csv"
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Mem == nil {
		opts.Mem = memory.NewGoAllocator()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Session{opts: opts, planner: planner.New(planner.NewCatalog())}
}

// Catalog returns the session's catalog.
func (s *Session) Catalog() *planner.Catalog { return s.planner.Catalog }

// SetFormat changes the output format ("csv", "json" or "table").
func (s *Session) SetFormat(f string) { s.opts.Format = f }

// RunError is a failure while a query ran (exit status 1), as opposed to an
// error in the SQL text (a *diag.Error, exit status 2).
type RunError struct {
	Pos diag.Pos
	Err error
}

func (e *RunError) Error() string { return fmt.Sprintf("%s: query failed: %v", e.Pos, e.Err) }

// Unwrap returns the cause.
func (e *RunError) Unwrap() error { return e.Err }

// ExecScript parses src (named filename, which also anchors relative paths)
// and runs its statements in order, stopping at the first error.
func (s *Session) ExecScript(ctx context.Context, filename, src string) error {
	stmts, err := parser.ParseFile(filename, src)
	if err != nil {
		return err
	}
	baseDir := filepath.Dir(filename)
	if abs, err := filepath.Abs(baseDir); err == nil {
		baseDir = abs
	}
	for _, st := range stmts {
		if err := s.Exec(ctx, st, baseDir); err != nil {
			return err
		}
	}
	return s.finishScript()
}

// Exec runs one statement; baseDir resolves relative paths in WITH clauses.
func (s *Session) Exec(ctx context.Context, st parser.Statement, baseDir string) error {
	switch st := st.(type) {
	case *parser.CreateSource:
		return s.planner.CreateSource(st, baseDir)
	case *parser.CreateView:
		return s.planner.CreateView(st, baseDir)
	case *parser.CreateSink:
		def, err := s.planner.CreateSink(st, baseDir)
		if err != nil || st.Query == nil || def == nil {
			return err
		}
		return s.runInsert(ctx, st.Name, st.Query, st.Pos)
	case *parser.Insert:
		return s.runInsert(ctx, st.Target, st.Query, st.Pos)
	case *parser.Drop:
		return s.planner.Drop(st)
	case *parser.QueryStmt:
		return s.runSelect(ctx, st.Query)
	case *parser.Explain:
		return s.explain(st)
	case *parser.Show:
		return s.show(ctx, st)
	case *parser.Describe:
		return s.describe(ctx, st)
	case *parser.Set:
		return s.set(st)
	}
	return diag.Errorf(planner.ErrUnsupported, st.Position(), "unsupported statement %T", st)
}

func (s *Session) set(st *parser.Set) error {
	switch strings.ToLower(st.Key) {
	case "batch.size", "execution.batch-size":
		n, err := strconv.Atoi(st.Value)
		if err != nil || n < 1 {
			return diag.Errorf(planner.ErrInvalid, st.Pos, "'%s' needs a positive integer, got '%s'", st.Key, st.Value)
		}
		s.opts.BatchSize = n
		return nil
	case "format", "sql-client.execution.result-mode":
		switch v := strings.ToLower(st.Value); v {
		case "csv", "json", "table":
			s.opts.Format = v
			return nil
		}
		return diag.Errorf(planner.ErrInvalid, st.Pos, "'%s' must be csv, json or table, got '%s'", st.Key, st.Value)
	case "table.exec.emit.allow-lateness":
		d, err := parseDuration(st.Value)
		if err != nil {
			return diag.Errorf(planner.ErrInvalid, st.Pos, "'%s' %v", st.Key, err)
		}
		s.planner.Settings.AllowedLatenessMs = d.Milliseconds()
		return nil
	case "table.exec.state.ttl":
		d, err := parseDuration(st.Value)
		if err != nil {
			return diag.Errorf(planner.ErrInvalid, st.Pos, "'%s' %v", st.Key, err)
		}
		s.planner.Settings.StateTTL = d
		return nil
	case "table.exec.source.idle-timeout":
		d, err := parseDuration(st.Value)
		if err != nil {
			return diag.Errorf(planner.ErrInvalid, st.Pos, "'%s' %v", st.Key, err)
		}
		s.idleTimeout = d
		return nil
	}
	return diag.Errorf(planner.ErrInvalid, st.Pos, "unknown setting '%s'", st.Key).
		WithHint("settings: 'batch.size', 'format', 'table.exec.emit.allow-lateness', 'table.exec.source.idle-timeout', 'table.exec.state.ttl'")
}

// parseDuration reads '5s', '1500ms', '2 min' or a number of milliseconds.
func parseDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return time.Duration(n) * time.Millisecond, nil
	}
	compact := strings.ReplaceAll(v, " ", "")
	for long, short := range map[string]string{"seconds": "s", "second": "s", "sec": "s", "minutes": "m", "minute": "m", "min": "m", "hours": "h", "hour": "h"} {
		if strings.HasSuffix(compact, long) {
			compact = strings.TrimSuffix(compact, long) + short
			break
		}
	}
	d, err := time.ParseDuration(compact)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("needs a duration such as '5s', '500ms' or '2 min', got '%s'", v)
	}
	return d, nil
}

func (s *Session) env() *planner.Env {
	return &planner.Env{Mem: s.opts.Mem, BatchSize: s.opts.BatchSize, Now: s.opts.Now(), IdleTimeout: s.idleTimeout, Clock: s.opts.Clock}
}

// compile turns a plan into operators; failures to open connectors are
// reported at the query's position.
func (s *Session) compile(plan *planner.Plan, pos diag.Pos) (exec.Operator, error) {
	op, err := planner.Compile(plan.Optimized, s.env())
	if err != nil {
		var de *diag.Error
		if errors.As(err, &de) {
			return nil, err
		}
		return nil, &diag.Error{Pos: pos, Msg: err.Error(), Kind: planner.ErrConnector}
	}
	return op, nil
}

func (s *Session) stdoutSink() (exec.Sink, error) {
	if s.opts.ResultSink != nil {
		return s.opts.ResultSink(s.opts.Format)
	}
	spec, err := connectors.Lookup("stdout")
	if err != nil {
		return nil, err
	}
	return spec.NewSink(connectors.SinkConfig{Name: "stdout", Stdout: s.opts.Stdout, Format: s.opts.Format, Mem: s.opts.Mem})
}

func (s *Session) runSelect(ctx context.Context, q *parser.Query) error {
	plan, err := s.planner.PlanQuery(q)
	if err != nil {
		return err
	}
	op, err := s.compile(plan, q.Pos)
	if err != nil {
		return err
	}
	sink, err := s.stdoutSink()
	if err != nil {
		op.Close()
		return err
	}
	return s.run(ctx, op, sink, plan, q.Pos, sinkInfo{describe: "stdout " + s.opts.Format, stdout: s.opts.ResultSink == nil})
}

func (s *Session) runInsert(ctx context.Context, target parser.Ident, q *parser.Query, pos diag.Pos) error {
	plan, t, err := s.planner.PlanInsert(target, q)
	if err != nil {
		return err
	}
	op, err := s.compile(plan, pos)
	if err != nil {
		return err
	}
	sink, err := t.Connector.NewSink(connectors.SinkConfig{
		Name: t.Name, Options: t.Options, BaseDir: t.BaseDir, Stdout: s.opts.Stdout, Format: s.opts.Format, Mem: s.opts.Mem,
	})
	if err == nil {
		if c, ok := sink.(exec.SinkChecker); ok {
			if err = c.Check(op.Schema(), plan.Optimized.Props().Updating); err != nil {
				sink.Close()
			}
		}
	}
	if err != nil {
		op.Close()
		return diag.Errorf(planner.ErrConnector, target.Pos, "sink %s: %v", t.Name, err)
	}
	info := sinkInfo{describe: describeSink(t.Connector.Name, t.Name, t.Options), stdout: t.Connector.Name == "stdout" || t.Connector.Name == "print"}
	return s.run(ctx, op, sink, plan, pos, info)
}

// run drives one query and reports what its sources skipped.
func (s *Session) run(ctx context.Context, op exec.Operator, sink exec.Sink, plan *planner.Plan, pos diag.Pos, target sinkInfo) error {
	var sources []*exec.Scan
	exec.Walk(op, func(o exec.Operator) {
		if sc, ok := o.(*exec.Scan); ok {
			sources = append(sources, sc)
		}
	})
	var st *status
	if s.opts.Status {
		st = startStatus(s.opts.Stderr, sources, op)
		sink = withStatus(sink, st)
	}
	var err error
	if s.opts.State != nil {
		err = s.runDurable(ctx, op, sink, plan.Optimized.Props().Updating, target, pos)
	} else {
		s.spills++
		cfg, cleanup := s.spillConfig(fmt.Sprintf("q%d", s.spills))
		exec.ConfigureSpill(op, cfg)
		_, err = exec.Run(ctx, op, sink, plan.Optimized.Props().Updating)
		s.reportSpill(op, pos.String())
		cleanup()
	}
	if st != nil {
		st.stop()
	}
	for _, sc := range sources {
		if st, ok := sc.Source().(exec.SourceStats); ok && st.BadRecords() > 0 {
			fmt.Fprintf(s.opts.Stderr, "weir: %s: skipped %d malformed record(s) ('bad_records' = 'skip')\n", sc.Name(), st.BadRecords())
		}
	}
	exec.Walk(op, func(o exec.Operator) {
		if lj, ok := o.(*exec.LookupJoin); ok {
			if t, ok := lj.Table().(interface{ BadRecords() int64 }); ok && t.BadRecords() > 0 {
				fmt.Fprintf(s.opts.Stderr, "weir: lookup table %s: skipped %d malformed record(s) ('bad_records' = 'skip')\n", lj.TableName(), t.BadRecords())
			}
		}
	})
	reportDropped(s.opts.Stderr, op)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return &RunError{Pos: pos, Err: err}
	}
	return nil
}

func (s *Session) explain(st *parser.Explain) error {
	var (
		plan *planner.Plan
		err  error
		pos  = st.Pos
	)
	switch inner := st.Stmt.(type) {
	case *parser.QueryStmt:
		plan, err = s.planner.PlanQuery(inner.Query)
	case *parser.Insert:
		plan, _, err = s.planner.PlanInsert(inner.Target, inner.Query)
	case *parser.CreateSink:
		if inner.Query == nil {
			return diag.Errorf(planner.ErrInvalid, inner.Pos, "EXPLAIN CREATE SINK needs AS query")
		}
		plan, err = s.planner.PlanQuery(inner.Query)
	default:
		return diag.Errorf(planner.ErrInvalid, st.Pos, "EXPLAIN takes a query, an INSERT or a CREATE SINK ... AS")
	}
	if err != nil {
		return err
	}
	op, err := s.compile(plan, pos)
	if err != nil {
		return err
	}
	phys := exec.FormatPlan(op)
	op.Close()
	_, err = io.WriteString(s.opts.Stdout, planner.Explain(plan, phys))
	return err
}

// writeTable prints a small result (SHOW, DESCRIBE) through the stdout sink,
// so it follows the session's output format. Empty strings print as NULL.
func (s *Session) writeTable(ctx context.Context, names []string, rows [][]string) error {
	fields := make([]arrow.Field, len(names))
	for i, n := range names {
		fields[i] = arrow.Field{Name: n, Type: sqltypes.Varchar, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(s.opts.Mem, schema)
	defer b.Release()
	for _, r := range rows {
		for i, v := range r {
			if v == "" {
				b.Field(i).AppendNull()
			} else {
				b.Field(i).(*array.StringBuilder).Append(v)
			}
		}
	}
	rec := b.NewRecord()
	sink, err := s.stdoutSink()
	if err != nil {
		rec.Release()
		return err
	}
	if err := sink.Open(ctx, schema, false); err != nil {
		rec.Release()
		sink.Close()
		return err
	}
	if err := sink.Write(ctx, exec.BatchMessage(rec)); err != nil {
		sink.Close()
		return err
	}
	return sink.Close()
}

func (s *Session) show(ctx context.Context, st *parser.Show) error {
	cat := s.Catalog()
	var rows [][]string
	switch st.Kind {
	case "SOURCES", "TABLES":
		for _, d := range cat.Sources() {
			rows = append(rows, []string{d.Name, d.Connector.Name})
		}
	case "VIEWS":
		for _, v := range cat.Views() {
			rows = append(rows, []string{v.Name, ""})
		}
		return s.writeTable(ctx, []string{"name"}, firstColumn(rows))
	case "SINKS":
		for _, d := range cat.Sinks() {
			rows = append(rows, []string{d.Name, d.Connector.Name})
		}
	case "FUNCTIONS":
		for _, f := range expr.Funcs() {
			rows = append(rows, []string{f.Name, f.Doc})
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i][0] < rows[j][0] })
		return s.writeTable(ctx, []string{"name", "description"}, rows)
	default:
		return diag.Errorf(planner.ErrInvalid, st.Pos, "cannot SHOW %s", st.Kind)
	}
	return s.writeTable(ctx, []string{"name", "connector"}, rows)
}

func firstColumn(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = r[:1]
	}
	return out
}

func (s *Session) describe(ctx context.Context, st *parser.Describe) error {
	cat := s.Catalog()
	var (
		schema *planner.Schema
		wm     = -1
		delay  int64
		cols   []planner.SourceColumn
	)
	if d, ok := cat.Source(st.Name.Name); ok {
		schema, cols = d.Schema, d.Columns
		if d.Watermark != nil {
			wm, delay = d.Watermark.Column, d.Watermark.DelayMs
		}
	} else if v, ok := cat.View(st.Name.Name); ok {
		schema = v.Schema
	} else if d, ok := cat.Sink(st.Name.Name); ok && d.Schema != nil {
		schema = d.Schema
	} else {
		return diag.Errorf(planner.ErrUnknownTable, st.Name.Pos, "unknown source, view or sink %q", st.Name.Name)
	}
	rows := make([][]string, len(schema.Columns))
	for i, c := range schema.Columns {
		w := ""
		if i == wm {
			w = planner.WatermarkText(c.Name, delay)
		}
		// extras, as Flink's DESCRIBE: how a metadata or computed column
		// gets its value, or that a view's column is processing time.
		extras := ""
		if i < len(cols) {
			extras = cols[i].Extras()
		} else if c.ProcTime {
			extras = "PROCTIME()"
		}
		rows[i] = []string{c.Name, sqltypes.Name(c.Type), extras, w}
	}
	return s.writeTable(ctx, []string{"name", "type", "extras", "watermark"}, rows)
}

// ExplainScript runs the DDL of a script and prints the plans of its
// queries (SELECT, INSERT, CREATE SINK ... AS) instead of running them.
func (s *Session) ExplainScript(ctx context.Context, filename, src string) error {
	stmts, err := parser.ParseFile(filename, src)
	if err != nil {
		return err
	}
	baseDir, err := filepath.Abs(filepath.Dir(filename))
	if err != nil {
		return err
	}
	first := true
	for _, st := range stmts {
		switch cs := st.(type) {
		case *parser.QueryStmt, *parser.Insert:
			st = &parser.Explain{Pos: st.Position(), Stmt: st}
		case *parser.CreateSink:
			if cs.Query != nil {
				noQuery := *cs
				noQuery.Query = nil
				if err := s.Exec(ctx, &noQuery, baseDir); err != nil {
					return err
				}
				st = &parser.Explain{Pos: cs.Pos, Stmt: &parser.Insert{Pos: cs.Pos, Target: cs.Name, Query: cs.Query}}
			}
		}
		if _, ok := st.(*parser.Explain); ok {
			if !first {
				fmt.Fprintln(s.opts.Stdout)
			}
			first = false
		}
		if err := s.Exec(ctx, st, baseDir); err != nil {
			return err
		}
	}
	return nil
}

// windowed is implemented by operators that drop rows by event time.
type windowed interface {
	LateRows() int64
	NullTimeRows() int64
}

// reportDropped prints, for each windowed operator, the rows it dropped:
// late rows (all their windows already emitted) and rows without an event
// time. Nothing is dropped silently.
func reportDropped(w io.Writer, op exec.Operator) {
	exec.Walk(op, func(o exec.Operator) {
		wo, ok := o.(windowed)
		if !ok {
			return
		}
		if n := wo.LateRows(); n > 0 {
			reason := "their windows had closed before they arrived"
			if r, ok := o.(interface{ LateReason() string }); ok {
				reason = r.LateReason() // a late row of no window (a deduplication)
			}
			fmt.Fprintf(w, "weir: dropped %d late row(s): %s\n", n, reason)
		}
		if n := wo.NullTimeRows(); n > 0 {
			fmt.Fprintf(w, "weir: dropped %d row(s) with a NULL event time\n", n)
		}
	})
}
