package agg

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
	"github.com/weirsql/weir/state"
)

// TestSpillAndCombine runs the same batches into one table straight
// through, and into a table that is spilled every few batches (its groups
// saved by key-hash partition, then the table truncated) and finally
// combined partition by partition from the saved runs with MergeTable.
// Every group's results must be the same.
func TestSpillAndCombine(t *testing.T) {
	for _, distinct := range []bool{false, true} {
		t.Run(fmt.Sprintf("distinct=%v", distinct), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			all, allArgs := persistSpecs()
			var specs []Spec
			var argOf []int
			for i, s := range all {
				if s.Distinct == distinct || !distinct {
					if !distinct && s.Distinct {
						continue
					}
					specs = append(specs, s)
					argOf = append(argOf, allArgs[i])
				}
			}
			keyTypes := []arrow.DataType{sqltypes.BigInt, sqltypes.Varchar}
			straight, err := NewTable(mem, keyTypes, specs)
			if err != nil {
				t.Fatal(err)
			}
			defer straight.Release()
			spilling, err := NewTable(mem, keyTypes, specs)
			if err != nil {
				t.Fatal(err)
			}
			defer spilling.Release()

			const parts = 4
			runs := make([][][]byte, parts)
			spill := func() {
				h, err := spilling.KeyHashes()
				if err != nil {
					t.Fatal(err)
				}
				byPart := make([][]uint32, parts)
				for g, x := range h {
					byPart[x%parts] = append(byPart[x%parts], uint32(g))
				}
				for p, ids := range byPart {
					e := state.NewEncoder(nil)
					if err := spilling.SaveGroups(e, ids); err != nil {
						t.Fatal(err)
					}
					runs[p] = append(runs[p], e.Bytes())
				}
				spilling.Truncate()
			}
			r := rand.New(rand.NewPCG(3, 4))
			for batch := 0; batch < 15; batch++ {
				feedRandom(t, mem, r, 1+r.IntN(200), 40, specs, argOf, straight, spilling)
				if batch%4 == 3 {
					spill()
				}
			}
			spill()

			want := map[string][]any{}
			wantKeys, wantRes := results(t, straight)
			for g := range wantKeys {
				want[fmt.Sprint(canonRows(wantKeys[g:g+1]))] = wantRes[g]
			}
			got := map[string][]any{}
			for p := range runs {
				final, err := NewTable(mem, keyTypes, specs)
				if err != nil {
					t.Fatal(err)
				}
				for _, run := range runs[p] {
					part, err := NewTable(mem, keyTypes, specs)
					if err != nil {
						t.Fatal(err)
					}
					if err := part.Load(state.NewDecoder(run)); err != nil {
						t.Fatal(err)
					}
					if err := final.MergeTable(part); err != nil {
						t.Fatal(err)
					}
					part.Release()
				}
				ks, rs := results(t, final)
				for g := range ks {
					k := fmt.Sprint(canonRows(ks[g : g+1]))
					if _, dup := got[k]; dup {
						t.Fatalf("group %s in two partitions", k)
					}
					got[k] = rs[g]
				}
				final.Release()
			}
			if len(got) != len(want) {
				t.Fatalf("%d groups combined, %d straight", len(got), len(want))
			}
			var names []string
			for k := range want {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				for j := range specs {
					if !sameValue(got[k][j], want[k][j], 1e-9) {
						t.Errorf("group %s %s: %v combined, %v straight", k, specs[j], got[k][j], want[k][j])
					}
				}
			}
		})
	}
}
