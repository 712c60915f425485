package agg

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

// run feeds one batch (keys and per-spec arguments as Go values, all
// groups) to a new table and returns its results as Go values, per group.
func run(t *testing.T, mem memory.Allocator, keyTypes []arrow.DataType, keys [][]any, specs []Spec, args [][]any) (gotKeys, got [][]any) {
	t.Helper()
	table, err := NewTable(mem, keyTypes, specs)
	if err != nil {
		t.Fatal(err)
	}
	defer table.Release()
	n := 0
	var ka, aa []arrow.Array
	for i, kt := range keyTypes {
		ka = append(ka, buildArray(mem, kt, keys[i], 0))
		n = len(keys[i])
	}
	for j, s := range specs {
		if s.Func == CountStar {
			aa = append(aa, nil)
			continue
		}
		aa = append(aa, buildArray(mem, s.Arg, args[j], 0))
		n = len(args[j])
	}
	defer releaseAll(ka, aa)
	groups := make([]uint32, n)
	table.Lookup(ka, nil, groups)
	if err := table.Update(nil, groups, aa, make([]*array.Boolean, len(specs))); err != nil {
		t.Fatal(err)
	}
	return results(t, table)
}

// results reads every group of a table as Go values.
func results(t *testing.T, table *Table) (gotKeys, got [][]any) {
	t.Helper()
	ids := make([]uint32, table.Len())
	for i := range ids {
		ids[i] = uint32(i)
	}
	keys, res, err := table.Results(ids)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseAll(keys, res)
	for i := range ids {
		var k, r []any
		for _, a := range keys {
			k = append(k, cell(a, i))
		}
		for _, a := range res {
			r = append(r, cell(a, i))
		}
		gotKeys = append(gotKeys, k)
		got = append(got, r)
	}
	return gotKeys, got
}

func TestEmptyTable(t *testing.T) {
	mem := checkedMem(t)
	specs := []Spec{{Func: CountStar}, {Func: Sum, Arg: sqltypes.Double}, {Func: Min, Arg: sqltypes.Varchar}}
	table, err := NewTable(mem, []arrow.DataType{sqltypes.BigInt, sqltypes.Varchar}, specs)
	if err != nil {
		t.Fatal(err)
	}
	defer table.Release()
	if table.Len() != 0 {
		t.Fatalf("Len = %d", table.Len())
	}
	groups := []uint32{}
	empty := []arrow.Array{buildArray(mem, sqltypes.BigInt, nil, 0), buildArray(mem, sqltypes.Varchar, nil, 0)}
	defer releaseAll(empty)
	if n := table.Lookup(empty, nil, groups); n != 0 {
		t.Fatalf("Lookup of no rows created %d", n)
	}
	keys, res, err := table.Results(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer releaseAll(keys, res)
	if len(keys) != 2 || len(res) != 3 {
		t.Fatalf("%d keys, %d results", len(keys), len(res))
	}
	for i, a := range res {
		want, _ := ResultType(specs[i])
		if a.Len() != 0 || !arrow.TypeEqual(a.DataType(), want) {
			t.Errorf("result %d: %s of %d rows", i, a.DataType(), a.Len())
		}
	}
	if _, _, err := table.Results([]uint32{0}); err == nil {
		t.Error("Results of a missing group succeeded")
	}
}

func TestGlobalAggregate(t *testing.T) {
	mem := checkedMem(t)
	specs := []Spec{{Func: CountStar}, {Func: Count, Arg: sqltypes.BigInt}, {Func: Sum, Arg: sqltypes.BigInt},
		{Func: Avg, Arg: sqltypes.BigInt}, {Func: ApproxCountDistinct, Arg: sqltypes.BigInt}}
	table, err := NewTable(mem, nil, specs)
	if err != nil {
		t.Fatal(err)
	}
	defer table.Release()
	// An empty first batch creates the group: COUNT 0, SUM NULL.
	if n := table.Lookup(nil, nil, nil); n != 1 || table.Len() != 1 {
		t.Fatalf("first Lookup created %d, Len %d", n, table.Len())
	}
	_, got := results(t, table)
	if want := []any{int64(0), int64(0), nil, nil, int64(0)}; !equalRow(got[0], want) {
		t.Fatalf("empty global aggregate = %v, want %v", got[0], want)
	}
	arg := buildArray(mem, sqltypes.BigInt, []any{int64(5), nil, int64(7), int64(5)}, 0)
	defer arg.Release()
	groups := []uint32{9, 9, 9}
	sel := []int32{0, 1, 2}
	if n := table.Lookup(nil, sel, groups); n != 0 || groups[0] != 0 || groups[2] != 0 {
		t.Fatalf("Lookup created %d, groups %v", n, groups)
	}
	if err := table.Update(sel, groups, []arrow.Array{nil, arg, arg, arg, arg}, make([]*array.Boolean, 5)); err != nil {
		t.Fatal(err)
	}
	_, got = results(t, table)
	if want := []any{int64(3), int64(2), int64(12), 6.0, int64(2)}; !equalRow(got[0], want) {
		t.Fatalf("global aggregate = %v, want %v", got[0], want)
	}
}

func equalRow(got, want []any) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !sameValue(got[i], want[i], 1e-12) {
			return false
		}
	}
	return true
}

// SUM over BIGINT wraps around like Java's long.
func TestSumBigintWraps(t *testing.T) {
	mem := checkedMem(t)
	_, got := run(t, mem, nil, nil, []Spec{{Func: Sum, Arg: sqltypes.BigInt}, {Func: Avg, Arg: sqltypes.BigInt}},
		[][]any{{int64(math.MaxInt64), int64(2)}, {int64(math.MaxInt64), int64(math.MaxInt64)}})
	if got[0][0] != int64(math.MinInt64+1) {
		t.Errorf("SUM = %v, want wrap-around to %d", got[0][0], int64(math.MinInt64+1))
	}
	// AVG keeps an exact 128-bit sum.
	if got[0][1] != float64(math.MaxInt64) {
		t.Errorf("AVG = %v, want %v", got[0][1], float64(math.MaxInt64))
	}
}

func TestSumDecimalOverflow(t *testing.T) {
	mem := checkedMem(t)
	d38 := sqltypes.Decimal(38, 2)
	table, err := NewTable(mem, nil, []Spec{{Func: Sum, Arg: d38}})
	if err != nil {
		t.Fatal(err)
	}
	defer table.Release()
	big := decimal128.GetMaxValue(38)
	arg := buildArray(mem, d38, []any{big, decimal128.FromI64(-1), decimal128.FromI64(1)}, 0)
	defer arg.Release()
	groups := make([]uint32, 3)
	table.Lookup(nil, nil, groups)
	// max - 1 + 1 stays in range.
	if err := table.Update(nil, groups, []arrow.Array{arg}, []*array.Boolean{nil}); err != nil {
		t.Fatal(err)
	}
	err = table.Update(nil, groups, []arrow.Array{arg}, []*array.Boolean{nil})
	if !errors.Is(err, ErrOverflow) {
		t.Fatalf("second Update: %v, want ErrOverflow", err)
	}
	if want := "SUM(DECIMAL(38, 2)) overflows DECIMAL(38, 2): numeric overflow"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// A Merge that overflows reports through the next Update or Results.
func TestMergeOverflowIsSticky(t *testing.T) {
	mem := checkedMem(t)
	d38 := sqltypes.Decimal(38, 0)
	table, err := NewTable(mem, []arrow.DataType{sqltypes.BigInt}, []Spec{{Func: Sum, Arg: d38}})
	if err != nil {
		t.Fatal(err)
	}
	defer table.Release()
	keys := buildArray(mem, sqltypes.BigInt, []any{int64(1), int64(2)}, 0)
	arg := buildArray(mem, d38, []any{decimal128.GetMaxValue(38), decimal128.GetMaxValue(38)}, 0)
	defer releaseAll([]arrow.Array{keys, arg})
	groups := make([]uint32, 2)
	table.Lookup([]arrow.Array{keys}, nil, groups)
	if err := table.Update(nil, groups, []arrow.Array{arg}, []*array.Boolean{nil}); err != nil {
		t.Fatal(err)
	}
	table.Merge(0, 1)
	if _, _, err := table.Results([]uint32{0}); !errors.Is(err, ErrOverflow) {
		t.Fatalf("Results after overflowing Merge: %v", err)
	}
	if err := table.Update(nil, groups, []arrow.Array{arg}, []*array.Boolean{nil}); !errors.Is(err, ErrOverflow) {
		t.Fatalf("Update after overflowing Merge: %v", err)
	}
	table.Reset()
	if _, _, err := table.Results(nil); err != nil {
		t.Fatalf("Results after Reset: %v", err)
	}
}

func TestOneValue(t *testing.T) {
	mem := checkedMem(t)
	var specs []Spec
	var args [][]any
	for _, f := range []Func{Avg, VarPop, VarSamp, StddevPop, StddevSamp} {
		specs = append(specs, Spec{Func: f, Arg: sqltypes.Double})
		args = append(args, []any{2.5})
	}
	specs = append(specs, Spec{Func: Avg, Arg: dec102}, Spec{Func: VarSamp, Arg: dec102})
	args = append(args, []any{decimal128.FromI64(-250)}, []any{decimal128.FromI64(-250)})
	_, got := run(t, mem, nil, nil, specs, args)
	want := []any{2.5, 0.0, nil, 0.0, nil, decimal128.FromI64(-2500000), nil}
	if !equalRow(got[0], want) {
		t.Errorf("one value: %v, want %v", got[0], want)
	}
}

func TestAvgDecimal(t *testing.T) {
	for _, c := range []struct {
		sum  int64
		up   int32
		n    uint64
		want int64
	}{
		{3, 6, 2, 1500000},
		{1, 0, 2, 1},   // 0.5 rounds away from zero
		{-1, 0, 2, -1}, // -0.5 too
		{1, 0, 3, 0},
		{-5, 1, 3, -17}, // -16.67
		{7, 0, 7, 1},
	} {
		got, ok := decAvg(decimal128.FromI64(c.sum), c.up, c.n)
		if !ok || got != decimal128.FromI64(c.want) {
			t.Errorf("decAvg(%d, %d, %d) = %v, %v; want %d", c.sum, c.up, c.n, got.BigInt(), ok, c.want)
		}
	}
	if _, ok := decAvg(decimal128.GetMaxValue(38), 6, 1); ok {
		t.Error("decAvg of 10^38-1 scaled by 10^6 did not overflow")
	}
	if got, ok := decAvg(decimal128.GetMaxValue(38), 6, 1000000); !ok || got != decimal128.GetMaxValue(38) {
		t.Errorf("decAvg(max·10^6 / 10^6) = %v, %v", got.BigInt(), ok)
	}

	mem := checkedMem(t)
	d380 := sqltypes.Decimal(38, 0)
	table, err := NewTable(mem, nil, []Spec{{Func: Avg, Arg: d380}})
	if err != nil {
		t.Fatal(err)
	}
	defer table.Release()
	arg := buildArray(mem, d380, []any{decimal128.GetMaxValue(38)}, 0)
	defer arg.Release()
	groups := make([]uint32, 1)
	table.Lookup(nil, nil, groups)
	if err := table.Update(nil, groups, []arrow.Array{arg}, []*array.Boolean{nil}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := table.Results(groups); !errors.Is(err, ErrOverflow) {
		t.Errorf("AVG(DECIMAL(38, 0)) of 10^38-1 as DECIMAL(38, 6): %v, want ErrOverflow", err)
	}
}

func TestMinMaxStrings(t *testing.T) {
	mem := checkedMem(t)
	specs := []Spec{{Func: Min, Arg: sqltypes.Varchar}, {Func: Max, Arg: sqltypes.Varchar},
		{Func: FirstValue, Arg: sqltypes.Varchar}, {Func: LastValue, Arg: sqltypes.Varchar}}
	vals := []any{"pear", nil, "", "äpfel", "apple", "zebra", "Zebra", nil}
	keys := []any{int64(1), int64(1), int64(1), int64(1), int64(1), int64(1), int64(2), int64(3)}
	_, got := run(t, mem, []arrow.DataType{sqltypes.BigInt}, [][]any{keys}, specs, [][]any{vals, vals, vals, vals})
	want := [][]any{{"", "äpfel", "pear", "zebra"}, {"Zebra", "Zebra", "Zebra", "Zebra"}, {nil, nil, nil, nil}}
	for g := range want {
		if !equalRow(got[g], want[g]) {
			t.Errorf("group %d: %v, want %v", g, got[g], want[g])
		}
	}
}

// Values that grow and shrink over many batches go through the string
// arena's in-place overwrites, appends and compaction.
func TestStringArena(t *testing.T) {
	mem := checkedMem(t)
	specs := []Spec{{Func: Max, Arg: sqltypes.Varchar}, {Func: LastValue, Arg: sqltypes.Varchar}}
	table, err := NewTable(mem, []arrow.DataType{sqltypes.BigInt}, specs)
	if err != nil {
		t.Fatal(err)
	}
	defer table.Release()
	const groupsN = 50
	wantMax := make([]string, groupsN)
	wantLast := make([]string, groupsN)
	for round := 0; round < 400; round++ {
		var keys, vals []any
		for g := 0; g < groupsN; g++ {
			v := strings.Repeat(string(rune('a'+(round*7+g)%26)), 1+(round*13+g*5)%300)
			keys = append(keys, int64(g))
			vals = append(vals, v)
			if v > wantMax[g] {
				wantMax[g] = v
			}
			wantLast[g] = v
		}
		ka := buildArray(mem, sqltypes.BigInt, keys, 0)
		va := buildArray(mem, sqltypes.Varchar, vals, round%3)
		groups := make([]uint32, groupsN)
		table.Lookup([]arrow.Array{ka}, nil, groups)
		if err := table.Update(nil, groups, []arrow.Array{va, va}, []*array.Boolean{nil, nil}); err != nil {
			t.Fatal(err)
		}
		releaseAll([]arrow.Array{ka, va})
	}
	_, got := results(t, table)
	for g := 0; g < groupsN; g++ {
		if got[g][0] != wantMax[g] || got[g][1] != wantLast[g] {
			t.Fatalf("group %d: MAX %.10q… LAST %.10q…, want %.10q… %.10q…", g, got[g][0], got[g][1], wantMax[g], wantLast[g])
		}
	}
	if b := table.MemoryBytes(); b > 200_000 {
		t.Errorf("MemoryBytes = %d after compaction, want well under 200 KB", b)
	}
}

func TestFloatKeys(t *testing.T) {
	mem := checkedMem(t)
	negZero := math.Copysign(0, -1)
	keys := []any{negZero, 0.0, math.NaN(), -math.NaN(), nil, 1.0, nil, math.Inf(1)}
	gotKeys, got := run(t, mem, []arrow.DataType{sqltypes.Double}, [][]any{keys}, []Spec{{Func: CountStar}}, nil)
	wantKeys := []any{negZero, math.NaN(), nil, 1.0, math.Inf(1)}
	wantCounts := []int64{2, 2, 2, 1, 1}
	if len(got) != len(wantKeys) {
		t.Fatalf("%d groups, want %d: %v", len(got), len(wantKeys), gotKeys)
	}
	for g := range wantKeys {
		if !sameValue(gotKeys[g][0], wantKeys[g], 0) || got[g][0] != wantCounts[g] {
			t.Errorf("group %d: key %v count %v, want %v %d", g, gotKeys[g][0], got[g][0], wantKeys[g], wantCounts[g])
		}
	}
}

func TestResetReuse(t *testing.T) {
	mem := checkedMem(t)
	table, err := NewTable(mem, []arrow.DataType{sqltypes.Varchar}, []Spec{{Func: Sum, Arg: sqltypes.BigInt},
		{Func: Count, Arg: sqltypes.BigInt, Distinct: true}, {Func: ApproxCountDistinct, Arg: sqltypes.BigInt}})
	if err != nil {
		t.Fatal(err)
	}
	defer table.Release()
	feed := func(keys []any, vals []any) {
		ka := buildArray(mem, sqltypes.Varchar, keys, 0)
		va := buildArray(mem, sqltypes.BigInt, vals, 0)
		defer releaseAll([]arrow.Array{ka, va})
		groups := make([]uint32, len(keys))
		table.Lookup([]arrow.Array{ka}, nil, groups)
		if err := table.Update(nil, groups, []arrow.Array{va, va, va}, make([]*array.Boolean, 3)); err != nil {
			t.Fatal(err)
		}
	}
	feed([]any{"a", "b", "a"}, []any{int64(1), int64(2), int64(1)})
	before := table.MemoryBytes()
	table.Reset()
	if table.Len() != 0 {
		t.Fatalf("Len after Reset = %d", table.Len())
	}
	if after := table.MemoryBytes(); after != before {
		t.Errorf("MemoryBytes %d after Reset, %d before: space not kept", after, before)
	}
	feed([]any{"b", "c", "b"}, []any{int64(5), nil, int64(5)})
	keys, got := results(t, table)
	want := [][]any{{"b", int64(10), int64(1), int64(1)}, {"c", nil, int64(0), int64(0)}}
	for g := range want {
		if row := append(keys[g], got[g]...); !equalRow(row, want[g]) {
			t.Errorf("group %d: %v, want %v", g, row, want[g])
		}
	}
}

func TestResultType(t *testing.T) {
	for _, c := range []struct {
		spec Spec
		want string // SQL name, or the error
	}{
		{Spec{Func: CountStar}, "BIGINT"},
		{Spec{Func: Count, Arg: sqltypes.Varchar}, "BIGINT"},
		{Spec{Func: ApproxCountDistinct, Arg: sqltypes.Timestamp}, "BIGINT"},
		{Spec{Func: Sum, Arg: sqltypes.Int}, "BIGINT"},
		{Spec{Func: Sum, Arg: sqltypes.BigInt}, "BIGINT"},
		{Spec{Func: Sum, Arg: sqltypes.Float}, "DOUBLE"},
		{Spec{Func: Sum, Arg: sqltypes.Decimal(10, 2)}, "DECIMAL(38, 2)"},
		{Spec{Func: Sum, Arg: sqltypes.Interval}, "INTERVAL"},
		{Spec{Func: Sum, Arg: sqltypes.Varchar}, "SUM(VARCHAR) is not defined"},
		{Spec{Func: Sum, Arg: sqltypes.Timestamp, Distinct: true}, "SUM(TIMESTAMP(3)) is not defined"},
		{Spec{Func: Avg, Arg: sqltypes.Int}, "DOUBLE"},
		{Spec{Func: Avg, Arg: sqltypes.Decimal(10, 2)}, "DECIMAL(38, 6)"},
		{Spec{Func: Avg, Arg: sqltypes.Decimal(20, 8)}, "DECIMAL(38, 8)"},
		{Spec{Func: Avg, Arg: sqltypes.Boolean}, "AVG(BOOLEAN) is not defined"},
		{Spec{Func: Min, Arg: sqltypes.Varchar}, "VARCHAR"},
		{Spec{Func: Max, Arg: sqltypes.Date}, "DATE"},
		{Spec{Func: LastValue, Arg: sqltypes.Boolean}, "BOOLEAN"},
		{Spec{Func: FirstValue, Arg: sqltypes.Decimal(5, 1)}, "DECIMAL(5, 1)"},
		{Spec{Func: StddevSamp, Arg: sqltypes.Decimal(5, 1)}, "DOUBLE"},
		{Spec{Func: VarPop, Arg: sqltypes.Varchar}, "VAR_POP(VARCHAR) is not defined"},
		{Spec{Func: Min, Arg: arrow.ListOf(sqltypes.Int)}, "MIN(LIST<ITEM: INT32, NULLABLE>) is not defined"},
		{Spec{Func: Sum}, "SUM needs an argument"},
	} {
		typ, err := ResultType(c.spec)
		got := ""
		if err != nil {
			got = err.Error()
			if strings.Contains(c.want, "not defined") && !errors.Is(err, ErrUndefined) {
				t.Errorf("%s: error %v does not match ErrUndefined", c.spec, err)
			}
		} else {
			got = sqltypes.Name(typ)
		}
		if got != c.want {
			t.Errorf("ResultType(%s) = %s, want %s", c.spec, got, c.want)
		}
	}
}

func TestLookupFunc(t *testing.T) {
	for name, want := range map[string]Func{
		"COUNT": Count, "SUM": Sum, "MIN": Min, "MAX": Max, "AVG": Avg,
		"STDDEV": StddevSamp, "STDDEV_POP": StddevPop, "STDDEV_SAMP": StddevSamp,
		"VARIANCE": VarSamp, "VAR_POP": VarPop, "VAR_SAMP": VarSamp,
		"FIRST_VALUE": FirstValue, "LAST_VALUE": LastValue, "APPROX_COUNT_DISTINCT": ApproxCountDistinct,
	} {
		if f, ok := LookupFunc(name); !ok || f != want {
			t.Errorf("LookupFunc(%q) = %v, %v", name, f, ok)
		}
		if want != StddevSamp && want != VarSamp && want.String() != name && name != "STDDEV" {
			t.Errorf("%v.String() = %q", want, want.String())
		}
	}
	for _, name := range []string{"count", "MEDIAN", ""} {
		if _, ok := LookupFunc(name); ok {
			t.Errorf("LookupFunc(%q) found a function", name)
		}
	}
	if CountStar.String() != "COUNT" || (Spec{Func: CountStar}).String() != "COUNT(*)" {
		t.Errorf("CountStar prints as %s, %s", CountStar, Spec{Func: CountStar})
	}
}

func TestBadInput(t *testing.T) {
	mem := checkedMem(t)
	if _, err := NewTable(mem, []arrow.DataType{arrow.ListOf(sqltypes.Int)}, nil); err == nil {
		t.Error("NewTable grouping by a list succeeded")
	}
	if _, err := NewTable(mem, nil, []Spec{{Func: Sum, Arg: sqltypes.Boolean}}); !errors.Is(err, ErrUndefined) {
		t.Errorf("NewTable with SUM(BOOLEAN): %v", err)
	}
	table, err := NewTable(mem, nil, []Spec{{Func: Sum, Arg: sqltypes.BigInt}})
	if err != nil {
		t.Fatal(err)
	}
	defer table.Release()
	arg := buildArray(mem, sqltypes.Int, []any{int32(1)}, 0)
	defer arg.Release()
	groups := make([]uint32, 1)
	table.Lookup(nil, nil, groups)
	if err := table.Update(nil, groups, []arrow.Array{arg}, []*array.Boolean{nil}); err == nil {
		t.Error("Update with an INT argument for SUM(BIGINT) succeeded")
	}
	if err := table.Update(nil, groups, nil, nil); err == nil {
		t.Error("Update without arguments succeeded")
	}
}

// GROUP BY a NULL-typed column puts every row in one group.
func TestNullKey(t *testing.T) {
	mem := checkedMem(t)
	table, err := NewTable(mem, []arrow.DataType{arrow.Null, sqltypes.Int}, []Spec{{Func: CountStar}})
	if err != nil {
		t.Fatal(err)
	}
	defer table.Release()
	nulls := array.NewNull(4)
	ints := buildArray(mem, sqltypes.Int, []any{int32(1), int32(2), int32(1), nil}, 0)
	defer releaseAll([]arrow.Array{nulls, ints})
	groups := make([]uint32, 4)
	table.Lookup([]arrow.Array{nulls, ints}, nil, groups)
	if err := table.Update(nil, groups, []arrow.Array{nil}, []*array.Boolean{nil}); err != nil {
		t.Fatal(err)
	}
	keys, got := results(t, table)
	if len(got) != 3 || got[0][0] != int64(2) || keys[0][0] != nil || keys[2][1] != nil {
		t.Errorf("GROUP BY NULL, INT: keys %v, counts %v", keys, got)
	}
}
