package slt

import (
	"strings"
	"testing"
)

func TestParseAndFormatRoundTrip(t *testing.T) {
	src := `# a comment
statement ok
CREATE SOURCE s (a INT)
WITH ('connector' = 'file', 'path' = 'x.csv', 'format' = 'csv')

query rowsort
SELECT a
FROM s
----
a
1
2

statement error
SELECT b FROM s
----
old error
`
	recs, err := ParseFile("t.slt", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}
	if r := recs[1]; r.Kind != "query" || !r.RowSort || r.SQL != "SELECT a\nFROM s" || r.Expected != "a\n1\n2" || r.Line != 6 {
		t.Errorf("query record = %+v", r)
	}
	if r := recs[2]; !r.Error || r.Expected != "old error" {
		t.Errorf("error record = %+v", r)
	}
	if got := Format(src, recs); got != src {
		t.Errorf("Format changed an unmodified file:\n%s", Diff(src, got))
	}
	recs[2].Expected = "new error\nline two"
	got := Format(src, recs)
	if !strings.Contains(got, "----\nnew error\nline two\n") || strings.Contains(got, "old error") {
		t.Errorf("Format did not replace the expectation:\n%s", got)
	}
}

func TestParseRejectsUnknownDirective(t *testing.T) {
	if _, err := ParseFile("t.slt", "querry\nSELECT 1\n"); err == nil || !strings.Contains(err.Error(), "t.slt:1:") {
		t.Errorf("err = %v, want a positioned error", err)
	}
	if _, err := ParseFile("t.slt", "query sorted\nSELECT 1\n"); err == nil {
		t.Error("unknown query option accepted")
	}
}

func TestDiff(t *testing.T) {
	d := Diff("a\nb\nc", "a\nx\nc")
	want := "--- want\n+++ got\n  a\n- b\n+ x\n  c\n"
	if d != want {
		t.Errorf("Diff =\n%s\nwant\n%s", d, want)
	}
}
