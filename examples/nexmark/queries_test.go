package nexmark

import (
	"io/fs"
	"strings"
	"testing"
)

func TestQueriesAreSelfContained(t *testing.T) {
	qs := Queries()
	if len(qs) != len(names) {
		t.Fatalf("%d queries, want %d", len(qs), len(names))
	}
	for _, q := range qs {
		if q.File != q.Name+".sql" {
			t.Errorf("%s: file %q", q.Name, q.File)
		}
		for _, want := range []string{
			"-- Nexmark " + q.Name + ": ",
			"go run ./cmd/weir run examples/nexmark/" + q.File,
			"'connector'     = 'nexmark'",
			"'nexmark.table' = 'bid'",
			"WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND",
		} {
			if !strings.Contains(q.SQL, want) {
				t.Errorf("%s lacks %q", q.File, want)
			}
		}
		if n := Events(q.SQL); n != 100_000 {
			t.Errorf("%s: 'events' = %d, want 100000", q.File, n)
		}
		if why, ok := Unsupported[q.Name]; ok {
			t.Errorf("%s has a file but is listed as unsupported (%s)", q.Name, why)
		}
	}
	// Every embedded file is a listed query.
	sqls, err := fs.Glob(files, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(sqls) != len(names) {
		t.Errorf("embedded files %v, want one per query in %v", sqls, names)
	}
}

func TestLookup(t *testing.T) {
	for _, name := range []string{"q1", "Q1", "1", " q1 "} {
		if q, ok := Lookup(name); !ok || q.Name != "q1" {
			t.Errorf("Lookup(%q) = %+v, %v", name, q, ok)
		}
	}
	for _, name := range []string{"q5", "q99", "", "../queries.go"} {
		if _, ok := Lookup(name); ok {
			t.Errorf("Lookup(%q) found a query", name)
		}
	}
}

func TestWithEvents(t *testing.T) {
	q, _ := Lookup("q0")
	src, err := WithEvents(q.SQL, 2_500_000)
	if err != nil {
		t.Fatal(err)
	}
	if Events(src) != 2_500_000 || !strings.Contains(src, "'events'        = '2500000'") {
		t.Errorf("WithEvents did not set the count:\n%s", src)
	}
	if strings.Replace(src, "2500000", "100000", 1) != q.SQL {
		t.Error("WithEvents changed more than the count")
	}
	if _, err := WithEvents(q.SQL, 0); err == nil {
		t.Error("0 events accepted")
	}
	if _, err := WithEvents("SELECT 1", 10); err == nil || !strings.Contains(err.Error(), "0 'events' options") {
		t.Errorf("a query without 'events': %v", err)
	}
	two := "WITH ('events' = '1') ... WITH ('events' = '2')"
	if _, err := WithEvents(two, 10); err == nil {
		t.Error("two 'events' options accepted")
	}
}
