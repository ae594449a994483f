package detector

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/parsers"
)

// Defaults of [Options].
const (
	DefaultResolution    = time.Second
	DefaultSkew          = 5 * time.Second
	DefaultTopN          = 5
	DefaultKeysPerBucket = 128
	DefaultSamples       = 3
)

// Options tune an [Engine]. The zero value takes every default.
type Options struct {
	// Resolution is the width of a window bucket, and so how often rules
	// are evaluated, in event time.
	Resolution time.Duration
	// Skew is how far behind the newest event time a line may be and still
	// count; older lines are counted late.
	Skew time.Duration
	// TopN is how many top offenders an alert names.
	TopN int
	// KeysPerBucket is the capacity of each bucket's Space-Saving summary
	// of group_by keys; memory per rule is bounded by it whatever the
	// number of distinct keys.
	KeysPerBucket int
	// Samples is how many sample lines an alert carries.
	Samples int
	// Emit receives every alert transition, in event-time order. It is
	// called from Observe, Advance and Flush.
	Emit func(alert.Alert)
	// Trace, when set, receives every evaluation of every rule, with exact
	// values (no shortcut is taken): `sentinel explain` and replay's
	// report show them. It costs a distinct estimate per boundary for
	// distinct rules, and changes no alert, peaks included.
	Trace func(Evaluation)
	// TraceValuesOnly leaves the top keys out of traced evaluations: their
	// selection at every boundary costs more than the values, which is all
	// a chart or a sparkline needs.
	TraceValuesOnly bool
}

// Evaluation is one rule's evaluation at one bucket boundary: what it
// measured, against what, and what came of it.
type Evaluation struct {
	Rule      string
	Time      time.Time
	Value     float64
	Threshold float64 // +Inf before a baseline has learned anything
	Unit      string
	Down      bool    // fires at or under the threshold
	Baseline  float64 // the learned mean, for baseline rules
	Spread    float64 // the learned standard deviation
	Count     uint64  // matching events in the window
	State     string  // inactive, pending or firing, after the evaluation
	// Why explains the outcome: "below the threshold", "warm-up: 12m left",
	// "held since 01:20:01, for: 30s not reached", "fired", …
	Why string
	// Keys are the top offenders, for rules with group_by.
	Keys []alert.KeyCount
}

func (o *Options) fill() {
	if o.Resolution <= 0 {
		o.Resolution = DefaultResolution
	}
	if o.Skew <= 0 {
		o.Skew = DefaultSkew
	}
	if o.TopN <= 0 {
		o.TopN = DefaultTopN
	}
	if o.KeysPerBucket <= 0 {
		o.KeysPerBucket = DefaultKeysPerBucket
	}
	if o.Samples <= 0 {
		o.Samples = DefaultSamples
	}
	if o.Emit == nil {
		o.Emit = func(alert.Alert) {}
	}
}

// Stats counts what an [Engine] has seen.
type Stats struct {
	Events uint64 // events observed
	// Late counts events not counted because they came too late: older than
	// the newest event time minus the skew. (An event within the skew but
	// older than a rule's window is counted in that rule's Late.)
	Late uint64
	// OutOfRange counts events dated before 1900 or after 2200: a broken
	// time stamp must not move the clock.
	OutOfRange uint64
	Rules      []RuleStats
}

// RuleStats counts what one rule has seen.
type RuleStats struct {
	Name    string
	Matched uint64 // events that passed the rule's filter and were counted
	Late    uint64 // events that passed the filter but were older than the window
	Firings uint64 // transitions to firing
}

// Engine runs rules over events on event time. It does no I/O and never
// reads the clock: [Engine.Observe] moves its windows to each event's
// time, and [Engine.Advance] applies the wall-clock ticks of live mode.
// An Engine is not safe for concurrent use; one goroutine owns it.
type Engine struct {
	opts      Options
	res       int64 // bucket width in ns
	rules     []*ruleState
	started   bool
	cur       int64 // bucket number of the newest event time
	watermark time.Time
	events    uint64
	late      uint64
	outRange  uint64
}

// The range of event times the engine accepts; others are counted as out
// of range.
var (
	minTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// NewEngine returns an engine running rules. Rule names must be unique.
func NewEngine(rules []Rule, opts Options) (*Engine, error) {
	opts.fill()
	e := &Engine{opts: opts, res: int64(opts.Resolution)}
	seen := make(map[string]bool)
	var errs []error
	for i := range rules {
		r := rules[i]
		if err := r.Validate(opts.Resolution); err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[r.Name] {
			errs = append(errs, fmt.Errorf("rule %s: defined twice", r.Name))
			continue
		}
		seen[r.Name] = true
		e.rules = append(e.rules, newRuleState(r, &e.opts))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return e, nil
}

// Observe counts ev in every rule whose filter it passes, first moving
// the windows to ev.Time. ev.Time must not be zero. ev is not retained.
func (e *Engine) Observe(ev *parsers.Event) {
	e.events++
	if ev.Time.Before(minTime) || !ev.Time.Before(maxTime) {
		e.outRange++
		return
	}
	n := floorDiv(ev.Time.UnixNano(), e.res)
	if !e.started {
		e.started = true
		e.cur = n
		e.watermark = ev.Time
		for _, r := range e.rules {
			r.start = ev.Time
			r.open(r.bucketOf(n))
		}
	} else if n > e.cur {
		e.advanceTo(n)
	}
	if ev.Time.After(e.watermark) {
		e.watermark = ev.Time
	} else if ev.Time.Before(e.watermark.Add(-e.opts.Skew)) {
		e.late++
		return
	}
	for _, r := range e.rules {
		if (r.rule.Match == nil || r.rule.Match.Match(ev)) && !r.add(n, ev) {
			r.late++
		}
	}
}

// Advance moves the engine's clock to now without an event, so that rules
// resolve and windows empty while the log is quiet. Live mode calls it
// with the wall clock; a time at or before the newest event does nothing.
func (e *Engine) Advance(now time.Time) {
	if !e.started {
		return
	}
	if n := floorDiv(now.UnixNano(), e.res); n > e.cur {
		e.advanceTo(n)
	}
}

// Flush completes each rule's bucket holding the newest event and
// evaluates it at that bucket's end, at the end of a replay. Rules still
// firing stay firing: the log says nothing about when they would have
// resolved. The engine takes no events after Flush.
func (e *Engine) Flush() {
	if !e.started {
		return
	}
	// Rules with wide buckets end theirs later; evaluate in time order.
	order := slices.Clone(e.rules)
	end := func(r *ruleState) int64 { return (r.bucketOf(e.cur) + 1) * r.width }
	slices.SortStableFunc(order, func(a, b *ruleState) int { return cmp.Compare(end(a), end(b)) })
	for _, r := range order {
		b := end(r)
		r.open(b / r.width)
		if a, ok := r.evaluate(time.Unix(0, b*e.res).UTC()); ok {
			e.opts.Emit(a)
		}
	}
}

// Watermark returns the newest event time seen.
func (e *Engine) Watermark() time.Time { return e.watermark }

// Clock returns the engine's time: the newest event time, or the start
// of the resolution step Advance moved the clock to, whichever is later.
func (e *Engine) Clock() time.Time {
	if !e.started {
		return e.watermark
	}
	if t := time.Unix(0, e.cur*e.res).UTC(); t.After(e.watermark) {
		return t
	}
	return e.watermark
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	s := Stats{Events: e.events, Late: e.late, OutOfRange: e.outRange}
	for _, r := range e.rules {
		s.Rules = append(s.Rules, RuleStats{Name: r.rule.Name, Matched: r.matched, Late: r.late, Firings: r.firings})
	}
	return s
}

// Firing returns the names of the rules firing now.
func (e *Engine) Firing() []string {
	var names []string
	for _, r := range e.rules {
		if r.state == stateFiring {
			names = append(names, r.rule.Name)
		}
	}
	return names
}

// advanceTo evaluates every bucket boundary up to bucket n. While every
// rule is idle (empty window, not pending or firing) nothing can change,
// so a gap in the log costs one step, not one per bucket.
func (e *Engine) advanceTo(n int64) {
	for b := e.cur + 1; b <= n; b++ {
		if b < n && e.idle() {
			// Baselines learn the zeros of the boundaries skipped.
			for _, r := range e.rules {
				r.skipped(ownBoundaries(b, n, r.width))
			}
			b = n
		}
		at := time.Unix(0, b*e.res).UTC()
		for _, r := range e.rules {
			if !r.tick(b) {
				r.open(r.bucketOf(b)) // after a jump over an idle gap
				continue
			}
			if a, ok := r.evaluate(at); ok {
				e.opts.Emit(a)
			}
		}
		e.cur = b
	}
}

// ownBoundaries counts a rule's boundaries (multiples of width) in
// [from, to): those a jump from one to the other skips.
func ownBoundaries(from, to, width int64) int64 {
	return floorDiv(to-1, width) - floorDiv(from-1, width)
}

func (e *Engine) idle() bool {
	for _, r := range e.rules {
		if !r.idle() {
			return false
		}
	}
	return true
}

// floorDiv divides rounding towards minus infinity, so that times before
// 1970 still land in the right bucket.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
