package detector

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/parsers"
)

// rampEvents returns events from t0 for d at a rate that moves linearly
// from r0 to r1 per second, from a pool of clients.
func rampEvents(from, d time.Duration, r0, r1 float64, ip string) []ev {
	var out []ev
	acc := 0.0
	for t := time.Duration(0); t < d; t += 100 * time.Millisecond {
		rate := r0 + (r1-r0)*float64(t)/float64(d)
		acc += rate / 10
		for ; acc >= 1; acc-- {
			out = append(out, ev{at: from + t, ip: ip})
		}
	}
	return out
}

func baselineRule(b Baseline) Rule {
	if b.HalfLife == 0 {
		b.HalfLife = time.Hour
	}
	return Rule{Name: "b", Type: Rate, Window: time.Minute, Baseline: &b}
}

func firings(got []transition) (n int) {
	for _, tr := range got {
		if tr.State == alert.Firing {
			n++
		}
	}
	return n
}

func TestEngine_baseline(t *testing.T) {
	m := time.Minute
	up := Baseline{Factor: 3, Floor: 1, Warmup: 30 * m}
	tests := []struct {
		name   string
		rule   Rule
		events []ev
		want   int // firings
		at     time.Duration
	}{
		{"steady traffic", baselineRule(up), rampEvents(0, 3*time.Hour, 5, 5, "a"), 0, 0},
		{"slow ramp to 3x over two hours", baselineRule(up),
			concat(rampEvents(0, time.Hour, 2, 2, "a"), rampEvents(time.Hour, 2*time.Hour, 2, 6, "a"), rampEvents(3*time.Hour, time.Hour, 6, 6, "a")), 0, 0},
		{"step to 20x", baselineRule(up),
			concat(rampEvents(0, time.Hour, 2, 2, "a"), rampEvents(time.Hour, 10*m, 40, 40, "a")), 1, time.Hour + 10*time.Second},
		{"step during warm-up stays silent", baselineRule(up),
			concat(rampEvents(0, 10*m, 2, 2, "a"), rampEvents(10*m, 5*m, 40, 40, "a")), 0, 0},
		{"near-zero normal stays under the floor", baselineRule(Baseline{Factor: 3, Floor: 1, Warmup: 30 * m}),
			concat(rampEvents(0, time.Hour, 0.02, 0.02, "a"), rampEvents(time.Hour, 5*m, 0.5, 0.5, "a")), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, _ := replay(t, tt.rule, tt.events, Options{})
			if n := firings(got); n != tt.want {
				t.Fatalf("%d firings %v, want %d", n, got, tt.want)
			}
			// A 40/s step against a 2/s baseline (threshold 6/s) crosses
			// once the one-minute window holds 360 events: 9 s in.
			if tt.want > 0 && (got[0].At < tt.at-5*time.Second || got[0].At > tt.at+time.Second) {
				t.Errorf("fired at %v, want about %v", got[0].At, tt.at)
			}
		})
	}
}

func TestEngine_baselineNotPolluted(t *testing.T) {
	m := time.Minute
	// Two 10-minute bursts at 20× an hour apart: the first must not teach
	// the baseline that 20× is normal, so the second fires too.
	events := concat(
		rampEvents(0, time.Hour, 2, 2, "a"),
		rampEvents(time.Hour, 10*m, 40, 40, "a"),
		rampEvents(time.Hour+10*m, 30*m, 2, 2, "a"),
		rampEvents(time.Hour+40*m, 10*m, 40, 40, "a"),
		rampEvents(time.Hour+50*m, 10*m, 2, 2, "a"),
	)
	got, full, _ := replay(t, baselineRule(Baseline{Factor: 3, Floor: 1, Warmup: 30 * m}), events, Options{})
	if n := firings(got); n != 2 {
		t.Fatalf("%d firings %v, want 2", n, got)
	}
	if b := full[2].Baseline; b > 3 {
		t.Errorf("baseline at the second burst = %v/s, want it near the normal 2/s", b)
	}
}

func TestEngine_baselineDrop(t *testing.T) {
	m := time.Minute
	r := baselineRule(Baseline{Factor: 5, Floor: 1, Warmup: 30 * m, Down: true})
	// Normal 4/s for an hour, then the log goes almost silent (0.2/s) for
	// 20 minutes, then recovers.
	events := concat(rampEvents(0, time.Hour, 4, 4, "a"), rampEvents(time.Hour, 20*m, 0.2, 0.2, "a"), rampEvents(time.Hour+20*m, 10*m, 4, 4, "a"))
	got, full, _ := replay(t, r, events, Options{})
	if len(got) != 2 || got[0].State != alert.Firing || got[1].State != alert.Resolved {
		t.Fatalf("transitions %v, want a firing and its resolution", got)
	}
	// The one-minute window falls under 4/5 = 0.8/s about 48 s into the drop.
	if at := got[0].At - time.Hour; at < 30*time.Second || at > 70*time.Second {
		t.Errorf("drop noticed %v after it began", at)
	}
	if !full[0].Down || full[0].Value > full[0].Threshold {
		t.Errorf("alert %+v, want a drop alert under its threshold", full[0])
	}
	// A quiet site (normal under the floor) never has a drop.
	quiet := concat(rampEvents(0, time.Hour, 0.3, 0.3, "a"), rampEvents(time.Hour, 20*m, 0, 0, "a"), rampEvents(time.Hour+20*m, m, 0.3, 0.3, "a"))
	if got, _, _ := replay(t, r, quiet, Options{}); len(got) != 0 {
		t.Errorf("quiet site: %v, want nothing", got)
	}
}

func TestEngine_baselineDistinct(t *testing.T) {
	m := time.Minute
	f := ipField()
	r := Rule{Name: "d", Type: Distinct, Field: f, Window: m, Baseline: &Baseline{Factor: 5, Floor: 20, Warmup: 30 * m, HalfLife: time.Hour}}
	// About 10 distinct clients a minute for an hour, then 200 a minute.
	var events []ev
	for i := range 600 {
		events = append(events, ev{at: time.Duration(i) * 6 * time.Second, ip: "10.0.0." + string(rune('a'+i%10))})
	}
	events = append(events, burst(time.Hour, m, 200, "198.51.%d.1")...)
	got, full, _ := replay(t, r, events, Options{})
	if firings(got) != 1 || full[0].Value < 20 {
		t.Fatalf("transitions %v, want one firing on the distinct surge", got)
	}
}

func TestEngine_ratio(t *testing.T) {
	s := time.Second
	r := Rule{Name: "5xx", Type: Ratio, Window: 30 * s, Threshold: 0.3, MinEvents: 20,
		Of: &Range{Field: LookupField("status"), Ranges: []NumRange{{Min: 500, Max: 599}}}}
	run := func(events []struct {
		at     time.Duration
		status int
	}) []transition {
		var got []transition
		eng, err := NewEngine([]Rule{r}, Options{Emit: func(a alert.Alert) {
			got = append(got, transition{a.State, a.Time.Sub(t0), a.Value})
		}})
		if err != nil {
			t.Fatal(err)
		}
		var e parsers.Event
		for _, x := range events {
			e.Reset()
			e.Time, e.Status = t0.Add(x.at), x.status
			eng.Observe(&e)
		}
		eng.Flush()
		return got
	}
	type line = struct {
		at     time.Duration
		status int
	}
	// At night: three requests, two of them errors. 67%, but too few.
	if got := run([]line{{0, 500}, {s, 200}, {2 * s, 502}}); len(got) != 0 {
		t.Errorf("low volume: %v, want nothing", got)
	}
	// 4 requests a second, then an outage: nine in ten answer 502.
	var day []line
	for i := range 240 {
		st := 200
		if i >= 120 && i%10 != 0 {
			st = 502
		}
		day = append(day, line{time.Duration(i) * 250 * time.Millisecond, st})
	}
	got := run(day)
	if len(got) == 0 || got[0].State != alert.Firing || got[0].At > 45*s {
		t.Fatalf("outage: %v, want firing within 15 s of its start at 30 s", got)
	}
	if v := got[0].Value; v < 0.3 || v > 0.5 {
		t.Errorf("ratio at firing = %v, want just above 0.3", v)
	}
}

func TestEngine_absence(t *testing.T) {
	s, m := time.Second, time.Minute
	r := Rule{Name: "quiet", Type: Absence, Window: 5 * m}
	// One event a second for ten minutes, silence for 20 minutes, then
	// traffic again.
	events := concat(rampEvents(0, 10*m, 1, 1, "a"), rampEvents(30*m, m, 1, 1, "a"))
	got, full, _ := replay(t, r, events, Options{})
	if len(got) != 2 || got[0].State != alert.Firing || got[1].State != alert.Resolved {
		t.Fatalf("transitions %v, want a firing and its resolution", got)
	}
	// The last event is at 9:59.9; five minutes of silence end at 14:59.9,
	// seen at the next 3 s boundary.
	if at := got[0].At; at < 15*m-3*s || at > 15*m+3*s {
		t.Errorf("fired at %v, want about 15m", at)
	}
	var lastBefore time.Duration
	for _, e := range events {
		if e.at < 30*m {
			lastBefore = e.at
		}
	}
	if want := t0.Add(lastBefore); !full[0].Since.Equal(want) {
		t.Errorf("Since = %v, want the last event %v", full[0].Since, want)
	}
	if at := got[1].At; at < 30*m || at > 30*m+3*s {
		t.Errorf("resolved at %v, want as traffic returns at 30m", at)
	}
	// Nothing before the first event: an absence needs something to miss.
	if got, _, _ := replay(t, r, rampEvents(time.Hour, m, 1, 1, "a"), Options{}); len(got) != 0 {
		t.Errorf("no prior traffic: %v", got)
	}
}

func TestEngine_absenceLive(t *testing.T) {
	m := time.Minute
	var got []alert.Alert
	eng, err := NewEngine([]Rule{{Name: "quiet", Type: Absence, Window: 5 * m}}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
	if err != nil {
		t.Fatal(err)
	}
	var e parsers.Event
	e.Reset()
	e.Time = t0
	eng.Observe(&e)
	// The log is silent; the wall clock moves the engine.
	eng.Advance(t0.Add(4 * m))
	if len(got) != 0 {
		t.Fatalf("after 4m: %v", got)
	}
	eng.Advance(t0.Add(6 * m))
	if len(got) != 1 || got[0].State != alert.Firing {
		t.Fatalf("after 6m: %v, want firing", got)
	}
}

func TestEngine_perKeyAmongThousands(t *testing.T) {
	s := time.Second
	r := rateRule(time.Minute, 5)
	r.PerKey = true
	r.GroupBy = ipField()
	// 5,000 clients at one request each every 50 s (100/s in all), and
	// one at 50/s from t0+60s.
	var events []ev
	for sec := 0; sec < 180; sec++ {
		events = append(events, burst(time.Duration(sec)*s, s, 100, "10.%d.0.1")...)
		if sec >= 60 {
			events = append(events, burst(time.Duration(sec)*s, s, 50, "203.0.113.50")...)
		}
	}
	got, full, _ := replay(t, r, byTime(events), Options{})
	if len(got) == 0 || got[0].State != alert.Firing {
		t.Fatalf("transitions %v, want firing", got)
	}
	if d := got[0].At - 60*s; d > 30*s {
		t.Errorf("named %v after the client started, want within 30 s", d)
	}
	if full[0].Keys[0].Key != "203.0.113.50" {
		t.Errorf("top key %v, want the flooding client", full[0].Keys)
	}
}

func TestEngine_trace(t *testing.T) {
	var evs []Evaluation
	r := baselineRule(Baseline{Factor: 3, Floor: 1, Warmup: 10 * time.Minute})
	_, _, _ = replay(t, r, rampEvents(0, 15*time.Minute, 2, 2, "a"), Options{Trace: func(e Evaluation) { evs = append(evs, e) }})
	if len(evs) < 100 {
		t.Fatalf("%d evaluations", len(evs))
	}
	first, last := evs[1], evs[len(evs)-1]
	if first.Why == "" || first.Why[:7] != "warm-up" || last.Why != "below the threshold" || math.Abs(last.Baseline-2) > 0.2 {
		t.Errorf("first %+v, last %+v", first, last)
	}
}

func TestEngine_baselineNeverFiresAtZero(t *testing.T) {
	m := time.Minute
	// A rule whose events never come learns 0; it must not fire at 0.
	for _, b := range []Baseline{
		{Factor: 3, Floor: 0.01, Warmup: 5 * m},
		{Factor: 3, Floor: 0.01, Warmup: 5 * m, Down: true},
		{Sigmas: 4, Floor: 0.01, Warmup: 5 * m},
	} {
		r := baselineRule(b)
		r.Match = KindIs(parsers.KindMessage) // the test events are requests
		if got, _, _ := replay(t, r, rampEvents(0, time.Hour, 1, 1, "a"), Options{}); len(got) != 0 {
			t.Errorf("%+v: %v, want nothing", b, got)
		}
	}
	// Sigmas alone on perfectly steady traffic: the counting noise keeps
	// the threshold above the mean.
	r := baselineRule(Baseline{Sigmas: 4, Floor: 0.1, Warmup: 5 * m})
	if got, _, _ := replay(t, r, rampEvents(0, time.Hour, 2, 2, "a"), Options{}); len(got) != 0 {
		t.Errorf("steady traffic with sigmas: %v, want nothing", got)
	}
}

// TestEngine_baselineSameAlone: a baseline learns the same whatever other
// rules keep the engine stepping, and whether or not it is traced.
func TestEngine_baselineSameAlone(t *testing.T) {
	m := time.Minute
	sparse := Rule{Name: "s", Type: Rate, Window: m, Match: &Equals{Field: LookupField("client_ip"), Values: []string{"b"}},
		Baseline: &Baseline{Factor: 3, Floor: 0.01, Warmup: 30 * m, HalfLife: time.Hour}}
	busy := rateRule(m, 1e6)
	events := byTime(concat(rampEvents(0, 3*time.Hour, 0.1, 0.1, "a"), rampEvents(0, 2*time.Hour, 0.004, 0.004, "b"), rampEvents(2*time.Hour+10*m, 20*time.Second, 0.3, 0.3, "b")))
	run := func(rules []Rule, trace bool) []alert.Alert {
		var got []alert.Alert
		opts := Options{Emit: func(a alert.Alert) { got = append(got, a) }}
		if trace {
			opts.Trace = func(Evaluation) {}
		}
		eng, err := NewEngine(rules, opts)
		if err != nil {
			t.Fatal(err)
		}
		var e parsers.Event
		for _, x := range events {
			e.Reset()
			e.Time, e.ClientIP = t0.Add(x.at), []byte(x.ip)
			eng.Observe(&e)
		}
		eng.Flush()
		return got
	}
	alone, withBusy, traced := run([]Rule{sparse}, false), run([]Rule{sparse, busy}, false), run([]Rule{sparse}, true)
	if len(alone) == 0 {
		t.Fatal("the sparse rule never fired")
	}
	for _, other := range [][]alert.Alert{withBusy, traced} {
		if len(other) != len(alone) || !other[0].Time.Equal(alone[0].Time) || math.Abs(other[0].Baseline-alone[0].Baseline) > 1e-3 {
			t.Errorf("alone %+v\nother %+v", alone[0], other[0])
		}
	}
}

func TestEngine_ratioHoldsUnderMinEvents(t *testing.T) {
	s := time.Second
	r := Rule{Name: "5xx", Type: Ratio, Window: 30 * s, Threshold: 0.3, MinEvents: 20,
		Of: &Range{Field: LookupField("status"), Ranges: []NumRange{{Min: 500, Max: 599}}}}
	var got []transition
	eng, _ := NewEngine([]Rule{r}, Options{Emit: func(a alert.Alert) { got = append(got, transition{a.State, a.Time.Sub(t0), a.Value}) }})
	var e parsers.Event
	add := func(at time.Duration, status int) {
		e.Reset()
		e.Time, e.Status = t0.Add(at), status
		eng.Observe(&e)
	}
	for i := range 60 { // 2/s, all failing: fires
		add(time.Duration(i)*500*time.Millisecond, 503)
	}
	for i := range 60 { // the outage goes on at 0.5/s: under min_events, still failing
		add(30*s+time.Duration(i)*2*s, 503)
	}
	eng.Flush()
	if len(got) != 1 || got[0].State != alert.Firing {
		t.Errorf("transitions %v, want one firing and no resolution while every request fails", got)
	}

	// A quiet site's deploy: the 502s stop and the few requests after
	// them, under min_events, all succeed. A share of 0 says the trouble
	// is over: the rule resolves once the 502s have left the window.
	got = nil
	eng, _ = NewEngine([]Rule{r}, Options{Emit: func(a alert.Alert) { got = append(got, transition{a.State, a.Time.Sub(t0), a.Value}) }})
	for i := range 60 {
		add(time.Duration(i)*500*time.Millisecond, 502)
	}
	for i := range 60 { // 0.2/s, all answered
		add(30*s+time.Duration(i)*5*s, 200)
	}
	eng.Flush()
	if len(got) != 2 || got[1].State != alert.Resolved || got[1].At > time.Minute+5*s {
		t.Errorf("transitions %v, want the firing resolved once the 502s left the window (at 1m)", got)
	}
}

func TestRule_ValidateWithBaseline(t *testing.T) {
	b := &Baseline{Factor: 3, Floor: 1, HalfLife: time.Hour}
	bad := []Rule{
		{Name: "w", Type: Rate, Window: 0, Baseline: b},
		{Name: "c", Type: Rate, Window: time.Minute, Clear: 7, Baseline: b},
		{Name: "f", Type: Rate, Window: time.Minute, For: -time.Hour, Baseline: b},
		{Name: "d", Type: Distinct, Window: time.Minute, Baseline: b},
		{Name: "z", Type: Rate, Window: time.Minute, Baseline: &Baseline{Factor: 3, HalfLife: time.Hour}},
	}
	for _, r := range bad {
		if err := r.Validate(time.Second); err == nil {
			t.Errorf("Validate(%s) = nil", r.Name)
		}
	}
}

// skipLongInShort skips a test that takes seconds on one goroutine under
// -short: CI's race pass (-race -short) has nothing to find in it, and
// ran it whole in the pass before without the race detector (each of
// these took 1.4 to 2.4 s under it).
func skipLongInShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("long, on one goroutine: run without -short")
	}
}

// TestBaseline_notTaughtByAnAttack: a two-minute flood on a quiet site
// must not lift the normal of the drop rule (ordinary traffic afterwards
// is no collapse), nor an outage lower the normal of the rise rule.
func TestBaseline_notTaughtByAnAttack(t *testing.T) {
	skipLongInShort(t)
	s := time.Second
	spike := Rule{Name: "spike", Type: Rate, Window: time.Minute, Baseline: &Baseline{Factor: 4, Floor: 5, Warmup: 30 * time.Minute, HalfLife: time.Hour}}
	drop := Rule{Name: "drop", Type: Rate, Window: 5 * time.Minute, Baseline: &Baseline{Down: true, Factor: 10, Floor: 1, Warmup: time.Hour, HalfLife: time.Hour}}
	steady := func(from, d time.Duration, perSecond int) []ev {
		return burst(from, d, int(d/s)*perSecond, "10.0.0.%d")
	}
	t.Run("flood then ordinary traffic", func(t *testing.T) {
		events := concat(steady(0, 2*time.Hour, 3), steady(2*time.Hour, 2*time.Minute, 240), steady(2*time.Hour+2*time.Minute, time.Hour, 3))
		got, _, _ := replay(t, drop, byTime(events), Options{})
		if len(got) != 0 {
			t.Errorf("drop rule after a flood: %v, want nothing", got)
		}
		got, _, _ = replay(t, spike, byTime(events), Options{})
		if len(got) != 2 || got[0].At < 2*time.Hour || got[0].At > 2*time.Hour+5*s {
			t.Errorf("spike rule: %v, want one episode from the flood's start", got)
		}
	})
	t.Run("a long flood during the warm-up", func(t *testing.T) {
		// Ten minutes at 40/s, fifteen minutes into the warm-up of a site at
		// 2/s: the rule fires at its warm-up floor and must hold until the
		// flood ends; the warm-up's plain average must not let the flood's
		// values lift the normal toward it.
		warm := Rule{Name: "warm", Type: Rate, Window: 30 * s,
			Baseline: &Baseline{Factor: 10, Floor: 1, Warmup: 30 * time.Minute, WarmupFloor: 3, HalfLife: 6 * time.Hour}}
		flood := 15 * time.Minute
		events := concat(steady(0, time.Hour, 2), steady(flood, 10*time.Minute, 38))
		got, _, _ := replay(t, warm, byTime(events), Options{})
		if len(got) != 2 || got[0].At > flood+20*s || got[1].At < flood+10*time.Minute {
			t.Errorf("%v, want one episode from the flood's start to its end", got)
		}
	})
	t.Run("flood from the start", func(t *testing.T) {
		// The flood is there when the rule starts (a sentinel started
		// during an attack, a new fleet): its first value learned is the
		// threshold it crossed, and what it learns while firing is learned
		// slowly, so the rule fires for the whole flood, resolves once it
		// ends and fires again for a second wave.
		r := Rule{Name: "b", Type: Rate, Window: 30 * s, Baseline: &Baseline{Factor: 10, Floor: 1, Warmup: 30 * time.Minute, WarmupFloor: 3, HalfLife: 6 * time.Hour}}
		events := concat(steady(0, 2*time.Minute, 240), steady(2*time.Minute, 3*time.Minute, 1), steady(5*time.Minute, time.Minute, 240))
		got, _, _ := replay(t, r, byTime(events), Options{})
		// (The second wave still fires at the log's end: a replay does not
		// resolve what the log does not.)
		if len(got) != 3 || got[1].At < 2*time.Minute || got[2].At < 5*time.Minute || got[2].At > 5*time.Minute+5*s {
			t.Errorf("two floods from the start: %v, want the first episode through the first wave, the second from its start", got)
		}
	})
	t.Run("blast on a site under the drop floor", func(t *testing.T) {
		// A site at 0.2 req/s, too quiet for log-stops (floor 1/s); half an
		// hour of a marketing blast at 3/s, then the site's ordinary
		// traffic with a 40-second gap in it (at 0.2/s, an ordinary gap):
		// the blast must not lift the normal over the floor, or the gap
		// looks like the log stopping. A lasting new level is still
		// learned: after six hours at 3/s, the same gap fires.
		logStops := Rule{Name: "log-stops", Type: Rate, Window: 30 * s, Severity: alert.Critical,
			Baseline: &Baseline{Down: true, Factor: 20, Floor: 1, Warmup: time.Hour, HalfLife: time.Hour}}
		quiet := func(from, d time.Duration) []ev { return burst(from, d, int(d/(5*s)), "10.0.0.%d") }
		for _, blast := range []time.Duration{30 * time.Minute, 6 * time.Hour} {
			after := 2*time.Hour + blast
			events := concat(quiet(0, 2*time.Hour), steady(2*time.Hour, blast, 3), quiet(after+40*s, time.Hour))
			got, _, _ := replay(t, logStops, byTime(events), Options{})
			switch {
			case blast < time.Hour && len(got) != 0:
				t.Errorf("after a %v blast: %v, want nothing", blast, got)
			case blast > time.Hour && (len(got) == 0 || got[0].At < after || got[0].At > after+40*s):
				t.Errorf("after %v at 3/s: %v, want the gap at %v to fire", blast, got, after)
			}
		}
	})
	t.Run("outage then ordinary traffic", func(t *testing.T) {
		events := concat(steady(0, 2*time.Hour, 10), steady(3*time.Hour, time.Hour, 10))
		if got, _, _ := replay(t, spike, events, Options{}); len(got) != 0 {
			t.Errorf("spike rule after an hour's outage: %v, want nothing", got)
		}
	})
}

// TestPerKey_baseline: per key, each address is held to its own normal.
// An office NAT sending 6 requests a second from the start is learned
// during the warm-up and never fires, even at twice its rate; a new
// address at 8/s after the warm-up fires at the floor, and its alert
// names it alone; the normals survive a snapshot.
func TestPerKey_baseline(t *testing.T) {
	skipLongInShort(t)
	s := time.Second
	ip := ipField()
	r := Rule{Name: "client", Type: Rate, Window: time.Minute, PerKey: true, GroupBy: ip,
		Baseline: &Baseline{Factor: 4, Floor: 5, Warmup: 30 * time.Minute, HalfLife: 24 * time.Hour}, Fingerprint: "v1"}
	steady := func(from, d time.Duration, perSecond int, addr string) []ev {
		return burst(from, d, int(d/s)*perSecond, addr)
	}
	background := steady(0, 2*time.Hour, 20, "10.1.%d.9")
	nat := concat(steady(0, time.Hour, 6, "198.51.100.7"), steady(time.Hour, time.Hour, 12, "198.51.100.7"))
	attacker := steady(90*time.Minute, 5*time.Minute, 8, "203.0.113.66")
	got, full, eng := replay(t, r, byTime(concat(background, nat, attacker)), Options{})
	if len(got) == 0 || got[0].State != alert.Firing {
		t.Fatalf("transitions = %v, want the attacker's firing", got)
	}
	if at := got[0].At; at < 90*time.Minute || at > 91*time.Minute {
		t.Errorf("fired at %v, want within the attacker's first minute (from 1h30m)", at)
	}
	for _, a := range full {
		if a.State == alert.Firing && (len(a.Keys) != 1 || a.Keys[0].Key != "203.0.113.66") {
			t.Errorf("fired at %v naming %v, want the attacker alone (the busier NAT, under its normal, is no offender)", a.Time, a.Keys)
		}
	}
	if len(got) != 2 {
		t.Errorf("transitions = %v, want one episode", got)
	}
	snap, err := eng.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var nat0 float64
	for _, kn := range snap.Rules[0].KeyNormals {
		if kn.Key == "198.51.100.7" {
			nat0 = kn.Mean
		}
	}
	if nat0 < 5 || nat0 > 12 {
		t.Errorf("the NAT's learned normal = %v, want about its 6/s, rising to 12/s", nat0)
	}
	e2, err := NewEngine([]Rule{r}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e2.Restore(snap); err != nil {
		t.Fatal(err)
	}
	snap2, _ := e2.Snapshot()
	if !slices.Equal(snap.Rules[0].KeyNormals, snap2.Rules[0].KeyNormals) {
		t.Error("key normals lost in a snapshot round trip")
	}
}

// TestPerKey_resolvesUnderBusyKey: an office NAT sending just under the
// floor (4.5/s against 5/s), held to four times its own normal, does not
// hold the alert of a flood from another address open once the flood is
// over: while firing, the keys in the floor's clear band are judged
// against their own thresholds, as they are for firing (the fifth
// independent check's 300 req/s site: 20 minutes, its NAT at 4.8/s).
func TestPerKey_resolvesUnderBusyKey(t *testing.T) {
	skipLongInShort(t)
	ip := ipField()
	r := Rule{Name: "client", Type: Rate, Window: time.Minute, PerKey: true, GroupBy: ip, Clear: 0.8,
		Baseline: &Baseline{Factor: 4, Floor: 5, Warmup: 30 * time.Minute, HalfLife: 24 * time.Hour}, Fingerprint: "v1"}
	background := burst(0, 2*time.Hour, 2*3600*20, "10.1.%d.9")
	nat := burst(0, 2*time.Hour, 2*3600*9/2, "198.51.100.7")
	attacker := burst(90*time.Minute, 5*time.Minute, 300*8, "203.0.113.66")
	got, _, _ := replay(t, r, byTime(concat(background, nat, attacker)), Options{})
	if len(got) != 2 || got[0].State != alert.Firing || got[1].State != alert.Resolved {
		t.Fatalf("transitions = %v, want one episode", got)
	}
	if at := got[1].At; at > 97*time.Minute {
		t.Errorf("resolved at %v, want within the window and a few seconds of the flood's end (1h35m)", at)
	}
}

// TestEvidence: volume alone is the rule's severity; signs of a bot make
// the alert critical and say so.
func TestEvidence(t *testing.T) {
	skipLongInShort(t)
	s := time.Second
	post := NewEquals(LookupField("method"), []string{"POST"})
	type line struct {
		at             time.Duration
		ip, method, ua string
		status         int
	}
	run := func(t *testing.T, r Rule, lines []line) []alert.Alert {
		t.Helper()
		var got []alert.Alert
		eng, err := NewEngine([]Rule{r}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortStableFunc(lines, func(a, b line) int { return cmp.Compare(a.at, b.at) })
		var e parsers.Event
		// The engine has read the log for a while before: a post in its
		// first coldGuard is never cold.
		e.Time, e.ClientIP, e.Method = t0.Add(-coldWindow), []byte("192.0.2.1"), []byte("GET")
		eng.Observe(&e)
		for _, l := range lines {
			e.Reset()
			e.Time, e.ClientIP, e.Method, e.UserAgent, e.Status = t0.Add(l.at), []byte(l.ip), []byte(l.method), []byte(l.ua), l.status
			eng.Observe(&e)
		}
		eng.Flush()
		return got
	}
	signups := Rule{Name: "signups", Type: Rate, Window: 30 * s, Threshold: 1, Severity: alert.Warning, Match: post,
		Evidence: &Evidence{Cold: 0.8, ClientsPerAgent: 20}}
	uas := []string{"Mozilla/5.0 (Windows)", "Mozilla/5.0 (Macintosh)", "Mozilla/5.0 (iPhone)"}

	t.Run("a marketing blast: people load the page first", func(t *testing.T) {
		var lines []line
		for i := range 600 {
			ip, at := fmt.Sprintf("10.%d.%d.1", i/250, i%250), time.Duration(i)*50*time.Millisecond
			ua := fmt.Sprintf("Mozilla/5.0 (build %d)", i%97)
			lines = append(lines, line{at, ip, "GET", ua, 200}, line{at + 5*s, ip, "GET", ua, 200}, line{at + 20*s, ip, "POST", ua, 302})
		}
		got := run(t, signups, lines)
		if len(got) == 0 || got[0].Severity != alert.Warning || len(got[0].Evidence) != 0 {
			t.Fatalf("got %+v, want a warning without evidence", got)
		}
	})
	t.Run("a bot: posts without loading, few user agents", func(t *testing.T) {
		var lines []line
		for i := range 600 {
			lines = append(lines, line{time.Duration(i) * 10 * time.Millisecond, fmt.Sprintf("198.%d.%d.9", i/250, i%250), "POST", uas[i%3], 302})
		}
		got := run(t, signups, lines)
		if len(got) == 0 || got[0].Severity != alert.Critical || len(got[0].Evidence) == 0 ||
			!strings.Contains(got[0].Evidence[0], "from addresses that loaded no page first") {
			t.Fatalf("got %+v, want critical with the cold posts as evidence", got)
		}
		// Later, with more clients, the user agents too.
		r := signups
		r.Evidence = &Evidence{ClientsPerAgent: 20}
		r.Threshold = 15
		got = run(t, r, lines)
		if len(got) == 0 || got[0].Severity != alert.Critical || !strings.Contains(strings.Join(got[0].Evidence, ";"), "3 user agents") {
			t.Fatalf("got %+v, want critical for 3 user agents", got)
		}
	})
	t.Run("a growing crowd is not raised on its user agents", func(t *testing.T) {
		// People load the page first, 9 browsers' user agents among them,
		// 4 sign-ups a second: the rule fires on the first dozens as a
		// warning; 30 s later 120 addresses share the 9 user agents (13
		// times as many) and a minute later 240 (27 times: past
		// clients_per_agent's 20), which a crowd reaches as it grows. No
		// raise; the same posts sent cold are raised once they are 80%
		// of the window, which cold posts are from the start.
		var crowd, cold []line
		for i := range 480 {
			ip, at := fmt.Sprintf("10.%d.%d.1", i/250, i%250), time.Duration(i)*250*time.Millisecond
			ua := fmt.Sprintf("Mozilla/5.0 (build %d)", i%9)
			crowd = append(crowd, line{at, ip, "GET", ua, 200}, line{at + 20*s, ip, "POST", ua, 302})
			cold = append(cold, line{at + 20*s, ip, "POST", ua, 302})
		}
		r := signups
		r.Threshold, r.Window = 2, time.Minute
		got := run(t, r, crowd)
		if len(got) == 0 || got[0].Severity != alert.Warning || slices.ContainsFunc(got, func(a alert.Alert) bool { return a.Escalated }) {
			t.Fatalf("the crowd: %+v, want a warning, never raised", got)
		}
		// Cold from the start: critical when it fires (not a raise).
		got = run(t, r, cold)
		if len(got) == 0 || got[0].Severity != alert.Critical || got[0].Escalated {
			t.Fatalf("cold posts: %+v, want critical at once", got)
		}
	})
	t.Run("a per-key rule is not raised on the window's signs", func(t *testing.T) {
		// An office's people post from one address after loading the
		// page: its key fires as a warning; then cold posts from 300
		// other addresses, one each, make the window's posts 80% cold.
		// They are not the office's: its episode stays a warning.
		r := Rule{Name: "per-address", Type: Rate, PerKey: true, GroupBy: ipField(), Window: time.Minute, Threshold: 0.05,
			Severity: alert.Warning, Match: post, Evidence: &Evidence{Cold: 0.8}}
		var lines []line
		for i := range 20 {
			at := time.Duration(i) * 5 * s
			lines = append(lines, line{at, "10.0.0.1", "GET", uas[0], 200}, line{at + s, "10.0.0.1", "POST", uas[0], 302})
		}
		for i := range 300 {
			lines = append(lines, line{30*s + time.Duration(i)*200*time.Millisecond, fmt.Sprintf("198.51.%d.%d", i/250, i%250), "POST", uas[1], 302})
		}
		got := run(t, r, lines)
		if len(got) == 0 || got[0].Severity != alert.Warning || slices.ContainsFunc(got, func(a alert.Alert) bool { return a.Escalated }) {
			t.Fatalf("got %+v, want the office's warning, never raised", got)
		}
	})
	t.Run("a bot fetching the form's token posts at once", func(t *testing.T) {
		// 600 fresh addresses, each loading the form (its CSRF token) and
		// posting it a second later, with 97 browsers' user agents: warm,
		// too many user agents for that sign; no person fills a form in
		// a second.
		r := signups
		r.Evidence = &Evidence{Cold: 0.8, NoPause: 0.8, ClientsPerAgent: 20}
		var lines []line
		for i := range 600 {
			ip, at := fmt.Sprintf("198.%d.%d.9", i/250, i%250), time.Duration(i)*50*time.Millisecond
			ua := fmt.Sprintf("Mozilla/5.0 (build %d)", i%97)
			lines = append(lines, line{at, ip, "GET", ua, 200}, line{at + s, ip, "POST", ua, 302})
		}
		got := run(t, r, lines)
		if len(got) == 0 || got[0].Severity != alert.Critical || len(got[0].Evidence) != 1 ||
			!strings.HasSuffix(got[0].Evidence[0], "posted within 3s of their address's first page, or with none") {
			t.Fatalf("got %+v, want critical, posted without a pause", got)
		}
		// Without no_pause: a warning.
		r.Evidence = &Evidence{Cold: 0.8, ClientsPerAgent: 20}
		if got := run(t, r, lines); len(got) == 0 || got[0].Severity != alert.Warning {
			t.Fatalf("without no_pause: %+v, want a warning", got)
		}
	})
	t.Run("people: a pause before posting, however long their visit", func(t *testing.T) {
		// A marketing mail's 600 people load the landing page, then the
		// form 10 s later, and post 20 s after that; and 40 regulars who
		// have browsed for half an hour (a page a minute) load the form a
		// second before posting: their visits began long before.
		r := signups
		r.Evidence = &Evidence{Cold: 0.8, NoPause: 0.8, ClientsPerAgent: 20}
		var lines []line
		for i := range 600 {
			ip, at := fmt.Sprintf("10.%d.%d.1", i/250, i%250), 35*time.Minute+time.Duration(i)*50*time.Millisecond
			ua := fmt.Sprintf("Mozilla/5.0 (build %d)", i%97)
			lines = append(lines, line{at, ip, "GET", ua, 200}, line{at + 10*s, ip, "GET", ua, 200}, line{at + 30*s, ip, "POST", ua, 302})
		}
		if got := run(t, r, lines); len(got) == 0 || got[0].Severity != alert.Warning || len(got[0].Evidence) != 0 {
			t.Fatalf("the mail's people: %+v, want a warning without evidence", got)
		}
		lines = nil
		for i := range 40 {
			ip := fmt.Sprintf("10.9.%d.1", i)
			for m := range 30 {
				lines = append(lines, line{time.Duration(m)*time.Minute + time.Duration(i)*s, ip, "GET", "Mozilla/5.0", 200})
			}
			at := 30*time.Minute + time.Duration(i)*s
			lines = append(lines, line{at, ip, "GET", "Mozilla/5.0", 200}, line{at + s, ip, "POST", "Mozilla/5.0", 302})
		}
		r.Threshold = 0.7 // 21 posts in 30 s: enough for a share
		if got := run(t, r, lines); len(got) == 0 || got[0].Severity != alert.Warning || len(got[0].Evidence) != 0 {
			t.Fatalf("the regulars: %+v, want a warning without evidence", got)
		}
	})
	t.Run("an app's release: its users send its one user agent", func(t *testing.T) {
		// 600 people log in again from the app within 30 s, each from an
		// address of its own, the app's user agents (three builds),
		// after a request of the app's: not the few user agents of a bot.
		var lines []line
		for i := range 600 {
			ip, at := fmt.Sprintf("10.%d.%d.1", i/250, i%250), time.Duration(i)*50*time.Millisecond
			ua := []string{"Tallybook/4.12.0 (Android 15; Pixel 8) okhttp/4.12.0", "Tallybook/4 CFNetwork/1568.100.1 Darwin/24.0.0",
				"Tallybook/4.12.0 (iPhone; iOS 18.1; Scale/3.00)"}[i%3]
			lines = append(lines, line{at, ip, "GET", ua, 200}, line{at + 2*s, ip, "POST", ua, 200})
		}
		r := signups
		r.Evidence = &Evidence{ClientsPerAgent: 20}
		r.Threshold = 15
		got := run(t, r, lines)
		if len(got) == 0 || got[0].Severity != alert.Warning || len(got[0].Evidence) != 0 {
			t.Fatalf("got %+v, want a warning without evidence", got)
		}
	})
	t.Run("failed log-ins: their share of log-in posts", func(t *testing.T) {
		failed := All{post, &Range{Field: LookupField("status"), Ranges: []NumRange{{401, 401}}}}
		r := Rule{Name: "failures", Type: Rate, Window: time.Minute, Threshold: 1, Severity: alert.Warning, Match: failed,
			Evidence: &Evidence{ShareOf: post, Share: 0.7}}
		mk := func(failing float64) []line {
			var lines []line
			for i := range 1000 {
				status := 302
				if float64(i%100) < failing*100 {
					status = 401
				}
				lines = append(lines, line{time.Duration(i) * 20 * time.Millisecond, fmt.Sprintf("10.0.%d.%d", i/250, i%250), "POST", uas[0], status})
			}
			return lines
		}
		if got := run(t, r, mk(0.2)); len(got) == 0 || got[0].Severity != alert.Warning {
			t.Errorf("20%% failing: %+v, want a warning", got)
		}
		if got := run(t, r, mk(0.98)); len(got) == 0 || got[0].Severity != alert.Critical || !strings.Contains(got[0].Evidence[0], "of") {
			t.Errorf("98%% failing: %+v, want critical", got)
		}
	})
	t.Run("the share's events leave the window where no failure was", func(t *testing.T) {
		// Ten minutes of log-ins that all work, a post a second, then only
		// failures: the rule fires 45 s in, with 45 failures among 60
		// posts in its window (75%). The posts counted in buckets without
		// a failure must leave the window too, or the share stays diluted
		// by posts long gone.
		failed := All{post, &Range{Field: LookupField("status"), Ranges: []NumRange{{401, 401}}}}
		r := Rule{Name: "failures", Type: Rate, Window: time.Minute, Threshold: 0.75, Severity: alert.Warning, Match: failed,
			Evidence: &Evidence{ShareOf: post, Share: 0.7}}
		var lines []line
		for i := range 600 {
			lines = append(lines, line{time.Duration(i) * s, fmt.Sprintf("10.0.%d.%d", i/250, i%250), "POST", uas[i%3], 302})
		}
		for i := range 180 {
			lines = append(lines, line{10*time.Minute + time.Duration(i)*s, fmt.Sprintf("198.51.100.%d", i%250), "POST", uas[0], 401})
		}
		got := run(t, r, lines)
		if len(got) == 0 || got[0].Severity != alert.Critical || got[0].Time.Sub(t0) > 11*time.Minute {
			t.Errorf("got %+v, want critical within the failures' first minute", got)
		}
	})
	t.Run("a busy site's mistyped passwords during the warm-up", func(t *testing.T) {
		// 40 log-in posts a second, a quarter failing: 10 failures a second,
		// past the warm-up floor of 8, from people (the failures' share is
		// ordinary). The rule learns them as the site's normal and stays
		// quiet; stuffing in the warm-up past five times that normal (60
		// failures a second more) fires within its minute, and only then.
		failed := All{post, &Range{Field: LookupField("status"), Ranges: []NumRange{{401, 401}}}}
		r := Rule{Name: "failures", Type: Rate, Window: time.Minute, Severity: alert.Warning, Match: failed,
			Evidence: &Evidence{ShareOf: post, Share: 0.7},
			Baseline: &Baseline{Factor: 5, Floor: 1, Warmup: 30 * time.Minute, WarmupFloor: 8, WarmupShare: 0.4, HalfLife: 6 * time.Hour}}
		stuffing := 10 * time.Minute
		mk := func(wave bool) []line {
			var lines []line
			for i := range 40 * 40 * 60 {
				status := 302
				if i%4 == 0 {
					status = 401
				}
				// From the log's first line (run's, coldWindow before t0):
				// the failures pass the floor from the start.
				lines = append(lines, line{time.Duration(i)*25*time.Millisecond - coldWindow, fmt.Sprintf("10.%d.%d.1", i/250%250, i%250), "POST", uas[i%3], status})
			}
			for i := range 60 * 120 {
				if wave {
					lines = append(lines, line{stuffing + time.Duration(i)*time.Second/60, fmt.Sprintf("198.51.%d.%d", i/250%250, i%250), "POST", uas[0], 401})
				}
			}
			return lines
		}
		if got := run(t, r, mk(false)); len(got) != 0 {
			t.Errorf("ordinary failures: %+v, want nothing", got)
		}
		all := run(t, r, mk(true))
		// It fires as a warning, its failures a third of the minute's
		// log-in posts, and is raised to critical once they pass 70%.
		var got, raised []alert.Alert
		for _, a := range all {
			if a.Escalated {
				raised = append(raised, a)
			} else {
				got = append(got, a)
			}
		}
		if len(got) != 2 || got[0].Time.Sub(t0) < stuffing || got[0].Time.Sub(t0) > stuffing+time.Minute ||
			got[1].State != alert.Resolved || got[1].Time.Sub(t0) < stuffing+2*time.Minute {
			t.Fatalf("stuffing in the warm-up: %+v, want one episode from its start to its end", all)
		}
		if got[0].Severity != alert.Warning || len(raised) != 1 || raised[0].State != alert.Firing ||
			raised[0].Severity != alert.Critical || !raised[0].Since.Equal(got[0].Since) || len(raised[0].Evidence) == 0 ||
			!raised[0].Time.After(got[0].Time) || !raised[0].Time.Before(got[1].Time) || got[1].Severity != alert.Critical {
			t.Errorf("stuffing in the warm-up: %+v, want a warning raised once to critical with its evidence, resolved as critical", all)
		}
		r.Baseline.WarmupShare = 0
		if got := run(t, r, mk(false)); len(got) == 0 {
			t.Errorf("without warmup_share: nothing, want the floor to fire on the ordinary failures (the test's premise)")
		}
	})
	t.Run("a small site's slow stuffing: nearly every log-in failing lowers the floor", func(t *testing.T) {
		// A site of a log-in every 30 s, a quarter failing. At 40 minutes,
		// stuffing at a try every 2 s from fresh addresses, one or two
		// tries each, 98% failing: 0.36 new addresses a second reach the
		// floor of 30 after 84 s; the share floor of 10, once 20 log-in
		// posts show nearly all failing, within the minute. One address
		// failing at the same pace, or twelve people failing in a busy
		// quarter of an hour (a third of the log-ins), do not fire.
		failed := All{post, &Range{Field: LookupField("status"), Ranges: []NumRange{{401, 401}}}}
		r := Rule{Name: "spread", Type: Distinct, Field: ipField(), Window: 5 * time.Minute, Severity: alert.Warning, Match: failed,
			Evidence: &Evidence{ShareOf: post, Share: 0.7},
			Baseline: &Baseline{Factor: 4, Floor: 30, ShareFloor: 10, Warmup: 30 * time.Minute, HalfLife: 6 * time.Hour}}
		start := 40 * time.Minute
		mk := func(attack string) []line {
			var lines []line
			for i := range 120 {
				status := 302
				if i%4 == 0 {
					status = 401
				}
				lines = append(lines, line{time.Duration(i) * 30 * s, fmt.Sprintf("10.0.%d.%d", i/200, i%200+1), "POST", uas[i%3], status})
			}
			switch attack {
			case "stuffing":
				for i := range 300 {
					status := 401
					if i%50 == 0 {
						status = 302
					}
					// Addresses change every 1.4 tries on average: 60%
					// one try, 40% two.
					lines = append(lines, line{start + time.Duration(i)*2*s, fmt.Sprintf("198.51.%d.%d", (i*5/7)/250, (i*5/7)%250), "POST", uas[0], status})
				}
			case "one address":
				for i := range 300 {
					lines = append(lines, line{start + time.Duration(i)*2*s, "198.51.100.7", "POST", uas[0], 401})
				}
			case "busy people":
				// 36 log-ins in 15 minutes from as many people, a third failing.
				for i := range 36 {
					status := 302
					if i%3 == 0 {
						status = 401
					}
					lines = append(lines, line{start + time.Duration(i)*25*s, fmt.Sprintf("10.1.0.%d", i+1), "POST", uas[i%3], status})
				}
			}
			return lines
		}
		got := run(t, r, mk("stuffing"))
		if len(got) == 0 || got[0].Time.Sub(t0) > start+time.Minute || got[0].Severity != alert.Critical {
			t.Errorf("slow stuffing: %+v, want critical within its first minute", got)
		}
		for _, quiet := range []string{"", "one address", "busy people"} {
			if got := run(t, r, mk(quiet)); len(got) != 0 {
				t.Errorf("%q: %+v, want nothing", quiet, got)
			}
		}
		r.Baseline.ShareFloor = 0
		if got := run(t, r, mk("stuffing")); len(got) == 0 || got[0].Time.Sub(t0) < start+80*s {
			t.Errorf("without share_floor: %+v, want the floor to hold it past 80 s (the test's premise)", got)
		}
	})
	t.Run("an office logging in at nine through one address", func(t *testing.T) {
		// A site of a log-in every 30 s from its people, a quarter failing.
		// At 40 minutes an office arrives: 20 log-in posts a minute from one
		// address for 15 minutes, a quarter failing (5 a minute, past the
		// floor of 4). Its failures are an ordinary share of its own
		// log-ins: no alert. One address failing 10 times a minute, every
		// try, fires within its first minutes.
		failed := All{post, &Range{Field: LookupField("status"), Ranges: []NumRange{{401, 401}}}}
		ip := ipField()
		r := Rule{Name: "client", Type: Rate, PerKey: true, GroupBy: ip, Window: 5 * time.Minute, Severity: alert.Warning, Match: failed,
			Evidence: &Evidence{ShareOf: post, Share: 0.7},
			Baseline: &Baseline{Factor: 4, Floor: 4.0 / 60, Warmup: 30 * time.Minute, WarmupFloor: 4.0 / 60, KeyShare: 0.1, KeyOrdinaryShare: 0.4, HalfLife: 24 * time.Hour}}
		start := 40 * time.Minute
		mk := func(who string) []line {
			var lines []line
			for i := range 120 {
				status := 302
				if i%4 == 0 {
					status = 401
				}
				lines = append(lines, line{time.Duration(i) * 30 * s, fmt.Sprintf("10.0.%d.%d", i/200, i%200+1), "POST", uas[i%3], status})
			}
			for i := range 300 {
				at := start + time.Duration(i)*3*s
				switch {
				case who == "office":
					status := 302
					if i%4 == 0 {
						status = 401
					}
					lines = append(lines, line{at, "193.17.25.199", "POST", uas[i%3], status})
				case who == "brute-forcer" && i%2 == 0:
					lines = append(lines, line{at, "193.17.25.199", "POST", uas[0], 401})
				}
			}
			return lines
		}
		if got := run(t, r, mk("office")); len(got) != 0 {
			t.Errorf("the office: %+v, want nothing", got)
		}
		got := run(t, r, mk("brute-forcer"))
		if len(got) == 0 || got[0].Time.Sub(t0) > start+5*time.Minute || len(got[0].Keys) == 0 || got[0].Keys[0].Key != "193.17.25.199" {
			t.Errorf("the brute-forcer: %+v, want it fired and named within 5 minutes", got)
		}
		r.Baseline.KeyOrdinaryShare = 0
		if got := run(t, r, mk("office")); len(got) == 0 {
			t.Errorf("without key_ordinary_share: nothing, want the office to pass the floor (the test's premise)")
		}
	})
	t.Run("a distributed attack beside an office: the office's key goes last", func(t *testing.T) {
		// An office's people log in, 40 posts a minute through one
		// address, a quarter failing (10 failures a minute: the window's
		// busiest failing address); at 10 minutes a bot tries from 300
		// addresses, one try each, every one failing. The site-wide alert
		// names the bot's addresses first, the office after them.
		failed := All{post, &Range{Field: LookupField("status"), Ranges: []NumRange{{401, 401}}}}
		r := Rule{Name: "failures", Type: Rate, GroupBy: ipField(), Window: 5 * time.Minute, Threshold: 0.5, Severity: alert.Warning,
			Match: failed, Evidence: &Evidence{ShareOf: post, Share: 0.7}}
		var lines []line
		for i := range 600 {
			status := 302
			if i%4 == 0 {
				status = 401
			}
			lines = append(lines, line{time.Duration(i) * 1500 * time.Millisecond, "193.17.25.199", "POST", uas[i%3], status})
		}
		for i := range 300 {
			lines = append(lines, line{10*time.Minute + time.Duration(i)*200*time.Millisecond, fmt.Sprintf("198.%d.%d.9", i/250, i%250), "POST", uas[i%3], 401})
		}
		got := run(t, r, lines)
		i := slices.IndexFunc(got, func(a alert.Alert) bool { return a.Time.Sub(t0) >= 10*time.Minute })
		if i < 0 || len(got[i].Keys) < 2 || got[i].Keys[0].Key == "193.17.25.199" || got[i].Keys[len(got[i].Keys)-1].Key != "193.17.25.199" {
			t.Fatalf("got %+v, want the bot's addresses first and the office last", got)
		}
		// Without the log-in posts per key (no share), the office first:
		// the test's premise.
		r.Evidence = &Evidence{Cold: 0.8}
		got = run(t, r, lines)
		if i := slices.IndexFunc(got, func(a alert.Alert) bool { return a.Time.Sub(t0) >= 10*time.Minute }); i < 0 || len(got[i].Keys) == 0 || got[i].Keys[0].Key != "193.17.25.199" {
			t.Errorf("without the share: %+v, want the office first (the test's premise)", got)
		}
	})
	t.Run("a share of failing log-ins beside an office: who fails first, the office last", func(t *testing.T) {
		// The office of the subtest above, 40 log-in posts a minute, and at
		// 10 minutes the bot's 300 addresses, one failing try each: the
		// site-wide share of failures passes 50%. Its alert names the
		// addresses by their failures (one each), the office's 50 last.
		failed := &Range{Field: LookupField("status"), Ranges: []NumRange{{401, 401}}}
		r := Rule{Name: "share", Type: Ratio, GroupBy: ipField(), Window: 5 * time.Minute, Threshold: 0.5, MinEvents: 50,
			Severity: alert.Warning, Match: post, Of: failed}
		mk := func(every int) []line {
			var lines []line
			for i := range 600 {
				status := 302
				if i%every == 0 {
					status = 401
				}
				lines = append(lines, line{time.Duration(i) * 1500 * time.Millisecond, "193.17.25.199", "POST", uas[i%3], status})
			}
			for i := range 300 {
				lines = append(lines, line{10*time.Minute + time.Duration(i)*200*time.Millisecond, fmt.Sprintf("198.%d.%d.9", i/250, i%250), "POST", uas[i%3], 401})
			}
			return lines
		}
		got := run(t, r, mk(4))
		if len(got) == 0 || got[0].State != alert.Firing || len(got[0].Keys) < 2 {
			t.Fatalf("got %+v, want the share firing with keys", got)
		}
		a := got[0]
		if a.Keys[0].Key == "193.17.25.199" || a.Keys[0].Count != 1 || a.Keys[len(a.Keys)-1].Key != "193.17.25.199" || a.Hits == 0 || a.Hits >= a.Count {
			t.Errorf("keys %+v (hits %d of %d), want the bot's addresses first with one failure each, the office last", a.Keys, a.Hits, a.Count)
		}
		// explain's evaluation at the firing names the same keys.
		var traced []alert.KeyCount
		eng, err := NewEngine([]Rule{r}, Options{Emit: func(alert.Alert) {}, Trace: func(ev Evaluation) {
			if ev.Time.Equal(a.Time) {
				traced = ev.Keys
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		lines := mk(4)
		slices.SortStableFunc(lines, func(a, b line) int { return cmp.Compare(a.at, b.at) })
		var e parsers.Event
		for _, l := range lines {
			e.Reset()
			e.Time, e.ClientIP, e.Method, e.UserAgent, e.Status = t0.Add(l.at), []byte(l.ip), []byte(l.method), []byte(l.ua), l.status
			eng.Observe(&e)
		}
		if len(traced) == 0 || traced[0] != a.Keys[0] {
			t.Errorf("traced keys at the firing %+v, want the alert's first, %+v", traced, a.Keys[0])
		}
		// Beside the bot, a person who mistyped three times and then
		// logged in, and a brute-forcer failing every time: the
		// brute-forcer first (the most failures, none working), the
		// person after the bot's addresses.
		lines = mk(4)
		for i := range 4 {
			status := 401
			if i == 3 {
				status = 302
			}
			lines = append(lines, line{10*time.Minute + time.Duration(i)*5*s, "203.0.113.50", "POST", uas[0], status},
				line{10*time.Minute + time.Duration(i)*5*s, "203.0.113.66", "POST", uas[0], 401})
		}
		got = run(t, r, lines)
		if len(got) == 0 {
			t.Fatal("nothing fired")
		}
		ks := got[0].Keys
		if len(ks) != 5 || ks[0].Key != "203.0.113.66" || !strings.HasPrefix(ks[1].Key, "198.") || !strings.HasPrefix(ks[2].Key, "198.") ||
			!slices.Equal([]string{ks[3].Key, ks[4].Key}, []string{"193.17.25.199", "203.0.113.50"}) {
			t.Errorf("keys %+v, want the brute-forcer, two of the bot's addresses, then the office and the person who logged in", ks)
		}
	})
	t.Run("the share floor holds while the episode lasts", func(t *testing.T) {
		// Stuffing at a try every 2 s for 20 minutes on a small site, and
		// every two minutes a spell of 20 s in which the bot's tries work
		// (a list's valid pairs): the failures' share dips under the
		// evidence's 70% (20 of 30), their rate stays past the share
		// floor's clear level (0.33/s against 0.24/s). One episode, not
		// one per dip.
		failed := All{post, &Range{Field: LookupField("status"), Ranges: []NumRange{{401, 401}}}}
		r := Rule{Name: "burst", Type: Rate, Window: time.Minute, Severity: alert.Warning, Match: failed,
			Evidence: &Evidence{ShareOf: post, Share: 0.7},
			Baseline: &Baseline{Factor: 5, Floor: 1, ShareFloor: 0.3, Warmup: 30 * time.Minute, HalfLife: 6 * time.Hour}}
		start := 40 * time.Minute
		var lines []line
		for i := range 140 { // and 10 minutes after the wave
			lines = append(lines, line{time.Duration(i) * 30 * s, fmt.Sprintf("10.0.0.%d", i+1), "POST", uas[i%3], 302})
		}
		for i := range 600 {
			at := time.Duration(i) * 2 * s
			status := 401
			if at%(2*time.Minute) >= 100*s {
				status = 302 // 20 s in every 2 minutes: a third of the window's tries work
			}
			lines = append(lines, line{start + at, fmt.Sprintf("198.51.%d.%d", i/250, i%250), "POST", uas[0], status})
		}
		got := run(t, r, lines)
		if len(got) != 2 || got[0].Time.Sub(t0) > start+time.Minute || got[1].State != alert.Resolved || got[1].Time.Sub(t0) < start+20*time.Minute {
			t.Errorf("got %d alerts: %+v, want one episode from the first minute to the end", len(got), got)
		}
	})
}

// TestNativeApp: the user agents of native apps' HTTP stacks, and apps'
// own naming a phone, are told from browsers' and scripts'.
func TestNativeApp(t *testing.T) {
	for ua, want := range map[string]bool{
		"okhttp/4.12.0": true,
		"ShopApp/5.13.0 CFNetwork/1568.200.51 Darwin/24.1.0":                 true,
		"ShopApp/5.13.0 (iPhone; iOS 18.1; Scale/3.00)":                      true,
		"ShopApp/5.13.0 (Android 14; SM-A546B)":                              true,
		"Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP2A.240805.005)": true,
		"Dart/3.5 (dart:io)": true,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148":      false,
		"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36": false,
		"python-requests/2.31.0": false,
		"Go-http-client/1.1":     false,
		"":                       false,
	} {
		if got := nativeApp([]byte(ua)); got != want {
			t.Errorf("nativeApp(%q) = %v, want %v", ua, got, want)
		}
	}
}

// TestAppClient: appClient is nativeApp's apps and hybrid apps' web views
// (Android's "; wv)", iOS's "Mobile/..." ending the string, where Safari
// and the other iOS browsers go on), not browsers.
func TestAppClient(t *testing.T) {
	for ua, want := range map[string]bool{
		"okhttp/4.12.0": true,
		"ShopApp/5.13.0 CFNetwork/1568.200.51 Darwin/24.1.0": true,
		"Mozilla/5.0 (Linux; Android 14; SM-S911B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.81 Mobile Safari/537.36": true,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148":                                                    true,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1":                          false,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1":                   false,
		"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36":                                                                   false,
		"Mozilla/5.0 (X11; Linux x86_64) Mobile/": false,
		"Mozilla/5.0 (X11; Linux x86_64)":         false,
		"python-requests/2.31.0":                  false,
		"":                                        false,
	} {
		if got := appClient([]byte(ua)); got != want {
			t.Errorf("appClient(%q) = %v, want %v", ua, got, want)
		}
	}
}

// TestNotices: a log without client addresses says once which rules it
// leaves blind; a proxy in front, logging its own address for every
// request, is named once with the fix; an ordinary log says nothing.
func TestNotices(t *testing.T) {
	ip, network := ipField(), LookupField("client_net")
	rules := []Rule{
		{Name: "client-flood", Type: Rate, Window: time.Minute, Threshold: 5, PerKey: true, GroupBy: ip},
		{Name: "signup-spread", Type: Distinct, Field: ip, Window: time.Minute, Threshold: 20},
		{Name: "network-flood", Type: Rate, Window: time.Minute, Threshold: 50, PerKey: true, GroupBy: &network},
	}
	agent := func(int) string { return "" }
	run := func(addr func(i int) string, n int) []Notice {
		var got []Notice
		eng, err := NewEngine(rules, Options{Notice: func(x Notice) { got = append(got, x) }})
		if err != nil {
			t.Fatal(err)
		}
		var e parsers.Event
		for i := range n {
			e.Reset()
			e.Time = t0.Add(time.Duration(i) * 100 * time.Millisecond)
			e.ClientIP = []byte(addr(i))
			if addr(i) == "" {
				e.ClientIP = nil
			}
			e.UserAgent = []byte(agent(i))
			eng.Observe(&e)
		}
		eng.Flush()
		if !slices.EqualFunc(got, eng.Notices(), func(a, b Notice) bool { return a.Text == b.Text }) {
			t.Errorf("Notices() = %v, emitted %v", eng.Notices(), got)
		}
		return got
	}
	got := run(func(int) string { return "" }, 1000)
	if len(got) != 1 || got[0].Kind != "missing-field" || got[0].Field != "client_ip" ||
		!strings.Contains(got[0].Text, "client-flood, signup-spread, network-flood count nothing per client_ip") {
		t.Errorf("no addresses: %+v, want one missing-field notice (client_net is the address's network: no second)", got)
	}
	behindProxy := func(i int) string {
		if i%20 == 0 {
			return "198.51.100.7"
		}
		return "10.0.0.1"
	}
	// A scraper drowning a small site's traffic sends one user agent.
	agent = func(int) string { return "python-requests/2.32" }
	if got = run(behindProxy, int(20*time.Minute/(100*time.Millisecond))); len(got) != 0 {
		t.Errorf("one program sending 95%% of the requests: %+v, want no proxy notice", got)
	}
	// A proxy relays many browsers.
	agent = func(i int) string { return fmt.Sprintf("Mozilla/5.0 (browser %d)", i%9) }
	got = run(behindProxy, int(20*time.Minute/(100*time.Millisecond)))
	if len(got) != 1 || got[0].Kind != "proxy" || !strings.Contains(got[0].Text, "one address, 10.0.0.1, sent ") {
		t.Errorf("a proxy: %+v, want one proxy notice", got)
	}
	got = run(func(i int) string { return fmt.Sprintf("10.0.%d.%d", i%7, i%251) }, int(20*time.Minute/(100*time.Millisecond)))
	if len(got) != 0 {
		t.Errorf("ordinary traffic: %+v, want no notice", got)
	}
	// An app's own log (Rails' "Started … for 127.0.0.1") carries no user
	// agent: a proxy on the machine, or one on a private network, is known
	// by its address alone.
	agent = func(int) string { return "" }
	for _, proxy := range []string{"127.0.0.1", "::1", "10.0.3.7"} {
		got = run(func(i int) string {
			if i%20 == 0 {
				return "198.51.100.7"
			}
			return proxy
		}, int(20*time.Minute/(100*time.Millisecond)))
		if len(got) != 1 || got[0].Kind != "proxy" || !strings.Contains(got[0].Text, "one address, "+proxy+", sent ") {
			t.Errorf("%s in front of an app, no user agents: %+v, want one proxy notice", proxy, got)
		}
	}
	// A small site, 0.3 req/s: from its second five minutes every request
	// is looked at.
	slow := func(addr func(i int) string, d time.Duration) []Notice {
		var got []Notice
		eng, err := NewEngine(rules, Options{Notice: func(x Notice) { got = append(got, x) }})
		if err != nil {
			t.Fatal(err)
		}
		var e parsers.Event
		for i := range int(d.Seconds() * 0.3) {
			e.Reset()
			e.Time = t0.Add(time.Duration(i) * time.Second * 10 / 3)
			e.ClientIP = []byte(addr(i))
			e.UserAgent = []byte(agent(i))
			eng.Observe(&e)
		}
		eng.Flush()
		return got
	}
	agent = func(i int) string { return fmt.Sprintf("Mozilla/5.0 (browser %d)", i%9) }
	if got = slow(behindProxy, 20*time.Minute); len(got) != 1 || got[0].Kind != "proxy" || !strings.Contains(got[0].Text, "one address, 10.0.0.1, sent 95% of about 90 requests in 5m") {
		t.Errorf("a proxy in front of a 0.3 req/s site: %+v, want one proxy notice", got)
	}
	agent = func(int) string { return "" }
	if got = slow(func(i int) string { return "fdaa:0:1:a7b:1::2" }, 20*time.Minute); len(got) != 1 || got[0].Kind != "proxy" {
		t.Errorf("Fly's proxy in front of a 0.3 req/s Phoenix app: %+v, want one proxy notice", got)
	}
	agent = func(int) string { return "python-requests/2.32" }
	if got = slow(behindProxy, 20*time.Minute); len(got) != 0 {
		t.Errorf("one program sending 95%% of a 0.3 req/s site's requests: %+v, want no notice", got)
	}
	agent = func(int) string { return "" }
	// Without user agents a public address is a program as much as a
	// proxy: no notice.
	if got = run(behindProxyPublic, int(20*time.Minute/(100*time.Millisecond))); len(got) != 0 {
		t.Errorf("one public address sending 95%% of a log without user agents: %+v, want no notice", got)
	}
}

// behindProxyPublic is a public address sending 95% of the requests.
func behindProxyPublic(i int) string {
	if i%20 == 0 {
		return "198.51.100.7"
	}
	return "203.0.113.50"
}

// TestCrawler: a crawler is verified by its user agent and its published
// networks together; its user agent from elsewhere is anybody.
func TestCrawler(t *testing.T) {
	f := LookupField("crawler")
	for _, tt := range []struct{ ip, ua, want string }{
		{"66.249.66.1", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "googlebot"},
		{"2001:4860:4801:10::1", "Googlebot-Image/1.0", "googlebot"},
		{"203.0.113.9", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", ""},
		{"157.55.39.200", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bingbot"},
		{"54.36.149.12", "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "ahrefsbot"},
		{"66.249.66.1", "Mozilla/5.0 (Windows NT 10.0)", ""},
		{"fe80::1%eth0", "Googlebot", ""},
	} {
		var e parsers.Event
		e.Reset()
		e.ClientIP, e.UserAgent = []byte(tt.ip), []byte(tt.ua)
		if got := string(f.Bytes(&e)); got != tt.want {
			t.Errorf("crawler(%s, %q) = %q, want %q", tt.ip, tt.ua, got, tt.want)
		}
		present := Present{Field: f, Want: true}
		if got := Matches(&present, &e); got != (tt.want != "") {
			t.Errorf("present(%s, %q) = %v", tt.ip, tt.ua, got)
		}
	}
}

// TestRatio_perKey: one endpoint failing on a site whose overall share of
// errors stays low fires, naming the endpoint; the whole site's ratio does
// not; a path with too few requests does not count.
func TestRatio_perKey(t *testing.T) {
	skipLongInShort(t)
	path := LookupField("path")
	fivexx := &Range{Field: LookupField("status"), Ranges: []NumRange{{500, 599}}}
	perPath := Rule{Name: "path-5xx", Type: Ratio, Of: fivexx, Window: time.Minute, Threshold: 0.5, MinEvents: 20, PerKey: true, GroupBy: &path}
	site := Rule{Name: "site-5xx", Type: Ratio, Of: fivexx, Window: time.Minute, Threshold: 0.3, MinEvents: 20}
	var lines []parsers.Event
	// 60 requests a second for 20 minutes; /api/v1/checkout is 5% of them
	// and answers 500 for five minutes from 10:00; /rare fails twice.
	for i := range 60 * 60 * 20 {
		at := t0.Add(time.Duration(i) * time.Second / 60)
		p, st := fmt.Sprintf("/page/%d", i%40), 200
		if i%20 == 0 {
			p = "/api/v1/checkout"
			if at.Sub(t0) >= 10*time.Minute && at.Sub(t0) < 15*time.Minute {
				st = 500
			}
		}
		if i == 5000 || i == 5001 {
			p, st = "/rare", 500
		}
		var e parsers.Event
		e.Reset()
		e.Time, e.Path, e.Status = at, []byte(p), st
		lines = append(lines, e)
	}
	run := func(r Rule) []alert.Alert {
		var got []alert.Alert
		eng, err := NewEngine([]Rule{r}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
		if err != nil {
			t.Fatal(err)
		}
		for i := range lines {
			eng.Observe(&lines[i])
		}
		eng.Flush()
		return got
	}
	if got := run(site); len(got) != 0 {
		t.Errorf("site-wide: %+v, want nothing (5%% of requests fail)", got)
	}
	got := run(perPath)
	if len(got) != 2 || got[0].State != alert.Firing || got[1].State != alert.Resolved {
		t.Fatalf("per path: %+v, want one episode", got)
	}
	a := got[0]
	if d := a.Time.Sub(t0); d < 10*time.Minute || d > 11*time.Minute {
		t.Errorf("fired at %v, want within a minute of 10m", d)
	}
	if len(a.Keys) == 0 || a.Keys[0].Key != "/api/v1/checkout" || !a.PerKey || a.Value < 0.5 {
		t.Errorf("alert %v, keys %v, want /api/v1/checkout named", a.Value, a.Keys)
	}
}

// TestRatio_perKeyQuietDeploy: on a quiet site a deploy's first 502s may
// fall on one path while the minute's older requests keep the site's share
// low. The other paths' requests during those failures failed too: the
// path's failures are not its own, and path-5xx stays quiet (the site-wide
// rule's to say). The same path failing while the other paths' requests
// succeed fires.
func TestRatio_perKeyQuietDeploy(t *testing.T) {
	path := LookupField("path")
	fivexx := &Range{Field: LookupField("status"), Ranges: []NumRange{{500, 599}}}
	r := Rule{Name: "path-5xx", Type: Ratio, Of: fivexx, Window: time.Minute, Threshold: 0.6, MinEvents: 5, PerKey: true, GroupBy: &path}
	type req struct {
		at     int // seconds
		path   string
		status int
	}
	// Twenty requests in the minute before (two to /), then the deploy's
	// 502s, a quiet site's (mobile-carrier-nat@0.2, samplegen -seed 1).
	var before []req
	for i := range 20 {
		p := fmt.Sprintf("/assets/%d.css", i)
		if i == 10 || i == 15 {
			p = "/"
		}
		before = append(before, req{i * 3, p, 200})
	}
	// fired replays reqs and reports whether the rule fired.
	fired := func(reqs []req) (bool, []alert.Alert) {
		var got []alert.Alert
		eng, err := NewEngine([]Rule{r}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
		if err != nil {
			t.Fatal(err)
		}
		var e parsers.Event
		for _, q := range reqs {
			e.Reset()
			e.Time, e.Path, e.Status = t0.Add(time.Duration(q.at)*time.Second), []byte(q.path), q.status
			eng.Observe(&e)
		}
		eng.Flush()
		return len(got) > 0, got
	}
	for _, tt := range []struct {
		name   string
		others int // status of the other paths' requests meanwhile
		fires  bool
	}{{"deploy", 502, false}, {"one path down", 200, true}} {
		reqs := append(slices.Clone(before),
			req{62, "/api/v1/notifications", tt.others}, req{66, "/", 502}, req{71, "/", 502},
			req{74, "/docs", tt.others}, req{75, "/", 502}, req{76, "/blog", tt.others},
			req{80, "/terms", 200}, req{81, "/", 502}, req{85, "/", 502}, req{90, "/pricing", 200})
		if ok, got := fired(reqs); ok != tt.fires {
			t.Errorf("%s: %d alerts (%+v), want firing %v", tt.name, len(got), got, tt.fires)
		}
	}

	// The deploy's first 502s in one burst on one path, before any other
	// request came (api-office-nat@0.2, samplegen -seed 5: four of a
	// product's preflights and fetches in the deploy's first second):
	// nothing yet shows the rest of the site working, so the path is not
	// alone; the next requests fail too.
	for _, tt := range []struct {
		name   string
		others int
		fires  bool
	}{{"deploy, first 502s in a burst", 502, false}, {"one path down, in a burst", 200, true}} {
		reqs := append(slices.Clone(before),
			req{62, "/", 502}, req{62, "/", 502}, req{62, "/", 502}, req{62, "/", 502},
			req{66, "/docs", tt.others}, req{70, "/blog", tt.others}, req{74, "/terms", tt.others},
			req{78, "/", 502}, req{82, "/pricing", tt.others})
		if ok, got := fired(reqs); ok != tt.fires {
			t.Errorf("%s: %d alerts (%+v), want firing %v", tt.name, len(got), got, tt.fires)
		}
	}

	// The deploy over: its 502s on two pages, then four on / (the uptime
	// checks' and a visitor's), and the next requests, to other pages, all
	// work. They came after /'s failures, not while they lasted: the whole
	// site recovered and nothing says / failed alone (the fifth
	// independent check's 0.2 req/s day, benign-day seed 1: path-5xx on /
	// at 80% of 5, twice the site's 40%, when a blog page answered 200 14 s
	// after the deploy; 5xx-surge followed).
	reqs := append(slices.Clone(before),
		req{70, "/health", 502}, req{70, "/blog/guide-16", 502},
		req{77, "/", 502}, req{78, "/", 502}, req{79, "/", 502}, req{79, "/", 502},
		req{93, "/blog", 200}, req{100, "/health", 200}, req{105, "/products/338", 200}, req{108, "/blog/guide-7", 200})
	if ok, got := fired(reqs); ok {
		t.Errorf("deploy over, / not asked again: %d alerts (%+v), want none", len(got), got)
	}
}

// TestRatio_tailAfterHitsStop: a quiet site's deploy, its 502s over in
// 20 s; as the minute's requests from before it leave the window and
// fewer come after, the 502s' share of the minute rises to half 30 s
// after the last of them. A share that rises once its hits have stopped
// does not start an alert (the fifth independent check's 0.2 req/s day:
// 5xx-surge at +60s, 27 s after the deploy's last 502); the same share
// while the 502s go on fires.
func TestRatio_tailAfterHitsStop(t *testing.T) {
	fivexx := &Range{Field: LookupField("status"), Ranges: []NumRange{{500, 599}}}
	r := Rule{Name: "5xx-surge", Type: Ratio, Of: fivexx, Window: time.Minute, Threshold: 0.5, MinEvents: 6}
	run := func(failUntil int) []alert.Alert {
		var got []alert.Alert
		eng, err := NewEngine([]Rule{r}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
		if err != nil {
			t.Fatal(err)
		}
		var e parsers.Event
		at := func(sec, status int) {
			e.Reset()
			e.Time, e.Path, e.Status = t0.Add(time.Duration(sec)*time.Second), []byte("/"), status
			eng.Observe(&e)
		}
		// A request every 4 s for 5 minutes, the deploy's six 502s in
		// 20 s, then a request every 10 s, failing until failUntil.
		for sec := 0; sec <= 300; sec += 4 {
			at(sec, 200)
		}
		for _, sec := range []int{302, 305, 309, 312, 316, 319} {
			at(sec, 502)
		}
		for sec := 330; sec <= 600; sec += 10 {
			st := 200
			if sec < failUntil {
				st = 502
			}
			at(sec, st)
		}
		eng.Flush()
		return got
	}
	if got := run(0); len(got) != 0 {
		t.Errorf("deploy over: %+v, want nothing (the share reached half 31 s after the last 502)", got)
	}
	got := run(400)
	if len(got) == 0 || got[0].State != alert.Firing {
		t.Fatalf("502s going on: %+v, want firing", got)
	}
	if d := got[0].Time.Sub(t0); d > 340*time.Second {
		t.Errorf("502s going on: fired at +%v, want by +340s", d)
	}
}

// TestRatio_perKeyHoldsOnFewRequests: a small site's endpoint, asked in
// threes 34 s apart (about 5 a minute), fails for 5 minutes while the
// rest works. The rule fires
// once and holds between the endpoint's requests, while its newest ones
// still fail, though a minute holds under min_events of them and the
// newest third of the window often none; it resolves once the endpoint
// answers again. Without the hold it fired and resolved again and again.
func TestRatio_perKeyHoldsOnFewRequests(t *testing.T) {
	path := LookupField("path")
	fivexx := &Range{Field: LookupField("status"), Ranges: []NumRange{{500, 599}}}
	r := Rule{Name: "path-5xx", Type: Ratio, Of: fivexx, Window: time.Minute, Threshold: 0.6, Clear: 0.8, MinEvents: 5, PerKey: true, GroupBy: &path}
	var got []alert.Alert
	eng, err := NewEngine([]Rule{r}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
	if err != nil {
		t.Fatal(err)
	}
	var e parsers.Event
	for s := 0; s < 600; s++ {
		at := t0.Add(time.Duration(s) * time.Second)
		if s%2 == 0 {
			e.Reset()
			e.Time, e.Path, e.Status = at, []byte(fmt.Sprintf("/page/%d", s%7)), 200
			eng.Observe(&e)
		}
		if m := s % 34; m == 1 || m == 4 || m == 7 {
			status := 200
			if s >= 60 && s < 360 {
				status = 500
			}
			e.Reset()
			e.Time, e.Path, e.Status = at, []byte("/x"), status
			eng.Observe(&e)
		}
	}
	eng.Flush()
	var states []string
	for _, a := range got {
		states = append(states, fmt.Sprintf("%s@+%s", a.State, a.Time.Sub(t0)))
	}
	if len(got) != 2 || got[0].State != alert.Firing || got[1].State != alert.Resolved ||
		got[1].Time.Before(t0.Add(360*time.Second)) || got[1].Time.After(t0.Add(400*time.Second)) {
		t.Errorf("transitions %v, want one firing and one resolved soon after +6m0s", states)
	}
}

// TestBaseline_warmupFloor: during the warm-up a rule with a warm-up floor
// fires at that floor (an attack in the first minutes is not missed),
// without one it waits; afterwards the learned normal rules. Per key, the
// warm-up floor holds the keys busy when the log began (their normals
// unknown); a key first busy minutes later is a newcomer, held to the
// floor at once.
func TestBaseline_warmupFloor(t *testing.T) {
	s := time.Second
	events := concat(burst(0, 5*time.Minute, 600, "a"), burst(5*time.Minute, 10*s, 400, "b")) // 2/s, then 40/s
	first := byTime(concat(burst(0, 5*time.Minute, 600, "a"), burst(0, 10*s, 1000, "b")))     // b at 100/s when the log begins
	for _, tt := range []struct {
		warmupFloor float64
		fires       bool // the site's rate; a key there at the start
		newcomer    bool // a key first busy at 5m
	}{{0, false, false}, {10, true, true}, {50, false, true}} {
		r := Rule{Name: "b", Type: Rate, Window: 10 * s, Baseline: &Baseline{Factor: 4, Floor: 5, Warmup: time.Hour, HalfLife: time.Hour, WarmupFloor: tt.warmupFloor}}
		got, _, _ := replay(t, r, events, Options{})
		if fired := len(got) > 0; fired != tt.fires {
			t.Errorf("warmup_floor %v: %v, want firing %v", tt.warmupFloor, got, tt.fires)
		}
		pk := Rule{Name: "k", Type: Rate, Window: 10 * s, PerKey: true, GroupBy: ipField(),
			Baseline: &Baseline{Factor: 4, Floor: 5, Warmup: time.Hour, HalfLife: time.Hour, WarmupFloor: tt.warmupFloor}}
		got, _, _ = replay(t, pk, first, Options{})
		if fired := len(got) > 0; fired != tt.fires {
			t.Errorf("per key, warmup_floor %v, the key there at the start: %v, want firing %v", tt.warmupFloor, got, tt.fires)
		}
		got, _, _ = replay(t, pk, events, Options{})
		if fired := len(got) > 0; fired != tt.newcomer {
			t.Errorf("per key, warmup_floor %v, a newcomer at 5m: %v, want firing %v", tt.warmupFloor, got, tt.newcomer)
		}
	}
}

// TestKeyNormals_newcomerRestored: a newcomer stays one across a restart
// in the warm-up: a scraper at 8/s from 5m, restarted at 8m, keeps its
// alert open until it stops at 15m. Restored as a key there at the start,
// it was held to the warm-up floor again, resolved, and learned its rate
// as its normal.
func TestKeyNormals_newcomerRestored(t *testing.T) {
	m := time.Minute
	r := Rule{Name: "k", Fingerprint: "k", Type: Rate, Window: m, PerKey: true, GroupBy: ipField(),
		Baseline: &Baseline{Factor: 4, Floor: 5, Warmup: 30 * m, WarmupFloor: 20, HalfLife: 24 * time.Hour}}
	events := byTime(concat(burst(0, 20*m, 2400, "198.51.100.%d"), burst(5*m, 10*m, 4800, "203.0.113.7")))
	var got []transition
	emit := func(a alert.Alert) { got = append(got, transition{a.State, a.Time.Sub(t0), a.Value}) }
	first, err := NewEngine([]Rule{r}, Options{Emit: emit})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(events, func(e ev) bool { return e.at >= 8*m })
	runEvents(t, first, events[:i])
	second, _ := restart(t, first, []Rule{r}, Options{Emit: emit})
	runEvents(t, second, events[i:])
	second.Flush()
	if len(got) != 2 || got[0].State != alert.Firing || got[0].At > 6*m || got[1].At < 15*m {
		t.Errorf("a scraper from 5m to 15m, restarted at 8m: %v, want firing by 6m and resolved after 15m", got)
	}
}

// postsWhere returns an engine of one rule counting the posts whose field
// (cold, no_pause) is "true", and a sender of events at t0 plus at.
func postsWhere(t *testing.T, field string) (*Engine, func(at time.Duration, ip, method string)) {
	t.Helper()
	r := Rule{Name: field + "-posts", Type: Rate, Window: time.Minute, Threshold: 1000,
		Match: All{NewEquals(LookupField("method"), []string{"POST"}), NewEquals(LookupField(field), []string{"true"})}}
	eng, err := NewEngine([]Rule{r}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var e parsers.Event
	return eng, func(at time.Duration, ip, method string) {
		e.Reset()
		e.Time, e.ClientIP, e.Method = t0.Add(at), []byte(ip), []byte(method)
		eng.Observe(&e)
	}
}

// TestColdField: a rule can count only the posts of addresses that loaded
// nothing first.
func TestColdField(t *testing.T) {
	s := time.Second
	eng, send := postsWhere(t, "cold")
	// Nothing is cold in the log's first coldGuard (waited here a coldWindow): the page loads
	// before it were not read.
	for i := range 5 {
		send(time.Duration(i)*s, fmt.Sprintf("198.51.99.%d", i), "POST")
	}
	if got := eng.Stats().Rules[0].Matched; got != 0 {
		t.Errorf("cold posts in the log's first minutes: %d, want 0", got)
	}
	for i := range 10 { // people: the form...
		send(coldWindow+time.Duration(i)*s, fmt.Sprintf("10.0.0.%d", i), "GET")
	}
	for i := range 10 { // ...then the post
		send(coldWindow+30*s+time.Duration(i)*s, fmt.Sprintf("10.0.0.%d", i), "POST")
	}
	for i := range 7 { // a bot: posts only
		send(coldWindow+45*s+time.Duration(i)*s, fmt.Sprintf("198.51.100.%d", i), "POST")
	}
	eng.Flush()
	if got := eng.Stats().Rules[0].Matched; got != 7 {
		t.Errorf("cold posts counted: %d, want the bot's 7", got)
	}
}

// TestNoPauseField: no_pause counts the posts of addresses that loaded
// nothing first and of those that posted within pauseMin of their
// visit's first page (a tool fetching the form's CSRF token), not a
// person's who filled the form for longer, nor one whose visit began
// earlier; in the log's first coldWindow only cold posts count.
func TestNoPauseField(t *testing.T) {
	s := time.Second
	eng, send := postsWhere(t, "no_pause")
	matched := func() uint64 { return eng.Stats().Rules[0].Matched }
	// In the first coldWindow a form loaded a second before its post
	// counts nothing (a visit's start is not known yet), and the guard
	// keeps the cold ones out too.
	for i := range 5 {
		send(coldGuard+time.Duration(i)*s, fmt.Sprintf("198.51.98.%d", i), "GET")
		send(coldGuard+time.Duration(i+1)*s, fmt.Sprintf("198.51.98.%d", i), "POST")
	}
	if got := matched(); got != 0 {
		t.Errorf("hasty posts in the log's first minutes: %d, want 0", got)
	}
	at := coldWindow + time.Minute
	for i := range 10 { // people: the form, filled for 4 to 13 s
		send(at+time.Duration(i)*s, fmt.Sprintf("10.0.0.%d", i), "GET")
	}
	for i := range 10 {
		send(at+13*s+time.Duration(i)*s, fmt.Sprintf("10.0.0.%d", 9-i), "POST")
	}
	for i := range 4 { // people on the site for a minute, then the form, posted at once
		send(at+30*s+time.Duration(i)*s, fmt.Sprintf("10.0.1.%d", i), "GET")
	}
	for i := range 4 {
		ip := fmt.Sprintf("10.0.1.%d", i)
		send(at+90*s+time.Duration(2*i)*s, ip, "GET")
		send(at+91*s+time.Duration(2*i)*s, ip, "POST")
	}
	if got := matched(); got != 0 {
		t.Errorf("people's posts counted: %d, want 0", got)
	}
	at += 2 * time.Minute
	for i := range 6 { // a tool: the form, then the post within 0 to 3 s
		ip := fmt.Sprintf("198.51.100.%d", i)
		send(at+time.Duration(4*i)*s, ip, "GET")
		send(at+time.Duration(4*i+i%4)*s, ip, "POST")
	}
	for i := range 3 { // and posts without the form
		send(at+30*s, fmt.Sprintf("198.51.101.%d", i), "POST")
	}
	eng.Flush()
	if got := matched(); got != 9 {
		t.Errorf("posts without a pause counted: %d, want the tool's 6 and the 3 cold", got)
	}
}

// TestRatio_baseline: the failure share of log-in posts learned (25%,
// people mistyping) and a wave of failing tries on top that lifts it to
// 40% fires, on a site busy enough for the share to be steady.
func TestRatio_baseline(t *testing.T) {
	s := time.Second
	failed := &Range{Field: LookupField("status"), Ranges: []NumRange{{401, 401}}}
	r := Rule{Name: "share", Type: Ratio, Of: failed, Window: 5 * time.Minute, MinEvents: 50,
		Baseline: &Baseline{Sigmas: 5, Floor: 0.3, Warmup: 30 * time.Minute, HalfLife: 6 * time.Hour}}
	var lines []ev
	var status []int
	for i := range 9 * 3600 * 2 { // 9 log-in posts a second for two hours, one in four failing
		lines = append(lines, ev{at: time.Duration(i) * s / 9, ip: "10.0.0.1"})
		status = append(status, map[bool]int{true: 401, false: 302}[i%4 == 0])
	}
	for i := range 2 * 600 { // then 2 failing tries a second for ten minutes
		lines = append(lines, ev{at: 90*time.Minute + time.Duration(i)*s/2, ip: "203.0.113.9"})
		status = append(status, 401)
	}
	idx := make([]int, len(lines))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(lines[a].at, lines[b].at) })
	var got []alert.Alert
	eng, err := NewEngine([]Rule{r}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
	if err != nil {
		t.Fatal(err)
	}
	var e parsers.Event
	for _, i := range idx {
		e.Reset()
		e.Time, e.ClientIP, e.Status = t0.Add(lines[i].at), []byte(lines[i].ip), status[i]
		eng.Observe(&e)
	}
	eng.Flush()
	if len(got) == 0 || got[0].State != alert.Firing {
		t.Fatalf("got %v, want the wave to fire", got)
	}
	if d := got[0].Time.Sub(t0); d < 90*time.Minute || d > 95*time.Minute {
		t.Errorf("fired at %v, want within the wave's first minutes (from 1h30m)", d)
	}
	if a := got[0]; a.Threshold < 0.3 || a.Threshold > 0.35 || a.Baseline < 0.24 || a.Baseline > 0.26 {
		t.Errorf("threshold %v over a normal of %v, want the floor of 30%% over 25%%", a.Threshold, a.Baseline)
	}
}

// TestRatio_baselineSmallSite: a small site's log-in posts (one a minute
// or so, a quarter failing) give windows of a handful of posts, whose
// shares range from 0 to 100%: the learned spread puts the normal plus 5
// sigmas past 100%. A wave of 0.6 tries a second, 96% failing, must still
// fire: the threshold is at most halfway from the normal to 100%.
func TestRatio_baselineSmallSite(t *testing.T) {
	s := time.Second
	failed := &Range{Field: LookupField("status"), Ranges: []NumRange{{401, 401}}}
	r := Rule{Name: "share", Type: Ratio, Of: failed, Window: 5 * time.Minute, MinEvents: 50,
		Baseline: &Baseline{Sigmas: 5, Floor: 0.3, Warmup: 30 * time.Minute, HalfLife: 6 * time.Hour}}
	rng := rand.New(rand.NewPCG(7, 13))
	var got []alert.Alert
	eng, err := NewEngine([]Rule{r}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
	if err != nil {
		t.Fatal(err)
	}
	var e parsers.Event
	post := func(at time.Duration, status int) {
		e.Reset()
		e.Time, e.ClientIP, e.Status = t0.Add(at), []byte("10.0.0.1"), status
		eng.Observe(&e)
	}
	wave := 2 * time.Hour
	for at := time.Duration(0); at < wave+10*time.Minute; {
		status := 302
		if rng.IntN(4) == 0 {
			status = 401
		}
		post(at, status)
		at += time.Duration(rng.ExpFloat64() * float64(60*s))
		for ; at >= wave && at < wave+10*time.Minute && rng.IntN(25) != 0; at += s * 10 / 6 { // 0.6 a second, 96% failing
			post(at, 401)
		}
	}
	eng.Flush()
	if len(got) == 0 || got[0].State != alert.Firing || got[0].Time.Sub(t0) < wave || got[0].Time.Sub(t0) > wave+5*time.Minute {
		t.Fatalf("got %+v, want the wave to fire within its first minutes", got)
	}
	if a := got[0]; a.Threshold > (1+a.Baseline)/2+1e-3 {
		t.Errorf("threshold %v over a normal of %v, want at most halfway to 100%%", a.Threshold, a.Baseline)
	}
}

// TestRatio_baselineHighNormal: a forum whose log-in answers 200 whether
// it worked or not (Discourse), read as a form re-rendered: 88% of its
// log-in posts "fail", 90 or so in 5 minutes. Halfway from that normal to
// 100% (94%) is two or three posts' chance away, and fired on an ordinary
// day; the threshold is never within the sigmas of the window's binomial
// noise. A wave of failures that share cannot tell is another rule's.
func TestRatio_baselineHighNormal(t *testing.T) {
	s := time.Second
	failed := &Range{Field: LookupField("status"), Ranges: []NumRange{{200, 200}}}
	r := Rule{Name: "share", Type: Ratio, Of: failed, Window: 5 * time.Minute, MinEvents: 50,
		Baseline: &Baseline{Sigmas: 5, Floor: 0.3, Warmup: 30 * time.Minute, HalfLife: 6 * time.Hour}}
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 5))
		var got []alert.Alert
		eng, err := NewEngine([]Rule{r}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
		if err != nil {
			t.Fatal(err)
		}
		var e parsers.Event
		for at := time.Duration(0); at < 8*time.Hour; at += time.Duration(rng.ExpFloat64() * float64(10*s/3)) {
			status := 302
			if rng.Float64() < 0.88 {
				status = 200
			}
			e.Reset()
			e.Time, e.ClientIP, e.Status = t0.Add(at), []byte("10.0.0.1"), status
			eng.Observe(&e)
		}
		eng.Flush()
		if len(got) > 0 {
			t.Errorf("seed %d: %+v, want nothing on the forum's own log-ins", seed, got[0])
		}
	}
}

// TestEngine_keepFiringFor: a key that crosses its limit and falls back
// every minute or so (an office arriving at nine) is one episode with
// keep_firing_for, resolved once it has stayed clear that long; without
// it, an episode each time.
func TestEngine_keepFiringFor(t *testing.T) {
	s := time.Second
	var events []ev
	for c := range 3 { // 30 s at 8/s, then 40 s at 1/s, three times
		at := time.Duration(c) * 70 * s
		events = append(events, burst(at, 30*s, 240, "10.0.0.1")...)
		events = append(events, burst(at+30*s, 40*s, 40, "10.0.0.1")...)
	}
	events = append(events, burst(210*s, 5*time.Minute, 300, "10.0.0.1")...) // then 1/s
	r := rateRule(10*s, 5)
	got, _, _ := replay(t, r, byTime(events), Options{})
	if len(got) != 6 {
		t.Errorf("without keep_firing_for: %v, want three episodes", got)
	}
	r.KeepFiringFor = 2 * time.Minute
	got, _, _ = replay(t, r, byTime(events), Options{})
	if len(got) != 2 || got[1].State != alert.Resolved || got[1].At < 170*s+2*time.Minute || got[1].At > 170*s+2*time.Minute+15*s {
		t.Errorf("keep_firing_for 2m: %v, want one episode, resolved 2m after the last burst (2m20s to 2m50s) cleared", got)
	}
}

func TestRound(t *testing.T) {
	for v, want := range map[float64]float64{0: 0, 240.12345: 240.123, 1.0004: 1, 0.038123: 0.03812, 3.0 / 3600: 0.0008333, -0.5: -0.5} {
		if got := round(v); got != want {
			t.Errorf("round(%v) = %v, want %v", v, got, want)
		}
	}
}

// TestRound_sameAsLog10: round gives what rounding with math.Log10's
// decade gives, on random values of every size and on the values next to
// each power of ten, where the two ways could disagree.
func TestRound_sameAsLog10(t *testing.T) {
	skipLongInShort(t)
	byLog := func(v float64) float64 {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return v
		}
		if v == 0 {
			return 0 // +0, for -0 too: JSON and text never print "-0"
		}
		p := math.Pow10(max(3, 3-int(math.Floor(math.Log10(math.Abs(v))))))
		return math.Round(v*p) / p
	}
	check := func(v float64) {
		want := byLog(v)
		if math.Abs(v) < minRounded && v != 0 {
			want = 0 // by the logarithm, NaN: 10^(3-decade) overflows; +0, never "-0"
		}
		if got := round(v); got != want && !(math.IsNaN(got) && math.IsNaN(want)) || math.Signbit(got) != math.Signbit(want) {
			t.Errorf("round(%v) = %v, want %v", v, got, want)
		}
	}
	r := rand.New(rand.NewPCG(7, 7))
	for range 1_000_000 {
		check(math.Pow(10, r.Float64()*40-30) * (1 - 2*float64(r.IntN(2))))
		check(math.Pow(10, r.Float64()*330-322)) // down to the smallest
	}
	for k := -323; k <= 10; k++ {
		p := math.Pow10(k)
		for _, v := range []float64{p, math.Nextafter(p, 0), math.Nextafter(p, 2*p), p * (1 + 1e-9), p * (1 - 1e-9), p * (1 + 2e-9), p * (1 - 2e-9)} {
			check(v)
			check(-v)
		}
	}
	for _, v := range []float64{math.Inf(1), math.Inf(-1), math.NaN(), math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, math.MaxFloat64, 1e-310, -1e-310, minRounded, -minRounded, 0, math.Copysign(0, -1)} {
		check(v)
	}
}

func TestFloorLog10Pow2(t *testing.T) {
	for n := -1100; n <= 1100; n++ {
		if got, want := floorLog10Pow2(n), int(math.Floor(float64(n)*math.Log10(2))); got != want {
			t.Errorf("floorLog10Pow2(%d) = %d, want %d", n, got, want)
		}
	}
}

// TestReMemo: a regular expression's memo gives the expression's own
// answers, for texts seen again, past its size (when it is emptied) and
// for texts too long to keep.
func TestReMemo(t *testing.T) {
	re := regexp.MustCompile(`^/api/(v[0-9]+/)?login$`)
	m := make(reMemo)
	texts := []string{"/api/login", "/api/v2/login", "/users/register", "/api/v2/logout", strings.Repeat("/a", reMemoText)}
	for i := range 3 * reMemoSize {
		texts = append(texts, fmt.Sprintf("/api/v%d/login", i), fmt.Sprintf("/x/%d", i))
	}
	for pass := range 2 {
		for _, s := range texts {
			if got, want := m.match(re, []byte(s)), re.MatchString(s); got != want {
				t.Fatalf("pass %d: %q: memo says %v, the expression %v", pass, s, got, want)
			}
		}
	}
	if n := len(m[re]); n == 0 || n > reMemoSize {
		t.Errorf("memo holds %d texts, want some and at most %d", n, reMemoSize)
	}
}

// TestPerKey_lateEventAfterAdvance: the live check of a per-key rule runs
// for an event counted in an older bucket (late, within the skew) while
// the newest bucket, opened by the wall clock, has no key yet: it must not
// read the newest bucket's summary as if the event were in it (a nil
// summary: a panic, seen under load in `sentinel run`).
func TestPerKey_lateEventAfterAdvance(t *testing.T) {
	s := time.Second
	r := Rule{Name: "client", Type: Rate, Window: 10 * s, PerKey: true, GroupBy: ipField(), Threshold: 0.5}
	var fired []alert.Alert
	eng, err := NewEngine([]Rule{r}, Options{Emit: func(a alert.Alert) { fired = append(fired, a) }})
	if err != nil {
		t.Fatal(err)
	}
	var e parsers.Event
	observe := func(at time.Duration, ip string) {
		e.Reset()
		e.Time, e.ClientIP = t0.Add(at), []byte(ip)
		eng.Observe(&e)
	}
	observe(0, "10.0.0.1")
	observe(100*time.Millisecond, "10.0.0.1")
	eng.Advance(t0.Add(2 * s)) // the log went quiet; the wall clock opens bucket 2
	for i := range 10 {
		observe(1500*time.Millisecond+time.Duration(i)*time.Millisecond, "10.0.0.1") // late, within the skew
	}
	observe(2500*time.Millisecond, "10.0.0.1")
	eng.Advance(t0.Add(3 * s))
	if len(fired) == 0 || fired[0].State != alert.Firing {
		t.Errorf("transitions %v, want the client's firing", fired)
	}
}

// steady returns perSecond events a second from addr, from from for d.
func steady(from, d time.Duration, perSecond int, addr string) []ev {
	return burst(from, d, int(d/time.Second)*perSecond, addr)
}

// busySite returns two hours of a busy site's people: 294 requests a
// second, 3 a second from each of 98 addresses.
func busySite() []ev {
	var background []ev
	for i := range 98 {
		background = append(background, steady(0, 2*time.Hour, 3, fmt.Sprintf("10.0.%d.9", i))...)
	}
	return background
}

// TestPerKey_keyShare: on a busy site (300/s), an office NAT that arrives
// with no normal of its own sends 6/s, past the 5/s floor but 2% of the
// requests: with a key share of 10% it is no flood, and a client at 50/s
// still is.
func TestPerKey_keyShare(t *testing.T) {
	testutil.LongOneGoroutine(t)
	background := busySite()
	nat := steady(time.Hour, time.Hour, 6, "198.51.100.7") // arrives after the warm-up
	attacker := steady(90*time.Minute, 3*time.Minute, 50, "203.0.113.66")
	events := byTime(concat(background, nat, attacker))
	for _, share := range []float64{0, 0.1} {
		r := Rule{Name: "client", Type: Rate, Window: time.Minute, PerKey: true, GroupBy: ipField(),
			Baseline: &Baseline{Factor: 4, Floor: 5, Warmup: 30 * time.Minute, KeyShare: share, HalfLife: 24 * time.Hour}}
		_, full, _ := replay(t, r, events, Options{})
		var first *alert.Alert
		var fired []string
		for i, a := range full {
			if a.State == alert.Firing {
				fired = append(fired, fmt.Sprintf("%s %v", a.Time.Format("15:04:05"), a.Keys))
				if first == nil {
					first = &full[i]
				}
			}
		}
		natFirst := first != nil && len(first.Keys) > 0 && first.Keys[0].Key == "198.51.100.7"
		switch {
		case share == 0 && !natFirst:
			t.Errorf("without a key share: firings %v, want the NAT's first (the test shows nothing otherwise)", fired)
		case share > 0 && (first == nil || natFirst || first.Keys[0].Key != "203.0.113.66"):
			t.Errorf("key share %v: firings %v, want the attacker's first, none for the NAT", share, fired)
		case share > 0 && first.Time.Sub(t0) > 90*time.Minute+20*time.Second:
			// Its share of the minute passes 10% only at +40 s; of the
			// minute's newest quarter, at +10 s.
			t.Errorf("key share %v: fired at +%v, want within the attacker's first 20 s (from 1h30m)", share, first.Time.Sub(t0))
		}
	}
}

// TestPerKey_keyShareNoNewcomer: an office NAT that has sent 9% of a busy
// site's requests all along (24/s, and 40/s for a quarter of each minute)
// passes 10% of the window's newest quarter once a minute: it is no
// newcomer, and stays held to its share of the site rather than to its
// own normal (it arrived after the warm-up: the floor). Held to the floor
// whenever a quarter passed the share, it fired (the sixth independent
// check's SPA-polling office). A newcomer at 50/s still fires within 20 s.
func TestPerKey_keyShareNoNewcomer(t *testing.T) {
	testutil.LongOneGoroutine(t)
	s := time.Second
	background := busySite()
	var nat []ev
	for m := time.Hour; m < 2*time.Hour; m += time.Minute {
		nat = append(nat, steady(m, 45*s, 24, "198.51.100.7")...)
		nat = append(nat, steady(m+45*s, 15*s, 40, "198.51.100.7")...)
	}
	attacker := steady(90*time.Minute, 3*time.Minute, 50, "203.0.113.66")
	r := Rule{Name: "client", Type: Rate, Window: time.Minute, PerKey: true, GroupBy: ipField(),
		Baseline: &Baseline{Factor: 4, Floor: 5, Warmup: 30 * time.Minute, KeyShare: 0.1, HalfLife: 24 * time.Hour}}
	_, full, _ := replay(t, r, byTime(concat(background, nat, attacker)), Options{})
	var fired []string
	for _, a := range full {
		if a.State != alert.Firing {
			continue
		}
		fired = append(fired, fmt.Sprintf("%s %v", a.Time.Format("15:04:05"), a.Keys))
		if len(a.Keys) == 0 || a.Keys[0].Key != "203.0.113.66" || a.Time.Before(t0.Add(90*time.Minute)) || a.Time.After(t0.Add(90*time.Minute+20*s)) {
			t.Errorf("firings %v, want the attacker's alone, within its first 20 s", fired)
			break
		}
	}
	if len(fired) == 0 {
		t.Error("no firing, want the attacker's")
	}
}

// TestNotices_proxyLeftOut: a proxy in front of a busy site is known
// within the log's first seconds, before a per-client rule's warm-up
// limit, and the rule that learns each client's normal leaves it out
// instead of calling it a flood. One program sending as much (one user
// agent) is still a flood, and so is a program arriving later on an
// ordinary log, whatever user agents it sends.
func TestNotices_proxyLeftOut(t *testing.T) {
	testutil.LongOneGoroutine(t)
	rule := Rule{Name: "client-flood", Type: Rate, Window: time.Minute, PerKey: true, GroupBy: ipField(), Severity: alert.Warning,
		Baseline: &Baseline{Factor: 4, Floor: 5, Warmup: 30 * time.Minute, WarmupFloor: 20, KeyShare: 0.1, HalfLife: 24 * time.Hour}}
	runAt := func(start time.Time, n int, every time.Duration, addr, agent func(i int) string) ([]Notice, []alert.Alert) {
		return observeNotices(t, rule, start, n, every, addr, agent)
	}
	run := func(n int, every time.Duration, addr, agent func(i int) string) ([]Notice, []alert.Alert) {
		return runAt(t0, n, every, addr, agent)
	}
	proxy := func(int) string { return "10.0.0.1" }
	browsers := func(i int) string { return fmt.Sprintf("Mozilla/5.0 (browser %d)", i%9) }
	const busy = time.Second / 300
	// From a 5-minute boundary, and from 1 s before one (the log's first
	// stretch of the clock's 5 minutes is a second long).
	for _, t0 := range []time.Time{t0, t0.Add(-time.Second)} {
		notices, fired := runAt(t0, int(40*time.Minute/busy), busy, proxy, browsers)
		switch {
		case len(notices) != 1 || notices[0].Kind != "proxy":
			t.Errorf("a proxy in front of 300 req/s from %v: notices %+v, want one proxy notice", t0.Format(time.TimeOnly), notices)
		case notices[0].Time.Sub(t0) > 4*time.Second:
			t.Errorf("a proxy in front of 300 req/s from %v: known at +%v, want within 4 s (the warm-up limit of 20/s over a minute passes at 4 s)", t0.Format(time.TimeOnly), notices[0].Time.Sub(t0))
		case len(fired) != 0:
			t.Errorf("a proxy in front of 300 req/s from %v: %d firings, first at +%v on %v (%v vs %v), want none", t0.Format(time.TimeOnly), len(fired), fired[0].Time.Sub(t0), fired[0].Keys, fired[0].Value, fired[0].Threshold)
		}
	}
	notices, fired := run(int(5*time.Minute/busy), busy, proxy, func(int) string { return "python-requests/2.32" })
	if len(notices) != 0 || len(fired) == 0 {
		t.Errorf("one program at 300 req/s: notices %+v, %d firings, want no notice and a flood", notices, len(fired))
	}
	// An ordinary small site (10 req/s from many addresses) for 10 minutes,
	// then a program with rotating user agents at 50/s from one address.
	const small = time.Second / 60
	mixed := func(i int) string {
		if time.Duration(i)*small < 10*time.Minute || i%6 == 0 {
			return fmt.Sprintf("10.1.%d.%d", i%7, i%251)
		}
		return "203.0.113.66"
	}
	notices, fired = run(int(20*time.Minute/small), small, mixed, browsers)
	if len(fired) == 0 || fired[0].Time.Sub(t0) > 11*time.Minute || len(fired[0].Keys) == 0 || fired[0].Keys[0].Key != "203.0.113.66" {
		t.Errorf("a program arriving at 10m with rotating agents: firings %v (notices %+v), want one on 203.0.113.66 within a minute", fired, notices)
	}
}

// noticesAndFirings runs rule over 45 minutes of requests, one every
// every, the i-th from addr(i) (none where it is ""), with one of nine
// browsers' user agents; it returns the notices and the firings.
func noticesAndFirings(t *testing.T, rule Rule, every time.Duration, addr func(i int) string) ([]Notice, []alert.Alert) {
	t.Helper()
	browsers := func(i int) string { return fmt.Sprintf("Mozilla/5.0 (browser %d)", i%9) }
	return observeNotices(t, rule, t0, int(45*time.Minute/every), every, addr, browsers)
}

// observeNotices runs rule over n requests from start, one every every,
// the i-th from addr(i) (none where it is "") with user agent agent(i); it
// returns the notices and the firings.
func observeNotices(t *testing.T, rule Rule, start time.Time, n int, every time.Duration, addr, agent func(i int) string) (notices []Notice, fired []alert.Alert) {
	t.Helper()
	eng, err := NewEngine([]Rule{rule}, Options{
		Notice: func(x Notice) { notices = append(notices, x) },
		Emit: func(a alert.Alert) {
			if a.State == alert.Firing {
				fired = append(fired, a)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	var e parsers.Event
	for i := range n {
		a := addr(i)
		if a == "" {
			continue
		}
		e.Reset()
		e.Kind, e.Time = parsers.KindRequest, start.Add(time.Duration(i)*every)
		e.ClientIP, e.UserAgent = []byte(a), []byte(agent(i))
		eng.Observe(&e)
	}
	eng.Flush()
	return notices, fired
}

// TestNotices_cdnLeftOut: a site behind Cloudflare (or Fastly) whose log
// has the edges' addresses (a dozen, sharing the traffic unevenly) gets
// the proxy notice naming the CDN, and a per-client rule leaves the edges
// out:
// one edge's busy minute is no flood. On a site not behind it, an address
// of Cloudflare's (a bot on its Workers) flooding is a flood.
func TestNotices_cdnLeftOut(t *testing.T) {
	testutil.LongOneGoroutine(t)
	rule := Rule{Name: "client-flood", Type: Rate, Window: time.Minute, PerKey: true, GroupBy: ipField(), Severity: alert.Warning,
		Baseline: &Baseline{Factor: 4, Floor: 5, Warmup: 30 * time.Minute, WarmupFloor: 20, KeyShare: 0.1, HalfLife: 24 * time.Hour}}
	run := func(addr func(i int) string) ([]Notice, []alert.Alert) {
		return noticesAndFirings(t, rule, time.Second/20, addr)
	}
	// Twelve edges; from 40m, half of a minute's requests come through
	// the first (10/s, six times its share).
	edges := []string{"162.158.67.129", "172.68.53.71", "172.71.99.241", "104.23.160.12", "141.101.76.5", "108.162.221.9",
		"173.245.52.3", "2400:cb00:27:1024::a29e:4e21", "2a06:98c0:3600::103", "162.158.253.29", "172.70.135.249", "188.114.111.2"}
	busy := func(i int) bool {
		at := time.Duration(i) * time.Second / 20
		return at >= 40*time.Minute && at < 41*time.Minute && i%2 == 0
	}
	notices, fired := run(func(i int) string {
		if busy(i) {
			return edges[0]
		}
		return edges[i%len(edges)]
	})
	if len(notices) != 1 || !strings.HasPrefix(notices[0].Text, "Cloudflare's edges sent ") || len(fired) != 0 {
		t.Errorf("behind Cloudflare: notices %+v, firings %v; want the Cloudflare notice and none", notices, fired)
	}
	// Behind Fastly: its notice, with the forwarded address (Fastly passes
	// a client's own Fastly-Client-IP on); and on that site a Cloudflare
	// address is no edge of its own (its flood fires).
	fastly := []string{"151.101.2.133", "151.101.66.10", "199.232.18.4", "146.75.33.7", "167.82.4.19", "23.235.40.9",
		"185.31.18.2", "157.52.70.14", "2a04:4e42:600::313", "140.248.70.3", "172.111.66.5", "199.27.73.8"}
	notices, fired = run(func(i int) string {
		if busy(i) {
			return fastly[0]
		}
		return fastly[i%len(fastly)]
	})
	if len(notices) != 1 || !strings.HasPrefix(notices[0].Text, "Fastly's edges sent ") || !strings.Contains(notices[0].Text, "real_ip_header X-Forwarded-For and real_ip_recursive on") || len(fired) != 0 {
		t.Errorf("behind Fastly: notices %+v, firings %v; want the Fastly notice and none", notices, fired)
	}
	notices, fired = run(func(i int) string {
		if busy(i) {
			return edges[0]
		}
		return fastly[i%len(fastly)]
	})
	if len(notices) != 1 || len(fired) == 0 || fired[0].Keys[0].Key != edges[0] {
		t.Errorf("behind Fastly, a Cloudflare address busy: notices %+v, firings %v; want the Fastly notice and its flood", notices, fired)
	}
	// The same traffic from a dozen addresses of no CDN: that minute is
	// the first address's flood (the test's check on itself).
	others := make([]string, len(edges))
	for i := range others {
		others[i] = fmt.Sprintf("198.51.100.%d", i+1)
	}
	notices, fired = run(func(i int) string {
		if busy(i) {
			return others[0]
		}
		return others[i%len(others)]
	})
	if len(fired) == 0 {
		t.Errorf("a dozen ordinary addresses, one busy for a minute: notices %+v, no firing; want one (or this test shows nothing)", notices)
	}
	// A site not behind Cloudflare, flooded from one of its addresses.
	notices, fired = run(func(i int) string {
		if busy(i) {
			return "104.23.160.12"
		}
		return fmt.Sprintf("10.1.%d.%d", i%7, i%251)
	})
	if len(notices) != 0 || len(fired) == 0 || fired[0].Keys[0].Key != "104.23.160.12" {
		t.Errorf("a Workers bot flooding a site not behind Cloudflare: notices %+v, firings %v; want its flood", notices, fired)
	}
}

// TestNotices_cdnNetworksLeftOut: behind Cloudflare, with the edges'
// addresses in the log (25 of them in four /24s and a /64), a per-network
// rule leaves the edges' networks out once the proxy notice names the CDN:
// a minute when one /24's edges carry five times their share (a purge's
// refetches, a point of presence taking another's traffic) is no scraper.
// The same traffic from networks of no CDN fires (the test's check on
// itself), and so does a scraper on Cloudflare's Workers rotating through
// a /24 of its addresses on a site not behind it.
func TestNotices_cdnNetworksLeftOut(t *testing.T) {
	testutil.LongOneGoroutine(t)
	net := LookupField("client_net")
	rule := Rule{Name: "network-flood", Type: Rate, Window: time.Minute, PerKey: true, GroupBy: &net, BeyondBusiest: ipField(),
		Severity: alert.Warning,
		Baseline: &Baseline{Factor: 4, Floor: 5, Warmup: 30 * time.Minute, WarmupFloor: 30, KeyShare: 0.05, HalfLife: 24 * time.Hour}}
	run := func(addr func(i int) string) ([]Notice, []alert.Alert) {
		return noticesAndFirings(t, rule, time.Second/40, addr)
	}
	// Ordinary: 20 req/s over the 25 edges. From 40m for a minute, every
	// other request (20/s more) comes through the first /24's six edges.
	nets := []string{"162.158.67.%d", "172.68.53.%d", "172.71.99.%d", "104.23.160.%d", "2400:cb00:27:1024::%x"}
	busy := func(i int) bool {
		at := time.Duration(i) * time.Second / 40
		return at >= 40*time.Minute && at < 41*time.Minute && i%2 == 0
	}
	traffic := func(nets []string) func(i int) string {
		return func(i int) string {
			switch {
			case busy(i):
				return fmt.Sprintf(nets[0], 10+i/2%6)
			case i%2 == 0:
				return "" // the site's 20/s are every other request
			}
			j := i / 2
			return fmt.Sprintf(nets[j%len(nets)], 10+j/len(nets)%5)
		}
	}
	notices, fired := run(traffic(nets))
	if len(notices) != 1 || !strings.HasPrefix(notices[0].Text, "Cloudflare's edges sent ") || len(fired) != 0 {
		t.Errorf("behind Cloudflare: notices %+v, firings %v; want the Cloudflare notice and none", notices, fired)
	}
	others := []string{"198.51.100.%d", "203.0.113.%d", "192.0.2.%d", "100.64.7.%d", "2001:db8:9:1::%x"}
	if notices, fired := run(traffic(others)); len(fired) == 0 || fired[0].Keys[0].Key != "198.51.100.0/24" {
		t.Errorf("the same from networks of no CDN: notices %+v, firings %v; want 198.51.100.0/24's flood (or this test shows nothing)", notices, fired)
	}
	workers := traffic([]string{"104.23.160.%d", "203.0.113.%d", "192.0.2.%d", "100.64.7.%d", "2001:db8:9:1::%x"})
	if notices, fired := run(workers); len(notices) != 0 || len(fired) == 0 || fired[0].Keys[0].Key != "104.23.160.0/24" {
		t.Errorf("a Workers scraper on a site not behind Cloudflare: notices %+v, firings %v; want 104.23.160.0/24's flood", notices, fired)
	}
}

// TestAudit_perKeyKeysAtTheCrossing: docs/json.md, "JSON output": a
// firing transition carries the values at the crossing, `value` of a
// per_key rule is the busiest key's, and a top offender's count is a
// Space-Saving estimate "at most `error` above the truth" — never below
// it. A per-key baseline rule fired on an event names its key with the
// count the value was measured on: the complete buckets and the one being
// filled, not the complete buckets alone.
func TestAudit_perKeyKeysAtTheCrossing(t *testing.T) {
	ip := ipField()
	r := Rule{Name: "client", Type: Rate, Window: 5 * time.Minute, PerKey: true, GroupBy: ip, Clear: 0.8,
		Baseline: &Baseline{Factor: 4, Floor: 1, Warmup: 30 * time.Minute, WarmupFloor: 1, HalfLife: 24 * time.Hour}, Fingerprint: "v1"}
	background := burst(0, 20*time.Minute, 20*60, "10.1.%d.9")
	// 0.9/s for 5 minutes, under the floor of 1/s, then a burst of 60 in a
	// second, which takes the window past 300 events mid-bucket.
	attacker := concat(burst(10*time.Minute, 5*time.Minute, 270, "203.0.113.66"),
		burst(15*time.Minute, time.Second, 60, "203.0.113.66"))
	_, full, _ := replay(t, r, byTime(concat(background, attacker)), Options{})
	if len(full) == 0 || full[0].State != alert.Firing {
		t.Fatalf("transitions = %v, want the attacker's firing", full)
	}
	a := full[0]
	if len(a.Keys) == 0 || a.Keys[0].Key != "203.0.113.66" {
		t.Fatalf("fired at %v naming %v, want the attacker first", a.Time, a.Keys)
	}
	if measured := a.Value * r.Window.Seconds(); float64(a.Keys[0].Count) < measured-0.5 {
		t.Errorf("fired at %v with value %v (%v events of the key) naming %s with %d: the key's count is under what the value counted",
			a.Time.Sub(t0), a.Value, measured, a.Keys[0].Key, a.Keys[0].Count)
	}
}

// TestNotices_late: a server that stamps a request's start (Apache's %t)
// writes a slow request's line after those of the requests that ended
// meanwhile: a hanging backend's 504s, 30 s slow, come late and are not
// counted. After a month-like stretch of lines in order (which must not
// drown them), a minute in which one request in ten hangs says so, once,
// with the fix; lines in order, or a few late ones, say nothing.
func TestNotices_late(t *testing.T) {
	rules := []Rule{{Name: "requests", Type: Rate, Window: time.Minute, Threshold: 1000}}
	run := func(slowEvery int, slowFrom time.Duration) []Notice {
		var got []Notice
		eng, err := NewEngine(rules, Options{Notice: func(x Notice) { got = append(got, x) }})
		if err != nil {
			t.Fatal(err)
		}
		var e parsers.Event
		for i := range 200_000 { // 10 a second for 5.5 hours
			at := time.Duration(i) * 100 * time.Millisecond
			e.Reset()
			e.Time = t0.Add(at)
			if slowEvery > 0 && at >= slowFrom && i%slowEvery == 0 {
				e.Time = e.Time.Add(-30 * time.Second) // its start: it ended now
				e.Status = 504
			}
			eng.Observe(&e)
		}
		eng.Flush()
		return got
	}
	if got := run(0, 0); len(got) != 0 {
		t.Errorf("lines in order: %+v, want no notice", got)
	}
	if got := run(5000, 0); len(got) != 0 {
		t.Errorf("one request in 5,000 slow: %+v, want no notice", got)
	}
	got := run(10, 5*time.Hour)
	if len(got) != 1 || got[0].Kind != "late" || !strings.Contains(got[0].Text, "raise settings.skew") ||
		!strings.Contains(got[0].Text, "20 of the ") {
		t.Errorf("one request in ten slow after 5 hours: %+v, want one late notice", got)
	}
}

// TestVisits: a visit begins at an address's first page after none for
// coldWindow; under a flood of new addresses filling the table, a bot's
// post a second after its form is still hasty, and a person's, whose
// slot another address took, not (the address loaded a page lately: its
// visit began before); a page after a slot lost, of an address that
// loaded none lately, begins a visit.
func TestVisits(t *testing.T) {
	v := newVisits()
	var e Event
	warm := map[string]bool{} // the warm set, exact
	page := func(ip string, at time.Duration) bool {
		e.reset(&parsers.Event{ClientIP: []byte(ip)}, t0.Add(at).UnixNano())
		h := v.hasty(&e)
		v.note(&e, func(*Event) bool { return warm[ip] })
		warm[ip] = true
		return h
	}
	post := func(ip string, at time.Duration) bool {
		e.reset(&parsers.Event{ClientIP: []byte(ip)}, t0.Add(at).UnixNano())
		return v.hasty(&e)
	}
	s := time.Second
	page("192.0.2.1", 0)
	if !post("192.0.2.1", 3*s) || post("192.0.2.1", 4*s) {
		t.Errorf("a post 3 s after the first page should be hasty, 4 s after not")
	}
	page("192.0.2.1", 9*time.Minute) // the visit goes on
	if post("192.0.2.1", 9*time.Minute+s) {
		t.Errorf("a page 9 minutes into a visit restarted it")
	}
	page("192.0.2.1", 30*time.Minute) // 21 minutes without a page: a new visit
	if !post("192.0.2.1", 30*time.Minute+s) {
		t.Errorf("a page after 21 minutes without one did not start a new visit")
	}
	// A flood: 240 new addresses a second for 10 minutes, each loading the
	// form and posting a second later; beside it 2,000 people who loaded a
	// page 30 s before the form, the form 2 s before posting.
	testutil.LongOneGoroutine(t)
	bots, hastyBots, people, hastyPeople := 0, 0, 0, 0
	for i := range 240 * 600 {
		at := time.Hour + time.Duration(i)*s/240
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		page(ip, at)
		if i%72 == 0 {
			p := fmt.Sprintf("172.16.%d.%d", i/72>>8&255, i/72&255)
			page(p, at-30*s)
			page(p, at-2*s)
			people++
			if post(p, at) {
				hastyPeople++
			}
		}
		bots++
		if post(ip, at+s) {
			hastyBots++
		}
	}
	t.Logf("under the flood: %d of %d bots hasty, %d of %d people", hastyBots, bots, hastyPeople, people)
	if hastyBots < bots*99/100 || hastyPeople > people/100 {
		t.Errorf("under the flood: %d of %d bots hasty, %d of %d people; want 99%% and at most 1%%", hastyBots, bots, hastyPeople, people)
	}
	// Two addresses sharing a slot in turn: the second's pages take it
	// from the first, whose next page, a second before its post, goes on
	// with its visit (it loaded pages lately), until it loaded none for
	// coldWindow.
	a, b := "198.51.100.7", ""
	ha := func(ip string) uint64 {
		e.reset(&parsers.Event{ClientIP: []byte(ip)}, 0)
		return e.clientIPHash()
	}
	for i := 0; b == ""; i++ { // one in 2^16 shares its slot: the hash's seed is the process's
		if i == 1<<24 {
			t.Fatal("no address of 2^24 shares the visit slot of " + a)
		}
		if x := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255); ha(x)%visitSlots == ha(a)%visitSlots && ha(x)>>48 != ha(a)>>48 {
			b = x
		}
	}
	at := 3 * time.Hour
	page(a, at)
	page(b, at+time.Minute)
	page(a, at+2*time.Minute)
	if post(a, at+2*time.Minute+s) {
		t.Errorf("a post a second after a page, its visit begun two minutes before and its slot taken meanwhile: hasty")
	}
	delete(warm, a) // 20 minutes later, no page loaded since
	page(b, at+20*time.Minute)
	page(a, at+22*time.Minute)
	if !post(a, at+22*time.Minute+s) {
		t.Errorf("a post a second after a page that begins a visit: not hasty")
	}
}
