package detector

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/parsers"
)

// TestLearned_warmupFactorHeldByShare: warmup_factor, as warmup_floor, is
// held back while the rule's events are an ordinary share of its
// evidence's (warmup_share: people's mistyped passwords), and fires at
// its factor over the young normal otherwise, once a window is learned.
func TestLearned_warmupFactorHeldByShare(t *testing.T) {
	b := &Baseline{Factor: 4, Floor: 1, Warmup: 30 * time.Minute, WarmupFactor: 8, HalfLife: time.Hour}
	l := newLearned(b, time.Minute, time.Second, true, false)
	start := t0
	for s := 15; s <= 90; s++ {
		// 2 a second: over a window not yet full, the events so far
		// over the whole window (learn scales it back).
		l.learn(2*float64(min(s, 60))/60, stateInactive, start.Add(time.Duration(s)*time.Second), start)
	}
	at := start.Add(90 * time.Second)
	if th, ready, why := l.threshold(at, start); !ready || th < 15.9 || th > 16.1 {
		t.Errorf("young: threshold %v, %v (%s), want 16 (8 × 2), ready", th, ready, why)
	}
	ordinary := true
	l.ordinary = func() bool { return ordinary }
	if th, ready, _ := l.threshold(at, start); ready {
		t.Errorf("people's share: threshold %v, ready, want held back", th)
	}
	ordinary = false
	if _, ready, _ := l.threshold(at, start); !ready {
		t.Error("a share past people's: not ready, want the factor's threshold")
	}
}

// TestLearned_warmupFactorDown: a drop rule with warmup_factor decides in
// its warm-up once 20 of its windows passed since it began learning, every
// value at its floor or more: the log stopping ten minutes after the start
// fires, twice when it stops twice, and resolves only when the log is
// back (the clock advancing through the silence, as a live run's does);
// not after a lull under the floor (one that went pending included, or one
// before a restart), nor on a site under the floor, which wait for the
// warm-up's end.
func TestLearned_warmupFactorDown(t *testing.T) {
	s, m := time.Second, time.Minute
	r := Rule{Name: "stops", Fingerprint: "s", Type: Rate, Window: 30 * s, For: 15 * s, Baseline: &Baseline{Down: true, Factor: 60, Floor: 1,
		Warmup: time.Hour, WarmupFactor: 60, HalfLife: time.Hour}}
	// steady is 2 a second over [from, to), less the gaps.
	steady := func(from, to time.Duration, gaps ...[2]time.Duration) []ev {
		var out []ev
		for at := from; at < to; at += 500 * time.Millisecond {
			if !slices.ContainsFunc(gaps, func(g [2]time.Duration) bool { return at >= g[0] && at < g[1] }) {
				out = append(out, ev{at: at, ip: "192.0.2.1"})
			}
		}
		return out
	}
	for _, tt := range []struct {
		name    string
		events  []ev
		restart time.Duration
		want    []time.Duration // the stops: a firing within a minute after each
	}{
		{"stops at 11m", steady(0, 20*m, [2]time.Duration{11 * m, 14 * m}), 0, []time.Duration{11 * m}},
		{"stops at 11m and 16m", steady(0, 25*m, [2]time.Duration{11 * m, 13 * m}, [2]time.Duration{16 * m, 18 * m}), 0, []time.Duration{11 * m, 16 * m}},
		{"stops at 11m, restarted at 5m", steady(0, 20*m, [2]time.Duration{11 * m, 14 * m}), 5 * m, []time.Duration{11 * m}},
		{"stops at 5m: too young", steady(0, 20*m, [2]time.Duration{5 * m, 7 * m}), 0, nil},
		{"a lull at 3m under the floor", steady(0, 20*m, [2]time.Duration{3 * m, 3*m + 20*s}, [2]time.Duration{11 * m, 14 * m}), 0, nil},
		{"a lull at 3m, restarted at 5m", steady(0, 20*m, [2]time.Duration{3 * m, 3*m + 20*s}, [2]time.Duration{11 * m, 14 * m}), 5 * m, nil},
		{"a lull at 11m, pending, then the stop at 13m", steady(0, 20*m, [2]time.Duration{11 * m, 11*m + 35*s}, [2]time.Duration{13 * m, 16 * m}), 0, nil},
		{"a site under the floor", byTime(concat(burst(0, 20*m, 600, "192.0.2.1"), burst(0, 11*m, 600, "192.0.2.2"))), 0, nil},
	} {
		fired, resolved := replayCut(t, r, tt.events, tt.restart, s)
		ok := len(fired) == len(tt.want) && len(resolved) == len(tt.want)
		for i := 0; ok && i < len(fired); i++ {
			// Fired within a minute of the stop, resolved only once the
			// log is back (2 or 3 minutes later), within seconds.
			ok = fired[i] >= tt.want[i] && fired[i] <= tt.want[i]+m && resolved[i] >= tt.want[i]+2*m && resolved[i] <= tt.want[i]+3*m+5*s
		}
		if !ok {
			t.Errorf("%s: fired at %v, resolved at %v; want within a minute of each of %v, resolved when the log is back", tt.name, fired, resolved, tt.want)
		}
	}
}

// TestBaseline_followTraffic: a rule that follows the traffic
// (follow_traffic) holds its normal to the site's requests. Sign-ups
// three times their normal while every request is three times its own (a
// weekday after a quiet weekend) do not fire it, nor after a restart
// from a snapshot halfway (its normal of the requests is kept, and the
// count resumed over part of the window stands for the whole); without
// follow_traffic the same log fires. Three times the sign-ups on the
// site's ordinary traffic fire either way, and so do twenty times the
// sign-ups under twenty times the requests: the normal rises by at most
// MaxTrafficScale. A bot's episode is not resolved by the site's traffic
// rising while it goes on: it resolves when the bot stops. (The quiet
// site's case is TestDefault_signupSurgeQuietSite's.)
func TestBaseline_followTraffic(t *testing.T) {
	skipLongInShort(t)
	s, m := time.Second, time.Minute
	signups := &CIDR{Field: LookupField("client_ip"), Prefixes: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}}
	rule := func(follow bool) Rule {
		return Rule{Name: "signups", Fingerprint: "f", Type: Rate, Window: 10 * m, Match: signups,
			Baseline: &Baseline{Factor: 2.5, Floor: 0.01, Warmup: 30 * m, HalfLife: 2 * time.Hour, FollowTraffic: follow}}
	}
	// site is d of pages requests a second and a sign-up every 10/signups
	// seconds, from its start.
	site := func(from, d time.Duration, pages, signups int) []ev {
		return concat(burst(from, d, int(d/s)*pages, "10.2.0.1"), burst(from, d, int(d/(10*s))*signups, "10.1.0.1"))
	}
	base := 2 * time.Hour
	cases := []struct {
		name           string
		pages, signups int
		follow         bool
		restart        time.Duration // 0: none
		fires          bool
	}{
		{"a weekday: both three times", 12, 3, true, 0, false},
		{"a weekday, restarted halfway", 12, 3, true, base + 15*m, false},
		{"a weekday, restarted a minute in", 12, 3, true, base + m, false},
		{"a weekday, restarted a minute before", 12, 3, true, base - m, false},
		{"a weekday without follow_traffic", 12, 3, false, 0, true},
		{"sign-ups alone three times", 4, 3, true, 0, true},
		{"both twenty times", 80, 20, true, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			events := byTime(concat(site(0, base, 4, 1), site(base, 30*m, c.pages, c.signups)))
			fired, _ := replayCut(t, rule(c.follow), events, c.restart, 0)
			switch {
			case c.fires && (len(fired) == 0 || fired[0] < base):
				t.Errorf("fired %v, want from %v on", fired, base)
			case !c.fires && len(fired) > 0:
				t.Errorf("fired %v, want nothing", fired)
			}
		})
	}
	t.Run("the traffic rising while a bot goes on", func(t *testing.T) {
		// A bot at four times the sign-ups from +2h for 45 minutes; from
		// +2h15m people bring four times the requests. Fixed at its
		// episode's start, the scale does not resolve the bot's episode.
		events := byTime(concat(site(0, base, 4, 1), site(base, 15*m, 4, 4), site(base+15*m, 30*m, 16, 4), site(base+45*m, 30*m, 16, 1)))
		fired, resolved := replayCut(t, rule(true), events, 0, 0)
		if len(fired) != 1 || fired[0] < base || fired[0] > base+10*m || len(resolved) != 1 || resolved[0] < base+45*m {
			t.Errorf("fired %v, resolved %v: want one episode from the bot's start to its end (+%v)", fired, resolved, base+45*m)
		}
	})
}

// TestBaseline_recurringDaily: a rule that knows what recurs daily
// (recurring: daily) fires on a nightly job the first night only, where
// without it it fires every night; also when restarted from a snapshot
// between two nights, and when the job moves an hour with the clocks.
// Moved 75 minutes, 1.6 times as fast, or as fast at another hour, it
// fires; 1.4 times as fast it does not.
func TestBaseline_recurringDaily(t *testing.T) {
	skipLongInShort(t)
	s, m, h, day := time.Second, time.Minute, time.Hour, 24*time.Hour
	rule := func(recurring bool) Rule {
		return Rule{Name: "spike", Fingerprint: "d", Type: Rate, Window: m,
			Baseline: &Baseline{Factor: 4, Floor: 5, Warmup: 30 * m, HalfLife: h, RecurringDaily: recurring}}
	}
	type job struct {
		at   time.Duration
		rate float64 // a second, for five minutes
	}
	// Three days of a site at 0.2 req/s, with a job each night at 6 a
	// second for five minutes from 03:00, or as jobs say.
	events := func(jobs ...job) []ev {
		if jobs == nil {
			jobs = []job{{3 * h, 6}, {day + 3*h, 6}, {2*day + 3*h, 6}}
		}
		out := burst(0, 3*day, int(3*day/(5*s)), "192.0.2.%d")
		for _, j := range jobs {
			out = append(out, burst(j.at, 5*m, int(300*j.rate), "10.0.0.5")...)
		}
		return byTime(out)
	}
	run := func(r Rule, evs []ev, cut time.Duration) []time.Duration {
		fired, _ := replayCut(t, r, evs, cut, 0)
		return fired
	}
	// firedAt reports whether got is one firing at each of at, within a
	// minute.
	firedAt := func(got []time.Duration, at ...time.Duration) bool {
		if len(got) != len(at) {
			return false
		}
		for i := range at {
			if got[i] < at[i] || got[i] > at[i]+m {
				return false
			}
		}
		return true
	}
	if got := run(rule(false), events(), 0); !firedAt(got, 3*h, day+3*h, 2*day+3*h) {
		t.Errorf("without recurring: fired %v, want every night", got)
	}
	for _, cut := range []time.Duration{0, day + 12*h} {
		if got := run(rule(true), events(), cut); !firedAt(got, 3*h) {
			t.Errorf("recurring, restarted at %v: fired %v, want the first night only", cut, got)
		}
	}
	for _, c := range []struct {
		name  string
		night job // the second night's
		fires bool
	}{
		{"an hour later", job{day + 4*h, 6}, false},
		{"75 minutes later", job{day + 4*h + 15*m, 6}, true},
		{"1.4 times as fast", job{day + 3*h, 8.4}, false},
		{"1.6 times as fast", job{day + 3*h, 9.6}, true},
		{"at 15:00", job{day + 15*h, 6}, true},
	} {
		got := run(rule(true), events(job{3 * h, 6}, c.night), 0)
		want := []time.Duration{3 * h}
		if c.fires {
			want = append(want, c.night.at)
		}
		if !firedAt(got, want...) {
			t.Errorf("recurring, the second night's job %s: fired %v, want %v", c.name, got, want)
		}
	}
}

// replayCut replays events through rule r alone, restarting its engine
// from a state snapshot at the first event at or after cut (0: never),
// and returns when it fired and when it resolved. With tick, the clock
// also advances every tick through the events and past the last, as a
// live run's does through a silence (0: only the events move it).
func replayCut(t *testing.T, r Rule, events []ev, cut, tick time.Duration) (fired, resolved []time.Duration) {
	t.Helper()
	emit := func(a alert.Alert) {
		if a.State == alert.Firing {
			fired = append(fired, a.Time.Sub(t0))
		} else {
			resolved = append(resolved, a.Time.Sub(t0))
		}
	}
	eng, err := NewEngine([]Rule{r}, Options{Emit: emit})
	if err != nil {
		t.Fatal(err)
	}
	var e parsers.Event
	next := tick // the clock's next tick
	for _, x := range events {
		for ; tick > 0 && next <= x.at; next += tick {
			eng.Advance(t0.Add(next))
		}
		if cut > 0 && x.at >= cut {
			eng, _ = restart(t, eng, []Rule{r}, Options{Emit: emit})
			cut = 0
		}
		e.Reset()
		e.Time, e.ClientIP, e.Raw = t0.Add(x.at), []byte(x.ip), []byte("line")
		eng.Observe(&e)
	}
	if tick > 0 && len(events) > 0 {
		eng.Advance(t0.Add(next))
	}
	eng.Flush()
	return fired, resolved
}

// TestBaseline_downFiringForHours: a drop rule firing for hours (its
// traffic down to 0.1/s) learns the threshold (a tenth of its normal) at
// every boundary, as any firing rule does, and its normal falls under its
// floor. It resolves then (too little traffic to miss), and learns the
// day's traffic again: held instead, it learned nothing more and fired for
// good (a probe's log: firing at 38 req/s the next evening).
func TestBaseline_downFiringForHours(t *testing.T) {
	r := Rule{Name: "drop", Type: Rate, Window: 5 * time.Minute, Severity: alert.Critical,
		Baseline: &Baseline{Down: true, Factor: 10, Floor: 1, Warmup: time.Hour, HalfLife: time.Hour}}
	day := func(from, d time.Duration) []ev { return burst(from, d, int(d/time.Second)*5, "198.51.100.%d") }
	// The day, then 6 hours at 0.1/s (a collapse: it fires), then the day.
	events := concat(day(0, 2*time.Hour), burst(2*time.Hour, 6*time.Hour, int(6*time.Hour/time.Second)/10, "198.51.100.7"),
		day(8*time.Hour, 2*time.Hour))
	got, _, _ := replay(t, r, events, Options{})
	if len(got) == 0 || got[0].State != alert.Firing || got[0].At < 2*time.Hour || got[0].At > 2*time.Hour+10*time.Minute {
		t.Fatalf("transitions %v, want it firing within minutes of the collapse (the test shows nothing otherwise)", got)
	}
	if last := got[len(got)-1]; last.State != alert.Resolved || last.At > 9*time.Hour {
		t.Errorf("transitions %v: want it resolved by the morning (held, it fired for good)", got)
	}
}

// TestBaseline_downRecentGate: a drop rule (log-stops') decides only
// where the minutes before its window ran at its floor too. After a steep
// fall from 3 to 0.4 requests a second, in visits of 8 requests with a
// lull of 50 s every 10 minutes from the 20th, its normal (an hour's
// half-life) stays over 1/s for two hours, and each lull paged a stopped
// log (11 times); the last minutes' rate (0.4/s) says there is too little
// traffic to miss. (In the first 10 minutes after the fall, the minutes
// before it still count: a lull then is paged.) A site
// at 1.2/s whose log stops still fires within a minute.
func TestBaseline_downRecentGate(t *testing.T) {
	r := Rule{Name: "stops", Type: Rate, Window: 30 * time.Second, For: 15 * time.Second, Severity: alert.Critical,
		Baseline: &Baseline{Down: true, Factor: 60, Floor: 1, Warmup: time.Hour, WarmupFactor: 60, HalfLife: time.Hour}}
	visits := func(from, d, every time.Duration, size int, lulls bool) []ev {
		var out []ev
		for at := from; at < from+d; at += every {
			if lulls && at-from > 10*time.Minute && (at-from)%(10*time.Minute) < 50*time.Second {
				continue // the lull, from the evening's 20th minute
			}
			out = append(out, burst(at, time.Second, size, "198.51.100.%d")...)
		}
		return out
	}
	evening := concat(visits(0, 3*time.Hour, 2*time.Second, 6, false), visits(3*time.Hour, 2*time.Hour, 20*time.Second, 8, true))
	if got, _, _ := replay(t, r, evening, Options{}); len(got) != 0 {
		t.Errorf("a steep evening: %v, want nothing", got)
	}
	stop := visits(0, 3*time.Hour, 5*time.Second, 6, false) // 1.2/s, then nothing
	stop = append(stop, ev{at: 3*time.Hour + 5*time.Minute, ip: "198.51.100.1"})
	if got, _, _ := replay(t, r, stop, Options{}); len(got) == 0 || got[0].State != alert.Firing || got[0].At > 3*time.Hour+time.Minute {
		t.Errorf("a 1.2/s log stopping at 3h: %v, want it firing within a minute", got)
	}
}

// TestBaseline_downRecentGateFiring: the gate does not hold while the
// rule fires. A 2/s site falling to 0.95/s whose log then stops, the
// wall clock ticking through the silence (live): the rule fires and
// stays firing, where the gate, moving on to the emptying minutes, ended
// the alert of a dead log (a review's find).
func TestBaseline_downRecentGateFiring(t *testing.T) {
	r := Rule{Name: "stops", Type: Rate, Window: 30 * time.Second, For: 15 * time.Second, Severity: alert.Critical,
		Baseline: &Baseline{Down: true, Factor: 60, Floor: 1, Warmup: time.Hour, WarmupFactor: 60, HalfLife: time.Hour}}
	var got []transition
	eng, err := NewEngine([]Rule{r}, Options{Emit: func(a alert.Alert) { got = append(got, transition{a.State, a.Time.Sub(t0), a.Value}) }})
	if err != nil {
		t.Fatal(err)
	}
	events := concat(burst(0, 3*time.Hour, int(3*time.Hour/time.Second)*2, "198.51.100.%d"),
		burst(3*time.Hour, 7*time.Minute, int(7*time.Minute/time.Second)*95/100, "198.51.100.%d"))
	runEvents(t, eng, events)
	stop := 3*time.Hour + 7*time.Minute
	for at := stop; at < stop+15*time.Minute; at += time.Second {
		eng.Advance(t0.Add(at))
	}
	if len(got) != 1 || got[0].State != alert.Firing || got[0].At > stop+time.Minute {
		t.Errorf("a dead log: %v, want it firing within a minute and firing still 15 minutes on", got)
	}
}
