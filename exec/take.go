package exec

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/compute"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// selectedRows lists the rows where mask is TRUE (NULL counts as false);
// n is the number of such rows.
func selectedRows(mask *array.Boolean, n int) []int32 {
	out := make([]int32, 0, n)
	if mask.NullN() == 0 {
		for i := 0; i < mask.Len(); i++ {
			if mask.Value(i) {
				out = append(out, int32(i))
			}
		}
		return out
	}
	for i := 0; i < mask.Len(); i++ {
		if mask.IsValid(i) && mask.Value(i) {
			out = append(out, int32(i))
		}
	}
	return out
}

// takeRows gathers the listed rows of rec into a new record, one column
// after another on this goroutine (Arrow's FilterRecordBatch would start
// goroutines for every batch).
func takeRows(mem memory.Allocator, rec arrow.Record, rows []int32) (arrow.Record, error) {
	cols := make([]arrow.Array, rec.NumCols())
	for i, c := range rec.Columns() {
		t, err := takeArray(mem, c, rows)
		if err != nil {
			releaseAll(cols[:i])
			return nil, err
		}
		cols[i] = t
	}
	out := array.NewRecord(rec.Schema(), cols, int64(len(rows)))
	releaseAll(cols)
	return out, nil
}

// takeArray gathers rows of a. Fixed-width, boolean and string columns are
// copied by typed loops, each output buffer allocated once at its final
// size; other types go through Arrow's take kernel. (Arrow Go v17's string
// take grows its data buffer value by value, which is quadratic in the
// bytes of a batch.)
func takeArray(mem memory.Allocator, a arrow.Array, rows []int32) (arrow.Array, error) {
	n := len(rows)
	validity, nulls := takeValidity(mem, a, rows)
	switch a := a.(type) {
	case *array.String:
		return takeStrings(mem, a, rows, validity, nulls), nil
	case *array.Boolean:
		buf := memory.NewResizableBuffer(mem)
		buf.Resize(int(bitutil.BytesForBits(int64(n))))
		out := buf.Bytes()
		clear(out)
		for i, r := range rows {
			if a.Value(int(r)) {
				bitutil.SetBit(out, i)
			}
		}
		return makeArray(a.DataType(), n, []*memory.Buffer{validity, buf}, nulls), nil
	}
	if fw, ok := a.DataType().(arrow.FixedWidthDataType); ok && fw.BitWidth()%8 == 0 && a.Data().Offset() >= 0 {
		width := fw.BitWidth() / 8
		src := a.Data().Buffers()[1].Bytes()[a.Data().Offset()*width:]
		buf := memory.NewResizableBuffer(mem)
		buf.Resize(n * width)
		dst := buf.Bytes()
		switch width {
		case 4:
			s, d := arrow.Uint32Traits.CastFromBytes(src), arrow.Uint32Traits.CastFromBytes(dst)
			for i, r := range rows {
				d[i] = s[r]
			}
		case 8:
			s, d := arrow.Uint64Traits.CastFromBytes(src), arrow.Uint64Traits.CastFromBytes(dst)
			for i, r := range rows {
				d[i] = s[r]
			}
		default:
			for i, r := range rows {
				copy(dst[i*width:(i+1)*width], src[int(r)*width:(int(r)+1)*width])
			}
		}
		return makeArray(a.DataType(), n, []*memory.Buffer{validity, buf}, nulls), nil
	}
	if validity != nil {
		validity.Release()
	}
	b := array.NewInt32Builder(mem)
	b.AppendValues(rows, nil)
	idx := b.NewInt32Array()
	b.Release()
	defer idx.Release()
	return compute.TakeArray(compute.WithAllocator(context.Background(), mem), a, idx)
}

// takeValidity gathers the validity bitmap (nil when a has no NULLs).
func takeValidity(mem memory.Allocator, a arrow.Array, rows []int32) (*memory.Buffer, int) {
	if a.NullN() == 0 {
		return nil, 0
	}
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(len(rows)))))
	bits := buf.Bytes()
	clear(bits)
	nulls := 0
	for i, r := range rows {
		if a.IsValid(int(r)) {
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

func takeStrings(mem memory.Allocator, a *array.String, rows []int32, validity *memory.Buffer, nulls int) arrow.Array {
	n := len(rows)
	offs := a.ValueOffsets()
	total := 0
	for _, r := range rows {
		total += int(offs[r+1] - offs[r])
	}
	obuf := memory.NewResizableBuffer(mem)
	obuf.Resize((n + 1) * 4)
	out := arrow.Int32Traits.CastFromBytes(obuf.Bytes())
	dbuf := memory.NewResizableBuffer(mem)
	dbuf.Resize(total)
	data := dbuf.Bytes()
	src := a.ValueBytes()
	base := offs[0]
	pos := int32(0)
	for i, r := range rows {
		out[i] = pos
		s, e := offs[r]-base, offs[r+1]-base
		pos += int32(copy(data[pos:], src[s:e]))
	}
	out[n] = pos
	return makeArray(a.DataType(), n, []*memory.Buffer{validity, obuf, dbuf}, nulls)
}

// makeArray wraps freshly allocated buffers as an array, handing the
// buffers' references over to it.
func makeArray(dt arrow.DataType, n int, bufs []*memory.Buffer, nulls int) arrow.Array {
	data := array.NewData(dt, n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	defer data.Release()
	return array.MakeFromData(data)
}
