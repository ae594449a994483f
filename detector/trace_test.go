package detector_test

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/source"
)

// TestEngine_traceChangesNothing replays every sample with the default
// rules, traced and not, and wants the same alerts, field for field: a
// report or a sparkline (which trace) must not change what replay prints,
// peaks included.
func TestEngine_traceChangesNothing(t *testing.T) {
	logs, _ := filepath.Glob("../samples/*.log")
	if len(logs) == 0 {
		t.Fatal("no samples/*.log")
	}
	cfg := config.Default()
	run := func(t *testing.T, path string, trace bool) []alert.Alert {
		var got []alert.Alert
		opts := cfg.EngineOptions()
		opts.Emit = func(a alert.Alert) { got = append(got, a) }
		evaluations := 0
		if trace {
			opts.Trace = func(detector.Evaluation) { evaluations++ }
		}
		eng, err := detector.NewEngine(cfg.Rules, opts)
		if err != nil {
			t.Fatal(err)
		}
		// The Phoenix sample's day comes from its file time: the same in both runs.
		if _, err := source.Read(path, source.Options{}, eng.Observe); err != nil {
			t.Fatal(err)
		}
		eng.Flush()
		if trace && evaluations == 0 {
			t.Fatal("no evaluation traced")
		}
		return got
	}
	for _, p := range logs {
		t.Run(filepath.Base(p), func(t *testing.T) {
			plain, traced := run(t, p, false), run(t, p, true)
			if diff := cmp.Diff(plain, traced); diff != "" {
				t.Errorf("alerts (-untraced +traced):\n%s", diff)
			}
		})
	}
}
