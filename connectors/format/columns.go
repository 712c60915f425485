package format

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

// kind is the storage class of a column being decoded.
type kind uint8

const (
	kBool kind = iota
	kInt32
	kInt64
	kFloat32
	kFloat64
	kDecimal
	kString
	kTimestamp
	kDate
	kInterval
)

// column accumulates the values of one projected column in plain Go slices
// (reused from batch to batch) and copies them into Arrow buffers when the
// batch is full. Plain slices make rolling back a bad record a matter of
// re-slicing, which Arrow builders cannot do.
type column struct {
	name  string
	typ   arrow.DataType
	kind  kind
	prec  int32 // DECIMAL precision
	scale int32 // DECIMAL scale

	valid []byte // 1 per row when non-NULL
	nulls int

	i32  []int32 // INT, DATE
	i64  []int64 // BIGINT, TIMESTAMP, INTERVAL
	f32  []float32
	f64  []float64
	bits []byte // BOOLEAN, one byte per row
	dec  []decimal128.Num
	offs []int32 // VARCHAR offsets, len = rows + 1
	str  []byte  // VARCHAR bytes

	// The last second parsed by parseTimestamp.
	tsSecond [19]byte
	tsBase   int64
	tsKnown  bool

	// exact records, while this row's value is set, whether it came from an
	// exactly matching JSON key (which wins over a case-insensitive one).
	exact bool
}

func newColumn(f arrow.Field) (*column, error) {
	c := &column{name: f.Name, typ: f.Type, offs: []int32{0}}
	switch t := f.Type.(type) {
	case *arrow.BooleanType:
		c.kind = kBool
	case *arrow.Int32Type:
		c.kind = kInt32
	case *arrow.Int64Type:
		c.kind = kInt64
	case *arrow.Float32Type:
		c.kind = kFloat32
	case *arrow.Float64Type:
		c.kind = kFloat64
	case *arrow.Decimal128Type:
		c.kind, c.prec, c.scale = kDecimal, t.Precision, t.Scale
	case *arrow.StringType:
		c.kind = kString
	case *arrow.TimestampType:
		if t.Unit != arrow.Millisecond {
			return nil, fmt.Errorf("column %q: only millisecond timestamps are supported, not %s", f.Name, t)
		}
		c.kind = kTimestamp
	case *arrow.Date32Type:
		c.kind = kDate
	case *arrow.DurationType:
		if t.Unit != arrow.Millisecond {
			return nil, fmt.Errorf("column %q: only millisecond intervals are supported, not %s", f.Name, t)
		}
		c.kind = kInterval
	default:
		return nil, fmt.Errorf("column %q: type %s cannot be read from text", f.Name, sqltypes.Name(f.Type))
	}
	return c, nil
}

// len is the number of values appended.
func (c *column) len() int { return len(c.valid) }

// appendNull appends a NULL.
func (c *column) appendNull() {
	c.valid = append(c.valid, 0)
	c.nulls++
	switch c.kind {
	case kBool:
		c.bits = append(c.bits, 0)
	case kInt32, kDate:
		c.i32 = append(c.i32, 0)
	case kInt64, kTimestamp, kInterval:
		c.i64 = append(c.i64, 0)
	case kFloat32:
		c.f32 = append(c.f32, 0)
	case kFloat64:
		c.f64 = append(c.f64, 0)
	case kDecimal:
		c.dec = append(c.dec, decimal128.Num{})
	case kString:
		c.offs = append(c.offs, int32(len(c.str)))
	}
}

func (c *column) appendInt64(v int64) {
	c.valid = append(c.valid, 1)
	c.i64 = append(c.i64, v)
}

func (c *column) appendInt32(v int32) {
	c.valid = append(c.valid, 1)
	c.i32 = append(c.i32, v)
}

func (c *column) appendBool(v bool) {
	c.valid = append(c.valid, 1)
	b := byte(0)
	if v {
		b = 1
	}
	c.bits = append(c.bits, b)
}

func (c *column) appendString(s []byte) {
	c.valid = append(c.valid, 1)
	c.str = append(c.str, s...)
	c.offs = append(c.offs, int32(len(c.str)))
}

// truncate drops the values after the first n.
func (c *column) truncate(n int) {
	if n >= len(c.valid) {
		return
	}
	for _, v := range c.valid[n:] {
		if v == 0 {
			c.nulls--
		}
	}
	c.valid = c.valid[:n]
	switch c.kind {
	case kBool:
		c.bits = c.bits[:n]
	case kInt32, kDate:
		c.i32 = c.i32[:n]
	case kInt64, kTimestamp, kInterval:
		c.i64 = c.i64[:n]
	case kFloat32:
		c.f32 = c.f32[:n]
	case kFloat64:
		c.f64 = c.f64[:n]
	case kDecimal:
		c.dec = c.dec[:n]
	case kString:
		c.offs = c.offs[:n+1]
		c.str = c.str[:c.offs[n]]
	}
}

// reset empties the column, keeping its memory.
func (c *column) reset() {
	c.valid = c.valid[:0]
	c.nulls = 0
	c.i32, c.i64, c.f32, c.f64 = c.i32[:0], c.i64[:0], c.f32[:0], c.f64[:0]
	c.bits, c.dec, c.str = c.bits[:0], c.dec[:0], c.str[:0]
	c.offs = c.offs[:1]
}

// build copies the column into a new Arrow array allocated from mem.
func (c *column) build(mem memory.Allocator) arrow.Array {
	n := c.len()
	var validity *memory.Buffer
	if c.nulls > 0 {
		validity = newBuffer(mem, (n+7)/8)
		packBits(validity.Bytes(), c.valid)
	}
	var buffers []*memory.Buffer
	switch c.kind {
	case kBool:
		vals := newBuffer(mem, (n+7)/8)
		packBits(vals.Bytes(), c.bits)
		buffers = []*memory.Buffer{validity, vals}
	case kInt32, kDate:
		buffers = []*memory.Buffer{validity, copyBuffer(mem, arrow.Int32Traits.CastToBytes(c.i32))}
	case kInt64, kTimestamp, kInterval:
		buffers = []*memory.Buffer{validity, copyBuffer(mem, arrow.Int64Traits.CastToBytes(c.i64))}
	case kFloat32:
		buffers = []*memory.Buffer{validity, copyBuffer(mem, arrow.Float32Traits.CastToBytes(c.f32))}
	case kFloat64:
		buffers = []*memory.Buffer{validity, copyBuffer(mem, arrow.Float64Traits.CastToBytes(c.f64))}
	case kDecimal:
		buffers = []*memory.Buffer{validity, copyBuffer(mem, arrow.Decimal128Traits.CastToBytes(c.dec))}
	case kString:
		buffers = []*memory.Buffer{validity, copyBuffer(mem, arrow.Int32Traits.CastToBytes(c.offs)), copyBuffer(mem, c.str)}
	}
	data := array.NewData(c.typ, n, buffers, nil, c.nulls, 0)
	for _, b := range buffers {
		if b != nil {
			b.Release()
		}
	}
	arr := array.MakeFromData(data)
	data.Release()
	return arr
}

func newBuffer(mem memory.Allocator, n int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(n)
	return b
}

func copyBuffer(mem memory.Allocator, src []byte) *memory.Buffer {
	b := newBuffer(mem, len(src))
	copy(b.Bytes(), src)
	return b
}

// packBits packs one byte per value (0 or 1) into an LSB-first bitmap,
// writing every byte of dst.
func packBits(dst []byte, src []byte) {
	full := len(src) / 8
	for i := 0; i < full; i++ {
		s := src[i*8 : i*8+8 : i*8+8]
		dst[i] = s[0] | s[1]<<1 | s[2]<<2 | s[3]<<3 | s[4]<<4 | s[5]<<5 | s[6]<<6 | s[7]<<7
	}
	if rest := src[full*8:]; len(rest) > 0 {
		var b byte
		for j, v := range rest {
			b |= v << j
		}
		dst[full] = b
	}
}

// batch is the set of projected columns being filled.
type batch struct {
	schema *arrow.Schema // of the output: the projected fields
	cols   []*column
	rows   int
	mem    memory.Allocator
}

func newBatch(schema *arrow.Schema, projection []int, mem memory.Allocator) (*batch, error) {
	if projection == nil {
		projection = make([]int, schema.NumFields())
		for i := range projection {
			projection[i] = i
		}
	}
	b := &batch{mem: mem}
	fields := make([]arrow.Field, len(projection))
	for i, p := range projection {
		if p < 0 || p >= schema.NumFields() {
			return nil, fmt.Errorf("projection index %d out of range for %d columns", p, schema.NumFields())
		}
		f := schema.Field(p)
		c, err := newColumn(f)
		if err != nil {
			return nil, err
		}
		fields[i] = f
		b.cols = append(b.cols, c)
	}
	b.schema = arrow.NewSchema(fields, nil)
	return b, nil
}

// rollback drops a partly decoded row.
func (b *batch) rollback() {
	for _, c := range b.cols {
		c.truncate(b.rows)
	}
}

// fillMissing appends NULL to every column the current row did not set and
// counts the row.
func (b *batch) finishRow() {
	for _, c := range b.cols {
		if c.len() == b.rows {
			c.appendNull()
		}
	}
	b.rows++
}

// flush returns the rows as a record and empties the batch.
func (b *batch) flush() arrow.Record {
	arrs := make([]arrow.Array, len(b.cols))
	for i, c := range b.cols {
		arrs[i] = c.build(b.mem)
		c.reset()
	}
	rec := array.NewRecord(b.schema, arrs, int64(b.rows))
	for _, a := range arrs {
		a.Release()
	}
	b.rows = 0
	return rec
}

// clear drops every pending row.
func (b *batch) clear() {
	for _, c := range b.cols {
		c.reset()
	}
	b.rows = 0
}

// typeName is the SQL name of the column's type.
func (c *column) typeName() string { return sqltypes.Name(c.typ) }
