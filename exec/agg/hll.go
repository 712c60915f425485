package agg

// APPROX_COUNT_DISTINCT by HyperLogLog.
//
// Each group has a sketch of m = 2^14 = 16384 registers fed with a 64-bit
// hash of each value (the key hash: xxh3 for strings, a 64-bit mixer for
// fixed-width values, with -0 = +0 and one NaN as for keys). The estimate
// uses Ertl's improved raw estimator ("New cardinality estimation algorithms
// for HyperLogLog sketches", 2017), which needs no empirical bias tables and
// is unbiased from small to very large cardinalities. Its relative standard
// error is 1.04/√m ≈ 0.81%, so 95% of estimates fall within about 1.6% of
// the true count.
//
// A sketch starts sparse, as HyperLogLog++ does: a sorted list of
// (25-bit index, rank) entries of 4 bytes each, estimated by linear counting
// over 2^25 buckets, which is nearly exact while the list is short. A group
// with few distinct values costs a few bytes instead of 16 KiB. At 2048
// entries (8 KiB) the list is folded into the dense registers (one byte
// each). Sketches merge (Table.Merge) in either form.

import (
	"github.com/weirsql/weir/internal/arrowbuf"
	"math"
	"math/bits"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

const (
	hllP          = 14                 // index bits of the dense registers
	hllM          = 1 << hllP          // dense registers
	hllQ          = 64 - hllP          // hash bits after the index
	hllSP         = 25                 // index bits of sparse entries
	hllDenseWords = hllM / 4           // a dense sketch: four registers per word
	hllSparseMax  = 2048               // sparse entries before densifying
	hllSeed       = 0xbb67ae8584caa73b // starts a value's hash
)

// hllAcc holds one sketch per group: a sparse list, or hllDenseWords words
// of registers (no sparse list is that long).
type hllAcc struct {
	col keyCol // hashes the argument
	sk  [][]uint32
}

func (a *hllAcc) grow(n int) {
	old := len(a.sk)
	a.sk = growSlice(a.sk, n)
	for g := old; g < n; g++ {
		a.sk[g] = a.sk[g][:0] // reuse the space of a group before Reset
	}
}

func (a *hllAcc) add(s *scratch, rows []int32, groups []uint32, arg arrow.Array, _ int64) error {
	a.col.bind(arg)
	h := buf(&s.hashes, len(groups))
	for i := range h {
		h[i] = hllSeed
	}
	a.col.hashIn(rows, h)
	sk := a.sk
	for k, g := range groups {
		sk[g] = hllAdd(sk[g], h[k])
	}
	return nil
}

// hllAdd adds a hashed value to a sketch.
func hllAdd(sk []uint32, x uint64) []uint32 {
	if len(sk) == hllDenseWords {
		hllSetReg(sk, uint32(x>>hllQ), hllRank(x<<hllP, hllQ))
		return sk
	}
	idx := uint32(x >> (64 - hllSP))
	e := idx<<6 | uint32(hllRank(x<<hllSP, 64-hllSP))
	return hllAddSparse(sk, e)
}

// hllRank is the position of the first 1 bit of w's top width bits
// (1 for a leading 1), width+1 when they are all 0.
func hllRank(w uint64, width int) uint8 {
	return uint8(min(bits.LeadingZeros64(w), width) + 1)
}

// hllAddSparse adds entry e (index<<6 | rank) to a sparse sketch, keeping
// the larger rank of an index, and densifies a full list.
func hllAddSparse(sk []uint32, e uint32) []uint32 {
	idx := e >> 6
	lo, hi := 0, len(sk)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if sk[m]>>6 < idx {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(sk) && sk[lo]>>6 == idx {
		if sk[lo] < e {
			sk[lo] = e
		}
		return sk
	}
	if len(sk) >= hllSparseMax {
		sk = hllDensify(sk)
		hllSetSparse(sk, e)
		return sk
	}
	return slices.Insert(sk, lo, e)
}

// hllDensify returns the dense registers of a sparse sketch.
func hllDensify(sk []uint32) []uint32 {
	d := make([]uint32, hllDenseWords)
	for _, e := range sk {
		hllSetSparse(d, e)
	}
	return d
}

// hllSetSparse folds a sparse entry into dense registers: the dense index
// is the entry's top hllP index bits; the rank counts the remaining index
// bits.
func hllSetSparse(d []uint32, e uint32) {
	idx := e >> 6
	rest := idx & (1<<(hllSP-hllP) - 1)
	var r uint8
	if rest != 0 {
		r = uint8(bits.LeadingZeros32(rest) - (32 - (hllSP - hllP)) + 1)
	} else {
		r = uint8(hllSP-hllP) + uint8(e&63)
	}
	hllSetReg(d, idx>>(hllSP-hllP), r)
}

func hllReg(d []uint32, j uint32) uint8 { return uint8(d[j>>2] >> ((j & 3) * 8)) }

// hllSetReg raises register j to r.
func hllSetReg(d []uint32, j uint32, r uint8) {
	sh := (j & 3) * 8
	if uint8(d[j>>2]>>sh) < r {
		d[j>>2] = d[j>>2]&^(0xff<<sh) | uint32(r)<<sh
	}
}

// hllMerge returns the union of sketches a and b (a may be modified).
func hllMerge(a, b []uint32) []uint32 {
	switch {
	case len(b) == hllDenseWords && len(a) == hllDenseWords:
		for j := uint32(0); j < hllM; j++ {
			hllSetReg(a, j, hllReg(b, j))
		}
	case len(b) == hllDenseWords:
		d := slices.Clone(b)
		for _, e := range a {
			hllSetSparse(d, e)
		}
		return d
	case len(a) == hllDenseWords:
		for _, e := range b {
			hllSetSparse(a, e)
		}
	default:
		for _, e := range b {
			a = hllAddSparse(a, e)
		}
	}
	return a
}

// hllEstimate returns the estimated number of distinct values of a sketch.
func hllEstimate(sk []uint32) float64 {
	if len(sk) != hllDenseWords {
		// Linear counting over the 2^25 sparse buckets.
		const m = 1 << hllSP
		return m * math.Log(m/float64(m-len(sk)))
	}
	var c [hllQ + 2]int
	for j := uint32(0); j < hllM; j++ {
		c[hllReg(sk, j)]++
	}
	const m = float64(hllM)
	z := m * hllTau(1-float64(c[hllQ+1])/m)
	for k := hllQ; k >= 1; k-- {
		z = 0.5 * (z + float64(c[k]))
	}
	z += m * hllSigma(float64(c[0])/m)
	return m * m / (2 * math.Ln2 * z)
}

// hllSigma and hllTau are the series of Ertl's estimator.
func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		old := z
		z += x * y
		y += y
		if z == old {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		old := z
		y *= 0.5
		z -= (1 - x) * (1 - x) * y
		if z == old {
			return z / 3
		}
	}
}

func (a *hllAcc) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*hllAcc)
	if o != a || dst != src {
		a.sk[dst] = hllMerge(a.sk[dst], o.sk[src])
	}
	return nil
}

func (a *hllAcc) build(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	buf, out := arrowbuf.AllocValues[int64](mem, len(groups))
	for i, g := range groups {
		out[i] = int64(math.Round(hllEstimate(a.sk[g])))
	}
	return newArray(sqltypes.BigInt, len(groups), 0, nil, buf), nil
}

func (a *hllAcc) reset() { a.sk = a.sk[:0] }

func (a *hllAcc) bytes() int64 {
	b := capBytes(a.sk)
	for _, s := range a.sk[:cap(a.sk)] {
		b += capBytes(s)
	}
	return b
}
