package alerts_test

import (
	"fmt"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
)

// The founding flood: signup-burst fires on the post that crosses its
// threshold, signup-spread nine seconds later on the same posts. One
// notification goes out ten seconds after the first, with the measures of
// that moment; one resolution when both are over.
func ExampleGrouper() {
	t0 := time.Date(2026, 11, 27, 1, 20, 0, 0, time.UTC)
	g := alerts.NewGrouper(alerts.GroupOptions{Site: "web-1",
		Overlap: func(a, b string) float64 { return 1 }}) // the engine's Overlap: the same posts
	fire := func(rule string, sec int) alert.Alert {
		at := t0.Add(time.Duration(sec) * time.Second)
		return alert.Alert{Rule: rule, Title: "Sign-ups", State: alert.Firing, Severity: alert.Critical, Time: at, Since: at,
			Unit: alert.PerSecond, Value: 1, Threshold: 1}
	}
	measure := func() []alert.Alert { // the engine's view, when a notification is due
		return []alert.Alert{{Rule: "signup-burst", Value: 80, Current: 240, Count: 2400, DistinctOf: "client_ip", Distinct: 2310}}
	}
	g.Add(fire("signup-burst", 0))
	g.Add(fire("signup-spread", 9))
	for _, n := range g.Due(t0.Add(10*time.Second), measure) {
		fmt.Println(alerts.Headline(n, alert.Sanitize))
	}
	for _, rule := range []string{"signup-burst", "signup-spread"} {
		r := fire(rule, 0)
		r.State, r.Time = alert.Resolved, t0.Add(100*time.Second)
		g.Add(r)
	}
	for _, n := range g.Due(t0.Add(110*time.Second), measure) {
		fmt.Println(alerts.Headline(n, alert.Sanitize))
	}
	// Output:
	// web-1: Sign-ups at 240/s from 2,310 addresses — signup-burst, signup-spread
	// web-1: Resolved after 1m40s: Sign-ups peaked at 240/s from 2,310 addresses — signup-burst, signup-spread
}
