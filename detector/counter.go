package detector

import (
	"hash/maphash"
	"math/bits"
)

// Entry is one key of a [Counter] or [SpaceSaving] with its count (in
// events, or whatever unit the caller adds) and its error bound in the same
// unit. For a [SpaceSaving] summary the true count lies in
// [Count-Err, Count]; for a [Counter] Err is whatever the caller added.
type Entry struct {
	Key   string
	Count uint64
	Err   uint64
}

// Counter is a hash table from byte-string keys to a count and an error
// bound (both uint64, in the caller's unit, usually events), holding at most
// a fixed number of keys so that its memory is bounded whatever the input.
//
// It also keeps its keys in a max-heap by guaranteed count (count minus
// error), so that [Counter.Busiest] answers in O(1) and Add and Sub stay
// O(log n): a per-key rule asks for the busiest key at every boundary.
//
// Once warm (grown to its keys, and every slot's key buffer has held a key
// as long as the keys it sees), Add, Sub and Get do not allocate: keys are
// copied into per-slot buffers that are reused. Every stored key has a
// count of at least 1.
//
// A Counter is not safe for concurrent use.
type Counter struct {
	t    keyTable
	heap []heapEntry // a max-heap by guaranteed count
	at   []int32     // at[slot] is the slot's index in heap
	// unranked: no heap is kept (newUnrankedCounter), and Busiest and
	// EachAtLeast walk every key.
	unranked bool
}

// heapEntry is a slot in a Counter's heap, with its guaranteed count kept
// beside it: a window's bucket joins and leaves the sum key by key at
// every boundary, and the heap's comparisons then read one array.
type heapEntry struct {
	g    uint64 // the slot's count minus its error
	slot int32
}

// NewCounter returns an empty Counter that holds at most capacity keys; it
// allocates as keys arrive. It panics if capacity < 1 or capacity > 2^30.
func NewCounter(capacity int) *Counter {
	c := &Counter{}
	c.t.init("NewCounter", capacity)
	return c
}

// newUnrankedCounter returns a Counter that keeps no heap: the window sum
// of a rule that is never asked for its busiest key (any but a per-key
// rule), whose keys join and leave the sum at every boundary, each a
// heap update of random reads.
func newUnrankedCounter(capacity int) *Counter {
	c := NewCounter(capacity)
	c.unranked = true
	return c
}

// Add adds count and err to key's totals (saturating at the uint64 maximum)
// and returns key's new count. If key is absent it is inserted, unless the
// Counter is full, in which case nothing changes and ok is false. Adding a
// count of 0 to an absent key stores nothing and returns (0, true).
// Add does not keep key.
func (c *Counter) Add(key []byte, count, err uint64) (newCount uint64, ok bool) {
	return c.addHashed(key, c.t.hash(key), count, err)
}

// addHashed is Add with the key's hash, uint32(keyHash(key)): a window
// adds a bucket's keys with the hashes their summary keeps.
func (c *Counter) addHashed(key []byte, h uint32, count, err uint64) (newCount uint64, ok bool) {
	t := &c.t
	if s := t.lookup(key, h); s >= 0 {
		t.counts[s] = addSat(t.counts[s], count)
		t.errs[s] = addSat(t.errs[s], err)
		if !c.unranked {
			c.fix(s)
		}
		return t.counts[s], true
	}
	if count == 0 {
		return 0, true
	}
	if t.full() {
		return 0, false
	}
	s := t.insert(key, h, count, err)
	if c.unranked {
		return count, true
	}
	if len(c.at) < len(t.keys) {
		c.at = append(c.at, make([]int32, len(t.keys)-len(c.at))...)
	}
	c.at[s] = int32(len(c.heap))
	c.heap = append(c.heap, heapEntry{c.guaranteed(s), int32(s)})
	c.up(len(c.heap) - 1)
	return count, true
}

// Sub subtracts count and err from key's totals, each saturating at 0, and
// removes key when its count reaches 0. Sub of an absent key does nothing.
func (c *Counter) Sub(key []byte, count, err uint64) {
	c.subHashed(key, c.t.hash(key), count, err)
}

// addSummary adds each key of s (sign 1) or subtracts it (sign -1), with
// the hash s keeps for it: every table hashes a key alike (keySeed), so a
// window's buckets go into its sum and out of it without hashing again.
func (c *Counter) addSummary(s *SpaceSaving, sign int) {
	t := &s.t
	if sign > 0 {
		for i := range t.n {
			c.addHashed(t.keys[i], t.hashes[i], t.counts[i], t.errs[i])
		}
		return
	}
	for i := range t.n {
		c.subHashed(t.keys[i], t.hashes[i], t.counts[i], t.errs[i])
	}
}

// subHashed is Sub with the key's hash, as addHashed.
func (c *Counter) subHashed(key []byte, h uint32, count, err uint64) {
	t := &c.t
	s := t.lookup(key, h)
	if s < 0 {
		return
	}
	t.counts[s] = subSat(t.counts[s], count)
	t.errs[s] = subSat(t.errs[s], err)
	switch {
	case t.counts[s] != 0:
		if !c.unranked {
			c.fix(s)
		}
		return
	case c.unranked:
		t.remove(s)
		return
	}
	// Out of the heap: the last heap entry takes its place.
	i, last := int(c.at[s]), len(c.heap)-1
	c.swap(i, last)
	c.heap = c.heap[:last]
	if i < last {
		c.fix(int(c.heap[i].slot))
	}
	if moved := t.remove(s); moved != s {
		// The table's last slot moved into slot s.
		c.at[s] = c.at[moved]
		c.heap[c.at[s]].slot = int32(s)
	}
}

// Busiest returns the highest guaranteed count (count minus error) of any
// key, 0 when the Counter is empty, in O(1).
func (c *Counter) Busiest() uint64 {
	if c.unranked {
		var best uint64
		for s := range c.t.n {
			best = max(best, c.guaranteed(s))
		}
		return best
	}
	if len(c.heap) == 0 {
		return 0
	}
	return c.heap[0].g
}

// EachAtLeast calls f for every key whose guaranteed count (count minus
// error) is at least least, busiest first along each branch of the heap
// (not in a total order). It takes time in the number of such keys, not
// in [Counter.Len]: the heap's subtrees under least are not visited. The
// key slice is valid only during the call, and f must not modify c.
func (c *Counter) EachAtLeast(least uint64, f func(key []byte, guaranteed uint64)) {
	if c.unranked {
		for s := range c.t.n {
			if g := c.guaranteed(s); g >= least {
				f(c.t.keys[s], g)
			}
		}
		return
	}
	var visit func(i int)
	visit = func(i int) {
		if i >= len(c.heap) {
			return
		}
		e := c.heap[i]
		if e.g < least {
			return
		}
		f(c.t.keys[e.slot], e.g)
		visit(2*i + 1)
		visit(2*i + 2)
	}
	visit(0)
}

func (c *Counter) guaranteed(s int) uint64 {
	return c.t.counts[s] - min(c.t.errs[s], c.t.counts[s])
}

// fix restores the heap order around slot s after its count changed.
func (c *Counter) fix(s int) {
	i := int(c.at[s])
	c.heap[i].g = c.guaranteed(s)
	c.up(i)
	c.down(int(c.at[s]))
}

func (c *Counter) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if c.heap[p].g >= c.heap[i].g {
			return
		}
		c.swap(i, p)
		i = p
	}
}

func (c *Counter) down(i int) {
	for {
		l, best := 2*i+1, i
		if l < len(c.heap) && c.heap[l].g > c.heap[best].g {
			best = l
		}
		if r := l + 1; r < len(c.heap) && c.heap[r].g > c.heap[best].g {
			best = r
		}
		if best == i {
			return
		}
		c.swap(i, best)
		i = best
	}
}

func (c *Counter) swap(i, j int) {
	c.heap[i], c.heap[j] = c.heap[j], c.heap[i]
	c.at[c.heap[i].slot], c.at[c.heap[j].slot] = int32(i), int32(j)
}

// Get returns key's count and error, and whether key is present.
func (c *Counter) Get(key []byte) (count, err uint64, ok bool) {
	t := &c.t
	s := t.lookup(key, t.hash(key))
	if s < 0 {
		return 0, 0, false
	}
	return t.counts[s], t.errs[s], true
}

// getString is Get for a key held as a string (a learned normal's),
// without a copy to bytes.
func (c *Counter) getString(key string) (count, err uint64, ok bool) {
	t := &c.t
	s := t.lookupString(key, uint32(maphash.String(keySeed, key)))
	if s < 0 {
		return 0, 0, false
	}
	return t.counts[s], t.errs[s], true
}

// Len returns the number of keys held.
func (c *Counter) Len() int { return c.t.n }

// Cap returns the maximum number of keys the Counter holds.
func (c *Counter) Cap() int { return c.t.capacity() }

// Each calls f for every key, in no particular order (but the same order for
// the same sequence of calls). The key slice is valid only during the call,
// and f must not modify c.
func (c *Counter) Each(f func(key []byte, count, err uint64)) { c.t.each(f) }

// Top returns the n keys with the highest counts, highest first, ties broken
// by the smaller key. It returns fewer entries if fewer keys are held, and
// nil if n ≤ 0 or the Counter is empty. Top allocates; it is meant for
// building an alert, not for every event.
func (c *Counter) Top(n int) []Entry { return c.t.top(n) }

// Max returns the entry with the highest count (ties: the smallest key), and
// false if the Counter is empty. It takes time linear in [Counter.Len] and
// allocates only the Entry's Key string.
func (c *Counter) Max() (Entry, bool) {
	t := &c.t
	if t.n == 0 {
		return Entry{}, false
	}
	best := 0
	for s := 1; s < t.n; s++ {
		if t.less(s, best) {
			best = s
		}
	}
	return t.entry(best), true
}

// Reset removes every key and keeps the key buffers, so that a warm Counter
// stays allocation-free. It takes time linear in the index size.
func (c *Counter) Reset() {
	c.t.reset()
	c.heap = c.heap[:0]
}

func addSat(a, b uint64) uint64 {
	s, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return ^uint64(0)
	}
	return s
}

func subSat(a, b uint64) uint64 {
	if b >= a {
		return 0
	}
	return a - b
}
