package detector

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/parsers"
)

// TestEngine_Overlap: during a sign-up flood with a slower login attack
// beside it, the sign-up rule's events overlap the all-requests rule's
// almost whole and the login rule's not at all; nothing is measured for a
// rule that is not firing.
func TestEngine_Overlap(t *testing.T) {
	path := LookupField("path")
	rules := []Rule{
		{Name: "signups", Type: Rate, Window: 10 * time.Second, Threshold: 5, Severity: alert.Critical, Match: NewEquals(path, []string{"/users/register"})},
		{Name: "all", Type: Rate, Window: 10 * time.Second, Threshold: 1000, Severity: alert.Warning},
		{Name: "logins", Type: Rate, Window: 10 * time.Second, Threshold: 1000, Severity: alert.Critical, Match: NewEquals(path, []string{"/users/log_in"})},
	}
	eng, err := NewEngine(rules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	observe := func(at time.Duration, p string) {
		eng.Observe(&parsers.Event{Time: t0.Add(at), Kind: parsers.KindRequest, Method: []byte("POST"), Path: []byte(p), ClientIP: []byte("203.0.113.7")})
	}
	for i := range 20 { // quiet: one page view a second
		observe(time.Duration(i)*time.Second, "/")
	}
	if got := eng.Overlap("signups", "all"); got != 0 {
		t.Errorf("Overlap before any rule fires = %v, want 0", got)
	}
	for i := range 400 { // 100 sign-ups a second, and every fourth event a log-in
		at := 20*time.Second + time.Duration(i)*10*time.Millisecond
		observe(at, "/users/register")
		if i%4 == 0 {
			observe(at, "/users/log_in")
		}
	}
	if f := eng.Firing(); len(f) != 1 || f[0] != "signups" {
		t.Fatalf("Firing() = %v, want signups", f)
	}
	for _, tt := range []struct {
		a, b     string
		min, max float64
	}{
		{"signups", "all", 0.75, 0.85}, // 400 sign-ups of about 500 requests
		{"signups", "signups", 1, 1},
		{"signups", "logins", 0, 0},
		{"all", "signups", 0, 0}, // all is not firing
		{"signups", "nope", 0, 0},
	} {
		if got := eng.Overlap(tt.a, tt.b); got < tt.min || got > tt.max || math.IsNaN(got) {
			t.Errorf("Overlap(%s, %s) = %.3f, want %.2f–%.2f", tt.a, tt.b, got, tt.min, tt.max)
		}
	}
}

// TestOverlap_oneMatcher: two rules over one shared matcher's events
// (failed log-ins: their rate and their addresses) that fire at the same
// boundary overlap fully before any event comes after their firing, so
// that the daemon makes them one incident; a rule over other events does
// not, and once events are counted they decide.
func TestOverlap_oneMatcher(t *testing.T) {
	path := LookupField("path")
	failed := &Shared{Name: "failed", Cond: NewEquals(path, []string{"/login"})}
	requests := KindIs(parsers.KindRequest)
	states := []*ruleState{{rule: Rule{Match: All{requests, failed}}}, {rule: Rule{Match: All{requests, failed}}},
		{rule: Rule{Match: All{requests, NewEquals(path, []string{"/login"})}}}}
	o := newOverlap(states)
	o.setActive(0, true)
	o.setActive(1, true)
	for _, tt := range []struct {
		i, j int
		want float64
	}{{0, 1, 1}, {1, 0, 1}, {0, 2, 0}, {2, 0, 0}} {
		if got := o.share(tt.i, tt.j); got != tt.want {
			t.Errorf("before any event: share(%d, %d) = %v, want %v", tt.i, tt.j, got, tt.want)
		}
	}
	o.add(0b001) // an event rule 0 alone matched (a filter of its own would do that)
	if got := o.share(0, 1); got != 0 {
		t.Errorf("after an event of rule 0 alone: share(0, 1) = %v, want 0", got)
	}
}

// TestEngine_ViewMeasures: the view gives what a notification's headline
// needs: a rate's rate now besides its window's average, the distinct
// count, the peak while firing, and why a baseline rule cannot fire yet.
func TestEngine_ViewMeasures(t *testing.T) {
	ip := LookupField("client_ip")
	rules := []Rule{
		{Name: "signups", Type: Rate, Window: 30 * time.Second, Threshold: 1, Severity: alert.Critical, GroupBy: &ip, DistinctOf: &ip},
		{Name: "spike", Type: Rate, Window: 10 * time.Second, Severity: alert.Warning,
			Baseline: &Baseline{Factor: 4, Floor: 5, Warmup: 30 * time.Minute, HalfLife: time.Hour}},
	}
	eng, err := NewEngine(rules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2400 { // 240 a second for 10 s, each from another address
		eng.Observe(&parsers.Event{Time: t0.Add(time.Duration(i) * time.Second / 240), Kind: parsers.KindRequest,
			ClientIP: []byte("198.51." + itoa(i/250) + "." + itoa(i%250))})
	}
	v := eng.View()
	s, spike := v[0], v[1]
	if s.State != "firing" || s.Value < 70 || s.Value > 85 || s.Current < 230 || s.Current > 250 || s.Count < 2100 {
		t.Errorf("signups view = %+v, want firing at about 80/s over the window, 240/s now", s)
	}
	if s.DistinctOf != "client_ip" || s.Distinct < 2000 || s.Distinct > 2600 || s.Peak == 0 || s.GroupBy != "client_ip" {
		t.Errorf("signups view = %+v, want about 2,400 distinct client_ip and a peak", s)
	}
	if spike.Learning == "" || s.Learning != "" {
		t.Errorf("Learning = %q (baseline), %q (fixed); want the warm-up said for the baseline rule only", spike.Learning, s.Learning)
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// TestOverlap_runs checks the counts added per run of events matched by
// the same rules against counts added per event, on random sequences of
// events, rules becoming active or not, and reads.
func TestOverlap_runs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 5
	states := make([]*ruleState, n)
	for i := range states {
		states[i] = &ruleState{}
	}
	o := newOverlap(states)
	var seen, both [n][n]uint64
	active := uint64(0)
	masks := []uint64{0, 0b00011, 0b00011, 0b00011, 0b10110, 0b11111, 0b00100}
	for step := range 50000 {
		switch r := rng.IntN(100); {
		case r < 3:
			i, on := rng.IntN(n), rng.IntN(2) == 0
			if on && active&(1<<i) == 0 {
				seen[i], both[i] = [n]uint64{}, [n]uint64{}
			}
			if on {
				active |= 1 << i
			} else {
				active &^= 1 << i
			}
			o.setActive(i, on)
		case r < 10:
			i, j := rng.IntN(n), rng.IntN(n)
			want := 0.0
			if active&(1<<i) != 0 {
				if either := seen[i][i] + seen[i][j] - both[i][j]; either > 0 {
					want = float64(both[i][j]) / float64(either)
				}
			}
			if got := o.share(i, j); got != want {
				t.Fatalf("step %d: share(%d, %d) = %v, want %v", step, i, j, got, want)
			}
		default:
			mask := masks[rng.IntN(len(masks))]
			o.add(mask)
			for i := range n {
				if active&(1<<i) == 0 || mask == 0 {
					continue
				}
				for j := range n {
					if mask&(1<<j) != 0 {
						seen[i][j]++
						if mask&(1<<i) != 0 {
							both[i][j]++
						}
					}
				}
			}
		}
	}
}
