package detector

import (
	"math"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/sentinel-dev/sentinel/alert"
)

type state uint8

const (
	stateInactive state = iota
	statePending
	stateFiring
)

var stateNames = [...]string{stateInactive: "inactive", statePending: "pending", stateFiring: "firing"}

// ruleState runs one rule: its window, its kind's measure of it, its
// condition (a fixed threshold, or a learned normal), and its alert
// state: inactive, pending (the condition holds, for: not reached yet) or
// firing.
type ruleState struct {
	rule     Rule
	gate     gate // rule.Match, the cheap part first
	opts     *Options
	w        window
	k        kind
	base     *learned       // the learned normal of a baseline rule; nil for a fixed threshold
	distinct *distinctCount // the distinct values a Distinct rule counts, or its DistinctOf
	ev       *evidence      // the signs of a bot that make its alert critical; nil without
	beyond   *beyondBusiest // leaves out each key's busiest value (BeyondBusiest); nil without
	// capBucket is the most events a bucket counts (MinSpan); 0: no cap.
	// capped counts the events left out by it.
	capBucket, capped uint64
	bursts            *bursts     // the buckets left out as bursts' (YieldTo); nil without
	fleet             *fleetSlots // a fleet rule's distinct values per slot, for its deltas
	// all is the engine's count of every event, for a rule that follows
	// the traffic (Baseline.FollowTraffic): a fleet rule's deltas carry it.
	all *allCounts

	seen     bool      // the rule has counted an event
	start    time.Time // the engine's first event: warm-up starts there
	lastSeen time.Time // the newest event's time: silence starts there
	// lastSeenNs is lastSeen in Unix nanoseconds, MinInt64 before any.
	lastSeenNs int64
	ticks      uint64 // boundaries evaluated

	state        state
	firedAs      alert.Severity // the severity the episode fired with
	pendingSince time.Time
	clearSince   time.Time // while firing: when the value went clear (KeepFiringFor); zero when it is not
	shareFloored bool      // Baseline.ShareFloor: the evidence held since the rule was last inactive
	// attack, for a rule that looks down, is its engine's: when a rule
	// looking up was last active (see attackClock); nil for the others.
	attack  *attackClock
	since   time.Time
	peak    float64
	peakSet bool
	matched uint64
	late    uint64 // matching events older than the window
	firings uint64

	samples    [][]byte // ring of recent matching lines
	nextSample int

	// liveTh is the level a matching event's live value is compared with
	// between boundaries: the threshold of the last boundary while the rule
	// may fire going up, +Inf when it may not (or its kind cannot tell).
	liveTh   float64
	live     liveKind // the kind, if it can fire on an event
	judge    judge    // the kind, if it sets its own thresholds
	key      []byte   // the group_by value of the event just counted
	inNewest bool     // ...and whether it fell in the newest bucket
	onEvent  bool     // the alert being built fired on an event
}

func newRuleState(r Rule, opts *Options) *ruleState {
	s := &ruleState{rule: r, gate: newGate(r.Match), opts: opts, lastSeenNs: math.MinInt64}
	if r.Clear == 0 {
		s.rule.Clear = DefaultClear
	}
	steps := int64(r.Window / opts.Resolution)
	s.w = newWindow(steps, r.GroupBy != nil, r.PerKey, opts.KeysPerBucket, s.expired)
	switch {
	case r.Type == Distinct:
		s.distinct = newDistinctCount(r.Field, &s.w)
	case r.DistinctOf != nil:
		s.distinct = newDistinctCount(r.DistinctOf, &s.w)
	}
	if r.Evidence != nil {
		s.ev = newEvidence(r.Evidence, s)
	}
	if r.MinSpan > 0 {
		s.setCap(math.Inf(1))
		if len(r.YieldTo) > 0 {
			s.bursts = newBursts(s)
		}
	}
	if r.BeyondBusiest != nil && r.GroupBy != nil {
		s.beyond = newBeyondBusiest(*r.GroupBy, *r.BeyondBusiest)
	}
	if r.Fleet && opts.Delta != nil && s.distinct != nil {
		s.fleet = newFleetSlots(len(s.w.ring))
	}
	s.k = kinds[r.Type](s)
	s.judge, _ = s.k.(judge)
	if b := r.Baseline; b != nil && s.judge == nil {
		tick := time.Duration(s.w.width) * opts.Resolution
		s.base = newLearned(b, r.Window, tick, s.k.unit() == alert.PerSecond, s.k.unit() == alert.Distinct)
		if r.Type == Ratio {
			s.base.share = func() uint64 { return s.w.total }
		}
		if readsNoPause(r) {
			s.base.blind = coldWindow // nothing is hasty before (see Event.isHasty)
		}
		if b.WarmupShare > 0 && s.ev != nil && r.Evidence.Share > 0 {
			s.base.ordinary = func() bool { return s.ev.ordinary(b.WarmupShare) }
		}
		if b.ShareFloor > 0 && s.ev != nil && r.Evidence.Share > 0 {
			// Once seen, the share floor holds until the rule is inactive
			// again: a slow wave near it, whose share of failures dips
			// under the evidence's for a few seconds, must not resolve
			// against the floor and fire again.
			s.base.evidenced = func() bool {
				if s.ev.shareHolds() {
					s.shareFloored = true
				} else if s.state == stateInactive {
					s.shareFloored = false
				}
				return s.shareFloored
			}
		}
	}
	s.samples = make([][]byte, 0, opts.Samples)
	s.live, _ = s.k.(liveKind)
	s.liveTh = math.Inf(1)
	if k, ok := s.k.(perKeyLearned); ok {
		// Until its first boundary, as after one: the warm-up's floor, or
		// nothing while a warm-up without one waits.
		if !k.norms.waits() {
			s.liveTh = k.norms.least()
		}
	} else if s.base == nil && s.live != nil {
		s.liveTh = s.rule.Threshold
	}
	return s
}

// expired takes a ring slot's kind and distinct parts out of the window.
func (s *ruleState) expired(slot int) {
	s.k.expired(slot)
	if s.distinct != nil {
		s.distinct.expired(slot)
	}
	if s.ev != nil {
		s.ev.expired(slot)
	}
	if s.fleet != nil {
		// Values a late event added after the bucket's delta went out must
		// not ride along with the delta of the bucket that reuses the slot.
		s.fleet.take(slot)
	}
	if s.bursts != nil {
		s.bursts.expired(&s.w, slot)
	}
}

// tick is called at every engine bucket boundary b (in resolution steps)
// and reports whether it is one of the rule's own boundaries, after
// opening the rule's bucket there.
func (s *ruleState) tick(b int64) bool {
	if mod(b, s.w.width) != 0 {
		return false
	}
	s.open(b / s.w.width)
	return true
}

// open makes the window's bucket n the newest, and the kind's too; a
// fleet rule hands over the buckets that completed.
func (s *ruleState) open(n int64) {
	// Only the newest bucket can hold events when a newer one opens (those
	// skipped over are empty); hand it over before the ring moves, which
	// may empty it.
	if last := s.w.last; s.rule.Fleet && s.opts.Delta != nil && last != math.MinInt64 && n > last {
		// A bucket where the rule counted nothing but the evidence's
		// share did (log-ins that all worked) is handed over too: the
		// fleet's share needs its events.
		// So is one where the rule counted nothing while the site's
		// requests went on, for a rule that follows the traffic.
		if slot := s.w.index(last); s.w.ring[slot].count > 0 || s.w.ring[slot].side || s.allIn(last) > 0 {
			s.opts.Delta(s.delta(slot))
		}
	}
	s.w.open(n)
	if o, ok := s.k.(opener); ok {
		o.opened(n)
	}
	if s.ev != nil {
		s.ev.opened(n)
	}
}

// add counts ev, which passed the filter, into engine bucket b. It
// reports false when ev is older than the window.
func (s *ruleState) add(b int64, ev *Event) bool {
	var key []byte
	if s.rule.GroupBy != nil {
		switch key = s.rule.GroupBy.get(ev); {
		case len(key) == 0:
			key = nil // an empty value is no key either
		case len(key) > maxKeyBytes:
			key = key[:maxKeyBytes]
		}
		s.key = key // a keyless rule's stays nil: no pointer write per event
	}
	n := s.w.bucketOf(b)
	slot, ok := s.w.add(n, key, ev, s.rule.GroupBy)
	if !ok {
		return false
	}
	s.inNewest = n == s.w.last
	s.matched++
	if ev.ns > s.lastSeenNs {
		if s.seen && s.base != nil && s.base.lulls != nil && s.state != stateFiring {
			// The lull this event ends (LullFactor): not one while the rule
			// fires, which is the stop it paged.
			s.base.lulls.note(ev.ns, ev.ns-s.lastSeenNs)
		}
		s.lastSeen, s.lastSeenNs = ev.Time, ev.ns
	}
	s.seen = true
	s.k.add(slot, ev)
	if s.distinct != nil {
		s.distinct.add(slot, ev)
		if s.fleet != nil {
			if v := s.distinct.field.get(ev); v != nil {
				if s.fleet.full(slot) {
					s.fleet.dropped[slot]++ // no hash needed: a flood's bucket fills early
				} else {
					s.fleet.add(slot, xxhash.Sum64(v))
				}
			}
		}
	}
	if s.ev != nil {
		s.ev.add(slot, ev)
	}
	if s.w.ring[slot].count <= uint64(s.opts.Samples) && ev.Raw != nil {
		s.sample(ev.Raw)
	}
	return true
}

// setCap sets the most events a bucket counts for MinSpan from the
// threshold th (events a second over the window): the threshold's count
// times the bucket's share of MinSpan, rounded up. Before the rule has a
// finite threshold (learning), its floor's.
func (s *ruleState) setCap(th float64) {
	if !(th > 0) || math.IsInf(th, 0) {
		th = s.rule.Threshold
		if b := s.rule.Baseline; b != nil {
			th = max(b.Floor, b.WarmupFloor)
		}
	}
	bucket := time.Duration(s.w.width) * s.opts.Resolution
	// A burst spanning MinSpan touches MinSpan/bucket + 1 buckets; counted
	// at th × bucket / (MinSpan + 2 buckets) each, it stays under the
	// threshold by a bucket's share, so that a few ordinary events after
	// it do not complete it.
	c := th * s.rule.Window.Seconds() * bucket.Seconds() / (s.rule.MinSpan + 2*bucket).Seconds()
	s.capBucket = max(1, uint64(math.Ceil(c)))
}

// readsNoPause reports whether the rule's conditions read the no_pause
// field, whose "true" the first coldWindow of a log cannot show.
func readsNoPause(r Rule) bool {
	reads := false
	for _, c := range []Cond{r.Match, r.Of} {
		walk(c, func(c Cond) {
			if f, ok := fieldOf(c); ok && f.Name == "no_pause" {
				reads = true
			}
		})
	}
	return reads
}

// full reports whether the bucket of engine bucket b has counted its
// share of the threshold (MinSpan, capBucket above 0): the rule counts no
// more events in it.
func (s *ruleState) full(b int64) bool {
	n := s.w.bucketOf(b)
	bk := &s.w.ring[s.w.index(n)]
	return bk.n == n && bk.count >= s.capBucket
}

// fireOnEvent fires the rule at an event's time, at, when the event just
// counted takes the window past the threshold: a crossing fires at once,
// not at the next boundary. Resolving, learning and for: pending still
// happen at boundaries; a rule with for: fires on an event only once it is
// pending for long enough.
//
// crossedOnEvent tells whether it does, and fireOnEvent then makes the
// transition: the check, made for every matching event, returns no
// alert (a large value to clear at each call).
func (s *ruleState) crossedOnEvent(at time.Time) (v, th float64, ok bool) {
	// An event behind the newest bucket (within the skew) leaves the
	// crossing to the next boundary: the live bounds are the newest's.
	if s.state == stateFiring || math.IsInf(s.liveTh, 1) || !s.inNewest ||
		s.rule.For > 0 && (s.state != statePending || at.Sub(s.pendingSince) < s.rule.For) {
		return 0, 0, false
	}
	v, th = s.live.live(s.key, s.liveTh)
	return v, th, crosses(v, th, false, s.rule.Baseline != nil)
}

func (s *ruleState) fireOnEvent(at time.Time, v, th float64) alert.Alert {
	if s.state == stateInactive {
		s.pendingSince = at
	}
	s.state, s.since, s.peak, s.peakSet, s.clearSince = stateFiring, s.pendingSince, 0, false, time.Time{}
	s.firings++
	s.onEvent = true
	a := s.alert(alert.Firing, at, v, th)
	s.onEvent = false
	if s.opts.Trace != nil {
		s.trace(at, v, th, "fired")
	}
	return a
}

// maxSampleBytes caps the length of a kept sample line.
const maxSampleBytes = 512

func (s *ruleState) sample(raw []byte) {
	if len(raw) > maxSampleBytes {
		raw = raw[:maxSampleBytes]
	}
	if len(s.samples) < cap(s.samples) {
		s.samples = append(s.samples, append([]byte(nil), raw...))
		return
	}
	s.samples[s.nextSample] = append(s.samples[s.nextSample][:0], raw...)
	s.nextSample = (s.nextSample + 1) % len(s.samples)
}

// down reports whether the rule fires on a drop (at or under its
// threshold) rather than a rise.
func (s *ruleState) down() bool { return s.base != nil && s.base.cfg.Down }

// evaluate applies the rule's condition at a bucket boundary and returns
// the transition it causes, if any. The value is measured exactly at
// every boundary (every kind measures in O(1)), so a trace records what
// the evaluation computed.
func (s *ruleState) evaluate(at time.Time) (alert.Alert, bool) {
	s.ticks++
	var v, th float64
	var ready, escalated bool
	var why string
	if s.base != nil {
		s.base.moveScale(s.state != stateInactive)
	}
	if s.judge != nil {
		v, th, ready, why = s.judge.judge(at)
	} else {
		th, ready, why = s.threshold(at)
		v = s.k.value(at)
	}
	down := s.down()
	strict := s.rule.Baseline != nil // a learned 0 must not fire at 0
	var st alert.State
	switch s.state {
	case stateInactive, statePending:
		switch {
		case !ready:
			s.state = stateInactive
		case !crosses(v, th, down, strict):
			s.state, why = stateInactive, "below the threshold"
			if down {
				why = "above the threshold"
			}
		default:
			if s.state == stateInactive {
				s.state, s.pendingSince = statePending, at
			}
			if at.Sub(s.pendingSince) < s.rule.For {
				why = "held since " + s.pendingSince.Format(time.TimeOnly) + ", for: " + s.rule.For.String() + " not reached"
				break
			}
			s.state, s.since, s.peak, s.peakSet, s.clearSince = stateFiring, s.pendingSince, 0, false, time.Time{}
			if k, ok := s.k.(sincer); ok {
				s.since = k.since(s.pendingSince)
			}
			s.firings++
			st, why = alert.Firing, "fired"
		}
	default: // firing
		clear := s.clearLevel(th, down)
		switch {
		case !ready && s.w.total > 0 && (down || v > 0) &&
			!(down && s.base != nil && s.base.mean < s.rule.Baseline.Floor && at.Sub(s.since) >= s.rule.Baseline.HalfLife):
			// Too few events to say the trouble is over (a ratio's
			// min_events): hold. A share of 0 says it though: the few
			// requests of a quiet site's minute after a deploy all
			// succeeded, and the 502s have left the window. A drop
			// rule whose normal fell under its floor while it fired (a
			// firing rule learns the threshold, a tenth of the normal,
			// for hours of a quiet night) resolves, once it has fired
			// for the half-life: it has too little traffic to miss, and
			// held, it would learn nothing more and fire for good,
			// whatever the traffic did.
			why = "firing: " + why + ", holding"
		case ready && crosses(v, clear, down, false):
			s.note(v, down)
			s.clearSince = time.Time{}
			why = "firing"
			if s.escalates() {
				st, why, escalated = alert.Firing, "raised to critical", true
			}
		case s.rule.KeepFiringFor > 0 && (s.clearSince.IsZero() || at.Sub(s.clearSince) < s.rule.KeepFiringFor):
			if s.clearSince.IsZero() {
				s.clearSince = at
			}
			why = "firing: clear since " + s.clearSince.Format(time.TimeOnly) + ", keep_firing_for: " + s.rule.KeepFiringFor.String() + " not reached"
		default:
			s.state, st, why = stateInactive, alert.Resolved, "resolved"
			s.clearSince = time.Time{}
		}
	}
	if s.base != nil && !s.attack.holds(s, at) {
		s.base.learn(v, s.state, at, s.start)
	}
	if l, ok := s.k.(shareLearner); ok {
		l.learnShare(s.state)
	}
	if s.judge != nil {
		s.judge.learn(at)
	}
	if s.rule.MinSpan > 0 {
		s.setCap(th)
	}
	if s.live != nil {
		s.liveTh = math.Inf(1)
		switch {
		case !ready || down:
		case s.judge != nil:
			if k, ok := s.k.(perKeyLearned); ok {
				s.liveTh = k.norms.least() // no key is held to less
			}
		default:
			s.liveTh = th
		}
	}
	if s.opts.Trace != nil {
		s.trace(at, v, th, why)
	}
	if st == "" {
		return alert.Alert{}, false
	}
	a := s.alert(st, at, v, th)
	a.Escalated = escalated
	return a, true
}

// escalates reports whether a rule firing below critical has signs of a
// bot now (see [Evidence]): an episode that fired as a warning, 4 s into
// a stuffing whose failures had not yet outnumbered the log-ins of the
// minute before, is raised to critical once they do, so that the phone
// rings for it; it is never lowered again. The signs that raise it are
// the posts' own (cold, no pause, the failure share), not the user
// agents': the addresses of any crowd that grows outnumber its user
// agents in the end (a marketing mail's people at 200 req/s: 180
// addresses and 9 user agents three minutes in), while a bot rotating
// addresses behind a few user agents shows it from its first seconds,
// when the rule fires.
//
// A per-key rule is not raised: its signs are the whole window's, not its
// keys', and an episode of an office NAT's failed log-ins must not turn
// critical, naming the office, because a bot elsewhere made the window's
// posts cold.
func (s *ruleState) escalates() bool {
	return s.ev != nil && !s.rule.PerKey && s.firedAs != "" && s.firedAs != alert.Critical && len(s.ev.signs(false)) > 0
}

// threshold returns the level the value is compared with at a boundary,
// and whether the rule may decide at all; when it may not, why says so.
func (s *ruleState) threshold(at time.Time) (th float64, ready bool, why string) {
	if ok, why := s.k.ready(); !ok {
		if s.base != nil {
			th, _, _ = s.base.threshold(at, s.start)
			return th, false, why
		}
		return s.rule.Threshold, false, why
	}
	if s.base == nil {
		return s.rule.Threshold, true, ""
	}
	s.base.firing = s.state == stateFiring
	s.base.last, s.base.seen = s.lastSeen, s.seen
	th, ready, why = s.base.threshold(at, s.start)
	if ready {
		// What came at this time of day the day before, as high, is the
		// site's own (Baseline.RecurringDaily).
		th = max(th, s.base.recurs(at))
	}
	return th, ready, why
}

// clearLevel is where a firing rule resolves: below threshold × clear
// going up, above threshold / clear going down.
func (s *ruleState) clearLevel(th float64, down bool) float64 {
	if down {
		return th / s.rule.Clear
	}
	return th * s.rule.Clear
}

// crosses reports whether v is past level in the rule's direction; strict
// leaves out equality.
func crosses(v, level float64, down, strict bool) bool {
	switch {
	case down && strict:
		return v < level
	case down:
		return v <= level
	case strict:
		return v > level
	}
	return v >= level
}

// note records v as the peak if it is the most extreme value of the
// episode (the lowest, going down).
func (s *ruleState) note(v float64, down bool) {
	switch {
	case !s.peakSet:
		s.peak, s.peakSet = v, true
	case down:
		s.peak = min(s.peak, v)
	default:
		s.peak = max(s.peak, v)
	}
}

// skipped folds n boundaries that the engine skipped while every rule was
// idle into a baseline.
func (s *ruleState) skipped(n int64) {
	if s.base != nil {
		s.base.skipped(n)
	}
	if sn := s.shareNormal(); sn != nil {
		sn.skip(n)
	}
}

// idle reports whether nothing can change at the next boundaries without
// an event: the engine then skips them.
func (s *ruleState) idle() bool {
	switch {
	case s.w.total != 0:
		return false
	case s.base != nil && s.base.cfg.Down:
		return s.base.idle(s.state)
	case s.all != nil && s.all.first != math.MinInt64 && s.all.last >= (s.w.last-s.w.nb)*s.w.width:
		// Requests are still in the window of a rule that follows the
		// traffic: a skipped boundary would learn them as none.
		return false
	}
	return s.k.idle(s.state)
}

// alert builds a transition at at, of value v against threshold th.
func (s *ruleState) alert(st alert.State, at time.Time, v, th float64) alert.Alert {
	r := &s.rule
	down := s.down()
	s.note(v, down)
	a := alert.Alert{
		Rule: r.Name, State: st, Time: at, Value: round(v), Threshold: round(th),
		Unit: s.k.unit(), Severity: r.Severity, Description: r.Description, Title: r.Title,
		Since: s.since, Window: r.Window, Count: s.count(), Peak: round(s.peak), Clear: r.Clear,
		ResolveAt: round(s.clearLevel(th, down)), Down: down,
		Keys: []alert.KeyCount{},
	}
	if s.base != nil {
		a.Baseline, a.Spread = round(s.base.mean), round(s.base.spread())
	}
	if r.GroupBy != nil {
		a.GroupBy = r.GroupBy.Name
		if s.onEvent {
			a.Keys = s.w.liveTopKeys(s.opts.TopN)
		} else {
			a.Keys = s.w.topKeys(s.opts.TopN)
		}
		if s.ev != nil && !r.PerKey {
			s.ev.peopleLast(a.Keys)
		}
	}
	s.k.fill(&a)
	if st == alert.Firing && !r.PerKey && r.GroupBy != nil && r.GroupBy.Name == "client_ip" {
		// The network its keys' events come from: for a share, its hits'
		// keys (who fails), as the alert's keys are.
		w, live := &s.w, s.onEvent
		if rk, ok := s.k.(*ratio); ok {
			w, live = rk.keyHits, false
		}
		if w != nil {
			a.Network = w.dominantNet(live)
		}
	}
	if s.distinct != nil {
		a.DistinctOf = s.distinct.field.Name
		a.Distinct = s.distinct.estimate()
	}
	if s.ev != nil && st == alert.Firing {
		if a.Evidence = s.ev.signs(true); len(a.Evidence) > 0 {
			a.Severity = alert.Critical
		}
	}
	// An episode keeps the severity it fired with: its resolution closes
	// the page the firing opened.
	if st == alert.Firing {
		s.firedAs = a.Severity
	} else if s.firedAs != "" {
		a.Severity = s.firedAs
	}
	for i := range s.samples {
		a.Samples = append(a.Samples, string(s.samples[(s.nextSample+i)%len(s.samples)]))
	}
	return a
}

// count is the events in the window the alert measures: the complete
// buckets at a boundary, up to the event for one fired on an event.
func (s *ruleState) count() uint64 {
	if s.onEvent {
		return s.w.liveTotal()
	}
	return s.w.total
}

// round keeps three decimals (four significant digits under 1), so that
// replays print stable values. A value under 1e-305, which no scale
// reaches, is 0.
func round(v float64) float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	// Three decimals, or four significant digits under 1, so that a slow
	// rate (3 an hour: 0.000833/s) keeps its value.
	p := 1e3 // at 1 and above, floor(log10 |v|) ≥ 0
	if a := math.Abs(v); a < 1 {
		if a < minRounded {
			return 0 // 10^(3-decade) would overflow; and no "-0" is printed
		}
		p = pow10[pow10Zero+3-decade(a)]
	}
	return math.Round(v*p) / p
}

// minRounded is the least magnitude round scales: 10^(3+305) is the
// largest power of ten under the largest float64.
const minRounded = 1e-305

// decade returns floor(log10(a)) for minRounded ≤ a < 1, exactly as
// computed with math.Log10, from a's binary exponent and a table of the
// powers of ten: every traced evaluation rounds two or three values, and
// a logarithm each was a fifth of a text replay where evaluations
// outnumber lines. Near a power of ten, where Log10's last bit could tip
// the floor, it asks Log10.
func decade(a float64) int {
	// a = 1.f × 2^(b-1023), a normal number: log10(a) lies in
	// [(b-1023)·log10(2), (b-1022)·log10(2)), so its floor is d or d+1.
	b := int(math.Float64bits(a)>>52) & 0x7ff
	d := floorLog10Pow2(b - 1023)
	if a >= pow10[pow10Zero+d+1] {
		d++
	}
	if lo, hi := pow10[pow10Zero+d], pow10[pow10Zero+d+1]; a < lo*(1+1e-9) || a > hi*(1-1e-9) {
		return int(math.Floor(math.Log10(a)))
	}
	return d
}

// floorLog10Pow2 is floor(n·log10(2)) for |n| ≤ 1100 (TestFloorLog10Pow2).
func floorLog10Pow2(n int) int { return n * 78913 >> 18 }

// pow10[pow10Zero+k] is math.Pow10(k), for -306 ≤ k ≤ 308.
const pow10Zero = 306

var pow10 = func() (t [pow10Zero + 309]float64) {
	for i := range t {
		t[i] = math.Pow10(i - pow10Zero)
	}
	return t
}()

// trace reports an evaluation to Options.Trace.
func (s *ruleState) trace(at time.Time, v, th float64, why string) {
	ev := Evaluation{
		Rule: s.rule.Name, Time: at, Value: round(v), Threshold: th, Unit: s.k.unit(),
		Down: s.down(), Count: s.w.total, State: stateNames[s.state], Why: why,
	}
	if s.base != nil && !s.opts.TraceNoBaseline {
		ev.Baseline, ev.Spread = round(s.base.mean), round(s.base.spread())
		if sc := s.base.scale(); sc > 1 {
			ev.Scale = round(sc)
		}
		if r := s.base.recurs(at); r > 0 && r >= th {
			ev.Recurs = round(r)
		}
	}
	if s.rule.GroupBy != nil && s.w.total > 0 && !s.opts.TraceValuesOnly {
		if kn, ok := s.k.(keyNamer); ok {
			ev.Keys = kn.namedKeys(3) // the keys its alert would name
		} else {
			ev.Keys = s.w.topKeys(3)
		}
	}
	s.opts.Trace(ev)
}
