package engine

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/weirsql/weir/state"
)

// BenchmarkCheckpointOverhead runs a windowed count over 20M generated bids
// (Nexmark q5-like: per auction and 10 s window) without state, and with
// checkpoints every 10 s and every second, into the exactly-once file sink.
//
//	go test ./engine -run NONE -bench CheckpointOverhead -benchtime 3x
func BenchmarkCheckpointOverhead(b *testing.B) {
	const events = 20_000_000
	script := fmt.Sprintf(`
CREATE SOURCE bids (auction BIGINT, price BIGINT, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '%d');
CREATE SINK out WITH ('connector' = 'file', 'path' = 'out.csv', 'format' = 'csv') AS
SELECT auction, TUMBLE_START(date_time, INTERVAL '10' SECOND) AS w, COUNT(*) AS n, MAX(price) AS top
FROM bids GROUP BY auction, TUMBLE(date_time, INTERVAL '10' SECOND);`, events)
	for _, interval := range []time.Duration{0, 10 * time.Second, time.Second} {
		name := "no-state"
		if interval > 0 {
			name = "every-" + interval.String()
		}
		b.Run(name, func(b *testing.B) {
			var checkpoints int
			for i := 0; i < b.N; i++ {
				dir := b.TempDir()
				var so *StateOptions
				if interval > 0 {
					st, err := state.Open(filepath.Join(dir, "state"))
					if err != nil {
						b.Fatal(err)
					}
					so = &StateOptions{Store: st, Interval: interval}
				}
				s := NewSession(Options{Stdout: io.Discard, Stderr: io.Discard, State: so})
				if err := s.ExecScript(context.Background(), filepath.Join(dir, "q.sql"), script); err != nil {
					b.Fatal(err)
				}
				if so != nil {
					checkpoints += int(s.lastCheckpoint.ID)
					so.Store.Close()
				}
			}
			b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(checkpoints)/float64(b.N), "checkpoints/run")
		})
	}
}

// BenchmarkSpill runs a windowed aggregation over 5M bids whose window
// holds ~1.8M groups, with no memory budget and with budgets far below the
// state, and reports events/s and the bytes spilled.
//
//	go test ./engine -run NONE -bench Spill -benchtime 2x
func BenchmarkSpill(b *testing.B) {
	const events = 5_000_000
	script := fmt.Sprintf(`
CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '%d');
CREATE SINK out WITH ('connector' = 'blackhole') AS
SELECT bidder, auction, COUNT(*) AS n, MAX(price) AS top
FROM bids GROUP BY bidder, auction, TUMBLE(date_time, INTERVAL '1' HOUR);`, events)
	benchSpill(b, script, events, []int64{-1, 32 << 20, 7 << 20})
}

// BenchmarkSpillJoin runs Nexmark q20's regular join (every bid and
// auction is kept) over 1M events with no memory budget and with budgets
// far below the stored rows, and reports events/s, the bytes spilled and
// the state's peak in memory.
//
//	go test ./engine -run NONE -bench SpillJoin -benchtime 2x
func BenchmarkSpillJoin(b *testing.B) {
	const events = 1_000_000
	benchSpill(b, q20Join(events, "'connector' = 'blackhole'"), events, []int64{-1, 64 << 20, 24 << 20})
}
