package slidinghll

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/axiomhq/hyperloglog"
)

// mix is splitmix64's finalizer: distinct ids give distinct uniform
// hashes, cheaper than hashing their text.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// TestWindow_property drives windows of random lengths (1 to 3600 steps)
// with random streams: rates from silence to floods, values drawn from
// pools small and large (repeats and fresh values), steps that stay, move
// by one, jump within or past the window, go back within the window or
// before it. At random points the estimate must equal axiomhq's estimate
// of a from-scratch sketch of the window's values (which proves expiry
// and domination right, apart from HyperLogLog's error) and lie within
// three standard errors of the exact count.
func TestWindow_property(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 12
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 12))
			span := []int64{1, 2, 7, 60, 600, 3600}[rng.IntN(6)]
			if rng.IntN(2) == 0 {
				span = 1 + rng.Int64N(3600)
			}
			w, md := New(span), &model{span: span}
			step := rng.Int64N(1<<40) - 1<<39 // negative steps too
			checks, dense, sparse := 0, 0, 0
			var rate, pool int
			for i := 0; i < 3000 && checks < 25; i++ {
				if i%50 == 0 { // a new phase of traffic
					rate = []int{0, 1, 3, 20, 150, 600, 3000}[rng.IntN(7)]
					pool = []int{5, 300, 5000, 50_000, 1 << 40}[rng.IntN(5)]
				}
				switch p := rng.IntN(100); {
				case p < 2:
					step += span + rng.Int64N(3*span) // past the window
				case p < 10:
					step += rng.Int64N(span) // within it
				case p < 80:
					step++
				}
				if rng.IntN(3) == 0 {
					w.Advance(step)
					md.advance(step)
				}
				for range rng.IntN(2*rate + 1) {
					s := step
					if rng.IntN(20) == 0 { // late: within the window or before it
						s -= rng.Int64N(span + span/4 + 1)
					}
					h := mix(seed<<48 ^ uint64(rng.IntN(pool)))
					if got, want := w.Insert(s, h), md.insert(s, h); got != want {
						t.Fatalf("Insert(%d) = %v, want %v (newest %d, span %d)", s, got, want, md.newest, span)
					}
				}
				if rng.IntN(100) == 0 {
					w.Reset()
					*md = model{span: span}
				}
				if rng.IntN(40) == 0 || i%500 == 499 {
					checks++
					if w.dn != nil {
						dense++
					} else {
						sparse++
					}
					checkAgainst(t, w, md)
					if rng.IntN(2) == 0 { // go on with a decoded copy
						b, err := w.MarshalBinary()
						if err != nil {
							t.Fatal(err)
						}
						w = new(Window)
						if err := w.UnmarshalBinary(b); err != nil {
							t.Fatal(err)
						}
						checkAgainst(t, w, md)
					}
				}
			}
			t.Logf("span %d: %d checks (%d dense, %d sparse)", span, checks, dense, sparse)
		})
	}
}

// TestWindow_Estimate_dense fills a window past the sparse threshold with
// steady traffic, then lets it slide: every step's estimate equals the
// from-scratch dense sketch's, and the window turns sparse again once the
// traffic falls and the recorded steps fill the window.
func TestWindow_Estimate_dense(t *testing.T) {
	const span = 30
	w, md := New(span), &model{span: span}
	id := uint64(0)
	insert := func(step int64, n int) {
		for range n {
			id++
			h := mix(id)
			w.Insert(step, h)
			md.insert(step, h)
		}
	}
	step := int64(0)
	for ; step < 3*span; step++ {
		insert(step, 700) // 21,000 values per window: dense
		if step%7 == 0 {
			checkAgainst(t, w, md)
		}
	}
	if w.dn == nil {
		t.Fatal("window with 21,000 values is not dense")
	}
	for ; step < 6*span; step++ {
		insert(step, 20) // 600 per window: sparse again one window after recording starts
		w.Advance(step)
		md.advance(step)
		checkAgainst(t, w, md)
	}
	if w.dn != nil {
		t.Fatalf("window with %d values still dense", len(md.set()))
	}
}

// TestWindow_Insert_edges covers steps going back, jumps, negative and
// extreme steps.
func TestWindow_Insert_edges(t *testing.T) {
	type op struct {
		advance bool
		step    int64
		value   uint64
		want    bool // Insert's result
	}
	tests := []struct {
		name string
		span int64
		ops  []op
		want uint64 // distinct values at the end
	}{
		{"back within the window", 10, []op{{step: 100, value: 1, want: true}, {step: 95, value: 2, want: true}, {step: 91, value: 3, want: true}}, 3},
		{"back before the window", 10, []op{{step: 100, value: 1, want: true}, {step: 90, value: 2}, {step: 91, value: 3, want: true}}, 2},
		{"late value expires at its own step", 10, []op{{step: 100, value: 1, want: true}, {step: 92, value: 2, want: true}, {advance: true, step: 102}}, 1},
		{"late repeat keeps the newer step", 10, []op{{step: 100, value: 1, want: true}, {step: 92, value: 1, want: true}, {advance: true, step: 105}}, 1},
		{"jump past the window empties it", 10, []op{{step: 5, value: 1, want: true}, {step: 6, value: 2, want: true}, {step: 16, value: 3, want: true}}, 1},
		{"jump of exactly the span", 10, []op{{step: 5, value: 1, want: true}, {advance: true, step: 15}}, 0},
		{"jump of one less than the span", 10, []op{{step: 5, value: 1, want: true}, {advance: true, step: 14}}, 1},
		{"negative steps", 3, []op{{step: -7, value: 1, want: true}, {step: -6, value: 2, want: true}, {step: -4, value: 3, want: true}, {step: -8, value: 4}}, 2},
		{"span one", 1, []op{{step: 0, value: 1, want: true}, {step: 0, value: 2, want: true}, {step: 1, value: 3, want: true}, {step: 0, value: 4}}, 1},
		{"advance before any insert", 5, []op{{advance: true, step: 50}, {step: 45, value: 1}, {step: 46, value: 2, want: true}}, 1},
		{"advance backwards is ignored", 5, []op{{step: 50, value: 1, want: true}, {advance: true, step: 10}, {step: 49, value: 2, want: true}}, 2},
		{"steps at the int64 floor", 4, []op{{step: math.MinInt64, value: 1, want: true}, {step: math.MinInt64 + 2, value: 2, want: true}, {advance: true, step: math.MinInt64 + 4}}, 1},
		{"steps at the int64 ceiling", 4, []op{{step: math.MaxInt64 - 3, value: 1, want: true}, {step: math.MaxInt64, value: 2, want: true}, {step: math.MinInt64, value: 3}}, 2},
		{"jump from the floor to the ceiling", 4, []op{{step: math.MinInt64, value: 1, want: true}, {step: math.MaxInt64, value: 2, want: true}}, 1},
		{"longest window around a 2^26 wrap", MaxSpan, []op{
			{step: 1<<26 - 5, value: 1, want: true}, {step: 1<<26 + 3, value: 2, want: true},
			{step: 1<<26 + MaxSpan - 6, value: 3, want: true}, {step: 1<<26 - 6, value: 4}}, 3},
		{"longest window slides off a 2^32 wrap", MaxSpan, []op{
			{step: 1<<32 - 1, value: 1, want: true}, {step: 1 << 32, value: 2, want: true},
			{advance: true, step: 1<<32 + MaxSpan - 1}}, 1},
	}
	for _, tt := range tests {
		for _, dense := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/%s", tt.name, form(dense)), func(t *testing.T) {
				w, md := New(tt.span), &model{span: tt.span}
				for _, o := range tt.ops {
					if o.advance {
						w.Advance(o.step)
						md.advance(o.step)
						continue
					}
					if dense && w.dn == nil && w.sp != nil {
						w.toDense() // the same values through the dense path
					}
					if got := w.Insert(o.step, mix(o.value)); got != o.want {
						t.Fatalf("Insert(%d) = %v, want %v", o.step, got, o.want)
					}
					md.insert(o.step, mix(o.value))
				}
				if got := uint64(len(md.set())); got != tt.want {
					t.Fatalf("model counts %d, want %d", got, tt.want)
				}
				checkInvariants(t, w)
				ref := md.sketch(w.dn != nil)
				if got, want := w.Estimate(), ref.Estimate(); got != want {
					t.Errorf("Estimate() = %d, from-scratch %d", got, want)
				}
				if got := w.Estimate(); got != tt.want && w.dn == nil {
					t.Errorf("Estimate() = %d, want %d", got, tt.want)
				}
			})
		}
	}
}

// TestWindow_Reset empties a dense window and keeps its span.
func TestWindow_Reset(t *testing.T) {
	w := New(60)
	for i := range uint64(20_000) {
		w.Insert(int64(i/1000), mix(i))
	}
	if w.dn == nil || w.Estimate() < 19_000 {
		t.Fatalf("Estimate() = %d before Reset, dense %v", w.Estimate(), w.dn != nil)
	}
	w.Reset()
	if got := w.Estimate(); got != 0 {
		t.Errorf("Estimate() after Reset = %d, want 0", got)
	}
	if _, ok := w.Newest(); ok {
		t.Error("Newest() reports a step after Reset")
	}
	if w.Span() != 60 {
		t.Errorf("Span() = %d after Reset, want 60", w.Span())
	}
	if !w.Insert(-5, mix(1)) || w.Estimate() != 1 {
		t.Errorf("after Reset, Insert at an older step: Estimate() = %d, want 1", w.Estimate())
	}
}

// TestHash checks that Hash is axiomhq's hash: inserting Hash(v) gives the
// sketch Insert(v) gives.
func TestHash(t *testing.T) {
	a, b := hyperloglog.New14(), hyperloglog.New14()
	w := New(1)
	for i := range 3000 {
		v := fmt.Appendf(nil, "198.51.%d.%d", i/256, i%256)
		a.Insert(v)
		b.InsertHash(Hash(v))
		w.Insert(0, Hash(v))
	}
	ea, _ := a.MarshalBinary()
	eb, _ := b.MarshalBinary()
	if string(ea) != string(eb) {
		t.Error("InsertHash(Hash(v)) and Insert(v) give different sketches")
	}
	if got, want := w.Estimate(), a.Estimate(); got != want {
		t.Errorf("Estimate() = %d, axiomhq's = %d", got, want)
	}
}

// TestKeys checks the sparse keys against the dense registers: a key
// decodes to its hash's register and rank, and keyHash and registerHash
// invert them.
func TestKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200_000 {
		x := rng.Uint64()
		if i%4 == 0 {
			x &^= 0x7ff << 39 // the 11 bits that make keys carry a rank
		}
		switch i % 16 {
		case 1: // long runs of zeros after the sparse index
			x &^= (1<<39 - 1) &^ (1<<rng.IntN(40) - 1)
		case 2: // and after the dense index
			x &^= (1<<50 - 1) &^ (1<<rng.IntN(51) - 1)
		}
		j, r := posVal(x)
		k := encodeKey(x)
		if dj, dr := decodeKey(k); dj != j || dr != r {
			t.Fatalf("decodeKey(encodeKey(%#x)) = %d, %d, want %d, %d", x, dj, dr, j, r)
		}
		if y, ok := keyHash(k); !ok || encodeKey(y) != k {
			t.Fatalf("keyHash(%#x) = %#x, %v", k, y, ok)
		}
		if gj, gr := posVal(registerHash(j, r)); gj != j || gr != r {
			t.Fatalf("posVal(registerHash(%d, %d)) = %d, %d", j, r, gj, gr)
		}
	}
	for _, k := range []uint32{0, 1, 0x81, 1 | 41<<1, 1 | 63<<1, 0xfffffffe, 0x2 << 25} {
		if _, ok := keyHash(k); ok {
			t.Errorf("keyHash(%#x) accepts a key no hash encodes to", k)
		}
	}
}

// TestWindow_Sketch checks the exported sketch against axiomhq's own
// sketch of the window's values, by estimate and by merging: a sketch of
// the same values adds nothing to it.
func TestWindow_Sketch(t *testing.T) {
	for _, n := range []int{0, 1, 100, 5000, 30_000, 400_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			w, md := New(10), &model{span: 10}
			for i := range n {
				h := Hash(fmt.Appendf(nil, "user-%d@example.org", i))
				w.Insert(int64(i%17), h)
				md.insert(int64(i%17), h)
			}
			own := md.sketch(w.dn != nil)
			sk := w.Sketch()
			if got, want := sk.Estimate(), own.Estimate(); got != want {
				t.Fatalf("Sketch().Estimate() = %d, axiomhq's own = %d", got, want)
			}
			if got := w.Estimate(); got != own.Estimate() {
				t.Fatalf("Estimate() = %d, axiomhq's own = %d", got, own.Estimate())
			}
			before := own.Estimate()
			if err := own.Merge(sk); err != nil {
				t.Fatal(err)
			}
			if got := own.Estimate(); got != before {
				t.Errorf("axiomhq's own sketch merged with Sketch(): %d, was %d", got, before)
			}
		})
	}
}

// TestWindow_Advance_long slides a dense window through a flood and a
// lull, long enough that its lists' arena is compacted both ways (dead
// blocks, then blocks too large for the lull), and checks it against
// axiomhq along the way.
func TestWindow_Advance_long(t *testing.T) {
	const span = 8
	w, md := New(span), &model{span: span}
	compactions, size := 0, 0
	for step := range int64(400) {
		n := uint64(20_000) // a flood: long lists
		if step >= 200 {
			n = 1000 // a lull: 8,000 values, still dense
		}
		for i := range n {
			h := mix(uint64(step)<<20 | i)
			w.Insert(step, h)
			md.insert(step, h)
		}
		if w.dn == nil {
			t.Fatalf("step %d: window of %d values not dense", step, len(md.set()))
		}
		if len(w.dn.ents) < size {
			compactions++
		}
		size = len(w.dn.ents)
		if step%50 == 49 || step == 200+span {
			checkAgainst(t, w, md)
		}
	}
	if compactions < 2 {
		t.Errorf("the arena was compacted %d times, want 2 or more", compactions)
	}
}

// heapOf returns the live heap, after a collection.
func heapOf() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestWindow_memory checks that memory follows the traffic: a window that
// saw nothing, or a few values, costs a few hundred bytes; one that held a
// burst gives its memory back once the burst has left it, whether traffic
// goes on or not.
func TestWindow_memory(t *testing.T) {
	span := int64(3600)
	per := func(n int, fill func(w *Window)) uint64 {
		ws := make([]*Window, n)
		base := heapOf()
		for i := range ws {
			ws[i] = New(span)
			fill(ws[i])
		}
		used := heapOf()
		used -= min(base, used)
		runtime.KeepAlive(ws)
		t.Logf("%d B per window", used/uint64(n))
		return used / uint64(n)
	}
	if got := per(10_000, func(*Window) {}); got > 64 {
		t.Errorf("a window that saw nothing: %d bytes, want ≤ 64", got)
	}
	if got := per(10_000, func(w *Window) {
		for i := range uint64(5) {
			w.Insert(int64(i), mix(i))
		}
	}); got > 512 {
		t.Errorf("a window of 5 values: %d bytes, want ≤ 512", got)
	}
	span = 2
	for _, burst := range []uint64{5000, 50_000} { // sparse, dense
		if got := per(100, func(w *Window) {
			for i := range burst {
				w.Insert(0, mix(i))
			}
			for step := range int64(10) {
				w.Insert(1+step, mix(1<<40+uint64(step)))
			}
			if w.dn != nil || w.sp.len() != 2 {
				t.Fatalf("after the burst: dense %v, %d keys", w.dn != nil, w.sp.len())
			}
		}); got > 1024 {
			t.Errorf("a 2-step window of 2 values after a burst of %d: %d bytes, want ≤ 1 KiB", burst, got)
		}
	}
	span = 3600
	if got := per(100, func(w *Window) {
		for i := range uint64(20_000) {
			w.Insert(int64(i/1000), mix(i))
		}
		w.Advance(20 + 3600)
		if w.sp != nil || w.dn != nil {
			t.Fatal("a window the flood has left keeps its state")
		}
	}); got > 128 {
		t.Errorf("a window the flood has left: %d bytes, want ≤ 128", got)
	}
}

// TestWindow_floodHeap bounds one window's peak live heap under a flood
// of 1,000,000 distinct values at 2,000 a step, for windows of 1 minute
// and 1 hour (BenchmarkWindow_PeakHeap reports the figures).
func TestWindow_floodHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("a flood of 1,000,000 values")
	}
	for _, span := range []int64{60, 3600} {
		peak, after := floodHeap(span, 1_000_000, 2000)
		t.Logf("span %d: peak %.2f MiB, after %d B", span, float64(peak)/(1<<20), after)
		if peak > 3<<20 {
			t.Errorf("span %d: peak heap %d B, want ≤ 3 MiB", span, peak)
		}
	}
}
