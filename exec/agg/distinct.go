package agg

// DISTINCT aggregates: a set of (group, value) pairs per aggregate, itself a
// hash table with two key columns, passes on only the rows whose value is
// new to its group; the aggregate's accumulator then folds those as usual.
// Values compare as group keys do (NaN equals NaN, -0 equals +0).
//
// In a retractable table the set also counts the rows holding each entry:
// a row passes on when its entry's count goes from 0 to 1 (added) or from 1
// to 0 (retracted), and an entry no row holds stays in the hash index,
// counted 0, until Table.Compact.

import (
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

type distinctSet struct {
	ht   hashTable
	gcol *intCol[uint32] // the group of each entry
	vcol keyCol          // the value of each entry
	head []uint32        // per group: its last entry + 1 (0: none)
	prev []uint32        // per entry: the group's previous entry + 1
	// counted (a retractable table): the rows holding each entry, and how
	// many entries some row holds.
	counted bool
	cnt     []int64
	live    int
}

func newDistinctSet(arg arrow.DataType, counted bool) (*distinctSet, error) {
	vcol, err := newKeyCol(arg)
	if err != nil {
		return nil, err
	}
	gcol := &intCol[uint32]{fixedStore[uint32]{typ: arrow.PrimitiveTypes.Uint32}}
	return &distinctSet{ht: hashTable{cols: []keyCol{gcol, vcol}}, gcol: gcol, vcol: vcol, counted: counted}, nil
}

func (d *distinctSet) grow(n int) {
	if n > len(d.head) {
		d.head = extendZero(d.head, n)
	}
}

// bind makes the (group, value) pairs of the listed rows the input of the
// hash table.
func (d *distinctSet) bind(s *scratch, rows []int32, groups []uint32, arg arrow.Array) {
	byRow := groups
	if rows != nil {
		byRow = buf(&s.byRow, arg.Len())
		for k, r := range rows {
			byRow[r] = groups[k]
		}
	}
	d.gcol.bindSlice(byRow)
	d.vcol.bind(arg)
}

// filter returns the rows among rows (nil: 0..len(groups)-1) of arg whose
// value is new to its group, and their groups, adding them to the set. The
// result lives in s.drows and s.dgs. Counted, a row's value is new when no
// row holds it; w (nil: 1 each) gives the number of rows each row stands
// for.
func (d *distinctSet) filter(s *scratch, rows []int32, groups []uint32, arg arrow.Array, w []int64) ([]int32, []uint32) {
	d.bind(s, rows, groups, arg)
	ids := buf(&s.ids, len(groups))
	next := uint32(d.ht.n)
	d.ht.lookup(s, rows, ids)
	if d.counted {
		d.cnt = extendZero(d.cnt, d.ht.n)
	}
	outRows := buf(&s.drows, len(groups))[:0]
	outGroups := buf(&s.dgs, len(groups))[:0]
	// Ids are handed out in order of first appearance, so the first row of
	// a new entry is the one whose id is the next to be handed out.
	for k, id := range ids {
		g := groups[k]
		isNew := id == next
		if isNew {
			next++
			d.prev = append(d.prev, d.head[g])
			d.head[g] = id + 1
		}
		if d.counted {
			c := d.cnt[id]
			if w == nil {
				d.cnt[id]++
			} else {
				d.cnt[id] += w[k]
			}
			if c != 0 {
				continue
			}
			d.live++
		} else if !isNew {
			continue
		}
		outRows = append(outRows, int32(rowAt(rows, k)))
		outGroups = append(outGroups, g)
	}
	return outRows, outGroups
}

// unfilter returns the rows among rows (nil: 0..len(groups)-1) of arg that
// take the last row holding their value out of their group, and their
// groups, counting them out of a counted set. A value the set does not hold
// for the group is ignored. The result lives in s.drows and s.dgs.
func (d *distinctSet) unfilter(s *scratch, rows []int32, groups []uint32, arg arrow.Array) ([]int32, []uint32) {
	d.bind(s, rows, groups, arg)
	ids := buf(&s.ids, len(groups))
	d.ht.find(s, rows, ids)
	outRows := buf(&s.drows, len(groups))[:0]
	outGroups := buf(&s.dgs, len(groups))[:0]
	for k, id := range ids {
		if id == missing || d.cnt[id] == 0 {
			continue
		}
		if d.cnt[id]--; d.cnt[id] == 0 {
			d.live--
			outRows = append(outRows, int32(rowAt(rows, k)))
			outGroups = append(outGroups, groups[k])
		}
	}
	return outRows, outGroups
}

// clearGroup counts every entry of group g out of a counted set.
func (d *distinctSet) clearGroup(g uint32) {
	for e := d.head[g]; e != 0; e = d.prev[e-1] {
		if d.cnt[e-1] != 0 {
			d.cnt[e-1] = 0
			d.live--
		}
	}
}

// entries returns the entries of group g, in arrival order; counted, only
// those some row holds.
func (d *distinctSet) entries(g uint32) []uint32 {
	var ids []uint32
	for e := d.head[g]; e != 0; e = d.prev[e-1] {
		if !d.counted || d.cnt[e-1] != 0 {
			ids = append(ids, e-1)
		}
	}
	slices.Reverse(ids)
	return ids
}

// values returns the values of group g's entries, in arrival order, and
// (counted) the number of rows holding each.
func (d *distinctSet) values(mem memory.Allocator, g uint32) (arrow.Array, []int64, error) {
	ids := d.entries(g)
	var w []int64
	if d.counted {
		w = make([]int64, len(ids))
		for i, id := range ids {
			w[i] = d.cnt[id]
		}
	}
	a, err := d.vcol.build(mem, ids)
	return a, w, err
}

func (d *distinctSet) reset() {
	d.ht.reset()
	d.head = d.head[:0]
	d.prev = d.prev[:0]
	d.cnt = d.cnt[:0]
	d.live = 0
}

func (d *distinctSet) bytes() int64 {
	return d.ht.bytes() + capBytes(d.head) + capBytes(d.prev) + capBytes(d.cnt)
}
