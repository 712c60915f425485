package agg

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

// TestFindRandom inserts random keys of random types with Lookup, then
// probes with Find a batch holding known keys, unknown keys and NULLs,
// with and without a selection and with sliced arrays, and checks every
// answer against a map kept in the test; Find must not add keys.
func TestFindRandom(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for seed := 0; seed < 200; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		ncols := 1 + r.Intn(3)
		var gs []gen
		var types []arrow.DataType
		for i := 0; i < ncols; i++ {
			g := gens[genNames[r.Intn(len(genNames))]]
			if seed%3 == 0 {
				g = gens["BIGINT"] // the single-integer fast path
				if i == 0 && r.Intn(2) == 0 {
					g = gens["INT"]
				}
				ncols = 1
			}
			gs = append(gs, g)
			types = append(types, g.typ)
			if ncols == 1 {
				break
			}
		}
		domain := 1 + r.Intn(40)
		nullEvery := r.Intn(5) // 0: no NULLs
		draw := func(n int) [][]any {
			cols := make([][]any, len(gs))
			for c, g := range gs {
				for i := 0; i < n; i++ {
					var v any = g.val(r, domain)
					if nullEvery > 0 && r.Intn(4*nullEvery) == 0 {
						v = nil
					}
					cols[c] = append(cols[c], v)
				}
			}
			return cols
		}
		keyOf := func(cols [][]any, i int) string {
			var b strings.Builder
			for _, c := range cols {
				b.WriteString(canon(c[i]) + "|")
			}
			return b.String()
		}
		tab, err := NewTable(mem, types, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]uint32{}
		for b := 0; b < 3; b++ {
			n := 1 + r.Intn(50)
			cols := draw(n)
			arrs := make([]arrow.Array, len(cols))
			for c := range cols {
				arrs[c] = buildArray(mem, types[c], cols[c], r.Intn(3))
			}
			groups := make([]uint32, n)
			tab.Lookup(arrs, nil, groups)
			for i, g := range groups {
				ids[keyOf(cols, i)] = g
			}
			for _, a := range arrs {
				a.Release()
			}
		}
		before := tab.Len()

		n := 1 + r.Intn(80)
		cols := draw(n)
		arrs := make([]arrow.Array, len(cols))
		for c := range cols {
			arrs[c] = buildArray(mem, types[c], cols[c], r.Intn(3))
		}
		var sel []int32
		if r.Intn(2) == 0 {
			for i := 0; i < n; i++ {
				if r.Intn(3) != 0 {
					sel = append(sel, int32(i))
				}
			}
		}
		m := n
		if sel != nil {
			m = len(sel)
		}
		groups := make([]uint32, m)
		found := tab.Find(arrs, sel, groups)
		wantFound := 0
		for k := 0; k < m; k++ {
			i := k
			if sel != nil {
				i = int(sel[k])
			}
			want, ok := ids[keyOf(cols, i)]
			if !ok {
				want = NotFound
			} else {
				wantFound++
			}
			if groups[k] != want {
				t.Fatalf("seed %d: row %d key %s: Find = %d, want %d", seed, i, keyOf(cols, i), groups[k], want)
			}
		}
		if found != wantFound {
			t.Fatalf("seed %d: Find reported %d found, want %d", seed, found, wantFound)
		}
		if tab.Len() != before {
			t.Fatalf("seed %d: Find changed the table from %d to %d groups", seed, before, tab.Len())
		}
		for _, a := range arrs {
			a.Release()
		}
		tab.Release()
	}
}

// TestFindEmptyAndGlobal covers a table with no keys yet and one without
// key columns.
func TestFindEmptyAndGlobal(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tab, err := NewTable(mem, []arrow.DataType{sqltypes.Varchar}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Release()
	a := buildArray(mem, sqltypes.Varchar, []any{"x", nil}, 0)
	defer a.Release()
	groups := make([]uint32, 2)
	if n := tab.Find([]arrow.Array{a}, nil, groups); n != 0 || groups[0] != NotFound || groups[1] != NotFound {
		t.Errorf("Find in an empty table = %d, %v", n, groups)
	}

	global, err := NewTable(mem, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer global.Release()
	if n := global.Find(nil, nil, groups); n != 0 || groups[0] != NotFound {
		t.Errorf("Find before the global group exists = %d, %v", n, groups)
	}
	global.Lookup(nil, nil, make([]uint32, 1))
	if n := global.Find(nil, nil, groups); n != 2 || fmt.Sprint(groups) != "[0 0]" {
		t.Errorf("Find of the global group = %d, %v", n, groups)
	}
}
