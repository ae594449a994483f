package server

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMetrics_sourceSeriesFromStart: README, "Metrics": "Every rule's,
// notifier's, action's and (non-glob) source's series exist from the
// start, at 0, so a rate() or an alert on them works before the first
// event" — every metric with a source label, each of its reasons and
// kinds included.
func TestMetrics_sourceSeriesFromStart(t *testing.T) {
	m := NewMetrics()
	m.AddSource("/var/log/nginx/access.log")
	for name, want := range map[string]int{
		"sentinel_lines_read_total":    1,
		"sentinel_lines_parsed_total":  1,
		"sentinel_lines_skipped_total": 3, // malformed, too_long, ignored
		"sentinel_rotations_total":     3, // rename, truncate, recreate
		"sentinel_lag_seconds":         1,
		"sentinel_lag_bytes":           1,
	} {
		if got, err := testutil.GatherAndCount(m.Registry(), name); err != nil || got != want {
			t.Errorf("%s: %d series before the first line (err %v), want %d at 0", name, got, err, want)
		}
	}
}
