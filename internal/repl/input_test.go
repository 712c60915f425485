package repl

import "testing"

func TestStatementComplete(t *testing.T) {
	for _, c := range []struct {
		buf  string
		want bool
	}{
		{"SELECT 1;", true},
		{"SELECT 1", false},
		{"SELECT 1;  ", true},
		{"SELECT 1; -- done", true},
		{"SELECT 1; /* done */", true},
		{"SELECT 1 -- not yet;", false},
		{"SELECT 1 /* ; */", false},
		{"SELECT ';'", false},
		{"SELECT ';", false},             // the string is still open
		{"SELECT 'it''s';", true},        // a doubled quote is a quote
		{"SELECT \"a;b\" FROM t", false}, // a quoted name
		{"SELECT `a;b` FROM t;", true},   // a backquoted name
		{"SELECT 1 /* open;", false},     // an open comment
		{"CREATE SOURCE s (\n  a INT\n);", true},
		{"SELECT 1;\nSELECT", false}, // a second statement begun
		{"SELECT a -- x;\n FROM t;", true},
		{"", false},
	} {
		if got := statementComplete(c.buf); got != c.want {
			t.Errorf("statementComplete(%q) = %v, want %v", c.buf, got, c.want)
		}
	}
}

func TestBlankSQL(t *testing.T) {
	for _, c := range []struct {
		buf  string
		want bool
	}{
		{"", true},
		{"   \t", true},
		{"-- a comment", true},
		{"/* a comment */", true},
		{"/* open", false},
		{";", false},
		{"SELECT", false},
	} {
		if got := blankSQL(c.buf); got != c.want {
			t.Errorf("blankSQL(%q) = %v, want %v", c.buf, got, c.want)
		}
	}
}

func TestHistoryEntryIsOneLine(t *testing.T) {
	for _, c := range []struct {
		lines []string
		want  string
	}{
		{[]string{"SELECT 1;"}, "SELECT 1;"},
		{[]string{"SELECT a,  -- the key", "       b", "FROM t;"}, "SELECT a, b FROM t;"},
		{[]string{"SELECT '--not a comment', x -- a comment", "FROM t;"}, "SELECT '--not a comment', x FROM t;"},
		{[]string{"SELECT 'two", "lines -- kept' FROM t;"}, "SELECT 'two lines -- kept' FROM t;"},
		{[]string{"", "  SELECT 1;", ""}, "SELECT 1;"},
	} {
		if got := historyEntry(c.lines); got != c.want {
			t.Errorf("historyEntry(%q) = %q, want %q", c.lines, got, c.want)
		}
	}
}
