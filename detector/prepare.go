package detector

import (
	"math/bits"

	"github.com/sentinel-dev/sentinel/parsers"
)

// A Preparer matches events against an engine's rules on a goroutine of
// its own, ahead of the engine: a replay's reading goroutine runs one on
// the events it parses while the engine is behind (replay.Feed), so that
// the engine's goroutine, the one a two-core replay of an attack waits
// for, does only the work that depends on what it saw before. Which rules
// an event's match block passes depends on the event alone, except for
// the cold field (the client's earlier requests): those conditions are
// left to the engine. The answers are the
// engine's own, so the alerts are the same with or without a Preparer.
//
// A Preparer shares nothing mutable with its engine or with another
// Preparer: it has its own [Event] buffers and memos, allocated by its
// first Prepare, on its own goroutine, away from the engine's memory.
type Preparer struct {
	ev    *scratch // nil until the first Prepare
	memoN int      // the engine's number of shared blocks kept per event
	// The engine's gates, which are not changed once made.
	ruleGates, shareGates gateSet
	// rules and shares are the engine's members' rests to test after
	// their gates, indexed like the engine's rules and evidence shares;
	// nil for a member with no rest or whose rest the engine tests (it
	// reads state).
	rules, shares []Cond
	// ruleRests and shareRests are the members with a rest here.
	ruleRests, shareRests uint64
}

// scratch is a Preparer's event, padded, and allocated on the Preparer's
// goroutine, so that no cache line of it holds the engine's data: its
// memo is written for every event, and the engine's, of the same few
// bytes, is too.
type scratch struct {
	_  [64]byte
	ev Event
	_  [64]byte
}

// Prepared is what a [Preparer] found for one event: the members of the
// engine's gate masks (its first 64 rules, and the first 64 evidence
// shares) whose match holds, as far as the event alone tells. The engine
// tests the rest of those whose match reads state, and every member past
// the 64th, itself.
type Prepared struct {
	rules, shares uint64
}

// NewPreparer returns a Preparer for e's rules. It may be called only
// from e's goroutine; the Preparer may then run on any one goroutine.
func (e *Engine) NewPreparer() *Preparer {
	p := &Preparer{
		ruleGates:  e.ruleGates,
		shareGates: e.shareGates,
		rules:      make([]Cond, min(len(e.rules), maxGated)),
		shares:     make([]Cond, min(len(e.shareOf), maxGated)),
	}
	p.memoN = len(e.ev.memo)
	for i := range p.rules {
		if c := e.rules[i].gate.rest; c != nil && e.pureRules&(1<<i) != 0 {
			p.rules[i] = c
			p.ruleRests |= 1 << i
		}
	}
	for i := range p.shares {
		if c := e.shareOf[i].gate.rest; c != nil && e.pureShares&(1<<i) != 0 {
			p.shares[i] = c
			p.shareRests |= 1 << i
		}
	}
	return p
}

// Prepare matches ev and writes what it found to out. ev must stay as it
// is until the engine has observed it with out.
func (p *Preparer) Prepare(ev *parsers.Event, out *Prepared) {
	if p.ev == nil {
		p.ev = new(scratch)
		// At least a cache line: the allocator packs smaller objects
		// together.
		p.ev.ev.memo = make([]uint8, p.memoN, max(p.memoN, 64))
		p.ev.ev.re = make(reMemo)
	}
	x := &p.ev.ev
	x.reset(ev, 0)
	out.rules = keep(p.ruleGates.pass(x), p.ruleRests, p.rules, x)
	out.shares = keep(p.shareGates.pass(x), p.shareRests, p.shares, x)
}

// keep returns the members of m whose rest, for those of rests that
// have one, ev passes.
func keep(m, rests uint64, conds []Cond, ev *Event) uint64 {
	for t := m & rests; t != 0; t &= t - 1 {
		if i := bits.TrailingZeros64(t); !conds[i].Match(ev) {
			m &^= 1 << i
		}
	}
	return m
}

// pureMembers returns the members of gates (at most maxGated) whose rest
// depends on the event alone: a [Preparer] may test it.
func pureMembers(gates []gate) uint64 {
	var m uint64
	for i, g := range gates[:min(len(gates), maxGated)] {
		if pure(g.rest) {
			m |= 1 << i
		}
	}
	return m
}

// pure reports whether c's answer depends on nothing but the event: no
// condition reads a field of the engine's state (cold, the client's
// earlier requests; program_client, its earlier user agents), and c
// is made of the conditions this package defines (another's may keep
// state).
func pure(c Cond) bool {
	ok := true
	walk(c, func(c Cond) {
		switch c.(type) {
		case All, Any, Not, *Shared, KindIs:
		case *Equals, *Text, *Regexp, *Range, *CIDR, *Present:
			if f, _ := fieldOf(c); f.state {
				ok = false
			}
		default:
			ok = false
		}
	})
	return ok
}
