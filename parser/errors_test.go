package parser

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/weirsql/weir/diag"
)

// errorCases are malformed inputs with the exact error each must produce.
var errorCases = []struct {
	src       string
	line, col int
	msg, hint string
}{
	{"SELECT * FORM t", 1, 10,
		`unexpected "FORM", expected FROM, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, "," or ";"`,
		`did you mean FROM?`},
	{"SELECT a FORM t", 1, 15,
		`unexpected "t", expected FROM, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, "," or ";"`,
		`did you mean FROM instead of "FORM"?`},
	{"SELECT a,\n       b\n  FROM t\n  WHERE a = = 1", 4, 13,
		`unexpected "=", expected an expression`,
		`compare with a single =`},
	{"SELECT a FROM t WHERE", 1, 22, `unexpected end of input, expected an expression`, ``},
	{"SELECT SUM(b) OVER (ORDER BY x ROWS BETWEEN 1 AND CURRENT ROW) FROM t", 1, 47,
		`unexpected AND, expected an operator, FOLLOWING or PRECEDING`, ``},
	{"SELECT a FROM t WHERE x >;\nSELECT 1", 1, 26, `unexpected ";", expected an expression`, ``},
	{"SELECT a b c FROM t", 1, 12,
		`unexpected "c", expected FROM, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, "," or ";"`,
		`is a "," missing before "c"?`},
	{"CREATE SOURCE s (\n  id BIGINT,\n  order INT\n) WITH ()", 3, 3,
		`unexpected ORDER, expected a name, WATERMARK or PRIMARY KEY`,
		`ORDER is a reserved word; to use it as a name, quote it: "order"`},
	{"CREATE SOURCE s (a INT", 1, 23,
		`unexpected end of input, expected PRIMARY KEY, NOT, NULL, METADATA, "(", ")" or ","`, ``},
	{"CREATE SOURCE s (a VARCHAR(x)) WITH ()", 1, 28, `unexpected "x", expected a number`, ``},
	{"CREATE SOURCE s (a INT) WITH (\"connector\" = 'kafka')", 1, 31,
		`unexpected "connector", expected a name, a string or ")"`,
		`strings take single quotes: 'connector'`},
	{"CREATE SOURCE s (a INT) WITH ('format' = json)", 1, 42,
		`option values are strings, numbers, TRUE or FALSE, not "json"`, `quote it: 'json'`},
	{"SELECT a FROM t JOIN u WHERE x", 1, 24,
		`unexpected WHERE, expected a name, AS, FOR or ON`,
		`a JOIN needs an ON condition; write CROSS JOIN for a cross product`},
	{"SELCT 1", 1, 1, `unexpected "SELCT", expected a statement`, `did you mean SELECT?`},
	{"SELECT a FROM t\nSELECT b FROM u", 2, 1,
		`unexpected SELECT, expected a name, AS, FOR, INNER, LEFT, RIGHT, FULL, CROSS, JOIN, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, "," or ";"`,
		`is a ";" missing before SELECT?`},
	{"SELECT a FROM t WHERE x = 1 GROUP a", 1, 35, `unexpected "a", expected BY`, ``},
	{"SELECT a FROM t UNION SELECT b FROM u", 1, 17,
		`unexpected UNION, expected a name, AS, FOR, INNER, LEFT, RIGHT, FULL, CROSS, JOIN, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, "," or ";"`,
		`UNION is not supported`},
	{"SELECT CAST(a, INT) FROM t", 1, 14, `unexpected ",", expected an operator or AS`, ``},
	{"SELECT a FROM t WHERE a BETWEEN 1 OR 2", 1, 35, `unexpected OR, expected an operator or AND`, ``},
	{"SELECT a FROM t WHERE a IS 1", 1, 28, `unexpected "1", expected NOT, NULL, TRUE or FALSE`, ``},
	{"DROP INDEX i", 1, 6, `unexpected "INDEX", expected SOURCE, TABLE, VIEW or SINK`, ``},
	{"INSERT INTO s VALUES (1)", 1, 15, `unexpected "VALUES", expected SELECT or "("`, ``},
	{"EXPLAIN CREATE VIEW v AS SELECT 1", 1, 9, `only a query, INSERT INTO or CREATE SINK ... AS query can be explained`, ``},
	{"SELECT f(a FROM b) FROM t", 1, 12, `unexpected FROM in the arguments of F`,
		`FROM is allowed only in SUBSTRING(x FROM start [FOR length]) and TRIM([chars] FROM x)`},
	{"SELECT * FROM TABLE(TUMBLE(bids, DESCRIPTOR(ts), INTERVAL '1' SECOND))", 1, 28,
		`the first argument of TUMBLE must be TABLE name`, `write TUMBLE(TABLE t, DESCRIPTOR(ts), size, [offset])`},
	{"SELECT a FROM t WHERE s = 'it''s", 1, 27, `unterminated string literal`,
		`close it with ' (write '' for a quote inside a string)`},
	{"SELECT \"Price FROM t", 1, 8, `unterminated quoted identifier`, `close it with "`},
	{"SELECT a /* note\n\n FROM t", 1, 10, `unterminated comment`, `close it with */`},
	{"SELECT a && b FROM t", 1, 10, `unexpected character "&"`, `use AND`},
	{"SELECT a::INT FROM t", 1, 9, `unexpected character ":"`, `use CAST(x AS type)`},
	{"SELECT \"\" FROM t", 1, 8, `zero-length quoted identifier`, ``},
	{"CREATE SOURCE s (a INT, WATERMARK FOR a AS a, WATERMARK FOR a AS a) WITH ()", 1, 47,
		`a source can declare only one WATERMARK`, ``},
	{"CREATE SINK k (id BIGINT, pt AS PROCTIME()) WITH ()", 1, 27, `a sink cannot declare computed columns`,
		`compute the value in the query that writes to the sink`},
	{"CREATE TABLE t (id BIGINT, pt AS) WITH ()", 1, 33, `unexpected ")", expected an expression`, ``},
	{"SELECT " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300), 1, 208,
		`expression nested too deeply (more than 200 levels)`, ``},
}

func TestErrors(t *testing.T) {
	for _, c := range errorCases {
		_, err := ParseFile("q.sql", c.src)
		if err == nil {
			t.Errorf("ParseFile(%q) succeeded, want %q", c.src, c.msg)
			continue
		}
		if !errors.Is(err, diag.ErrSyntax) {
			t.Errorf("ParseFile(%q): %v is not a syntax error", c.src, err)
		}
		var de *diag.Error
		if !errors.As(err, &de) {
			t.Errorf("ParseFile(%q): %T is not a *diag.Error", c.src, err)
			continue
		}
		if de.Msg != c.msg || de.Hint != c.hint || de.Pos.Line != c.line || de.Pos.Column != c.col || de.Pos.Filename != "q.sql" {
			t.Errorf("ParseFile(%q)\n got: %s: %s (hint %q)\nwant: q.sql:%d:%d: %s (hint %q)", c.src, de.Pos, de.Msg, de.Hint, c.line, c.col, c.msg, c.hint)
		}
		checkError(t, c.src, err)
	}
}

func TestRender(t *testing.T) {
	cases := []struct{ src, want string }{
		{"SELECT auction,\n       price\n  FORM bids;",
			"q.sql:3:8: unexpected \"bids\", expected FROM, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, \",\" or \";\"\n" +
				"    FORM bids;\n" +
				"         ^\n" +
				"hint: did you mean FROM instead of \"FORM\"?"},
		{"CREATE SOURCE s (\n  from STRING\n) WITH ('connector' = 'file')",
			"q.sql:2:3: unexpected FROM, expected a name, WATERMARK or PRIMARY KEY\n" +
				"    from STRING\n" +
				"    ^\n" +
				"hint: FROM is a reserved word; to use it as a name, quote it: \"from\""},
		{"SELECT price FROM bids WHERE",
			"q.sql:1:29: unexpected end of input, expected an expression\n" +
				"  SELECT price FROM bids WHERE\n" +
				"                              ^"},
	}
	for _, c := range cases {
		_, err := ParseFile("q.sql", c.src)
		if got := diag.Render(err, c.src); got != c.want {
			t.Errorf("Render for %q\n got:\n%s\nwant:\n%s", c.src, got, c.want)
		}
	}
}

func TestParseExprErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"", `<input>:1:1: unexpected end of input, expected an expression`},
		{"a +", `<input>:1:4: unexpected end of input, expected an expression`},
		{"a b", `<input>:1:3: unexpected "b", expected an operator or end of input`},
		{"a; b", `<input>:1:2: unexpected ";", expected an operator or end of input`},
	}
	for _, c := range cases {
		_, err := ParseExpr(c.src)
		if err == nil || err.Error() != c.want {
			t.Errorf("ParseExpr(%q) = %v, want %s", c.src, err, c.want)
		}
	}
}

// TestExpectedFromTrace pins what the error messages rely on: that
// participle's trace names each literal and token type it tries at the
// sentinel (see errors.go). A participle upgrade that changes the trace
// format fails here first.
func TestExpectedFromTrace(t *testing.T) {
	s, err := tokenize("", "SELECT * FROM t")
	if err != nil {
		t.Fatal(err)
	}
	exp := statementProduction.expected(s.tokens[:2], s.tokens[2].Pos)
	want := []string{",", "FROM", "GROUP", "HAVING", "LIMIT", "ORDER", "WHERE"}
	if got := sortedKeys(exp.accepted); !reflect.DeepEqual(got, want) || !exp.reached || !exp.end {
		t.Errorf("after SELECT *: accepted %q (reached %v, end %v), want %q", got, exp.reached, exp.end, want)
	}
	exp = statementProduction.expected(s.tokens[:3], s.tokens[3].Pos)
	if !exp.accepted[nameClass] || exp.end {
		t.Errorf("after SELECT * FROM: accepted %q (end %v), want a name", sortedKeys(exp.accepted), exp.end)
	}
}

// TestReservedWords keeps the reserved list honest: each reserved word is
// rejected as a bare column name and accepted quoted, and a few keywords that
// must stay usable as names are not reserved.
func TestReservedWords(t *testing.T) {
	for _, w := range reservedWords {
		if _, err := Parse("SELECT " + strings.ToLower(w) + "x FROM t"); err != nil {
			t.Errorf("%sx should be an ordinary name: %v", w, err)
		}
		if _, err := Parse(`SELECT t."` + strings.ToLower(w) + `" FROM t`); err != nil {
			t.Errorf("quoted %s should be a name: %v", w, err)
		}
	}
	for _, w := range []string{"value", "name", "key", "date", "timestamp", "partition", "offset", "first", "last", "day", "second", "window_start", "source", "filter", "position"} {
		if isReserved(w) {
			t.Errorf("%s must not be reserved", w)
		}
	}
	if !isReserved("ſelect") {
		t.Error("ſelect folds to SELECT and must be reserved")
	}
}
