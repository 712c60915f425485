// Package arrowbuf reads Arrow arrays as Go slices and allocates result
// buffers, for the typed loops of the expression evaluator (exec/expr) and
// the aggregation table (exec/agg), which fill buffers directly rather than
// through Arrow's builders.
package arrowbuf

import (
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// CastSlice reinterprets bytes as a slice of T. Arrow buffers are 64-byte
// aligned, so the cast is safe for every fixed-width type.
func CastSlice[T any](b []byte) []T {
	if len(b) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/int(unsafe.Sizeof(z)))
}

// Values returns the fixed-width values of a (buffer 1) as a []T of
// a.Len() elements, with the array's offset applied.
func Values[T any](a arrow.Array) []T {
	d := a.Data()
	bufs := d.Buffers()
	if len(bufs) < 2 || bufs[1] == nil || d.Len() == 0 {
		return nil
	}
	return CastSlice[T](bufs[1].Bytes())[d.Offset() : d.Offset()+d.Len()]
}

// AllocValues allocates a buffer of n values of T in mem. The values are not
// cleared.
func AllocValues[T any](mem memory.Allocator, n int) (*memory.Buffer, []T) {
	var z T
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(n * int(unsafe.Sizeof(z)))
	return buf, CastSlice[T](buf.Bytes())[:n:n]
}

// AllocBits allocates a cleared bitmap of n bits in mem.
func AllocBits(mem memory.Allocator, n int) (*memory.Buffer, []byte) {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	b := buf.Bytes()
	clear(b)
	return buf, b
}
