package replay

import (
	"context"
	"io"
	"testing"

	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/internal/benchlog"
)

// BenchmarkRun_trace replays a 1M-line log at one line a second (11.6
// days: every boundary evaluates every rule, so evaluations outnumber
// lines fourteen to one) on one goroutine, untraced (JSON output),
// traced for the sparklines (text output) and for a report: what tracing
// costs where it costs most. Compare text and report with json, in one
// run.
func BenchmarkRun_trace(b *testing.B) {
	for _, c := range []struct {
		name   string
		output alerts.Output
		report bool
	}{{"json", alerts.JSON, false}, {"text", alerts.Text, false}, {"report", alerts.JSON, true}} {
		b.Run(c.name, func(b *testing.B) {
			p := benchFileAt(b, benchlog.Sessions, 1)
			cfg := config.Default()
			b.ReportAllocs()
			var lines int64
			for b.Loop() {
				res, err := Run(context.Background(), cfg, []Input{{Path: p}}, Options{Output: c.output, Stdout: io.Discard,
					Stderr: io.Discard, Report: c.report, Feed: FeedOptions{Stages: OneStage}})
				if err != nil {
					b.Fatal(err)
				}
				if c.report {
					if err := res.Report().WriteHTML(io.Discard); err != nil {
						b.Fatal(err)
					}
				}
				lines += res.Stats[0].Lines
			}
			b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
