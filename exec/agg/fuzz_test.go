package agg

import (
	"math"
	"slices"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

// fuzzSpecs are the aggregates of FuzzTable: args[0] is a BIGINT, args[1]
// a VARCHAR, args[2] a DOUBLE.
var fuzzSpecs = []Spec{
	{Func: CountStar},
	{Func: Count, Arg: sqltypes.Varchar},
	{Func: Sum, Arg: sqltypes.BigInt},
	{Func: Sum, Arg: sqltypes.Double, Distinct: true},
	{Func: Count, Arg: sqltypes.BigInt, Distinct: true},
	{Func: Min, Arg: sqltypes.Varchar},
	{Func: Max, Arg: sqltypes.Double},
	{Func: Min, Arg: sqltypes.Double},
	{Func: Avg, Arg: sqltypes.BigInt},
	{Func: VarSamp, Arg: sqltypes.Double},
	{Func: FirstValue, Arg: sqltypes.BigInt},
	{Func: LastValue, Arg: sqltypes.Varchar},
	{Func: ApproxCountDistinct, Arg: sqltypes.Varchar},
}

var fuzzArgOf = []int{-1, 1, 0, 2, 0, 1, 2, 2, 0, 2, 0, 1, 1}

var (
	fuzzDoubles = []any{math.NaN(), math.Copysign(0, -1), 0.0, 1.5, -2.25, 1e300}
	fuzzStrings = []any{"", "a", "b", "ab", "a longer string than the rest"}
)

// fuzzReader hands out the fuzz input's bytes, then zeros.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) next() int {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return int(v)
}

// fuzzRow is one row's reference values: its arrival number and the value
// each aggregate saw (skip: NULL or filtered out).
type fuzzRow struct {
	seq  int
	vals []any
}

type skipT struct{}

var skip = skipT{}

// FuzzTable drives a table (keys BIGINT and VARCHAR over small domains,
// with NULLs) with random batches, selections, filters, Merges, Resets and
// Results, against a map-based reference.
func FuzzTable(f *testing.F) {
	f.Add([]byte{0, 5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 3, 1})
	f.Add([]byte{1, 19, 7, 7, 7, 7, 200, 100, 50, 25, 12, 6, 3, 1, 0, 2, 0, 1, 0, 3, 2, 0, 5, 3, 9})
	f.Add([]byte{0, 3, 255, 254, 253, 252, 251, 250, 249, 2, 1, 2, 3, 0, 0, 4, 4, 2})
	f.Fuzz(fuzzOnce)
}

func fuzzOnce(t *testing.T, data []byte) {
	{
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		table, err := NewTable(mem, []arrow.DataType{sqltypes.BigInt, sqltypes.Varchar}, fuzzSpecs)
		if err != nil {
			t.Fatal(err)
		}
		defer table.Release()
		r := &fuzzReader{b: data}
		ids := map[string]uint32{}
		var rows [][]fuzzRow // per group
		seq := 0
		for ops := 0; len(r.b) > 0 && ops < 64; ops++ {
			switch op := r.next() % 8; {
			case op <= 3: // a batch
				n := r.next() % 40
				keys := [2][]any{make([]any, n), make([]any, n)}
				args := [3][]any{make([]any, n), make([]any, n), make([]any, n)}
				var filter []any
				if op == 3 {
					filter = make([]any, n)
				}
				for i := 0; i < n; i++ {
					b := r.next()
					if k := b % 9; k < 8 {
						keys[0][i] = int64(k) - 3
					}
					if k := b / 9 % 4; k < 3 {
						keys[1][i] = fuzzStrings[k]
					}
					v := r.next()
					if v%11 != 0 {
						args[0][i] = int64(v%7) - 2
						if v%13 == 1 {
							args[0][i] = int64(math.MaxInt64 - v%3)
						}
					}
					if v%5 != 0 {
						args[1][i] = fuzzStrings[v%len(fuzzStrings)]
					}
					if v%7 != 0 {
						args[2][i] = fuzzDoubles[v/7%len(fuzzDoubles)]
					}
					if filter != nil {
						filter[i] = []any{true, false, nil}[v/3%3]
					}
				}
				var sel []int32
				if r.next()%2 == 1 {
					sel = []int32{}
					for i := 0; i < n; i++ {
						if r.next()%3 != 0 {
							sel = append(sel, int32(i))
						}
					}
				}
				pad := r.next() % 3
				ka := []arrow.Array{buildArray(mem, sqltypes.BigInt, keys[0], pad), buildArray(mem, sqltypes.Varchar, keys[1], pad)}
				aa := []arrow.Array{buildArray(mem, sqltypes.BigInt, args[0], pad), buildArray(mem, sqltypes.Varchar, args[1], pad),
					buildArray(mem, sqltypes.Double, args[2], pad)}
				specArgs := make([]arrow.Array, len(fuzzSpecs))
				filters := make([]*array.Boolean, len(fuzzSpecs))
				var fa *array.Boolean
				if filter != nil {
					fa = buildArray(mem, sqltypes.Boolean, filter, pad).(*array.Boolean)
				}
				for j, a := range fuzzArgOf {
					if a >= 0 {
						specArgs[j] = aa[a]
					}
					if j%2 == 1 {
						filters[j] = fa
					}
				}
				selected := sel
				if sel == nil {
					for i := 0; i < n; i++ {
						selected = append(selected, int32(i))
					}
				}
				groups := make([]uint32, len(selected))
				table.Lookup(ka, sel, groups)
				for k, i := range selected {
					key := canon(keys[0][i]) + "|" + canon(keys[1][i])
					id, ok := ids[key]
					if !ok {
						id = uint32(len(rows))
						ids[key] = id
						rows = append(rows, nil)
					}
					if groups[k] != id {
						t.Fatalf("row %d: group %d, want %d", i, groups[k], id)
					}
					row := fuzzRow{seq: seq + int(i), vals: make([]any, len(fuzzSpecs))}
					for j, a := range fuzzArgOf {
						var v any = true
						if a >= 0 {
							v = args[a][i]
						}
						if v == nil || (j%2 == 1 && filter != nil && filter[i] != true) {
							v = skip
						}
						row.vals[j] = v
					}
					rows[id] = append(rows[id], row)
				}
				seq += n + pad + 1
				if err := table.Update(sel, groups, specArgs, filters); err != nil {
					t.Fatal(err)
				}
				if fa != nil {
					fa.Release()
				}
				releaseAll(ka, aa)
			case op <= 5 && len(rows) > 0: // Merge
				dst, src := r.next()%len(rows), r.next()%len(rows)
				if dst == src {
					continue
				}
				table.Merge(uint32(dst), uint32(src))
				merged := append(slices.Clone(rows[dst]), rows[src]...)
				slices.SortStableFunc(merged, func(a, b fuzzRow) int { return a.seq - b.seq })
				rows[dst] = merged
			case op == 6 && r.next()%4 == 0:
				table.Reset()
				clear(ids)
				rows = rows[:0]
			default:
				fuzzCheck(t, table, rows)
			}
		}
		fuzzCheck(t, table, rows)
	}
}

func fuzzCheck(t *testing.T, table *Table, rows [][]fuzzRow) {
	t.Helper()
	if table.Len() != len(rows) {
		t.Fatalf("Len = %d, want %d", table.Len(), len(rows))
	}
	_, got := results(t, table)
	for g, rs := range rows {
		for j, s := range fuzzSpecs {
			var vals []any
			for _, row := range rs {
				if row.vals[j] != skip {
					vals = append(vals, row.vals[j])
				}
			}
			want, tol := reference(s, vals)
			if s.Func == VarSamp {
				tol = 1e-6 // values up to 1e300: compare relatively
			}
			if !sameValue(got[g][j], want, tol) {
				t.Fatalf("group %d %s: %v, want %v (values %v)", g, s, got[g][j], want, vals)
			}
		}
	}
}
