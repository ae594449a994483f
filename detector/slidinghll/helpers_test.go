package slidinghll

import (
	"testing"

	"github.com/axiomhq/hyperloglog"
)

// model is the exact reference of a window: every counted insert, from
// which the window's set is recomputed from scratch.
type model struct {
	span    int64
	newest  int64
	started bool
	events  []event
	pruneAt int // prune events once there are this many
}

type event struct {
	step int64
	hash uint64
}

func (md *model) advance(step int64) {
	if !md.started || step > md.newest {
		md.newest, md.started = step, true
	}
	if len(md.events) > max(md.pruneAt, 1<<16) { // drop what can never count again
		start := md.start()
		kept := md.events[:0]
		for _, e := range md.events {
			if e.step >= start {
				kept = append(kept, e)
			}
		}
		md.events = kept
		md.pruneAt = 2 * len(kept)
	}
}

// insert mirrors Window.Insert and reports whether the event counts.
func (md *model) insert(step int64, h uint64) bool {
	md.advance(step)
	if step < md.start() {
		return false
	}
	md.events = append(md.events, event{step, h})
	return true
}

func (md *model) start() int64 {
	if md.newest-md.span+1 > md.newest { // overflow near MinInt64
		return -1 << 63
	}
	return md.newest - md.span + 1
}

// set returns the distinct hashes of the window.
func (md *model) set() map[uint64]bool {
	s := map[uint64]bool{}
	start := md.start()
	for _, e := range md.events {
		if e.step >= start && e.step <= md.newest {
			s[e.hash] = true
		}
	}
	return s
}

// sketch returns a from-scratch axiomhq sketch of the window's values,
// sparse (New14) or dense (NewNoSparse).
func (md *model) sketch(dense bool) *hyperloglog.Sketch {
	sk := hyperloglog.New14()
	if dense {
		sk = hyperloglog.NewNoSparse()
	}
	for h := range md.set() {
		sk.InsertHash(h)
	}
	return sk
}

// isSparse reports whether an axiomhq sketch is in its sparse form (the
// fourth byte of its encoding), after Estimate has compacted it.
func isSparse(tb testing.TB, sk *hyperloglog.Sketch) bool {
	tb.Helper()
	sk.Estimate()
	b, err := sk.MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	return b[3] == 1
}

// checkAgainst compares w with the model: the estimate equals axiomhq's
// from-scratch estimate of the window's values in the same form, is
// within the error bound of the exact count, and Sketch agrees.
func checkAgainst(tb testing.TB, w *Window, md *model) {
	tb.Helper()
	checkInvariants(tb, w)
	got := w.Estimate()
	exact := uint64(len(md.set()))
	dense := w.dn != nil
	ref := md.sketch(dense)
	if !dense && !isSparse(tb, ref) {
		tb.Fatalf("window sparse with %d keys, axiomhq's sketch of %d values is dense", w.sp.len(), exact)
	}
	if want := ref.Estimate(); got != want {
		tb.Fatalf("Estimate() = %d, axiomhq's from-scratch %s sketch = %d (exact %d)", got, form(dense), want, exact)
	}
	if lo, hi := bounds(exact, dense); got < lo || got > hi {
		tb.Fatalf("Estimate() = %d, exact %d: outside [%d, %d] (%s)", got, exact, lo, hi, form(dense))
	}
	if sk := w.Sketch(); sk.Estimate() != got {
		tb.Fatalf("Sketch().Estimate() = %d, Estimate() = %d", sk.Estimate(), got)
	}
}

func form(dense bool) string {
	if dense {
		return "dense"
	}
	return "sparse"
}

// relErr is HyperLogLog's standard error at precision 14, 1.04/√m.
const relErr = 1.04 / 128

// bounds returns the range an estimate of exact distinct values must fall
// in: three standard errors for the dense form, plus the register
// collisions of small counts; a sparse estimate misses at most a key
// collision in 2^25 per 2^13 values, plus one.
func bounds(exact uint64, dense bool) (lo, hi uint64) {
	n := float64(exact)
	d := 2 + n/8192
	if dense {
		d = 3*relErr*n + 3
	}
	return uint64(max(n-d, 0)), uint64(n + d)
}

// checkInvariants checks w's internal state: lists ordered and inside
// the window, the counts per rank, the estimate cache, a pending visit for
// every pair and key, the recorder's place.
func checkInvariants(tb testing.TB, w *Window) {
	tb.Helper()
	if !w.started {
		if w.sp != nil || w.dn != nil {
			tb.Fatal("state without a newest step")
		}
		return
	}
	start := w.start()
	if sp := w.sp; sp != nil {
		if w.dn == nil && sp.len() == 0 {
			tb.Fatal("empty sparse set kept")
		}
		if w.dn == nil && sp.len() > sparseMax {
			tb.Fatalf("sparse with %d keys", sp.len())
		}
		pending := map[[2]int64]bool{}
		sp.q.each(func(step int64, k uint32) { pending[[2]int64{step, int64(k)}] = true })
		if sp.keys.n > 0 && sp.keys.n*4 > len(sp.keys.slots)*3 {
			tb.Fatalf("table of %d keys in %d slots", sp.keys.n, len(sp.keys.slots))
		}
		count := 0
		sp.keys.each(func(k, v uint32) {
			count++
			if got, ok := sp.keys.get(k); !ok || got != v {
				tb.Fatalf("key %#x: get = %d, %v, want %d", k, got, ok, v)
			}
			s := step32(w.newest, v)
			if s < start || s > w.newest {
				tb.Fatalf("key %#x at step %d, window [%d, %d]", k, s, start, w.newest)
			}
			if w.dn != nil && s <= w.recAfter {
				tb.Fatalf("recorded key at step %d, recording after %d", s, w.recAfter)
			}
			if w.dn != nil && !w.dn.covers(k, s, w.newest) {
				tb.Fatalf("recorded key %#x at step %d not in the registers", k, s)
			}
			if !pending[[2]int64{s, int64(k)}] {
				tb.Fatalf("key %#x at step %d: no visit queued", k, s)
			}
			if _, ok := keyHash(k); !ok {
				tb.Fatalf("key %#x: no hash encodes to it", k)
			}
		})
		if count != sp.keys.n {
			tb.Fatalf("table holds %d keys, counts %d", count, sp.keys.n)
		}
	}
	d := w.dn
	if d == nil {
		return
	}
	if d.empty() {
		tb.Fatal("empty dense registers kept")
	}
	pending := map[[2]int64]bool{}
	d.q.each(func(step int64, j uint16) { pending[[2]int64{step, int64(j)}] = true })
	var cnt [maxRank + 1]int32
	live, used := 0, 0
	for j := range uint32(m) {
		es := d.list(j)
		live += len(es)
		if d.blk[j] != noBlock {
			used += cap(es)
		}
		for i, e := range es {
			s, r := stepOf(w.newest, e), rankOf(e)
			if s < start || s > w.newest || r < 1 || r > maxRank {
				tb.Fatalf("register %d pair %d: step %d rank %d, window [%d, %d]", j, i, s, r, start, w.newest)
			}
			if i > 0 && (s <= stepOf(w.newest, es[i-1]) || r >= rankOf(es[i-1])) {
				tb.Fatalf("register %d: pairs %d and %d out of order", j, i-1, i)
			}
			if !pending[[2]int64{s, int64(j)}] {
				tb.Fatalf("register %d pair at step %d: no visit queued", j, s)
			}
		}
		cnt[d.max(j)]++
	}
	if cnt != d.cnt {
		tb.Fatalf("counts per rank %v, recomputed %v", d.cnt, cnt)
	}
	if live != d.live || used != d.used {
		tb.Fatalf("live %d used %d, recomputed %d %d", d.live, d.used, live, used)
	}
	if d.estOK {
		d.estOK = false
		if e := d.est; d.estimate() != e {
			tb.Fatalf("cached estimate %d, recomputed %d", e, d.estimate())
		}
	}
}
