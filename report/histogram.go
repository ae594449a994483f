package report

import (
	"math"
	"slices"
)

// HistogramError is the largest relative error of a [Histogram] quantile
// of a positive value: every value in a bucket is within 1% of the
// bucket's representative.
const HistogramError = 0.01

// gamma is the ratio between bucket bounds: (gamma-1)/(gamma+1) is
// HistogramError.
const gamma = (1 + HistogramError) / (1 - HistogramError)

var logGamma = math.Log(gamma)

// Histogram is a log-bucket histogram of non-negative values (DDSketch's
// layout): bucket i holds values in (γ^(i-1), γ^i], so its representative
// 2γ^i/(γ+1) is within [HistogramError] of each of them, whatever their
// scale. A bucket that only ever held one value answers with that value,
// exactly: a rule's values are often few and repeated (counts, multiples
// of 1/window). Zero, the commonest value of a quiet rule, is counted
// exactly, as is the maximum. Memory is one small counter per bucket in
// use: about 115 buckets per decade of values, some 1,400 from 0.001 to
// 10¹², whatever the number of values. The zero value is empty and ready
// to use. A Histogram is not safe for concurrent use.
type Histogram struct {
	buckets map[int]bucket
	zeros   uint64
	count   uint64
	maxV    float64
}

// bucket counts the values of one bucket; value is the first of them and
// mixed says whether another value came since.
type bucket struct {
	n     uint64
	value float64
	mixed bool
}

// Add counts v. Negative values and NaN are counted as zero.
func (h *Histogram) Add(v float64) {
	h.count++
	if !(v > 0) {
		h.zeros++
		return
	}
	h.maxV = max(h.maxV, v)
	if h.buckets == nil {
		h.buckets = map[int]bucket{}
	}
	i := int(math.Ceil(math.Log(v) / logGamma))
	b := h.buckets[i]
	if b.n == 0 {
		b.value = v
	} else if b.value != v {
		b.mixed = true
	}
	b.n++
	h.buckets[i] = b
}

// AddZeros counts n zeros.
func (h *Histogram) AddZeros(n uint64) {
	h.count += n
	h.zeros += n
}

// Count returns how many values were added.
func (h *Histogram) Count() uint64 { return h.count }

// Max returns the largest value added (exact), 0 when empty.
func (h *Histogram) Max() float64 { return h.maxV }

// Quantile returns the q-quantile (0 ≤ q ≤ 1) by nearest rank, within
// [HistogramError] of it (exact when its bucket held one value only); 0
// when empty. It never exceeds [Histogram.Max].
func (h *Histogram) Quantile(q float64) float64 {
	if h.count == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := uint64(math.Ceil(q * float64(h.count))) // 1-based
	rank = max(rank, 1)
	if rank <= h.zeros {
		return 0
	}
	seen := h.zeros
	keys := make([]int, 0, len(h.buckets))
	for k := range h.buckets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b := h.buckets[k]
		seen += b.n
		if seen >= rank {
			if !b.mixed {
				return b.value
			}
			return min(2*math.Pow(gamma, float64(k))/(gamma+1), h.maxV)
		}
	}
	return h.maxV
}
