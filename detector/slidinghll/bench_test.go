package slidinghll

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/axiomhq/hyperloglog"
)

// perStep is the traffic of the benchmarks: 240 values a step, the
// sign-up flood of the anchor incident at 1 s steps.
const perStep = 240

// benchSpans are windows of 1 min, 10 min and 1 h at 1 s steps.
var benchSpans = []int64{60, 600, 3600}

// benchShapes are the values a step brings: all new (a flood from fresh
// addresses, the worst case: the window holds span×240 distinct values),
// or drawn from 3,000 clients (ordinary traffic: repeats).
var benchShapes = []struct {
	name string
	pool uint64 // 0: every value new
}{{"flood", 0}, {"clients", 3000}}

// stream returns the hash of the i-th event of a shape.
func stream(pool, i uint64) uint64 {
	if pool == 0 {
		return mix(i)
	}
	return mix(mix(i) % pool)
}

// BenchmarkWindow_Step measures one step of a window kept full: 240
// inserts, Advance to the next step (expiring the values of the step that
// leaves), Estimate. It reports the inserts per event (ns/event) and the
// Advance and Estimate per step (advance+estimate-ns/step) apart.
func BenchmarkWindow_Step(b *testing.B) {
	for _, sh := range benchShapes {
		for _, span := range benchSpans {
			b.Run(fmt.Sprintf("%s/span=%d", sh.name, span), func(b *testing.B) {
				w := New(span)
				i, step := uint64(0), int64(0)
				var inserting, advancing time.Duration
				one := func() uint64 {
					t0 := time.Now()
					for range perStep {
						w.Insert(step, stream(sh.pool, i))
						i++
					}
					t1 := time.Now()
					step++
					w.Advance(step)
					est := w.Estimate()
					inserting += t1.Sub(t0)
					advancing += time.Since(t1)
					return est
				}
				for range 2 * span {
					one()
				}
				inserting, advancing = 0, 0
				b.ReportAllocs()
				for b.Loop() {
					one()
				}
				reportStep(b, inserting, advancing)
			})
		}
	}
}

// reportStep reports the per-event cost of the inserts and the per-step
// cost of the rest.
func reportStep(b *testing.B, inserting, advancing time.Duration) {
	b.ReportMetric(float64(inserting.Nanoseconds())/float64(b.N*perStep), "ns/event")
	b.ReportMetric(float64(advancing.Nanoseconds())/float64(b.N), "advance+estimate-ns/step")
	b.ReportMetric(float64(b.N*perStep)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkWindow_Estimate measures Estimate when the window has changed:
// sparse (a logarithm), and dense with its cached value dropped (the sum
// of 52 counts and LogLog-Beta).
func BenchmarkWindow_Estimate(b *testing.B) {
	for _, n := range []uint64{1000, 100_000} {
		w := New(2)
		for i := range n {
			w.Insert(0, mix(i))
		}
		b.Run(form(w.dn != nil), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if w.dn != nil {
					w.dn.estOK = false
				}
				w.Estimate()
			}
		})
	}
}

// bucketWidth is detector's: the smallest width cutting a window of steps
// into at most 120 buckets.
func bucketWidth(steps int64) int64 {
	if steps <= 120 {
		return 1
	}
	for w := (steps + 119) / 120; w <= steps; w++ {
		if steps%w == 0 {
			return w
		}
	}
	return steps
}

// BenchmarkMergedBuckets_Step measures the approach Window replaces, as
// detector/window.go runs it: a ring of per-bucket axiomhq sketches (at
// most 121 buckets, so a 1-hour window has 30-step buckets), merged into
// one sketch and estimated at every bucket boundary. One op is one step of
// 240 values, with its share of the boundaries' merges (in
// advance+estimate-ns/step).
func BenchmarkMergedBuckets_Step(b *testing.B) {
	for _, sh := range benchShapes {
		for _, span := range benchSpans {
			b.Run(fmt.Sprintf("%s/span=%d", sh.name, span), func(b *testing.B) {
				width := bucketWidth(span)
				ring := make([]*hyperloglog.Sketch, span/width+1)
				for k := range ring {
					ring[k] = hyperloglog.New14()
				}
				merged := hyperloglog.New14()
				i, step := uint64(0), int64(0)
				var inserting, advancing time.Duration
				one := func() uint64 {
					t0 := time.Now()
					bk := ring[(step/width)%int64(len(ring))]
					for range perStep {
						bk.InsertHash(stream(sh.pool, i))
						i++
					}
					t1 := time.Now()
					inserting += t1.Sub(t0)
					step++
					if step%width != 0 {
						return 0
					}
					ring[(step/width)%int64(len(ring))].Reset() // the bucket that expires
					merged.Reset()
					for _, sk := range ring {
						_ = merged.Merge(sk)
					}
					est := merged.Estimate()
					advancing += time.Since(t1)
					return est
				}
				for range 2 * span {
					one()
				}
				inserting, advancing = 0, 0
				b.ReportAllocs()
				for b.Loop() {
					one()
				}
				reportStep(b, inserting, advancing)
			})
		}
	}
}

// BenchmarkWindow_PeakHeap reports the peak live heap of one window under
// a flood of 1,000,000 distinct values at 2,000 a step (a sign-up flood
// from a new address every event, 500 steps), for windows of 1 minute and
// 1 hour at 1 s steps. (TestWindow_memory checks that a window gives it
// all back once the flood has left it.)
func BenchmarkWindow_PeakHeap(b *testing.B) {
	for _, span := range []int64{60, 3600} {
		b.Run(fmt.Sprintf("span=%d", span), func(b *testing.B) {
			var peak uint64
			for b.Loop() {
				peak, _ = floodHeap(span, 1_000_000, 2000)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
		})
	}
}

// floodHeap inserts n distinct values, perStep a step, into a window of
// span steps, and returns the peak live heap it held (sampled every ten
// steps after a collection) and the heap it holds once advanced past the
// flood by a whole span (the process's heap, so give or take a few KiB of
// the testing package's).
func floodHeap(span int64, n, perStep uint64) (peak, after uint64) {
	var ms runtime.MemStats
	live := func() uint64 {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	base := live()
	w := New(span)
	for i := range n {
		w.Insert(int64(i/perStep), mix(i))
		if i%(perStep*10) == perStep*10-1 {
			peak = max(peak, live()-min(base, live()))
		}
	}
	peak = max(peak, live()-min(base, live()))
	w.Advance(int64(n/perStep) + span)
	after = live() - min(base, live())
	runtime.KeepAlive(w)
	return peak, after
}
