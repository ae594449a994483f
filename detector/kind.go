package detector

import (
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// kind is what a detector type measures over a rule's window: the one
// seam a new detector type plugs into. The window (its ring of buckets,
// counts and key summaries), the condition (a fixed threshold or a
// learned baseline, for:, hysteresis), the alert, the trace and the
// snapshot are the rule's; a kind adds only what is its own, kept per
// ring slot where it is per bucket. Each kind lives in its own file and
// registers its constructor in kindTable.
type kind interface {
	// unit is the unit of the kind's value.
	unit() alert.Unit
	// add counts a matching event, already counted in the window's ring
	// slot (see [window.add]).
	add(slot int, ev *Event)
	// expired takes ring slot slot's own part out of the window, as its
	// bucket leaves it (whole-window resets included).
	expired(slot int)
	// value measures the window's complete buckets, in the kind's unit, at
	// a bucket boundary at.
	value(at time.Time) float64
	// ready reports whether the rule may decide at all now, and if not,
	// why (a ratio of three requests is no ratio).
	ready() (bool, string)
	// idle reports whether, with an empty window and the rule in state st,
	// nothing can change at the next boundaries without an event, so that
	// the engine may skip them.
	idle(st state) bool
	// fill sets the fields of a transition that are the kind's own.
	fill(a *alert.Alert)
}

// keyNamer is a kind whose alerts name other keys than the window's
// busiest (a ratio's: the keys with the most hits), which a traced
// evaluation shows too (explain's "top:").
type keyNamer interface {
	namedKeys(n int) []alert.KeyCount
}

// kindEntry registers one detector type.
type kindEntry struct {
	typ Type
	// new builds the type's kind for a rule state.
	new func(s *ruleState) kind
	// unit is the unit of the type's value, and so of a threshold written
	// for it: config reads a threshold by it (a rate takes 20/s or
	// 1200/m, a share 30%) and `sentinel check` prints one in it.
	unit alert.Unit
	// problems, when set, checks what only this type requires of a rule;
	// [Rule.Problems] calls it after the checks every type shares.
	problems func(r *Rule) []Problem
}

// kindTable is the one list of detector types, in the order help texts
// and errors list them: a new type is one entry here, with its file.
// [Types] and kinds are made from it.
var kindTable = []kindEntry{
	{typ: Rate, new: newRate, unit: alert.PerSecond},
	{typ: Distinct, new: newDistinctKind, unit: alert.Distinct},
	{typ: Ratio, new: newRatio, unit: alert.Share},
	{typ: Absence, new: newAbsence, unit: alert.Silent},
}

// Types lists the detector types, in the order of kindTable.
var Types = func() []Type {
	ts := make([]Type, len(kindTable))
	for i, e := range kindTable {
		ts[i] = e.typ
	}
	return ts
}()

// kinds builds each detector type's kind for a rule state.
var kinds = func() map[Type]func(s *ruleState) kind {
	m := make(map[Type]func(s *ruleState) kind, len(kindTable))
	for _, e := range kindTable {
		m[e.typ] = e.new
	}
	return m
}()

// lookupKind returns the entry of a detector type, and whether there is one.
func lookupKind(t Type) (kindEntry, bool) {
	for _, e := range kindTable {
		if e.typ == t {
			return e, true
		}
	}
	return kindEntry{}, false
}

// Unit returns the unit of the type's value, in which its threshold is
// written: [alert.PerSecond] for a rate, [alert.Share] for a ratio; ""
// for an unknown type.
func (t Type) Unit() alert.Unit {
	e, _ := lookupKind(t)
	return e.unit
}

// slotSaver is a kind that keeps state per ring slot: its part of each
// bucket goes into the bucket's snapshot.
type slotSaver interface {
	saveSlot(slot int, bs *BucketSnapshot) error
	loadSlot(slot int, bs *BucketSnapshot) error
}

// shareLearner is a kind that learns a normal share at each boundary
// (a ratio with Chance), once the rule has evaluated it in state st.
type shareLearner interface {
	learnShare(st state)
}

// opener is a kind that keeps a ring of its own, opened with the window's.
type opener interface {
	opened(n int64)
}

// sincer is a kind whose episode starts at another time than when its
// condition began to hold (an absence starts with the last event).
type sincer interface {
	since(pending time.Time) time.Time
}

// liveKind is a kind that can tell, as an event is counted, whether the
// window ending at that event has crossed a level going up: live returns
// a lower bound of the value over the window up to the event (the bucket
// being filled counted, the ring's oldest bucket, which straddles the
// window's start, left out), so that a crossing fires on the event that
// makes it instead of at the next boundary. key is the event's group_by
// value (nil without one). It is called for every matching event while the
// rule can fire, so it must cost O(1) and, below the level, a comparison
// or two; level lets it stop early.
type liveKind interface {
	// live returns the value up to the event, and the level to compare it
	// with: level, or the event's key's own (a per-key baseline).
	live(key []byte, level float64) (v, th float64)
}

// judge is a kind that sets its own threshold: a per-key baseline holds
// each key to its own normal. judge measures the window and says what the
// value is compared with, and whether the rule may decide at all; learn
// takes in the boundary after the decision.
type judge interface {
	judge(at time.Time) (v, th float64, ready bool, why string)
	learn(at time.Time)
}

// basicKind is the default behaviour kinds embed: nothing per slot,
// always ready, idle when inactive, no field of its own.
type basicKind struct{}

func (basicKind) add(int, *Event)       {}
func (basicKind) expired(int)           {}
func (basicKind) ready() (bool, string) { return true, "" }
func (basicKind) idle(st state) bool    { return st == stateInactive }
func (basicKind) fill(*alert.Alert)     {}
