package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// spillRun runs script in a fresh session with a state memory budget
// (-1: none) and state options (nil: none), and returns what it printed
// on standard output and standard error and the most memory its state
// held.
func spillRun(t testing.TB, script string, budget int64, so *StateOptions) (out, stderr string, peak int64) {
	t.Helper()
	var o, e bytes.Buffer
	s := NewSession(Options{Stdout: &o, Stderr: &e, StateMemory: budget, State: so})
	if err := s.ExecScript(context.Background(), filepath.Join(t.TempDir(), "q.sql"), script); err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), s.peakState
}

// spillState is a state directory checkpointed every 50 ms when durable,
// else nil.
func spillState(t *testing.T, durable bool) *StateOptions {
	if !durable {
		return nil
	}
	return &StateOptions{Store: openStore(t, t.TempDir()), Interval: 50 * time.Millisecond}
}

// sortedLines splits output into lines and sorts them.
func sortedLines(out string) []string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	sort.Strings(lines)
	return lines
}

// spillReported reads the "spilled N run(s), M MB" report from standard
// error; ok is false when there is none.
func spillReported(stderr string) (runs int, mb float64, ok bool) {
	i := strings.Index(stderr, "spilled ")
	if i < 0 {
		return 0, 0, false
	}
	_, err := fmt.Sscanf(stderr[i:], "spilled %d run(s), %f MB", &runs, &mb)
	return runs, mb, err == nil
}

// mustSpill is spillReported failing the test when nothing was reported.
func mustSpill(t testing.TB, stderr, what string) (runs int, mb float64) {
	t.Helper()
	runs, mb, ok := spillReported(stderr)
	if !ok {
		t.Fatalf("%s: no spill reported\n%s", what, stderr)
	}
	return runs, mb
}

// benchSpill runs script, which reads events events into a blackhole
// sink, once per budget (-1: none), and reports events/s, the MB spilled
// and the state's peak in memory.
func benchSpill(b *testing.B, script string, events int, budgets []int64) {
	for _, budget := range budgets {
		name := "no-budget"
		switch {
		case budget > 0 && budget%(1<<20) == 0:
			name = fmt.Sprintf("budget-%dMB", budget>>20)
		case budget > 0:
			name = fmt.Sprintf("budget-%dKB", budget>>10)
		}
		b.Run(name, func(b *testing.B) {
			var spilledMB, stateMB float64
			for i := 0; i < b.N; i++ {
				var errOut bytes.Buffer
				s := NewSession(Options{Stdout: io.Discard, Stderr: &errOut, StateMemory: budget})
				if err := s.ExecScript(context.Background(), filepath.Join(b.TempDir(), "q.sql"), script); err != nil {
					b.Fatal(err)
				}
				_, mb, _ := spillReported(errOut.String())
				spilledMB += mb
				stateMB += float64(s.peakState) / (1 << 20)
			}
			b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(spilledMB/float64(b.N), "spilled-MB")
			b.ReportMetric(stateMB/float64(b.N), "state-MB")
		})
	}
}

// q20Join is Nexmark q20's regular join (every bid and every auction of
// category 10 is kept) over events events, into sink: "" prints the rows,
// else a CREATE SINK ... AS with the sink's WITH options.
func q20Join(events int, sink string) string {
	q := fmt.Sprintf(`
CREATE SOURCE auction (id BIGINT, item_name VARCHAR, description VARCHAR, initial_bid BIGINT, reserve BIGINT,
  date_time TIMESTAMP(3), expires TIMESTAMP(3), seller BIGINT, category BIGINT, extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'auction', 'events' = '%[1]d');
CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '%[1]d');
`, events)
	if sink != "" {
		q += "CREATE SINK out WITH (" + sink + ") AS\n"
	}
	return q + `SELECT auction, bidder, price, url, B.extra AS bid_extra, item_name, seller, category
FROM bid AS B INNER JOIN auction AS A ON B.auction = A.id
WHERE A.category = 10;`
}
