package format

import (
	"bytes"
	"io"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors/file/benchdata"
)

const benchRows = 100_000

func benchDecode(b *testing.B, format string, proj []int) {
	var buf bytes.Buffer
	if err := benchdata.WriteBids(&buf, format, benchRows, 1); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	opts := DecoderOptions{File: "bench", Schema: benchdata.Schema(), Projection: proj, BatchSize: 1024, Mem: memory.NewGoAllocator()}
	dec, err := NewDecoder(format, bytes.NewReader(data), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	rows := 0
	for i := 0; i < b.N; i++ {
		if i > 0 {
			if err := dec.Reset(bytes.NewReader(data), "bench"); err != nil {
				b.Fatal(err)
			}
		}
		for {
			rec, err := dec.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows += int(rec.NumRows())
			rec.Release()
		}
	}
	if rows != benchRows*b.N {
		b.Fatalf("decoded %d rows, want %d", rows, benchRows*b.N)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkDecodeJSON decodes every column of bid rows.
func BenchmarkDecodeJSON(b *testing.B) { benchDecode(b, "json", nil) }

// BenchmarkDecodeCSV decodes every column of bid rows.
func BenchmarkDecodeCSV(b *testing.B) { benchDecode(b, "csv", nil) }

// BenchmarkDecodeJSONProjection decodes 2 of the 7 columns.
func BenchmarkDecodeJSONProjection(b *testing.B) { benchDecode(b, "json", []int{0, 5}) }

// BenchmarkDecodeCSVProjection decodes 2 of the 7 columns.
func BenchmarkDecodeCSVProjection(b *testing.B) { benchDecode(b, "csv", []int{0, 5}) }

func benchEncode(b *testing.B, format string) {
	var buf bytes.Buffer
	if err := benchdata.WriteBids(&buf, "json", 10_000, 1); err != nil {
		b.Fatal(err)
	}
	mem := memory.NewGoAllocator()
	dec, err := NewJSONDecoder(&buf, DecoderOptions{Schema: benchdata.Schema(), BatchSize: 1024, Mem: mem})
	if err != nil {
		b.Fatal(err)
	}
	var recs []arrow.Record
	for {
		rec, err := dec.Next()
		if err == io.EOF {
			break
		}
		recs = append(recs, rec)
	}
	var out countingWriter
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		enc, _ := NewEncoder(format, &out, benchdata.Schema(), EncoderOptions{})
		for _, r := range recs {
			if err := enc.Write(r, nil); err != nil {
				b.Fatal(err)
			}
		}
		enc.Close()
	}
	b.SetBytes(out.n / int64(b.N))
	b.ReportMetric(float64(10_000*b.N)/b.Elapsed().Seconds(), "rows/s")
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// BenchmarkEncodeCSV prints bid rows as CSV.
func BenchmarkEncodeCSV(b *testing.B) { benchEncode(b, "csv") }

// BenchmarkEncodeJSON prints bid rows as JSON lines.
func BenchmarkEncodeJSON(b *testing.B) { benchEncode(b, "json") }
