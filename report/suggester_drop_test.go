package report

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/detector"
)

// TestSuggester_drop: "a drop rule gets an approximate factor"
// (docs/replay.md): the factor just above the deepest fall seen while the
// rule was armed (baseline/value), marked approximate; values from the
// warm-up or on a normal under the floor, when the rule could not fire,
// do not count; and a fall to zero leaves no factor that would have kept
// it quiet.
func TestSuggester_drop(t *testing.T) {
	drop := detector.Rule{Name: "drop", Type: detector.Rate, Window: time.Minute,
		Baseline: &detector.Baseline{Factor: 4, Floor: 1, Down: true}}
	s := NewSuggester([]detector.Rule{drop})
	for i := range 600 {
		at := t0.Add(time.Duration(i) * time.Second)
		ev := detector.Evaluation{Rule: "drop", Time: at, Value: 10, Baseline: 10, Threshold: 2.5, Unit: "/s", Why: "below the threshold"}
		switch {
		case i < 100:
			ev.Value, ev.Threshold, ev.Why = 1, math.Inf(-1), "warm-up: 20m left" // a fall of 10× that could not fire
		case i == 300:
			ev.Value = 4 // the deepest armed fall: 2.5×
		case i == 400:
			ev.Value, ev.Why = 0.5, "under the floor" // not armed
		}
		s.Observe(ev)
	}
	sg := s.Suggestions()[0]
	if sg.Setting != "factor" || sg.Current != 4 || sg.Quiet != 2.6 || !strings.Contains(sg.Note, "approximate") {
		t.Errorf("drop: %+v; want factor 2.6 (now 4), approximate", sg)
	}
	var out bytes.Buffer
	if err := WriteSuggestions(&out, []Suggestion{sg}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "factor 2.6 (now 4") || !strings.Contains(out.String(), "drop: approximate") {
		t.Errorf("WriteSuggestions:\n%s", out.String())
	}

	// A fall to zero while armed: no factor keeps it quiet.
	s = NewSuggester([]detector.Rule{drop})
	for i := range 60 {
		v := 10.0
		if i == 30 {
			v = 0
		}
		s.Observe(detector.Evaluation{Rule: "drop", Time: t0.Add(time.Duration(i) * time.Second), Value: v, Baseline: 10, Threshold: 2.5, Unit: "/s"})
	}
	if sg := s.Suggestions()[0]; sg.Setting != "factor" || !math.IsNaN(sg.Quiet) || !strings.Contains(sg.Note, "fell to 0") {
		t.Errorf("drop to zero: %+v; want no factor, and why", sg)
	}
}
