package exec

// Order keys as bytes: a Top-N compares a row's sort keys with those of the
// rows it keeps, which live in other records. Each row's keys are encoded
// once, column by column over the whole batch, into a byte string whose
// bytes.Compare order is the ORDER BY order (a normalized key, as
// CockroachDB's and DataFusion's row formats have), so every later
// comparison is one memcmp whatever the types.
//
// Per key column: one marker byte saying NULL or not (NULL sorts first or
// last as the key asks), then, for a value, its bytes: big-endian integers
// with the sign bit flipped, IEEE floats with the sign bit flipped (every
// bit for negatives; NaN largest, -0 equal to +0), DECIMAL as its signed
// high and unsigned low halves, strings with 0x00 escaped as 0x00 0xFF and
// ended by 0x00 0x00. DESC inverts the value bytes. Every encoding of a
// column is free of prefixes of another, so columns compare one at a time.

import (
	"fmt"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// orderKeys holds the encoded sort keys of a batch's rows: row i's key is
// buf[offs[i]:offs[i+1]].
type orderKeys struct {
	buf  []byte
	offs []int32
}

// key returns row i's encoded key.
func (k *orderKeys) key(i int) []byte { return k.buf[k.offs[i]:k.offs[i+1]] }

// checkOrderType reports whether columns of type dt can be Top-N sort keys.
func checkOrderType(dt arrow.DataType) error {
	if _, ok := fixedKeyWidth(dt); ok {
		return nil
	}
	switch dt.ID() {
	case arrow.STRING, arrow.BINARY, arrow.NULL:
		return nil
	}
	return fmt.Errorf("ORDER BY on %s is not supported", dt)
}

// fixedKeyWidth is the width of a value of a fixed-width key type.
func fixedKeyWidth(dt arrow.DataType) (int, bool) {
	switch dt.ID() {
	case arrow.BOOL, arrow.INT8, arrow.UINT8:
		return 1, true
	case arrow.INT16, arrow.UINT16:
		return 2, true
	case arrow.INT32, arrow.UINT32, arrow.DATE32, arrow.TIME32, arrow.FLOAT32:
		return 4, true
	case arrow.INT64, arrow.UINT64, arrow.DATE64, arrow.TIME64, arrow.TIMESTAMP, arrow.DURATION, arrow.FLOAT64:
		return 8, true
	case arrow.DECIMAL128:
		return 16, true
	}
	return 0, false
}

// encodeOrderKeys encodes the sort keys of rec's n rows into out, reusing
// its space.
func encodeOrderKeys(rec arrow.Record, keys []SortKey, out *orderKeys) error {
	n := int(rec.NumRows())
	// Lengths first, so that each column is then written in one typed pass.
	out.offs = grow(out.offs, n+1)
	lens := out.offs[1:]
	clear(lens)
	for _, k := range keys {
		col := rec.Column(k.Column)
		if w, ok := fixedKeyWidth(col.DataType()); ok {
			for i := range lens {
				lens[i]++
				if col.IsValid(i) {
					lens[i] += int32(w)
				}
			}
			continue
		}
		switch c := col.(type) {
		case binaryArray:
			offs, data := c.ValueOffsets(), c.ValueBytes()
			base := int32(0)
			if len(offs) > 0 {
				base = offs[0]
			}
			for i := range lens {
				lens[i]++
				if col.IsValid(i) {
					lens[i] += int32(escapedLen(data[offs[i]-base:offs[i+1]-base])) + 2
				}
			}
		case *array.Null:
			for i := range lens {
				lens[i]++
			}
		default:
			return checkOrderType(col.DataType())
		}
	}
	out.offs[0] = 0
	for i := 1; i <= n; i++ {
		out.offs[i] += out.offs[i-1]
	}
	total := int(out.offs[n])
	if cap(out.buf) < total {
		out.buf = make([]byte, total)
	}
	out.buf = out.buf[:total]
	pos := make([]int32, n)
	copy(pos, out.offs[:n])
	for _, k := range keys {
		encodeColumn(rec.Column(k.Column), k, out.buf, pos)
	}
	return nil
}

// escapedLen is the length of b with every 0x00 doubled.
func escapedLen(b []byte) int {
	n := len(b)
	for _, c := range b {
		if c == 0 {
			n++
		}
	}
	return n
}

// keyMarks are the marker bytes and the DESC inversion of one key column.
type keyMarks struct {
	null, valid byte
	desc        bool
}

// mask is what a value of w bytes is XORed with: all ones for DESC.
func (m keyMarks) mask(w int) uint64 {
	if !m.desc {
		return 0
	}
	if w == 8 {
		return math.MaxUint64
	}
	return 1<<(8*w) - 1
}

// encodeColumn writes one key column of every row at pos[i], advancing it.
func encodeColumn(col arrow.Array, k SortKey, buf []byte, pos []int32) {
	m := keyMarks{null: 1, valid: 0, desc: k.Desc}
	if k.NullsFirst {
		m.null, m.valid = 0, 1
	}
	const s8, s16, s32, s64 = 1 << 7, 1 << 15, 1 << 31, 1 << 63
	switch c := col.(type) {
	case *array.Boolean:
		encodeFixed(col, m, buf, pos, 1, func(i int) uint64 {
			if c.Value(i) {
				return 1
			}
			return 0
		})
	case *array.Int8:
		v := c.Int8Values()
		encodeFixed(col, m, buf, pos, 1, func(i int) uint64 { return uint64(uint8(v[i])) ^ s8 })
	case *array.Uint8:
		v := c.Uint8Values()
		encodeFixed(col, m, buf, pos, 1, func(i int) uint64 { return uint64(v[i]) })
	case *array.Int16:
		v := c.Int16Values()
		encodeFixed(col, m, buf, pos, 2, func(i int) uint64 { return uint64(uint16(v[i])) ^ s16 })
	case *array.Uint16:
		v := c.Uint16Values()
		encodeFixed(col, m, buf, pos, 2, func(i int) uint64 { return uint64(v[i]) })
	case *array.Int32:
		v := c.Int32Values()
		encodeFixed(col, m, buf, pos, 4, func(i int) uint64 { return uint64(uint32(v[i])) ^ s32 })
	case *array.Date32:
		v := c.Date32Values()
		encodeFixed(col, m, buf, pos, 4, func(i int) uint64 { return uint64(uint32(v[i])) ^ s32 })
	case *array.Time32:
		v := c.Time32Values()
		encodeFixed(col, m, buf, pos, 4, func(i int) uint64 { return uint64(uint32(v[i])) ^ s32 })
	case *array.Uint32:
		v := c.Uint32Values()
		encodeFixed(col, m, buf, pos, 4, func(i int) uint64 { return uint64(v[i]) })
	case *array.Float32:
		v := c.Float32Values()
		encodeFixed(col, m, buf, pos, 4, func(i int) uint64 { return uint64(floatBits32(v[i])) })
	case *array.Int64:
		v := c.Int64Values()
		encodeFixed(col, m, buf, pos, 8, func(i int) uint64 { return uint64(v[i]) ^ s64 })
	case *array.Timestamp:
		v := c.TimestampValues()
		encodeFixed(col, m, buf, pos, 8, func(i int) uint64 { return uint64(v[i]) ^ s64 })
	case *array.Duration:
		v := c.DurationValues()
		encodeFixed(col, m, buf, pos, 8, func(i int) uint64 { return uint64(v[i]) ^ s64 })
	case *array.Date64:
		v := c.Date64Values()
		encodeFixed(col, m, buf, pos, 8, func(i int) uint64 { return uint64(v[i]) ^ s64 })
	case *array.Time64:
		v := c.Time64Values()
		encodeFixed(col, m, buf, pos, 8, func(i int) uint64 { return uint64(v[i]) ^ s64 })
	case *array.Uint64:
		v := c.Uint64Values()
		encodeFixed(col, m, buf, pos, 8, func(i int) uint64 { return v[i] })
	case *array.Float64:
		v := c.Float64Values()
		encodeFixed(col, m, buf, pos, 8, func(i int) uint64 { return floatBits64(v[i]) })
	case *array.Decimal128:
		v := c.Values()
		for i := range pos {
			p := pos[i]
			if col.IsNull(i) {
				buf[p] = m.null
				pos[i] = p + 1
				continue
			}
			buf[p] = m.valid
			putBE(buf[p+1:], uint64(v[i].HighBits())^s64^m.mask(8), 8)
			putBE(buf[p+9:], v[i].LowBits()^m.mask(8), 8)
			pos[i] = p + 17
		}
	case binaryArray:
		offs, data := c.ValueOffsets(), c.ValueBytes()
		var inv byte
		if m.desc {
			inv = 0xFF
		}
		for i := range pos {
			p := pos[i]
			if col.IsNull(i) {
				buf[p] = m.null
				pos[i] = p + 1
				continue
			}
			buf[p] = m.valid
			p++
			for _, b := range data[offs[i]-offs[0] : offs[i+1]-offs[0]] {
				buf[p] = b ^ inv
				p++
				if b == 0 {
					buf[p] = 0xFF ^ inv
					p++
				}
			}
			buf[p], buf[p+1] = inv, inv
			pos[i] = p + 2
		}
	default: // NULL: only markers
		for i := range pos {
			buf[pos[i]] = m.null
			pos[i]++
		}
	}
}

// encodeFixed writes a fixed-width column whose row i has the
// order-preserving unsigned form bits(i), w bytes wide.
func encodeFixed(col arrow.Array, m keyMarks, buf []byte, pos []int32, w int, bits func(i int) uint64) {
	mask := m.mask(w)
	noNulls := col.NullN() == 0
	for i := range pos {
		p := pos[i]
		if !noNulls && col.IsNull(i) {
			buf[p] = m.null
			pos[i] = p + 1
			continue
		}
		buf[p] = m.valid
		putBE(buf[p+1:p+1+int32(w)], bits(i)^mask, w)
		pos[i] = p + 1 + int32(w)
	}
}

// putBE writes the low w bytes of v big-endian.
func putBE(d []byte, v uint64, w int) {
	for j := w - 1; j >= 0; j-- {
		d[j] = byte(v)
		v >>= 8
	}
}

// floatBits64 maps f to an unsigned integer of the same order: NaN above
// +Inf, -0 equal to +0.
func floatBits64(f float64) uint64 {
	switch {
	case f != f:
		return math.MaxUint64
	case f == 0:
		f = 0
	}
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

func floatBits32(f float32) uint32 {
	switch {
	case f != f:
		return math.MaxUint32
	case f == 0:
		f = 0
	}
	b := math.Float32bits(f)
	if b>>31 == 1 {
		return ^b
	}
	return b | 1<<31
}
