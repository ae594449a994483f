package detector

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// TestBinomialTail: the tail against sums of the binomial's terms written
// out, across small and large windows, and its edges.
func TestBinomialTail(t *testing.T) {
	exact := func(k, n uint64, p float64) float64 {
		sum := 0.0
		for i := k; i <= n; i++ {
			c := 1.0
			for j := uint64(0); j < i; j++ {
				c *= float64(n-j) / float64(j+1)
			}
			sum += c * math.Pow(p, float64(i)) * math.Pow(1-p, float64(n-i))
		}
		return sum
	}
	for _, c := range []struct {
		k, n uint64
		p    float64
	}{
		{3, 6, 0.03}, {3, 6, 0.005}, {5, 6, 0.03}, {4, 6, 0.035}, {3, 5, 0.03}, {30, 60, 0.03},
		{6, 6, 0.25}, {40, 80, 0.2}, {2, 10, 0.04}, {150, 300, 0.1},
	} {
		got, want := binomialTail(c.k, c.n, c.p), exact(c.k, c.n, c.p)
		if math.Abs(got-want) > 1e-9*want {
			t.Errorf("binomialTail(%d, %d, %g) = %g, want %g", c.k, c.n, c.p, got, want)
		}
	}
	for _, c := range []struct {
		k, n uint64
		p    float64
		want float64
	}{
		{0, 5, 0.1, 1}, {6, 5, 0.1, 0}, {3, 6, 0, 0}, {3, 6, 1, 1}, {1, 6, 0.5, 1},
		{5000, 10000, 0.01, 0}, // underflows to 0: an outage on a busy site
	} {
		if got := binomialTail(c.k, c.n, c.p); got != c.want {
			t.Errorf("binomialTail(%d, %d, %g) = %g, want %g", c.k, c.n, c.p, got, c.want)
		}
	}
}

// TestShareNormal: the normal share starts at the prior, moves to what it
// learns, is capped at half the threshold, and holds back what it would
// give by chance.
func TestShareNormal(t *testing.T) {
	n := &shareNormal{weight: 1, decay: 1, cap: chanceCap(0.5, 6, 1e-5)}
	if p := n.share(); p != chancePrior {
		t.Errorf("nothing learned: share %g, want the prior %g", p, chancePrior)
	}
	if likely, _ := n.likely(3, 6, 1e-5); likely {
		t.Errorf("3 of 6 at the prior 0.5%%: held back, want it to fire (an ordinary site's)")
	}
	n.learn(30, 1000)
	if p := n.share(); math.Abs(p-(31.0/1200)) > 1e-12 {
		t.Errorf("30 of 1000 learned: share %g, want %g", p, 31.0/1200)
	}
	if likely, why := n.likely(3, 6, 1e-5); !likely || why == "" {
		t.Errorf("3 of 6 at 2.6%%: fires, want it held back with a reason")
	}
	if likely, _ := n.likely(6, 6, 1e-5); likely {
		t.Errorf("6 of 6 at 2.6%%: held back, want it to fire")
	}
	n.learn(9000, 10000)
	if p := n.share(); p != 0.125 {
		t.Errorf("a site failing most of the time: share %g, want a quarter of the threshold", p)
	}
	if likely, _ := n.likely(6, 6, 1e-5); likely {
		t.Errorf("6 of 6 on a site failing most of the time: held back, want it to fire (min_events' outage)")
	}
}

// TestShareNormal_learning: a rule learns a window weighed by its
// boundary's part of it, only while inactive and under its gate (the
// threshold; half of it per key) or under min_events; the sums halve over the half-life,
// evaluated or skipped.
func TestShareNormal_learning(t *testing.T) {
	tick := time.Second
	n := newShareNormal(time.Minute, tick, chanceCap(0.5, 6, 1e-5))
	learnShare(n, stateInactive, 6, 600, 6, 0.5)
	if math.Abs(n.hits-0.1) > 1e-12 || math.Abs(n.events-10) > 1e-12 {
		t.Errorf("a window of 6 of 600 at 1 s of 1 min: %g of %g, want 0.1 of 10", n.hits, n.events)
	}
	before := *n
	for _, c := range []struct {
		st          state
		hits, count uint64
		what        string
	}{
		{stateFiring, 1, 600, "firing"},
		{statePending, 1, 600, "pending"},
		{stateInactive, 300, 600, "at the gate"},
		{stateInactive, 400, 600, "over the gate"},
	} {
		m := before
		learnShare(&m, c.st, c.hits, c.count, 6, 0.5)
		if m.events >= before.events || m.hits > before.hits {
			t.Errorf("%s: learned %g of %g from %g of %g, want only the decay", c.what, m.hits, m.events, before.hits, before.events)
		}
	}
	m := before
	for range int(chanceHalfLife / tick) {
		learnShare(&m, stateInactive, 0, 0, 6, 0.5)
	}
	if math.Abs(m.events-before.events/2) > 1e-6 {
		t.Errorf("after the half-life evaluated: %g events, want %g", m.events, before.events/2)
	}
	m = before
	learnShare(&m, stateInactive, 3, 5, 6, 0.5) // under min_events: learned, whatever its share
	if want := before.hits*m.decay + 3.0/60; math.Abs(m.hits-want) > 1e-12 {
		t.Errorf("3 of 5, under min_events: %g hits, want %g", m.hits, want)
	}
	m = before
	m.skip(int64(chanceHalfLife / tick))
	if math.Abs(m.events-before.events/2) > 1e-6 || math.Abs(m.hits-before.hits/2) > 1e-9 {
		t.Errorf("after the half-life skipped: %g of %g, want half of %g of %g", m.hits, m.events, before.hits, before.events)
	}
}

// chanceRule is 5xx-surge's shape over test events: a hit is an event from
// 192.0.2.0/24.
func chanceRule(chance float64) Rule {
	return Rule{Name: "errors", Type: Ratio, Window: time.Minute, Threshold: 0.5, MinEvents: 6, Chance: chance,
		Severity: alert.Critical, Fingerprint: "x",
		Of: &CIDR{Field: *ipField(), Prefixes: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}}
}

// TestRatio_chance: a site of 6 events a minute, one in 25 a hit, for 12
// hours, then a minute with 3 of its 6 hits, then an outage (every event
// a hit). With chance the quiet minute passes and the outage fires; without
// it both fire. Cut in the middle and resumed from a snapshot, the run
// sends the same transitions and has learned the same share.
func TestRatio_chance(t *testing.T) {
	h := time.Hour
	var events []ev
	for at, i := time.Duration(0), 0; at < 14*h; at, i = at+10*time.Second, i+1 {
		ip := fmt.Sprintf("10.0.0.%d", i%200)
		switch {
		case i%25 == 0 && at < 12*h,
			at >= 12*h && at < 12*h+time.Minute && i%2 == 0, // 3 of 6
			at >= 13*h:
			ip = fmt.Sprintf("192.0.2.%d", i%200)
		}
		events = append(events, ev{at: at, ip: ip})
	}
	run := func(rule Rule, events []ev) ([]alert.Alert, *Engine) {
		var got []alert.Alert
		eng, err := NewEngine([]Rule{rule}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
		if err != nil {
			t.Fatal(err)
		}
		runEvents(t, eng, events)
		return got, eng
	}
	firings := func(as []alert.Alert) (out []time.Duration) {
		for _, a := range as {
			if a.State == alert.Firing {
				out = append(out, a.Time.Sub(t0))
			}
		}
		return out
	}
	with, eng := run(chanceRule(1e-5), events)
	eng.Flush()
	if f := firings(with); len(f) != 1 || f[0] < 13*h || f[0] > 13*h+time.Minute {
		t.Errorf("with chance: fired at %v, want once, within a minute of the outage at %v", f, 13*h)
	}
	without, eng := run(chanceRule(0), events)
	eng.Flush()
	if f := firings(without); len(f) != 2 || f[0] < 12*h || f[0] > 12*h+time.Minute {
		t.Errorf("without chance: fired at %v, want the minute of 3 of 6 at %v and the outage", f, 12*h)
	}

	cut := slices.IndexFunc(events, func(e ev) bool { return e.at >= 6*h })
	var split []alert.Alert
	first, err := NewEngine([]Rule{chanceRule(1e-5)}, Options{Emit: func(a alert.Alert) { split = append(split, a) }})
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, first, events[:cut])
	_, mid := run(chanceRule(1e-5), events[:cut])
	second, _ := restart(t, first, []Rule{chanceRule(1e-5)}, Options{Emit: func(a alert.Alert) { split = append(split, a) }})
	a, b := mid.rules[0].shareNormal(), second.rules[0].shareNormal()
	if a.events < 100 || a.hits != b.hits || a.events != b.events {
		t.Errorf("restored normal %g of %g, want %g of %g (over 100 events)", b.hits, b.events, a.hits, a.events)
	}
	runEvents(t, second, events[cut:])
	second.Flush()
	if fw, fs := firings(with), firings(split); !slices.Equal(fw, fs) {
		t.Errorf("resumed from a snapshot: fired at %v, want %v", fs, fw)
	}
}

// TestRemote_chance: the fleet's evaluator learns the share from the
// measures it is given and holds back what it gives by chance, as a node
// does, and keeps it across a snapshot.
func TestRemote_chance(t *testing.T) {
	rule := chanceRule(1e-5)
	remote, err := NewRemote([]Rule{rule}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := t0
	for range 6 * 3600 { // 6 hours of a 5% share
		if _, fired, err := remote.Evaluate("errors", at, Measure{Value: 0.05, Count: 60, Hits: 3, Recent: 1}); err != nil || fired {
			t.Fatalf("Evaluate() at %v = fired %v, %v", at, fired, err)
		}
		at = at.Add(time.Second)
	}
	if a, fired, _ := remote.Evaluate("errors", at, Measure{Value: 0.5, Count: 6, Hits: 3, Recent: 1}); fired {
		t.Errorf("3 of 6 at a 5%% normal: fired %v, want it held back", a)
	}
	snaps, err := remote.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	again, err := NewRemote([]Rule{rule}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Restore(snaps); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Remote{remote, again} {
		if p := r.rules["errors"].shareNormal().share(); p < 0.045 || p > 0.05 {
			t.Errorf("learned share %g, want about 5%%", p)
		}
		if _, fired, _ := r.Evaluate("errors", at.Add(time.Second), Measure{Value: 1, Count: 6, Hits: 6, Recent: 2}); !fired {
			t.Errorf("6 of 6: not fired, want it to fire")
		}
	}
}

// TestRatio_chancePerKeyGate: a rule per key learns its share only under
// half its threshold: hours of half the site failing (5xx-surge's, every
// endpoint alike) leave its normal where it was; the site-wide rule over
// the same events, under its threshold, learns them (its cap bounds
// them).
func TestRatio_chancePerKeyGate(t *testing.T) {
	path := LookupField("path")
	perKey := chanceRule(1e-5)
	perKey.PerKey, perKey.GroupBy, perKey.Threshold, perKey.MinEvents = true, &path, 0.6, 5
	site := chanceRule(1e-5)
	site.Name, site.Threshold = "site-errors", 0.6
	var events []ev
	for at, i := time.Duration(0), 0; at < 4*time.Hour; at, i = at+time.Second, i+1 {
		ip := fmt.Sprintf("10.0.0.%d", i%200)
		if i%2 == 0 {
			ip = fmt.Sprintf("192.0.2.%d", i%200) // half of the requests fail
		}
		events = append(events, ev{at: at, ip: ip})
	}
	eng, err := NewEngine([]Rule{perKey, site}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, eng, events)
	if p := eng.rules[0].shareNormal().share(); p != chancePrior {
		t.Errorf("per key: learned %g from half the site failing, want the prior %g", p, chancePrior)
	}
	if n := eng.rules[1].shareNormal(); n.hits < 0.4*n.events {
		p := n.hits / n.events
		t.Errorf("site-wide: learned %g from half the site failing under its 60%%, want about a half", p)
	}
}

// TestChanceCap: the defaults' caps, a quarter of the threshold where
// min_events are few (5xx-surge's 6, whose 6 of 6 failing still fire;
// path-5xx's 5, whose keys keyCap caps further so that a window of a
// key's requests all failing fires), four fifths of it where they tell more
// (5xx-sustained's 300); and for any rule, min_events failing at twice
// the threshold come under a tenth of chance at the cap, or the cap is
// the quarter.
func TestChanceCap(t *testing.T) {
	for _, tc := range []struct {
		threshold float64
		minEvents uint64
		want      float64
	}{
		{0.5, 6, 0.125}, {0.6, 5, 0.15}, {0.1, 300, 0.08},
	} {
		if got := chanceCap(tc.threshold, tc.minEvents, 1e-5); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("chanceCap(%g, %d) = %g, want %g", tc.threshold, tc.minEvents, got, tc.want)
		}
	}
	for _, th := range []float64{0.02, 0.1, 0.3, 0.5, 0.9} {
		for _, n := range []uint64{0, 1, 6, 30, 100, 300, 2000} {
			c := chanceCap(th, n, 1e-5)
			k := min(max(n, 1), uint64(math.Ceil(2*th*float64(max(n, 1)))))
			if c < th/4 || c > 0.8*th+1e-12 || c > th/4 && binomialTail(k, max(n, 1), c) >= 1e-6 {
				t.Errorf("chanceCap(%g, %d) = %g: %d of %d at it come once in %.0f", th, n, c, k, max(n, 1), 1/binomialTail(k, max(n, 1), c))
			}
		}
	}
}

// TestRatio_chanceTinySite: a site of 3 requests a minute (at random
// times) failing 4% at random learns about 4% in two days: its windows under min_events are
// learned whatever their share (a failure is a third of the minute or
// more); left out, they held such a site to under 3%.
func TestRatio_chanceTinySite(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	var events []ev
	hits, n := 0, 0
	for at := time.Duration(0); at < 48*time.Hour; at += time.Duration(rng.ExpFloat64() * float64(20*time.Second)) {
		ip := fmt.Sprintf("10.0.0.%d", n%200)
		if rng.Float64() < 0.04 {
			ip = fmt.Sprintf("192.0.2.%d", n%200)
			hits++
		}
		n++
		events = append(events, ev{at: at, ip: ip})
	}
	eng, err := NewEngine([]Rule{chanceRule(1e-5)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, eng, events)
	real := float64(hits) / float64(n)
	t.Logf("learned %.4f of %.4f", eng.rules[0].shareNormal().share(), real)
	if p := eng.rules[0].shareNormal().share(); p < 0.85*real || p > 1.15*real {
		t.Errorf("learned %.4f, want about the site's %.4f", p, real)
	}
}
