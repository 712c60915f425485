package format

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

// TestLineNumbers checks that each row's line is where its record starts:
// blank lines, a CSV header, a quoted field across lines and a skipped bad
// record all count, at several batch sizes.
func TestLineNumbers(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: sqltypes.BigInt, Nullable: true},
		{Name: "s", Type: sqltypes.Varchar, Nullable: true},
	}, nil)
	cases := []struct {
		format, input string
		want          []int64 // line of each row
		wantA         []int64 // column a of each row
	}{
		{"json", "{\"a\": 1}\n\n{\"a\": 2, \"s\": \"x\"}\n{\"a\": oops}\n  \n{\"a\": 3}", []int64{1, 3, 6}, []int64{1, 2, 3}},
		{"csv", "a,s\n1,x\n2,\"two\nlines\"\n\n3,z\nbad,row\n4,w\n", []int64{2, 3, 6, 8}, []int64{1, 2, 3, 4}},
	}
	for _, c := range cases {
		for _, size := range []int{1, 2, 3, 1024} {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			dec, err := NewDecoder(c.format, strings.NewReader(c.input), DecoderOptions{
				Schema: schema, BatchSize: size, Mem: mem, LineNumbers: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			var lines, as []int64
			for {
				rec, err := dec.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				var bad *RecordError
				if errors.As(err, &bad) {
					continue // skipped, as 'bad_records' = 'skip' does
				}
				if err != nil {
					t.Fatal(err)
				}
				got := dec.LineNumbers()
				if len(got) != int(rec.NumRows()) {
					t.Fatalf("%s/%d: %d line numbers for %d rows", c.format, size, len(got), rec.NumRows())
				}
				lines = append(lines, got...)
				as = append(as, rec.Column(0).(*array.Int64).Int64Values()...)
				rec.Release()
			}
			if !slices.Equal(lines, c.want) || !slices.Equal(as, c.wantA) {
				t.Errorf("%s, batch size %d: lines %v of rows %v, want %v of %v", c.format, size, lines, as, c.want, c.wantA)
			}
			mem.AssertSize(t, 0)
		}
	}
}

func TestNoLineNumbersByDefault(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: sqltypes.BigInt, Nullable: true}}, nil)
	dec, err := NewDecoder("json", strings.NewReader("{\"a\": 1}\n"), DecoderOptions{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := dec.Next()
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if got := dec.LineNumbers(); got != nil {
		t.Errorf("LineNumbers() = %v without DecoderOptions.LineNumbers, want nil", got)
	}
}
