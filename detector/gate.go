package detector

import (
	"slices"

	"github.com/sentinel-dev/sentinel/parsers"
)

// gate is a cheap necessary condition of a [Cond], read from its tree
// once, that the engine tests inline before the condition itself: the
// event's kind, its method, and one status. Most events of ordinary
// traffic are page and asset loads that no sign-up or log-in rule can
// match, and a test of the method (or of a status: client-denied's 401)
// turns each of those rules away in a few instructions instead of
// interface calls down a tree of conditions. A gate never changes an
// answer: it only refuses events its condition refuses too.
type gate struct {
	kind    parsers.Kind
	kindSet bool     // kind must hold
	methods []string // one of them must be the method; nil: any
	status  int      // the status must be this one; 0: any
	// rest is what the condition still has to check once the gate passes
	// (its conjuncts the gate covers left out); nil when nothing.
	rest Cond
}

// newGate returns c's gate, and what of c is left to check after it.
func newGate(c Cond) gate {
	if c == nil {
		return gate{}
	}
	g := gateOf(c)
	g.rest = c
	all, ok := c.(All)
	if !ok {
		all = All{c}
	}
	// A conjunct the gate tests exactly need not be tested again.
	var rest All
	for _, x := range all {
		switch x := x.(type) {
		case KindIs:
			if g.kindSet && parsers.Kind(x) == g.kind {
				continue
			}
		case *Equals:
			if isMethod(x.Field) && g.methods != nil && slices.Equal(x.Values, g.methods) {
				continue
			}
		case *Range:
			if st, ok := oneStatus(x); ok && st == g.status {
				continue
			}
		}
		rest = append(rest, x)
	}
	switch len(rest) {
	case 0:
		g.rest = nil
	case 1:
		g.rest = rest[0]
	default:
		g.rest = rest
	}
	return g
}

// gateOf returns the necessary condition of c that a gate can test.
func gateOf(c Cond) gate {
	switch c := c.(type) {
	case KindIs:
		return gate{kind: parsers.Kind(c), kindSet: true}
	case *Equals:
		if isMethod(c.Field) {
			return gate{methods: c.Values}
		}
	case *Range:
		if st, ok := oneStatus(c); ok {
			return gate{status: st}
		}
	case *Shared:
		return gateOf(c.Cond)
	case All:
		// Every conjunct must hold: the first kind and the first method
		// list found are necessary (a second one is left to the rest).
		var g gate
		for _, x := range c {
			h := gateOf(x)
			if h.kindSet && !g.kindSet {
				g.kind, g.kindSet = h.kind, true
			}
			if h.methods != nil && g.methods == nil {
				g.methods = h.methods
			}
			if h.status != 0 && g.status == 0 {
				g.status = h.status
			}
		}
		return g
	case Any:
		// One branch must hold: a kind all of them require, and the union
		// of their methods when each names some.
		if len(c) == 0 {
			return gate{}
		}
		g := gateOf(c[0])
		for _, x := range c[1:] {
			h := gateOf(x)
			if !h.kindSet || h.kind != g.kind {
				g.kindSet = false
			}
			if h.status != g.status {
				g.status = 0
			}
			if g.methods == nil || h.methods == nil {
				g.methods = nil
				continue
			}
			for _, m := range h.methods {
				if !slices.Contains(g.methods, m) {
					g.methods = append(g.methods[:len(g.methods):len(g.methods)], m)
				}
			}
		}
		return g
	}
	return gate{}
}

// pass reports whether ev passes the gate. The engine calls it for every
// rule and every event: it is kept small enough to inline.
func (g *gate) pass(ev *Event) bool {
	if g.kindSet && ev.Kind != g.kind || g.status != 0 && ev.Status != g.status {
		return false
	}
	return g.methods == nil || g.method(ev.Method)
}

func (g *gate) method(m []byte) bool {
	for _, w := range g.methods {
		if string(m) == w {
			return true
		}
	}
	return false
}

// match reports whether ev passes the whole condition the gate was made
// from.
func (g *gate) match(ev *Event) bool {
	return g.pass(ev) && (g.rest == nil || g.rest.Match(ev))
}

// gateSet holds the distinct gates of a list of members (the rules, in
// order): most rules share one of two or three gates (any request, a
// post), so that an event tests each distinct gate once and learns from a
// bit mask which members may match, instead of a test per member. Only
// the first maxGated members are in it; the caller tests the others one
// by one.
type gateSet struct {
	gates []gate
	masks []uint64 // per gate, the members it guards
}

// maxGated is how many members a gateSet holds: the bits of its masks.
const maxGated = 64

// newGateSet returns the set of the gates of members, by index; members
// from maxGated on are left out.
func newGateSet(members []gate) gateSet {
	var s gateSet
	for i, g := range members[:min(len(members), maxGated)] {
		j := slices.IndexFunc(s.gates, g.same)
		if j < 0 {
			j = len(s.gates)
			s.gates = append(s.gates, gate{kind: g.kind, kindSet: g.kindSet, methods: g.methods, status: g.status})
			s.masks = append(s.masks, 0)
		}
		s.masks[j] |= 1 << i
	}
	return s
}

// same reports whether g and h test the same (their rests aside).
func (g gate) same(h gate) bool {
	return g.kindSet == h.kindSet && (!g.kindSet || g.kind == h.kind) && g.status == h.status &&
		(g.methods == nil) == (h.methods == nil) && slices.Equal(g.methods, h.methods)
}

// pass returns the members whose gates ev passes.
func (s *gateSet) pass(ev *Event) uint64 {
	var m uint64
	for i := range s.gates {
		if s.gates[i].pass(ev) {
			m |= s.masks[i]
		}
	}
	return m
}

func isMethod(f Field) bool { return f.Name == "method" }

// oneStatus reports the status a condition on the status requires, when
// it requires exactly one (status: 401).
func oneStatus(c *Range) (int, bool) {
	if c.Field.Name != "status" || len(c.Ranges) != 1 {
		return 0, false
	}
	r := c.Ranges[0]
	if r.Min != r.Max || r.Min < 1 || r.Min != float64(int(r.Min)) {
		return 0, false
	}
	return int(r.Min), true
}
