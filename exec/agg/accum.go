package agg

// Accumulators: one typed column of state per aggregate, indexed by group
// id, updated by tight loops over a batch. This file has the interface, the
// factory, COUNT, SUM and AVG, each with its retraction (retract.go).

import (
	"fmt"
	"github.com/weirsql/weir/internal/arrowbuf"
	"math"
	"math/bits"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

// accumulator holds one aggregate's state for every group.
type accumulator interface {
	// grow adds groups up to n (exclusive) in their initial state.
	grow(n int)
	// add folds row rows[k] (k when rows is nil) of arg into group
	// groups[k]. The rows listed are not NULL and pass the FILTER; seq is
	// the arrival number of the batch's row 0 (FIRST_VALUE, LAST_VALUE).
	add(s *scratch, rows []int32, groups []uint32, arg arrow.Array, seq int64) error
	// mergeFrom folds group src of o, an accumulator of the same aggregate
	// (a itself, or one of another table), into group dst.
	mergeFrom(o accumulator, dst, src uint32) error
	// build returns the results of the listed groups.
	build(mem memory.Allocator, groups []uint32) (arrow.Array, error)
	// reset drops every group, keeping the space.
	reset()
	bytes() int64
}

// number is the types MIN and MAX compare with < and >.
type number interface {
	integer | float32 | float64
}

// newAccumulator returns the accumulator of s, whose result type is typ;
// with retract, one that also implements retractor.
func newAccumulator(s Spec, typ arrow.DataType, retract bool) (accumulator, error) {
	k := kindOf(s.Arg)
	switch s.Func {
	case Count, CountStar:
		return &countAcc{}, nil
	case Sum:
		switch k {
		case kI8:
			return &sumIntAcc[int8]{typ: typ, counted: retract}, nil
		case kI16:
			return &sumIntAcc[int16]{typ: typ, counted: retract}, nil
		case kI32:
			return &sumIntAcc[int32]{typ: typ, counted: retract}, nil
		case kI64:
			return &sumIntAcc[int64]{typ: typ, counted: retract}, nil
		case kF32:
			return &sumFloatAcc[float32]{counted: retract}, nil
		case kF64:
			return &sumFloatAcc[float64]{counted: retract}, nil
		case kDec:
			return &sumDecAcc{typ: typ, spec: s, counted: retract}, nil
		}
	case Avg:
		switch k {
		case kI8:
			return &avgIntAcc[int8]{}, nil
		case kI16:
			return &avgIntAcc[int16]{}, nil
		case kI32:
			return &avgIntAcc[int32]{}, nil
		case kI64:
			return &avgIntAcc[int64]{}, nil
		case kF32:
			return &avgFloatAcc[float32]{retractable: retract}, nil
		case kF64:
			return &avgFloatAcc[float64]{retractable: retract}, nil
		case kDec:
			return &avgDecAcc{sumDecAcc: sumDecAcc{typ: typ, spec: s}, inScale: s.Arg.(*arrow.Decimal128Type).Scale,
				outScale: typ.(*arrow.Decimal128Type).Scale}, nil
		}
	case Min, Max:
		if retract {
			return newMultisetAcc(s, typ)
		}
		isMax := s.Func == Max
		switch k {
		case kBool:
			return &minMaxBoolAcc{max: isMax}, nil
		case kI8:
			return &minMaxAcc[int8]{typ: typ, max: isMax}, nil
		case kI16:
			return &minMaxAcc[int16]{typ: typ, max: isMax}, nil
		case kI32:
			return &minMaxAcc[int32]{typ: typ, max: isMax}, nil
		case kI64:
			return &minMaxAcc[int64]{typ: typ, max: isMax}, nil
		case kF32:
			return &minMaxAcc[float32]{typ: typ, max: isMax}, nil
		case kF64:
			return &minMaxAcc[float64]{typ: typ, max: isMax}, nil
		case kDec:
			return &minMaxDecAcc{typ: typ, max: isMax}, nil
		case kStr:
			return &minMaxStrAcc{max: isMax}, nil
		}
	case FirstValue, LastValue:
		if retract {
			return nil, fmt.Errorf("%s: %w", s, ErrNotRetractable)
		}
		last := s.Func == LastValue
		switch k {
		case kBool:
			return &firstLastAcc[bool]{typ: typ, last: last, read: readBools}, nil
		case kI8:
			return &firstLastAcc[int8]{typ: typ, last: last, read: readFixed[int8]}, nil
		case kI16:
			return &firstLastAcc[int16]{typ: typ, last: last, read: readFixed[int16]}, nil
		case kI32:
			return &firstLastAcc[int32]{typ: typ, last: last, read: readFixed[int32]}, nil
		case kI64:
			return &firstLastAcc[int64]{typ: typ, last: last, read: readFixed[int64]}, nil
		case kF32:
			return &firstLastAcc[float32]{typ: typ, last: last, read: readFixed[float32]}, nil
		case kF64:
			return &firstLastAcc[float64]{typ: typ, last: last, read: readFixed[float64]}, nil
		case kDec:
			return &firstLastAcc[decimal128.Num]{typ: typ, last: last, read: readFixed[decimal128.Num]}, nil
		case kStr:
			return &firstLastStrAcc{last: last}, nil
		}
	case StddevPop, StddevSamp, VarPop, VarSamp:
		if k.numeric() {
			a := &varAcc{fn: s.Func, kind: k, odd: retract && k.floating()}
			if k == kDec {
				a.scale = s.Arg.(*arrow.Decimal128Type).Scale
			}
			return a, nil
		}
	case ApproxCountDistinct:
		if retract {
			return nil, fmt.Errorf("%s: %w", s, ErrNotRetractable)
		}
		col, err := newKeyCol(s.Arg)
		if err != nil {
			return nil, err
		}
		return &hllAcc{col: col}, nil
	}
	return nil, undefined(s)
}

// readFixed returns the values of a fixed-width array.
func readFixed[T any](_ *scratch, a arrow.Array) []T { return arrowbuf.Values[T](a) }

// readBools returns the values of a BOOLEAN array as a []bool in scratch.
func readBools(s *scratch, a arrow.Array) []bool {
	bm := boolBits(a)
	out := buf(&s.bools, a.Len())
	for i := range out {
		out[i] = bm.get(i)
	}
	return out
}

// ---------------------------------------------------------------------------
// COUNT

// countAcc is COUNT(x) and COUNT(*): the rows it is given are the rows to
// count.
type countAcc struct{ c []int64 }

func (a *countAcc) grow(n int) { a.c = extendZero(a.c, n) }

func (a *countAcc) add(_ *scratch, _ []int32, groups []uint32, _ arrow.Array, _ int64) error {
	c := a.c
	for _, g := range groups {
		c[g]++
	}
	return nil
}

func (a *countAcc) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*countAcc)
	a.c[dst] += o.c[src]
	return nil
}

func (a *countAcc) retract(_ *scratch, _ []int32, groups []uint32, _ arrow.Array) error {
	c := a.c
	for _, g := range groups {
		if c[g] > 0 {
			c[g]--
		}
	}
	return nil
}

func (a *countAcc) clearGroup(g uint32) { a.c[g] = 0 }

func (a *countAcc) build(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	return gatherFixed(mem, sqltypes.BigInt, a.c, nil, groups), nil
}

func (a *countAcc) reset()       { a.c = a.c[:0] }
func (a *countAcc) bytes() int64 { return capBytes(a.c) }

// ---------------------------------------------------------------------------
// SUM

// sumIntAcc is SUM over integers (and INTERVAL) into BIGINT, which wraps
// around on overflow as Java's long does in Flink. Counted (in a
// retractable table), it also counts each group's non-NULL values, so that
// the sum is NULL again once they have all been retracted; wrapping
// arithmetic makes retraction exact.
type sumIntAcc[T integer] struct {
	typ     arrow.DataType
	s       []int64
	has     bitset
	counted bool
	nn      []int64 // counted: non-NULL values per group
}

func (a *sumIntAcc[T]) grow(n int) {
	a.has = growBits(a.has, len(a.s), n, false)
	a.s = extendZero(a.s, n)
	if a.counted {
		a.nn = extendZero(a.nn, n)
	}
}

// countIn counts one value into each listed group.
func countIn(nn []int64, groups []uint32) {
	for _, g := range groups {
		nn[g]++
	}
}

func (a *sumIntAcc[T]) add(_ *scratch, rows []int32, groups []uint32, arg arrow.Array, _ int64) error {
	in, s, has := arrowbuf.Values[T](arg), a.s, a.has
	if a.counted {
		countIn(a.nn, groups)
	}
	if rows == nil {
		in = in[:len(groups)]
		for k, g := range groups {
			s[g] += int64(in[k])
			has.mark(g)
		}
		return nil
	}
	rows = rows[:len(groups)]
	for k, g := range groups {
		s[g] += int64(in[rows[k]])
		has.mark(g)
	}
	return nil
}

func (a *sumIntAcc[T]) retract(_ *scratch, rows []int32, groups []uint32, arg arrow.Array) error {
	in, s, nn := arrowbuf.Values[T](arg), a.s, a.nn
	for k, g := range groups {
		if nn[g] == 0 {
			continue
		}
		s[g] -= int64(in[rowAt(rows, k)])
		if nn[g]--; nn[g] == 0 {
			s[g] = 0
			a.has.unset(g)
		}
	}
	return nil
}

func (a *sumIntAcc[T]) clearGroup(g uint32) {
	a.s[g], a.nn[g] = 0, 0
	a.has.unset(g)
}

func (a *sumIntAcc[T]) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*sumIntAcc[T])
	if o.has.get(src) {
		a.s[dst] += o.s[src]
		a.has.set(dst)
	}
	if a.counted {
		a.nn[dst] += o.nn[src]
	}
	return nil
}

func (a *sumIntAcc[T]) build(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	return gatherFixed(mem, a.typ, a.s, a.has, groups), nil
}

func (a *sumIntAcc[T]) reset() { a.s, a.has, a.nn = a.s[:0], a.has[:0], a.nn[:0] }
func (a *sumIntAcc[T]) bytes() int64 {
	return capBytes(a.s) + int64(cap(a.has)) + capBytes(a.nn)
}

// sumFloatAcc is SUM over FLOAT or DOUBLE into DOUBLE, in arrival order.
// Counted (in a retractable table) it also counts each group's non-NULL
// values, and keeps NaN and the infinities out of the running sum
// (nonFinite), so that they can be retracted.
type sumFloatAcc[T float32 | float64] struct {
	s       []float64
	has     bitset
	counted bool
	nn      []int64     // counted: non-NULL values per group
	odd     []nonFinite // counted: NaN and infinities per group
}

func (a *sumFloatAcc[T]) grow(n int) {
	a.has = growBits(a.has, len(a.s), n, false)
	a.s = extendZero(a.s, n)
	if a.counted {
		a.nn = extendZero(a.nn, n)
		a.odd = extendZero(a.odd, n)
	}
}

func (a *sumFloatAcc[T]) add(_ *scratch, rows []int32, groups []uint32, arg arrow.Array, _ int64) error {
	in, s, has := arrowbuf.Values[T](arg), a.s, a.has
	if a.counted {
		nn, odd := a.nn, a.odd
		for k, g := range groups {
			x := float64(in[rowAt(rows, k)])
			nn[g]++
			has.mark(g)
			if x-x != 0 { // NaN or an infinity
				odd[g].note(x, 1)
				continue
			}
			s[g] += x
		}
		return nil
	}
	if rows == nil {
		in = in[:len(groups)]
		for k, g := range groups {
			s[g] += float64(in[k])
			has.mark(g)
		}
		return nil
	}
	rows = rows[:len(groups)]
	for k, g := range groups {
		s[g] += float64(in[rows[k]])
		has.mark(g)
	}
	return nil
}

func (a *sumFloatAcc[T]) retract(_ *scratch, rows []int32, groups []uint32, arg arrow.Array) error {
	in, s, nn, odd := arrowbuf.Values[T](arg), a.s, a.nn, a.odd
	for k, g := range groups {
		if nn[g] == 0 {
			continue
		}
		if x := float64(in[rowAt(rows, k)]); x-x != 0 {
			odd[g].note(x, -1)
		} else {
			s[g] -= x
		}
		if nn[g]--; nn[g] == 0 {
			a.clearGroup(g)
		}
	}
	return nil
}

func (a *sumFloatAcc[T]) clearGroup(g uint32) {
	a.s[g], a.nn[g], a.odd[g] = 0, 0, nonFinite{}
	a.has.unset(g)
}

func (a *sumFloatAcc[T]) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*sumFloatAcc[T])
	if o.has.get(src) {
		a.s[dst] += o.s[src]
		a.has.set(dst)
	}
	if a.counted {
		a.nn[dst] += o.nn[src]
		a.odd[dst].merge(o.odd[src])
	}
	return nil
}

func (a *sumFloatAcc[T]) build(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	if !a.counted {
		return gatherFixed(mem, sqltypes.Double, a.s, a.has, groups), nil
	}
	n := len(groups)
	buf, out := arrowbuf.AllocValues[float64](mem, n)
	v := validityOut{mem: mem, n: n}
	for i, g := range groups {
		switch x, odd := a.odd[g].sum(); {
		case !a.has.get(g):
			out[i] = 0
			v.setNull(i)
		case odd:
			out[i] = x
		default:
			out[i] = a.s[g]
		}
	}
	return newArray(sqltypes.Double, n, v.nulls, v.buf, buf), nil
}

func (a *sumFloatAcc[T]) reset() {
	a.s, a.has, a.nn, a.odd = a.s[:0], a.has[:0], a.nn[:0], a.odd[:0]
}
func (a *sumFloatAcc[T]) bytes() int64 {
	return capBytes(a.s) + int64(cap(a.has)) + capBytes(a.nn) + capBytes(a.odd)
}

// decMax and decMin bound DECIMAL(38) values.
var (
	decMax = decimal128.GetMaxValue(38)
	decMin = decMax.Negate()
)

// sumDecAcc is SUM over DECIMAL(p,s) into DECIMAL(38,s). A running sum
// outside DECIMAL(38,s) is an error wrapping ErrOverflow, even if later rows
// would bring it back.
type sumDecAcc struct {
	typ     arrow.DataType
	spec    Spec
	s       []decimal128.Num
	has     bitset
	counted bool    // in a retractable table (not in AVG's)
	nn      []int64 // counted: non-NULL values per group
}

func (a *sumDecAcc) overflow() error {
	return fmt.Errorf("%s overflows %s: %w", a.spec, sqltypes.Name(a.typ), ErrOverflow)
}

func (a *sumDecAcc) grow(n int) {
	a.has = growBits(a.has, len(a.s), n, false)
	a.s = extendZero(a.s, n)
	if a.counted {
		a.nn = extendZero(a.nn, n)
	}
}

func (a *sumDecAcc) add(_ *scratch, rows []int32, groups []uint32, arg arrow.Array, _ int64) error {
	in, s, has := arrowbuf.Values[decimal128.Num](arg), a.s, a.has
	if a.counted {
		countIn(a.nn, groups)
	}
	for k, g := range groups {
		v := s[g].Add(in[rowAt(rows, k)])
		if v.Greater(decMax) || v.Less(decMin) {
			return a.overflow()
		}
		s[g] = v
		has.mark(g)
	}
	return nil
}

// sub takes v out of group g's sum.
func (a *sumDecAcc) sub(g uint32, v decimal128.Num) error {
	d := a.s[g].Sub(v)
	if d.Greater(decMax) || d.Less(decMin) {
		return a.overflow()
	}
	a.s[g] = d
	return nil
}

func (a *sumDecAcc) retract(_ *scratch, rows []int32, groups []uint32, arg arrow.Array) error {
	return a.retractCounted(rows, groups, arg, a.nn, a.clearGroup)
}

// retractCounted subtracts each row's value from its group's sum and
// counts it out of counts; a group whose count reaches zero is cleared.
// Rows of groups already at zero are ignored.
func (a *sumDecAcc) retractCounted(rows []int32, groups []uint32, arg arrow.Array, counts []int64, clear func(uint32)) error {
	in := arrowbuf.Values[decimal128.Num](arg)
	for k, g := range groups {
		if counts[g] == 0 {
			continue
		}
		if err := a.sub(g, in[rowAt(rows, k)]); err != nil {
			return err
		}
		if counts[g]--; counts[g] == 0 {
			clear(g)
		}
	}
	return nil
}

func (a *sumDecAcc) clearGroup(g uint32) {
	a.s[g] = decimal128.Num{}
	a.has.unset(g)
	if a.counted {
		a.nn[g] = 0
	}
}

func (a *sumDecAcc) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*sumDecAcc)
	if a.counted {
		a.nn[dst] += o.nn[src]
	}
	if !o.has.get(src) {
		return nil
	}
	v := a.s[dst].Add(o.s[src])
	if v.Greater(decMax) || v.Less(decMin) {
		return a.overflow()
	}
	a.s[dst] = v
	a.has.set(dst)
	return nil
}

func (a *sumDecAcc) build(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	return gatherFixed(mem, a.typ, a.s, a.has, groups), nil
}

func (a *sumDecAcc) reset()       { a.s, a.has, a.nn = a.s[:0], a.has[:0], a.nn[:0] }
func (a *sumDecAcc) bytes() int64 { return capBytes(a.s) + int64(cap(a.has)) + capBytes(a.nn) }

// ---------------------------------------------------------------------------
// AVG

// avgIntAcc is AVG over integers: an exact 128-bit sum and a count,
// divided in DOUBLE at the end.
type avgIntAcc[T integer] struct {
	lo  []uint64
	hi  []int64
	cnt []int64
}

func (a *avgIntAcc[T]) grow(n int) {
	a.lo = extendZero(a.lo, n)
	a.hi = extendZero(a.hi, n)
	a.cnt = extendZero(a.cnt, n)
}

func (a *avgIntAcc[T]) add(_ *scratch, rows []int32, groups []uint32, arg arrow.Array, _ int64) error {
	in, lo, hi, cnt := arrowbuf.Values[T](arg), a.lo, a.hi, a.cnt
	for k, g := range groups {
		x := int64(in[rowAt(rows, k)])
		l, c := bits.Add64(lo[g], uint64(x), 0)
		lo[g] = l
		hi[g] += x>>63 + int64(c)
		cnt[g]++
	}
	return nil
}

func (a *avgIntAcc[T]) retract(_ *scratch, rows []int32, groups []uint32, arg arrow.Array) error {
	in, lo, hi, cnt := arrowbuf.Values[T](arg), a.lo, a.hi, a.cnt
	for k, g := range groups {
		if cnt[g] == 0 {
			continue
		}
		x := int64(in[rowAt(rows, k)])
		l, b := bits.Sub64(lo[g], uint64(x), 0)
		lo[g] = l
		hi[g] -= x>>63 + int64(b)
		cnt[g]--
	}
	return nil
}

func (a *avgIntAcc[T]) clearGroup(g uint32) { a.lo[g], a.hi[g], a.cnt[g] = 0, 0, 0 }

func (a *avgIntAcc[T]) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*avgIntAcc[T])
	l, c := bits.Add64(a.lo[dst], o.lo[src], 0)
	a.lo[dst] = l
	a.hi[dst] += o.hi[src] + int64(c)
	a.cnt[dst] += o.cnt[src]
	return nil
}

// int128Float converts a two's complement 128-bit integer to float64.
func int128Float(hi int64, lo uint64) float64 {
	if hi == int64(lo)>>63 {
		return float64(int64(lo))
	}
	return float64(hi)*0x1p64 + float64(lo)
}

func (a *avgIntAcc[T]) build(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	n := len(groups)
	buf, out := arrowbuf.AllocValues[float64](mem, n)
	v := validityOut{mem: mem, n: n}
	for i, g := range groups {
		if a.cnt[g] == 0 {
			out[i] = 0
			v.setNull(i)
			continue
		}
		out[i] = int128Float(a.hi[g], a.lo[g]) / float64(a.cnt[g])
	}
	return newArray(sqltypes.Double, n, v.nulls, v.buf, buf), nil
}

func (a *avgIntAcc[T]) reset() { a.lo, a.hi, a.cnt = a.lo[:0], a.hi[:0], a.cnt[:0] }
func (a *avgIntAcc[T]) bytes() int64 {
	return capBytes(a.lo) + capBytes(a.hi) + capBytes(a.cnt)
}

// avgFloatAcc is AVG over FLOAT or DOUBLE: a DOUBLE sum and a count. In a
// retractable table NaN and the infinities are kept out of the
// sum (nonFinite), so that they can be retracted.
type avgFloatAcc[T float32 | float64] struct {
	s           []float64
	cnt         []int64
	retractable bool
	odd         []nonFinite // retractable: NaN and infinities per group
}

func (a *avgFloatAcc[T]) grow(n int) {
	a.s = extendZero(a.s, n)
	a.cnt = extendZero(a.cnt, n)
	if a.retractable {
		a.odd = extendZero(a.odd, n)
	}
}

func (a *avgFloatAcc[T]) add(_ *scratch, rows []int32, groups []uint32, arg arrow.Array, _ int64) error {
	in, s, cnt := arrowbuf.Values[T](arg), a.s, a.cnt
	if a.retractable {
		odd := a.odd
		for k, g := range groups {
			cnt[g]++
			if x := float64(in[rowAt(rows, k)]); x-x != 0 {
				odd[g].note(x, 1)
			} else {
				s[g] += x
			}
		}
		return nil
	}
	for k, g := range groups {
		s[g] += float64(in[rowAt(rows, k)])
		cnt[g]++
	}
	return nil
}

func (a *avgFloatAcc[T]) retract(_ *scratch, rows []int32, groups []uint32, arg arrow.Array) error {
	in, s, cnt, odd := arrowbuf.Values[T](arg), a.s, a.cnt, a.odd
	for k, g := range groups {
		if cnt[g] == 0 {
			continue
		}
		if x := float64(in[rowAt(rows, k)]); x-x != 0 {
			odd[g].note(x, -1)
		} else {
			s[g] -= x
		}
		if cnt[g]--; cnt[g] == 0 {
			a.clearGroup(g)
		}
	}
	return nil
}

func (a *avgFloatAcc[T]) clearGroup(g uint32) { a.s[g], a.cnt[g], a.odd[g] = 0, 0, nonFinite{} }

func (a *avgFloatAcc[T]) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*avgFloatAcc[T])
	a.s[dst] += o.s[src]
	a.cnt[dst] += o.cnt[src]
	if a.retractable {
		a.odd[dst].merge(o.odd[src])
	}
	return nil
}

func (a *avgFloatAcc[T]) build(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	n := len(groups)
	buf, out := arrowbuf.AllocValues[float64](mem, n)
	v := validityOut{mem: mem, n: n}
	for i, g := range groups {
		if a.cnt[g] == 0 {
			out[i] = 0
			v.setNull(i)
			continue
		}
		if a.retractable {
			if x, ok := a.odd[g].sum(); ok {
				out[i] = x
				continue
			}
		}
		out[i] = a.s[g] / float64(a.cnt[g])
	}
	return newArray(sqltypes.Double, n, v.nulls, v.buf, buf), nil
}

func (a *avgFloatAcc[T]) reset() { a.s, a.cnt, a.odd = a.s[:0], a.cnt[:0], a.odd[:0] }
func (a *avgFloatAcc[T]) bytes() int64 {
	return capBytes(a.s) + capBytes(a.cnt) + capBytes(a.odd)
}

// avgDecAcc is AVG over DECIMAL(p,s): a DECIMAL(38,s) sum and a count,
// divided at the end into DECIMAL(38, max(s,6)), rounding half away from
// zero.
type avgDecAcc struct {
	sumDecAcc
	cnt               []int64
	inScale, outScale int32
}

func (a *avgDecAcc) grow(n int) {
	a.sumDecAcc.grow(n)
	a.cnt = extendZero(a.cnt, n)
}

func (a *avgDecAcc) add(s *scratch, rows []int32, groups []uint32, arg arrow.Array, seq int64) error {
	if err := a.sumDecAcc.add(s, rows, groups, arg, seq); err != nil {
		return err
	}
	cnt := a.cnt
	for _, g := range groups {
		cnt[g]++
	}
	return nil
}

func (a *avgDecAcc) retract(_ *scratch, rows []int32, groups []uint32, arg arrow.Array) error {
	return a.retractCounted(rows, groups, arg, a.cnt, a.clearGroup)
}

func (a *avgDecAcc) clearGroup(g uint32) {
	a.sumDecAcc.clearGroup(g)
	a.cnt[g] = 0
}

func (a *avgDecAcc) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*avgDecAcc)
	if err := a.sumDecAcc.mergeFrom(&o.sumDecAcc, dst, src); err != nil {
		return err
	}
	a.cnt[dst] += o.cnt[src]
	return nil
}

func (a *avgDecAcc) build(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	n := len(groups)
	buf, out := arrowbuf.AllocValues[decimal128.Num](mem, n)
	v := validityOut{mem: mem, n: n}
	for i, g := range groups {
		if a.cnt[g] == 0 {
			out[i] = decimal128.Num{}
			v.setNull(i)
			continue
		}
		q, ok := decAvg(a.s[g], a.outScale-a.inScale, uint64(a.cnt[g]))
		if !ok {
			buf.Release()
			if v.buf != nil {
				v.buf.Release()
			}
			return nil, fmt.Errorf("AVG(%s) overflows %s: %w", sqltypes.Name(a.spec.Arg), sqltypes.Name(a.typ), ErrOverflow)
		}
		out[i] = q
	}
	return newArray(a.typ, n, v.nulls, v.buf, buf), nil
}

func (a *avgDecAcc) reset() {
	a.sumDecAcc.reset()
	a.cnt = a.cnt[:0]
}

func (a *avgDecAcc) bytes() int64 { return a.sumDecAcc.bytes() + capBytes(a.cnt) }

// pow10u holds 10^0 … 10^19.
var pow10u = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// decAvg returns sum·10^up / n rounded half away from zero, and false when
// the quotient does not fit in DECIMAL(38). up is at most 6.
func decAvg(sum decimal128.Num, up int32, n uint64) (decimal128.Num, bool) {
	neg := sum.Sign() < 0
	if neg {
		sum = sum.Negate()
	}
	hi, lo := uint64(sum.HighBits()), sum.LowBits()
	// (hi, lo) · 10^up in 192 bits: top:hi:lo.
	m := pow10u[up]
	c1, l := bits.Mul64(lo, m)
	top, h := bits.Mul64(hi, m)
	h, c := bits.Add64(h, c1, 0)
	top += c
	// Divide top:h:l by n, long division in 64-bit limbs.
	if top >= n {
		return decimal128.Num{}, false
	}
	qh, r := bits.Div64(top, h, n)
	ql, r := bits.Div64(r, l, n)
	// Round half away from zero: r ≥ n - r.
	if r >= n-r {
		var c uint64
		ql, c = bits.Add64(ql, 1, 0)
		qh += c
	}
	if qh > math.MaxInt64 {
		return decimal128.Num{}, false
	}
	q := decimal128.New(int64(qh), ql)
	if q.Greater(decMax) {
		return decimal128.Num{}, false
	}
	if neg {
		q = q.Negate()
	}
	return q, true
}

var (
	_ accumulator = (*countAcc)(nil)
	_ accumulator = (*sumIntAcc[int64])(nil)
	_ accumulator = (*sumFloatAcc[float64])(nil)
	_ accumulator = (*sumDecAcc)(nil)
	_ accumulator = (*avgIntAcc[int64])(nil)
	_ accumulator = (*avgFloatAcc[float64])(nil)
	_ accumulator = (*avgDecAcc)(nil)
	_ accumulator = (*minMaxAcc[int64])(nil)
	_ accumulator = (*minMaxDecAcc)(nil)
	_ accumulator = (*minMaxBoolAcc)(nil)
	_ accumulator = (*minMaxStrAcc)(nil)
	_ accumulator = (*firstLastAcc[int64])(nil)
	_ accumulator = (*firstLastStrAcc)(nil)
	_ accumulator = (*varAcc)(nil)
	_ accumulator = (*hllAcc)(nil)

	_ retractor = (*countAcc)(nil)
	_ retractor = (*sumIntAcc[int64])(nil)
	_ retractor = (*sumFloatAcc[float64])(nil)
	_ retractor = (*sumDecAcc)(nil)
	_ retractor = (*avgIntAcc[int64])(nil)
	_ retractor = (*avgFloatAcc[float64])(nil)
	_ retractor = (*avgDecAcc)(nil)
	_ retractor = (*varAcc)(nil)
	_ retractor = (*multisetAcc[int64])(nil)
	_ retractor = (*multisetAcc[string])(nil)
)
