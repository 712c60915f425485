package expr

// DECIMAL arithmetic on decimal128.Num without math/big in the common
// cases: values are split into a sign and a 128-bit magnitude, and scaling
// by powers of ten uses 128×64-bit multiplication and division. math/big
// is the fallback for the rare operand that does not fit.

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow/decimal128"
)

// u128 is an unsigned 128-bit magnitude.
type u128 struct{ hi, lo uint64 }

// pow10 holds 10^0 … 10^38.
var pow10 = func() (p [39]u128) {
	p[0] = u128{lo: 1}
	for i := 1; i < len(p); i++ {
		p[i], _ = mulU128(p[i-1], u128{lo: 10})
	}
	return p
}()

// pow10f holds 10^0 … 10^22, the powers of ten a float64 holds exactly.
var pow10f = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

func (u u128) isZero() bool        { return u.hi == 0 && u.lo == 0 }
func (u u128) less(v u128) bool    { return u.hi < v.hi || (u.hi == v.hi && u.lo < v.lo) }
func (u u128) add64(v uint64) u128 { lo, c := bits.Add64(u.lo, v, 0); return u128{u.hi + c, lo} }

// mulU128 multiplies two magnitudes; ok is false when the product does not
// fit in 127 bits.
func mulU128(a, b u128) (u128, bool) {
	if a.hi != 0 && b.hi != 0 {
		return u128{}, false
	}
	hi, lo := bits.Mul64(a.lo, b.lo)
	c1h, c1 := bits.Mul64(a.hi, b.lo)
	c2h, c2 := bits.Mul64(a.lo, b.hi)
	if c1h != 0 || c2h != 0 {
		return u128{}, false
	}
	var c uint64
	hi, c = bits.Add64(hi, c1, 0)
	if c != 0 {
		return u128{}, false
	}
	hi, c = bits.Add64(hi, c2, 0)
	if c != 0 || hi >= 1<<63 {
		return u128{}, false
	}
	return u128{hi, lo}, true
}

// divU128 divides a magnitude by a 64-bit divisor.
func divU128(u u128, d uint64) (q u128, r uint64) {
	q.hi = u.hi / d
	q.lo, r = bits.Div64(u.hi%d, u.lo, d)
	return q, r
}

// decSplit returns the magnitude and sign of n.
func decSplit(n decimal128.Num) (u128, bool) {
	if n.HighBits() < 0 {
		n = n.Negate()
		return u128{uint64(n.HighBits()), n.LowBits()}, true
	}
	return u128{uint64(n.HighBits()), n.LowBits()}, false
}

// decJoin builds a Num from a magnitude below 2^127 and a sign.
func decJoin(u u128, neg bool) decimal128.Num {
	n := decimal128.New(int64(u.hi), u.lo)
	if neg {
		return n.Negate()
	}
	return n
}

// decInt64 returns n as an int64 when it fits.
func decInt64(n decimal128.Num) (int64, bool) {
	lo, hi := n.LowBits(), n.HighBits()
	if hi == int64(lo)>>63 {
		return int64(lo), true
	}
	return 0, false
}

// decFits reports whether |n| < 10^prec.
func decFits(n decimal128.Num, prec int32) bool {
	u, _ := decSplit(n)
	return u.less(pow10[prec])
}

// decLess reports whether a < b.
func decLess(a, b decimal128.Num) bool {
	ah, bh := a.HighBits(), b.HighBits()
	return ah < bh || (ah == bh && a.LowBits() < b.LowBits())
}

// roundDiv divides a magnitude by 10^k (0 ≤ k ≤ 38), rounding half away
// from zero when round is set and truncating otherwise.
func roundDiv(u u128, k int32, round bool) u128 {
	if k == 0 {
		return u
	}
	if k > 38 {
		return u128{}
	}
	if k > 19 { // drop the low digits first: only the last remainder decides rounding
		u, _ = divU128(u, pow10[k-19].lo)
		k = 19
	}
	d := pow10[k].lo
	q, r := divU128(u, d)
	if round && r >= d-r {
		q = q.add64(1)
	}
	return q
}

// decRescale changes the scale of n; decreasing rounds half away from zero.
// ok is false on overflow of 128 bits (precision is checked by callers).
func decRescale(n decimal128.Num, from, to int32) (decimal128.Num, bool) {
	if from == to {
		return n, true
	}
	u, neg := decSplit(n)
	if to > from {
		if to-from > 38 {
			return n, u.isZero()
		}
		m, ok := mulU128(u, pow10[to-from])
		return decJoin(m, neg), ok
	}
	return decJoin(roundDiv(u, from-to, true), neg), true
}

// decTrunc drops the scale digits of n, truncating toward zero.
func decTrunc(n decimal128.Num, scale int32) decimal128.Num {
	u, neg := decSplit(n)
	return decJoin(roundDiv(u, scale, false), neg)
}

func decAdd(a, b decimal128.Num) (decimal128.Num, bool) {
	r := a.Add(b)
	sa, sb, sr := a.HighBits() < 0, b.HighBits() < 0, r.HighBits() < 0
	return r, !(sa == sb && sr != sa)
}

func decSub(a, b decimal128.Num) (decimal128.Num, bool) {
	r := a.Sub(b)
	sa, sb, sr := a.HighBits() < 0, b.HighBits() < 0, r.HighBits() < 0
	return r, !(sa != sb && sr != sa)
}

// mulI64 returns a × b exactly: the product of two int64 values always
// fits in 127 bits. (The unsigned product's high word, corrected for the
// signs: a negative a contributes -b·2^64, a negative b -a·2^64.)
func mulI64(a, b int64) decimal128.Num {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	hi -= uint64(a>>63)&uint64(b) + uint64(b>>63)&uint64(a)
	return decimal128.New(int64(hi), lo)
}

// notI64 is zero when n fits in an int64 (its high word is the sign
// extension of the low one), and nonzero otherwise; kernels OR it over a
// batch to learn whether a fast int64 loop applied to every row.
func notI64(n decimal128.Num) uint64 {
	return uint64(n.HighBits() ^ int64(n.LowBits())>>63)
}

// digitsOf returns the number of digits of |n|: the least d with
// |n| < 10^d (0 for zero, 39 beyond 10^38).
func digitsOf(n decimal128.Num) int32 {
	u, _ := decSplit(n)
	d := int32(0)
	for d < int32(len(pow10)) && !u.less(pow10[d]) {
		d++
	}
	return d
}

func decMul(a, b decimal128.Num) (decimal128.Num, bool) {
	ua, na := decSplit(a)
	ub, nb := decSplit(b)
	m, ok := mulU128(ua, ub)
	return decJoin(m, na != nb), ok
}

// decDiv returns a / b · 10^shift rounded half away from zero, with
// shift ≥ 0 (the result scale minus a's scale plus b's). b must not be
// zero.
func decDiv(a, b decimal128.Num, shift int32) (decimal128.Num, bool) {
	ua, na := decSplit(a)
	ub, nb := decSplit(b)
	if shift <= 38 && ub.hi == 0 {
		if num, ok := mulU128(ua, pow10[shift]); ok {
			q, r := divU128(num, ub.lo)
			if r >= ub.lo-r {
				q = q.add64(1)
			}
			return decJoin(q, na != nb), q.hi < 1<<63
		}
	}
	// Fallback: exact big integers.
	x := a.BigInt()
	x.Mul(x, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(shift)), nil))
	y := b.BigInt()
	q, r := new(big.Int).QuoRem(x, y, new(big.Int))
	r.Abs(r).Lsh(r, 1)
	if r.Cmp(new(big.Int).Abs(y)) >= 0 {
		if (x.Sign() < 0) != (y.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	if q.BitLen() > 126 {
		return decimal128.Num{}, false
	}
	return decimal128.FromBigInt(q), true
}

// decMod returns the remainder of a / b (same scale), with the sign of a.
// b must not be zero.
func decMod(a, b decimal128.Num) decimal128.Num {
	if x, ok := decInt64(a); ok {
		if y, ok := decInt64(b); ok {
			if y == -1 {
				return decimal128.Num{}
			}
			return decimal128.FromI64(x % y)
		}
	}
	_, r := new(big.Int).QuoRem(a.BigInt(), b.BigInt(), new(big.Int))
	return decimal128.FromBigInt(r)
}

// decFromInt converts an integer to a DECIMAL of the given scale.
func decFromInt(v int64, scale int32) (decimal128.Num, bool) {
	return decRescale(decimal128.FromI64(v), 0, scale)
}

// decToFloat converts n with the given scale to the nearest float64.
func decToFloat(n decimal128.Num, scale int32) float64 {
	if v, ok := decInt64(n); ok && v < 1<<53 && v > -(1<<53) && scale >= 0 && scale <= 22 {
		return float64(v) / pow10f[scale]
	}
	f, _ := strconv.ParseFloat(string(appendDecimal(nil, n, scale)), 64)
	return f
}

// decFromFloat converts f to a DECIMAL(prec, scale) through its shortest
// decimal text, so 1.005 becomes 1.01 at scale 2 as it does in Flink.
func decFromFloat(f float64, bitSize int, prec, scale int32) (decimal128.Num, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return decimal128.Num{}, false
	}
	var buf [40]byte
	b := strconv.AppendFloat(buf[:0], f, 'e', -1, bitSize)
	return parseDecimalBytes(b, prec, scale)
}

// appendDecimal appends n with scale digits after the point ("12.50").
func appendDecimal(b []byte, n decimal128.Num, scale int32) []byte {
	u, neg := decSplit(n)
	if neg {
		b = append(b, '-')
	}
	start := len(b)
	if u.hi == 0 {
		b = strconv.AppendUint(b, u.lo, 10)
	} else {
		b = append(b, decJoin(u, false).BigInt().String()...)
	}
	if scale <= 0 {
		for i := int32(0); i < -scale && !u.isZero(); i++ {
			b = append(b, '0')
		}
		return b
	}
	digits := len(b) - start
	if pad := int(scale) + 1 - digits; pad > 0 { // leading zeros: 0.05
		for i := 0; i < pad; i++ {
			b = append(b, '0')
		}
		copy(b[start+pad:], b[start:start+digits])
		for i := 0; i < pad; i++ {
			b[start+i] = '0'
		}
		digits += pad
	}
	b = append(b, 0)
	point := start + digits - int(scale)
	copy(b[point+1:], b[point:start+digits])
	b[point] = '.'
	return b
}

// parseDecimal reads decimal text ("-12.5", " 3 ", "1.5e3") as a
// DECIMAL(prec, scale), rounding extra fraction digits half away from zero.
// ok is false for malformed text or a value that does not fit.
func parseDecimal(s string, prec, scale int32) (decimal128.Num, bool) {
	return parseDecimalBytes([]byte(s), prec, scale)
}

func parseDecimalBytes(s []byte, prec, scale int32) (decimal128.Num, bool) {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	s = s[i:j]
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var u u128
	var digits, frac, exp int
	dropped := -1 // first significant digit that did not fit in 38
	sawDigit, sawPoint := false, false
	for k := 0; k < len(s); k++ {
		c := s[k]
		switch {
		case c >= '0' && c <= '9':
			sawDigit = true
			d := uint64(c - '0')
			if u.isZero() && d == 0 {
				if sawPoint {
					frac++
				}
				continue
			}
			if digits < 38 {
				u, _ = mulU128(u, u128{lo: 10})
				u = u.add64(d)
				digits++
				if sawPoint {
					frac++
				}
				continue
			}
			if dropped < 0 {
				dropped = int(d)
			}
			if !sawPoint {
				exp++
			}
		case c == '.' && !sawPoint:
			sawPoint = true
		case (c == 'e' || c == 'E') && sawDigit:
			e, err := strconv.Atoi(string(s[k+1:]))
			if err != nil || e > 1000 || e < -1000 {
				return decimal128.Num{}, false
			}
			exp += e
			k = len(s)
		default:
			return decimal128.Num{}, false
		}
	}
	if !sawDigit {
		return decimal128.Num{}, false
	}
	shift := int(scale) - (frac - exp)
	switch {
	case shift > 0:
		if dropped >= 0 {
			return decimal128.Num{}, false
		}
		if shift > 38 {
			if !u.isZero() {
				return decimal128.Num{}, false
			}
		} else {
			var ok bool
			if u, ok = mulU128(u, pow10[shift]); !ok {
				return decimal128.Num{}, false
			}
		}
	case shift < 0:
		if -shift > 38 {
			u = u128{}
		} else {
			u = roundDiv(u, int32(-shift), true)
		}
	default:
		if dropped >= 5 {
			u = u.add64(1)
		}
	}
	if !u.less(pow10[prec]) {
		return decimal128.Num{}, false
	}
	return decJoin(u, neg), true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
