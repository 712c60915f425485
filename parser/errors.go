package parser

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/weirsql/weir/diag"
)

// This file turns participle's "unexpected token" into a message that says
// what was found and what would have been accepted instead:
//
//	unexpected "FORM", expected FROM, WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, "," or ";"
//
// participle reports the furthest token it could not consume, but names the
// expectation after its grammar structs, and only the one element that
// failed. The full list comes from participle's trace instead: the offending
// token is replaced by a sentinel that matches nothing, and the statement is
// parsed again with tracing on. Every branch that reaches the sentinel tries
// its literals and token types there and fails, so the trace lines printed at
// the sentinel name exactly the tokens the grammar would have accepted.
// TestExpectedFromTrace pins the trace format of the participle version in
// go.mod. Statements are parsed one at a time, so this re-reads only the
// statement at fault, and only on the error path.

// sentinel stands in for the offending token in a traced parse.
var (
	sentinel       = lexer.Token{Type: tokInvalid, Value: "\x00weir-sentinel"}
	sentinelQuoted = []byte(strconv.Quote(sentinel.Value) + " ")
)

var multiWord = map[string]string{
	"GROUP": "GROUP BY", "ORDER": "ORDER BY", "PARTITION": "PARTITION BY",
	"PRIMARY": "PRIMARY KEY", "SYSTEM_TIME": "SYSTEM_TIME AS OF",
}

// Classes of expectations, for collapsing long lists.
var (
	statementWords = set("SELECT", "CREATE", "INSERT", "DROP", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "SET", "(")
	exprStarters   = set("NOT", "CASE", "CAST", "TRY_CAST", "EXTRACT", "INTERVAL", "TIMESTAMP", "DATE", "NULL", "TRUE", "FALSE",
		"CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "LOCALTIMESTAMP", "LOCALTIME", "LEFT", "RIGHT",
		"(", "-", "+", nameClass, numberClass, stringClass)
	typeStarters = set("TIMESTAMP", "INTERVAL", "DOUBLE", "CHARACTER", nameClass)
	binaryOps    = set("=", "<>", "!=", "<", "<=", ">", ">=", "||", "+", "-", "*", "/", "%",
		"OR", "IS", "IN", "BETWEEN", "LIKE", "NOT")
	timeUnits = set("MILLISECOND", "MILLISECONDS", "SECOND", "SECONDS", "MINUTE", "MINUTES", "HOUR", "HOURS",
		"DAY", "DAYS", "WEEK", "WEEKS", "MONTH", "MONTHS", "QUARTER", "QUARTERS", "YEAR", "YEARS")
)

// Token classes in expectations.
const (
	nameClass   = "a name"
	numberClass = "a number"
	stringClass = "a string"
)

// order lists keywords and operators in the order messages show them;
// anything else follows in alphabetical order.
var order = func() map[string]int {
	words := []string{
		"SELECT", "CREATE", "INSERT", "DROP", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "SET",
		"SOURCE", "TABLE", "VIEW", "SINK", "SOURCES", "TABLES", "VIEWS", "SINKS", "FUNCTIONS",
		"INTO", "IF", "EXISTS", "DISTINCT", "ALL",
		"WATERMARK", "PRIMARY", "KEY", "NOT", "NULL", "ENFORCED", "METADATA", "VIRTUAL",
		"TUMBLE", "HOP", "CUMULATE", "SESSION", "DESCRIPTOR",
		"AS", "FROM", "FOR", "SYSTEM_TIME", "OF",
		"INNER", "LEFT", "RIGHT", "FULL", "OUTER", "CROSS", "JOIN", "ON",
		"WHERE", "GROUP", "BY", "HAVING", "ORDER", "ASC", "DESC", "NULLS", "FIRST", "LAST", "LIMIT",
		"OR", "AND", "IS", "IN", "BETWEEN", "LIKE", "ESCAPE", "TRUE", "FALSE",
		"CASE", "WHEN", "THEN", "ELSE", "END", "FILTER", "OVER", "PARTITION",
		"*", "=", "<>", "!=", "<", "<=", ">", ">=", "||", "+", "-", "/", "%",
		"=>", ".", "(", ")", ",",
	}
	m := map[string]int{}
	for i, w := range words {
		if _, dup := m[w]; !dup {
			m[w] = i + 1
		}
	}
	return m
}()

func set(words ...string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		m[w] = true
	}
	return m
}

// expectation is what the grammar accepts at one token position.
type expectation struct {
	accepted map[string]bool // keywords (canonical), operators and classes
	reached  bool            // the grammar consumes the whole prefix
	end      bool            // the statement may end here
	items    []string        // the collapsed list for the message
}

// traceCollector reads participle's trace (one line per grammar node tried:
// indent, the quoted next token, the node) and keeps the literals and token
// types tried while the sentinel was next.
type traceCollector struct {
	literals map[string]bool          // canonical spelling
	types    map[lexer.TokenType]bool // from @Ident, @Number, ...
	reached  bool                     // some branch got to the sentinel
}

func (c *traceCollector) Write(line []byte) (int, error) {
	i := bytes.Index(line, sentinelQuoted)
	if i < 0 {
		return len(line), nil
	}
	c.reached = true
	node := string(bytes.TrimSpace(line[i+len(sentinelQuoted):]))
	switch {
	case strings.HasPrefix(node, "literal{"):
		if q, err := strconv.QuotedPrefix(node[len("literal{"):]); err == nil {
			if v, err := strconv.Unquote(q); err == nil {
				c.literals[foldUpper(v)] = true
			}
		}
	case strings.HasPrefix(node, "reference{"):
		if t, ok := sqlLexer.Symbols()[strings.TrimSuffix(node[len("reference{"):], "}")]; ok {
			c.types[t] = true
		}
	}
	return len(line), nil
}

// consumes reports whether one of the literals or token types tried would
// have matched t.
func (c *traceCollector) consumes(t lexer.Token) bool {
	switch {
	case c.types[t.Type]:
		return true
	case t.Type == tokIdent || t.Type == tokKeyword:
		return c.literals[foldUpper(t.Value)]
	case t.Type == tokOp:
		return c.literals[t.Value]
	}
	return false
}

// trace parses prefix followed by the sentinel, at pos, and collects what
// the grammar tried there.
func (p *production) trace(prefix []lexer.Token, pos lexer.Position) *traceCollector {
	c := &traceCollector{literals: map[string]bool{}, types: map[lexer.TokenType]bool{}}
	s := sentinel
	s.Pos = pos
	end := pos
	end.Offset++
	toks := make([]lexer.Token, 0, len(prefix)+2)
	toks = append(toks, prefix...)
	toks = append(toks, s, lexer.Token{Type: lexer.EOF, Pos: end})
	_, _ = p.try(toks, participle.Trace(c))
	return c
}

// expected computes what the grammar accepts after prefix, at pos.
func (p *production) expected(prefix []lexer.Token, pos lexer.Position) *expectation {
	return p.expectation(p.trace(prefix, pos), prefix, pos)
}

func (p *production) expectation(c *traceCollector, prefix []lexer.Token, pos lexer.Position) *expectation {
	e := &expectation{accepted: map[string]bool{}, reached: c.reached, end: p.acceptsEnd(prefix, pos)}
	for w := range c.literals {
		e.accepted[w] = true
	}
	for t := range c.types {
		switch t {
		case tokIdent, tokQIdent, tokBIdent:
			e.accepted[nameClass] = true
		case tokNumber:
			e.accepted[numberClass] = true
		case tokString:
			e.accepted[stringClass] = true
		}
	}
	e.items = e.collapse(p.end)
	return e
}

// acceptsEnd reports whether prefix is complete.
func (p *production) acceptsEnd(prefix []lexer.Token, pos lexer.Position) bool {
	toks := make([]lexer.Token, 0, len(prefix)+1)
	toks = append(toks, prefix...)
	toks = append(toks, lexer.Token{Type: lexer.EOF, Pos: pos})
	_, err := p.try(toks)
	return err == nil
}

// collapse writes the accepted set as a short list: "a statement",
// "an expression", "a type", "an operator" and "a time unit" stand for
// their many first tokens.
func (e *expectation) collapse(end string) []string {
	acc := e.accepted
	var items []string
	suppress := map[string]bool{}
	group := func(name string, members map[string]bool) {
		items = append(items, name)
		for w := range members {
			suppress[w] = true
		}
	}
	exprCtx := acc[numberClass] && acc["CASE"]
	switch {
	case acc["SELECT"] && acc["CREATE"] && acc["DROP"]:
		group("a statement", statementWords)
	case exprCtx:
		group("an expression", exprStarters)
	case acc["DOUBLE"] && acc["INTERVAL"]:
		group("a type", typeStarters)
	}
	if acc["||"] || acc["/"] {
		group("an operator", binaryOps)
		if acc["OR"] {
			suppress["AND"] = true
		}
		// After a name, "." and "(" would make it qualified or a call;
		// that is rarely the fix.
		suppress["."], suppress["("] = true, true
	}
	units := 0
	for w := range timeUnits {
		if acc[w] {
			units++
		}
	}
	if units >= 3 {
		group("a time unit", timeUnits)
	}
	for _, class := range []string{nameClass, stringClass, numberClass} {
		if acc[class] && !suppress[class] {
			items = append(items, class)
		}
	}
	var rest []string
	for w := range acc {
		if !suppress[w] && w != nameClass && w != stringClass && w != numberClass {
			rest = append(rest, w)
		}
	}
	sort.Slice(rest, func(i, j int) bool {
		oi, oj := order[rest[i]], order[rest[j]]
		switch {
		case oi > 0 && oj > 0:
			return oi < oj
		case oi > 0 || oj > 0:
			return oi > 0
		}
		return rest[i] < rest[j]
	})
	for _, w := range rest {
		switch {
		case multiWord[w] != "":
			items = append(items, multiWord[w])
		case isWord(w):
			items = append(items, w)
		default:
			items = append(items, strconv.Quote(w))
		}
	}
	if e.end {
		items = append(items, end)
	}
	return items
}

func isWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == '_' || unicode.IsLetter(r)
}

// joinOr writes a, b or c.
func joinOr(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// describeToken names a token in a message: keywords bare in upper case,
// quoted names and strings as written, anything else in double quotes.
func describeToken(t lexer.Token) string {
	switch {
	case t.EOF() && t.Value == ";":
		return `";"`
	case t.EOF():
		return "end of input"
	case t.Type == tokKeyword:
		return foldUpper(t.Value)
	}
	v := t.Value
	if utf8.RuneCountInString(v) > 40 {
		v = string([]rune(v)[:37]) + "..."
	}
	if t.Type == tokString || t.Type == tokQIdent || t.Type == tokBIdent {
		return v
	}
	return strconv.Quote(v)
}

// describe turns participle's error for toks into a *diag.Error.
func (p *production) describe(toks []lexer.Token, err error) error {
	off := errorOffset(err)
	if off < 0 {
		// Not a participle error: the recovered panic of try.
		return syntaxErrorf(toks[0].Pos, "%v", err)
	}
	k := len(toks) - 1
	for i, t := range toks {
		if t.Pos.Offset >= off {
			k = i
			break
		}
	}
	// participle reports where the failing sequence stopped, which can be
	// short of the furthest token some branch consumed (an optional group
	// that failed within the lookahead, such as VARCHAR( x ). Move on while
	// the grammar would have consumed the token.
	c := p.trace(toks[:k], toks[k].Pos)
	for steps := 0; steps <= lookahead && k < len(toks)-1 && c.consumes(toks[k]); steps++ {
		k++
		c = p.trace(toks[:k], toks[k].Pos)
	}
	exp := p.expectation(c, toks[:k], toks[k].Pos)
	bad := toks[k]
	msg := "unexpected " + describeToken(bad)
	if len(exp.items) > 0 {
		msg += ", expected " + joinOr(exp.items)
	}
	e := syntaxErrorf(bad.Pos, "%s", msg)
	p.hint(e, toks, k, exp)
	return e
}

// hint adds advice for a few common mistakes; the first that applies wins.
func (p *production) hint(e *diag.Error, toks []lexer.Token, k int, exp *expectation) {
	if h := p.hintFor(toks, k, exp); h != "" {
		e.Hint = h
	}
}

func (p *production) hintFor(toks []lexer.Token, k int, exp *expectation) string {
	bad := toks[k]
	acc := exp.accepted
	word := foldUpper(bad.Value)
	var prev lexer.Token
	if k > 0 {
		prev = toks[k-1]
	}
	exprCtx := acc[numberClass] && acc["CASE"]
	if bad.Type == tokKeyword {
		switch {
		case word == "UNION" || word == "INTERSECT" || word == "EXCEPT":
			return word + " is not supported"
		case statementWords[word] && exp.end:
			return `is a ";" missing before ` + word + "?"
		case acc["ON"] && !acc[word] && joinPending(toks[:k]):
			return "a JOIN needs an ON condition; write CROSS JOIN for a cross product"
		case acc[nameClass] && !exprCtx && p.improves(toks, k, 1, lexer.Token{Type: tokIdent, Value: "weir_probe"}):
			return word + " is a reserved word; to use it as a name, quote it: " + quoteIdent(bad.Value)
		}
	}
	if bad.Type == tokIdent && utf8.RuneCountInString(bad.Value) >= 3 {
		if kw := closestKeyword(bad.Value, acc); kw != "" {
			return "did you mean " + kw + "?"
		}
	}
	if prev.Type == tokIdent && utf8.RuneCountInString(prev.Value) >= 3 {
		if kw := p.prevTypo(toks, k); kw != "" {
			return "did you mean " + kw + " instead of " + describeToken(prev) + "?"
		}
	}
	switch {
	case bad.Type == tokQIdent && acc[stringClass] && !exprCtx:
		return "strings take single quotes: " + quoteString(unquote(bad.Value))
	case bad.Type == tokOp && bad.Value == "=" && prev.Type == tokOp && prev.Value == "=":
		return "compare with a single ="
	case isOperand(bad) && acc[","] && p.improves(toks, k, 0, lexer.Token{Type: tokOp, Value: ","}):
		return `is a "," missing before ` + describeToken(bad) + "?"
	}
	return ""
}

// improves reports whether, once the del tokens at k are replaced by repl,
// the statement parses past the token that follows them: the test behind
// hints that propose a fix.
func (p *production) improves(toks []lexer.Token, k, del int, repl ...lexer.Token) bool {
	bad := toks[k]
	after := toks[min(k+del, len(toks)-1)]
	fixed := make([]lexer.Token, 0, len(toks)+len(repl))
	fixed = append(fixed, toks[:k]...)
	for _, t := range repl {
		t.Pos = bad.Pos
		fixed = append(fixed, t)
	}
	fixed = append(fixed, toks[k+del:]...)
	_, err := p.try(fixed)
	return err == nil || errorOffset(err) > after.Pos.Offset
}

// joinPending reports whether the last JOIN of toks has no ON yet.
func joinPending(toks []lexer.Token) bool {
	for i := len(toks) - 1; i >= 0; i-- {
		if toks[i].Type == tokKeyword {
			switch foldUpper(toks[i].Value) {
			case "ON":
				return false
			case "JOIN":
				return true
			}
		}
	}
	return false
}

func isOperand(t lexer.Token) bool {
	switch t.Type {
	case tokIdent, tokQIdent, tokBIdent, tokNumber, tokString:
		return true
	}
	return false
}

// closestKeyword is the accepted keyword that word most plausibly misspells.
func closestKeyword(word string, acc map[string]bool) string {
	var ks []string
	for w := range acc {
		if len(w) >= 3 && isWord(w) {
			ks = append(ks, w)
		}
	}
	sort.Strings(ks)
	w := foldUpper(word)
	for _, k := range ks {
		if d := diag.EditDistance(w, k); d == 1 || (d == 2 && (len(k) >= 6 || transposed(w, k))) {
			return k
		}
	}
	return ""
}

// transposed reports whether a and b differ by swapping two adjacent
// characters (FORM and FROM).
func transposed(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
}

// prevTypo handles a misspelt keyword that the parser took as a name (the
// alias in SELECT a FORM t): it returns the keyword that the token before the
// error resembles, if that keyword would have been accepted in its place.
func (p *production) prevTypo(toks []lexer.Token, k int) string {
	prev := toks[k-1]
	exp := p.expected(toks[:k-1], prev.Pos)
	return closestKeyword(prev.Value, exp.accepted)
}

// quoteIdent writes name as a double-quoted identifier.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// quoteString writes s as a SQL string literal.
func quoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
