package agg

// Test helpers: random typed columns as Go values, building them as Arrow
// arrays, reading cells back, and a brute-force reference aggregate.

import (
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/zeebo/xxh3"

	"github.com/weirsql/weir/sqltypes"
)

// Go values of the test columns: bool, int32 (INT, DATE), int64 (BIGINT,
// TIMESTAMP, INTERVAL), float32, float64, decimal128.Num, string; nil for
// NULL.

// gen draws one value of a column; domain bounds how many distinct values
// it has (small domains make groups collide).
type gen struct {
	typ arrow.DataType
	val func(r *rand.Rand, domain int) any
}

var dec102 = sqltypes.Decimal(10, 2)

var gens = map[string]gen{
	"BIGINT": {sqltypes.BigInt, func(r *rand.Rand, d int) any {
		if r.Intn(50) == 0 {
			return []int64{math.MaxInt64, math.MinInt64, 1 << 62, -(1 << 62)}[r.Intn(4)]
		}
		return int64(r.Intn(d) - d/2)
	}},
	"INT": {sqltypes.Int, func(r *rand.Rand, d int) any { return int32(r.Intn(d) - d/3) }},
	"DOUBLE": {sqltypes.Double, func(r *rand.Rand, d int) any {
		switch r.Intn(12) {
		case 0:
			return math.NaN()
		case 1:
			return math.Copysign(0, -1)
		case 2:
			return 0.0
		}
		return float64(r.Intn(d)-d/2) / 4
	}},
	"FLOAT": {sqltypes.Float, func(r *rand.Rand, d int) any {
		switch r.Intn(12) {
		case 0:
			return float32(math.NaN())
		case 1:
			return float32(math.Copysign(0, -1))
		}
		return float32(r.Intn(d)-d/2) / 8
	}},
	"DECIMAL": {dec102, func(r *rand.Rand, d int) any {
		return decimal128.FromI64(int64(r.Intn(d)-d/2) * 37)
	}},
	"VARCHAR": {sqltypes.Varchar, func(r *rand.Rand, d int) any {
		n := r.Intn(d)
		if n == 0 {
			return ""
		}
		return strings.Repeat(string(rune('a'+n%7)), 1+n%5) + fmt.Sprint(n)
	}},
	"BOOLEAN":   {sqltypes.Boolean, func(r *rand.Rand, d int) any { return r.Intn(2) == 0 }},
	"TIMESTAMP": {sqltypes.Timestamp, func(r *rand.Rand, d int) any { return int64(1700000000000 + r.Intn(d)*1000) }},
	"DATE":      {sqltypes.Date, func(r *rand.Rand, d int) any { return int32(19000 + r.Intn(d)) }},
	"INTERVAL":  {sqltypes.Interval, func(r *rand.Rand, d int) any { return int64(r.Intn(d) * 60000) }},
}

var genNames = func() []string {
	var n []string
	for k := range gens {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}()

// buildArray builds an array of type typ from Go values. With pad > 0 the
// array is a slice starting pad rows into a longer one, to exercise offsets.
func buildArray(mem memory.Allocator, typ arrow.DataType, vals []any, pad int) arrow.Array {
	b := array.NewBuilder(mem, typ)
	defer b.Release()
	for i := 0; i < pad; i++ {
		b.AppendNull()
	}
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
			continue
		}
		switch b := b.(type) {
		case *array.BooleanBuilder:
			b.Append(v.(bool))
		case *array.Int32Builder:
			b.Append(v.(int32))
		case *array.Date32Builder:
			b.Append(arrow.Date32(v.(int32)))
		case *array.Int64Builder:
			b.Append(v.(int64))
		case *array.TimestampBuilder:
			b.Append(arrow.Timestamp(v.(int64)))
		case *array.DurationBuilder:
			b.Append(arrow.Duration(v.(int64)))
		case *array.Float32Builder:
			b.Append(v.(float32))
		case *array.Float64Builder:
			b.Append(v.(float64))
		case *array.Decimal128Builder:
			b.Append(v.(decimal128.Num))
		case *array.StringBuilder:
			b.Append(v.(string))
		default:
			panic(fmt.Sprintf("no builder for %T", b))
		}
	}
	a := b.NewArray()
	if pad == 0 {
		return a
	}
	defer a.Release()
	return array.NewSlice(a, int64(pad), int64(pad+len(vals)))
}

// cell reads row i of a as a Go value.
func cell(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Null:
		return nil
	case *array.Boolean:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Date32:
		return int32(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.Duration:
		return int64(a.Value(i))
	case *array.Float32:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.Decimal128:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	}
	panic(fmt.Sprintf("no cell for %T", a))
}

// canon is a value's identity as a key or DISTINCT value: -0 is 0, every
// NaN is one.
func canon(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case float64:
		if x == 0 {
			return "f:0"
		}
		if x != x {
			return "f:NaN"
		}
	case float32:
		if x == 0 {
			return "f:0"
		}
		if x != x {
			return "f:NaN"
		}
	}
	return fmt.Sprintf("%T:%v", v, v)
}

// sameValue compares a result with its expected value: floats within tol
// (relative to max(1, |want|)) with NaN equal to NaN, others exactly.
func sameValue(got, want any, tol float64) bool {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		if !ok {
			return false
		}
		if w != w || g != g {
			return w != w && g != g
		}
		if tol == 0 || g == w {
			return g == w && math.Signbit(g) == math.Signbit(w)
		}
		return math.Abs(g-w) <= tol*math.Max(1, math.Abs(w))
	case float32:
		g, ok := got.(float32)
		if !ok {
			return false
		}
		if w != w || g != g {
			return w != w && g != g
		}
		return g == w && math.Signbit(float64(g)) == math.Signbit(float64(w))
	}
	return got == want
}

// toFloat converts a numeric test value to float64.
func toFloat(v any, scale int32) float64 {
	switch x := v.(type) {
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case float32:
		return float64(x)
	case float64:
		return x
	case decimal128.Num:
		return x.ToFloat64(scale)
	}
	panic(fmt.Sprintf("not a number: %T", v))
}

// less orders values as MIN and MAX do (NaN above every number).
func less(a, b any) bool {
	switch x := a.(type) {
	case bool:
		return !x && b.(bool)
	case int32:
		return x < b.(int32)
	case int64:
		return x < b.(int64)
	case float32:
		y := b.(float32)
		return (x < y) || (x == x && y != y) || (x == 0 && y == 0 && math.Signbit(float64(x)) && !math.Signbit(float64(y)))
	case float64:
		y := b.(float64)
		return (x < y) || (x == x && y != y) || (x == 0 && y == 0 && math.Signbit(x) && !math.Signbit(y))
	case decimal128.Num:
		return x.Less(b.(decimal128.Num))
	case string:
		return x < b.(string)
	}
	panic(fmt.Sprintf("not comparable: %T", a))
}

// reference computes an aggregate over the values (non-NULL, passing the
// filter, in arrival order) of one group; a second result is the tolerance
// to compare with. DISTINCT is applied here.
func reference(s Spec, vals []any) (any, float64) {
	if s.Distinct && distinctMatters(s.Func) {
		seen := map[string]bool{}
		var d []any
		for _, v := range vals {
			if c := canon(v); !seen[c] {
				seen[c] = true
				d = append(d, v)
			}
		}
		vals = d
	}
	n := len(vals)
	scale := int32(0)
	if dt, ok := s.Arg.(*arrow.Decimal128Type); ok {
		scale = dt.Scale
	}
	switch s.Func {
	case Count, CountStar:
		return int64(n), 0
	case ApproxCountDistinct:
		seen := map[string]bool{}
		for _, v := range vals {
			seen[canon(v)] = true
		}
		return int64(len(seen)), 0
	}
	if n == 0 {
		return nil, 0
	}
	switch s.Func {
	case Sum:
		switch vals[0].(type) {
		case int32, int64:
			var sum int64
			for _, v := range vals {
				sum += int64(toFloatInt(v))
			}
			return sum, 0
		case float32, float64:
			var sum float64
			for _, v := range vals {
				sum += toFloat(v, 0)
			}
			return sum, 0
		case decimal128.Num:
			sum := new(big.Int)
			for _, v := range vals {
				sum.Add(sum, v.(decimal128.Num).BigInt())
			}
			return decimal128.FromBigInt(sum), 0
		}
	case Avg:
		switch vals[0].(type) {
		case int32, int64:
			sum := new(big.Int)
			for _, v := range vals {
				sum.Add(sum, big.NewInt(toFloatInt(v)))
			}
			f, _ := new(big.Float).Quo(new(big.Float).SetInt(sum), big.NewFloat(float64(n))).Float64()
			return f, 1e-12
		case float32, float64:
			var sum float64
			for _, v := range vals {
				sum += toFloat(v, 0)
			}
			return sum / float64(n), 0
		case decimal128.Num:
			out := max(scale, 6)
			sum := new(big.Int)
			for _, v := range vals {
				sum.Add(sum, v.(decimal128.Num).BigInt())
			}
			sum.Mul(sum, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(out-scale)), nil))
			q, r := new(big.Int).QuoRem(sum, big.NewInt(int64(n)), new(big.Int))
			if new(big.Int).Abs(new(big.Int).Mul(r, big.NewInt(2))).Cmp(big.NewInt(int64(n))) >= 0 {
				q.Add(q, big.NewInt(int64(sum.Sign())))
			}
			return decimal128.FromBigInt(q), 0
		}
	case Min, Max:
		best := vals[0]
		for _, v := range vals[1:] {
			if (s.Func == Min && less(v, best)) || (s.Func == Max && less(best, v)) {
				best = v
			}
		}
		return best, 0
	case FirstValue:
		return vals[0], 0
	case LastValue:
		return vals[n-1], 0
	case VarPop, VarSamp, StddevPop, StddevSamp:
		samp := s.Func == VarSamp || s.Func == StddevSamp
		if samp && n == 1 {
			return nil, 0
		}
		var mean, maxAbs float64
		for _, v := range vals {
			mean += toFloat(v, scale)
			maxAbs = math.Max(maxAbs, math.Abs(toFloat(v, scale)))
		}
		mean /= float64(n)
		var m2 float64
		for _, v := range vals {
			d := toFloat(v, scale) - mean
			m2 += d * d
		}
		d := float64(n)
		if samp {
			d--
		}
		tol := 1e-9 * math.Max(1, maxAbs*maxAbs)
		if s.Func == StddevPop || s.Func == StddevSamp {
			return math.Sqrt(m2 / d), math.Sqrt(tol)
		}
		return m2 / d, tol
	}
	panic(fmt.Sprintf("no reference for %s", s))
}

func toFloatInt(v any) int64 {
	switch x := v.(type) {
	case int32:
		return int64(x)
	case int64:
		return x
	}
	panic(fmt.Sprintf("not an integer: %T", v))
}

// releaseAll releases arrays.
func releaseAll(arrs ...[]arrow.Array) {
	for _, as := range arrs {
		for _, a := range as {
			if a != nil {
				a.Release()
			}
		}
	}
}

// checkedMem returns a checked allocator that the test asserts empty at
// its end.
func checkedMem(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

func xxh3Hash(s string) uint64 { return xxh3.HashString(s) }
