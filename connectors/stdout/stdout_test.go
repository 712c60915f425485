package stdout

import (
	"bytes"
	"context"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/sqltypes"
)

func TestSink(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "n", Type: sqltypes.BigInt, Nullable: true},
		{Name: "s", Type: sqltypes.Varchar, Nullable: true},
	}, nil)
	for _, tc := range []struct {
		connector, option, cli string
		updating               bool
		want                   string
	}{
		{"stdout", "", "", false, "n,s\n1,a\n2,\n"},
		{"print", "", "json", false, `{"n":1,"s":"a"}` + "\n" + `{"n":2,"s":null}` + "\n"},
		// An updating result in table format prints its final rows at Close.
		{"stdout", "table", "csv", true, " n |  s\n---+------\n 1 | a\n 2 | NULL\n(2 rows)\n"},
		{"stdout", "csv", "table", true, "op,n,s\n+I,1,a\n+I,2,\n"},
	} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		spec, err := connectors.Lookup(tc.connector)
		if err != nil {
			t.Fatal(err)
		}
		with := map[string]string{}
		if tc.option != "" {
			with["format"] = tc.option
		}
		opts, err := spec.Validate(with)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		sink, err := spec.NewSink(connectors.SinkConfig{Name: "q", Options: opts, Stdout: &out, Format: tc.cli, Mem: mem})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := sink.Open(ctx, schema, tc.updating); err != nil {
			t.Fatal(err)
		}
		b := array.NewRecordBuilder(mem, schema)
		b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2}, nil)
		b.Field(1).(*array.StringBuilder).AppendValues([]string{"a", ""}, []bool{true, false})
		for _, m := range []exec.Message{exec.BatchMessage(b.NewRecord()), exec.WatermarkMessage(1), exec.EndMessage()} {
			if err := sink.Write(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		b.Release()
		if tc.option == "" && out.String() != tc.want {
			t.Errorf("not flushed after the batch: %q", out.String())
		}
		if err := sink.Close(); err != nil {
			t.Fatal(err)
		}
		if err := sink.Close(); err != nil {
			t.Fatal(err)
		}
		if out.String() != tc.want {
			t.Errorf("%+v: got\n%s\nwant\n%s", tc, out.String(), tc.want)
		}
		mem.AssertSize(t, 0)
	}
}

func TestBadFormat(t *testing.T) {
	if _, err := NewSink(connectors.SinkConfig{Name: "q", Format: "xml"}); err == nil {
		t.Fatal("no error")
	}
}
