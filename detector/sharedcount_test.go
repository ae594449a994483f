package detector

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/parsers"
)

// sharedRules are rules that shared counts take (keyless rates, fixed and
// learned, up and down, with for:, over wide buckets; an absence; a
// ratio; a shared match block), with rules of their own among them.
func sharedRules() []Rule {
	s := time.Second
	posts := &Shared{Name: "posts", ID: 0, Cond: NewEquals(LookupField("method"), []string{"POST"})}
	requests := KindIs(parsers.KindRequest)
	fiveXX := &Range{Field: LookupField("status"), Ranges: []NumRange{{500, 599}}}
	return []Rule{
		{Name: "fixed", Type: Rate, Window: 10 * s, Threshold: 30, Match: requests, Fleet: true},
		{Name: "per-client", Type: Rate, Window: 10 * s, Threshold: 20, PerKey: true, GroupBy: ipField(), Match: requests},
		{Name: "for", Type: Rate, Window: 20 * s, Threshold: 25, For: 2500 * time.Millisecond, Match: requests},
		{Name: "spike", Type: Rate, Window: 30 * s, Match: requests,
			Baseline: &Baseline{Factor: 3, Floor: 5, Warmup: time.Minute, WarmupFloor: 60, HalfLife: time.Hour}},
		{Name: "drop", Type: Rate, Window: 30 * s, Match: requests,
			Baseline: &Baseline{Factor: 10, Floor: 1, Warmup: time.Minute, HalfLife: time.Hour, Down: true}},
		{Name: "wide", Type: Rate, Window: 6 * time.Minute, Threshold: 35, Fleet: true},
		{Name: "wide-drop", Type: Rate, Window: 5 * time.Minute, Match: requests,
			Baseline: &Baseline{Factor: 10, Floor: 1, Warmup: time.Minute, HalfLife: time.Hour, Down: true}},
		{Name: "silent", Type: Absence, Window: 15 * s, Match: requests},
		{Name: "errors", Type: Ratio, Window: 20 * s, Threshold: 0.3, MinEvents: 5, Of: fiveXX, Match: requests, Fleet: true},
		{Name: "posts", Type: Rate, Window: 10 * s, Threshold: 3, Match: All{requests, posts}},
		{Name: "posts-slow", Type: Rate, Window: 40 * s, Match: All{requests, posts},
			Baseline: &Baseline{Factor: 2, Floor: 1, Warmup: 30 * s, WarmupFloor: 4, HalfLife: time.Hour}},
	}
}

// sharedRun is what an engine emits and tells over a stream.
type sharedRun struct {
	Alerts    []alert.Alert
	Traces    []Evaluation
	Deltas    []Delta
	Stats     []Stats
	Snapshots []*Snapshot
	Views     [][]RuleView
}

// runShared replays a random stream of seed through the rules, with
// shared counts or (own) without, reading the engine's state now and then.
func runShared(tb testing.TB, seed uint64, own bool) sharedRun {
	tb.Helper()
	var out sharedRun
	opts := Options{
		Emit:  func(a alert.Alert) { out.Alerts = append(out.Alerts, a) },
		Trace: func(e Evaluation) { out.Traces = append(out.Traces, e) },
		Delta: func(d Delta) { out.Deltas = append(out.Deltas, d) },
	}
	eng, err := NewEngine(sharedRules(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	if len(eng.shared) == 0 {
		tb.Fatal("no shared count among the rules")
	}
	if own {
		eng.shared = nil
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	at := time.Duration(0)
	rate := 10.0 // events a second
	var e parsers.Event
	for i := range 40_000 {
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
		switch {
		case next/time.Second != at/time.Second && rng.IntN(3) == 0:
			// The first event of a step is late: the shared counts arm
			// with it, and leave it to the rules.
			t = at - time.Duration(rng.IntN(3000))*time.Millisecond
		case rng.IntN(50) == 0: // late: within the skew, or past it
			t -= time.Duration(rng.IntN(8000)) * time.Millisecond
		}
		at = next
		e.Reset()
		e.Time = t0.Add(t)
		e.Kind = parsers.KindRequest
		if rng.IntN(100) == 0 {
			e.Kind = parsers.KindMessage
		}
		e.Method = []byte("GET")
		if rng.IntN(20) == 0 {
			e.Method = []byte("POST")
		}
		e.Status = 200
		if rng.IntN(5) == 0 {
			e.Status = 503
		}
		e.ClientIP = fmt.Appendf(nil, "10.0.0.%d", rng.IntN(4))
		e.Raw = fmt.Appendf(nil, "line %d", i)
		eng.Observe(&e)
	}
	eng.Flush()
	out.Stats = append(out.Stats, eng.Stats())
	return out
}

// TestSharedCount_sameAsOwn: rules counted by shared counts emit, trace,
// hand over and keep what they do when each counts every event itself.
func TestSharedCount_sameAsOwn(t *testing.T) {
	seeds := uint64(6)
	testutil.LongOneGoroutine(t) // whole engines compared; the engine's race test is TestEngine_twoEnginesShareNothing
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			want, got := runShared(t, seed, true), runShared(t, seed, false)
			if len(want.Alerts) < 10 || len(want.Deltas) == 0 || len(want.Snapshots) == 0 {
				t.Fatalf("%d alerts, %d deltas, %d snapshots: the stream tests too little",
					len(want.Alerts), len(want.Deltas), len(want.Snapshots))
			}
			if reflect.DeepEqual(want, got) {
				return // what Diff says, at a fraction of its cost
			}
			if d := gocmp.Diff(want, got); d != "" {
				t.Errorf("shared counts changed the outcome (-own +shared):\n%s", d)
			}
		})
	}
}

// TestSharedCount_groups: the rules that count the same events the same
// way share a count, the others count their own.
func TestSharedCount_groups(t *testing.T) {
	eng, err := NewEngine(sharedRules(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for _, g := range eng.shared {
		var names []string
		for _, r := range g.rules {
			names = append(names, r.rule.Name)
		}
		got = append(got, names)
	}
	want := [][]string{
		{"fixed", "for", "spike", "drop", "wide-drop", "silent", "errors"},
		{"wide"},
		{"posts", "posts-slow"},
	}
	if d := gocmp.Diff(want, got); d != "" {
		t.Errorf("shared counts (-want +got):\n%s", d)
	}
}
