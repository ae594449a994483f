package daemon

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sentinel-dev/sentinel/config"
)

// TestDaemon_reloadMetrics: README, "Metrics":
// sentinel_config_reloads_total{outcome} counts reloads, ok or rejected;
// sentinel_config_last_reload_successful is "1 when the last load (start,
// SIGHUP, POST /reload) succeeded, 0 when the running config is an older
// one"; sentinel_config_last_reload_success_timestamp_seconds is "when
// the config last loaded successfully".
func TestDaemon_reloadMetrics(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{t: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)}
	var next error
	load := func() (*config.Config, error) {
		if next != nil {
			return nil, next
		}
		return config.Parse("x.yaml", []byte("defaults: false\nrules:\n  - {name: posts, match: {method: POST}, detector: {type: rate, window: 1m, threshold: 2}}\n"),
			func(string) (string, bool) { return "", false })
	}
	opts := postsOptions(t, dir, nil)
	opts.Routes, opts.Load, opts.Now, opts.StateDir = nil, load, clock.now, filepath.Join(dir, "state")
	d, stop := start(t, opts)
	defer stop()
	check := func(when string, ok, rejected, last int, at time.Time) {
		t.Helper()
		want := fmt.Sprintf(`
# HELP sentinel_config_reloads_total Config reloads, by outcome (ok, rejected).
# TYPE sentinel_config_reloads_total counter
sentinel_config_reloads_total{outcome="ok"} %d
sentinel_config_reloads_total{outcome="rejected"} %d
# HELP sentinel_config_last_reload_successful 1 when the last config load (at start, SIGHUP or POST /reload) succeeded, 0 when it was rejected and the previous config runs.
# TYPE sentinel_config_last_reload_successful gauge
sentinel_config_last_reload_successful %d
# HELP sentinel_config_last_reload_success_timestamp_seconds When the config last loaded successfully, in Unix seconds.
# TYPE sentinel_config_last_reload_success_timestamp_seconds gauge
sentinel_config_last_reload_success_timestamp_seconds %d
`, ok, rejected, last, at.Unix())
		if err := testutil.GatherAndCompare(d.Metrics().Registry(), strings.NewReader(want), "sentinel_config_reloads_total",
			"sentinel_config_last_reload_successful", "sentinel_config_last_reload_success_timestamp_seconds"); err != nil {
			t.Errorf("%s: %v", when, err)
		}
	}
	started := clock.now()
	check("at start", 0, 0, 1, started)

	clock.add(time.Minute)
	next = config.Errors{{File: "x.yaml", Line: 3, Field: "rules[0].detector.window", Msg: `invalid duration "soon"`}}
	if err := d.Reload(); err == nil {
		t.Fatal("Reload(broken) = nil")
	}
	check("after a rejected reload", 0, 1, 0, started)

	clock.add(time.Minute)
	next = nil
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	check("after a good reload", 1, 1, 1, clock.now())

	clock.add(time.Minute)
	next = errors.New("open x.yaml: permission denied")
	d.Reload()
	check("after an unreadable config", 1, 2, 0, started.Add(2*time.Minute))
}
