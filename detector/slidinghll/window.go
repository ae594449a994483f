package slidinghll

import (
	"fmt"
	"math"

	"github.com/axiomhq/hyperloglog"
)

// MaxSpan is the longest window, in steps, that [New] accepts.
const MaxSpan = 1 << 24

// sparseMax is the number of sparse keys past which a window turns dense.
// Below it a window keeps axiomhq's sparse estimate (nearly exact) at
// about the memory of the dense form; a from-scratch axiomhq sketch of
// that many uniform hashes is still sparse (its threshold is a 16 KiB
// list, near 7,700 keys), so both give the same estimate.
const sparseMax = 6144

// Window estimates the number of distinct values inserted over a sliding
// window of the span newest steps: a step is an int64 (a bucket number,
// say), and the window ends at the newest step inserted or advanced to.
// See the package documentation for the algorithm and its bounds.
//
// The zero Window is not ready for use: make one with [New], or decode one
// with [Window.UnmarshalBinary]. A Window is not safe for concurrent use.
type Window struct {
	span    int64
	newest  int64
	started bool // newest is set

	// sp is the window's sparse keys while the window is sparse. While it
	// is dense, sp records the keys inserted at steps after recAfter, once
	// the window holds few enough values to turn sparse again when
	// recAfter leaves it; nil when not recording.
	sp       *sparse
	dn       *dense // the dense registers, nil while sparse
	recAfter int64
}

// New returns an empty window of span steps. It panics if span is not in
// [1, MaxSpan]: a caller validates window lengths where it reads them.
func New(span int64) *Window {
	if span < 1 || span > MaxSpan {
		panic(fmt.Sprintf("slidinghll: span %d not in [1, %d]", span, MaxSpan))
	}
	return &Window{span: span}
}

// Span returns the window's length in steps.
func (w *Window) Span() int64 { return w.span }

// Newest returns the window's newest step, and false when nothing has set
// it yet (a new or reset window).
func (w *Window) Newest() (int64, bool) { return w.newest, w.started }

// start returns the window's oldest step.
func (w *Window) start() int64 {
	if w.newest < math.MinInt64+w.span-1 {
		return math.MinInt64
	}
	return w.newest - w.span + 1
}

// Insert counts a value, by its 64-bit hash ([Hash] of its bytes, or any
// uniform hash), at step. A step after the newest first advances the
// window to it, as [Window.Advance] does; a step within the window counts
// where it falls, even behind newer ones. Insert reports false, and counts
// nothing, when step is older than the window.
//
// Insert costs amortized O(1): a hash table update or a walk of one
// register's list (a few pairs), and one queued visit.
func (w *Window) Insert(step int64, hash uint64) bool {
	switch {
	case !w.started:
		w.started, w.newest = true, step
	case step > w.newest:
		w.Advance(step)
	case uint64(w.newest)-uint64(step) >= uint64(w.span):
		return false
	}
	if w.dn != nil {
		j, r := posVal(hash)
		w.dn.insert(j, step, w.newest, r)
		if w.sp != nil && step > w.recAfter {
			w.sp.insert(step, w.newest, encodeKey(hash))
			if w.sp.len() > sparseMax/2 {
				w.sp = nil // too many to turn sparse: stop recording
			}
		}
		return true
	}
	if w.sp == nil {
		w.sp = newSparse()
	}
	w.sp.insert(step, w.newest, encodeKey(hash))
	if w.sp.len() > sparseMax {
		w.toDense()
	}
	return true
}

// Advance moves the window's end to step, if step is after the newest,
// and expires the values of the steps that left the window. A move of a
// whole span or more empties the window. It costs amortized O(1) per
// value expired, whatever the window's length.
func (w *Window) Advance(step int64) {
	switch {
	case !w.started:
		w.started, w.newest = true, step
		return
	case step <= w.newest:
		return
	case uint64(step)-uint64(w.newest) >= uint64(w.span):
		w.sp, w.dn, w.newest = nil, nil, step
		return
	}
	w.newest = step
	start := w.start()
	if w.sp != nil {
		w.sp.expire(start)
	}
	if w.dn == nil {
		if w.sp != nil && w.sp.len() == 0 {
			w.sp = nil
		}
		return
	}
	w.dn.expire(start, step)
	switch {
	case w.dn.empty():
		w.sp, w.dn = nil, nil
	case w.sp != nil && start > w.recAfter:
		w.dn = nil // every value of the window was recorded: sparse again
	case w.sp == nil && w.dn.nonzero() <= sparseMax/2:
		w.sp, w.recAfter = newSparse(), step
	}
}

// toDense turns a sparse window dense: every key becomes its register's
// pair, and every pending visit its register's.
func (w *Window) toDense() {
	sp, d := w.sp, newDense()
	sp.keys.each(func(k, v uint32) {
		j, r := decodeKey(k)
		d.place(j, step32(w.newest, v), w.newest, r)
	})
	sp.q.each(func(step int64, k uint32) {
		if j, _ := decodeKey(k); sp.live(step, k) && d.has(j, step, w.newest) {
			d.q.push(step, uint16(j))
		}
	})
	w.sp, w.dn = nil, d
}

// Estimate returns the estimated number of distinct values in the window:
// axiomhq's estimate of a sketch of the same values, sparse or dense as
// the window is. It costs O(1): the sums it needs are kept up to date.
func (w *Window) Estimate() uint64 {
	switch {
	case w.dn != nil:
		return w.dn.estimate()
	case w.sp != nil:
		return w.sp.estimate()
	}
	return 0
}

// Reset empties the window and forgets its newest step, keeping its span.
func (w *Window) Reset() { *w = Window{span: w.span} }

// Sketch returns an axiomhq sketch of the window's values, whose Estimate
// is the window's: a sparse sketch of the same sparse keys while the
// window is sparse, a dense one (axiomhq's NewNoSparse) of the registers'
// maxima over the window while it is dense. It costs O(values) or O(2^14),
// for snapshots and exchanges, not per step.
func (w *Window) Sketch() *hyperloglog.Sketch {
	if w.dn != nil {
		sk := hyperloglog.NewNoSparse()
		for j := range uint32(m) {
			if r := w.dn.max(j); r > 0 {
				sk.InsertHash(registerHash(j, r))
			}
		}
		return sk
	}
	sk := hyperloglog.New14()
	if w.sp != nil {
		w.sp.keys.each(func(k, _ uint32) {
			x, _ := keyHash(k) // the keys come from hashes
			sk.InsertHash(x)
		})
	}
	return sk
}
