package nexmark

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors"
)

// baseMs is the default base time, 2024-01-01 00:00:00 UTC.
const baseMs = 1704067200000

// declare returns the schema that declares every column of a table.
func declare(name string) *arrow.Schema {
	t := tables[name]
	fields := make([]arrow.Field, len(t.columns))
	for i, c := range t.columns {
		fields[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// project returns the indexes of the named columns of a table.
func project(t testing.TB, table string, cols ...string) []int {
	t.Helper()
	var out []int
	for _, c := range cols {
		i := tables[table].lookup(c)
		if i < 0 {
			t.Fatalf("no column %q in %s", c, table)
		}
		out = append(out, i)
	}
	return out
}

// open makes a source over every declared column of the table named by
// 'nexmark.table', reading the projection proj (nil: all).
func open(t testing.TB, mem memory.Allocator, raw map[string]string, proj []int, batch int) *Source {
	t.Helper()
	opts, err := Spec.Validate(raw)
	if err != nil {
		t.Fatal(err)
	}
	src, err := NewSource(connectors.SourceConfig{
		Name: "src", Schema: declare(opts.Get("nexmark.table")), Projection: proj,
		Options: opts, BatchSize: batch, Mem: mem,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	return src.(*Source)
}

// rows is what a source produced, column by column (by output name), with
// the split of each row and the size of each batch.
type rows struct {
	n       int
	i64     map[string][]int64
	str     map[string][]string
	split   []int
	batches []int
	done    []int       // splits in the order their SplitDone came
	log     []batchInfo // every batch Next returned
}

// batchInfo is what one SourceBatch said.
type batchInfo struct {
	split, rows int
	done        bool
}

func (r *rows) add(rec arrow.Record, split int) {
	if r.i64 == nil {
		r.i64, r.str = map[string][]int64{}, map[string][]string{}
	}
	for i, col := range rec.Columns() {
		name := rec.ColumnName(i)
		switch a := col.(type) {
		case *array.Int64:
			r.i64[name] = append(r.i64[name], a.Int64Values()...)
		case *array.Timestamp:
			for _, v := range a.TimestampValues() {
				r.i64[name] = append(r.i64[name], int64(v))
			}
		case *array.String:
			for j := 0; j < a.Len(); j++ {
				r.str[name] = append(r.str[name], a.Value(j))
			}
		default:
			panic(fmt.Sprintf("unexpected array %T", col))
		}
	}
	for range rec.NumRows() {
		r.split = append(r.split, split)
	}
	r.n += int(rec.NumRows())
	r.batches = append(r.batches, int(rec.NumRows()))
}

// readAll reads a bounded source to io.EOF, releasing every record, and
// checks the batch contract on the way.
func readAll(t testing.TB, src *Source) *rows {
	t.Helper()
	ctx := context.Background()
	r := &rows{}
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if b.Split < 0 || b.Split >= src.Splits() {
			t.Fatalf("split %d out of range", b.Split)
		}
		info := batchInfo{split: b.Split, done: b.SplitDone}
		if b.Record != nil {
			info.rows = int(b.Record.NumRows())
			if !b.Record.Schema().Equal(src.Schema()) {
				t.Fatalf("batch schema %s, want %s", b.Record.Schema(), src.Schema())
			}
			if n := int(b.Record.NumRows()); n == 0 || n > src.batchSize {
				t.Fatalf("batch of %d rows (batch size %d)", n, src.batchSize)
			}
			r.add(b.Record, b.Split)
			b.Record.Release()
		}
		if b.SplitDone {
			r.done = append(r.done, b.Split)
		}
		r.log = append(r.log, info)
	}
	if _, err := src.Next(ctx); !errors.Is(err, io.EOF) {
		t.Fatalf("Next after the end: %v, want io.EOF", err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	return r
}

// generate reads a whole bounded table with every column.
func generate(t testing.TB, raw map[string]string, batch int) *rows {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	return readAll(t, open(t, mem, raw, nil, batch))
}

// opts builds raw options from key, value pairs.
func opts(kv ...string) map[string]string {
	m := map[string]string{"connector": "nexmark"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// Event numbers of the i-th row of each table (one split, in order).
func personEvent(i int) int64  { return int64(i) * blockSize }
func auctionEvent(i int) int64 { return int64(i/3)*blockSize + 1 + int64(i%3) }
func bidEvent(i int) int64     { return int64(i/46)*blockSize + 4 + int64(i%46) }

// timeOf is the event time of event n at rate r in exact arithmetic.
func timeOf(n, r int64) int64 { return baseMs + (2*n*1000+r)/(2*r) }
