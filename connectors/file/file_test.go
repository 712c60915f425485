package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/connectors/format"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/sqltypes"
)

var bidSchema = arrow.NewSchema([]arrow.Field{
	{Name: "auction", Type: sqltypes.BigInt, Nullable: true},
	{Name: "price", Type: sqltypes.BigInt, Nullable: true},
	{Name: "date_time", Type: sqltypes.Timestamp, Nullable: true},
}, nil)

// writeFiles creates files (name -> contents) under a new folder.
func writeFiles(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func newSource(t *testing.T, mem memory.Allocator, base string, batch int, proj []int, with map[string]string) (*Source, error) {
	t.Helper()
	spec, err := connectors.Lookup("file")
	if err != nil {
		t.Fatal(err)
	}
	with["connector"] = "file"
	opts, err := spec.Validate(with)
	if err != nil {
		return nil, err
	}
	src, err := spec.NewSource(connectors.SourceConfig{
		Name: "bids", Schema: bidSchema, Projection: proj, Options: opts,
		BaseDir: base, BatchSize: batch, Mem: mem,
	})
	if err != nil {
		return nil, err
	}
	return src.(*Source), nil
}

// batchInfo summarizes one SourceBatch.
type batchInfo struct {
	split int
	rows  int
	done  bool
}

// readAll drains src and returns the batches and all rows as CSV lines.
func readAll(t *testing.T, src *Source) ([]batchInfo, string, error) {
	t.Helper()
	ctx := context.Background()
	if err := src.Open(ctx); err != nil {
		return nil, "", err
	}
	defer src.Close()
	var infos []batchInfo
	var out strings.Builder
	for {
		b, err := src.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return infos, out.String(), err
		}
		info := batchInfo{split: b.Split, done: b.SplitDone}
		if b.Record != nil {
			info.rows = int(b.Record.NumRows())
			enc := format.NewCSVEncoder(&out, b.Record.Schema(), format.EncoderOptions{NoHeader: true})
			if err := enc.Write(b.Record, nil); err != nil {
				t.Fatal(err)
			}
			enc.Close()
			b.Record.Release()
		}
		infos = append(infos, info)
	}
	return infos, out.String(), nil
}

func TestMissingPath(t *testing.T) {
	dir := t.TempDir()
	for path, want := range map[string]string{
		"data/bids.jsonl": `file source "bids": no file matches "data/bids.jsonl"`,
		"data/*.jsonl":    `file source "bids": no file matches "data/*.jsonl"`,
		"data/[":          `file source "bids": bad glob pattern "data/[": syntax error in pattern`,
	} {
		_, err := newSource(t, nil, dir, 10, nil, map[string]string{"path": path, "format": "json"})
		if err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", path, err, want)
		}
	}
	_, err := newSource(t, nil, dir, 10, nil, map[string]string{"path": "data/bids.jsonl", "format": "json"})
	if !errors.Is(err, ErrNoFiles) {
		t.Errorf("not ErrNoFiles: %v", err)
	}
	os.Mkdir(filepath.Join(dir, "empty"), 0o755)
	os.WriteFile(filepath.Join(dir, "empty", ".hidden"), []byte("{}"), 0o644)
	_, err = newSource(t, nil, dir, 10, nil, map[string]string{"path": "empty", "format": "json"})
	if !errors.Is(err, ErrNoFiles) {
		t.Errorf("empty directory: %v", err)
	}
}

func TestBadOptions(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.csv": "auction,price,date_time\n"})
	for with, want := range map[string]error{
		"format=xml":         connectors.ErrBadOption,
		"csv.delimiter=ab":   connectors.ErrBadOption,
		"bad_records=ignore": connectors.ErrBadOption,
		"pathh=a.csv":        connectors.ErrUnknownOption,
		"csv.header=perhaps": connectors.ErrBadOption,
		"csv.delimiter=\"":   connectors.ErrBadOption,
	} {
		k, v, _ := strings.Cut(with, "=")
		opts := map[string]string{"path": "a.csv", "format": "csv", k: v}
		if _, err := newSource(t, nil, dir, 10, nil, opts); !errors.Is(err, want) {
			t.Errorf("%s: got %v, want %v", with, err, want)
		}
	}
}

func TestDirectorySplits(t *testing.T) {
	for _, batch := range []int{1, 3, 1024} {
		t.Run(fmt.Sprint(batch), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			dir := writeFiles(t, map[string]string{
				"data/b.jsonl":     `{"auction":3}` + "\n" + `{"auction":4}` + "\n" + `{"auction":5}` + "\n",
				"data/a.jsonl":     `{"auction":1}` + "\n" + `{"auction":2}`,
				"data/c.jsonl":     "",
				"data/.hidden":     `{"auction":99}`,
				"data/_SUCCESS":    "",
				"data/sub/d.jsonl": `{"auction":98}`,
				"data/e.jsonl":     "\n\n",
			})
			src, err := newSource(t, mem, dir, batch, []int{0}, map[string]string{"path": "data", "format": "json"})
			if err != nil {
				t.Fatal(err)
			}
			if src.Splits() != 4 {
				t.Fatalf("splits %d", src.Splits())
			}
			infos, rows, err := readAll(t, src)
			if err != nil {
				t.Fatal(err)
			}
			if rows != "1\n2\n3\n4\n5\n" {
				t.Fatalf("rows %q", rows)
			}
			// Every split ends with exactly one SplitDone, on its last batch.
			seen := map[int]int{}
			for i, b := range infos {
				seen[b.split] += b.rows
				if b.done != (i == len(infos)-1 || infos[i+1].split != b.split) {
					t.Fatalf("batches %+v", infos)
				}
				if b.rows > batch {
					t.Fatalf("batch of %d rows", b.rows)
				}
			}
			if fmt.Sprint(seen) != "map[0:2 1:3 2:0 3:0]" {
				t.Fatalf("rows per split %v (batches %+v)", seen, infos)
			}
			if src.RowsRead() != 5 || src.BadRecords() != 0 {
				t.Fatalf("stats %d %d", src.RowsRead(), src.BadRecords())
			}
		})
	}
}

func TestGlob(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := writeFiles(t, map[string]string{
		"in/2.csv":   "price,auction\n20,2\n",
		"in/1.csv":   "auction,price\n1,10\n",
		"in/x.jsonl": `{"auction":9}`,
		"in/_3.csv":  "auction,price\n3,30\n",
	})
	src, err := newSource(t, mem, dir, 10, []int{1, 0}, map[string]string{"path": "in/*.csv", "format": "csv"})
	if err == nil {
		// date_time is declared but missing from the header: an error at Open.
		_, _, err = readAll(t, src)
	}
	var he *format.HeaderError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), `column "date_time" not in header of in/1.csv`) {
		t.Fatalf("got %v", err)
	}
	dir = writeFiles(t, map[string]string{
		"in/2.csv":  "price,date_time,auction\n20,,2\n",
		"in/1.csv":  "auction,price,date_time\n1,10,2024-01-01 00:00:00.5\n",
		"in/_3.csv": "auction,price,date_time\n3,30,\n",
	})
	src, err = newSource(t, mem, dir, 10, []int{1, 0}, map[string]string{"path": "in/*.csv", "format": "csv"})
	if err != nil {
		t.Fatal(err)
	}
	_, rows, err := readAll(t, src)
	if err != nil || rows != "10,1\n20,2\n" {
		t.Fatalf("rows %q, %v", rows, err)
	}
	// An absolute glob whose pattern names the '_' files.
	src, err = newSource(t, mem, "", 10, nil, map[string]string{"path": filepath.Join(dir, "in", "_*.csv"), "format": "csv"})
	if err != nil {
		t.Fatal(err)
	}
	_, rows, err = readAll(t, src)
	if err != nil || rows != "3,30,\n" {
		t.Fatalf("rows %q, %v", rows, err)
	}
}

const badInput = `{"auction":1,"price":10}
{"auction":2,"price":"abc"}
{"auction":3,"price":30}
not json
{"auction":4,"price":40}
`

func TestBadRecordFail(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := writeFiles(t, map[string]string{"data/bids.jsonl": badInput})
	src, err := newSource(t, mem, dir, 1024, nil, map[string]string{"path": "data/bids.jsonl", "format": "json"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = readAll(t, src)
	var re *format.RecordError
	if !errors.As(err, &re) || re.Line != 2 || re.File != filepath.Join("data", "bids.jsonl") {
		t.Fatalf("got %v", err)
	}
	want := `data/bids.jsonl:2: column "price": "abc" is not a BIGINT (set 'bad_records' = 'skip' on source "bids" to skip malformed records)`
	if err.Error() != want {
		t.Fatalf("got  %s\nwant %s", err, want)
	}
}

func TestBadRecordSkip(t *testing.T) {
	for _, batch := range []int{1, 3, 1024} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		dir := writeFiles(t, map[string]string{"bids.jsonl": badInput, "more.jsonl": "{\n"})
		src, err := newSource(t, mem, dir, batch, []int{0, 1}, map[string]string{"path": ".", "format": "json", "bad_records": "SKIP"})
		if err != nil {
			t.Fatal(err)
		}
		infos, rows, err := readAll(t, src)
		if err != nil {
			t.Fatal(err)
		}
		if rows != "1,10\n3,30\n4,40\n" || src.BadRecords() != 3 || src.RowsRead() != 3 {
			t.Fatalf("batch %d: rows %q, bad %d, read %d", batch, rows, src.BadRecords(), src.RowsRead())
		}
		if last := infos[len(infos)-1]; last.split != 1 || !last.done || last.rows != 0 {
			t.Fatalf("batches %+v", infos)
		}
		if first := src.FirstBadRecord(); first == nil || first.Error() != `bids.jsonl:2: column "price": "abc" is not a BIGINT` {
			t.Fatalf("first bad record %v", first)
		}
		mem.AssertSize(t, 0)
	}
}

func TestCSVNoHeaderOption(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := writeFiles(t, map[string]string{"b.tsv": "1\t10\t2024-01-01T00:00:00Z\n2\t20\t1704067200001\n"})
	src, err := newSource(t, mem, dir, 1, []int{2}, map[string]string{
		"path": "b.tsv", "format": "csv", "csv.header": "false", "csv.delimiter": `\t`})
	if err != nil {
		t.Fatal(err)
	}
	infos, rows, err := readAll(t, src)
	if err != nil || rows != "2024-01-01 00:00:00\n2024-01-01 00:00:00.001\n" {
		t.Fatalf("rows %q, %v", rows, err)
	}
	if len(infos) != 2 || infos[0].done || !infos[1].done {
		t.Fatalf("batches %+v", infos)
	}
}

func TestCancel(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.jsonl": "{}\n"})
	src, err := newSource(t, nil, dir, 10, nil, map[string]string{"path": "a.jsonl", "format": "json"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSink(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: sqltypes.BigInt, Nullable: true},
		{Name: "name", Type: sqltypes.Varchar, Nullable: true},
	}, nil)
	for _, tc := range []struct {
		format, header string
		updating       bool
		want           string
	}{
		{"csv", "true", false, "id,name\n1,\"a,b\"\n2,\n"},
		{"csv", "false", true, "+I,1,\"a,b\"\n-D,2,\n"},
		{"json", "true", false, `{"id":1,"name":"a,b"}` + "\n" + `{"id":2,"name":null}` + "\n"},
	} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		dir := t.TempDir()
		spec, _ := connectors.Lookup("file")
		opts, err := spec.Validate(map[string]string{"path": "out/sub/result." + tc.format, "format": tc.format, "csv.header": tc.header})
		if err != nil {
			t.Fatal(err)
		}
		sink, err := spec.NewSink(connectors.SinkConfig{Name: "out", Options: opts, BaseDir: dir, Mem: mem})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := sink.Open(ctx, schema, tc.updating); err != nil {
			t.Fatal(err)
		}
		b := array.NewRecordBuilder(mem, schema)
		b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2}, nil)
		b.Field(1).(*array.StringBuilder).AppendValues([]string{"a,b", ""}, []bool{true, false})
		msg := exec.BatchMessage(b.NewRecord())
		b.Release()
		if tc.updating {
			ob := array.NewInt8Builder(mem)
			ob.AppendValues([]int8{int8(exec.OpInsert), int8(exec.OpDelete)}, nil)
			msg.Ops = ob.NewInt8Array()
			ob.Release()
		}
		for _, m := range []exec.Message{exec.WatermarkMessage(5), msg, {Kind: exec.MsgBarrier, Barrier: 1}, exec.EndMessage()} {
			if err := sink.Write(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		if err := sink.Close(); err != nil {
			t.Fatal(err)
		}
		if err := sink.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, "out", "sub", "result."+tc.format))
		if err != nil || string(got) != tc.want {
			t.Errorf("%+v: got %q, %v", tc, got, err)
		}
		mem.AssertSize(t, 0)
	}
}

// TestSinkThenSource writes a file with the sink and reads it back.
func TestSinkThenSource(t *testing.T) {
	for _, f := range []string{"csv", "json"} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		dir := t.TempDir()
		spec, _ := connectors.Lookup("file")
		opts, _ := spec.Validate(map[string]string{"path": "bids." + f, "format": f})
		sink, err := spec.NewSink(connectors.SinkConfig{Name: "out", Options: opts, BaseDir: dir, Mem: mem})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := sink.Open(ctx, bidSchema, false); err != nil {
			t.Fatal(err)
		}
		b := array.NewRecordBuilder(mem, bidSchema)
		b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2}, nil)
		b.Field(1).(*array.Int64Builder).AppendValues([]int64{10, 0}, []bool{true, false})
		b.Field(2).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{1704067200123, 0}, nil)
		if err := sink.Write(ctx, exec.BatchMessage(b.NewRecord())); err != nil {
			t.Fatal(err)
		}
		b.Release()
		if err := sink.Close(); err != nil {
			t.Fatal(err)
		}
		src, err := newSource(t, mem, dir, 10, nil, map[string]string{"path": "bids." + f, "format": f})
		if err != nil {
			t.Fatal(err)
		}
		_, rows, err := readAll(t, src)
		if err != nil || rows != "1,10,2024-01-01 00:00:00.123\n2,,1970-01-01 00:00:00\n" {
			t.Errorf("%s: rows %q, %v", f, rows, err)
		}
		mem.AssertSize(t, 0)
	}
}
