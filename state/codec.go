package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// ErrCorrupt is returned (wrapped) when stored state does not decode: it was
// truncated, damaged on disk, or written by an incompatible version.
var ErrCorrupt = errors.New("corrupt state")

// Encoder appends a compact binary encoding of values to a buffer: varints
// for integers, raw little-endian bytes for slices of fixed-size values, and
// Arrow IPC for records. It never fails; Decoder reads the values back in
// the same order.
type Encoder struct {
	buf []byte
}

// NewEncoder returns an encoder appending to buf[:0].
func NewEncoder(buf []byte) *Encoder { return &Encoder{buf: buf[:0]} }

// Bytes returns the encoded bytes.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len returns the number of bytes encoded so far.
func (e *Encoder) Len() int { return len(e.buf) }

// Uvarint appends v as an unsigned varint.
func (e *Encoder) Uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }

// Varint appends v as a zig-zag varint.
func (e *Encoder) Varint(v int64) { e.buf = binary.AppendVarint(e.buf, v) }

// Int appends an int as a varint.
func (e *Encoder) Int(v int) { e.Varint(int64(v)) }

// Count appends a number of items that follow; Decoder.Count reads it.
func (e *Encoder) Count(n int) { e.Uvarint(uint64(n)) }

// Uint64 appends v as 8 little-endian bytes.
func (e *Encoder) Uint64(v uint64) { e.buf = binary.LittleEndian.AppendUint64(e.buf, v) }

// Float64 appends v's IEEE bits.
func (e *Encoder) Float64(v float64) { e.Uint64(math.Float64bits(v)) }

// Bool appends v as one byte.
func (e *Encoder) Bool(v bool) {
	b := byte(0)
	if v {
		b = 1
	}
	e.buf = append(e.buf, b)
}

// Blob appends b with its length.
func (e *Encoder) Blob(b []byte) {
	e.Uvarint(uint64(len(b)))
	e.buf = append(e.buf, b...)
}

// String appends s with its length.
func (e *Encoder) String(s string) {
	e.Uvarint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// Record appends rec in Arrow IPC stream format, with its schema.
func (e *Encoder) Record(rec arrow.Record) error {
	var b bytes.Buffer
	w := ipc.NewWriter(&b, ipc.WithSchema(rec.Schema()))
	if err := w.Write(rec); err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	e.Blob(b.Bytes())
	return nil
}

// PutSlice appends s with its length as raw little-endian bytes. T must be a
// fixed-size type without pointers (integers, floats, bools, structs of
// them such as decimal128.Num). Weir's state is little-endian, as every
// platform Weir runs on is.
func PutSlice[T any](e *Encoder, s []T) {
	e.Uvarint(uint64(len(s)))
	if len(s) == 0 {
		return
	}
	n := len(s) * int(unsafe.Sizeof(s[0]))
	e.buf = append(e.buf, unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), n)...)
}

// Decoder reads what an Encoder wrote. The first failure sticks: later reads
// return zero values, and Err reports it.
type Decoder struct {
	buf []byte
	off int
	err error
}

// NewDecoder returns a decoder over b.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Err returns the first decoding error, wrapping ErrCorrupt.
func (d *Decoder) Err() error { return d.err }

// Remaining is the number of bytes not read yet.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// Fail records err (the first one sticks) wrapped as corrupt state; it lets
// the users of a Decoder report invalid values they read.
func (d *Decoder) Fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
}

// Uvarint reads an unsigned varint.
func (d *Decoder) Uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf[d.off:])
	if n <= 0 {
		d.Fail("bad varint at byte %d", d.off)
		return 0
	}
	d.off += n
	return v
}

// Varint reads a zig-zag varint.
func (d *Decoder) Varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf[d.off:])
	if n <= 0 {
		d.Fail("bad varint at byte %d", d.off)
		return 0
	}
	d.off += n
	return v
}

// Int reads an int written by Encoder.Int.
func (d *Decoder) Int() int { return int(d.Varint()) }

// Count reads a number of items written by Encoder.Count (or a length) and
// checks it against the bytes left, each item taking at least size bytes,
// so damaged data cannot ask for huge buffers.
func (d *Decoder) Count(size int) int {
	n := d.Uvarint()
	if d.err != nil {
		return 0
	}
	if size < 1 {
		size = 1
	}
	if n > uint64(d.Remaining()/size) {
		d.Fail("length %d exceeds the %d bytes left", n, d.Remaining())
		return 0
	}
	return int(n)
}

func (d *Decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > d.Remaining() {
		d.Fail("want %d bytes, %d left", n, d.Remaining())
		return nil
	}
	b := d.buf[d.off : d.off+n]
	d.off += n
	return b
}

// Uint64 reads 8 little-endian bytes.
func (d *Decoder) Uint64() uint64 {
	b := d.take(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// Float64 reads IEEE bits.
func (d *Decoder) Float64() float64 { return math.Float64frombits(d.Uint64()) }

// Bool reads one byte.
func (d *Decoder) Bool() bool {
	b := d.take(1)
	if b == nil {
		return false
	}
	if b[0] > 1 {
		d.Fail("bad boolean %d", b[0])
	}
	return b[0] == 1
}

// Blob reads a length-prefixed byte string; the result aliases the
// decoder's buffer.
func (d *Decoder) Blob() []byte { return d.take(d.Count(1)) }

// String reads a length-prefixed string.
func (d *Decoder) String() string { return string(d.Blob()) }

// Record reads a record written by Encoder.Record, allocated with mem.
func (d *Decoder) Record(mem memory.Allocator) arrow.Record {
	b := d.Blob()
	if d.err != nil {
		return nil
	}
	r, err := ipc.NewReader(bytes.NewReader(b), ipc.WithAllocator(mem))
	if err != nil {
		d.Fail("record: %v", err)
		return nil
	}
	defer r.Release()
	if !r.Next() {
		d.Fail("record: no batch (%v)", r.Err())
		return nil
	}
	rec := r.Record()
	rec.Retain()
	return rec
}

// Slice reads a slice written by PutSlice into new memory.
func Slice[T any](d *Decoder) []T {
	var z T
	size := int(unsafe.Sizeof(z))
	n := d.Count(size)
	if d.err != nil || n == 0 {
		return nil
	}
	b := d.take(n * size)
	if b == nil {
		return nil
	}
	out := make([]T, n)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), n*size), b)
	return out
}
