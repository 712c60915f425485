package agg

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
)

// Combining tables: the partial aggregates of the same groups computed in
// different tables (a window's state spilled to disk in several runs) fold
// into one, as DataFusion's final aggregation merges partial states.

// MergeTable folds every group of o, a table of the same key types and
// aggregates, into t: groups t lacks are created, the others combined as
// Merge combines two groups of one table. o is not changed. Both tables
// must be retractable or neither; the empty groups of a retractable o are
// left out.
func (t *Table) MergeTable(o *Table) error {
	if t.released || o.released {
		return fmt.Errorf("merge a released table")
	}
	if len(t.aggs) != len(o.aggs) || len(t.keyTypes) != len(o.keyTypes) {
		return fmt.Errorf("merge tables of different shapes")
	}
	if t.retract != o.retract {
		return fmt.Errorf("merge a retractable table and one that is not")
	}
	if o.err != nil {
		return o.err
	}
	if o.n == 0 {
		return nil
	}
	o.growAccs()
	ids := make([]uint32, 0, o.n) // o's groups to merge
	for g := range o.n {
		if !o.retract || o.rowCnt[g] > 0 {
			ids = append(ids, uint32(g))
		}
	}
	dst := make([]uint32, len(ids))
	if len(ids) == 0 {
		return nil
	}
	if o.keys != nil {
		keys := make([]arrow.Array, 0, len(o.keys.cols))
		defer func() {
			for _, k := range keys {
				k.Release()
			}
		}()
		for _, c := range o.keys.cols {
			k, err := c.build(t.mem, ids)
			if err != nil {
				return err
			}
			keys = append(keys, k)
		}
		t.Lookup(keys, nil, dst)
	} else {
		t.Lookup(nil, nil, dst[:1])
	}
	t.growAccs()
	for j := range t.aggs {
		a, oa := &t.aggs[j], &o.aggs[j]
		for i, d := range dst {
			var err error
			if a.dist != nil {
				err = t.mergeDistinctFrom(a, oa, d, ids[i])
			} else {
				err = a.acc.mergeFrom(oa.acc, d, ids[i])
			}
			if err != nil {
				t.err = err
				return err
			}
		}
	}
	if t.retract {
		for i, d := range dst {
			t.addRows(d, o.rowCnt[ids[i]])
		}
	}
	t.seq = max(t.seq, o.seq)
	return nil
}

// mergeDistinctFrom adds group src's distinct values in o's aggregate oa
// to group dst of a (with their counts of rows, in a retractable table).
func (t *Table) mergeDistinctFrom(a, oa *aggregate, dst, src uint32) error {
	oa.dist.grow(int(src) + 1) // groups that never saw a value have no entry yet
	vals, w, err := oa.dist.values(t.mem, src)
	if err != nil {
		return err
	}
	defer vals.Release()
	if vals.Len() == 0 {
		return nil
	}
	a.dist.grow(t.n)
	gs := make([]uint32, vals.Len())
	for i := range gs {
		gs[i] = dst
	}
	s := getScratch()
	defer putScratch(s)
	rows, gs := a.dist.filter(s, nil, gs, vals, w)
	if len(gs) == 0 {
		return nil
	}
	return a.acc.add(s, rows, gs, vals, 0)
}

// KeyHashes returns a hash of each group's key, by group id; equal keys in
// different tables hash alike (to partition groups for spilling).
func (t *Table) KeyHashes() ([]uint64, error) {
	h := make([]uint64, t.n)
	if t.keys == nil || t.n == 0 {
		return h, nil
	}
	ids := make([]uint32, t.n)
	for i := range ids {
		ids[i] = uint32(i)
	}
	for _, c := range t.keys.cols {
		k, err := c.build(t.mem, ids)
		if err != nil {
			return nil, err
		}
		c.bind(k)
		c.hashIn(nil, h)
		k.Release()
	}
	return h, nil
}

// Truncate drops every group, keeping the space, like Reset, but arrival
// numbering goes on: FIRST_VALUE and LAST_VALUE stay right across the
// tables a spilled window's groups pass through.
func (t *Table) Truncate() {
	seq := t.seq
	t.Reset()
	t.seq = seq
}

// EmptyCopy returns a new empty table of t's shape whose arrival numbering
// goes on from t's: a spilled table's successor.
func (t *Table) EmptyCopy() (*Table, error) {
	n, err := newTable(t.mem, t.keyTypes, t.specs, t.retract)
	if err != nil {
		return nil, err
	}
	n.seq = t.seq
	return n, nil
}
