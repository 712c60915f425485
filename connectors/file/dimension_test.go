package file

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/connectors/format"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/sqltypes"
)

var custSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: sqltypes.BigInt, Nullable: true},
	{Name: "name", Type: sqltypes.Varchar, Nullable: true},
}, nil)

// newDimension makes a file lookup table of custSchema, read in batches
// of 2 rows (so that a table is several records).
func newDimension(t testing.TB, mem memory.Allocator, base string, with map[string]string) (exec.DimensionTable, error) {
	return newDimensionBatch(t, mem, base, 2, with)
}

func newDimensionBatch(t testing.TB, mem memory.Allocator, base string, batch int, with map[string]string) (exec.DimensionTable, error) {
	t.Helper()
	spec, err := connectors.Lookup("file")
	if err != nil {
		t.Fatal(err)
	}
	if spec.NewDimension == nil {
		t.Fatal("the file connector has no NewDimension")
	}
	with["connector"] = "file"
	opts, err := spec.Validate(with)
	if err != nil {
		t.Fatal(err)
	}
	return spec.NewDimension(connectors.SourceConfig{
		Name: "customers", Schema: custSchema, Options: opts, BaseDir: base, BatchSize: batch, Mem: mem,
	})
}

// load calls Load and returns whether the table changed and its rows as
// "id:name" strings (the records released).
func load(t *testing.T, tab exec.DimensionTable) (bool, []string) {
	t.Helper()
	recs, changed, err := tab.Load(context.Background())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	var rows []string
	for _, rec := range recs {
		ids, names := rec.Column(0).(*array.Int64), rec.Column(1).(*array.String)
		for i := 0; i < int(rec.NumRows()); i++ {
			rows = append(rows, fmt.Sprintf("%d:%s", ids.Value(i), names.Value(i)))
		}
		rec.Release()
	}
	if !changed && recs != nil {
		t.Fatalf("Load returned %d records and changed = false", len(recs))
	}
	return changed, rows
}

// writeAt writes a file and sets its modification time to sec seconds
// after a fixed instant, so that tests do not depend on the clock's
// resolution.
func writeAt(t *testing.T, path, body string, sec int) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	touch(t, path, sec)
}

func touch(t *testing.T, path string, sec int) {
	t.Helper()
	at := time.Date(2024, 1, 1, 0, 0, sec, 0, time.UTC)
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

func TestDimensionReloadsOnChange(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	writeAt(t, a, "id,name\n1,ann\n2,bob\n3,cy\n", 1)
	tab, err := newDimension(t, mem, dir, map[string]string{"path": "*.csv", "format": "csv"})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	if !tab.Schema().Equal(custSchema) {
		t.Fatalf("schema %s", tab.Schema())
	}

	steps := []struct {
		name   string
		change func()
		want   string // "" when the table must not have changed
	}{
		{"first load", func() {}, "1:ann 2:bob 3:cy"},
		{"untouched", func() {}, ""},
		{"touched to the same time", func() { touch(t, a, 1) }, ""},
		{"rewritten, same size", func() { writeAt(t, a, "id,name\n1,ANN\n2,BOB\n3,CY\n", 2) }, "1:ANN 2:BOB 3:CY"},
		{"appended", func() {
			f, err := os.OpenFile(a, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprint(f, "4,dee\n")
			f.Close()
			touch(t, a, 2) // the same time: the size tells
		}, "1:ANN 2:BOB 3:CY 4:dee"},
		{"file added", func() { writeAt(t, b, "id,name\n5,eve\n", 3) }, "1:ANN 2:BOB 3:CY 4:dee 5:eve"},
		{"ignored file added", func() { writeAt(t, filepath.Join(dir, "notes.txt"), "x", 4) }, ""},
		{"touched", func() { touch(t, b, 5) }, "1:ANN 2:BOB 3:CY 4:dee 5:eve"},
		{"file removed", func() {
			if err := os.Remove(a); err != nil {
				t.Fatal(err)
			}
		}, "5:eve"},
		{"emptied", func() { writeAt(t, b, "id,name\n", 6) }, " "},
	}
	for _, s := range steps {
		s.change()
		changed, rows := load(t, tab)
		switch {
		case s.want == "" && changed:
			t.Fatalf("%s: the table changed: %v", s.name, rows)
		case s.want != "" && !changed:
			t.Fatalf("%s: the table did not change", s.name)
		case s.want != "" && strings.Join(rows, " ") != strings.TrimSpace(s.want):
			t.Fatalf("%s: rows %v, want %s", s.name, rows, s.want)
		}
	}
}

func TestDimensionErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()

	t.Run("no file", func(t *testing.T) {
		_, err := newDimension(t, mem, t.TempDir(), map[string]string{"path": "customers.jsonl", "format": "json"})
		if !errors.Is(err, ErrNoFiles) || !strings.Contains(err.Error(), `file source "customers"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("malformed row", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"customers.jsonl": `{"id": 1, "name": "ann"}` + "\n" + `{"id": "x", "name": "bob"}` + "\n"})
		tab, err := newDimension(t, mem, dir, map[string]string{"path": "customers.jsonl", "format": "json"})
		if err != nil {
			t.Fatal(err)
		}
		defer tab.Close()
		_, _, err = tab.Load(ctx)
		var bad *format.RecordError
		if !errors.As(err, &bad) || bad.File != "customers.jsonl" || bad.Line != 2 {
			t.Fatalf("err = %v", err)
		}
		want := `read lookup table: customers.jsonl:2: column "id": `
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "'bad_records' = 'skip'") {
			t.Fatalf("err = %v\nwant it to contain %s and the 'bad_records' hint", err, want)
		}
	})
	t.Run("malformed row skipped", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"customers.jsonl": `{"id": 1, "name": "ann"}` + "\n" + `{"id": "x", "name": "bob"}` + "\n"})
		tab, err := newDimension(t, mem, dir, map[string]string{"path": "customers.jsonl", "format": "json", "bad_records": "skip"})
		if err != nil {
			t.Fatal(err)
		}
		defer tab.Close()
		if _, rows := load(t, tab); strings.Join(rows, " ") != "1:ann" {
			t.Fatalf("rows %v", rows)
		}
	})
	t.Run("files gone", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"c1.csv": "id,name\n1,ann\n"})
		tab, err := newDimension(t, mem, dir, map[string]string{"path": "c*.csv", "format": "csv"})
		if err != nil {
			t.Fatal(err)
		}
		defer tab.Close()
		load(t, tab)
		if err := os.Remove(filepath.Join(dir, "c1.csv")); err != nil {
			t.Fatal(err)
		}
		_, _, err = tab.Load(ctx)
		if !errors.Is(err, ErrNoFiles) || !strings.Contains(err.Error(), `check lookup table for changes: file source "customers": no file matches "c*.csv"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("missing column", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"c.csv": "id\n1\n"})
		tab, err := newDimension(t, mem, dir, map[string]string{"path": "c.csv", "format": "csv"})
		if err != nil {
			t.Fatal(err)
		}
		defer tab.Close()
		_, _, err = tab.Load(ctx)
		if err == nil || !strings.Contains(err.Error(), "open lookup table") || !strings.Contains(err.Error(), "name") {
			t.Fatalf("err = %v", err)
		}
	})
}

// ordersOp is an exec.Operator serving batches of (order_id, customer)
// rows, and it can set a clock before each batch: the time it is read.
type ordersOp struct {
	schema *arrow.Schema
	recs   []arrow.Record
	ticks  []int64
	clock  *int64
	times  int
	i      int
}

func (o *ordersOp) Schema() *arrow.Schema      { return o.schema }
func (o *ordersOp) Children() []exec.Operator  { return nil }
func (o *ordersOp) Open(context.Context) error { return nil }
func (o *ordersOp) Close() error               { return nil }
func (o *ordersOp) Next(context.Context) (exec.Message, error) {
	if o.i >= len(o.recs)*o.times {
		return exec.EndMessage(), nil
	}
	if o.i < len(o.ticks) {
		*o.clock = o.ticks[o.i]
	}
	rec := o.recs[o.i%len(o.recs)]
	o.i++
	rec.Retain()
	return exec.BatchMessage(rec), nil
}

var ordersSchema = arrow.NewSchema([]arrow.Field{
	{Name: "order_id", Type: sqltypes.BigInt, Nullable: true},
	{Name: "customer", Type: sqltypes.BigInt, Nullable: true},
}, nil)

// orderBatch builds one batch of orders; a negative customer is NULL.
func orderBatch(mem memory.Allocator, rows ...[2]int64) arrow.Record {
	b := array.NewRecordBuilder(mem, ordersSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r[0])
		if r[1] < 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.Int64Builder).Append(r[1])
		}
	}
	return b.NewRecord()
}

func lookupSpec(kind exec.JoinKind, reload time.Duration) *exec.LookupJoinSpec {
	return &exec.LookupJoinSpec{
		Kind:       kind,
		StreamKeys: []expr.Expr{expr.NewColumn(1, "customer", sqltypes.BigInt)},
		TableKeys:  []int{0},
		Reload:     reload,
		Schema:     arrow.NewSchema(append(append([]arrow.Field{}, ordersSchema.Fields()...), custSchema.Fields()...), nil),
	}
}

// TestFileLookupJoin runs a LEFT lookup join against a CSV file that is
// replaced while the stream runs: batches read after the next check see
// the new rows, earlier output stays as it was.
func TestFileLookupJoin(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	path := filepath.Join(dir, "customers.csv")
	writeAt(t, path, "id,name\n1,ann\n2,bob\n2,bea\n", 1)
	tab, err := newDimension(t, mem, dir, map[string]string{"path": "customers.csv", "format": "csv", "lookup.join.cache.ttl": "1s"})
	if err != nil {
		t.Fatal(err)
	}
	var clock int64
	ec := &expr.Context{Mem: mem, Proc: expr.NewProcClock(func() time.Time { return time.UnixMilli(clock) })}
	in := &ordersOp{
		schema: ordersSchema,
		recs: []arrow.Record{
			orderBatch(mem, [2]int64{10, 1}, [2]int64{11, 2}, [2]int64{12, -1}),
			orderBatch(mem, [2]int64{13, 3}),
			orderBatch(mem, [2]int64{14, 1}, [2]int64{15, 3}),
		},
		ticks: []int64{0, 500, 1000},
		clock: &clock,
		times: 1,
	}
	defer func() {
		for _, r := range in.recs {
			r.Release()
		}
	}()
	j := exec.NewLookupJoin(in, tab, lookupSpec(exec.LeftJoin, time.Second), ec)
	ctx := context.Background()
	if err := j.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	next := func() string {
		t.Helper()
		m, err := j.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Release()
		if m.Kind != exec.MsgBatch {
			return m.Kind.String()
		}
		var rows []string
		for i := 0; i < int(m.Batch.NumRows()); i++ {
			var cells []string
			for _, c := range m.Batch.Columns() {
				cells = append(cells, c.ValueStr(i))
			}
			rows = append(rows, strings.Join(cells, ","))
		}
		return strings.Join(rows, " ")
	}
	if got, want := next(), "10,1,1,ann 11,2,2,bob 11,2,2,bea 12,(null),(null),(null)"; got != want {
		t.Fatalf("batch 1: %s, want %s", got, want)
	}
	// Replace the file: customer 3 arrives, ann is renamed.
	writeAt(t, path, "id,name\n1,ann2\n3,cy\n", 2)
	if got, want := next(), "13,3,(null),(null)"; got != want { // at 500 ms: not checked yet
		t.Fatalf("batch 2: %s, want %s", got, want)
	}
	if got, want := next(), "14,1,1,ann2 15,3,3,cy"; got != want { // at 1000 ms: reloaded
		t.Fatalf("batch 3: %s, want %s", got, want)
	}
	if got := next(); got != "end" {
		t.Fatalf("after the input: %s", got)
	}
	if j.Loads() != 2 {
		t.Fatalf("%d loads, want 2", j.Loads())
	}
}

// BenchmarkFileLookupJoin joins batches of 1024 orders with a CSV file of
// 100,000 customers. "probe" streams 2^20 orders, each matching one
// customer, through a join whose table is already loaded (rows/s of the
// stream); "load" reads and indexes the table (rows/s of the table).
//
//	go test ./connectors/file -run '^$' -bench FileLookupJoin
func BenchmarkFileLookupJoin(b *testing.B) {
	const customers, orders = 100_000, 1 << 20
	dir := b.TempDir()
	var sb strings.Builder
	sb.WriteString("id,name\n")
	for i := 0; i < customers; i++ {
		fmt.Fprintf(&sb, "%d,customer %d\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "customers.csv"), []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(1, 2))
	var recs []arrow.Record
	for off := 0; off < orders; off += 1024 {
		rows := make([][2]int64, 1024)
		for i := range rows {
			rows[i] = [2]int64{int64(off + i), rng.Int64N(customers)}
		}
		recs = append(recs, orderBatch(mem, rows...))
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	ctx := context.Background()
	// open makes a join over the table whose input serves recs times times.
	open := func(times int) *exec.LookupJoin {
		tab, err := newDimensionBatch(b, mem, dir, 1024, map[string]string{"path": "customers.csv", "format": "csv", "lookup.join.cache.ttl": "0"})
		if err != nil {
			b.Fatal(err)
		}
		var clock int64
		in := &ordersOp{schema: ordersSchema, recs: recs, clock: &clock, times: times}
		j := exec.NewLookupJoin(in, tab, lookupSpec(exec.InnerJoin, 0), &expr.Context{Mem: mem})
		if err := j.Open(ctx); err != nil {
			b.Fatal(err)
		}
		return j
	}
	b.Run("probe", func(b *testing.B) {
		j := open(b.N)
		defer j.Close()
		b.ReportAllocs()
		b.ResetTimer()
		n := 0
		for {
			m, err := j.Next(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if m.Kind == exec.MsgEnd {
				break
			}
			n += m.NumRows()
			m.Release()
		}
		if n != orders*b.N {
			b.Fatalf("%d rows out", n)
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("load", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			j := open(0)
			if j.TableRows() != customers {
				b.Fatalf("%d table rows", j.TableRows())
			}
			j.Close()
		}
		b.ReportMetric(float64(customers)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
