package kafka

import (
	"context"
	"errors"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/weirsql/weir/connectors"
	"github.com/weirsql/weir/connectors/format"
	"github.com/weirsql/weir/connectors/nexmark"
	"github.com/weirsql/weir/sqltypes"
)

// nexmarkBidSchema is the Nexmark bid table.
var nexmarkBidSchema = arrow.NewSchema([]arrow.Field{
	field("auction", sqltypes.BigInt), field("bidder", sqltypes.BigInt), field("price", sqltypes.BigInt),
	field("channel", sqltypes.Varchar), field("url", sqltypes.Varchar), field("date_time", sqltypes.Timestamp),
	field("extra", sqltypes.Varchar),
}, nil)

// produceBids writes about n Nexmark bids as JSON to topic, spread over
// partitions round robin, and returns how many and their bytes.
func produceBids(tb testing.TB, addr, topic string, partitions int32, n int64) (int64, int64) {
	tb.Helper()
	mem := memory.NewGoAllocator()
	opts, err := nexmark.Spec.Validate(map[string]string{"nexmark.table": "bid", "events": itoa(n * 50 / 46)})
	if err != nil {
		tb.Fatal(err)
	}
	src, err := nexmark.Spec.NewSource(connectors.SourceConfig{Name: "bid", Schema: nexmarkBidSchema, Options: opts, BatchSize: 4096, Mem: mem})
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	ctx := context.Background()
	if err := src.Open(ctx); err != nil {
		tb.Fatal(err)
	}
	enc, err := format.NewMessageEncoder("json", nexmarkBidSchema, 0)
	if err != nil {
		tb.Fatal(err)
	}
	cl := client(tb, addr, kgo.ProducerLinger(5*time.Millisecond))
	var count, size int64
	for {
		b, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		if b.Record == nil {
			continue
		}
		if err := enc.Encode(b.Record); err != nil {
			tb.Fatal(err)
		}
		for i := 0; i < int(b.Record.NumRows()); i++ {
			v := enc.Row(i)
			cl.Produce(ctx, &kgo.Record{Topic: topic, Partition: int32(count % int64(partitions)), Value: v}, func(_ *kgo.Record, err error) {
				if err != nil {
					tb.Error(err)
				}
			})
			count++
			size += int64(len(v))
		}
		b.Record.Release()
	}
	if err := cl.Flush(ctx); err != nil {
		tb.Fatal(err)
	}
	return count, size
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSourceJSON reads a topic of 4 partitions holding 200,000
// Nexmark bids as JSON (about 200 bytes each) from a kfake broker over
// loopback TCP, decoding every column into Arrow batches of 4096 rows. The
// broker runs in the same process, so the CPU time per core counts its
// work too.
func BenchmarkSourceJSON(b *testing.B) {
	_, addr := cluster(b, kfake.SeedTopics(4, "bids"))
	n, size := produceBids(b, addr, "bids", 4, 200_000)
	mem := memory.NewGoAllocator()
	cfg := sourceConfig(mem, nexmarkBidSchema, addr, "topic", "bids", "format", "json", "scan.bounded.mode", "latest-offset")
	cfg.BatchSize = 4096
	ctx := context.Background()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		s, err := newSource(cfg, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Open(ctx); err != nil {
			b.Fatal(err)
		}
		var rows int64
		for {
			sb, err := s.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if sb.Record != nil {
				rows += sb.Record.NumRows()
				sb.Record.Release()
			}
		}
		if rows != n {
			b.Fatalf("read %d rows, want %d", rows, n)
		}
		s.Close()
	}
	cpu := (cpuTime() - cpu0).Seconds()
	wall := b.Elapsed().Seconds()
	b.ReportMetric(float64(n*int64(b.N))/wall, "records/s")
	b.ReportMetric(float64(n*int64(b.N))/cpu, "records/cpu-s")
	b.ReportMetric(float64(size*int64(b.N))/wall/1e6, "MB/s")
}
