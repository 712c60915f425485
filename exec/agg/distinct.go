package agg

// DISTINCT aggregates: a set of (group, value) pairs per aggregate, itself a
// hash table with two key columns, passes on only the rows whose value is
// new to its group; the aggregate's accumulator then folds those as usual.
// Values compare as group keys do (NaN equals NaN, -0 equals +0).

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

type distinctSet struct {
	ht   hashTable
	gcol *intCol[uint32] // the group of each entry
	vcol keyCol          // the value of each entry
	head []uint32        // per group: its last entry + 1 (0: none)
	prev []uint32        // per entry: the group's previous entry + 1
}

func newDistinctSet(arg arrow.DataType) (*distinctSet, error) {
	vcol, err := newKeyCol(arg)
	if err != nil {
		return nil, err
	}
	gcol := &intCol[uint32]{fixedStore[uint32]{typ: arrow.PrimitiveTypes.Uint32}}
	return &distinctSet{ht: hashTable{cols: []keyCol{gcol, vcol}}, gcol: gcol, vcol: vcol}, nil
}

func (d *distinctSet) grow(n int) {
	if n > len(d.head) {
		d.head = extendZero(d.head, n)
	}
}

// filter returns the rows among rows (nil: 0..len(groups)-1) of arg whose
// value is new to its group, and their groups, adding them to the set. The
// result lives in s.drows and s.dgs.
func (d *distinctSet) filter(s *scratch, rows []int32, groups []uint32, arg arrow.Array) ([]int32, []uint32) {
	byRow := groups
	if rows != nil {
		byRow = buf(&s.byRow, arg.Len())
		for k, r := range rows {
			byRow[r] = groups[k]
		}
	}
	d.gcol.bindSlice(byRow)
	d.vcol.bind(arg)
	ids := buf(&s.ids, len(groups))
	next := uint32(d.ht.n)
	d.ht.lookup(s, rows, ids)
	outRows := buf(&s.drows, len(groups))[:0]
	outGroups := buf(&s.dgs, len(groups))[:0]
	// Ids are handed out in order of first appearance, so the first row of
	// a new entry is the one whose id is the next to be handed out.
	for k, id := range ids {
		if id != next {
			continue
		}
		next++
		g := groups[k]
		d.prev = append(d.prev, d.head[g])
		d.head[g] = id + 1
		outRows = append(outRows, int32(rowAt(rows, k)))
		outGroups = append(outGroups, g)
	}
	return outRows, outGroups
}

// values returns the values of group g's entries, in arrival order.
func (d *distinctSet) values(mem memory.Allocator, g uint32) (arrow.Array, error) {
	var ids []uint32
	for e := d.head[g]; e != 0; e = d.prev[e-1] {
		ids = append(ids, e-1)
	}
	for i, j := 0, len(ids)-1; i < j; i, j = i+1, j-1 {
		ids[i], ids[j] = ids[j], ids[i]
	}
	return d.vcol.build(mem, ids)
}

func (d *distinctSet) reset() {
	d.ht.reset()
	d.head = d.head[:0]
	d.prev = d.prev[:0]
}

func (d *distinctSet) bytes() int64 {
	return d.ht.bytes() + capBytes(d.head) + capBytes(d.prev)
}
