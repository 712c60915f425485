package nexmark

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// generatorSource matches a source over the generator, with its table.
var generatorSource = regexp.MustCompile(`'connector'     = 'nexmark',\s*'nexmark.table' = '(person|auction|bid)'`)

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
			"`weir bench nexmark --query " + q.Name + "` measures it",
		} {
			if !strings.Contains(q.SQL, want) {
				t.Errorf("%s lacks %q", q.File, want)
			}
		}
		// Each generator source has its watermark and its 'events'.
		sources := len(generatorSource.FindAllString(q.SQL, -1))
		if sources == 0 || strings.Count(q.SQL, "'connector'") != sources+strings.Count(q.SQL, "'connector' = 'file'") {
			t.Errorf("%s: %d generator sources among %d", q.File, sources, strings.Count(q.SQL, "'connector'"))
		}
		if n := strings.Count(q.SQL, "WATERMARK FOR date_time AS date_time - INTERVAL '4' SECOND"); n != sources {
			t.Errorf("%s: %d watermarks for %d generator sources", q.File, n, sources)
		}
		if n := len(eventsOption.FindAllString(q.SQL, -1)); n != sources {
			t.Errorf("%s: %d 'events' options for %d generator sources", q.File, n, sources)
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
	// Every query of the suite, q0 to q22, has a file or a reason.
	for i := 0; i <= 22; i++ {
		name := "q" + strconv.Itoa(i)
		_, file := Lookup(name)
		_, why := Unsupported[name]
		if file == why {
			t.Errorf("%s: has a file %v, listed as unsupported %v: want exactly one", name, file, why)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, name := range []string{"q1", "Q1", "1", " q1 "} {
		if q, ok := Lookup(name); !ok || q.Name != "q1" {
			t.Errorf("Lookup(%q) = %+v, %v", name, q, ok)
		}
	}
	if q, ok := Lookup("q20"); !ok || q.File != "q20.sql" || !strings.Contains(q.SQL, "JOIN auction") {
		t.Errorf("Lookup(q20) = %+v, %v", q, ok)
	}
	for _, name := range []string{"q10", "q99", "", "../queries.go", "data/side_input.csv"} {
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
}

// TestWithEventsSetsEverySource: a query over two sources of one stream
// (q3: auctions and people) gets the count in both.
func TestWithEventsSetsEverySource(t *testing.T) {
	q, _ := Lookup("q3")
	src, err := WithEvents(q.SQL, 7_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(src, "'events'        = '7000000'"); n != 2 {
		t.Errorf("%d sources have the new count, want 2:\n%s", n, src)
	}
	if strings.Contains(src, "100000") {
		t.Errorf("a source kept the old count:\n%s", src)
	}
	if Events(src) != 7_000_000 {
		t.Errorf("Events = %d, want 7000000", Events(src))
	}
	if strings.ReplaceAll(src, "7000000", "100000") != q.SQL {
		t.Error("WithEvents changed more than the counts")
	}
	two := "WITH ('events' = '1') ... WITH ('events' = '2')"
	if Events(two) != 0 {
		t.Errorf("Events of two different counts = %d, want 0", Events(two))
	}
	src, err = WithEvents(two, 10)
	if err != nil || src != "WITH ('events' = '10') ... WITH ('events' = '10')" {
		t.Errorf("WithEvents(two counts) = %q, %v", src, err)
	}
}

// sideInputRows is the number of rows of q13's side table.
const sideInputRows = 10_000

// sideInput is data/side_input.csv: a header, then each key from 0 with its
// decimal text as the value, as the reference's SideInputGenerator writes
// them (it writes no header).
func sideInput(n int) string {
	var b strings.Builder
	b.WriteString("key,value\n")
	for i := range n {
		s := strconv.Itoa(i)
		b.WriteString(s + "," + s + "\n")
	}
	return b.String()
}

// TestSideInputData checks data/side_input.csv against its generator;
// WEIR_UPDATE=1 go test ./examples/nexmark/ rewrites it.
func TestSideInputData(t *testing.T) {
	want := sideInput(sideInputRows)
	path := filepath.Join("data", "side_input.csv")
	if os.Getenv("WEIR_UPDATE") == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := data.ReadFile("data/side_input.csv")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s differs from its generator (rewrite it with WEIR_UPDATE=1 go test ./examples/nexmark/)", path)
	}
	if q, _ := Lookup("q13"); !strings.Contains(q.SQL, "'path'      = 'data/side_input.csv'") {
		t.Error("q13 does not read data/side_input.csv")
	}
}

func TestWriteData(t *testing.T) {
	dir := t.TempDir()
	if err := WriteData(dir); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "data", "side_input.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != sideInput(sideInputRows) {
		t.Error("the written side input differs from the embedded one")
	}
	if err := WriteData(filepath.Join(dir, "data", "side_input.csv")); err == nil {
		t.Error("writing under a file succeeded")
	}
}
