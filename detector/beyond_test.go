package detector

import (
	"cmp"
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

// yielding returns a burst rule ("burst", more than 1 a second over a
// minute) and an hourly drip rule (more than 7 an hour, min_span 5m) that
// yields to it when yield is set, both over every event.
func yielding(yield bool) []Rule {
	burst := Rule{Name: "burst", Type: Rate, Window: time.Minute, Threshold: 1, Severity: alert.Warning, Fingerprint: "burst"}
	drip := Rule{Name: "drip", Type: Rate, Window: time.Hour, Threshold: 7.0 / 3600, MinSpan: 5 * time.Minute, Severity: alert.Warning, Fleet: true, Fingerprint: "drip"}
	if yield {
		drip.YieldTo = []string{"burst"}
	}
	return []Rule{burst, drip}
}

// replayRules replays events through rules and returns every transition
// and the engine.
func replayRules(tb testing.TB, rules []Rule, events []ev, opts Options) ([]alert.Alert, *Engine) {
	tb.Helper()
	var got []alert.Alert
	opts.Emit = func(a alert.Alert) { got = append(got, a) }
	eng, err := NewEngine(rules, opts)
	if err != nil {
		tb.Fatal(err)
	}
	runEvents(tb, eng, events)
	eng.Flush()
	return got, eng
}

// firingsOf returns the times rule fired at, from the start of the log.
func firingsOf(alerts []alert.Alert, rule string) []time.Duration {
	var out []time.Duration
	for _, a := range alerts {
		if a.Rule == rule && a.State == alert.Firing {
			out = append(out, a.Time.Sub(t0))
		}
	}
	return out
}

// TestMinSpan_yieldTo: a drip rule that yields to a burst rule counts
// nothing in a 30 s where the burst rule fires. A wave of 10 minutes at 2
// a second touches 21 of an hour's 30 s: counted one a 30 s under the
// cap, it is past 7 and fires the drip rule with the wave (and, in a
// warm-up, after it); yielding, the drip rule fires on none of it, and on
// a drip after the wave as it would alone. Bunches the burst rule does not
// fire on (30 events within a second, once a minute: half its threshold)
// still fire the drip rule.
func TestMinSpan_yieldTo(t *testing.T) {
	wave := rotating(time.Hour, 10*time.Minute, 2, 1, "203.0.113.%d")
	drip := burst(90*time.Minute, 20*time.Minute, 30, "198.51.100.%d") // one every 40 s
	var bunches []ev
	for m := range 20 {
		bunches = append(bunches, burst(time.Hour+time.Duration(m)*time.Minute, time.Second, 30, "192.0.2.%d")...)
	}
	for _, tt := range []struct {
		name   string
		events []ev
		yield  bool
		want   func(drip []time.Duration) bool
		says   string
	}{
		{"wave", wave, false, func(d []time.Duration) bool { return len(d) > 0 && d[0] <= time.Hour+10*time.Minute },
			"with the wave (the test shows nothing otherwise)"},
		{"wave", wave, true, func(d []time.Duration) bool { return len(d) == 0 }, "nothing"},
		{"wave, then a drip", byTime(concat(wave, drip)), true,
			func(d []time.Duration) bool { return len(d) == 1 && d[0] >= 90*time.Minute && d[0] <= 96*time.Minute },
			"once, within 6 minutes of the drip (its 8th post at +4m40s)"},
		{"bunches", bunches, true, func(d []time.Duration) bool { return len(d) == 1 && d[0] <= time.Hour+8*time.Minute },
			"once, by the 8th bunch"},
	} {
		got, _ := replayRules(t, yielding(tt.yield), tt.events, Options{})
		if d := firingsOf(got, "drip"); !tt.want(d) {
			t.Errorf("%s, yield_to %v: the drip rule fired at %v, want %s (the burst rule at %v)", tt.name, tt.yield, d, tt.says, firingsOf(got, "burst"))
		}
	}
}

// TestMinSpan_yieldToValue: on random streams of waves and drips, the
// drip rule's value at every boundary is the window's 30 s counted by
// hand: none of a 30 s holding an event that came while the burst rule
// fired, at most the cap (1) of the others. It checks the bookkeeping of
// the 30 s taken back as they leave the window, and that a fleet's deltas
// carry the same counts, and a restart from a snapshot halfway keeps them.
func TestMinSpan_yieldToValue(t *testing.T) {
	const bucket = 30 * time.Second
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 91))
		var events []ev
		jitter := func() time.Duration { return time.Duration(1 + rng.IntN(int(time.Second)-2)) } // never on a boundary
		for at := time.Duration(0); at < 4*time.Hour; {
			switch d := time.Duration(1+rng.IntN(10)) * time.Minute; rng.IntN(3) {
			case 0: // a wave at 0.1 to 3 a second
				n := int(d.Seconds() * (0.1 + 2.9*rng.Float64()))
				for _, e := range burst(at, d, n, "203.0.113.%d") {
					e.at = e.at.Truncate(time.Second) + jitter()
					events = append(events, e)
				}
				at += d
			case 1: // a drip at random, 20 s apart on average
				for end := at + d; at < end; at += time.Duration(rng.ExpFloat64() * float64(20*time.Second)) {
					events = append(events, ev{at: at.Truncate(time.Second) + jitter(), ip: "198.51.100.7"})
				}
			default:
				at += d
			}
		}
		events = byTime(events)
		rules := yielding(true)
		var evals []Evaluation
		deltas := map[int64]uint64{}
		opts := Options{Trace: func(e Evaluation) {
			if e.Rule == "drip" {
				evals = append(evals, e)
			}
		}, Delta: func(d Delta) {
			if d.Rule == "drip" {
				deltas[int64(d.Start.Sub(t0)/bucket)] += d.Count
			}
		}}
		// The run, cut at 2h and resumed from a snapshot.
		var got []alert.Alert
		opts.Emit = func(a alert.Alert) { got = append(got, a) }
		cut, _ := slices.BinarySearchFunc(events, 2*time.Hour, func(e ev, at time.Duration) int { return cmp.Compare(e.at, at) })
		first, err := NewEngine(rules, opts)
		if err != nil {
			t.Fatal(err)
		}
		runEvents(t, first, events[:cut])
		second, _ := restart(t, first, rules, opts)
		runEvents(t, second, events[cut:])
		second.Flush()

		// The burst rule's firing spans, and the 30 s holding an event
		// in one.
		type span struct{ from, to time.Duration }
		var spans []span
		for _, a := range got {
			switch {
			case a.Rule != "burst":
			case a.State == alert.Firing:
				spans = append(spans, span{a.Time.Sub(t0), 1 << 62})
			case a.State == alert.Resolved:
				spans[len(spans)-1].to = a.Time.Sub(t0)
			}
		}
		raw, out := map[int64]int{}, map[int64]bool{}
		for _, e := range events {
			b := int64(e.at / bucket)
			raw[b]++
			for _, s := range spans {
				if e.at >= s.from && e.at < s.to {
					out[b] = true
				}
			}
		}
		if len(spans) < 3 || len(out) < 10 {
			t.Fatalf("seed %d: the burst rule fired %d times over %d 30 s: the test shows little", seed, len(spans), len(out))
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
				if raw[b] > 0 && !out[b] {
					want++
				}
			}
			if e.Value != round(float64(want)/3600) {
				t.Fatalf("seed %d at %v: value %v, want %v (%d events counted by hand)", seed, e.Time.Sub(t0), e.Value, round(float64(want)/3600), want)
			}
		}
		if checked < 400 {
			t.Fatalf("seed %d: %d boundaries checked", seed, checked)
		}
		for b, c := range raw {
			want := uint64(1)
			if out[b] {
				want = 0
			}
			if deltas[b] != want {
				t.Fatalf("seed %d: the 30 s at %v (%d events): delta counts %d, want %d", seed, time.Duration(b)*bucket, c, deltas[b], want)
			}
		}
	}
}
