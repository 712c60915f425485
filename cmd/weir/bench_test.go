package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestBenchNexmarkJSON(t *testing.T) {
	code, out, errOut := run(t, "", "bench", "nexmark", "--query", "q2,15,Q17", "--events", "20000", "--json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var got []nexmarkResult
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r nexmarkResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		got = append(got, r)
	}
	// 20,000 events hold 18,400 bids; the generator is deterministic.
	want := []struct {
		query   string
		rowsOut int64
		keys    int64
	}{
		{"q2", 79, 0},       // bids on every 123rd auction (as `weir run` prints)
		{"q15", 9, 1},       // one day: +I, then -U/+U after each of the 4 later batches
		{"q17", 1845, 1201}, // 1,201 auctions, updated after each batch
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d: %s", len(got), len(want), out)
	}
	for i, w := range want {
		r := got[i]
		if r.Query != w.query || r.Events != 20000 || r.RowsOut != w.rowsOut {
			t.Errorf("result %d = %+v, want query %s, 20000 events, %d rows out", i, r, w.query, w.rowsOut)
		}
		if r.StateKeys != w.keys {
			t.Errorf("%s: state keys %d, want %d", r.Query, r.StateKeys, w.keys)
		}
		if r.Seconds <= 0 || r.CPUSeconds <= 0 || r.EventsPerSec <= 0 || r.EventsPerCoreSec <= 0 || r.PeakHeapBytes <= 0 {
			t.Errorf("%s: measurements missing: %+v", r.Query, r)
		}
	}
}

// TestBenchNexmarkJoins runs joins: two sources of one stream (q3, q20),
// whose events count once, and q13's lookup join, whose side table is
// written out of the binary (no data/ folder where the test runs).
func TestBenchNexmarkJoins(t *testing.T) {
	code, out, errOut := run(t, "", "bench", "nexmark", "--query", "q3,q13,q20", "--events", "20000", "--json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var got []nexmarkResult
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r nexmarkResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		got = append(got, r)
	}
	// 20,000 events hold 400 people, 1,200 auctions and 18,400 bids; the
	// row counts are those `weir run` prints.
	want := []struct {
		query     string
		rowsOut   int64
		tableRows int64
	}{
		{"q3", 128, 0},        // category-10 auctions of sellers in or, id, ca
		{"q13", 18400, 10000}, // every bid, with its side-input value
		{"q20", 2659, 0},      // bids on category-10 auctions
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d: %s", len(got), len(want), out)
	}
	for i, w := range want {
		r := got[i]
		if r.Query != w.query || r.Events != 20000 || r.RowsOut != w.rowsOut || r.TableRows != w.tableRows {
			t.Errorf("result %d = %+v, want query %s, 20000 events, %d rows out, %d table rows", i, r, w.query, w.rowsOut, w.tableRows)
		}
		if r.EventsPerSec <= 0 || r.PeakHeapBytes <= 0 {
			t.Errorf("%s: measurements missing: %+v", r.Query, r)
		}
	}
	if got[2].StateBytes <= 0 {
		t.Errorf("q20: join state not reported: %+v", got[2])
	}
}

func TestBenchNexmarkText(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	procs := runtime.GOMAXPROCS(0)
	code, out, errOut := run(t, "", "bench", "nexmark", "--query", "q0", "--events", "5000", "--cores", "1",
		"--cpuprofile", cpu, "--memprofile", mem)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	if runtime.GOMAXPROCS(0) != procs {
		t.Errorf("GOMAXPROCS left at %d, want %d restored", runtime.GOMAXPROCS(0), procs)
	}
	for _, s := range []string{
		"Nexmark, 5000 events per query",
		"Events count the whole stream",
		"events/s/core",
		"GOMAXPROCS 1,",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	var row string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "q0 ") {
			row = line
		}
	}
	// 5,000 events: 4,600 bids, each passed through.
	if f := strings.Fields(row); len(f) < 3 || f[1] != "5000" || f[2] != "4600" {
		t.Errorf("q0 line = %q, want 5000 events and 4600 rows out", row)
	}
	for _, p := range []string{cpu, mem} {
		if info, err := os.Stat(p); err != nil || info.Size() == 0 {
			t.Errorf("profile %s not written (%v)", p, err)
		}
	}
}

func TestBenchUsageErrors(t *testing.T) {
	cases := []struct {
		args   []string
		stderr string
	}{
		{[]string{"bench"}, "say what to measure"},
		{[]string{"bench", "nexmarks"}, "say what to measure"},
		{[]string{"bench", "nexmark", "--query", "q10"}, "q10 is not supported yet: it needs a filesystem sink"},
		{[]string{"bench", "nexmark", "--query", "q99"}, `unknown query "q99"`},
		{[]string{"bench", "nexmark", "--query", ","}, "--query names no query"},
		{[]string{"bench", "nexmark", "--events", "0"}, "--events must be positive"},
		{[]string{"bench", "nexmark", "--size-mb", "1"}, "--size-mb applies to `weir bench files` only"},
		{[]string{"bench", "files", "--query", "q1"}, "--query applies to `weir bench nexmark` only"},
		{[]string{"bench", "nexmark", "--cores", "-1"}, "--cores must be at least 1"},
	}
	for _, tc := range cases {
		code, _, errOut := run(t, "", tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.stderr) {
			t.Errorf("%v: exit %d, stderr %q, want exit %d and %q", tc.args, code, errOut, exitUsage, tc.stderr)
		}
	}
}

func TestBenchFilesStillRuns(t *testing.T) {
	code, out, errOut := run(t, "", "bench", "files", "--size-mb", "1", "--dir", t.TempDir(), "--json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var n int
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r benchResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if r.Rows <= 0 || r.MB <= 0 {
			t.Errorf("result %+v measured nothing", r)
		}
		n++
	}
	if n != 2*len(benchQueries) {
		t.Errorf("%d results, want %d", n, 2*len(benchQueries))
	}
}
