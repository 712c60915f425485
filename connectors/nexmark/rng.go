package nexmark

import (
	"math"
	"math/bits"
)

// rng is xoshiro256++ seeded as SmallRng::seed_from_u64 seeds it in Rust's
// rand 0.8 on 64-bit platforms (SmallRng keeps rand_core's default
// seed_from_u64, which fills the 32-byte seed with PCG32 outputs), and that
// is how nexmark-rs seeds each event from its id. The sampling methods below
// reproduce rand 0.8's algorithms draw for draw (including its rejection
// zones), so an event comes out exactly as nexmark-rs makes it.
type rng struct{ s0, s1, s2, s3 uint64 }

// pcg32 advances state and returns its next PCG32 (XSH RR) output.
func pcg32(state *uint64) uint64 {
	*state = *state*6364136223846793005 + 11634580027462260723
	st := *state
	return uint64(bits.RotateLeft32(uint32(((st>>18)^st)>>27), -int(st>>59)))
}

// seed resets r as seed_from_u64(state) does: eight PCG32 outputs, little
// endian, make the four state words.
func (r *rng) seed(state uint64) {
	var w [4]uint64
	for i := range w {
		lo := pcg32(&state)
		hi := pcg32(&state)
		w[i] = lo | hi<<32
	}
	r.s0, r.s1, r.s2, r.s3 = w[0], w[1], w[2], w[3]
	if w == [4]uint64{} {
		// from_seed's guard against the all-zero state: Xoshiro256PlusPlus's
		// own seed_from_u64(0), which expands 0 with SplitMix64.
		var z uint64
		r.s0, r.s1, r.s2, r.s3 = splitMix64(&z), splitMix64(&z), splitMix64(&z), splitMix64(&z)
	}
}

// splitMix64 advances state and returns its next output; it mixes the
// 'seed' option and chooses out-of-order events.
func splitMix64(state *uint64) uint64 {
	*state += 0x9e3779b97f4a7c15
	z := *state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// next is next_u64.
func (r *rng) next() uint64 {
	s0, s1, s2, s3 := r.s0, r.s1, r.s2, r.s3
	out := bits.RotateLeft64(s0+s3, 23) + s0
	t := s1 << 17
	s2 ^= s0
	s3 ^= s1
	s1 ^= s2
	s0 ^= s3
	s2 ^= t
	s3 = bits.RotateLeft64(s3, 45)
	r.s0, r.s1, r.s2, r.s3 = s0, s1, s2, s3
	return out
}

// u32 is next_u32: the upper half of next_u64.
func (r *rng) u32() uint32 { return uint32(r.next() >> 32) }

// intn64 is gen_range(0..n) on usize or u64 (n > 0): Lemire's widening
// multiply with rand 0.8's conservative rejection zone.
func (r *rng) intn64(n uint64) uint64 {
	zone := n<<uint(bits.LeadingZeros64(n)) - 1
	for {
		hi, lo := bits.Mul64(r.next(), n)
		if lo <= zone {
			return hi
		}
	}
}

// intn32 is gen_range(0..n) on u32 or i32 (n > 0), which draws next_u32;
// SliceRandom::choose draws this way too.
func (r *rng) intn32(n uint32) uint32 {
	zone := n<<uint(bits.LeadingZeros32(n)) - 1
	for {
		m := uint64(r.u32()) * uint64(n)
		if uint32(m) <= zone {
			return uint32(m >> 32)
		}
	}
}

// letterZone is the rejection zone of gen_range(b'a'..=b'z'): u8 ranges
// sample a u32 and reject exactly (2^32 - 26) % 26 values.
const letterZone = math.MaxUint32 - (1<<32-26)%26

// fillLetters fills dst with gen_range(b'a'..=b'z') draws, one per byte.
// A draw is rejected (and redrawn) one time in 195 million, so the fast
// loop assumes none is and only notes whether one was; if so, the letters
// are drawn again from the saved state, the exact way.
func (r *rng) fillLetters(dst []byte) {
	s0, s1, s2, s3 := r.s0, r.s1, r.s2, r.s3
	var rejected uint64
	for i := range dst {
		out := bits.RotateLeft64(s0+s3, 23) + s0
		t := s1 << 17
		s2 ^= s0
		s3 ^= s1
		s1 ^= s2
		s0 ^= s3
		s2 ^= t
		s3 = bits.RotateLeft64(s3, 45)
		m := (out >> 32) * 26
		rejected |= (letterZone - uint64(uint32(m))) >> 63 // 1 if m > letterZone
		dst[i] = 'a' + byte(m>>32)
	}
	if rejected != 0 {
		r.fillLettersExact(dst)
		return
	}
	r.s0, r.s1, r.s2, r.s3 = s0, s1, s2, s3
}

// fillLettersExact is fillLetters with rejection.
func (r *rng) fillLettersExact(dst []byte) {
	for i := 0; i < len(dst); {
		m := uint64(r.u32()) * 26
		if uint32(m) <= letterZone {
			dst[i] = 'a' + byte(m>>32)
			i++
		}
	}
}

// skipLetters consumes the draws of n letters without writing them, so that
// the fields after an unprojected string come out the same.
func (r *rng) skipLetters(n int) {
	s0, s1, s2, s3 := r.s0, r.s1, r.s2, r.s3
	for n > 0 {
		out := bits.RotateLeft64(s0+s3, 23) + s0
		t := s1 << 17
		s2 ^= s0
		s3 ^= s1
		s1 ^= s2
		s0 ^= s3
		s2 ^= t
		s3 = bits.RotateLeft64(s3, 45)
		if uint32((out>>32)*26) <= letterZone {
			n--
		}
	}
	r.s0, r.s1, r.s2, r.s3 = s0, s1, s2, s3
}

// priceDraw consumes the draw of gen::<f32>() that a price is made from;
// priceOf turns it into the price, only when someone reads it.
func (r *rng) priceDraw() uint32 { return r.u32() }
