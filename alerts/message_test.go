package alerts

import (
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// incident is the founding flood's first notification: signup-burst (the
// lead), signup-spread and traffic-spike, measured ten seconds after the
// first fired, on site web-1.
func incident() alert.Alert {
	burst := firing()
	burst.Title, burst.Time, burst.Since = "Sign-ups", at.Add(10*time.Second), at
	burst.Value, burst.Current, burst.Count, burst.Distinct = 80, 241, 2400, 2310
	burst.Baseline, burst.Spread = 0.1, 0.3
	burst.Keys = []alert.KeyCount{{Key: "203.0.113.7", Count: 3}, {Key: "198.51.100.1", Count: 3}, {Key: "192.0.2.1", Count: 2}}
	spread := alert.Alert{Rule: "signup-spread", Title: "Addresses signing up", State: alert.Firing, Severity: alert.Critical,
		Time: burst.Time, Since: at.Add(9 * time.Second), Value: 2100, Threshold: 20, Unit: alert.Distinct, Window: time.Minute,
		Baseline: 0.14, Spread: 1.4, Count: 2400, DistinctOf: "client_ip", Distinct: 2100}
	spike := alert.Alert{Rule: "traffic-spike", Title: "Requests", State: alert.Firing, Severity: alert.Warning,
		Time: burst.Time, Since: at.Add(9 * time.Second), Value: 45, Current: 250, Threshold: 5, Unit: alert.PerSecond,
		Window: time.Minute, Baseline: 1, Spread: 0.57, Count: 2700}
	a := burst
	a.Site, a.Labels = "web-1", map[string]string{"env": "prod"}
	a.Incident = &alert.Incident{Key: "signup-burst@1795742401", State: alert.Firing, Since: at, Time: a.Time,
		Alerts: []alert.Alert{burst, spread, spike}}
	return a
}

func TestHeadline(t *testing.T) {
	titled := firing()
	titled.Title = "Sign-ups"
	perKey := firing()
	perKey.Rule, perKey.PerKey, perKey.Value, perKey.Current, perKey.Keys = "client-flood", true, 12, 0, []alert.KeyCount{{Key: "203.0.113.7", Count: 720}}
	hostileKey := perKey
	hostileKey.Keys = []alert.KeyCount{{Key: "<!channel> 1.2.3.4", Count: 720}}
	drop := alert.Alert{Rule: "traffic-drop", Title: "Requests", State: alert.Firing, Value: 0.3, Threshold: 1.2, Unit: alert.PerSecond,
		Down: true, Baseline: 12, Spread: 2}
	share := alert.Alert{Rule: "5xx-surge", Title: "Server errors", State: alert.Firing, Value: 0.34, Unit: alert.Share, Count: 240, Hits: 82}
	silent := alert.Alert{Rule: "payments-stopped", State: alert.Firing, Value: 1800, Unit: alert.Silent}
	update := incident()
	update.Incident.Update, update.Incident.New = 1, []string{"traffic-spike"}
	reminder := incident()
	reminder.Reminder, reminder.Time = 1, at.Add(time.Hour)
	res := incident()
	res.State, res.Time = alert.Resolved, at.Add(100*time.Second)
	for i := range res.Incident.Alerts {
		res.Incident.Alerts[i].State = alert.Resolved
	}
	res.Incident.Alerts[0].Peak, res.Incident.Alerts[0].Distinct = 257, 4324
	for _, tt := range []struct {
		name string
		a    alert.Alert
		want string
	}{
		{"lone rule", firing(), "signup-burst at 240/s from 4,812 addresses"},
		{"titled", titled, "Sign-ups at 240/s from 4,812 addresses — signup-burst"},
		{"per key", perKey, "client-flood at 12/s from 203.0.113.7"},
		{"key not an address", hostileKey, "client-flood at 12/s"},
		{"drop", drop, "Requests down to 0.3/s (normal 12/s) — traffic-drop"},
		{"share", share, "Server errors at 34% of 240 events — 5xx-surge"},
		{"absence", silent, "payments-stopped: 30m silent"},
		{"incident", incident(), "web-1: Sign-ups at 241/s from 2,310 addresses (normal 0.1/s) — signup-burst, signup-spread, traffic-spike"},
		{"update", update, "web-1: Update: Sign-ups at 241/s from 2,310 addresses (normal 0.1/s) — signup-burst, signup-spread, +traffic-spike"},
		{"reminder", reminder, "web-1: Still firing after 1h: Sign-ups at 241/s from 2,310 addresses (normal 0.1/s) — signup-burst, signup-spread, traffic-spike"},
		{"resolved", res, "web-1: Resolved after 1m40s: Sign-ups peaked at 257/s from 4,324 addresses — signup-burst, signup-spread, traffic-spike"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Headline(tt.a, alert.SlackText); got != tt.want {
				t.Errorf("Headline() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestOffenders(t *testing.T) {
	keys := func(counts ...uint64) []alert.KeyCount {
		var ks []alert.KeyCount
		for i, c := range counts {
			ks = append(ks, alert.KeyCount{Key: "203.0.113." + string(rune('1'+i)), Count: c})
		}
		return ks
	}
	for _, tt := range []struct {
		name    string
		groupBy string
		count   uint64
		hits    uint64 // a site-wide share's: its keys count them
		keys    []alert.KeyCount
		want    string
	}{
		{"distributed", "client_ip", 240, 0, keys(3, 2, 2), "busiest address: 3 of 240 — spread over many addresses: blocking addresses will not help"},
		{"tie at the top", "client_ip", 20, 0, keys(9, 9, 2), "busiest address: 9 of 20 — spread over many addresses: blocking addresses will not help"},
		{"one stands out", "client_ip", 240, 0, keys(180, 20), "top client_ip: 203.0.113.1 (180), 203.0.113.2 (20)"},
		{"paths", "path", 240, 0, keys(3, 2), "busiest path: 3 of 240 — no path stands out"},
		// Log-ins failing: 900 posts, 300 failing, one address 90 of them
		// (30% of the failures, 10% of the posts).
		{"a share's failures", "client_ip", 900, 300, keys(90, 3), "top client_ip: 203.0.113.1 (90), 203.0.113.2 (3)"},
		{"a share's spread failures", "client_ip", 900, 300, keys(3, 2), "busiest address: 3 of 300 — spread over many addresses: blocking addresses will not help"},
		// One /24's 230 addresses, one or two tries each.
		{"one network", "client_ip", 240, 0, keys(3, 2, 2), "network 198.51.100.0/24: most of the events (211), from 118 of its addresses — block the network, not the addresses"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := alert.Alert{GroupBy: tt.groupBy, Count: tt.count, Keys: tt.keys}
			if tt.name == "one network" {
				a.Network = &alert.NetCount{Net: "198.51.100.0/24", Count: 211, Addresses: 118}
			}
			if tt.hits > 0 {
				a.Unit, a.Hits = alert.Share, tt.hits
			}
			if got := offenders(a, alert.Sanitize); got != tt.want {
				t.Errorf("offenders() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	want := strings.Join([]string{
		"Sign-ups at 241/s from 2,310 addresses (normal 0.1/s)",
		"busiest address: 3 of 2,400 — spread over many addresses: blocking addresses will not help",
		"signup-burst [critical] firing since 01:20:01: 80/s ≥ 1/s over 30s, now 241/s, normal 0.1/s ± 0.3/s; 2,400 events from 2,310 distinct client_ip",
		"signup-spread [critical] firing since 01:20:10: 2,100 distinct ≥ 20 distinct over 1m, normal 0.14 distinct ± 1.4 distinct; 2,400 events",
		"traffic-spike [warning] firing since 01:20:10: 45/s ≥ 5/s over 1m, now 250/s, normal 1/s ± 0.57/s; 2,700 events",
		"since 2026-11-27 01:20:01 UTC (10s)",
		`sample: 203.0.113.7 - - [27/Nov/2026:01:20:00 +0000] "POST /users/register HTTP/1.1" 302 76 "-" "\x1b[31mbot\u202e"`,
		"site web-1 · env=prod",
	}, "\n")
	if got := Summary(incident(), alert.Sanitize); got != want {
		t.Errorf("Summary(incident) =\n%s\nwant\n%s", got, want)
	}

	want = "signup-burst peaked at 241/s from 4,812 addresses\nsignup-burst [critical] resolved at 01:21:10 after 1m9s, peak 241/s\nsince 2026-11-27 01:20:01 UTC (1m9s)"
	if got := Summary(resolved(), alert.Sanitize); got != want {
		t.Errorf("Summary(resolved) =\n%s\nwant\n%s", got, want)
	}
}

func TestSummary_manyKeys(t *testing.T) {
	a := firing()
	a.Keys = nil
	for i := range 8 {
		a.Keys = append(a.Keys, alert.KeyCount{Key: string(rune('a' + i)), Count: uint64(100 - i)})
	}
	if got, want := Summary(a, alert.Sanitize), "top client_ip: a (100), b (99), c (98), d (97), e (96), +3 more\n"; !strings.Contains(got, want) {
		t.Errorf("Summary() =\n%s\nwant it to contain %q", got, want)
	}
}

// TestSummary_escaper checks that every log-derived string goes through
// the caller's escaper: an escaper that marks what it was given shows it.
func TestSummary_escaper(t *testing.T) {
	a := firing()
	a.Description = "desc"
	a.Keys[0].Count = 200
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
