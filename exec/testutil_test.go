package exec

// Test harness shared by the operator tests: rows as Go values, records
// built from them at a chosen batch size, a fake Source serving splits, a
// scripted Operator serving an exact message sequence, and drain, which
// runs an operator to the end and returns what it emitted.

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

// batchSizes are the batch sizes every operator test runs at (STYLE.md).
var batchSizes = []int{1, 2, 3, 16, 1024}

// forEachBatchSize runs f as one subtest per batch size.
func forEachBatchSize(t *testing.T, f func(t *testing.T, size int)) {
	t.Helper()
	for _, size := range batchSizes {
		t.Run(fmt.Sprintf("batch=%d", size), func(t *testing.T) { f(t, size) })
	}
}

// newMem returns a checked allocator for one test; when the test ends it
// asserts that every byte was released (the equivalent of
// `defer mem.AssertSize(t, 0)`, registered so that no test can forget it).
func newMem(t testing.TB) *memory.CheckedAllocator {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

func newExprCtx(mem memory.Allocator) *expr.Context {
	return &expr.Context{Mem: mem, Now: time.Date(2024, 3, 15, 10, 30, 0, 0, time.UTC)}
}

// row is one row as Go values, nil for NULL. Values are written loosely in
// tests (int for any integer, a string for DECIMAL or TIMESTAMP text) and
// compared in canonical form (see canon).
type row = []any

// tsType is the engine's TIMESTAMP type (epoch milliseconds).
var tsType = sqltypes.Timestamp

func schemaOf(fields ...arrow.Field) *arrow.Schema { return arrow.NewSchema(fields, nil) }

func field(name string, typ arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: typ, Nullable: true}
}

// canon converts a test value of column type typ to the form rows are
// compared in: int64 for every integer, TIMESTAMP (milliseconds) and DATE
// (days); float64 for floats; the canonical text for DECIMAL; string, bool
// and nil as they are.
func canon(t testing.TB, typ arrow.DataType, v any) any {
	t.Helper()
	if v == nil {
		return nil
	}
	switch typ := typ.(type) {
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type, *arrow.DurationType:
		return toInt64(t, v)
	case *arrow.Float32Type, *arrow.Float64Type:
		switch v := v.(type) {
		case float64:
			return v
		case float32:
			return float64(v)
		}
		return float64(toInt64(t, v))
	case *arrow.StringType, *arrow.LargeStringType:
		return v.(string)
	case *arrow.BooleanType:
		return v.(bool)
	case *arrow.TimestampType:
		if s, ok := v.(string); ok {
			ms, err := sqltypes.ParseTimestamp(s)
			if err != nil {
				t.Fatal(err)
			}
			return ms
		}
		return toInt64(t, v)
	case *arrow.Date32Type:
		if s, ok := v.(string); ok {
			d, err := sqltypes.ParseDate(s)
			if err != nil {
				t.Fatal(err)
			}
			return int64(d)
		}
		return toInt64(t, v)
	case *arrow.Decimal128Type:
		n, err := decimal128.FromString(v.(string), typ.Precision, typ.Scale)
		if err != nil {
			t.Fatalf("bad decimal %q: %v", v, err)
		}
		return n.ToString(typ.Scale)
	}
	t.Fatalf("canon: unsupported type %s", typ)
	return nil
}

func toInt64(t testing.TB, v any) int64 {
	t.Helper()
	switch v := v.(type) {
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case int64:
		return v
	}
	t.Fatalf("not an integer: %T %v", v, v)
	return 0
}

// canonRows returns rows in canonical form for schema.
func canonRows(t testing.TB, schema *arrow.Schema, rows []row) []row {
	t.Helper()
	out := make([]row, len(rows))
	for i, r := range rows {
		if len(r) != schema.NumFields() {
			t.Fatalf("row %d has %d values, schema has %d fields", i, len(r), schema.NumFields())
		}
		out[i] = make(row, len(r))
		for j, v := range r {
			out[i][j] = canon(t, schema.Field(j).Type, v)
		}
	}
	return out
}

// buildRecord builds one record of rows; the caller releases it.
func buildRecord(t testing.TB, mem memory.Allocator, schema *arrow.Schema, rows []row) arrow.Record {
	t.Helper()
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	for _, r := range canonRows(t, schema, rows) {
		for j, v := range r {
			appendValue(t, rb.Field(j), v)
		}
	}
	return rb.NewRecord()
}

// appendValue appends one canonical value to b.
func appendValue(t testing.TB, b array.Builder, v any) {
	t.Helper()
	if v == nil {
		b.AppendNull()
		return
	}
	switch b := b.(type) {
	case *array.Int32Builder:
		b.Append(int32(v.(int64)))
	case *array.Int64Builder:
		b.Append(v.(int64))
	case *array.Float64Builder:
		b.Append(v.(float64))
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.LargeStringBuilder:
		b.Append(v.(string))
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(v.(int64)))
	case *array.Date32Builder:
		b.Append(arrow.Date32(v.(int64)))
	case *array.DurationBuilder:
		b.Append(arrow.Duration(v.(int64)))
	case *array.Decimal128Builder:
		typ := b.Type().(*arrow.Decimal128Type)
		n, err := decimal128.FromString(v.(string), typ.Precision, typ.Scale)
		if err != nil {
			t.Fatal(err)
		}
		b.Append(n)
	default:
		t.Fatalf("appendValue: no support for %T", b)
	}
}

// recordRows reads rec back as canonical rows.
func recordRows(t testing.TB, rec arrow.Record) []row {
	t.Helper()
	n := int(rec.NumRows())
	out := make([]row, n)
	for i := range out {
		out[i] = make(row, rec.NumCols())
	}
	for j, col := range rec.Columns() {
		for i := 0; i < n; i++ {
			out[i][j] = arrayValue(t, col, i)
		}
	}
	return out
}

// arrayValue is row i of a in canonical form.
func arrayValue(t testing.TB, a arrow.Array, i int) any {
	t.Helper()
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.Date32:
		return int64(a.Value(i))
	case *array.Duration:
		return int64(a.Value(i))
	case *array.Decimal128:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal128Type).Scale)
	}
	t.Fatalf("arrayValue: no support for %s", a.DataType())
	return nil
}

// chunk splits rows into batches of at most size rows. No rows give no
// batches.
func chunk(rows []row, size int) [][]row {
	var out [][]row
	for len(rows) > 0 {
		n := min(size, len(rows))
		out = append(out, rows[:n])
		rows = rows[n:]
	}
	return out
}

func assertRows(t testing.TB, schema *arrow.Schema, got, want []row) {
	t.Helper()
	want = canonRows(t, schema, want)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows differ\n got: %s\nwant: %s", fmtRows(got), fmtRows(want))
	}
}

func fmtRows(rows []row) string {
	var b strings.Builder
	for i, r := range rows {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprint(&b, r)
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// A fake Source

// srcStep is one answer of a fakeSource's Next: a batch of rows from a split
// (rows nil: no record, as on a bare SplitDone marker), or an error.
type srcStep struct {
	split int
	rows  []row
	done  bool
	err   error
}

// interleave serves splits round-robin in batches of size rows, marking
// the last batch of each split SplitDone when markDone is set (a split with
// no rows then gets a bare marker).
func interleave(size int, markDone bool, splits ...[]row) []srcStep {
	chunks := make([][][]row, len(splits))
	for i, s := range splits {
		chunks[i] = chunk(s, size)
	}
	var steps []srcStep
	for round := 0; ; round++ {
		more := false
		for i, cs := range chunks {
			switch {
			case round < len(cs):
				more = true
				steps = append(steps, srcStep{split: i, rows: cs[round], done: markDone && round == len(cs)-1})
			case round == 0 && len(cs) == 0 && markDone:
				steps = append(steps, srcStep{split: i, done: true})
			}
		}
		if !more {
			return steps
		}
	}
}

// fakeSource serves scripted steps. It builds every record at Open, as a
// reader holding buffered data would, and releases the unread ones at
// Close, so a consumer that forgets Close leaks.
type fakeSource struct {
	t        testing.TB
	mem      memory.Allocator
	schema   *arrow.Schema
	splits   int
	steps    []srcStep
	openErr  error
	closeErr error

	recs                 []arrow.Record
	pos                  int
	opened, closed, next int
}

var _ Source = (*fakeSource)(nil)

func newFakeSource(t testing.TB, mem memory.Allocator, schema *arrow.Schema, splits int, steps []srcStep) *fakeSource {
	return &fakeSource{t: t, mem: mem, schema: schema, splits: splits, steps: steps}
}

func (s *fakeSource) Schema() *arrow.Schema { return s.schema }
func (s *fakeSource) Splits() int           { return s.splits }

func (s *fakeSource) Open(context.Context) error {
	s.opened++
	if s.openErr != nil {
		return s.openErr
	}
	s.recs = make([]arrow.Record, len(s.steps))
	for i, st := range s.steps {
		if st.rows != nil {
			s.recs[i] = buildRecord(s.t, s.mem, s.schema, st.rows)
		}
	}
	return nil
}

func (s *fakeSource) Next(ctx context.Context) (SourceBatch, error) {
	s.next++
	if s.opened == 0 {
		s.t.Errorf("fakeSource: Next before Open")
	}
	if s.pos >= len(s.steps) {
		return SourceBatch{}, io.EOF
	}
	i := s.pos
	s.pos++
	st := s.steps[i]
	if st.err != nil {
		return SourceBatch{}, st.err
	}
	rec := s.recs[i]
	s.recs[i] = nil // the caller owns it now
	return SourceBatch{Record: rec, Split: st.split, SplitDone: st.done}, nil
}

func (s *fakeSource) Close() error {
	s.closed++
	for i, r := range s.recs {
		if r != nil {
			r.Release()
			s.recs[i] = nil
		}
	}
	return s.closeErr
}

// ---------------------------------------------------------------------------
// A scripted Operator

// item is one message a scriptOp serves: a batch of rows (with ops, for an
// updating stream), a watermark, a barrier or an error.
type item struct {
	kind    MessageKind
	rows    []row
	ops     []Op
	wm      int64
	barrier uint64
	err     error
}

func batchItem(rows ...row) item { return item{kind: MsgBatch, rows: rows} }
func wmItem(ts int64) item       { return item{kind: MsgWatermark, wm: ts} }
func barrierItem(id uint64) item { return item{kind: MsgBarrier, barrier: id} }
func errItem(err error) item     { return item{err: err} }

// batchItems cuts rows into batch items of size rows.
func batchItems(rows []row, size int) []item {
	var out []item
	for _, c := range chunk(rows, size) {
		out = append(out, batchItem(c...))
	}
	return out
}

// scriptOp is an Operator that serves items in order, then MsgEnd. Each
// batch is built when served, so the receiver owns it.
type scriptOp struct {
	t      testing.TB
	mem    memory.Allocator
	schema *arrow.Schema
	items  []item

	pos                  int
	opened, closed, next int
	openErr              error
	closeErr             error
	last                 arrow.Record // the last batch served (not owned)
}

var _ Operator = (*scriptOp)(nil)

func newScriptOp(t testing.TB, mem memory.Allocator, schema *arrow.Schema, items ...item) *scriptOp {
	return &scriptOp{t: t, mem: mem, schema: schema, items: items}
}

func (s *scriptOp) Schema() *arrow.Schema { return s.schema }
func (s *scriptOp) Children() []Operator  { return nil }

func (s *scriptOp) Open(context.Context) error {
	s.opened++
	return s.openErr
}

func (s *scriptOp) Next(context.Context) (Message, error) {
	s.next++
	if s.opened == 0 {
		s.t.Errorf("scriptOp: Next before Open")
	}
	if s.pos >= len(s.items) {
		return EndMessage(), nil
	}
	it := s.items[s.pos]
	s.pos++
	if it.err != nil {
		return Message{}, it.err
	}
	switch it.kind {
	case MsgBatch:
		rec := buildRecord(s.t, s.mem, s.schema, it.rows)
		s.last = rec
		m := BatchMessage(rec)
		if it.ops != nil {
			b := array.NewInt8Builder(s.mem)
			for _, op := range it.ops {
				b.Append(int8(op))
			}
			m.Ops = b.NewInt8Array()
			b.Release()
		}
		return m, nil
	case MsgWatermark:
		return WatermarkMessage(it.wm), nil
	case MsgBarrier:
		return Message{Kind: MsgBarrier, Barrier: it.barrier}, nil
	}
	return Message{Kind: it.kind}, nil
}

func (s *scriptOp) Close() error {
	s.closed++
	return s.closeErr
}

// ---------------------------------------------------------------------------
// Draining an operator

// output is what an operator emitted, in comparable form.
type output struct {
	rows    []row
	batches []int   // rows per batch, in order
	wms     []int64 // watermarks, in order
	ops     []Op    // ops per row when the stream carried them
	// trace is the message sequence: "batch 2", "wm 70", "barrier 1".
	trace []string
}

// traceOf names a message for output.trace.
func traceOf(m Message) string {
	switch m.Kind {
	case MsgBatch:
		return fmt.Sprintf("batch %d", m.NumRows())
	case MsgWatermark:
		if m.Watermark == WatermarkMax {
			return "wm max"
		}
		return fmt.Sprintf("wm %d", m.Watermark)
	case MsgBarrier:
		return fmt.Sprintf("barrier %d", m.Barrier)
	}
	return m.Kind.String()
}

// record adds m to out and releases it.
func (out *output) record(t testing.TB, schema *arrow.Schema, m Message) {
	t.Helper()
	defer m.Release()
	out.trace = append(out.trace, traceOf(m))
	switch m.Kind {
	case MsgBatch:
		if !m.Batch.Schema().Equal(schema) {
			t.Errorf("batch schema %s differs from operator schema %s", m.Batch.Schema(), schema)
		}
		out.batches = append(out.batches, m.NumRows())
		out.rows = append(out.rows, recordRows(t, m.Batch)...)
		if m.Ops != nil {
			for i := 0; i < m.Ops.Len(); i++ {
				out.ops = append(out.ops, Op(m.Ops.Value(i)))
			}
		}
	case MsgWatermark:
		out.wms = append(out.wms, m.Watermark)
	}
}

// tryDrain opens op, pulls until MsgEnd or an error, and closes op (twice,
// which the contract allows). After MsgEnd it checks that Next keeps
// returning MsgEnd. Every message is released.
func tryDrain(t testing.TB, op Operator) (out output, err error) {
	t.Helper()
	ctx := context.Background()
	defer func() {
		if cerr := op.Close(); cerr != nil && err == nil {
			err = cerr
		}
		if cerr := op.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("second close: %w", cerr)
		}
	}()
	if err := op.Open(ctx); err != nil {
		return out, err
	}
	for {
		m, err := op.Next(ctx)
		if err != nil {
			m.Release()
			return out, err
		}
		if m.Kind == MsgEnd {
			for range 2 {
				again, err := op.Next(ctx)
				if err != nil || again.Kind != MsgEnd {
					again.Release()
					t.Errorf("Next after MsgEnd = %s, %v; want end", traceOf(again), err)
				}
			}
			return out, nil
		}
		out.record(t, op.Schema(), m)
	}
}

// drain is tryDrain failing the test on an error.
func drain(t testing.TB, op Operator) output {
	t.Helper()
	out, err := tryDrain(t, op)
	if err != nil {
		t.Fatalf("drain: %v", err)
	}
	return out
}

func assertTrace(t testing.TB, got []string, want ...string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("messages differ\n got: %s\nwant: %s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
}

// seqRows returns n rows (i, val(i)) with v NULL on every k-th row (k 0:
// never), for larger inputs with NULLs spread through.
func seqRows(n, k int, val func(i int) any) []row {
	rows := make([]row, n)
	for i := range rows {
		var v any
		if k == 0 || i%k != k-1 {
			v = val(i)
		}
		rows[i] = row{i, v}
	}
	return rows
}

// ---------------------------------------------------------------------------
// Expressions

func colExpr(schema *arrow.Schema, name string) expr.Expr {
	idx := schema.FieldIndices(name)
	if len(idx) != 1 {
		panic(fmt.Sprintf("no column %q in %s", name, schema))
	}
	return expr.NewColumn(idx[0], name, schema.Field(idx[0]).Type)
}

func int64Lit(v int64) expr.Expr { return expr.NewLiteral(scalar.NewInt64Scalar(v)) }

func binary(t testing.TB, op expr.BinaryOp, l, r expr.Expr) expr.Expr {
	t.Helper()
	e, err := expr.NewBinary(op, l, r)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
