package report

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/source"
)

// replaySample runs rules over a sample and returns the rules that fired.
func replaySample(tb testing.TB, path string, rules []detector.Rule, trace func(detector.Evaluation)) map[string]int {
	tb.Helper()
	fired := map[string]int{}
	opts := config.Default().EngineOptions()
	opts.Trace = trace
	opts.Emit = func(a alert.Alert) {
		if a.State == alert.Firing {
			fired[a.Rule]++
		}
	}
	eng, err := detector.NewEngine(rules, opts)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := source.Read(path, source.Options{Format: "auto"}, eng.Observe); err != nil {
		tb.Fatal(err)
	}
	eng.Flush()
	return fired
}

// apply returns r with a suggestion's setting.
func apply(r detector.Rule, sg Suggestion) detector.Rule {
	if r.Baseline != nil {
		b := *r.Baseline
		r.Baseline = &b
	}
	switch sg.Setting {
	case "threshold":
		r.Threshold = sg.Quiet
	case "floor":
		r.Baseline.Floor = sg.Quiet
	case "factor":
		r.Baseline.Factor = sg.Quiet
	case "window":
		r.Window = time.Duration(sg.Quiet) * time.Second
	}
	r.Fingerprint = ""
	return r
}

// TestSuggester_samples replays every sample with the default rules, then
// again with each suggestion applied to its rule: the rule must stay
// quiet on that log, which is what a suggestion promises.
func TestSuggester_samples(t *testing.T) {
	logs, _ := filepath.Glob("../samples/*.log")
	if len(logs) == 0 {
		t.Fatal("no samples")
	}
	rules := config.Default().Rules
	for _, p := range logs {
		t.Run(filepath.Base(p), func(t *testing.T) {
			sug := NewSuggester(rules)
			replaySample(t, p, rules, sug.Observe)
			for i, sg := range sug.Suggestions() {
				if math.IsNaN(sg.Quiet) {
					continue
				}
				r := apply(rules[i], sg)
				if n := replaySample(t, p, []detector.Rule{r}, nil)[r.Name]; n > 0 {
					t.Errorf("%s with %s %v (suggested, max %v) fired %d times", r.Name, sg.Setting, sg.Quiet, sg.Max, n)
				}
			}
		})
	}
}
