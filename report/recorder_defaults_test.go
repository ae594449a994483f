package report

import (
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/detector"
)

// TestRecorder_defaults: what docs/replay.md promises of a report's
// memory, with the defaults a replay uses: "each chart keeps at most 720
// columns of min, max and last value (their width doubles as the log
// goes on) and the table the first 1,000 transitions".
func TestRecorder_defaults(t *testing.T) {
	r := &Recorder{}
	const evals = 721 * 8 // one evaluation a second: 721 columns of 8 s, one too many
	for i := range evals {
		r.Observe(detector.Evaluation{Rule: "a", Time: t0.Add(time.Duration(i) * time.Second), Value: float64(i % 60), Threshold: 100})
	}
	_, width, series := r.Series()
	if n := len(series[0].Points); n > 720 || n < 360 {
		t.Errorf("%d columns, want at most 720 (and more than half of them: the width only doubles)", n)
	}
	// 1 s doubled until the log fits in 720 columns: 16 s.
	if width != 16*time.Second {
		t.Errorf("column width %v, want 16s (1s doubled until the log fits)", width)
	}
	for i := range 1001 {
		r.Alert(alert.Alert{Rule: "a", State: alert.Firing, Time: t0.Add(time.Duration(i) * time.Second)})
	}
	if kept, dropped := r.Alerts(); len(kept) != 1000 || dropped != 1 || !kept[0].Time.Equal(t0) {
		t.Errorf("kept %d transitions (first at %v), counted %d more; want the first 1,000, 1 more", len(kept), kept[0].Time, dropped)
	}
}
