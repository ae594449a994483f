package detector

import (
	"math"
	"slices"
	"strings"
	"time"
)

// Explainer gathers a replay's evaluations to answer the question users
// ask most: why did a rule fire, and why did it not. Hook its Observe to
// [Options.Trace]. Memory is bounded: per rule it keeps the evaluations
// just before each transition, the few closest approaches, and the
// evaluations around one time of interest.
type Explainer struct {
	// At, when set, keeps the evaluations within Around of it.
	At     time.Time
	Around time.Duration
	// Context is how many evaluations before a transition are kept.
	Context int
	// Misses is how many closest approaches are kept per rule.
	Misses int

	rules map[string]*Explanation
	order []string
}

// Explanation is what an [Explainer] keeps for one rule.
type Explanation struct {
	Rule        string
	Evaluations int
	// Transitions are the evaluations that fired or resolved, each with
	// the ones just before it (oldest first, the transition last).
	Transitions [][]Evaluation
	// Misses are the evaluations that came closest to firing without
	// firing (the value nearest the threshold, as a share of it), closest
	// first, at most one per minute of log time.
	Misses []Evaluation
	// Near are the evaluations around Explainer.At.
	Near []Evaluation

	recent []Evaluation // ring of the last Context evaluations
}

// Observe takes one evaluation. It is an [Options.Trace] function.
func (x *Explainer) Observe(ev Evaluation) {
	if x.rules == nil {
		x.rules = map[string]*Explanation{}
	}
	e := x.rules[ev.Rule]
	if e == nil {
		e = &Explanation{Rule: ev.Rule}
		x.rules[ev.Rule] = e
		x.order = append(x.order, ev.Rule)
	}
	e.Evaluations++
	if !x.At.IsZero() && ev.Time.Sub(x.At).Abs() <= x.Around {
		e.Near = append(e.Near, ev)
	}
	ctx := max(x.Context, 1)
	e.recent = append(e.recent, ev)
	if len(e.recent) > ctx {
		e.recent = e.recent[len(e.recent)-ctx:]
	}
	switch ev.Why {
	case "fired", "raised to critical", "resolved":
		e.Transitions = append(e.Transitions, slices.Clone(e.recent))
		return
	}
	if ev.State == "firing" || strings.Contains(ev.Why, "under the floor") {
		return // a drop rule on a quiet site has nothing to come close to
	}
	x.miss(e, ev)
}

// closeness is how near an evaluation came to firing: the value as a
// share of the threshold (going down, the threshold as a share of the
// value).
func closeness(ev Evaluation) float64 {
	if math.IsInf(ev.Threshold, 0) || ev.Threshold <= 0 {
		return 0
	}
	if ev.Down {
		if ev.Value <= 0 {
			return 1
		}
		return ev.Threshold / ev.Value
	}
	return ev.Value / ev.Threshold
}

// miss keeps ev if it is among the closest approaches, one per minute.
func (x *Explainer) miss(e *Explanation, ev Evaluation) {
	c := closeness(ev)
	if c <= 0 {
		return
	}
	n := max(x.Misses, 1)
	for i, m := range e.Misses {
		if ev.Time.Sub(m.Time).Abs() < time.Minute { // the same approach
			if c > closeness(m) {
				e.Misses[i] = ev
				x.sortMisses(e)
			}
			return
		}
	}
	if len(e.Misses) < n {
		e.Misses = append(e.Misses, ev)
	} else if c > closeness(e.Misses[n-1]) {
		e.Misses[n-1] = ev
	} else {
		return
	}
	x.sortMisses(e)
}

func (x *Explainer) sortMisses(e *Explanation) {
	slices.SortStableFunc(e.Misses, func(a, b Evaluation) int {
		switch ca, cb := closeness(a), closeness(b); {
		case ca > cb:
			return -1
		case ca < cb:
			return 1
		}
		return 0
	})
}

// Explanations returns what was gathered, in the order rules were first
// evaluated.
func (x *Explainer) Explanations() []*Explanation {
	out := make([]*Explanation, 0, len(x.order))
	for _, name := range x.order {
		out = append(out, x.rules[name])
	}
	return out
}

// Closeness returns how near ev came to firing, as a share of the
// threshold (1 or more: at or past it).
func Closeness(ev Evaluation) float64 { return closeness(ev) }
