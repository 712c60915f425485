package planner

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/weirsql/weir/parser"
	"github.com/weirsql/weir/sqltypes"
)

// typeFromAST maps a written SQL type onto its Arrow type. TINYINT and
// SMALLINT widen to INT; every TIMESTAMP precision is stored as milliseconds;
// TIMESTAMP WITH LOCAL TIME ZONE is treated as UTC TIMESTAMP.
func typeFromAST(t *parser.TypeName) (arrow.DataType, error) {
	switch t.Name {
	case "BOOLEAN", "BOOL":
		return sqltypes.Boolean, nil
	case "TINYINT", "SMALLINT", "INT", "INTEGER":
		return sqltypes.Int, nil
	case "BIGINT":
		return sqltypes.BigInt, nil
	case "FLOAT", "REAL":
		return sqltypes.Float, nil
	case "DOUBLE", "DOUBLE PRECISION":
		return sqltypes.Double, nil
	case "DECIMAL", "NUMERIC", "DEC":
		p, s := int32(10), int32(0)
		if len(t.Params) > 0 {
			p = int32(t.Params[0])
		}
		if len(t.Params) > 1 {
			s = int32(t.Params[1])
		}
		if p < 1 || p > 38 || s < 0 || s > p {
			return nil, errorf(ErrType, t.Pos, "DECIMAL(%d, %d) is out of range: precision must be 1 to 38 and scale 0 to precision", p, s)
		}
		return sqltypes.Decimal(p, s), nil
	case "VARCHAR", "STRING", "TEXT", "CHAR", "CHARACTER", "CHARACTER VARYING":
		return sqltypes.Varchar, nil
	case "TIMESTAMP", "TIMESTAMP_LTZ", "TIMESTAMP WITH LOCAL TIME ZONE", "TIMESTAMP WITHOUT TIME ZONE":
		return sqltypes.Timestamp, nil
	case "DATE":
		return sqltypes.Date, nil
	case "INTERVAL":
		return sqltypes.Interval, nil
	}
	return nil, errorf(ErrType, t.Pos, "unknown type %s", t.Name).
		WithHint("types are BOOLEAN, INT, BIGINT, FLOAT, DOUBLE, DECIMAL(p,s), VARCHAR, TIMESTAMP(3), DATE and INTERVAL")
}

// numericRank orders the numeric types for widening: INT < BIGINT < DECIMAL
// < FLOAT < DOUBLE, as Flink widens them.
func numericRank(t arrow.DataType) int {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32:
		return 1
	case arrow.INT64:
		return 2
	case arrow.DECIMAL128:
		return 3
	case arrow.FLOAT32:
		return 4
	case arrow.FLOAT64:
		return 5
	}
	return 0
}

// decimalOf is the DECIMAL that holds every value of an integer or decimal type.
func decimalOf(t arrow.DataType) *arrow.Decimal128Type {
	switch t := t.(type) {
	case *arrow.Decimal128Type:
		return t
	case *arrow.Int64Type:
		return &arrow.Decimal128Type{Precision: 19, Scale: 0}
	default:
		return &arrow.Decimal128Type{Precision: 10, Scale: 0}
	}
}

// commonType is the type two operands are widened to before they meet in a
// comparison, an arithmetic operator, CASE, IN or COALESCE. ok is false when
// there is none.
func commonType(a, b arrow.DataType) (arrow.DataType, bool) {
	switch {
	case arrow.TypeEqual(a, b):
		return a, true
	case a.ID() == arrow.NULL:
		return b, true
	case b.ID() == arrow.NULL:
		return a, true
	}
	ra, rb := numericRank(a), numericRank(b)
	if ra > 0 && rb > 0 {
		if ra == 3 || rb == 3 {
			if ra <= 3 && rb <= 3 {
				da, db := decimalOf(a), decimalOf(b)
				scale := max(da.Scale, db.Scale)
				whole := max(da.Precision-da.Scale, db.Precision-db.Scale)
				return sqltypes.Decimal(min(38, whole+scale), scale), true
			}
			// a decimal meets a float: DOUBLE.
			return sqltypes.Double, true
		}
		if ra > rb {
			return a, true
		}
		return b, true
	}
	if (a.ID() == arrow.TIMESTAMP && b.ID() == arrow.DATE32) || (a.ID() == arrow.DATE32 && b.ID() == arrow.TIMESTAMP) {
		return sqltypes.Timestamp, true
	}
	return nil, false
}

func typeName(t arrow.DataType) string { return sqltypes.Name(t) }

func describeTypes(ts []arrow.DataType) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ", "
		}
		s += typeName(t)
	}
	return fmt.Sprintf("(%s)", s)
}

// formatInterval writes a day-time interval in milliseconds as SQL, in its
// largest whole unit: INTERVAL '4' SECOND.
func formatInterval(ms int64) string {
	units := []struct {
		name string
		ms   int64
	}{{"DAY", 86_400_000}, {"HOUR", 3_600_000}, {"MINUTE", 60_000}, {"SECOND", 1000}}
	for _, u := range units {
		if ms != 0 && ms%u.ms == 0 {
			return fmt.Sprintf("INTERVAL '%d' %s", ms/u.ms, u.name)
		}
	}
	return fmt.Sprintf("INTERVAL '%d' MILLISECOND", ms)
}

// WatermarkText renders a watermark definition as SQL: `ts - INTERVAL '4' SECOND`.
func WatermarkText(column string, delayMs int64) string {
	if delayMs == 0 {
		return column
	}
	return column + " - " + formatInterval(delayMs)
}
