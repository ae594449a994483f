package report_test

import (
	"fmt"
	"os"
	"time"

	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/report"
)

func ExampleSparkline() {
	fmt.Println(report.Sparkline([]float64{0, 0, 1, 8, 240, 120, 3, 0}))
	// Output: ▁▁▁▁█▅▁▁
}

func ExampleSuggester() {
	rule := detector.Rule{Name: "signup-burst", Type: detector.Rate, Window: 30 * time.Second, Threshold: 1}
	s := report.NewSuggester([]detector.Rule{rule})
	start := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	for i := range 3600 { // an hour of a quiet night, evaluated every second
		s.Observe(detector.Evaluation{Rule: "signup-burst", Time: start.Add(time.Duration(i) * time.Second), Value: float64(i%4) / 30, Unit: "/s"})
	}
	sg := s.Suggestions()[0]
	fmt.Printf("p50 %.3g, max %.3g: a %s of %g/s would have stayed quiet\n", sg.P50, sg.Max, sg.Setting, sg.Quiet)
	report.WriteSuggestions(os.Stdout, nil) // the warning and an empty table
	// Output:
	// p50 0.0333, max 0.1: a threshold of 0.11/s would have stayed quiet
	//
	// threshold suggestions
	//   Only a log known to be quiet is fair input: a suggestion is the setting that would
	//   have raised no alert on THIS log, so an attack in it becomes the new normal.
	//   Values are each rule's window value at every evaluation; p50/p99/p99.9 from a
	//   log-bucket histogram, within 1%; max exact.
	//
	//   rule  values  p50  p99  p99.9  max  quiet with
}
