package detector

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// A ratio rule per key with Chance holds each key to its own normal share
// of hits, not the site's: an endpoint that fails 15% of its calls all
// day (a report export that times out, while the rest of the site fails
// 1%) has 3 of a minute's 5 failing once in 40 minutes at its own share;
// held to the site's, it paged dozens of times a day. A key's share is
// learned from its requests and hits as each bucket leaves the window
// (each event once), unless the key's window share reached the threshold
// meanwhile, in sums decayed over chanceHalfLife, and is drawn toward the
// site's share by keySharePrior events: a key seen a few times is held to
// about the site's share. It is capped as the rule's share is
// (chanceCap). Each key with MinEvents requests in the window is a test:
// the rule's chance is shared among them (see ratio.worst).

const (
	keySharePrior = chancePriorEvents
	// maxKeyShares bounds the keys whose shares are kept (a site's
	// endpoints; an API's ids are routes' :id). When a new key finds it
	// full, the quarter of the keys with the fewest requests (decayed) go:
	// a scanner's thousands of junk paths leave, the site's endpoints
	// stay.
	maxKeyShares = 4096
)

// keyShare is one key's decayed hits and events, as of bucket at.
type keyShare struct {
	hits, events float64
	at           int64
}

// keyShares are a per-key ratio's keys' normal shares.
type keyShares struct {
	m    map[string]*keyShare // updated in place: no key allocated but a new one's
	perB float64              // ln 2 over the half-life, per bucket
	// over are the keys whose window share was at the threshold or over
	// it, over MinEvents requests or more, with the newest bucket at whose
	// boundary it was.
	over map[string]int64
}

func newKeyShares(bucket time.Duration) *keyShares {
	return &keyShares{m: make(map[string]*keyShare), over: make(map[string]int64),
		perB: math.Ln2 * float64(bucket) / float64(chanceHalfLife)}
}

// decayed returns ks decayed to bucket n.
func (t *keyShares) decayed(ks keyShare, n int64) keyShare {
	if n > ks.at {
		f := math.Exp(-t.perB * float64(n-ks.at))
		ks.hits, ks.events, ks.at = ks.hits*f, ks.events*f, n
	}
	return ks
}

// learn adds hits of events of key, in bucket n.
func (t *keyShares) learn(key []byte, hits, events uint64, n int64) {
	ks := t.m[string(key)]
	if ks == nil {
		if len(t.m) >= maxKeyShares {
			t.evict(n)
		}
		ks = &keyShare{at: n}
		t.m[string(key)] = ks
	}
	*ks = t.decayed(*ks, max(n, ks.at))
	ks.hits += float64(hits)
	ks.events += float64(events)
}

// evict drops the quarter of the keys with the fewest requests, decayed
// to bucket n.
func (t *keyShares) evict(n int64) {
	type kv struct {
		key    string
		events float64
	}
	all := make([]kv, 0, len(t.m))
	for key, ks := range t.m {
		all = append(all, kv{key, t.decayed(*ks, max(n, ks.at)).events})
	}
	slices.SortFunc(all, func(a, b kv) int { return cmp.Or(cmp.Compare(a.events, b.events), strings.Compare(a.key, b.key)) })
	for _, e := range all[:len(all)/4] {
		delete(t.m, e.key)
	}
}

// keyCap returns the most a key's share may be in a window of n of its
// requests: the rule's cap, and no more than the share at which n
// requests all failing come a tenth as often as chance (the rule's,
// shared among the keys tested), so that an endpoint's window of n
// requests all failing fires, whatever the endpoint failed before (the
// caller gives at least MinEvents+1): an export asked 6 times a minute
// that fails 20% all day, held to path-5xx's cap of 15%, needed 8 of 8
// failing beside 6 other endpoints, more than its minute ever holds.
// Such an endpoint's own 6 of 6 failing, once in 16,000 windows, pages.
func keyCap(cap, chance float64, n uint64) float64 {
	return min(cap, math.Pow(chance/10, 1/float64(max(n, 1))))
}

// share returns key's normal share as of bucket n: its own hits over its
// events, drawn toward site by keySharePrior events, at most cap.
func (t *keyShares) share(key []byte, site, cap float64, n int64) float64 {
	var ks keyShare
	if p := t.m[string(key)]; p != nil {
		ks = t.decayed(*p, n)
	}
	return min((ks.hits+site*keySharePrior)/(ks.events+keySharePrior), cap)
}

// learnBucket folds the bucket in slot, about to leave the window, into
// its keys' shares: each event once, when it can no longer be its own
// window's evidence (an endpoint's first failures of an outage, learned
// as they come, would raise the share they are tested against). Not a
// key whose window share was at the threshold or over it, over MinEvents
// requests or more, at a boundary while the bucket was in the window
// (overKey): a key's outage, with the site's (which the rule leaves to
// the site-wide rules) or alone, and its tail. A window under MinEvents
// is learned: an endpoint asked once a minute that fails a fifth of the
// time has a window of one failure, all of it, once in five; and the
// windows of a key failing 20% of its 6 requests a minute pass 30% (half
// the threshold, the site's gate) a third of the time: left out, they
// would hold the key to 14%.
func (k *ratio) learnBucket(slot int) {
	w, hw, t := &k.s.w, k.keyHits, k.keyShares
	bk, hb := &w.ring[slot], &hw.ring[slot]
	if bk.keys == nil || bk.count == 0 {
		return
	}
	bk.keys.Each(func(key []byte, count, err uint64) {
		events := count - min(err, count)
		if events == 0 {
			return
		}
		var hits uint64
		if hb.n == bk.n && hb.keys != nil {
			if c, e, ok := hb.keys.Get(key); ok {
				hits = min(c-min(e, c), events) // guaranteed, as the events
			}
		}
		if n, ok := t.over[string(key)]; ok {
			if n >= bk.n {
				return // failing: not the key's normal
			}
			delete(t.over, string(key)) // the window has left it
		}
		t.learn(key, hits, events, bk.n)
	})
}

// overKey notes that key's window share is at the threshold or over it,
// over MinEvents requests or more, at the boundary of bucket n; marks
// older than bucket oldest, which no bucket in the window can be learned
// under, go when the marks are full.
func (t *keyShares) overKey(key []byte, n, oldest int64) {
	if _, ok := t.over[string(key)]; !ok && len(t.over) >= maxKeyShares {
		maps.DeleteFunc(t.over, func(_ string, at int64) bool { return at < oldest })
	}
	t.over[string(key)] = n
}

// KeyShare is one key's learned share in a snapshot: its decayed hits and
// events as of bucket At.
type KeyShare struct {
	Key    string  `json:"key"`
	Hits   float64 `json:"hits"`
	Events float64 `json:"events"`
	At     int64   `json:"at"`
}

func (t *keyShares) snapshot() []KeyShare {
	out := make([]KeyShare, 0, len(t.m))
	for key, ks := range t.m {
		out = append(out, KeyShare{Key: key, Hits: ks.hits, Events: ks.events, At: ks.at})
	}
	slices.SortFunc(out, func(a, b KeyShare) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// restore takes the keys' shares of a snapshot, leaving out those that
// cannot be (negative, more hits than events).
func (t *keyShares) restore(in []KeyShare) {
	clear(t.m)
	for _, ks := range in {
		if ks.Hits >= 0 && ks.Events >= ks.Hits && len(t.m) < maxKeyShares {
			t.m[ks.Key] = &keyShare{hits: ks.Hits, events: ks.Events, at: ks.At}
		}
	}
}
