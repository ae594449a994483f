package detector

// agentMarks tells, for a per-key rule with [Baseline.OneAgentIsClient],
// whether a key's requests over the window are one program's, not the
// people's behind a NAT: all carried one user agent, or at least half were
// refused (4xx: a vulnerability scanner's 404s). On a busy site an
// office's NAT carries a few per cent of the requests, as a scraper at 25
// pages a second does; KeyShare holds both to a share of the site, which
// the scraper never reaches. The people behind a NAT use several browsers
// (and apps, whose user agents name their builds); a program sends one
// string. A scanner may send a new one with each request (nikto numbers
// its tests in it, nuclei draws one at random), but most of what it asks
// for is not there, where people's pages are. So the share holds only a
// key seen with more than one user agent and mostly answered.
//
// The marks ride on the window's buckets: beside each slot of a bucket's
// Space-Saving summary, the key's hash, the user agent its requests
// carried (a fingerprint), and how many of them were looked at. A request
// costs a comparison; only a key's 3rd, 5th, 9th, 17th… request in a
// bucket is looked at (no key under the floor matters, most clients send
// one or two requests a second, and a page view a dozen; see agentFrom),
// and only a key the share would hold back is ever judged, over the
// ring's buckets.
type agentMarks struct {
	w     *window
	slots [][]agentMark // per ring slot, per summary slot; nil until used
}

// agentMark is what a bucket's summary slot saw of its key's user agents.
type agentMark struct {
	key     uint32 // the key's table hash: a slot taken over by another key starts again
	n       uint32 // requests looked at
	refused uint32 // of them, those answered 4xx, but a native app's
	agent   uint64 // their user agent's keyHash (AES-backed, the cheapest hash here), when not mixed
	mixed   bool   // more than one, or one without a user agent
}

// oneAgentMin is how many of a key's requests must have been looked at,
// all with one user agent, before it counts as one client: a NAT's few
// requests in a row from one browser are not enough.
const oneAgentMin = 20

// agentFrom is the least count a key must have in the bucket before its
// request is looked at; after it, its 5th, 9th, 17th… are (a program at
// 6 a second shows two a second, at 50 five): a browsing session's page
// and its dozen assets cost few looks, and a NAT's people still show
// their browsers within a second or two.
const agentFrom = 3

func newAgentMarks(w *window) *agentMarks {
	return &agentMarks{w: w, slots: make([][]agentMark, len(w.ring))}
}

// add looks at the user agent of ev, just counted under key in ring slot
// slot.
func (a *agentMarks) add(slot int, key []byte, ev *Event) {
	ss := a.w.ring[slot].keys
	if key == nil || ss == nil {
		return
	}
	i := ss.lastAdd
	t := &ss.t
	if c := t.counts[i]; c < agentFrom || c > agentFrom && (c-1)&(c-2) != 0 {
		return
	}
	marks := a.slots[slot]
	if marks == nil {
		marks = make([]agentMark, t.capacity())
		a.slots[slot] = marks
	}
	m := &marks[i]
	if h := t.hashes[i]; m.key != h {
		*m = agentMark{key: h} // a slot another key held, or never used
	}
	ua := ev.UserAgent
	switch {
	case m.mixed:
	case len(ua) == 0 || len(ua) == 1 && ua[0] == '-':
		m.mixed = true // no user agent: nothing tells a program from people
	case m.n == 0 && nativeApp(ua):
		// A native app's: its users all send its one user agent (a
		// carrier's NAT after a release), as people, not one program.
		m.mixed = true
	case m.n == 0:
		m.agent = keyHash(ua)
	case keyHash(ua) != m.agent:
		m.mixed = true
	}
	// A native app's 401s after a release (its users' tokens expired,
	// through a carrier's NAT) are people's.
	if ev.Status >= 400 && ev.Status < 500 && !nativeApp(ua) {
		m.refused++
	}
	m.n++
}

// expired forgets ring slot slot's marks, as its bucket leaves.
func (a *agentMarks) expired(slot int) {
	clear(a.slots[slot])
}

// program reports whether key's requests over the ring's buckets (the
// window's complete ones and the newest), at least oneAgentMin of them
// looked at, are one program's: they carried one user agent, or at least
// half of them were refused (agentMark.refused). A bucket that holds the
// key at a count that should have been looked at, with no mark of the
// key's, was not seen (restored from a snapshot, or the key took its
// summary slot over past agentFrom): nothing tells what it carried, and
// the answer is no.
func (a *agentMarks) program(key []byte) bool {
	w := a.w
	h := uint32(keyHash(key))
	var (
		agent      uint64
		n, refused uint32
		one, seen  = true, false
	)
	for b := w.last - w.nb; b <= w.last; b++ {
		slot := int(mod(b, int64(len(w.ring))))
		bk := &w.ring[slot]
		if bk.n != b || bk.keys == nil {
			continue
		}
		i := bk.keys.t.lookup(key, h)
		if i < 0 {
			continue
		}
		var m agentMark
		if marks := a.slots[slot]; marks != nil && marks[i].key == h {
			m = marks[i]
		}
		switch {
		case m.n == 0 && bk.keys.t.counts[i] >= agentFrom:
			return false // not seen
		case m.n == 0:
			continue // under agentFrom: nothing to see
		case m.mixed:
			one = false
		case !seen:
			agent, seen = m.agent, true
		case m.agent != agent:
			one = false
		}
		n += m.n
		refused += m.refused
	}
	return n >= oneAgentMin && (one || 2*refused >= n)
}
