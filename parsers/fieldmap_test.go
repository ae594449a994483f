package parsers

import (
	"testing"
	"time"
)

func TestParseRFC3339(t *testing.T) {
	plus2 := time.FixedZone("", 2*3600)
	tests := []struct {
		in   string
		want time.Time // zero: invalid
	}{
		{"2024-04-22T13:39:49+00:00", time.Date(2024, 4, 22, 13, 39, 49, 0, time.UTC)},
		{"2024-04-22T13:39:49Z", time.Date(2024, 4, 22, 13, 39, 49, 0, time.UTC)},
		{"2021-12-08T14:02:43.587782192Z", time.Date(2021, 12, 8, 14, 2, 43, 587782192, time.UTC)},
		{"2021-12-08T14:02:43.5877821929999Z", time.Date(2021, 12, 8, 14, 2, 43, 587782192, time.UTC)},
		{"2017-01-13T02:37:11.213639+00:00", time.Date(2017, 1, 13, 2, 37, 11, 213639000, time.UTC)},
		{"2024-04-22T15:39:49.5+02:00", time.Date(2024, 4, 22, 15, 39, 49, 500000000, plus2)},
		{"2024-04-22T15:39:49+0200", time.Date(2024, 4, 22, 15, 39, 49, 0, plus2)},
		{"2024-04-22T15:39:49+02", time.Date(2024, 4, 22, 15, 39, 49, 0, plus2)},
		{"2024-04-22 13:39:49,123", time.Date(2024, 4, 22, 13, 39, 49, 123000000, time.UTC)}, // zone-less: Location (UTC here)
		{"2024-02-30T00:00:00Z", time.Time{}},
		{"2024-04-22T24:00:00Z", time.Time{}},
		{"2024-04-22T13:39:49+25:00", time.Time{}},
		{"2024-04-22T13:39:49.Z", time.Time{}},
		{"2024-04-22T13:39:49 UTC", time.Time{}},
		{"2024-04-22", time.Time{}},
	}
	for _, tt := range tests {
		got, ok := parseRFC3339([]byte(tt.in), time.UTC)
		if ok != !tt.want.IsZero() || !got.Equal(tt.want) || (ok && got.Location() != time.UTC) {
			t.Errorf("parseRFC3339(%q) = %v, %v; want %v", tt.in, got, ok, tt.want.UTC())
		}
	}
}

func TestConverter_guessTime(t *testing.T) {
	c, err := newConverter(Options{Location: time.FixedZone("", -3600)}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2024, 4, 22, 13, 39, 49, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2024-04-22T13:39:49Z", want},
		{"2024-04-22T12:39:49", want}, // in Location, an hour behind
		{"22/Apr/2024:13:39:49 +0000", want},
		{"[22/Apr/2024:15:39:49 +0200]", want},
		{"1713793189", want},
		{"1713793189000", want},
		{"1713793189000000", want},
		{"1713793189000000000", want},
		{"1713793189.25", want.Add(250 * time.Millisecond)},
		{"1713793189250.5", want.Add(250*time.Millisecond + 500*time.Microsecond)},
		{"12:39:49.031 2024-04-22", want.Add(31 * time.Millisecond)},
		{"yesterday", time.Time{}},
		{"-1", time.Time{}},
		{"99999999999999999999", time.Time{}},
	}
	for _, tt := range tests {
		got, ok := c.parseTime([]byte(tt.in))
		if ok != !tt.want.IsZero() || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("guess %q = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
}

func TestConverter_layouts(t *testing.T) {
	tests := []struct {
		layout, in string
		want       time.Time
	}{
		{"unix", "1713793189.123456", time.Unix(1713793189, 123456000)},
		{"unix_ms", "1713793189123", time.Unix(1713793189, 123000000)},
		{"unix_ms", "1713793189123.5", time.Unix(1713793189, 123500000)},
		{"unix_us", "1713793189123456", time.Unix(1713793189, 123456000)},
		{"unix_ns", "1713793189123456789", time.Unix(1713793189, 123456789)},
		{"clf", "22/Apr/2024:13:39:49 +0000", time.Unix(1713793189, 0)},
		{"rfc3339", "2024-04-22T13:39:49Z", time.Unix(1713793189, 0)},
		{"02/01/2006 15:04:05 MST", "22/04/2024 13:39:49 UTC", time.Unix(1713793189, 0)},
		{"unix", "1713793189x", time.Time{}},
		{"clf", "2024-04-22T13:39:49Z", time.Time{}},
	}
	for _, tt := range tests {
		c, err := newConverter(Options{TimeLayout: tt.layout}, time.Second)
		if err != nil {
			t.Fatalf("newConverter(%q) error: %v", tt.layout, err)
		}
		got, ok := c.parseTime([]byte(tt.in))
		if ok != !tt.want.IsZero() || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("layout %s: parseTime(%q) = %v, %v; want %v", tt.layout, tt.in, got, ok, tt.want.UTC())
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		unit time.Duration
		want time.Duration // -1: invalid
	}{
		{"58ms", time.Second, 58 * time.Millisecond},
		{"1.2s", time.Millisecond, 1200 * time.Millisecond},
		{"164µs", time.Second, 164 * time.Microsecond},
		{"164μs", time.Second, 164 * time.Microsecond},
		{"30000ms", time.Second, 30 * time.Second},
		{"0.010", time.Second, 10 * time.Millisecond},
		{"0.000002701", time.Second, 2701 * time.Nanosecond},
		{"24", time.Millisecond, 24 * time.Millisecond},
		{"2337877", time.Nanosecond, 2337877},
		{"1.5e-05", time.Second, 15 * time.Microsecond},
		{"1m2.5s", time.Second, 62500 * time.Millisecond},
		{".5", time.Second, 500 * time.Millisecond},
		{"1.5h", time.Second, 90 * time.Minute},
		{"ms", time.Second, -1},
		{"5 parsecs", time.Second, -1},
		{"-3s", time.Second, -1},
		{".", time.Second, -1},
		{"99999999999999999999", time.Second, -1},
	}
	for _, tt := range tests {
		got, ok := parseDuration([]byte(tt.in), tt.unit)
		if tt.want < 0 {
			if ok {
				t.Errorf("parseDuration(%q) = %v, want invalid", tt.in, got)
			}
			continue
		}
		if !ok || got != tt.want {
			t.Errorf("parseDuration(%q, %v) = %v, %v; want %v", tt.in, tt.unit, got, ok, tt.want)
		}
	}
}

func TestConverter_set(t *testing.T) {
	c, err := newConverter(Options{}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		field, in string
		ok        bool
		check     func(*Event) bool
	}{
		{"status", "302", true, func(ev *Event) bool { return ev.Status == 302 }},
		{"status", "-", true, func(ev *Event) bool { return ev.Status == 0 }},
		{"status", "0", true, func(ev *Event) bool { return ev.Status == 0 }},
		{"status", "99", false, nil},
		{"status", "1000", false, nil},
		{"status", "2x0", false, nil},
		{"bytes", "-", true, func(ev *Event) bool { return ev.Bytes == -1 }},
		{"bytes", "-1", true, func(ev *Event) bool { return ev.Bytes == -1 }},
		{"bytes", "5120", true, func(ev *Event) bool { return ev.Bytes == 5120 }},
		{"bytes", "1.5", false, nil},
		{"client_ip", "::ffff:1.2.3.4", true, func(ev *Event) bool { return string(ev.ClientIP) == "1.2.3.4" }},
		{"client_ip", "[2001:db8::1]", true, func(ev *Event) bool { return string(ev.ClientIP) == "2001:db8::1" }},
		{"request", "GET /x?y=1 HTTP/1.1", true, func(ev *Event) bool {
			return string(ev.Method) == "GET" && string(ev.Path) == "/x" && string(ev.Query) == "y=1" && string(ev.Protocol) == "HTTP/1.1"
		}},
		{"request", "GET /x", true, func(ev *Event) bool {
			return string(ev.Method) == "GET" && string(ev.Path) == "/x" && ev.Protocol == nil
		}},
		{"request", "GET /a b HTTP/1.1", true, func(ev *Event) bool { return string(ev.Path) == "/a b" && string(ev.Protocol) == "HTTP/1.1" }},
		{"referer", "-", true, func(ev *Event) bool { return ev.Referer == nil }},
		{"tenant", "acme", true, func(ev *Event) bool { v, ok := ev.Lookup("tenant"); return ok && string(v) == "acme" }},
	}
	for _, tt := range tests {
		ms, _, err := compileFields(map[string]string{tt.field: "k"})
		if err != nil {
			t.Fatal(err)
		}
		var ev Event
		ev.Reset()
		ok := c.set(&ev, &ms[0], []byte(tt.in))
		if ok != tt.ok || (ok && !tt.check(&ev)) {
			t.Errorf("set(%s, %q) = %v, event %+v", tt.field, tt.in, ok, ev)
		}
	}
}
