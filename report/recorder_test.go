package report

import (
	"math"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/detector"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// TestRecorder_bounded: a month of evaluations every second, for two
// rules, keeps at most Columns buckets each, and a one-second spike
// survives the merging as its bucket's maximum.
func TestRecorder_bounded(t *testing.T) {
	if testing.Short() {
		t.Skip("5M evaluations")
	}
	r := &Recorder{Columns: 500}
	month := 30 * 24 * 3600
	spike := 17 * 24 * 3600
	for i := range month {
		at := t0.Add(time.Duration(i) * time.Second)
		v := 1.0
		if i == spike {
			v = 900
		}
		if i%7 == 0 { // an idle gap now and then: no evaluation
			continue
		}
		r.Observe(detector.Evaluation{Rule: "a", Time: at, Value: v, Threshold: 10, State: "inactive"})
		r.Observe(detector.Evaluation{Rule: "b", Time: at, Value: 2, Threshold: math.Inf(1)})
	}
	start, width, series := r.Series()
	if !start.Equal(t0.Add(time.Second)) || len(series) != 2 {
		t.Fatalf("start %v, %d series", start, len(series))
	}
	if width < time.Duration(month)*time.Second/500 {
		t.Errorf("width %v too narrow for a month in 500 buckets", width)
	}
	for _, s := range series {
		if len(s.Points) > 500 {
			t.Errorf("%s: %d points, want ≤ 500", s.Rule, len(s.Points))
		}
	}
	a := series[0]
	var peak float64
	var evals int
	for _, p := range a.Points {
		peak = max(peak, p.Max)
		evals += p.N
		if p.N > 0 && p.Threshold != 10 {
			t.Fatalf("threshold %g, want 10", p.Threshold)
		}
	}
	if peak != 900 {
		t.Errorf("peak %g, want the spike's 900", peak)
	}
	if evals != a.Evaluations {
		t.Errorf("buckets hold %d evaluations, want %d", evals, a.Evaluations)
	}
	if p := series[1].Points[0]; !math.IsNaN(p.Threshold) {
		t.Errorf("an infinite threshold is kept as %g, want NaN (none)", p.Threshold)
	}
}

func TestRecorder_alertsBounded(t *testing.T) {
	r := &Recorder{MaxAlerts: 2}
	for range 5 {
		r.Alert(alertAt(t0, "a", "firing"))
	}
	kept, dropped := r.Alerts()
	if len(kept) != 2 || dropped != 3 {
		t.Errorf("kept %d, dropped %d; want 2, 3", len(kept), dropped)
	}
}
