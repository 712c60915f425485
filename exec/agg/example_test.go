package agg_test

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/exec/agg"
	"github.com/weirsql/weir/sqltypes"
)

// SELECT auction, COUNT(*), MAX(price) FROM bids GROUP BY auction.
func ExampleTable() {
	mem := memory.DefaultAllocator
	t, err := agg.NewTable(mem, []arrow.DataType{sqltypes.BigInt}, []agg.Spec{
		{Func: agg.CountStar},
		{Func: agg.Max, Arg: sqltypes.BigInt},
	})
	if err != nil {
		panic(err)
	}
	defer t.Release()

	auction := build(mem, []int64{7, 9, 7, 7, 9})
	price := build(mem, []int64{10, 30, 25, 5, 20})
	defer auction.Release()
	defer price.Release()

	groups := make([]uint32, auction.Len())
	created := t.Lookup([]arrow.Array{auction}, nil, groups)
	fmt.Println("groups:", groups, "created:", created)
	if err := t.Update(nil, groups, []arrow.Array{nil, price}, []*array.Boolean{nil, nil}); err != nil {
		panic(err)
	}

	keys, results, err := t.Results([]uint32{0, 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(keys[0], results[0], results[1])
	for _, a := range append(keys, results...) {
		a.Release()
	}

	_, err = agg.ResultType(agg.Spec{Func: agg.Sum, Arg: sqltypes.Varchar})
	fmt.Println(err)
	// Output:
	// groups: [0 1 0 0 1] created: 2
	// [7 9] [3 2] [25 30]
	// SUM(VARCHAR) is not defined
}

func build(mem memory.Allocator, vals []int64) arrow.Array {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(vals, nil)
	return b.NewArray()
}

// The same over a changelog: the bid of 25 on auction 7 is retracted (its
// -U), so MAX falls back to 10; auction 9's rows are all retracted, so its
// group is empty (an updating aggregate deletes its row).
func ExampleNewRetractableTable() {
	mem := memory.DefaultAllocator
	t, err := agg.NewRetractableTable(mem, []arrow.DataType{sqltypes.BigInt}, []agg.Spec{
		{Func: agg.CountStar},
		{Func: agg.Max, Arg: sqltypes.BigInt},
	})
	if err != nil {
		panic(err)
	}
	defer t.Release()

	step := func(auctions, prices []int64, retract bool) {
		auction, price := build(mem, auctions), build(mem, prices)
		defer auction.Release()
		defer price.Release()
		groups := make([]uint32, len(auctions))
		t.Lookup([]arrow.Array{auction}, nil, groups)
		args, filters := []arrow.Array{nil, price}, []*array.Boolean{nil, nil}
		if retract {
			err = t.Retract(nil, groups, args, filters)
		} else {
			err = t.Update(nil, groups, args, filters)
		}
		if err != nil {
			panic(err)
		}
	}
	step([]int64{7, 9, 7, 7}, []int64{10, 30, 25, 5}, false)
	step([]int64{7, 9}, []int64{25, 30}, true)

	keys, results, err := t.Results([]uint32{0, 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(keys[0], results[0], results[1], "rows:", t.RowCount(0), t.RowCount(1))
	for _, a := range append(keys, results...) {
		a.Release()
	}

	_, err = agg.NewRetractableTable(mem, nil, []agg.Spec{{Func: agg.FirstValue, Arg: sqltypes.BigInt}})
	fmt.Println(err)
	// Output:
	// [7 9] [2 0] [10 (null)] rows: 2 0
	// FIRST_VALUE(BIGINT) over an updating input: aggregate cannot retract rows (it keeps no record of the values it saw)
}
