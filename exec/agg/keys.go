package agg

// Key columns: the typed, column-wise storage of a hash table's keys, and
// the kernels that hash a batch's key column and compare it with stored
// keys. A column is bound to one batch's array at a time.
//
// NULL is a key like any other: it hashes to nullHash and equals only NULL.
// Floating keys follow SQL equality except that NaN equals NaN, so -0 and
// +0 are one key (the first seen is the one stored) and all NaNs are one.

import (
	"bytes"
	"fmt"
	"github.com/weirsql/weir/internal/arrowbuf"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/zeebo/xxh3"

	"github.com/weirsql/weir/sqltypes"
)

// keyCol is one column of a hash table's keys.
type keyCol interface {
	// bind makes a the input of the following calls.
	bind(a arrow.Array)
	// hashIn combines the hash of each input row rows[k] (k when rows is
	// nil) into h[k].
	hashIn(rows []int32, h []uint64)
	// eqIn clears eq[j] unless input row rows[chk[j]] equals stored key
	// cand[j].
	eqIn(rows []int32, chk []int32, cand []uint32, eq []bool)
	// eqRow reports whether input row r equals stored key g.
	eqRow(r int32, g uint32) bool
	// appendRow stores input row r as the next key.
	appendRow(r int32)
	// build returns the stored keys of the listed ids as an array.
	build(mem memory.Allocator, ids []uint32) (arrow.Array, error)
	// reset drops every stored key, keeping the space.
	reset()
	bytes() int64
}

// newKeyCol returns an empty key column of type t.
func newKeyCol(t arrow.DataType) (keyCol, error) {
	switch kindOf(t) {
	case kNull:
		return &nullCol{}, nil
	case kBool:
		return &boolCol{}, nil
	case kI8:
		return &intCol[int8]{fixedStore[int8]{typ: t}}, nil
	case kI16:
		return &intCol[int16]{fixedStore[int16]{typ: t}}, nil
	case kI32:
		return &intCol[int32]{fixedStore[int32]{typ: t}}, nil
	case kI64:
		return &intCol[int64]{fixedStore[int64]{typ: t}}, nil
	case kF32:
		return &floatCol[float32]{fixedStore[float32]{typ: t}}, nil
	case kF64:
		return &floatCol[float64]{fixedStore[float64]{typ: t}}, nil
	case kDec:
		return &decCol{fixedStore[decimal128.Num]{typ: t}}, nil
	case kStr:
		return &strCol{offs: []int{0}}, nil
	}
	return nil, fmt.Errorf("cannot group by %s", sqltypes.Name(t))
}

// rowAt is row k of a selection (k itself when rows is nil).
func rowAt(rows []int32, k int) int {
	if rows == nil {
		return k
	}
	return int(rows[k])
}

// ---------------------------------------------------------------------------
// Fixed-width columns

// fixedStore is the storage shared by the fixed-width key columns: one value
// per key and, once some key is NULL, a validity bitset.
type fixedStore[T any] struct {
	typ     arrow.DataType
	vals    []T
	hasNull bool
	valid   bitset // meaningful only when hasNull

	in      []T
	inValid bitmap
}

func (c *fixedStore[T]) bind(a arrow.Array) {
	c.in = arrowbuf.Values[T](a)
	c.inValid = validOf(a)
}

// isNull reports whether stored key g is NULL.
func (c *fixedStore[T]) isNull(g uint32) bool { return c.hasNull && !c.valid.get(g) }

// appendValue stores a non-NULL key.
func (c *fixedStore[T]) appendValue(v T) {
	n := len(c.vals)
	c.vals = append(c.vals, v)
	if c.hasNull {
		c.valid = growBits(c.valid, n, n+1, true)
	}
}

func (c *fixedStore[T]) appendRow(r int32) {
	if c.inValid.get(int(r)) {
		c.appendValue(c.in[r])
		return
	}
	n := len(c.vals)
	var z T
	c.vals = append(c.vals, z)
	if !c.hasNull {
		c.hasNull = true
		c.valid = growBits(c.valid[:0], 0, n, true)
	}
	c.valid = growBits(c.valid, n, n+1, false)
}

func (c *fixedStore[T]) build(mem memory.Allocator, ids []uint32) (arrow.Array, error) {
	var has bitset
	if c.hasNull {
		has = c.valid
	}
	return gatherFixed(mem, c.typ, c.vals, has, ids), nil
}

func (c *fixedStore[T]) reset() {
	c.vals = c.vals[:0]
	c.hasNull = false
	c.valid = c.valid[:0]
	c.in = nil
}

func (c *fixedStore[T]) bytes() int64 { return capBytes(c.vals) + int64(cap(c.valid)) }

// nullsEq is the comparison of keys where either side may be NULL: both
// NULL, or both not NULL and equal values.
func nullsEq(inNull, stNull, valuesEq bool) bool {
	if inNull || stNull {
		return inNull == stNull
	}
	return valuesEq
}

// integer is the integer types the hash table stores keys in (uint32 for
// the group ids of DISTINCT sets).
type integer interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint32
}

// intCol is a column of integer keys (also DATE, TIMESTAMP, INTERVAL).
type intCol[T integer] struct{ fixedStore[T] }

func (c *intCol[T]) hashIn(rows []int32, h []uint64) {
	in := c.in
	switch {
	case c.inValid.bits != nil:
		for k := range h {
			r := rowAt(rows, k)
			x := nullHash
			if c.inValid.get(r) {
				x = uint64(int64(in[r]))
			}
			h[k] = combine(h[k], x)
		}
	case rows == nil:
		in = in[:len(h)]
		for k := range h {
			h[k] = combine(h[k], uint64(int64(in[k])))
		}
	default:
		rows = rows[:len(h)]
		for k, r := range rows {
			h[k] = combine(h[k], uint64(int64(in[r])))
		}
	}
}

func (c *intCol[T]) eqIn(rows []int32, chk []int32, cand []uint32, eq []bool) {
	in, vals := c.in, c.vals
	if c.inValid.bits == nil && !c.hasNull {
		for j, k := range chk {
			eq[j] = eq[j] && in[rowAt(rows, int(k))] == vals[cand[j]]
		}
		return
	}
	for j, k := range chk {
		r, g := rowAt(rows, int(k)), cand[j]
		eq[j] = eq[j] && nullsEq(!c.inValid.get(r), c.isNull(g), in[r] == vals[g])
	}
}

func (c *intCol[T]) eqRow(r int32, g uint32) bool {
	return nullsEq(!c.inValid.get(int(r)), c.isNull(g), c.in[r] == c.vals[g])
}

// bindSlice makes a Go slice the input (the group ids of a DISTINCT set).
func (c *intCol[T]) bindSlice(in []T) {
	c.in = in
	c.inValid = bitmap{}
}

// floatBits is the hash input of a floating key: one value for -0 and +0,
// one for every NaN.
func floatBits[T float32 | float64](v T) uint64 {
	f := float64(v)
	switch {
	case f == 0:
		return 0
	case f != f:
		return 0x7ff8000000000001
	}
	return math.Float64bits(f)
}

// floatEq is key equality of floats: ==, and NaN equals NaN.
func floatEq[T float32 | float64](a, b T) bool { return a == b || (a != a && b != b) }

// floatCol is a column of FLOAT or DOUBLE keys.
type floatCol[T float32 | float64] struct{ fixedStore[T] }

func (c *floatCol[T]) hashIn(rows []int32, h []uint64) {
	in := c.in
	for k := range h {
		r := rowAt(rows, k)
		x := nullHash
		if c.inValid.get(r) {
			x = floatBits(in[r])
		}
		h[k] = combine(h[k], x)
	}
}

func (c *floatCol[T]) eqIn(rows []int32, chk []int32, cand []uint32, eq []bool) {
	in, vals := c.in, c.vals
	for j, k := range chk {
		r, g := rowAt(rows, int(k)), cand[j]
		eq[j] = eq[j] && nullsEq(!c.inValid.get(r), c.isNull(g), floatEq(in[r], vals[g]))
	}
}

func (c *floatCol[T]) eqRow(r int32, g uint32) bool {
	return nullsEq(!c.inValid.get(int(r)), c.isNull(g), floatEq(c.in[r], c.vals[g]))
}

// decBits is the hash input of a DECIMAL key.
func decBits(v decimal128.Num) uint64 {
	return v.LowBits() ^ fmix64(uint64(v.HighBits()))
}

// decCol is a column of DECIMAL keys (all of one scale).
type decCol struct{ fixedStore[decimal128.Num] }

func (c *decCol) hashIn(rows []int32, h []uint64) {
	in := c.in
	for k := range h {
		r := rowAt(rows, k)
		x := nullHash
		if c.inValid.get(r) {
			x = decBits(in[r])
		}
		h[k] = combine(h[k], x)
	}
}

func (c *decCol) eqIn(rows []int32, chk []int32, cand []uint32, eq []bool) {
	in, vals := c.in, c.vals
	for j, k := range chk {
		r, g := rowAt(rows, int(k)), cand[j]
		eq[j] = eq[j] && nullsEq(!c.inValid.get(r), c.isNull(g), in[r] == vals[g])
	}
}

func (c *decCol) eqRow(r int32, g uint32) bool {
	return nullsEq(!c.inValid.get(int(r)), c.isNull(g), c.in[r] == c.vals[g])
}

// ---------------------------------------------------------------------------
// BOOLEAN, VARCHAR and NULL columns

// boolCol is a column of BOOLEAN keys.
type boolCol struct {
	vals    []bool
	hasNull bool
	valid   bitset

	in      bitmap
	inValid bitmap
}

func (c *boolCol) bind(a arrow.Array) {
	c.in = boolBits(a)
	c.inValid = validOf(a)
}

func (c *boolCol) isNull(g uint32) bool { return c.hasNull && !c.valid.get(g) }

func (c *boolCol) hashIn(rows []int32, h []uint64) {
	for k := range h {
		r := rowAt(rows, k)
		x := nullHash
		if c.inValid.get(r) {
			x = 0
			if c.in.get(r) {
				x = 1
			}
		}
		h[k] = combine(h[k], x)
	}
}

func (c *boolCol) eqIn(rows []int32, chk []int32, cand []uint32, eq []bool) {
	for j, k := range chk {
		eq[j] = eq[j] && c.eqRow(int32(rowAt(rows, int(k))), cand[j])
	}
}

func (c *boolCol) eqRow(r int32, g uint32) bool {
	return nullsEq(!c.inValid.get(int(r)), c.isNull(g), c.in.get(int(r)) == c.vals[g])
}

func (c *boolCol) appendRow(r int32) {
	n := len(c.vals)
	ok := c.inValid.get(int(r))
	c.vals = append(c.vals, ok && c.in.get(int(r)))
	if !ok && !c.hasNull {
		c.hasNull = true
		c.valid = growBits(c.valid[:0], 0, n, true)
	}
	if c.hasNull {
		c.valid = growBits(c.valid, n, n+1, ok)
	}
}

func (c *boolCol) build(mem memory.Allocator, ids []uint32) (arrow.Array, error) {
	var has bitset
	if c.hasNull {
		has = c.valid
	}
	return gatherBool(mem, c.vals, has, ids), nil
}

func (c *boolCol) reset() {
	c.vals = c.vals[:0]
	c.hasNull = false
	c.valid = c.valid[:0]
}

func (c *boolCol) bytes() int64 { return int64(cap(c.vals) + cap(c.valid)) }

// strCol is a column of VARCHAR keys: their bytes end to end in data, key g
// at data[offs[g]:offs[g+1]].
type strCol struct {
	data    []byte
	offs    []int
	hasNull bool
	valid   bitset

	inOffs  []int32
	inData  []byte
	inValid bitmap
}

func (c *strCol) bind(a arrow.Array) {
	c.inOffs, c.inData = strValues(a)
	c.inValid = validOf(a)
}

func (c *strCol) isNull(g uint32) bool { return c.hasNull && !c.valid.get(g) }

func (c *strCol) inBytes(r int) []byte   { return c.inData[c.inOffs[r]:c.inOffs[r+1]] }
func (c *strCol) stored(g uint32) []byte { return c.data[c.offs[g]:c.offs[g+1]] }

func (c *strCol) hashIn(rows []int32, h []uint64) {
	if c.inValid.bits == nil {
		offs, data := c.inOffs, c.inData
		for k := range h {
			r := rowAt(rows, k)
			h[k] = combine(h[k], xxh3.Hash(data[offs[r]:offs[r+1]]))
		}
		return
	}
	for k := range h {
		r := rowAt(rows, k)
		x := nullHash
		if c.inValid.get(r) {
			x = xxh3.Hash(c.inBytes(r))
		}
		h[k] = combine(h[k], x)
	}
}

func (c *strCol) eqIn(rows []int32, chk []int32, cand []uint32, eq []bool) {
	if c.inValid.bits == nil && !c.hasNull {
		inOffs, inData, offs, data := c.inOffs, c.inData, c.offs, c.data
		for j, k := range chk {
			r, g := rowAt(rows, int(k)), cand[j]
			eq[j] = eq[j] && string(inData[inOffs[r]:inOffs[r+1]]) == string(data[offs[g]:offs[g+1]])
		}
		return
	}
	for j, k := range chk {
		eq[j] = eq[j] && c.eqRow(int32(rowAt(rows, int(k))), cand[j])
	}
}

func (c *strCol) eqRow(r int32, g uint32) bool {
	return nullsEq(!c.inValid.get(int(r)), c.isNull(g), bytes.Equal(c.inBytes(int(r)), c.stored(g)))
}

func (c *strCol) appendRow(r int32) {
	n := len(c.offs) - 1
	ok := c.inValid.get(int(r))
	if ok {
		c.data = append(c.data, c.inBytes(int(r))...)
	}
	c.offs = append(c.offs, len(c.data))
	if !ok && !c.hasNull {
		c.hasNull = true
		c.valid = growBits(c.valid[:0], 0, n, true)
	}
	if c.hasNull {
		c.valid = growBits(c.valid, n, n+1, ok)
	}
}

func (c *strCol) build(mem memory.Allocator, ids []uint32) (arrow.Array, error) {
	size := 0
	for _, g := range ids {
		size += c.offs[g+1] - c.offs[g]
	}
	o, err := newStringsOut(mem, len(ids), size)
	if err != nil {
		return nil, err
	}
	for _, g := range ids {
		if c.isNull(g) {
			o.addNull()
		} else {
			o.add(c.stored(g))
		}
	}
	return o.finish(), nil
}

func (c *strCol) reset() {
	c.data = c.data[:0]
	c.offs = c.offs[:1]
	c.hasNull = false
	c.valid = c.valid[:0]
	c.inData, c.inOffs = nil, nil
}

func (c *strCol) bytes() int64 {
	return int64(cap(c.data)) + capBytes(c.offs) + int64(cap(c.valid))
}

// nullCol is a column of the NULL type (GROUP BY NULL): every key is NULL.
type nullCol struct{ n int }

func (c *nullCol) bind(arrow.Array) {}

func (c *nullCol) hashIn(_ []int32, h []uint64) {
	for k := range h {
		h[k] = combine(h[k], nullHash)
	}
}

func (c *nullCol) eqIn([]int32, []int32, []uint32, []bool) {}
func (c *nullCol) eqRow(int32, uint32) bool                { return true }
func (c *nullCol) appendRow(int32)                         { c.n++ }
func (c *nullCol) reset()                                  { c.n = 0 }
func (c *nullCol) bytes() int64                            { return 0 }

func (c *nullCol) build(_ memory.Allocator, ids []uint32) (arrow.Array, error) {
	return array.NewNull(len(ids)), nil
}

var (
	_ keyCol = (*intCol[int64])(nil)
	_ keyCol = (*floatCol[float64])(nil)
	_ keyCol = (*decCol)(nil)
	_ keyCol = (*boolCol)(nil)
	_ keyCol = (*strCol)(nil)
	_ keyCol = (*nullCol)(nil)
)
