package parser

import (
	"fmt"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// Parse parses a script: statements separated by semicolons. A trailing
// semicolon is optional and empty statements are skipped, so "" and ";;"
// both parse to no statements. Errors are *diag.Error of kind diag.ErrSyntax.
func Parse(src string) ([]Statement, error) {
	return ParseFile("", src)
}

// ParseFile is Parse for the text of a named file; positions in the AST and
// in errors carry filename.
func ParseFile(filename, src string) ([]Statement, error) {
	s, err := tokenize(filename, src)
	if err != nil {
		return nil, err
	}
	var stmts []Statement
	start := 0
	for i, t := range s.tokens {
		semi := t.Type == tokOp && t.Value == ";"
		if !semi && !t.EOF() {
			continue
		}
		if i > start {
			chunk := make([]lexer.Token, 0, i-start+1)
			chunk = append(chunk, s.tokens[start:i]...)
			chunk = append(chunk, chunkEnd(s.tokens[i-1], t, semi))
			g, err := statementProduction.parse(chunk)
			if err != nil {
				return nil, err
			}
			stmt, err := convStatement(g.(*gStatement))
			if err != nil {
				return nil, err
			}
			stmts = append(stmts, stmt)
		}
		start = i + 1
	}
	return stmts, nil
}

// ParseExpr parses a single scalar expression, such as "price * 2 > 10".
func ParseExpr(src string) (Expr, error) {
	s, err := tokenize("", src)
	if err != nil {
		return nil, err
	}
	toks := s.tokens
	if n := len(toks); n > 1 {
		toks[n-1] = chunkEnd(toks[n-2], toks[n-1], false)
	}
	g, err := exprProduction.parse(toks)
	if err != nil {
		return nil, err
	}
	return convExpr(g.(*gExpr))
}

// chunkEnd is the EOF token that ends a statement's tokens. For a semicolon it
// stands at the semicolon and has the value ";" (so an error can say
// `unexpected ";"`); at the end of the text it stands right after the last
// token rather than after trailing blanks and comments, so that a caret for
// "unexpected end of input" lands next to the text.
func chunkEnd(last, end lexer.Token, semi bool) lexer.Token {
	if semi {
		return lexer.Token{Type: lexer.EOF, Value: ";", Pos: end.Pos}
	}
	pos := last.Pos
	pos.Advance(last.Value)
	return lexer.Token{Type: lexer.EOF, Pos: pos}
}

// production is an entry point into the grammar.
type production struct {
	run func(pl *lexer.PeekingLexer, opts ...participle.ParseOption) (any, error)
	// end is how the end of the input is named in lists of what was
	// expected: `";"` for a statement, "end of input" for an expression.
	end string
}

var (
	statementProduction = &production{
		run: func(pl *lexer.PeekingLexer, opts ...participle.ParseOption) (any, error) {
			return stmtParser.ParseFromLexer(pl, opts...)
		},
		end: `";"`,
	}
	exprProduction = &production{
		run: func(pl *lexer.PeekingLexer, opts ...participle.ParseOption) (any, error) {
			return exprParser.ParseFromLexer(pl, opts...)
		},
		end: "end of input",
	}
)

// parse runs the grammar over toks, which end with an EOF token, and turns a
// participle failure into a readable *diag.Error.
func (p *production) parse(toks []lexer.Token) (any, error) {
	g, err := p.try(toks)
	if err == nil {
		return g, nil
	}
	return nil, p.describe(toks, err)
}

// try runs the grammar and returns participle's own error. A panic inside
// participle (which would be a bug in the grammar) becomes an error too.
func (p *production) try(toks []lexer.Token, opts ...participle.ParseOption) (g any, err error) {
	defer func() {
		if r := recover(); r != nil {
			g, err = nil, fmt.Errorf("internal parser error: %v", r)
		}
	}()
	pl, err := lexer.Upgrade(&sliceLexer{tokens: toks})
	if err != nil {
		return nil, err
	}
	return p.run(pl, opts...)
}

// errorOffset is where participle stopped, or -1 when its error carries no
// position.
func errorOffset(err error) int {
	if perr, ok := err.(participle.Error); ok {
		return perr.Position().Offset
	}
	return -1
}
