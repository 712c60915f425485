package repl

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/weirsql/weir/engine"
	"github.com/weirsql/weir/exec/agg"
)

const bidsDDL = `CREATE SOURCE bids (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, date_time TIMESTAMP(3),
  WATERMARK FOR date_time AS date_time - INTERVAL '1' SECOND)
WITH ('connector' = 'nexmark', 'nexmark.table' = 'bid');
CREATE VIEW big_bids AS SELECT auction, price FROM bids WHERE price > 1000;`

func newCompleter(t *testing.T) *completer {
	t.Helper()
	sess := engine.NewSession(engine.Options{})
	if err := sess.ExecScript(context.Background(), "ddl.sql", bidsDDL); err != nil {
		t.Fatal(err)
	}
	return &completer{catalog: sess.Catalog}
}

func TestCompletion(t *testing.T) {
	c := newCompleter(t)
	for _, tc := range []struct {
		line       string
		pos        int // -1: the end
		head, tail string
		want       []string
	}{
		// Keywords keep the case the user types.
		{"SEL", -1, "", "", []string{"SELECT"}},
		{"sel", -1, "", "", []string{"select"}},
		// Functions.
		{"SELECT UPP", -1, "SELECT ", "", []string{"UPPER"}},
		{"select tumble_s", -1, "select ", "", []string{"tumble_start"}},
		// After FROM, DESCRIBE, JOIN, INTO and TABLE: sources, views, sinks.
		{"SELECT * FROM b", -1, "SELECT * FROM ", "", []string{"bids", "big_bids"}},
		{"DESCRIBE bi", -1, "DESCRIBE ", "", []string{"bids", "big_bids"}},
		// Elsewhere, columns too (and keywords such as BIGINT).
		{"SELECT pri", -1, "SELECT ", "", []string{"price"}},
		{"SELECT auc", -1, "SELECT ", "", []string{"auction"}},
		{"SELECT bidd", -1, "SELECT ", "", []string{"bidder"}},
		// name.prefix: that relation's columns.
		{"SELECT bids.d", -1, "SELECT ", "", []string{"bids.date_time"}},
		{"SELECT big_bids.", -1, "SELECT ", "", []string{"big_bids.auction", "big_bids.price"}},
		// The word before the cursor, with the rest of the line kept.
		{"SELECT pri FROM bids;", 10, "SELECT ", " FROM bids;", []string{"price"}},
		// Nothing to complete.
		{"SELECT ", -1, "SELECT ", "", nil},
		{"SELECT zzz", -1, "SELECT ", "", nil},
		// Meta-commands and their arguments.
		{`\ti`, -1, "", "", []string{`\timing `}},
		{`\d bi`, -1, `\d `, "", []string{"bids", "big_bids"}},
		{`\format j`, -1, `\format `, "", []string{"json"}},
		{`\set batch`, -1, `\set `, "", []string{"batch.size "}},
		{`\timing o`, -1, `\timing `, "", []string{"off", "on"}},
	} {
		pos := tc.pos
		if pos < 0 {
			pos = len([]rune(tc.line))
		}
		head, got, tail := c.Complete(tc.line, pos)
		if head != tc.head || tail != tc.tail || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Complete(%q, %d) = %q, %q, %q; want %q, %q, %q", tc.line, pos, head, got, tail, tc.head, tc.want, tc.tail)
		}
	}
}

func TestCompletePath(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"q1.sql", "q2.sql", ".hidden.sql", "other.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "queries"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := newCompleter(t)
	head, got, _ := c.Complete(`\i `+dir+"/q", len(`\i `+dir+"/q"))
	want := []string{dir + "/q1.sql", dir + "/q2.sql", dir + "/queries/"}
	if head != `\i ` || !reflect.DeepEqual(got, want) {
		t.Errorf("\\i completion = %q, %q; want %q, %q", head, got, `\i `, want)
	}
}

// TestBoundFunctionsAreAggregatesOrWindows keeps the completion list of
// the functions the planner binds honest: each is an aggregate or a
// window function.
func TestBoundFunctionsAreAggregatesOrWindows(t *testing.T) {
	for _, name := range boundFunctions {
		_, isAgg := agg.LookupFunc(name)
		isWindow := strings.HasPrefix(name, "TUMBLE_") || strings.HasPrefix(name, "HOP_") || strings.HasPrefix(name, "SESSION_")
		if !isAgg && !isWindow {
			t.Errorf("%s is neither an aggregate nor a window function", name)
		}
	}
}
