package detector

// SpaceSaving is the Space-Saving heavy-hitters summary (Metwally, Agrawal
// and El Abbadi, 2005) of a stream of byte-string keys, monitoring at most a
// fixed number k of keys (its capacity).
//
// After N calls to [SpaceSaving.Add], for every monitored key the true
// number of occurrences lies in [Count-Err, Count] (in events), the counts
// sum to N, and every key that occurred more than N/k times is monitored.
//
// Add takes O(log k) time: the monitored keys sit in a min-heap ordered by
// count. Once warm (every slot's key buffer has held a key as long as the
// keys it sees), Add does not allocate, on the eviction path included.
//
// A SpaceSaving is not safe for concurrent use.
type SpaceSaving struct {
	t       keyTable
	heap    []int  // slot numbers, a binary min-heap on t.counts
	pos     []int  // pos[slot] is the slot's position in heap
	evicted []byte // the last evicted key, returned by Add
}

// EvictedEntry is the entry a full [SpaceSaving] gave up to make room for a
// new key: its Count and Err are in events. Key belongs to the summary and
// is valid only until the next call to one of its methods.
type EvictedEntry struct {
	Key   []byte
	Count uint64
	Err   uint64
}

// NewSpaceSaving returns an empty summary that monitors at most capacity
// keys. It panics if capacity < 1 or capacity > 2^30.
func NewSpaceSaving(capacity int) *SpaceSaving {
	s := &SpaceSaving{
		heap: make([]int, 0, capacity),
		pos:  make([]int, capacity),
	}
	s.t.init("NewSpaceSaving", capacity)
	return s
}

// Add counts one occurrence of key. If key is absent and the summary is
// full, the monitored key with the smallest count is evicted and returned
// (among equal counts the choice depends only on the sequence of calls), and
// key takes its slot with Count = evicted.Count+1 and Err = evicted.Count.
// Add does not keep key.
func (s *SpaceSaving) Add(key []byte) (evicted EvictedEntry, didEvict bool) {
	t := &s.t
	h := t.hash(key)
	if i := t.lookup(key, h); i >= 0 {
		t.counts[i]++
		s.down(s.pos[i])
		return EvictedEntry{}, false
	}
	if !t.full() {
		i := t.insert(key, h, 1, 0)
		s.pos[i] = len(s.heap)
		s.heap = append(s.heap, i)
		s.up(len(s.heap) - 1)
		return EvictedEntry{}, false
	}
	i := s.heap[0]
	s.evicted = append(s.evicted[:0], t.keys[i]...)
	evicted = EvictedEntry{Key: s.evicted, Count: t.counts[i], Err: t.errs[i]}
	t.rekey(i, key, h)
	t.errs[i] = t.counts[i]
	t.counts[i]++
	s.down(0)
	return evicted, true
}

// Each calls f for every monitored key with its count and error bound, in
// no particular order (but the same order for the same sequence of calls).
// The key slice is valid only during the call, and f must not modify s.
func (s *SpaceSaving) Each(f func(key []byte, count, err uint64)) { s.t.each(f) }

// Top returns the n monitored keys with the highest counts, highest first,
// ties broken by the smaller key. It returns fewer entries if fewer keys are
// monitored, and nil if n ≤ 0 or the summary is empty. Top allocates; it is
// meant for building an alert, not for every event.
func (s *SpaceSaving) Top(n int) []Entry { return s.t.top(n) }

// Len returns the number of monitored keys, at most the capacity.
func (s *SpaceSaving) Len() int { return s.t.n }

// Reset forgets every key and keeps the key buffers, so that a warm summary
// stays allocation-free.
func (s *SpaceSaving) Reset() {
	s.t.reset()
	s.heap = s.heap[:0]
}

// up moves the heap element at position p towards the root while its count
// is smaller than its parent's.
func (s *SpaceSaving) up(p int) {
	h, counts := s.heap, s.t.counts
	x := h[p]
	for p > 0 {
		parent := (p - 1) / 2
		if counts[h[parent]] <= counts[x] {
			break
		}
		h[p] = h[parent]
		s.pos[h[p]] = p
		p = parent
	}
	h[p] = x
	s.pos[x] = p
}

// down moves the heap element at position p towards the leaves while a
// child has a smaller count.
func (s *SpaceSaving) down(p int) {
	h, counts := s.heap, s.t.counts
	n := len(h)
	x := h[p]
	for {
		c := 2*p + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && counts[h[r]] < counts[h[c]] {
			c = r
		}
		if counts[h[c]] >= counts[x] {
			break
		}
		h[p] = h[c]
		s.pos[h[p]] = p
		p = c
	}
	h[p] = x
	s.pos[x] = p
}
