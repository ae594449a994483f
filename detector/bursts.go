package detector

import "math"

// bursts leaves a MinSpan rule's burst buckets out of its value: those
// whose matching events reached the rule's BurstRate (see
// [Rule.BurstRate]). MinSpan's cap counts a bucket's first events only,
// so a burst and a drip look alike to it; their rates tell them apart.
// A bucket found to be a burst takes back what it counted: its events
// stay in the window (the keys an alert names, the evidence) but out of
// the value the rule compares and learns.
type bursts struct {
	at     uint64   // events that make a bucket a burst's
	n      []int64  // the bucket each slot's events are of
	events []uint64 // matching events of the slot's bucket, counted or not
	burst  []bool   // the slot's bucket is a burst's
	// counted is the events the window's burst buckets had counted
	// before they were found to be bursts: out of the rule's value.
	counted uint64
}

func newBursts(s *ruleState) *bursts {
	slots := len(s.w.ring)
	bucket := float64(s.w.width) * s.opts.Resolution.Seconds()
	return &bursts{
		at:     max(1, uint64(math.Ceil(s.rule.BurstRate*bucket))),
		n:      make([]int64, slots),
		events: make([]uint64, slots),
		burst:  make([]bool, slots),
	}
}

// burstOut notes a matching event in engine bucket b and reports whether the
// rule leaves it out: its bucket is a burst's, or this event makes it
// one. An event older than the window is not noted (it is counted late).
func (s *ruleState) burstOut(b int64) bool {
	bb := s.bursts
	n := s.w.bucketOf(b)
	i := s.w.index(n)
	if s.w.ring[i].n != n {
		return false
	}
	if bb.n[i] != n {
		bb.n[i], bb.events[i], bb.burst[i] = n, 0, false
	}
	if bb.burst[i] {
		return true
	}
	if bb.events[i]++; bb.events[i] < bb.at {
		return false
	}
	bb.burst[i] = true
	bb.counted += s.w.ring[i].count
	return true
}

// isBurst reports whether slot i holds a burst's bucket.
func (bb *bursts) isBurst(w *window, i int) bool {
	return bb.burst[i] && bb.n[i] == w.ring[i].n
}

// expired takes slot i's counted events out of counted as its bucket
// leaves the window.
func (bb *bursts) expired(w *window, i int) {
	if bb.isBurst(w, i) {
		bb.counted -= w.ring[i].count
	}
	bb.burst[i] = false
}

// outOf returns the events of the window's total, or of its live total
// (the oldest bucket partly out, see [window.liveTotal]), that burst
// buckets counted. The rule has bursts.
func (s *ruleState) outOf(live bool) uint64 {
	bb := s.bursts
	c := bb.counted
	if oldest := s.w.last - s.w.nb; live {
		if i := s.w.index(oldest); s.w.ring[i].n == oldest && bb.isBurst(&s.w, i) {
			c -= s.w.ring[i].count
		}
	}
	return c
}
