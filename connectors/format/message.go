package format

import (
	"bytes"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

// MessageFormats lists the names NewMessageDecoder and NewMessageEncoder
// accept: "json" (one JSON object), "csv" (one CSV record, no header line)
// and "raw" (the message's bytes as the one VARCHAR column).
var MessageFormats = []string{"json", "csv", "raw"}

// MessageDecoder decodes messages that each hold one record, such as the
// values (or keys) of Kafka records, into rows of Arrow records. It uses
// the same column builders as the JSON and CSV decoders, so a value reads
// the same from a message as from a file, straight into columnar buffers.
//
//	dec, _ := format.NewMessageDecoder("json", format.DecoderOptions{Schema: schema, Mem: mem})
//	for _, m := range messages {
//		if bad := dec.Append(m); bad != nil {
//			continue // or stop: bad.Column, bad.Msg say what is wrong
//		}
//	}
//	rec := dec.Flush()
//
// A MessageDecoder is not safe for concurrent use.
type MessageDecoder struct {
	json *JSONDecoder
	csv  *CSVDecoder
	b    *batch // the rows being built (shared with json or csv)
	raw  bool
	flat []byte // a JSON message with its line ends turned into spaces
}

// NewMessageDecoder returns a decoder of messages in format "json", "csv"
// or "raw". Of opts it uses Schema, Projection, Mem and Delimiter; a CSV
// message has no header, so its fields map to Schema's columns by
// position. For "raw", Schema must have exactly one VARCHAR column.
func NewMessageDecoder(format string, opts DecoderOptions) (*MessageDecoder, error) {
	if opts.Schema == nil {
		return nil, fmt.Errorf("message decoder: no schema")
	}
	if opts.Mem == nil {
		opts.Mem = memory.DefaultAllocator
	}
	d := &MessageDecoder{}
	switch format {
	case "json":
		j, err := NewJSONDecoder(bytes.NewReader(nil), opts)
		if err != nil {
			return nil, err
		}
		d.json, d.b = j, j.b
	case "csv":
		opts.NoHeader = true
		c, err := NewCSVDecoder(bytes.NewReader(nil), opts)
		if err != nil {
			return nil, err
		}
		d.csv, d.b = c, c.b
	case "raw":
		if n := opts.Schema.NumFields(); n != 1 || opts.Schema.Field(0).Type.ID() != arrow.STRING {
			return nil, fmt.Errorf("format 'raw' reads a message into one VARCHAR column; the schema has %s", describeFields(opts.Schema))
		}
		b, err := newBatch(opts.Schema, opts.Projection, opts.Mem)
		if err != nil {
			return nil, err
		}
		d.b, d.raw = b, true
	default:
		return nil, fmt.Errorf("unknown message format %q (use json, csv or raw)", format)
	}
	return d, nil
}

func describeFields(s *arrow.Schema) string {
	if s.NumFields() == 0 {
		return "no columns"
	}
	var b bytes.Buffer
	for i, f := range s.Fields() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", f.Name, sqltypes.Name(f.Type))
	}
	return b.String()
}

// Schema is the schema of the records Flush returns: the projected columns.
func (d *MessageDecoder) Schema() *arrow.Schema { return d.b.schema }

// Len is the number of rows appended since the last Flush.
func (d *MessageDecoder) Len() int { return d.b.rows }

// Append decodes msg as one row. For a malformed message it returns a
// RecordError (with Column and Msg set; File and Line are left empty for
// the caller to place the message) and appends nothing. A nil msg is a
// NULL value for "raw" and an error for the other formats.
func (d *MessageDecoder) Append(msg []byte) *RecordError {
	switch {
	case d.raw:
		if len(d.b.cols) > 0 {
			if msg == nil {
				d.b.cols[0].appendNull()
			} else {
				d.b.cols[0].appendString(msg)
			}
		}
		d.b.finishRow()
		return nil
	case msg == nil:
		return &RecordError{Msg: "no value (a tombstone)"}
	case d.json != nil:
		return d.appendJSON(msg)
	}
	return d.appendCSV(msg)
}

func (d *MessageDecoder) appendJSON(msg []byte) *RecordError {
	if len(msg) >= 3 && msg[0] == 0xEF && msg[1] == 0xBB && msg[2] == 0xBF {
		msg = msg[3:] // byte order mark
	}
	if bytes.IndexByte(msg, '\n') >= 0 {
		// A raw line end in valid JSON can only be white space between
		// tokens (strings cannot hold one), so it may become a space.
		d.flat = append(d.flat[:0], msg...)
		for i, c := range d.flat {
			if c == '\n' {
				d.flat[i] = ' '
			}
		}
		msg = d.flat
	}
	blank, err := d.json.parseLine(msg)
	if err != nil {
		d.b.rollback()
		return err
	}
	if blank {
		return &RecordError{Msg: "empty message (expected a JSON object)"}
	}
	d.b.finishRow()
	return nil
}

func (d *MessageDecoder) appendCSV(msg []byte) *RecordError {
	c := d.csv
	n, _, bad := c.split(msg, true)
	if bad != "" {
		return &RecordError{Msg: bad}
	}
	for _, ch := range msg[n:] {
		if ch != '\r' && ch != '\n' {
			return &RecordError{Msg: "the message holds more than one CSV record"}
		}
	}
	if len(c.fields) != c.nfields {
		return &RecordError{Msg: fmt.Sprintf("%d fields, expected %d", len(c.fields), c.nfields)}
	}
	if err := c.decodeRecord(msg[:n], 0); err != nil {
		d.b.rollback()
		return err
	}
	d.b.finishRow()
	return nil
}

// DropLast removes the last row appended (when a message decoded by
// another decoder turned out bad, so that the two stay aligned).
func (d *MessageDecoder) DropLast() {
	if d.b.rows == 0 {
		return
	}
	d.b.rows--
	d.b.rollback()
}

// Flush returns the rows appended since the last Flush as a record (with
// no rows if none were), which the caller releases.
func (d *MessageDecoder) Flush() arrow.Record { return d.b.flush() }

// MessageEncoder renders each row of a batch as one message: a JSON object
// or a CSV record (no header, no line end), or for "raw" the text of the
// one VARCHAR column.
type MessageEncoder struct {
	e    encoderBase
	st   style
	raw  bool
	keys [][]byte // `"name":` of each column (JSON)
	buf  []byte
	ends []int
	rawA *array.String
}

// NewMessageEncoder returns an encoder of rows of schema as messages in
// format "json", "csv" or "raw"; delim separates CSV fields (0 for ',').
func NewMessageEncoder(format string, schema *arrow.Schema, delim byte) (*MessageEncoder, error) {
	m := &MessageEncoder{}
	switch format {
	case "json":
		m.st = styleJSON
		for _, f := range schema.Fields() {
			m.keys = append(m.keys, append(appendJSONString(nil, f.Name), ':'))
		}
	case "csv":
		m.st = styleCSV
	case "raw":
		if schema.NumFields() != 1 || schema.Field(0).Type.ID() != arrow.STRING {
			return nil, fmt.Errorf("format 'raw' writes one VARCHAR column as the message; the rows have %s", describeFields(schema))
		}
		m.raw = true
	default:
		return nil, fmt.Errorf("unknown message format %q (use json, csv or raw)", format)
	}
	m.e.init(nopWriter{}, schema, EncoderOptions{Delimiter: delim})
	return m, nil
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// Encode renders every row of rec. Row then returns each row's message,
// until the next Encode. The messages of one Encode live in one new buffer,
// so they stay valid after the next Encode for as long as they are held.
func (m *MessageEncoder) Encode(rec arrow.Record) error {
	if m.raw {
		a, ok := rec.Column(0).(*array.String)
		if !ok || rec.NumCols() != 1 {
			return fmt.Errorf("encode raw: expected one VARCHAR column")
		}
		m.rawA = a
		return nil
	}
	if err := m.e.render(rec, nil, m.st); err != nil {
		return err
	}
	size := 0
	for i := range m.e.cols {
		size += len(m.e.cols[i].buf)
	}
	n := int(rec.NumRows())
	if m.st == styleJSON {
		for _, k := range m.keys {
			size += n * (len(k) + 1)
		}
		size += 2 * n
	} else {
		size += n * len(m.e.cols)
	}
	b := make([]byte, 0, size)
	m.ends = m.ends[:0]
	for r := 0; r < n; r++ {
		if m.st == styleJSON {
			b = append(b, '{')
			for c := range m.e.cols {
				if c > 0 {
					b = append(b, ',')
				}
				b = append(b, m.keys[c]...)
				b = append(b, m.e.cell(c, r)...)
			}
			b = append(b, '}')
		} else {
			for c := range m.e.cols {
				if c > 0 {
					b = append(b, m.e.delim)
				}
				b = append(b, m.e.cell(c, r)...)
			}
		}
		m.ends = append(m.ends, len(b))
	}
	m.buf = b
	return nil
}

// Row returns the message of row i of the last Encode. For "raw" a NULL
// is nil; the bytes must not be modified.
func (m *MessageEncoder) Row(i int) []byte {
	if m.raw {
		if m.rawA.IsNull(i) {
			return nil
		}
		return []byte(m.rawA.Value(i))
	}
	start := 0
	if i > 0 {
		start = m.ends[i-1]
	}
	return m.buf[start:m.ends[i]:m.ends[i]]
}

// AppendJSONString appends s as a JSON string, escaped as the JSON encoder
// escapes strings.
func AppendJSONString(b []byte, s string) []byte { return appendJSONString(b, s) }
