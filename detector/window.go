package detector

import (
	"bytes"
	"math"

	"github.com/sentinel-dev/sentinel/alert"
)

// A window of more than maxBuckets resolution steps is cut into wider
// buckets of equal width (a 5-minute window slides by 5 s), which bounds
// the memory and the evaluation cost of long windows; the width divides
// the window exactly and leaves at least minBuckets buckets.
const (
	maxBuckets = 120
	minBuckets = 10
)

// bucketWidth returns the width, in resolution steps, of the buckets of a
// window of steps resolution steps: the smallest that divides it into at
// most maxBuckets. It reports false when that leaves fewer than minBuckets
// (a window such as 7919 s, a prime).
func bucketWidth(steps int64) (int64, bool) {
	if steps <= maxBuckets {
		return 1, true
	}
	for w := (steps + maxBuckets - 1) / maxBuckets; w <= steps; w++ {
		if steps%w == 0 {
			return w, steps/w >= minBuckets
		}
	}
	return steps, false
}

// bucket is one slice of a rule's window: how many matching events fell
// in it, and a summary of their group_by keys.
type bucket struct {
	n      int64        // bucket number (event time / bucket width)
	count  uint64       // matching events
	keys   *SpaceSaving // group_by keys; nil until the bucket's first key
	merged bool         // keys are summed into the window's Counter
	// side: something was counted into the slot beside the rule's own
	// events (an evidence share's events, which the engine counts for
	// every event): the slot expires through the kind even when count
	// is 0.
	side bool
}

// window is a rule's sliding window, the part every detector kind shares:
// a ring of buckets covering the window plus the bucket being filled, the
// running count, and the sum of the complete buckets' key summaries. An
// event costs one Space-Saving update; a bucket's summary joins the sum
// when the bucket completes and leaves it when the bucket expires. Memory
// is bounded by the ring length times the per-bucket Space-Saving
// capacity, whatever the traffic, and is allocated as keys arrive.
//
// A kind keeps what it adds of its own per ring slot ([kind.add] is
// given the slot) and is told when a slot's bucket expires.
type window struct {
	ring    []bucket
	width   int64 // bucket width in resolution steps
	nb      int64 // buckets per window
	last    int64 // newest bucket opened
	lastIdx int   // its slot in the ring
	total   uint64

	keys          *Counter // Σ of the complete buckets' summaries; nil without group_by
	keysPerBucket int
	// feed, when not nil, holds the buckets' summaries for this window and
	// others (see keyFeed): a bucket points at the feed's while it holds
	// events, and lets go of it without emptying it.
	feed    *keyFeed
	expired func(slot int) // the kind's part of a bucket leaving the window
}

// newWindow returns the window of steps resolution steps, which
// bucketWidth can cut, with a key summary when grouped, which answers for
// its busiest keys when ranked (a per-key rule's).
func newWindow(steps int64, grouped, ranked bool, keysPerBucket int, expired func(slot int)) window {
	width, _ := bucketWidth(steps) // Validate refused the windows it cannot cut
	nb := steps / width
	w := window{ring: make([]bucket, nb+1), width: width, nb: nb, last: math.MinInt64,
		keysPerBucket: keysPerBucket, expired: expired}
	switch {
	case grouped && ranked:
		w.keys = NewCounter(len(w.ring) * keysPerBucket)
	case grouped:
		w.keys = newUnrankedCounter(len(w.ring) * keysPerBucket)
	}
	return w
}

// started reports whether the window has opened a bucket.
func (w *window) started() bool { return w.last != math.MinInt64 }

// bucketOf returns the window's bucket number for an engine bucket (a
// resolution step).
func (w *window) bucketOf(b int64) int64 {
	if w.width == 1 {
		return b // the common case, without a division per event
	}
	return floorDiv(b, w.width)
}

// index returns the ring slot of bucket n: the newest bucket's slot is
// kept, since nearly every event falls in it.
func (w *window) index(n int64) int {
	if n == w.last {
		return w.lastIdx
	}
	return int(mod(n, int64(len(w.ring))))
}

// open makes bucket n the newest: the buckets before it are complete and
// join the key sum; those that fall out of the ring expire.
func (w *window) open(n int64) {
	if n <= w.last {
		return
	}
	if w.last == math.MinInt64 || n-w.last >= int64(len(w.ring)) {
		w.reset(n)
		return
	}
	w.complete(&w.ring[w.lastIdx])
	for b := w.last + 1; b <= n; b++ {
		i := int(mod(b, int64(len(w.ring))))
		w.expire(i)
		w.ring[i].n = b
		if b < n {
			w.complete(&w.ring[i]) // an empty bucket skipped over
		}
	}
	w.last, w.lastIdx = n, int(mod(n, int64(len(w.ring))))
}

// complete adds a finished bucket's key summary to the sum.
func (w *window) complete(bk *bucket) {
	if bk.merged {
		return
	}
	bk.merged = true
	if bk.keys == nil || bk.count == 0 {
		return
	}
	w.keys.addSummary(bk.keys, 1)
}

// expire empties slot i, taking its counts out of the window.
func (w *window) expire(i int) {
	bk := &w.ring[i]
	if bk.count > 0 {
		w.expired(i)
		w.total -= bk.count
		if bk.keys != nil {
			if bk.merged {
				w.keys.addSummary(bk.keys, -1)
			}
			if w.feed != nil {
				bk.keys = nil // the feed's, which other windows may still hold
			} else {
				bk.keys.Reset()
			}
		}
		bk.count = 0
	} else if bk.side {
		w.expired(i)
	}
	bk.merged, bk.side = false, false
}

// reset empties the whole window, after a gap longer than the ring, and
// makes n its newest bucket.
func (w *window) reset(n int64) {
	for i := range w.ring {
		bk := &w.ring[i]
		if bk.count > 0 || bk.side {
			w.expired(i)
			if bk.keys != nil && w.feed == nil {
				bk.keys.Reset()
			}
		}
		keys := bk.keys
		if w.feed != nil {
			keys = nil
		}
		b := n - mod(n-int64(i), int64(len(w.ring))) // the bucket number slot i holds
		*bk = bucket{n: b, keys: keys, merged: b < n}
	}
	if w.keys != nil {
		w.keys.Reset()
	}
	w.total, w.last = 0, n
	w.lastIdx = int(mod(n, int64(len(w.ring))))
}

// add counts one event into bucket n, with its group_by key (nil when the
// event has none: it is counted, but under no key). It returns the slot,
// and false when n is older than the window: nothing is left to count it
// into, and the engine counts it late.
func (w *window) add(n int64, key []byte, ev *Event, f *Field) (int, bool) {
	i := w.index(n)
	bk := &w.ring[i]
	if bk.n != n || n < w.last-w.nb {
		return i, false
	}
	bk.count++
	w.total++
	if w.keys == nil || key == nil {
		return i, true
	}
	if len(key) > maxKeyBytes {
		key = key[:maxKeyBytes] // an attacker's 1 MiB path must not be kept 128 times a bucket
	}
	// The key's hash from the event, which computes the client's once
	// for every table keyed on it.
	h := uint32(f.hashOf(ev, key))
	var (
		evicted EvictedEntry
		did     bool
	)
	if w.feed != nil {
		bk.keys, evicted, did = w.feed.add(ev.seq, n, key, h)
	} else {
		if bk.keys == nil {
			bk.keys = NewSpaceSaving(w.keysPerBucket)
		}
		evicted, did = bk.keys.addHashed(key, h)
	}
	if bk.merged {
		// A late event in a complete bucket: mirror the change in the sum,
		// eviction included.
		if did {
			w.keys.Sub(evicted.Key, evicted.Count, evicted.Err)
			w.keys.Add(key, evicted.Count+1, evicted.Count)
		} else {
			w.keys.Add(key, 1, 0)
		}
	}
	return i, true
}

// restoreBucket loads bucket n's key summary from a snapshot, at the
// keys' guaranteed counts (a Space-Saving summary cannot be rebuilt with
// its error bounds, so a key never looks busier after a restart), and adds
// it to the sum if it was complete. The bucket's count is the caller's.
func (w *window) restoreBucket(n int64, keys []alert.KeyCount, merged bool) {
	if n < w.last-w.nb || n > w.last {
		return // the window's width changed: out of the ring
	}
	bk := &w.ring[mod(n, int64(len(w.ring)))]
	bk.n, bk.merged = n, false
	if w.feed != nil {
		// One member restores the feed's bucket for all: their snapshots
		// agree (keyFeed.keepOnRestore).
		fb := w.feed.bucket(n)
		bk.keys = fb.keys
		if fb.restored {
			keys = nil
		}
		fb.restored = true
	}
	if w.keys != nil {
		for _, k := range keys {
			if bk.keys == nil {
				bk.keys = NewSpaceSaving(w.keysPerBucket)
			}
			for range k.Count - min(k.Error, k.Count) {
				bk.keys.Add([]byte(k.Key))
				bk.count++
			}
		}
	}
	if merged {
		w.complete(bk)
	}
}

// maxKeyBytes caps the length of a group_by key: longer values are cut,
// so that keys that differ only beyond it count as one.
const maxKeyBytes = 256

// lastComplete returns the count of the newest complete bucket, and false
// when it is not in the ring (the window was reset past it).
func (w *window) lastComplete() (uint64, bool) {
	bk := &w.ring[mod(w.last-1, int64(len(w.ring)))]
	return bk.count, bk.n == w.last-1
}

// oldestCount returns the count of the ring's oldest bucket (the one a
// window ending inside the newest bucket covers only in part), 0 when the
// ring does not hold it.
func (w *window) oldestCount() uint64 {
	bk := &w.ring[mod(w.last-w.nb, int64(len(w.ring)))]
	if bk.n != w.last-w.nb {
		return 0
	}
	return bk.count
}

// liveTotal is a lower bound of the events in the window ending at an
// event of the newest bucket: every bucket but the oldest.
func (w *window) liveTotal() uint64 { return w.total - w.oldestCount() }

// liveKeyCount is a lower bound of key's events in the window ending at
// an event of the newest bucket: its guaranteed counts in the newest and
// the complete buckets, less what the oldest bucket may have held of it.
// The newest bucket's count comes from the Add just made for key.
func (w *window) liveKeyCount(key []byte) uint64 {
	cur := &w.ring[w.lastIdx]
	count, err := cur.keys.Added()
	n := count - min(err, count)
	if c, e, ok := w.keys.Get(key); ok {
		n += c - min(e, c)
	}
	old := &w.ring[mod(w.last-w.nb, int64(len(w.ring)))]
	if old.n == w.last-w.nb && old.keys != nil && old.count > 0 {
		if c, _, ok := old.keys.Get(key); ok {
			n -= min(c, n)
		}
	}
	return n
}

// liveTopKeys returns the n keys with the highest guaranteed counts over
// the complete buckets and the newest one: what an alert fired on an
// event names, before the newest bucket completes.
func (w *window) liveTopKeys(n int) []alert.KeyCount {
	defer w.withNewest()()
	return w.topKeys(n)
}

// withNewest adds the newest bucket's keys, not complete yet, to the
// window's sum of keys, so that w.keys counts the window up to an event;
// the function it returns takes them out again, and must be called before
// the window changes.
func (w *window) withNewest() (undo func()) {
	cur := &w.ring[w.lastIdx]
	if cur.keys == nil || cur.count == 0 || cur.merged {
		return func() {}
	}
	cur.keys.Each(func(key []byte, count, err uint64) { w.keys.Add(key, count, err) })
	return func() { cur.keys.Each(func(key []byte, count, err uint64) { w.keys.Sub(key, count, err) }) }
}

// recentShare is key's share of the events in the window's newest quarter
// (the bucket being filled and the complete ones just before it), from
// its guaranteed counts: what a key sends now against what the site sends
// now, over the same span, where the window's counts would weigh a key
// that arrived seconds ago against a whole window of the site.
func (w *window) recentShare(key []byte) float64 {
	k, total := w.keyCount(key, w.last-max(w.nb/4, 1)+1, w.last)
	if total == 0 {
		return 0
	}
	return float64(k) / float64(total)
}

// arriving reports whether key is arriving: its share of the window's
// newest quarter (recentShare) at least share, and at least twice its
// share of the buckets before that quarter. An address that started
// flooding seconds ago is a sliver of a minute of the site and most of
// its newest quarter; an office's NAT that has sent 9% of the site's
// requests all along passes 10% of some quarter by chance, and is no
// newcomer (the sixth independent check's SPA-polling office at 50
// req/s, held to its own normal there instead of its share, paged
// client-flood). Both shares are of the buckets' own summaries, whether
// or not the newest bucket is merged into the window's for the moment.
func (w *window) arriving(key []byte, share float64) bool {
	r := w.recentShare(key)
	if r < share {
		return false
	}
	k, total := w.keyCount(key, w.last-w.nb+1, w.last-max(w.nb/4, 1))
	return total == 0 || r >= 2*float64(k)/float64(total)
}

// keyCount returns key's guaranteed count and the events of buckets from
// to to, both included, from each bucket's own summary.
func (w *window) keyCount(key []byte, from, to int64) (k, total uint64) {
	for b := from; b <= to; b++ {
		bk := &w.ring[mod(b, int64(len(w.ring)))]
		if bk.n != b || bk.count == 0 {
			continue
		}
		total += bk.count
		if bk.keys != nil {
			if c, e, ok := bk.keys.Get(key); ok {
				k += c - min(e, c)
			}
		}
	}
	return k, total
}

// busiest returns the highest guaranteed count of a key over the complete
// buckets: Space-Saving's count minus its error bound, so that the
// sketch's overestimate never makes a rule fire.
func (w *window) busiest() uint64 { return w.keys.Busiest() }

// topKeys returns the n keys with the highest guaranteed counts (count
// minus error bound) over the complete buckets, so that a key whose count
// is mostly the sketch's inherited error does not pose as a top offender.
func (w *window) topKeys(n int) []alert.KeyCount {
	// A selection of the n best, not a sort of every key: traces ask for
	// the top keys at every boundary, and only the winners become strings.
	type cand struct {
		key        []byte
		count, err uint64
	}
	before := func(a, b cand) bool { // a ranks before b
		if ga, gb := a.count-a.err, b.count-b.err; ga != gb {
			return ga > gb
		}
		if a.count != b.count {
			return a.count > b.count
		}
		return bytes.Compare(a.key, b.key) < 0
	}
	top := make([]cand, 0, max(n, 0)+1)
	w.keys.Each(func(key []byte, count, err uint64) {
		c := cand{key, count, min(err, count)}
		if n <= 0 || len(top) == n && !before(c, top[n-1]) {
			return
		}
		top = append(top, c)
		for i := len(top) - 1; i > 0 && before(top[i], top[i-1]); i-- {
			top[i], top[i-1] = top[i-1], top[i]
		}
		if len(top) > n {
			top = top[:n]
		}
	})
	keys := make([]alert.KeyCount, len(top))
	for i, c := range top {
		keys[i] = alert.KeyCount{Key: string(c.key), Count: c.count, Error: c.err}
	}
	return keys
}

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}
