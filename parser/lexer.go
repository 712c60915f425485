package parser

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/weirsql/weir/diag"
)

// sqlLexer splits SQL text into tokens. Rules are tried in order; rules with
// lower-case names (whitespace and comments) are dropped by the lexer.
//
// The rules named Unterminated* and Invalid never appear in valid SQL: they
// exist so that an unclosed quote or comment, or a stray character, becomes a
// token that tokenize reports with its exact position, instead of a lexer
// failure somewhere later in the text.
//
// Keyword never matches text: tokenize retypes an Ident whose spelling is a
// reserved word as a Keyword, so that the grammar's @Ident (a name) does not
// accept SELECT or FROM while literal matches ("SELECT") accept both types.
var sqlLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "whitespace", Pattern: `[\s\v\p{Z}\x{FEFF}]+`},
	{Name: "lineComment", Pattern: `--[^\n]*`},
	{Name: "blockComment", Pattern: `/\*(?s:.*?)\*/`},
	{Name: "UnterminatedComment", Pattern: `/\*`},
	{Name: "String", Pattern: `'(?:[^']|'')*'`},
	{Name: "UnterminatedString", Pattern: `'`},
	{Name: "QIdent", Pattern: `"(?:[^"]|"")*"`},
	{Name: "UnterminatedQIdent", Pattern: `"`},
	{Name: "BIdent", Pattern: "`(?:[^`]|``)*`"},
	{Name: "UnterminatedBIdent", Pattern: "`"},
	{Name: "Number", Pattern: `(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?`},
	{Name: "Ident", Pattern: `[\p{L}_][\p{L}\p{M}\p{N}_$]*`},
	{Name: "Op", Pattern: `<>|!=|<=|>=|\|\||=>|[-+*/%(),.;=<>]`},
	{Name: "Invalid", Pattern: `(?s:.)`},
	{Name: "Keyword", Pattern: `[^\s\S]`},
})

// Token types of sqlLexer, looked up once.
var (
	tokString    = sqlLexer.Symbols()["String"]
	tokQIdent    = sqlLexer.Symbols()["QIdent"]
	tokBIdent    = sqlLexer.Symbols()["BIdent"]
	tokNumber    = sqlLexer.Symbols()["Number"]
	tokIdent     = sqlLexer.Symbols()["Ident"]
	tokKeyword   = sqlLexer.Symbols()["Keyword"]
	tokOp        = sqlLexer.Symbols()["Op"]
	tokInvalid   = sqlLexer.Symbols()["Invalid"]
	tokUntermCmt = sqlLexer.Symbols()["UnterminatedComment"]
	tokUntermStr = sqlLexer.Symbols()["UnterminatedString"]
	tokUntermQId = sqlLexer.Symbols()["UnterminatedQIdent"]
	tokUntermBId = sqlLexer.Symbols()["UnterminatedBIdent"]
)

// reserved are the words that cannot be used as unquoted names. The list is
// kept short on purpose: a word is here only when reading it as a name would
// make some statement ambiguous (it may follow an expression or a table where
// an alias could stand, or it starts a clause). Every other keyword of the
// grammar (SOURCE, KEY, VALUE, DAY, FIRST, PARTITION, TIMESTAMP, DATE, ...)
// is matched by its spelling only where the grammar expects it and is an
// ordinary name everywhere else.
var reserved = set(reservedWords...)

// reservedWords is the source of reserved, in the order error messages list
// them.
var reservedWords = []string{
	"SELECT", "DISTINCT", "ALL", "FROM", "WHERE", "GROUP", "HAVING", "ORDER",
	"LIMIT", "UNION", "INTERSECT", "EXCEPT", "AS", "JOIN", "INNER", "LEFT",
	"RIGHT", "FULL", "CROSS", "OUTER", "ON", "FOR", "WITH", "TABLE",
	"AND", "OR", "NOT", "IS", "IN", "BETWEEN", "LIKE", "ESCAPE",
	"NULL", "TRUE", "FALSE", "CASE", "WHEN", "THEN", "ELSE", "END",
	"CAST", "TRY_CAST", "EXTRACT", "INTERVAL", "OVER", "ASC", "DESC",
	"BOTH", "LEADING", "TRAILING",
	"CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "LOCALTIMESTAMP", "LOCALTIME",
	"CREATE", "DROP", "INSERT", "DESCRIBE", "EXPLAIN",
}

// isReserved reports whether an unquoted word is a reserved keyword.
func isReserved(word string) bool { return reserved[foldUpper(word)] }

// foldUpper maps a word to the canonical spelling that keyword matching and
// function names use. ASCII letters are upper-cased. Any other rune becomes
// the smallest letter of its case-folding orbit (usually its upper case), so
// two words have the same canonical spelling exactly when strings.EqualFold
// (the comparison participle uses for case-insensitive tokens) matches them:
// a word is a keyword exactly when the grammar would match it as one
// ("ſelect" is SELECT).
func foldUpper(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToUpper(s)
	}
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

func foldRune(r rune) rune {
	best, bestLetter := r, unicode.IsLetter(r)
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		letter := unicode.IsLetter(f)
		if (letter && !bestLetter) || (letter == bestLetter && f < best) {
			best, bestLetter = f, letter
		}
	}
	return best
}

// source is SQL text split into tokens, with whitespace and comments removed.
type source struct {
	filename string
	text     string
	tokens   []lexer.Token // ends with an EOF token
}

// maxDepth bounds the nesting of parentheses and CASE expressions, so that
// hostile input cannot exhaust the stack of the recursive-descent parser.
const maxDepth = 200

// tokenize lexes src. It reports unterminated strings, quoted identifiers and
// comments at the position where they start, stray characters where they
// are, and nesting deeper than maxDepth.
func tokenize(filename, src string) (*source, error) {
	lex, err := sqlLexer.LexString(filename, src)
	if err != nil {
		return nil, diag.Errorf(diag.ErrSyntax, diag.Pos{Filename: filename, Line: 1, Column: 1}, "%s", err)
	}
	s := &source{filename: filename, text: src}
	depth := 0
	for {
		t, err := lex.Next()
		if err != nil {
			var pos diag.Pos
			if perr, ok := err.(interface{ Position() lexer.Position }); ok {
				pos = toPos(perr.Position())
			}
			return nil, diag.Errorf(diag.ErrSyntax, pos, "%s", err)
		}
		// 'it''s without a closing quote lexes as the string 'it' and an
		// unterminated 's; the string that is not closed starts at the first.
		if n := len(s.tokens); n > 0 {
			prev := s.tokens[n-1]
			if prev.Pos.Offset+len(prev.Value) == t.Pos.Offset &&
				(prev.Type == tokString && t.Type == tokUntermStr ||
					prev.Type == tokQIdent && t.Type == tokUntermQId ||
					prev.Type == tokBIdent && t.Type == tokUntermBId) {
				t.Pos = prev.Pos
			}
		}
		switch t.Type {
		case tokUntermStr:
			return nil, syntaxErrorf(t.Pos, "unterminated string literal").
				WithHint("close it with ' (write '' for a quote inside a string)")
		case tokUntermQId, tokUntermBId:
			return nil, syntaxErrorf(t.Pos, "unterminated quoted identifier").
				WithHint("close it with %s", t.Value)
		case tokUntermCmt:
			return nil, syntaxErrorf(t.Pos, "unterminated comment").
				WithHint("close it with */")
		case tokInvalid:
			return nil, invalidChar(t, src)
		case tokIdent:
			if isReserved(t.Value) {
				t.Type = tokKeyword
			}
		case tokOp:
			switch t.Value {
			case "(":
				depth++
			case ")":
				depth = max(depth-1, 0)
			}
		}
		if t.Type == tokKeyword {
			switch foldUpper(t.Value) {
			case "CASE":
				depth++
			case "END":
				depth = max(depth-1, 0)
			}
		}
		if depth > maxDepth {
			return nil, syntaxErrorf(t.Pos, "expression nested too deeply (more than %d levels)", maxDepth)
		}
		s.tokens = append(s.tokens, t)
		if t.EOF() {
			return s, nil
		}
	}
}

// invalidChar reports a character that starts no token, with a hint for
// operators that people bring from other languages.
func invalidChar(t lexer.Token, src string) *diag.Error {
	e := syntaxErrorf(t.Pos, "unexpected character %q", t.Value)
	next := ""
	if t.Pos.Offset+1 < len(src) {
		next = src[t.Pos.Offset+1 : t.Pos.Offset+2]
	}
	switch {
	case t.Value == "&":
		e.WithHint("use AND")
	case t.Value == "|":
		e.WithHint("use OR, or || to concatenate strings")
	case t.Value == "!":
		e.WithHint("use NOT, or <> for \"not equal\"")
	case t.Value == ":" && next == ":":
		e.WithHint("use CAST(x AS type)")
	case t.Value == "?" || t.Value == "$":
		e.WithHint("parameters are not supported; write the value itself")
	}
	return e
}

// toPos converts a participle position.
func toPos(p lexer.Position) diag.Pos {
	return diag.Pos{Filename: p.Filename, Offset: p.Offset, Line: p.Line, Column: p.Column}
}

// syntaxErrorf builds an ErrSyntax error at a participle position.
func syntaxErrorf(p lexer.Position, format string, args ...any) *diag.Error {
	return diag.Errorf(diag.ErrSyntax, toPos(p), format, args...)
}

// sliceLexer replays a token slice; it feeds participle a statement at a
// time and the candidate inputs that build "expected ..." lists.
type sliceLexer struct {
	tokens []lexer.Token
	i      int
}

func (l *sliceLexer) Next() (lexer.Token, error) {
	t := l.tokens[l.i]
	if l.i < len(l.tokens)-1 {
		l.i++
	}
	return t, nil
}
