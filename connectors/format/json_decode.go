package format

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
)

// JSONDecoder reads JSON lines: one object per line, keys matched to the
// projected columns (exactly, then case-insensitively). Values of other keys
// are skipped without being built; a missing key or null is NULL.
//
// It is a hand-written scanner: each value goes straight from the input
// buffer into its column, with no intermediate maps or reflection.
type JSONDecoder struct {
	decoder
	byName  map[string]int      // exact names of projected columns
	byFold  map[string]int      // lower-cased names of projected columns
	intern  map[string]*keyInfo // every key seen, up to maxInterned
	hints   []*keyInfo          // the key met at each position of the last objects
	scratch []byte              // unescaped strings
	keyBuf  []byte              // unescaped keys
	stack   []byte              // closers while skipping nested values
}

var _ Decoder = (*JSONDecoder)(nil)

// keyInfo is what a JSON key maps to.
type keyInfo struct {
	key   string
	col   int  // index of the projected column; -1 for none
	exact bool // the key equals the column name exactly
}

const (
	maxInterned = 4096
	maxHints    = 256
)

// NewJSONDecoder returns a decoder of JSON lines read from r.
func NewJSONDecoder(r io.Reader, opts DecoderOptions) (*JSONDecoder, error) {
	d := &JSONDecoder{
		byName: map[string]int{},
		byFold: map[string]int{},
		intern: map[string]*keyInfo{},
	}
	if err := d.init(r, opts); err != nil {
		return nil, err
	}
	for i, c := range d.b.cols {
		if _, dup := d.byName[c.name]; !dup {
			d.byName[c.name] = i
		}
		if _, dup := d.byFold[strings.ToLower(c.name)]; !dup {
			d.byFold[strings.ToLower(c.name)] = i
		}
	}
	return d, nil
}

// Reset starts decoding r, named file in errors.
func (d *JSONDecoder) Reset(r io.Reader, file string) error {
	d.reset(r, file)
	return nil
}

// AtEnd reports whether only blank lines are left.
func (d *JSONDecoder) AtEnd() (bool, error) {
	end, err := d.in.atEnd(blankJSON)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", d.file, err)
	}
	return end, nil
}

// Next returns the next batch of rows.
func (d *JSONDecoder) Next() (arrow.Record, error) {
	for d.b.rows < d.opts.BatchSize {
		line, ok, err := d.in.line()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", d.file, err)
		}
		if !ok {
			break
		}
		d.line++
		if d.line == 1 && len(line) >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF {
			line = line[3:] // byte order mark
		}
		blank, rerr := d.parseLine(line)
		if rerr != nil {
			d.b.rollback()
			return nil, rerr
		}
		if !blank {
			d.finishRow(d.line)
		}
	}
	return d.flush()
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

func skipWS(b []byte, i int) int {
	for i < len(b) && isJSONSpace(b[i]) {
		i++
	}
	return i
}

// syntaxError reports invalid JSON at b[i].
func (d *JSONDecoder) syntaxError(b []byte, i int, what string) *RecordError {
	var msg string
	switch {
	case what != "":
		msg = fmt.Sprintf("invalid JSON: %s at byte %d", what, i+1)
	case i >= len(b):
		msg = "invalid JSON: unexpected end of line"
	default:
		c, _ := utf8.DecodeRune(b[i:])
		msg = fmt.Sprintf("invalid JSON: unexpected %q at byte %d", c, i+1)
	}
	return d.recordError(d.line, "", msg)
}

// parseLine decodes one object into the columns; blank says the line held
// nothing. On error the row may be partly built: the caller rolls back.
func (d *JSONDecoder) parseLine(b []byte) (blank bool, err *RecordError) {
	i := skipWS(b, 0)
	if i == len(b) {
		return true, nil
	}
	if b[i] != '{' {
		return false, d.syntaxError(b, i, "")
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for ord := 0; ; ord++ {
			if i >= len(b) || b[i] != '"' {
				return false, d.syntaxError(b, i, "")
			}
			end, esc, _ := scanString(b, i+1)
			if end < 0 {
				return false, d.syntaxError(b, i, "unterminated string")
			}
			key := b[i+1 : end]
			if esc {
				var ok bool
				if d.keyBuf, ok = unescape(d.keyBuf[:0], key); !ok {
					return false, d.syntaxError(b, i, "invalid escape in string")
				}
				key = d.keyBuf
			}
			info := d.lookupKey(ord, key)
			i = skipWS(b, end+1)
			if i >= len(b) || b[i] != ':' {
				return false, d.syntaxError(b, i, "")
			}
			i = skipWS(b, i+1)
			if i >= len(b) {
				return false, d.syntaxError(b, i, "")
			}
			if info.col < 0 {
				if i, err = d.skipValue(b, i); err != nil {
					return false, err
				}
			} else {
				c := d.b.cols[info.col]
				if c.len() > d.b.rows { // the key repeats
					if c.exact && !info.exact {
						if i, err = d.skipValue(b, i); err != nil {
							return false, err
						}
						goto next
					}
					c.truncate(d.b.rows)
				}
				c.exact = info.exact
				if i, err = d.decodeValue(c, b, i); err != nil {
					return false, err
				}
			}
		next:
			i = skipWS(b, i)
			if i < len(b) && b[i] == ',' {
				i = skipWS(b, i+1)
				continue
			}
			if i < len(b) && b[i] == '}' {
				i++
				break
			}
			return false, d.syntaxError(b, i, "")
		}
	}
	if i = skipWS(b, i); i != len(b) {
		return false, d.syntaxError(b, i, "")
	}
	return false, nil
}

// lookupKey maps a key to its column, trying first the key met at the same
// position in the previous objects (keys usually come in the same order).
func (d *JSONDecoder) lookupKey(ord int, key []byte) *keyInfo {
	if ord < len(d.hints) {
		if h := d.hints[ord]; h != nil && h.key == string(key) {
			return h
		}
	}
	info := d.intern[string(key)]
	if info == nil {
		info = &keyInfo{col: -1}
		if c, ok := d.byName[string(key)]; ok {
			info.col, info.exact = c, true
		} else if c, ok := d.byFold[strings.ToLower(string(key))]; ok {
			info.col = c
		}
		if len(d.intern) >= maxInterned {
			return info // not kept, so never a hint
		}
		info.key = string(key)
		d.intern[info.key] = info
	}
	if ord < maxHints {
		for len(d.hints) <= ord {
			d.hints = append(d.hints, nil)
		}
		d.hints[ord] = info
	}
	return info
}

// unescape appends the decoded contents of a JSON string to dst.
func unescape(dst, s []byte) ([]byte, bool) {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			j := i + 1
			for j < len(s) && s[j] != '\\' {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		if i+1 >= len(s) {
			return dst, false
		}
		switch s[i+1] {
		case '"', '\\', '/':
			dst = append(dst, s[i+1])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s, i+2)
			if !ok {
				return dst, false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(s, i+2); ok && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						i += 6
						dst = utf8.AppendRune(dst, dec)
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return dst, false
		}
		i += 2
	}
	return dst, true
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// scanNumber returns the end of the JSON number at b[i], or -1.
func scanNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == s {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == s {
			return -1
		}
	}
	return i
}

// literal returns the end of the literal lit at b[i], or -1.
func literal(b []byte, i int, lit string) int {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit)
	}
	return -1
}

// skipValue returns the end of the value at b[i] without decoding it.
func (d *JSONDecoder) skipValue(b []byte, i int) (int, *RecordError) {
	end := -1
	switch c := b[i]; {
	case c == '"':
		if end, _, _ = scanString(b, i+1); end < 0 {
			return 0, d.syntaxError(b, i, "unterminated string")
		}
		return end + 1, nil
	case c == '{' || c == '[':
		return d.skipNested(b, i)
	case c == 't':
		end = literal(b, i, "true")
	case c == 'f':
		end = literal(b, i, "false")
	case c == 'n':
		end = literal(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		end = scanNumber(b, i)
	}
	if end < 0 {
		return 0, d.syntaxError(b, i, "")
	}
	return end, nil
}

// skipNested returns the end of the object or array at b[i], checking that
// brackets balance and strings end (not the rest of the grammar).
func (d *JSONDecoder) skipNested(b []byte, i int) (int, *RecordError) {
	stack := d.stack[:0]
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '{':
			stack = append(stack, '}')
		case '[':
			stack = append(stack, ']')
		case '}', ']':
			if len(stack) == 0 || stack[len(stack)-1] != b[j] {
				d.stack = stack
				return 0, d.syntaxError(b, j, "")
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				d.stack = stack
				return j + 1, nil
			}
		case '"':
			end, _, _ := scanString(b, j+1)
			if end < 0 {
				d.stack = stack
				return 0, d.syntaxError(b, j, "unterminated string")
			}
			j = end
		}
	}
	d.stack = stack
	return 0, d.syntaxError(b, len(b), "")
}

// decodeValue decodes the value at b[i] into c and returns its end.
func (d *JSONDecoder) decodeValue(c *column, b []byte, i int) (int, *RecordError) {
	switch ch := b[i]; {
	case ch == '"':
		end, esc, ascii := scanString(b, i+1)
		if end < 0 {
			return 0, d.syntaxError(b, i, "unterminated string")
		}
		s := b[i+1 : end]
		if ascii && !esc && c.kind == kString {
			c.appendString(s)
			return end + 1, nil
		}
		if esc {
			var ok bool
			if d.scratch, ok = unescape(d.scratch[:0], s); !ok {
				return 0, d.syntaxError(b, i, "invalid escape in string")
			}
			s = d.scratch
		}
		if len(s) == 0 && c.kind != kString {
			c.appendNull()
		} else if msg := c.appendText(s, true); msg != "" {
			return 0, d.recordError(d.line, c.name, msg)
		}
		return end + 1, nil
	case ch == '-' || (ch >= '0' && ch <= '9'):
		if c.kind == kInt64 || c.kind == kTimestamp || c.kind == kInt32 {
			if end, ok := d.decodeInt(c, b, i); ok {
				return end, nil
			}
		}
		end := scanNumber(b, i)
		if end < 0 {
			return 0, d.syntaxError(b, i, "")
		}
		if msg := c.appendText(b[i:end], false); msg != "" {
			return 0, d.recordError(d.line, c.name, msg)
		}
		return end, nil
	case ch == 'n':
		end := literal(b, i, "null")
		if end < 0 {
			return 0, d.syntaxError(b, i, "")
		}
		c.appendNull()
		return end, nil
	case ch == 't' || ch == 'f':
		end := literal(b, i, "true")
		if ch == 'f' {
			end = literal(b, i, "false")
		}
		if end < 0 {
			return 0, d.syntaxError(b, i, "")
		}
		if c.kind == kBool {
			c.appendBool(ch == 't')
		} else if msg := c.appendText(b[i:end], false); msg != "" {
			return 0, d.recordError(d.line, c.name, msg)
		}
		return end, nil
	case ch == '{' || ch == '[':
		end, err := d.skipNested(b, i)
		if err != nil {
			return 0, err
		}
		if c.kind == kString {
			c.appendText(b[i:end], false) // the raw JSON text
			return end, nil
		}
		what := "an object"
		if ch == '[' {
			what = "an array"
		}
		return 0, d.recordError(d.line, c.name, fmt.Sprintf("%s is not %s", what, article(c.typeName())))
	}
	return 0, d.syntaxError(b, i, "")
}

// decodeInt is the fast path for an integer into an integer or timestamp
// column; ok is false when the slow path must decide (a fraction, an
// exponent, too many digits, bad syntax).
func (d *JSONDecoder) decodeInt(c *column, b []byte, i int) (int, bool) {
	j := i
	neg := false
	if b[j] == '-' {
		neg = true
		j++
	}
	start := j
	var u uint64
	for j < len(b) {
		x := b[j] - '0'
		if x > 9 {
			break
		}
		u = u*10 + uint64(x)
		j++
	}
	n := j - start
	if n == 0 || n > 18 || (n > 1 && b[start] == '0') {
		return 0, false
	}
	if j < len(b) && (b[j] == '.' || b[j] == 'e' || b[j] == 'E') {
		return 0, false
	}
	v := int64(u)
	if neg {
		v = -v
	}
	if c.kind == kInt32 {
		if v < -1<<31 || v > 1<<31-1 {
			return 0, false
		}
		c.appendInt32(int32(v))
		return j, true
	}
	c.appendInt64(v)
	return j, true
}
