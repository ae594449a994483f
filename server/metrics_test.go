package server

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

func TestMetrics(t *testing.T) {
	const src = "/var/log/nginx/access.log"
	m := NewMetrics()
	m.AddSource("/var/log/app.log") // known at start, no line yet
	m.LinesRead(src, 10)
	m.LinesRead(src, 5)
	m.LinesParsed(src, 12)
	m.LinesSkipped(src, SkipMalformed, 2)
	m.LinesSkipped(src, SkipTooLong, 1)
	m.LinesSkipped(src, SkipIgnored, 0)
	m.Rotations(src, RotationRename, 1)
	m.Rotations(src, RotationTruncate, 1)
	m.Rotations(src, RotationRecreate, 0)
	m.Rotations(src, RotationRecreate, 1)
	m.Rotations(src, RotationRename, 1)
	m.SetLag(src, 1500*time.Millisecond)
	m.SetLagBytes(src, 4096)
	m.EventsLate(3)
	m.AddRule("signup-burst")
	m.AddRule("quiet")
	m.SetRule("signup-burst", 240, 1)
	m.SetRule("quiet", 0, math.Inf(1)) // a baseline still learning
	m.AddNotifier("email")
	m.AddAction("block")
	m.Alert("signup-burst", alert.Firing)
	m.Alert("signup-burst", alert.Resolved)
	m.Alert("signup-burst", alert.Firing)
	m.Notification("slack", delivery.OK)
	m.Notification("slack", delivery.Failed)
	m.Action("signups-off", delivery.DryRun)
	at := time.Unix(1795742400, 0)
	m.ConfigLoaded(at)
	m.ConfigReload(nil, at.Add(time.Minute))
	m.ConfigReload(errors.New("bad"), at.Add(2*time.Minute))
	m.ConfigReload(errors.New("worse"), at.Add(3*time.Minute))
	m.SetBuildInfo("v0.0.1")
	m.SetBuildInfo("v0.2.0") // replaces, never adds a second series

	want := `
# HELP sentinel_lines_read_total Lines read from a source.
# TYPE sentinel_lines_read_total counter
sentinel_lines_read_total{source="/var/log/app.log"} 0
sentinel_lines_read_total{source="/var/log/nginx/access.log"} 15
# HELP sentinel_lines_parsed_total Lines of a source parsed into events.
# TYPE sentinel_lines_parsed_total counter
sentinel_lines_parsed_total{source="/var/log/app.log"} 0
sentinel_lines_parsed_total{source="/var/log/nginx/access.log"} 12
# HELP sentinel_lines_skipped_total Lines of a source not turned into events, by reason (malformed, too_long, ignored).
# TYPE sentinel_lines_skipped_total counter
sentinel_lines_skipped_total{reason="ignored",source="/var/log/app.log"} 0
sentinel_lines_skipped_total{reason="malformed",source="/var/log/app.log"} 0
sentinel_lines_skipped_total{reason="too_long",source="/var/log/app.log"} 0
sentinel_lines_skipped_total{reason="ignored",source="/var/log/nginx/access.log"} 0
sentinel_lines_skipped_total{reason="malformed",source="/var/log/nginx/access.log"} 2
sentinel_lines_skipped_total{reason="too_long",source="/var/log/nginx/access.log"} 1
# HELP sentinel_rotations_total Rotations of a tailed file, by kind (rename, truncate, recreate).
# TYPE sentinel_rotations_total counter
sentinel_rotations_total{kind="recreate",source="/var/log/app.log"} 0
sentinel_rotations_total{kind="recreate",source="/var/log/nginx/access.log"} 1
sentinel_rotations_total{kind="rename",source="/var/log/app.log"} 0
sentinel_rotations_total{kind="rename",source="/var/log/nginx/access.log"} 2
sentinel_rotations_total{kind="truncate",source="/var/log/app.log"} 0
sentinel_rotations_total{kind="truncate",source="/var/log/nginx/access.log"} 1
# HELP sentinel_lag_seconds How far reading a source is behind: 0 when every byte written is read, else the age of the oldest unread line (at most the time since the newest line read was written), in seconds.
# TYPE sentinel_lag_seconds gauge
sentinel_lag_seconds{source="/var/log/app.log"} 0
sentinel_lag_seconds{source="/var/log/nginx/access.log"} 1.5
# HELP sentinel_lag_bytes Bytes of a source's file not read yet.
# TYPE sentinel_lag_bytes gauge
sentinel_lag_bytes{source="/var/log/app.log"} 0
sentinel_lag_bytes{source="/var/log/nginx/access.log"} 4096
# HELP sentinel_events_late_total Events older than the newest event time minus the allowed skew, not counted by any rule.
# TYPE sentinel_events_late_total counter
sentinel_events_late_total 3
# HELP sentinel_alerts_total Alert transitions of a rule, by state (firing, resolved).
# TYPE sentinel_alerts_total counter
sentinel_alerts_total{rule="quiet",state="firing"} 0
sentinel_alerts_total{rule="quiet",state="resolved"} 0
sentinel_alerts_total{rule="signup-burst",state="firing"} 2
sentinel_alerts_total{rule="signup-burst",state="resolved"} 1
# HELP sentinel_rule_firing 1 while a rule fires, else 0.
# TYPE sentinel_rule_firing gauge
sentinel_rule_firing{rule="quiet"} 0
sentinel_rule_firing{rule="signup-burst"} 1
# HELP sentinel_rule_value A rule's value over its window, in its unit (events per second, distinct values, a share from 0 to 1, seconds silent).
# TYPE sentinel_rule_value gauge
sentinel_rule_value{rule="quiet"} 0
sentinel_rule_value{rule="signup-burst"} 240
# HELP sentinel_rule_threshold The level a rule's value fires at, in its unit: fixed, or learned from the normal (+Inf while a baseline rule has learned nothing).
# TYPE sentinel_rule_threshold gauge
sentinel_rule_threshold{rule="quiet"} +Inf
sentinel_rule_threshold{rule="signup-burst"} 1
# HELP sentinel_notifications_total Alert notifications, by notifier and outcome (ok, retrying, failed, dropped, capped, silenced).
# TYPE sentinel_notifications_total counter
sentinel_notifications_total{notifier="email",outcome="capped"} 0
sentinel_notifications_total{notifier="email",outcome="dropped"} 0
sentinel_notifications_total{notifier="email",outcome="failed"} 0
sentinel_notifications_total{notifier="email",outcome="ok"} 0
sentinel_notifications_total{notifier="email",outcome="retrying"} 0
sentinel_notifications_total{notifier="email",outcome="silenced"} 0
sentinel_notifications_total{notifier="slack",outcome="failed"} 1
sentinel_notifications_total{notifier="slack",outcome="ok"} 1
# HELP sentinel_actions_total Remediation action attempts, by action and outcome (ok, retrying, failed, skipped by a guardrail, dry_run, stopped).
# TYPE sentinel_actions_total counter
sentinel_actions_total{action="block",outcome="dry_run"} 0
sentinel_actions_total{action="block",outcome="failed"} 0
sentinel_actions_total{action="block",outcome="ok"} 0
sentinel_actions_total{action="block",outcome="retrying"} 0
sentinel_actions_total{action="block",outcome="skipped"} 0
sentinel_actions_total{action="block",outcome="stopped"} 0
sentinel_actions_total{action="signups-off",outcome="dry_run"} 1
# HELP sentinel_config_reloads_total Config reloads, by outcome (ok, rejected).
# TYPE sentinel_config_reloads_total counter
sentinel_config_reloads_total{outcome="ok"} 1
sentinel_config_reloads_total{outcome="rejected"} 2
# HELP sentinel_config_last_reload_successful 1 when the last config load (at start, SIGHUP or POST /reload) succeeded, 0 when it was rejected and the previous config runs.
# TYPE sentinel_config_last_reload_successful gauge
sentinel_config_last_reload_successful 0
# HELP sentinel_config_last_reload_success_timestamp_seconds When the config last loaded successfully, in Unix seconds.
# TYPE sentinel_config_last_reload_success_timestamp_seconds gauge
sentinel_config_last_reload_success_timestamp_seconds 1.79574246e+09
# HELP sentinel_build_info Always 1, labelled with sentinel's version and the Go version that built it.
# TYPE sentinel_build_info gauge
sentinel_build_info{goversion="` + runtime.Version() + `",version="v0.2.0"} 1
`
	names := []string{
		"sentinel_lines_read_total", "sentinel_lines_parsed_total", "sentinel_lines_skipped_total",
		"sentinel_rotations_total", "sentinel_lag_seconds", "sentinel_lag_bytes",
		"sentinel_events_late_total", "sentinel_alerts_total", "sentinel_rule_firing", "sentinel_rule_value", "sentinel_rule_threshold",
		"sentinel_notifications_total", "sentinel_actions_total",
		"sentinel_config_reloads_total", "sentinel_config_last_reload_successful", "sentinel_config_last_reload_success_timestamp_seconds",
		"sentinel_build_info",
	}
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}

	// The registry is the metrics' own: nothing reached the global one.
	if n, err := testutil.GatherAndCount(prometheus.DefaultGatherer, names...); err != nil || n != 0 {
		t.Errorf("default registry has %d sentinel series (err %v), want 0", n, err)
	}

	// Lint the names, units and help texts.
	problems, err := testutil.GatherAndLint(m.Registry(), names...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
}

func TestMetrics_Forget(t *testing.T) {
	m := NewMetrics()
	m.LinesRead("a.log", 1)
	m.LinesRead("b.log", 1)
	m.Rotations("a.log", RotationRename, 1)
	m.SetLag("a.log", time.Second)
	m.Alert("gone", alert.Firing)
	m.Alert("kept", alert.Firing)

	m.ForgetSource("a.log")
	m.ForgetRule("gone")

	for _, tt := range []struct {
		name string
		want int
	}{
		{"sentinel_lines_read_total", 1},
		{"sentinel_rotations_total", 0},
		{"sentinel_lag_seconds", 0},
		{"sentinel_alerts_total", 1},
		{"sentinel_rule_firing", 1},
	} {
		if got, err := testutil.GatherAndCount(m.Registry(), tt.name); err != nil || got != tt.want {
			t.Errorf("%s series = %d (err %v), want %d", tt.name, got, err, tt.want)
		}
	}
}

// Each NewMetrics has its own registry, so two never collide.
func TestNewMetrics_Twice(t *testing.T) {
	a, b := NewMetrics(), NewMetrics()
	a.EventsLate(2)
	if got := testutil.ToFloat64(b.eventsLate); got != 0 {
		t.Errorf("second Metrics' late = %v, want 0", got)
	}
	if got := testutil.ToFloat64(a.eventsLate); got != 2 {
		t.Errorf("first Metrics' late = %v, want 2", got)
	}
}

func TestMetrics_Concurrent(t *testing.T) {
	m := NewMetrics()
	done := make(chan struct{})
	for range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 100 {
				m.LinesRead("x.log", 1)
				m.Alert("r", alert.Firing)
			}
		}()
	}
	for range 8 {
		<-done
	}
	if got := testutil.ToFloat64(m.linesRead.WithLabelValues("x.log")); got != 800 {
		t.Errorf("lines read = %v, want 800", got)
	}
}

// TestMetrics_Latency: each stage's durations land in the histogram's
// buckets, every stage shows from the start, and the status's quantiles
// come from the latest 256 samples only.
func TestMetrics_Latency(t *testing.T) {
	m := NewMetrics()
	m.ObserveLatency(LatencyReadToTransition, 700*time.Microsecond)
	m.ObserveLatency(LatencyReadToTransition, 3*time.Millisecond)
	m.ObserveLatency(LatencyActionResponse, 12*time.Second)
	m.ObserveLatency("no-such-stage", time.Second) // ignored
	bucketLines := func(stage string, counts ...int) string {
		var b strings.Builder
		for i, le := range []string{"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "15", "30", "60", "+Inf"} {
			fmt.Fprintf(&b, "sentinel_latency_seconds_bucket{stage=%q,le=%q} %d\n", stage, le, counts[i])
		}
		return b.String()
	}
	zeros := make([]int, 17)
	want := "# HELP sentinel_latency_seconds " + latencyHelp + "\n# TYPE sentinel_latency_seconds histogram\n" +
		bucketLines("action_request_to_response", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1) +
		"sentinel_latency_seconds_sum{stage=\"action_request_to_response\"} 12\nsentinel_latency_seconds_count{stage=\"action_request_to_response\"} 1\n" +
		bucketLines("read_to_transition", 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2) +
		"sentinel_latency_seconds_sum{stage=\"read_to_transition\"} 0.0037\nsentinel_latency_seconds_count{stage=\"read_to_transition\"} 2\n" +
		bucketLines("transition_to_action_request", zeros...) +
		"sentinel_latency_seconds_sum{stage=\"transition_to_action_request\"} 0\nsentinel_latency_seconds_count{stage=\"transition_to_action_request\"} 0\n" +
		bucketLines("transition_to_notification", zeros...) +
		"sentinel_latency_seconds_sum{stage=\"transition_to_notification\"} 0\nsentinel_latency_seconds_count{stage=\"transition_to_notification\"} 0\n"
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "sentinel_latency_seconds"); err != nil {
		t.Error(err)
	}
	problems, err := testutil.GatherAndLint(m.Registry(), "sentinel_latency_seconds")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}

	// 300 samples of transition_to_notification: 1 s each, then 1 ms to
	// 256 ms. Only the last 256 count: the second-long ones have gone.
	for range 44 {
		m.ObserveLatency(LatencyTransitionToNotification, time.Second)
	}
	for i := range 256 {
		m.ObserveLatency(LatencyTransitionToNotification, time.Duration(i+1)*time.Millisecond)
	}
	got := m.Latencies()
	wantLat := []LatencyStatus{
		{Stage: LatencyReadToTransition, Samples: 2, P50: 0.0007, P99: 0.003},
		{Stage: LatencyTransitionToAction},
		{Stage: LatencyActionResponse, Samples: 1, P50: 12, P99: 12},
		{Stage: LatencyTransitionToNotification, Samples: 256, P50: 0.128, P99: 0.254},
	}
	if diff := cmp.Diff(wantLat, got); diff != "" {
		t.Errorf("Latencies() (-want +got):\n%s", diff)
	}
}
