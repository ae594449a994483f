package detector

import (
	"fmt"
	"math"
	"time"
)

// A ratio rule with Rule.Chance learns the site's own share of hits (its
// normal share of 5xx among the app's requests) and holds back a window
// whose hits that share would give by chance more often than Chance: on a
// slow site where 4% of requests end in 504 all day, 3 of a quiet
// minute's 6 failing comes about once in 860 minutes, a page every day or
// two; on a site whose normal is 0.3%, once in 1.9 million. A real outage
// fails nearly everything and passes the test within a request or two of
// the threshold: on the 4% site, 5 of 6 (once in 1.7 million minutes).

// Chance's normal: the share starts from chancePrior, weighed as
// chancePriorEvents events, so that a site that has just started is held
// to an ordinary site's errors (3 of 6 still fires at 0.5%), and moves
// to the site's own share as its events come; chanceHalfLife is how fast
// it forgets them.
const (
	chancePrior       = 0.005
	chancePriorEvents = 200
	chanceHalfLife    = 24 * time.Hour
)

// shareNormal is the normal share a ratio rule with Chance learns: decayed
// sums of its hits and events, each boundary's window weighed by the
// boundary's part of it (bucket/window), so that each event counts about
// once however long the window.
type shareNormal struct {
	hits, events float64
	weight       float64 // a boundary's part of the window
	decay        float64 // what the sums keep at each boundary
	cap          float64 // the most the share may be (chanceCap)
	// sizes are the decayed counts of the clusters of hits that left the
	// window, by size (clusterBin); a site-wide rule's only.
	sizes [clusterBins]float64
}

func newShareNormal(window, tick time.Duration, cap float64) *shareNormal {
	return &shareNormal{
		weight: float64(tick) / float64(window),
		decay:  math.Exp2(-float64(tick) / float64(chanceHalfLife)),
		cap:    cap,
	}
}

// chanceCap returns the most a rule's normal share may be: a site whose
// normal comes near the threshold (an API failing a third of its calls
// all day, a partial outage going on for hours under it) is held to a
// share far under it, so that its outages still fire. That is a quarter
// of the threshold (at a quarter of 50%, 6 of 6 failing, min_events, is
// under once in 100,000), or, for a rule whose windows hold events enough
// to tell more (5xx-sustained's 300 in 5 minutes), the highest share at
// which min_events events failing at twice the threshold still come a
// tenth as often as chance, up to four fifths of the threshold: a site
// whose 504s are 8% of all, held to 2.5%, has 10% of its 5 minutes'
// requests fail most hours.
func chanceCap(threshold float64, minEvents uint64, chance float64) float64 {
	n := max(minEvents, 1)
	k := min(n, uint64(math.Ceil(2*threshold*float64(n))))
	passes := func(p float64) bool { return binomialTail(k, n, p) < chance/10 }
	lo, hi := 0.0, 0.8*threshold
	if passes(hi) {
		return hi
	}
	for range 40 {
		if mid := (lo + hi) / 2; passes(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return max(threshold/4, lo)
}

// ruleCap returns r's chanceCap.
func ruleCap(r *Rule) float64 { return chanceCap(r.Threshold, r.MinEvents, r.Chance) }

// learn folds a boundary's window of events, hits of them hits, into the
// sums.
func (n *shareNormal) learn(hits, events uint64) {
	n.hits = n.hits*n.decay + n.weight*float64(hits)
	n.events = n.events*n.decay + n.weight*float64(events)
	for i := range n.sizes {
		n.sizes[i] *= n.decay
	}
}

// span returns the size up to which a client's hits count as one (see
// clusterSet): the largest size whose clusters, or larger ones, came at
// least clusterCommon times in the decayed sums; 1 when none did.
func (n *shareNormal) span() uint32 {
	tail := 0.0
	for b := clusterBins - 1; b > 0; b-- {
		if tail += n.sizes[b]; tail >= clusterCommon {
			return clusterBinSize(b)
		}
	}
	return 1
}

// share returns the normal share, at most its cap (chanceCap).
func (n *shareNormal) share() float64 {
	p := (n.hits + chancePrior*chancePriorEvents) / (n.events + chancePriorEvents)
	return min(p, n.cap)
}

// skip decays the sums over n boundaries that were not evaluated (the
// engine skips a quiet site's idle ones): the half-life is of time, not of
// busy time.
func (n *shareNormal) skip(b int64) {
	f := math.Pow(n.decay, float64(b))
	n.hits, n.events = n.hits*f, n.events*f
	for i := range n.sizes {
		n.sizes[i] *= f
	}
}

// likely reports whether hits of events come by chance at the normal
// share at least as often as chance (Rule.Chance), with why saying how
// often. Called only where a window is at or over its threshold (rare): the
// tail's sum stops within a few terms there.
func (n *shareNormal) likely(hits, events uint64, chance float64) (bool, string) {
	return chanceLikely(n.share(), hits, events, chance)
}

// chanceLikely is likely at the normal share p.
func chanceLikely(p float64, hits, events uint64, chance float64) (bool, string) {
	tail := binomialTail(hits, events, p)
	if tail < chance {
		return false, ""
	}
	return true, fmt.Sprintf("%d of %d come by chance once in %.0f windows at the normal share %.2g%%, under chance %g",
		hits, events, 1/tail, 100*p, chance)
}

// binomialTail returns the chance of at least k of n events being hits
// when each is one with probability p; 1 for k at or under the mean.
func binomialTail(k, n uint64, p float64) float64 {
	switch {
	case k == 0:
		return 1
	case k > n || p <= 0:
		return 0
	case p >= 1 || float64(k) <= float64(n)*p:
		return 1 // at least about a half: given as 1
	}
	lg := func(x float64) float64 { v, _ := math.Lgamma(x); return v }
	fk, fn := float64(k), float64(n)
	term := math.Exp(lg(fn+1) - lg(fk+1) - lg(fn-fk+1) + fk*math.Log(p) + (fn-fk)*math.Log1p(-p))
	sum := term
	odds := p / (1 - p)
	for i := fk; i < fn && term > sum*1e-12; i++ {
		term *= (fn - i) / (i + 1) * odds
		sum += term
	}
	return min(sum, 1)
}
