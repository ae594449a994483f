package detector

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/parsers"
)

// feedRules are rules that key feeds take (a rate with the distinct count
// of its clients and evidence, and a distinct rule, over windows of
// several lengths, by client), with rules of their own among them: over
// wider buckets, per key, with their own match.
func feedRules() []Rule {
	s := time.Second
	ip := ipField()
	posts := &Shared{Name: "posts", ID: 0, Cond: NewEquals(LookupField("method"), []string{"POST"})}
	return []Rule{
		{Name: "burst", Type: Rate, Window: 10 * s, Threshold: 8, Match: posts, GroupBy: ip, DistinctOf: ip, Fingerprint: "a",
			Evidence: &Evidence{ClientsPerAgent: 2}, Fleet: true},
		{Name: "per-client", Type: Rate, Window: 10 * s, Threshold: 3, PerKey: true, GroupBy: ip, Match: posts, Fingerprint: "b"},
		{Name: "spread", Type: Distinct, Field: ip, Window: 30 * s, Threshold: 12, Match: posts, GroupBy: ip, Fingerprint: "c", Fleet: true},
		{Name: "slow", Type: Rate, Window: 40 * s, Match: posts, GroupBy: ip, Fingerprint: "d",
			Baseline: &Baseline{Factor: 2, Floor: 0.5, Warmup: 30 * s, WarmupFloor: 1, HalfLife: time.Hour}},
		{Name: "wide", Type: Rate, Window: 6 * time.Minute, Threshold: 60, Match: posts, GroupBy: ip, Fingerprint: "e"},
		{Name: "all", Type: Rate, Window: 10 * s, Threshold: 30, GroupBy: ip, Fingerprint: "f"},
	}
}

// runFeeds replays a random stream of seed through feedRules, with key
// feeds or (own) without, reading the engine's state now and then. At
// each event number of restarts, it carries on in a new engine restored
// from a snapshot, through the edit when not nil.
func runFeeds(tb testing.TB, seed uint64, own bool, restarts map[int]func(*Snapshot)) sharedRun {
	tb.Helper()
	var out sharedRun
	opts := Options{
		KeysPerBucket: 4, // a dozen clients a bucket: evictions
		Emit:          func(a alert.Alert) { out.Alerts = append(out.Alerts, a) },
		Trace:         func(e Evaluation) { out.Traces = append(out.Traces, e) },
		Delta:         func(d Delta) { out.Deltas = append(out.Deltas, d) },
	}
	newEngine := func() *Engine {
		eng, err := NewEngine(feedRules(), opts)
		if err != nil {
			tb.Fatal(err)
		}
		if len(eng.feeds) == 0 {
			tb.Fatal("no key feed among the rules")
		}
		if own {
			for _, f := range eng.feeds {
				f.detach()
			}
		}
		return eng
	}
	eng := newEngine()
	rng := rand.New(rand.NewPCG(seed, 2))
	at := time.Duration(0)
	rate := 10.0 // events a second
	var e parsers.Event
	events := 30_000
	if testing.Short() {
		events = 16_000 // .ci/run's race pass: past every restart below, at half the cost
	}
	for i := range events {
		if edit, ok := restarts[i]; ok {
			snap, err := eng.Snapshot()
			if err != nil {
				tb.Fatal(err)
			}
			data, _ := json.Marshal(snap)
			var back Snapshot
			if err := json.Unmarshal(data, &back); err != nil {
				tb.Fatal(err)
			}
			if edit != nil {
				edit(&back)
			}
			eng = newEngine()
			if _, err := eng.Restore(&back); err != nil {
				tb.Fatal(err)
			}
		}
		switch x := rng.IntN(2000); {
		case x == 0: // a gap, longer than some windows
			at += time.Duration(rng.IntN(400)) * time.Second
		case x == 1:
			rate = []float64{0.5, 5, 10, 40, 200}[rng.IntN(5)]
		case x == 2: // a live tick past the newest event
			eng.Advance(t0.Add(at + time.Duration(rng.IntN(20))*time.Second))
		case x == 3:
			out.Stats = append(out.Stats, eng.Stats())
			snap, err := eng.Snapshot()
			if err != nil {
				tb.Fatal(err)
			}
			out.Snapshots = append(out.Snapshots, snap)
			out.Views = append(out.Views, eng.View())
		}
		next := at + time.Duration(rng.ExpFloat64()/rate*float64(time.Second))
		t := next
		if rng.IntN(20) == 0 { // late: into complete buckets, within the skew or past it
			t -= time.Duration(rng.IntN(12000)) * time.Millisecond
		}
		at = next
		e.Reset()
		e.Time = t0.Add(t)
		e.Kind = parsers.KindRequest
		e.Method = []byte("POST")
		if rng.IntN(4) == 0 {
			e.Method = []byte("GET")
		}
		e.ClientIP = fmt.Appendf(nil, "10.0.%d.%d", rng.IntN(2), rng.IntN(1+rng.IntN(40)))
		if rng.IntN(200) == 0 {
			e.ClientIP = nil
		}
		e.UserAgent = fmt.Appendf(nil, "agent %d", rng.IntN(3))
		e.Raw = fmt.Appendf(nil, "line %d", i)
		eng.Observe(&e)
	}
	eng.Flush()
	out.Stats = append(out.Stats, eng.Stats())
	return out
}

// TestKeyFeed_sameAsOwn: rules whose bucket summaries come from a key
// feed emit, trace, hand over and keep what they do with summaries of
// their own: through evictions, late events, gaps, and restarts from a
// snapshot whole, without one member, or written while not sharing.
func TestKeyFeed_sameAsOwn(t *testing.T) {
	seeds := uint64(4)
	testutil.LongOneGoroutine(t) // whole engines compared; the engine's race test is TestEngine_twoEnginesShareNothing
	without := func(name string) func(*Snapshot) {
		return func(s *Snapshot) {
			s.Rules = slices.DeleteFunc(s.Rules, func(r RuleSnapshot) bool { return r.Name == name })
		}
	}
	cases := []struct {
		name     string
		restarts map[int]func(*Snapshot)
	}{
		{"no restart", nil},
		{"restart", map[int]func(*Snapshot){15_000: nil}},
		{"restart without spread", map[int]func(*Snapshot){15_000: without("spread")}},
		{"restart without burst", map[int]func(*Snapshot){12_000: without("burst")}},
		// The second snapshot's members disagree on the buckets of before
		// the first restart, restored in one and not in the other.
		{"restart twice", map[int]func(*Snapshot){12_000: without("spread"), 12_040: nil}},
	}
	for _, c := range cases {
		for seed := range seeds {
			t.Run(fmt.Sprint(c.name, "/", seed), func(t *testing.T) {
				t.Parallel()
				want, got := runFeeds(t, seed, true, c.restarts), runFeeds(t, seed, false, c.restarts)
				if len(want.Alerts) < 10 || len(want.Deltas) == 0 || len(want.Snapshots) == 0 {
					t.Fatalf("%d alerts, %d deltas, %d snapshots: the stream tests too little",
						len(want.Alerts), len(want.Deltas), len(want.Snapshots))
				}
				if reflect.DeepEqual(want, got) {
					return
				}
				if d := gocmp.Diff(want, got); d != "" {
					t.Errorf("key feeds changed the outcome (-own +feed):\n%s", d)
				}
			})
		}
	}
}

// TestKeyFeed_groups: the rules that count the same events by the same
// key in buckets of one width share a feed; a restore that leaves one
// of them out gives them summaries of their own.
func TestKeyFeed_groups(t *testing.T) {
	eng, err := NewEngine(feedRules(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for _, f := range eng.feeds {
		var names []string
		for _, r := range f.rules {
			names = append(names, r.rule.Name)
		}
		got = append(got, names)
	}
	if want := [][]string{{"burst", "spread", "slow"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("feeds %v, want %v", got, want)
	}
	if l := len(eng.feeds[0].ring); l != 41 {
		t.Errorf("the feed's ring has %d buckets, want the longest window's 41", l)
	}
}
