package expr

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/sqltypes"
)

// testNow is CURRENT_TIMESTAMP in tests.
var testNow = time.Date(2024, 3, 15, 10, 30, 45, 123e6, time.UTC)

// newMem returns a checked allocator that fails the test on a leak.
func newMem(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

func testCtx(mem memory.Allocator) *Context { return &Context{Mem: mem, Now: testNow} }

// col is a test column: Go values (nil for NULL) of an Arrow type.
type col struct {
	name string
	typ  arrow.DataType
	vals []any
}

func c(name string, typ arrow.DataType, vals ...any) col { return col{name, typ, vals} }

// buildArray makes an array from Go values: bool, int/int32/int64,
// float32/float64, strings for VARCHAR, DECIMAL ("12.50"), TIMESTAMP and
// DATE text; int64 milliseconds for INTERVAL; nil for NULL.
func buildArray(t testing.TB, mem memory.Allocator, typ arrow.DataType, vals []any) arrow.Array {
	t.Helper()
	b := array.NewBuilder(mem, typ)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
			continue
		}
		switch b := b.(type) {
		case *array.BooleanBuilder:
			b.Append(v.(bool))
		case *array.Int32Builder:
			b.Append(int32(toInt(v)))
		case *array.Int64Builder:
			b.Append(toInt(v))
		case *array.Float32Builder:
			b.Append(float32(toFloat(v)))
		case *array.Float64Builder:
			b.Append(toFloat(v))
		case *array.StringBuilder:
			b.Append(v.(string))
		case *array.Decimal128Builder:
			d := typ.(*arrow.Decimal128Type)
			n, ok := parseDecimal(v.(string), d.Precision, d.Scale)
			if !ok {
				t.Fatalf("bad decimal %q", v)
			}
			b.Append(n)
		case *array.TimestampBuilder:
			ms, err := sqltypes.ParseTimestamp(v.(string))
			if err != nil {
				t.Fatal(err)
			}
			b.Append(arrow.Timestamp(ms))
		case *array.Date32Builder:
			d, err := sqltypes.ParseDate(v.(string))
			if err != nil {
				t.Fatal(err)
			}
			b.Append(arrow.Date32(d))
		case *array.DurationBuilder:
			b.Append(arrow.Duration(toInt(v)))
		case *array.NullBuilder:
			b.AppendNull()
		default:
			t.Fatalf("no builder for %s", typ)
		}
	}
	return b.NewArray()
}

func toInt(v any) int64 {
	switch v := v.(type) {
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case int64:
		return v
	}
	panic(fmt.Sprintf("not an int: %T", v))
}

func toFloat(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case float32:
		return float64(v)
	case int:
		return float64(v)
	}
	panic(fmt.Sprintf("not a float: %T", v))
}

// record builds a batch from columns of equal length.
func record(t testing.TB, mem memory.Allocator, cols ...col) arrow.Record {
	t.Helper()
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	n := 1
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: true}
		arrs[i] = buildArray(t, mem, c.typ, c.vals)
		n = len(c.vals)
	}
	if len(cols) == 0 {
		n = 1
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// goValue converts row i of arr back to the Go form buildArray takes.
func goValue(arr arrow.Array, i int) any {
	if arr.IsNull(i) || arr.DataType().ID() == arrow.NULL {
		return nil
	}
	switch a := arr.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Float32:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Decimal128:
		return string(appendDecimal(nil, a.Value(i), a.DataType().(*arrow.Decimal128Type).Scale))
	case *array.Timestamp:
		return sqltypes.FormatTimestamp(int64(a.Value(i)))
	case *array.Date32:
		return string(sqltypes.AppendDate(nil, int32(a.Value(i))))
	case *array.Duration:
		return int64(a.Value(i))
	}
	panic(fmt.Sprintf("no Go value for %s", arr.DataType()))
}

func goValues(arr arrow.Array) []any {
	out := make([]any, arr.Len())
	for i := range out {
		out[i] = goValue(arr, i)
	}
	return out
}

// eval evaluates e over rec and returns the Go values of the result.
func eval(t testing.TB, mem memory.Allocator, e Expr, rec arrow.Record) ([]any, error) {
	t.Helper()
	arr, err := e.Eval(testCtx(mem), rec)
	if err != nil {
		return nil, err
	}
	defer arr.Release()
	if arr.Len() != int(rec.NumRows()) {
		t.Fatalf("%s: %d rows for a batch of %d", e, arr.Len(), rec.NumRows())
	}
	if !arrow.TypeEqual(arr.DataType(), e.DataType()) {
		t.Fatalf("%s: result is %s, DataType() says %s", e, arr.DataType(), e.DataType())
	}
	return goValues(arr), nil
}

// evalOne evaluates e over a one-row batch without columns.
func evalOne(t testing.TB, e Expr) (any, error) {
	t.Helper()
	mem := newMem(t)
	rec := record(t, mem)
	defer rec.Release()
	vals, err := eval(t, mem, e, rec)
	if err != nil {
		return nil, err
	}
	return vals[0], nil
}

// equalValue compares result values, treating NaN as equal to NaN.
func equalValue(a, b any) bool {
	if fa, ok := a.(float64); ok {
		if fb, ok := b.(float64); ok && math.IsNaN(fa) && math.IsNaN(fb) {
			return true
		}
	}
	if fa, ok := a.(float32); ok {
		if fb, ok := b.(float32); ok && math.IsNaN(float64(fa)) && math.IsNaN(float64(fb)) {
			return true
		}
	}
	return reflect.DeepEqual(a, b)
}

// lit makes a literal from a Go value of the given type (nil: NULL).
func lit(t testing.TB, typ arrow.DataType, v any) Expr {
	t.Helper()
	if v == nil {
		return NewLiteral(scalar.MakeNullScalar(typ))
	}
	mem := memory.NewGoAllocator()
	arr := buildArray(t, mem, typ, []any{v})
	defer arr.Release()
	return NewLiteral(scalarAt(arr, 0))
}

// must unwraps a constructor result; a constructor error panics the test.
func must(e Expr, err error) Expr {
	if err != nil {
		panic(err)
	}
	return e
}

// wantErr checks that err's text contains want.
func wantErr(t testing.TB, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q, want %q", err, want)
	}
}

func dec(p, s int32) arrow.DataType { return sqltypes.Decimal(p, s) }

func asEvalError(err error, target **EvalError) bool { return errors.As(err, target) }

func timeOfDays(d int64) time.Time { return time.Unix(d*86400, 0).UTC() }
