package agg

import (
	"fmt"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

// Table maps group keys to dense group ids (0, 1, 2, ... in order of first
// appearance) and holds one accumulator per aggregate per group.
//
// The keys, the hash index and the accumulators are Go memory owned by the
// table (MemoryBytes reports their size); mem allocates only the arrays
// Results returns. A Table is not safe for concurrent use; different
// tables may be used from different goroutines at once.
type Table struct {
	mem      memory.Allocator
	keyTypes []arrow.DataType
	specs    []Spec
	types    []arrow.DataType // result types
	keys     *hashTable       // nil without key columns
	global   bool             // without key columns: group 0 exists
	n        int              // groups
	aggs     []aggregate
	accN     int   // groups the accumulators have room for
	seq      int64 // arrival number of the next batch's row 0
	err      error // sticky error of a Merge
	released bool

	// A retractable table (NewRetractableTable) counts each group's rows.
	retract bool
	rowCnt  []int64 // per group: rows added minus rows retracted
	live    int     // groups whose row count is positive
}

// aggregate is one aggregate call's state.
type aggregate struct {
	spec Spec
	acc  accumulator
	dist *distinctSet // DISTINCT, where it can change the result
}

// NewTable returns an empty table grouping by columns of the given types
// and computing the given aggregates. Zero key types make one global group
// (id 0), created by the first Lookup. Key types may be BOOLEAN, the
// integer types, FLOAT, DOUBLE, DECIMAL, VARCHAR, DATE, TIMESTAMP, INTERVAL
// and NULL.
func NewTable(mem memory.Allocator, keyTypes []arrow.DataType, specs []Spec) (*Table, error) {
	return newTable(mem, keyTypes, specs, false)
}

// newTable is NewTable, or NewRetractableTable with retract set.
func newTable(mem memory.Allocator, keyTypes []arrow.DataType, specs []Spec, retract bool) (*Table, error) {
	t := &Table{mem: mem, keyTypes: slices.Clone(keyTypes), specs: slices.Clone(specs), retract: retract}
	if len(keyTypes) > 0 {
		t.keys = &hashTable{}
		for _, kt := range keyTypes {
			c, err := newKeyCol(kt)
			if err != nil {
				return nil, err
			}
			t.keys.cols = append(t.keys.cols, c)
		}
	}
	for _, s := range specs {
		typ, err := ResultType(s)
		if err != nil {
			return nil, err
		}
		acc, err := newAccumulator(s, typ, retract)
		if err != nil {
			return nil, err
		}
		a := aggregate{spec: s, acc: acc}
		if s.Distinct && distinctMatters(s.Func) {
			if a.dist, err = newDistinctSet(s.Arg, retract); err != nil {
				return nil, fmt.Errorf("%s: %w", s, err)
			}
		}
		t.types = append(t.types, typ)
		t.aggs = append(t.aggs, a)
	}
	return t, nil
}

// distinctMatters reports whether DISTINCT can change f's result.
func distinctMatters(f Func) bool {
	switch f {
	case Count, Sum, Avg, StddevPop, StddevSamp, VarPop, VarSamp:
		return true
	}
	return false
}

// ResultTypes returns the type of each aggregate's result.
func (t *Table) ResultTypes() []arrow.DataType { return t.types }

// Len returns the number of groups.
func (t *Table) Len() int { return t.n }

// Lookup assigns each selected row of the key columns its group id,
// creating groups for keys not seen before, and returns how many groups it
// created. sel lists the rows to process (nil: every row, 0..n-1, where n
// is len(groups)); groups receives one id per selected row. NULL keys are
// equal to each other; -0 equals +0 and NaN equals NaN.
//
// Without key columns every row belongs to group 0, which the first Lookup
// creates even for an empty batch (so a global aggregate over no rows still
// has its one group, as SQL wants).
func (t *Table) Lookup(keys []arrow.Array, sel []int32, groups []uint32) int {
	if t.released {
		panic("agg: Lookup on a released table")
	}
	if sel != nil && len(sel) != len(groups) {
		panic(fmt.Sprintf("agg: Lookup with %d selected rows and %d groups", len(sel), len(groups)))
	}
	if t.keys == nil {
		clear(groups)
		if !t.global {
			t.global = true
			t.n = 1
			return 1
		}
		return 0
	}
	if len(keys) != len(t.keys.cols) {
		panic(fmt.Sprintf("agg: Lookup with %d key columns, table has %d", len(keys), len(t.keys.cols)))
	}
	for i, c := range t.keys.cols {
		c.bind(keys[i])
	}
	s := getScratch()
	created := t.keys.lookup(s, sel, groups)
	putScratch(s)
	t.n = t.keys.n
	return created
}

// Update folds the selected rows into their groups: row sel[k] (k when sel
// is nil) into group groups[k]. args[j] is aggregate j's argument column
// over the batch (nil for COUNT(*)) and filters[j] its FILTER mask (nil for
// none): a row whose mask is not TRUE is skipped. NULL arguments are
// skipped.
//
// The error of a DECIMAL sum that overflows DECIMAL(38, s) wraps
// ErrOverflow; after an error the table's results are unspecified. In a
// retractable table every row listed counts in its group's RowCount, passed
// by the FILTERs or not.
func (t *Table) Update(sel []int32, groups []uint32, args []arrow.Array, filters []*array.Boolean) error {
	rowsIn, err := t.check(sel, groups, args, filters)
	if err != nil {
		return err
	}
	t.growAccs()
	if t.retract {
		t.countRows(groups)
	}
	seq := t.seq
	t.seq += int64(rowsIn)
	s := getScratch()
	defer putScratch(s)
	for j := range t.aggs {
		a := &t.aggs[j]
		arg := args[j]
		if a.spec.Func == CountStar {
			arg = nil
		}
		rows, gs := selectRows(s, sel, groups, arg, filters[j])
		if a.dist != nil && len(gs) > 0 {
			a.dist.grow(t.n)
			rows, gs = a.dist.filter(s, rows, gs, arg, nil)
		}
		if len(gs) == 0 {
			continue
		}
		if err := a.acc.add(s, rows, gs, arg, seq); err != nil {
			return err
		}
	}
	return nil
}

// check validates the arguments of Update and Retract and returns the
// number of rows of the batch.
func (t *Table) check(sel []int32, groups []uint32, args []arrow.Array, filters []*array.Boolean) (int, error) {
	if t.released {
		return 0, fmt.Errorf("update of a released table")
	}
	if t.err != nil {
		return 0, t.err
	}
	if len(args) != len(t.aggs) || len(filters) != len(t.aggs) {
		return 0, fmt.Errorf("update with %d arguments and %d filters for %d aggregates", len(args), len(filters), len(t.aggs))
	}
	if sel != nil && len(sel) != len(groups) {
		return 0, fmt.Errorf("update with %d selected rows and %d groups", len(sel), len(groups))
	}
	rowsIn := len(groups)
	for j, a := range args {
		if a != nil {
			rowsIn = a.Len()
			if t.specs[j].Func != CountStar && !sameType(a.DataType(), t.specs[j].Arg) {
				return 0, fmt.Errorf("%s: argument of type %s", t.specs[j], sqltypes.Name(a.DataType()))
			}
		} else if t.specs[j].Func != CountStar {
			return 0, fmt.Errorf("%s: missing argument", t.specs[j])
		}
	}
	return rowsIn, nil
}

// sameType is arrow.TypeEqual without its allocation in the common cases.
func sameType(a, b arrow.DataType) bool {
	if a == b {
		return true
	}
	if a.ID() != b.ID() {
		return false
	}
	switch a := a.(type) {
	case *arrow.Decimal128Type:
		b := b.(*arrow.Decimal128Type)
		return a.Precision == b.Precision && a.Scale == b.Scale
	case *arrow.TimestampType:
		b := b.(*arrow.TimestampType)
		return a.Unit == b.Unit && a.TimeZone == b.TimeZone
	case *arrow.DurationType:
		return a.Unit == b.(*arrow.DurationType).Unit
	case arrow.FixedWidthDataType, *arrow.StringType:
		return true
	}
	return arrow.TypeEqual(a, b)
}

// selectRows returns the rows (nil: 0..len(groups)-1) and groups to fold:
// those of sel whose argument is not NULL and whose filter is TRUE.
func selectRows(s *scratch, sel []int32, groups []uint32, arg arrow.Array, filter *array.Boolean) ([]int32, []uint32) {
	var valid, fv, fval bitmap
	if arg != nil {
		valid = validOf(arg)
	}
	if filter != nil {
		fv, fval = validOf(filter), boolBits(filter)
	}
	if valid.bits == nil && fv.bits == nil && fval.bits == nil {
		return sel, groups
	}
	rows := buf(&s.rows, len(groups))[:0]
	gs := buf(&s.gs, len(groups))[:0]
	for k, g := range groups {
		r := rowAt(sel, k)
		if valid.get(r) && fv.get(r) && fval.get(r) {
			rows = append(rows, int32(r))
			gs = append(gs, g)
		}
	}
	return rows, gs
}

// growAccs gives the accumulators room for every group.
func (t *Table) growAccs() {
	if t.accN == t.n {
		return
	}
	for i := range t.aggs {
		t.aggs[i].acc.grow(t.n)
	}
	if t.retract {
		t.rowCnt = extendZero(t.rowCnt, t.n)
	}
	t.accN = t.n
}

// Merge folds group src's accumulators into group dst (when session windows
// merge). src keeps its now stale values; the caller stops using it. For a
// DISTINCT aggregate, src's distinct values are added to dst's, so a value
// seen in both counts once. FIRST_VALUE and LAST_VALUE keep the value that
// arrived first or last over both groups.
//
// Merge cannot fail except by DECIMAL overflow; that error is returned by
// the next Update or Results. In a retractable table dst takes src's rows
// (a DISTINCT value's count of rows too) and src is left empty.
func (t *Table) Merge(dst, src uint32) {
	if dst == src || t.err != nil || t.released {
		return
	}
	if int(dst) >= t.n || int(src) >= t.n {
		panic(fmt.Sprintf("agg: Merge(%d, %d) in a table of %d groups", dst, src, t.n))
	}
	t.growAccs()
	if t.retract {
		defer t.emptyInto(dst, src)
	}
	for j := range t.aggs {
		a := &t.aggs[j]
		var err error
		if a.dist != nil {
			err = t.mergeDistinct(a, dst, src)
		} else {
			err = a.acc.mergeFrom(a.acc, dst, src)
		}
		if err != nil {
			t.err = err
			return
		}
	}
}

// emptyInto moves the row count of group src to dst after a Merge and
// clears src.
func (t *Table) emptyInto(dst, src uint32) {
	if t.err != nil {
		return
	}
	t.addRows(dst, t.rowCnt[src])
	if t.rowCnt[src] > 0 {
		t.live--
	}
	t.rowCnt[src] = 0
	t.clearGroup(src)
}

// addRows adds n rows to group g's row count.
func (t *Table) addRows(g uint32, n int64) {
	if n > 0 && t.rowCnt[g] == 0 {
		t.live++
	}
	t.rowCnt[g] += n
}

// mergeDistinct feeds src's distinct values to dst through dst's set.
func (t *Table) mergeDistinct(a *aggregate, dst, src uint32) error {
	return t.mergeDistinctFrom(a, a, dst, src)
}

// Results returns, for the listed groups in that order, the key columns
// and one result column per aggregate. The caller releases the arrays.
func (t *Table) Results(groups []uint32) (keys []arrow.Array, results []arrow.Array, err error) {
	if t.released {
		return nil, nil, fmt.Errorf("results of a released table")
	}
	if t.err != nil {
		return nil, nil, t.err
	}
	for _, g := range groups {
		if int(g) >= t.n {
			return nil, nil, fmt.Errorf("group %d out of range (table has %d)", g, t.n)
		}
	}
	t.growAccs()
	release := func() {
		for _, a := range keys {
			a.Release()
		}
		for _, a := range results {
			a.Release()
		}
	}
	if t.keys != nil {
		for _, c := range t.keys.cols {
			a, err := c.build(t.mem, groups)
			if err != nil {
				release()
				return nil, nil, err
			}
			keys = append(keys, a)
		}
	}
	for _, a := range t.aggs {
		r, err := a.acc.build(t.mem, groups)
		if err != nil {
			release()
			return nil, nil, err
		}
		results = append(results, r)
	}
	return keys, results, nil
}

// Reset drops every group but keeps the allocated space, so the table can
// serve the next window. (To give back the space of an unusually large
// window, Release the table and make a new one.)
func (t *Table) Reset() {
	if t.released {
		return
	}
	if t.keys != nil {
		t.keys.reset()
	}
	for i := range t.aggs {
		t.aggs[i].acc.reset()
		if d := t.aggs[i].dist; d != nil {
			d.reset()
		}
	}
	t.global, t.n, t.accN, t.seq, t.err = false, 0, 0, 0, nil
	t.rowCnt, t.live = t.rowCnt[:0], 0
}

// Release frees the table's memory. The table must not be used again;
// calling Release twice is safe.
func (t *Table) Release() {
	t.keys = nil
	t.aggs = nil
	t.rowCnt = nil
	t.global, t.n, t.accN, t.live = false, 0, 0, 0
	t.released = true
}

// MemoryBytes estimates the bytes the table holds: keys, hash index,
// accumulators and DISTINCT sets, counted by capacity. Scratch space for a
// batch is shared by all tables and not counted.
func (t *Table) MemoryBytes() int64 {
	var b int64
	if t.keys != nil {
		b += t.keys.bytes()
	}
	for _, a := range t.aggs {
		b += a.acc.bytes()
		if a.dist != nil {
			b += a.dist.bytes()
		}
	}
	return b + capBytes(t.rowCnt)
}
