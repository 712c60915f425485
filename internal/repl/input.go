package repl

import "strings"

// lexState is where a scan of SQL text stands: outside any quote or
// comment, or inside one that an earlier line opened.
type lexState uint8

const (
	lexCode         lexState = iota
	lexString                // '...'
	lexQuotedIdent           // "..."
	lexBackquoted            // `...`
	lexBlockComment          // /* ... */
)

// scanSQL walks src from state st and calls code for each byte that is
// SQL text outside quotes and comments. Line comments end at a newline. It
// returns the state at the end of src and, when src ends inside a line
// comment, the offset of its `--` (else -1).
func scanSQL(src string, st lexState, code func(i int)) (end lexState, lineComment int) {
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch st {
		case lexString, lexQuotedIdent, lexBackquoted:
			// A doubled quote is an escaped quote: leaving and re-entering
			// the quote gives the same state, so no look-ahead is needed.
			if c == closingQuote[st] {
				st = lexCode
			}
		case lexBlockComment:
			if c == '*' && i+1 < len(src) && src[i+1] == '/' {
				st = lexCode
				i++
			}
		default:
			switch {
			case c == '\'':
				st = lexString
			case c == '"':
				st = lexQuotedIdent
			case c == '`':
				st = lexBackquoted
			case c == '-' && i+1 < len(src) && src[i+1] == '-':
				j := strings.IndexByte(src[i:], '\n')
				if j < 0 {
					return st, i
				}
				i += j
			case c == '/' && i+1 < len(src) && src[i+1] == '*':
				st = lexBlockComment
				i++
			default:
				if code != nil {
					code(i)
				}
			}
		}
	}
	return st, -1
}

var closingQuote = map[lexState]byte{lexString: '\'', lexQuotedIdent: '"', lexBackquoted: '`'}

// statementComplete reports whether buf holds SQL that ends with a `;`
// outside quotes and comments (comments and blanks may follow it): the
// shell runs the buffer then, and otherwise asks for another line.
func statementComplete(buf string) bool {
	var last byte
	st, _ := scanSQL(buf, lexCode, func(i int) {
		if c := buf[i]; !isSpace(c) {
			last = c
		}
	})
	return st == lexCode && last == ';'
}

// blankSQL reports whether buf holds nothing but blanks and comments (a
// block comment still open counts as not blank).
func blankSQL(buf string) bool {
	blank := true
	st, _ := scanSQL(buf, lexCode, func(i int) {
		if !isSpace(buf[i]) {
			blank = false
		}
	})
	return blank && st == lexCode
}

// historyEntry turns the lines of one statement into one history line
// (history is kept a line per entry): line comments are dropped and the
// lines, trimmed, are joined with a space. A string literal that spans
// lines gets spaces for its line breaks in the recalled text.
func historyEntry(lines []string) string {
	var parts []string
	st := lexCode
	for _, line := range lines {
		var comment int
		st, comment = scanSQL(line, st, nil)
		if comment >= 0 {
			line = line[:comment]
		}
		if p := strings.TrimSpace(line); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
