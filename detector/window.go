package detector

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/axiomhq/hyperloglog"

	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/parsers"
)

// bucket is one resolution-wide slice of a rule's window.
type bucket struct {
	n     int64 // bucket number (event time / resolution)
	count uint64
	keys  *SpaceSaving        // group_by keys; nil without group_by
	hll   *hyperloglog.Sketch // distinct values; nil when not counted
}

type state uint8

const (
	stateInactive state = iota
	statePending
	stateFiring
)

// ruleState is a rule's sliding window: a ring of buckets covering the
// window plus the bucket being filled, the running total, and the sum of
// the buckets' key summaries. Memory is bounded by the ring length times
// the per-bucket Space-Saving capacity, whatever the traffic.
type ruleState struct {
	rule     Rule
	opts     *Options
	ring     []bucket
	nb       int64 // buckets per window
	last     int64 // newest bucket opened
	total    uint64
	keys     *Counter // Σ of the ring's bucket summaries; nil without group_by
	distinct *Field   // field counted in per-bucket sketches, if any
	merged   *hyperloglog.Sketch

	state        state
	pendingSince time.Time
	since        time.Time
	peak         float64
	matched      uint64
	firings      uint64

	samples    [][]byte // ring of recent matching lines
	nextSample int
}

func newRuleState(r Rule, opts *Options) *ruleState {
	nb := int64(r.Window / opts.Resolution)
	s := &ruleState{rule: r, opts: opts, nb: nb, ring: make([]bucket, nb+1), last: math.MinInt64}
	if r.Clear == 0 {
		s.rule.Clear = DefaultClear
	}
	switch {
	case r.Type == Distinct:
		s.distinct = r.Field
	case r.DistinctOf != nil:
		s.distinct = r.DistinctOf
	}
	for i := range s.ring {
		if r.GroupBy != nil {
			s.ring[i].keys = NewSpaceSaving(opts.KeysPerBucket)
		}
		if s.distinct != nil {
			s.ring[i].hll = hyperloglog.New14()
		}
	}
	if r.GroupBy != nil {
		s.keys = NewCounter(len(s.ring) * opts.KeysPerBucket)
	}
	if s.distinct != nil {
		s.merged = hyperloglog.New14()
	}
	s.samples = make([][]byte, 0, opts.Samples)
	return s
}

// open makes bucket n the newest, expiring the buckets that fall out of
// the ring.
func (s *ruleState) open(n int64) {
	if n <= s.last {
		return
	}
	first := s.last + 1
	if s.last == math.MinInt64 || n-s.last >= int64(len(s.ring)) {
		first = n - int64(len(s.ring)) + 1
	}
	for b := first; b <= n; b++ {
		s.expire(&s.ring[mod(b, int64(len(s.ring)))], b)
	}
	s.last = n
}

// expire empties a bucket and relabels it n.
func (s *ruleState) expire(bk *bucket, n int64) {
	if bk.count > 0 {
		s.total -= bk.count
		if bk.keys != nil {
			bk.keys.Each(func(key []byte, count, err uint64) { s.keys.Sub(key, count, err) })
			bk.keys.Reset()
		}
		if bk.hll != nil {
			bk.hll.Reset()
		}
		bk.count = 0
	}
	bk.n = n
}

// add counts ev, which passed the filter, into bucket n.
func (s *ruleState) add(n int64, ev *parsers.Event) {
	bk := &s.ring[mod(n, int64(len(s.ring)))]
	if bk.n != n || n < s.last-s.nb {
		return // older than the window: nothing left to count it into
	}
	s.matched++
	bk.count++
	s.total++
	if bk.keys != nil {
		key := s.rule.GroupBy.get(ev)
		if key == nil {
			key = noKey
		}
		if ev, did := bk.keys.Add(key); did {
			s.keys.Sub(ev.Key, ev.Count, ev.Err)
			s.keys.Add(key, ev.Count+1, ev.Count)
		} else {
			s.keys.Add(key, 1, 0)
		}
	}
	if bk.hll != nil {
		if v := s.distinct.get(ev); v != nil {
			bk.hll.Insert(v)
		}
	}
	if bk.count <= uint64(s.opts.Samples) && ev.Raw != nil {
		s.sample(ev.Raw)
	}
}

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
// window. When the answer cannot reach bound it may return any value
// below bound without computing the costly part (the busiest key, the
// distinct estimate).
func (s *ruleState) value(bound float64) float64 {
	secs := s.rule.Window.Seconds()
	switch {
	case s.rule.Type == Distinct:
		if float64(s.total) < bound {
			return float64(s.total) // distinct ≤ events
		}
		return float64(s.estimate())
	case s.rule.PerKey:
		if float64(s.total)/secs < bound {
			return float64(s.total) / secs
		}
		return float64(s.busiestKey()) / secs
	default:
		return float64(s.total) / secs
	}
}

// busiestKey returns the highest guaranteed count of a key in the window:
// Space-Saving's count minus its error bound, so that the sketch's
// overestimate never makes a rule fire.
func (s *ruleState) busiestKey() uint64 {
	var best uint64
	s.keys.Each(func(_ []byte, count, err uint64) {
		best = max(best, count-min(err, count))
	})
	return best
}

// estimate merges the window's sketches and estimates the distinct count.
func (s *ruleState) estimate() uint64 {
	s.merged.Reset()
	for i := range s.ring {
		if s.ring[i].count > 0 {
			_ = s.merged.Merge(s.ring[i].hll) // same precision by construction
		}
	}
	return s.merged.Estimate()
}

// evaluate applies the rule's condition at a bucket boundary and returns
// the transition it causes, if any.
func (s *ruleState) evaluate(at time.Time) (alerts.Alert, bool) {
	th := s.rule.Threshold
	switch s.state {
	case stateInactive, statePending:
		v := s.value(th)
		if v < th {
			s.state = stateInactive
			return alerts.Alert{}, false
		}
		if s.state == stateInactive {
			s.state, s.pendingSince = statePending, at
		}
		if at.Sub(s.pendingSince) < s.rule.For {
			return alerts.Alert{}, false
		}
		s.state, s.since, s.peak = stateFiring, s.pendingSince, v
		s.firings++
		return s.alert(alerts.Firing, at, v), true
	default: // firing
		clear := th * s.rule.Clear
		v := s.value(clear)
		if v >= clear {
			s.peak = max(s.peak, v)
			return alerts.Alert{}, false
		}
		s.state = stateInactive
		return s.alert(alerts.Resolved, at, v), true
	}
}

func (s *ruleState) alert(st alerts.State, at time.Time, v float64) alerts.Alert {
	r := &s.rule
	a := alerts.Alert{
		Rule: r.Name, State: st, Time: at, Value: round(v), Threshold: r.Threshold,
		Unit: r.unit(), Severity: r.Severity, Description: r.Description,
		Since: s.since, Window: r.Window, Count: s.total, Peak: round(s.peak),
		Keys: []alerts.KeyCount{},
	}
	if r.Type == Rate && !r.PerKey {
		last := s.ring[mod(s.last-1, int64(len(s.ring)))]
		if last.n == s.last-1 {
			a.Current = round(float64(last.count) / s.opts.Resolution.Seconds())
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
func (s *ruleState) topKeys(n int) []alerts.KeyCount {
	keys := []alerts.KeyCount{}
	s.keys.Each(func(key []byte, count, err uint64) {
		keys = append(keys, alerts.KeyCount{Key: string(key), Count: count, Error: min(err, count)})
	})
	slices.SortFunc(keys, func(a, b alerts.KeyCount) int {
		if c := cmp.Compare(b.Count-b.Error, a.Count-a.Error); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return keys[:min(n, len(keys))]
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
