package format

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// WriteHeader writes a batch of no rows to enc, which makes a CSV encoder
// print its header now rather than with the first row (sinks that commit
// output with checkpoints want the header in the first commit).
func WriteHeader(enc Encoder, schema *arrow.Schema, mem memory.Allocator) error {
	cols := make([]arrow.Array, schema.NumFields())
	for i, f := range schema.Fields() {
		cols[i] = array.MakeArrayOfNull(mem, f.Type, 0)
	}
	rec := array.NewRecord(schema, cols, 0)
	for _, c := range cols {
		c.Release()
	}
	defer rec.Release()
	return enc.Write(rec, nil)
}
