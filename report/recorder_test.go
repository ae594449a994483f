package report

import (
	"math"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
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

// TestSeries_Filled: buckets without an evaluation carry the rule's state
// — a 5-minute rule evaluated every 3 s draws no comb down to 0; an
// absence rule firing through an idle gap keeps firing, its silence
// growing; a drop rule firing on zero traffic stays shaded.
func TestSeries_Filled(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	ev := func(rule string, unit alert.Unit, sec int, v float64, state string) detector.Evaluation {
		return detector.Evaluation{Rule: rule, Unit: unit, Time: t0.Add(time.Duration(sec) * time.Second), Value: v, Threshold: 1, State: state}
	}
	var r Recorder
	for sec := 0; sec <= 30; sec += 3 {
		r.Observe(ev("slow", "/s", sec, 5, "inactive"))
	}
	r.Observe(ev("gone", "s silent", 0, 0, "inactive"))
	r.Observe(ev("gone", "s silent", 1, 0, "inactive"))
	r.Observe(ev("gone", "s silent", 10, 10, "firing")) // then the engine skips: idle
	r.Observe(ev("drop", "/s", 0, 2, "inactive"))
	r.Observe(ev("drop", "/s", 1, 2, "inactive"))
	r.Observe(ev("drop", "/s", 5, 0, "firing"))
	r.Observe(ev("slow", "/s", 40, 5, "inactive"))
	start, width, series := r.Series()
	for _, s := range series {
		pts := s.Filled(start, width)
		switch s.Rule {
		case "slow":
			for i, p := range pts[:31] {
				if p.Max != 5 {
					t.Errorf("slow: bucket %d = %v, want 5 carried between evaluations every %v", i, p.Max, s.Step)
				}
			}
			if pts[35].Max != 0 {
				t.Errorf("slow: bucket 35 = %v, want 0 (a gap longer than its step: empty windows)", pts[35].Max)
			}
		case "gone":
			if p := pts[len(pts)-1]; !p.Firing || p.Max != 10+float64(len(pts)-1-10) {
				t.Errorf("gone: last bucket = %+v, want firing with the silence grown", p)
			}
		case "drop":
			if p := pts[len(pts)-1]; !p.Firing || p.Max != 0 {
				t.Errorf("drop: last bucket = %+v, want firing at 0", p)
			}
		}
	}
}

// TestSeries_FilledCoarse: in a coarsened series, a bucket that holds a
// firing and its resolve passes "not firing" to the idle buckets after it.
func TestSeries_FilledCoarse(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 1, 0, 0, 0, time.UTC)
	r := Recorder{Columns: 4}
	r.Observe(detector.Evaluation{Rule: "r", Unit: "/s", Time: t0, Value: 9, Threshold: 1, State: "firing"})
	r.Observe(detector.Evaluation{Rule: "r", Unit: "/s", Time: t0.Add(time.Second), Value: 0, Threshold: 1, State: "inactive"})
	r.Observe(detector.Evaluation{Rule: "r", Unit: "/s", Time: t0.Add(40 * time.Second), Value: 0, Threshold: 1, State: "inactive"})
	start, width, series := r.Series()
	pts := series[0].Filled(start, width)
	if !pts[0].Firing {
		t.Errorf("bucket 0 = %+v, want firing (it held the firing)", pts[0])
	}
	for i, p := range pts[1 : len(pts)-1] {
		if p.Firing {
			t.Errorf("idle bucket %d = %+v, want not firing: the rule resolved in bucket 0", i+1, p)
		}
	}
}

func TestSub(t *testing.T) {
	for _, c := range []struct {
		a, b int64
		want time.Duration
	}{
		{10, 3, 7}, {3, 10, -7}, {math.MaxInt64, -1, math.MaxInt64}, {math.MinInt64, 1, math.MinInt64},
		{math.MaxInt64, math.MinInt64, math.MaxInt64}, {math.MinInt64, math.MaxInt64, math.MinInt64},
	} {
		ta, tb := time.Unix(0, c.a), time.Unix(0, c.b)
		if got := sub(c.a, c.b); got != c.want || got != ta.Sub(tb) {
			t.Errorf("sub(%d, %d) = %v, want %v (time.Time.Sub: %v)", c.a, c.b, got, c.want, ta.Sub(tb))
		}
	}
}
