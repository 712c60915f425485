package exec

// Assembling a join's output: each output row takes its left columns from
// one row of some record (the probing batch or a stored one) or NULLs, and
// its right columns likewise. A typed gather per column reads straight from
// every source record into buffers allocated once at their final size, so
// build-side rows spread over many stored records need no concatenation.

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/internal/arrowbuf"
)

// rowRefs lists, for one side of a join's output, where each output row's
// columns come from: row rows[i] of srcs[which[i]], or NULLs when which[i]
// is -1. It does not own srcs.
type rowRefs struct {
	srcs  []arrow.Record
	which []int32
	rows  []int32
}

// add appends a row of source src.
func (r *rowRefs) add(src, row int32) {
	r.which = append(r.which, src)
	r.rows = append(r.rows, row)
}

// addNull appends a NULL-padded row.
func (r *rowRefs) addNull() { r.add(-1, 0) }

// source adds rec as a source and returns its index.
func (r *rowRefs) source(rec arrow.Record) int32 {
	r.srcs = append(r.srcs, rec)
	return int32(len(r.srcs) - 1)
}

func (r *rowRefs) len() int { return len(r.rows) }

// reset empties the lists, keeping their space.
func (r *rowRefs) reset() {
	clear(r.srcs)
	r.srcs, r.which, r.rows = r.srcs[:0], r.which[:0], r.rows[:0]
}

// assemble builds the output record of schema from the left and right
// references (of equal length); the caller releases it.
func assemble(mem memory.Allocator, schema *arrow.Schema, nLeft int, left, right *rowRefs) (arrow.Record, error) {
	n := left.len()
	if right.len() != n {
		return nil, fmt.Errorf("join: %d left and %d right output rows", n, right.len())
	}
	cols := make([]arrow.Array, schema.NumFields())
	cols2 := make([]arrow.Array, 0, max(len(left.srcs), len(right.srcs)))
	for i := range cols {
		refs, c := left, i
		if i >= nLeft {
			refs, c = right, i-nLeft
		}
		cols2 = cols2[:0]
		for _, s := range refs.srcs {
			cols2 = append(cols2, s.Column(c))
		}
		a, err := gatherRows(mem, schema.Field(i).Type, cols2, refs.which, refs.rows)
		if err != nil {
			releaseAll(cols[:i])
			return nil, err
		}
		cols[i] = a
	}
	rec := array.NewRecord(schema, cols, int64(n))
	releaseAll(cols)
	return rec, nil
}

// gatherable reports whether gatherRows supports columns of type dt.
func gatherable(dt arrow.DataType) error {
	switch dt.(type) {
	case *arrow.NullType, *arrow.BooleanType, *arrow.StringType, *arrow.BinaryType:
		return nil
	}
	if fw, ok := dt.(arrow.FixedWidthDataType); ok {
		switch fw.BitWidth() {
		case 8, 16, 32, 64, 128:
			return nil
		}
	}
	return fmt.Errorf("join: columns of type %s are not supported", dt)
}

// gatherRows builds the array whose row i is row rows[i] of cols[which[i]],
// or NULL when which[i] is -1. Every col has type dt.
func gatherRows(mem memory.Allocator, dt arrow.DataType, cols []arrow.Array, which, rows []int32) (arrow.Array, error) {
	n := len(rows)
	if dt.ID() == arrow.NULL {
		return array.NewNull(n), nil
	}
	validity, nulls := gatherValidity(mem, cols, which, rows)
	switch dt.(type) {
	case *arrow.BooleanType:
		bools := make([]*array.Boolean, len(cols))
		for j, c := range cols {
			bools[j] = c.(*array.Boolean)
		}
		buf, out := arrowbuf.AllocBits(mem, n)
		for i, r := range rows {
			if w := which[i]; w >= 0 && bools[w].Value(int(r)) {
				bitutil.SetBit(out, i)
			}
		}
		return makeArray(dt, n, []*memory.Buffer{validity, buf}, nulls), nil
	case *arrow.StringType, *arrow.BinaryType:
		return gatherBinary(mem, dt, cols, which, rows, validity, nulls), nil
	}
	fw, ok := dt.(arrow.FixedWidthDataType)
	if !ok {
		if validity != nil {
			validity.Release()
		}
		return nil, gatherable(dt)
	}
	switch fw.BitWidth() {
	case 8:
		return gatherFixed[uint8](mem, dt, cols, which, rows, validity, nulls), nil
	case 16:
		return gatherFixed[uint16](mem, dt, cols, which, rows, validity, nulls), nil
	case 32:
		return gatherFixed[uint32](mem, dt, cols, which, rows, validity, nulls), nil
	case 64:
		return gatherFixed[uint64](mem, dt, cols, which, rows, validity, nulls), nil
	case 128:
		return gatherFixed[decimal128.Num](mem, dt, cols, which, rows, validity, nulls), nil
	}
	if validity != nil {
		validity.Release()
	}
	return nil, gatherable(dt)
}

// gatherValidity builds the validity bitmap of a gather (nil when no row
// is NULL).
func gatherValidity(mem memory.Allocator, cols []arrow.Array, which, rows []int32) (*memory.Buffer, int) {
	anyNull := false
	for _, c := range cols {
		if c.NullN() > 0 {
			anyNull = true
			break
		}
	}
	if !anyNull {
		for _, w := range which {
			if w < 0 {
				anyNull = true
				break
			}
		}
	}
	if !anyNull {
		return nil, 0
	}
	buf, bits := arrowbuf.AllocBits(mem, len(rows))
	nulls := 0
	for i, r := range rows {
		if w := which[i]; w >= 0 && cols[w].IsValid(int(r)) {
			bitutil.SetBit(bits, i)
		} else {
			nulls++
		}
	}
	if nulls == 0 {
		buf.Release()
		return nil, 0
	}
	return buf, nulls
}

// gatherFixed gathers a fixed-width column whose values are T-sized.
func gatherFixed[T any](mem memory.Allocator, dt arrow.DataType, cols []arrow.Array, which, rows []int32,
	validity *memory.Buffer, nulls int) arrow.Array {
	n := len(rows)
	views := make([][]T, len(cols))
	for j, c := range cols {
		views[j] = arrowbuf.Values[T](c)
	}
	buf, dst := arrowbuf.AllocValues[T](mem, n)
	if len(views) == 1 && nulls == 0 {
		v := views[0]
		for i, r := range rows {
			dst[i] = v[r]
		}
	} else {
		var zero T
		for i, r := range rows {
			if w := which[i]; w >= 0 {
				dst[i] = views[w][r]
			} else {
				dst[i] = zero
			}
		}
	}
	return makeArray(dt, n, []*memory.Buffer{validity, buf}, nulls)
}

// binaryArray is what VARCHAR (and binary) arrays have in common.
type binaryArray interface {
	ValueOffsets() []int32
	ValueBytes() []byte
}

// gatherBinary gathers a VARCHAR or binary column.
func gatherBinary(mem memory.Allocator, dt arrow.DataType, cols []arrow.Array, which, rows []int32,
	validity *memory.Buffer, nulls int) arrow.Array {
	n := len(rows)
	offs := make([][]int32, len(cols))
	data := make([][]byte, len(cols))
	for j, c := range cols {
		if c.Len() == 0 {
			continue // no row refers to it; it may have no offsets
		}
		b := c.(binaryArray)
		offs[j], data[j] = b.ValueOffsets(), b.ValueBytes()
	}
	total := 0
	for i, r := range rows {
		if w := which[i]; w >= 0 {
			total += int(offs[w][r+1] - offs[w][r])
		}
	}
	obuf, out := arrowbuf.AllocValues[int32](mem, n+1)
	dbuf := memory.NewResizableBuffer(mem)
	dbuf.Resize(total)
	dst := dbuf.Bytes()
	pos := int32(0)
	for i, r := range rows {
		out[i] = pos
		if w := which[i]; w >= 0 {
			o := offs[w]
			base := o[0]
			pos += int32(copy(dst[pos:], data[w][o[r]-base:o[r+1]-base]))
		}
	}
	out[n] = pos
	return makeArray(dt, n, []*memory.Buffer{validity, obuf, dbuf}, nulls)
}

// recordBytes is the size of the buffers a record holds (buffers shared
// with other records are counted in each).
func recordBytes(rec arrow.Record) int64 {
	var n int64
	for _, c := range rec.Columns() {
		n += dataBytes(c.Data())
	}
	return n
}

func dataBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		n += dataBytes(c)
	}
	return n
}
