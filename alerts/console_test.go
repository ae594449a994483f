package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var at = time.Date(2026, 11, 27, 1, 20, 1, 0, time.UTC)

func firing() Alert {
	return Alert{
		Rule: "signup-burst", State: Firing, Time: at, Since: at, Value: 8, Threshold: 1, Clear: 0.8,
		Unit: "/s", Severity: Critical, Window: 30 * time.Second, Current: 240, Count: 240,
		GroupBy: "client_ip", Keys: []KeyCount{{Key: "203.0.113.7", Count: 3, Error: 1}, {Key: "198.51.100.1", Count: 2}},
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
	r := firing()
	r.State, r.Time, r.Value, r.Peak, r.ResolveAt = Resolved, at.Add(69*time.Second), 0, 241, 0.8
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
	a.Keys = []KeyCount{}
	NewConsole(&buf, JSON).Notify(context.Background(), a)
	if !strings.Contains(buf.String(), `"keys":[]`) {
		t.Errorf("JSON = %s, want keys as an empty array", buf.String())
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct {
		in       string
		maxRunes int
		want     string
	}{
		{"plain", 100, "plain"},
		{"\x1b[2J", 100, `\x1b[2J`},
		{"a\nb\r", 100, `a\x0ab\x0d`},
		{"\xff\xfe", 100, `\xff\xfe`},
		{"evil\u202etxt.exe", 100, `evil\u202etxt.exe`},
		{"line\u2028break", 100, `line\u2028break`},
		{"Persian سلام", 100, "Persian سلام"},
		{strings.Repeat("x", 10), 4, "xxxx…"},
	}
	for _, tt := range tests {
		if got := Sanitize(tt.in, tt.maxRunes); got != tt.want {
			t.Errorf("Sanitize(%q, %d) = %q, want %q", tt.in, tt.maxRunes, got, tt.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[uint64]string{0: "0", 999: "999", 1000: "1,000", 4812: "4,812", 1234567: "1,234,567"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0s", 30 * time.Second: "30s", time.Minute: "1m",
		69 * time.Second: "1m9s", 2*time.Hour + 5*time.Minute: "2h5m", 1500 * time.Millisecond: "2s"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
