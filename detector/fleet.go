package detector

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// A fleet of sentinels behind one load balancer sees one site through
// shared counters (the fleet package keeps them in Redis). Two seams here
// serve it: each node's engine hands over what a fleet rule counted in
// every bucket as the bucket completes ([Delta], through Options.Delta),
// and one node evaluates the fleet rules over the shared windows with the
// same conditions, baselines and alerts as the engine ([Remote]).

// Delta is what a fleet rule counted in one complete bucket of one node's
// log: the counts to add to the fleet's, the hashes of the distinct
// values seen (a HyperLogLog of the fleet's window takes them as they
// are), and the bucket's busiest keys.
type Delta struct {
	Rule string
	// Bucket is the bucket's number (event time / Width), the same on
	// every node for the same stretch of time.
	Bucket int64
	Start  time.Time
	Width  time.Duration
	Count  uint64
	// Hits are the events that passed a ratio rule's Of filter.
	Hits uint64
	// Hashes are the 64-bit hashes of the distinct values of the rule's
	// distinct field, at most MaxDeltaHashes; Dropped counts the bucket's
	// events after those (their values may or may not be among them).
	Hashes  []uint64
	Dropped uint64
	// Keys are the bucket's busiest group_by keys (a ratio rule's: by
	// their hits), at most the engine's TopN times 4, with their
	// Space-Saving counts.
	Keys []alert.KeyCount
	// Cold, Rush and Of are the rule's evidence (critical_when) in the
	// bucket: its events from addresses that loaded no page first on this
	// node, those and the ones posted within pauseMin of the address's
	// first page (no_pause), and the events that passed critical_when's
	// share.of (log-in posts, counted whether or not the rule counted
	// them). 0 without.
	Cold, Rush, Of uint64
	// All is every event the node counted in the bucket's steps, whatever
	// the rule counts (all the requests), for a rule that follows the
	// traffic (Baseline.FollowTraffic); 0 for another.
	All uint64
	// Agents are the hashes of the bucket's user agents, at most
	// MaxDeltaHashes, and App its events from a native app's HTTP stack,
	// for critical_when's clients_per_agent of a rule whose distinct
	// field is client_ip.
	Agents []uint64
	App    uint64
}

// MaxDeltaHashes bounds the distinct values a delta carries.
const MaxDeltaHashes = 16384

// BucketWidth returns the width of the rule's window buckets at a
// resolution: the Width of its deltas, and how often it is evaluated.
func (r Rule) BucketWidth(resolution time.Duration) time.Duration {
	w, _ := bucketWidth(int64(r.Window / resolution))
	return time.Duration(w) * resolution
}

// fleetSlots keeps, per ring slot of a fleet rule, the hashes of its
// distinct values until the bucket completes.
type fleetSlots struct {
	hashes  [][]uint64
	seen    []hashSet
	dropped []uint64
	// spare are emptied tables of completed buckets, for the next: a
	// flood's tables are reused, not grown again every bucket, and only
	// the buckets filling at once hold one.
	spare [][]uint64
}

// maxSpare bounds the spare tables a rule keeps.
const maxSpare = 2

func newFleetSlots(n int) *fleetSlots {
	return &fleetSlots{hashes: make([][]uint64, n), seen: make([]hashSet, n), dropped: make([]uint64, n)}
}

// add notes a distinct value's hash in a slot, once, until the slot holds
// MaxDeltaHashes of them; past that, each event counts as dropped,
// whatever its value (a flood's bucket is full within a fraction of its
// events, which then cost a counter, not a probe). Until then it costs one
// probe of an open-addressing table, not a map access: it runs for every
// event of a fleet rule with a distinct field.
func (f *fleetSlots) add(slot int, h uint64) {
	if f.full(slot) {
		f.dropped[slot]++
		return
	}
	set := &f.seen[slot]
	if set.table == nil && len(f.spare) > 0 {
		set.table, f.spare = f.spare[len(f.spare)-1], f.spare[:len(f.spare)-1]
	}
	if added, _ := set.add(h, false); added {
		f.hashes[slot] = append(f.hashes[slot], h)
	}
}

// full reports whether a slot holds MaxDeltaHashes values: its other
// events count as dropped.
func (f *fleetSlots) full(slot int) bool { return len(f.hashes[slot]) >= MaxDeltaHashes }

func (f *fleetSlots) take(slot int) ([]uint64, uint64) {
	h, d := f.hashes[slot], f.dropped[slot]
	f.hashes[slot], f.dropped[slot] = nil, 0
	set := &f.seen[slot]
	if len(set.table) > 256 && len(f.spare) < maxSpare {
		clear(set.table)
		f.spare = append(f.spare, set.table)
		set.table = nil
	}
	set.reset()
	return h, d
}

// hashSet is a set of 64-bit hashes (uniform already, so their low bits
// index the table): open addressing, linear probing, at most half full.
// Its table grows from 256 entries as values come.
type hashSet struct {
	table []uint64 // 0 marks an empty entry
	n     int
	zero  bool // the hash 0, which the table cannot hold
}

// add adds h unless full; it reports whether it did, and whether h was
// in the set already.
func (s *hashSet) add(h uint64, full bool) (added, present bool) {
	if h == 0 {
		switch {
		case s.zero:
			return false, true
		case full:
			return false, false
		}
		s.zero = true
		return true, false
	}
	if s.table == nil {
		if full {
			return false, false
		}
		s.table = make([]uint64, 256)
	}
	mask := uint64(len(s.table) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.table[i] {
		case h:
			return false, true
		case 0:
			if full {
				return false, false
			}
			s.table[i] = h
			s.n++
			if 2*s.n > len(s.table) {
				s.grow()
			}
			return true, false
		}
	}
}

func (s *hashSet) grow() {
	old := s.table
	s.table = make([]uint64, 2*len(old))
	mask := uint64(len(s.table) - 1)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := h & mask
		for s.table[i] != 0 {
			i = (i + 1) & mask
		}
		s.table[i] = h
	}
}

// reset empties the set; a large table is let go (the caller may keep
// it as a spare).
func (s *hashSet) reset() {
	if len(s.table) > 4096 {
		s.table = nil
	} else {
		clear(s.table)
	}
	s.n, s.zero = 0, false
}

// allIn returns every event the engine counted in the steps of the rule's
// bucket n, for a rule that follows the traffic; 0 for another.
func (s *ruleState) allIn(n int64) uint64 {
	if s.all == nil {
		return 0
	}
	all, _ := s.all.sum(n*s.w.width, (n+1)*s.w.width-1)
	return all
}

// delta builds the delta of ring slot slot's bucket, which just completed.
func (s *ruleState) delta(slot int) Delta {
	bk := &s.w.ring[slot]
	width := time.Duration(s.w.width) * s.opts.Resolution
	d := Delta{Rule: s.rule.Name, Bucket: bk.n, Start: time.Unix(0, bk.n*int64(width)).UTC(), Width: width, Count: bk.count}
	keys := bk.keys
	if s.bursts != nil && s.bursts.isBurst(&s.w, slot) {
		d.Count, keys = 0, nil // a burst's bucket counts nothing in the fleet either
	}
	if k, ok := s.k.(*ratio); ok {
		d.Hits = k.hits[slot]
		if hb := k.keyHits; hb != nil {
			// A ratio's alert names who fails (see ratio.fill).
			if keys = nil; hb.ring[slot].n == bk.n {
				keys = hb.ring[slot].keys
			}
		}
	}
	if s.fleet != nil {
		d.Hashes, d.Dropped = s.fleet.take(slot)
	}
	d.All = s.allIn(bk.n)
	if e := s.ev; e != nil {
		if e.cold != nil {
			d.Cold = e.cold[slot]
		}
		if e.rush != nil {
			d.Rush = e.rush[slot]
		}
		if e.fleetAgents != nil {
			d.Agents, _ = e.fleetAgents.take(slot)
			d.App = e.app[slot]
		}
		if e.of != nil {
			d.Of = e.of[slot]
		}
	}
	if keys != nil && bk.count > 0 {
		for _, e := range keys.Top(4 * s.opts.TopN) {
			d.Keys = append(d.Keys, alert.KeyCount{Key: e.Key, Count: e.Count, Error: e.Err})
		}
	}
	return d
}

// Measure is a fleet rule's window as the shared counters give it, at one
// boundary: what the engine measures on its own window.
type Measure struct {
	// Value is in the rule's unit: events per second, distinct values, or
	// a share.
	Value    float64
	Count    uint64 // events in the window
	Hits     uint64 // events that passed a ratio rule's Of filter
	Recent   uint64 // Hits in the newest third of the steps: a share starts firing only while they go on
	Distinct uint64 // distinct values of the rule's distinct field
	Keys     []alert.KeyCount
	// Cold, Rush and Of are the window's sums of the deltas': the
	// evidence's cold, no_pause and share signs, the share floors and
	// warmup_share read them.
	Cold, Rush, Of uint64
	// Agents is the window's distinct user agents and App its events from
	// a native app's HTTP stack, for clients_per_agent (against Distinct,
	// the window's client addresses).
	Agents, App uint64
	// All is the window's sum of the deltas' All: the fleet's requests,
	// for a rule that follows the traffic.
	All uint64
	// Current is a rate rule's rate in the newest bucket of the window
	// alone, in events per second (see alert.Alert.Current).
	Current float64
}

// remoteKind is the kind of a rule evaluated by [Remote]: its value is
// the measure given for the boundary.
type remoteKind struct {
	basicKind
	s     *ruleState
	unit_ alert.Unit
	m     Measure
	// normal is a ratio rule's normal share (Rule.Chance), learned from
	// the measures; nil without Chance.
	normal *shareNormal
}

func (k *remoteKind) unit() alert.Unit        { return k.unit_ }
func (k *remoteKind) value(time.Time) float64 { return k.m.Value }

func (k *remoteKind) ready() (bool, string) {
	if min := k.s.rule.MinEvents; k.s.rule.Type == Ratio && k.m.Count < min {
		return false, fmt.Sprintf("%d events, under min_events %d", k.m.Count, min)
	}
	if k.s.rule.Type == Ratio && k.s.state != stateFiring && !k.s.down() && k.m.Hits > 0 && k.m.Recent == 0 {
		return false, "no hit in the newest third of the window (the hits have stopped)"
	}
	if k.normal != nil && k.s.state != stateFiring && k.m.Count > 0 && float64(k.m.Hits)/float64(k.m.Count) >= k.s.rule.Threshold {
		if likely, why := k.normal.likely(k.m.Hits, k.m.Count, k.s.rule.Chance); likely {
			return false, why
		}
	}
	return true, ""
}

func (k *remoteKind) learnShare(st state) {
	if k.normal != nil {
		learnShare(k.normal, st, k.m.Hits, k.m.Count, k.s.rule.MinEvents, k.s.rule.Threshold)
	}
}

func (k *remoteKind) fill(a *alert.Alert) {
	a.Count, a.Hits = k.m.Count, k.m.Hits
	if k.s.rule.GroupBy != nil {
		a.Keys = slices.Clone(k.m.Keys)
		if len(a.Keys) > k.s.opts.TopN {
			a.Keys = a.Keys[:k.s.opts.TopN]
		}
	}
	switch {
	case k.s.rule.Type == Distinct:
		a.DistinctOf = k.s.rule.Field.Name
	case k.s.rule.DistinctOf != nil:
		a.DistinctOf = k.s.rule.DistinctOf.Name
	}
	a.Distinct = k.m.Distinct
	if k.unit_ == alert.PerSecond {
		a.Current = round(k.m.Current)
	}
	if a.Keys == nil {
		a.Keys = []alert.KeyCount{}
	}
}

// Remote evaluates rules over windows measured elsewhere: the fleet's
// shared counters. Each rule has the engine's condition, state (for:,
// clear, peak), learned baseline, evidence (the cold, no_pause, share and
// clients-per-agent signs, from the measure) and alert, but no window of
// its own.
// A Remote is not safe for concurrent use.
type Remote struct {
	opts   Options
	rules  map[string]*ruleState
	order  []string
	attack attackClock // as the engine's: the fleet's drop rules do not learn an attack in their warm-up
}

// NewRemote returns a Remote for rules, which must be rate, distinct or
// ratio rules without per_key.
func NewRemote(rules []Rule, opts Options) (*Remote, error) {
	opts.fill()
	r := &Remote{opts: opts, rules: map[string]*ruleState{}}
	var errs []error
	for _, rule := range rules {
		if err := rule.Validate(opts.Resolution); err != nil {
			errs = append(errs, err)
			continue
		}
		if rule.PerKey || rule.Type == Absence {
			errs = append(errs, fmt.Errorf("rule %s: a fleet rule is a rate, distinct or ratio rule, not per key", rule.Name))
			continue
		}
		s := newRuleState(rule, &r.opts)
		unit := s.k.unit()
		rk := &remoteKind{s: s, unit_: unit}
		if r, ok := s.k.(*ratio); ok {
			rk.normal = r.normal // Chance: the fleet's window, learned as a node's
		}
		s.k = rk
		if s.base != nil && rule.Baseline.FollowTraffic {
			s.base.traffic = func() (float64, bool) { return float64(rk.m.All), true }
		}
		s.live, s.judge, s.distinct = nil, nil, nil
		if s.ev != nil {
			// The evidence's sums are the measure's (Evaluate sets them);
			// it keeps no slots.
			s.ev = &evidence{cfg: s.ev.cfg, s: s}
		}
		r.rules[rule.Name] = s
		r.order = append(r.order, rule.Name)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	states := make([]*ruleState, 0, len(r.order))
	for _, name := range r.order {
		states = append(states, r.rules[name])
	}
	r.attack.watch(states)
	return r, nil
}

// Evaluate applies rule's condition at boundary at to the measure of its
// shared window, and returns the transition it causes, if any. The first
// evaluation of a rule starts its warm-up.
func (r *Remote) Evaluate(rule string, at time.Time, m Measure) (alert.Alert, bool, error) {
	s := r.rules[rule]
	if s == nil {
		return alert.Alert{}, false, fmt.Errorf("no fleet rule %q", rule)
	}
	if s.start.IsZero() {
		s.start = at
	}
	s.k.(*remoteKind).m = m
	// The shared window's events, as the engine's window would count
	// them: a ratio's binomial noise and its min_events hold, and the
	// evidence's shares, read them.
	s.w.total = m.Count
	if s.ev != nil {
		s.ev.sumC, s.ev.sumR, s.ev.sumOf, s.ev.sumA = min(m.Cold, m.Count), min(m.Rush, m.Count), m.Of, min(m.App, m.Count)
		s.ev.remote = &s.k.(*remoteKind).m
	}
	a, ok := s.evaluate(at)
	r.attack.note(s, at.UnixNano())
	return a, ok, nil
}

// Firing returns the rules firing now.
func (r *Remote) Firing() []string {
	var out []string
	for _, name := range r.order {
		if r.rules[name].state == stateFiring {
			out = append(out, name)
		}
	}
	return out
}

// Snapshot returns the rules' states (condition, peak, baseline), to be
// kept where another node can take over from them.
func (r *Remote) Snapshot() ([]RuleSnapshot, error) {
	out := make([]RuleSnapshot, 0, len(r.order))
	for _, name := range r.order {
		rs, err := r.rules[name].snapshot()
		if err != nil {
			return nil, err
		}
		out = append(out, rs)
	}
	return out, nil
}

// Restore loads rule states a Snapshot took, by rule name and fingerprint;
// it returns the names of the rules restored.
func (r *Remote) Restore(snaps []RuleSnapshot) ([]string, error) {
	var restored []string
	for i := range snaps {
		rs := &snaps[i]
		s := r.rules[rs.Name]
		if s == nil || rs.Fingerprint == "" || rs.Fingerprint != s.rule.Fingerprint {
			continue
		}
		if err := s.restore(rs); err != nil {
			return restored, fmt.Errorf("rule %s: %w", rs.Name, err)
		}
		if !s.since.IsZero() {
			r.attack.note(s, s.since.UnixNano()) // restored active: an attack alerted, as the engine's restore notes
		}
		restored = append(restored, rs.Name)
	}
	return restored, nil
}

// Measures returns each rule's measures at its last evaluation, at
// boundary at: what an incident's notification shows while the rule
// fires (the fleet's rate, not one node's). A rate rule's distinct count
// and the top keys, read only for transitions, are left out (nil), so
// that a notification keeps those of the transition. Rules never
// evaluated are left out.
func (r *Remote) Measures(at time.Time) []alert.Alert {
	out := make([]alert.Alert, 0, len(r.order))
	for _, name := range r.order {
		s := r.rules[name]
		if s.start.IsZero() {
			continue
		}
		k := s.k.(*remoteKind)
		th, _, _ := s.threshold(at)
		a := alert.Alert{Rule: name, Value: round(k.m.Value), Threshold: th, Count: k.m.Count, Hits: k.m.Hits}
		if k.unit_ == alert.PerSecond {
			a.Current = round(k.m.Current)
		}
		if s.rule.Type == Distinct {
			a.DistinctOf, a.Distinct = s.rule.Field.Name, k.m.Distinct
		}
		if s.base != nil {
			a.Baseline, a.Spread = round(s.base.mean), round(s.base.spread())
		}
		if s.state == stateFiring && s.peakSet {
			a.Peak = round(s.peak)
		}
		out = append(out, a)
	}
	return out
}
