package format

import (
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/weirsql/weir/sqltypes"
)

// TableEncoder prints batches as an aligned table for a terminal, like
// psql. Output streams: the header and separator are printed with the
// first batch, column widths come from the header and that batch, and a
// later, wider value widens its own cell only. Numbers are right-aligned,
// other values left-aligned, NULL shows as NULL and Close prints the row
// count.
//
//	 auction | bidder | price
//	---------+--------+-------
//	       1 | alice  |    10
//	(1 row)
type TableEncoder struct {
	encoderBase
	names   []string
	right   []bool
	widths  []int
	started bool
}

var _ Encoder = (*TableEncoder)(nil)

// NewTableEncoder returns a table encoder writing to w.
func NewTableEncoder(w io.Writer, schema *arrow.Schema, opts EncoderOptions) *TableEncoder {
	e := &TableEncoder{}
	e.init(w, schema, opts)
	if e.updating {
		e.names = append(e.names, "op")
		e.right = append(e.right, false)
	}
	for _, f := range schema.Fields() {
		e.names = append(e.names, string(appendTableText(nil, f.Name)))
		e.right = append(e.right, sqltypes.IsNumeric(f.Type) || f.Type.ID() == arrow.UINT8 ||
			f.Type.ID() == arrow.UINT16 || f.Type.ID() == arrow.UINT32 || f.Type.ID() == arrow.UINT64)
	}
	for _, n := range e.names {
		e.widths = append(e.widths, displayWidth(n))
	}
	return e
}

// Write prints the rows of rec, after the header on the first call.
func (e *TableEncoder) Write(rec arrow.Record, ops *array.Int8) error {
	if err := e.render(rec, ops, styleTable); err != nil {
		return err
	}
	n := int(rec.NumRows())
	off := 0
	if e.updating {
		off = 1
	}
	b := e.out[:0]
	if !e.started {
		for c := range e.cols {
			t := &e.cols[c]
			start := 0
			for _, end := range t.end {
				if w := displayWidth(unsafeString(t.buf[start:end])); w > e.widths[c+off] {
					e.widths[c+off] = w
				}
				start = end
			}
		}
		b = e.appendHeader(b)
	}
	for r := 0; r < n; r++ {
		lineStart := len(b)
		col := 0
		if e.updating {
			b = e.appendCell(b, col, []byte(opText(ops, r)))
			col++
		}
		for c := range e.cols {
			b = e.appendCell(b, col, e.cell(c, r))
			col++
		}
		b = trimLine(b, lineStart)
		b = append(b, '\n')
	}
	e.out = b
	e.rows += int64(n)
	return e.emit()
}

// appendCell appends one padded cell; col counts the op column.
func (e *TableEncoder) appendCell(b []byte, col int, s []byte) []byte {
	if col > 0 {
		b = append(b, '|')
	}
	b = append(b, ' ')
	pad := e.widths[col] - displayWidth(unsafeString(s))
	if e.right[col] {
		b = appendSpaces(b, pad)
		b = append(b, s...)
	} else {
		b = append(b, s...)
		b = appendSpaces(b, pad)
	}
	return append(b, ' ')
}

func (e *TableEncoder) appendHeader(b []byte) []byte {
	e.started = true
	lineStart := len(b)
	for c, name := range e.names {
		if c > 0 {
			b = append(b, '|')
		}
		b = append(b, ' ')
		pad := e.widths[c] - displayWidth(name)
		b = appendSpaces(b, pad/2)
		b = append(b, name...)
		b = appendSpaces(b, pad-pad/2)
		b = append(b, ' ')
	}
	b = trimLine(b, lineStart)
	b = append(b, '\n')
	for c, w := range e.widths {
		if c > 0 {
			b = append(b, '+')
		}
		for i := 0; i < w+2; i++ {
			b = append(b, '-')
		}
	}
	return append(b, '\n')
}

func appendSpaces(b []byte, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, ' ')
	}
	return b
}

// trimLine drops trailing spaces of the line that starts at b[start].
func trimLine(b []byte, start int) []byte {
	for len(b) > start && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// Close prints the header if no batch came, then the row count, and
// flushes.
func (e *TableEncoder) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	b := e.out[:0]
	if !e.started {
		b = e.appendHeader(b)
	}
	b = append(b, '(')
	b = strconv.AppendInt(b, e.rows, 10)
	if e.rows == 1 {
		b = append(b, " row)\n"...)
	} else {
		b = append(b, " rows)\n"...)
	}
	e.out = b
	if err := e.emit(); err != nil {
		return err
	}
	return e.Flush()
}

// displayWidth is the number of terminal columns s takes: two for East
// Asian wide characters and most emoji, one for others.
func displayWidth(s string) int {
	w := 0
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			w++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		w++
		if isWide(r) {
			w++
		}
	}
	return w
}

// isWide reports whether r is East Asian wide or fullwidth (a coarse table
// of the main blocks).
func isWide(r rune) bool {
	switch {
	case r < 0x1100:
		return false
	case r <= 0x115F, // Hangul Jamo
		r >= 0x2E80 && r <= 0x303E, // CJK radicals, punctuation
		r >= 0x3041 && r <= 0x33FF, // kana, CJK symbols
		r >= 0x3400 && r <= 0x4DBF, // CJK extension A
		r >= 0x4E00 && r <= 0x9FFF, // CJK unified ideographs
		r >= 0xA000 && r <= 0xA4CF, // Yi
		r >= 0xAC00 && r <= 0xD7A3, // Hangul syllables
		r >= 0xF900 && r <= 0xFAFF, // CJK compatibility ideographs
		r >= 0xFE30 && r <= 0xFE4F, // CJK compatibility forms
		r >= 0xFF00 && r <= 0xFF60, // fullwidth forms
		r >= 0xFFE0 && r <= 0xFFE6,
		r >= 0x1F300 && r <= 0x1F64F, // emoji
		r >= 0x1F900 && r <= 0x1F9FF,
		r >= 0x20000 && r <= 0x3FFFD: // CJK extensions
		return true
	}
	return false
}
