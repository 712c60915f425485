package expr

// EXTRACT(unit FROM x) and the calendar arithmetic it shares with the time
// functions. Timestamps are UTC epoch milliseconds; calendar fields come
// from integer arithmetic on days (no time.Time per row).

import (
	"fmt"
	"github.com/weirsql/weir/internal/arrowbuf"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/weirsql/weir/sqltypes"
)

// civilFromDays converts days since 1970-01-01 to a proleptic Gregorian
// date (Howard Hinnant's algorithm).
func civilFromDays(z int64) (y int64, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// daysFromCivil converts a date to days since 1970-01-01.
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// splitMs splits epoch milliseconds into days and milliseconds of the day.
func splitMs(ms int64) (days, inDay int64) {
	days = floorDiv(ms, msPerDay)
	return days, ms - days*msPerDay
}

// extractor computes a field from epoch milliseconds (or an interval's).
type extractor func(ms int64) int64

var timestampFields = map[string]extractor{
	"YEAR": func(ms int64) int64 {
		d, _ := splitMs(ms)
		y, _, _ := civilFromDays(d)
		return y
	},
	"QUARTER": func(ms int64) int64 {
		d, _ := splitMs(ms)
		_, m, _ := civilFromDays(d)
		return int64((m-1)/3 + 1)
	},
	"MONTH": func(ms int64) int64 {
		d, _ := splitMs(ms)
		_, m, _ := civilFromDays(d)
		return int64(m)
	},
	"WEEK": func(ms int64) int64 {
		_, w := time.UnixMilli(ms).UTC().ISOWeek()
		return int64(w)
	},
	"DAY": func(ms int64) int64 {
		d, _ := splitMs(ms)
		_, _, day := civilFromDays(d)
		return int64(day)
	},
	"DOW": func(ms int64) int64 { // Sunday = 1 … Saturday = 7
		d, _ := splitMs(ms)
		return floorMod(d+4, 7) + 1
	},
	"ISODOW": func(ms int64) int64 { // Monday = 1 … Sunday = 7
		d, _ := splitMs(ms)
		return floorMod(d+3, 7) + 1
	},
	"DOY": func(ms int64) int64 {
		d, _ := splitMs(ms)
		y, _, _ := civilFromDays(d)
		return d - daysFromCivil(y, 1, 1) + 1
	},
	"EPOCH":       func(ms int64) int64 { return floorDiv(ms, 1000) },
	"HOUR":        func(ms int64) int64 { _, t := splitMs(ms); return t / 3_600_000 },
	"MINUTE":      func(ms int64) int64 { _, t := splitMs(ms); return t / 60_000 % 60 },
	"SECOND":      func(ms int64) int64 { _, t := splitMs(ms); return t / 1000 % 60 },
	"MILLISECOND": func(ms int64) int64 { _, t := splitMs(ms); return t % 60_000 },
}

var dateFields = []string{"YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "DOW", "ISODOW", "DOY", "EPOCH"}

// Interval fields truncate toward zero, so a negative interval has
// negative fields.
var intervalFields = map[string]extractor{
	"DAY":         func(ms int64) int64 { return ms / msPerDay },
	"HOUR":        func(ms int64) int64 { return ms / 3_600_000 % 24 },
	"MINUTE":      func(ms int64) int64 { return ms / 60_000 % 60 },
	"SECOND":      func(ms int64) int64 { return ms / 1000 % 60 },
	"MILLISECOND": func(ms int64) int64 { return ms % 60_000 },
	"EPOCH":       func(ms int64) int64 { return ms / 1000 },
}

var unitAliases = map[string]string{
	"YEARS": "YEAR", "MONTHS": "MONTH", "DAYS": "DAY", "DAYOFMONTH": "DAY", "HOURS": "HOUR",
	"MINUTES": "MINUTE", "SECONDS": "SECOND", "MILLISECONDS": "MILLISECOND", "WEEKS": "WEEK",
	"DAYOFWEEK": "DOW", "DAYOFYEAR": "DOY", "QUARTERS": "QUARTER",
}

type extractExpr struct {
	unit     string
	x        Expr
	f        extractor
	fromDate bool
}

var _ Expr = (*extractExpr)(nil)

// NewExtract returns EXTRACT(unit FROM x) as a BIGINT. On TIMESTAMP: YEAR,
// QUARTER, MONTH, WEEK (ISO 8601), DAY, HOUR, MINUTE, SECOND, MILLISECOND
// (seconds × 1000 plus milliseconds, as Calcite and PostgreSQL count), DOW
// (Sunday = 1 … Saturday = 7, as Flink), ISODOW (Monday = 1), DOY and EPOCH
// (seconds since 1970-01-01). On DATE the date units. On INTERVAL: DAY,
// HOUR, MINUTE, SECOND, MILLISECOND and EPOCH.
func NewExtract(unit string, x Expr) (Expr, error) {
	unit = strings.ToUpper(unit)
	if a, ok := unitAliases[unit]; ok {
		unit = a
	}
	t := x.DataType()
	e := &extractExpr{unit: unit, x: x}
	var ok bool
	switch t.ID() {
	case arrow.TIMESTAMP:
		e.f, ok = timestampFields[unit]
	case arrow.DATE32:
		for _, u := range dateFields {
			if u == unit {
				e.f, ok, e.fromDate = timestampFields[unit], true, true
			}
		}
	case arrow.DURATION:
		e.f, ok = intervalFields[unit]
	case arrow.NULL:
		return NewLiteral(scalar.MakeNullScalar(sqltypes.BigInt)), nil
	default:
		return nil, fmt.Errorf("cannot EXTRACT from %s", sqltypes.Name(t))
	}
	if !ok {
		return nil, fmt.Errorf("cannot EXTRACT %s from %s", unit, sqltypes.Name(t))
	}
	return foldConstant(e), nil
}

func (e *extractExpr) DataType() arrow.DataType { return sqltypes.BigInt }
func (e *extractExpr) children() []Expr         { return []Expr{e.x} }
func (e *extractExpr) fallible() bool           { return false }
func (e *extractExpr) String() string           { return "EXTRACT(" + e.unit + " FROM " + e.x.String() + ")" }

func (e *extractExpr) Eval(ctx *Context, batch arrow.Record) (arrow.Array, error) {
	x, err := e.x.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer x.Release()
	n := x.Len()
	buf, out := arrowbuf.AllocValues[int64](ctx.Mem, n)
	f := e.f
	if e.fromDate {
		for i, d := range arrowbuf.Values[int32](x) {
			out[i] = f(int64(d) * msPerDay)
		}
	} else {
		for i, ms := range arrowbuf.Values[int64](x) {
			out[i] = f(ms)
		}
	}
	return newArray(sqltypes.BigInt, n, shareValidity(ctx.Mem, x), buf), nil
}
