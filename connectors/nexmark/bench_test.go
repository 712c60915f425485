package nexmark

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// benchTable reads an unbounded table in batches of 4096 rows. An op is one
// event of the table (one row), so ns/op and allocs/op are per event;
// events/s counts rows, stream-events/s every event number the source
// passed (persons and auctions skipped by a bid source included).
func benchTable(b *testing.B, table string, cols ...string) {
	var proj []int
	if len(cols) > 0 {
		proj = project(b, table, cols...)
	}
	src := open(b, memory.DefaultAllocator, opts("nexmark.table", table), proj, 4096)
	defer src.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	rows := 0
	for rows < b.N {
		batch, err := src.Next(ctx)
		if err != nil {
			b.Fatal(err)
		}
		rows += int(batch.Record.NumRows())
		batch.Record.Release()
	}
	sec := time.Since(start).Seconds()
	tb := tables[table]
	perBlock := float64(tb.last - tb.first + 1)
	b.ReportMetric(float64(rows)/sec, "events/s")
	b.ReportMetric(float64(rows)*blockSize/perBlock/sec, "stream-events/s")
}

func BenchmarkBidAllColumns(b *testing.B) { benchTable(b, "bid") }

func BenchmarkBidProjected(b *testing.B) { benchTable(b, "bid", "auction", "price", "date_time") }

func BenchmarkPerson(b *testing.B) { benchTable(b, "person") }

func BenchmarkAuction(b *testing.B) { benchTable(b, "auction") }

// BenchmarkBidQ14 reads the columns Nexmark q14 reads.
func BenchmarkBidQ14(b *testing.B) {
	benchTable(b, "bid", "auction", "bidder", "price", "date_time", "extra")
}
