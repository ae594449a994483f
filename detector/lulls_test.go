package detector

import (
	"slices"
	"testing"
	"time"
)

// TestLulls: the longest lull of the last LullMinutes, the minute of the
// boundary included; older minutes, and a slot reused by a later minute,
// are forgotten; the wait is the factor times it, at most MaxLullWait.
func TestLulls(t *testing.T) {
	var l lulls
	at := func(min, sec int) time.Time {
		return t0.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
	}
	note := func(min, sec int, gap time.Duration) { l.note(at(min, sec).UnixNano(), int64(gap)) }
	note(0, 5, 20*time.Second)
	note(0, 50, 3*time.Second)
	note(4, 10, 31*time.Second)
	note(4, 11, time.Second)
	note(12, 0, 2*time.Second)
	for _, c := range []struct {
		min  int
		want time.Duration
	}{{0, 20 * time.Second}, {9, 31 * time.Second}, {12, 31 * time.Second}, {14, 31 * time.Second}, {15, 2 * time.Second}, {30, 0}} {
		if got := l.longestSince(at(c.min, 30)); got != c.want {
			t.Errorf("at minute %d: longest %v, want %v", c.min, got, c.want)
		}
	}
	if wait, why := l.wait(at(12, 50), at(12, 0), true, 2.5); !wait || why == "" {
		t.Errorf("silent 50 s after a lull of 31 s: wait %v, want it (2.5 × 31 s)", wait)
	}
	if wait, _ := l.wait(at(13, 20), at(12, 0), true, 2.5); wait {
		t.Errorf("silent 80 s after a lull of 31 s: waits, want not (2.5 × 31 s = 77.5 s)")
	}
	if wait, _ := l.wait(at(12, 50), at(12, 0), false, 2.5); wait {
		t.Errorf("nothing seen: waits, want not")
	}
	note(13, 0, time.Hour)
	if wait, _ := l.wait(at(13, 0).Add(MaxLullWait), at(13, 0), true, 2.5); wait {
		t.Errorf("silent for MaxLullWait after an hour's lull: waits, want not")
	}
}

// TestLulls_restored: a drop rule with LullFactor keeps its lulls across a
// restart from a snapshot (through JSON): a site of a request every 20 s
// for 30 minutes, cut at 25 minutes, waits for 2.5 × 20 s after the
// restart as without it.
func TestLulls_restored(t *testing.T) {
	rule := Rule{Name: "stops", Type: Rate, Window: 30 * time.Second, For: 15 * time.Second, Fingerprint: "l",
		Baseline: &Baseline{Down: true, Factor: 60, Floor: 0.01, Warmup: 10 * time.Minute, HalfLife: time.Hour, LullFactor: 2.5}}
	var events []ev
	for at := time.Duration(0); at < 30*time.Minute; at += 20 * time.Second {
		events = append(events, ev{at: at, ip: "198.51.100.7"})
	}
	cut := slices.IndexFunc(events, func(e ev) bool { return e.at >= 25*time.Minute })
	first, err := NewEngine([]Rule{rule}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, first, events[:cut])
	second, _ := restart(t, first, []Rule{rule}, Options{})
	runEvents(t, second, events[cut:])
	for _, eng := range []*Engine{first, second} {
		if got := eng.rules[0].base.lulls.longestSince(t0.Add(24 * time.Minute)); got != 20*time.Second {
			t.Errorf("longest lull %v, want 20s", got)
		}
	}
	if got := second.rules[0].base.lulls.snapshot(); len(got) < 10 {
		t.Errorf("restored lulls %v, want a minute each of the last 10", got)
	}
}
