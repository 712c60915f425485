package exec

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"

	"github.com/weirsql/weir/sqltypes"
)

// randSchema is the input of the randomized Top-N test: a partition key,
// three columns to order by (with NULLs, ties, NaN, -0 and strings that
// are prefixes of each other or hold zero bytes) and a row id.
var randSchema = schemaOf(field("k", sqltypes.Varchar), field("v", sqltypes.BigInt), field("f", sqltypes.Double),
	field("s", sqltypes.Varchar), field("id", sqltypes.BigInt))

func randRows(r *rand.Rand, n int) []row {
	floats := []float64{math.NaN(), math.Copysign(0, -1), 0, 1.5, -2, math.Inf(1), math.Inf(-1)}
	strs := []string{"", "a", "a\x00", "a\x00b", "ab", "b", "\x00", "zz"}
	pick := func(v any) any {
		if r.Intn(8) == 0 {
			return nil
		}
		return v
	}
	rows := make([]row, n)
	for i := range rows {
		rows[i] = row{pick(fmt.Sprintf("k%d", r.Intn(6))), pick(r.Intn(7) - 3), pick(floats[r.Intn(len(floats))]),
			pick(strs[r.Intn(len(strs))]), i}
	}
	return rows
}

// compareKeyValues orders two canonical values of one column as a sort key
// does, written independently of the byte encoding: NULLs first or last,
// NaN above every number, -0 equal to +0.
func compareKeyValues(a, b any, k SortKey) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		if k.NullsFirst {
			return -1
		}
		return 1
	case b == nil:
		if k.NullsFirst {
			return 1
		}
		return -1
	}
	var c int
	switch a := a.(type) {
	case int64:
		c = cmp.Compare(a, b.(int64))
	case string:
		c = strings.Compare(a, b.(string))
	case float64:
		fb := b.(float64)
		switch {
		case math.IsNaN(a) && math.IsNaN(fb):
			c = 0
		case math.IsNaN(a):
			c = 1
		case math.IsNaN(fb):
			c = -1
		default:
			c = cmp.Compare(a, fb)
		}
	}
	if k.Desc {
		c = -c
	}
	return c
}

// bruteTopN computes the table a TopN should hold after rows: each
// partition's rows sorted (stably: ties keep arrival order, or the later
// first for TopNKeepLast), the first N, with their ranks when asked.
func bruteTopN(rows []row, spec TopNSpec) []row {
	parts := map[string][]row{}
	var order []string
	for _, r := range rows {
		if spec.Mode == TopNKeepLast && r[spec.Order[0].Column] == nil {
			continue // no time: dropped
		}
		var key []any
		for _, c := range spec.Partition {
			key = append(key, r[c])
		}
		pk := fmt.Sprint(key)
		if _, ok := parts[pk]; !ok {
			order = append(order, pk)
		}
		parts[pk] = append(parts[pk], r)
	}
	var out []row
	for _, pk := range order {
		rs := slices.Clone(parts[pk])
		if spec.Mode == TopNKeepLast {
			slices.Reverse(rs)
		}
		slices.SortStableFunc(rs, func(a, b row) int {
			for _, k := range spec.Order {
				if c := compareKeyValues(a[k.Column], b[k.Column], k); c != 0 {
					return c
				}
			}
			return 0
		})
		for i, r := range rs[:min(int(spec.N), len(rs))] {
			if spec.RankOutput {
				r = append(slices.Clone(r), int64(i+1))
			}
			out = append(out, r)
		}
	}
	return out
}

// TestTopNRandom feeds random rows in random batches through random Top-N
// specs and, after every batch, compares the table the output changelog
// builds with the brute-force top N of the rows so far.
// Odd seeds spill every segment after every batch.
func TestTopNRandom(t *testing.T) {
	rounds := 60
	if testing.Short() {
		rounds = 15
	}
	var spillReads int64
	defer func() {
		if !t.Failed() && spillReads == 0 {
			t.Error("no spilled segment was ever read back")
		}
	}()
	for seed := 0; seed < rounds; seed++ {
		r := rand.New(rand.NewSource(int64(seed)))
		spec := TopNSpec{N: int64(1 + r.Intn(5)), RankOutput: r.Intn(2) == 0}
		switch r.Intn(3) {
		case 0:
			spec.Partition = []int{0}
		case 1:
			spec.Partition = []int{0, 1}
		}
		for _, c := range r.Perm(3)[:1+r.Intn(3)] {
			spec.Order = append(spec.Order, SortKey{Column: 1 + c, Desc: r.Intn(2) == 0, NullsFirst: r.Intn(2) == 0})
		}
		if r.Intn(4) == 0 {
			spec.Mode, spec.N = TopNKeepLast, 1
		}
		fields := slices.Clone(randSchema.Fields())
		if spec.RankOutput {
			fields = append(fields, field("rn", sqltypes.BigInt))
		}
		spec.Schema = arrow.NewSchema(fields, nil)
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			mem := newMem(t)
			rows := randRows(r, 50+r.Intn(400))
			var items []item
			var ends []int // rows fed before each sync watermark
			for at := 0; at < len(rows); {
				n := min(1+r.Intn(40), len(rows)-at)
				items = append(items, batchItem(rows[at:at+n]...), wmItem(int64(len(ends))))
				at += n
				ends = append(ends, at)
			}
			op := NewTopN(newScriptOp(t, mem, randSchema, items...), spec, mem)
			if seed%2 == 1 { // spill every segment after every batch
				op.SetSpill(1, func() (SpillStore, error) { return newMemSpill(), nil }, []byte("t/"))
			}
			ctx := context.Background()
			if err := op.Open(ctx); err != nil {
				t.Fatal(err)
			}
			defer op.Close()
			var out output
			for {
				m, err := op.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if m.Kind == MsgEnd {
					break
				}
				out.record(t, spec.Schema, m)
				if m.Kind == MsgWatermark {
					fed := rows[:ends[m.Watermark]]
					got := applyOps(t, out)
					want := bruteTopN(canonRows(t, randSchema, fed), spec)
					assertRowSet(t, spec.Schema, got, want)
					if int(op.StateRows()) != len(want) {
						t.Fatalf("StateRows %d, want %d", op.StateRows(), len(want))
					}
				}
			}
			if seed%2 == 1 {
				if op.StateRows() > 0 && op.SpillStats().Runs == 0 {
					t.Fatal("nothing spilled")
				}
				spillReads += op.SpillReads()
			}
		})
	}
}

// TestOrderKeyEncoding checks, for every key type and direction, that the
// encoded keys compare as the values do.
func TestOrderKeyEncoding(t *testing.T) {
	mem := newMem(t)
	r := rand.New(rand.NewSource(1))
	dec := &arrow.Decimal128Type{Precision: 20, Scale: 2}
	type col struct {
		typ arrow.DataType
		gen func() any
		cmp func(a, b any) int
	}
	ints := func(lo, hi int64) func() any { return func() any { return lo + r.Int63n(hi-lo+1) } }
	cols := []col{
		{arrow.PrimitiveTypes.Int8, ints(-128, 127), nil},
		{arrow.PrimitiveTypes.Int16, ints(-300, 300), nil},
		{arrow.PrimitiveTypes.Int32, ints(math.MinInt32, math.MaxInt32), nil},
		{arrow.PrimitiveTypes.Int64, func() any { return int64(r.Uint64()) }, nil},
		{arrow.PrimitiveTypes.Date32, ints(-1000, 1000), nil},
		{sqltypes.Timestamp, ints(-5, 5), nil},
		{sqltypes.Interval, ints(-1e12, 1e12), nil},
		{arrow.FixedWidthTypes.Boolean, func() any { return r.Intn(2) == 0 }, func(a, b any) int {
			return cmp.Compare(boolInt(a.(bool)), boolInt(b.(bool)))
		}},
		{arrow.PrimitiveTypes.Float32, func() any {
			return []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0, -1.5, 2.25, float32(math.Inf(-1))}[r.Intn(6)]
		}, func(a, b any) int {
			return compareKeyValues(float64(a.(float32)), float64(b.(float32)), SortKey{})
		}},
		{arrow.PrimitiveTypes.Float64, func() any { return (r.Float64() - 0.5) * math.Pow(10, float64(r.Intn(40)-20)) }, nil},
		{dec, func() any { return decimal128.FromI64(r.Int63n(2e6) - 1e6).Mul(decimal128.FromI64(r.Int63n(1e6))) },
			func(a, b any) int { return a.(decimal128.Num).Cmp(b.(decimal128.Num)) }},
		{sqltypes.Varchar, func() any {
			b := make([]byte, r.Intn(4))
			for i := range b {
				b[i] = []byte{0, 1, 'a', 0xFF}[r.Intn(4)]
			}
			return string(b)
		}, nil},
	}
	for _, c := range cols {
		const n = 200
		vals := make([]any, n)
		b := array.NewBuilder(mem, c.typ)
		for i := range vals {
			if r.Intn(10) == 0 {
				b.AppendNull()
				continue
			}
			v := c.gen()
			vals[i] = v
			switch b := b.(type) {
			case *array.Int8Builder:
				b.Append(int8(v.(int64)))
			case *array.Int16Builder:
				b.Append(int16(v.(int64)))
			case *array.Int32Builder:
				b.Append(int32(v.(int64)))
			case *array.Int64Builder:
				b.Append(v.(int64))
			case *array.Date32Builder:
				b.Append(arrow.Date32(v.(int64)))
			case *array.TimestampBuilder:
				b.Append(arrow.Timestamp(v.(int64)))
			case *array.DurationBuilder:
				b.Append(arrow.Duration(v.(int64)))
			case *array.BooleanBuilder:
				b.Append(v.(bool))
			case *array.Float32Builder:
				b.Append(v.(float32))
			case *array.Float64Builder:
				b.Append(v.(float64))
			case *array.Decimal128Builder:
				b.Append(v.(decimal128.Num))
			case *array.StringBuilder:
				b.Append(v.(string))
			}
		}
		arr := b.NewArray()
		b.Release()
		// A slice, so that array offsets are exercised too.
		sliced := array.NewSlice(arr, 3, n)
		arr.Release()
		vals = vals[3:]
		rec := array.NewRecord(schemaOf(field("x", c.typ)), []arrow.Array{sliced}, int64(len(vals)))
		sliced.Release()
		cmpv := c.cmp
		if cmpv == nil {
			cmpv = func(a, b any) int { return compareKeyValues(a, b, SortKey{}) }
		}
		for _, k := range []SortKey{{}, {Desc: true}, {NullsFirst: true}, {Desc: true, NullsFirst: true}} {
			var keys orderKeys
			if err := encodeOrderKeys(rec, []SortKey{k}, &keys); err != nil {
				t.Fatal(err)
			}
			for i := range vals {
				for j := range vals {
					want := 0
					switch {
					case vals[i] == nil || vals[j] == nil:
						want = compareKeyValues(vals[i], vals[j], k)
					default:
						want = cmpv(vals[i], vals[j])
						if k.Desc {
							want = -want
						}
					}
					if got := bytes.Compare(keys.key(i), keys.key(j)); got != want {
						t.Fatalf("%s %+v: %v vs %v: keys compare %d, want %d", c.typ, k, vals[i], vals[j], got, want)
					}
				}
			}
		}
		rec.Release()
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
