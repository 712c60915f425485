package agg

import (
	"fmt"
	"math/rand"
	"runtime"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

// benchInput is pre-built 1024-row batches: key columns drawn uniformly
// from `distinct` values (or, with batches·1024 ≥ distinct, a random
// permutation of them, so that one pass over the batches sees every key
// once) and a BIGINT value column.
type benchInput struct {
	keys [][]arrow.Array // per batch
	vals []arrow.Array
}

func newBenchInput(keyTypes []arrow.DataType, distinct, batches int) *benchInput {
	r := rand.New(rand.NewSource(1))
	mem := memory.NewGoAllocator()
	in := &benchInput{}
	var perm []int
	if batches*1024 >= distinct {
		perm = r.Perm(batches * 1024)
	}
	for b := 0; b < batches; b++ {
		var keys []arrow.Array
		ids := make([]int, 1024)
		for i := range ids {
			if perm != nil {
				ids[i] = perm[b*1024+i] % distinct
			} else {
				ids[i] = r.Intn(distinct)
			}
		}
		for c, kt := range keyTypes {
			switch kt.ID() {
			case arrow.INT64:
				bl := array.NewInt64Builder(mem)
				for _, id := range ids {
					bl.Append(int64(id)*7919 + int64(c))
				}
				keys = append(keys, bl.NewArray())
			case arrow.STRING:
				bl := array.NewStringBuilder(mem)
				for _, id := range ids {
					bl.Append(fmt.Sprintf("customer-%08d", id))
				}
				keys = append(keys, bl.NewArray())
			}
		}
		vb := array.NewInt64Builder(mem)
		for i := 0; i < 1024; i++ {
			vb.Append(int64(r.Intn(1_000_000)))
		}
		in.keys = append(in.keys, keys)
		in.vals = append(in.vals, vb.NewArray())
	}
	return in
}

var benchSpecs = []Spec{{Func: CountStar}, {Func: Sum, Arg: sqltypes.BigInt}, {Func: Max, Arg: sqltypes.BigInt}}

// runAggBench times Lookup + Update of COUNT(*), SUM(BIGINT), MAX(BIGINT)
// over the batches, one batch per iteration, and reports rows/s,
// allocations per row and bytes per group.
func runAggBench(b *testing.B, keyTypes []arrow.DataType, distinct, batches int) {
	in := newBenchInput(keyTypes, distinct, batches)
	table, err := NewTable(memory.NewGoAllocator(), keyTypes, benchSpecs)
	if err != nil {
		b.Fatal(err)
	}
	defer table.Release()
	groups := make([]uint32, 1024)
	filters := make([]*array.Boolean, 3)
	step := func(i int) {
		bi := i % batches
		table.Lookup(in.keys[bi], nil, groups)
		v := in.vals[bi]
		if err := table.Update(nil, groups, []arrow.Array{nil, v, v}, filters); err != nil {
			b.Fatal(err)
		}
	}
	// Warm up: every key seen once, so the timed loop measures the steady
	// state of a window (except with more keys than batches hold).
	if distinct <= 64*1024 {
		for i := 0; i < batches && i < 64; i++ {
			step(i)
		}
	}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		step(i)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	rows := float64(b.N) * 1024
	b.ReportMetric(rows/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/rows, "allocs/row")
	b.ReportMetric(float64(table.MemoryBytes())/float64(table.Len()), "B/group")
	b.ReportMetric(float64(table.Len()), "groups")
}

func BenchmarkAggBigintKey10K(b *testing.B) {
	runAggBench(b, []arrow.DataType{sqltypes.BigInt}, 10_000, 64)
}

// 10 million distinct keys, each once per pass over 9766 batches: run with
// -benchtime 9766x for a table growing from empty to 10^7 groups (every row
// a new key), more for a mix with hits.
func BenchmarkAggBigintKey10M(b *testing.B) {
	runAggBench(b, []arrow.DataType{sqltypes.BigInt}, 10_000_000, 9766)
}

func BenchmarkAggVarcharKey10K(b *testing.B) {
	runAggBench(b, []arrow.DataType{sqltypes.Varchar}, 10_000, 64)
}

func BenchmarkAggBigintVarcharKeys10K(b *testing.B) {
	runAggBench(b, []arrow.DataType{sqltypes.BigInt, sqltypes.Varchar}, 10_000, 64)
}

// Lookup alone and Update alone, for the profile.
func BenchmarkLookupBigint10K(b *testing.B) {
	in := newBenchInput([]arrow.DataType{sqltypes.BigInt}, 10_000, 64)
	table, _ := NewTable(memory.NewGoAllocator(), []arrow.DataType{sqltypes.BigInt}, benchSpecs)
	groups := make([]uint32, 1024)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		table.Lookup(in.keys[i%64], nil, groups)
	}
	b.ReportMetric(float64(b.N)*1024/b.Elapsed().Seconds(), "rows/s")
}

// A global COUNT(DISTINCT) and APPROX_COUNT_DISTINCT over BIGINT.
func BenchmarkDistinct(b *testing.B) {
	in := newBenchInput([]arrow.DataType{sqltypes.BigInt}, 100_000, 64)
	for _, f := range []Func{Count, ApproxCountDistinct} {
		b.Run(f.String(), func(b *testing.B) {
			table, _ := NewTable(memory.NewGoAllocator(), nil, []Spec{{Func: f, Arg: sqltypes.BigInt, Distinct: f == Count}})
			groups := make([]uint32, 1024)
			filters := make([]*array.Boolean, 1)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				table.Lookup(nil, nil, groups)
				if err := table.Update(nil, groups, []arrow.Array{in.keys[i%64][0]}, filters); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*1024/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkRetract times a retractable table over a changelog: each
// iteration adds one batch of COUNT(*), SUM(BIGINT) and MAX(BIGINT) rows
// (BIGINT key, 10^4 groups) and retracts the batch added 16 iterations
// before, so every group holds a sliding set of values; rows/s counts the
// rows added and retracted.
func BenchmarkRetract(b *testing.B) {
	const batches, lag = 64, 16
	in := newBenchInput([]arrow.DataType{sqltypes.BigInt}, 10_000, batches)
	table, err := NewRetractableTable(memory.NewGoAllocator(), []arrow.DataType{sqltypes.BigInt}, benchSpecs)
	if err != nil {
		b.Fatal(err)
	}
	defer table.Release()
	groups := make([][]uint32, batches)
	for i := range groups {
		groups[i] = make([]uint32, 1024)
		table.Lookup(in.keys[i], nil, groups[i])
	}
	filters := make([]*array.Boolean, 3)
	add := func(bi int) {
		v := in.vals[bi]
		if err := table.Update(nil, groups[bi], []arrow.Array{nil, v, v}, filters); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < lag; i++ {
		add(i)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		add((i + lag) % batches)
		old := i % batches
		v := in.vals[old]
		if err := table.Retract(nil, groups[old], []arrow.Array{nil, v, v}, filters); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)*2048/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(table.MemoryBytes())/float64(table.Live()), "B/group")
}
