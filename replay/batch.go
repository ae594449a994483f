package replay

import (
	"unsafe"

	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/parsers"
)

// Batch sizes: large enough that handing a batch from one goroutine to
// the other costs nothing next to parsing it (a channel send per 512
// lines), small enough that a few in flight stay in the CPU caches.
const (
	batchEvents = 512
	// batchBytes is a batch's arena: 512 access lines of about 200 bytes,
	// and their fields, fit.
	batchBytes = 256 << 10
	// batchesInFlight bounds memory: about 2 MB, whatever the input (a
	// batch whose arena grew for a long line gives it back when reused).
	batchesInFlight = 4
)

// batch is a run of events copied out of the parser's buffers, which it
// reuses from line to line, into memory the batch owns until it is
// reset. It is owned by one goroutine at a time: the parser's while it
// fills, the observer's while it empties.
type batch struct {
	events []parsers.Event // events[:n] are in use; the rest keep their Extra's capacity
	// prepared[i] is what the reading goroutine's Preparer found for
	// events[i], when prepare is set.
	prepared []detector.Prepared
	prepare  bool
	n        int
	arena    []byte // the bytes of events[:n]; never grows past its capacity, so no slice of it moves
	size     int    // the arena's usual capacity
}

// newBatch returns a batch for a staged replay, with room for what the
// reading goroutine prepares.
func newBatch() *batch {
	b := newBatchOf(batchEvents, batchBytes)
	b.prepared = make([]detector.Prepared, batchEvents)
	return b
}

// newBatchOf returns a batch of n events and an arena of size bytes.
func newBatchOf(n, size int) *batch {
	return &batch{events: make([]parsers.Event, n), arena: make([]byte, 0, size), size: size}
}

// add copies ev into the batch, or returns false when the batch is full
// (an empty batch takes any event, growing its arena for a long one).
func (b *batch) add(ev *parsers.Event) bool {
	need := eventBytes(ev)
	if b.n == len(b.events) || len(b.arena)+need > cap(b.arena) {
		if b.n > 0 {
			return false
		}
		if need > cap(b.arena) {
			b.arena = make([]byte, 0, need)
		}
	}
	dst := &b.events[b.n]
	b.n++
	extra := dst.Extra[:0]
	*dst = *ev
	// The line once, and the fields within it as slices of its copy: one
	// copy of about 200 bytes where a copy per field wrote twice as many
	// in twelve calls, into memory the other goroutine read last.
	raw := b.copy(ev.Raw)
	dst.Raw = raw
	lo, hi := span(ev.Raw)
	in := func(v []byte) []byte {
		if len(v) == 0 {
			return b.copy(v) // nil stays nil, empty stays empty
		}
		if p, q := span(v); p >= lo && q <= hi {
			off := int(p - lo)
			return raw[off : off+len(v) : off+len(v)]
		}
		return b.copy(v)
	}
	dst.MoveClientIP(in(ev.ClientIP)) // with the /24 the parser found
	dst.Host, dst.Method = in(ev.Host), in(ev.Method)
	dst.Path, dst.Query, dst.Protocol = in(ev.Path), in(ev.Query), in(ev.Protocol)
	dst.UserAgent, dst.Referer, dst.RequestID = in(ev.UserAgent), in(ev.Referer), in(ev.RequestID)
	dst.Level, dst.Message = in(ev.Level), in(ev.Message)
	for _, f := range ev.Extra {
		extra = append(extra, parsers.Field{Name: f.Name, Value: in(f.Value)})
	}
	dst.Extra = extra
	return true
}

// copy appends v to the arena and returns the copy; nil stays nil, so an
// absent field stays absent (an empty query is not a missing one).
func (b *batch) copy(v []byte) []byte {
	if v == nil {
		return nil
	}
	i := len(b.arena)
	b.arena = append(b.arena, v...)
	return b.arena[i:len(b.arena):len(b.arena)]
}

// reset empties the batch for reuse.
func (b *batch) reset() {
	b.n = 0
	if cap(b.arena) > b.size {
		b.arena = make([]byte, 0, b.size) // a long line's arena is not kept
	}
	b.arena = b.arena[:0]
}

// eventBytes bounds the arena space a copy of ev takes: what its fields
// would take copied one by one (those within the line take none).
func eventBytes(ev *parsers.Event) int {
	n := len(ev.ClientIP) + len(ev.Host) + len(ev.Method) + len(ev.Path) + len(ev.Query) + len(ev.Protocol) +
		len(ev.UserAgent) + len(ev.Referer) + len(ev.RequestID) + len(ev.Level) + len(ev.Message) + len(ev.Raw)
	for _, f := range ev.Extra {
		n += len(f.Value)
	}
	return n
}

// span returns the addresses of the first byte of v and of the byte past
// its end (0, 0 for an empty v), to tell whether a field lies within its
// line. Only compared, never dereferenced: Go's heap does not move.
func span(v []byte) (uintptr, uintptr) {
	if len(v) == 0 {
		return 0, 0
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(v)))
	return p, p + uintptr(len(v))
}

// A filler copies a reading goroutine's events into batches taken from
// free, and hands each full one on to full, until quit is closed: the
// producing half of a staged replay (feedStaged) and of each merged
// input's reader (mergeInput.read). The consumer empties a batch and
// gives it back to free.
type filler struct {
	full    chan<- *batch
	free    <-chan *batch
	quit    <-chan struct{}
	b       *batch
	stopped bool
	// taken, when set, is told of each batch taken from free, with
	// whether the consumer was behind (had not taken the batch before)
	// when it was.
	taken func(b *batch, behind bool)
}

// newFiller takes its first batch from free.
func newFiller(full chan<- *batch, free <-chan *batch, quit <-chan struct{}, taken func(*batch, bool)) *filler {
	f := &filler{full: full, free: free, quit: quit, taken: taken, b: <-free}
	if taken != nil {
		taken(f.b, false)
	}
	return f
}

// add copies ev into the current batch, sending it and taking the next
// when it is full, and returns the batch holding the copy (its last
// event); nil once a send found quit closed (until the batch fills, add
// goes on filling it).
func (f *filler) add(ev *parsers.Event) *batch {
	if f.stopped {
		return nil
	}
	if !f.b.add(ev) {
		if f.stopped = !f.send(); f.stopped {
			return nil
		}
		f.b.add(ev) // an empty batch takes any event
	}
	return f.b
}

// send hands the current batch on and takes the next.
func (f *filler) send() bool {
	behind := len(f.full) > 0
	select {
	case f.full <- f.b:
	case <-f.quit:
		return false
	}
	select {
	case f.b = <-f.free:
	case <-f.quit:
		return false
	}
	if f.taken != nil {
		f.taken(f.b, behind)
	}
	return true
}

// flush hands on what the current batch holds, at the end of the input.
func (f *filler) flush() {
	if f.stopped || f.b.n == 0 {
		return
	}
	select {
	case f.full <- f.b:
	case <-f.quit:
	}
}
