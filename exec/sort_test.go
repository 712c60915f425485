package exec

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

func TestSortMultiKey(t *testing.T) {
	schema := schemaOf(field("k1", sqltypes.BigInt), field("k2", sqltypes.Varchar), field("id", sqltypes.BigInt))
	rows := []row{
		{2, "b", 0},
		{nil, "a", 1},
		{1, "a", 2},
		{2, nil, 3},
		{1, "c", 4},
		{2, "b", 5},
		{nil, nil, 6},
		{1, "a", 7},
	}
	// ORDER BY k1 ASC NULLS LAST, k2 DESC NULLS FIRST; ties keep input order.
	keys := []SortKey{{Column: 0}, {Column: 1, Desc: true, NullsFirst: true}}
	want := []row{
		{1, "c", 4}, {1, "a", 2}, {1, "a", 7},
		{2, nil, 3}, {2, "b", 0}, {2, "b", 5},
		{nil, nil, 6}, {nil, "a", 1},
	}
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		in := newScriptOp(t, mem, schema, batchItems(rows, size)...)
		out := drain(t, NewSort(in, keys, mem))
		assertRows(t, schema, out.rows, want)
	})
}

// sortTypeCases holds, per column type, distinct non-NULL values in input
// order (nil: NULL) and the same values in ascending order.
var sortTypeCases = []struct {
	typ  arrow.DataType
	vals []any
	asc  []any
}{
	{sqltypes.Int, []any{3, nil, -7, 2147483647, 0, nil, -2147483648}, []any{-2147483648, -7, 0, 3, 2147483647}},
	{sqltypes.BigInt, []any{int64(1) << 40, nil, -5, 0, nil, -(int64(1) << 50)}, []any{-(int64(1) << 50), -5, 0, int64(1) << 40}},
	{sqltypes.Double, []any{2.5, nil, -0.5, 1e300, nil, -1e-9, 0.0}, []any{-0.5, -1e-9, 0.0, 2.5, 1e300}},
	{sqltypes.Varchar, []any{"b", nil, "", "ab", "B", nil, "é", "a"}, []any{"", "B", "a", "ab", "b", "é"}},
	{sqltypes.Timestamp, []any{"2024-01-01 00:00:00", nil, "1969-12-31 23:59:59.999", "2024-01-01 00:00:00.001", nil}, []any{"1969-12-31 23:59:59.999", "2024-01-01 00:00:00", "2024-01-01 00:00:00.001"}},
	{sqltypes.Decimal(10, 2), []any{"9.99", nil, "-1.50", "10.00", "0.05", nil, "-12.00"}, []any{"-12.00", "-1.50", "0.05", "9.99", "10.00"}},
	{sqltypes.Boolean, []any{true, nil, false}, []any{false, true}},
	{sqltypes.Date, []any{"2024-03-01", nil, "1970-01-01", "2024-02-29", nil, "1900-01-01"}, []any{"1900-01-01", "1970-01-01", "2024-02-29", "2024-03-01"}},
	{sqltypes.Interval, []any{1000, nil, -1, 0}, []any{-1, 0, 1000}},
}

func TestSortColumnTypes(t *testing.T) {
	for _, tc := range sortTypeCases {
		schema := schemaOf(field("v", tc.typ), field("id", sqltypes.BigInt))
		rows := make([]row, len(tc.vals))
		var nulls []row
		for i, v := range tc.vals {
			rows[i] = row{v, i}
			if v == nil {
				nulls = append(nulls, rows[i])
			}
		}
		idOf := func(v any) int {
			for i, x := range tc.vals {
				if x == v {
					return i
				}
			}
			t.Fatalf("%v not in the input", v)
			return 0
		}
		for _, desc := range []bool{false, true} {
			for _, nullsFirst := range []bool{false, true} {
				var values []row
				for _, v := range tc.asc {
					values = append(values, row{v, idOf(v)})
				}
				if desc {
					slices.Reverse(values)
				}
				want := append(slices.Clone(values), nulls...)
				if nullsFirst {
					want = append(slices.Clone(nulls), values...)
				}
				name := fmt.Sprintf("%s/desc=%v/nullsFirst=%v", sqltypes.Name(tc.typ), desc, nullsFirst)
				t.Run(name, func(t *testing.T) {
					forEachBatchSize(t, func(t *testing.T, size int) {
						mem := newMem(t)
						in := newScriptOp(t, mem, schema, batchItems(rows, size)...)
						keys := []SortKey{{Column: 0, Desc: desc, NullsFirst: nullsFirst}}
						out := drain(t, NewSort(in, keys, mem))
						assertRows(t, schema, out.rows, want)
					})
				})
			}
		}
	}
}

// sortInput is n rows (a BIGINT, b VARCHAR, id BIGINT) with few distinct
// keys, so that ties are common, and NULLs in both keys.
func sortInput(n int) []row {
	rows := make([]row, n)
	for i := range rows {
		var a, b any = int64((i * 7919) % 5), []string{"x", "y", "z"}[(i*31)%3]
		if i%7 == 3 {
			a = nil
		}
		if i%5 == 1 {
			b = nil
		}
		rows[i] = row{a, b, i}
	}
	return rows
}

var abSchema = schemaOf(field("a", sqltypes.BigInt), field("b", sqltypes.Varchar), field("id", sqltypes.BigInt))

// refSort is the reference: a stable sort of canonical rows.
func refSort(t testing.TB, schema *arrow.Schema, rows []row, keys []SortKey) []row {
	rows = slices.Clone(canonRows(t, schema, rows))
	slices.SortStableFunc(rows, func(x, y row) int {
		for _, k := range keys {
			a, b := x[k.Column], y[k.Column]
			var r int
			switch {
			case a == nil && b == nil:
				continue
			case a == nil || b == nil:
				r = 1 // NULL after
				if a != nil {
					r = -1
				}
				if k.NullsFirst {
					r = -r
				}
				return r
			}
			r = compareValues(schema.Field(k.Column).Type, a, b)
			if k.Desc {
				r = -r
			}
			if r != 0 {
				return r
			}
		}
		return 0
	})
	return rows
}

// compareValues compares two canonical non-NULL values of type typ.
func compareValues(typ arrow.DataType, a, b any) int {
	switch a := a.(type) {
	case int64:
		return cmp.Compare(a, b.(int64))
	case float64:
		return cmp.Compare(a, b.(float64))
	case bool:
		switch {
		case a == b.(bool):
			return 0
		case !a:
			return -1
		}
		return 1
	case string:
		if _, ok := typ.(*arrow.Decimal128Type); ok {
			x, _ := new(big.Rat).SetString(a)
			y, _ := new(big.Rat).SetString(b.(string))
			return x.Cmp(y)
		}
		return cmp.Compare(a, b.(string))
	}
	panic(fmt.Sprintf("compareValues: %T", a))
}

func TestSortAgainstReference(t *testing.T) {
	const n = 300
	rows := sortInput(n)
	forEachBatchSize(t, func(t *testing.T, size int) {
		for mask := 0; mask < 16; mask++ {
			keys := []SortKey{
				{Column: 0, Desc: mask&1 != 0, NullsFirst: mask&2 != 0},
				{Column: 1, Desc: mask&4 != 0, NullsFirst: mask&8 != 0},
			}
			t.Run(NewSort(newScriptOp(t, nil, abSchema), keys, nil).Describe(), func(t *testing.T) {
				mem := newMem(t)
				in := newScriptOp(t, mem, abSchema, batchItems(rows, size)...)
				out := drain(t, NewSort(in, keys, mem))
				want := refSort(t, abSchema, rows, keys)
				if !slices.EqualFunc(out.rows, want, slices.Equal) {
					t.Fatalf("rows differ\n got: %s\nwant: %s", fmtRows(out.rows), fmtRows(want))
				}
				// Output batches have the input's batch size.
				var sizes []int
				for _, c := range chunk(rows, size) {
					sizes = append(sizes, len(c))
				}
				if !slices.Equal(out.batches, sizes) {
					t.Fatalf("batch sizes %v, want %v", out.batches, sizes)
				}
			})
		}
	})
}

func TestSortStable(t *testing.T) {
	// Every row has the same key: the output is the input, in order.
	rows := make([]row, 50)
	for i := range rows {
		var a any = int64(1)
		if i%2 == 0 {
			a = nil
		}
		rows[i] = row{a, "k", i}
	}
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		in := newScriptOp(t, mem, abSchema, batchItems(rows, size)...)
		out := drain(t, NewSort(in, []SortKey{{Column: 1, Desc: true}}, mem))
		assertRows(t, abSchema, out.rows, rows)
	})
}

func TestSortEmptyAndDropsWatermarks(t *testing.T) {
	forEachBatchSize(t, func(t *testing.T, size int) {
		mem := newMem(t)
		// No rows at all: only MsgEnd; empty batches and watermarks vanish.
		in := newScriptOp(t, mem, abSchema, wmItem(1), batchItem(), wmItem(2))
		out := drain(t, NewSort(in, []SortKey{{Column: 0}}, mem))
		assertTrace(t, out.trace)

		// Watermarks among the rows are dropped: rows leave at the end.
		rows := sortInput(10)
		var items []item
		for _, it := range batchItems(rows, size) {
			items = append(items, it, wmItem(int64(len(items))))
		}
		in = newScriptOp(t, mem, abSchema, items...)
		out = drain(t, NewSort(in, []SortKey{{Column: 2, Desc: true}}, mem))
		if len(out.wms) != 0 {
			t.Errorf("sort forwarded watermarks %v", out.wms)
		}
		assertRows(t, abSchema, out.rows, refSort(t, abSchema, rows, []SortKey{{Column: 2, Desc: true}}))
	})
}

func TestSortErrors(t *testing.T) {
	errSchema := schemaOf(field("v", arrow.BinaryTypes.LargeString))
	for _, tc := range []struct {
		name   string
		schema *arrow.Schema
		items  []item
		check  func(t *testing.T, err error)
	}{
		{
			name:   "unsupported type",
			schema: errSchema,
			items:  []item{batchItem(row{"a"}), batchItem(row{"b"})},
			check: func(t *testing.T, err error) {
				if err == nil {
					t.Fatal("no error sorting LARGE_STRING")
				}
			},
		},
		{
			name:   "input error",
			schema: abSchema,
			items:  []item{batchItem(row{1, "a", 1}), batchItem(row{2, "b", 2}), errItem(errInput)},
			check: func(t *testing.T, err error) {
				if !errors.Is(err, errInput) {
					t.Fatalf("err = %v, want %v", err, errInput)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := newMem(t)
			in := newScriptOp(t, mem, tc.schema, tc.items...)
			_, err := tryDrain(t, NewSort(in, []SortKey{{Column: 0}}, mem))
			tc.check(t, err)
			// newMem checks that the buffered batches were released.
		})
	}
}

func TestSortCloseEarly(t *testing.T) {
	for _, reads := range []int{0, 1, 2} {
		t.Run(fmt.Sprint(reads), func(t *testing.T) {
			mem := newMem(t)
			in := newScriptOp(t, mem, abSchema, batchItems(sortInput(20), 3)...)
			s := NewSort(in, []SortKey{{Column: 0}}, mem)
			ctx := context.Background()
			if err := s.Open(ctx); err != nil {
				t.Fatal(err)
			}
			for range reads {
				m, err := s.Next(ctx)
				if err != nil || m.Kind != MsgBatch {
					t.Fatalf("Next = %s, %v", traceOf(m), err)
				}
				m.Release()
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSortDescribe(t *testing.T) {
	s := NewSort(newScriptOp(t, nil, abSchema), []SortKey{{Column: 0, Desc: true, NullsFirst: true}, {Column: 1}}, memory.DefaultAllocator)
	if got, want := s.Describe(), "SortExec: a DESC NULLS FIRST, b NULLS LAST"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
}

// TestSortAppliesChangelog: over an updating input, retractions remove the
// rows they name and the final rows come out sorted, as inserts.
func TestSortAppliesChangelog(t *testing.T) {
	mem := newMem(t)
	in := newScriptOp(t, mem, abSchema,
		batchItem(row{int64(2), "b", int64(2)}, row{int64(1), "a", int64(1)}),
		item{kind: MsgBatch, rows: []row{{int64(1), "a", int64(1)}, {int64(1), "a", int64(5)}}, ops: []Op{OpUpdateBefore, OpUpdateAfter}},
		item{kind: MsgBatch, rows: []row{{int64(2), "b", int64(2)}, {int64(0), "c", int64(0)}, {int64(9), "z", int64(9)}}, ops: []Op{OpDelete, OpInsert, OpDelete}},
	)
	out := drain(t, NewSort(in, []SortKey{{Column: 0}}, mem))
	want := []row{{int64(0), "c", int64(0)}, {int64(1), "a", int64(5)}}
	if got := fmtRows(out.rows); got != fmtRows(want) {
		t.Errorf("rows = %s, want %s", got, fmtRows(want))
	}
	if len(out.ops) != 0 {
		t.Errorf("sorted output carries ops %v; want an append-only stream", out.ops)
	}
}
