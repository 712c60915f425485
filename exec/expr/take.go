package expr

// Row selection: evaluating an expression on some rows of a batch only
// (lazy CASE, COALESCE, AND/OR), and gathering rows of several arrays into
// one result.

import (
	"fmt"
	"github.com/weirsql/weir/internal/arrowbuf"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// evalRows evaluates e on the given rows of batch (ascending indices) and
// returns an array of len(rows) rows. Only the columns e reads are copied.
func evalRows(ctx *Context, e Expr, batch arrow.Record, rows []int32) (arrow.Array, error) {
	if s, ok := IsLiteral(e); ok {
		return operand{lit: s}.array(ctx.Mem, len(rows))
	}
	sub := takeRecord(ctx.Mem, batch, rows, e)
	defer sub.Release()
	return e.Eval(ctx, sub)
}

// takeRecord returns the given rows of batch. Columns that e does not read
// are replaced by NULL-typed placeholders, which cost nothing.
func takeRecord(mem memory.Allocator, batch arrow.Record, rows []int32, e Expr) arrow.Record {
	nc := int(batch.NumCols())
	used := make([]bool, nc)
	if !markColumns(e, used) {
		for i := range used {
			used[i] = true
		}
	}
	fields := make([]arrow.Field, nc)
	cols := make([]arrow.Array, nc)
	for i := 0; i < nc; i++ {
		f := batch.Schema().Field(i)
		if used[i] && physOf(f.Type) != physOther {
			cols[i] = gather(mem, batch.Column(i).DataType(), len(rows), []arrow.Array{batch.Column(i)}, nil, rows)
		} else {
			f.Type = arrow.Null
			f.Nullable = true
			cols[i] = array.NewNull(len(rows))
		}
		fields[i] = f
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), cols, int64(len(rows)))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// gather builds an array of n rows of type typ: row i is row pos[i] of
// srcs[which[i]], or NULL when which[i] < 0 (or srcs[which[i]] is nil).
// which == nil means every row comes from srcs[0].
func gather(mem memory.Allocator, typ arrow.DataType, n int, srcs []arrow.Array, which []int16, pos []int32) arrow.Array {
	if physOf(typ) == physNull {
		return array.NewNull(n)
	}
	valids := make([]bitmap, len(srcs))
	for k, s := range srcs {
		if s != nil {
			valids[k] = validOf(s)
		}
	}
	// Validity first: it is the same for every layout.
	valid, vb := arrowbuf.AllocBits(mem, n)
	nulls := 0
	if which == nil {
		v := valids[0]
		for i, p := range pos[:n] {
			if v.isSet(int(p)) {
				vb[i>>3] |= 1 << (uint(i) & 7)
			} else {
				nulls++
			}
		}
	} else {
		for i, k := range which[:n] {
			if k >= 0 && srcs[k] != nil && valids[k].isSet(int(pos[i])) {
				vb[i>>3] |= 1 << (uint(i) & 7)
			} else {
				nulls++
			}
		}
	}
	if nulls == 0 {
		valid.Release()
		valid = nil
	}
	isValid := func(i int) bool { return valid == nil || vb[i>>3]&(1<<(uint(i)&7)) != 0 }
	src := func(i int) int {
		if which == nil {
			return 0
		}
		return int(which[i])
	}
	switch physOf(typ) {
	case physBool:
		vals, out := arrowbuf.AllocBits(mem, n)
		bits := make([]bitmap, len(srcs))
		for k, s := range srcs {
			if s != nil {
				bits[k] = boolBits(s)
			}
		}
		for i := 0; i < n; i++ {
			if isValid(i) && bits[src(i)].isSet(int(pos[i])) {
				out[i>>3] |= 1 << (uint(i) & 7)
			}
		}
		return newArrayNulls(typ, n, nulls, valid, vals)
	case physStr:
		return gatherStrings(mem, typ, n, nulls, valid, srcs, which, pos)
	case physI32, physF32:
		return gatherFixed[uint32](mem, typ, n, nulls, valid, srcs, which, pos)
	case physI64, physF64:
		return gatherFixed[uint64](mem, typ, n, nulls, valid, srcs, which, pos)
	case physDec:
		return gatherFixed[decimal128.Num](mem, typ, n, nulls, valid, srcs, which, pos)
	}
	panic(fmt.Sprintf("expr: cannot gather %s", typ))
}

// gatherStrings copies VARCHAR values: the sizes first, so that the bytes
// are written once into a buffer of the right size.
func gatherStrings(mem memory.Allocator, typ arrow.DataType, n, nulls int, valid *memory.Buffer, srcs []arrow.Array, which []int16, pos []int32) arrow.Array {
	offs := make([][]int32, len(srcs))
	data := make([][]byte, len(srcs))
	for k, s := range srcs {
		if s != nil && s.Len() > 0 {
			a := s.(*array.String)
			offs[k], data[k] = rebase(a.ValueOffsets()), a.ValueBytes()
		}
	}
	vb := bitsOf(valid)
	src := func(i int) int {
		if which == nil {
			return 0
		}
		return int(which[i])
	}
	obuf, out := arrowbuf.AllocValues[int32](mem, n+1)
	total := int32(0)
	for i := 0; i < n; i++ {
		out[i] = total
		if vb == nil || vb[i>>3]&(1<<(uint(i)&7)) != 0 {
			o, p := offs[src(i)], pos[i]
			total += o[p+1] - o[p]
		}
	}
	out[n] = total
	dbuf := memory.NewResizableBuffer(mem)
	dbuf.Resize(int(total))
	bytes := dbuf.Bytes()
	for i := 0; i < n; i++ {
		if start, end := out[i], out[i+1]; start < end {
			k, p := src(i), pos[i]
			copy(bytes[start:end], data[k][offs[k][p]:])
		}
	}
	return newArrayNulls(typ, n, nulls, valid, obuf, dbuf)
}

// rebase returns a string array's offsets relative to its first value,
// for indexing the bytes ValueBytes returns (a copy when they do not
// start at 0).
func rebase(offs []int32) []int32 {
	base := offs[0]
	if base == 0 {
		return offs
	}
	out := make([]int32, len(offs))
	for i, o := range offs {
		out[i] = o - base
	}
	return out
}

// gatherFixed copies fixed-width values; NULL rows get whatever value their
// position holds (or zero), which Arrow allows.
func gatherFixed[T any](mem memory.Allocator, typ arrow.DataType, n, nulls int, valid *memory.Buffer, srcs []arrow.Array, which []int16, pos []int32) arrow.Array {
	buf, out := arrowbuf.AllocValues[T](mem, n)
	vals := make([][]T, len(srcs))
	for k, s := range srcs {
		if s != nil {
			vals[k] = arrowbuf.Values[T](s)
		}
	}
	if which == nil {
		src := vals[0]
		for i, p := range pos[:n] {
			out[i] = src[p]
		}
		return newArrayNulls(typ, n, nulls, valid, buf)
	}
	var z T
	for i, k := range which[:n] {
		if k < 0 || vals[k] == nil {
			out[i] = z
			continue
		}
		out[i] = vals[k][pos[i]]
	}
	return newArrayNulls(typ, n, nulls, valid, buf)
}
