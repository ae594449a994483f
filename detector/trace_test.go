package detector_test

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/source"
)

// TestEngine_traceChangesNothing replays every sample with the default
// rules, traced and not, and wants the same alerts, field for field: a
// report or a sparkline (which trace) must not change what replay prints,
// peaks included.
func TestEngine_traceChangesNothing(t *testing.T) {
	testutil.LongOneGoroutine(t)
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

// TestEngine_traceNoBaseline: with TraceNoBaseline the traced evaluations
// are those traced without it, field for field, but for the learned mean
// and spread, left at 0; alerts keep theirs.
func TestEngine_traceNoBaseline(t *testing.T) {
	testutil.LongOneGoroutine(t)
	cfg := config.Default()
	run := func(noBaseline bool) ([]detector.Evaluation, []alert.Alert) {
		var evs []detector.Evaluation
		var got []alert.Alert
		opts := cfg.EngineOptions()
		opts.Emit = func(a alert.Alert) { got = append(got, a) }
		opts.Trace = func(e detector.Evaluation) { evs = append(evs, e) }
		opts.TraceValuesOnly, opts.TraceNoBaseline = true, noBaseline
		eng, err := detector.NewEngine(cfg.Rules, opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := source.Read("../samples/signup-flood.log", source.Options{}, eng.Observe); err != nil {
			t.Fatal(err)
		}
		eng.Flush()
		return evs, got
	}
	full, fullAlerts := run(false)
	bare, bareAlerts := run(true)
	if diff := cmp.Diff(fullAlerts, bareAlerts); diff != "" {
		t.Errorf("alerts (-with the baseline traced +without):\n%s", diff)
	}
	if len(full) != len(bare) {
		t.Fatalf("%d evaluations without the baseline, want %d", len(bare), len(full))
	}
	learned := 0
	for i := range full {
		if full[i].Baseline != 0 || full[i].Spread != 0 {
			learned++
		}
		if bare[i].Baseline != 0 || bare[i].Spread != 0 {
			t.Fatalf("evaluation %d: baseline %v ± %v, want none", i, bare[i].Baseline, bare[i].Spread)
		}
		want := full[i]
		want.Baseline, want.Spread, want.Scale, want.Recurs = 0, 0, 0, 0
		if diff := cmp.Diff(want, bare[i]); diff != "" {
			t.Fatalf("evaluation %d (-want +got):\n%s", i, diff)
		}
	}
	if learned == 0 {
		t.Error("no evaluation carried a learned baseline: the test compares nothing")
	}
}
