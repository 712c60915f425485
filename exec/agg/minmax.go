package agg

// MIN, MAX, FIRST_VALUE and LAST_VALUE, and the arena that holds their
// VARCHAR values.
//
// Floating MIN and MAX use the total order of Java's Double.compare: -0
// below +0, NaN above every other value (MAX is NaN once a NaN is seen, MIN
// is NaN only when every value is), so that the result does not depend on
// the order of the rows or of Merge.

import (
	"bytes"
	"github.com/weirsql/weir/internal/arrowbuf"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// minMaxAcc is MIN or MAX over integers (also DATE, TIMESTAMP, INTERVAL),
// FLOAT and DOUBLE. A group starts at the identity of its comparison (the
// smallest value for MAX, the largest for MIN; NaN for a floating MIN) so
// the loops need no test for a first value.
type minMaxAcc[T number] struct {
	typ  arrow.DataType
	max  bool
	vals []T
	has  bitset
}

// identity returns the start value of a MIN (max false) or MAX group.
func identity[T number](max bool) T {
	var z T
	switch p := any(&z).(type) {
	case *int8:
		*p = math.MaxInt8
	case *int16:
		*p = math.MaxInt16
	case *int32:
		*p = math.MaxInt32
	case *int64:
		*p = math.MaxInt64
	case *uint32:
		*p = math.MaxUint32
	case *float32:
		if max {
			*p = float32(math.Inf(-1))
		} else {
			*p = float32(math.NaN())
		}
		return z
	case *float64:
		if max {
			*p = math.Inf(-1)
		} else {
			*p = math.NaN()
		}
		return z
	}
	if max {
		if _, ok := any(z).(uint32); ok {
			return 0
		}
		return -z - 1 // the most negative value of a two's complement type
	}
	return z
}

// negZeroBelow reports whether a is -0 and b is +0. It is false for
// integers, and cheap where it is evaluated: only when a == b == 0.
func negZeroBelow[T number](a, b T) bool {
	return a == 0 && b == 0 && math.Signbit(float64(a)) && !math.Signbit(float64(b))
}

func (a *minMaxAcc[T]) grow(n int) {
	a.has = growBits(a.has, len(a.vals), n, false)
	a.vals = extend(a.vals, n, identity[T](a.max))
}

func (a *minMaxAcc[T]) add(_ *scratch, rows []int32, groups []uint32, arg arrow.Array, _ int64) error {
	in, vals, has := arrowbuf.Values[T](arg), a.vals, a.has
	switch {
	case a.max && rows == nil:
		in = in[:len(groups)]
		for k, g := range groups {
			if v := in[k]; v > vals[g] || v != v || negZeroBelow(vals[g], v) {
				vals[g] = v
			}
			has.mark(g)
		}
	case a.max:
		rows = rows[:len(groups)]
		for k, g := range groups {
			if v := in[rows[k]]; v > vals[g] || v != v || negZeroBelow(vals[g], v) {
				vals[g] = v
			}
			has.mark(g)
		}
	case rows == nil:
		in = in[:len(groups)]
		for k, g := range groups {
			if v, cur := in[k], vals[g]; v < cur || cur != cur || negZeroBelow(v, cur) {
				vals[g] = v
			}
			has.mark(g)
		}
	default:
		rows = rows[:len(groups)]
		for k, g := range groups {
			if v, cur := in[rows[k]], vals[g]; v < cur || cur != cur || negZeroBelow(v, cur) {
				vals[g] = v
			}
			has.mark(g)
		}
	}
	return nil
}

func (a *minMaxAcc[T]) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*minMaxAcc[T])
	if !o.has.get(src) {
		return nil
	}
	v, cur := o.vals[src], a.vals[dst]
	if (a.max && (v > cur || v != v || negZeroBelow(cur, v))) || (!a.max && (v < cur || cur != cur || negZeroBelow(v, cur))) {
		a.vals[dst] = v
	}
	a.has.set(dst)
	return nil
}

func (a *minMaxAcc[T]) build(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	return gatherFixed(mem, a.typ, a.vals, a.has, groups), nil
}

func (a *minMaxAcc[T]) reset()       { a.vals, a.has = a.vals[:0], a.has[:0] }
func (a *minMaxAcc[T]) bytes() int64 { return capBytes(a.vals) + int64(cap(a.has)) }

// minMaxDecAcc is MIN or MAX over DECIMAL.
type minMaxDecAcc struct {
	typ  arrow.DataType
	max  bool
	vals []decimal128.Num
	has  bitset
}

func (a *minMaxDecAcc) grow(n int) {
	a.has = growBits(a.has, len(a.vals), n, false)
	a.vals = extendZero(a.vals, n)
}

func (a *minMaxDecAcc) add(_ *scratch, rows []int32, groups []uint32, arg arrow.Array, _ int64) error {
	in := arrowbuf.Values[decimal128.Num](arg)
	for k, g := range groups {
		a.offer(g, in[rowAt(rows, k)])
	}
	return nil
}

func (a *minMaxDecAcc) offer(g uint32, v decimal128.Num) {
	if !a.has.get(g) || (a.max && v.Greater(a.vals[g])) || (!a.max && v.Less(a.vals[g])) {
		a.vals[g] = v
		a.has.set(g)
	}
}

func (a *minMaxDecAcc) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*minMaxDecAcc)
	if o.has.get(src) {
		a.offer(dst, o.vals[src])
	}
	return nil
}

func (a *minMaxDecAcc) build(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	return gatherFixed(mem, a.typ, a.vals, a.has, groups), nil
}

func (a *minMaxDecAcc) reset()       { a.vals, a.has = a.vals[:0], a.has[:0] }
func (a *minMaxDecAcc) bytes() int64 { return capBytes(a.vals) + int64(cap(a.has)) }

// minMaxBoolAcc is MIN (every value TRUE) or MAX (some value TRUE) over
// BOOLEAN.
type minMaxBoolAcc struct {
	max  bool
	vals []bool
	has  bitset
}

func (a *minMaxBoolAcc) grow(n int) {
	a.has = growBits(a.has, len(a.vals), n, false)
	a.vals = extendZero(a.vals, n)
}

func (a *minMaxBoolAcc) add(s *scratch, rows []int32, groups []uint32, arg arrow.Array, _ int64) error {
	in := readBools(s, arg)
	for k, g := range groups {
		a.offer(g, in[rowAt(rows, k)])
	}
	return nil
}

func (a *minMaxBoolAcc) offer(g uint32, v bool) {
	switch {
	case !a.has.get(g):
		a.vals[g] = v
		a.has.set(g)
	case a.max:
		a.vals[g] = a.vals[g] || v
	default:
		a.vals[g] = a.vals[g] && v
	}
}

func (a *minMaxBoolAcc) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*minMaxBoolAcc)
	if o.has.get(src) {
		a.offer(dst, o.vals[src])
	}
	return nil
}

func (a *minMaxBoolAcc) build(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	return gatherBool(mem, a.vals, a.has, groups), nil
}

func (a *minMaxBoolAcc) reset()       { a.vals, a.has = a.vals[:0], a.has[:0] }
func (a *minMaxBoolAcc) bytes() int64 { return int64(cap(a.vals) + cap(a.has)) }

// minMaxStrAcc is MIN or MAX over VARCHAR, comparing bytes (UTF-8 code
// point order).
type minMaxStrAcc struct {
	max   bool
	arena strArena
	has   bitset
}

func (a *minMaxStrAcc) grow(n int) {
	a.has = growBits(a.has, a.arena.len(), n, false)
	a.arena.grow(n)
}

func (a *minMaxStrAcc) add(_ *scratch, rows []int32, groups []uint32, arg arrow.Array, _ int64) error {
	a.arena.compact()
	offs, data := strValues(arg)
	for k, g := range groups {
		r := rowAt(rows, k)
		a.offer(g, data[offs[r]:offs[r+1]])
	}
	return nil
}

func (a *minMaxStrAcc) offer(g uint32, v []byte) {
	if !a.has.get(g) {
		a.arena.set(g, v)
		a.has.set(g)
		return
	}
	c := bytes.Compare(v, a.arena.get(g))
	if (a.max && c > 0) || (!a.max && c < 0) {
		a.arena.set(g, v)
	}
}

func (a *minMaxStrAcc) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*minMaxStrAcc)
	a.arena.compact()
	if o.has.get(src) {
		a.offer(dst, o.arena.get(src))
	}
	return nil
}

func (a *minMaxStrAcc) build(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	return a.arena.build(mem, a.has, groups)
}

func (a *minMaxStrAcc) reset() {
	a.arena.reset()
	a.has = a.has[:0]
}

func (a *minMaxStrAcc) bytes() int64 { return a.arena.bytes() + int64(cap(a.has)) }

// firstLastAcc is FIRST_VALUE or LAST_VALUE over a fixed-width type (and
// BOOLEAN, read as []bool): the value and the arrival number of the first
// or last non-NULL row. The arrival numbers let Merge keep the value that
// arrived first (last) whichever group it was in.
type firstLastAcc[T any] struct {
	typ  arrow.DataType
	last bool
	read func(*scratch, arrow.Array) []T
	vals []T
	seq  []int64 // 0: no value yet
}

func (a *firstLastAcc[T]) grow(n int) {
	a.vals = extendZero(a.vals, n)
	a.seq = extendZero(a.seq, n)
}

func (a *firstLastAcc[T]) add(s *scratch, rows []int32, groups []uint32, arg arrow.Array, seq int64) error {
	in, vals, sq := a.read(s, arg), a.vals, a.seq
	if a.last {
		for k, g := range groups {
			r := rowAt(rows, k)
			vals[g] = in[r]
			sq[g] = seq + int64(r) + 1
		}
		return nil
	}
	for k, g := range groups {
		if sq[g] == 0 {
			r := rowAt(rows, k)
			vals[g] = in[r]
			sq[g] = seq + int64(r) + 1
		}
	}
	return nil
}

func (a *firstLastAcc[T]) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*firstLastAcc[T])
	if takeSeq(a.last, a.seq[dst], o.seq[src]) {
		a.vals[dst] = o.vals[src]
		a.seq[dst] = o.seq[src]
	}
	return nil
}

// takeSeq reports whether a value that arrived at src replaces one that
// arrived at dst (0: none).
func takeSeq(last bool, dst, src int64) bool {
	if src == 0 {
		return false
	}
	return dst == 0 || (last && src > dst) || (!last && src < dst)
}

func (a *firstLastAcc[T]) build(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	n := len(groups)
	if vals, ok := any(a.vals).([]bool); ok {
		has := make(bitset, (len(vals)+7)/8)
		for _, g := range groups {
			if a.seq[g] != 0 {
				has.mark(g)
			}
		}
		return gatherBool(mem, vals, has, groups), nil
	}
	buf, out := arrowbuf.AllocValues[T](mem, n)
	v := validityOut{mem: mem, n: n}
	var z T
	for i, g := range groups {
		if a.seq[g] == 0 {
			out[i] = z
			v.setNull(i)
			continue
		}
		out[i] = a.vals[g]
	}
	return newArray(a.typ, n, v.nulls, v.buf, buf), nil
}

func (a *firstLastAcc[T]) reset()       { a.vals, a.seq = a.vals[:0], a.seq[:0] }
func (a *firstLastAcc[T]) bytes() int64 { return capBytes(a.vals) + capBytes(a.seq) }

// firstLastStrAcc is FIRST_VALUE or LAST_VALUE over VARCHAR.
type firstLastStrAcc struct {
	last  bool
	arena strArena
	seq   []int64
}

func (a *firstLastStrAcc) grow(n int) {
	a.arena.grow(n)
	a.seq = extendZero(a.seq, n)
}

func (a *firstLastStrAcc) add(_ *scratch, rows []int32, groups []uint32, arg arrow.Array, seq int64) error {
	a.arena.compact()
	offs, data := strValues(arg)
	sq := a.seq
	for k, g := range groups {
		if a.last || sq[g] == 0 {
			r := rowAt(rows, k)
			a.arena.set(g, data[offs[r]:offs[r+1]])
			sq[g] = seq + int64(r) + 1
		}
	}
	return nil
}

func (a *firstLastStrAcc) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*firstLastStrAcc)
	a.arena.compact()
	if takeSeq(a.last, a.seq[dst], o.seq[src]) {
		a.arena.set(dst, o.arena.get(src))
		a.seq[dst] = o.seq[src]
	}
	return nil
}

func (a *firstLastStrAcc) build(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	has := make(bitset, (len(a.seq)+7)/8)
	for _, g := range groups {
		if a.seq[g] != 0 {
			has.mark(g)
		}
	}
	return a.arena.build(mem, has, groups)
}

func (a *firstLastStrAcc) reset() {
	a.arena.reset()
	a.seq = a.seq[:0]
}

func (a *firstLastStrAcc) bytes() int64 { return a.arena.bytes() + capBytes(a.seq) }

// strArena holds one VARCHAR value per group, copied out of the input
// batches. A value is overwritten in place when the new one fits in its
// space and appended otherwise; compact reclaims the abandoned space once
// it is more than half of the arena.
type strArena struct {
	data    []byte
	slots   []strSlot
	garbage int
}

type strSlot struct {
	off  int
	n, c uint32 // length and reserved space
}

func (a *strArena) len() int     { return len(a.slots) }
func (a *strArena) grow(n int)   { a.slots = extendZero(a.slots, n) }
func (a *strArena) bytes() int64 { return int64(cap(a.data)) + capBytes(a.slots) }
func (a *strArena) reset()       { a.data, a.slots, a.garbage = a.data[:0], a.slots[:0], 0 }
func (a *strArena) get(g uint32) []byte {
	s := a.slots[g]
	return a.data[s.off : s.off+int(s.n)]
}

// set stores v as group g's value. v may point into the arena.
func (a *strArena) set(g uint32, v []byte) {
	s := &a.slots[g]
	if len(v) <= int(s.c) {
		copy(a.data[s.off:], v)
		s.n = uint32(len(v))
		return
	}
	a.garbage += int(s.c)
	off := len(a.data)
	a.data = append(a.data, v...)
	*s = strSlot{off: off, n: uint32(len(v)), c: uint32(len(v))}
}

// compact rewrites the arena without abandoned space when that is more
// than half of it. It must not run while a value from get is in use.
func (a *strArena) compact() {
	if a.garbage < 1<<16 || a.garbage < len(a.data)/2 {
		return
	}
	nd := make([]byte, 0, len(a.data)-a.garbage)
	for i := range a.slots {
		s := &a.slots[i]
		off := len(nd)
		nd = append(nd, a.data[s.off:s.off+int(s.n)]...)
		s.off, s.c = off, s.n
	}
	a.data, a.garbage = nd, 0
}

func (a *strArena) build(mem memory.Allocator, has bitset, groups []uint32) (arrow.Array, error) {
	size := 0
	for _, g := range groups {
		if has.get(g) {
			size += int(a.slots[g].n)
		}
	}
	o, err := newStringsOut(mem, len(groups), size)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if has.get(g) {
			o.add(a.get(g))
		} else {
			o.addNull()
		}
	}
	return o.finish(), nil
}
