package format

import (
	"fmt"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// DecoderOptions configures a Decoder.
type DecoderOptions struct {
	// File names the input in errors, as the user wrote it.
	File string
	// Schema holds every declared column, in declaration order.
	Schema *arrow.Schema
	// Projection lists the indexes of Schema's columns to decode, in the
	// order records must have them. Nil means every column.
	Projection []int
	// BatchSize is the maximum number of rows per record (default 1024).
	BatchSize int
	// Mem allocates the records (default memory.DefaultAllocator).
	Mem memory.Allocator
	// NoHeader says a CSV input has no header line: fields map to declared
	// columns by position.
	NoHeader bool
	// Delimiter separates CSV fields (default ',').
	Delimiter byte
	// LineNumbers makes the decoder record, for each row, the 1-based line
	// of the input where its record starts (see Decoder.LineNumbers).
	LineNumbers bool
}

// Decoder reads text records into Arrow records of the projected columns.
type Decoder interface {
	// Schema is the schema of the records Next returns.
	Schema() *arrow.Schema
	// Next returns the next record of up to BatchSize rows, which the caller
	// releases. It returns io.EOF at the end of the input and a
	// *RecordError for a malformed record; after a RecordError, Next may be
	// called again to go on with the next record.
	Next() (arrow.Record, error)
	// AtEnd reports whether the input holds no more records, reading ahead
	// if needed. A source calls it to mark the last batch of a file.
	AtEnd() (bool, error)
	// Reset starts decoding another input, keeping the buffers. Rows not yet
	// returned are dropped.
	Reset(r io.Reader, file string) error
	// Rows is the number of rows decoded since the decoder was made.
	Rows() int64
	// LineNumbers returns, with DecoderOptions.LineNumbers set, the 1-based
	// input line where each row of the record the last Next returned
	// starts (nil otherwise). It is valid until the next call to Next or
	// Reset.
	LineNumbers() []int64
	// Offset returns the byte offset in the current input just after the
	// last record Next consumed, and the number of lines consumed so far.
	Offset() (offset, line int64)
	// Resume goes on decoding the current input from a position Offset
	// returned, with r reading the input from that offset. A CSV decoder
	// keeps the header it read; rows not yet returned are dropped.
	Resume(r io.Reader, offset, line int64)
}

// Formats lists the names NewDecoder and NewEncoder accept.
var Formats = []string{"csv", "json"}

// NewDecoder returns a decoder for format "json" (JSON lines) or "csv"
// reading r. A CSV decoder reads the header line here.
func NewDecoder(format string, r io.Reader, opts DecoderOptions) (Decoder, error) {
	switch format {
	case "json":
		return NewJSONDecoder(r, opts)
	case "csv":
		return NewCSVDecoder(r, opts)
	}
	return nil, fmt.Errorf("unknown format %q (use json or csv)", format)
}

// decoder is what the JSON and CSV decoders share.
type decoder struct {
	opts  DecoderOptions
	b     *batch
	in    chunkReader
	file  string
	line  int64 // lines consumed so far
	total int64
	// With opts.LineNumbers: the line of each pending row, and of each row
	// of the last record returned.
	lines, lastLines []int64
}

func (d *decoder) init(r io.Reader, opts DecoderOptions) error {
	if opts.Schema == nil {
		return fmt.Errorf("decoder: no schema")
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1024
	}
	if opts.Mem == nil {
		opts.Mem = memory.DefaultAllocator
	}
	if opts.Delimiter == 0 {
		opts.Delimiter = ','
	}
	b, err := newBatch(opts.Schema, opts.Projection, opts.Mem)
	if err != nil {
		return err
	}
	d.opts, d.b = opts, b
	d.reset(r, opts.File)
	return nil
}

func (d *decoder) reset(r io.Reader, file string) {
	d.in.reset(r)
	d.b.clear()
	d.file, d.line = file, 0
	d.lines, d.lastLines = d.lines[:0], d.lastLines[:0]
}

// finishRow completes the current row, whose record starts at line.
func (d *decoder) finishRow(line int64) {
	d.b.finishRow()
	if d.opts.LineNumbers {
		d.lines = append(d.lines, line)
	}
}

// LineNumbers returns the input line of each row of the last record.
func (d *decoder) LineNumbers() []int64 {
	if !d.opts.LineNumbers {
		return nil
	}
	return d.lastLines
}

// Offset implements Decoder.
func (d *decoder) Offset() (offset, line int64) { return d.in.offset(), d.line }

// Resume implements Decoder.
func (d *decoder) Resume(r io.Reader, offset, line int64) {
	d.in.reset(r)
	d.in.base = offset
	d.b.clear()
	d.line = line
	d.lines, d.lastLines = d.lines[:0], d.lastLines[:0]
}

// Schema is the schema of the records the decoder returns.
func (d *decoder) Schema() *arrow.Schema { return d.b.schema }

// Rows is the number of rows decoded so far.
func (d *decoder) Rows() int64 { return d.total }

// flush returns the pending rows, or io.EOF when there are none.
func (d *decoder) flush() (arrow.Record, error) {
	if d.b.rows == 0 {
		return nil, io.EOF
	}
	d.total += int64(d.b.rows)
	if d.opts.LineNumbers {
		d.lines, d.lastLines = d.lastLines[:0], d.lines
	}
	return d.b.flush(), nil
}

func (d *decoder) recordError(line int64, col, msg string) *RecordError {
	return &RecordError{File: d.file, Line: line, Column: col, Msg: msg}
}
