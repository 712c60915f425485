package expr

// Type rules shared by the operators: physical layouts and the common type
// of two operands.

import (
	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/sqltypes"
)

// phys is the physical layout a kernel works on.
type phys int

const (
	physOther phys = iota
	physNull
	physBool
	physI32 // INT, DATE
	physI64 // BIGINT, TIMESTAMP, INTERVAL
	physF32
	physF64
	physDec // DECIMAL, as decimal128.Num
	physStr
)

func physOf(t arrow.DataType) phys {
	switch t.ID() {
	case arrow.NULL:
		return physNull
	case arrow.BOOL:
		return physBool
	case arrow.INT32, arrow.DATE32:
		return physI32
	case arrow.INT64, arrow.TIMESTAMP, arrow.DURATION:
		return physI64
	case arrow.FLOAT32:
		return physF32
	case arrow.FLOAT64:
		return physF64
	case arrow.DECIMAL128:
		return physDec
	case arrow.STRING:
		return physStr
	}
	return physOther
}

// isNullType reports whether t is the type of a bare NULL.
func isNullType(t arrow.DataType) bool { return t.ID() == arrow.NULL }

// decimalOf returns the DECIMAL an exact numeric type converts to without
// loss: INT → DECIMAL(10, 0), BIGINT → DECIMAL(19, 0).
func decimalOf(t arrow.DataType) (*arrow.Decimal128Type, bool) {
	switch t.ID() {
	case arrow.DECIMAL128:
		return t.(*arrow.Decimal128Type), true
	case arrow.INT8:
		return &arrow.Decimal128Type{Precision: 3}, true
	case arrow.INT16:
		return &arrow.Decimal128Type{Precision: 5}, true
	case arrow.INT32:
		return &arrow.Decimal128Type{Precision: 10}, true
	case arrow.INT64:
		return &arrow.Decimal128Type{Precision: 19}, true
	}
	return nil, false
}

// maxPrecision is the largest DECIMAL precision.
const maxPrecision = 38

func min32(a, b int32) int32 {
	if a < b {
		return a
	}
	return b
}

func max32(a, b int32) int32 {
	if a > b {
		return a
	}
	return b
}

// unionDecimal is the DECIMAL that holds the values of both a and b: the
// larger scale and the larger number of integer digits, capped at 38 digits.
func unionDecimal(a, b *arrow.Decimal128Type) *arrow.Decimal128Type {
	s := max32(a.Scale, b.Scale)
	ip := max32(a.Precision-a.Scale, b.Precision-b.Scale)
	return &arrow.Decimal128Type{Precision: min32(maxPrecision, ip+s), Scale: s}
}

// CommonType returns the type two values are coerced to when they meet in
// a comparison, IN, CASE, COALESCE or a set operation: the same type; the
// other type when one is NULL; for numbers the wider of
// INT < BIGINT < DECIMAL < FLOAT < DOUBLE (a DECIMAL with a FLOAT gives
// DOUBLE; integers enter decimals as DECIMAL(10, 0) and DECIMAL(19, 0));
// TIMESTAMP for DATE with TIMESTAMP. It reports false when there is none.
func CommonType(a, b arrow.DataType) (arrow.DataType, bool) {
	switch {
	case arrow.TypeEqual(a, b):
		return a, true
	case isNullType(a):
		return b, true
	case isNullType(b):
		return a, true
	case sqltypes.IsNumeric(a) && sqltypes.IsNumeric(b):
		return numericCommon(a, b), true
	case isDateOrTimestamp(a) && isDateOrTimestamp(b):
		return sqltypes.Timestamp, true
	case a.ID() == arrow.STRING && b.ID() == arrow.STRING:
		return sqltypes.Varchar, true
	}
	return nil, false
}

func isDateOrTimestamp(t arrow.DataType) bool {
	return t.ID() == arrow.DATE32 || t.ID() == arrow.TIMESTAMP
}

func numericCommon(a, b arrow.DataType) arrow.DataType {
	switch {
	case a.ID() == arrow.FLOAT64 || b.ID() == arrow.FLOAT64:
		return sqltypes.Double
	case a.ID() == arrow.FLOAT32 || b.ID() == arrow.FLOAT32:
		if a.ID() == arrow.DECIMAL128 || b.ID() == arrow.DECIMAL128 {
			return sqltypes.Double
		}
		return sqltypes.Float
	case a.ID() == arrow.DECIMAL128 || b.ID() == arrow.DECIMAL128:
		da, _ := decimalOf(a)
		db, _ := decimalOf(b)
		return unionDecimal(da, db)
	case a.ID() == arrow.INT64 || b.ID() == arrow.INT64:
		return sqltypes.BigInt
	}
	return sqltypes.Int
}

// coerce wraps e in a cast to t unless it already has type t.
func coerce(e Expr, t arrow.DataType) (Expr, error) {
	if arrow.TypeEqual(e.DataType(), t) {
		return e, nil
	}
	return NewCast(e, t, false)
}
