// Package nexmark holds the Nexmark benchmark queries Weir runs, one
// self-contained SQL file each (qN.sql in this folder), embedded so that
// `weir bench nexmark` and the tests in internal/nexmarktest use exactly
// the files a user runs with `weir run examples/nexmark/qN.sql`.
//
// Each file declares its sources over the built-in 'nexmark' generator,
// each with the same modest 'events' count (a query over two tables, such as
// the join q3 of auctions and people, reads two sources of one stream of
// events); WithEvents rewrites every one:
//
//	q, _ := nexmark.Lookup("q1")
//	src, err := nexmark.WithEvents(q.SQL, 10_000_000)
//	// run src with engine.NewSession(...).ExecScript(ctx, q.File, src)
//
// q13 also reads a file, data/side_input.csv, embedded too: WriteData
// writes it out for a run of the embedded text away from this folder.
//
// README.md lists the queries, what each needs, and the queries not here
// yet (OVER aggregation windows, a partitioned filesystem sink) with the
// reason.
package nexmark

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

//go:embed *.sql
var files embed.FS

// data holds the files the queries read besides the generator's events,
// under data/ as in this folder.
//
//go:embed data
var data embed.FS

// Query is one Nexmark query file.
type Query struct {
	// Name is the query's name, "q0" to "q22".
	Name string
	// File is the file name, "q0.sql".
	File string
	// SQL is the file's text: the sources' DDL, then the query.
	SQL string
}

// names lists the queries in the suite's order.
var names = []string{"q0", "q1", "q2", "q3", "q4", "q5", "q7", "q8", "q9", "q11", "q12", "q13", "q14", "q15", "q16", "q17", "q18", "q19", "q20", "q21", "q22"}

// Unsupported names the reference queries that have no file yet, with
// what they need that Weir does not run yet.
var Unsupported = map[string]string{
	"q6":  "OVER (PARTITION BY ... ORDER BY ... ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) over an updating result",
	"q10": "a filesystem sink partitioned by date and hour",
}

// Queries returns every query, in the suite's order (q0, q1, q2, q3, q4, ...).
func Queries() []Query {
	out := make([]Query, len(names))
	for i, n := range names {
		q, ok := Lookup(n)
		if !ok {
			panic("nexmark: missing embedded file " + n + ".sql")
		}
		out[i] = q
	}
	return out
}

// Names returns the names of the queries, in the suite's order.
func Names() []string { return append([]string(nil), names...) }

// Lookup returns the query called name ("q1"; "1" and "Q1" work too).
func Lookup(name string) (Query, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	if !strings.HasPrefix(name, "q") {
		name = "q" + name
	}
	file := name + ".sql"
	b, err := files.ReadFile(file)
	if err != nil {
		return Query{}, false
	}
	return Query{Name: name, File: file, SQL: string(b)}, true
}

// eventsOption matches the 'events' option of a source's WITH clause.
var eventsOption = regexp.MustCompile(`('events'\s*=\s*')(\d+)(')`)

// WithEvents returns sql with every 'events' = '...' option set to n, the
// number of events of all kinds (people, auctions and bids) to generate.
// Every source of a file reads the same stream of events (each its own
// kind), so a query over two sources gets the same count in both.
func WithEvents(sql string, n int64) (string, error) {
	if n <= 0 {
		return "", fmt.Errorf("nexmark: events must be positive, got %d", n)
	}
	if !eventsOption.MatchString(sql) {
		return "", fmt.Errorf("nexmark: the query has 0 'events' options, want one per source")
	}
	return eventsOption.ReplaceAllString(sql, "${1}"+strconv.FormatInt(n, 10)+"${3}"), nil
}

// Events returns the 'events' option of sql's sources: 0 when there is
// none, or when two sources disagree.
func Events(sql string) int64 {
	var n int64
	for _, m := range eventsOption.FindAllStringSubmatch(sql, -1) {
		v, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil || (n != 0 && v != n) {
			return 0
		}
		n = v
	}
	return n
}

// WriteData writes the data files the queries read (data/side_input.csv,
// q13's side table) under dir, as they are under this folder, so that a
// query's embedded text runs with dir as the folder its relative paths
// resolve against.
func WriteData(dir string) error {
	return fs.WalkDir(data, "data", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("nexmark: reading the embedded data files: %w", err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(path))
		if d.IsDir() {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return fmt.Errorf("nexmark: writing the data files: %w", err)
			}
			return nil
		}
		b, err := data.ReadFile(path)
		if err != nil {
			return fmt.Errorf("nexmark: reading embedded %s: %w", path, err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return fmt.Errorf("nexmark: writing the data files: %w", err)
		}
		return nil
	})
}
