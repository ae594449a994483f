package alerts

import (
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

func TestTitle(t *testing.T) {
	a := firing()
	if got, want := Title(a), "[critical] signup-burst firing: 8/s ≥ 1/s"; got != want {
		t.Errorf("Title(firing) = %q, want %q", got, want)
	}
	if got, want := Title(resolved()), "[critical] signup-burst resolved after 1m9s"; got != want {
		t.Errorf("Title(resolved) = %q, want %q", got, want)
	}
}

func TestHeadline(t *testing.T) {
	a := firing()
	a.Keys[0].Key = "<!channel>"
	if got, want := Headline(a, alert.SlackText), "[critical] signup-burst firing: 8/s ≥ 1/s, top client_ip &lt;!channel&gt;"; got != want {
		t.Errorf("Headline(firing, SlackText) = %q, want %q", got, want)
	}
	if got, want := Headline(resolved(), alert.SlackText), "[critical] signup-burst resolved after 1m9s"; got != want {
		t.Errorf("Headline(resolved, SlackText) = %q, want %q", got, want)
	}
}

func TestSummary(t *testing.T) {
	a := firing()
	a.Time = at.Add(69 * time.Second)
	a.Description = "sign-ups from one network"
	want := strings.Join([]string{
		"8/s ≥ 1/s over 30s, now 240/s",
		"sign-ups from one network",
		"since 2026-11-27 01:20:01 UTC (1m9s)",
		"240 events from 4,812 distinct client_ip",
		"top client_ip: 203.0.113.7 (2–3), 198.51.100.1 (2)",
		`sample: 203.0.113.7 - - [27/Nov/2026:01:20:00 +0000] "POST /users/register HTTP/1.1" 302 76 "-" "\x1b[31mbot\u202e"`,
	}, "\n")
	if got := Summary(a, alert.Sanitize); got != want {
		t.Errorf("Summary(firing, Sanitize) =\n%s\nwant\n%s", got, want)
	}

	b := firing()
	b.Unit, b.Value, b.Threshold, b.Current, b.Baseline, b.Spread = "/s", 30, 12, 0, 4, 2
	b.Keys, b.Samples, b.DistinctOf = nil, nil, ""
	want = "30/s ≥ 12/s over 30s, normal 4/s ± 2/s\nsince 2026-11-27 01:20:01 UTC\n240 events"
	if got := Summary(b, alert.Sanitize); got != want {
		t.Errorf("Summary(baseline) =\n%s\nwant\n%s", got, want)
	}

	want = "0/s, below 0.8/s; peak 241/s\nfired from 2026-11-27 01:20:01 UTC for 1m9s"
	if got := Summary(resolved(), alert.Sanitize); got != want {
		t.Errorf("Summary(resolved) =\n%s\nwant\n%s", got, want)
	}
}

func TestSummary_manyKeys(t *testing.T) {
	a := firing()
	a.Keys = nil
	for i := range 8 {
		a.Keys = append(a.Keys, alert.KeyCount{Key: string(rune('a' + i)), Count: uint64(10 - i)})
	}
	if got, want := Summary(a, alert.Sanitize), "top client_ip: a (10), b (9), c (8), d (7), e (6), +3 more\n"; !strings.Contains(got, want) {
		t.Errorf("Summary() =\n%s\nwant it to contain %q", got, want)
	}
}

// TestSummary_escaper checks that every log-derived string goes through
// the caller's escaper: an escaper that marks what it was given shows it.
func TestSummary_escaper(t *testing.T) {
	a := firing()
	a.Description = "desc"
	mark := func(s string, _ int) string { return "«" + s + "»" }
	got := Summary(a, mark)
	for _, want := range []string{"«desc»", "«client_ip»", "«203.0.113.7»", "«198.51.100.1»", "sample: «203.0.113.7 - - "} {
		if !strings.Contains(got, want) {
			t.Errorf("Summary(mark) =\n%s\nwant it to contain %q", got, want)
		}
	}
}

// resolved is firing() resolved 69 seconds later.
func resolved() alert.Alert {
	r := firing()
	r.State, r.Time, r.Value, r.Peak, r.ResolveAt = alert.Resolved, at.Add(69*time.Second), 0, 241, 0.8
	return r
}
