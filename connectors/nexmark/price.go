package nexmark

import "math"

// priceOf is nexmark-rs's gen_price for the draw u:
// round(10^(U × 6) × 100) in f32 arithmetic, with U = (u >> 8) / 2^24 in
// [0, 1): a log-uniform price from 100 to 100,000,000 cents.
//
// Rust's f32::powf is the C library's powf; nexmark-rs runs on glibc, whose
// powf (from Arm's optimized-routines, also in musl) is not correctly
// rounded. pow10f follows its algorithm, so every one of the 2^24 possible
// prices equals what nexmark-rs computes on x86-64 Linux, where rounding
// math.Pow would differ in about one price in 7,000.
func priceOf(u uint32) int64 {
	x := float32(u>>8) * (1.0 / (1 << 24))
	p := float32(pow10f(float32(x*6)) * 100)
	// Rounding half up, as math.Round does for positive numbers: p has 24
	// significant bits and lies in [100, 10^8], so p + 0.5 is exact in
	// float64 and truncating it rounds.
	return int64(float64(p) + 0.5)
}

// pow10f is glibc's powf(10, y) for y in [0, 6]: exp2(y × log2(10)) with
// a table of 2^(i/32) and a cubic polynomial, in double precision, rounded
// once to float32.
func pow10f(y float32) float32 {
	if y == 0 {
		return 1 // powf's special case for a zero exponent
	}
	xd := float64(y) * log2Of10
	// x = k/32 + r with |r| <= 1/64; the shift puts k in kd's low bits.
	kd := xd + exp2fShift
	ki := math.Float64bits(kd)
	kd -= exp2fShift
	r := xd - kd
	s := math.Float64frombits(exp2fTab[ki%32] + ki<<(52-5))
	z := float64(exp2fC0*r) + exp2fC1
	r2 := r * r
	p := float64(exp2fC2*r) + 1
	p = float64(z*r2) + p
	return float32(p * s)
}

// exp2fTab[i] is the bits of 2^(i/32) minus i << 47, so that adding
// k << 47 also sets the exponent of 2^(k/32).
var exp2fTab = [32]uint64{
	0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
	0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
	0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
	0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
	0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
	0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
	0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
	0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
}

// The exp2 polynomial, and the shift that rounds x to a multiple of 1/32.
const (
	exp2fC0    = 0x1.c6af84b912394p-5
	exp2fC1    = 0x1.ebfce50fac4f3p-3
	exp2fC2    = 0x1.62e42ff0c52d6p-1
	exp2fShift = 0x1.8p+52 / 32
)

// log2Of10 is powf's double-precision log2(10): 10 = 2^3 × 1.25, and
// log2(1.25) = log1p(1.25 × invc - 1)/ln 2 + log2(1/invc) with powf's table
// entry for 1.25 and its quintic polynomial.
var log2Of10 = func() float64 {
	const (
		invc = 0x1.9c2d163a1aa2dp-1
		logc = 0x1.40645f0c6651cp-2
		a0   = 0x1.27616c9496e0bp-2
		a1   = -0x1.71969a075c67ap-2
		a2   = 0x1.ec70a6ca7baddp-2
		a3   = -0x1.7154748bef6c8p-1
		a4   = 0x1.71547652ab82bp0
	)
	z := 1.25
	r := float64(z*invc) - 1
	y0 := logc + 3.0
	r2 := r * r
	y := float64(a0*r) + a1
	p := float64(a2*r) + a3
	r4 := r2 * r2
	q := float64(a4*r) + y0
	q = float64(p*r2) + q
	return float64(y*r4) + q
}()
