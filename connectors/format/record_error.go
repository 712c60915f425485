package format

import (
	"strconv"
	"strings"
)

// RecordError is a malformed input record: a line that is not valid JSON, a
// CSV row with the wrong number of fields, or a value that does not fit its
// column. A decoder that returns one stays usable: calling Next again skips
// the record.
type RecordError struct {
	// File names the input, as the user wrote it.
	File string
	// Line is the 1-based line where the record starts.
	Line int64
	// Column is the declared column whose value is bad; "" when the record
	// as a whole is malformed.
	Column string
	// Msg says what is wrong.
	Msg string
}

// Error reads like `bids.jsonl:17: column "price": "abc" is not a BIGINT`.
func (e *RecordError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	} else {
		b.WriteString("line ")
	}
	b.WriteString(strconv.FormatInt(e.Line, 10))
	b.WriteString(": ")
	if e.Column != "" {
		b.WriteString("column ")
		b.WriteString(strconv.Quote(e.Column))
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// quoteValue renders a bad value for a message: quoted when it came from a
// string, cut short when long.
func quoteValue(v []byte, quoted bool) string {
	const max = 40
	cut := false
	if len(v) > max {
		v, cut = v[:max], true
	}
	s := string(v)
	if quoted {
		s = strconv.Quote(s)
	}
	if cut {
		s += "..."
	}
	return s
}
