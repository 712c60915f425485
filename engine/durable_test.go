package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weirsql/weir/state"
)

const durableScript = `
CREATE SOURCE bids (auction BIGINT, price BIGINT, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '200000');
SELECT auction, TUMBLE_START(date_time, INTERVAL '10' SECOND) AS w, COUNT(*) AS n
FROM bids GROUP BY auction, TUMBLE(date_time, INTERVAL '10' SECOND) HAVING COUNT(*) > 500;
SELECT COUNT(*) AS total FROM bids;
`

func runScript(t *testing.T, script string, so *StateOptions) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	s := NewSession(Options{Stdout: &out, Stderr: &errOut, BatchSize: 1000, State: so})
	err := s.ExecScript(context.Background(), filepath.Join(t.TempDir(), "q.sql"), script)
	return out.String(), errOut.String(), err
}

func openStore(t *testing.T, dir string) *state.Store {
	t.Helper()
	st, err := state.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestDurableStdout: with state, stdout prints the same rows as without;
// a run stopped at its first checkpoint and resumed prints them too, with
// one header per query; a finished script leaves no checkpoint behind.
func TestDurableStdout(t *testing.T) {
	want, _, err := runScript(t, durableScript, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(want, "\n") < 10 {
		t.Fatalf("too little output:\n%s", want)
	}
	st := openStore(t, t.TempDir())
	got, _, err := runScript(t, durableScript, &StateOptions{Store: st, Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("with state:\n%s\nwant:\n%s", got, want)
	}
	if m, _, err := st.Load("q1"); err != nil || m != nil {
		t.Fatalf("a finished script left checkpoint %v (%v)", m, err)
	}

	// Stop at once: the first query checkpoints before reading and stops.
	stop := make(chan struct{})
	close(stop)
	first, stderr, err := runScript(t, durableScript, &StateOptions{Store: st, Interval: time.Hour, Stop: stop})
	if !errors.Is(err, ErrStopped) || !strings.Contains(stderr, "stopped after checkpoint 1") {
		t.Fatalf("stopped run: %v\n%s", err, stderr)
	}
	rest, stderr, err := runScript(t, durableScript, &StateOptions{Store: st, Interval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "resuming from checkpoint 1") {
		t.Errorf("resumed run's notes:\n%s", stderr)
	}
	if first+rest != want {
		t.Fatalf("stopped then resumed:\n%s\n+\n%s\nwant:\n%s", first, rest, want)
	}
}

// TestDurableMismatch: a changed query does not resume another's state.
func TestDurableMismatch(t *testing.T) {
	st := openStore(t, t.TempDir())
	stop := make(chan struct{})
	close(stop)
	if _, _, err := runScript(t, durableScript, &StateOptions{Store: st, Stop: stop}); !errors.Is(err, ErrStopped) {
		t.Fatal(err)
	}
	changed := strings.Replace(durableScript, "COUNT(*) > 500", "COUNT(*) > 600", 1)
	_, _, err := runScript(t, changed, &StateOptions{Store: st})
	if !errors.Is(err, ErrStateMismatch) || !strings.Contains(err.Error(), "different query") {
		t.Fatalf("changed query: %v", err)
	}
}

// TestDurableAtLeastOnce: stdout at-least-once prints at once, without
// waiting for a checkpoint.
func TestDurableAtLeastOnce(t *testing.T) {
	want, _, err := runScript(t, durableScript, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := openStore(t, t.TempDir())
	got, _, err := runScript(t, durableScript, &StateOptions{Store: st, Interval: time.Hour, Stdout: AtLeastOnce})
	if err != nil || got != want {
		t.Fatalf("at-least-once: %v\n%s", err, got)
	}
}

// TestSpillTenTimesBudget: a query whose window state is many times its
// memory budget spills to disk and gives the same rows as one without a
// budget, with state and without.
func TestSpillTenTimesBudget(t *testing.T) {
	script := `
CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '400000');
SELECT bidder, auction, TUMBLE_START(date_time, INTERVAL '20' SECOND) AS w, COUNT(*) AS n, MAX(price) AS top, AVG(price) AS mean
FROM bids GROUP BY bidder, auction, TUMBLE(date_time, INTERVAL '20' SECOND);`
	run := func(budget int64, so *StateOptions) ([]string, string) {
		out, stderr, _ := spillRun(t, script, budget, so)
		return sortedLines(out), stderr
	}
	want, _ := run(-1, nil)
	if len(want) < 50_000 {
		t.Fatalf("only %d groups", len(want))
	}
	const budget = 256 << 10
	for _, durable := range []bool{false, true} {
		var so *StateOptions
		if durable {
			so = &StateOptions{Store: openStore(t, t.TempDir()), Interval: 20 * time.Millisecond}
		}
		got, stderr := run(budget, so)
		_, mb := mustSpill(t, stderr, fmt.Sprintf("durable=%v", durable))
		if mb*(1<<20) < 10*budget {
			t.Errorf("spilled %.1f MB, less than ten times the %d KB budget", mb, budget>>10)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("durable=%v: %d rows with a %d KB budget, %d without, or other values", durable, len(got), budget>>10, len(want))
		}
		if durable {
			// Every window has closed and the script has ended: the spilled
			// runs and the checkpoints are gone, and once Badger has
			// compacted, the directory is back near its floor.
			dir := so.Store.Dir()
			if err := so.Store.Flatten(); err != nil {
				t.Fatal(err)
			}
			used, err := state.DiskUsage(dir)
			if err != nil {
				t.Fatal(err)
			}
			if used > 1<<20 {
				t.Errorf("%d bytes on disk after the query, having spilled %.1f MB", used, mb)
			}
			t.Logf("spilled %.1f MB; %.2f MB on disk after the query", mb, float64(used)/(1<<20))

		}
	}
}

// TestSpillGroupByTenTimesBudget: an unwindowed GROUP BY whose groups take
// more than ten times its memory budget spills them, reads them back as
// batches update them, and prints the same changelog, row for row, as a
// run without a budget, with state and without.
func TestSpillGroupByTenTimesBudget(t *testing.T) {
	script := `
CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '400000');
SELECT bidder, auction, COUNT(*) AS n, MAX(price) AS top, AVG(price) AS mean
FROM bids GROUP BY bidder, auction;`
	const budget = 256 << 10
	run := func(budget int64, so *StateOptions) (string, string, int64) { return spillRun(t, script, budget, so) }
	want, _, peak := run(-1, nil)
	if peak < 10*budget {
		t.Fatalf("the groups took %d KB in memory, less than ten times the %d KB budget", peak>>10, budget>>10)
	}
	if n := strings.Count(want, "\n+U,"); n < 5_000 {
		t.Fatalf("only %d updates", n)
	}
	for _, durable := range []bool{false, true} {
		var so *StateOptions
		if durable {
			so = &StateOptions{Store: openStore(t, t.TempDir()), Interval: 20 * time.Millisecond}
		}
		got, stderr, peak := run(budget, so)
		mustSpill(t, stderr, fmt.Sprintf("durable=%v", durable))
		if peak > 4*budget {
			t.Errorf("durable=%v: the groups took %d KB in memory with a %d KB budget", durable, peak>>10, budget>>10)
		}
		if got != want {
			a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
			t.Fatalf("durable=%v: %d lines with a %d KB budget, %d without, or other values", durable, len(b), budget>>10, len(a))
		}
	}
}

// BenchmarkSpillGroupBy is BenchmarkSpill's query without the window: an
// unwindowed GROUP BY whose groups are read back from disk as batches
// update them.
func BenchmarkSpillGroupBy(b *testing.B) {
	const events = 1_000_000
	script := fmt.Sprintf(`
CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '%d');
CREATE SINK out WITH ('connector' = 'blackhole') AS
SELECT bidder, auction, COUNT(*) AS n, MAX(price) AS top
FROM bids GROUP BY bidder, auction;`, events)
	benchSpill(b, script, events, []int64{-1, 8 << 20, 1700 << 10})
}

// TestSpillJoinBudget: a regular join (Nexmark q20's) whose stored rows
// take many times its memory budget spills them, reads back those its
// matches need, and prints the same rows as a run without a budget, with
// state and without. What stays in memory is the key index and about 40
// bytes per stored row.
func TestSpillJoinBudget(t *testing.T) {
	script := q20Join(120_000, "")
	run := func(budget int64, so *StateOptions) ([]string, string, int64) {
		out, stderr, peak := spillRun(t, script, budget, so)
		return sortedLines(out), stderr, peak
	}
	want, _, peak := run(-1, nil)
	if len(want) < 1000 {
		t.Fatalf("only %d rows", len(want))
	}
	const budget = 1 << 20
	if peak < 10*budget {
		t.Fatalf("the join's state took %d KB, less than ten times the %d KB budget", peak>>10, budget>>10)
	}
	for _, durable := range []bool{false, true} {
		so := spillState(t, durable)
		got, stderr, spillPeak := run(budget, so)
		runs, mb := mustSpill(t, stderr, fmt.Sprintf("durable=%v", durable))
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("durable=%v: %d rows with a %d KB budget, %d without, or other values", durable, len(got), budget>>10, len(want))
		}
		if spillPeak*3 > peak {
			t.Errorf("durable=%v: the state held %d KB in memory with a %d KB budget, %d KB without one", durable, spillPeak>>10, budget>>10, peak>>10)
		}
		t.Logf("durable=%v: %d KB without a budget, %d KB with; spilled %.1f MB in %d records", durable, peak>>10, spillPeak>>10, mb, runs)
	}
}

// TestSpillTopNBudget: a Top-N (Nexmark q19's: the ten highest bids of
// each auction) whose retained rows take many times its memory budget
// spills them, reads back those its output needs, and prints the same
// changelog, row for row, as a run without a budget, with state and
// without.
func TestSpillTopNBudget(t *testing.T) {
	script := `
CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
  date_time TIMESTAMP(3), extra VARCHAR,
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '120000');
SELECT * FROM
(SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number FROM bid)
WHERE rank_number <= 10;`
	run := func(budget int64, so *StateOptions) (string, string, int64) { return spillRun(t, script, budget, so) }
	want, _, peak := run(-1, nil)
	if n := strings.Count(want, "\n"); n < 10_000 {
		t.Fatalf("only %d lines", n)
	}
	const budget = 256 << 10
	if peak < 10*budget {
		t.Fatalf("the top-n state took %d KB, less than ten times the %d KB budget", peak>>10, budget>>10)
	}
	for _, durable := range []bool{false, true} {
		so := spillState(t, durable)
		got, stderr, spillPeak := run(budget, so)
		runs, mb := mustSpill(t, stderr, fmt.Sprintf("durable=%v", durable))
		if got != want {
			t.Fatalf("durable=%v: the changelog differs with a %d KB budget", durable, budget>>10)
		}
		if spillPeak*3 > peak {
			t.Errorf("durable=%v: the state held %d KB in memory with a %d KB budget, %d KB without one", durable, spillPeak>>10, budget>>10, peak>>10)
		}
		t.Logf("durable=%v: %d KB without a budget, %d KB with; spilled %.1f MB in %d segments", durable, peak>>10, spillPeak>>10, mb, runs)
	}
}
