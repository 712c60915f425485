package repl

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	"github.com/weirsql/weir/connectors/format"
	"github.com/weirsql/weir/engine"
	"github.com/weirsql/weir/exec/expr"
	"github.com/weirsql/weir/planner"
)

// keywords are the SQL words the shell completes: the statements, clauses,
// operators and types of docs/sql.md.
var keywords = []string{
	"ALL", "AND", "AS", "ASC", "BETWEEN", "BIGINT", "BOOLEAN", "BY", "CASE",
	"CAST", "CREATE", "CROSS", "CUMULATE", "CURRENT_DATE", "CURRENT_TIMESTAMP",
	"DATE", "DAY", "DECIMAL", "DESC", "DESCRIBE", "DESCRIPTOR", "DISTINCT",
	"DOUBLE", "DROP", "ELSE", "END", "ESCAPE", "EXISTS", "EXPLAIN", "EXTRACT",
	"FALSE", "FILTER", "FIRST", "FLOAT", "FROM", "FULL", "FUNCTIONS", "GROUP",
	"HAVING", "HOP", "HOUR", "IF", "IN", "INNER", "INSERT", "INT", "INTEGER",
	"INTERVAL", "INTO", "IS", "JOIN", "LAST", "LEFT", "LIKE", "LIMIT",
	"MILLISECOND", "MINUTE", "MONTH", "NOT", "NULL", "NULLS", "ON", "OR",
	"ORDER", "OUTER", "RIGHT", "SECOND", "SELECT", "SESSION", "SET", "SHOW",
	"SINK", "SINKS", "SMALLINT", "SOURCE", "SOURCES", "STRING", "TABLE",
	"TABLES", "THEN", "TIMESTAMP", "TINYINT", "TRUE", "TRY_CAST", "TUMBLE",
	"VARCHAR", "VIEW", "VIEWS", "WATERMARK", "WHEN", "WHERE", "WITH", "YEAR",
}

// boundFunctions are the functions the planner binds itself, which the
// scalar registry (expr.Funcs) does not list: aggregates and the window
// functions of GROUP BY.
var boundFunctions = []string{
	"APPROX_COUNT_DISTINCT", "AVG", "COUNT", "FIRST_VALUE", "LAST_VALUE", "MAX", "MIN",
	"STDDEV", "STDDEV_POP", "STDDEV_SAMP", "SUM", "VARIANCE", "VAR_POP", "VAR_SAMP",
	"HOP_END", "HOP_ROWTIME", "HOP_START", "SESSION_END", "SESSION_ROWTIME",
	"SESSION_START", "TUMBLE_END", "TUMBLE_ROWTIME", "TUMBLE_START",
}

// metaCommands are the shell's backslash commands, for completion.
var metaCommands = []string{`\d`, `\format`, `\help`, `\i`, `\q`, `\set`, `\timing`}

// completer completes the word before the cursor from the session: a
// meta-command and its argument, a SQL keyword, a function, a source,
// view or sink name, or a column (`bids.pr` completes the columns of bids).
type completer struct {
	catalog func() *planner.Catalog
}

// Complete implements liner.WordCompleter: it returns the text before the
// word being completed, the candidates for the word, and the text after
// the cursor.
func (c *completer) Complete(line string, pos int) (head string, candidates []string, tail string) {
	runes := []rune(line)
	if pos > len(runes) {
		pos = len(runes)
	}
	before, tail := string(runes[:pos]), string(runes[pos:])
	if trimmed := strings.TrimLeft(before, " \t"); strings.HasPrefix(trimmed, `\`) {
		return c.completeMeta(before)
	}
	start := len(before)
	for start > 0 {
		r := rune(before[start-1])
		if !(r == '_' || r == '.' || r == '$' || r >= 0x80 || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			break
		}
		start--
	}
	word := before[start:]
	if word == "" {
		return before, nil, tail
	}
	if relationContext[strings.ToUpper(previousWord(before[:start]))] {
		var names []string
		for _, n := range relationNames(c.catalog()) {
			if hasPrefixFold(n, word) {
				names = append(names, n)
			}
		}
		if len(names) > 0 {
			return before[:start], names, tail
		}
	}
	return before[:start], c.sqlCandidates(word), tail
}

// relationContext holds the words after which a name is a source, view
// or sink: there only those names are offered.
var relationContext = map[string]bool{"FROM": true, "JOIN": true, "DESCRIBE": true, "INTO": true, "TABLE": true}

// previousWord is the last word of s (letters, digits and underscores).
func previousWord(s string) string {
	s = strings.TrimRight(s, " \t\n")
	i := len(s)
	for i > 0 && (s[i-1] == '_' || unicode.IsLetter(rune(s[i-1])) || unicode.IsDigit(rune(s[i-1]))) {
		i--
	}
	return s[i:]
}

// sqlCandidates lists the completions of word, a name or `table.prefix`.
func (c *completer) sqlCandidates(word string) []string {
	cat := c.catalog()
	if dot := strings.LastIndexByte(word, '.'); dot >= 0 {
		rel, prefix := word[:dot], word[dot+1:]
		var out []string
		for _, col := range columnsOf(cat, rel) {
			if hasPrefixFold(col, prefix) {
				out = append(out, rel+"."+col)
			}
		}
		return unique(out)
	}
	lower := isLower(word)
	var out []string
	add := func(w string, matchCase bool) {
		if !hasPrefixFold(w, word) {
			return
		}
		if matchCase && lower {
			w = strings.ToLower(w)
		}
		out = append(out, w)
	}
	for _, k := range keywords {
		add(k, true)
	}
	for _, f := range expr.Funcs() {
		add(f.Name, true)
	}
	for _, f := range boundFunctions {
		add(f, true)
	}
	for _, name := range relationNames(cat) {
		add(name, false)
		for _, col := range columnsOf(cat, name) {
			add(col, false)
		}
	}
	return unique(out)
}

// completeMeta completes a meta-command's name or its argument.
func (c *completer) completeMeta(before string) (string, []string, string) {
	fields := strings.Fields(before)
	endsInSpace := strings.HasSuffix(before, " ") || strings.HasSuffix(before, "\t")
	if len(fields) == 1 && !endsInSpace {
		var out []string
		for _, m := range metaCommands {
			if strings.HasPrefix(m, fields[0]) {
				out = append(out, m+" ")
			}
		}
		return before[:len(before)-len(fields[0])], out, ""
	}
	arg := ""
	if !endsInSpace {
		arg = fields[len(fields)-1]
	}
	if len(fields) > 2 || (len(fields) == 2 && endsInSpace) {
		return before, nil, ""
	}
	head := before[:len(before)-len(arg)]
	var options []string
	switch fields[0] {
	case `\d`:
		options = relationNames(c.catalog())
	case `\format`:
		options = format.EncoderFormats
	case `\timing`:
		options = []string{"on", "off"}
	case `\set`:
		for _, s := range engine.Settings() {
			options = append(options, s.Key+" ")
		}
	case `\i`:
		return head, completePath(arg), ""
	}
	var out []string
	for _, o := range options {
		if hasPrefixFold(o, arg) {
			out = append(out, o)
		}
	}
	sort.Strings(out)
	return head, out, ""
}

// completePath lists the files and folders whose path starts with arg;
// folders end with a slash.
func completePath(arg string) []string {
	dir, base := filepath.Split(arg)
	read := dir
	if read == "" {
		read = "."
	}
	if strings.HasPrefix(read, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			read = filepath.Join(home, read[2:])
		}
	}
	entries, err := os.ReadDir(read)
	if err != nil {
		return nil // nothing to offer; the command reports a bad path when run
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, base) || (strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".")) {
			continue
		}
		if e.IsDir() {
			name += "/"
		}
		out = append(out, dir+name)
	}
	sort.Strings(out)
	return out
}

// relationNames lists the sources, views and sinks, sorted.
func relationNames(cat *planner.Catalog) []string {
	var names []string
	for _, s := range cat.Sources() {
		names = append(names, s.Name)
	}
	for _, v := range cat.Views() {
		names = append(names, v.Name)
	}
	for _, s := range cat.Sinks() {
		names = append(names, s.Name)
	}
	sort.Strings(names)
	return names
}

// columnsOf lists the columns of a source, view or sink (none when the
// name is unknown).
func columnsOf(cat *planner.Catalog, name string) []string {
	var schema *planner.Schema
	if s, ok := cat.Source(name); ok {
		schema = s.Schema
	} else if v, ok := cat.View(name); ok {
		schema = v.Schema
	} else if s, ok := cat.Sink(name); ok {
		schema = s.Schema
	}
	if schema == nil {
		return nil
	}
	cols := make([]string, len(schema.Columns))
	for i, col := range schema.Columns {
		cols[i] = col.Name
	}
	return cols
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// isLower reports whether word has letters and none is upper-case: the
// user types in lower case, so keywords complete in lower case.
func isLower(word string) bool {
	letters := false
	for _, r := range word {
		if unicode.IsUpper(r) {
			return false
		}
		letters = letters || unicode.IsLetter(r)
	}
	return letters
}

// unique sorts words and drops repeats.
func unique(words []string) []string {
	sort.Strings(words)
	out := words[:0]
	for i, w := range words {
		if i == 0 || w != words[i-1] {
			out = append(out, w)
		}
	}
	return out
}
