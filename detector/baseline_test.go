package detector

import (
	"slices"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
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
		l.learn(2*float64(min(s, 60))/60, false, start.Add(time.Duration(s)*time.Second), start)
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
// its warm-up once 20 of its windows were learned, every value at its
// floor or more: the log stopping ten minutes after the start fires, twice
// when it stops twice; not after a lull under the floor, nor on a site
// under it, which wait for the warm-up's end.
func TestLearned_warmupFactorDown(t *testing.T) {
	s := time.Second
	r := Rule{Name: "stops", Type: Rate, Window: 30 * s, For: 15 * s, Baseline: &Baseline{Down: true, Factor: 60, Floor: 1,
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
	m := time.Minute
	for _, tt := range []struct {
		name   string
		events []ev
		want   []time.Duration // firings, each within a minute after
	}{
		{"stops at 11m", steady(0, 20*m, [2]time.Duration{11 * m, 14 * m}), []time.Duration{11 * m}},
		{"stops at 11m and 16m", steady(0, 25*m, [2]time.Duration{11 * m, 13 * m}, [2]time.Duration{16 * m, 18 * m}), []time.Duration{11 * m, 16 * m}},
		{"stops at 5m: too young", steady(0, 20*m, [2]time.Duration{5 * m, 7 * m}), nil},
		{"a lull at 3m under the floor", steady(0, 20*m, [2]time.Duration{3 * m, 3*m + 20*s}, [2]time.Duration{11 * m, 14 * m}), nil},
		{"a site under the floor", byTime(concat(burst(0, 20*m, 600, "192.0.2.1"), burst(0, 11*m, 600, "192.0.2.2"))), nil},
	} {
		got, _, _ := replay(t, r, tt.events, Options{})
		var fired []time.Duration
		for _, g := range got {
			if g.State == alert.Firing {
				fired = append(fired, g.At)
			}
		}
		ok := len(fired) == len(tt.want)
		for i := 0; ok && i < len(fired); i++ {
			ok = fired[i] >= tt.want[i] && fired[i] <= tt.want[i]+m
		}
		if !ok {
			t.Errorf("%s: fired at %v, want within a minute of each of %v", tt.name, fired, tt.want)
		}
	}
}
