package nexmarktest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/weirsql/weir/engine"
	"github.com/weirsql/weir/examples/nexmark"
	"github.com/weirsql/weir/internal/slt"
)

// Sizes the queries run at: 'events' counts every Nexmark event (people,
// auctions and bids; 46 in 50 are bids).
const (
	shortEvents = 100_000
	fullEvents  = 1_000_000
)

// sampleLines is how many lines of output (the header included) a golden
// file keeps verbatim.
const sampleLines = 20

// TestNexmark runs every query file at each size, compares its output with
// the golden file and with the plain-Go computation of expect_test.go.
func TestNexmark(t *testing.T) {
	sizes := []int64{shortEvents}
	switch {
	case testing.Short():
		t.Logf("-short: %d events only", shortEvents)
	case raceEnabled:
		t.Logf("race detector on: %d events only (the %d-event goldens run in a plain go test)", shortEvents, fullEvents)
	default:
		sizes = append(sizes, fullEvents)
	}
	update := os.Getenv("WEIR_UPDATE") == "1"
	for _, q := range nexmark.Queries() {
		want, ok := expectations[q.Name]
		if !ok {
			t.Errorf("%s: no independent check in expect_test.go", q.Name)
			continue
		}
		for _, n := range sizes {
			t.Run(fmt.Sprintf("%s/%d", q.Name, n), func(t *testing.T) {
				t.Parallel()
				runQuery(t, q, want, n, update)
			})
		}
	}
}

// runQuery runs q over n events, streaming the CSV output through the
// golden capture and the independent check at once.
func runQuery(t *testing.T, q nexmark.Query, want expectation, n int64, update bool) {
	src, err := nexmark.WithEvents(q.SQL, n)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		sess := engine.NewSession(engine.Options{Stdout: pw, Stderr: &stderr, Format: "csv"})
		err := sess.ExecScript(context.Background(), filepath.Join("..", "..", "examples", "nexmark", q.File), src)
		pw.CloseWithError(err)
		done <- err
	}()
	capture := newCapture()
	chk := want.checker(n)
	rows, readErr := readCSV(io.TeeReader(pr, capture), want, chk)
	pr.CloseWithError(errors.New("reader stopped")) // unblocks the engine if reading failed
	runErr := <-done
	if readErr != nil {
		t.Fatalf("%s over %d events: reading the output: %v", q.Name, n, readErr)
	}
	if runErr != nil {
		t.Fatalf("%s over %d events: %v\nstderr: %s", q.Name, n, runErr, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("%s: unexpected notes on stderr: %s", q.Name, stderr.String())
	}
	got := golden{rows: rows, sha: capture.sum(), sample: capture.sample.String()}
	if c, ok := chk.(canonicalizer); ok {
		// The output depends on the wall clock or on how the inputs
		// interleave: the golden file keeps what does not.
		text, n, what := c.canonical()
		cc := newCapture()
		cc.Write([]byte(text))
		got = golden{rows: n, sha: cc.sum(), sample: cc.sample.String(), what: what}
	}
	path := goldenPath(q.Name, n)
	if update {
		if err := os.WriteFile(path, []byte(got.format(q.Name, n)), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if err := compareGolden(path, got); err != nil {
		t.Errorf("%s over %d events: %v", q.Name, n, err)
	}
	if err := chk.finish(); err != nil {
		t.Errorf("%s over %d events: the engine's output differs from the plain-Go computation: %v", q.Name, n, err)
	}
}

// canonicalizer is a checker whose query's output varies from run to run
// in ways that do not matter (the wall clock's windows, the order of a
// join's rows): canonical returns what the golden file keeps instead (with
// its number of rows, the header excluded, and a phrase saying what it is).
type canonicalizer interface {
	canonical() (text string, rows int64, what string)
}

// readCSV parses the output, checks the header, and feeds each row to chk;
// it returns the number of rows.
func readCSV(r io.Reader, want expectation, chk checker) (int64, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return 0, fmt.Errorf("reading the header: %w", err)
	}
	wantHeader := want.header
	if want.mode.updating() {
		wantHeader = append([]string{"op"}, wantHeader...)
	}
	if strings.Join(header, ",") != strings.Join(wantHeader, ",") {
		return 0, fmt.Errorf("header %q, want %q", strings.Join(header, ","), strings.Join(wantHeader, ","))
	}
	var rows int64
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows++
		if len(rec) != len(header) {
			return rows, fmt.Errorf("row %d has %d fields, want %d", rows, len(rec), len(header))
		}
		chk.row(rec)
	}
}

// capture hashes the output and keeps its first lines.
type capture struct {
	h      hash.Hash
	sample bytes.Buffer
	lines  int
}

func newCapture() *capture { return &capture{h: sha256.New()} }

func (c *capture) Write(p []byte) (int, error) {
	c.h.Write(p)
	for rest := p; c.lines < sampleLines && len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			c.sample.Write(rest)
			break
		}
		c.sample.Write(rest[:i+1])
		c.lines++
		rest = rest[i+1:]
	}
	return len(p), nil
}

func (c *capture) sum() string { return hex.EncodeToString(c.h.Sum(nil)) }

// golden is what a golden file records of an output.
type golden struct {
	rows   int64
	sha    string
	sample string
	// what the file records, when not the CSV output itself (for the
	// header comment only; parseGolden leaves it empty).
	what string
}

func goldenPath(name string, n int64) string {
	if n == fullEvents {
		return filepath.Join("testdata", name+".golden")
	}
	return filepath.Join("testdata", fmt.Sprintf("%s.%s.golden", name, sizeName(n)))
}

func sizeName(n int64) string {
	if n == shortEvents {
		return "short"
	}
	return strconv.FormatInt(n, 10)
}

func (g golden) format(name string, n int64) string {
	var b strings.Builder
	what := "the CSV output"
	if g.what != "" {
		what = g.what + ", from the output"
	}
	fmt.Fprintf(&b, "# Nexmark %s over %d events: %s of examples/nexmark/%s.sql with\n", name, n, what, name)
	fmt.Fprintf(&b, "# 'events' = '%d' (default seed and base time). Rewrite with\n", n)
	b.WriteString("# WEIR_UPDATE=1 go test ./internal/nexmarktest/\n")
	fmt.Fprintf(&b, "rows: %d\nsha256: %s\nfirst %d lines:\n%s", g.rows, g.sha, sampleLines, g.sample)
	return b.String()
}

func parseGolden(text string) (golden, error) {
	var g golden
	rest := text
	for rest != "" {
		line, after, _ := strings.Cut(rest, "\n")
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "rows: "):
			n, err := strconv.ParseInt(strings.TrimPrefix(line, "rows: "), 10, 64)
			if err != nil {
				return g, fmt.Errorf("bad rows line %q", line)
			}
			g.rows = n
		case strings.HasPrefix(line, "sha256: "):
			g.sha = strings.TrimPrefix(line, "sha256: ")
		case strings.HasPrefix(line, "first ") && strings.HasSuffix(line, " lines:"):
			g.sample = after
			return g, nil
		default:
			return g, fmt.Errorf("unexpected line %q", line)
		}
		rest = after
	}
	return g, errors.New("no sample lines")
}

func compareGolden(path string, got golden) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w (write it with WEIR_UPDATE=1 go test ./internal/nexmarktest/)", err)
	}
	want, err := parseGolden(string(text))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	got.what = ""
	if want == got {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "output differs from %s (rewrite it with WEIR_UPDATE=1 go test ./internal/nexmarktest/ if the change is intended)\n", path)
	if want.rows != got.rows {
		fmt.Fprintf(&b, "rows: %d, want %d\n", got.rows, want.rows)
	}
	if want.sha != got.sha {
		fmt.Fprintf(&b, "sha256: %s, want %s\n", got.sha, want.sha)
	}
	if want.sample != got.sample {
		fmt.Fprintf(&b, "first %d lines (- want, + got):\n%s", sampleLines, slt.Diff(want.sample, got.sample))
	} else {
		fmt.Fprintf(&b, "the first %d lines match; the difference is further on\n", sampleLines)
	}
	return errors.New(b.String())
}

func TestGoldenFormatRoundTrip(t *testing.T) {
	g := golden{rows: 2, sha: "ab12", sample: "a,b\n1,2\n3,4\n"}
	back, err := parseGolden(g.format("q9", 100))
	if err != nil {
		t.Fatal(err)
	}
	if back != g {
		t.Errorf("parse(format(g)) = %+v, want %+v", back, g)
	}
	if _, err := parseGolden("rows: x\n"); err == nil {
		t.Error("a bad rows line parsed")
	}
}

func TestCompareGoldenShowsDiff(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "q.golden")
	want := golden{rows: 2, sha: "aa", sample: "a\n1\n2\n"}
	if err := os.WriteFile(path, []byte(want.format("q", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := compareGolden(path, want); err != nil {
		t.Errorf("same output: %v", err)
	}
	err := compareGolden(path, golden{rows: 3, sha: "bb", sample: "a\n1\n5\n"})
	if err == nil {
		t.Fatal("a different output compared equal")
	}
	for _, s := range []string{"rows: 3, want 2", "sha256: bb, want aa", "- 2", "+ 5"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
}

func TestCaptureKeepsFirstLines(t *testing.T) {
	c := newCapture()
	var all strings.Builder
	for i := range 30 {
		fmt.Fprintf(&all, "line %d\n", i)
	}
	// Write in awkward pieces.
	s := all.String()
	for len(s) > 0 {
		k := min(7, len(s))
		c.Write([]byte(s[:k]))
		s = s[k:]
	}
	lines := strings.Split(strings.TrimSuffix(c.sample.String(), "\n"), "\n")
	if len(lines) != sampleLines || lines[0] != "line 0" || lines[sampleLines-1] != "line 19" {
		t.Errorf("sample = %q", c.sample.String())
	}
	h := sha256.Sum256([]byte(all.String()))
	if c.sum() != hex.EncodeToString(h[:]) {
		t.Error("hash of pieces differs from the hash of the whole")
	}
}
