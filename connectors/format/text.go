package format

import (
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow/decimal128"

	"github.com/weirsql/weir/sqltypes"
)

// appendText decodes the text of one value into c. quoted says the text
// came from a JSON string or a quoted CSV field, which only changes how an
// error quotes it. It returns "" or what is wrong with the value.
func (c *column) appendText(s []byte, quoted bool) string {
	switch c.kind {
	case kString:
		if !utf8.Valid(s) {
			c.valid = append(c.valid, 1)
			c.str = appendValidUTF8(c.str, s)
			c.offs = append(c.offs, int32(len(c.str)))
			return ""
		}
		c.appendString(s)
		return ""
	case kInt64:
		v, ok, inRange := parseInt(trimSpace(s), 64)
		if !ok || !inRange {
			return c.badValue(s, quoted, !ok)
		}
		c.appendInt64(v)
	case kInt32:
		v, ok, inRange := parseInt(trimSpace(s), 32)
		if !ok || !inRange {
			return c.badValue(s, quoted, !ok)
		}
		c.appendInt32(int32(v))
	case kFloat64:
		f, err := strconv.ParseFloat(unsafeString(trimSpace(s)), 64)
		if err != nil && !isRangeErr(err) {
			return c.badValue(s, quoted, true)
		}
		c.valid = append(c.valid, 1)
		c.f64 = append(c.f64, f)
	case kFloat32:
		f, err := strconv.ParseFloat(unsafeString(trimSpace(s)), 32)
		if err != nil && !isRangeErr(err) {
			return c.badValue(s, quoted, true)
		}
		c.valid = append(c.valid, 1)
		c.f32 = append(c.f32, float32(f))
	case kDecimal:
		v, ok, fits := parseDecimal(trimSpace(s), c.prec, c.scale)
		if !ok || !fits {
			return c.badValue(s, quoted, !ok)
		}
		c.valid = append(c.valid, 1)
		c.dec = append(c.dec, v)
	case kBool:
		v, ok := parseBool(trimSpace(s))
		if !ok {
			return c.badValue(s, quoted, true)
		}
		c.appendBool(v)
	case kTimestamp:
		ms, ok := c.parseTimestamp(s)
		if !ok {
			return c.badValue(s, quoted, true)
		}
		c.appendInt64(ms)
	case kDate:
		d, err := sqltypes.ParseDate(unsafeString(s))
		if err != nil {
			return c.badValue(s, quoted, true)
		}
		c.appendInt32(d)
	case kInterval:
		ms, ok := sqltypes.ParseInterval(unsafeString(trimSpace(s)))
		if !ok {
			return c.badValue(s, quoted, true)
		}
		c.appendInt64(ms)
	}
	return ""
}

// badValue is the message for a value that does not fit c: a syntax error
// or, when !syntax, a value out of the column's range.
func (c *column) badValue(s []byte, quoted, syntax bool) string {
	if syntax {
		return quoteValue(s, quoted) + " is not " + article(c.typeName())
	}
	if c.kind == kDecimal {
		return quoteValue(s, quoted) + " does not fit " + c.typeName()
	}
	return quoteValue(s, quoted) + " is out of range for " + c.typeName()
}

// article prefixes a type name with "a" or "an".
func article(name string) string {
	switch name[0] {
	case 'A', 'E', 'I', 'O', 'U':
		return "an " + name
	}
	return "a " + name
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// unsafeString views b as a string without copying. Only for arguments of
// calls that do not keep the string.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func trimSpace(s []byte) []byte {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// appendValidUTF8 appends s with each invalid UTF-8 byte replaced by U+FFFD.
func appendValidUTF8(dst, s []byte) []byte {
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, s[:size]...)
		}
		s = s[size:]
	}
	return dst
}

// parseInt reads an optionally signed decimal integer. ok is false for bad
// syntax; inRange is false when it overflows bits.
func parseInt(s []byte, bits int) (v int64, ok, inRange bool) {
	if len(s) == 0 {
		return 0, false, false
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, false, false
	}
	var u uint64
	inRange = true
	for _, c := range s {
		d := c - '0'
		if d > 9 {
			return 0, false, false
		}
		if u > (math.MaxUint64-9)/10 {
			inRange = false
			continue
		}
		u = u*10 + uint64(d)
	}
	limit := uint64(1) << (bits - 1)
	if !inRange || (!neg && u >= limit) || (neg && u > limit) {
		return 0, true, false
	}
	if neg {
		return -int64(u), true, true
	}
	return int64(u), true, true
}

// parseBool reads true/false, t/f or 1/0, in any case.
func parseBool(s []byte) (bool, bool) {
	switch len(s) {
	case 1:
		switch s[0] {
		case '1', 't', 'T':
			return true, true
		case '0', 'f', 'F':
			return false, true
		}
	case 4:
		if (s[0]|0x20) == 't' && (s[1]|0x20) == 'r' && (s[2]|0x20) == 'u' && (s[3]|0x20) == 'e' {
			return true, true
		}
	case 5:
		if (s[0]|0x20) == 'f' && (s[1]|0x20) == 'a' && (s[2]|0x20) == 'l' && (s[3]|0x20) == 's' && (s[4]|0x20) == 'e' {
			return false, true
		}
	}
	return false, false
}

// parseDecimal reads a decimal number (digits, an optional fraction and
// exponent) at the given scale, rounding half away from zero. ok is false
// for bad syntax, fits is false when the value needs more than prec digits.
func parseDecimal(s []byte, prec, scale int32) (n decimal128.Num, ok, fits bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	// Locate the digits: s[intStart:intEnd] and s[fracStart:fracEnd].
	intStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intEnd := i
	fracStart, fracEnd := i, i
	if i < len(s) && s[i] == '.' {
		i++
		fracStart = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		fracEnd = i
	}
	if intEnd == intStart && fracEnd == fracStart {
		return n, false, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return n, false, false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if exp < 100000 {
				exp = exp*10 + int(s[i]-'0')
			}
			i++
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return n, false, false
	}
	// value = digits * 10^(exp - fracLen); we want value * 10^scale.
	nd := (intEnd - intStart) + (fracEnd - fracStart)
	digit := func(k int) byte { // k-th digit of the concatenated digit string
		if k < intEnd-intStart {
			return s[intStart+k] - '0'
		}
		return s[fracStart+k-(intEnd-intStart)] - '0'
	}
	k := exp - (fracEnd - fracStart) + int(scale)
	keep := nd
	roundUp := false
	if k < 0 {
		keep = nd + k
		if keep >= 0 && keep < nd {
			roundUp = digit(keep) >= 5
		}
		if keep < 0 {
			keep = 0
		}
		k = 0
	}
	// Skip leading zeros so the digit count bounds the magnitude.
	first := 0
	for first < keep && digit(first) == 0 {
		first++
	}
	if first == keep {
		k = 0 // zero, whatever the exponent
	}
	if keep-first+k > 38 {
		return n, true, false
	}
	var lo uint64
	j := first
	for ; j < keep && j-first < 18; j++ {
		lo = lo*10 + uint64(digit(j))
	}
	n = decimal128.FromU64(lo)
	ten := decimal128.FromU64(10)
	for ; j < keep; j++ {
		n = n.Mul(ten).Add(decimal128.FromU64(uint64(digit(j))))
	}
	if k > 0 {
		n = n.Mul(decimal128.GetScaleMultiplier(k))
	}
	if roundUp {
		n = n.Add(decimal128.FromU64(1))
	}
	if !n.FitsInPrecision(prec) {
		return n, true, false
	}
	if neg {
		n = n.Negate()
	}
	return n, true, true
}

// parseTimestamp is sqltypes.ParseTimestamp with a memo of the last
// second seen: "YYYY-MM-DD HH:MM:SS[.fff]" values of one stream mostly
// share their first 19 bytes with the value before, and for that form
// ParseTimestamp(second + ".fff") is ParseTimestamp(second) + fff.
func (c *column) parseTimestamp(s []byte) (int64, bool) {
	frac, fracOK := wallClockFraction(s)
	if fracOK && c.tsKnown && string(s[:19]) == string(c.tsSecond[:]) {
		return c.tsBase + frac, true
	}
	ms, err := sqltypes.ParseTimestamp(unsafeString(s))
	if err != nil {
		return 0, false
	}
	if fracOK {
		copy(c.tsSecond[:], s[:19])
		c.tsBase, c.tsKnown = ms-frac, true
	}
	return ms, true
}

// wallClockFraction reports whether s has the shape
// "dddd-dd-dd[ T]dd:dd:dd[.d...]" and returns its milliseconds (digits
// past the third are truncated, as ParseTimestamp does).
func wallClockFraction(s []byte) (int64, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return 0, false
	}
	if len(s) == 19 {
		return 0, true
	}
	if s[19] != '.' || len(s) == 20 {
		return 0, false
	}
	var ms int64
	for i, ch := range s[20:] {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		if i < 3 {
			ms = ms*10 + int64(ch-'0')
		}
	}
	for n := len(s) - 20; n < 3; n++ {
		ms *= 10
	}
	return ms, true
}
