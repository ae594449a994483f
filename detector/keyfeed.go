package detector

import (
	"math"
	"slices"

	"github.com/sentinel-dev/sentinel/alert"
)

// keyFeed keeps the per-bucket key summaries of rules that count the
// same events under the same key in buckets of the same width, whatever
// their windows: the defaults' signup-burst and signup-spread count
// sign-up posts by client over 30 s and a minute. Under a flood from
// thousands of addresses every post evicts a key from a full bucket
// summary, about 500 instructions; with a feed that is paid once for all
// its rules. Each rule's window still sums the summaries of its own
// buckets, and mirrors a late event into its sum (see [window.add]).
//
// The feed's ring is as long as its longest window's, so that a bucket's
// summary is reused only once every window has let the bucket go; it is
// emptied when a newer bucket takes its slot. The members see the same
// events (the same gate and match), and the first member that counts an
// event adds it; the others take the add's outcome, recognised by the
// event's sequence number.
type keyFeed struct {
	rules         []*ruleState
	ring          []feedBucket
	keysPerBucket int

	seq     uint64 // the event of the last add ([Event.seq])
	evicted EvictedEntry
	did     bool // the last add evicted evicted
}

// feedBucket is the summary of the keys of bucket n.
type feedBucket struct {
	n        int64
	keys     *SpaceSaving
	restored bool // its keys came from a snapshot, restored by one member for all
}

// feedable reports whether s can take its bucket summaries from a feed:
// a rule that counts every event it matches under its group_by key in
// the window's newest bucket, and nothing per key of its own.
func feedable(s *ruleState) bool {
	if s.rule.GroupBy == nil || s.rule.PerKey || s.capBucket > 0 || s.beyond != nil {
		return false
	}
	switch s.k.(type) {
	case *rate, *distinctKind:
		return true
	}
	return false
}

// newKeyFeeds gives the feedable rules of one gate, match, group_by field
// and bucket width a feed, when there are two or more of them.
func newKeyFeeds(rules []*ruleState, keysPerBucket int) []*keyFeed {
	var out []*keyFeed
	for _, r := range rules {
		if !feedable(r) {
			continue
		}
		if _, shared := r.gate.rest.(*Shared); r.gate.rest != nil && !shared {
			continue // a match of its own: no two rules are known to see the same events
		}
		var f *keyFeed
		for _, g := range out {
			m := g.rules[0]
			if m.gate.same(r.gate) && sameRest(m.gate.rest, r.gate.rest) &&
				m.rule.GroupBy.Name == r.rule.GroupBy.Name && m.w.width == r.w.width {
				f = g
				break
			}
		}
		if f == nil {
			f = &keyFeed{keysPerBucket: keysPerBucket}
			out = append(out, f)
		}
		f.rules = append(f.rules, r)
	}
	out = slices.DeleteFunc(out, func(f *keyFeed) bool { return len(f.rules) < 2 })
	for _, f := range out {
		longest := 0
		for _, r := range f.rules {
			longest = max(longest, len(r.w.ring))
			r.w.feed = f
		}
		f.ring = make([]feedBucket, longest)
		for i := range f.ring {
			f.ring[i].n = math.MinInt64
		}
	}
	return out
}

// bucket returns the feed's bucket n, emptied if its slot held an older
// bucket, which every member has let go.
func (f *keyFeed) bucket(n int64) *feedBucket {
	fb := &f.ring[mod(n, int64(len(f.ring)))]
	if fb.n != n {
		fb.n, fb.restored = n, false
		if fb.keys != nil {
			fb.keys.Reset()
		}
	}
	if fb.keys == nil {
		fb.keys = NewSpaceSaving(f.keysPerBucket)
	}
	return fb
}

// add counts key, of hash h, into bucket n for the event of sequence
// number seq, unless a member counted it already, and returns the
// bucket's summary and the add's eviction.
func (f *keyFeed) add(seq uint64, n int64, key []byte, h uint32) (*SpaceSaving, EvictedEntry, bool) {
	fb := f.bucket(n)
	if seq != f.seq {
		f.seq = seq
		f.evicted, f.did = fb.keys.addHashed(key, h)
	}
	return fb.keys, f.evicted, f.did
}

// keepOnRestore reports whether the feed can be restored from snap: all
// of its members or none are restored (a member left out would count
// into summaries that hold the others' restored keys), and the members'
// snapshots agree on the keys of the buckets they have in common (they
// do, unless they were written while not sharing a feed, after such a
// partial restore). Otherwise the members are given summaries of their
// own.
func (f *keyFeed) keepOnRestore(byName map[string]*RuleSnapshot) bool {
	restorable := func(r *ruleState) *RuleSnapshot {
		rs := byName[r.rule.Name]
		if rs == nil || rs.Fingerprint != r.rule.Fingerprint || rs.Fingerprint == "" {
			return nil
		}
		return rs
	}
	first := restorable(f.rules[0])
	keys := map[int64][]alert.KeyCount{}
	if first != nil {
		for _, b := range first.Buckets {
			keys[b.N] = b.Keys
		}
	}
	for _, r := range f.rules[1:] {
		rs := restorable(r)
		if (rs == nil) != (first == nil) {
			return false
		}
		if rs == nil {
			continue
		}
		for _, b := range rs.Buckets {
			if ks, ok := keys[b.N]; ok && !slices.Equal(ks, b.Keys) {
				return false
			}
		}
	}
	return true
}

// detach gives the feed's members summaries of their own.
func (f *keyFeed) detach() {
	for _, r := range f.rules {
		r.w.feed = nil
	}
}
