package detector

// SpaceSaving is the Space-Saving heavy-hitters summary (Metwally, Agrawal
// and El Abbadi, 2005) of a stream of byte-string keys, monitoring at most a
// fixed number k of keys (its capacity).
//
// After N calls to [SpaceSaving.Add], for every monitored key the true
// number of occurrences lies in [Count-Err, Count] (in events), the counts
// sum to N, and every key that occurred more than N/k times is monitored.
//
// Add takes O(1) time plus hashing the key (amortized: the slots are
// allocated as keys arrive, doubling up to the capacity). Once warm (grown
// to the keys it holds, and every slot's key buffer has held a key as long
// as the keys it sees), Add does not allocate, on the eviction path
// included. Memory is the keys plus about 100 bytes per slot in use, so an
// idle summary costs little whatever its capacity.
//
// A SpaceSaving is not safe for concurrent use.
type SpaceSaving struct {
	t keyTable

	// order holds the slots sorted by count, highest first. Slots of equal
	// count form a group: a run order[start..end] described by groups.
	// Incrementing a count moves its slot to the front of its group and
	// into the group before it, so Add takes O(1) time (the array form of
	// the paper's Stream-Summary).
	//
	// The order only matters once the summary is full, to pick the key to
	// evict, and most summaries never fill (a second's clients or paths
	// on an ordinary site): until then Add logs what it did in ops, and
	// the order is built from the log, exactly as Add would have kept it,
	// when the first eviction needs it (or the log is long). Ordinary
	// traffic then costs a count and an append per Add.
	order   []int        // slot numbers
	pos     []int        // pos[slot] is the slot's index in order
	group   []int        // group[slot] is the slot's index in groups
	groups  []countGroup // at most one per slot
	free    []int        // unused indexes in groups
	settled bool         // order is kept up to date; ops is empty
	ops     []int32      // while not settled, the Adds since empty: slot i counted, or ^i new

	evicted []byte // the last evicted key, returned by Add
	lastAdd int    // the slot of the key the last Add counted
}

// maxOpsPerSlot bounds the log of an unsettled summary: capacity times it.
const maxOpsPerSlot = 8

// countGroup is the run order[start..end] (inclusive) of slots with one count.
type countGroup struct{ start, end int }

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
	s := &SpaceSaving{}
	s.t.init("NewSpaceSaving", capacity)
	return s
}

// fit allocates the count order for every slot the table has allocated;
// the new groups are free.
func (s *SpaceSaving) fit() {
	old, slots := len(s.order), len(s.t.keys)
	if old == slots {
		return
	}
	s.order = append(s.order, make([]int, slots-old)...)
	s.pos = append(s.pos, make([]int, slots-old)...)
	s.group = append(s.group, make([]int, slots-old)...)
	s.groups = append(s.groups, make([]countGroup, slots-old)...)
	for g := old; g < slots; g++ {
		s.free = append(s.free, g)
	}
}

// Add counts one occurrence of key. If key is absent and the summary is
// full, the monitored key with the smallest count is evicted and returned
// (among equal counts the choice depends only on the sequence of calls), and
// key takes its slot with Count = evicted.Count+1 and Err = evicted.Count.
// Add does not keep key.
func (s *SpaceSaving) Add(key []byte) (evicted EvictedEntry, didEvict bool) {
	return s.addHashed(key, s.t.hash(key))
}

// addHashed is Add with the key's hash, uint32(keyHash(key)), computed by
// the caller once for every table that keys on it.
func (s *SpaceSaving) addHashed(key []byte, h uint32) (evicted EvictedEntry, didEvict bool) {
	t := &s.t
	if i := t.lookup(key, h); i >= 0 {
		s.lastAdd = i
		if !s.settled {
			t.counts[i]++
			s.log(int32(i))
			return EvictedEntry{}, false
		}
		s.increment(i, t.counts)
		return EvictedEntry{}, false
	}
	if !t.full() {
		i := t.insert(key, h, 1, 0)
		s.lastAdd = i
		if !s.settled {
			s.log(^int32(i))
			return EvictedEntry{}, false
		}
		s.fit()
		s.place(i, t.n-1, t.counts)
		return EvictedEntry{}, false
	}
	if !s.settled {
		s.settle()
	}
	i := s.order[t.n-1] // the last slot of the smallest count
	s.evicted = append(s.evicted[:0], t.keys[i]...)
	evicted = EvictedEntry{Key: s.evicted, Count: t.counts[i], Err: t.errs[i]}
	t.rekey(i, key, h)
	t.errs[i] = t.counts[i]
	s.increment(i, t.counts)
	s.lastAdd = i
	return evicted, true
}

// log records an Add of an unsettled summary, and settles it once the log
// is long: its memory stays bounded by the capacity.
func (s *SpaceSaving) log(op int32) {
	s.ops = append(s.ops, op)
	if len(s.ops) >= maxOpsPerSlot*s.t.capacity() {
		s.settle()
	}
}

// settle builds the count order from the log of the Adds since the
// summary was empty, as Add would have kept it, and keeps it from then on.
// The log counts every key from 0 to its count again, in the table's own
// counts (no key was evicted yet, so every error is 0).
func (s *SpaceSaving) settle() {
	s.fit()
	s.free = s.free[:0]
	for g := range s.groups {
		s.free = append(s.free, g)
	}
	c := s.t.counts
	clear(c[:s.t.n])
	n := 0
	for _, op := range s.ops {
		if op >= 0 {
			s.increment(int(op), c)
			continue
		}
		i := int(^op)
		c[i] = 1
		s.place(i, n, c)
		n++
	}
	s.ops, s.settled = s.ops[:0], true
}

// place puts slot i, new with a count of 1, at position p of the order,
// the last: count 1 is the smallest.
func (s *SpaceSaving) place(i, p int, counts []uint64) {
	s.order[p] = i
	s.pos[i] = p
	if p > 0 && counts[s.order[p-1]] == 1 {
		g := s.group[s.order[p-1]]
		s.groups[g].end = p
		s.group[i] = g
	} else {
		s.group[i] = s.newGroup(p)
	}
}

// Added returns the count and error bound of the key the last
// [SpaceSaving.Add] counted, in O(1); valid until the next call of a
// method of s.
func (s *SpaceSaving) Added() (count, err uint64) {
	return s.t.counts[s.lastAdd], s.t.errs[s.lastAdd]
}

// Get returns key's count and error bound, and whether key is monitored.
func (s *SpaceSaving) Get(key []byte) (count, err uint64, ok bool) {
	t := &s.t
	i := t.lookup(key, t.hash(key))
	if i < 0 {
		return 0, 0, false
	}
	return t.counts[i], t.errs[i], true
}

// increment adds one to counts[i], the count of slot i, keeping order
// sorted.
func (s *SpaceSaving) increment(i int, counts []uint64) {
	g := s.group[i]
	first := s.groups[g].start
	// Swap i to the front of its group, then detach it from the group.
	p, o := s.pos[i], s.order[first]
	s.order[first], s.order[p] = i, o
	s.pos[i], s.pos[o] = first, p
	if s.groups[g].end == first {
		s.free = append(s.free, g)
	} else {
		s.groups[g].start = first + 1
	}
	counts[i]++
	if first > 0 && counts[s.order[first-1]] == counts[i] {
		prev := s.group[s.order[first-1]]
		s.groups[prev].end = first
		s.group[i] = prev
	} else {
		s.group[i] = s.newGroup(first)
	}
}

// newGroup returns the index of an unused group set to the run [p, p].
func (s *SpaceSaving) newGroup(p int) int {
	g := s.free[len(s.free)-1]
	s.free = s.free[:len(s.free)-1]
	s.groups[g] = countGroup{start: p, end: p}
	return g
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

// Reset forgets every key and keeps the slots and key buffers, so that a
// warm summary stays allocation-free.
func (s *SpaceSaving) Reset() {
	s.t.reset()
	s.ops, s.settled = s.ops[:0], false
}
