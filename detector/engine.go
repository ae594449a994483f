package detector

import (
	"cmp"
	"errors"
	"fmt"
	"math/bits"
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
	// TraceNoBaseline leaves the learned mean, spread, scale and recurring
	// level out of traced evaluations (Baseline, Spread, Scale and Recurs
	// are 0): a sparkline reads the value alone, and rounding them at
	// every boundary was a tenth of a text replay where evaluations
	// outnumber lines.
	TraceNoBaseline bool
	// Notice, when set, receives what the engine learns about the log that
	// a person should know once (see [Notice]), as it learns it.
	Notice func(Notice)
	// Delta, when set, receives what each fleet rule (Rule.Fleet) counted
	// in a bucket as the bucket completes, in event-time order per rule.
	Delta func(Delta)
}

// Evaluation is one rule's evaluation at one bucket boundary: what it
// measured, against what, and what came of it.
type Evaluation struct {
	Rule      string
	Time      time.Time
	Value     float64
	Threshold float64 // +Inf before a baseline has learned anything
	Unit      alert.Unit
	Down      bool    // fires at or under the threshold
	Baseline  float64 // the learned mean, for baseline rules
	Spread    float64 // the learned standard deviation
	// Scale is how many times their normal the requests over the window
	// were, when it raised the normal (Baseline.FollowTraffic); 0 when it
	// did not.
	Scale float64
	// Recurs is the level the threshold was raised to because the rule
	// reached two thirds of it at this time of day the day before
	// (Baseline.RecurringDaily); 0 when it was not.
	Recurs float64
	Count  uint64 // matching events in the window
	State  string // inactive, pending or firing, after the evaluation
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
	// Future counts events dated more than [MaxJump] ahead of the events
	// around them, which were not counted (see [Engine.Observe]).
	Future uint64
	Rules  []RuleStats
}

// RuleStats counts what one rule has seen.
type RuleStats struct {
	Name    string
	Matched uint64 // events that passed the rule's filter and were counted
	Late    uint64 // events that passed the filter but were older than the window
	// Capped counts events that passed the filter in a bucket that had
	// counted its share of the threshold already (MinSpan).
	Capped  uint64
	Firings uint64 // transitions to firing
}

// Engine runs rules over events on event time. It does no I/O and never
// reads the clock: [Engine.Observe] moves its windows to each event's
// time, and [Engine.Advance] applies the wall-clock ticks of live mode.
// An Engine is not safe for concurrent use; one goroutine owns it.
type Engine struct {
	opts   Options
	attack attackClock // when a rule looking up was last active, for the drop rules' warm-up
	res    int64       // bucket width in ns
	rules  []*ruleState
	// order is the rules' evaluation order at a boundary: the config's,
	// with those that look down last, so that an attack alerted at a
	// boundary holds a drop rule's learning at that boundary already
	// (see [attackClock]), wherever the config lists it.
	order     []int
	started   bool
	cur       int64 // bucket number of the newest event time
	watermark time.Time
	wmNs      int64 // watermark in Unix nanoseconds, for the per-event comparisons
	events    uint64
	late      uint64
	outRange  uint64
	future    uint64

	// held are events that jumped more than MaxJump ahead of the clock
	// (or, before the first event was counted, the first event), kept
	// until later events confirm the jump; jumpBase is the clock they
	// jumped from.
	held     []parsers.Event
	jumpBase time.Time

	ev   Event    // the event the rules read, refilled for each
	warm *warmSet // addresses that loaded a page lately; nil when no rule asks
	// fired holds the rules that fired on the event being observed, until
	// it is counted (reused from event to event).
	fired []firedOn
	// shareOf are the rules with an evidence share, whose ShareOf every
	// event is matched against.
	shareOf []shareOf
	// all counts every event per step, for the rules that ask whether
	// theirs are an outsized share of all (see allCounts); nil when none
	// does.
	all *allCounts
	// ruleGates and shareGates are the distinct gates of the rules' match
	// blocks and of the ShareOf blocks.
	ruleGates, shareGates gateSet
	// pureRules and pureShares are the members of those gates whose match
	// depends on the event alone (see Preparer).
	pureRules, pureShares uint64
	notices               *notices
	ov                    *overlap // how the active rules' events overlap others'
	// shared count the events of rules that count the same events the
	// same way once for all of them (see sharedCount).
	shared []sharedCount
	// feeds keep the bucket key summaries of rules that count the same
	// events under the same key once for all of them (see keyFeed).
	feeds []*keyFeed
}

// maxShared bounds the shared match blocks whose answers an event keeps;
// further ones (past any config's) are evaluated at each use.
const maxShared = 1024

// MaxJump is how far ahead of the engine's clock an event may be before
// the engine waits for the next events to confirm the jump: a lone line
// dated years ahead (a broken clock, a corrupted line) must not move the
// clock there, or every later line would be late and every rule blind.
// A log that really resumes after a long gap confirms the jump at once,
// with its next [JumpConfirm]-1 lines.
const MaxJump = time.Hour

// JumpConfirm is how many events dated past a jump confirm it.
const JumpConfirm = 3

// The range of event times the engine accepts; others are counted as out
// of range.
var (
	minTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

	// The same in seconds, for the check of every event: both are whole
	// seconds, so comparing ev.Time's seconds decides alike.
	minSec, maxSec = minTime.Unix(), maxTime.Unix()
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
	e.attack.watch(e.rules)
	for _, r := range e.rules {
		if r.bursts != nil {
			r.bursts.yield(r.rule.YieldTo, e.rules)
		}
	}
	for _, down := range []bool{false, true} {
		for i, r := range e.rules {
			if r.down() == down {
				e.order = append(e.order, i)
			}
		}
	}
	shared, reads := 0, map[string]bool{} // reads: the state fields the rules read
	for _, r := range e.rules {
		conds := []Cond{r.rule.Match, r.rule.Of}
		if r.rule.Evidence != nil {
			conds = append(conds, r.rule.Evidence.ShareOf)
		}
		for _, c := range conds {
			walk(c, func(c Cond) {
				if s, ok := c.(*Shared); ok {
					shared = max(shared, s.ID+1)
				}
				if f, ok := fieldOf(c); ok && f.state {
					reads[f.Name] = true
				}
			})
		}
		for _, f := range []*Field{r.rule.GroupBy, r.rule.Field, r.rule.DistinctOf, r.rule.BeyondBusiest} {
			if f != nil && f.state {
				reads[f.Name] = true
			}
		}
	}
	if reads["cold"] || reads["no_pause"] {
		e.warm = newWarmSet()
		e.ev.warm = e.warm
	}
	if reads["no_pause"] {
		e.warm.visits = newVisits()
	}
	if reads["program_client"] {
		e.ev.programs = newPrograms()
	}
	e.ev.memo = make([]uint8, min(shared, maxShared))
	e.ev.re = make(reMemo)
	e.notices = newNotices(e.rules, opts.Notice)
	for _, r := range e.rules {
		if r.ev == nil {
			continue
		}
		if (r.ev.cfg.Cold > 0 || r.ev.cfg.NoPause > 0) && e.warm == nil {
			e.warm = newWarmSet() // the evidence asks the event (Event.isWarm)
		}
		if r.ev.cfg.NoPause > 0 && e.warm.visits == nil {
			e.warm.visits = newVisits()
		}
		if r.ev.cfg.Share > 0 {
			e.shareOf = append(e.shareOf, shareOf{r, newGate(r.ev.cfg.ShareOf)})
		}
	}
	// The rules whose warm-up floor waits for people's share
	// (warmup_share, with share_floor) ask for the share of all requests.
	var allSteps int64
	for _, r := range e.rules {
		if r.base != nil && r.base.ordinary != nil && r.base.evidenced != nil {
			allSteps = max(allSteps, windowSteps(&r.w))
			r.base.outsized = func() bool { return e.all.outsized(r) }
		}
		if r.base != nil && r.base.cfg.FollowTraffic {
			allSteps = max(allSteps, windowSteps(&r.w))
			r.base.traffic = func() (float64, bool) { return e.all.window(r) }
		}
	}
	if allSteps > 0 {
		e.all = newAllCounts(allSteps)
		for _, r := range e.rules {
			if r.base != nil && r.base.cfg.FollowTraffic {
				r.all = e.all
			}
		}
	}
	e.ev.warm = e.warm
	e.ov = newOverlap(e.rules)
	gates := make([]gate, len(e.rules))
	for i, r := range e.rules {
		gates[i] = r.gate
	}
	e.ruleGates = newGateSet(gates)
	e.pureRules = pureMembers(gates)
	gates = gates[:0]
	for _, s := range e.shareOf {
		gates = append(gates, s.gate)
	}
	e.shareGates = newGateSet(gates)
	e.pureShares = pureMembers(gates)
	e.shared = newSharedCounts(e.rules)
	e.feeds = newKeyFeeds(e.rules, e.opts.KeysPerBucket)
	return e, nil
}

// Observe counts ev in every rule whose filter it passes, first moving
// the windows to ev.Time. ev.Time must not be zero.
//
// An event dated more than [MaxJump] ahead of the clock is held back (a
// copy) until the next events tell: when [JumpConfirm] events in a row are
// past the jump, they are counted in order and the clock moves; when an
// event comes back near the clock first, the held ones were a lone jump
// and are counted in [Stats.Future], not in the rules. The first event of
// all waits for the second the same way, so that a log whose first line
// is dated years ahead is not blind either. [Engine.Advance] and
// [Engine.Flush] count held events once the clock catches up with them or
// the log ends. Otherwise ev is not retained.
func (e *Engine) Observe(ev *parsers.Event) { e.take(ev, nil) }

// ObservePrepared is [Engine.Observe] for an event a [Preparer] of this
// engine (not another's) matched into p, on another goroutine: the engine
// skips the matches p decided (see [Prepared]) and tests the others. The
// alerts are the same.
func (e *Engine) ObservePrepared(ev *parsers.Event, p *Prepared) { e.take(ev, p) }

// take is Observe, with what a Preparer found for ev when p is not nil
// (a held event drops it: it is matched again once released).
func (e *Engine) take(ev *parsers.Event, p *Prepared) {
	e.events++
	if sec := ev.Time.Unix(); sec < minSec || sec >= maxSec {
		e.outRange++
		return
	}
	switch {
	case !e.started && len(e.held) == 0:
		e.hold(ev) // the first event waits for the second
		return
	case !e.started:
		if ev.Time.Before(e.held[0].Time.Add(-MaxJump)) {
			// The first event was far ahead of the second: drop it, and
			// let the second wait in its place.
			e.future++
			e.held = e.held[:0]
			e.hold(ev)
			return
		}
		e.release()
	case len(e.held) > 0:
		if ev.Time.After(e.jumpBase.Add(MaxJump)) {
			e.hold(ev)
			if len(e.held) >= JumpConfirm {
				e.release()
			}
			return
		}
		e.future += uint64(len(e.held)) // a lone jump: back to the clock
		e.held = e.held[:0]
	case ev.Time.UnixNano() > max(e.cur*e.res, e.wmNs)+int64(MaxJump):
		// The clock (see Clock) in nanoseconds, which ev.Time's range
		// allows: this runs for every event, and times cost more.
		e.jumpBase = e.Clock()
		e.hold(ev)
		return
	}
	e.observe(ev, p)
}

// hold keeps a copy of ev until a later event decides on it.
func (e *Engine) hold(ev *parsers.Event) {
	e.held = append(e.held, parsers.Event{})
	cloneEvent(&e.held[len(e.held)-1], ev)
}

// release counts the held events, in the order they came.
func (e *Engine) release() {
	held := e.held
	e.held = nil
	for i := range held {
		e.observe(&held[i], nil)
	}
}

// observe counts ev, whose time is in range and not a pending jump; p,
// when not nil, is what a Preparer found for it.
func (e *Engine) observe(ev *parsers.Event, p *Prepared) {
	t := ev.Time.UnixNano() // in range: 1900 to 2200
	n := floorDiv(t, e.res)
	if !e.started {
		e.started = true
		e.cur = n
		e.watermark, e.wmNs = ev.Time, t
		for _, r := range e.rules {
			r.start = ev.Time
			r.open(r.w.bucketOf(n))
		}
	} else if n > e.cur {
		e.advanceTo(n)
	}
	if t > e.wmNs {
		e.watermark, e.wmNs = ev.Time, t
	} else if t < e.wmNs-int64(e.opts.Skew) {
		e.late++
		e.notices.late(e)
		return
	}
	x := &e.ev
	x.reset(ev, t)
	if e.warm != nil {
		e.warm.advance(t)
	}
	if e.all != nil {
		e.all.add(n)
	}
	// The gates first: a page load passes those of the rules counting
	// every request, and none of those counting posts. With p, the
	// members whose match is pure are decided already.
	var shares, m, decided, decidedShares uint64
	if p != nil {
		shares, m, decided, decidedShares = p.shares, p.rules, e.pureRules, e.pureShares
	} else {
		shares, m = e.shareGates.pass(x), e.ruleGates.pass(x)
	}
	for ; shares != 0; shares &= shares - 1 {
		i := bits.TrailingZeros64(shares)
		e.countOf(&e.shareOf[i], n, x, decidedShares&(1<<i) != 0)
	}
	for i := maxGated; i < len(e.shareOf); i++ {
		if s := &e.shareOf[i]; s.gate.pass(x) {
			e.countOf(s, n, x, false)
		}
	}
	e.notices.observe(x)
	var mask uint64 // the rules that counted ev, for their overlap
	e.fired = e.fired[:0]
	for j := range e.shared {
		// A shared count takes ev for all its rules at once, or leaves it
		// to each (see sharedCount.add). Its members have one match: one
		// decided is all decided.
		if g := &e.shared[j]; m&g.mask != 0 {
			if g.gate.rest != nil && decided&g.mask == 0 && !g.gate.rest.Match(x) {
				m &^= g.mask
			} else if g.add(n, x) {
				m &^= g.mask
				mask |= g.mask
			}
		}
	}
	for ; m != 0; m &= m - 1 {
		if i := bits.TrailingZeros64(m); e.count(i, n, x, decided&(1<<i) != 0) && i < maxOverlapRules {
			mask |= 1 << i
		}
	}
	for i := maxGated; i < len(e.rules); i++ {
		if e.rules[i].gate.pass(x) && e.count(i, n, x, false) && i < maxOverlapRules {
			mask |= 1 << i
		}
	}
	fired := e.fired
	// The rules that fired on ev become active before ev is counted in
	// the overlaps, and are emitted after: two rules crossing on the same
	// post (a flood's 61st address and its 61st cold post) share it, and
	// the grouper makes them one incident.
	for _, f := range fired {
		e.noteActive(f.rule, t)
	}
	e.ov.add(mask)
	for _, f := range fired {
		e.opts.Emit(f.alert)
	}
	e.fired = fired[:0]
	if e.warm != nil {
		// Last, not deferred (a defer costs every request): a page load
		// warms its address for the events after it.
		e.warm.note(x)
	}
}

// countOf counts ev in the ShareOf of s, whose gate it passed, if it
// matches (matched: a Preparer found it does).
func (e *Engine) countOf(s *shareOf, n int64, x *Event, matched bool) {
	if matched || s.gate.rest == nil || s.gate.rest.Match(x) {
		s.rule.ev.addOf(n, x)
	}
}

// count counts ev in rule i, whose gate it passed, if it matches
// (matched: a Preparer found it does), and notes in e.fired whether the
// rule fires on it. It reports whether the rule counted ev.
func (e *Engine) count(i int, n int64, x *Event, matched bool) bool {
	r := e.rules[i]
	if !matched && r.gate.rest != nil && !r.gate.rest.Match(x) {
		return false
	}
	if r.beyond != nil && !r.beyond.keep(x) {
		return false
	}
	if r.capBucket > 0 && (r.bursts != nil && r.burstOut(n) || r.full(n)) {
		r.capped++
		return false
	}
	if !r.add(n, x) {
		r.late++
		return false
	}
	if r.live != nil && r.state != stateFiring {
		// At the newest time seen: an event within the skew but behind
		// it completes a crossing the engine learns only now.
		if v, th, ok := r.crossedOnEvent(e.watermark); ok {
			e.fired = append(e.fired, firedOn{i, r.fireOnEvent(e.watermark, v, th)})
		}
	}
	return true
}

// shareOf is a rule with an evidence share, and the gate of its ShareOf.
type shareOf struct {
	rule *ruleState
	gate gate
}

// firedOn is a rule that fired on an event, and its alert.
type firedOn struct {
	rule  int
	alert alert.Alert
}

// Advance moves the engine's clock to now without an event, so that rules
// resolve and windows empty while the log is quiet. Live mode calls it
// with the wall clock; a time at or before the newest event does nothing.
func (e *Engine) Advance(now time.Time) {
	if len(e.held) > 0 && !e.held[0].Time.After(now.Add(MaxJump)) {
		// The clock caught up with the held events (or, for a first event,
		// time passed without a second): they are not far ahead any more.
		e.release()
	}
	if !e.started {
		return
	}
	if n := floorDiv(now.UnixNano(), e.res); n > e.cur {
		e.advanceTo(n)
	}
}

// Settle counts a log's first event when no second came to decide on it
// and it is not far ahead of now (live, the wall clock): a new log with a
// single line alerts on it. Unlike [Engine.Advance] it does not move the
// clock to now, so that a log behind the wall clock (read from its start,
// or written in another zone) is not made late.
func (e *Engine) Settle(now time.Time) {
	if !e.started && len(e.held) > 0 && !e.held[0].Time.After(now.Add(MaxJump)) {
		e.release()
	}
}

// Flush completes each rule's bucket holding the newest event and
// evaluates it at that bucket's end, at the end of a replay. Rules still
// firing stay firing: the log says nothing about when they would have
// resolved. The engine takes no events after Flush.
func (e *Engine) Flush() {
	// Held events at the end of a log are counted: with no line after them
	// they cannot blind any, and a log that ends after a long gap (a quiet
	// site's last line) resolves its rules in the gap, as it should.
	e.release()
	if !e.started {
		return
	}
	e.sync()
	// Rules with wide buckets end theirs later; evaluate in time order.
	order := make([]*ruleState, 0, len(e.rules))
	for _, i := range e.order {
		order = append(order, e.rules[i])
	}
	end := func(r *ruleState) int64 { return (r.w.bucketOf(e.cur) + 1) * r.w.width }
	slices.SortStableFunc(order, func(a, b *ruleState) int { return cmp.Compare(end(a), end(b)) })
	for _, r := range order {
		b := end(r)
		r.open(b / r.w.width)
		a, ok := r.evaluate(time.Unix(0, b*e.res).UTC())
		e.noteActive(e.ruleIndex(r.rule.Name), b*e.res)
		if ok {
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
	if ns := e.cur * e.res; ns > e.wmNs {
		return time.Unix(0, ns).UTC()
	}
	return e.watermark
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	e.sync()
	s := Stats{Events: e.events, Late: e.late, OutOfRange: e.outRange, Future: e.future}
	for _, r := range e.rules {
		s.Rules = append(s.Rules, RuleStats{Name: r.rule.Name, Matched: r.matched, Late: r.late, Capped: r.capped, Firings: r.firings})
	}
	return s
}

// Notices returns what the engine has learned about the log so far that a
// person should know (see [Notice]).
func (e *Engine) Notices() []Notice { return slices.Clone(e.notices.all) }

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
	e.sync()
	for b := e.cur + 1; b <= n; b++ {
		if b < n && e.idle() {
			// Baselines learn the zeros of the boundaries skipped.
			for _, r := range e.rules {
				r.skipped(ownBoundaries(b, n, r.w.width))
			}
			b = n
		}
		at := time.Unix(0, b*e.res).UTC()
		for _, i := range e.order {
			r := e.rules[i]
			if !r.tick(b) {
				r.open(r.w.bucketOf(b)) // after a jump over an idle gap
				continue
			}
			a, ok := r.evaluate(at)
			e.noteActive(i, b*e.res)
			if ok {
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

// cloneEvent copies src into dst with every byte slice copied, so that dst
// outlives the parser's buffers.
func cloneEvent(dst, src *parsers.Event) {
	*dst = *src
	clone := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		return append([]byte{}, b...)
	}
	dst.ClientIP, dst.Host, dst.Method, dst.Path = clone(src.ClientIP), clone(src.Host), clone(src.Method), clone(src.Path)
	dst.Query, dst.Protocol, dst.UserAgent, dst.Referer = clone(src.Query), clone(src.Protocol), clone(src.UserAgent), clone(src.Referer)
	dst.RequestID, dst.Level, dst.Message, dst.Raw = clone(src.RequestID), clone(src.Level), clone(src.Message), clone(src.Raw)
	dst.Extra = make([]parsers.Field, len(src.Extra))
	for i, f := range src.Extra {
		dst.Extra[i] = parsers.Field{Name: f.Name, Value: clone(f.Value)}
	}
}
