package expr

// Low-level helpers for reading Arrow arrays as Go slices and bitmaps and for
// building result arrays in ctx.Mem. Kernels use these instead of the Arrow
// builders so that hot loops write straight into the result buffers.

import (
	"fmt"
	"github.com/weirsql/weir/internal/arrowbuf"
	"math"
	"sync"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// bitmap is a validity (or boolean value) bitmap with a bit offset. A nil
// bitmap means every bit is set (no nulls).
type bitmap struct {
	bits []byte
	off  int
}

// isSet reports whether bit i is set.
func (b bitmap) isSet(i int) bool {
	return b.bits == nil || bitutil.BitIsSet(b.bits, b.off+i)
}

// validOf returns a's validity bitmap, nil when a has no nulls.
func validOf(a arrow.Array) bitmap {
	if a.DataType().ID() == arrow.NULL {
		return bitmap{bits: make([]byte, bitutil.BytesForBits(int64(a.Len())))}
	}
	if a.NullN() == 0 {
		return bitmap{}
	}
	return bitmap{bits: a.NullBitmapBytes(), off: a.Data().Offset()}
}

// boolBits returns the value bitmap of a Boolean array.
func boolBits(a arrow.Array) bitmap {
	d := a.Data()
	if buf := d.Buffers()[1]; buf != nil {
		return bitmap{bits: buf.Bytes(), off: d.Offset()}
	}
	return bitmap{bits: make([]byte, bitutil.BytesForBits(int64(d.Offset()+d.Len())))} // empty array
}

// aligned returns n bits of b starting at bit 0 of the returned slice: a
// subslice when b's offset is a multiple of 8, a copy otherwise. A nil bitmap
// yields nil.
func (b bitmap) aligned(n int) []byte {
	if b.bits == nil {
		return nil
	}
	nb := int(bitutil.BytesForBits(int64(n)))
	if b.off%8 == 0 {
		return b.bits[b.off/8 : b.off/8+nb]
	}
	out := make([]byte, nb)
	bitutil.CopyBitmap(b.bits, b.off, n, out, 0)
	return out
}

// andValidity returns a validity buffer that is the AND of the validity of
// the given arrays, or nil when none of them has nulls. When only one array
// has nulls and its bitmap starts at bit 0, its buffer is shared (retained)
// rather than copied: the result must not be modified.
func andValidity(mem memory.Allocator, n int, arrs ...arrow.Array) *memory.Buffer {
	var only arrow.Array
	count := 0
	for _, a := range arrs {
		if a != nil && (a.NullN() > 0 || a.DataType().ID() == arrow.NULL) {
			only = a
			count++
		}
	}
	switch {
	case count == 0:
		return nil
	case count == 1 && only.Data().Offset() == 0 && only.DataType().ID() != arrow.NULL:
		if buf := only.Data().Buffers()[0]; buf != nil && buf.Len() >= int(bitutil.BytesForBits(int64(n))) {
			buf.Retain()
			return buf
		}
	}
	var buf *memory.Buffer
	var out []byte
	for _, a := range arrs {
		if a == nil {
			continue
		}
		v := validOf(a)
		if v.bits == nil {
			continue
		}
		if buf == nil {
			buf, out = arrowbuf.AllocBits(mem, n)
			bitutil.CopyBitmap(v.bits, v.off, n, out, 0)
			continue
		}
		src := v.aligned(n)
		for i := range out {
			out[i] &= src[i]
		}
	}
	return buf
}

// shareValidity returns a's validity for a result of the same rows (shared
// when possible, so it must not be modified), or nil.
func shareValidity(mem memory.Allocator, a arrow.Array) *memory.Buffer {
	return andValidity(mem, a.Len(), a)
}

// copyValidity returns a private copy of a's validity that the caller may
// modify, or nil when a has no nulls.
func copyValidity(mem memory.Allocator, a arrow.Array) *memory.Buffer {
	v := validOf(a)
	if v.bits == nil {
		return nil
	}
	buf, out := arrowbuf.AllocBits(mem, a.Len())
	bitutil.CopyBitmap(v.bits, v.off, a.Len(), out, 0)
	return buf
}

// bitsOf returns the bytes of a validity buffer, nil for a nil buffer.
func bitsOf(b *memory.Buffer) []byte {
	if b == nil {
		return nil
	}
	return b.Bytes()
}

// newArray wraps freshly built buffers (validity first, may be nil) into an
// array of type typ and takes over the caller's references to them.
func newArray(typ arrow.DataType, n int, validity *memory.Buffer, bufs ...*memory.Buffer) arrow.Array {
	nulls := 0
	if validity != nil {
		nulls = array.UnknownNullCount
	}
	all := make([]*memory.Buffer, 0, 1+len(bufs))
	all = append(all, validity)
	all = append(all, bufs...)
	data := array.NewData(typ, n, all, nil, nulls, 0)
	arr := array.MakeFromData(data)
	data.Release()
	for _, b := range all {
		if b != nil {
			b.Release()
		}
	}
	return arr
}

// nullArray returns an array of n NULLs of type typ.
func nullArray(mem memory.Allocator, typ arrow.DataType, n int) arrow.Array {
	switch typ.ID() {
	case arrow.NULL:
		return array.NewNull(n)
	case arrow.STRING:
		valid, _ := arrowbuf.AllocBits(mem, n)
		offs, off := arrowbuf.AllocValues[int32](mem, n+1)
		clear(off)
		return newArrayNulls(typ, n, n, valid, offs, nil)
	case arrow.BOOL:
		valid, _ := arrowbuf.AllocBits(mem, n)
		vals, _ := arrowbuf.AllocBits(mem, n)
		return newArrayNulls(typ, n, n, valid, vals)
	}
	fw, ok := typ.(arrow.FixedWidthDataType)
	if !ok {
		panic(fmt.Sprintf("expr: no null array of type %s", typ))
	}
	valid, _ := arrowbuf.AllocBits(mem, n)
	vals := memory.NewResizableBuffer(mem)
	vals.Resize(n * fw.BitWidth() / 8)
	clear(vals.Bytes())
	return newArrayNulls(typ, n, n, valid, vals)
}

// newArrayNulls is newArray with a known null count.
func newArrayNulls(typ arrow.DataType, n, nulls int, validity *memory.Buffer, bufs ...*memory.Buffer) arrow.Array {
	all := append([]*memory.Buffer{validity}, bufs...)
	data := array.NewData(typ, n, all, nil, nulls, 0)
	arr := array.MakeFromData(data)
	data.Release()
	for _, b := range all {
		if b != nil {
			b.Release()
		}
	}
	return arr
}

// ---------------------------------------------------------------------------
// Output builders

// fixedOut builds a fixed-width result of n values of T, with a validity
// bitmap that is allocated on the first NULL.
type fixedOut[T any] struct {
	mem   memory.Allocator
	buf   *memory.Buffer
	v     []T
	valid *memory.Buffer
	vb    []byte
	n     int
}

func newFixedOut[T any](mem memory.Allocator, n int) *fixedOut[T] {
	buf, v := arrowbuf.AllocValues[T](mem, n)
	return &fixedOut[T]{mem: mem, buf: buf, v: v, n: n}
}

// withValidity starts the result with a copy of the given validity (nil for
// none); rows that are NULL there stay NULL.
func (o *fixedOut[T]) withValidity(valid *memory.Buffer) {
	o.valid = valid
	o.vb = bitsOf(valid)
}

// setNull makes row i NULL; its value is zeroed.
func (o *fixedOut[T]) setNull(i int) {
	if o.vb == nil {
		o.valid, o.vb = arrowbuf.AllocBits(o.mem, o.n)
		bitutil.SetBitsTo(o.vb, 0, int64(o.n), true)
	}
	bitutil.ClearBit(o.vb, i)
	var z T
	o.v[i] = z
}

func (o *fixedOut[T]) finish(typ arrow.DataType) arrow.Array {
	arr := newArray(typ, o.n, o.valid, o.buf)
	o.buf, o.valid = nil, nil
	return arr
}

func (o *fixedOut[T]) release() {
	if o.buf != nil {
		o.buf.Release()
		o.buf = nil
	}
	if o.valid != nil {
		o.valid.Release()
		o.valid = nil
	}
}

// boolOut builds a Boolean result of n rows, NULL-free until setNull.
type boolOut struct {
	mem   memory.Allocator
	vals  *memory.Buffer
	b     []byte
	valid *memory.Buffer
	vb    []byte
	n     int
}

func newBoolOut(mem memory.Allocator, n int) *boolOut {
	vals, b := arrowbuf.AllocBits(mem, n)
	return &boolOut{mem: mem, vals: vals, b: b, n: n}
}

func (o *boolOut) set(i int, v bool) {
	if v {
		o.b[i>>3] |= 1 << (i & 7)
	} else {
		o.b[i>>3] &^= 1 << (i & 7)
	}
}

func (o *boolOut) setNull(i int) {
	if o.vb == nil {
		o.valid, o.vb = arrowbuf.AllocBits(o.mem, o.n)
		bitutil.SetBitsTo(o.vb, 0, int64(o.n), true)
	}
	bitutil.ClearBit(o.vb, i)
	o.b[i>>3] &^= 1 << (i & 7)
}

func (o *boolOut) finish() arrow.Array {
	arr := newArray(arrow.FixedWidthTypes.Boolean, o.n, o.valid, o.vals)
	o.vals, o.valid = nil, nil
	return arr
}

func (o *boolOut) release() {
	if o.vals != nil {
		o.vals.Release()
		o.vals = nil
	}
	if o.valid != nil {
		o.valid.Release()
		o.valid = nil
	}
}

// scratchPool recycles the Go byte slices string results are assembled in
// before they are copied into one buffer of ctx.Mem.
var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// strOut builds a VARCHAR result row by row: append a row's bytes to data,
// then call commit (or call appendNull). Offsets and validity live in mem;
// the character data is assembled in a pooled Go slice and copied once at
// finish.
type strOut struct {
	mem   memory.Allocator
	offs  *memory.Buffer
	off   []int32
	valid *memory.Buffer
	vb    []byte
	data  []byte
	pool  *[]byte
	n, i  int
}

func newStrOut(mem memory.Allocator, n int) *strOut {
	offs, off := arrowbuf.AllocValues[int32](mem, n+1)
	off[0] = 0
	p := scratchPool.Get().(*[]byte)
	return &strOut{mem: mem, offs: offs, off: off, data: (*p)[:0], pool: p, n: n}
}

// commit ends the current row with the bytes appended to data since the
// previous row.
func (o *strOut) commit() {
	o.i++
	o.off[o.i] = int32(len(o.data))
}

// appendNull appends a NULL row.
func (o *strOut) appendNull() {
	if o.vb == nil {
		o.valid, o.vb = arrowbuf.AllocBits(o.mem, o.n)
		bitutil.SetBitsTo(o.vb, 0, int64(o.n), true)
	}
	bitutil.ClearBit(o.vb, o.i)
	o.commit()
}

// finish returns the VARCHAR array of the n committed rows.
func (o *strOut) finish() (arrow.Array, error) {
	if len(o.data) > math.MaxInt32 {
		o.release()
		return nil, Errorf("string result of %d bytes exceeds 2 GiB", len(o.data))
	}
	for o.i < o.n { // defensive: a kernel that stopped early leaves NULLs
		o.appendNull()
	}
	dbuf := memory.NewResizableBuffer(o.mem)
	dbuf.Resize(len(o.data))
	copy(dbuf.Bytes(), o.data)
	arr := newArray(arrow.BinaryTypes.String, o.n, o.valid, o.offs, dbuf)
	o.offs, o.valid = nil, nil
	o.putScratch()
	return arr, nil
}

func (o *strOut) putScratch() {
	if o.pool != nil {
		if cap(o.data) <= 16<<20 {
			*o.pool = o.data[:0]
			scratchPool.Put(o.pool)
		}
		o.pool, o.data = nil, nil
	}
}

// release frees the builder's buffers when the result is abandoned. It is a
// no-op after finish.
func (o *strOut) release() {
	if o.offs != nil {
		o.offs.Release()
		o.offs = nil
	}
	if o.valid != nil {
		o.valid.Release()
		o.valid = nil
	}
	o.putScratch()
}
