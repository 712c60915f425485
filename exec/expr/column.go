package expr

// Leaves of the expression tree (columns and literals) and the tree walks
// that the other nodes share: constant folding, column usage and whether a
// subtree may fail on some row.

import (
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/sqltypes"
)

// node is implemented by every expression of this package. It lets the
// package walk trees without knowing each node type.
type node interface {
	// children returns the direct subexpressions.
	children() []Expr
	// fallible reports whether evaluating this node itself (not counting its
	// children) can fail on some row, as division by zero or a cast can.
	fallible() bool
}

// canFail reports whether evaluating e can fail on some row. CASE uses it to
// evaluate error-free branches over the whole batch and the others only on
// the rows that select them.
func canFail(e Expr) bool {
	n, ok := e.(node)
	if !ok || n.fallible() {
		return true
	}
	for _, c := range n.children() {
		if canFail(c) {
			return true
		}
	}
	return false
}

// isCostly reports whether e calls a costly function (a regular
// expression): evaluating it on rows that do not need it costs more than
// selecting the rows that do, so CASE evaluates such a branch only on the
// rows that take it, and AND and OR evaluate such a side only where the
// other side does not decide.
func isCostly(e Expr) bool {
	if f, ok := e.(*funcExpr); ok && f.costly {
		return true
	}
	n, ok := e.(node)
	if !ok {
		return false
	}
	for _, c := range n.children() {
		if isCostly(c) {
			return true
		}
	}
	return false
}

// markColumns sets used[i] for every column index e reads. It returns false
// when it meets a node it cannot see into (all columns must be assumed).
func markColumns(e Expr, used []bool) bool {
	if c, ok := e.(*column); ok {
		if c.index >= 0 && c.index < len(used) {
			used[c.index] = true
		}
		return true
	}
	n, ok := e.(node)
	if !ok {
		return false
	}
	for _, c := range n.children() {
		if !markColumns(c, used) {
			return false
		}
	}
	return true
}

// foldConstant evaluates e once when all of its children are literals and
// returns the result as a literal. A node without children is left alone
// (CURRENT_TIMESTAMP depends on the context), and so is a node whose
// evaluation fails: the error must surface only if a row needs the value.
func foldConstant(e Expr) Expr {
	n, ok := e.(node)
	if !ok {
		return e
	}
	kids := n.children()
	if len(kids) == 0 {
		return e
	}
	for _, c := range kids {
		if _, ok := IsLiteral(c); !ok {
			return e
		}
	}
	ctx := &Context{Mem: memory.DefaultAllocator}
	batch := array.NewRecord(arrow.NewSchema(nil, nil), nil, 1)
	defer batch.Release()
	arr, err := e.Eval(ctx, batch)
	if err != nil {
		return e
	}
	defer arr.Release()
	return &literal{s: scalarAt(arr, 0)}
}

// scalarAt returns row i of arr as a scalar that does not share arr's
// memory.
func scalarAt(arr arrow.Array, i int) scalar.Scalar {
	if arr.IsNull(i) || arr.DataType().ID() == arrow.NULL {
		return scalar.MakeNullScalar(arr.DataType())
	}
	if s, ok := arr.(*array.String); ok {
		return scalar.NewStringScalar(strings.Clone(s.Value(i)))
	}
	s, err := scalar.GetScalar(arr, i)
	if err != nil {
		panic(err)
	}
	return s
}

// ---------------------------------------------------------------------------
// Columns

type column struct {
	index int
	name  string
	typ   arrow.DataType
}

var _ Expr = (*column)(nil)

// NewColumn returns the expression that reads column index of the batch.
// String renders name.
func NewColumn(index int, name string, typ arrow.DataType) Expr {
	return &column{index: index, name: name, typ: typ}
}

func (c *column) DataType() arrow.DataType { return c.typ }
func (c *column) children() []Expr         { return nil }
func (c *column) fallible() bool           { return false }

func (c *column) String() string {
	if c.name == "" {
		return "$" + strconv.Itoa(c.index)
	}
	return c.name
}

func (c *column) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	if c.index < 0 || c.index >= int(batch.NumCols()) {
		return nil, Errorf("column %s (#%d) is not in the batch of %d columns", c, c.index, batch.NumCols())
	}
	a := batch.Column(c.index)
	if !arrow.TypeEqual(a.DataType(), c.typ) {
		if c.typ.ID() == arrow.NULL {
			return nullArray(ctx.Mem, c.typ, a.Len()), nil
		}
		return nil, Errorf("column %s is %s in the batch, expected %s", c, sqltypes.Name(a.DataType()), sqltypes.Name(c.typ))
	}
	a.Retain()
	return a, nil
}

// ---------------------------------------------------------------------------
// Literals

type literal struct {
	s scalar.Scalar
}

var _ Expr = (*literal)(nil)

// NewLiteral returns a constant. A NULL of type t is
// NewLiteral(scalar.MakeNullScalar(t)). Operators use a literal operand as a
// constant in their loops; an array of it is built only when a literal is
// evaluated on its own.
func NewLiteral(s scalar.Scalar) Expr { return &literal{s: s} }

// IsLiteral returns the value of a literal expression.
func IsLiteral(e Expr) (scalar.Scalar, bool) {
	if l, ok := e.(*literal); ok {
		return l.s, true
	}
	return nil, false
}

func (l *literal) DataType() arrow.DataType { return l.s.DataType() }
func (l *literal) children() []Expr         { return nil }
func (l *literal) fallible() bool           { return false }

func (l *literal) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	n := int(batch.NumRows())
	if !l.s.IsValid() {
		return nullArray(ctx.Mem, l.s.DataType(), n), nil
	}
	return scalar.MakeArrayFromScalar(l.s, n, ctx.Mem)
}

// String renders the literal as SQL text, one of
//
//	NULL  TRUE  42  1.5  12.50  'it''s'  TIMESTAMP '2024-01-01 00:00:00'
//	DATE '2024-01-01'  INTERVAL '4' SECOND
func (l *literal) String() string { return literalSQL(l.s) }

func literalSQL(s scalar.Scalar) string {
	if !s.IsValid() {
		return "NULL"
	}
	switch v := s.(type) {
	case *scalar.Boolean:
		if v.Value {
			return "TRUE"
		}
		return "FALSE"
	case *scalar.Int32:
		return strconv.FormatInt(int64(v.Value), 10)
	case *scalar.Int64:
		return strconv.FormatInt(v.Value, 10)
	case *scalar.Float32:
		return floatSQL(float64(v.Value), 32)
	case *scalar.Float64:
		return floatSQL(v.Value, 64)
	case *scalar.Decimal128:
		return string(appendDecimal(nil, v.Value, v.Type.(*arrow.Decimal128Type).Scale))
	case *scalar.String:
		return quoteSQL(string(v.Data()))
	case *scalar.Timestamp:
		return "TIMESTAMP " + quoteSQL(sqltypes.FormatTimestamp(int64(v.Value)))
	case *scalar.Date32:
		return "DATE " + quoteSQL(string(sqltypes.AppendDate(nil, int32(v.Value))))
	case *scalar.Duration:
		return intervalSQL(int64(v.Value))
	}
	return s.String()
}

func floatSQL(f float64, bits int) string {
	b := sqltypes.AppendFloat(nil, f, bits)
	if strings.IndexFunc(string(b), func(r rune) bool { return r < '0' || r > '9' }) < 0 ||
		(b[0] == '-' && strings.IndexFunc(string(b[1:]), func(r rune) bool { return r < '0' || r > '9' }) < 0) {
		b = append(b, ".0"...)
	}
	return string(b)
}

// quoteSQL quotes s as a SQL string literal.
func quoteSQL(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// intervalSQL renders milliseconds as an INTERVAL literal in the largest
// unit that divides them.
func intervalSQL(ms int64) string {
	units := []struct {
		ms   int64
		name string
	}{{86_400_000, "DAY"}, {3_600_000, "HOUR"}, {60_000, "MINUTE"}, {1000, "SECOND"}}
	for _, u := range units {
		if ms%u.ms == 0 {
			return "INTERVAL '" + strconv.FormatInt(ms/u.ms, 10) + "' " + u.name
		}
	}
	return "INTERVAL '" + string(appendDecimal(nil, decimal128.FromI64(ms), 3)) + "' SECOND"
}
