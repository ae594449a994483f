package detector

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// ratio is the [Ratio] kind: the share of the window's matching events
// that also pass the rule's Of filter (5xx among all requests).
//
// With PerKey, the share is each group_by key's own (5xx among one path's
// requests), with MinEvents counted per key, and the rule fires on the
// worst key whose share is at least twice the site's, and twice the other
// keys' while its failures last: one endpoint failing on a site whose
// overall share of errors stays low (when most of the site fails, every
// key does, and that is the site-wide rule's to say). The window's key
// summary counts each key's events; the kind keeps a second ring whose
// summaries count each key's hits.
//
// A site-wide ratio with group_by keeps that second ring too, for its
// alert's keys: the keys with the most hits (who fails, not who posts
// most), and after them those whose hits are people's (see peopleKey:
// one of their log-ins worked): an office's log-ins, the busiest of a
// distributed attack's window, fail a quarter of the time, a bot's
// nearly always.
type ratio struct {
	basicKind
	s    *ruleState
	hits []uint64 // per ring slot: events that passed Of
	sum  uint64   // Σ hits over the window

	keyHits *window // per key: hits, with group_by; nil without

	normal   *shareNormal // the rule's normal share, with Chance; nil without
	clusters *clusterSet  // the window's hits by client, with Chance site-wide; nil without
	// keyShares are the keys' own normal shares, with Chance per key; nil
	// without.
	keyShares *keyShares
}

func newRatio(s *ruleState) kind {
	k := &ratio{s: s, hits: make([]uint64, len(s.w.ring))}
	if s.rule.GroupBy != nil {
		steps := int64(s.rule.Window / s.opts.Resolution)
		hw := newWindow(steps, true, true, s.opts.KeysPerBucket, func(int) {})
		k.keyHits = &hw
	}
	if s.rule.Chance > 0 {
		k.normal = newShareNormal(s.rule.Window, time.Duration(s.w.width)*s.opts.Resolution, ruleCap(&s.rule))
		if !s.rule.PerKey {
			k.clusters = newClusterSet(len(s.w.ring))
		} else {
			k.keyShares = newKeyShares(time.Duration(s.w.width) * s.opts.Resolution)
		}
	}
	return k
}

func (k *ratio) opened(n int64) {
	if k.keyHits != nil {
		k.keyHits.open(n)
	}
}

func (k *ratio) unit() alert.Unit { return alert.Share }

func (k *ratio) add(slot int, ev *Event) {
	if k.s.rule.Of.Match(ev) {
		k.hits[slot]++
		k.sum++
		if k.clusters != nil {
			k.clusters.hit(slot, k.s.w.ring[slot].n, ev)
		}
		if k.keyHits != nil && k.s.key != nil {
			k.keyHits.add(k.s.w.ring[slot].n, k.s.key, ev, k.s.rule.GroupBy)
		}
	}
}

func (k *ratio) expired(slot int) {
	k.sum -= k.hits[slot]
	k.hits[slot] = 0
	if k.clusters != nil {
		k.clusters.expired(slot, k.normal)
	}
	if k.keyShares != nil {
		k.learnBucket(slot)
	}
}

func (k *ratio) value(time.Time) float64 {
	if k.s.rule.PerKey {
		share, _ := k.worst(1)
		return share
	}
	if k.s.w.total == 0 {
		return 0
	}
	return float64(k.sum) / float64(k.s.w.total)
}

// worst returns, per key, the highest share of hits among the keys with
// at least MinEvents events, and the keys whose share is at least least
// (the worst first), over the complete buckets. A key's share is its
// guaranteed hits over its counted events, so the sketches' errors never
// make a key look worse.
func (k *ratio) worst(least float64) (float64, []alert.KeyCount) {
	type bad struct {
		kc    alert.KeyCount
		share float64
	}
	var out []bad
	best := 0.0
	// A key's failures count when they are its own and still going on: its
	// share at least twice the site's, at least half of all the window's
	// hits, and a hit in the last third of the window. When most of the
	// site fails (a deploy, an outage), every key does, and the site-wide
	// rule says so; when the failures have stopped, the key's share in the
	// window is their tail.
	site := 0.0
	if k.s.w.total > 0 {
		site = float64(k.sum) / float64(k.s.w.total)
	}
	// MinEvents is for firing: once firing, a key's few requests hold it
	// while its newest still fail (lastFailed) and failed in the newest
	// two thirds of the window, as the site-wide ratio holds, so that an
	// endpoint of a small site, asked a few times a minute, does not
	// resolve and fire again between its requests; and a deploy's last
	// 502s on a page nobody asks for again resolve 40 s later.
	minEvents := max(k.s.rule.MinEvents, 1)
	if k.s.state == stateFiring {
		minEvents = 1
	}
	tests := 0 // keys with MinEvents in the window, once a key needs the test
	k.keyHits.keys.EachAtLeast(1, func(key []byte, hits uint64) {
		total, _, ok := k.s.w.keys.Get(key)
		if !ok || total < minEvents || hits == 0 {
			return
		}
		share := float64(hits) / float64(total)
		if k.keyShares != nil && share >= k.s.rule.Threshold && total >= max(k.s.rule.MinEvents, 1) {
			k.keyShares.overKey(key, k.s.w.last, k.s.w.last-k.s.w.nb)
		}
		going := k.recent(key, 1) || minEvents == 1 && k.recent(key, 2) && k.lastFailed(key)
		if share < 2*site || 2*hits < k.sum || !going || !k.alone(key, share) {
			return
		}
		// A key's failures that its normal share gives by chance (Chance)
		// do not start an episode: 3 of an endpoint's 5 requests in a
		// quiet minute of a site whose 504s are 3% of all, or of an
		// endpoint that fails 15% of its calls all day. Each key with
		// MinEvents requests in the window is a test: the rule's chance is
		// shared among them, so that a site of many endpoints does not
		// page more often than one of a few.
		if k.normal != nil && k.s.state != stateFiring && share >= k.s.rule.Threshold {
			if tests == 0 {
				k.s.w.keys.EachAtLeast(max(k.s.rule.MinEvents, 1), func([]byte, uint64) { tests++ })
				tests = max(tests, 1)
			}
			chance := k.s.rule.Chance / float64(tests)
			p := k.keyShares.share(key, k.normal.share(), keyCap(k.normal.cap, chance, max(total, k.s.rule.MinEvents+1)), k.s.w.last)
			if likely, _ := chanceLikely(p, hits, total, chance); likely {
				return
			}
		}
		best = max(best, share)
		if share >= least {
			out = append(out, bad{alert.KeyCount{Key: string(key), Count: hits}, share})
		}
	})
	slices.SortFunc(out, func(a, b bad) int { return cmp.Compare(b.share, a.share) })
	keys := make([]alert.KeyCount, len(out))
	for i, b := range out {
		keys[i] = b.kc
	}
	return best, keys
}

// recent reports whether key had a hit in the newest thirds (of three)
// of the window's complete buckets.
func (k *ratio) recent(key []byte, thirds int64) bool {
	w := k.keyHits
	for n := w.last - 1; n >= w.last-max(w.nb*thirds/3, 1); n-- {
		bk := &w.ring[mod(n, int64(len(w.ring)))]
		if bk.n != n || bk.keys == nil || bk.count == 0 {
			continue
		}
		if c, e, ok := bk.keys.Get(key); ok && c > e {
			return true
		}
	}
	return false
}

// lastFailed reports whether key's newest requests in the window, those
// of the newest complete bucket that has any, all failed: nothing says the
// endpoint works again. A firing key holds on it between the few requests
// of a small site, where a hit in the newest third of the window may not
// come.
func (k *ratio) lastFailed(key []byte) bool {
	w, hw := &k.s.w, k.keyHits
	for n := w.last - 1; n >= w.last-w.nb; n-- {
		slot := mod(n, int64(len(w.ring)))
		bk := &w.ring[slot]
		if bk.n != n || bk.keys == nil || bk.count == 0 {
			continue
		}
		c, e, ok := bk.keys.Get(key)
		if !ok || c <= e {
			continue
		}
		hb := &hw.ring[slot]
		if hb.n != n || hb.keys == nil {
			return false
		}
		h, _, ok := hb.keys.Get(key)
		return ok && h >= c-e
	}
	return false
}

// alone reports whether key's failures are its own while they last: over
// the complete buckets from its first hit in the window to its newest,
// the other keys' requests fail at most half as often as key's (share).
// On a quiet site a deploy's first few 502s may all fall on one path
// while the window's older requests, before the deploy, keep the site's
// share low: the few requests to other paths meanwhile failed too. A key
// whose failures no other request shares the time of is not alone yet:
// nothing shows the rest of the site working (a deploy's first second may
// hold only one endpoint's requests), and the key's next failure, with
// the other requests before it, settles it. The other requests after its
// newest failure say nothing of it: on a site of 0.2 requests a second,
// a deploy's 502s on / and then a blog page that works once the deploy
// is over are the whole site recovering, not / failing alone.
//
// The key's own requests and hits come out of the buckets' counts as
// their summaries give them (its hits at most, its requests at least),
// so that a sketch's error never makes the rest of the site look worse.
func (k *ratio) alone(key []byte, share float64) bool {
	w, hw := &k.s.w, k.keyHits
	first, last := w.last, w.last-1 // the key's first and newest buckets with a hit
	for n := w.last - w.nb; n < w.last; n++ {
		bk := &hw.ring[mod(n, int64(len(hw.ring)))]
		if bk.n != n || bk.keys == nil || bk.count == 0 {
			continue
		}
		if c, e, ok := bk.keys.Get(key); ok && c > e {
			first, last = min(first, n), n
		}
	}
	var hits, total uint64
	for n := first; n <= last; n++ {
		slot := mod(n, int64(len(w.ring)))
		bk := &w.ring[slot]
		if bk.n != n {
			continue
		}
		t, h := bk.count, k.hits[slot]
		if bk.keys != nil {
			if c, e, ok := bk.keys.Get(key); ok {
				t -= min(c-e, t)
			}
		}
		if hb := &hw.ring[slot]; hb.n == n && hb.keys != nil {
			if c, _, ok := hb.keys.Get(key); ok {
				h -= min(c, h)
			}
		}
		total += t
		hits += min(h, t)
	}
	return total > 0 && share >= 2*float64(hits)/float64(total)
}

// ready holds the rule back below MinEvents: three requests at night, two
// of them errors, are not a surge. A site-wide share starts firing only
// while its hits go on, with one in the newest third of the window: a
// share can also rise after the hits have stopped, as the requests that
// worked before them leave the window (a quiet site's deploy: its 502s
// end, and 40 s later they are half of the minute's dozen requests). A
// firing rule holds as before; a per-key share has its own test (worst).
func (k *ratio) ready() (bool, string) {
	if k.s.rule.PerKey {
		return true, ""
	}
	if min := k.s.rule.MinEvents; k.s.w.total < min {
		return false, fmt.Sprintf("%d events, under min_events %d", k.s.w.total, min)
	}
	if k.s.state != stateFiring && !k.s.down() && k.sum > 0 && !k.recentHit() {
		return false, "no hit in the newest third of the window (the hits have stopped)"
	}
	if k.normal != nil && k.s.state != stateFiring && k.s.w.total > 0 && float64(k.sum)/float64(k.s.w.total) >= k.s.rule.Threshold {
		hits, events, clients := k.sum, k.s.w.total, uint64(0)
		span := k.normal.span()
		if k.clusters != nil && span > 1 {
			hits, events, clients = k.clusters.effective(span, hits, events)
		}
		if likely, why := k.normal.likely(hits, events, k.s.rule.Chance); likely {
			if hits < k.sum {
				why = fmt.Sprintf("%d hits from %d clients count as %d, a client's up to %d as one (the site's failures come in clusters): %s",
					k.sum, clients, hits, span, why)
			}
			return false, why
		}
	}
	return true, ""
}

// learnShare folds the boundary's window into the rule's normal share
// (Chance), once the rule has evaluated it in state st: only while it is
// inactive and the site's share is under the threshold, so that an outage
// and the minutes the test held back are not learned as the normal (a
// partial outage under it is, and the cap in share bounds it); for a rule
// per key, under half the threshold, so that the site failing as a whole
// (every key alike: 5xx-surge's, which this rule leaves alone) is not. A
// site-wide window under MinEvents, which the rule does not judge, is learned
// whatever its share: a site of 3 requests a minute failing 4% has a
// failure in a tenth of its minutes, a third of them or more; left out,
// they held its share to 2.8% (a probe's site of 0.05 req/s).
// The clustered failures of a slow site's stalls reach a quarter to half
// of a quiet minute: learned, they keep the site-wide rule from paging
// them (a probe's 140 days: 225 pages, 300 with the per-key gate).
func (k *ratio) learnShare(st state) {
	if k.normal == nil {
		return
	}
	if k.clusters != nil && st != stateInactive {
		k.clusters.busy = k.s.w.last
	}
	gate, least := k.s.rule.Threshold, k.s.rule.MinEvents
	if k.s.rule.PerKey {
		gate, least = gate/2, 0 // MinEvents is each key's
	}
	learnShare(k.normal, st, k.sum, k.s.w.total, least, gate)
}

// shareNormal returns the rule's normal share (Rule.Chance), nil without.
func (s *ruleState) shareNormal() *shareNormal {
	switch k := s.k.(type) {
	case *ratio:
		return k.normal
	case *remoteKind:
		return k.normal
	}
	return nil
}

// learnShare folds a window of events, hits of them hits, into normal,
// for a rule evaluated in state st, when its share is under gate (see
// ratio.learnShare).
func learnShare(normal *shareNormal, st state, hits, events, minEvents uint64, gate float64) {
	if st != stateInactive || events >= max(minEvents, 1) && float64(hits)/float64(events) >= gate {
		normal.learn(0, 0)
		return
	}
	normal.learn(hits, events)
}

// recentHit reports whether a complete bucket in the newest third of the
// window holds a hit.
func (k *ratio) recentHit() bool {
	w := &k.s.w
	for n := w.last - 1; n >= w.last-max(w.nb/3, 1); n-- {
		slot := mod(n, int64(len(w.ring)))
		if w.ring[slot].n == n && k.hits[slot] > 0 {
			return true
		}
	}
	return false
}

func (k *ratio) fill(a *alert.Alert) {
	a.Hits = k.sum
	if k.keyHits != nil {
		a.PerKey = k.s.rule.PerKey
		a.Keys = k.namedKeys(k.s.opts.TopN)
	}
}

// namedKeys returns the n keys an alert names: with PerKey, the keys over
// the threshold, worst first, with their hits, or else the busiest others;
// site-wide, the keys with the most hits, people's last.
func (k *ratio) namedKeys(n int) []alert.KeyCount {
	if k.s.rule.PerKey {
		if _, bad := k.worst(k.s.rule.Threshold * k.s.rule.Clear); len(bad) > 0 {
			return bad[:min(len(bad), n)]
		}
		return k.keyHits.topKeys(n)
	}
	keys := k.keyHits.topKeys(n)
	peopleLast(keys, k.people)
	return keys
}

// people reports whether key's hits are people's (see peopleKey): the
// rule's events are log-in posts, its hits their failures.
func (k *ratio) people(key []byte) bool {
	total, err, _ := k.s.w.keys.Get(key)
	hits, _, _ := k.keyHits.keys.Get(key)
	return peopleKey(hits, total-min(err, total))
}

func (k *ratio) saveSlot(slot int, bs *BucketSnapshot) error {
	bs.Hits = k.hits[slot]
	if k.clusters != nil {
		bs.HitClients = slices.Clone(k.clusters.slots[slot])
	}
	if k.keyHits != nil {
		if hk := k.keyHits.ring[slot].keys; hk != nil && k.keyHits.ring[slot].n == bs.N {
			hk.Each(func(key []byte, count, err uint64) {
				bs.HitKeys = append(bs.HitKeys, alert.KeyCount{Key: string(key), Count: count, Error: err})
			})
		}
	}
	return nil
}

func (k *ratio) loadSlot(slot int, bs *BucketSnapshot) error {
	k.hits[slot] = bs.Hits
	k.sum += bs.Hits
	if k.clusters != nil {
		for _, h := range bs.HitClients[:min(uint64(len(bs.HitClients)), bs.Hits)] {
			k.clusters.add(slot, bs.N, h)
		}
	}
	if k.keyHits != nil {
		k.keyHits.restoreBucket(bs.N, bs.HitKeys, bs.Merged)
	}
	return nil
}
