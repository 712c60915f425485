package agg

// VAR_POP, VAR_SAMP, STDDEV_POP and STDDEV_SAMP by Welford's method: per
// group the count n, the mean and m2, the sum of squared differences from
// the mean, updated one value at a time without the cancellation of the
// sum-of-squares formula. Two groups merge by Chan et al.'s parallel
// formula. Retraction runs the update backwards; in a retractable table a
// floating argument's NaN and infinities are counted apart (nonFinite), as
// one of them makes the result NaN until it is retracted.

import (
	"github.com/weirsql/weir/internal/arrowbuf"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/weirsql/weir/sqltypes"
)

type varAcc struct {
	fn    Func
	kind  kind
	scale int32 // DECIMAL arguments
	n     []int64
	mean  []float64
	m2    []float64
	// odd (a retractable table, a floating argument): NaN and infinities
	// are counted in nf, not in n, mean and m2.
	odd bool
	nf  []nonFinite
}

func (a *varAcc) grow(n int) {
	a.n = extendZero(a.n, n)
	a.mean = extendZero(a.mean, n)
	a.m2 = extendZero(a.m2, n)
	if a.odd {
		a.nf = extendZero(a.nf, n)
	}
}

func (a *varAcc) add(s *scratch, rows []int32, groups []uint32, arg arrow.Array, _ int64) error {
	if a.odd {
		if a.kind == kF32 {
			welfordOdd(a, rows, groups, arrowbuf.Values[float32](arg), 1)
		} else {
			welfordOdd(a, rows, groups, arrowbuf.Values[float64](arg), 1)
		}
		return nil
	}
	switch a.kind {
	case kI8:
		welford(a, rows, groups, arrowbuf.Values[int8](arg))
	case kI16:
		welford(a, rows, groups, arrowbuf.Values[int16](arg))
	case kI32:
		welford(a, rows, groups, arrowbuf.Values[int32](arg))
	case kI64:
		welford(a, rows, groups, arrowbuf.Values[int64](arg))
	case kF32:
		welford(a, rows, groups, arrowbuf.Values[float32](arg))
	case kF64:
		welford(a, rows, groups, arrowbuf.Values[float64](arg))
	case kDec:
		in := arrowbuf.Values[decimal128.Num](arg)
		f := buf(&s.f64, arg.Len())
		for k := range groups {
			r := rowAt(rows, k)
			f[r] = in[r].ToFloat64(a.scale)
		}
		welford(a, rows, groups, f)
	}
	return nil
}

// welford folds the listed values into their groups.
func welford[T number](a *varAcc, rows []int32, groups []uint32, in []T) {
	n, mean, m2 := a.n, a.mean, a.m2
	for k, g := range groups {
		x := float64(in[rowAt(rows, k)])
		n[g]++
		d := x - mean[g]
		mean[g] += d / float64(n[g])
		m2[g] += d * (x - mean[g])
	}
}

// welfordOdd adds (sign 1) or retracts (sign -1) the listed floating
// values, counting NaN and infinities apart.
func welfordOdd[T float32 | float64](a *varAcc, rows []int32, groups []uint32, in []T, sign int64) {
	nf := a.nf
	for k, g := range groups {
		x := float64(in[rowAt(rows, k)])
		if x-x != 0 {
			if sign > 0 || nf[g].total() > 0 {
				nf[g].note(x, sign)
			}
			continue
		}
		if sign > 0 {
			welfordIn(a, g, x)
		} else {
			welfordOut(a, g, x)
		}
	}
}

// welfordIn adds x to group g.
func welfordIn(a *varAcc, g uint32, x float64) {
	a.n[g]++
	d := x - a.mean[g]
	a.mean[g] += d / float64(a.n[g])
	a.m2[g] += d * (x - a.mean[g])
}

// welfordOut takes x back out of group g: Welford's update run backwards
// (n-1 values: mean' = mean - (x-mean)/(n-1), m2' = m2 - (x-mean)(x-mean')).
// Rounding can leave m2 a hair below zero; it is clamped.
func welfordOut(a *varAcc, g uint32, x float64) {
	switch a.n[g] {
	case 0:
		return
	case 1:
		a.n[g], a.mean[g], a.m2[g] = 0, 0, 0
		return
	}
	a.n[g]--
	d := x - a.mean[g]
	a.mean[g] -= d / float64(a.n[g])
	a.m2[g] = max(0, a.m2[g]-d*(x-a.mean[g]))
}

// welfordRetract retracts the listed values of a non-floating argument.
func welfordRetract[T number](a *varAcc, rows []int32, groups []uint32, in []T) {
	for k, g := range groups {
		welfordOut(a, g, float64(in[rowAt(rows, k)]))
	}
}

func (a *varAcc) retract(s *scratch, rows []int32, groups []uint32, arg arrow.Array) error {
	switch a.kind {
	case kI8:
		welfordRetract(a, rows, groups, arrowbuf.Values[int8](arg))
	case kI16:
		welfordRetract(a, rows, groups, arrowbuf.Values[int16](arg))
	case kI32:
		welfordRetract(a, rows, groups, arrowbuf.Values[int32](arg))
	case kI64:
		welfordRetract(a, rows, groups, arrowbuf.Values[int64](arg))
	case kF32:
		welfordOdd(a, rows, groups, arrowbuf.Values[float32](arg), -1)
	case kF64:
		welfordOdd(a, rows, groups, arrowbuf.Values[float64](arg), -1)
	case kDec:
		in := arrowbuf.Values[decimal128.Num](arg)
		for k, g := range groups {
			welfordOut(a, g, in[rowAt(rows, k)].ToFloat64(a.scale))
		}
	}
	return nil
}

func (a *varAcc) clearGroup(g uint32) {
	a.n[g], a.mean[g], a.m2[g] = 0, 0, 0
	if a.odd {
		a.nf[g] = nonFinite{}
	}
}

func (a *varAcc) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*varAcc)
	if a.odd {
		a.nf[dst].merge(o.nf[src])
	}
	nb := o.n[src]
	if nb == 0 {
		return nil
	}
	na := a.n[dst]
	if na == 0 {
		a.n[dst], a.mean[dst], a.m2[dst] = nb, o.mean[src], o.m2[src]
		return nil
	}
	n := float64(na + nb)
	d := o.mean[src] - a.mean[dst]
	a.mean[dst] += d * float64(nb) / n
	a.m2[dst] += o.m2[src] + d*d*float64(na)*float64(nb)/n
	a.n[dst] = na + nb
	return nil
}

func (a *varAcc) build(mem memory.Allocator, groups []uint32) (arrow.Array, error) {
	n := len(groups)
	buf, out := arrowbuf.AllocValues[float64](mem, n)
	v := validityOut{mem: mem, n: n}
	samp := a.fn == VarSamp || a.fn == StddevSamp
	for i, g := range groups {
		cnt := a.n[g]
		if a.odd {
			cnt += a.nf[g].total()
		}
		if cnt == 0 || (samp && cnt == 1) {
			out[i] = 0
			v.setNull(i)
			continue
		}
		if a.odd && a.nf[g].total() > 0 {
			out[i] = math.NaN()
			continue
		}
		d := float64(cnt)
		if samp {
			d--
		}
		r := a.m2[g] / d
		if a.fn == StddevPop || a.fn == StddevSamp {
			r = math.Sqrt(r)
		}
		out[i] = r
	}
	return newArray(sqltypes.Double, n, v.nulls, v.buf, buf), nil
}

func (a *varAcc) reset() { a.n, a.mean, a.m2, a.nf = a.n[:0], a.mean[:0], a.m2[:0], a.nf[:0] }
func (a *varAcc) bytes() int64 {
	return capBytes(a.n) + capBytes(a.mean) + capBytes(a.m2) + capBytes(a.nf)
}
