package detector

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/parsers"
)

// rotating returns perSecond events a second over [from, from+d), each
// from the next address of prefix (e.g. "203.0.113.%d"), round robin over
// n addresses.
func rotating(from, d time.Duration, perSecond, n int, prefix string) []ev {
	out := burst(from, d, int(d/time.Second)*perSecond, "x")
	for i := range out {
		out[i].ip = fmt.Sprintf(prefix, 1+i%n)
	}
	return out
}

// TestBeyondBusiest_network: a per-network rule that leaves out each
// network's busiest address stays quiet on an office NAT alone in its /24
// (one address, a client), and still fires on a scraper rotating through
// a /24's addresses, and on one rotating through the office's own /24.
func TestBeyondBusiest_network(t *testing.T) {
	testutil.LongOneGoroutine(t)
	var background []ev
	for i := range 20 { // 60/s from people, 3/s each, each in a /24 of its own
		background = append(background, steady(0, 2*time.Hour, 3, fmt.Sprintf("10.0.%d.9", i))...)
	}
	office := steady(time.Hour, time.Hour, 15, "198.51.100.7") // arrives after the warm-up, no normal
	neighbour := burst(time.Hour, time.Hour, 360, "198.51.100.20")
	scraper := rotating(80*time.Minute, 5*time.Minute, 20, 200, "203.0.113.%d")
	inOffice := rotating(100*time.Minute, 5*time.Minute, 20, 100, "198.51.100.%d")
	events := byTime(concat(background, office, neighbour, scraper, inOffice))

	net := LookupField("client_net")
	for _, beyond := range []bool{false, true} {
		r := Rule{Name: "network", Type: Rate, Window: time.Minute, PerKey: true, GroupBy: &net, Severity: alert.Warning,
			Baseline: &Baseline{Factor: 4, Floor: 10, Warmup: 30 * time.Minute, WarmupFloor: 30, HalfLife: 24 * time.Hour}}
		if beyond {
			r.BeyondBusiest = ipField()
		}
		_, full, _ := replay(t, r, events, Options{})
		var fired []string
		firstOn := map[string]time.Duration{}
		for _, a := range full {
			if a.State != alert.Firing {
				continue
			}
			fired = append(fired, fmt.Sprintf("%v %v", a.Time.Sub(t0), a.Keys))
			if len(a.Keys) > 0 {
				if _, ok := firstOn[a.Keys[0].Key]; !ok {
					firstOn[a.Keys[0].Key] = a.Time.Sub(t0)
				}
			}
		}
		office, scraper := firstOn["198.51.100.0/24"], firstOn["203.0.113.0/24"]
		switch {
		case !beyond && (office == 0 || office >= 80*time.Minute):
			t.Errorf("counting every address: firings %v, want the office's /24 first (the test shows nothing otherwise)", fired)
		case beyond && (office > 0 && office < 100*time.Minute):
			t.Errorf("beyond the busiest address: the office's /24 fired at %v, before anyone rotated through it; firings %v", office, fired)
		case beyond && (scraper < 80*time.Minute || scraper > 81*time.Minute):
			t.Errorf("beyond the busiest address: the scraper's /24 fired at %v, want within its first minute (80m); firings %v", scraper, fired)
		case beyond && (office < 100*time.Minute || office > 101*time.Minute):
			t.Errorf("beyond the busiest address: the office's /24 fired at %v for the rotation through it, want within its first minute (1h40m); firings %v", office, fired)
		}
	}
}

// TestBeyondBusiest_keep checks the vote itself: a key's busiest value is
// left out, the others counted, and a new busiest value takes over.
func TestBeyondBusiest_keep(t *testing.T) {
	net, ip := LookupField("client_net"), LookupField("client_ip")
	b := newBeyondBusiest(net, ip)
	kept := func(addrs ...string) int {
		n := 0
		for _, a := range addrs {
			var e Event
			e.reset(&parsers.Event{ClientIP: []byte(a)}, 0)
			if b.keep(&e) {
				n++
			}
		}
		return n
	}
	rep := func(addr string, n int) []string { return strings.Split(strings.Repeat(addr+" ", n-1)+addr, " ") }
	if got := kept(rep("192.0.2.1", 1000)...); got != 1 {
		t.Errorf("one address, 1000 events: %d counted, want 1 (its first, as candidate)", got)
	}
	var mixed []string
	for i := range 1000 {
		mixed = append(mixed, "192.0.2.1")
		if i%10 == 0 {
			mixed = append(mixed, fmt.Sprintf("192.0.2.%d", 100+i%50))
		}
	}
	if got := kept(mixed...); got != 100 {
		t.Errorf("the busiest address and 100 others: %d counted, want the 100 others", got)
	}
	var round []string
	for i := range 1000 {
		round = append(round, fmt.Sprintf("198.51.100.%d", 1+i%4))
	}
	if got := kept(round...); got < 900 {
		t.Errorf("four addresses in turn: %d of 1000 counted, want nearly all", got)
	}
	// A new busiest address in 192.0.2.0/24 takes over within the cap.
	if got := kept(rep("192.0.2.200", 1000)...); got > beyondVotes+1 {
		t.Errorf("a new busiest address: %d of its 1000 counted, want at most %d", got, beyondVotes+1)
	}
	if got := kept("", "-"); got != 2 {
		t.Errorf("events without an address: %d of 2 counted, want both", got)
	}
}

// TestMinSpan: an hourly rule with min_span counts a slow drip whole and
// fires within minutes, while a two-minute flood counts as a few of its
// events: the rule neither fires with the flood nor stays firing for the
// hour its window keeps it. Without min_span the flood fires it and holds
// it for an hour.
func TestMinSpan(t *testing.T) {
	var slow []ev // one every 10 s from 500 addresses
	for i, e := range rotating(2*time.Hour, 30*time.Minute, 1, 500, "198.51.100.%d") {
		if i%10 == 0 {
			slow = append(slow, e)
		}
	}
	flood := rotating(time.Hour, 2*time.Minute, 240, 250, "203.0.113.%d")
	people := burst(0, 3*time.Hour, 6, "192.0.2.9") // 2 an hour
	for _, span := range []time.Duration{0, 5 * time.Minute} {
		r := Rule{Name: "drip", Type: Rate, Window: time.Hour, MinSpan: span, Severity: alert.Warning,
			Baseline: &Baseline{Factor: 5, Floor: 20.0 / 3600, Warmup: 30 * time.Minute, HalfLife: 24 * time.Hour}}
		_, full, _ := replay(t, r, byTime(concat(people, flood, slow)), Options{})
		var fired, resolved []time.Duration
		for _, a := range full {
			switch a.State {
			case alert.Firing:
				fired = append(fired, a.Time.Sub(t0))
			case alert.Resolved:
				resolved = append(resolved, a.Time.Sub(t0))
			}
		}
		switch {
		case span == 0 && (len(fired) == 0 || fired[0] > time.Hour+time.Minute):
			t.Errorf("without min_span: fired at %v, want with the flood at 1h (the test shows nothing otherwise)", fired)
		case span > 0 && (len(fired) != 1 || fired[0] < 2*time.Hour || fired[0] > 2*time.Hour+10*time.Minute):
			t.Errorf("min_span %v: fired at %v (resolved %v), want once, within 10 minutes of the drip at 2h", span, fired, resolved)
		}
	}
}

// TestKeyNormals_keepRepeatable checks that, past maxKeyNormals, the keys
// a rule keeps do not depend on the map's random order: a flood's
// addresses have equal normals, and a replay must repeat.
func TestKeyNormals_keepRepeatable(t *testing.T) {
	b := &Baseline{Factor: 4, Floor: 5, HalfLife: time.Hour}
	kept := func() string {
		n := newKeyNormals(b, time.Second)
		for i := range maxKeyNormals + 300 {
			n.set(fmt.Sprintf("198.51.%d.%d", i/256, i%256), 1, true)
		}
		w := newWindow(60, true, true, 16, func(int) {})
		n.learn(&w, 60)
		if len(n.keys) != maxKeyNormals || len(n.idx) != maxKeyNormals {
			t.Fatalf("%d key normals kept (%d indexed), want %d", len(n.keys), len(n.idx), maxKeyNormals)
		}
		var keys []string
		for _, kn := range n.snapshot() {
			keys = append(keys, kn.Key)
		}
		return strings.Join(keys, ",")
	}
	first := kept()
	for range 20 {
		if kept() != first {
			t.Fatal("the keys kept past maxKeyNormals differ from one run to the next")
		}
	}
}

// TestSmallest checks the quickselect against a sort, on random normals
// with many ties (a flood's) and every k.
func TestSmallest(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 300 {
		n := 1 + rng.IntN(70)
		a := make([]keyMean, n)
		for i := range a {
			a[i] = keyMean{key: fmt.Sprintf("k%03d", rng.IntN(1000)*1000+i), mean: float64(rng.IntN(4))}
		}
		want := slices.Clone(a)
		slices.SortFunc(want, func(x, y keyMean) int {
			if x.less(y) {
				return -1
			}
			return 1
		})
		for k := 0; k <= n; k++ {
			got := slices.Clone(a)
			smallest(got, k)
			if !sameKeys(got[:k], want[:k]) {
				t.Fatalf("smallest(%v, %d) = %v, want %v", a, k, got[:k], want[:k])
			}
		}
	}
}

func sameKeys(a, b []keyMean) bool {
	set := map[string]bool{}
	for _, e := range a {
		set[e.key] = true
	}
	for _, e := range b {
		if !set[e.key] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestKeyNormals_index: through learning, forgetting (a key gone quiet
// decays under the floor's thousandth) and the cap, every normal is
// indexed at its place, no removed key stays indexed, and every quiet key
// decays at every boundary (none is skipped as removals move keys).
func TestKeyNormals_index(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	b := &Baseline{Factor: 4, Floor: 5, HalfLife: time.Second}
	n := newKeyNormals(b, time.Second)
	fewest := maxKeyNormals
	for round := range 300 {
		w := newWindow(60, true, true, 16, func(int) {})
		w.keys = NewCounter(2000)
		// A crowd past the cap, then a few regulars while the crowd's
		// normals decay and are forgotten, in turn.
		for i := range 20 {
			w.keys.Add(fmt.Appendf(nil, "10.9.0.%d", i), uint64(75+rng.IntN(400)), 0)
		}
		if round%60 < 10 {
			net := rng.IntN(8)
			for range 900 {
				w.keys.Add(fmt.Appendf(nil, "10.%d.%d.%d", net, rng.IntN(4), rng.IntN(256)), uint64(75+rng.IntN(400)), 0)
			}
		}
		before := map[string]float64{}
		for _, e := range n.keys {
			before[e.key] = e.mean
		}
		n.warm, n.early = round < 5, round < 5
		n.learn(&w, 60)
		for _, e := range n.keys {
			if _, _, inWindow := w.keys.Get([]byte(e.key)); !inWindow && !(e.mean < before[e.key]) {
				t.Fatalf("round %d: key %q, quiet, went from %v to %v: not folded", round, e.key, before[e.key], e.mean)
			}
		}
		if len(n.keys) > maxKeyNormals || len(n.idx) != len(n.keys) {
			t.Fatalf("round %d: %d normals, %d indexed (at most %d)", round, len(n.keys), len(n.idx), maxKeyNormals)
		}
		for i, e := range n.keys {
			if j, ok := n.idx[e.key]; !ok || int(j) != i {
				t.Fatalf("round %d: key %q at %d is indexed at %d (%v)", round, e.key, i, j, ok)
			}
		}
		fewest = min(fewest, len(n.keys))
	}
	if fewest > 100 {
		t.Errorf("at least %d normals in every round: the crowd's were never forgotten", fewest)
	}
}

// TestMinSpan_burstOfMinSpan: a burst that spans min_span exactly, in
// whatever buckets it falls (5 minutes from the middle of a 30-second
// bucket touch 11), stays under the threshold with a bucket's share to
// spare, so that the few ordinary events of the hour after it do not
// complete it: a stuffing wave of 5 minutes is the burst rules'. One that
// spans a minute more fires.
func TestMinSpan_burstOfMinSpan(t *testing.T) {
	s := time.Second
	r := Rule{Name: "drip", Type: Rate, Window: time.Hour, Threshold: 60.0 / 3600, MinSpan: 5 * time.Minute, Severity: alert.Warning}
	for _, span := range []time.Duration{5 * time.Minute, 6 * time.Minute} {
		start := time.Hour + 15*s // mid-bucket
		wave := rotating(start, span, 2, 300, "203.0.113.%d")
		ordinary := burst(start+span+10*time.Minute, 40*time.Minute, 4, "192.0.2.%d")
		got, _, _ := replay(t, r, byTime(concat(wave, ordinary)), Options{})
		switch {
		case span == 5*time.Minute && len(got) != 0:
			t.Errorf("a %v wave and 4 events after it: %v, want nothing", span, got)
		case span > 5*time.Minute && (len(got) == 0 || got[0].At > start+span):
			t.Errorf("a %v wave: %v, want it to fire before its end", span, got)
		}
	}
}

// TestMinSpan_burstRate: with BurstRate, a bucket whose events reach the
// rate counts none of them. A wave of 10 minutes at 2 a second touches 21
// of an hour's 30 s buckets: counted one a bucket under the cap, it is past
// a threshold of 7 and fires the rule with the wave (and, in a warm-up,
// after it), while it is a burst's in every bucket with BurstRate 0.5/s. A
// drip after the wave fires as it would alone.
func TestMinSpan_burstRate(t *testing.T) {
	wave := rotating(time.Hour, 10*time.Minute, 2, 1, "203.0.113.%d")
	drip := burst(90*time.Minute, 20*time.Minute, 30, "198.51.100.%d") // one every 40 s
	for _, rate := range []float64{0, 0.5} {
		for _, withDrip := range []bool{false, true} {
			r := Rule{Name: "drip", Type: Rate, Window: time.Hour, Threshold: 7.0 / 3600, MinSpan: 5 * time.Minute, BurstRate: rate, Severity: alert.Warning}
			events := wave
			if withDrip {
				events = byTime(concat(wave, drip))
			}
			got, _, eng := replay(t, r, events, Options{})
			var fired []time.Duration
			for _, tr := range got {
				if tr.State == alert.Firing {
					fired = append(fired, tr.At)
				}
			}
			switch {
			case rate == 0 && (len(fired) == 0 || fired[0] > time.Hour+10*time.Minute):
				t.Errorf("without burst_rate: fired at %v, want with the wave (the test shows nothing otherwise)", fired)
			case rate > 0 && !withDrip && len(fired) != 0:
				t.Errorf("burst_rate %g/s: a wave at 2/s fired at %v, want nothing", rate, fired)
			case rate > 0 && withDrip && (len(fired) != 1 || fired[0] < 90*time.Minute || fired[0] > 90*time.Minute+6*time.Minute):
				t.Errorf("burst_rate %g/s: the drip after the wave fired at %v, want once within 6 minutes of it (its 8th post at +4m40s)", rate, fired)
			}
			if st := eng.Stats().Rules[0]; rate > 0 && st.Matched > uint64(len(drip))+21 {
				t.Errorf("burst_rate %g/s: %d events counted, want at most the drip's %d and one a bucket of the wave's", rate, st.Matched, len(drip))
			}
		}
	}
}

// TestMinSpan_burstRateValue: on random streams of waves and drips, the
// value at every boundary is the window's buckets counted by hand: none
// of a bucket whose events reached BurstRate, at most the cap of the
// others. It checks the bookkeeping of the buckets taken back as they
// leave the window, and that a fleet's deltas carry the same counts.
func TestMinSpan_burstRateValue(t *testing.T) {
	const bucket = 30 * time.Second
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 91))
		var events []ev
		for at := time.Duration(0); at < 4*time.Hour; {
			switch d := time.Duration(1+rng.IntN(10)) * time.Minute; rng.IntN(3) {
			case 0: // a wave at 0.1 to 3 a second
				n := int(d.Seconds() * (0.1 + 2.9*rng.Float64()))
				events = append(events, burst(at, d, n, "203.0.113.%d")...)
				at += d
			case 1: // a drip at random, 20 s apart on average
				for end := at + d; at < end; at += time.Duration(rng.ExpFloat64() * float64(20*time.Second)) {
					events = append(events, ev{at: at, ip: "198.51.100.7"})
				}
			default:
				at += d
			}
		}
		r := Rule{Name: "drip", Type: Rate, Window: time.Hour, Threshold: 7.0 / 3600, MinSpan: 5 * time.Minute, BurstRate: 0.5, Severity: alert.Warning, Fleet: true}
		raw := map[int64]int{}
		for _, e := range events {
			raw[int64(e.at/bucket)]++
		}
		var evals []Evaluation
		deltas := map[int64]uint64{}
		replay(t, r, events, Options{Trace: func(e Evaluation) { evals = append(evals, e) },
			Delta: func(d Delta) { deltas[int64(d.Start.Sub(t0)/bucket)] += d.Count }})
		for b, c := range raw {
			want := uint64(0)
			if c < 15 {
				want = 1
			}
			if deltas[b] != want {
				t.Fatalf("seed %d: bucket at %v (%d events): delta counts %d, want %d", seed, time.Duration(b)*bucket, c, deltas[b], want)
			}
		}
		checked := 0
		for i, e := range evals {
			if e.Time.Sub(t0)%bucket != 0 || i > 0 && evals[i-1].Time.Equal(e.Time) {
				continue // fired on an event: its bucket counted too
			}
			checked++
			n := int64(e.Time.Sub(t0) / bucket) // the bucket opened: the window is the 120 before it
			want := 0
			for b := n - 120; b < n; b++ {
				if c := raw[b]; c > 0 && c < 15 {
					want++ // cap 1: 7 an hour over 5 minutes and two buckets
				}
			}
			if e.Value != round(float64(want)/3600) {
				t.Fatalf("seed %d at %v: value %v, want %v (%d events counted by hand)", seed, e.Time.Sub(t0), e.Value, round(float64(want)/3600), want)
			}
		}
		if checked < 400 {
			t.Fatalf("seed %d: %d boundaries checked", seed, checked)
		}
	}
}
