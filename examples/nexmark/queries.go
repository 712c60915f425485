// Package nexmark holds the Nexmark benchmark queries Weir runs, one
// self-contained SQL file each (qN.sql in this folder), embedded so that
// `weir bench nexmark` and the tests in internal/nexmarktest use exactly
// the files a user runs with `weir run examples/nexmark/qN.sql`.
//
// Each file declares its source over the built-in 'nexmark' generator with
// a modest 'events' count; WithEvents rewrites it:
//
//	q, _ := nexmark.Lookup("q1")
//	src, err := nexmark.WithEvents(q.SQL, 10_000_000)
//	// run src with engine.NewSession(...).ExecScript(ctx, q.File, src)
//
// README.md lists the queries, what each needs, and the queries not here
// yet (joins, OVER) with the reason.
package nexmark

import (
	"embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

//go:embed *.sql
var files embed.FS

// Query is one Nexmark query file.
type Query struct {
	// Name is the query's name, "q0" to "q22".
	Name string
	// File is the file name, "q0.sql".
	File string
	// SQL is the file's text: the source's DDL, then the query.
	SQL string
}

// names lists the queries in the suite's order.
var names = []string{"q0", "q1", "q2", "q11", "q12", "q14", "q15", "q16", "q17", "q21", "q22"}

// Unsupported names the reference queries that have no file yet, with
// what they need that Weir does not run yet.
var Unsupported = map[string]string{
	"q3":  "a stream-stream join",
	"q4":  "a stream-stream join on a time range, then aggregation",
	"q5":  "a join of two windowed aggregations on the window bounds",
	"q6":  "a stream-stream join on a time range and OVER (PARTITION BY ...)",
	"q7":  "a windowed aggregation joined back to the bids by time range",
	"q8":  "a window join of two TUMBLE aggregations",
	"q9":  "a stream-stream join on a time range and ROW_NUMBER() OVER (...)",
	"q10": "a filesystem sink partitioned by date and hour",
	"q13": "a lookup join against a bounded side table",
	"q18": "ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...) deduplication",
	"q19": "ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...) top-N",
	"q20": "a stream-stream join",
}

// Queries returns every query, in the suite's order (q0, q1, q2, q11, ...).
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

// eventsOption matches the 'events' option of a file's WITH clause.
var eventsOption = regexp.MustCompile(`('events'\s*=\s*')(\d+)(')`)

// WithEvents returns sql with its one 'events' = '...' option set to n, the
// number of events of all kinds (people, auctions and bids) to generate.
func WithEvents(sql string, n int64) (string, error) {
	if n <= 0 {
		return "", fmt.Errorf("nexmark: events must be positive, got %d", n)
	}
	if k := len(eventsOption.FindAllStringIndex(sql, -1)); k != 1 {
		return "", fmt.Errorf("nexmark: the query has %d 'events' options, want 1", k)
	}
	return eventsOption.ReplaceAllString(sql, "${1}"+strconv.FormatInt(n, 10)+"${3}"), nil
}

// Events returns the 'events' option of sql (0 when it has none).
func Events(sql string) int64 {
	m := eventsOption.FindStringSubmatch(sql)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseInt(m[2], 10, 64)
	return n
}
