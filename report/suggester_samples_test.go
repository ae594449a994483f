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
	case "floor and share_floor":
		r.Baseline.Floor, r.Baseline.ShareFloor = sg.Quiet, sg.Quiet
	case "factor":
		r.Baseline.Factor = sg.Quiet
	case "window":
		r.Window = time.Duration(sg.Quiet) * time.Second
	}
	r.Fingerprint = ""
	return r
}

// TestSuggester_samples replays every sample with the default rules, then
// again with every suggestion applied to its rule: each such rule must
// stay quiet on that log, which is what a suggestion promises.
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
			// The rules with their suggestions, replayed together: each
			// rule's alerts are its own whatever rules run beside it.
			var applied []detector.Rule
			bySetting := map[string]Suggestion{}
			for i, sg := range sug.Suggestions() {
				if math.IsNaN(sg.Quiet) {
					continue
				}
				applied = append(applied, apply(rules[i], sg))
				bySetting[rules[i].Name] = sg
			}
			if len(applied) == 0 {
				return
			}
			fired := replaySample(t, p, applied, nil)
			for _, r := range applied {
				if n := fired[r.Name]; n > 0 {
					sg := bySetting[r.Name]
					t.Errorf("%s with %s %v (suggested, max %v) fired %d times", r.Name, sg.Setting, sg.Quiet, sg.Max, n)
				}
			}
		})
	}
}
