package detector

// bursts leaves out of a MinSpan rule's value the buckets in which a rule
// it yields to fired (see [Rule.YieldTo]). MinSpan's cap counts a
// bucket's first events only, so a long burst and a drip look alike to
// it; what the burst rules page for is theirs. A bucket found to be a
// burst's takes back what it counted: its events stay in the window (the
// keys an alert names, the evidence) but out of the value the rule
// compares and learns.
type bursts struct {
	to    []*ruleState // the rules yielded to, in the engine
	n     []int64      // the bucket each slot's flag is of
	burst []bool       // the slot's bucket is a burst's
	// counted is the events the window's burst buckets had counted
	// before they were found to be bursts': out of the rule's value.
	counted uint64
}

func newBursts(s *ruleState) *bursts {
	slots := len(s.w.ring)
	return &bursts{n: make([]int64, slots), burst: make([]bool, slots)}
}

// yield resolves the rule names of YieldTo among the engine's rules.
func (bb *bursts) yield(names []string, rules []*ruleState) {
	for _, r := range rules {
		for _, name := range names {
			if r.rule.Name == name {
				bb.to = append(bb.to, r)
			}
		}
	}
}

// burstOut reports whether the rule leaves out a matching event in engine
// bucket b: its bucket is a burst's, or a rule it yields to fires now and
// makes it one. An event older than the window is not judged (it is
// counted late).
func (s *ruleState) burstOut(b int64) bool {
	bb := s.bursts
	n := s.w.bucketOf(b)
	i := s.w.index(n)
	if s.w.ring[i].n != n {
		return false
	}
	if bb.n[i] != n {
		bb.n[i], bb.burst[i] = n, false
	}
	if bb.burst[i] {
		return true
	}
	for _, r := range bb.to {
		if r.state == stateFiring {
			bb.mark(&s.w, i)
			return true
		}
	}
	return false
}

// mark makes slot i's bucket a burst's, taking back what it counted.
func (bb *bursts) mark(w *window, i int) {
	bb.n[i], bb.burst[i] = w.ring[i].n, true
	bb.counted += w.ring[i].count
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
