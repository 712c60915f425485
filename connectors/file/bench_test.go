package file

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/connectors/file/benchdata"
)

func benchSource(b *testing.B, format string) {
	dir := b.TempDir()
	path := filepath.Join(dir, "bids."+format)
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	const rows = 200_000
	if err := benchdata.WriteBids(f, format, rows, 1); err != nil {
		b.Fatal(err)
	}
	f.Close()
	fi, _ := os.Stat(path)
	spec, _ := connectors.Lookup("file")
	opts, err := spec.Validate(map[string]string{"path": path, "format": format})
	if err != nil {
		b.Fatal(err)
	}
	mem := memory.NewGoAllocator()
	ctx := context.Background()
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src, err := spec.NewSource(connectors.SourceConfig{Name: "bids", Schema: benchdata.Schema(), Options: opts, BatchSize: 1024, Mem: mem})
		if err != nil {
			b.Fatal(err)
		}
		if err := src.Open(ctx); err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			batch, err := src.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if batch.Record != nil {
				n += int(batch.Record.NumRows())
				batch.Record.Release()
			}
		}
		src.Close()
		if n != rows {
			b.Fatalf("read %d rows", n)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkFileSourceJSON reads a JSON-lines file of bids through the source.
func BenchmarkFileSourceJSON(b *testing.B) { benchSource(b, "json") }

// BenchmarkFileSourceCSV reads a CSV file of bids through the source.
func BenchmarkFileSourceCSV(b *testing.B) { benchSource(b, "csv") }
