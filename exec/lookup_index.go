package exec

// The hash index of a lookup join's table. It is built once per load of the
// table and then only probed, a whole input batch at a time; it never
// grows while probing. (exec/agg's Table inserts on every Lookup, so it
// does not fit a probe side whose unmatched keys must leave no trace.)

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/zeebo/xxh3"

	"github.com/weirsql/weir/internal/arrowbuf"
)

const (
	// lookupSeed starts every key hash.
	lookupSeed uint64 = 0x9e3779b97f4a7c15
	// noMatch marks an input row without a matching key.
	noMatch int32 = -1
)

// lookupMix is MurmurHash3's 64-bit finalizer: it folds one column's value
// bits x into a row's running hash h.
func lookupMix(h, x uint64) uint64 {
	h ^= x
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// viewKind is how a keyView holds its values.
type viewKind uint8

const (
	viewWords viewKind = iota // one uint64 per row
	viewDec                   // DECIMAL: two words per row
	viewBytes                 // VARCHAR and VARBINARY: offsets into bytes
	viewNull                  // the NULL type: no row has a value
)

// keyView is one key column (of an input batch or of the table) read as Go
// slices, in a form where equal SQL values have equal bits: integers,
// dates, timestamps and intervals as their value, BOOLEAN as 0 or 1,
// floats with one value for -0 and +0 and one for every NaN.
type keyView struct {
	kind  viewKind
	words []uint64    // viewWords
	dec   [][2]uint64 // viewDec
	offs  []int32     // viewBytes: row i is data[offs[i]:offs[i+1]]
	data  []byte
	valid []byte // validity bits from bit off; nil when no row is NULL
	off   int
}

// isValid reports whether row i holds a value.
func (v *keyView) isValid(i int) bool {
	if v.kind == viewNull {
		return false
	}
	return v.valid == nil || bitutil.BitIsSet(v.valid, v.off+i)
}

// checkLookupKeyType reports whether a lookup join can index keys of type t.
func checkLookupKeyType(t arrow.DataType) error {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.BOOL,
		arrow.DATE32, arrow.DATE64, arrow.TIME32, arrow.TIME64,
		arrow.TIMESTAMP, arrow.DURATION, arrow.DECIMAL128,
		arrow.STRING, arrow.BINARY, arrow.NULL:
		return nil
	}
	return fmt.Errorf("a lookup join key cannot be of type %s", t)
}

// viewOf reads a as a keyView. Types whose values are not already 64-bit
// words are converted into *scratch (grown as needed), so the view is
// valid until *scratch is reused.
func viewOf(a arrow.Array, scratch *[]uint64) (keyView, error) {
	n := a.Len()
	v := keyView{kind: viewWords, off: a.Data().Offset()}
	if a.NullN() > 0 && a.DataType().ID() != arrow.NULL {
		v.valid = a.NullBitmapBytes()
	}
	words := func() []uint64 {
		if cap(*scratch) < n {
			*scratch = make([]uint64, n)
		}
		*scratch = (*scratch)[:n]
		return *scratch
	}
	switch a := a.(type) {
	case *array.Int64, *array.Uint64, *array.Timestamp, *array.Duration, *array.Date64, *array.Time64:
		v.words = arrowbuf.Values[uint64](a)
	case *array.Int32, *array.Date32, *array.Time32:
		v.words = widen(words(), arrowbuf.Values[int32](a))
	case *array.Int16:
		v.words = widen(words(), arrowbuf.Values[int16](a))
	case *array.Int8:
		v.words = widen(words(), arrowbuf.Values[int8](a))
	case *array.Uint32:
		v.words = widen(words(), arrowbuf.Values[uint32](a))
	case *array.Uint16:
		v.words = widen(words(), arrowbuf.Values[uint16](a))
	case *array.Uint8:
		v.words = widen(words(), arrowbuf.Values[uint8](a))
	case *array.Float64:
		v.words = floatWords(words(), a.Float64Values())
	case *array.Float32:
		v.words = floatWords(words(), a.Float32Values())
	case *array.Boolean:
		w := words()
		for i := range w {
			w[i] = 0
			if a.Value(i) {
				w[i] = 1
			}
		}
		v.words = w
	case *array.Decimal128:
		v.kind, v.dec = viewDec, arrowbuf.Values[[2]uint64](a)
	case *array.String:
		v.kind, v.offs = viewBytes, a.ValueOffsets()
		if b := a.Data().Buffers()[2]; b != nil {
			v.data = b.Bytes()
		}
	case *array.Binary:
		v.kind, v.offs = viewBytes, a.ValueOffsets()
		if b := a.Data().Buffers()[2]; b != nil {
			v.data = b.Bytes()
		}
	case *array.Null:
		v.kind = viewNull
	default:
		return keyView{}, checkLookupKeyType(a.DataType())
	}
	return v, nil
}

func widen[T int8 | int16 | int32 | uint8 | uint16 | uint32](dst []uint64, src []T) []uint64 {
	for i, x := range src {
		dst[i] = uint64(int64(x))
	}
	return dst[:len(src)]
}

// floatWords converts floats to words, one for -0 and +0 and one for
// every NaN (the SQL equality of keys, as GROUP BY has it).
func floatWords[T float32 | float64](dst []uint64, src []T) []uint64 {
	for i, x := range src {
		f := float64(x)
		switch {
		case f == 0:
			dst[i] = 0
		case f != f:
			dst[i] = 0x7ff8000000000001
		default:
			dst[i] = math.Float64bits(f)
		}
	}
	return dst[:len(src)]
}

// hashInto folds the value of every row into h (len(h) rows). NULL rows get
// an arbitrary hash: callers never probe or insert them.
func (v *keyView) hashInto(h []uint64) {
	switch v.kind {
	case viewWords:
		w := v.words[:len(h)]
		for i, x := range w {
			h[i] = lookupMix(h[i], x)
		}
	case viewDec:
		d := v.dec[:len(h)]
		for i, x := range d {
			h[i] = lookupMix(lookupMix(h[i], x[0]), x[1])
		}
	case viewBytes:
		offs, data := v.offs, v.data
		for i := range h {
			h[i] = lookupMix(h[i], xxh3.Hash(data[offs[i]:offs[i+1]]))
		}
	}
}

// eqRow reports whether row i of v equals row j of t (both valid).
func (v *keyView) eqRow(i int, t *keyView, j int) bool {
	switch v.kind {
	case viewWords:
		return v.words[i] == t.words[j]
	case viewDec:
		return v.dec[i] == t.dec[j]
	case viewBytes:
		return string(v.data[v.offs[i]:v.offs[i+1]]) == string(t.data[t.offs[j]:t.offs[j+1]])
	}
	return false
}

// eqCands clears eq[k] where row rows[k] of v differs from row cand[k] of t.
func (v *keyView) eqCands(rows, cand []int32, t *keyView, eq []bool) {
	switch v.kind {
	case viewWords:
		a, b := v.words, t.words
		for k, r := range rows {
			eq[k] = eq[k] && a[r] == b[cand[k]]
		}
	case viewDec:
		a, b := v.dec, t.dec
		for k, r := range rows {
			eq[k] = eq[k] && a[r] == b[cand[k]]
		}
	case viewBytes:
		ao, ad, bo, bd := v.offs, v.data, t.offs, t.data
		for k, r := range rows {
			c := cand[k]
			eq[k] = eq[k] && string(ad[ao[r]:ao[r+1]]) == string(bd[bo[c]:bo[c+1]])
		}
	default:
		clear(eq)
	}
}

// lookupIndex is a lookup join's table with a hash index on its key
// columns. Rows of equal keys form a group; group g's rows, in table
// order, are rows[start[g]:start[g+1]], and rep[g] is the first of them.
// Rows with a NULL key belong to no group: NULL never matches.
type lookupIndex struct {
	// rec holds the table's rows followed by one row of NULLs (at nullRow),
	// which a LEFT join gathers for its unmatched input rows.
	rec     arrow.Record
	nullRow int32
	keys    []keyView // the key columns over rec's rows
	keyBufs [][]uint64

	entries []uint64 // tag<<32 | group+1; 0 is an empty slot
	shift   uint     // slot = hash >> shift
	mask    uint64
	rep     []int32
	start   []int32
	rows    []int32
}

// buildLookupIndex concatenates recs (which it releases) into one record
// of schema, followed by a row of NULLs, and indexes it by the key
// columns keyCols.
func buildLookupIndex(mem memory.Allocator, schema *arrow.Schema, recs []arrow.Record, keyCols []int) (*lookupIndex, error) {
	defer releaseLookupRecords(recs)
	rec, err := concatWithNullRow(mem, schema, recs)
	if err != nil {
		return nil, err
	}
	idx := &lookupIndex{rec: rec, nullRow: int32(rec.NumRows() - 1)}
	n := int(idx.nullRow)
	idx.keyBufs = make([][]uint64, len(keyCols))
	for i, c := range keyCols {
		v, err := viewOf(rec.Column(c), &idx.keyBufs[i])
		if err != nil {
			rec.Release()
			return nil, err
		}
		idx.keys = append(idx.keys, v)
	}

	// Hash the rows with a whole key, column by column.
	valid := validKeyRows(idx.keys, n)
	h := make([]uint64, n)
	for i := range h {
		h[i] = lookupSeed
	}
	for i := range idx.keys {
		idx.keys[i].hashInto(h)
	}

	// Insert them in table order: a row joins the group of an equal key or
	// starts a new one. At most half the slots are ever filled.
	size := 16
	for size < 2*len(valid) && size < 1<<32 {
		size *= 2
	}
	lg := uint(bits.TrailingZeros(uint(size)))
	idx.entries = make([]uint64, size)
	idx.shift, idx.mask = 64-lg, uint64(size-1)
	group := make([]int32, len(valid))
	for k, r := range valid {
		hr := h[r]
		tag := hr >> 32
		for p := hr >> idx.shift; ; p = (p + 1) & idx.mask {
			e := idx.entries[p]
			if e == 0 {
				g := int32(len(idx.rep))
				idx.rep = append(idx.rep, r)
				idx.entries[p] = tag<<32 | uint64(g+1)
				group[k] = g
				break
			}
			if e>>32 == tag {
				g := int32(uint32(e) - 1)
				if idx.keysEqual(idx.keys, int(r), idx.rep[g]) {
					group[k] = g
					break
				}
			}
		}
	}

	// Lay out each group's rows contiguously (a counting sort, stable).
	idx.start = make([]int32, len(idx.rep)+1)
	for _, g := range group {
		idx.start[g+1]++
	}
	for g := range idx.rep {
		idx.start[g+1] += idx.start[g]
	}
	idx.rows = make([]int32, len(valid))
	fill := append([]int32(nil), idx.start[:len(idx.rep)]...)
	for k, g := range group {
		idx.rows[fill[g]] = valid[k]
		fill[g]++
	}
	return idx, nil
}

// concatWithNullRow makes one record of the rows of recs and a final row
// of NULLs.
func concatWithNullRow(mem memory.Allocator, schema *arrow.Schema, recs []arrow.Record) (arrow.Record, error) {
	rows := int64(1)
	for i, r := range recs {
		if int(r.NumCols()) != schema.NumFields() {
			return nil, fmt.Errorf("lookup table: record %d has %d columns, the table %d", i+1, r.NumCols(), schema.NumFields())
		}
		for c, f := range schema.Fields() {
			if !arrow.TypeEqual(r.Column(c).DataType(), f.Type) {
				return nil, fmt.Errorf("lookup table: column %q of record %d is %s, not %s", f.Name, i+1, r.Column(c).DataType(), f.Type)
			}
		}
		rows += r.NumRows()
	}
	if rows > math.MaxInt32 {
		return nil, fmt.Errorf("lookup table of %d rows is too large (at most %d)", rows-1, math.MaxInt32-1)
	}
	cols := make([]arrow.Array, schema.NumFields())
	for c, f := range schema.Fields() {
		null := array.MakeArrayOfNull(mem, f.Type, 1)
		parts := make([]arrow.Array, 0, len(recs)+1)
		for _, r := range recs {
			if r.NumRows() > 0 {
				parts = append(parts, r.Column(c))
			}
		}
		parts = append(parts, null)
		var err error
		if len(parts) == 1 {
			cols[c] = null
		} else {
			cols[c], err = array.Concatenate(parts, mem)
			null.Release()
		}
		if err != nil {
			releaseAll(cols[:c])
			return nil, fmt.Errorf("lookup table column %q: %w", f.Name, err)
		}
	}
	out := array.NewRecord(schema, cols, rows)
	releaseAll(cols)
	return out, nil
}

// validKeyRows lists the rows 0..n-1 whose key columns are all non-NULL.
func validKeyRows(keys []keyView, n int) []int32 {
	out := make([]int32, 0, n)
	return appendValidKeyRows(out, keys, n)
}

func appendValidKeyRows(out []int32, keys []keyView, n int) []int32 {
	for i := range keys {
		if keys[i].kind == viewNull {
			return out
		}
	}
	nullable := false
	for i := range keys {
		nullable = nullable || keys[i].valid != nil
	}
	if !nullable {
		for r := 0; r < n; r++ {
			out = append(out, int32(r))
		}
		return out
	}
rows:
	for r := 0; r < n; r++ {
		for i := range keys {
			if !keys[i].isValid(r) {
				continue rows
			}
		}
		out = append(out, int32(r))
	}
	return out
}

// keysEqual reports whether row r of the views in (a batch's or the
// table's) equals table row t.
func (idx *lookupIndex) keysEqual(in []keyView, r int, t int32) bool {
	for i := range in {
		if !in[i].eqRow(r, &idx.keys[i], int(t)) {
			return false
		}
	}
	return true
}

// Len is the number of table rows (without the NULL row).
func (idx *lookupIndex) Len() int { return int(idx.nullRow) }

// matches returns the table rows of group g.
func (idx *lookupIndex) matches(g int32) []int32 { return idx.rows[idx.start[g]:idx.start[g+1]] }

// release frees the table record.
func (idx *lookupIndex) release() {
	if idx != nil && idx.rec != nil {
		idx.rec.Release()
		idx.rec = nil
	}
}

// probeScratch is the per-batch working space of probe, kept between
// batches.
type probeScratch struct {
	views  []keyView
	bufs   [][]uint64
	rows   []int32
	hashes []uint64
	chk    []int32
	cand   []int32
	slot   []uint64
	eq     []bool
}

// probe sets group[r] to the group of input row r's key (the key columns
// over a batch of n rows), or noMatch when the key holds a NULL or is not
// in the table.
//
// It works column-wise in passes over the batch: hash the rows with a
// whole key column by column; find each row's first slot with a matching
// tag; compare those candidates' keys column by column. Rows whose
// candidate turns out different (a tag collision, rare) go on probing one
// by one.
func (idx *lookupIndex) probe(s *probeScratch, keys []arrow.Array, n int, group []int32) error {
	for r := range group {
		group[r] = noMatch
	}
	if len(idx.rep) == 0 || n == 0 {
		return nil
	}
	if len(s.bufs) < len(keys) {
		s.bufs = make([][]uint64, len(keys))
	}
	s.views = s.views[:0]
	for i, a := range keys {
		v, err := viewOf(a, &s.bufs[i])
		if err != nil {
			return err
		}
		if v.kind != idx.keys[i].kind {
			return fmt.Errorf("lookup key %d is %s, not the table key's type", i+1, a.DataType())
		}
		s.views = append(s.views, v)
	}
	views := s.views
	s.rows = appendValidKeyRows(s.rows[:0], views, n)
	if len(s.rows) == 0 {
		return nil
	}
	s.hashes = grow(s.hashes, n)
	h := s.hashes
	for i := range h {
		h[i] = lookupSeed
	}
	for i := range views {
		views[i].hashInto(h)
	}

	entries, shift, mask := idx.entries, idx.shift, idx.mask
	if len(views) == 1 && views[0].kind == viewWords {
		// One word per key: compare as we probe.
		in, tw, rep := views[0].words, idx.keys[0].words, idx.rep
		for _, r := range s.rows {
			hr := h[r]
			tag := hr >> 32
			for p := hr >> shift; ; p = (p + 1) & mask {
				e := entries[p]
				if e == 0 {
					break
				}
				if e>>32 == tag {
					g := int32(uint32(e) - 1)
					if tw[rep[g]] == in[r] {
						group[r] = g
						break
					}
				}
			}
		}
		return nil
	}

	chk, cand, slot := s.chk[:0], s.cand[:0], s.slot[:0]
	for _, r := range s.rows {
		hr := h[r]
		tag := hr >> 32
		for p := hr >> shift; ; p = (p + 1) & mask {
			e := entries[p]
			if e == 0 {
				break
			}
			if e>>32 == tag {
				chk = append(chk, r)
				cand = append(cand, idx.rep[uint32(e)-1])
				slot = append(slot, p)
				break
			}
		}
	}
	s.chk, s.cand, s.slot = chk, cand, slot
	if len(chk) == 0 {
		return nil
	}
	s.eq = grow(s.eq, len(chk))
	eq := s.eq
	for k := range eq {
		eq[k] = true
	}
	for i := range views {
		views[i].eqCands(chk, cand, &idx.keys[i], eq)
	}
	for k, r := range chk {
		if eq[k] {
			group[r] = int32(uint32(entries[slot[k]]) - 1)
			continue
		}
		tag := h[r] >> 32
		for p := (slot[k] + 1) & mask; ; p = (p + 1) & mask {
			e := entries[p]
			if e == 0 {
				break
			}
			if e>>32 == tag {
				g := int32(uint32(e) - 1)
				if idx.keysEqual(views, int(r), idx.rep[g]) {
					group[r] = g
					break
				}
			}
		}
	}
	return nil
}

// releaseLookupRecords releases every record of recs.
func releaseLookupRecords(recs []arrow.Record) {
	for _, r := range recs {
		if r != nil {
			r.Release()
		}
	}
}
