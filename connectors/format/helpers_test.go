package format

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

// allTypes is a schema with a column of every Weir type.
func allTypes() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "b", Type: sqltypes.Boolean, Nullable: true},
		{Name: "i", Type: sqltypes.Int, Nullable: true},
		{Name: "l", Type: sqltypes.BigInt, Nullable: true},
		{Name: "f", Type: sqltypes.Float, Nullable: true},
		{Name: "d", Type: sqltypes.Double, Nullable: true},
		{Name: "dec", Type: sqltypes.Decimal(10, 2), Nullable: true},
		{Name: "s", Type: sqltypes.Varchar, Nullable: true},
		{Name: "ts", Type: sqltypes.Timestamp, Nullable: true},
		{Name: "dt", Type: sqltypes.Date, Nullable: true},
		{Name: "iv", Type: sqltypes.Interval, Nullable: true},
	}, nil)
}

// dec parses a decimal literal for tests.
func dec(t testing.TB, s string, prec, scale int32) decimal128.Num {
	n, ok, fits := parseDecimal([]byte(s), prec, scale)
	if !ok || !fits {
		t.Fatalf("bad test decimal %q", s)
	}
	return n
}

// ts parses a timestamp for tests.
func ts(t testing.TB, s string) int64 {
	ms, err := sqltypes.ParseTimestamp(s)
	if err != nil {
		t.Fatalf("bad test timestamp %q", s)
	}
	return ms
}

// buildRecord makes a record of rows; nil is NULL. Values: bool, int32,
// int64 (BIGINT, TIMESTAMP and INTERVAL in ms), float32, float64,
// decimal128.Num, string, int32 days for DATE.
func buildRecord(t testing.TB, mem memory.Allocator, schema *arrow.Schema, rows [][]any) arrow.Record {
	t.Helper()
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, row := range rows {
		if len(row) != schema.NumFields() {
			t.Fatalf("row %v has %d values", row, len(row))
		}
		for c, v := range row {
			fb := b.Field(c)
			if v == nil {
				fb.AppendNull()
				continue
			}
			switch fb := fb.(type) {
			case *array.BooleanBuilder:
				fb.Append(v.(bool))
			case *array.Int32Builder:
				fb.Append(v.(int32))
			case *array.Int64Builder:
				fb.Append(v.(int64))
			case *array.Float32Builder:
				fb.Append(v.(float32))
			case *array.Float64Builder:
				fb.Append(v.(float64))
			case *array.Decimal128Builder:
				fb.Append(v.(decimal128.Num))
			case *array.StringBuilder:
				fb.Append(v.(string))
			case *array.TimestampBuilder:
				fb.Append(arrow.Timestamp(v.(int64)))
			case *array.Date32Builder:
				fb.Append(arrow.Date32(v.(int32)))
			case *array.DurationBuilder:
				fb.Append(arrow.Duration(v.(int64)))
			default:
				t.Fatalf("no test builder for %T", fb)
			}
		}
	}
	return b.NewRecord()
}

// encode runs an encoder over recs and returns its output.
func encode(t testing.TB, format string, schema *arrow.Schema, opts EncoderOptions, recs []arrow.Record, ops []*array.Int8) string {
	t.Helper()
	var buf bytes.Buffer
	enc, err := NewEncoder(format, &buf, schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range recs {
		var o *array.Int8
		if ops != nil {
			o = ops[i]
		}
		if err := enc.Write(rec, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// decodeAll reads every record of dec, skipping bad ones, and returns the
// rows as one record (nil for none), the batch sizes and the errors.
func decodeAll(t testing.TB, mem memory.Allocator, dec Decoder) (arrow.Record, []int, []*RecordError) {
	t.Helper()
	var recs []arrow.Record
	var sizes []int
	var bad []*RecordError
	for {
		rec, err := dec.Next()
		if err == io.EOF {
			break
		}
		var re *RecordError
		if errors.As(err, &re) {
			bad = append(bad, re)
			continue
		}
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		recs = append(recs, rec)
		sizes = append(sizes, int(rec.NumRows()))
	}
	if len(recs) == 0 {
		return nil, nil, bad
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	cols := make([]arrow.Array, dec.Schema().NumFields())
	for c := range cols {
		parts := make([]arrow.Array, len(recs))
		for i, r := range recs {
			parts[i] = r.Column(c)
		}
		a, err := array.Concatenate(parts, mem)
		if err != nil {
			t.Fatal(err)
		}
		cols[c] = a
	}
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	out := array.NewRecord(dec.Schema(), cols, n)
	for _, a := range cols {
		a.Release()
	}
	return out, sizes, bad
}

// sameRecords reports whether a and b hold equal values (NaN equal to NaN).
func sameRecords(a, b arrow.Record) bool {
	if a == nil || b == nil {
		return a == b
	}
	return array.RecordApproxEqual(a, b, array.WithNaNsEqual(true), array.WithAbsTolerance(0))
}

// show renders a record as CSV for failure messages.
func show(t testing.TB, rec arrow.Record) string {
	if rec == nil {
		return "<nil>"
	}
	return encode(t, "csv", rec.Schema(), EncoderOptions{}, []arrow.Record{rec}, nil)
}

var nan, inf = math.NaN(), math.Inf(1)

func lines(s ...string) string { return strings.Join(s, "\n") + "\n" }
