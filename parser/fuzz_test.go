package parser

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/weirsql/weir/diag"
)

// FuzzParse checks, for any input, that Parse and ParseExpr do not panic,
// that their errors are positioned syntax errors inside the input, and that
// whatever parses survives Format and a second Parse unchanged.
//
//	go test -run='^$' -fuzz=FuzzParse -fuzztime=60s ./parser/
func FuzzParse(f *testing.F) {
	for _, c := range statementCases {
		f.Add(c.src)
	}
	for _, c := range exprCases {
		f.Add("SELECT " + c.src)
	}
	for _, c := range errorCases {
		f.Add(c.src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		stmts, err := ParseFile("f.sql", src)
		if err != nil {
			checkError(t, src, err)
		}
		for _, s := range stmts {
			text := Format(s)
			again, err := Parse(text)
			if err != nil {
				t.Fatalf("Parse(Format(stmt)) failed\ninput: %q\nformatted: %q\nerror: %v", src, text, err)
			}
			if len(again) != 1 {
				t.Fatalf("Format printed %d statements: %q", len(again), text)
			}
			stripPos(s)
			stripPos(again[0])
			if !reflect.DeepEqual(s, again[0]) {
				t.Fatalf("round trip changed the tree\ninput: %q\nformatted: %q\n got: %s\nwant: %s", src, text, dump(again[0]), dump(s))
			}
		}
		if _, err := ParseExpr(src); err != nil {
			checkError(t, src, err)
		}
	})
}

// checkError asserts the contract of parse errors.
func checkError(t *testing.T, src string, err error) {
	t.Helper()
	var de *diag.Error
	if !errors.As(err, &de) || !errors.Is(err, diag.ErrSyntax) {
		t.Fatalf("error %v (%T) is not a *diag.Error of kind ErrSyntax\ninput: %q", err, err, src)
	}
	p := de.Pos
	if !p.IsValid() || p.Offset < 0 || p.Offset > len(src) || p.Column < 1 {
		t.Fatalf("error %q has position %+v outside the input %q", de.Msg, p, src)
	}
	before := src[:p.Offset]
	line := strings.Count(before, "\n") + 1
	col := utf8.RuneCountInString(before[strings.LastIndex(before, "\n")+1:]) + 1
	if p.Line != line || p.Column != col {
		t.Fatalf("error %q at %d:%d, but its offset %d is at %d:%d\ninput: %q", de.Msg, p.Line, p.Column, p.Offset, line, col, src)
	}
	if de.Msg == "" || unicode.IsUpper([]rune(de.Msg)[0]) {
		t.Fatalf("error message %q should start in lower case\ninput: %q", de.Msg, src)
	}
	for _, leak := range []string{"internal", "participle", "gStatement", "GExpr", "<ident>", "literal{", "sentinel"} {
		if strings.Contains(de.Msg, leak) || strings.Contains(de.Hint, leak) {
			t.Fatalf("error %q (hint %q) exposes the parser's internals\ninput: %q", de.Msg, de.Hint, src)
		}
	}
}
