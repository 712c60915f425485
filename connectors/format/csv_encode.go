package format

import (
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// CSVEncoder prints batches as CSV: a header line of column names, then
// one line per row with RFC 4180 quoting. NULL is an empty field and an
// empty string is "".
type CSVEncoder struct {
	encoderBase
	header bool // still to print
}

var _ Encoder = (*CSVEncoder)(nil)

// NewCSVEncoder returns a CSV encoder writing to w.
func NewCSVEncoder(w io.Writer, schema *arrow.Schema, opts EncoderOptions) *CSVEncoder {
	e := &CSVEncoder{header: !opts.NoHeader}
	e.init(w, schema, opts)
	return e
}

func (e *CSVEncoder) writeHeader() error {
	e.header = false
	b := e.out[:0]
	if e.updating {
		b = append(b, "op"...)
		if len(e.cols) > 0 {
			b = append(b, e.delim)
		}
	}
	for i, f := range e.schema.Fields() {
		if i > 0 {
			b = append(b, e.delim)
		}
		b = appendCSVField(b, f.Name, e.delim)
	}
	e.out = append(b, '\n')
	return e.emit()
}

// Write prints the rows of rec.
func (e *CSVEncoder) Write(rec arrow.Record, ops *array.Int8) error {
	if e.header {
		if err := e.writeHeader(); err != nil {
			return err
		}
	}
	if err := e.render(rec, ops, styleCSV); err != nil {
		return err
	}
	b := e.out[:0]
	n := int(rec.NumRows())
	for r := 0; r < n; r++ {
		if e.updating {
			b = append(b, opText(ops, r)...)
			if len(e.cols) > 0 {
				b = append(b, e.delim)
			}
		}
		for c := range e.cols {
			if c > 0 {
				b = append(b, e.delim)
			}
			b = append(b, e.cell(c, r)...)
		}
		b = append(b, '\n')
	}
	e.out = b
	e.rows += int64(n)
	return e.emit()
}

// Close prints the header if no row came and flushes.
func (e *CSVEncoder) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	if e.header {
		if err := e.writeHeader(); err != nil {
			return err
		}
	}
	return e.Flush()
}
