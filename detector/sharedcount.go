package detector

import (
	"math"
	"time"
)

// sharedCount counts the events of the newest bucket once for rules that
// count the same events the same way: the same gate and match, no
// group_by, distinct, evidence, beyond_busiest or min_span (the default
// baselines over all requests and the site-wide 5xx share), whatever
// their windows and bucket widths. Each of those rules would otherwise add every
// request to its own window and test its live crossing, about 200
// instructions a rule and an event; here an event costs an increment, and
// the events are added to each rule's newest bucket at once when anything
// reads the rules (a boundary, a late event, a snapshot, the stats).
//
// What a rule does per event besides counting is kept: the first
// [Options.Samples] events of a bucket, the events that reach a rule's
// live level, and those of an older bucket go through the rule's own
// path ([Engine.count]), after the events counted here are added, so that
// samples, late events, crossings on an event and their alerts come out as
// before. The shared count is armed (see arm) once per bucket, with the
// number of events it may take before one of them may cross a rule's live
// level.
type sharedCount struct {
	rules []*ruleState // the members, in the engine's order
	mask  uint64       // their bits in the engine's gate and overlap masks
	gate  gate         // their gate; rest is their match after it (nil or a shared block)

	// armed: the engine steps [lo, hi) are in every member's newest
	// bucket, and the events of them counted here are pending; an event
	// that would make pending reach limit goes the members' own way.
	armed   bool
	lo, hi  int64 // engine steps
	limit   uint64
	pending uint64
	// lastSeen is the time of the newest event pending (lastNs, in Unix
	// nanoseconds; MinInt64 when none).
	lastSeen time.Time
	lastNs   int64
	// ratios are the ratio members, with their pending hits.
	ratios []sharedHits
}

// sharedHits are the pending events that passed a ratio member's Of.
type sharedHits struct {
	k    *ratio
	of   Cond
	hits uint64
}

// sharable reports whether s counts an event in nothing but its newest
// bucket's count (a ratio: its hits too), its matched count and its last
// event's time, besides the samples and the live check sharedCount leaves
// to it.
func sharable(s *ruleState) bool {
	if s.rule.GroupBy != nil || s.distinct != nil || s.ev != nil || s.beyond != nil ||
		s.capBucket > 0 || s.fleet != nil || s.judge != nil {
		return false
	}
	switch k := s.k.(type) {
	case *rate, *absence:
		return true
	case *ratio:
		return k.keyHits == nil
	}
	return false
}

// sameRest reports whether two rests of gates are the same condition:
// none, or one shared block.
func sameRest(a, b Cond) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	sa, ok := a.(*Shared)
	sb, ok2 := b.(*Shared)
	return ok && ok2 && sa == sb
}

// newSharedCounts groups the sharable rules among the first maxGated
// (those in the gate masks) by gate and match.
func newSharedCounts(rules []*ruleState) []sharedCount {
	var out []sharedCount
	for i, r := range rules[:min(len(rules), maxGated, maxOverlapRules)] {
		if _, shared := r.gate.rest.(*Shared); !sharable(r) || r.gate.rest != nil && !shared {
			continue
		}
		j := 0
		for ; j < len(out); j++ {
			g := &out[j]
			if g.gate.same(r.gate) && sameRest(g.gate.rest, r.gate.rest) {
				break
			}
		}
		if j == len(out) {
			out = append(out, sharedCount{gate: r.gate, lastNs: math.MinInt64})
		}
		g := &out[j]
		g.rules = append(g.rules, r)
		g.mask |= 1 << i
		if k, ok := r.k.(*ratio); ok {
			g.ratios = append(g.ratios, sharedHits{k: k, of: r.rule.Of})
		}
	}
	return out
}

// add counts ev, in engine step n, which passed the members' match, for
// every member, and reports whether it did: false leaves ev to each
// member's own path, with the events counted before added to them. It is
// kept small enough to inline: the engine calls it for every request.
func (g *sharedCount) add(n int64, ev *Event) bool {
	if !g.armed || n < g.lo || n >= g.hi || g.pending+1 >= g.limit {
		return g.rearm(n, ev)
	}
	g.pending++
	if ev.ns > g.lastNs {
		g.lastSeen, g.lastNs = ev.Time, ev.ns
	}
	if g.ratios != nil {
		g.addHits(ev)
	}
	return true
}

// rearm is add's way when the count is not armed, or ev may not be
// counted here: it arms the count if it can, and counts ev if it may.
func (g *sharedCount) rearm(n int64, ev *Event) bool {
	if !g.armed {
		if g.arm() && n >= g.lo && n < g.hi && g.limit > 1 {
			return g.add(n, ev)
		}
		// Each member counts ev: armed again at the next event, from
		// where that leaves them.
		g.armed = false
		return false
	}
	g.flush()
	return false
}

// addHits counts ev among the pending hits of the ratio members whose Of
// it passes.
func (g *sharedCount) addHits(ev *Event) {
	for i := range g.ratios {
		if h := &g.ratios[i]; h.of.Match(ev) {
			h.hits++
			if c := h.k.clusters; c != nil { // in the newest bucket, as the hits
				c.hit(h.k.s.w.lastIdx, h.k.s.w.last, ev)
			}
		}
	}
}

// arm readies the count for the engine steps that fall in every member's
// newest bucket (the newest step, when they are at the engine's clock),
// and reports whether it can take events: not while a member's newest
// bucket has fewer than Options.Samples events (they are sampled), nor
// while a rule with for: is pending (its live check depends on each
// event's time). The engine syncs the counts at every step, so the count
// is armed again at each.
func (g *sharedCount) arm() bool {
	g.lo, g.hi, g.limit = math.MinInt64, math.MaxInt64, math.MaxUint64
	for _, r := range g.rules {
		w := &r.w
		if !w.started() || w.ring[w.lastIdx].n != w.last || w.ring[w.lastIdx].count < uint64(r.opts.Samples) {
			return false
		}
		l, ok := r.liveLimit()
		if !ok {
			return false
		}
		g.lo, g.hi, g.limit = max(g.lo, w.last*w.width), min(g.hi, (w.last+1)*w.width), min(g.limit, l)
	}
	g.armed = true
	return true
}

// liveLimit returns the fewest events more in the newest bucket whose
// last takes the rule's live value to its live level, as
// [ruleState.crossedOnEvent] would tell for it (MaxUint64 when none can
// now); false when it cannot say before each event (for: pending).
func (s *ruleState) liveLimit() (uint64, bool) {
	const never = math.MaxUint64
	if s.live == nil || s.state == stateFiring || math.IsInf(s.liveTh, 1) {
		return never, true
	}
	if s.rule.For > 0 {
		return never, s.state != statePending
	}
	if _, ok := s.k.(*rate); !ok {
		return 0, false // sharable kinds with a live value are rates
	}
	// The value is the window's events up to the event over its seconds,
	// which only grows with the events: the least number that crosses,
	// by doubling and halving with the very test crossedOnEvent makes.
	base, secs, strict := s.w.liveTotal(), s.rule.Window.Seconds(), s.rule.Baseline != nil
	cross := func(p uint64) bool { return crosses(float64(base+p)/secs, s.liveTh, false, strict) }
	lo, hi := uint64(0), uint64(1)
	for !cross(hi) {
		if hi >= 1<<62 {
			return never, true
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		if mid := lo + (hi-lo)/2; cross(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, true
}

// flush adds the pending events to every member, and disarms the count.
func (g *sharedCount) flush() {
	g.armed = false
	if g.pending == 0 {
		return
	}
	p := g.pending
	for _, r := range g.rules {
		w := &r.w
		w.ring[w.lastIdx].count += p
		w.total += p
		r.matched += p
		r.seen = true
		if g.lastNs > r.lastSeenNs {
			r.lastSeen, r.lastSeenNs = g.lastSeen, g.lastNs
		}
	}
	for i := range g.ratios {
		h := &g.ratios[i]
		h.k.hits[h.k.s.w.lastIdx] += h.hits
		h.k.sum += h.hits
		h.hits = 0
	}
	g.pending, g.lastNs = 0, math.MinInt64
}

// sync adds every shared count's pending events to its rules: anything
// that reads the rules' windows or counters calls it first.
func (e *Engine) sync() {
	for i := range e.shared {
		e.shared[i].flush()
	}
}
