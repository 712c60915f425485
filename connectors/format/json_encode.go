package format

import (
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// JSONEncoder prints batches as JSON lines: one object per row with the
// keys in column order. Numbers are JSON numbers (NaN and the infinities,
// which JSON lacks, are strings), DECIMAL keeps its scale, TIMESTAMP, DATE
// and INTERVAL are strings in the same form as in CSV, and NULL is null.
type JSONEncoder struct {
	encoderBase
	keys [][]byte // `"name":` of each column
}

var _ Encoder = (*JSONEncoder)(nil)

// NewJSONEncoder returns a JSON-lines encoder writing to w.
func NewJSONEncoder(w io.Writer, schema *arrow.Schema, opts EncoderOptions) *JSONEncoder {
	e := &JSONEncoder{}
	e.init(w, schema, opts)
	for _, f := range schema.Fields() {
		e.keys = append(e.keys, append(appendJSONString(nil, f.Name), ':'))
	}
	return e
}

// Write prints the rows of rec.
func (e *JSONEncoder) Write(rec arrow.Record, ops *array.Int8) error {
	if err := e.render(rec, ops, styleJSON); err != nil {
		return err
	}
	b := e.out[:0]
	n := int(rec.NumRows())
	for r := 0; r < n; r++ {
		b = append(b, '{')
		if e.updating {
			b = append(b, `"op":"`...)
			b = append(b, opText(ops, r)...)
			b = append(b, '"')
			if len(e.cols) > 0 {
				b = append(b, ',')
			}
		}
		for c := range e.cols {
			if c > 0 {
				b = append(b, ',')
			}
			b = append(b, e.keys[c]...)
			b = append(b, e.cell(c, r)...)
		}
		b = append(b, '}', '\n')
	}
	e.out = b
	e.rows += int64(n)
	return e.emit()
}

// Close flushes.
func (e *JSONEncoder) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	return e.Flush()
}
