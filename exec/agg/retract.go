package agg

// Retraction: tables whose rows can be taken back out, for an aggregation
// over an updating input (a changelog), as Flink's retractable
// accumulators do. COUNT subtracts; SUM keeps a count of its non-NULL
// values (NULL when none is left); AVG and the variances run their update
// backwards; MIN and MAX keep the multiset of their group's values
// (multiset.go); a DISTINCT aggregate counts the rows holding each of its
// group's values (distinct.go). Every group counts its rows, so that one
// whose rows have all been retracted is known to be empty (an updating
// aggregate then deletes its row); Compact gives back the space of empty
// groups.

import (
	"fmt"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/state"
)

// retractor is an accumulator of a retractable table: besides adding rows,
// it takes them back out.
type retractor interface {
	accumulator
	// retract takes row rows[k] (k when rows is nil) of arg back out of
	// group groups[k], the inverse of add. The rows listed are not NULL and
	// pass the FILTER. A value its group does not hold is ignored.
	retract(s *scratch, rows []int32, groups []uint32, arg arrow.Array) error
	// clearGroup returns group g to its initial state: it holds no rows.
	clearGroup(g uint32)
}

// compactMin is how many dead groups and DISTINCT entries a table holds at
// least before Compact rebuilds it.
const compactMin = 1024

// NewRetractableTable returns an empty table like NewTable's whose rows can
// also be taken back out (Retract), for an aggregation over an updating
// input. FIRST_VALUE, LAST_VALUE and APPROX_COUNT_DISTINCT cannot retract:
// an error matching ErrNotRetractable names the first of them in specs.
//
// A retractable table keeps more per group: a row count, a non-NULL count
// per SUM, for MIN and MAX every distinct value of the group with its count
// (instead of one value), and for a DISTINCT aggregate the count of rows
// holding each value. Merge, MergeTable (of another retractable table),
// Save, SaveGroups and Load work on it as on any table.
func NewRetractableTable(mem memory.Allocator, keyTypes []arrow.DataType, specs []Spec) (*Table, error) {
	for _, s := range specs {
		if !Retractable(s.Func) {
			return nil, fmt.Errorf("%s over an updating input: %w (it keeps no record of the values it saw)", s, ErrNotRetractable)
		}
	}
	return newTable(mem, keyTypes, specs, true)
}

// Retractable reports whether the table was made by NewRetractableTable.
func (t *Table) Retractable() bool { return t.retract }

// RowCount returns how many rows group g holds in a retractable table:
// those Update added minus those Retract took out. A group created by
// Lookup holds none until Update adds some, and holds none again once they
// have all been retracted: it is then empty, its aggregates back at their
// initial state, and an updating result has no row for it. It returns 0
// for a table that is not retractable.
func (t *Table) RowCount(g uint32) int64 {
	if !t.retract || int(g) >= len(t.rowCnt) {
		return 0
	}
	return t.rowCnt[g]
}

// Live returns the number of groups that hold rows: every group of a table
// that is not retractable, the groups whose RowCount is positive
// otherwise.
func (t *Table) Live() int {
	if !t.retract {
		return t.n
	}
	return t.live
}

// Retract takes the selected rows back out of their groups, the inverse of
// Update: row sel[k] (k when sel is nil) out of group groups[k], with the
// arguments, filters and NULLs read as Update reads them. The table must be
// retractable.
//
// A row is taken out of a group that holds rows; one retracted from an
// empty group is ignored, as Flink ignores a retraction for which it has no
// state (the changelog is then not one the table saw, or state was
// expired). Likewise a retracted value its aggregate does not hold (MIN,
// MAX, DISTINCT) is ignored. A group whose rows have all been retracted is
// cleared. The rows of one call are taken out in any order: retract a
// batch's rows after adding its additions (Update), so that no count goes
// below zero on the way.
func (t *Table) Retract(sel []int32, groups []uint32, args []arrow.Array, filters []*array.Boolean) error {
	if !t.retract && !t.released {
		return fmt.Errorf("retract from a table made by NewTable (use NewRetractableTable)")
	}
	if _, err := t.check(sel, groups, args, filters); err != nil {
		return err
	}
	t.growAccs()
	s := getScratch()
	defer putScratch(s)
	sel, groups, emptied := t.takeRows(s, sel, groups)
	for j := range t.aggs {
		a := &t.aggs[j]
		arg := args[j]
		if a.spec.Func == CountStar {
			arg = nil
		}
		rows, gs := selectRows(s, sel, groups, arg, filters[j])
		if a.dist != nil && len(gs) > 0 {
			a.dist.grow(t.n)
			rows, gs = a.dist.unfilter(s, rows, gs, arg)
		}
		if len(gs) == 0 {
			continue
		}
		if err := a.acc.(retractor).retract(s, rows, gs, arg); err != nil {
			return err
		}
	}
	for _, g := range emptied {
		t.clearGroup(g)
	}
	return nil
}

// takeRows counts the rows of a Retract out of their groups' row counts. It
// returns the rows (always listed) and groups to retract, those whose group
// held rows, and the groups left empty.
func (t *Table) takeRows(s *scratch, sel []int32, groups []uint32) ([]int32, []uint32, []uint32) {
	rows := buf(&s.rsel, len(groups))[:0]
	gs := buf(&s.rgs, len(groups))[:0]
	emptied := s.emptied[:0]
	cnt := t.rowCnt
	for k, g := range groups {
		if cnt[g] == 0 {
			continue
		}
		rows = append(rows, int32(rowAt(sel, k)))
		gs = append(gs, g)
		if cnt[g]--; cnt[g] == 0 {
			emptied = append(emptied, g)
			t.live--
		}
	}
	s.emptied = emptied
	return rows, gs, emptied
}

// countRows adds the rows of an Update to their groups' row counts.
func (t *Table) countRows(groups []uint32) {
	cnt := t.rowCnt
	for _, g := range groups {
		if cnt[g] == 0 {
			t.live++
		}
		cnt[g]++
	}
}

// clearGroup returns every aggregate of group g to its initial state.
func (t *Table) clearGroup(g uint32) {
	for j := range t.aggs {
		a := &t.aggs[j]
		a.acc.(retractor).clearGroup(g)
		if a.dist != nil {
			a.dist.grow(t.n)
			a.dist.clearGroup(g)
		}
	}
}

// Compact rebuilds a retractable table with only its groups that hold rows
// (renumbered 0, 1, ... in their old order) and only the DISTINCT entries
// some row holds, giving back the space of the rest: the keys of empty
// groups stay in the hash index until then. It does so when that space is
// at least half the table's (and at least compactMin groups and entries),
// or always when always is set, and reports whether it did: group ids from
// before mean nothing afterwards. A table that is not retractable, or has
// no key columns, is left as it is.
func (t *Table) Compact(always bool) (bool, error) {
	if !t.retract || t.keys == nil || t.released {
		return false, nil
	}
	if t.err != nil {
		return false, t.err
	}
	t.growAccs()
	dead, live := t.n-t.live, t.live
	for _, a := range t.aggs {
		if a.dist != nil {
			dead += a.dist.ht.n - a.dist.live
			live += a.dist.live
		}
	}
	if !always && (dead < compactMin || dead < live) {
		return false, nil
	}
	ids := make([]uint32, 0, t.live)
	for g, c := range t.rowCnt[:t.n] {
		if c > 0 {
			ids = append(ids, uint32(g))
		}
	}
	e := state.NewEncoder(nil)
	if err := t.save(e, ids); err != nil {
		return false, fmt.Errorf("compact: %w", err)
	}
	fresh, err := newTable(t.mem, t.keyTypes, t.specs, true)
	if err != nil {
		return false, err
	}
	if err := fresh.Load(state.NewDecoder(e.Bytes())); err != nil {
		fresh.Release()
		return false, fmt.Errorf("compact: %w", err)
	}
	*t = *fresh
	return true, nil
}

// nonFinite counts a group's NaN, +Inf and -Inf values, which a
// retractable floating SUM, AVG or variance keeps out of its running sums:
// NaN - NaN and Inf - Inf are not 0, so once in a sum they could never be
// taken back out.
type nonFinite struct{ nan, pos, neg int64 }

// note counts x, a NaN or an infinity, d times (-1 to take it out).
func (c *nonFinite) note(x float64, d int64) {
	switch {
	case x != x:
		c.nan += d
	case x > 0:
		c.pos += d
	default:
		c.neg += d
	}
}

func (c nonFinite) total() int64 { return c.nan + c.pos + c.neg }

// sum returns what the non-finite values make of a sum, and whether there
// are any: NaN with a NaN or both infinities, else the infinity.
func (c nonFinite) sum() (float64, bool) {
	switch {
	case c.nan > 0 || (c.pos > 0 && c.neg > 0):
		return math.NaN(), true
	case c.pos > 0:
		return math.Inf(1), true
	case c.neg > 0:
		return math.Inf(-1), true
	}
	return 0, false
}

func (c *nonFinite) merge(o nonFinite) {
	c.nan += o.nan
	c.pos += o.pos
	c.neg += o.neg
}
