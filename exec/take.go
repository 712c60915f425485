package exec

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/compute"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// selectedRows lists the rows where mask is TRUE (NULL counts as false);
// n is the number of such rows.
func selectedRows(mask *array.Boolean, n int) []int32 {
	out := make([]int32, 0, n)
	if mask.NullN() == 0 {
		for i := 0; i < mask.Len(); i++ {
			if mask.Value(i) {
				out = append(out, int32(i))
			}
		}
		return out
	}
	for i := 0; i < mask.Len(); i++ {
		if mask.IsValid(i) && mask.Value(i) {
			out = append(out, int32(i))
		}
	}
	return out
}

// takeRows gathers the listed rows of rec into a new record. Columns are
// taken one after another on this goroutine: Arrow's FilterRecordBatch
// would start goroutines for every batch.
func takeRows(mem memory.Allocator, rec arrow.Record, rows []int32) (arrow.Record, error) {
	b := array.NewInt32Builder(mem)
	b.AppendValues(rows, nil)
	idx := b.NewInt32Array()
	b.Release()
	defer idx.Release()
	ctx := compute.WithAllocator(context.Background(), mem)
	cols := make([]arrow.Array, rec.NumCols())
	for i, c := range rec.Columns() {
		t, err := compute.TakeArray(ctx, c, idx)
		if err != nil {
			for _, x := range cols[:i] {
				x.Release()
			}
			return nil, err
		}
		cols[i] = t
	}
	out := array.NewRecord(rec.Schema(), cols, int64(len(rows)))
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}
