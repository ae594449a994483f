package detector

import "math"

// outsizedShare is the share of all the requests at or above which a
// rule's events are outsized (see [allCounts]): stuffing at 3 tries a
// second on a 2 req/s site is half to 60% of its requests, at 1 a second a
// third. People's log-in posts, failing or not, are 1 to 3% of a site's
// requests, each log-in a page or two and their assets besides. Only a
// site that is little but its log-in form (the form, the post: no assets,
// no page after) reaches a third, and there people's posts are under the
// evidence's share of failures (70%) too, unless its log-in answers 200
// on success where the form matcher reads a failure (a JSON log-in at a
// form's path): that site may be paged in its warm-up (docs/rules.md).
const outsizedShare = 0.3

// allCounts counts every event the engine counts, per resolution step,
// over the longest window a rule asks it for: a rule with warmup_share and
// share_floor asks whether its events are an outsized share of all the
// requests (in the warm-up, before people's share of the log-in posts was
// learned, that is stuffing too); one that follows the traffic
// (Baseline.FollowTraffic), how many requests its window holds. A ring of a count per step: one
// increment per event.
type allCounts struct {
	n     []uint32
	first int64 // the first step counted
	last  int64 // the newest step counted
	// restored: the engine resumed from a snapshot, whose rules' windows
	// hold events from before this count began: a share is told once the
	// count covers the window.
	restored bool
}

func newAllCounts(steps int64) *allCounts {
	return &allCounts{n: make([]uint32, steps), first: math.MinInt64}
}

// add counts an event of step n. A step the ring has left behind (a late
// event past the longest window) is not counted.
func (c *allCounts) add(n int64) {
	size := int64(len(c.n))
	switch {
	case c.first == math.MinInt64:
		c.first, c.last = n, n
	case n > c.last:
		for s := max(c.last+1, n-size+1); s <= n; s++ {
			c.n[mod(s, size)] = 0
		}
		c.last = n
	case n <= c.last-size:
		return
	case n < c.first:
		c.first = n // late, before the first event, within the skew: the rules count it too
	}
	c.n[mod(n, size)]++
}

// sum returns the events of steps from to to, both included, and whether
// the count covers them.
func (c *allCounts) sum(from, to int64) (uint64, bool) {
	size := int64(len(c.n))
	if c.first == math.MinInt64 || to-from+1 > size || c.restored && from < c.first {
		return 0, false
	}
	var t uint64
	for s := max(from, c.last-size+1, c.first); s <= min(to, c.last); s++ {
		t += uint64(c.n[mod(s, size)])
	}
	return t, true
}

// outsized reports whether rule s's events over its window are at least
// outsizedShare of all the events over the same steps, with at least
// minEvidenceEvents of them: the steps of every bucket its ring holds
// (windowSteps), which w.total counts.
func (c *allCounts) outsized(s *ruleState) bool {
	w := &s.w
	if w.total < minEvidenceEvents {
		return false
	}
	all, ok := c.sum((w.last-w.nb)*w.width, (w.last+1)*w.width-1)
	return ok && float64(w.total) >= outsizedShare*float64(all)
}

// window returns every event counted over rule s's window (the steps of
// every bucket its ring holds, as w.total counts the rule's), and whether
// the count covers them, for a rule that follows the traffic.
//
// Resumed from a snapshot, the count begins after the window's first
// steps: once it covers a quarter of the window, what it counted is
// scaled to the whole window (a rule that follows the traffic must not
// forget it for a window after each restart).
func (c *allCounts) window(s *ruleState) (float64, bool) {
	w := &s.w
	from, to := (w.last-w.nb)*w.width, (w.last+1)*w.width-1
	if c.restored && c.first != math.MinInt64 && from < c.first && c.first <= to {
		span, covered := to-from+1, to-c.first+1
		if 4*covered < span {
			return 0, false
		}
		all, ok := c.sum(c.first, to)
		return float64(all) * float64(span) / float64(covered), ok
	}
	all, ok := c.sum(from, to)
	return float64(all), ok
}

// windowSteps is the steps of the buckets window w's ring holds, whose
// events w.total counts: its nb buckets and the one being filled.
func windowSteps(w *window) int64 { return int64(len(w.ring)) * w.width }
