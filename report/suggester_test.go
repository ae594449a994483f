package report

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/detector"
)

func TestSuggester(t *testing.T) {
	rules := []detector.Rule{
		{Name: "rate", Type: detector.Rate, Window: time.Minute, Threshold: 1},
		{Name: "ratio", Type: detector.Ratio, Window: 30 * time.Second, Threshold: 0.3, MinEvents: 20},
		{Name: "base", Type: detector.Rate, Window: time.Minute, Baseline: &detector.Baseline{Factor: 4, Floor: 5}},
		{Name: "quiet", Type: detector.Rate, Window: time.Minute, Threshold: 1},
	}
	s := NewSuggester(rules)
	for i := range 1000 {
		at := t0.Add(time.Duration(i) * time.Second)
		if i >= 500 && i < 600 {
			continue // skipped: every rule idle
		}
		s.Observe(detector.Evaluation{Rule: "rate", Time: at, Value: float64(i%10) / 10, Unit: "/s"})
		count := uint64(100)
		v := 0.02
		if i == 7 {
			count, v = 3, 1 // two of three failed: under min_events, not a value the threshold meets
		}
		s.Observe(detector.Evaluation{Rule: "ratio", Time: at, Value: v, Count: count, Unit: "share"})
		s.Observe(detector.Evaluation{Rule: "base", Time: at, Value: 12.5, Threshold: 20, Baseline: 5, Unit: "/s"})
		s.Observe(detector.Evaluation{Rule: "unknown", Time: at, Value: 3})
	}
	got := map[string]Suggestion{}
	for _, sg := range s.Suggestions() {
		got[sg.Rule] = sg
	}
	if r := got["rate"]; r.Evaluations != 1000 || r.Max != 0.9 || r.Quiet != 0.91 || r.Setting != "threshold" {
		t.Errorf("rate: %+v, want 1000 values (100 skipped zeros), max 0.9, quiet at 0.91", r)
	}
	if r := got["rate"]; math.Abs(r.P50-0.4) > 0.4*HistogramError {
		t.Errorf("rate p50 = %g, want 0.4 (0.5 without the zeros of the skipped boundaries)", r.P50)
	}
	if r := got["ratio"]; r.Max != 0.02 || r.Quiet != 0.021 {
		t.Errorf("ratio: %+v, want max 0.02 (the 3-event window left out), quiet at 0.021", r)
	}
	if r := got["base"]; r.Setting != "floor" || r.Quiet != 13 || r.Current != 5 {
		t.Errorf("base: %+v, want floor 13 (now 5)", r)
	}
	if r := got["quiet"]; !math.IsNaN(r.Quiet) || r.Note == "" {
		t.Errorf("never evaluated: %+v, want no suggestion and a note", r)
	}
	var out bytes.Buffer
	if err := WriteSuggestions(&out, s.Suggestions()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"known to be quiet", "within 1%", "threshold 0.91/s (now 1/s)", "floor 13/s (now 5/s)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("WriteSuggestions lacks %q:\n%s", want, out.String())
		}
	}
}

func TestNiceAbove(t *testing.T) {
	for _, tt := range []struct{ in, want float64 }{
		{241, 250}, {8, 8.1}, {0.33, 0.34}, {0, 0.001}, {1833, 1900}, {99, 100}, {0.02, 0.021},
	} {
		if got := niceAbove(tt.in); got != tt.want {
			t.Errorf("niceAbove(%g) = %g, want %g", tt.in, got, tt.want)
		}
	}
}
