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
