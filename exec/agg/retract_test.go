package agg

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
	"github.com/weirsql/weir/state"
)

// A changelog row of the retraction tests: its key, argument and FILTER
// values (one filter per spec; nil without FILTER).
type clRow struct {
	key, args, filt []any
}

// clCase is one random GROUP BY over a changelog.
type clCase struct {
	keyGens, argGens []gen
	specs            []Spec
	argOf            []int
	filtOf           []bool
	nulls, domain    int
}

func newCLCase(r *rand.Rand) *clCase {
	c := &clCase{nulls: r.Intn(4), domain: 1 + r.Intn(10)}
	pick := func() gen { return gens[genNames[r.Intn(len(genNames))]] }
	for i, nk := 0, r.Intn(3); i < nk; i++ {
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
			if f == CountStar || !Retractable(f) || r.Intn(2) == 0 {
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
	return c
}

func (c *clCase) String() string {
	var keys, specs []string
	for _, g := range c.keyGens {
		keys = append(keys, sqltypes.Name(g.typ))
	}
	for i, s := range c.specs {
		str := s.String()
		if c.filtOf[i] {
			str += " FILTER"
		}
		specs = append(specs, str)
	}
	return fmt.Sprintf("GROUP BY (%s): %s", strings.Join(keys, ", "), strings.Join(specs, ", "))
}

func (c *clCase) newRow(r *rand.Rand) clRow {
	value := func(g gen, dom int) any {
		if c.nulls > 0 && r.Intn(8/c.nulls+1) == 0 {
			return nil
		}
		return g.val(r, dom)
	}
	var row clRow
	for _, g := range c.keyGens {
		row.key = append(row.key, value(g, c.domain))
	}
	for _, g := range c.argGens {
		row.args = append(row.args, value(g, 3*c.domain+1))
	}
	for _, f := range c.filtOf {
		var v any
		if f {
			v = []any{nil, false, true, true}[r.Intn(4)]
		}
		row.filt = append(row.filt, v)
	}
	return row
}

func keyString(key []any) string {
	var sb strings.Builder
	for _, v := range key {
		sb.WriteString(canon(v))
		sb.WriteByte('|')
	}
	return sb.String()
}

// clApply runs one batch of a changelog through the table: Lookup of
// every row, Update of the +I and +U rows, Retract of the -U and -D rows.
func (c *clCase) clApply(t *testing.T, mem memory.Allocator, table *Table, rows []clRow, ops []Op, pad int) {
	t.Helper()
	n := len(rows)
	col := func(typ arrow.DataType, at func(clRow) any) arrow.Array {
		vals := make([]any, n)
		for i, r := range rows {
			vals[i] = at(r)
		}
		return buildArray(mem, typ, vals, pad)
	}
	var keys, args []arrow.Array
	for i, g := range c.keyGens {
		keys = append(keys, col(g.typ, func(r clRow) any { return r.key[i] }))
	}
	for i, g := range c.argGens {
		args = append(args, col(g.typ, func(r clRow) any { return r.args[i] }))
	}
	specArgs := make([]arrow.Array, len(c.specs))
	filters := make([]*array.Boolean, len(c.specs))
	for j := range c.specs {
		if c.argOf[j] >= 0 {
			specArgs[j] = args[c.argOf[j]]
		}
		if c.filtOf[j] {
			filters[j] = col(sqltypes.Boolean, func(r clRow) any { return r.filt[j] }).(*array.Boolean)
		}
	}
	defer func() {
		releaseAll(keys, args)
		for _, f := range filters {
			if f != nil {
				f.Release()
			}
		}
	}()
	groups := make([]uint32, n)
	table.Lookup(keys, nil, groups)
	var addSel, retSel []int32
	var addG, retG []uint32
	for i, op := range ops {
		if op == OpInsert || op == OpUpdateAfter {
			addSel, addG = append(addSel, int32(i)), append(addG, groups[i])
		} else {
			retSel, retG = append(retSel, int32(i)), append(retG, groups[i])
		}
	}
	if err := table.Update(addSel, addG, specArgs, filters); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := table.Retract(retSel, retG, specArgs, filters); err != nil {
		t.Fatalf("Retract: %v", err)
	}
}

// Op mirrors exec.Op for the tests (exec imports this package).
type Op int8

const (
	OpInsert Op = iota
	OpUpdateBefore
	OpUpdateAfter
	OpDelete
)

// clCheck compares every group of the table with an aggregation from
// scratch of the live rows, matched by key; empty groups must be at their
// initial results. maxAbs is the largest magnitude each group's argument j
// ever had: retracting from a variance loses precision relative to it.
func (c *clCase) clCheck(t *testing.T, table *Table, live []clRow, maxAbs map[string][]float64) {
	t.Helper()
	want := map[string][]clRow{}
	for _, r := range live {
		k := keyString(r.key)
		want[k] = append(want[k], r)
	}
	ids := make([]uint32, table.Len())
	for i := range ids {
		ids[i] = uint32(i)
	}
	keys, results, err := table.Results(ids)
	if err != nil {
		t.Fatalf("Results: %v", err)
	}
	defer releaseAll(keys, results)
	seen := map[string]bool{}
	liveGroups := 0
	for i, g := range ids {
		var key []any
		for _, k := range keys {
			key = append(key, cell(k, i))
		}
		if len(c.keyGens) == 0 {
			key = nil
		}
		ks := keyString(key)
		if seen[ks] && table.RowCount(g) > 0 {
			t.Fatalf("key %v has two live groups", key)
		}
		rows := want[ks]
		if got := table.RowCount(g); got != int64(len(rows)) {
			t.Fatalf("group %d (key %v): RowCount %d, want %d", g, key, got, len(rows))
		}
		if len(rows) > 0 {
			seen[ks] = true
			liveGroups++
		}
		for j, s := range c.specs {
			var vals []any
			for _, r := range rows {
				if c.filtOf[j] && r.filt[j] != true {
					continue
				}
				var v any = true
				if c.argOf[j] >= 0 {
					v = r.args[c.argOf[j]]
				}
				if v != nil {
					vals = append(vals, v)
				}
			}
			w, tol := reference(s, vals)
			switch s.Func {
			case VarPop, VarSamp, StddevPop, StddevSamp:
				m := maxAbs[ks][c.argOf[j]]
				tol = math.Max(tol, 1e-9*math.Max(1, m*m))
				if s.Func == StddevPop || s.Func == StddevSamp {
					tol = math.Max(tol, math.Sqrt(1e-9)*math.Max(1, m))
				}
			}
			if got := cell(results[j], i); !sameValue(got, w, tol) {
				t.Fatalf("group %d (key %v, %d rows) %s: %v, want %v\nvalues %v", g, key, len(rows), s, got, w, vals)
			}
		}
	}
	if len(seen) != len(want) || table.Live() != liveGroups {
		t.Fatalf("%d live groups (Live %d), want %d", len(seen), table.Live(), len(want))
	}
}

// TestRetractRandom feeds random changelogs (+I, -D, and -U with or
// without its +U) whose surviving rows are known to a retractable table,
// and compares every group with an aggregation from scratch of the
// surviving rows, for every aggregate that can retract, DISTINCT and
// FILTER included, at several batch sizes; along the way the table is
// saved and loaded, and compacted.
func TestRetractRandom(t *testing.T) {
	seeds := 300
	if testing.Short() {
		seeds = 40
	}
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		c := newCLCase(r)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			mem := checkedMem(t)
			t.Log(c)
			table, err := NewRetractableTable(mem, keyTypes(c.keyGens), c.specs)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { table.Release() }()
			var live []clRow
			maxAbs := map[string][]float64{}
			note := func(row clRow) {
				k := keyString(row.key)
				m := maxAbs[k]
				if m == nil {
					m = make([]float64, len(c.argGens))
					maxAbs[k] = m
				}
				for i, v := range row.args {
					switch v.(type) {
					case nil, bool, string:
					default:
						scale := int32(0)
						if dt, ok := c.argGens[i].typ.(*arrow.Decimal128Type); ok {
							scale = dt.Scale
						}
						if f := math.Abs(toFloat(v, scale)); f == f && !math.IsInf(f, 0) {
							m[i] = math.Max(m[i], f)
						}
					}
				}
			}
			batches := 1 + r.Intn(30)
			addBias := 0.4 + 0.4*r.Float64()
			for b := 0; b < batches; b++ {
				size := batchSizes[r.Intn(len(batchSizes)-1)] // up to 16 rows
				if r.Intn(4) == 0 {
					size = 1 + r.Intn(300)
				}
				var rows []clRow
				var ops []Op
				for len(rows) < size {
					if len(live) == 0 || r.Float64() < addBias {
						row := c.newRow(r)
						note(row)
						live = append(live, row)
						rows, ops = append(rows, row), append(ops, OpInsert)
						continue
					}
					i := r.Intn(len(live))
					old := live[i]
					live = slices.Delete(live, i, i+1)
					if r.Intn(2) == 0 {
						rows, ops = append(rows, old), append(ops, OpDelete)
						continue
					}
					rows, ops = append(rows, old), append(ops, OpUpdateBefore)
					if r.Intn(3) != 0 {
						row := c.newRow(r)
						if r.Intn(2) == 0 {
							row.key = old.key // an update in place
						}
						note(row)
						live = append(live, row)
						rows, ops = append(rows, row), append(ops, OpUpdateAfter)
					}
				}
				pad := 0
				if r.Intn(3) == 0 {
					pad = 1 + r.Intn(5)
				}
				c.clApply(t, mem, table, rows, ops, pad)
				switch r.Intn(6) {
				case 0: // a checkpoint: save and load into a fresh table
					e := state.NewEncoder(nil)
					if err := table.Save(e); err != nil {
						t.Fatal(err)
					}
					fresh, err := NewRetractableTable(mem, keyTypes(c.keyGens), c.specs)
					if err != nil {
						t.Fatal(err)
					}
					d := state.NewDecoder(e.Bytes())
					if err := fresh.Load(d); err != nil {
						fresh.Release()
						t.Fatalf("Load: %v", err)
					}
					if d.Remaining() != 0 {
						t.Fatalf("Load left %d bytes", d.Remaining())
					}
					table.Release()
					table = fresh
				case 1:
					before := table.Live()
					if _, err := table.Compact(r.Intn(2) == 0); err != nil {
						t.Fatal(err)
					}
					if table.Live() != before {
						t.Fatalf("Compact: %d live groups, had %d", table.Live(), before)
					}
				}
				c.clCheck(t, table, live, maxAbs)
			}
			// Retract everything: every group is empty, and compacts away.
			var ops []Op
			for range live {
				ops = append(ops, OpDelete)
			}
			if len(live) > 0 {
				c.clApply(t, mem, table, live, ops, 0)
			}
			c.clCheck(t, table, nil, maxAbs)
			if table.Live() != 0 {
				t.Fatalf("Live = %d after retracting every row", table.Live())
			}
			if _, err := table.Compact(true); err != nil {
				t.Fatal(err)
			}
			if len(c.keyGens) > 0 && table.Len() != 0 {
				t.Fatalf("Len = %d after compacting an empty table", table.Len())
			}
		})
	}
}

// TestRetractEdges: retractions from empty groups and of values a group
// does not hold are ignored; a SUM is NULL again once its values are all
// retracted; MIN and MAX move to the next value; refusals.
func TestRetractEdges(t *testing.T) {
	mem := checkedMem(t)
	specs := []Spec{
		{Func: CountStar}, {Func: Sum, Arg: sqltypes.BigInt}, {Func: Min, Arg: sqltypes.BigInt},
		{Func: Max, Arg: sqltypes.Varchar}, {Func: Count, Arg: sqltypes.BigInt, Distinct: true},
		{Func: Avg, Arg: sqltypes.Double},
	}
	table, err := NewRetractableTable(mem, []arrow.DataType{sqltypes.BigInt}, specs)
	if err != nil {
		t.Fatal(err)
	}
	defer table.Release()
	apply := func(keys, nums, strs, dbls []any, retract bool) {
		t.Helper()
		k := buildArray(mem, sqltypes.BigInt, keys, 0)
		v := buildArray(mem, sqltypes.BigInt, nums, 0)
		s := buildArray(mem, sqltypes.Varchar, strs, 0)
		d := buildArray(mem, sqltypes.Double, dbls, 0)
		defer releaseAll([]arrow.Array{k, v, s, d})
		groups := make([]uint32, len(keys))
		table.Lookup([]arrow.Array{k}, nil, groups)
		args := []arrow.Array{nil, v, v, s, v, d}
		f := make([]*array.Boolean, len(specs))
		var err error
		if retract {
			err = table.Retract(nil, groups, args, f)
		} else {
			err = table.Update(nil, groups, args, f)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	row := func(g uint32) []any {
		t.Helper()
		k, res, err := table.Results([]uint32{g})
		if err != nil {
			t.Fatal(err)
		}
		defer releaseAll(k, res)
		var out []any
		for _, a := range res {
			out = append(out, cell(a, 0))
		}
		return out
	}
	i := func(v int64) any { return v }
	apply([]any{i(1), i(1), i(1)}, []any{i(5), i(3), i(3)}, []any{"b", "c", "a"}, []any{1.0, math.Inf(1), 2.0}, false)
	if got, want := row(0), []any{i(3), i(11), i(3), "c", i(2), math.Inf(1)}; !equalRow(got, want) {
		t.Fatalf("after adding: %v, want %v", got, want)
	}
	// Retract the rows holding MAX "c" and the infinity, and the 3s.
	apply([]any{i(1), i(1)}, []any{i(3), i(3)}, []any{"c", "a"}, []any{math.Inf(1), 2.0}, true)
	if got, want := row(0), []any{i(1), i(5), i(5), "b", i(1), 1.0}; !equalRow(got, want) {
		t.Fatalf("after retracting: %v, want %v", got, want)
	}
	// A retraction from a group never added to (key 2) is ignored; the
	// group exists, empty.
	apply([]any{i(2)}, []any{i(9)}, []any{"x"}, []any{1.0}, true)
	if table.Len() != 2 || table.RowCount(1) != 0 || table.Live() != 1 {
		t.Fatalf("Len %d, RowCount(1) %d, Live %d", table.Len(), table.RowCount(1), table.Live())
	}
	if got, want := row(1), []any{i(0), nil, nil, nil, i(0), nil}; !equalRow(got, want) {
		t.Fatalf("empty group: %v, want %v", got, want)
	}
	// The last row goes: every aggregate is back at its start.
	apply([]any{i(1)}, []any{i(5)}, []any{"b"}, []any{1.0}, true)
	if got, want := row(0), []any{i(0), nil, nil, nil, i(0), nil}; !equalRow(got, want) {
		t.Fatalf("emptied group: %v, want %v", got, want)
	}
	if table.Live() != 0 || table.RowCount(0) != 0 {
		t.Fatalf("Live %d, RowCount %d", table.Live(), table.RowCount(0))
	}

	for _, f := range []Func{FirstValue, LastValue, ApproxCountDistinct} {
		_, err := NewRetractableTable(mem, nil, []Spec{{Func: CountStar}, {Func: f, Arg: sqltypes.BigInt}})
		if !errors.Is(err, ErrNotRetractable) || !strings.Contains(err.Error(), f.String()) {
			t.Errorf("%s: %v, want ErrNotRetractable naming it", f, err)
		}
	}
	// A retracted value the multiset does not hold is ignored.
	mx, err := NewRetractableTable(mem, nil, []Spec{{Func: Max, Arg: sqltypes.Varchar}})
	if err != nil {
		t.Fatal(err)
	}
	defer mx.Release()
	for _, step := range []struct {
		vals    []any
		retract bool
	}{{[]any{"a", "b"}, false}, {[]any{"zzz"}, true}} {
		v := buildArray(mem, sqltypes.Varchar, step.vals, 0)
		groups := make([]uint32, len(step.vals))
		mx.Lookup(nil, nil, groups)
		if step.retract {
			err = mx.Retract(nil, groups, []arrow.Array{v}, []*array.Boolean{nil})
		} else {
			err = mx.Update(nil, groups, []arrow.Array{v}, []*array.Boolean{nil})
		}
		v.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, res, err := mx.Results([]uint32{0})
	if err != nil {
		t.Fatal(err)
	}
	if got := cell(res[0], 0); got != "b" || mx.RowCount(0) != 1 {
		t.Errorf("MAX after retracting a value never added: %v (%d rows), want b (1 row)", got, mx.RowCount(0))
	}
	releaseAll(res)

	plain, err := NewTable(mem, nil, []Spec{{Func: CountStar}})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Release()
	if err := plain.Retract(nil, nil, []arrow.Array{nil}, []*array.Boolean{nil}); err == nil {
		t.Error("Retract on a table made by NewTable did not fail")
	}
}

// TestRetractMerge merges groups and tables of retractable tables (DISTINCT
// counts and multisets included) and then retracts from the merged group.
func TestRetractMerge(t *testing.T) {
	mem := checkedMem(t)
	specs := []Spec{
		{Func: CountStar}, {Func: Count, Arg: sqltypes.BigInt, Distinct: true},
		{Func: Max, Arg: sqltypes.BigInt}, {Func: Sum, Arg: sqltypes.BigInt, Distinct: true},
	}
	newT := func() *Table {
		t.Helper()
		tb, err := NewRetractableTable(mem, []arrow.DataType{sqltypes.BigInt}, specs)
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}
	apply := func(tb *Table, keys, vals []int64, retract bool) {
		t.Helper()
		var ka, va []any
		for i := range keys {
			ka, va = append(ka, keys[i]), append(va, vals[i])
		}
		k := buildArray(mem, sqltypes.BigInt, ka, 0)
		v := buildArray(mem, sqltypes.BigInt, va, 0)
		defer releaseAll([]arrow.Array{k, v})
		groups := make([]uint32, len(keys))
		tb.Lookup([]arrow.Array{k}, nil, groups)
		args := []arrow.Array{nil, v, v, v}
		f := make([]*array.Boolean, len(specs))
		var err error
		if retract {
			err = tb.Retract(nil, groups, args, f)
		} else {
			err = tb.Update(nil, groups, args, f)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	row := func(tb *Table, g uint32) []any {
		t.Helper()
		k, res, err := tb.Results([]uint32{g})
		if err != nil {
			t.Fatal(err)
		}
		defer releaseAll(k, res)
		var out []any
		for _, a := range res {
			out = append(out, cell(a, 0))
		}
		return out
	}
	a := newT()
	defer a.Release()
	apply(a, []int64{1, 1, 2, 2}, []int64{7, 9, 7, 4}, false)
	a.Merge(0, 1) // key 1 takes key 2's rows: values 7, 9, 7, 4
	if got, want := row(a, 0), []any{int64(4), int64(3), int64(9), int64(20)}; !equalRow(got, want) {
		t.Fatalf("merged: %v, want %v", got, want)
	}
	if a.RowCount(1) != 0 || a.Live() != 1 {
		t.Fatalf("merged-away group: RowCount %d, Live %d", a.RowCount(1), a.Live())
	}
	apply(a, []int64{1, 1}, []int64{7, 9}, true) // one 7 stays
	if got, want := row(a, 0), []any{int64(2), int64(2), int64(7), int64(11)}; !equalRow(got, want) {
		t.Fatalf("after retracting: %v, want %v", got, want)
	}

	b := newT()
	defer b.Release()
	apply(b, []int64{3, 1}, []int64{1, 7}, false)
	apply(b, []int64{3}, []int64{1}, true) // key 3 is empty: not merged
	if err := a.MergeTable(b); err != nil {
		t.Fatal(err)
	}
	if a.Len() != 2 || a.Live() != 1 {
		t.Fatalf("MergeTable: Len %d, Live %d, want 2 and 1", a.Len(), a.Live())
	}
	if got, want := row(a, 0), []any{int64(3), int64(2), int64(7), int64(11)}; !equalRow(got, want) {
		t.Fatalf("after MergeTable: %v, want %v", got, want)
	}
	apply(a, []int64{1, 1}, []int64{7, 7}, true) // both 7s go: DISTINCT drops it
	if got, want := row(a, 0), []any{int64(1), int64(1), int64(4), int64(4)}; !equalRow(got, want) {
		t.Fatalf("after retracting both 7s: %v, want %v", got, want)
	}
	plain, err := NewTable(mem, []arrow.DataType{sqltypes.BigInt}, specs)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Release()
	if err := a.MergeTable(plain); err == nil {
		t.Error("MergeTable of a plain table into a retractable one did not fail")
	}
}

// TestRetractLoadCorrupt: a retractable table's saved state (row counts,
// multisets, DISTINCT counts, non-NULL and non-finite counts) cut short is
// an error, never a panic; whole, it loads back to the same results.
func TestRetractLoadCorrupt(t *testing.T) {
	mem := checkedMem(t)
	specs := []Spec{
		{Func: CountStar}, {Func: Min, Arg: sqltypes.Varchar}, {Func: Max, Arg: sqltypes.BigInt},
		{Func: Count, Arg: sqltypes.BigInt, Distinct: true}, {Func: Sum, Arg: sqltypes.Double},
		{Func: VarPop, Arg: sqltypes.Double}, {Func: Avg, Arg: sqltypes.Double},
	}
	keyTypes := []arrow.DataType{sqltypes.BigInt}
	tbl, err := NewRetractableTable(mem, keyTypes, specs)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	k := buildArray(mem, sqltypes.BigInt, []any{int64(1), int64(2), int64(1), int64(3)}, 0)
	v := buildArray(mem, sqltypes.Varchar, []any{"x", "y", "z", "w"}, 0)
	d := buildArray(mem, sqltypes.Double, []any{1.5, math.NaN(), -2.0, 4.0}, 0)
	groups := make([]uint32, 4)
	tbl.Lookup([]arrow.Array{k}, nil, groups)
	args := []arrow.Array{nil, v, k, k, d, d, d}
	filters := make([]*array.Boolean, len(specs))
	if err := tbl.Update(nil, groups, args, filters); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Retract([]int32{3}, groups[3:], args, filters); err != nil { // key 3 is empty
		t.Fatal(err)
	}
	releaseAll([]arrow.Array{k, v, d})
	e := state.NewEncoder(nil)
	if err := tbl.Save(e); err != nil {
		t.Fatal(err)
	}
	good := e.Bytes()
	for cut := 0; cut < len(good); cut++ {
		fresh, err := NewRetractableTable(mem, keyTypes, specs)
		if err != nil {
			t.Fatal(err)
		}
		err = fresh.Load(state.NewDecoder(good[:cut]))
		fresh.Release()
		if !errors.Is(err, state.ErrCorrupt) {
			t.Fatalf("load of %d of %d bytes: %v, want ErrCorrupt", cut, len(good), err)
		}
	}
	fresh, err := NewRetractableTable(mem, keyTypes, specs)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Release()
	if err := fresh.Load(state.NewDecoder(good)); err != nil {
		t.Fatal(err)
	}
	wantKeys, want := results(t, tbl)
	gotKeys, got := results(t, fresh)
	if fmt.Sprint(canonRows(wantKeys), canonRows(want)) != fmt.Sprint(canonRows(gotKeys), canonRows(got)) {
		t.Fatalf("loaded %v %v, saved %v %v", gotKeys, got, wantKeys, want)
	}
	if fresh.Live() != 2 || fresh.RowCount(2) != 0 {
		t.Fatalf("loaded Live %d, RowCount(2) %d, want 2 and 0", fresh.Live(), fresh.RowCount(2))
	}
}
