package exec

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/sqltypes"
)

// TestGatherRows gathers rows of every column type the engine uses from
// several source arrays (one of them a slice with an offset, with and
// without NULLs), with NULL-padded rows among them, and checks every value.
func TestGatherRows(t *testing.T) {
	types := []struct {
		typ arrow.DataType
		val func(i int) any
	}{
		{sqltypes.Boolean, func(i int) any { return i%3 == 0 }},
		{sqltypes.Int, func(i int) any { return i * 7 }},
		{sqltypes.BigInt, func(i int) any { return i * 1000003 }},
		{sqltypes.Double, func(i int) any { return float64(i) / 4 }},
		{sqltypes.Decimal(10, 2), func(i int) any { return fmt.Sprintf("%d.%02d", i, i%100) }},
		{sqltypes.Varchar, func(i int) any { return fmt.Sprintf("s%d%s", i, string(make([]byte, i%4))) }},
		{sqltypes.Date, func(i int) any { return 19000 + i }},
		{sqltypes.Interval, func(i int) any { return i * 60000 }},
		{tsType, func(i int) any { return 1700000000000 + i }},
	}
	r := rand.New(rand.NewSource(1))
	for _, tc := range types {
		t.Run(sqltypes.Name(tc.typ), func(t *testing.T) {
			mem := newMem(t)
			schema := schemaOf(field("c", tc.typ))
			var srcs []arrow.Array
			var vals [][]any
			for s := 0; s < 3; s++ {
				n := 1 + r.Intn(20)
				rows := seqRows(n, []int{0, 3, 1}[s], func(i int) any { return tc.val(100*s + i) })
				var col []row
				for _, rw := range rows {
					col = append(col, row{rw[1]})
				}
				rec := buildRecord(t, mem, schema, col)
				a := rec.Column(0)
				a.Retain()
				rec.Release()
				if s == 1 && n > 2 {
					sliced := array.NewSlice(a, 1, int64(n))
					a.Release()
					a, col = sliced, col[1:]
				}
				defer a.Release()
				srcs = append(srcs, a)
				var vs []any
				for _, c := range col {
					vs = append(vs, canon(t, tc.typ, c[0]))
				}
				vals = append(vals, vs)
			}
			for _, pad := range []bool{false, true} {
				var which, rows []int32
				var want []any
				for i := 0; i < 50; i++ {
					w := r.Intn(len(srcs))
					if pad && r.Intn(4) == 0 {
						which, rows, want = append(which, -1), append(rows, 0), append(want, nil)
						continue
					}
					k := r.Intn(len(vals[w]))
					which, rows, want = append(which, int32(w)), append(rows, int32(k)), append(want, vals[w][k])
				}
				got, err := gatherRows(mem, tc.typ, srcs, which, rows)
				if err != nil {
					t.Fatal(err)
				}
				for i := range want {
					if v := arrayValue(t, got, i); v != want[i] {
						t.Fatalf("row %d: %v, want %v", i, v, want[i])
					}
				}
				got.Release()
			}
		})
	}
	mem := newMem(t)
	a, err := gatherRows(mem, sqltypes.Null, []arrow.Array{array.NewNull(3)}, []int32{0, -1}, []int32{2, 0})
	if err != nil || a.Len() != 2 || a.NullN() != 2 {
		t.Fatalf("NULL column: %v, %v", a, err)
	}
	a.Release()
	if _, err := gatherRows(mem, arrow.ListOf(sqltypes.BigInt), nil, nil, nil); err == nil {
		t.Error("a LIST column gathered")
	}
}
