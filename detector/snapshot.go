package detector

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// SnapshotVersion is the format of [Snapshot]. Restore also reads version
// 1, whose distinct values were a sketch per bucket: those start empty
// (a rule's window of them, at most), the rest of the state is kept.
const SnapshotVersion = 2

// Snapshot is an engine's state: its clock and, per rule, the window's
// buckets, the learned baseline and whether it fires. The daemon saves one
// at shutdown and at intervals, so that a restart neither forgets a burst
// in progress nor sends its alert again, and a reload keeps the windows of
// the rules it did not change. It encodes as JSON (sketches as bytes).
type Snapshot struct {
	Version   int            `json:"version"`
	Started   bool           `json:"started"`
	Cur       int64          `json:"cur"`
	Watermark time.Time      `json:"watermark"`
	Events    uint64         `json:"events"`
	Late      uint64         `json:"late"`
	OutRange  uint64         `json:"out_of_range"`
	Future    uint64         `json:"future,omitempty"`
	Rules     []RuleSnapshot `json:"rules"`
}

// RuleSnapshot is one rule's part of a [Snapshot].
type RuleSnapshot struct {
	Name         string           `json:"name"`
	Fingerprint  string           `json:"fingerprint"` // the rule's definition: state is restored only into the same rule
	Last         int64            `json:"last"`
	Buckets      []BucketSnapshot `json:"buckets"`
	State        string           `json:"state"`
	PendingSince time.Time        `json:"pending_since"`
	Since        time.Time        `json:"since"`
	Start        time.Time        `json:"start"`
	LastSeen     time.Time        `json:"last_seen"`
	Seen         bool             `json:"seen"`
	Peak         float64          `json:"peak"`
	PeakSet      bool             `json:"peak_set"`
	BInit        bool             `json:"baseline_init"`
	BPeople      bool             `json:"baseline_people,omitempty"` // Baseline.ShareFloor: people's failures learned (learned.people)
	BDip         YoungDip         `json:"baseline_dip,omitzero"`     // a drop rule's values under its floor in its warm-up (WarmupFactor)
	BN           float64          `json:"baseline_n"`
	BMean        float64          `json:"baseline_mean"`
	BVar         float64          `json:"baseline_var"`
	// BTrafficMean and BTrafficN are the requests' normal over the window
	// of a rule that follows the traffic (Baseline.FollowTraffic),
	// BTrafficLast the latest count of them, BTrafficEpisode the scale
	// its episode began with (0: inactive).
	BTrafficMean    float64 `json:"baseline_traffic_mean,omitempty"`
	BTrafficN       float64 `json:"baseline_traffic_n,omitempty"`
	BTrafficLast    float64 `json:"baseline_traffic_last,omitempty"`
	BTrafficEpisode float64 `json:"baseline_traffic_episode,omitempty"`
	// BDaily is the last day's peaks of a rule that knows what recurs
	// daily (Baseline.RecurringDaily).
	BDaily *DailySnapshot `json:"baseline_daily,omitempty"`
	// BLulls is a drop rule's longest lulls of its last minutes
	// (Baseline.LullFactor).
	BLulls     []Lull         `json:"baseline_lulls,omitempty"`
	Ticks      uint64         `json:"ticks"`
	Matched    uint64         `json:"matched"`
	LateEvents uint64         `json:"late"`
	Firings    uint64         `json:"firings"`
	FiredAs    alert.Severity `json:"fired_as,omitempty"`
	// ClearSince is when a firing rule's value went clear, for
	// keep_firing_for; ShareFloored that its share floor holds for the
	// episode (Baseline.ShareFloor).
	ClearSince   time.Time `json:"clear_since,omitzero"`
	ShareFloored bool      `json:"share_floored,omitempty"`
	// LiveThreshold is the level a matching event's live value was
	// compared with as of the last boundary (a crossing fires on the
	// event, not at the next boundary); nil when there was none (a
	// baseline that had learned nothing, or a state file written before
	// it was kept: the crossing then waits for the next boundary).
	LiveThreshold *float64 `json:"live_threshold,omitempty"`
	// KeyNormals are the learned normals of a per-key baseline's keys.
	KeyNormals []KeyNormal `json:"key_normals,omitempty"`
	// ShareHits and ShareEvents are the decayed sums of a ratio rule's
	// normal share (Rule.Chance).
	ShareHits   float64 `json:"share_hits,omitempty"`
	ShareEvents float64 `json:"share_events,omitempty"`
	// ShareClusters are the decayed counts of a site-wide ratio's clusters
	// of hits by size, 1 to 16, 17 to 32, 33 and more (Rule.Chance).
	ShareClusters []float64 `json:"share_clusters,omitempty"`
	// ClustersBusy is the newest bucket at whose boundary the rule was
	// not inactive, while the window may hold it: the clusters of its
	// hits then are not learned.
	ClustersBusy *int64 `json:"clusters_busy,omitempty"`
	// KeyShares are a per-key ratio's keys' own normal shares
	// (Rule.Chance).
	KeyShares []KeyShare `json:"key_shares,omitempty"`
	// Distinct is the window's distinct values (a distinct rule's, or its
	// DistinctOf): a slidinghll.Window's encoding.
	Distinct []byte `json:"distinct,omitempty"`
	// Agents and Clients are the user agents and client addresses of a
	// rule's clients_per_agent evidence (Clients only when the rule does
	// not count client addresses itself): slidinghll.Window encodings.
	Agents  []byte `json:"agents,omitempty"`
	Clients []byte `json:"clients,omitempty"`
}

// BucketSnapshot is one bucket of a rule's window.
type BucketSnapshot struct {
	N      int64            `json:"n"`
	Count  uint64           `json:"count"`
	Hits   uint64           `json:"hits,omitempty"`
	Merged bool             `json:"merged"`
	Keys   []alert.KeyCount `json:"keys,omitempty"`
	// Cold and Of are a rule's evidence: events from cold addresses, and
	// events of the block its share is of.
	Cold uint64 `json:"cold,omitempty"`
	Of   uint64 `json:"of,omitempty"`
	// Rush is a no_pause evidence's events: cold, or posted without a
	// person's pause.
	Rush uint64 `json:"rush,omitempty"`
	// App is a clients_per_agent evidence's events from a native app's
	// HTTP stack.
	App uint64 `json:"app,omitempty"`
	// HitKeys are a per-key ratio's keys of the events that passed Of.
	HitKeys []alert.KeyCount `json:"hit_keys,omitempty"`
	// HitClients are the clients of a site-wide ratio's hits (Rule.Chance):
	// hashes of their client_ip.
	HitClients []uint64 `json:"hit_clients,omitempty"`
	// OfKeys are a per-key rule's keys of its evidence's share.of events
	// (Baseline.KeyOrdinaryShare).
	OfKeys []alert.KeyCount `json:"of_keys,omitempty"`
	// Burst: the bucket is a burst's, out of the rule's value (YieldTo).
	Burst bool `json:"burst,omitempty"`
}

// Snapshot returns the engine's state. A first event still waiting for a
// second (see [Engine.Observe]) is counted first.
func (e *Engine) Snapshot() (*Snapshot, error) {
	if !e.started {
		// A first event waiting for its second is counted now, so that a
		// restart does not lose it (its position is saved past it).
		e.release()
	}
	e.sync()
	snap := &Snapshot{Version: SnapshotVersion, Started: e.started, Cur: e.cur, Watermark: e.watermark,
		Events: e.events, Late: e.late, OutRange: e.outRange, Future: e.future}
	for _, r := range e.rules {
		rs, err := r.snapshot()
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.rule.Name, err)
		}
		snap.Rules = append(snap.Rules, rs)
	}
	return snap, nil
}

// ErrSnapshotVersion is returned by Restore for a snapshot of another
// format.
var ErrSnapshotVersion = errors.New("snapshot of another version")

// Restore loads a snapshot into a new engine (one that has seen no event).
// Rules are matched by name and fingerprint: a rule whose definition
// changed, or a new rule, starts empty. It returns the names of the rules
// restored.
//
// Top-offender counts are restored at their guaranteed lower bound (a
// Space-Saving summary cannot be rebuilt with its error bounds), so a key
// never looks busier after a restart than it was.
func (e *Engine) Restore(snap *Snapshot) ([]string, error) {
	if snap.Version != SnapshotVersion && snap.Version != 1 {
		return nil, fmt.Errorf("%w: %d, want %d", ErrSnapshotVersion, snap.Version, SnapshotVersion)
	}
	if e.started {
		return nil, errors.New("restore into an engine that has already seen events")
	}
	e.started, e.cur, e.watermark = snap.Started, snap.Cur, snap.Watermark
	if e.started {
		e.wmNs = snap.Watermark.UnixNano()
	}
	e.events, e.late, e.outRange, e.future = snap.Events, snap.Late, snap.OutRange, snap.Future
	if e.warm != nil {
		e.warm.restored = e.started
	}
	if e.all != nil {
		e.all.restored = e.started
	}
	byName := map[string]*RuleSnapshot{}
	for i := range snap.Rules {
		byName[snap.Rules[i].Name] = &snap.Rules[i]
	}
	for _, f := range e.feeds {
		if !f.keepOnRestore(byName) {
			f.detach()
		}
	}
	var restored []string
	for i, r := range e.rules {
		rs := byName[r.rule.Name]
		if rs == nil || rs.Fingerprint != r.rule.Fingerprint || rs.Fingerprint == "" {
			if e.started {
				r.start = e.watermark // a new or changed rule warms up from now
				r.open(r.w.bucketOf(e.cur))
			}
			continue
		}
		if err := r.restore(rs); err != nil {
			return restored, fmt.Errorf("rule %s: %w", r.rule.Name, err)
		}
		e.noteActive(i, e.wmNs) // its overlaps count afresh
		restored = append(restored, r.rule.Name)
	}
	return restored, nil
}

// snapshot returns the rule's state.
func (s *ruleState) snapshot() (RuleSnapshot, error) {
	rs := RuleSnapshot{
		Name: s.rule.Name, Fingerprint: s.rule.Fingerprint, Last: s.w.last, State: stateNames[s.state],
		PendingSince: s.pendingSince, Since: s.since, Start: s.start, LastSeen: s.lastSeen, Seen: s.seen,
		Peak: s.peak, PeakSet: s.peakSet, Ticks: s.ticks, Matched: s.matched, LateEvents: s.late, Firings: s.firings, FiredAs: s.firedAs,
		ClearSince: s.clearSince, ShareFloored: s.shareFloored,
	}
	if l := s.base; l != nil {
		rs.BInit, rs.BN, rs.BMean, rs.BVar, rs.BPeople, rs.BDip = l.init, l.n, l.mean, l.vr, l.people, l.dip
		rs.BTrafficMean, rs.BTrafficN, rs.BTrafficLast, rs.BTrafficEpisode = l.tmean, l.tn, l.tlast, l.tep
		if l.daily != nil {
			rs.BDaily = l.daily.snapshot()
		}
		if l.lulls != nil {
			rs.BLulls = l.lulls.snapshot()
		}
	}
	if k, ok := s.k.(perKeyLearned); ok {
		rs.BN, rs.KeyNormals = k.norms.ticks, k.norms.snapshot()
	}
	if n := s.shareNormal(); n != nil {
		rs.ShareHits, rs.ShareEvents = n.hits, n.events
		if slices.ContainsFunc(n.sizes[:], func(v float64) bool { return v > 0 }) {
			rs.ShareClusters = slices.Clone(n.sizes[:])
		}
	}
	if k, ok := s.k.(*ratio); ok && k.clusters != nil && s.w.started() && k.clusters.busy >= s.w.last-s.w.nb {
		busy := k.clusters.busy
		rs.ClustersBusy = &busy
	}
	if k, ok := s.k.(*ratio); ok && k.keyShares != nil && len(k.keyShares.m) > 0 {
		rs.KeyShares = k.keyShares.snapshot()
	}
	if s.live != nil && !math.IsInf(s.liveTh, 0) && !math.IsNaN(s.liveTh) {
		th := s.liveTh
		rs.LiveThreshold = &th
	}
	if !s.w.started() {
		return rs, nil
	}
	saver, _ := s.k.(slotSaver)
	for i := range s.w.ring {
		bk := &s.w.ring[i]
		if bk.count == 0 && !bk.side || bk.n < s.w.last-s.w.nb {
			continue
		}
		bs := BucketSnapshot{N: bk.n, Count: bk.count, Merged: bk.merged}
		if bk.keys != nil {
			bk.keys.Each(func(key []byte, count, err uint64) {
				bs.Keys = append(bs.Keys, alert.KeyCount{Key: string(key), Count: count, Error: err})
			})
		}
		if saver != nil {
			if err := saver.saveSlot(i, &bs); err != nil {
				return rs, err
			}
		}
		if s.ev != nil {
			s.ev.saveSlot(i, &bs)
		}
		bs.Burst = s.bursts != nil && s.bursts.isBurst(&s.w, i)
		rs.Buckets = append(rs.Buckets, bs)
	}
	if s.distinct != nil {
		b, err := s.distinct.save()
		if err != nil {
			return rs, err
		}
		rs.Distinct = b
	}
	if s.ev != nil {
		if err := s.ev.save(&rs); err != nil {
			return rs, err
		}
	}
	return rs, nil
}

func (s *ruleState) restore(rs *RuleSnapshot) error {
	w := &s.w
	if rs.Last != math.MinInt64 {
		s.open(rs.Last) // a window that has seen nothing: a reset
	}
	saver, _ := s.k.(slotSaver)
	for _, bs := range rs.Buckets {
		if bs.N < rs.Last-w.nb || bs.N > rs.Last {
			continue // the window's width changed: out of the ring
		}
		i := int(mod(bs.N, int64(len(w.ring))))
		bk := &w.ring[i]
		w.restoreBucket(bs.N, bs.Keys, false)
		bk.count = bs.Count // events without a key too
		w.total += bs.Count
		if saver != nil {
			if err := saver.loadSlot(i, &bs); err != nil {
				return err
			}
		}
		if s.ev != nil {
			s.ev.loadSlot(i, &bs)
		}
		if bs.Burst && s.bursts != nil {
			s.bursts.mark(w, i)
		}
		if bs.Merged {
			w.complete(bk)
		}
	}
	if s.distinct != nil {
		if err := s.distinct.load(rs.Distinct); err != nil {
			return err
		}
	}
	if s.ev != nil {
		if err := s.ev.load(rs); err != nil {
			return err
		}
	}
	for i, name := range stateNames {
		if name == rs.State {
			s.state = state(i)
		}
	}
	s.pendingSince, s.since, s.start, s.lastSeen, s.seen = rs.PendingSince, rs.Since, rs.Start, rs.LastSeen, rs.Seen
	if rs.Seen {
		s.lastSeenNs = rs.LastSeen.UnixNano()
	}
	s.peak, s.peakSet, s.ticks = rs.Peak, rs.PeakSet, rs.Ticks
	if l := s.base; l != nil {
		l.init, l.n, l.mean, l.vr, l.people, l.dip = rs.BInit, rs.BN, rs.BMean, rs.BVar, rs.BPeople, rs.BDip
		l.tmean, l.tn, l.tlast, l.tep = rs.BTrafficMean, rs.BTrafficN, rs.BTrafficLast, rs.BTrafficEpisode
		if l.daily != nil {
			l.daily.restore(rs.BDaily)
		}
		if l.lulls != nil {
			l.lulls.restore(rs.BLulls)
		}
	}
	if k, ok := s.k.(perKeyLearned); ok {
		if err := k.norms.restore(rs.BN, rs.KeyNormals); err != nil {
			return err
		}
	}
	if n := s.shareNormal(); n != nil && rs.ShareEvents >= 0 && rs.ShareHits >= 0 && rs.ShareHits <= rs.ShareEvents {
		n.hits, n.events = rs.ShareHits, rs.ShareEvents
	}
	if n := s.shareNormal(); n != nil && len(rs.ShareClusters) == clusterBins && !slices.ContainsFunc(rs.ShareClusters, func(v float64) bool { return !(v >= 0) }) {
		copy(n.sizes[:], rs.ShareClusters)
	}
	if k, ok := s.k.(*ratio); ok && k.clusters != nil {
		switch {
		case s.state != stateInactive:
			k.clusters.busy = s.w.last // the clusters restored are the episode's
		case rs.ClustersBusy != nil:
			k.clusters.busy = *rs.ClustersBusy
		}
	}
	if k, ok := s.k.(*ratio); ok && k.keyShares != nil {
		k.keyShares.restore(rs.KeyShares)
	}
	s.matched, s.late, s.firings, s.firedAs = rs.Matched, rs.LateEvents, rs.Firings, rs.FiredAs
	if s.live != nil && rs.LiveThreshold != nil {
		s.liveTh = *rs.LiveThreshold
	}
	if s.state == stateFiring {
		s.clearSince, s.shareFloored = rs.ClearSince, rs.ShareFloored
	}
	return nil
}

// RuleView is a rule's state for the status API and for notifications:
// what it measures now.
type RuleView struct {
	Name      string
	Severity  alert.Severity
	State     string // inactive, pending or firing
	Value     float64
	Threshold float64 // +Inf while a baseline has learned nothing
	Unit      alert.Unit
	Down      bool
	Baseline  float64
	Spread    float64
	Since     time.Time // when the condition started holding, if it does
	Keys      []alert.KeyCount
	// Current is a rate rule's rate in its newest complete bucket (the
	// rate now; the window's average lags a burst's first seconds); 0 for
	// other kinds.
	Current float64
	Count   uint64 // matching events in the window
	Hits    uint64 // of them, those a ratio rule's numerator matched
	PerKey  bool   // Value is the busiest key's rate
	GroupBy string // the field Keys are values of
	// DistinctOf and Distinct are the distinct values of a field in the
	// window (a distinct rule's field, or a rule's distinct:).
	DistinctOf string
	Distinct   uint64
	// Peak is the highest value of the episode while the rule fires (the
	// lowest, going down).
	Peak float64
	// Learning says why a baseline rule cannot decide yet ("warm-up:
	// 12m0s left"); "" once it can, and for rules with a fixed threshold.
	Learning string
}

// View returns every rule's state at the newest event time. It computes
// the exact measures (distinct estimates included), so it is meant for a
// status page and for the notifications of open incidents (about once a
// second), not for every event.
func (e *Engine) View() []RuleView {
	e.sync()
	var out []RuleView
	for _, r := range e.rules {
		v := RuleView{Name: r.rule.Name, Severity: r.rule.Severity, State: stateNames[r.state], Unit: r.k.unit(),
			Down: r.down(), Keys: []alert.KeyCount{}}
		th, ready, why := r.threshold(e.watermark)
		value := r.k.value
		if r.judge != nil { // a per-key baseline: the worst key, against its own normal
			var jv float64
			jv, th, ready, why = r.judge.judge(e.watermark)
			value = func(time.Time) float64 { return jv }
		}
		v.Threshold = th
		if !ready && r.rule.Baseline != nil {
			v.Learning = why
		}
		if e.started {
			v.Value = round(value(e.watermark))
			v.Count = r.w.total
			var a alert.Alert
			r.k.fill(&a)
			v.Current, v.Hits, v.PerKey = a.Current, a.Hits, a.PerKey
			if r.rule.GroupBy != nil {
				v.GroupBy = r.rule.GroupBy.Name
				v.Keys = r.w.topKeys(3)
			}
			if r.distinct != nil {
				v.DistinctOf = r.distinct.field.Name
				if r.w.total > 0 {
					v.Distinct = r.distinct.estimate()
				}
			}
		}
		if r.base != nil {
			v.Baseline, v.Spread = round(r.base.mean), round(r.base.spread())
		}
		switch r.state {
		case stateFiring:
			v.Since = r.since
			if r.peakSet {
				v.Peak = round(r.peak)
			}
		case statePending:
			v.Since = r.pendingSince
		}
		out = append(out, v)
	}
	return out
}
