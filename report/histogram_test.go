package report

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHistogram_Quantile(t *testing.T) {
	var h Histogram
	rng := rand.New(rand.NewPCG(1, 2))
	var vals []float64
	for range 100_000 {
		v := math.Exp(rng.NormFloat64()*3) * 10 // spread over many decades
		vals = append(vals, v)
		h.Add(v)
	}
	for range 50_000 {
		vals = append(vals, 0)
		h.Add(0)
	}
	slices.Sort(vals)
	for _, q := range []float64{0, 0.2, 0.34, 0.5, 0.9, 0.99, 0.999, 1} {
		rank := max(int(math.Ceil(q*float64(len(vals)))), 1)
		want := vals[rank-1]
		got := h.Quantile(q)
		if want == 0 && got != 0 || want != 0 && math.Abs(got-want)/want > HistogramError+1e-9 {
			t.Errorf("Quantile(%g) = %g, want %g within %g%%", q, got, want, 100*HistogramError)
		}
	}
	if h.Max() != vals[len(vals)-1] {
		t.Errorf("Max() = %g, want %g", h.Max(), vals[len(vals)-1])
	}
	if h.Count() != uint64(len(vals)) {
		t.Errorf("Count() = %d, want %d", h.Count(), len(vals))
	}
	if n := len(h.buckets); n > 3000 {
		t.Errorf("%d buckets for values over 10 decades", n)
	}
}

func TestHistogram_edges(t *testing.T) {
	var h Histogram
	if got := h.Quantile(0.5); got != 0 {
		t.Errorf("empty Quantile(0.5) = %g, want 0", got)
	}
	h.Add(math.NaN())
	h.Add(-3)
	h.AddZeros(2)
	h.Add(7)
	if h.Count() != 5 || h.Quantile(0.8) != 0 || h.Quantile(1) != 7 {
		t.Errorf("Count %d, Quantile(0.8) %g, Quantile(1) %g; want 5, 0, 7", h.Count(), h.Quantile(0.8), h.Quantile(1))
	}
}

// TestHistogram_exactRepeats: values that repeat (counts, multiples of
// 1/window) come back exactly, not as their bucket's representative.
func TestHistogram_exactRepeats(t *testing.T) {
	var h Histogram
	for i := range 1000 {
		h.Add(float64(i%3 + 1)) // 1, 2, 3
		h.Add(float64(i%30) / 30)
	}
	for _, tt := range []struct{ q, want float64 }{{0.5, 29.0 / 30}, {0.6, 1}, {0.8, 2}, {0.999, 3}} {
		if got := h.Quantile(tt.q); got != tt.want {
			t.Errorf("Quantile(%g) = %g, want %g exactly", tt.q, got, tt.want)
		}
	}
}
