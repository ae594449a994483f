package detector

import (
	"testing"
	"time"
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
