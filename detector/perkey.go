package detector

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// perKey is a [Rate] rule with PerKey: the busiest group_by key's rate,
// fail2ban's maxretry/findtime, sliding. The key's count is the
// Space-Saving lower bound, so that the sketch's error never fires it.
//
// With a baseline, each key is held to its own normal: the rule fires when
// a key's rate passes the floor and factor times what that key usually
// sends (see [keyNormals]), so an office's or a carrier's NAT that always
// sends much, or a proxy in front, is not a flood, while a new address
// past the floor is.
type perKey struct {
	basicKind
	s      *ruleState
	norms  *keyNormals // per-key normals of a baseline rule; nil for a fixed limit
	agents *agentMarks // the keys' user agents, with OneAgentIsClient; nil without
}

// perKeyLearned is a per-key rule with a baseline: a [judge].
type perKeyLearned struct{ *perKey }

func (k *perKey) unit() alert.Unit { return alert.PerSecond }

func (k *perKey) add(slot int, ev *Event) {
	if k.agents != nil {
		k.agents.add(slot, k.s.key, ev)
	}
}

func (k *perKey) expired(slot int) {
	if k.agents != nil {
		k.agents.expired(slot)
	}
}

func (k *perKey) value(time.Time) float64 {
	return float64(k.s.w.busiest()) / k.s.rule.Window.Seconds()
}

// live is the event's key's lower-bound count over the window up to the
// event, and the level that key is held to. The busiest complete count
// plus the key's count in the newest bucket bounds it from above for free:
// only a key that might cross is looked up.
func (k *perKey) live(key []byte, level float64) (float64, float64) {
	w := &k.s.w
	secs := k.s.rule.Window.Seconds()
	if key == nil {
		return 0, level
	}
	count, err := w.ring[w.lastIdx].keys.Added()
	if float64(w.busiest()+count-min(err, count))/secs < level {
		return 0, level
	}
	if k.norms != nil && k.norms.isProxy(key) {
		return 0, level
	}
	v := float64(w.liveKeyCount(key)) / secs
	if k.norms != nil {
		// Under its own threshold a key cannot cross, whatever its share:
		// the share's look at the recent buckets is for those above it.
		if own := k.norms.ownThreshold(key); v < own {
			return v, own
		}
		k.norms.site = float64(w.total) / secs
		level = k.norms.threshold(key)
	}
	return v, level
}

func (k *perKey) fill(a *alert.Alert) { a.PerKey = true }

// judge measures a baseline rule: the key with the highest rate against
// its own threshold, or, when no key passes the floor, the busiest one.
// While the rule fires, the keys down to the clear level of the floor are
// judged against their own thresholds too: an office NAT that sends just
// under the floor, held to four times its normal, is far under its own
// clear level, and must not hold the alert open after a flood (the fifth
// independent check's 300 req/s site: 20 minutes, its NAT at 4.8/s
// against the floor's 4/s).
func (k perKeyLearned) judge(at time.Time) (v, th float64, ready bool, why string) {
	n := k.norms
	n.at(at.Sub(k.s.start))
	secs := k.s.rule.Window.Seconds()
	n.site = float64(k.s.w.total) / secs
	best := -1.0
	var ordinary uint64 // the busiest key left out as ordinary
	var front uint64    // the busiest key left out as in front
	least := n.cfg.Floor * secs
	if k.s.state == stateFiring && k.s.rule.Clear > 0 && k.s.rule.Clear < 1 {
		least *= k.s.rule.Clear
	}
	k.s.w.keys.EachAtLeast(uint64(math.Ceil(least)), func(key []byte, g uint64) {
		if n.isProxy(key) {
			front = max(front, g)
			return
		}
		if n.ordinary != nil && n.ordinary(key) {
			ordinary = max(ordinary, g)
			return
		}
		rate, t := float64(g)/secs, n.threshold(key)
		if r := rate / t; r > best {
			best, v, th = r, rate, t
		}
	})
	if best < 0 {
		v, th = k.value(at), n.least()
		if front > 0 && front >= k.s.w.busiest() {
			v = 0 // the busiest is in front (a proxy, a CDN's edge), left out; the others are under the floor
		}
		if ordinary > 0 && ordinary >= k.s.w.busiest() {
			v = 0 // the busiest is people's, left out; the others are under the floor
		}
	}
	if n.waits() {
		left := n.cfg.Warmup - at.Sub(k.s.start)
		return v, th, false, "warm-up: " + left.Round(time.Second).String() + " left"
	}
	return v, th, true, ""
}

// fill names the keys over their own thresholds, the worst first, and
// only those while any is: a busier key held to a higher normal (the
// office NAT, a carrier's /24) is no offender, and an action acting on
// the alert's keys must not take it for one.
// An alert fired on an event counts the keys up to it, the bucket being
// filled included, as its value did.
func (k perKeyLearned) fill(a *alert.Alert) {
	a.PerKey = true
	w, n := &k.s.w, k.norms
	if k.s.onEvent {
		defer w.withNewest()()
	}
	secs := k.s.rule.Window.Seconds()
	type over struct {
		kc    alert.KeyCount
		ratio float64
	}
	var offenders []over
	w.keys.EachAtLeast(uint64(math.Ceil(n.cfg.Floor*secs*k.s.rule.Clear)), func(key []byte, g uint64) {
		if n.isProxy(key) {
			return
		}
		if r := float64(g) / secs / n.threshold(key); r >= k.s.rule.Clear {
			c, e, _ := w.keys.Get(key)
			offenders = append(offenders, over{alert.KeyCount{Key: string(key), Count: c, Error: e}, r})
		}
	})
	slices.SortFunc(offenders, func(x, y over) int { return cmp.Compare(y.ratio, x.ratio) })
	keys := make([]alert.KeyCount, 0, k.s.opts.TopN)
	for _, o := range offenders {
		if len(keys) < k.s.opts.TopN {
			keys = append(keys, o.kc)
		}
	}
	if len(keys) > 0 {
		// The offenders alone: an action's {{range .Keys}} blocks what
		// the alert names, and a busier key under its own normal (a
		// carrier's /24, an office NAT) is no offender.
		a.Keys = keys
	}
}

// learn folds this boundary's rates into the keys' normals.
func (k perKeyLearned) learn(at time.Time) {
	k.norms.at(at.Sub(k.s.start))
	k.norms.learn(&k.s.w, k.s.rule.Window.Seconds())
}

// keyNormals is what each of the busiest keys of a per-key baseline rule
// usually sends: an exponentially weighted mean of its rate at each
// boundary, for at most maxKeyNormals keys (those that send the most; the
// others are held to the floor). A key learns its normal as it goes:
// quickly during the warm-up (a plain average of the warm-up's
// boundaries, so that what was there from the start is known when it
// ends), then slowly, at the rule's half-life, so that a new address that
// floods cannot teach itself its own limit before it fires. A rate past
// the key's threshold is learned as the threshold, and any value is kept
// within learnSpan of the normal, as for a rule's own baseline.
//
// The warm-up is for the keys that were there when the log began: those
// busy (a quarter of the floor) in its first coldGuard, an office's NAT or
// an API's client whose normal the log has not shown yet. A key first busy
// later is a newcomer, the log's own record says so: it is held and
// learned as after the warm-up (the floor, its share of the site, the
// half-life's pace), so that a scraper starting ten minutes after
// sentinel, under the warm-up's floor, is seen within the minute instead
// of teaching itself its normal for good (the sixth independent check's
// cold-start rows: never seen). A key there at the start that is
// forgotten (its normal decayed, or past maxKeyNormals) and comes back is
// a newcomer too. The flags are those of the last look (a boundary): an
// event within a bucket after an idle gap is held as of the boundary
// before it.
type keyNormals struct {
	cfg   *Baseline
	alpha float64 // weight of a new value after the warm-up, per boundary
	ticks float64 // boundaries learned from, for the warm-up's plain average
	// keys are the keys' normals, in no order, and idx each key's index
	// in keys: learn walks a slice, not a map, and folds a key with one
	// look-up.
	keys  []keyMean
	idx   map[string]int32
	warm  bool // in the warm-up, as of the last look: the keys there at the start are held to the warm-up floor
	early bool // within coldGuard of the start, as of the last look: a key busy now was there at the start
	// site is the rule's rate over its window, all keys, as of the last
	// look: KeyShare holds each key to a share of it.
	site float64
	// arriving reports whether a key is arriving (see [window.arriving]):
	// past a share of the window's newest quarter, and twice its share of
	// the buckets before it. nil: KeyShare is judged on the window alone.
	arriving func(key []byte, share float64) bool
	// program reports whether a key's requests are one program's (see
	// [agentMarks]: one user agent, or mostly refused): KeyShare does not
	// hold it. nil: KeyShare holds every key.
	program func(key []byte) bool
	// ordinary reports whether a key's events are an ordinary share of its
	// evidence's (see [Baseline.KeyOrdinaryShare]): it is left out. nil:
	// every key is held.
	ordinary func(key []byte) bool
	// front, for a rule per client_ip, points at what stands in front (a
	// proxy's address, a CDN's edges) once the engine's notices know it:
	// no client, left out. frontNets: the rule is per client_net, and
	// leaves out the networks of the CDN in front.
	front     *frontKeys
	frontNets bool

	gen   uint64    // learn's calls: a key folded by the current one has it
	order []keyMean // learn's, kept from boundary to boundary
}

// keyMean is a key and its normal, and the learn call that last folded
// it.
type keyMean struct {
	key  string
	mean float64
	gen  uint64
	// first: the key was busy in the log's first coldGuard (see
	// [keyNormals]): the warm-up holds it.
	first bool
}

// less orders key normals: the smaller normal first, then the smaller key.
func (a keyMean) less(b keyMean) bool {
	if a.mean != b.mean {
		return a.mean < b.mean
	}
	return a.key < b.key
}

// smallest moves the k smallest of a (by less) to a[:k], in no order: a
// quickselect, in time linear in len(a) where a sort took n log n. Under
// a flood from many networks a per-network rule is past maxKeyNormals at
// every boundary, and sorting them was a tenth of the replay. As less is
// a total order (keys differ), the k smallest are one set, whatever the
// pivots.
func smallest(a []keyMean, k int) {
	lo, hi := 0, len(a) // the k-th smallest is in a[lo:hi]
	for hi-lo > 1 {
		// Hoare's partition around the middle element; the map's random
		// order makes a bad run of pivots unlikely.
		p := a[lo+(hi-lo)/2]
		i, j := lo, hi-1
		for i <= j {
			for a[i].less(p) {
				i++
			}
			for p.less(a[j]) {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		// a[lo:j+1] ≤ p ≤ a[i:hi], and a[j+1:i] equal p.
		switch {
		case k <= j+1:
			hi = j + 1
		case k >= i:
			lo = i
		default:
			return
		}
	}
}

// isProxy reports whether key is in front: a proxy, a CDN's edge, or for
// a rule per network, a network of the CDN's edges.
func (n *keyNormals) isProxy(key []byte) bool {
	if n.frontNets {
		return n.front.hasNet(key)
	}
	return n.front.has(key)
}

// maxKeyNormals bounds the keys whose normal a rule keeps.
const maxKeyNormals = 512

func newKeyNormals(b *Baseline, tick time.Duration) *keyNormals {
	// Warm from the start: an event before the first boundary is held to
	// the warm-up's limit too (a proxy's first second is no flood).
	return &keyNormals{cfg: b, alpha: 1 - math.Exp2(-float64(tick)/float64(b.HalfLife)), idx: map[string]int32{}, warm: b.Warmup > 0, early: true}
}

// waits reports whether the rule waits for its warm-up's end: in it,
// without a warm-up floor.
func (n *keyNormals) waits() bool { return n.warm && n.cfg.WarmupFloor == 0 }

// at notes how long after the rule's start the current look is.
func (n *keyNormals) at(since time.Duration) {
	n.warm, n.early = since < n.cfg.Warmup, since < coldGuard
}

// set sets key's normal; first: the key was there at the start.
func (n *keyNormals) set(key string, mean float64, first bool) {
	if i, ok := n.idx[key]; ok {
		n.keys[i].mean, n.keys[i].first = mean, first
		return
	}
	n.idx[key] = int32(len(n.keys))
	n.keys = append(n.keys, keyMean{key: key, mean: mean, first: first})
}

// remove forgets the normal at index i: the last takes its place.
func (n *keyNormals) remove(i int) {
	last := len(n.keys) - 1
	delete(n.idx, n.keys[i].key)
	if i != last {
		n.keys[i] = n.keys[last]
		n.idx[n.keys[i].key] = int32(i)
	}
	n.keys[last] = keyMean{} // no key kept past its deletion
	n.keys = n.keys[:last]
}

// least is the least rate any key is held to: the warm-up's floor while
// every key busy is one there at the start.
func (n *keyNormals) least() float64 { return n.leastOf(n.early) }

// leastOf is the least rate a key is held to, first if it was there at
// the start.
func (n *keyNormals) leastOf(first bool) float64 {
	if n.warm && first {
		return max(n.cfg.Floor, n.cfg.WarmupFloor)
	}
	return n.cfg.Floor
}

// threshold is the rate key is held to.
//
// KeyShare holds a key to its share of the site's rate over the window,
// unless the key is arriving (window.arriving): an address that started
// flooding 10 s ago is a small share of a whole minute of the site, and
// it would take most of the minute to pass 10% of it (a 50/s scraper on a
// 300 req/s site: 55 s), while an office NAT at 2 to 4.5% of the requests
// stays under the share over any quarter of a minute, and one near it all
// along is no newcomer when one quarter passes it. With OneAgentIsClient,
// neither is a key whose requests are one program's (one user agent, or
// mostly refused: a scanner), not a NAT's people.
func (n *keyNormals) threshold(key []byte) float64 {
	if n.ordinary != nil && n.ordinary(key) {
		return math.Inf(1)
	}
	th := n.ownThreshold(key)
	if s := n.cfg.KeyShare * n.site; s > th && (n.arriving == nil || !n.arriving(key, n.cfg.KeyShare)) &&
		(n.program == nil || !n.program(key)) {
		th = s
	}
	return th
}

// ownThreshold is the rate key is held to without its share of the site:
// the floor (the warm-up's while it learns) and its own normal.
func (n *keyNormals) ownThreshold(key []byte) float64 {
	if i, ok := n.idx[string(key)]; ok {
		return n.own(&n.keys[i])
	}
	return n.least()
}

// own is ownThreshold for the key of e.
func (n *keyNormals) own(e *keyMean) float64 {
	th, mean := n.leastOf(e.first), e.mean
	if n.cfg.Factor > 0 {
		th = max(th, mean*n.cfg.Factor)
	}
	return th
}

// learn folds the current rates of the window's heavy keys (a quarter of
// the floor or more) and of the keys it knows into their normals.
func (n *keyNormals) learn(w *window, secs float64) {
	n.ticks++
	share := n.cfg.KeyShare * n.site
	fold := func(e *keyMean, rate float64) {
		mean, alpha := e.mean, n.alpha
		// During the warm-up a key there at the start learns at most the
		// warm-up's limit, not its own factor times what it learned: a
		// program flooding from the log's first second would otherwise
		// teach itself its limit as its window fills (the threshold
		// rising with the ramp of a partial window) and never fire.
		limit := max(n.own(e), share)
		if n.warm && e.first {
			alpha, limit = max(alpha, 1/n.ticks), max(n.leastOf(true), share)
		}
		x := min(rate, limit)
		x = min(max(x, mean/learnSpan), max(mean, n.cfg.Floor)*learnSpan)
		e.mean = mean + alpha*(x-mean)
	}
	n.gen++
	w.keys.EachAtLeast(uint64(math.Ceil(n.cfg.Floor*secs/4)), func(key []byte, g uint64) {
		i, ok := n.idx[string(key)]
		if !ok {
			i = int32(len(n.keys))
			n.keys = append(n.keys, keyMean{key: string(key), first: n.early})
			n.idx[n.keys[i].key] = i
		}
		e := &n.keys[i]
		e.gen = n.gen
		fold(e, float64(g)/secs)
	})
	// From the end, so that a removal moves a key already walked.
	for i := len(n.keys) - 1; i >= 0; i-- {
		e := &n.keys[i]
		if e.gen == n.gen {
			continue
		}
		var rate float64
		if c, er, ok := w.keys.getString(e.key); ok {
			rate = float64(c-min(er, c)) / secs
		}
		mean := e.mean
		if fold(e, rate); e.mean < mean && e.mean < n.cfg.Floor/1000 {
			n.remove(i) // forgotten
		}
	}
	if over := len(n.keys) - maxKeyNormals; over > 0 {
		// Keep the keys that send the most; of equal normals (a flood's
		// addresses, one request each), those of the greater keys: a
		// replay must repeat, whatever the order of the keys.
		n.order = append(n.order[:0], n.keys...)
		smallest(n.order, over)
		for _, e := range n.order[:over] {
			n.remove(int(n.idx[e.key]))
		}
		clear(n.order) // no keys kept past their deletion
	}
}

// KeyNormal is one key's learned normal in a [RuleSnapshot]. Newcomer:
// the key was first busy after the log's first coldGuard (see
// [keyNormals]); a state written before it was kept restores every key
// as one there at the start.
type KeyNormal struct {
	Key      string  `json:"key"`
	Mean     float64 `json:"mean"`
	Newcomer bool    `json:"newcomer,omitempty"`
}

func (n *keyNormals) snapshot() []KeyNormal {
	out := make([]KeyNormal, 0, len(n.keys))
	for _, e := range n.keys {
		out = append(out, KeyNormal{Key: e.key, Mean: e.mean, Newcomer: !e.first})
	}
	slices.SortFunc(out, func(a, b KeyNormal) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func (n *keyNormals) restore(ticks float64, kn []KeyNormal) error {
	if len(kn) > maxKeyNormals {
		return fmt.Errorf("%d key normals, at most %d", len(kn), maxKeyNormals)
	}
	n.ticks = ticks
	for _, x := range kn {
		if !(x.Mean >= 0) || math.IsInf(x.Mean, 0) {
			return fmt.Errorf("key normal %q: %v", x.Key, x.Mean)
		}
		n.set(x.Key, x.Mean, !x.Newcomer)
	}
	return nil
}
