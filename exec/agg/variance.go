package agg

// VAR_POP, VAR_SAMP, STDDEV_POP and STDDEV_SAMP by Welford's method: per
// group the count n, the mean and m2, the sum of squared differences from
// the mean, updated one value at a time without the cancellation of the
// sum-of-squares formula. Two groups merge by Chan et al.'s parallel
// formula.

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
}

func (a *varAcc) grow(n int) {
	a.n = extendZero(a.n, n)
	a.mean = extendZero(a.mean, n)
	a.m2 = extendZero(a.m2, n)
}

func (a *varAcc) add(s *scratch, rows []int32, groups []uint32, arg arrow.Array, _ int64) error {
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

func (a *varAcc) mergeFrom(other accumulator, dst, src uint32) error {
	o := other.(*varAcc)
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
		if cnt == 0 || (samp && cnt == 1) {
			out[i] = 0
			v.setNull(i)
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

func (a *varAcc) reset() { a.n, a.mean, a.m2 = a.n[:0], a.mean[:0], a.m2[:0] }
func (a *varAcc) bytes() int64 {
	return capBytes(a.n) + capBytes(a.mean) + capBytes(a.m2)
}
