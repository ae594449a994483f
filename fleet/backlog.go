package fleet

import (
	"time"

	"github.com/sentinel-dev/sentinel/detector"
)

// Bounds of a node's backlog of deltas not yet published.
const (
	// DefaultMaxBacklog bounds the deltas waiting; past it the oldest are
	// dropped, and counted.
	DefaultMaxBacklog = 20_000
	// DefaultMaxBacklogBytes bounds their size (mostly the hashes of the
	// distinct values: 8 bytes each).
	DefaultMaxBacklogBytes = 16 << 20
	// maxTripDeltas and maxTripBytes bound what one round trip carries;
	// the rest goes in the next, sent at once.
	maxTripDeltas = 2_000
	maxTripBytes  = 4 << 20
)

// backlog is a bounded queue of deltas, oldest first: those not yet
// published, and those a failed round trip did not deliver. It is not
// safe for concurrent use (the Node's mutex guards it).
type backlog struct {
	items    []detector.Delta
	bytes    int
	maxItems int
	maxBytes int
	dropped  uint64 // deltas dropped to stay within the bounds
}

// deltaBytes estimates the memory a delta holds.
func deltaBytes(d *detector.Delta) int {
	n := 128 + len(d.Rule) + 8*len(d.Hashes)
	for _, k := range d.Keys {
		n += 48 + len(k.Key)
	}
	return n
}

// push queues a delta at the end, dropping the oldest past the bounds.
func (b *backlog) push(d detector.Delta) {
	b.items = append(b.items, d)
	b.bytes += deltaBytes(&d)
	b.trim()
}

// requeue puts deltas a round trip did not deliver back in front, in
// their order, dropping the oldest past the bounds.
func (b *backlog) requeue(ds []detector.Delta) {
	if len(ds) == 0 {
		return
	}
	for i := range ds {
		b.bytes += deltaBytes(&ds[i])
	}
	b.items = append(ds[:len(ds):len(ds)], b.items...)
	b.trim()
}

func (b *backlog) trim() {
	drop := 0
	for len(b.items)-drop > b.maxItems || b.bytes > b.maxBytes && drop < len(b.items) {
		b.bytes -= deltaBytes(&b.items[drop])
		b.items[drop] = detector.Delta{}
		drop++
	}
	if drop > 0 {
		b.items = b.items[drop:]
		b.dropped += uint64(drop)
	}
	if len(b.items) == 0 && cap(b.items) > 1024 {
		b.items = nil // let a burst's array go
	}
}

// take removes and returns the oldest deltas, up to what one round trip
// carries.
func (b *backlog) take() []detector.Delta {
	n, size := 0, 0
	for n < len(b.items) && n < maxTripDeltas {
		s := deltaBytes(&b.items[n])
		if n > 0 && size+s > maxTripBytes {
			break
		}
		size += s
		n++
	}
	out := make([]detector.Delta, n)
	copy(out, b.items[:n])
	clear(b.items[:n])
	b.items = b.items[n:]
	b.bytes -= size
	if len(b.items) == 0 {
		b.items = nil
	}
	return out
}

func (b *backlog) len() int { return len(b.items) }

// toldClock is the clock a heartbeat tells the fleet when the engine's is
// clock: the evaluator takes every delta of the buckets before it as in.
// While deltas wait (a backlog too large for one round trip), the node's
// log has passed, as far as the fleet can tell, only the start of the
// oldest of them.
func (b *backlog) toldClock(clock time.Time) time.Time {
	for i := range b.items {
		if s := b.items[i].Start; s.Before(clock) {
			clock = s
		}
	}
	return clock
}
