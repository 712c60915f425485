package format

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

// roundTripRows holds every type with NULLs, empty strings, awkward
// strings, negative decimals, timestamps with and without milliseconds and
// NaN and infinities.
func roundTripRows(t testing.TB) [][]any {
	return [][]any{
		{true, int32(1), int64(1), float32(1.5), 0.1, dec(t, "12.50", 10, 2), "plain",
			ts(t, "2024-01-02 03:04:05"), int32(19724), int64(93784005)},
		{nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{false, int32(math.MinInt32), int64(math.MinInt64), float32(math.NaN()), inf, dec(t, "-0.05", 10, 2), "",
			ts(t, "2024-01-02 03:04:05.123"), int32(-1), int64(-1)},
		{true, int32(math.MaxInt32), int64(math.MaxInt64), float32(math.Inf(-1)), math.Inf(-1), dec(t, "-99999999.99", 10, 2),
			`he said "hi", then left`, int64(-1), int32(0), int64(0)},
		{false, int32(0), int64(0), float32(math.MaxFloat32), nan, dec(t, "99999999.99", 10, 2),
			"line1\nline2\r\nline3\r", ts(t, "1969-12-31 23:59:59"), int32(2932896), int64(-86_400_000 * 3)},
		{nil, int32(-7), nil, float32(1e-7), 1e300, dec(t, "0", 10, 2), "héllo 世界 😀 \u2028", int64(0), nil, int64(999)},
		{true, nil, int64(42), float32(-0.25), 5e-324, dec(t, "1", 10, 2), " lead and trail ", ts(t, "2262-04-11 23:47:16.854"), int32(1), nil},
		{false, int32(3), int64(-3), float32(3), math.Copysign(0, -1), nil, "tab\there,comma\x01ctl\\back/slash", nil, int32(-719162), int64(1)},
		{nil, nil, nil, nil, nil, nil, `"`, nil, nil, nil},
		{nil, nil, nil, nil, nil, nil, `""`, nil, nil, nil},
		{nil, nil, nil, nil, nil, nil, `,`, nil, nil, nil},
		{nil, nil, nil, nil, nil, nil, "NULL", nil, nil, nil},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, format := range Formats {
		for _, batchSize := range []int{1, 3, 1024} {
			for _, oneByte := range []bool{false, true} {
				name := fmt.Sprintf("%s/batch=%d/onebyte=%v", format, batchSize, oneByte)
				t.Run(name, func(t *testing.T) {
					mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
					defer mem.AssertSize(t, 0)
					schema := allTypes()
					rec := buildRecord(t, mem, schema, roundTripRows(t))
					defer rec.Release()
					text := encode(t, format, schema, EncoderOptions{}, []arrow.Record{rec}, nil)
					r := strings.NewReader(text)
					var in = any(r)
					if oneByte {
						in = iotest.OneByteReader(r)
					}
					dec, err := NewDecoder(format, in.(interface{ Read([]byte) (int, error) }), DecoderOptions{
						File: "rt." + format, Schema: schema, BatchSize: batchSize, Mem: mem,
					})
					if err != nil {
						t.Fatal(err)
					}
					got, sizes, bad := decodeAll(t, mem, dec)
					if got != nil {
						defer got.Release()
					}
					if len(bad) > 0 {
						t.Fatalf("bad records: %v\ninput:\n%s", bad, text)
					}
					if !sameRecords(rec, got) {
						t.Fatalf("round trip differs\ninput:\n%s\ngot:\n%s", text, show(t, got))
					}
					for i, n := range sizes {
						if n > batchSize || (i < len(sizes)-1 && n != batchSize) {
							t.Fatalf("batch sizes %v with BatchSize %d", sizes, batchSize)
						}
					}
				})
			}
		}
	}
}

// TestRoundTripDelimiter checks CSV with a delimiter that appears inside
// timestamps and intervals.
func TestRoundTripDelimiter(t *testing.T) {
	for _, delim := range []byte{';', ':', ' ', '\t', '|', '1'} {
		t.Run(fmt.Sprintf("%q", delim), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			schema := allTypes()
			rec := buildRecord(t, mem, schema, roundTripRows(t))
			defer rec.Release()
			text := encode(t, "csv", schema, EncoderOptions{Delimiter: delim}, []arrow.Record{rec}, nil)
			dec, err := NewCSVDecoder(strings.NewReader(text), DecoderOptions{Schema: schema, Mem: mem, Delimiter: delim})
			if err != nil {
				t.Fatal(err)
			}
			got, _, bad := decodeAll(t, mem, dec)
			if got != nil {
				defer got.Release()
			}
			if len(bad) > 0 || !sameRecords(rec, got) {
				t.Fatalf("round trip differs (bad %v)\ninput:\n%s\ngot:\n%s", bad, text, show(t, got))
			}
		})
	}
}

// TestRoundTripOneColumn checks that a NULL in a one-column CSV, an empty
// line, reads back as NULL.
func TestRoundTripOneColumn(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: sqltypes.Varchar, Nullable: true}}, nil)
	rec := buildRecord(t, mem, schema, [][]any{{"a"}, {nil}, {""}, {nil}})
	defer rec.Release()
	for _, noHeader := range []bool{false, true} {
		text := encode(t, "csv", schema, EncoderOptions{NoHeader: noHeader}, []arrow.Record{rec}, nil)
		dec, err := NewCSVDecoder(strings.NewReader(text), DecoderOptions{Schema: schema, Mem: mem, NoHeader: noHeader})
		if err != nil {
			t.Fatal(err)
		}
		got, _, bad := decodeAll(t, mem, dec)
		if len(bad) > 0 || !sameRecords(rec, got) {
			t.Errorf("round trip differs (bad %v)\ninput:\n%q\ngot:\n%s", bad, text, show(t, got))
		}
		if got != nil {
			got.Release()
		}
	}
}
