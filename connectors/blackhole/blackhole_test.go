package blackhole

import (
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
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	spec, err := connectors.Lookup("blackhole")
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.NewSink(connectors.SinkConfig{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "n", Type: sqltypes.BigInt}}, nil)
	ctx := context.Background()
	if err := s.Open(ctx, schema, false); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		b := array.NewRecordBuilder(mem, schema)
		b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2}, nil)
		if err := s.Write(ctx, exec.BatchMessage(b.NewRecord())); err != nil {
			t.Fatal(err)
		}
		b.Release()
		s.Write(ctx, exec.WatermarkMessage(int64(i)))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := s.(*Sink).Rows(); got != 6 {
		t.Fatalf("rows %d", got)
	}
}
