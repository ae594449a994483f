package report

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/detector"
)

func TestSparkline(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []float64
		want string
	}{
		{"ramp", []float64{0, 1, 2, 3, 4, 5, 6, 7}, "▁▂▃▄▅▆▇█"},
		{"flat", []float64{3, 3, 3}, "███"}, // the scale starts at 0
		{"zeros", []float64{0, 0}, "▁▁"},
		{"gap", []float64{0, math.NaN(), 7}, "▁ █"},
		{"empty", nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sparkline(tt.in); got != tt.want {
				t.Errorf("Sparkline(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func alertAt(at time.Time, rule string, st alert.State) alert.Alert {
	return alert.Alert{Rule: rule, State: st, Time: at, Unit: "/s", Keys: []alert.KeyCount{}}
}

// TestSparks: the sparkline after a resolution spans the lead-up and the
// episode, in at most DefaultSparkWidth cells, with the peak.
func TestSparks(t *testing.T) {
	var s Sparks
	state := "inactive"
	for i := range 3600 {
		at := t0.Add(time.Duration(i) * time.Second)
		v := 0.5
		switch {
		case i == 1800:
			state = "firing"
			v = 30
		case i > 1800 && i < 1900:
			v = 240
		case i == 1900:
			state = "inactive"
			v = 0.1
		}
		s.Observe(detector.Evaluation{Rule: "r", Time: at, Value: v, Unit: "/s", State: state})
		if i == 1900 {
			line := s.Line(alertAt(at, "r", alert.Resolved))
			cells := strings.TrimSpace(strings.Fields(line)[1])
			if n := len([]rune(cells)); n == 0 || n > DefaultSparkWidth {
				t.Errorf("%d cells in %q", n, line)
			}
			if !strings.Contains(line, "00:25:00–") || !strings.Contains(line, "max 240/s") || !strings.Contains(cells, "█") {
				t.Errorf("Line() = %q, want 00:25:00 (5 minutes before the firing) to the end, max 240/s", line)
			}
			if again := s.Line(alertAt(at, "r", alert.Resolved)); again != "" {
				t.Errorf("second Line() = %q, want \"\"", again)
			}
		}
	}
	if open := s.Open(); len(open) != 0 {
		t.Errorf("Open() = %v, want none", open)
	}
}

// TestSparks_rulesApart: each rule's sparkline is the one it gets alone,
// whatever the order the rules' evaluations come in (the look-up expects
// the engine's order and must not mix rules when it changes), rules
// starting late included.
func TestSparks_rulesApart(t *testing.T) {
	rules := []string{"a", "b", "c", "d"}
	resolveAt := func(rule string) int { return 500 + 30*int(rule[0]-'a'+1) }
	feed := func(s *Sparks, rule string, i int) string {
		k := float64(rule[0] - 'a' + 1)
		v, st := k+float64(i%7), "inactive"
		if end := resolveAt(rule); i >= end-100 && i < end {
			v, st = k*100, "firing"
		}
		at := t0.Add(time.Duration(i) * time.Second)
		s.Observe(detector.Evaluation{Rule: rule, Time: at, Value: v, Unit: "/s", State: st})
		if i == resolveAt(rule) {
			return s.Line(alertAt(at, rule, alert.Resolved))
		}
		return ""
	}
	alone := map[string]string{}
	for _, r := range rules {
		var s Sparks
		for i := range 800 {
			if r == "d" && i < 100 {
				continue // a rule that starts late
			}
			if l := feed(&s, r, i); l != "" {
				alone[r] = l
			}
		}
	}
	var s Sparks
	got := map[string]string{}
	for i := range 800 {
		order := slices.Clone(rules)
		if i%5 == 0 {
			slices.Reverse(order) // the order changes now and then
		}
		for _, r := range order {
			if r == "d" && i < 100 {
				continue
			}
			if l := feed(&s, r, i); l != "" {
				got[r] = l
			}
		}
	}
	for _, r := range rules {
		if alone[r] == "" || got[r] != alone[r] {
			t.Errorf("rule %s: line %q among the others, want %q as alone", r, got[r], alone[r])
		}
	}
}

// TestByRule: values are found by name whatever the order of the
// look-ups, missing names are not, and all lists them in the order they
// were added.
func TestByRule(t *testing.T) {
	var b byRule[int]
	if v, ok := b.get("x"); ok || v != 0 {
		t.Errorf("get on an empty byRule = %v, %v", v, ok)
	}
	names := []string{"a", "b", "c", "d", "e"}
	for i, n := range names {
		b.add(n, i*10)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		i := r.IntN(len(names) + 1)
		if i == len(names) {
			if _, ok := b.get("zz"); ok {
				t.Fatal("get of a name never added = ok")
			}
			continue
		}
		if v, ok := b.get(names[i]); !ok || v != i*10 {
			t.Fatalf("get(%q) = %v, %v, want %d", names[i], v, ok, i*10)
		}
	}
	if got := b.all(); !slices.Equal(got, []int{0, 10, 20, 30, 40}) {
		t.Errorf("all() = %v", got)
	}
}
