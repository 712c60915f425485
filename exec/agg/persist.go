package agg

// Saving and loading a table's state, for checkpoints: the keys as Arrow
// arrays (re-inserted on load, which rebuilds the hash index and gives every
// key its old id) and each accumulator's typed columns as raw slices. A
// retractable table adds its row counts and its accumulators' extra state
// (non-NULL counts, MIN and MAX multisets, DISTINCT counts); it is read
// back by a table made by NewRetractableTable.

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/state"
)

// persistent is what every accumulator implements to be checkpointed.
type persistent interface {
	// save writes the state of the groups ids lists (nil: 0..n-1), in
	// that order.
	save(e *state.Encoder, ids []uint32, n int)
	// load reads the state of n groups into an empty accumulator.
	load(d *state.Decoder, n int)
}

// Save writes the table's groups, keys and accumulators to e. A table made
// by NewTable with the same key types and specs reads it back with Load.
func (t *Table) Save(e *state.Encoder) error { return t.save(e, nil) }

// SaveGroups writes the listed groups as Save writes a table of only them
// (Load reads them back with ids 0, 1, ... in the order listed). A table
// without key columns cannot (CanSaveGroups).
func (t *Table) SaveGroups(e *state.Encoder, ids []uint32) error {
	if !t.CanSaveGroups() {
		return fmt.Errorf("saving some groups of a table without key columns is not supported")
	}
	if ids == nil {
		ids = []uint32{}
	}
	return t.save(e, ids)
}

// CanSaveGroups reports whether SaveGroups works: the table has key
// columns.
func (t *Table) CanSaveGroups() bool {
	return t.keys != nil
}

func (t *Table) save(e *state.Encoder, ids []uint32) error {
	if t.released {
		return fmt.Errorf("save a released table")
	}
	if t.err != nil {
		return t.err
	}
	t.growAccs()
	n := t.n
	if ids != nil {
		n = len(ids)
		for _, g := range ids {
			if int(g) >= t.n {
				return fmt.Errorf("save group %d of a table of %d", g, t.n)
			}
		}
	}
	e.Int(n)
	e.Bool(t.global && ids == nil)
	e.Varint(t.seq)
	if t.keys != nil && n > 0 {
		if err := saveKeys(e, t.mem, t.keys.cols, ids, n); err != nil {
			return err
		}
	}
	if t.retract {
		state.PutSlice(e, sel(t.rowCnt, ids, t.n))
	}
	for _, a := range t.aggs {
		a.acc.(persistent).save(e, ids, t.n)
		if a.dist != nil {
			a.dist.grow(t.n) // groups that never saw a value have no entry yet
			if err := a.dist.saveEntries(e, t.mem, ids, t.n); err != nil {
				return err
			}
		}
	}
	return nil
}

// Load reads a table saved by Save into t, which must be empty.
func (t *Table) Load(d *state.Decoder) error {
	if t.released || t.n != 0 {
		return fmt.Errorf("load into a table that is not empty")
	}
	n := d.Int()
	global := d.Bool()
	seq := d.Varint()
	if err := d.Err(); err != nil {
		return err
	}
	if n < 0 || (t.keys == nil && n > 1) || (global && t.keys != nil) {
		d.Fail("table of %d groups (global %v) for %d key columns", n, global, len(t.keyTypes))
		return d.Err()
	}
	if t.keys != nil && n > 0 {
		if err := loadKeys(d, t.mem, t.keys, n, func(keys []arrow.Array) {
			groups := make([]uint32, n)
			t.Lookup(keys, nil, groups)
		}); err != nil {
			return err
		}
		if t.n != n {
			d.Fail("%d saved keys gave %d groups", n, t.n)
			return d.Err()
		}
	}
	t.n, t.global, t.seq = n, global, seq
	if t.retract {
		t.rowCnt = checkLen(d, state.Slice[int64](d), n, "row counts")
		t.live = 0
		for _, c := range t.rowCnt {
			if c < 0 {
				d.Fail("negative row count %d", c)
				break
			}
			if c > 0 {
				t.live++
			}
		}
		if err := d.Err(); err != nil {
			return err
		}
	}
	for i := range t.aggs {
		a := &t.aggs[i]
		a.acc.(persistent).load(d, n)
		if a.dist != nil {
			a.dist.loadEntries(d, t.mem, n)
		}
		if err := d.Err(); err != nil {
			return fmt.Errorf("%s: %w", a.spec, err)
		}
	}
	t.accN = n
	return d.Err()
}

// saveKeys writes the listed keys of cols (nil: the first n) as one Arrow
// record.
func saveKeys(e *state.Encoder, mem memory.Allocator, cols []keyCol, ids []uint32, n int) error {
	if ids == nil {
		ids = make([]uint32, n)
		for i := range ids {
			ids[i] = uint32(i)
		}
	}
	arrs := make([]arrow.Array, 0, len(cols))
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		a, err := c.build(mem, ids)
		if err != nil {
			return err
		}
		arrs = append(arrs, a)
		fields[i] = arrow.Field{Name: fmt.Sprintf("k%d", i), Type: a.DataType(), Nullable: true}
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), arrs, int64(n))
	defer rec.Release()
	return e.Record(rec)
}

// loadKeys reads keys written by saveKeys and hands them to insert.
func loadKeys(d *state.Decoder, mem memory.Allocator, ht *hashTable, n int, insert func([]arrow.Array)) error {
	rec := d.Record(mem)
	if err := d.Err(); err != nil {
		return err
	}
	defer rec.Release()
	if int(rec.NumCols()) != len(ht.cols) || int(rec.NumRows()) != n {
		d.Fail("keys of %d columns and %d rows, want %d and %d", rec.NumCols(), rec.NumRows(), len(ht.cols), n)
		return d.Err()
	}
	insert(rec.Columns())
	return nil
}

// checkLen fails d unless a loaded slice has n entries.
func checkLen[T any](d *state.Decoder, s []T, n int, what string) []T {
	if len(s) != n && d.Err() == nil {
		d.Fail("%s has %d entries, want %d", what, len(s), n)
	}
	return s
}

func loadBits(d *state.Decoder, n int) bitset {
	b := state.Slice[byte](d)
	if len(b) < (n+7)/8 && d.Err() == nil {
		d.Fail("bitset of %d bytes for %d groups", len(b), n)
	}
	return bitset(b)
}

func saveBits(e *state.Encoder, b bitset, ids []uint32, n int) {
	if ids == nil {
		state.PutSlice(e, []byte(b[:min(len(b), (n+7)/8)]))
		return
	}
	out := make(bitset, (len(ids)+7)/8)
	for i, g := range ids {
		if b.get(g) {
			out.set(uint32(i))
		}
	}
	state.PutSlice(e, []byte(out))
}

// sel returns the first n entries of s (ids nil), or the listed ones.
func sel[T any](s []T, ids []uint32, n int) []T {
	if ids == nil {
		return s[:n]
	}
	out := make([]T, len(ids))
	for i, g := range ids {
		out[i] = s[g]
	}
	return out
}

func (a *countAcc) save(e *state.Encoder, ids []uint32, n int) { state.PutSlice(e, sel(a.c, ids, n)) }
func (a *countAcc) load(d *state.Decoder, n int) {
	a.c = checkLen(d, state.Slice[int64](d), n, "counts")
}

func (a *sumIntAcc[T]) save(e *state.Encoder, ids []uint32, n int) {
	state.PutSlice(e, sel(a.s, ids, n))
	saveBits(e, a.has, ids, n)
	if a.counted {
		state.PutSlice(e, sel(a.nn, ids, n))
	}
}
func (a *sumIntAcc[T]) load(d *state.Decoder, n int) {
	a.s = checkLen(d, state.Slice[int64](d), n, "sums")
	a.has = loadBits(d, n)
	if a.counted {
		a.nn = checkLen(d, state.Slice[int64](d), n, "non-NULL counts")
	}
}

func (a *sumFloatAcc[T]) save(e *state.Encoder, ids []uint32, n int) {
	state.PutSlice(e, sel(a.s, ids, n))
	saveBits(e, a.has, ids, n)
	if a.counted {
		state.PutSlice(e, sel(a.nn, ids, n))
		state.PutSlice(e, sel(a.odd, ids, n))
	}
}
func (a *sumFloatAcc[T]) load(d *state.Decoder, n int) {
	a.s = checkLen(d, state.Slice[float64](d), n, "sums")
	a.has = loadBits(d, n)
	if a.counted {
		a.nn = checkLen(d, state.Slice[int64](d), n, "non-NULL counts")
		a.odd = checkLen(d, state.Slice[nonFinite](d), n, "non-finite counts")
	}
}

func (a *sumDecAcc) save(e *state.Encoder, ids []uint32, n int) {
	state.PutSlice(e, sel(a.s, ids, n))
	saveBits(e, a.has, ids, n)
	if a.counted {
		state.PutSlice(e, sel(a.nn, ids, n))
	}
}
func (a *sumDecAcc) load(d *state.Decoder, n int) {
	a.s = checkLen(d, state.Slice[decimal128.Num](d), n, "sums")
	a.has = loadBits(d, n)
	if a.counted {
		a.nn = checkLen(d, state.Slice[int64](d), n, "non-NULL counts")
	}
}

func (a *avgIntAcc[T]) save(e *state.Encoder, ids []uint32, n int) {
	state.PutSlice(e, sel(a.lo, ids, n))
	state.PutSlice(e, sel(a.hi, ids, n))
	state.PutSlice(e, sel(a.cnt, ids, n))
}
func (a *avgIntAcc[T]) load(d *state.Decoder, n int) {
	a.lo = checkLen(d, state.Slice[uint64](d), n, "sums")
	a.hi = checkLen(d, state.Slice[int64](d), n, "sums")
	a.cnt = checkLen(d, state.Slice[int64](d), n, "counts")
}

func (a *avgFloatAcc[T]) save(e *state.Encoder, ids []uint32, n int) {
	state.PutSlice(e, sel(a.s, ids, n))
	state.PutSlice(e, sel(a.cnt, ids, n))
	if a.retractable {
		state.PutSlice(e, sel(a.odd, ids, n))
	}
}
func (a *avgFloatAcc[T]) load(d *state.Decoder, n int) {
	a.s = checkLen(d, state.Slice[float64](d), n, "sums")
	a.cnt = checkLen(d, state.Slice[int64](d), n, "counts")
	if a.retractable {
		a.odd = checkLen(d, state.Slice[nonFinite](d), n, "non-finite counts")
	}
}

func (a *avgDecAcc) save(e *state.Encoder, ids []uint32, n int) {
	a.sumDecAcc.save(e, ids, n)
	state.PutSlice(e, sel(a.cnt, ids, n))
}
func (a *avgDecAcc) load(d *state.Decoder, n int) {
	a.sumDecAcc.load(d, n)
	a.cnt = checkLen(d, state.Slice[int64](d), n, "counts")
}

func (a *minMaxAcc[T]) save(e *state.Encoder, ids []uint32, n int) {
	state.PutSlice(e, sel(a.vals, ids, n))
	saveBits(e, a.has, ids, n)
}
func (a *minMaxAcc[T]) load(d *state.Decoder, n int) {
	a.vals = checkLen(d, state.Slice[T](d), n, "values")
	a.has = loadBits(d, n)
}

func (a *minMaxDecAcc) save(e *state.Encoder, ids []uint32, n int) {
	state.PutSlice(e, sel(a.vals, ids, n))
	saveBits(e, a.has, ids, n)
}
func (a *minMaxDecAcc) load(d *state.Decoder, n int) {
	a.vals = checkLen(d, state.Slice[decimal128.Num](d), n, "values")
	a.has = loadBits(d, n)
}

func (a *minMaxBoolAcc) save(e *state.Encoder, ids []uint32, n int) {
	state.PutSlice(e, sel(a.vals, ids, n))
	saveBits(e, a.has, ids, n)
}
func (a *minMaxBoolAcc) load(d *state.Decoder, n int) {
	a.vals = checkLen(d, state.Slice[bool](d), n, "values")
	a.has = loadBits(d, n)
}

func (a *minMaxStrAcc) save(e *state.Encoder, ids []uint32, n int) {
	a.arena.save(e, ids, n)
	saveBits(e, a.has, ids, n)
}
func (a *minMaxStrAcc) load(d *state.Decoder, n int) {
	a.arena.load(d, n)
	a.has = loadBits(d, n)
}

func (a *firstLastAcc[T]) save(e *state.Encoder, ids []uint32, n int) {
	state.PutSlice(e, sel(a.vals, ids, n))
	state.PutSlice(e, sel(a.seq, ids, n))
}
func (a *firstLastAcc[T]) load(d *state.Decoder, n int) {
	a.vals = checkLen(d, state.Slice[T](d), n, "values")
	a.seq = checkLen(d, state.Slice[int64](d), n, "arrival numbers")
}

func (a *firstLastStrAcc) save(e *state.Encoder, ids []uint32, n int) {
	a.arena.save(e, ids, n)
	state.PutSlice(e, sel(a.seq, ids, n))
}
func (a *firstLastStrAcc) load(d *state.Decoder, n int) {
	a.arena.load(d, n)
	a.seq = checkLen(d, state.Slice[int64](d), n, "arrival numbers")
}

func (a *varAcc) save(e *state.Encoder, ids []uint32, n int) {
	state.PutSlice(e, sel(a.n, ids, n))
	state.PutSlice(e, sel(a.mean, ids, n))
	state.PutSlice(e, sel(a.m2, ids, n))
	if a.odd {
		state.PutSlice(e, sel(a.nf, ids, n))
	}
}
func (a *varAcc) load(d *state.Decoder, n int) {
	a.n = checkLen(d, state.Slice[int64](d), n, "counts")
	a.mean = checkLen(d, state.Slice[float64](d), n, "means")
	a.m2 = checkLen(d, state.Slice[float64](d), n, "squares")
	if a.odd {
		a.nf = checkLen(d, state.Slice[nonFinite](d), n, "non-finite counts")
	}
}

func (a *hllAcc) save(e *state.Encoder, ids []uint32, n int) {
	for _, sk := range sel(a.sk, ids, n) {
		state.PutSlice(e, sk)
	}
}
func (a *hllAcc) load(d *state.Decoder, n int) {
	a.sk = make([][]uint32, n)
	for g := range a.sk {
		a.sk[g] = state.Slice[uint32](d)
	}
}

// save writes the values compactly: lengths, then the bytes.
func (a *strArena) save(e *state.Encoder, ids []uint32, n int) {
	if ids == nil {
		ids = make([]uint32, n)
		for i := range ids {
			ids[i] = uint32(i)
		}
	}
	lens := make([]uint32, len(ids))
	total := 0
	for i, g := range ids {
		lens[i] = a.slots[g].n
		total += int(lens[i])
	}
	state.PutSlice(e, lens)
	data := make([]byte, 0, total)
	for _, g := range ids {
		data = append(data, a.get(g)...)
	}
	state.PutSlice(e, data)
}

func (a *strArena) load(d *state.Decoder, n int) {
	lens := checkLen(d, state.Slice[uint32](d), n, "string lengths")
	a.data = state.Slice[byte](d)
	if len(lens) != n {
		return
	}
	a.slots = make([]strSlot, n)
	a.garbage = 0
	off := 0
	for g, l := range lens {
		a.slots[g] = strSlot{off: off, n: l, c: l}
		off += int(l)
	}
	if off != len(a.data) && d.Err() == nil {
		d.Fail("string lengths add up to %d, data has %d bytes", off, len(a.data))
	}
}

// saveEntries writes the entries of the listed groups (nil: the first n),
// renumbered 0, 1, ... in that order: their (group, value) pairs in arrival
// order within each group, then, for a counted set, the rows holding each
// (a counted set writes only the entries some row holds).
func (ds *distinctSet) saveEntries(e *state.Encoder, mem memory.Allocator, ids []uint32, n int) error {
	var groups, entries []uint32
	var counts []int64
	for i := range n {
		g := uint32(i)
		if ids != nil {
			if i >= len(ids) {
				break
			}
			g = ids[i]
		}
		for _, id := range ds.entries(g) {
			groups = append(groups, uint32(i))
			entries = append(entries, id)
			if ds.counted {
				counts = append(counts, ds.cnt[id])
			}
		}
	}
	e.Int(len(entries))
	if len(entries) > 0 {
		gb := array.NewUint32Builder(mem)
		gb.AppendValues(groups, nil)
		garr := gb.NewArray()
		gb.Release()
		defer garr.Release()
		varr, err := ds.vcol.build(mem, entries)
		if err != nil {
			return err
		}
		defer varr.Release()
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "g", Type: garr.DataType()}, {Name: "v", Type: varr.DataType(), Nullable: true},
		}, nil)
		rec := array.NewRecord(schema, []arrow.Array{garr, varr}, int64(len(entries)))
		defer rec.Release()
		if err := e.Record(rec); err != nil {
			return err
		}
	}
	if ds.counted {
		state.PutSlice(e, counts)
	}
	return nil
}

// loadEntries reads what saveEntries wrote for n groups into an empty set.
func (ds *distinctSet) loadEntries(d *state.Decoder, mem memory.Allocator, n int) {
	entries := d.Int()
	ds.head = make([]uint32, n)
	if entries < 0 {
		d.Fail("%d distinct entries", entries)
		return
	}
	if entries > 0 {
		err := loadKeys(d, mem, &ds.ht, entries, func(keys []arrow.Array) {
			g, ok := keys[0].(*array.Uint32)
			if !ok {
				d.Fail("distinct groups of type %s", keys[0].DataType())
				return
			}
			groups := g.Uint32Values()
			for _, x := range groups {
				if int(x) >= n {
					d.Fail("distinct entry of group %d beyond %d groups", x, n)
					return
				}
			}
			ds.gcol.bindSlice(groups)
			ds.vcol.bind(keys[1])
			s := getScratch()
			defer putScratch(s)
			ids := make([]uint32, entries)
			ds.ht.lookup(s, nil, ids)
			ds.prev = make([]uint32, 0, entries)
			for k, id := range ids {
				if int(id) != k {
					d.Fail("distinct entry %d repeats entry %d", k, id)
					return
				}
				ds.prev = append(ds.prev, ds.head[groups[k]])
				ds.head[groups[k]] = id + 1
			}
		})
		if err != nil || d.Err() != nil {
			return
		}
	}
	if !ds.counted {
		return
	}
	ds.cnt = checkLen(d, state.Slice[int64](d), entries, "distinct counts")
	ds.live = 0
	for _, c := range ds.cnt {
		if c <= 0 {
			d.Fail("distinct count %d", c)
			return
		}
		ds.live++
	}
}
