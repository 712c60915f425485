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

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors/format"
)

// readN reads up to n batches from an open source, as CSV lines; eof says
// the source ended.
func readN(t *testing.T, src *Source, n int) (out string, eof bool) {
	t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		sb, err := src.Next(context.Background())
		if err == io.EOF {
			return b.String(), true
		}
		if err != nil {
			t.Fatal(err)
		}
		if sb.Record != nil {
			enc := format.NewCSVEncoder(&b, sb.Record.Schema(), format.EncoderOptions{NoHeader: true})
			if err := enc.Write(sb.Record, nil); err != nil {
				t.Fatal(err)
			}
			enc.Close()
			sb.Record.Release()
		}
	}
	return b.String(), false
}

// TestPositionRestore stops reading after every possible number of batches,
// saves the position, and resumes in a new source: the rows read before and
// after must be exactly the rows of one uninterrupted read.
func TestPositionRestore(t *testing.T) {
	var jsonA, jsonB, csvA strings.Builder
	jsonA.WriteString("\ufeff")
	csvA.WriteString("\ufeffdate_time,price,auction\n")
	for i := 0; i < 23; i++ {
		fmt.Fprintf(&jsonA, `{"auction": %d, "price": %d, "date_time": "2024-01-01 00:00:%02d"}`+"\n", i, i*10, i)
		fmt.Fprintf(&csvA, "2024-01-01 00:00:%02d,%d,%d\r\n", i, i*10, i)
		if i%7 == 3 {
			jsonA.WriteString("\n{broken\n")
			csvA.WriteString("bad,row,here\n")
		}
	}
	for i := 100; i < 111; i++ {
		fmt.Fprintf(&jsonB, `{"auction": %d, "price": 1, "date_time": %d}`+"\n", i, i)
	}
	dir := writeFiles(t, map[string]string{
		"json/a.jsonl": jsonA.String(), "json/b.jsonl": jsonB.String(), "json/c.jsonl": "",
		"csv/a.csv": csvA.String(), "csv/b.csv": "auction,price,date_time\n7,7,7\n",
	})
	for _, c := range []struct{ path, format string }{{"json", "json"}, {"csv", "csv"}} {
		t.Run(c.format, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			with := func() map[string]string {
				return map[string]string{"path": c.path, "format": c.format, "bad_records": "skip"}
			}
			src, err := newSource(t, mem, dir, 4, nil, with())
			if err != nil {
				t.Fatal(err)
			}
			_, want, err := readAll(t, src)
			if err != nil {
				t.Fatal(err)
			}
			for stop := 0; ; stop++ {
				first, err := newSource(t, mem, dir, 4, nil, with())
				if err != nil {
					t.Fatal(err)
				}
				if err := first.Open(context.Background()); err != nil {
					t.Fatal(err)
				}
				before, eof := readN(t, first, stop)
				pos, err := first.Position()
				if err != nil {
					t.Fatal(err)
				}
				bad := first.BadRecords()
				first.Close()
				second, err := newSource(t, mem, dir, 4, nil, with())
				if err != nil {
					t.Fatal(err)
				}
				if err := second.Restore(pos); err != nil {
					t.Fatal(err)
				}
				if err := second.Open(context.Background()); err != nil {
					t.Fatal(err)
				}
				after, _ := readN(t, second, 1000)
				if second.BadRecords() < bad {
					t.Errorf("stop %d: bad records %d after restore, %d before", stop, second.BadRecords(), bad)
				}
				second.Close()
				if before+after != want {
					t.Fatalf("stop after %d batches: resumed read differs\nbefore:\n%safter:\n%swant:\n%s", stop, before, after, want)
				}
				if eof {
					break
				}
			}
		})
	}
}

// TestRestoreChangedInput: a file that shrank, or a path that matches
// other files, cannot be resumed; the error says why.
func TestRestoreChangedInput(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.jsonl": strings.Repeat(`{"auction": 1}`+"\n", 50)})
	with := func() map[string]string { return map[string]string{"path": "*.jsonl", "format": "json"} }
	src, err := newSource(t, nil, dir, 10, nil, with())
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	readN(t, src, 3)
	pos, _ := src.Position()
	src.Close()

	if err := os.WriteFile(filepath.Join(dir, "a.jsonl"), []byte(`{"auction": 1}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, _ = newSource(t, nil, dir, 10, nil, with())
	if err := src.Restore(pos); err != nil {
		t.Fatal(err)
	}
	err = src.Open(context.Background())
	if err == nil || !strings.Contains(err.Error(), "the input changed") {
		t.Fatalf("shrunk file: %v", err)
	}
	src.Close()

	if err := os.WriteFile(filepath.Join(dir, "b.jsonl"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	src, _ = newSource(t, nil, dir, 10, nil, with())
	if err := src.Restore(pos); err == nil || !strings.Contains(err.Error(), "the input changed") {
		t.Fatalf("another file: %v", err)
	}
	if err := src.Restore([]byte{1, 2}); err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("damaged position: %v", err)
	}
}
