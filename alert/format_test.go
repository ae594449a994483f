package alert

import (
	"strings"
	"testing"
	"time"
)

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

func TestFormatCount(t *testing.T) {
	for _, tt := range []struct {
		k    KeyCount
		want string
	}{
		{KeyCount{Count: 4812}, "4,812"},
		{KeyCount{Count: 4812, Error: 112}, "4,700–4,812"},
		{KeyCount{Count: 3, Error: 3}, "0–3"},
		{KeyCount{Count: 3, Error: 9}, "3"}, // no estimate errs past its count: not a range below zero
	} {
		if got := FormatCount(tt.k); got != tt.want {
			t.Errorf("FormatCount(%+v) = %q, want %q", tt.k, got, tt.want)
		}
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		v    float64
		unit Unit
		want string
	}{
		{240.5, PerSecond, "241/s"},
		{12.25, PerSecond, "12.2/s"},
		{0.33, PerSecond, "0.33/s"},
		{0.1, PerSecond, "0.1/s"},
		{0, PerSecond, "0/s"},
		// Slow rates read per minute, then per hour, never "0/s".
		{1.5 / 60, PerSecond, "1.5/min"},
		{1.0 / 60, PerSecond, "1/min"},
		{20.0 / 3600, PerSecond, "20/h"},
		{3.0 / 3600, PerSecond, "3/h"},
		{0.5 / 3600, PerSecond, "0.5/h"},
		{4154, Distinct, "4,154 distinct"},
		{2180.6, Distinct, "2,181 distinct"},
		{0.325, Share, "32.5%"},
		{300, Silent, "5m silent"},
	}
	for _, tt := range tests {
		if got := FormatValue(tt.v, tt.unit); got != tt.want {
			t.Errorf("FormatValue(%v, %q) = %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}
