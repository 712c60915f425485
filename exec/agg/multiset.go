package agg

// MIN and MAX of a retractable table: per group, the multiset of its
// values, as a slice of its distinct values in ascending order, each with
// the number of rows holding it. The result is the first (MIN) or last
// (MAX) value; retracting it reveals the next. Adding or retracting a value
// is a binary search (after a look at the last value, which catches values
// that arrive in order, such as times), then an insertion or deletion that
// moves the larger values. Values compare as the plain MIN and MAX do: -0
// below +0, NaN above every number (and NaN equal to NaN); VARCHAR by
// bytes.

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/internal/arrowbuf"
	"github.com/weirsql/weir/state"
)

// bagEntry is one distinct value of a group and how many rows hold it.
type bagEntry[T any] struct {
	v T
	n int64
}

// multisetAcc is MIN or MAX over values of type T in a retractable table.
type multisetAcc[T any] struct {
	typ  arrow.DataType
	max  bool
	cmp  func(a, b T) int
	read func(s *scratch, a arrow.Array) []T // a batch's values, by row
	// own returns a copy of a value that does not point into the batch
	// (VARCHAR), and size its bytes outside the entry; nil for others.
	own  func(v T) T
	size func(v T) int
	// putVals and getVals write and read a flat slice of values.
	putVals func(e *state.Encoder, vals []T)
	getVals func(d *state.Decoder) []T
	bags    [][]bagEntry[T]
	held    int64 // entries in every bag
	out     int64 // bytes of the values outside the entries
}

// newMultisetAcc returns the MIN or MAX of a retractable table.
func newMultisetAcc(s Spec, typ arrow.DataType) (accumulator, error) {
	isMax := s.Func == Max
	switch kindOf(s.Arg) {
	case kBool:
		return &multisetAcc[bool]{typ: typ, max: isMax, cmp: cmpBool, read: readBools,
			putVals: state.PutSlice[bool], getVals: state.Slice[bool]}, nil
	case kI8:
		return newFixedMultiset[int8](typ, isMax, cmp.Compare[int8]), nil
	case kI16:
		return newFixedMultiset[int16](typ, isMax, cmp.Compare[int16]), nil
	case kI32:
		return newFixedMultiset[int32](typ, isMax, cmp.Compare[int32]), nil
	case kI64:
		return newFixedMultiset[int64](typ, isMax, cmp.Compare[int64]), nil
	case kF32:
		return newFixedMultiset[float32](typ, isMax, cmpFloat[float32]), nil
	case kF64:
		return newFixedMultiset[float64](typ, isMax, cmpFloat[float64]), nil
	case kDec:
		return newFixedMultiset[decimal128.Num](typ, isMax, cmpDec), nil
	case kStr:
		return &multisetAcc[string]{typ: typ, max: isMax, cmp: strings.Compare, read: readStrings,
			own: strings.Clone, size: func(v string) int { return len(v) },
			putVals: saveStrings, getVals: loadStrings}, nil
	}
	return nil, undefined(s)
}

func newFixedMultiset[T any](typ arrow.DataType, isMax bool, c func(a, b T) int) *multisetAcc[T] {
	return &multisetAcc[T]{typ: typ, max: isMax, cmp: c, read: readFixed[T], putVals: state.PutSlice[T], getVals: state.Slice[T]}
}

// cmpFloat orders floats as MIN and MAX do: -0 below +0, NaN above every
// number and equal to itself.
func cmpFloat[T float32 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		sa, sb := math.Signbit(float64(a)), math.Signbit(float64(b))
		switch {
		case sa == sb:
			return 0
		case sa:
			return -1
		}
		return 1
	}
	switch an, bn := a != a, b != b; {
	case an && bn:
		return 0
	case an:
		return 1
	}
	return -1
}

func cmpDec(a, b decimal128.Num) int {
	switch {
	case a.Less(b):
		return -1
	case a.Greater(b):
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

// readStrings returns the values of a VARCHAR array as strings that point
// into its buffer, in scratch. They must not outlive the batch: a value
// kept is copied (own).
func readStrings(s *scratch, a arrow.Array) []string {
	offs, data := strValues(a)
	out := buf(&s.strs, a.Len())
	for i := range out {
		if n := offs[i+1] - offs[i]; n > 0 {
			out[i] = unsafe.String(&data[offs[i]], n)
		} else {
			out[i] = ""
		}
	}
	return out
}

func (a *multisetAcc[T]) grow(n int) { a.bags = extendZero(a.bags, n) }

// search finds v in bag b: its index, or where it would go.
func (a *multisetAcc[T]) search(b []bagEntry[T], v T) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	switch c := a.cmp(b[len(b)-1].v, v); {
	case c < 0:
		return len(b), false
	case c == 0:
		return len(b) - 1, true
	}
	return slices.BinarySearchFunc(b, v, func(e bagEntry[T], v T) int { return a.cmp(e.v, v) })
}

// insert adds n rows of value v to group g; copy says v points into a
// batch.
func (a *multisetAcc[T]) insert(g uint32, v T, n int64, copy bool) {
	b := a.bags[g]
	i, found := a.search(b, v)
	if found {
		b[i].n += n
		return
	}
	if a.own != nil {
		if copy {
			v = a.own(v)
		}
		a.out += int64(a.size(v))
	}
	a.bags[g] = slices.Insert(b, i, bagEntry[T]{v: v, n: n})
	a.held++
}

// remove takes one row of value v out of group g, if it holds one.
func (a *multisetAcc[T]) remove(g uint32, v T) {
	b := a.bags[g]
	i, found := a.search(b, v)
	if !found {
		return
	}
	if b[i].n--; b[i].n > 0 {
		return
	}
	if a.size != nil {
		a.out -= int64(a.size(b[i].v))
	}
	b = slices.Delete(b, i, i+1)
	if len(b) == 0 && cap(b) > 8 {
		b = nil // give back the space of a group that held many values
	}
	a.bags[g] = b
	a.held--
}

func (a *multisetAcc[T]) add(s *scratch, rows []int32, groups []uint32, arg arrow.Array, _ int64) error {
	in := a.read(s, arg)
	for k, g := range groups {
		a.insert(g, in[rowAt(rows, k)], 1, true)
	}
	if a.own != nil {
		clear(in) // drop the views into the batch
	}
	return nil
}

func (a *multisetAcc[T]) retract(s *scratch, rows []int32, groups []uint32, arg arrow.Array) error {
	in := a.read(s, arg)
	for k, g := range groups {
		a.remove(g, in[rowAt(rows, k)])
	}
	if a.own != nil {
		clear(in)
	}
	return nil
}

func (a *multisetAcc[T]) clearGroup(g uint32) {
	b := a.bags[g]
	a.held -= int64(len(b))
	if a.size != nil {
		for _, e := range b {
			a.out -= int64(a.size(e.v))
		}
	}
	a.bags[g] = nil
}

func (a *multisetAcc[T]) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*multisetAcc[T])
	for _, e := range o.bags[src] {
		a.insert(dst, e.v, e.n, false)
	}
	return nil
}

// extreme returns group g's MIN or MAX, and false when it holds no value.
func (a *multisetAcc[T]) extreme(g uint32) (T, bool) {
	b := a.bags[g]
	if len(b) == 0 {
		var z T
		return z, false
	}
	if a.max {
		return b[len(b)-1].v, true
	}
	return b[0].v, true
}

func (a *multisetAcc[T]) build(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	n := len(groups)
	switch any(a).(type) {
	case *multisetAcc[bool]:
		vbuf, out := arrowbuf.AllocBits(mem, n)
		v := validityOut{mem: mem, n: n}
		for i, g := range groups {
			x, ok := a.extreme(g)
			switch {
			case !ok:
				v.setNull(i)
			case any(x).(bool):
				out[i>>3] |= 1 << (i & 7)
			}
		}
		return newArray(a.typ, n, v.nulls, v.buf, vbuf), nil
	case *multisetAcc[string]:
		size := 0
		for _, g := range groups {
			if x, ok := a.extreme(g); ok {
				size += len(any(x).(string))
			}
		}
		o, err := newStringsOut(mem, n, size)
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			if x, ok := a.extreme(g); ok {
				o.add(unsafe.Slice(unsafe.StringData(any(x).(string)), len(any(x).(string))))
			} else {
				o.addNull()
			}
		}
		return o.finish(), nil
	}
	buf, out := arrowbuf.AllocValues[T](mem, n)
	v := validityOut{mem: mem, n: n}
	for i, g := range groups {
		x, ok := a.extreme(g)
		out[i] = x
		if !ok {
			v.setNull(i)
		}
	}
	return newArray(a.typ, n, v.nulls, v.buf, buf), nil
}

func (a *multisetAcc[T]) reset() {
	clear(a.bags)
	a.bags, a.held, a.out = a.bags[:0], 0, 0
}

func (a *multisetAcc[T]) bytes() int64 {
	return capBytes(a.bags) + a.held*sizeOf[bagEntry[T]]() + a.out
}

// save writes, for the listed groups (nil: the first n), how many distinct
// values each holds, then every value and every count.
func (a *multisetAcc[T]) save(e *state.Encoder, ids []uint32, n int) {
	bags := sel(a.bags, ids, n)
	lens := make([]uint32, len(bags))
	total := 0
	for i, b := range bags {
		lens[i] = uint32(len(b))
		total += len(b)
	}
	vals := make([]T, 0, total)
	counts := make([]int64, 0, total)
	for _, b := range bags {
		for _, x := range b {
			vals = append(vals, x.v)
			counts = append(counts, x.n)
		}
	}
	state.PutSlice(e, lens)
	a.putVals(e, vals)
	state.PutSlice(e, counts)
}

// load reads what save wrote for n groups. Each group's values must be
// distinct and ascending, their counts positive.
func (a *multisetAcc[T]) load(d *state.Decoder, n int) {
	lens := checkLen(d, state.Slice[uint32](d), n, "multiset sizes")
	vals := a.getVals(d)
	counts := state.Slice[int64](d)
	if d.Err() != nil {
		return
	}
	total := 0
	for _, l := range lens {
		total += int(l)
	}
	if len(vals) != total || len(counts) != total {
		d.Fail("multisets of %d values with %d values and %d counts", total, len(vals), len(counts))
		return
	}
	all := make([]bagEntry[T], total)
	for i := range all {
		all[i] = bagEntry[T]{v: vals[i], n: counts[i]}
	}
	a.bags = make([][]bagEntry[T], n)
	a.held, a.out = int64(total), 0
	at := 0
	for g, l := range lens {
		b := all[at : at+int(l) : at+int(l)]
		at += int(l)
		for i, x := range b {
			if x.n <= 0 || (i > 0 && a.cmp(b[i-1].v, x.v) >= 0) {
				d.Fail("multiset of group %d is not ascending with positive counts", g)
				return
			}
			if a.size != nil {
				a.out += int64(a.size(x.v))
			}
		}
		if l > 0 {
			a.bags[g] = b
		}
	}
}

// saveStrings writes strings as their lengths, then their bytes.
func saveStrings(e *state.Encoder, vals []string) {
	lens := make([]uint32, len(vals))
	total := 0
	for i, v := range vals {
		lens[i] = uint32(len(v))
		total += len(v)
	}
	data := make([]byte, 0, total)
	for _, v := range vals {
		data = append(data, v...)
	}
	state.PutSlice(e, lens)
	state.PutSlice(e, data)
}

func loadStrings(d *state.Decoder) []string {
	lens := state.Slice[uint32](d)
	data := state.Slice[byte](d)
	total := 0
	for _, l := range lens {
		total += int(l)
	}
	if total != len(data) {
		if d.Err() == nil {
			d.Fail("string lengths add up to %d, data has %d bytes", total, len(data))
		}
		return nil
	}
	out := make([]string, len(lens))
	all := string(data)
	at := 0
	for i, l := range lens {
		out[i] = all[at : at+int(l)]
		at += int(l)
	}
	return out
}

var (
	_ retractor  = (*multisetAcc[bool])(nil)
	_ persistent = (*multisetAcc[float64])(nil)
	_ persistent = (*multisetAcc[string])(nil)
)
