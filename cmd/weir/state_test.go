package main

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/weirsql/weir/internal/syncbuf"
)

var (
	weirBinOnceState sync.Once
	weirBinState     string
	weirBinErrState  error
)

// buildWeirBin builds the weir binary once per test run.
func buildWeirBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and runs real processes")
	}
	weirBinOnceState.Do(func() {
		dir, err := os.MkdirTemp("", "weir-bin")
		if err != nil {
			weirBinErrState = err
			return
		}
		weirBinState = filepath.Join(dir, "weir")
		out, err := exec.Command("go", "build", "-o", weirBinState, ".").CombinedOutput()
		if err != nil {
			weirBinErrState = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if weirBinErrState != nil {
		t.Fatal(weirBinErrState)
	}
	return weirBinState
}

// killQueries are the queries of TestKillRestart: each writes its result
// to out.csv through the exactly-once file sink. %d is the event count.
var killQueries = map[string]string{
	// A join of two sources: both scans take part in every checkpoint and
	// the join aligns their barriers. Where the barriers fall changes how
	// the two inputs interleave, so rows may come in another order: this
	// query's output is compared sorted.
	"interval-join": `
CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '%d');
CREATE SOURCE auctions (id BIGINT, seller BIGINT, category BIGINT, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'auction', 'events' = '%d');
CREATE SINK out WITH ('connector' = 'file', 'path' = 'out.csv', 'format' = 'csv') AS
SELECT B.auction, B.bidder, B.price, A.seller, A.category, B.date_time
FROM bids B JOIN auctions A
  ON B.auction = A.id AND B.date_time BETWEEN A.date_time AND A.date_time + INTERVAL '2' SECOND
WHERE B.bidder %% 100 = 0;
`,
	"tumble": `
CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '%d',
      'splits' = '3', 'out-of-order.fraction' = '0.05', 'out-of-order.delay' = '5s');
CREATE SINK out WITH ('connector' = 'file', 'path' = 'out.csv', 'format' = 'csv') AS
SELECT auction, TUMBLE_START(date_time, INTERVAL '10' SECOND) AS window_start,
       COUNT(*) AS bids, MAX(price) AS top, SUM(price) AS total, COUNT(DISTINCT bidder) AS bidders
FROM bids GROUP BY auction, TUMBLE(date_time, INTERVAL '10' SECOND);
`,
	"session": `
CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '%d');
CREATE SINK out WITH ('connector' = 'file', 'path' = 'out.csv', 'format' = 'csv') AS
SELECT bidder, SESSION_START(date_time, INTERVAL '2' SECOND) AS s, COUNT(*) AS bids, MIN(price) AS low
FROM bids WHERE bidder %% 7 = 0 GROUP BY bidder, SESSION(date_time, INTERVAL '2' SECOND);
`,
	"updating": `
CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, date_time TIMESTAMP(3))
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '%d');
CREATE SINK out WITH ('connector' = 'file', 'path' = 'out.csv', 'format' = 'csv') AS
SELECT channel, COUNT(*) AS bids, MAX(price) AS top FROM bids GROUP BY channel;
`,
	// OVER aggregation: frames and rows waiting for the watermark are
	// state; equal times keep their order of arrival, so the output is
	// the same row for row.
	"over": `
CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'events' = '%d');
CREATE SINK out WITH ('connector' = 'file', 'path' = 'out.csv', 'format' = 'csv') AS
SELECT auction, date_time, price,
  AVG(price) OVER (PARTITION BY auction ORDER BY date_time ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS avg10,
  MAX(price) OVER (PARTITION BY auction ORDER BY date_time ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS max10
FROM bids WHERE bidder %% 5 = 0;
`,
}

// TestKillRestart runs real weir processes over millions of generated
// events, SIGKILLs each at a random moment, restarts it with the same
// command, and at the end compares the committed output with an
// uninterrupted run's, row for row.
func TestKillRestart(t *testing.T) {
	bin := buildWeirBin(t)
	events := 3_000_000
	for name, q := range killQueries {
		t.Run(name, func(t *testing.T) {
			n := events
			if name == "updating" {
				n = events / 3 // a changelog row per batch and group
			}
			sql := fmt.Sprintf(q, n)
			if strings.Count(q, "%d") == 2 {
				sql = fmt.Sprintf(q, n, n)
			}
			sorted := strings.Contains(name, "join")
			norm := func(b []byte) []byte {
				if !sorted {
					return b
				}
				lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
				if len(lines) > 1 {
					sort.Strings(lines[1:])
				}
				return []byte(strings.Join(lines, "\n") + "\n")
			}
			// The answer: a run without state, and an uninterrupted run with
			// checkpoints, which must agree.
			wantDir := t.TempDir()
			os.WriteFile(filepath.Join(wantDir, "q.sql"), []byte(sql), 0o644)
			if out, err := exec.Command(bin, "run", "--no-state", filepath.Join(wantDir, "q.sql")).CombinedOutput(); err != nil {
				t.Fatalf("run without state: %v\n%s", err, out)
			}
			want, err := os.ReadFile(filepath.Join(wantDir, "out.csv"))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if out, err := exec.Command(bin, "run", "--checkpoint-interval", "50ms", filepath.Join(wantDir, "q.sql")).CombinedOutput(); err != nil {
				t.Fatalf("uninterrupted run: %v\n%s", err, out)
			}
			full := time.Since(start)
			if got, _ := os.ReadFile(filepath.Join(wantDir, "out.csv")); !bytes.Equal(norm(got), norm(want)) {
				t.Fatalf("with checkpoints the output differs from a run without:\n%s", firstDiff(want, got))
			}

			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "q.sql"), []byte(sql), 0o644)
			r := rand.New(rand.NewSource(int64(len(name))))
			kills, resumed := 0, 0
			for run := 0; ; run++ {
				if run > 40 {
					t.Fatal("the query never finished")
				}
				cmd := exec.Command(bin, "run", "--checkpoint-interval", "50ms", filepath.Join(dir, "q.sql"))
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				exited := make(chan error, 1)
				go func() { exited <- cmd.Wait() }()
				var err error
				killed := false
				if kills < 5 {
					select {
					case err = <-exited:
					case <-time.After(full/10 + time.Duration(r.Int63n(int64(full/2)))):
						cmd.Process.Signal(syscall.SIGKILL)
						err = <-exited
						killed = true
					}
				} else {
					err = <-exited
				}
				if strings.Contains(stderr.String(), "resuming from checkpoint") {
					resumed++
				}
				if killed {
					kills++
					// What is committed so far is a prefix of the answer.
					got, _ := os.ReadFile(filepath.Join(dir, "out.csv"))
					if !sorted && !bytes.HasPrefix(want, got) {
						t.Fatalf("after kill %d the committed output is not a prefix of the answer:\n%s", kills, firstDiff(want, got))
					}
					continue
				}
				if err != nil {
					t.Fatalf("run %d: %v\n%s", run, err, stderr.String())
				}
				break
			}
			got, err := os.ReadFile(filepath.Join(dir, "out.csv"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(norm(got), norm(want)) {
				t.Fatalf("after %d kills (%d resumed runs) the output differs from an uninterrupted run:\n%s", kills, resumed, firstDiff(want, got))
			}
			t.Logf("%d kills, %d runs resumed from a checkpoint, %d output bytes", kills, resumed, len(got))
			if resumed == 0 {
				t.Error("no run resumed from a checkpoint: the kills came too early or too late to test recovery")
			}
			if _, err := os.Stat(filepath.Join(dir, "out.csv.inprogress")); !os.IsNotExist(err) {
				t.Errorf("in-progress file left behind: %v", err)
			}
		})
	}
}

// firstDiff shows where two outputs part.
func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d: got %q, want %q (%d lines vs %d)", i+1, g, w, len(gl), len(wl))
		}
	}
	return "equal"
}

// endless is an unbounded paced query for the tests that stop or lock.
const endless = `
CREATE SOURCE bids (auction BIGINT, price BIGINT, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid', 'rate' = '20000', 'rate.pacing' = 'true');
CREATE SINK out WITH ('connector' = 'file', 'path' = 'out.csv', 'format' = 'csv') AS
SELECT auction, TUMBLE_START(date_time, INTERVAL '1' SECOND) AS w, COUNT(*) AS n
FROM bids GROUP BY auction, TUMBLE(date_time, INTERVAL '1' SECOND);
`

// startWeir starts `weir run` and waits until its stderr shows want.
func startWeir(t *testing.T, bin string, want string, args ...string) (*exec.Cmd, *syncbuf.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"run"}, args...)...)
	stderr := &syncbuf.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("weir never printed %q:\n%s", want, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, stderr
}

// TestGracefulStop: SIGTERM takes a last checkpoint and exits 0; the same
// command resumes from it, and the output has no duplicate window.
func TestGracefulStop(t *testing.T) {
	bin := buildWeirBin(t)
	dir := t.TempDir()
	q := filepath.Join(dir, "q.sql")
	os.WriteFile(q, []byte(endless), 0o644)
	cmd, stderr := startWeir(t, bin, "state in", "--checkpoint-interval", "1h", q)
	time.Sleep(2500 * time.Millisecond) // some windows close
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "stopped after checkpoint 1") {
		t.Fatalf("stderr after SIGTERM:\n%s", stderr.String())
	}
	first, _ := os.ReadFile(filepath.Join(dir, "out.csv"))
	if bytes.Count(first, []byte("\n")) < 2 {
		t.Fatalf("no window committed before the stop:\n%s", first)
	}
	cmd, stderr = startWeir(t, bin, "resuming from checkpoint 1", "--checkpoint-interval", "1h", q)
	time.Sleep(2500 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGINT: %v\n%s", err, stderr.String())
	}
	out, _ := os.ReadFile(filepath.Join(dir, "out.csv"))
	if !bytes.HasPrefix(out, first) || len(out) <= len(first) {
		t.Fatalf("the resumed run did not append to the output (%d bytes, then %d)", len(first), len(out))
	}
	seen := map[string]bool{}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if lines[0] != "auction,w,n" {
		t.Fatalf("header %q", lines[0])
	}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		key := f[0] + "," + f[1]
		if seen[key] || l == lines[0] {
			t.Fatalf("window %s emitted twice", key)
		}
		seen[key] = true
	}
}

// TestStateDirErrors: a locked, changed, damaged or uncreatable state
// directory stops weir with exit 2 and a message naming the directory and
// what to do.
func TestStateDirErrors(t *testing.T) {
	bin := buildWeirBin(t)
	dir := t.TempDir()
	q := filepath.Join(dir, "q.sql")
	os.WriteFile(q, []byte(endless), 0o644)
	state := filepath.Join(dir, "st")

	run := func(args ...string) (int, string) {
		cmd := exec.Command(bin, append([]string{"run"}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, stderr.String()
	}
	expect := func(what string, code int, stderr string, wants ...string) {
		t.Helper()
		if code != exitUsage {
			t.Errorf("%s: exit %d, want %d\n%s", what, code, exitUsage, stderr)
		}
		for _, w := range wants {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", what, w, stderr)
			}
		}
	}

	// Locked: another weir runs on the directory.
	cmd, _ := startWeir(t, bin, "state in", "--state-dir", state, "--checkpoint-interval", "100ms", q)
	code, stderr := run("--state-dir", state, q)
	expect("locked", code, stderr, state, "another weir", fmt.Sprintf("process %d", cmd.Process.Pid))
	time.Sleep(500 * time.Millisecond) // a checkpoint or more
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	// Changed: the query is edited between runs.
	os.WriteFile(q, []byte(strings.Replace(endless, "COUNT(*) AS n", "COUNT(*) AS n, MAX(price) AS top", 1)), 0o644)
	code, stderr = run("--state-dir", state, q)
	expect("changed query", code, stderr, state, "different query", "delete")

	// Damaged: the store's files are overwritten.
	entries, _ := os.ReadDir(state)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sst") || e.Name() == "MANIFEST" || strings.HasSuffix(e.Name(), ".vlog") {
			os.WriteFile(filepath.Join(state, e.Name()), bytes.Repeat([]byte{0x5a}, 4096), 0o644)
		}
	}
	code, stderr = run("--state-dir", state, q)
	expect("damaged", code, stderr, state, "delete it")

	// Not creatable: the path runs through a file.
	code, stderr = run("--state-dir", filepath.Join(q, "st"), q)
	expect("under a file", code, stderr, filepath.Join(q, "st"), "cannot be created")
}
