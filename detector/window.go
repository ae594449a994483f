package detector

import (
	"bytes"
	"fmt"
	"math"
	"time"

	"github.com/axiomhq/hyperloglog"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/parsers"
)

// bucket is one slice of a rule's window.
type bucket struct {
	n      int64 // bucket number (event time / bucket width)
	count  uint64
	hits   uint64              // events that also passed a ratio rule's Of filter
	keys   *SpaceSaving        // group_by keys; nil without group_by
	hll    *hyperloglog.Sketch // distinct values; nil when not counted
	merged bool                // keys are summed into the rule's Counter
}

// A window of more than maxBuckets resolution steps is cut into wider
// buckets of equal width (a 5-minute window slides by 5 s), which bounds
// the memory and the evaluation cost of long windows; the width divides
// the window exactly and leaves at least minBuckets buckets.
const (
	maxBuckets = 120
	minBuckets = 10
)

// bucketWidth returns the width, in resolution steps, of the buckets of a
// window of steps resolution steps: the smallest that divides it into at
// most maxBuckets. It reports false when that leaves fewer than minBuckets
// (a window such as 7919 s, a prime).
func bucketWidth(steps int64) (int64, bool) {
	if steps <= maxBuckets {
		return 1, true
	}
	for w := (steps + maxBuckets - 1) / maxBuckets; w <= steps; w++ {
		if steps%w == 0 {
			return w, steps/w >= minBuckets
		}
	}
	return steps, false
}

type state uint8

const (
	stateInactive state = iota
	statePending
	stateFiring
)

// ruleState is a rule's sliding window: a ring of buckets covering the
// window plus the bucket being filled, the running total, and the sum of
// the complete buckets' key summaries. An event costs one Space-Saving
// update; a bucket's summary joins the sum when the bucket completes and
// leaves it when the bucket expires. Memory is bounded by the ring length
// times the per-bucket Space-Saving capacity, whatever the traffic.
type ruleState struct {
	rule     Rule
	opts     *Options
	ring     []bucket
	width    int64 // bucket width in resolution steps
	nb       int64 // buckets per window
	last     int64 // newest bucket opened
	lastIdx  int   // its slot in the ring
	total    uint64
	keys     *Counter // Σ of the ring's bucket summaries; nil without group_by
	distinct *Field   // field counted in per-bucket sketches, if any
	merged   *hyperloglog.Sketch

	// Bounds that spare the costly measures (the busiest key's scan, the
	// distinct estimate) while they cannot cross the threshold.
	keyMax        uint64  // ≥ the busiest key's count: raised on every add, exact after a scan
	lastDistinct  float64 // the last distinct estimate
	distinctValid bool    // lastDistinct is set
	addedSince    uint64  // events added to the window since the estimate
	removedSince  uint64  // events expired from the window since the estimate

	hits     uint64    // Σ of the window's buckets' hits (ratio rules)
	seen     bool      // the rule has counted an event
	start    time.Time // the engine's first event: warm-up starts there
	lastSeen time.Time // the newest event's time: silence starts there

	// The learned normal of a baseline rule: an exponentially weighted
	// mean and variance of the value at each bucket boundary.
	bInit       bool
	bN          float64 // values learned
	bMean, bVar float64
	bAlpha      float64 // weight of a new value, from the half-life and the bucket width
	ticks       uint64  // boundaries evaluated

	state        state
	pendingSince time.Time
	since        time.Time
	peak         float64
	peakSet      bool
	matched      uint64
	late         uint64 // matching events older than the window
	firings      uint64

	samples    [][]byte // ring of recent matching lines
	nextSample int
}

func newRuleState(r Rule, opts *Options) *ruleState {
	steps := int64(r.Window / opts.Resolution)
	width, _ := bucketWidth(steps) // Validate refused the windows it cannot cut
	nb := steps / width
	s := &ruleState{rule: r, opts: opts, width: width, nb: nb, ring: make([]bucket, nb+1), last: math.MinInt64}
	if r.Clear == 0 {
		s.rule.Clear = DefaultClear
	}
	if b := r.Baseline; b != nil {
		tick := time.Duration(width) * opts.Resolution
		if r.Type == Distinct {
			tick *= learnEvery
		}
		s.bAlpha = 1 - math.Exp2(-float64(tick)/float64(b.HalfLife))
	}
	switch {
	case r.Type == Distinct:
		s.distinct = r.Field
	case r.DistinctOf != nil:
		s.distinct = r.DistinctOf
	}
	// The buckets' key summaries and sketches are made by the first event
	// that needs them, and the key sum grows with the keys it holds: memory
	// follows traffic, not the number of rules.
	if r.GroupBy != nil {
		s.keys = NewCounter(len(s.ring) * opts.KeysPerBucket)
	}
	s.samples = make([][]byte, 0, opts.Samples)
	return s
}

// keysOf returns bucket bk's key summary, making it on first use.
func (s *ruleState) keysOf(bk *bucket) *SpaceSaving {
	if bk.keys == nil {
		bk.keys = NewSpaceSaving(s.opts.KeysPerBucket)
	}
	return bk.keys
}

// hllOf returns bucket bk's sketch, making it on first use.
func (s *ruleState) hllOf(bk *bucket) *hyperloglog.Sketch {
	if bk.hll == nil {
		bk.hll = hyperloglog.New14()
	}
	return bk.hll
}

// tick is called at every engine bucket boundary b (in resolution steps)
// and reports whether it is one of the rule's own boundaries, after
// opening the rule's bucket there.
func (s *ruleState) tick(b int64) bool {
	if mod(b, s.width) != 0 {
		return false
	}
	s.open(b / s.width)
	return true
}

// bucketOf returns the rule's bucket number for an engine bucket.
func (s *ruleState) bucketOf(b int64) int64 {
	if s.width == 1 {
		return b // the common case, without a division per event
	}
	return floorDiv(b, s.width)
}

// slot returns the ring slot of bucket n: the newest bucket's slot is
// kept, since nearly every event falls in it.
func (s *ruleState) slot(n int64) *bucket {
	if n == s.last {
		return &s.ring[s.lastIdx]
	}
	return &s.ring[mod(n, int64(len(s.ring)))]
}

// open makes bucket n the newest: the buckets before it are complete and
// join the key sum; those that fall out of the ring expire.
func (s *ruleState) open(n int64) {
	if n <= s.last {
		return
	}
	if s.last == math.MinInt64 || n-s.last >= int64(len(s.ring)) {
		s.reset(n)
		return
	}
	s.complete(&s.ring[mod(s.last, int64(len(s.ring)))])
	for b := s.last + 1; b <= n; b++ {
		bk := &s.ring[mod(b, int64(len(s.ring)))]
		s.expire(bk)
		bk.n = b
		if b < n {
			s.complete(bk) // an empty bucket skipped over
		}
	}
	s.last, s.lastIdx = n, int(mod(n, int64(len(s.ring))))
}

// complete adds a finished bucket's key summary to the sum.
func (s *ruleState) complete(bk *bucket) {
	if bk.merged {
		return
	}
	bk.merged = true
	if bk.keys == nil || bk.count == 0 {
		return
	}
	bk.keys.Each(func(key []byte, count, err uint64) {
		c, _ := s.keys.Add(key, count, err)
		s.keyMax = max(s.keyMax, c)
	})
}

// expire empties a bucket, taking its counts out of the window.
func (s *ruleState) expire(bk *bucket) {
	if bk.count > 0 {
		s.total -= bk.count
		s.hits -= bk.hits
		bk.hits = 0
		s.removedSince += bk.count
		if bk.keys != nil {
			if bk.merged {
				bk.keys.Each(func(key []byte, count, err uint64) { s.keys.Sub(key, count, err) })
			}
			bk.keys.Reset()
		}
		if bk.hll != nil {
			bk.hll.Reset()
		}
		bk.count = 0
	}
	bk.merged = false
}

// reset empties the whole window, after a gap longer than the ring, and
// makes n its newest bucket.
func (s *ruleState) reset(n int64) {
	for i := range s.ring {
		bk := &s.ring[i]
		if bk.count > 0 {
			if bk.keys != nil {
				bk.keys.Reset()
			}
			if bk.hll != nil {
				bk.hll.Reset()
			}
		}
		b := n - mod(n-int64(i), int64(len(s.ring))) // the bucket number slot i holds
		*bk = bucket{n: b, keys: bk.keys, hll: bk.hll, merged: b < n}
	}
	if s.keys != nil {
		s.keys.Reset()
	}
	s.removedSince += s.total
	s.total, s.hits, s.keyMax, s.last = 0, 0, 0, n
	s.lastIdx = int(mod(n, int64(len(s.ring))))
}

// add counts ev, which passed the filter, into engine bucket b. It
// reports false when ev is older than the window: nothing is left to
// count it into, and the engine counts it late.
func (s *ruleState) add(b int64, ev *parsers.Event) bool {
	n := s.bucketOf(b)
	bk := s.slot(n)
	if bk.n != n || n < s.last-s.nb {
		return false
	}
	s.matched++
	bk.count++
	s.total++
	s.seen = true
	if ev.Time.After(s.lastSeen) {
		s.lastSeen = ev.Time
	}
	if s.rule.Of != nil && s.rule.Of.Match(ev) {
		bk.hits++
		s.hits++
	}
	if s.rule.GroupBy != nil {
		key := s.rule.GroupBy.get(ev)
		if key == nil {
			key = noKey
		} else if len(key) > maxKeyBytes {
			key = key[:maxKeyBytes] // an attacker's 1 MiB path must not be kept 128 times a bucket
		}
		evicted, did := s.keysOf(bk).Add(key)
		if bk.merged {
			// A late event in a complete bucket: mirror the change in
			// the sum, eviction included.
			var c uint64
			if did {
				s.keys.Sub(evicted.Key, evicted.Count, evicted.Err)
				c, _ = s.keys.Add(key, evicted.Count+1, evicted.Count)
			} else {
				c, _ = s.keys.Add(key, 1, 0)
			}
			s.keyMax = max(s.keyMax, c)
		}
	}
	if s.distinct != nil {
		if v := s.distinct.get(ev); v != nil {
			s.hllOf(bk).Insert(v)
		}
		s.addedSince++
	}
	if bk.count <= uint64(s.opts.Samples) && ev.Raw != nil {
		s.sample(ev.Raw)
	}
	return true
}

// maxKeyBytes caps the length of a group_by key: longer values are cut,
// so that keys that differ only beyond it count as one.
const maxKeyBytes = 256

// noKey stands for an absent group_by value.
var noKey = []byte("-")

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

// value returns the rule's measure over the complete buckets of the
// window, and whether it is exact. While the answer cannot reach bound
// from below (or, when above is set, cannot fall under bound from above),
// it returns a bound instead of computing the costly part: the busiest
// key's count, the distinct estimate. An inexact value is on the same side
// of bound as the exact one.
func (s *ruleState) value(bound float64, above bool) (float64, bool) {
	secs := s.rule.Window.Seconds()
	switch {
	case s.needsExact():
		return 0, false // the caller computes exactValue
	case s.rule.Type == Distinct:
		if float64(s.total) < bound {
			return float64(s.total), false // distinct ≤ events
		}
		if s.distinctValid {
			// Since the last estimate at most addedSince new values came
			// in and at most removedSince went out.
			if hi := s.lastDistinct + float64(s.addedSince); !above && hi < bound {
				return hi, false
			}
			if lo := s.lastDistinct - float64(s.removedSince); above && lo >= bound {
				return lo, false
			}
		}
		return float64(s.estimate()), true
	case s.rule.PerKey:
		if hi := float64(min(s.keyMax, s.total)) / secs; hi < bound {
			return hi, false
		}
		busiest := s.busiestKey()
		return float64(busiest) / secs, true
	default:
		return float64(s.total) / secs, true
	}
}

// learnEvery is how often, in boundaries, a distinct baseline rule learns:
// a distinct estimate costs a merge of the window's sketches, so between
// lessons the rule decides on the bounds, as fixed-threshold rules do.
const learnEvery = 10

// needsExact reports whether this boundary's value must be computed
// exactly: always for ratio, absence and rate baselines (cheap); for a
// distinct baseline, on the boundaries it learns from. A trace does not
// change it: the traced value is computed aside (peekValue), so that a
// traced engine takes the same shortcuts, and reports the same peaks, as
// an untraced one.
func (s *ruleState) needsExact() bool {
	switch {
	case s.rule.Type == Ratio, s.rule.Type == Absence:
		return true
	case s.rule.Baseline == nil:
		return false
	case s.rule.Type == Distinct:
		return false // bounds decide; learnsNow computes the estimate when it learns
	}
	return true
}

// busiestKey returns the highest guaranteed count of a key in the window:
// Space-Saving's count minus its error bound, so that the sketch's
// overestimate never makes a rule fire.
func (s *ruleState) busiestKey() uint64 {
	best, bestCount := s.busiest()
	s.keyMax = bestCount
	return best
}

// busiest returns the highest guaranteed count of a key in the window and
// the highest count, without side effects.
func (s *ruleState) busiest() (best, bestCount uint64) {
	s.keys.Each(func(_ []byte, count, err uint64) {
		best = max(best, count-min(err, count))
		bestCount = max(bestCount, count)
	})
	return best, bestCount
}

// estimate merges the window's sketches and estimates the distinct count.
func (s *ruleState) estimate() uint64 {
	est := s.peekEstimate()
	s.lastDistinct, s.distinctValid = float64(est), true
	s.addedSince, s.removedSince = 0, 0
	return est
}

// peekEstimate merges the window's sketches and estimates the distinct
// count, leaving the bounds of the last estimate as they were.
func (s *ruleState) peekEstimate() uint64 {
	if s.merged == nil {
		s.merged = hyperloglog.New14()
	}
	s.merged.Reset()
	for i := range s.ring {
		if s.ring[i].count > 0 && s.ring[i].hll != nil {
			_ = s.merged.Merge(s.ring[i].hll) // same precision by construction
		}
	}
	return s.merged.Estimate()
}

// evaluate applies the rule's condition at a bucket boundary and returns
// the transition it causes, if any.
func (s *ruleState) evaluate(at time.Time) (alert.Alert, bool) {
	s.ticks++
	th, ready, why := s.threshold(at)
	down := s.rule.Baseline != nil && s.rule.Baseline.Down
	strict := s.rule.Baseline != nil // a learned 0 must not fire at 0
	var v float64
	var exact bool
	measure := func(bound float64, above bool) {
		if v, exact = s.value(bound, above); s.needsExact() {
			v, exact = s.exactValue(at), true
		}
	}
	var st alert.State
	switch s.state {
	case stateInactive, statePending:
		measure(th, false)
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
			s.state, s.since, s.peak, s.peakSet = stateFiring, s.pendingSince, 0, false
			if s.rule.Type == Absence {
				s.since = s.lastSeen
			}
			s.firings++
			st, why = alert.Firing, "fired"
		}
	default: // firing
		clear := s.clearLevel(th, down)
		measure(clear, true)
		switch {
		case s.rule.Type == Ratio && s.total > 0 && s.total < s.rule.MinEvents:
			// Too few events to say the failure is over: hold.
			why = "firing: " + why + ", holding"
		case ready && crosses(v, clear, down, false):
			if exact {
				s.note(v, down)
			}
			why = "firing"
		default:
			s.state, st, why = stateInactive, alert.Resolved, "resolved"
		}
	}
	if s.learnsNow() {
		if !exact {
			v, exact = s.exactValue(at), true
		}
		s.learn(v, th, at)
	}
	if s.opts.Trace != nil {
		if !exact {
			v = s.peekValue(at)
		}
		s.trace(at, v, th, why)
	}
	if st == "" {
		return alert.Alert{}, false
	}
	return s.alert(st, at, th), true
}

// learnsNow reports whether a baseline rule learns at this boundary: a
// distinct one every learnEvery boundaries (its estimate is costly), a
// rate every boundary. Whether the value was computed exactly for other
// reasons (a trace) does not change when it learns.
func (s *ruleState) learnsNow() bool {
	switch {
	case s.rule.Baseline == nil:
		return false
	case s.rule.Type == Distinct:
		return s.ticks%learnEvery == 0
	}
	return true
}

// skipped folds n boundaries that the engine skipped while every rule was
// idle into a baseline: each would have learned a value of 0.
func (s *ruleState) skipped(n int64) {
	if s.rule.Baseline == nil || !s.bInit || n <= 0 {
		return
	}
	if s.rule.Type == Distinct {
		lessons := (int64(s.ticks%learnEvery) + n) / learnEvery
		s.ticks += uint64(n) // keep the learning cadence
		n = lessons
	}
	for range min(n, 100_000) { // past that the mean is as good as 0
		s.bN++
		alpha := max(s.bAlpha, 1/s.bN)
		d := -s.bMean
		s.bMean += alpha * d
		s.bVar = (1 - alpha) * (s.bVar + alpha*d*d)
	}
}

// threshold returns the level the value is compared with at a boundary,
// and whether the rule may fire at all; when it may not, why says so.
func (s *ruleState) threshold(at time.Time) (th float64, ready bool, why string) {
	r := &s.rule
	switch {
	case r.Type == Absence:
		if !s.seen {
			return r.Window.Seconds(), false, "no event yet: nothing to miss"
		}
		return r.Window.Seconds(), true, ""
	case r.Type == Ratio && s.total < r.MinEvents:
		return r.Threshold, false, fmt.Sprintf("%d events, under min_events %d", s.total, r.MinEvents)
	case r.Baseline == nil:
		return r.Threshold, true, ""
	}
	b := r.Baseline
	if !s.bInit {
		return math.Inf(1), false, "warm-up: nothing learned yet"
	}
	// The spread is at least the counting noise of the mean (Poisson),
	// so that a perfectly steady normal does not put the threshold on it.
	sd := max(math.Sqrt(s.bVar), math.Sqrt(max(s.bMean, 0)/max(s.rule.Window.Seconds(), 1)))
	if r.Type == Distinct {
		sd = max(math.Sqrt(s.bVar), math.Sqrt(max(s.bMean, 0)))
	}
	if b.Down {
		th = math.Inf(1)
		if b.Factor > 0 {
			th = s.bMean / b.Factor
		}
		if b.Sigmas > 0 {
			th = min(th, s.bMean-b.Sigmas*sd)
		}
		if s.bMean < b.Floor {
			return th, false, fmt.Sprintf("baseline %.3g under the floor %.3g: too little traffic to miss", s.bMean, b.Floor)
		}
	} else {
		th = b.Floor
		if b.Factor > 0 {
			th = max(th, s.bMean*b.Factor)
		}
		if b.Sigmas > 0 {
			th = max(th, s.bMean+b.Sigmas*sd)
		}
	}
	if left := b.Warmup - at.Sub(s.start); left > 0 {
		return th, false, "warm-up: " + left.Round(time.Second).String() + " left"
	}
	return th, true, ""
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

// learn folds a boundary's value into a baseline rule's normal. A value
// past the threshold, or any value while the rule fires, is learned as
// the threshold: an attack teaches the baseline at most a slow rise, and
// one during the warm-up cannot become the normal either.
//
// Learning starts once the window has filled (earlier values count only
// part of a window), and weighs the first values as a plain average, so
// that the warm-up ends with the mean of what it saw rather than a
// half-life's lag behind it.
func (s *ruleState) learn(v, th float64, at time.Time) {
	b := s.rule.Baseline
	if b == nil || at.Sub(s.start) < s.rule.Window {
		return
	}
	if !s.bInit {
		s.bInit, s.bMean, s.bN = true, v, 1
		return
	}
	x := v
	if (s.state != stateInactive || crosses(v, th, b.Down, true)) && !math.IsInf(th, 0) {
		x = th // even in warm-up: an attack then must not become the normal
	}
	s.bN++
	alpha := max(s.bAlpha, 1/float64(s.bN))
	d := x - s.bMean
	s.bMean += alpha * d
	s.bVar = (1 - alpha) * (s.bVar + alpha*d*d)
}

// alert builds a transition with the exact measures of the window.
func (s *ruleState) alert(st alert.State, at time.Time, th float64) alert.Alert {
	r := &s.rule
	v := s.exactValue(at)
	down := r.Baseline != nil && r.Baseline.Down
	s.note(v, down)
	a := alert.Alert{
		Rule: r.Name, State: st, Time: at, Value: round(v), Threshold: round(th),
		Unit: r.unit(), Severity: r.Severity, Description: r.Description,
		Since: s.since, Window: r.Window, Count: s.total, Peak: round(s.peak), Clear: r.Clear, PerKey: r.PerKey,
		ResolveAt: round(s.clearLevel(th, down)), Down: down,
		Keys: []alert.KeyCount{},
	}
	if r.Baseline != nil {
		a.Baseline, a.Spread = round(s.bMean), round(math.Sqrt(s.bVar))
	}
	if r.Type == Ratio {
		a.Hits = s.hits
	}
	if r.Type == Rate && !r.PerKey {
		last := s.ring[mod(s.last-1, int64(len(s.ring)))]
		if last.n == s.last-1 {
			a.Current = round(float64(last.count) / (time.Duration(s.width) * s.opts.Resolution).Seconds())
		}
	}
	if r.GroupBy != nil {
		a.GroupBy = r.GroupBy.Name
		a.Keys = s.topKeys(s.opts.TopN)
	}
	if s.distinct != nil {
		a.DistinctOf = s.distinct.Name
		a.Distinct = s.estimate()
	}
	for i := range s.samples {
		a.Samples = append(a.Samples, string(s.samples[(s.nextSample+i)%len(s.samples)]))
	}
	return a
}

// topKeys returns the n keys with the highest guaranteed counts (count
// minus error bound), so that a key whose count is mostly the sketch's
// inherited error does not pose as a top offender.
func (s *ruleState) topKeys(n int) []alert.KeyCount {
	// A selection of the n best, not a sort of every key: traces ask for
	// the top keys at every boundary, and only the winners become strings.
	type cand struct {
		key        []byte
		count, err uint64
	}
	before := func(a, b cand) bool { // a ranks before b
		if ga, gb := a.count-a.err, b.count-b.err; ga != gb {
			return ga > gb
		}
		if a.count != b.count {
			return a.count > b.count
		}
		return bytes.Compare(a.key, b.key) < 0
	}
	top := make([]cand, 0, max(n, 0)+1)
	s.keys.Each(func(key []byte, count, err uint64) {
		c := cand{key, count, min(err, count)}
		if n <= 0 || len(top) == n && !before(c, top[n-1]) {
			return
		}
		top = append(top, c)
		for i := len(top) - 1; i > 0 && before(top[i], top[i-1]); i-- {
			top[i], top[i-1] = top[i-1], top[i]
		}
		if len(top) > n {
			top = top[:n]
		}
	})
	keys := make([]alert.KeyCount, len(top))
	for i, c := range top {
		keys[i] = alert.KeyCount{Key: string(c.key), Count: c.count, Error: c.err}
	}
	return keys
}

// exactValue computes the rule's measure at a boundary without shortcuts,
// and keeps what it learned for the next boundaries' bounds.
func (s *ruleState) exactValue(at time.Time) float64 {
	return s.measureExact(at, true)
}

// peekValue computes the rule's measure at a boundary without shortcuts
// and without side effects: for traces.
func (s *ruleState) peekValue(at time.Time) float64 {
	return s.measureExact(at, false)
}

func (s *ruleState) measureExact(at time.Time, keep bool) float64 {
	secs := s.rule.Window.Seconds()
	switch {
	case s.rule.Type == Absence:
		if !s.seen || s.total > 0 {
			return 0
		}
		return at.Sub(s.lastSeen).Seconds()
	case s.rule.Type == Ratio:
		if s.total == 0 {
			return 0
		}
		return float64(s.hits) / float64(s.total)
	case s.rule.Type == Distinct:
		if s.total == 0 {
			return 0
		}
		if !keep {
			return float64(s.peekEstimate())
		}
		return float64(s.estimate())
	case s.rule.PerKey:
		if !keep {
			best, _ := s.busiest()
			return float64(best) / secs
		}
		return float64(s.busiestKey()) / secs
	default:
		return float64(s.total) / secs
	}
}

// round keeps three decimals, so that replays print stable values.
func round(v float64) float64 { return math.Round(v*1000) / 1000 }

func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// idle reports whether nothing can change at the next boundaries without
// an event: the engine then skips them. An absence rule waiting for its
// silence, and a drop rule with traffic to miss, are never idle.
func (s *ruleState) idle() bool {
	if s.total != 0 {
		return false
	}
	switch {
	case s.rule.Type == Absence:
		return s.state == stateFiring || !s.seen
	case s.rule.Baseline != nil && s.rule.Baseline.Down:
		return s.state == stateFiring || s.state == stateInactive && s.bMean < s.rule.Baseline.Floor
	}
	return s.state == stateInactive
}

var stateNames = [...]string{stateInactive: "inactive", statePending: "pending", stateFiring: "firing"}

// trace reports an evaluation to Options.Trace.
func (s *ruleState) trace(at time.Time, v, th float64, why string) {
	ev := Evaluation{
		Rule: s.rule.Name, Time: at, Value: round(v), Threshold: th, Unit: s.rule.unit(),
		Down: s.rule.Baseline != nil && s.rule.Baseline.Down, Count: s.total,
		State: stateNames[s.state], Why: why,
	}
	if s.rule.Baseline != nil {
		ev.Baseline, ev.Spread = round(s.bMean), round(math.Sqrt(s.bVar))
	}
	if s.rule.GroupBy != nil && s.total > 0 && !s.opts.TraceValuesOnly {
		ev.Keys = s.topKeys(3)
	}
	s.opts.Trace(ev)
}
