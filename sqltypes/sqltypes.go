// Package sqltypes maps Weir's SQL types onto Arrow types and holds the one
// definition of how their values are written and read as text: output
// formats, casts and file decoders all go through here, so a TIMESTAMP prints
// the same way everywhere.
//
//	SQL type              Arrow type
//	BOOLEAN               Boolean
//	INT, INTEGER          Int32
//	BIGINT                Int64
//	FLOAT, REAL           Float32
//	DOUBLE                Float64
//	DECIMAL(p,s)          Decimal128(p,s)
//	VARCHAR, STRING, TEXT String
//	TIMESTAMP[(3)]        Timestamp(ms), no zone: UTC wall-clock time
//	DATE                  Date32
//	INTERVAL              Duration(ms) (day-time intervals)
package sqltypes

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
)

// The Arrow types of Weir's SQL types.
var (
	Boolean   arrow.DataType = arrow.FixedWidthTypes.Boolean
	Int       arrow.DataType = arrow.PrimitiveTypes.Int32
	BigInt    arrow.DataType = arrow.PrimitiveTypes.Int64
	Float     arrow.DataType = arrow.PrimitiveTypes.Float32
	Double    arrow.DataType = arrow.PrimitiveTypes.Float64
	Varchar   arrow.DataType = arrow.BinaryTypes.String
	Timestamp arrow.DataType = &arrow.TimestampType{Unit: arrow.Millisecond}
	Date      arrow.DataType = arrow.FixedWidthTypes.Date32
	Interval  arrow.DataType = arrow.FixedWidthTypes.Duration_ms
	Null      arrow.DataType = arrow.Null
)

// Decimal returns DECIMAL(p,s).
func Decimal(p, s int32) arrow.DataType { return &arrow.Decimal128Type{Precision: p, Scale: s} }

// Name is the SQL name of an Arrow type, as DESCRIBE and errors show it.
func Name(t arrow.DataType) string {
	switch t := t.(type) {
	case *arrow.BooleanType:
		return "BOOLEAN"
	case *arrow.Int8Type:
		return "TINYINT"
	case *arrow.Int16Type:
		return "SMALLINT"
	case *arrow.Int32Type:
		return "INT"
	case *arrow.Int64Type:
		return "BIGINT"
	case *arrow.Float32Type:
		return "FLOAT"
	case *arrow.Float64Type:
		return "DOUBLE"
	case *arrow.Decimal128Type:
		return fmt.Sprintf("DECIMAL(%d, %d)", t.Precision, t.Scale)
	case *arrow.StringType, *arrow.LargeStringType:
		return "VARCHAR"
	case *arrow.TimestampType:
		return "TIMESTAMP(3)"
	case *arrow.Date32Type:
		return "DATE"
	case *arrow.DurationType:
		return "INTERVAL"
	case *arrow.NullType:
		return "NULL"
	}
	return strings.ToUpper(t.String())
}

// IsNumeric reports whether t is an integer, floating or decimal type.
func IsNumeric(t arrow.DataType) bool {
	return IsInteger(t) || IsFloating(t) || t.ID() == arrow.DECIMAL128
}

// IsInteger reports whether t is a signed integer type.
func IsInteger(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return true
	}
	return false
}

// IsFloating reports whether t is FLOAT or DOUBLE.
func IsFloating(t arrow.DataType) bool {
	return t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64
}

// IsTemporal reports whether t is TIMESTAMP, DATE or INTERVAL.
func IsTemporal(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.TIMESTAMP, arrow.DATE32, arrow.DURATION:
		return true
	}
	return false
}

// ---------------------------------------------------------------------------
// Text forms

// AppendFloat appends the shortest text that reads back as the same value:
// plain digits for magnitudes in [1e-6, 1e21), exponent form outside, and
// NaN, Infinity, -Infinity. bitSize is 32 for FLOAT, 64 for DOUBLE.
func AppendFloat(b []byte, f float64, bitSize int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	if a := math.Abs(f); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.AppendFloat(b, f, 'f', -1, bitSize)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bitSize)
}

// AppendTimestamp appends epoch milliseconds as UTC "YYYY-MM-DD HH:MM:SS",
// with ".fff" only when the milliseconds are not zero.
func AppendTimestamp(b []byte, ms int64) []byte {
	t := time.UnixMilli(ms).UTC()
	b = t.AppendFormat(b, "2006-01-02 15:04:05")
	if frac := t.Nanosecond() / 1e6; frac != 0 {
		b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	}
	return b
}

// FormatTimestamp is AppendTimestamp to a string.
func FormatTimestamp(ms int64) string { return string(AppendTimestamp(nil, ms)) }

// AppendDate appends days since the epoch as "YYYY-MM-DD".
func AppendDate(b []byte, days int32) []byte {
	return time.Unix(int64(days)*86400, 0).UTC().AppendFormat(b, "2006-01-02")
}

// AppendInterval appends a day-time interval in milliseconds as
// "[-][D days ]HH:MM:SS[.fff]", the form PostgreSQL prints.
func AppendInterval(b []byte, ms int64) []byte {
	if ms < 0 {
		b = append(b, '-')
		ms = -ms
	}
	days := ms / 86_400_000
	ms %= 86_400_000
	if days == 1 {
		b = append(b, "1 day "...)
	} else if days != 0 {
		b = strconv.AppendInt(b, days, 10)
		b = append(b, " days "...)
	}
	h, m, s, f := ms/3_600_000, ms/60_000%60, ms/1000%60, ms%1000
	b = append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10))
	if f != 0 {
		b = append(b, '.', byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
	}
	return b
}

// ErrTimestampSyntax is returned (wrapped) for text that is no timestamp.
var ErrTimestampSyntax = fmt.Errorf("not a timestamp (use 'YYYY-MM-DD HH:MM:SS[.fff]', RFC 3339 or epoch milliseconds)")

// ParseTimestamp reads a TIMESTAMP from text: "YYYY-MM-DD HH:MM:SS[.f...]",
// the same with a 'T' separator, RFC 3339 with a zone (converted to UTC),
// "YYYY-MM-DD" (midnight), or an integer of epoch milliseconds.
// Fractions finer than milliseconds are truncated.
func ParseTimestamp(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrTimestampSyntax
	}
	if allDigits(s) {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
	}
	if ms, ok := parseWallClock(s); ok {
		return ms, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UnixMilli(), nil
	}
	return 0, ErrTimestampSyntax
}

// parseWallClock parses "YYYY-MM-DD[( |T)HH:MM[:SS[.f...]]][Z]" without
// allocating.
func parseWallClock(s string) (int64, bool) {
	num := func(i, n int) (int, bool) {
		if i+n > len(s) {
			return 0, false
		}
		v := 0
		for j := i; j < i+n; j++ {
			c := s[j]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 2)
	d, ok3 := num(8, 2)
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return 0, false
	}
	var h, mi, sec, ms int
	i := 10
	if i < len(s) && (s[i] == ' ' || s[i] == 'T') {
		var ok bool
		if h, ok = num(i+1, 2); !ok || i+3 >= len(s) || s[i+3] != ':' {
			return 0, false
		}
		if mi, ok = num(i+4, 2); !ok {
			return 0, false
		}
		i += 6
		if i < len(s) && s[i] == ':' {
			if sec, ok = num(i+1, 2); !ok {
				return 0, false
			}
			i += 3
			if i < len(s) && s[i] == '.' {
				i++
				digits := 0
				for i < len(s) && s[i] >= '0' && s[i] <= '9' {
					if digits < 3 {
						ms = ms*10 + int(s[i]-'0')
					}
					digits++
					i++
				}
				if digits == 0 {
					return 0, false
				}
				for ; digits < 3; digits++ {
					ms *= 10
				}
			}
		}
		if h > 23 || mi > 59 || sec > 60 {
			return 0, false
		}
	}
	if i < len(s) && s[i] == 'Z' {
		i++
	}
	if i != len(s) {
		return 0, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ms*1e6, time.UTC)
	if t.Day() != d { // 2023-02-30 normalizes to March
		return 0, false
	}
	return t.UnixMilli(), true
}

// ParseDate reads "YYYY-MM-DD" as days since the epoch.
func ParseDate(s string) (int32, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a date (use 'YYYY-MM-DD')", s)
	}
	return int32(t.Unix() / 86400), nil
}

// allDigits reports whether s is an optionally signed run of decimal digits,
// so integer parsing is tried only where it can succeed (a failed
// strconv.ParseInt allocates its error).
func allDigits(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseInterval reads the text AppendInterval writes,
// "[-][D day[s] ]HH:MM:SS[.fff]", or an integer number of milliseconds.
func ParseInterval(s string) (int64, bool) {
	if allDigits(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	neg := false
	if s != "" && s[0] == '-' {
		neg, s = true, s[1:]
	}
	num := func() (int64, bool) {
		i := 0
		var v int64
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if v > math.MaxInt64/100 {
				return 0, false
			}
			v = v*10 + int64(s[i]-'0')
			i++
		}
		if i == 0 {
			return 0, false
		}
		s = s[i:]
		return v, true
	}
	expect := func(lit string) bool {
		if !strings.HasPrefix(s, lit) {
			return false
		}
		s = s[len(lit):]
		return true
	}
	first, ok := num()
	if !ok {
		return 0, false
	}
	var days, h int64
	if expect(" day") {
		days = first
		expect("s")
		if !expect(" ") {
			return 0, false
		}
		if h, ok = num(); !ok {
			return 0, false
		}
	} else {
		h = first
	}
	if !expect(":") {
		return 0, false
	}
	m, ok := num()
	if !ok || m > 59 || !expect(":") {
		return 0, false
	}
	sec, ok := num()
	if !ok || sec > 59 {
		return 0, false
	}
	var frac int64
	if expect(".") {
		digits := 0
		for s != "" && s[0] >= '0' && s[0] <= '9' {
			if digits < 3 {
				frac = frac*10 + int64(s[0]-'0')
			}
			digits++
			s = s[1:]
		}
		if digits == 0 {
			return 0, false
		}
		for ; digits < 3; digits++ {
			frac *= 10
		}
	}
	if s != "" || days > math.MaxInt64/86_400_000-1 || h > math.MaxInt64/3_600_000-1 {
		return 0, false
	}
	ms := days*86_400_000 + h*3_600_000 + m*60_000 + sec*1000 + frac
	if ms < 0 {
		return 0, false
	}
	if neg {
		ms = -ms
	}
	return ms, true
}
