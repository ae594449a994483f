package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

var at = time.Date(2026, 11, 27, 1, 20, 1, 0, time.UTC)

func firing() alert.Alert {
	return alert.Alert{
		Rule: "signup-burst", State: alert.Firing, Time: at, Since: at, Value: 8, Threshold: 1, Clear: 0.8,
		Unit: "/s", Severity: alert.Critical, Window: 30 * time.Second, Current: 240, Count: 240,
		GroupBy: "client_ip", Keys: []alert.KeyCount{{Key: "203.0.113.7", Count: 3, Error: 1}, {Key: "198.51.100.1", Count: 2}},
		DistinctOf: "client_ip", Distinct: 4812,
		Samples: []string{"203.0.113.7 - - [27/Nov/2026:01:20:00 +0000] \"POST /users/register HTTP/1.1\" 302 76 \"-\" \"\x1b[31mbot\u202e\""},
	}
}

func TestFormatText(t *testing.T) {
	got := FormatText(firing())
	for _, want := range []string{
		"2026-11-27T01:20:01Z FIRING   signup-burst [critical]: 8/s ≥ 1/s over 30s, now 240/s (240 events from 4,812 distinct client_ip)\n",
		"    top client_ip: 203.0.113.7 (2–3), 198.51.100.1 (2)\n",
		`\x1b[31mbot\u202e`, // the attacker's escape sequence and override, shown, not obeyed
	} {
		if !strings.Contains(got, want) {
			t.Errorf("FormatText() =\n%s\nwant it to contain %q", got, want)
		}
	}
	if strings.ContainsAny(got, "\x1b\u202e") {
		t.Errorf("FormatText() passes raw control characters: %q", got)
	}
	n := firing()
	n.Network = &alert.NetCount{Net: "198.51.100.0/24", Count: 211, Addresses: 118}
	if got, want := FormatText(n), "    network: 198.51.100.0/24, 211 of the events from 118 of its addresses\n"; !strings.Contains(got, want) {
		t.Errorf("FormatText(with a network) =\n%s\nwant it to contain %q", got, want)
	}
	r := firing()
	r.State, r.Time, r.Value, r.Peak, r.ResolveAt = alert.Resolved, at.Add(69*time.Second), 0, 241, 0.8
	if got, want := FormatText(r), "2026-11-27T01:21:10Z RESOLVED signup-burst: 0/s, below 0.8/s; held 1m9s from 01:20:01, peak 241/s\n"; got != want {
		t.Errorf("FormatText(resolved) = %q, want %q", got, want)
	}
}

func TestConsole_JSON(t *testing.T) {
	var buf bytes.Buffer
	if err := NewConsole(&buf, JSON).Notify(context.Background(), firing()); err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
		t.Fatalf("not one line: %q", line)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatal(err)
	}
	// Contract 2.
	if m["rule"] != "signup-burst" || m["state"] != "firing" || m["time"] != "2026-11-27T01:20:01Z" ||
		m["value"] != 8.0 || m["threshold"] != 1.0 || m["window_seconds"] != 30.0 {
		t.Errorf("JSON = %v", m)
	}
	keys, ok := m["keys"].([]any)
	if !ok || len(keys) != 2 || keys[0].(map[string]any)["key"] != "203.0.113.7" || keys[0].(map[string]any)["count"] != 3.0 {
		t.Errorf("keys = %v", m["keys"])
	}
}

func TestConsole_JSONEmptyKeys(t *testing.T) {
	var buf bytes.Buffer
	a := firing()
	a.Keys = []alert.KeyCount{}
	NewConsole(&buf, JSON).Notify(context.Background(), a)
	if !strings.Contains(buf.String(), `"keys":[]`) {
		t.Errorf("JSON = %s, want keys as an empty array", buf.String())
	}
}
