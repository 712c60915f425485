package agg

// The hash index: open addressing with linear probing over a power-of-two
// array of entries, each holding the upper 32 bits of its key's hash (the
// tag) and its group id. The slot of a hash is its top bits, so the tag
// alone places an entry when the array doubles, without touching the keys
// (which bounds the index at 2^32 slots, about 3·10^9 groups).

import (
	"math/bits"
)

const (
	// hashSeed starts every key hash.
	hashSeed uint64 = 0x9e3779b97f4a7c15
	// nullHash is what a NULL contributes to a key hash, in place of a
	// value's bits.
	nullHash uint64 = 0x6a09e667f3bcc909
	// missing marks a row whose group is not known yet.
	missing = ^uint32(0)
)

// fmix64 is MurmurHash3's 64-bit finalizer, a bijection whose every output
// bit depends on every input bit.
func fmix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// combine folds one column's value bits x into a row's running hash h.
func combine(h, x uint64) uint64 { return fmix64(h ^ x) }

// hashTable maps keys, stored column-wise in cols, to dense ids.
type hashTable struct {
	cols    []keyCol
	entries []uint64 // tag<<32 | id+1; 0 is an empty slot
	shift   uint     // 64 - log2(len(entries)): slot = hash >> shift
	mask    uint64   // len(entries) - 1
	n       int      // number of keys
	limit   int      // grow when n reaches it (75% load)
}

// candidates hashes every row (rows[k], or k when rows is nil) column by
// column and probes the index for each row's first stored key with a
// matching tag: chk lists the rows that have one and cand those keys' ids.
// Every out[k] is set to missing; the caller confirms the candidates.
func (ht *hashTable) candidates(s *scratch, rows []int32, out []uint32) (h []uint64, chk []int32, cand []uint32) {
	n := len(out)
	h = buf(&s.hashes, n)
	for i := range h {
		h[i] = hashSeed
	}
	for _, c := range ht.cols {
		c.hashIn(rows, h)
	}
	chk = buf(&s.chk, n)[:0]
	cand = buf(&s.cand, n)[:0]
	entries, shift, mask := ht.entries, ht.shift, ht.mask
	for k, hk := range h {
		out[k] = missing
		tag := hk >> 32
		for p := hk >> shift; ; p = (p + 1) & mask {
			e := entries[p]
			if e == 0 {
				break
			}
			if e>>32 == tag {
				chk = append(chk, int32(k))
				cand = append(cand, uint32(e)-1)
				break
			}
		}
	}
	return h, chk, cand
}

// grow doubles the index (or creates it) and reinserts every entry by its
// tag.
func (ht *hashTable) grow() {
	old := ht.entries
	size := max(16, 2*len(old))
	lg := uint(bits.TrailingZeros(uint(size)))
	if lg > 32 {
		panic("agg: more than 3·2^30 groups in one table")
	}
	ht.entries = make([]uint64, size)
	ht.shift = 64 - lg
	ht.mask = uint64(size - 1)
	ht.limit = size / 4 * 3
	entries, mask, down := ht.entries, ht.mask, 32-lg
	for _, e := range old {
		if e == 0 {
			continue
		}
		p := (e >> 32) >> down
		for entries[p] != 0 {
			p = (p + 1) & mask
		}
		entries[p] = e
	}
}

// lookup sets out[k] to the id of the key at row rows[k] (row k when rows
// is nil) of the bound key columns, adding new keys in order of first
// appearance, and returns how many it added.
//
// The general path works in three passes over the batch: hash every row
// column by column; probe the index for each row's first slot with a
// matching tag; compare those candidates' keys column by column. Rows left
// without a confirmed group (new keys, and the rare tag collision) are then
// resolved in row order, one probe each, which keeps ids in order of first
// appearance.
func (ht *hashTable) lookup(s *scratch, rows []int32, out []uint32) int {
	n := len(out)
	if n == 0 {
		return 0
	}
	if ht.entries == nil {
		ht.grow()
	}
	if len(ht.cols) == 1 {
		switch c := ht.cols[0].(type) {
		case *intCol[int64]:
			if c.inValid.bits == nil {
				return lookupInts(ht, c, rows, out)
			}
		case *intCol[int32]:
			if c.inValid.bits == nil {
				return lookupInts(ht, c, rows, out)
			}
		}
	}

	h, chk, cand := ht.candidates(s, rows, out)
	if len(chk) > 0 {
		eq := buf(&s.eq, len(chk))
		for i := range eq {
			eq[i] = true
		}
		for _, c := range ht.cols {
			c.eqIn(rows, chk, cand, eq)
		}
		for j, ok := range eq {
			if ok {
				out[chk[j]] = cand[j]
			}
		}
	}

	created := 0
	for k, id := range out {
		if id != missing {
			continue
		}
		r := int32(k)
		if rows != nil {
			r = rows[k]
		}
		var isNew bool
		out[k], isNew = ht.probeInsert(r, h[k])
		if isNew {
			created++
		}
	}
	return created
}

// probeInsert returns the id of the key at row r, whose hash is h, adding
// it when it is new.
func (ht *hashTable) probeInsert(r int32, h uint64) (uint32, bool) {
	tag := h >> 32
	for p := h >> ht.shift; ; p = (p + 1) & ht.mask {
		e := ht.entries[p]
		if e == 0 {
			id := uint32(ht.n)
			for _, c := range ht.cols {
				c.appendRow(r)
			}
			ht.entries[p] = tag<<32 | uint64(id+1)
			ht.n++
			if ht.n >= ht.limit {
				ht.grow()
			}
			return id, true
		}
		if e>>32 == tag && ht.eqRow(r, uint32(e)-1) {
			return uint32(e) - 1, false
		}
	}
}

func (ht *hashTable) eqRow(r int32, g uint32) bool {
	for _, c := range ht.cols {
		if !c.eqRow(r, g) {
			return false
		}
	}
	return true
}

// lookupInts is lookup for one integer key column with no NULLs in the
// batch: hash, probe, compare and insert in a single loop. Measured
// alternatives that were not faster: branch-free passes that first load
// every row's home slot (slower while the index fits in the cache: with
// linear probing a third of the keys sit past their home slot and pay for
// a second probe), and a pass touching the home slots of a batch before
// probing a 10^7-key index (the loop's loads already overlap).
func lookupInts[T int32 | int64](ht *hashTable, c *intCol[T], rows []int32, out []uint32) int {
	in, vals, hasNull := c.in, c.vals, c.hasNull
	entries, shift, mask := ht.entries, ht.shift, ht.mask
	created := 0
	for k := range out {
		v := in[rowAt(rows, k)]
		h := fmix64(hashSeed ^ uint64(int64(v)))
		tag := h >> 32
		for p := h >> shift; ; p = (p + 1) & mask {
			e := entries[p]
			if e == 0 {
				id := uint32(ht.n)
				c.appendValue(v)
				vals = c.vals
				entries[p] = tag<<32 | uint64(id+1)
				ht.n++
				out[k] = id
				created++
				if ht.n >= ht.limit {
					ht.grow()
					entries, shift, mask = ht.entries, ht.shift, ht.mask
				}
				break
			}
			if e>>32 == tag {
				id := uint32(e) - 1
				if vals[id] == v && (!hasNull || c.valid.get(id)) {
					out[k] = id
					break
				}
			}
		}
	}
	return created
}

// reset drops every key and keeps the allocated space.
func (ht *hashTable) reset() {
	clear(ht.entries)
	ht.n = 0
	for _, c := range ht.cols {
		c.reset()
	}
}

func (ht *hashTable) bytes() int64 {
	b := capBytes(ht.entries)
	for _, c := range ht.cols {
		b += c.bytes()
	}
	return b
}
