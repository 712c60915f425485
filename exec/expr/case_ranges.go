package expr

// A CASE whose conditions all compare one integer expression with
// constants, the bucketing CASE of q14:
//
//	CASE WHEN HOUR(date_time) >= 8 AND HOUR(date_time) <= 18 THEN 'dayTime'
//	     WHEN HOUR(date_time) <= 6 OR HOUR(date_time) >= 20 THEN 'nightTime'
//	     ELSE 'otherTime' END
//
// Arm by arm, that evaluates HOUR four times and eight comparisons, each a
// pass over the batch. The constants (6, 8, 18, 20) cut the integers into
// cells: below 6, 6, between 6 and 8, 8, ... above 20. Every value of a
// cell answers every comparison alike, so the arm a cell takes is found
// once, at construction, by evaluating the conditions on one value of the
// cell; at run time the expression is evaluated once and each row looks
// its cell up. A NULL value makes every comparison NULL, and so every
// condition (AND, OR and NOT of NULLs are NULL): the row takes no arm.

import (
	"math"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/internal/arrowbuf"
)

// maxRangeBounds caps the constants a range switch looks through.
const maxRangeBounds = 64

type rangeSwitch struct {
	on     Expr    // the integer expression (INT or BIGINT layout)
	bounds []int64 // the constants, ascending and distinct
	// arms[c] is the first arm whose condition holds in cell c, or -1.
	// Cell 2j is the open interval below bounds[j] (and above bounds[j-1]),
	// cell 2j+1 is bounds[j] itself, cell 2·len(bounds) is above the last.
	arms []int16
}

// detectRanges returns the range switch of a CASE's arms, or nil when some
// condition is not made of comparisons of one expression with constants.
func detectRanges(whens []When) *rangeSwitch {
	rs := &rangeSwitch{}
	seen := map[int64]bool{}
	for _, w := range whens {
		if !rs.collect(w.Cond, seen) {
			return nil
		}
	}
	if rs.on == nil || len(seen) > maxRangeBounds {
		return nil
	}
	for b := range seen {
		rs.bounds = append(rs.bounds, b)
	}
	slices.Sort(rs.bounds)
	k := len(rs.bounds)
	rs.arms = make([]int16, 2*k+1)
	for c := range rs.arms {
		rs.arms[c] = -1
		v, ok := rs.member(c)
		if !ok {
			continue // an empty cell: no integer lies between two neighbours
		}
		for a, w := range whens {
			if rangeHolds(w.Cond, v) {
				rs.arms[c] = int16(a)
				break
			}
		}
	}
	return rs
}

// collect checks that cond is built of comparisons of rs.on with integer
// constants under AND, OR and NOT, and gathers the constants.
func (rs *rangeSwitch) collect(cond Expr, seen map[int64]bool) bool {
	switch x := cond.(type) {
	case *logicExpr:
		return rs.collect(x.l, seen) && rs.collect(x.r, seen)
	case *notExpr:
		return rs.collect(x.x, seen)
	case *compareExpr:
		on, k, _, ok := rangeCompare(x)
		if !ok {
			return false
		}
		if rs.on == nil {
			if canFail(on) || !pureInt(on) {
				return false
			}
			rs.on = on
		} else if !sameValue(rs.on, on) {
			return false
		}
		seen[k] = true
		return true
	}
	return false
}

// rangeCompare splits an integer comparison with a constant into
// `on op k`, the constant on the right.
func rangeCompare(c *compareExpr) (on Expr, k int64, op BinaryOp, ok bool) {
	if c.kind != physI32 && c.kind != physI64 {
		return nil, 0, 0, false
	}
	on, lit, op := c.l, c.r, c.op
	if _, isLit := IsLiteral(on); isLit {
		on, lit, op = lit, on, op.flip()
	}
	s, isLit := IsLiteral(lit)
	if !isLit || !s.IsValid() {
		return nil, 0, 0, false
	}
	if _, isLit := IsLiteral(on); isLit {
		return nil, 0, 0, false
	}
	switch v := s.(type) {
	case *scalar.Int32:
		k = int64(v.Value)
	case *scalar.Int64:
		k = v.Value
	default:
		return nil, 0, 0, false
	}
	return on, k, op, true
}

// rangeHolds evaluates cond for a non-NULL value v of the expression.
func rangeHolds(cond Expr, v int64) bool {
	switch x := cond.(type) {
	case *logicExpr:
		l, r := rangeHolds(x.l, v), rangeHolds(x.r, v)
		if x.op == And {
			return l && r
		}
		return l || r
	case *notExpr:
		return !rangeHolds(x.x, v)
	case *compareExpr:
		_, k, op, _ := rangeCompare(x)
		c := 0
		if v < k {
			c = -1
		} else if v > k {
			c = 1
		}
		return cmpResult(op, c)
	}
	panic("expr: range switch over " + cond.String())
}

// member returns an integer of cell c, if it has one.
func (rs *rangeSwitch) member(c int) (int64, bool) {
	j := c / 2
	if c%2 == 1 {
		return rs.bounds[j], true
	}
	switch {
	case j == 0:
		return rs.bounds[0] - 1, rs.bounds[0] > math.MinInt64
	case j == len(rs.bounds):
		last := rs.bounds[j-1]
		return last + 1, last < math.MaxInt64
	}
	return rs.bounds[j-1] + 1, rs.bounds[j-1]+1 < rs.bounds[j]
}

// cell returns the cell of v.
func (rs *rangeSwitch) cell(v int64) int {
	b := rs.bounds
	j := 0 // bounds below v
	if len(b) <= 8 {
		for _, x := range b {
			if x < v {
				j++
			}
		}
	} else {
		lo, hi := 0, len(b)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if b[m] < v {
				lo = m + 1
			} else {
				hi = m
			}
		}
		j = lo
	}
	if j < len(b) && b[j] == v {
		return 2*j + 1
	}
	return 2 * j
}

// assign evaluates the expression once and sets assign[i] to the arm of
// row i's cell; it returns the rows no arm takes (NULL values included).
func (rs *rangeSwitch) assign(ctx *Context, batch arrow.Record, assign []int16) ([]int32, error) {
	x, err := evalArray(ctx, rs.on, batch)
	if err != nil {
		return nil, err
	}
	defer x.Release()
	valid := validOf(x)
	cells := make([]int32, len(assign))
	if physOf(x.DataType()) == physI32 {
		for i, v := range arrowbuf.Values[int32](x)[:len(assign)] {
			cells[i] = int32(rs.cell(int64(v)))
		}
	} else {
		for i, v := range arrowbuf.Values[int64](x)[:len(assign)] {
			cells[i] = int32(rs.cell(v))
		}
	}
	remaining := make([]int32, 0, len(assign))
	for i, c := range cells {
		a := rs.arms[c]
		if a < 0 || !valid.isSet(i) {
			remaining = append(remaining, int32(i))
			continue
		}
		assign[i] = a
	}
	return remaining, nil
}

// pureInt reports whether e is an INT or BIGINT expression made of
// columns, constants, casts, EXTRACT and arithmetic only: it computes the
// same value each time it is evaluated on a row, so evaluating it once
// for all the arms changes nothing.
func pureInt(e Expr) bool {
	if k := physOf(e.DataType()); k != physI32 && k != physI64 {
		return false
	}
	return pure(e)
}

func pure(e Expr) bool {
	switch x := e.(type) {
	case *column, *literal:
		return true
	case *castExpr:
		return pure(x.x)
	case *extractExpr:
		return pure(x.x)
	case *arithExpr:
		return pure(x.l) && pure(x.r)
	}
	return false
}

// sameValue reports whether two pure expressions compute the same thing:
// the same columns, constants, casts, EXTRACTs and operators.
func sameValue(a, b Expr) bool {
	if !arrow.TypeEqual(a.DataType(), b.DataType()) {
		return false
	}
	switch x := a.(type) {
	case *column:
		y, ok := b.(*column)
		return ok && x.index == y.index
	case *literal:
		y, ok := b.(*literal)
		return ok && scalar.Equals(x.s, y.s)
	case *castExpr:
		y, ok := b.(*castExpr)
		return ok && x.try == y.try && sameValue(x.x, y.x)
	case *extractExpr:
		y, ok := b.(*extractExpr)
		return ok && x.unit == y.unit && sameValue(x.x, y.x)
	case *arithExpr:
		y, ok := b.(*arithExpr)
		return ok && x.op == y.op && sameValue(x.l, y.l) && sameValue(x.r, y.r)
	}
	return false
}
