package detector

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/parsers"
)

// TestKeyShares: a key's share is its own hits over its events, drawn
// toward the site's by keySharePrior events and capped; its sums decay by
// half in chanceHalfLife; past maxKeyShares keys a new key is held to the
// site's; a snapshot restores the shares, leaving out impossible ones.
func TestKeyShares(t *testing.T) {
	ks := newKeyShares(time.Second)
	if p := ks.share([]byte("/new"), 0.01, 0.15, 0); p != 0.01 {
		t.Errorf("a key never seen: %g, want the site's 0.01", p)
	}
	ks.learn([]byte("/export"), 200, 1000, 0)
	want := (200 + 0.01*keySharePrior) / (1000 + keySharePrior)
	if p := ks.share([]byte("/export"), 0.01, 0.5, 0); math.Abs(p-want) > 1e-12 {
		t.Errorf("share %g, want %g", p, want)
	}
	if p := ks.share([]byte("/export"), 0.01, 0.15, 0); p != 0.15 {
		t.Errorf("share %g, want the cap 0.15", p)
	}
	day := int64(chanceHalfLife / time.Second)
	want = (100 + 0.01*keySharePrior) / (500 + keySharePrior)
	if p := ks.share([]byte("/export"), 0.01, 0.5, day); math.Abs(p-want) > 1e-9 {
		t.Errorf("a half-life later: %g, want %g (sums halved)", p, want)
	}
	ks.learn([]byte("/export"), 0, 500, day)
	if e := ks.m["/export"]; math.Abs(e.events-1000) > 1e-6 || math.Abs(e.hits-100) > 1e-6 || e.at != day {
		t.Errorf("learned after a half-life: %+v, want 100 of 1000 at %d", e, day)
	}
	snap := ks.snapshot()
	snap = append(snap, KeyShare{Key: "/bad", Hits: 5, Events: 2}, KeyShare{Key: "/neg", Hits: -1, Events: 2})
	back := newKeyShares(time.Second)
	back.restore(snap)
	if len(back.m) != 1 || back.m["/export"] == nil || *back.m["/export"] != *ks.m["/export"] {
		t.Errorf("restored %v, want %v alone", back.m, ks.m)
	}
	for i := range 2 * maxKeyShares { // a scanner's junk paths
		ks.learn(fmt.Appendf(nil, "/k%d", i), 0, 1, day)
	}
	last := fmt.Sprintf("/k%d", 2*maxKeyShares-1)
	if _, ok := ks.m[last]; len(ks.m) > maxKeyShares || !ok || ks.m["/export"].events < 1000 {
		t.Errorf("%d keys kept (the newest %v, /export %+v), want at most %d, the newest and /export among them", len(ks.m), ok, ks.m["/export"], maxKeyShares)
	}
	ks.over["/old"] = 5
	for i := range maxKeyShares {
		ks.overKey(fmt.Appendf(nil, "/o%d", i), int64(100+i), 90)
	}
	if _, ok := ks.over["/old"]; ok || len(ks.over) != maxKeyShares {
		t.Errorf("%d marks, /old kept %v: want the mark older than the window gone, the new ones in", len(ks.over), ok)
	}
}

// pev is an event of a per-key test: its time, path and client.
type pev struct {
	at   time.Duration
	path string
	ip   string
}

// firingOf returns an engine of rule and the alerts it fires.
func firingOf(tb testing.TB, rule Rule) (*Engine, *[]alert.Alert) {
	tb.Helper()
	var firing []alert.Alert
	eng, err := NewEngine([]Rule{rule}, Options{Emit: func(a alert.Alert) {
		if a.State == alert.Firing {
			firing = append(firing, a)
		}
	}})
	if err != nil {
		tb.Fatal(err)
	}
	return eng, &firing
}

func runPathEvents(tb testing.TB, eng *Engine, events []pev) {
	tb.Helper()
	var e parsers.Event
	for _, x := range events {
		e.Reset()
		e.Time, e.Path, e.ClientIP = t0.Add(x.at), []byte(x.path), []byte(x.ip)
		eng.Observe(&e)
	}
}

// TestRatio_chanceKeyShares: a per-key rule over six pages failing 1% and
// an export failing 20% (every tenth request, one a second), 12
// hours: held to each key's own share, nothing fires after the first
// hour; held to the site's, the export pages. Then a page goes down for
// 10 minutes, then the export: each fires within 2 minutes, once (the
// export, at 20%, held to the cap that its window's requests all failing
// still passes: keyCap).
// Cut in the middle and resumed from a snapshot, the run sends the same
// transitions with the same shares.
func TestRatio_chanceKeyShares(t *testing.T) {
	path := LookupField("path")
	rule := chanceRule(1e-5)
	rule.PerKey, rule.GroupBy, rule.Threshold, rule.MinEvents = true, &path, 0.6, 5
	rng := rand.New(rand.NewPCG(1, 2))
	var events []pev
	h := time.Hour
	for at, i := time.Duration(0), 0; at < 12*h+40*time.Minute; at, i = at+time.Second, i+1 {
		p, share := fmt.Sprintf("/page%d", rng.IntN(6)), 0.01
		if i%10 == 0 { // 6 a minute, never more
			p, share = "/export", 0.2
		}
		if p == "/page3" && at >= 12*h && at < 12*h+10*time.Minute || p == "/export" && at >= 12*h+15*time.Minute && at < 12*h+25*time.Minute {
			share = 1
		}
		ip := fmt.Sprintf("10.0.%d.%d", i/200%200, i%200)
		if rng.Float64() < share {
			ip = fmt.Sprintf("192.0.2.%d", i%200)
		}
		events = append(events, pev{at, p, ip})
	}
	run := func(own bool, events []pev) ([]alert.Alert, *Engine) {
		eng, firing := firingOf(t, rule)
		if !own {
			eng.rules[0].k.(*ratio).keyShares.perB = math.Inf(1) // forgets at once: the site's share
		}
		runPathEvents(t, eng, events)
		eng.Flush()
		return *firing, eng
	}
	got, eng := run(true, events)
	// A key is held to the site's share until it has a share of its own:
	// the export may page in the first hour (as it did before).
	got = slices.DeleteFunc(got, func(a alert.Alert) bool { return a.Time.Sub(t0) < h })
	if len(got) != 2 || got[0].Time.Sub(t0) < 12*h || got[0].Time.Sub(t0) > 12*h+2*time.Minute || got[0].Keys[0].Key != "/page3" ||
		got[1].Time.Sub(t0) < 12*h+15*time.Minute || got[1].Time.Sub(t0) > 12*h+17*time.Minute || got[1].Keys[0].Key != "/export" {
		t.Errorf("own shares: fired %v, want /page3 within 2 minutes of %v, then /export within 2 minutes of %v", got, 12*h, 12*h+15*time.Minute)
	}
	if e := eng.rules[0].k.(*ratio).keyShares.m["/export"]; e.events < 1000 || e.hits < 0.15*e.events || e.hits > 0.25*e.events {
		t.Errorf("/export learned %g of %g, want about a fifth", e.hits, e.events)
	}
	if got, _ := run(false, events); len(got) < 2 || got[0].Keys[0].Key != "/export" {
		t.Errorf("the site's share: fired %d times, want /export paged before /page3's outage", len(got))
	}

	cut := slices.IndexFunc(events, func(e pev) bool { return e.at >= 6*h })
	want, _ := run(true, events)
	var split []alert.Alert
	opts := Options{Emit: func(a alert.Alert) {
		if a.State == alert.Firing {
			split = append(split, a)
		}
	}}
	first, err := NewEngine([]Rule{rule}, opts)
	if err != nil {
		t.Fatal(err)
	}
	runPathEvents(t, first, events[:cut])
	second, _ := restart(t, first, []Rule{rule}, opts)
	a, b := first.rules[0].k.(*ratio).keyShares, second.rules[0].k.(*ratio).keyShares
	if len(a.m) != 7 || !maps.EqualFunc(a.m, b.m, func(x, y *keyShare) bool { return *x == *y }) {
		t.Errorf("restored shares %v, want %v", b.m, a.m)
	}
	runPathEvents(t, second, events[cut:])
	second.Flush()
	same := len(split) == len(want)
	for i := 0; same && i < len(want); i++ {
		same = split[i].Time.Equal(want[i].Time) && split[i].Keys[0].Key == want[i].Keys[0].Key
	}
	if !same {
		t.Errorf("resumed from a snapshot: fired %v, want %v", split, want)
	}
}

// TestRatio_chanceKeysShareChance: an endpoint's 3 of 5 failing at the
// prior's 0.5% come once in 800,000 windows: under chance beside one
// other endpoint asked as often, it fires; beside ten, each a test, the
// rule's chance is shared among eleven and it waits.
func TestRatio_chanceKeysShareChance(t *testing.T) {
	path := LookupField("path")
	rule := chanceRule(1e-5)
	rule.PerKey, rule.GroupBy, rule.Threshold, rule.MinEvents = true, &path, 0.6, 5
	for _, others := range []int{1, 10} {
		var events []pev
		for i := range 6 {
			at := time.Duration(i) * 8 * time.Second
			for j := range others {
				events = append(events, pev{at + time.Duration(j)*time.Millisecond, fmt.Sprintf("/other%d", j), "10.0.0.1"})
			}
			if i >= 1 {
				ip := "10.0.0.2"
				if i >= 3 {
					ip = "192.0.2.2"
				}
				events = append(events, pev{at + 500*time.Millisecond, "/x", ip})
			}
		}
		var got []alert.Alert
		eng, err := NewEngine([]Rule{rule}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
		if err != nil {
			t.Fatal(err)
		}
		runPathEvents(t, eng, events)
		eng.Advance(t0.Add(50 * time.Second))
		if fired := len(got) > 0; fired != (others == 1) {
			t.Errorf("beside %d endpoints: alerts %v, want firing %v", others, got, others == 1)
		}
	}
}

// TestRatio_keySharesOutsideEpisodes: two endpoints asked once a second
// that never fail, but both for two minutes (the site down: the rule per
// key does not fire) and then /a alone for two minutes (it fires): none
// of their failures is learned as their normal.
func TestRatio_keySharesOutsideEpisodes(t *testing.T) {
	path := LookupField("path")
	rule := chanceRule(1e-5)
	rule.PerKey, rule.GroupBy, rule.Threshold, rule.MinEvents = true, &path, 0.6, 5
	m := time.Minute
	var events []pev
	for at := time.Duration(0); at < 30*m; at += time.Second {
		for _, p := range []string{"/a", "/b"} {
			ip := "10.0.0.1"
			if at >= 10*m && at < 12*m || p == "/a" && at >= 20*m && at < 22*m {
				ip = "192.0.2.1"
			}
			events = append(events, pev{at, p, ip})
		}
	}
	eng, firing := firingOf(t, rule)
	runPathEvents(t, eng, events)
	eng.Flush()
	if got := *firing; len(got) != 1 || got[0].Keys[0].Key != "/a" || got[0].Time.Sub(t0) < 20*m {
		t.Errorf("fired %v, want /a's outage alone", got)
	}
	for key, ks := range eng.rules[0].k.(*ratio).keyShares.m {
		if ks.hits != 0 || ks.events < 1000 {
			t.Errorf("%s learned %g of %g, want none of its failures, and its requests", key, ks.hits, ks.events)
		}
	}
}
