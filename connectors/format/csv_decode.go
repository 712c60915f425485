package format

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
)

// CSVDecoder reads CSV (RFC 4180): fields separated by the delimiter,
// quoted fields with "" for a quote and newlines inside, LF or CRLF line
// ends. With a header (the default) fields are matched to declared columns
// by name, exactly and then case-insensitively; without one, by position.
//
// An empty unquoted field is NULL; a quoted empty field "" is the empty
// string (NULL too for columns that are not VARCHAR). Blank lines are
// skipped, except in a file of one column, where they hold NULL.
type CSVDecoder struct {
	decoder
	delim    byte
	stop     [256]bool // bytes that end an unquoted field: the delimiter, '\n', '"'
	proj     []int     // declared column index -> projected index, or -1
	fieldCol []int     // field index -> projected column, or -1
	nfields  int       // fields per record; 0 for an empty file
	fields   []csvField
	ascii    bool // the record just split is all ASCII
	scratch  []byte
}

var _ Decoder = (*CSVDecoder)(nil)

type csvField struct {
	start, end int // of the contents, in the record
	quoted     bool
	esc        bool // holds "" pairs
}

// HeaderError says a declared column is missing from a CSV header.
type HeaderError struct {
	File   string
	Column string
	Header []string
}

// Error names the column, the file and the header it has.
func (e *HeaderError) Error() string {
	return fmt.Sprintf("column %q not in header of %s (header: %s)", e.Column, e.File, strings.Join(e.Header, ", "))
}

// NewCSVDecoder returns a decoder of CSV read from r. Unless
// opts.NoHeader, it reads the header line now.
func NewCSVDecoder(r io.Reader, opts DecoderOptions) (*CSVDecoder, error) {
	d := &CSVDecoder{}
	if err := d.init(r, opts); err != nil {
		return nil, err
	}
	d.delim = d.opts.Delimiter
	if d.delim == '"' || d.delim == '\n' || d.delim == '\r' {
		return nil, fmt.Errorf("csv delimiter %q is not allowed", d.delim)
	}
	d.stop[d.delim], d.stop['\n'], d.stop['"'] = true, true, true
	n := d.opts.Schema.NumFields()
	d.proj = make([]int, n)
	for i := range d.proj {
		d.proj[i] = -1
	}
	if d.opts.Projection == nil {
		for i := range d.proj {
			d.proj[i] = i
		}
	} else {
		for out, in := range d.opts.Projection {
			d.proj[in] = out
		}
	}
	if err := d.start(); err != nil {
		return nil, err
	}
	return d, nil
}

// Reset starts decoding r, named file in errors, and reads its header.
func (d *CSVDecoder) Reset(r io.Reader, file string) error {
	d.reset(r, file)
	return d.start()
}

// AtEnd reports whether no record is left.
func (d *CSVDecoder) AtEnd() (bool, error) {
	blank := blankCSV
	if d.nfields == 1 {
		blank = blankNone
	}
	end, err := d.in.atEnd(blank)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", d.file, err)
	}
	return end, nil
}

// start skips a byte order mark and reads the header.
func (d *CSVDecoder) start() error {
	for d.in.end-d.in.pos < 3 && !d.in.eof {
		if err := d.in.fill(); err != nil {
			return fmt.Errorf("read %s: %w", d.file, err)
		}
	}
	if b := d.in.buf[d.in.pos:d.in.end]; len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		d.in.pos += 3
	}
	if d.opts.NoHeader {
		d.nfields = d.opts.Schema.NumFields()
		d.fieldCol = append(d.fieldCol[:0], d.proj...)
		return nil
	}
	d.nfields = 0
	for {
		rec, line, ok, msg, err := d.record()
		if err != nil {
			return err
		}
		if !ok {
			return nil // empty file
		}
		if msg != "" {
			return d.recordError(line, "", "bad header: "+msg)
		}
		if d.blank(rec) {
			continue
		}
		header := make([]string, len(d.fields))
		for i, f := range d.fields {
			v := rec[f.start:f.end]
			if f.esc {
				v = unescapeCSV(nil, v)
			}
			header[i] = string(v)
		}
		return d.mapHeader(header)
	}
}

// mapHeader matches the declared columns to header fields.
func (d *CSVDecoder) mapHeader(header []string) error {
	d.nfields = len(header)
	d.fieldCol = d.fieldCol[:0]
	for range header {
		d.fieldCol = append(d.fieldCol, -1)
	}
	taken := make([]bool, len(header))
	for ci, f := range d.opts.Schema.Fields() {
		match := -1
		for i, h := range header {
			if !taken[i] && h == f.Name {
				match = i
				break
			}
		}
		if match < 0 {
			for i, h := range header {
				if !taken[i] && strings.EqualFold(h, f.Name) {
					match = i
					break
				}
			}
		}
		if match < 0 {
			return &HeaderError{File: d.file, Column: f.Name, Header: header}
		}
		taken[match] = true
		d.fieldCol[match] = d.proj[ci]
	}
	return nil
}

// blank reports whether the record just split is an empty line, skipped
// unless records have a single field.
func (d *CSVDecoder) blank(rec []byte) bool {
	return len(d.fields) == 1 && !d.fields[0].quoted && d.fields[0].end == 0 && d.nfields != 1
}

// Next returns the next batch of rows.
func (d *CSVDecoder) Next() (arrow.Record, error) {
	for d.b.rows < d.opts.BatchSize {
		rec, line, ok, msg, err := d.record()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if msg != "" {
			return nil, d.recordError(line, "", msg)
		}
		if d.blank(rec) {
			continue
		}
		if len(d.fields) != d.nfields {
			return nil, d.recordError(line, "", fmt.Sprintf("%d fields, expected %d", len(d.fields), d.nfields))
		}
		if rerr := d.decodeRecord(rec, line); rerr != nil {
			d.b.rollback()
			return nil, rerr
		}
		d.finishRow(line)
	}
	return d.flush()
}

func (d *CSVDecoder) decodeRecord(rec []byte, line int64) *RecordError {
	for i, f := range d.fields {
		ci := d.fieldCol[i]
		if ci < 0 {
			continue
		}
		c := d.b.cols[ci]
		v := rec[f.start:f.end]
		if f.esc {
			d.scratch = unescapeCSV(d.scratch[:0], v)
			v = d.scratch
		}
		if len(v) == 0 && (!f.quoted || c.kind != kString) {
			c.appendNull()
			continue
		}
		if d.ascii && c.kind == kString {
			c.appendString(v)
			continue
		}
		if msg := c.appendText(v, true); msg != "" {
			return d.recordError(line, c.name, msg)
		}
	}
	return nil
}

// record splits the next record into d.fields. ok is false at the end of
// the input; msg says what is wrong with a malformed record.
func (d *CSVDecoder) record() (rec []byte, line int64, ok bool, msg string, err error) {
	for {
		b := d.in.buf[d.in.pos:d.in.end]
		if len(b) == 0 && d.in.eof {
			return nil, 0, false, "", nil
		}
		if len(b) > 0 {
			n, lines, msg := d.split(b, d.in.eof)
			if n >= 0 {
				d.in.pos += n
				line = d.line + 1
				d.line += int64(lines)
				return b[:n], line, true, msg, nil
			}
		}
		if err := d.in.fill(); err != nil {
			return nil, 0, false, "", fmt.Errorf("read %s: %w", d.file, err)
		}
	}
}

// split parses the record at the start of b into d.fields. It returns the
// record's length including its line end, the number of lines it spans and
// what is wrong with it, if anything; n is -1 when b ends inside the record
// and more input may follow.
func (d *CSVDecoder) split(b []byte, eof bool) (n, lines int, msg string) {
	if n, ok := d.splitFast(b, eof); ok {
		return n, 1, ""
	}
	d.ascii = false
	fields := d.fields[:0]
	defer func() { d.fields = fields }()
	delim := d.delim
	i := 0
	for {
		if i < len(b) && b[i] == '"' {
			j := i + 1
			esc := false
			for {
				k := bytes.IndexByte(b[j:], '"')
				if k < 0 {
					if !eof {
						return -1, 0, ""
					}
					fields = append(fields, csvField{start: i + 1, end: len(b), quoted: true})
					return len(b), lines + 1 + bytes.Count(b[i:], newline), "unterminated quoted field"
				}
				j += k + 1
				if j < len(b) && b[j] == '"' {
					esc = true
					j++
					continue
				}
				if j == len(b) && !eof {
					return -1, 0, ""
				}
				break
			}
			lines += bytes.Count(b[i+1:j-1], newline)
			fields = append(fields, csvField{start: i + 1, end: j - 1, quoted: true, esc: esc})
			i = j
			switch {
			case i == len(b):
				return i, lines + 1, msg
			case b[i] == delim:
				i++
				continue
			case b[i] == '\n':
				return i + 1, lines + 1, msg
			case b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n':
				return i + 2, lines + 1, msg
			case b[i] == '\r' && i+1 == len(b):
				if !eof {
					return -1, 0, ""
				}
				return i + 1, lines + 1, msg
			}
			if msg == "" {
				msg = fmt.Sprintf("unexpected %s after a closing quote (field %d)", strconv.QuoteRune(rune(b[i])), len(fields))
			}
			k := bytes.IndexByte(b[i:], '\n')
			if k < 0 {
				if !eof {
					return -1, 0, ""
				}
				return len(b), lines + 1, msg
			}
			return i + k + 1, lines + 1, msg
		}
		j := i
		for j < len(b) && !d.stop[b[j]] {
			j++
		}
		if j < len(b) && b[j] == '"' {
			if msg == "" {
				msg = fmt.Sprintf("quote in unquoted field %d (quote the whole field and double the quote)", len(fields)+1)
			}
			for j < len(b) && b[j] != delim && b[j] != '\n' {
				j++
			}
		}
		if j == len(b) && !eof {
			return -1, 0, ""
		}
		e := j
		if (j == len(b) || b[j] == '\n') && e > i && b[e-1] == '\r' {
			e--
		}
		fields = append(fields, csvField{start: i, end: e})
		if j == len(b) {
			return j, lines + 1, msg
		}
		if b[j] == '\n' {
			return j + 1, lines + 1, msg
		}
		i = j + 1
	}
}

var newline = []byte{'\n'}

// splitFast splits a record that holds no quote, which is one line, eight
// bytes at a time. ok is false when the line has a quote; n is -1 when the
// line does not end in b and more input may follow.
func (d *CSVDecoder) splitFast(b []byte, eof bool) (n int, ok bool) {
	fields := d.fields[:0]
	delims := lsb * uint64(d.delim)
	var high uint64
	start, i := 0, 0
	end := -1 // of the line, when found
	for ; i+8 <= len(b); i += 8 {
		x := load8(b, i)
		q := exactZero(x ^ (lsb * '"'))
		nl := exactZero(x ^ (lsb * '\n'))
		dl := exactZero(x ^ delims)
		if nl != 0 {
			k := firstByte(nl)
			before := uint64(1)<<(8*k) - 1
			q, dl, x = q&before, dl&before, x&before
			end = i + k
		}
		if q != 0 {
			return 0, false
		}
		high |= x
		for ; dl != 0; dl &= dl - 1 {
			k := i + firstByte(dl)
			fields = append(fields, csvField{start: start, end: k})
			start = k + 1
		}
		if end >= 0 {
			break
		}
	}
	if end < 0 {
		for ; i < len(b); i++ {
			c := b[i]
			if c == '\n' {
				end = i
				break
			}
			if c == '"' {
				return 0, false
			}
			high |= uint64(c)
			if c == d.delim {
				fields = append(fields, csvField{start: start, end: i})
				start = i + 1
			}
		}
	}
	if end < 0 {
		if !eof {
			return -1, true
		}
		end = len(b)
	}
	e := end
	if e > start && b[e-1] == '\r' {
		e--
	}
	d.fields = append(fields, csvField{start: start, end: e})
	d.ascii = high&msb == 0
	if end == len(b) {
		return end, true
	}
	return end + 1, true
}

// unescapeCSV appends s with each "" turned into ".
func unescapeCSV(dst, s []byte) []byte {
	for {
		k := bytes.Index(s, []byte(`""`))
		if k < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:k+1]...)
		s = s[k+2:]
	}
}
