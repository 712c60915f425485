package agg

// Low-level helpers: reading Arrow arrays as Go slices and bitmaps, the
// table's own growable bitsets, per-call scratch space, and building result
// arrays by filling typed buffers directly.

import (
	"fmt"
	"github.com/weirsql/weir/internal/arrowbuf"
	"math"
	"sync"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// strValues returns the offsets (a.Len()+1 of them, offset applied) and the
// whole character buffer of a VARCHAR array.
func strValues(a arrow.Array) ([]int32, []byte) {
	d := a.Data()
	bufs := d.Buffers()
	var offs []int32
	if bufs[1] != nil {
		offs = arrowbuf.CastSlice[int32](bufs[1].Bytes())
	}
	if len(offs) == 0 { // an empty array may have no offsets buffer
		offs = []int32{0}
	} else {
		offs = offs[d.Offset() : d.Offset()+d.Len()+1]
	}
	var data []byte
	if len(bufs) > 2 && bufs[2] != nil {
		data = bufs[2].Bytes()
	}
	return offs, data
}

// bitmap is a read-only view of an Arrow bitmap (validity or boolean values)
// with a bit offset. A nil bitmap means every bit is set.
type bitmap struct {
	bits []byte
	off  int
}

// get reports whether bit i is set.
func (b bitmap) get(i int) bool {
	return b.bits == nil || b.bits[(b.off+i)>>3]>>((b.off+i)&7)&1 != 0
}

// validOf returns a's validity bitmap, nil when a has no NULLs.
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
	if buf := d.Buffers()[1]; buf != nil && buf.Len() > 0 {
		return bitmap{bits: buf.Bytes(), off: d.Offset()}
	}
	return bitmap{bits: make([]byte, bitutil.BytesForBits(int64(d.Offset()+d.Len())))}
}

// bitset is a growable bitmap owned by the table, in Arrow's bit order, so
// that a stored validity can be read through a bitmap view.
type bitset []byte

func (b bitset) get(i uint32) bool { return b[i>>3]>>(i&7)&1 != 0 }
func (b bitset) set(i uint32)      { b[i>>3] |= 1 << (i & 7) }
func (b bitset) unset(i uint32)    { b[i>>3] &^= 1 << (i & 7) }

// mark sets bit i, writing only when it is not set yet: in the loops that
// mark a group per row the bit is nearly always set already, and a
// predictable branch costs less than a store per row.
func (b bitset) mark(i uint32) {
	if m := byte(1) << (i & 7); b[i>>3]&m == 0 {
		b[i>>3] |= m
	}
}

// setTo sets bit i to v.
func (b bitset) setTo(i uint32, v bool) {
	if v {
		b.set(i)
	} else {
		b.unset(i)
	}
}

// growBits extends b from old to n bits, setting the new bits to v. The
// bytes past old may hold stale bits from before a reset; they are
// overwritten.
func growBits(b bitset, old, n int, v bool) bitset {
	need := (n + 7) >> 3
	if cap(b) < need {
		nb := make(bitset, need, max(need, 2*cap(b)))
		copy(nb, b[:(old+7)>>3])
		b = nb
	} else {
		b = b[:need]
	}
	for i := old; i < n && i&7 != 0; i++ {
		b.setTo(uint32(i), v)
	}
	fill := byte(0)
	if v {
		fill = 0xff
	}
	for i := (old + 7) >> 3; i < need; i++ {
		b[i] = fill
	}
	return b
}

// growSlice returns s with length n, reusing its capacity and growing it
// geometrically. Elements past the old length keep whatever they held.
func growSlice[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	c := max(n, 2*cap(s), 8)
	if cap(s) >= 1<<20 {
		c = max(n, cap(s)+cap(s)/2)
	}
	ns := make([]T, n, c)
	copy(ns, s)
	return ns
}

// extend grows s to n elements, setting the new ones to v.
func extend[T any](s []T, n int, v T) []T {
	old := len(s)
	s = growSlice(s, n)
	for i := old; i < n; i++ {
		s[i] = v
	}
	return s
}

// extendZero grows s to n elements, clearing the new ones.
func extendZero[T any](s []T, n int) []T {
	old := len(s)
	s = growSlice(s, n)
	clear(s[old:n])
	return s
}

// sizeOf is the size in bytes of a T.
func sizeOf[T any]() int64 {
	var z T
	return int64(unsafe.Sizeof(z))
}

// capBytes is the memory a slice's backing array holds.
func capBytes[T any](s []T) int64 { return int64(cap(s)) * sizeOf[T]() }

// ---------------------------------------------------------------------------
// Scratch space

// scratch holds the per-call buffers of Lookup and Update. Tables share them
// through a pool, so that many small tables (one per open window) do not
// each keep a batch's worth of buffers.
type scratch struct {
	hashes  []uint64 // Lookup: key hashes; also value hashes for HLL
	chk     []int32  // Lookup: positions with a candidate group
	cand    []uint32 // Lookup: the candidate of each chk
	eq      []bool   // Lookup: whether each candidate matched
	rows    []int32  // Update: selected rows of one aggregate
	gs      []uint32 // Update: their groups
	drows   []int32  // DISTINCT: rows with a new value
	dgs     []uint32 // DISTINCT: their groups
	ids     []uint32 // DISTINCT: entry ids
	byRow   []uint32 // DISTINCT: groups indexed by row
	f64     []float64
	bools   []bool
	strs    []string // MIN/MAX multisets: VARCHAR values of a batch
	rsel    []int32  // Retract: rows of groups that hold rows
	rgs     []uint32 // Retract: their groups
	emptied []uint32 // Retract: groups left without rows
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch  { return scratchPool.Get().(*scratch) }
func putScratch(s *scratch) { scratchPool.Put(s) }

// buf returns *p resliced (or reallocated) to n elements.
func buf[T any](p *[]T, n int) []T {
	if cap(*p) < n {
		*p = make([]T, n, max(n, 1024))
	}
	*p = (*p)[:n]
	return *p
}

// ---------------------------------------------------------------------------
// Building results

// newArray wraps freshly built buffers (validity first, may be nil) into an
// array of type typ and takes over the caller's references to them.
func newArray(typ arrow.DataType, n, nulls int, validity *memory.Buffer, bufs ...*memory.Buffer) arrow.Array {
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

// validityOut builds the validity of a result of n rows, allocated on the
// first NULL.
type validityOut struct {
	mem   memory.Allocator
	buf   *memory.Buffer
	bits  []byte
	n     int
	nulls int
}

func (v *validityOut) setNull(i int) {
	if v.bits == nil {
		v.buf, v.bits = arrowbuf.AllocBits(v.mem, v.n)
		bitutil.SetBitsTo(v.bits, 0, int64(v.n), true)
	}
	v.bits[i>>3] &^= 1 << (i & 7)
	v.nulls++
}

// gatherFixed builds an array of type typ from vals[g] for each listed
// group; has (nil: every group has a value) marks the groups that are not
// NULL.
func gatherFixed[T any](mem memory.Allocator, typ arrow.DataType, vals []T, has bitset, groups []uint32) arrow.Array {
	n := len(groups)
	buf, out := arrowbuf.AllocValues[T](mem, n)
	v := validityOut{mem: mem, n: n}
	var z T
	for i, g := range groups {
		if has != nil && !has.get(g) {
			out[i] = z
			v.setNull(i)
			continue
		}
		out[i] = vals[g]
	}
	return newArray(typ, n, v.nulls, v.buf, buf)
}

// gatherBool builds a BOOLEAN array from vals[g] for each listed group.
func gatherBool(mem memory.Allocator, vals []bool, has bitset, groups []uint32) arrow.Array {
	n := len(groups)
	vbuf, out := arrowbuf.AllocBits(mem, n)
	v := validityOut{mem: mem, n: n}
	for i, g := range groups {
		if has != nil && !has.get(g) {
			v.setNull(i)
			continue
		}
		if vals[g] {
			out[i>>3] |= 1 << (i & 7)
		}
	}
	return newArray(arrow.FixedWidthTypes.Boolean, n, v.nulls, v.buf, vbuf)
}

// stringsOut builds a VARCHAR result of n rows whose bytes total size,
// known in advance: add each row's bytes (or a NULL) in order, then finish.
type stringsOut struct {
	mem   memory.Allocator
	offs  *memory.Buffer
	off   []int32
	dbuf  *memory.Buffer
	data  []byte
	v     validityOut
	i, at int
}

func newStringsOut(mem memory.Allocator, n, size int) (*stringsOut, error) {
	if size > math.MaxInt32 {
		return nil, fmt.Errorf("string result of %d bytes exceeds 2 GiB", size)
	}
	offs, off := arrowbuf.AllocValues[int32](mem, n+1)
	off[0] = 0
	dbuf, data := arrowbuf.AllocValues[byte](mem, size)
	return &stringsOut{mem: mem, offs: offs, off: off, dbuf: dbuf, data: data, v: validityOut{mem: mem, n: n}}, nil
}

func (o *stringsOut) add(b []byte) {
	o.at += copy(o.data[o.at:], b)
	o.i++
	o.off[o.i] = int32(o.at)
}

func (o *stringsOut) addNull() {
	o.v.setNull(o.i)
	o.i++
	o.off[o.i] = int32(o.at)
}

func (o *stringsOut) finish() arrow.Array {
	return newArray(arrow.BinaryTypes.String, o.v.n, o.v.nulls, o.v.buf, o.offs, o.dbuf)
}
