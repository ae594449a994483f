package parsers

import (
	"bytes"
	"hash/maphash"
	"time"
)

// This file holds what the formats that log one request over several
// lines share (phoenix.go's "GET /" … "Sent 200", rails.go's "Started" …
// "Completed"): the copy of a start line held until its end line comes,
// and the table of those held copies.

// maxSlotBytes is the largest buffer a free pending slot keeps, so that one
// huge line does not pin its copy for the life of the decoder.
const maxSlotBytes = 64 << 10

// span locates a value in a pending slot's buffer; off < 0 means nil.
type span struct{ off, n int }

type pendingExtra struct {
	name string
	v    span
}

// pendingReq is a held start line, with its values copied into buf.
type pendingReq struct {
	buf                                      []byte
	raw, method, target, key, rid, ip, level span
	extra                                    []pendingExtra
	time, at                                 time.Time // event time (maybe zero) and clock time
	hash                                     uint64
	prev, next                               int32
}

// reset copies line into s as its raw line and clears the other values.
func (s *pendingReq) reset(line []byte) {
	s.buf = append(s.buf[:0], line...)
	s.raw = span{0, len(line)}
	nilSpan := span{-1, 0}
	s.method, s.target, s.key, s.rid, s.ip, s.level = nilSpan, nilSpan, nilSpan, nilSpan, nilSpan, nilSpan
	s.extra = s.extra[:0]
}

// ref returns the span of b, which is either a part of line (already
// copied at offset 0 by reset) or is appended to s.buf.
func (s *pendingReq) ref(line, b []byte) span {
	if b == nil {
		return span{-1, 0}
	}
	if off, ok := offsetIn(line, b); ok {
		return span{off, len(b)}
	}
	off := len(s.buf)
	s.buf = append(s.buf, b...)
	return span{off, len(b)}
}

func (s *pendingReq) get(sp span) []byte {
	if sp.off < 0 {
		return nil
	}
	end := sp.off + sp.n
	return s.buf[sp.off:end:end]
}

// addExtra adds the extra field name with value v (a part of line or not).
func (s *pendingReq) addExtra(name string, line, v []byte) {
	s.extra = append(s.extra, pendingExtra{name, s.ref(line, v)})
}

// event fills ev with the held request: a [KindRequest] with the start
// line's values, no status and no duration yet.
func (s *pendingReq) event(ev *Event) {
	ev.Reset()
	ev.Kind = KindRequest
	ev.Time = s.time
	ev.Method = s.get(s.method)
	ev.SplitTarget(s.get(s.target))
	ev.RequestID = s.get(s.rid)
	ev.ClientIP = s.get(s.ip)
	ev.Level = s.get(s.level)
	ev.Raw = s.get(s.raw)
	for _, x := range s.extra {
		ev.AddExtra(x.name, s.get(x.v))
	}
}

// end is the event time of the request held in s, the time an access log
// stamps its line with (nginx, Caddy, Heroku's router): when it ended, its
// start plus its duration dur; without one (no end line came: it raised,
// was given up on, or the input ended), the newest time seen, at most
// phxPendingTimeout after its start. At its start a slow request (a
// timeout's 30 s) would sit behind the lines logged meanwhile, and the
// engine drops what is older than its skew as late: an outage of hanging
// requests would go unseen.
func (s *pendingReq) end(dur time.Duration, newest time.Time) time.Time {
	switch {
	case s.time.IsZero():
		return s.time
	case dur >= 0:
		return s.time.Add(dur)
	case newest.After(s.time):
		if limit := s.time.Add(phxPendingTimeout); newest.After(limit) {
			return limit
		}
		return newest
	}
	return s.time
}

// offsetIn returns where sub starts in parent, if sub is a part of it.
func offsetIn(parent, sub []byte) (int, bool) {
	if len(sub) == 0 {
		return 0, true
	}
	off := cap(parent) - cap(sub)
	if off < 0 || off+len(sub) > len(parent) || &parent[off] != &sub[0] {
		return 0, false
	}
	return off, true
}

// requestClock is the event-time clock by which held requests expire: the
// latest line time seen. A jump back of more than phxClockReset (files of
// different days read one after the other) resets it.
type requestClock struct{ newest time.Time }

// see advances the clock to t; a zero t leaves it alone.
func (c *requestClock) see(t time.Time) {
	if !t.IsZero() && (t.After(c.newest) || c.newest.Sub(t) > phxClockReset) {
		c.newest = t
	}
}

// stale reports whether a request held since at has waited more than
// phxPendingTimeout, or is from before a reset of the clock. A zero at
// (a line without a time) or clock is never stale.
func (c *requestClock) stale(at time.Time) bool {
	if c.newest.IsZero() || at.IsZero() {
		return false
	}
	return at.Before(c.newest.Add(-phxPendingTimeout)) || at.After(c.newest.Add(phxClockReset))
}

// pendingTable holds the requests that wait for their end line: slots, a
// list through them in the order they were added (head is the oldest),
// and an open-addressing index by key. A key may be held more than once
// (a process id, when a log has no request id); find returns the oldest.
// It does not allocate once its slots are warm.
type pendingTable struct {
	slots      []pendingReq
	free       []int32
	head, tail int32
	count      int
	index      []int32 // slot numbers, -1 when empty; length a power of two
	seed       maphash.Seed
}

// init readies an empty table.
func (t *pendingTable) init() { t.head, t.tail = -1, -1 }

// alloc returns a free slot for the caller to fill (reset, then its
// values, key included) before it calls add. The slot pointer is valid
// until the next alloc.
func (t *pendingTable) alloc() (int32, *pendingReq) {
	var x int32
	if n := len(t.free); n > 0 {
		x = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		t.slots = append(t.slots, pendingReq{})
		x = int32(len(t.slots) - 1)
	}
	return x, &t.slots[x]
}

// add puts the filled slot x at the end of the list and in the index by
// its key.
func (t *pendingTable) add(x int32) {
	if t.index == nil {
		t.seed = maphash.MakeSeed()
		t.index = make([]int32, 64)
		for i := range t.index {
			t.index[i] = -1
		}
	}
	if 2*(t.count+1) > len(t.index) {
		t.grow()
	}
	s := &t.slots[x]
	s.hash = maphash.Bytes(t.seed, s.get(s.key))
	s.prev, s.next = t.tail, -1
	if t.tail >= 0 {
		t.slots[t.tail].next = x
	} else {
		t.head = x
	}
	t.tail = x
	t.count++
	mask := len(t.index) - 1
	i := int(s.hash) & mask
	for t.index[i] >= 0 {
		i = (i + 1) & mask
	}
	t.index[i] = x
}

// find returns the oldest slot held under key, or -1. Entries of one key
// lie on its probe path in the order they were added: inserts go to the
// first free place, deletions shift later entries back without passing
// one another, and grow re-inserts oldest first.
func (t *pendingTable) find(key []byte) int32 {
	if t.index == nil || t.count == 0 {
		return -1
	}
	h := maphash.Bytes(t.seed, key)
	mask := len(t.index) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		x := t.index[i]
		if x < 0 {
			return -1
		}
		s := &t.slots[x]
		if s.hash == h && bytes.Equal(s.get(s.key), key) {
			return x
		}
	}
}

// findStarted returns the slot held under key that most likely started
// the work a line at end reports: the newest one held since no later
// than end, else the oldest; with a zero end, the oldest. A process id
// is held more than once when its threads log without tags, or when a
// request of it ended without its end line (a Rack::Attack block, a
// crash): the oldest first would give that one the next request's
// status, and every later request of the process its follower's.
func (t *pendingTable) findStarted(key []byte, end time.Time) int32 {
	if end.IsZero() || t.index == nil || t.count == 0 {
		return t.find(key)
	}
	h := maphash.Bytes(t.seed, key)
	mask := len(t.index) - 1
	oldest, best := int32(-1), int32(-1)
	for i := int(h) & mask; ; i = (i + 1) & mask {
		x := t.index[i]
		if x < 0 {
			break
		}
		s := &t.slots[x]
		if s.hash != h || !bytes.Equal(s.get(s.key), key) {
			continue
		}
		if oldest < 0 {
			oldest = x
		}
		if !s.time.After(end) {
			best = x // entries of a key lie in the order they were added
		}
	}
	if best >= 0 {
		return best
	}
	return oldest
}

// remove frees slot x.
func (t *pendingTable) remove(x int32) {
	s := &t.slots[x]
	mask := len(t.index) - 1
	for i := int(s.hash) & mask; t.index[i] >= 0; i = (i + 1) & mask {
		if t.index[i] == x {
			t.unindex(i)
			break
		}
	}
	if s.prev >= 0 {
		t.slots[s.prev].next = s.next
	} else {
		t.head = s.next
	}
	if s.next >= 0 {
		t.slots[s.next].prev = s.prev
	} else {
		t.tail = s.prev
	}
	if cap(s.buf) > maxSlotBytes {
		s.buf = nil
	}
	t.count--
	t.free = append(t.free, x)
}

// unindex empties position i of the index, shifting back the entries
// that probed past it (linear probing without tombstones).
func (t *pendingTable) unindex(i int) {
	mask := len(t.index) - 1
	for {
		t.index[i] = -1
		j := i
		for {
			j = (j + 1) & mask
			x := t.index[j]
			if x < 0 {
				return
			}
			home := int(t.slots[x].hash) & mask
			// The entry at j stays unless its home lies outside (i, j].
			if i <= j {
				if i < home && home <= j {
					continue
				}
			} else if i < home || home <= j {
				continue
			}
			t.index[i] = x
			i = j
			break
		}
	}
}

// grow doubles the index.
func (t *pendingTable) grow() {
	t.index = make([]int32, 2*len(t.index))
	for i := range t.index {
		t.index[i] = -1
	}
	mask := len(t.index) - 1
	for x := t.head; x >= 0; x = t.slots[x].next {
		i := int(t.slots[x].hash) & mask
		for t.index[i] >= 0 {
			i = (i + 1) & mask
		}
		t.index[i] = x
	}
}
