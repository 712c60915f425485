package agg

// Probing without inserting: Find, for hash joins, whose probe side must
// not add its keys to the build side's table.

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
)

// NotFound is the group Find gives a row whose key the table does not hold.
const NotFound = missing

// Find sets groups[k] to the group id of the key at row sel[k] (row k when
// sel is nil) of the key columns, or NotFound when the table holds no such
// key, and returns how many rows found a group. Unlike Lookup it never adds
// a key. Keys compare as in Lookup: NULL equals NULL, -0 equals +0 and NaN
// equals NaN; a caller that wants SQL equality (a join) leaves rows with
// NULL keys out of sel.
//
// Without key columns every row finds group 0 once a Lookup has created it.
func (t *Table) Find(keys []arrow.Array, sel []int32, groups []uint32) int {
	if t.released {
		panic("agg: Find on a released table")
	}
	if sel != nil && len(sel) != len(groups) {
		panic(fmt.Sprintf("agg: Find with %d selected rows and %d groups", len(sel), len(groups)))
	}
	if t.keys == nil {
		if !t.global {
			for k := range groups {
				groups[k] = NotFound
			}
			return 0
		}
		clear(groups)
		return len(groups)
	}
	if len(keys) != len(t.keys.cols) {
		panic(fmt.Sprintf("agg: Find with %d key columns, table has %d", len(keys), len(t.keys.cols)))
	}
	for i, c := range t.keys.cols {
		c.bind(keys[i])
	}
	s := getScratch()
	found := t.keys.find(s, sel, groups)
	putScratch(s)
	return found
}

// find is lookup without inserting: out[k] is the id of the key at row
// rows[k] (row k when rows is nil), or missing. It works in the same passes
// as lookup (hash column by column, probe for the first slot with a
// matching tag, compare those candidates column by column); a row whose
// candidate was a tag collision is probed again on its own.
func (ht *hashTable) find(s *scratch, rows []int32, out []uint32) int {
	n := len(out)
	if n == 0 {
		return 0
	}
	if ht.n == 0 {
		for k := range out {
			out[k] = missing
		}
		return 0
	}
	if len(ht.cols) == 1 {
		switch c := ht.cols[0].(type) {
		case *intCol[int64]:
			if c.inValid.bits == nil {
				return findInts(ht, c, rows, out)
			}
		case *intCol[int32]:
			if c.inValid.bits == nil {
				return findInts(ht, c, rows, out)
			}
		}
	}

	h, chk, cand := ht.candidates(s, rows, out)
	if len(chk) == 0 {
		return 0
	}
	eq := buf(&s.eq, len(chk))
	for i := range eq {
		eq[i] = true
	}
	for _, c := range ht.cols {
		c.eqIn(rows, chk, cand, eq)
	}
	found := 0
	for j, ok := range eq {
		k := chk[j]
		if ok {
			out[k] = cand[j]
			found++
			continue
		}
		// A tag collision: look past it.
		if id, ok := ht.probeFind(int32(rowAt(rows, int(k))), h[k]); ok {
			out[k] = id
			found++
		}
	}
	return found
}

// probeFind returns the id of the key at row r, whose hash is h, if the
// table holds it.
func (ht *hashTable) probeFind(r int32, h uint64) (uint32, bool) {
	tag := h >> 32
	for p := h >> ht.shift; ; p = (p + 1) & ht.mask {
		e := ht.entries[p]
		if e == 0 {
			return missing, false
		}
		if e>>32 == tag && ht.eqRow(r, uint32(e)-1) {
			return uint32(e) - 1, true
		}
	}
}

// findInts is find for one integer key column with no NULLs in the batch,
// in a single loop (as lookupInts).
func findInts[T int32 | int64](ht *hashTable, c *intCol[T], rows []int32, out []uint32) int {
	in, vals, hasNull := c.in, c.vals, c.hasNull
	entries, shift, mask := ht.entries, ht.shift, ht.mask
	found := 0
	for k := range out {
		v := in[rowAt(rows, k)]
		h := fmix64(hashSeed ^ uint64(int64(v)))
		tag := h >> 32
		out[k] = missing
		for p := h >> shift; ; p = (p + 1) & mask {
			e := entries[p]
			if e == 0 {
				break
			}
			if e>>32 == tag {
				id := uint32(e) - 1
				if vals[id] == v && (!hasNull || c.valid.get(id)) {
					out[k] = id
					found++
					break
				}
			}
		}
	}
	return found
}
