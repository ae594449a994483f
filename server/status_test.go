package server

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var posInf = math.Inf(1)

// sampleStatus is a daemon mid-attack: one rule firing with offenders,
// one pending, a baseline rule, one still learning and a silent one.
func sampleStatus() Status {
	return Status{
		Version: "v0.2.0",
		Started: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC),
		Config:  "/etc/sentinel/sentinel.yaml",
		Sources: []SourceStatus{
			{Path: "/var/log/nginx/access.log", Format: "combined", Lines: 1204332, Parsed: 1204300, Skipped: 32, LagSeconds: 0.4, Offset: 987654321},
			{Path: "/var/log/app/phoenix.log", Format: "phoenix", Lines: 5120, Parsed: 5120, LagSeconds: 185, Offset: 402113},
		},
		Rules: []RuleStatus{
			{Name: "signup-burst", Severity: "critical", State: "firing", Value: 240.5, Now: 252, Threshold: 5, Unit: "/s",
				Since: time.Date(2026, 11, 20, 9, 12, 3, 0, time.UTC),
				Keys: []alert.KeyCount{
					{Key: "203.0.113.7", Count: 4812}, {Key: "198.51.100.23", Count: 3120},
					{Key: "192.0.2.99", Count: 977}, {Key: "192.0.2.100", Count: 12},
				}},
			{Name: "login-failures", Severity: "warning", State: "pending", Value: 12, Threshold: 10, Unit: "/s",
				Since: time.Date(2026, 11, 20, 9, 13, 0, 0, time.UTC),
				Keys:  []alert.KeyCount{{Key: "198.51.100.23", Count: 600}}},
			{Name: "traffic-spike", Severity: "warning", State: "inactive", Value: 310, Threshold: 420, Unit: "/s", Baseline: 285, Spread: 45},
			{Name: "traffic-drop", Severity: "warning", State: "inactive", Value: 310, Threshold: posInf, Unit: "/s"},
			{Name: "signup-spread", Severity: "critical", State: "inactive", Value: 3, Threshold: 20, Unit: "distinct", Baseline: 0.2, Spread: 0.4,
				Learning: "warm-up: 12m0s left"},
			{Name: "5xx-share", Severity: "critical", State: "inactive", Value: 0.012, Threshold: 0.2, Unit: "share"},
		},
		Latency: []LatencyStatus{
			{Stage: LatencyReadToTransition, Samples: 256, P50: 0.00042, P99: 0.0031},
			{Stage: LatencyTransitionToAction, Samples: 3, P50: 0.0012, P99: 0.048},
			{Stage: LatencyActionResponse, Samples: 3, P50: 0.180, P99: 1.25},
			{Stage: LatencyTransitionToNotification}, // none yet
		},
	}
}

// notifierStatus adds notifiers to sampleStatus: one idle, one whose
// receiver asked for a wait (Retry-After, capped), one retrying a 503
// whose error quotes hostile text.
func notifierStatus() Status {
	st := sampleStatus()
	st.Notifiers = []alerts.RouteStatus{
		{Name: "phone"},
		{Name: "team", Queued: 3, Attempts: 1, RetryAt: time.Date(2026, 11, 20, 9, 28, 3, 0, time.UTC), RequestedWaitSeconds: 900,
			LastError: "rate limited, retry after 15m0s: slack: post webhook: HTTP 429 Too Many Requests"},
		{Name: "hook", Queued: 1, Attempts: 4, RetryAt: time.Date(2026, 11, 20, 9, 13, 20, 0, time.UTC),
			LastError: "webhook: post https://hooks.example.com/REDACTED: HTTP 503 Service Unavailable: \x1b[2Jdown"},
		{Name: "email", FailedAt: time.Date(2026, 11, 20, 9, 12, 13, 0, time.UTC),
			Failure: "permanent: email via mail.example.com:587: the server offers no STARTTLS"},
	}
	st.Silences = []alerts.SilenceStatus{
		{Rule: "traffic-drop", Until: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), Source: "config"},
		{Rule: "login-failures", Until: time.Date(2026, 11, 20, 11, 13, 0, 0, time.UTC), Source: "api"},
	}
	return st
}

func TestWriteStatus(t *testing.T) {
	tests := []struct {
		name string
		st   Status
	}{
		{"status", sampleStatus()},
		{"empty", Status{Version: "v0.2.0"}},
		{"notifiers", notifierStatus()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteStatus(&b, tt.st); err != nil {
				t.Fatalf("WriteStatus() error = %v", err)
			}
			checkGolden(t, tt.name, b.Bytes())
		})
	}
}

func TestWriteStatus_HostileKey(t *testing.T) {
	st := Status{
		Version: "v0.2.0",
		Rules: []RuleStatus{{
			Name: "flood", State: "firing", Value: 50, Threshold: 10, Unit: "/s",
			Keys: []alert.KeyCount{{Key: "\x1b[31m<@U123>", Count: 9}, {Key: "a\u202eb\nc", Count: 1}},
		}},
	}
	var b bytes.Buffer
	if err := WriteStatus(&b, st); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\u202e") {
		t.Errorf("WriteStatus() = %q, contains a raw escape or bidi override", out)
	}
	for _, want := range []string{`\x1b[31m<@U123> (9)`, `a\u202eb\x0ac (1)`} {
		if !strings.Contains(out, want) {
			t.Errorf("WriteStatus() = %q, want it to contain %q", out, want)
		}
	}
	if lines := strings.Count(out, "\n"); lines != 6 {
		t.Errorf("WriteStatus() wrote %d lines, want 6 (a key must not add one):\n%s", lines, out)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteStatus_WriteError(t *testing.T) {
	if err := WriteStatus(failWriter{}, sampleStatus()); err == nil {
		t.Error("WriteStatus() to a failing writer = nil, want an error")
	}
}

func ExampleWriteStatus() {
	WriteStatus(os.Stdout, Status{
		Version: "v0.2.0",
		Started: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC),
		Config:  "sentinel.yaml",
		Sources: []SourceStatus{{Path: "access.log", Format: "combined", Lines: 52000, LagSeconds: 0.2}},
		Rules: []RuleStatus{{Name: "signup-burst", State: "firing", Value: 240, Now: 252, Threshold: 5, Unit: "/s",
			Since: time.Date(2026, 11, 20, 9, 12, 3, 0, time.UTC),
			Keys:  []alert.KeyCount{{Key: "203.0.113.7", Count: 4812}}}},
	})
	// Output:
	// sentinel v0.2.0, started 2026-11-20T08:00:00Z, config sentinel.yaml
	//
	// SOURCE      FORMAT    LINES   SKIPPED  LAG
	// access.log  combined  52,000  0        0.2s
	//
	// RULE          STATE   VALUE  NOW    AGAINST        SINCE                 TOP KEYS
	// signup-burst  firing  240/s  252/s  threshold 5/s  2026-11-20T09:12:03Z  203.0.113.7 (4,812)
}

// checkGolden compares WriteStatus's output with testdata/<name>.golden
// (rewritten with -update).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("WriteStatus() (-want +got):\n%s", diff)
	}
}
