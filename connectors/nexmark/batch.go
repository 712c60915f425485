package nexmark

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// int64Col fills a BIGINT or TIMESTAMP column of one batch straight into an
// allocator buffer.
type int64Col struct {
	typ  arrow.DataType
	buf  *memory.Buffer
	vals []int64
}

func (c *int64Col) start(mem memory.Allocator, rows int) {
	c.buf = memory.NewResizableBuffer(mem)
	c.buf.Resize(rows * 8)
	c.vals = arrow.Int64Traits.CastFromBytes(c.buf.Bytes())
}

func (c *int64Col) finish(rows int) arrow.Array {
	c.buf.ResizeNoShrink(rows * 8)
	data := array.NewData(c.typ, rows, []*memory.Buffer{nil, c.buf}, nil, 0, 0)
	arr := array.MakeFromData(data)
	data.Release()
	c.release()
	return arr
}

func (c *int64Col) release() {
	if c.buf != nil {
		c.buf.Release()
	}
	c.buf, c.vals = nil, nil
}

// strCol fills a VARCHAR column of one batch: values are appended to data,
// which always lies inside the allocator buffer dataBuf, and end records
// where a row's value ends.
type strCol struct {
	bytes   int // expected bytes per row
	offBuf  *memory.Buffer
	offs    []int32
	dataBuf *memory.Buffer
	data    []byte
}

func (c *strCol) start(mem memory.Allocator, rows int) {
	c.offBuf = memory.NewResizableBuffer(mem)
	c.offBuf.Resize((rows + 1) * 4)
	c.offs = arrow.Int32Traits.CastFromBytes(c.offBuf.Bytes())
	c.offs[0] = 0
	c.dataBuf = memory.NewResizableBuffer(mem)
	c.dataBuf.Reserve(max(rows*c.bytes, 64))
	c.data = c.dataBuf.Buf()[:0]
}

// room makes sure k more bytes fit without leaving the buffer.
func (c *strCol) room(k int) {
	if n := len(c.data); n+k > cap(c.data) {
		c.dataBuf.Reserve(max(2*cap(c.data), n+k))
		c.data = c.dataBuf.Buf()[:n]
	}
}

// add appends a whole value for row.
func (c *strCol) add(row int, s string) {
	c.room(len(s))
	c.data = append(c.data, s...)
	c.offs[row+1] = int32(len(c.data))
}

// addBytes appends a whole value for row.
func (c *strCol) addBytes(row int, s []byte) {
	c.room(len(s))
	c.data = append(c.data, s...)
	c.offs[row+1] = int32(len(c.data))
}

// end closes row's value after appends.
func (c *strCol) end(row int) { c.offs[row+1] = int32(len(c.data)) }

// letters appends n random letters drawn from r.
func (c *strCol) letters(r *rng, n int) {
	c.room(n)
	k := len(c.data)
	c.data = c.data[:k+n]
	r.fillLetters(c.data[k:])
}

func (c *strCol) finish(rows int) arrow.Array {
	c.offBuf.ResizeNoShrink((rows + 1) * 4)
	c.dataBuf.ResizeNoShrink(len(c.data))
	data := array.NewData(arrow.BinaryTypes.String, rows, []*memory.Buffer{nil, c.offBuf, c.dataBuf}, nil, 0, 0)
	arr := array.MakeFromData(data)
	data.Release()
	c.release()
	return arr
}

func (c *strCol) release() {
	if c.offBuf != nil {
		c.offBuf.Release()
		c.dataBuf.Release()
	}
	c.offBuf, c.offs, c.dataBuf, c.data = nil, nil, nil, nil
}

// writer is where the generator puts one row: per column of the table, the
// batch column it fills, or nil when nobody reads it.
type writer struct {
	row int
	i64 [maxColumns]*int64Col
	str [maxColumns]*strCol
}
