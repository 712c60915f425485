package agg

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
	"github.com/weirsql/weir/state"
)

// persistTypes are the argument columns of TestSaveLoad, one per type.
var persistTypes = []arrow.DataType{
	sqltypes.Boolean, sqltypes.Int, sqltypes.BigInt, sqltypes.Double,
	sqltypes.Decimal(10, 2), sqltypes.Varchar, sqltypes.Timestamp,
}

// persistSpecs covers every accumulator: each aggregate over each type it
// is defined for, and the DISTINCT forms.
func persistSpecs() (specs []Spec, argOf []int) {
	funcs := []Func{Count, Sum, Avg, Min, Max, FirstValue, LastValue, StddevSamp, VarPop, ApproxCountDistinct}
	specs = append(specs, Spec{Func: CountStar})
	argOf = append(argOf, -1)
	for _, f := range funcs {
		for i, typ := range persistTypes {
			for _, distinct := range []bool{false, true} {
				s := Spec{Func: f, Arg: typ, Distinct: distinct}
				if _, err := ResultType(s); err != nil {
					continue
				}
				specs = append(specs, s)
				argOf = append(argOf, i)
			}
		}
	}
	return specs, argOf
}

func randValue(r *rand.Rand, typ arrow.DataType) any {
	if r.IntN(8) == 0 {
		return nil
	}
	switch typ.ID() {
	case arrow.BOOL:
		return r.IntN(2) == 0
	case arrow.INT32:
		return int32(r.IntN(20) - 5)
	case arrow.INT64, arrow.TIMESTAMP:
		return int64(r.IntN(1000) - 100)
	case arrow.FLOAT64:
		return float64(r.IntN(100)) / 4
	case arrow.DECIMAL128:
		return decimal128.FromI64(int64(r.IntN(10000)))
	case arrow.STRING:
		return fmt.Sprintf("s%d", r.IntN(30))
	}
	panic(typ)
}

// feedRandom updates the tables with one batch of n random rows: keys
// (BIGINT below keyRange, VARCHAR) and a random column of each of
// persistTypes for the aggregates' arguments (argOf).
func feedRandom(t *testing.T, mem memory.Allocator, r *rand.Rand, n, keyRange int, specs []Spec, argOf []int, tables ...*Table) {
	t.Helper()
	var kv [2][]any
	for i := 0; i < n; i++ {
		var k any = int64(r.IntN(keyRange))
		if r.IntN(9) == 0 {
			k = nil // NULL keys are keys too
		}
		kv[0] = append(kv[0], k)
		kv[1] = append(kv[1], []any{"a", "b", nil}[r.IntN(3)])
	}
	keys := []arrow.Array{buildArray(mem, sqltypes.BigInt, kv[0], 0), buildArray(mem, sqltypes.Varchar, kv[1], 0)}
	cols := make([]arrow.Array, len(persistTypes))
	for c, typ := range persistTypes {
		vals := make([]any, n)
		for i := range vals {
			vals[i] = randValue(r, typ)
		}
		cols[c] = buildArray(mem, typ, vals, 0)
	}
	defer releaseAll(keys, cols)
	args := make([]arrow.Array, len(specs))
	for j, a := range argOf {
		if a >= 0 {
			args[j] = cols[a]
		}
	}
	filters := make([]*array.Boolean, len(specs))
	for _, tbl := range tables {
		groups := make([]uint32, n)
		tbl.Lookup(keys, nil, groups)
		if err := tbl.Update(nil, groups, args, filters); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSaveLoad feeds the same batches to one table straight through and to
// another that is saved and loaded into a fresh table halfway (and again
// after a Merge): the results must be equal at the end.
func TestSaveLoad(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	specs, argOf := persistSpecs()
	keyTypes := []arrow.DataType{sqltypes.BigInt, sqltypes.Varchar}
	straight, err := NewTable(mem, keyTypes, specs)
	if err != nil {
		t.Fatal(err)
	}
	defer straight.Release()
	restored, err := NewTable(mem, keyTypes, specs)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { restored.Release() }()

	r := rand.New(rand.NewPCG(1, 2))
	reload := func() {
		e := state.NewEncoder(nil)
		if err := restored.Save(e); err != nil {
			t.Fatal(err)
		}
		restored.Release()
		restored, err = NewTable(mem, keyTypes, specs)
		if err != nil {
			t.Fatal(err)
		}
		d := state.NewDecoder(e.Bytes())
		if err := restored.Load(d); err != nil {
			t.Fatal(err)
		}
		if d.Remaining() != 0 {
			t.Fatalf("Load left %d of %d bytes", d.Remaining(), len(e.Bytes()))
		}
	}
	for batch := 0; batch < 12; batch++ {
		feedRandom(t, mem, r, 1+r.IntN(300), 7, specs, argOf, straight, restored)
		if batch == 5 && straight.Len() > 3 {
			straight.Merge(1, 2)
			restored.Merge(1, 2)
		}
		if batch%3 == 1 || batch == 5 {
			reload()
		}
	}
	wantKeys, want := results(t, straight)
	gotKeys, got := results(t, restored)
	if !reflect.DeepEqual(canonRows(wantKeys), canonRows(gotKeys)) {
		t.Fatalf("keys differ:\n got %v\nwant %v", gotKeys, wantKeys)
	}
	for g := range want {
		for j := range specs {
			if !sameValue(got[g][j], want[g][j], 0) {
				t.Errorf("group %d %s: %v after reloads, %v straight", g, specs[j], got[g][j], want[g][j])
			}
		}
	}
}

func canonRows(rows [][]any) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		for _, v := range r {
			out[i] = append(out[i], canon(v))
		}
	}
	return out
}

// TestLoadCorrupt checks that truncated state is an error, never a panic.
// (Damaged bytes are caught by the store's checksums before decoding.)
func TestLoadCorrupt(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	specs := []Spec{{Func: CountStar}, {Func: Min, Arg: sqltypes.Varchar}, {Func: Count, Arg: sqltypes.BigInt, Distinct: true}}
	keyTypes := []arrow.DataType{sqltypes.BigInt}
	tbl, err := NewTable(mem, keyTypes, specs)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	k := buildArray(mem, sqltypes.BigInt, []any{int64(1), int64(2), int64(1)}, 0)
	v := buildArray(mem, sqltypes.Varchar, []any{"x", "y", "z"}, 0)
	groups := make([]uint32, 3)
	tbl.Lookup([]arrow.Array{k}, nil, groups)
	if err := tbl.Update(nil, groups, []arrow.Array{nil, v, k}, make([]*array.Boolean, 3)); err != nil {
		t.Fatal(err)
	}
	k.Release()
	v.Release()
	e := state.NewEncoder(nil)
	if err := tbl.Save(e); err != nil {
		t.Fatal(err)
	}
	good := e.Bytes()
	for cut := 0; cut < len(good); cut++ {
		fresh, err := NewTable(mem, keyTypes, specs)
		if err != nil {
			t.Fatal(err)
		}
		err = fresh.Load(state.NewDecoder(good[:cut]))
		fresh.Release()
		if !errors.Is(err, state.ErrCorrupt) {
			t.Fatalf("load of %d of %d bytes: %v, want ErrCorrupt", cut, len(good), err)
		}
	}
}
