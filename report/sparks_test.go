package report

import (
	"math"
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
