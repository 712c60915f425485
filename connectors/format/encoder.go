package format

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"

	"github.com/weirsql/weir/exec"
	"github.com/weirsql/weir/sqltypes"
)

// Encoder prints batches as text.
type Encoder interface {
	// Write prints the rows of rec. For an updating stream ops holds one op
	// per row; nil means every row is an insert. Write does not take over
	// rec or ops: the caller still releases them.
	Write(rec arrow.Record, ops *array.Int8) error
	// Flush hands buffered output to the writer.
	Flush() error
	// Close prints what comes last (a CSV header if no row came, a table's
	// row count) and flushes. It does not close the writer.
	Close() error
}

// EncoderOptions configures an Encoder.
type EncoderOptions struct {
	// Updating says the stream is a changelog: each row starts with its op
	// (+I, -U, +U, -D), in a leading "op" column or key.
	Updating bool
	// Delimiter separates CSV fields (default ',').
	Delimiter byte
	// NoHeader leaves out the CSV header line.
	NoHeader bool
}

// EncoderFormats lists the names NewEncoder accepts.
var EncoderFormats = []string{"csv", "json", "table"}

// NewEncoder returns an encoder of format "csv", "json" (JSON lines) or
// "table" writing to w batches of the given schema.
func NewEncoder(format string, w io.Writer, schema *arrow.Schema, opts EncoderOptions) (Encoder, error) {
	switch format {
	case "csv":
		return NewCSVEncoder(w, schema, opts), nil
	case "json":
		return NewJSONEncoder(w, schema, opts), nil
	case "table":
		return NewTableEncoder(w, schema, opts), nil
	}
	return nil, fmt.Errorf("unknown output format %q (use csv, json or table)", format)
}

// style selects how values are rendered.
type style uint8

const (
	styleCSV style = iota
	styleJSON
	styleTable
)

// textCol holds the rendered text of one column of a batch: every row's
// text back to back in buf, row i ending at end[i].
type textCol struct {
	buf []byte
	end []int
}

// encoderBase is what the encoders share.
type encoderBase struct {
	w        *bufio.Writer
	schema   *arrow.Schema
	updating bool
	delim    byte
	cols     []textCol
	pos      []int  // start of each column's current row while assembling
	out      []byte // the batch's output, reused
	rows     int64
	closed   bool
}

func (e *encoderBase) init(w io.Writer, schema *arrow.Schema, opts EncoderOptions) {
	e.w = bufio.NewWriterSize(w, 64<<10)
	e.schema = schema
	e.updating = opts.Updating
	e.delim = opts.Delimiter
	if e.delim == 0 {
		e.delim = ','
	}
	e.cols = make([]textCol, schema.NumFields())
	e.pos = make([]int, schema.NumFields())
}

// Flush hands buffered output to the writer.
func (e *encoderBase) Flush() error { return e.w.Flush() }

// render renders every column of rec.
func (e *encoderBase) render(rec arrow.Record, ops *array.Int8, st style) error {
	if int(rec.NumCols()) != len(e.cols) {
		return fmt.Errorf("encode: batch has %d columns, schema %d", rec.NumCols(), len(e.cols))
	}
	if e.updating && ops != nil && int64(ops.Len()) != rec.NumRows() {
		return fmt.Errorf("encode: %d ops for %d rows", ops.Len(), rec.NumRows())
	}
	for i := range e.cols {
		e.cols[i].render(rec.Column(i), st, e.delim)
		e.pos[i] = 0
	}
	return nil
}

// opText is the op of row i.
func opText(ops *array.Int8, i int) string {
	if ops == nil || ops.IsNull(i) {
		return "+I"
	}
	return exec.Op(ops.Value(i)).String()
}

// cell returns the text of the next row of column c.
func (e *encoderBase) cell(c, row int) []byte {
	t := &e.cols[c]
	s := t.buf[e.pos[c]:t.end[row]]
	e.pos[c] = t.end[row]
	return s
}

func (e *encoderBase) emit() error {
	_, err := e.w.Write(e.out)
	return err
}

// render appends the text of every row of arr to t.
func (t *textCol) render(arr arrow.Array, st style, delim byte) {
	t.buf, t.end = t.buf[:0], t.end[:0]
	var null string
	switch st {
	case styleJSON:
		null = "null"
	case styleTable:
		null = "NULL"
	}
	nulls := arr.NullN() > 0
	quote := st == styleJSON // temporal values are JSON strings
	b := t.buf
	switch a := arr.(type) {
	case *array.Boolean:
		for i := 0; i < a.Len(); i++ {
			switch {
			case nulls && a.IsNull(i):
				b = append(b, null...)
			case a.Value(i):
				b = append(b, "true"...)
			default:
				b = append(b, "false"...)
			}
			t.end = append(t.end, len(b))
		}
	case *array.Int8:
		for i, v := range a.Int8Values() {
			if nulls && a.IsNull(i) {
				b = append(b, null...)
			} else {
				b = strconv.AppendInt(b, int64(v), 10)
			}
			t.end = append(t.end, len(b))
		}
	case *array.Int16:
		for i, v := range a.Int16Values() {
			if nulls && a.IsNull(i) {
				b = append(b, null...)
			} else {
				b = strconv.AppendInt(b, int64(v), 10)
			}
			t.end = append(t.end, len(b))
		}
	case *array.Int32:
		for i, v := range a.Int32Values() {
			if nulls && a.IsNull(i) {
				b = append(b, null...)
			} else {
				b = strconv.AppendInt(b, int64(v), 10)
			}
			t.end = append(t.end, len(b))
		}
	case *array.Int64:
		for i, v := range a.Int64Values() {
			if nulls && a.IsNull(i) {
				b = append(b, null...)
			} else {
				b = strconv.AppendInt(b, v, 10)
			}
			t.end = append(t.end, len(b))
		}
	case *array.Float32:
		for i, v := range a.Float32Values() {
			if nulls && a.IsNull(i) {
				b = append(b, null...)
			} else {
				b = appendFloat(b, float64(v), 32, quote)
			}
			t.end = append(t.end, len(b))
		}
	case *array.Float64:
		for i, v := range a.Float64Values() {
			if nulls && a.IsNull(i) {
				b = append(b, null...)
			} else {
				b = appendFloat(b, v, 64, quote)
			}
			t.end = append(t.end, len(b))
		}
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		for i, v := range a.Values() {
			if nulls && a.IsNull(i) {
				b = append(b, null...)
			} else {
				b = appendDecimal(b, v, scale)
			}
			t.end = append(t.end, len(b))
		}
	case *array.Timestamp:
		for i, v := range a.TimestampValues() {
			if nulls && a.IsNull(i) {
				b = append(b, null...)
				t.end = append(t.end, len(b))
				continue
			}
			if quote {
				b = append(b, '"')
			}
			b = sqltypes.AppendTimestamp(b, timestampMillis(a, v))
			if quote {
				b = append(b, '"')
			}
			t.end = append(t.end, len(b))
		}
	case *array.Date32:
		for i, v := range a.Date32Values() {
			if nulls && a.IsNull(i) {
				b = append(b, null...)
				t.end = append(t.end, len(b))
				continue
			}
			if quote {
				b = append(b, '"')
			}
			b = sqltypes.AppendDate(b, int32(v))
			if quote {
				b = append(b, '"')
			}
			t.end = append(t.end, len(b))
		}
	case *array.Duration:
		unit := a.DataType().(*arrow.DurationType).Unit
		for i, v := range a.DurationValues() {
			if nulls && a.IsNull(i) {
				b = append(b, null...)
				t.end = append(t.end, len(b))
				continue
			}
			if quote {
				b = append(b, '"')
			}
			b = sqltypes.AppendInterval(b, toMillis(int64(v), unit))
			if quote {
				b = append(b, '"')
			}
			t.end = append(t.end, len(b))
		}
	case *array.String:
		for i := 0; i < a.Len(); i++ {
			if nulls && a.IsNull(i) {
				b = append(b, null...)
			} else {
				b = appendText(b, a.Value(i), st, delim)
			}
			t.end = append(t.end, len(b))
		}
	case *array.Null:
		// A NULL-typed column (SELECT NULL) has no validity bitmap.
		for i := 0; i < a.Len(); i++ {
			b = append(b, null...)
			t.end = append(t.end, len(b))
		}
	default:
		for i := 0; i < arr.Len(); i++ {
			if arr.IsNull(i) {
				b = append(b, null...)
			} else {
				b = appendText(b, arr.ValueStr(i), st, delim)
			}
			t.end = append(t.end, len(b))
		}
	}
	t.buf = b
	if st == styleCSV && delim != ',' && arr.DataType().ID() != arrow.STRING {
		t.requoteCSV(delim)
	}
}

// requoteCSV quotes the cells that hold the delimiter: needed for values
// that are not strings only when the delimiter is not a comma.
func (t *textCol) requoteCSV(delim byte) {
	need := false
	for _, c := range t.buf {
		if c == delim {
			need = true
			break
		}
	}
	if !need {
		return
	}
	old := append([]byte(nil), t.buf...)
	t.buf = t.buf[:0]
	start := 0
	for i, end := range t.end {
		cell := old[start:end]
		if len(cell) == 0 {
			t.buf = append(t.buf, cell...) // NULL stays an empty field
		} else {
			t.buf = appendCSVField(t.buf, unsafeString(cell), delim)
		}
		start = end
		t.end[i] = len(t.buf)
	}
}

func timestampMillis(a *array.Timestamp, v arrow.Timestamp) int64 {
	return toMillis(int64(v), a.DataType().(*arrow.TimestampType).Unit)
}

func toMillis(v int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return v * 1000
	case arrow.Microsecond:
		return v / 1000
	case arrow.Nanosecond:
		return v / 1_000_000
	}
	return v
}

// appendFloat appends f in sqltypes' text form; in JSON, which has no
// NaN or infinities, those become strings.
func appendFloat(b []byte, f float64, bits int, quote bool) []byte {
	if quote && (math.IsNaN(f) || math.IsInf(f, 0)) {
		b = append(b, '"')
		b = sqltypes.AppendFloat(b, f, bits)
		return append(b, '"')
	}
	return sqltypes.AppendFloat(b, f, bits)
}

// appendDecimal appends n with scale digits after the point ("12.50").
func appendDecimal(b []byte, n decimal128.Num, scale int32) []byte {
	hi, lo := n.HighBits(), n.LowBits()
	if !((hi == 0 && lo < 1<<63) || (hi == -1 && lo >= 1<<63)) || scale < 0 || scale > 38 {
		return append(b, n.ToString(scale)...)
	}
	v := int64(lo)
	u := uint64(v)
	if v < 0 {
		b = append(b, '-')
		u = -u
	}
	var tmp [40]byte
	digits := strconv.AppendUint(tmp[:0], u, 10)
	if scale == 0 {
		return append(b, digits...)
	}
	if len(digits) <= int(scale) { // 5 at scale 2 is 0.05
		b = append(b, '0', '.')
		for i := len(digits); i < int(scale); i++ {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	k := len(digits) - int(scale)
	b = append(b, digits[:k]...)
	b = append(b, '.')
	return append(b, digits[k:]...)
}

// appendText appends a string value in the given style.
func appendText(b []byte, s string, st style, delim byte) []byte {
	switch st {
	case styleCSV:
		return appendCSVField(b, s, delim)
	case styleJSON:
		return appendJSONString(b, s)
	}
	return appendTableText(b, s)
}

// appendCSVField appends s, quoted when it holds the delimiter, a quote, a
// line end or leading or trailing space, or is empty (to tell it from NULL).
func appendCSVField(b []byte, s string, delim byte) []byte {
	if len(s) == 0 {
		return append(b, '"', '"')
	}
	need := s[0] == ' ' || s[len(s)-1] == ' '
	for i := 0; i < len(s) && !need; i++ {
		switch s[i] {
		case delim, '"', '\n', '\r':
			need = true
		}
	}
	if !need {
		return append(b, s...)
	}
	b = append(b, '"')
	for {
		k := indexByte(s, '"')
		if k < 0 {
			break
		}
		b = append(b, s[:k+1]...)
		b = append(b, '"')
		s = s[k+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// jsonSafe marks the ASCII bytes a JSON string holds as they are.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD, and U+2028
// and U+2029 escaped for JavaScript.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendTableText appends s for a terminal: control characters escaped so
// a cell stays on one line, invalid UTF-8 replaced.
func appendTableText(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != 0x7f && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = append(b, s[start:i]...)
				b = append(b, "\uFFFD"...)
			case r == '\u2028' || r == '\u2029' || (r >= 0x80 && r < 0xA0):
				b = append(b, s[start:i]...)
				b = append(b, '\\', 'u')
				b = append(b, hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
			default:
				i += size
				continue
			}
			i += size
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	return append(b, s[start:]...)
}
