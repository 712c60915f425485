package agg

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

var batchSizes = []int{1, 2, 3, 16, 1024}

// randomCase is one random GROUP BY: key and argument columns, aggregate
// calls with optional DISTINCT and FILTER, and the batches of rows.
type randomCase struct {
	keyGens []gen
	argGens []gen
	specs   []Spec
	argOf   []int  // argument column of each spec (-1: COUNT(*))
	filtOf  []bool // whether each spec has a FILTER
	batches []batch
}

// batch is one input batch as Go values, and its selection.
type batch struct {
	n       int
	keys    [][]any
	split   []any // a BOOLEAN column splitting each group in two
	args    [][]any
	filters [][]any // one per spec; nil without FILTER
	sel     []int32
	pad     int
}

func newRandomCase(r *rand.Rand) *randomCase {
	c := &randomCase{}
	nulls := r.Intn(4) // 0: no NULLs
	domain := 1 + r.Intn(12)
	pick := func() gen { return gens[genNames[r.Intn(len(genNames))]] }
	for i, nk := 0, r.Intn(4); i < nk; i++ {
		c.keyGens = append(c.keyGens, pick())
	}
	for i, na := 0, 1+r.Intn(3); i < na; i++ {
		c.argGens = append(c.argGens, pick())
	}
	c.specs = append(c.specs, Spec{Func: CountStar})
	c.argOf = append(c.argOf, -1)
	c.filtOf = append(c.filtOf, r.Intn(3) == 0)
	for ai, g := range c.argGens {
		for f := Count; f <= ApproxCountDistinct; f++ {
			if f == CountStar || r.Intn(2) == 0 {
				continue
			}
			s := Spec{Func: f, Arg: g.typ, Distinct: r.Intn(3) == 0}
			if _, err := ResultType(s); err != nil {
				continue
			}
			c.specs = append(c.specs, s)
			c.argOf = append(c.argOf, ai)
			c.filtOf = append(c.filtOf, r.Intn(3) == 0)
		}
	}
	total := r.Intn(2500)
	if r.Intn(4) == 0 {
		total = r.Intn(20)
	}
	value := func(g gen, dom int) any {
		if nulls > 0 && r.Intn(8/nulls+1) == 0 {
			return nil
		}
		return g.val(r, dom)
	}
	for total > 0 {
		n := min(total, batchSizes[r.Intn(len(batchSizes))])
		total -= n
		b := batch{n: n}
		if r.Intn(3) == 0 {
			b.pad = 1 + r.Intn(9)
		}
		for _, g := range c.keyGens {
			col := make([]any, n)
			for i := range col {
				col[i] = value(g, domain)
			}
			b.keys = append(b.keys, col)
		}
		b.split = make([]any, n)
		for i := range b.split {
			b.split[i] = r.Intn(2) == 0
		}
		for _, g := range c.argGens {
			col := make([]any, n)
			for i := range col {
				col[i] = value(g, 3*domain+1)
			}
			b.args = append(b.args, col)
		}
		for _, f := range c.filtOf {
			if !f {
				b.filters = append(b.filters, nil)
				continue
			}
			col := make([]any, n)
			for i := range col {
				switch r.Intn(5) {
				case 0:
					col[i] = nil
				case 1, 2:
					col[i] = false
				default:
					col[i] = true
				}
			}
			b.filters = append(b.filters, col)
		}
		if r.Intn(2) == 0 {
			b.sel = []int32{}
			for i := 0; i < n; i++ {
				if r.Intn(3) != 0 {
					b.sel = append(b.sel, int32(i))
				}
			}
		}
		c.batches = append(c.batches, b)
	}
	return c
}

func (c *randomCase) String() string {
	var keys []string
	for _, g := range c.keyGens {
		keys = append(keys, sqltypes.Name(g.typ))
	}
	var specs []string
	for i, s := range c.specs {
		str := s.String()
		if c.filtOf[i] {
			str += " FILTER"
		}
		specs = append(specs, str)
	}
	return fmt.Sprintf("GROUP BY (%s): %s; %d batches", strings.Join(keys, ", "), strings.Join(specs, ", "), len(c.batches))
}

// refState is the reference: groups in order of first appearance and the
// values each aggregate saw in each group.
type refState struct {
	ids  map[string]uint32
	keys [][]any   // per group: its first key
	vals [][][]any // per group, per spec
}

func newRef() *refState { return &refState{ids: map[string]uint32{}} }

// group returns the group of a key, creating it.
func (st *refState) group(key []any, nspecs int) (uint32, bool) {
	var sb strings.Builder
	for _, v := range key {
		sb.WriteString(canon(v))
		sb.WriteByte('|')
	}
	id, ok := st.ids[sb.String()]
	if ok {
		return id, false
	}
	id = uint32(len(st.keys))
	st.ids[sb.String()] = id
	st.keys = append(st.keys, slices.Clone(key))
	st.vals = append(st.vals, make([][]any, nspecs))
	return id, true
}

// feed runs the case's batches through table (which groups by the case's
// keys, plus the split column when split is set) and the reference.
func (c *randomCase) feed(t *testing.T, mem memory.Allocator, table *Table, ref *refState, split bool) {
	t.Helper()
	for bi, b := range c.batches {
		var keys, args []arrow.Array
		var filters []*array.Boolean
		for i, g := range c.keyGens {
			keys = append(keys, buildArray(mem, g.typ, b.keys[i], b.pad))
		}
		if split {
			keys = append(keys, buildArray(mem, sqltypes.Boolean, b.split, b.pad))
		}
		for i, g := range c.argGens {
			args = append(args, buildArray(mem, g.typ, b.args[i], b.pad))
		}
		specArgs := make([]arrow.Array, len(c.specs))
		for j := range c.specs {
			if c.argOf[j] >= 0 {
				specArgs[j] = args[c.argOf[j]]
			}
			if b.filters[j] != nil {
				filters = append(filters, buildArray(mem, sqltypes.Boolean, b.filters[j], b.pad).(*array.Boolean))
			} else {
				filters = append(filters, nil)
			}
		}
		rows := b.sel
		if rows == nil {
			for i := 0; i < b.n; i++ {
				rows = append(rows, int32(i))
			}
		}
		groups := make([]uint32, len(rows))
		created := table.Lookup(keys, b.sel, groups)
		wantCreated := 0
		if len(keys) == 0 && len(ref.keys) == 0 { // the global group
			ref.group(nil, len(c.specs))
			wantCreated++
		}
		for k, r := range rows {
			var key []any
			for i := range c.keyGens {
				key = append(key, b.keys[i][r])
			}
			if split {
				key = append(key, b.split[r])
			}
			id, isNew := ref.group(key, len(c.specs))
			if isNew {
				wantCreated++
			}
			if groups[k] != id {
				t.Fatalf("batch %d row %d: group %d, want %d", bi, r, groups[k], id)
			}
			for j := range c.specs {
				if f := b.filters[j]; f != nil && f[r] != true {
					continue
				}
				var v any = true
				if c.argOf[j] >= 0 {
					v = b.args[c.argOf[j]][r]
				}
				if v != nil {
					ref.vals[id][j] = append(ref.vals[id][j], v)
				}
			}
		}
		if created != wantCreated || table.Len() != len(ref.keys) {
			t.Fatalf("batch %d: created %d (Len %d), want %d (%d)", bi, created, table.Len(), wantCreated, len(ref.keys))
		}
		if err := table.Update(b.sel, groups, specArgs, filters); err != nil {
			t.Fatalf("batch %d: %v", bi, err)
		}
		for _, f := range filters {
			if f != nil {
				f.Release()
			}
		}
		releaseAll(keys, args)
	}
}

// check compares the results of the listed groups with the reference,
// whose group refIDs[i] corresponds to ids[i].
func (c *randomCase) check(t *testing.T, table *Table, ref *refState, ids, refIDs []uint32, nkeys int) {
	t.Helper()
	keys, results, err := table.Results(ids)
	if err != nil {
		t.Fatalf("Results: %v", err)
	}
	defer releaseAll(keys, results)
	if len(keys) != len(table.keyTypes) || len(results) != len(c.specs) {
		t.Fatalf("Results: %d keys and %d results", len(keys), len(results))
	}
	for i, g := range refIDs {
		for k := 0; k < nkeys; k++ {
			if got, want := cell(keys[k], i), ref.keys[g][k]; !sameValue(got, want, 0) {
				t.Fatalf("group %d key %d: %v, want %v", ids[i], k, got, want)
			}
		}
		for j, s := range c.specs {
			want, tol := reference(s, ref.vals[g][j])
			if got := cell(results[j], i); !sameValue(got, want, tol) {
				t.Fatalf("group %d (key %v) %s: %v (%T), want %v (%T)\nvalues %v", ids[i], ref.keys[g], s, got, got, want, want, ref.vals[g][j])
			}
			typ, _ := ResultType(s)
			if !arrow.TypeEqual(results[j].DataType(), typ) {
				t.Fatalf("%s: result type %s, want %s", s, results[j].DataType(), typ)
			}
		}
	}
}

func keyTypes(gs []gen) []arrow.DataType {
	var ts []arrow.DataType
	for _, g := range gs {
		ts = append(ts, g.typ)
	}
	return ts
}

// TestRandom runs random GROUP BYs against the brute-force reference: group
// ids and their order, keys and every aggregate; then a table whose groups
// are split in two and merged back; then the same table after Reset.
func TestRandom(t *testing.T) {
	seeds := 400
	if testing.Short() {
		seeds = 50
	}
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		c := newRandomCase(r)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			mem := checkedMem(t)
			t.Log(c)
			table, err := NewTable(mem, keyTypes(c.keyGens), c.specs)
			if err != nil {
				t.Fatal(err)
			}
			defer table.Release()
			ref := newRef()
			c.feed(t, mem, table, ref, false)
			all := make([]uint32, table.Len())
			for i := range all {
				all[i] = uint32(i)
			}
			r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
			c.check(t, table, ref, all, all, len(c.keyGens))

			// Split every group in two by an extra key, merge the halves.
			st, err := NewTable(mem, append(keyTypes(c.keyGens), sqltypes.Boolean), c.specs)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Release()
			sref := newRef()
			c.feed(t, mem, st, sref, true)
			halves := map[uint32][]uint32{} // reference group → split groups
			for g, key := range sref.keys {
				orig, _ := ref.group(key[:len(key)-1], len(c.specs))
				halves[orig] = append(halves[orig], uint32(g))
			}
			var ids, refIDs []uint32
			for orig := range ref.keys {
				h := halves[uint32(orig)]
				switch {
				case len(h) == 2 && r.Intn(2) == 0:
					st.Merge(h[1], h[0])
					ids = append(ids, h[1])
				case len(h) == 2:
					st.Merge(h[0], h[1])
					ids = append(ids, h[0])
				default:
					ids = append(ids, h[0])
				}
				refIDs = append(refIDs, uint32(orig))
			}
			// Merged groups keep the key of whichever half they were;
			// compare aggregates only.
			c.check(t, st, ref, ids, refIDs, 0)

			// Reset and run again.
			table.Reset()
			if table.Len() != 0 {
				t.Fatalf("Len after Reset = %d", table.Len())
			}
			ref = newRef()
			c.feed(t, mem, table, ref, false)
			c.check(t, table, ref, all[:0:0], nil, len(c.keyGens))
			for i := range all {
				all[i] = uint32(i)
			}
			c.check(t, table, ref, all, all, len(c.keyGens))
		})
	}
}
