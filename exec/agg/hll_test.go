package agg

import (
	"fmt"
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

// hllSE is the relative standard error of the dense estimate.
var hllSE = 1.04 / math.Sqrt(hllM)

// approxFeed feeds APPROX_COUNT_DISTINCT(BIGINT or VARCHAR) of the values
// lo..hi-1 (each twice) into group g of a table with one BIGINT key.
func approxFeed(t testing.TB, mem memory.Allocator, table *Table, typ arrow.DataType, g int64, lo, hi int) {
	const batch = 4096
	for start := lo; start < hi; start += batch / 2 {
		end := min(start+batch/2, hi)
		kb := array.NewInt64Builder(mem)
		var vals arrow.Array
		switch typ.ID() {
		case arrow.INT64:
			vb := array.NewInt64Builder(mem)
			for i := start; i < end; i++ {
				vb.Append(int64(i))
				vb.Append(int64(i))
				kb.Append(g)
				kb.Append(g)
			}
			vals = vb.NewArray()
			vb.Release()
		default:
			vb := array.NewStringBuilder(mem)
			for i := start; i < end; i++ {
				s := fmt.Sprintf("user-%d", i)
				vb.Append(s)
				vb.Append(s)
				kb.Append(g)
				kb.Append(g)
			}
			vals = vb.NewArray()
			vb.Release()
		}
		keys := kb.NewArray()
		kb.Release()
		groups := make([]uint32, keys.Len())
		table.Lookup([]arrow.Array{keys}, nil, groups)
		if err := table.Update(nil, groups, []arrow.Array{vals}, []*array.Boolean{nil}); err != nil {
			t.Fatal(err)
		}
		releaseAll([]arrow.Array{keys, vals})
	}
}

func approxResults(t testing.TB, table *Table) []int64 {
	_, got := results(t.(*testing.T), table)
	var out []int64
	for _, r := range got {
		out = append(out, r[0].(int64))
	}
	return out
}

// TestApproxCountDistinct checks the estimate within 3 standard errors at
// 10^5 and 10^6 distinct values, for numbers and strings, directly and
// through Merge.
func TestApproxCountDistinct(t *testing.T) {
	for _, c := range []struct {
		typ arrow.DataType
		n   int
	}{
		{sqltypes.BigInt, 100_000},
		{sqltypes.BigInt, 1_000_000},
		{sqltypes.Varchar, 100_000},
		{sqltypes.Varchar, 1_000_000},
	} {
		if testing.Short() && c.n > 100_000 {
			continue
		}
		t.Run(fmt.Sprintf("%s/%d", sqltypes.Name(c.typ), c.n), func(t *testing.T) {
			mem := checkedMem(t)
			table, err := NewTable(mem, []arrow.DataType{sqltypes.BigInt}, []Spec{{Func: ApproxCountDistinct, Arg: c.typ}})
			if err != nil {
				t.Fatal(err)
			}
			defer table.Release()
			// Group 0: all values; groups 1 and 2: overlapping halves,
			// merged into 1.
			approxFeed(t, mem, table, c.typ, 0, 0, c.n)
			approxFeed(t, mem, table, c.typ, 1, 0, c.n*6/10)
			approxFeed(t, mem, table, c.typ, 2, c.n*4/10, c.n)
			table.Merge(1, 2)
			got := approxResults(t, table)
			for _, g := range []int{0, 1} {
				rel := math.Abs(float64(got[g])-float64(c.n)) / float64(c.n)
				t.Logf("group %d: estimate %d of %d, error %.3f%% (SE %.3f%%)", g, got[g], c.n, 100*rel, 100*hllSE)
				if rel > 3*hllSE {
					t.Errorf("group %d: estimate %d of %d distinct values: error %.2f%% > 3 SE", g, got[g], c.n, 100*rel)
				}
			}
		})
	}
}

// Below the dense threshold the sparse sketch is nearly exact; above it the
// error stays within 3 standard errors.
func TestApproxCountDistinctSmall(t *testing.T) {
	mem := checkedMem(t)
	sizes := []int{1, 2, 10, 100, 1000, 2000, 2100, 5000, 20000}
	table, err := NewTable(mem, []arrow.DataType{sqltypes.BigInt}, []Spec{{Func: ApproxCountDistinct, Arg: sqltypes.BigInt}})
	if err != nil {
		t.Fatal(err)
	}
	defer table.Release()
	for g, n := range sizes {
		approxFeed(t, mem, table, sqltypes.BigInt, int64(g), 1000*g, 1000*g+n)
	}
	got := approxResults(t, table)
	for g, n := range sizes {
		d := math.Abs(float64(got[g] - int64(n)))
		if (n <= hllSparseMax && d > 1) || d > 3*hllSE*float64(n) {
			t.Errorf("%d distinct values: estimate %d", n, got[g])
		}
	}
}

// Sparse and dense sketches agree: a sparse sketch densified gives the
// registers of the same values added densely.
func TestHLLSparseDense(t *testing.T) {
	var sparse []uint32
	dense := make([]uint32, hllDenseWords)
	for i := 0; i < 1500; i++ {
		x := fmix64(uint64(i) * 0x9e3779b97f4a7c15)
		sparse = hllAdd(sparse, x)
		dense = hllAdd(dense, x)
	}
	if len(sparse) == hllDenseWords {
		t.Fatal("sketch densified early")
	}
	d := hllDensify(sparse)
	for j := uint32(0); j < hllM; j++ {
		if hllReg(d, j) != hllReg(dense, j) {
			t.Fatalf("register %d: %d from sparse, %d dense", j, hllReg(d, j), hllReg(dense, j))
		}
	}
	if e1, e2 := hllEstimate(sparse), hllEstimate(dense); math.Abs(e1-1500) > 1 || math.Abs(e2-1500) > 3*hllSE*1500 {
		t.Errorf("estimates %.1f (sparse), %.1f (dense) of 1500", e1, e2)
	}
	// Merge in every combination of forms.
	other := hllAdd(nil, fmix64(12345678))
	for _, c := range []struct{ a, b []uint32 }{{sparse, other}, {other, sparse}, {dense, other}, {other, dense}} {
		m := hllMerge(append([]uint32(nil), c.a...), c.b)
		if e := hllEstimate(m); math.Abs(e-1501) > 3*hllSE*1501 {
			t.Errorf("merged estimate %.1f of 1501", e)
		}
	}
}

// Many small groups keep small sketches.
func TestHLLMemory(t *testing.T) {
	mem := checkedMem(t)
	table, err := NewTable(mem, []arrow.DataType{sqltypes.BigInt}, []Spec{{Func: ApproxCountDistinct, Arg: sqltypes.BigInt}})
	if err != nil {
		t.Fatal(err)
	}
	defer table.Release()
	for g := 0; g < 10000; g++ {
		if g%1000 == 0 {
			approxFeed(t, mem, table, sqltypes.BigInt, int64(g), 0, 3)
		}
	}
	const groupsN = 10000
	kb, vb := array.NewInt64Builder(mem), array.NewInt64Builder(mem)
	for i := 0; i < 3*groupsN; i++ {
		kb.Append(int64(i % groupsN))
		vb.Append(int64(i))
	}
	keys, vals := kb.NewArray(), vb.NewArray()
	kb.Release()
	vb.Release()
	defer releaseAll([]arrow.Array{keys, vals})
	groups := make([]uint32, keys.Len())
	table.Lookup([]arrow.Array{keys}, nil, groups)
	if err := table.Update(nil, groups, []arrow.Array{vals}, []*array.Boolean{nil}); err != nil {
		t.Fatal(err)
	}
	per := float64(table.MemoryBytes()) / float64(table.Len())
	t.Logf("%.1f bytes per group with 3 distinct values each", per)
	if per > 100 {
		t.Errorf("%.1f bytes per group", per)
	}
}

// The error over many disjoint sets of values stays near the standard
// error (a check of the hash, not only of one lucky set).
func TestHLLErrorSpread(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	for _, str := range []bool{false, true} {
		var sum2 float64
		const sets, n = 40, 50_000
		for s := 0; s < sets; s++ {
			var sk []uint32
			for i := 0; i < n; i++ {
				var x uint64
				if str {
					x = combine(hllSeed, xxh3Hash(fmt.Sprintf("user-%d", s*n+i)))
				} else {
					x = combine(hllSeed, uint64(s*n+i))
				}
				sk = hllAdd(sk, x)
			}
			rel := (hllEstimate(sk) - n) / n
			sum2 += rel * rel
		}
		rms := math.Sqrt(sum2 / sets)
		t.Logf("strings %v: RMS relative error %.3f%% (SE %.3f%%)", str, 100*rms, 100*hllSE)
		if rms > 1.5*hllSE {
			t.Errorf("strings %v: RMS relative error %.3f%%, SE %.3f%%", str, 100*rms, 100*hllSE)
		}
	}
}
