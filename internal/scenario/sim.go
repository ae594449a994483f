package scenario

import (
	"cmp"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"
)

// Sim runs the processes of one scenario on simulated time and hands
// their requests to a sink in log order (by [Request.End]), streaming:
// its memory is the requests still in flight, not the log, so a whole day
// at 300 requests a second fits.
//
// A process is a function called at the times it asks for; each call may
// emit requests starting at or after its own time (a visit emits its page
// views and assets for the next minutes at once). Because no process can
// emit a request that starts before the earliest pending call, every
// request whose line is stamped before that call is final and is written.
//
// Every process draws from its own random source, seeded from the
// scenario's seed and the process's name, so adding an attack to a day
// leaves the day's own requests unchanged. A Sim is not safe for
// concurrent use.
type Sim struct {
	from, to time.Time
	seed     uint64
	procs    procHeap
	seq      uint64
	faults   []Fault
	q        queue
	sink     func(*Request)
	// evidence is when the first line an attack made or changed would
	// have been logged: a hostile actor's request, a request a fault
	// answered differently, one a fault removed.
	evidence time.Time
	known    []Known
}

// Fault is a failure of the site: requests started in [From, To) that
// Match are changed by Apply (a deploy's 502s, an outage, an endpoint
// answering 500) or, with Drop, never reach the log (the log stops).
type Fault struct {
	From, To time.Time
	Match    func(q *Request) bool // nil: every request
	Apply    func(r *rand.Rand, q *Request)
	// (Both take a pointer to a copy: Emit's own request must not escape.)
	Drop bool
}

// NewSim returns a simulation of [from, to) whose processes are seeded
// from seed. sink receives each request ending in the window and started
// in it, in order of End (ties in emission order).
func NewSim(from, to time.Time, seed uint64, sink func(*Request)) *Sim {
	s := &Sim{from: from, to: to, seed: seed, sink: sink}
	s.q.init(from)
	return s
}

// From and To return the simulated window.
func (s *Sim) From() time.Time { return s.from }

// To returns the end of the simulated window.
func (s *Sim) To() time.Time { return s.to }

// Rand returns a new random source for the process named name: the same
// name in the same scenario always draws the same numbers.
func (s *Sim) Rand(name string) *rand.Rand {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return rand.New(rand.NewPCG(s.seed, h))
}

// Label records that the senders in net are what label says (an office
// NAT, a crawler), for the judge's reasons.
func (s *Sim) Label(net netip.Prefix, label string) {
	s.known = append(s.known, Known{net, label})
}

// Label1 is Label for one address.
func (s *Sim) Label1(ip netip.Addr, label string) { s.Label(netip.PrefixFrom(ip, ip.BitLen()), label) }

// AddFault makes f part of the scenario. Faults apply in the order added.
func (s *Sim) AddFault(f Fault) { s.faults = append(s.faults, f) }

// Go schedules step at time at. step is called with its scheduled time
// and returns when to call it next; a zero time (or one at or after the
// window's end) ends the process.
func (s *Sim) Go(at time.Time, step func(now time.Time) time.Time) {
	if at.IsZero() || !at.Before(s.to) {
		return
	}
	s.seq++
	s.procs.push(proc{at: at, seq: s.seq, step: step})
}

// Emit records q, after the faults, and returns it as the log shows it
// (a caller that sees a 502 may reload or give up). Requests outside the
// window are dropped, as are those a Drop fault removes.
func (s *Sim) Emit(r *rand.Rand, q Request) Request {
	if q.Proto == "" {
		q.Proto = "HTTP/1.1"
	}
	for i := range s.faults {
		f := &s.faults[i]
		if q.Start.Before(f.From) || !q.Start.Before(f.To) {
			continue
		}
		before := q.Status
		if q = s.fault(f, r, q); q.Status != before {
			s.witness(q.Start)
		}
		if q.Status == 0 {
			return q // dropped
		}
	}
	if q.Start.Before(s.from) || !q.End().Before(s.to) {
		return q
	}
	if q.Actor.Hostile() {
		s.witness(q.Start)
	}
	s.seq++
	s.q.push(q, s.seq)
	return q
}

func (s *Sim) witness(t time.Time) {
	if !t.Before(s.from) && (s.evidence.IsZero() || t.Before(s.evidence)) {
		s.evidence = t
	}
}

// Evidence returns when the first line an attack made or changed starts
// (zero when none did): a judge cannot ask for an alert before it.
func (s *Sim) Evidence() time.Time { return s.evidence }

// fault applies f to q: it returns q with Status 0 when f drops it.
//
//go:noinline
func (s *Sim) fault(f *Fault, r *rand.Rand, q Request) Request {
	c := new(Request) // a copy on the heap, only for requests a fault may touch
	*c = q
	if f.Match != nil && !f.Match(c) {
		return q
	}
	if f.Drop {
		c.Status = 0
		return *c
	}
	f.Apply(r, c)
	return *c
}

// Run calls the processes in time order until the window ends, and
// writes every request to the sink.
func (s *Sim) Run() {
	for len(s.procs) > 0 {
		p := s.procs.pop()
		s.q.flushBefore(p.at, s.sink)
		next := p.step(p.at)
		if !next.IsZero() && next.Before(s.to) {
			if next.Before(p.at) {
				next = p.at // a process never goes back in time
			}
			p.at = next
			s.procs.push(p)
		}
	}
	s.q.flushBefore(s.to.Add(time.Second), s.sink)
}

type proc struct {
	at   time.Time
	seq  uint64 // ties run in the order scheduled
	step func(now time.Time) time.Time
}

// procHeap is a binary min-heap of processes by (at, seq), written out
// rather than through container/heap, whose interface boxing would
// allocate on every step.
type procHeap []proc

func (h procHeap) less(i, j int) bool {
	if c := h[i].at.Compare(h[j].at); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}

func (h *procHeap) push(p proc) {
	*h = append(*h, p)
	q := *h
	for i := len(q) - 1; i > 0; {
		parent := (i - 1) / 2
		if !q.less(i, parent) {
			break
		}
		q[i], q[parent] = q[parent], q[i]
		i = parent
	}
}

func (h *procHeap) pop() proc {
	q := *h
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q[n] = proc{}
	q = q[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && q.less(l, m) {
			m = l
		}
		if r := l + 1; r < n && q.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}

// queue holds the requests not yet written, in one-second buckets by the
// time their line is stamped: a ring for the next ringSeconds, a list for
// later ones. The requests themselves sit in a slab, reused once written;
// the buckets hold small slots pointing into it, so that sorting a
// second's lines moves 24 bytes a line, not a whole request.
type queue struct {
	base  int64 // Unix second of ring[head]
	head  int
	ring  [][]slot
	later []slot // lines beyond the ring, moved in as it turns
	keep  []slot
	reqs  []Request
	free  []int32
}

type slot struct {
	at  int64 // line time, Unix nanoseconds
	seq uint64
	idx int32 // into reqs
}

const ringSeconds = 4096

func (qu *queue) init(from time.Time) {
	qu.base = from.Unix() - 1
	qu.ring = make([][]slot, ringSeconds)
}

func (qu *queue) push(q Request, seq uint64) {
	var idx int32
	if n := len(qu.free); n > 0 {
		idx = qu.free[n-1]
		qu.free = qu.free[:n-1]
		qu.reqs[idx] = q
	} else {
		idx = int32(len(qu.reqs))
		qu.reqs = append(qu.reqs, q)
	}
	at := q.End().UnixNano()
	sec := floorSec(at)
	if sec < qu.base {
		sec = qu.base // a line stamped in a bucket already written: next out
	}
	sl := slot{at: at, seq: seq, idx: idx}
	if sec-qu.base >= ringSeconds {
		qu.later = append(qu.later, sl)
		return
	}
	i := (qu.head + int(sec-qu.base)) % ringSeconds
	qu.ring[i] = append(qu.ring[i], sl)
}

// flushBefore writes, in order, every bucket that ends at or before t.
func (qu *queue) flushBefore(t time.Time, sink func(*Request)) {
	limit := floorSec(t.UnixNano()) // buckets before this second are complete
	for qu.base < limit {
		b := qu.ring[qu.head]
		if len(b) > 0 {
			slices.SortFunc(b, func(x, y slot) int {
				if x.at != y.at {
					return cmp.Compare(x.at, y.at)
				}
				return cmp.Compare(x.seq, y.seq)
			})
			for _, sl := range b {
				sink(&qu.reqs[sl.idx])
				qu.free = append(qu.free, sl.idx)
			}
			qu.ring[qu.head] = b[:0]
		}
		qu.head = (qu.head + 1) % ringSeconds
		qu.base++
		if len(qu.later) > 0 && qu.base%600 == 0 {
			qu.admitLater()
		}
	}
}

// admitLater moves the lines that now fall inside the ring into it.
func (qu *queue) admitLater() {
	keep := qu.keep[:0]
	for _, sl := range qu.later {
		if sec := floorSec(sl.at); sec-qu.base < ringSeconds {
			i := (qu.head + int(sec-qu.base)) % ringSeconds
			qu.ring[i] = append(qu.ring[i], sl)
			continue
		}
		keep = append(keep, sl)
	}
	qu.keep = qu.later[:0]
	qu.later = keep
}

func floorSec(ns int64) int64 {
	s := ns / 1e9
	if ns < 0 && ns%1e9 != 0 {
		s--
	}
	return s
}
