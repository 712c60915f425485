package exec

import (
	"context"
	"math/rand"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/compute"
	"github.com/apache/arrow/go/v17/arrow/decimal128"

	"github.com/weirsql/weir/sqltypes"
)

// TestTakeArrayMatchesArrow compares the typed gather with Arrow's take
// kernel on every column type, with NULLs, on whole and sliced arrays.
func TestTakeArrayMatchesArrow(t *testing.T) {
	mem := newMem(t)
	r := rand.New(rand.NewSource(1))
	types := []arrow.DataType{sqltypes.Int, sqltypes.BigInt, sqltypes.Double, sqltypes.Float, sqltypes.Boolean,
		sqltypes.Varchar, sqltypes.Timestamp, sqltypes.Date, sqltypes.Interval, sqltypes.Decimal(20, 2)}
	for _, typ := range types {
		for _, nullRate := range []int{0, 3} {
			b := array.NewBuilder(mem, typ)
			for i := 0; i < 200; i++ {
				if nullRate > 0 && r.Intn(nullRate) == 0 {
					b.AppendNull()
					continue
				}
				switch bb := b.(type) {
				case *array.Int32Builder:
					bb.Append(r.Int31())
				case *array.Int64Builder:
					bb.Append(r.Int63())
				case *array.Float64Builder:
					bb.Append(r.Float64())
				case *array.Float32Builder:
					bb.Append(r.Float32())
				case *array.BooleanBuilder:
					bb.Append(r.Intn(2) == 0)
				case *array.StringBuilder:
					bb.Append(string(make([]byte, r.Intn(12))) + "é")
				case *array.TimestampBuilder:
					bb.Append(arrow.Timestamp(r.Int63n(1e12)))
				case *array.Date32Builder:
					bb.Append(arrow.Date32(r.Int31n(20000)))
				case *array.DurationBuilder:
					bb.Append(arrow.Duration(r.Int63n(1e9)))
				case *array.Decimal128Builder:
					bb.Append(decimal128.FromI64(r.Int63n(1e12) - 5e11))
				}
			}
			whole := b.NewArray()
			b.Release()
			sliced := array.NewSlice(whole, 17, 150)
			for _, a := range []arrow.Array{whole, sliced} {
				rows := make([]int32, 0, a.Len())
				for i := 0; i < a.Len(); i++ {
					if r.Intn(3) > 0 {
						rows = append(rows, int32(a.Len()-1-i)) // reversed, a subset
					}
				}
				got, err := takeArray(mem, a, rows)
				if err != nil {
					t.Fatal(err)
				}
				ib := array.NewInt32Builder(mem)
				ib.AppendValues(rows, nil)
				idx := ib.NewInt32Array()
				ib.Release()
				want, err := compute.TakeArray(compute.WithAllocator(context.Background(), mem), a, idx)
				if err != nil {
					t.Fatal(err)
				}
				if !array.Equal(got, want) {
					t.Errorf("%s (nulls %d, offset %d): take differs from Arrow's\ngot  %v\nwant %v", typ, nullRate, a.Data().Offset(), got, want)
				}
				if got.NullN() != want.NullN() {
					t.Errorf("%s: %d nulls, want %d", typ, got.NullN(), want.NullN())
				}
				got.Release()
				want.Release()
				idx.Release()
			}
			sliced.Release()
			whole.Release()
		}
	}
}
