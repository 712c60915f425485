// Package slt runs Weir's golden query files, written in the sqllogictest
// style of DataFusion and RisingWave. A file groups one feature's DDL,
// queries and expected results:
//
//	# Records are separated by blank lines; '#' starts a comment line.
//	statement ok
//	CREATE SOURCE bids (auction BIGINT, price BIGINT)
//	WITH ('connector' = 'file', 'path' = '../data/bids.jsonl', 'format' = 'json')
//
//	query
//	SELECT auction, price FROM bids WHERE price > 100
//	----
//	auction,price
//	1,250
//
//	query rowsort
//	...                      rows (not the header) are sorted before comparing
//
//	query json               the result in another output format (json, table)
//
//	statement error
//	SELECT prce FROM bids
//	----
//	query.sql:1:8: unknown column "prce" in bids (did you mean "price"?)
//	  SELECT prce FROM bids
//	         ^
//
// The expected block of a query is exactly what `weir run --format csv`
// prints; anything the query wrote to standard error (skipped records)
// follows a line "-- stderr --". An error record expects the error as the
// CLI renders it, positions counted within the record's SQL, which is named
// query.sql. Relative paths in WITH clauses resolve against the file's
// folder; $TMPDIR in SQL names a fresh folder for the file's run (sinks
// write there). Update expectations with `weir test -update` or
// `WEIR_UPDATE=1 go test ./internal/slt/`.
//
// # Kafka
//
// A file that uses a kafka record or $KAFKA gets a Kafka broker of its own
// (franz-go's in-process kfake on a loopback port), started at the first
// such record and stopped when the file's run ends. $KAFKA in SQL is its
// address (for 'properties.bootstrap.servers'), and error output shows
// the address as $KAFKA again.
//
//	kafka produce users partitions 2
//	0|1|{"id":1,"name":"ann"}
//	@2024-01-01T00:00:05Z 1|2|{"id":2,"name":"bob"}
//	0||{"id":3,"name":"cy"}
//	0|1|NULL
//
// writes one record per line to topic users, creating it on first use
// with the given partitions (default 1; a later record naming a different
// count is an error). A line is [@TIMESTAMP ]PARTITION|KEY|VALUE: the
// partition number; the key, where an empty KEY is a null key (an empty
// key cannot be written); and the value, everything after the second '|'
// (it may hold '|'), where NULL is a null value (a tombstone). The record's
// timestamp is TIMESTAMP (epoch milliseconds or RFC 3339), else Now. The
// record ends at a blank line and has no ----; one without lines only
// creates the topic (a sink's topic must exist). Records are written in
// order and acknowledged before the next record of the file runs.
//
//	kafka consume out [rowsort]
//	----
//	0|{"k":1}|{"k":1,"n":2}
//	0|{"k":1}|NULL
//
// reads topic out with read_committed, from the earliest offsets to the
// last stable offsets of that moment, and compares its records, one line
// PARTITION|KEY|VALUE each (an empty KEY for a null key, NULL for a null
// value; no header), in partition then offset order, or sorted with
// rowsort. Headers and timestamps are not shown.
package slt

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/diag"
	"github.com/weirsql/weir/engine"
)

// Record is one statement or query of a golden file.
type Record struct {
	// Line is the 1-based line of the record's first line (the directive).
	Line int
	// Kind is "statement", "query" or "kafka".
	Kind string
	// Error marks records expected to fail.
	Error bool
	// RowSort sorts result rows (not the header) before comparing.
	RowSort bool
	// Format is the output format of a query ("csv", "json", "table").
	Format string
	// Directive is the record's first line as written.
	Directive string
	// SQL is a statement's or query's text (empty for kafka records).
	SQL string
	// Kafka is a kafka record's operation.
	Kafka *KafkaRecord
	// Expected is the text after ----; HasExpected says a ---- was present.
	Expected    string
	HasExpected bool
}

// ParseFile splits a golden file into records.
func ParseFile(path, text string) ([]*Record, error) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var recs []*Record
	for i := 0; i < len(lines); {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			i++
			continue
		}
		r := &Record{Line: i + 1, Directive: trimmed, Format: "csv"}
		f := strings.Fields(trimmed)
		switch f[0] {
		case "statement":
			r.Kind = "statement"
			if len(f) < 2 || (f[1] != "ok" && f[1] != "error") {
				return nil, fmt.Errorf("%s:%d: want 'statement ok' or 'statement error'", path, i+1)
			}
			r.Error = f[1] == "error"
		case "query":
			r.Kind = "query"
			for _, opt := range f[1:] {
				switch opt {
				case "rowsort":
					r.RowSort = true
				case "error":
					r.Error = true
				case "csv", "json", "table":
					r.Format = opt
				default:
					return nil, fmt.Errorf("%s:%d: unknown query option %q (rowsort, error, csv, json, table)", path, i+1, opt)
				}
			}
		case "kafka":
			r.Kind = "kafka"
			k, rowsort, err := parseKafkaDirective(path, i+1, f)
			if err != nil {
				return nil, err
			}
			r.Kafka, r.RowSort = k, rowsort
		default:
			return nil, fmt.Errorf("%s:%d: want a 'statement', 'query' or 'kafka' record, got %q", path, i+1, trimmed)
		}
		i++
		if r.Kind == "kafka" {
			// A produce record's body is its messages; a consume record
			// has none, only an expected block.
			for i < len(lines) && strings.TrimSpace(lines[i]) != "" && lines[i] != "----" {
				if r.Kafka.Op == "consume" {
					return nil, fmt.Errorf("%s:%d: kafka consume takes no lines before its ----", path, i+1)
				}
				m, err := parseMessage(path, i+1, lines[i])
				if err != nil {
					return nil, err
				}
				r.Kafka.Messages = append(r.Kafka.Messages, m)
				i++
			}
			if i < len(lines) && lines[i] == "----" {
				if r.Kafka.Op == "produce" {
					return nil, fmt.Errorf("%s:%d: kafka produce has no expected block (----)", path, i+1)
				}
				r.Expected, r.HasExpected = expectedBlock(lines, &i), true
			}
			recs = append(recs, r)
			continue
		}
		var sql []string
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" && lines[i] != "----" {
			sql = append(sql, lines[i])
			i++
		}
		r.SQL = strings.Join(sql, "\n")
		if r.SQL == "" {
			return nil, fmt.Errorf("%s:%d: record has no SQL", path, r.Line)
		}
		if i < len(lines) && lines[i] == "----" {
			r.Expected, r.HasExpected = expectedBlock(lines, &i), true
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// expectedBlock reads the expected block after the "----" at lines[*i],
// up to the next blank line, and moves *i past it.
func expectedBlock(lines []string, i *int) string {
	*i++
	var exp []string
	for *i < len(lines) && lines[*i] != "" {
		exp = append(exp, lines[*i])
		*i++
	}
	return strings.Join(exp, "\n")
}

// Failure is a record whose result differs from its expectation.
type Failure struct {
	Path   string
	Record *Record
	Got    string
	Diff   string
}

func (f *Failure) Error() string {
	return fmt.Sprintf("%s:%d: %s\n%s", f.Path, f.Record.Line, f.Record.Directive, f.Diff)
}

// Now is the fixed CURRENT_TIMESTAMP of golden runs, so results are stable.
// The processing-time clock (PROCTIME()) stands still at Now too: windows
// over processing time close only at the end of input.
var Now = time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)

// RunFile runs every record of a golden file in one session. With update,
// it rewrites the file with the actual results and reports no failures.
// mem, when non-nil, allocates every batch (tests pass a checked allocator).
func RunFile(ctx context.Context, path string, update bool, mem memory.Allocator) ([]*Failure, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read golden file: %w", err)
	}
	recs, err := ParseFile(path, string(data))
	if err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	sess := engine.NewSession(engine.Options{
		Stdout: &stdout, Stderr: &stderr, Format: "csv", Mem: mem,
		Now:   func() time.Time { return Now },
		Clock: func() time.Time { return Now },
	})
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	scriptName := filepath.Join(filepath.Dir(abs), "query.sql")
	tmp, err := os.MkdirTemp("", "weir-slt-")
	if err != nil {
		return nil, fmt.Errorf("golden temp folder: %w", err)
	}
	defer os.RemoveAll(tmp)
	// The file's Kafka broker starts when a record first needs it.
	var broker *kafkaBroker
	defer func() {
		if broker != nil {
			broker.Close()
		}
	}()
	var failures []*Failure
	for _, r := range recs {
		if broker == nil && (r.Kind == "kafka" || strings.Contains(r.SQL, KafkaVar)) {
			if broker, err = startKafka(); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, r.Line, err)
			}
		}
		if r.Kind == "kafka" {
			if f := runKafka(ctx, path, r, broker, update); f != nil {
				failures = append(failures, f)
			}
			continue
		}
		stdout.Reset()
		stderr.Reset()
		sess.SetFormat(r.Format)
		sql := strings.ReplaceAll(r.SQL, "$TMPDIR", tmp)
		if broker != nil {
			sql = strings.ReplaceAll(sql, KafkaVar, broker.addr)
		}
		err := sess.ExecScript(ctx, scriptName, sql)
		got := render(r, stdout.String(), stderr.String(), err, sql)
		got = strings.ReplaceAll(got, tmp, "$TMPDIR")
		if broker != nil {
			got = strings.ReplaceAll(got, broker.addr, KafkaVar)
		}
		// Paths print relative to the golden file, so expectations do not
		// depend on where the repository is checked out.
		got = strings.ReplaceAll(got, filepath.Dir(abs)+string(filepath.Separator), "")
		if !r.Error && err != nil {
			failures = append(failures, &Failure{Path: path, Record: r, Got: got,
				Diff: "unexpected error:\n" + indent(got)})
			continue
		}
		if r.Error && err == nil {
			failures = append(failures, &Failure{Path: path, Record: r, Got: got,
				Diff: "expected an error, but the statement succeeded"})
			continue
		}
		if update {
			if got != "" && strings.Contains("\n"+got+"\n", "\n\n") {
				return nil, fmt.Errorf("%s:%d: the output has a blank line, which would end the record; it cannot be stored", path, r.Line)
			}
			r.Expected, r.HasExpected = got, got != "" || r.Kind == "query"
			continue
		}
		if r.Kind == "statement" && !r.Error && !r.HasExpected {
			continue
		}
		want := r.Expected
		if r.RowSort {
			want = sortRows(want)
		}
		if got != want {
			failures = append(failures, &Failure{Path: path, Record: r, Got: got, Diff: Diff(want, got)})
		}
	}
	if update {
		if err := os.WriteFile(path, []byte(Format(string(data), recs)), 0o644); err != nil {
			return nil, fmt.Errorf("update golden file: %w", err)
		}
	}
	return failures, nil
}

// runKafka runs a kafka record against the file's broker. With update, a
// consume record takes what it read as its expectation.
func runKafka(ctx context.Context, path string, r *Record, b *kafkaBroker, update bool) *Failure {
	k := r.Kafka
	if k.Op == "produce" {
		if err := b.produce(ctx, path, k); err != nil {
			return &Failure{Path: path, Record: r, Diff: "kafka produce failed:\n" + indent(err.Error())}
		}
		return nil
	}
	got, err := b.consume(ctx, k.Topic)
	if err != nil {
		return &Failure{Path: path, Record: r, Diff: "kafka consume failed:\n" + indent(err.Error())}
	}
	if r.RowSort {
		got = sortLines(got)
	}
	if update {
		r.Expected, r.HasExpected = got, true
		return nil
	}
	want := r.Expected
	if r.RowSort {
		want = sortLines(want)
	}
	if got != want {
		return &Failure{Path: path, Record: r, Got: got, Diff: Diff(want, got)}
	}
	return nil
}

// sortLines sorts every line.
func sortLines(s string) string {
	if s == "" {
		return s
	}
	lines := strings.Split(s, "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// render is the text a record's expectation is compared with.
func render(r *Record, out, errOut string, err error, src string) string {
	if err != nil {
		return strings.TrimRight(diag.Render(err, src), "\n")
	}
	out = strings.TrimRight(out, "\n")
	if r.RowSort {
		out = sortRows(out)
	}
	if errOut != "" {
		out += "\n-- stderr --\n" + strings.TrimRight(errOut, "\n")
	}
	return out
}

// sortRows sorts every line after the header.
func sortRows(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) < 3 {
		return s
	}
	body := lines[1:]
	end := len(body)
	for i, l := range body {
		if l == "-- stderr --" {
			end = i
			break
		}
	}
	sort.Strings(body[:end])
	return strings.Join(lines, "\n")
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// Format rewrites a golden file with the records' (updated) expectations,
// keeping comments and record text as they were.
func Format(original string, recs []*Record) string {
	lines := strings.Split(strings.ReplaceAll(original, "\r\n", "\n"), "\n")
	var out []string
	next := 0
	for _, r := range recs {
		start := r.Line - 1
		out = append(out, lines[next:start]...)
		i := start + 1
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" && lines[i] != "----" {
			i++
		}
		out = append(out, lines[start:i]...)
		if i < len(lines) && lines[i] == "----" {
			i++
			for i < len(lines) && lines[i] != "" {
				i++
			}
		}
		if r.HasExpected {
			out = append(out, "----")
			if r.Expected != "" {
				out = append(out, strings.Split(r.Expected, "\n")...)
			}
		}
		next = i
	}
	out = append(out, lines[next:]...)
	return strings.Join(out, "\n")
}

// Diff is a line diff of want and got in unified style (- want, + got).
func Diff(want, got string) string {
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	// Longest common subsequence table; golden outputs are small.
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var sb strings.Builder
	sb.WriteString("--- want\n+++ got\n")
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			sb.WriteString("  " + a[i] + "\n")
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			sb.WriteString("- " + a[i] + "\n")
			i++
		default:
			sb.WriteString("+ " + b[j] + "\n")
			j++
		}
	}
	return sb.String()
}

// Files lists the golden files (*.slt) under the given paths (files or
// folders), sorted.
func Files(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("golden files: %w", err)
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".slt") {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("golden files: %w", err)
		}
	}
	sort.Strings(out)
	return out, nil
}
