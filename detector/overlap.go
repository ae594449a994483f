package detector

import "math/bits"

// maxOverlapRules is how many rules (the first, in the config's order)
// the engine measures overlaps between: one bit each in a mask per event.
const maxOverlapRules = 64

// overlap measures how much the matching events of rules overlap while
// one of them is active (pending or firing), so that a notifier can tell
// the rules of one incident (a sign-up flood raising signup-burst and
// traffic-spike on the same posts) from an unrelated one at the same time
// (a login failure burst). It costs nothing while no rule is active, and
// while some are, a comparison per matching event and a few additions per
// run of events matched by the same rules: for each active rule i and each
// rule j the events matched, seen[i][j] += the run's length, and
// both[i][j] too when i matched them.
type overlap struct {
	n      int
	active uint64     // rules pending or firing, by index
	seen   [][]uint64 // seen[i][j]: events rule j matched while i was active
	both   [][]uint64 // both[i][j]: of those, the ones rule i matched too

	// match: per rule, its match: rules counting the same events by
	// construction (one shared matcher) overlap fully before any event
	// has been counted (see share).
	match []Cond

	// run and runN are the last events not counted in seen and both yet:
	// runN events matched by the rules in run. Events in a row mostly
	// match the same rules (page loads), so an event costs a comparison,
	// and the counts are added once per run.
	run  uint64
	runN uint64
}

func newOverlap(rules []*ruleState) *overlap {
	n := min(len(rules), maxOverlapRules)
	o := &overlap{n: n, seen: make([][]uint64, n), both: make([][]uint64, n), match: make([]Cond, n)}
	for i := range n {
		o.seen[i], o.both[i] = make([]uint64, n), make([]uint64, n)
		o.match[i] = rules[i].rule.Match
	}
	return o
}

// setActive records whether rule i is active; becoming active starts its
// counts afresh.
func (o *overlap) setActive(i int, active bool) {
	if i >= o.n {
		return
	}
	o.flush()
	bit := uint64(1) << i
	switch {
	case active && o.active&bit == 0:
		clear(o.seen[i])
		clear(o.both[i])
		o.active |= bit
	case !active:
		o.active &^= bit
	}
}

// add counts an event that the rules in mask matched.
func (o *overlap) add(mask uint64) {
	if mask == 0 || o.active == 0 {
		return
	}
	if mask == o.run {
		o.runN++
		return
	}
	o.flush()
	o.run, o.runN = mask, 1
}

// flush counts the run of events not counted yet.
func (o *overlap) flush() {
	if o.runN == 0 {
		return
	}
	mask, k := o.run, o.runN
	o.runN = 0
	for act := o.active; act != 0; act &= act - 1 {
		i := bits.TrailingZeros64(act)
		mine := mask&(1<<i) != 0
		seen, both := o.seen[i], o.both[i]
		for m := mask; m != 0; m &= m - 1 {
			j := bits.TrailingZeros64(m)
			seen[j] += k
			if mine {
				both[j] += k
			}
		}
	}
}

// share is the overlap of rules i and j while i has been active: the
// events both matched over the events either matched (0 to 1); 0 when i
// is not active. Before anything was counted it is 1 for two rules whose
// match is the same shared matcher, else 0: two rules over failed log-ins
// that fire at the same boundary are one incident, though no event came
// between their firings.
func (o *overlap) share(i, j int) float64 {
	if i >= o.n || j >= o.n || o.active&(1<<i) == 0 {
		return 0
	}
	o.flush()
	both := o.both[i][j]
	either := o.seen[i][i] + o.seen[i][j] - both
	if either == 0 {
		if sameEvents(o.match[i], o.match[j]) {
			return 1
		}
		return 0
	}
	return float64(both) / float64(either)
}

// sameEvents reports whether two matches hold for the same events by
// construction: the same shared matcher, with the same kind of event.
// Other conditions are not compared (false).
func sameEvents(a, b Cond) bool {
	switch a := a.(type) {
	case *Shared:
		b, ok := b.(*Shared)
		return ok && a == b
	case KindIs:
		b, ok := b.(KindIs)
		return ok && a == b
	case All:
		b, ok := b.(All)
		if !ok || len(a) != len(b) || len(a) == 0 {
			return false
		}
		for i := range a {
			if !sameEvents(a[i], b[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// Overlap returns how much the matching events of rules a and b overlapped
// since a became pending or firing: the events both matched over the
// events either matched, from 0 (none in common) to 1 (the same events).
// It is 0 when a is not pending or firing, when either rule is unknown or
// past the first 64 rules, or before any event (1 then for two rules
// matching one shared matcher's events). The daemon groups the
// rules of one incident by it.
func (e *Engine) Overlap(a, b string) float64 {
	i, j := e.ruleIndex(a), e.ruleIndex(b)
	if i < 0 || j < 0 {
		return 0
	}
	return e.ov.share(i, j)
}

// ruleIndex returns the index of the rule named name, -1 when none is.
func (e *Engine) ruleIndex(name string) int {
	for i, r := range e.rules {
		if r.rule.Name == name {
			return i
		}
	}
	return -1
}

// noteActive records, after rule i was evaluated at ns, whether it is
// active (and, for a rule that looks up, when an attack was last alerted:
// see [attackClock]).
func (e *Engine) noteActive(i int, ns int64) {
	r := e.rules[i]
	e.ov.setActive(i, r.state != stateInactive)
	e.attack.note(r, ns)
}
