package exec

import (
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

// FuzzWindowAssign checks the window assigner on arbitrary times and sizes:
// every window it gives a row holds the row's time, is aligned to the epoch,
// has the declared size, and a row gets exactly the windows that hold it.
func FuzzWindowAssign(f *testing.F) {
	f.Add(int64(0), int64(1000), int64(250), int64(1000))
	f.Add(int64(-1), int64(7), int64(3), int64(21))
	f.Add(int64(-86_400_000), int64(86_400_000), int64(3_600_000), int64(7*86_400_000))
	f.Add(int64(1_704_067_199_999), int64(13_000), int64(6_500), int64(26_000)) // sizes that do not divide a day
	f.Add(int64(math.MinInt64/4), int64(999), int64(333), int64(999))
	f.Fuzz(func(t *testing.T, ts, size, slide, step int64) {
		if size <= 0 || slide <= 0 || step <= 0 || size > 1<<40 || slide > size || size/slide > 64 || size%slide != 0 {
			return
		}
		if ts < math.MinInt64/4 || ts > math.MaxInt64/4 {
			return
		}
		mem := memory.NewGoAllocator()
		b := array.NewTimestampBuilder(mem, sqltypes.Timestamp.(*arrow.TimestampType))
		b.Append(arrow.Timestamp(ts))
		arr := b.NewTimestampArray()
		defer arr.Release()
		starts, ends := make([]int64, 1), make([]int64, 1)

		check := func(w WindowSpec, want int, exact func(s, e int64) bool) {
			got := 0
			seen := map[int64]bool{}
			for k := 0; k < w.passes(); k++ {
				w.assign(arr, k, starts, ends)
				if ends[0] == skip {
					continue
				}
				s, e := starts[0], ends[0]
				if ts < s || ts >= e {
					t.Fatalf("%s: window [%d, %d) does not hold %d", w, s, e, ts)
				}
				if !exact(s, e) {
					t.Fatalf("%s: window [%d, %d) is misaligned or mis-sized", w, s, e)
				}
				if seen[e] {
					t.Fatalf("%s: window ending %d assigned twice", w, e)
				}
				seen[e] = true
				got++
			}
			if got != want {
				t.Fatalf("%s: %d windows for %d, want %d", w, got, ts, want)
			}
			if last := w.lastEnd(ts); !seen[last] {
				t.Fatalf("%s: lastEnd %d is not one of the windows", w, last)
			}
		}
		mod := func(a, m int64) int64 { return ((a % m) + m) % m }
		check(WindowSpec{Kind: Tumble, Size: size}, 1, func(s, e int64) bool {
			return mod(s, size) == 0 && e-s == size
		})
		check(WindowSpec{Kind: Hop, Size: size, Slide: slide}, int(size/slide), func(s, e int64) bool {
			return mod(s, slide) == 0 && e-s == size
		})
		if size%step == 0 && size/step <= 64 {
			// CUMULATE: windows [k·size, k·size + j·step) with end > ts.
			base := ts - mod(ts, size)
			want := int(size/step - (ts-base)/step) // ends base+j·step > ts
			check(WindowSpec{Kind: Cumulate, Size: size, Step: step}, want, func(s, e int64) bool {
				return s == base && mod(e-s, step) == 0 && e-s <= size
			})
		}
	})
}
