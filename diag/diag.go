// Package diag holds source positions and the positioned errors that every
// phase of Weir reports: the parser for syntax, the planner for names and
// types. An error renders as
//
//	q.sql:3:8: unknown column "prce" in bids
//	  SELECT prce FROM bids;
//	         ^
//	hint: did you mean "price"?
//
// Sentinel kinds (ErrSyntax, and the planner's own) are wrapped so callers
// test them with errors.Is, never by matching text.
package diag

import (
	"errors"
	"fmt"
	"strings"
)

// Pos is a position in SQL source text. Line and Column are 1-based; Column
// counts runes. A zero Pos means "unknown".
type Pos struct {
	Filename string
	Offset   int
	Line     int
	Column   int
}

// IsValid reports whether the position points somewhere.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String renders "file:line:col", omitting parts that are unknown.
func (p Pos) String() string {
	file := p.Filename
	if file == "" {
		file = "<input>"
	}
	if !p.IsValid() {
		return file
	}
	return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Column)
}

// ErrSyntax is the kind of every parse error.
var ErrSyntax = errors.New("syntax error")

// Error is an error at a position in SQL text.
type Error struct {
	Pos  Pos
	Msg  string // lower-case, quotes offending names
	Hint string // optional advice; Render prints it after the caret
	Kind error  // sentinel for errors.Is; may be nil
}

// Errorf builds an *Error of the given kind.
func Errorf(kind error, pos Pos, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...), Kind: kind}
}

// WithHint returns e with its hint set.
func (e *Error) WithHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}

func (e *Error) Error() string {
	return e.Pos.String() + ": " + e.Msg
}

// Unwrap returns the sentinel kind.
func (e *Error) Unwrap() error { return e.Kind }

// Render formats err for a person: the "file:line:col: message" line and,
// when err carries a position inside src, the offending line with a caret
// under the column and the hint on its own line. Errors without a position
// render as their Error() text.
func Render(err error, src string) string {
	var de *Error
	if !errors.As(err, &de) || !de.Pos.IsValid() {
		return err.Error()
	}
	var b strings.Builder
	b.WriteString(de.Pos.String())
	b.WriteString(": ")
	b.WriteString(de.Msg)
	if line, ok := sourceLine(src, de.Pos.Line); ok {
		b.WriteString("\n  ")
		b.WriteString(strings.ReplaceAll(line, "\t", " "))
		b.WriteString("\n  ")
		col := de.Pos.Column - 1
		if n := len([]rune(line)); col > n {
			col = n
		}
		if col < 0 {
			col = 0
		}
		b.WriteString(strings.Repeat(" ", col))
		b.WriteString("^")
	}
	if de.Hint != "" {
		b.WriteString("\nhint: ")
		b.WriteString(de.Hint)
	}
	return b.String()
}

func sourceLine(src string, line int) (string, bool) {
	if line < 1 {
		return "", false
	}
	for i := 1; i < line; i++ {
		j := strings.IndexByte(src, '\n')
		if j < 0 {
			return "", false
		}
		src = src[j+1:]
	}
	if j := strings.IndexByte(src, '\n'); j >= 0 {
		src = src[:j]
	}
	return strings.TrimRight(src, "\r"), true
}
