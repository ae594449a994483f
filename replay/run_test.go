package replay_test

import (
	"context"
	"io"
	"testing"

	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/replay"
)

// TestRun_reportKeepsBaselines: a text replay leaves the learned normal
// out of its trace (its sparklines read values alone), but one that
// writes a report keeps it: the report's charts draw it.
func TestRun_reportKeepsBaselines(t *testing.T) {
	cfg := config.Default()
	inputs := []replay.Input{{Path: "../samples/signup-flood.log"}}
	res, err := replay.Run(context.Background(), cfg, inputs, replay.Options{Output: alerts.Text, Stdout: io.Discard, Report: true})
	if err != nil {
		t.Fatal(err)
	}
	learned := 0
	for _, s := range res.Report().Series {
		for _, p := range s.Points {
			if p.Baseline != 0 || p.Spread != 0 {
				learned++
			}
		}
	}
	if learned == 0 {
		t.Error("no point of the report carries a learned baseline")
	}
}
