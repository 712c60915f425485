package expr

// Java-style date and time patterns (as Flink's DATE_FORMAT and
// TO_TIMESTAMP take them), compiled once into a list of fields and
// literals. A direct formatter and parser avoid the pitfalls of mapping
// onto Go layouts, where literal text such as "1" or "Mon" would be read as
// a field.
//
//	yyyy year   yy two-digit year   MM month   MMM Jan   MMMM January
//	dd day      D day of year       HH hour 0-23   hh hour 1-12   a AM/PM
//	mm minute   ss second   S… fraction of second (SSS milliseconds)
//	E Mon       EEEE Monday         X Z   Z +0000   'text' literal text

import (
	"fmt"
	"strings"
)

type tfKind int

const (
	tfLit tfKind = iota
	tfYear
	tfMonth
	tfDay
	tfDayOfYear
	tfHour24
	tfHour12
	tfAmPm
	tfMinute
	tfSecond
	tfFraction
	tfDayName
	tfZoneZ // Z: +0000
	tfZoneX // X: Z or +HH:MM
	tfZoneName
)

type tfToken struct {
	kind  tfKind
	count int
	lit   string
}

// timeFormat is a compiled pattern.
type timeFormat struct {
	pattern string
	toks    []tfToken
}

var tfLetters = map[byte]tfKind{
	'y': tfYear, 'u': tfYear, 'M': tfMonth, 'L': tfMonth, 'd': tfDay, 'D': tfDayOfYear,
	'H': tfHour24, 'h': tfHour12, 'a': tfAmPm, 'm': tfMinute, 's': tfSecond,
	'S': tfFraction, 'E': tfDayName, 'Z': tfZoneZ, 'X': tfZoneX, 'z': tfZoneName,
}

// compileTimeFormat parses a Java-style pattern.
func compileTimeFormat(p string) (*timeFormat, error) {
	f := &timeFormat{pattern: p}
	addLit := func(s string) {
		if n := len(f.toks); n > 0 && f.toks[n-1].kind == tfLit {
			f.toks[n-1].lit += s
			return
		}
		f.toks = append(f.toks, tfToken{kind: tfLit, lit: s})
	}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			j := i + 1
			var lit strings.Builder
			for {
				if j >= len(p) {
					return nil, fmt.Errorf("unterminated quote in date format %s", quoteSQL(p))
				}
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit.WriteByte(p[j])
				j++
			}
			if j == i+1 {
				addLit("'") // '' is a quote
			} else {
				addLit(lit.String())
			}
			i = j + 1
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			k, ok := tfLetters[c]
			if !ok {
				return nil, fmt.Errorf("unsupported letter %q in date format %s", c, quoteSQL(p))
			}
			f.toks = append(f.toks, tfToken{kind: k, count: j - i})
			i = j
		default:
			addLit(string(c))
			i++
		}
	}
	return f, nil
}

var monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}
var dayNames = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

func appendPadded(b []byte, v int64, width int) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var tmp [20]byte
	i := len(tmp)
	for v >= 10 {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	tmp[i] = byte('0' + v)
	for k := len(tmp) - i; k < width; k++ {
		b = append(b, '0')
	}
	return append(b, tmp[i:]...)
}

// format appends epoch milliseconds (UTC) in the pattern.
func (f *timeFormat) format(b []byte, ms int64) []byte {
	days, inDay := splitMs(ms)
	y, mo, d := civilFromDays(days)
	h := inDay / 3_600_000
	for _, t := range f.toks {
		switch t.kind {
		case tfLit:
			b = append(b, t.lit...)
		case tfYear:
			if t.count == 2 {
				b = appendPadded(b, floorMod(y, 100), 2)
			} else {
				b = appendPadded(b, y, t.count)
			}
		case tfMonth:
			switch {
			case t.count >= 4:
				b = append(b, monthNames[mo-1]...)
			case t.count == 3:
				b = append(b, monthNames[mo-1][:3]...)
			default:
				b = appendPadded(b, int64(mo), t.count)
			}
		case tfDay:
			b = appendPadded(b, int64(d), t.count)
		case tfDayOfYear:
			b = appendPadded(b, days-daysFromCivil(y, 1, 1)+1, t.count)
		case tfHour24:
			b = appendPadded(b, h, t.count)
		case tfHour12:
			h12 := h % 12
			if h12 == 0 {
				h12 = 12
			}
			b = appendPadded(b, h12, t.count)
		case tfAmPm:
			if h < 12 {
				b = append(b, "AM"...)
			} else {
				b = append(b, "PM"...)
			}
		case tfMinute:
			b = appendPadded(b, inDay/60_000%60, t.count)
		case tfSecond:
			b = appendPadded(b, inDay/1000%60, t.count)
		case tfFraction:
			frac := appendPadded(nil, inDay%1000, 3)
			for k := 0; k < t.count; k++ {
				if k < 3 {
					b = append(b, frac[k])
				} else {
					b = append(b, '0')
				}
			}
		case tfDayName:
			name := dayNames[floorMod(days+4, 7)]
			if t.count < 4 {
				name = name[:3]
			}
			b = append(b, name...)
		case tfZoneZ:
			b = append(b, "+0000"...)
		case tfZoneX:
			b = append(b, 'Z')
		case tfZoneName:
			b = append(b, "UTC"...)
		}
	}
	return b
}

func isNumericTok(k tfKind) bool {
	switch k {
	case tfYear, tfMonth, tfDay, tfDayOfYear, tfHour24, tfHour12, tfMinute, tfSecond, tfFraction:
		return true
	}
	return false
}

// parse reads text in the pattern as UTC epoch milliseconds. Fields left
// out default to 1970-01-01 00:00:00.000. Surrounding spaces are ignored.
func (f *timeFormat) parse(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	y, mo, d := int64(1970), 1, 1
	doy := int64(-1)
	var h, mi, sec, ms int64
	pm, hasAmPm, h12 := false, false, false
	var zone int64 // offset in ms to subtract
	i := 0
	num := func(minD, maxD int) (int64, bool) {
		j := i
		var v int64
		for j < len(s) && j-i < maxD && s[j] >= '0' && s[j] <= '9' {
			v = v*10 + int64(s[j]-'0')
			j++
		}
		if j-i < minD {
			return 0, false
		}
		i = j
		return v, true
	}
	for k, t := range f.toks {
		adjacent := k+1 < len(f.toks) && isNumericTok(f.toks[k+1].kind)
		width := func(max int) (int, int) {
			if adjacent {
				return t.count, t.count
			}
			return 1, max
		}
		var ok bool
		switch t.kind {
		case tfLit:
			if !strings.HasPrefix(s[i:], t.lit) {
				return 0, false
			}
			i += len(t.lit)
			ok = true
		case tfYear:
			lo, hi := width(9)
			if t.count == 2 {
				lo, hi = 2, 2
			}
			y, ok = num(lo, hi)
			if ok && t.count == 2 {
				y += 2000
			}
		case tfMonth:
			if t.count >= 3 {
				ok = false
				for m, name := range monthNames {
					for _, cand := range []string{name, name[:3]} {
						if len(s)-i >= len(cand) && strings.EqualFold(s[i:i+len(cand)], cand) {
							mo, i, ok = m+1, i+len(cand), true
							break
						}
					}
					if ok {
						break
					}
				}
			} else {
				var v int64
				lo, hi := width(2)
				v, ok = num(lo, hi)
				mo = int(v)
			}
		case tfDay:
			var v int64
			lo, hi := width(2)
			v, ok = num(lo, hi)
			d = int(v)
		case tfDayOfYear:
			lo, hi := width(3)
			doy, ok = num(lo, hi)
		case tfHour24:
			lo, hi := width(2)
			h, ok = num(lo, hi)
		case tfHour12:
			lo, hi := width(2)
			h, ok = num(lo, hi)
			h12 = true
		case tfMinute:
			lo, hi := width(2)
			mi, ok = num(lo, hi)
		case tfSecond:
			lo, hi := width(2)
			sec, ok = num(lo, hi)
		case tfFraction:
			start := i
			lo, hi := width(9)
			var v int64
			v, ok = num(lo, hi)
			digits := i - start
			for ; digits > 3; digits-- {
				v /= 10
			}
			for ; digits < 3; digits++ {
				v *= 10
			}
			ms = v
		case tfAmPm:
			switch {
			case len(s)-i >= 2 && strings.EqualFold(s[i:i+2], "AM"):
				ok, hasAmPm = true, true
			case len(s)-i >= 2 && strings.EqualFold(s[i:i+2], "PM"):
				ok, hasAmPm, pm = true, true, true
			}
			i += 2
		case tfDayName:
			for _, name := range dayNames {
				for _, cand := range []string{name, name[:3]} {
					if !ok && len(s)-i >= len(cand) && strings.EqualFold(s[i:i+len(cand)], cand) {
						i, ok = i+len(cand), true
					}
				}
			}
		case tfZoneZ, tfZoneX, tfZoneName:
			zone, ok = parseZone(s, &i)
		}
		if !ok {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	if h12 || hasAmPm {
		if h12 && (h < 1 || h > 12) {
			return 0, false
		}
		h %= 12
		if pm {
			h += 12
		}
	}
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return 0, false
	}
	var days int64
	if doy >= 0 {
		if doy < 1 || doy > 366 {
			return 0, false
		}
		days = daysFromCivil(y, 1, 1) + doy - 1
	} else {
		days = daysFromCivil(y, mo, d)
		if _, _, dd := civilFromDays(days); dd != d { // Feb 30
			return 0, false
		}
	}
	return days*msPerDay + h*3_600_000 + mi*60_000 + sec*1000 + ms - zone, true
}

// parseZone reads Z, UTC, GMT or ±HH[:]MM at s[*i:] and returns the offset in
// milliseconds.
func parseZone(s string, i *int) (int64, bool) {
	rest := s[*i:]
	for _, z := range []string{"Z", "UTC", "GMT"} {
		if strings.HasPrefix(rest, z) {
			*i += len(z)
			return 0, true
		}
	}
	if len(rest) < 3 || (rest[0] != '+' && rest[0] != '-') {
		return 0, false
	}
	digit := func(c byte) (int64, bool) { return int64(c - '0'), c >= '0' && c <= '9' }
	h1, ok1 := digit(rest[1])
	h2, ok2 := digit(rest[2])
	if !ok1 || !ok2 {
		return 0, false
	}
	n := 3
	var m int64
	if len(rest) > n && rest[n] == ':' {
		n++
	}
	if len(rest) >= n+2 {
		m1, ok3 := digit(rest[n])
		m2, ok4 := digit(rest[n+1])
		if ok3 && ok4 {
			m = m1*10 + m2
			n += 2
		} else if rest[n-1] == ':' {
			return 0, false
		}
	}
	off := ((h1*10+h2)*60 + m) * 60_000
	if rest[0] == '-' {
		off = -off
	}
	*i += n
	return off, true
}

// timeFormats caches compiled patterns for per-row formats within one
// evaluation.
type timeFormats map[string]*timeFormat

func (c timeFormats) get(p string) (*timeFormat, error) {
	if f, ok := c[p]; ok {
		return f, nil
	}
	f, err := compileTimeFormat(p)
	if err != nil {
		return nil, Errorf("%s", err)
	}
	if len(c) >= 64 {
		clear(c)
	}
	c[p] = f
	return f, nil
}
