package alerts

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// t0 is when the founding flood's first rule fires.
var t0 = time.Date(2026, 11, 27, 1, 20, 0, 0, time.UTC)

// tr is a transition of rule at t0+sec.
func tr(rule string, st alert.State, sev alert.Severity, sec int) alert.Alert {
	at := t0.Add(time.Duration(sec) * time.Second)
	return alert.Alert{Rule: rule, State: st, Severity: sev, Time: at, Since: at, Unit: alert.PerSecond, Value: 1, Threshold: 1,
		Keys: []alert.KeyCount{}}
}

// overlaps returns an Overlap func from the pairs that overlap fully;
// every other pair shares no event.
func overlaps(pairs ...[2]string) func(a, b string) float64 {
	return func(a, b string) float64 {
		for _, p := range pairs {
			if p == [2]string{a, b} || p == [2]string{b, a} {
				return 1
			}
		}
		return 0
	}
}

// meter counts the calls of a measure func that reports rate per second
// now for every rule it knows.
type meter struct {
	calls int
	rate  float64
	rules []string
}

func (m *meter) measure() []alert.Alert {
	m.calls++
	var out []alert.Alert
	for _, r := range m.rules {
		out = append(out, alert.Alert{Rule: r, Value: m.rate / 3, Current: m.rate, Threshold: 1, Count: 2400, DistinctOf: "client_ip", Distinct: 2310})
	}
	return out
}

// describe says what a notification is: "firing u0 [a b c]", with the
// quiet, reminder, inhibited and new marks.
func describe(n alert.Alert) string {
	var rules []string
	for _, m := range n.Incident.Alerts {
		rules = append(rules, m.Rule)
	}
	s := fmt.Sprintf("%s u%d %v", n.State, n.Incident.Update, rules)
	if n.Incident.Quiet {
		s += " quiet"
	}
	if n.Reminder > 0 {
		s += fmt.Sprintf(" r%d", n.Reminder)
	}
	if len(n.Incident.New) > 0 {
		s += fmt.Sprintf(" new%v", n.Incident.New)
	}
	if len(n.Incident.Inhibited) > 0 {
		s += fmt.Sprintf(" inhibited%v", n.Incident.Inhibited)
	}
	return s
}

// dueAt calls Due at each of the seconds after t0 and returns what came
// out, each prefixed with its second.
func dueAt(g *Grouper, m *meter, secs ...int) []string {
	var out []string
	for _, sec := range secs {
		for _, n := range g.Due(t0.Add(time.Duration(sec)*time.Second), m.measure) {
			out = append(out, fmt.Sprintf("%d: %s", sec, describe(n)))
		}
	}
	return out
}

func check(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("notifications:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestGrouper_groupWait: the founding flood's three rules, firing at 0 s
// and 9 s on the same posts, go out as one notification ten seconds after
// the first, measured then (240/s, not the 1/s of the crossing), the most
// severe rules first; one resolution once all have resolved and stayed so
// for the wait.
func TestGrouper_groupWait(t *testing.T) {
	g := NewGrouper(GroupOptions{Overlap: overlaps([2]string{"signup-burst", "signup-spread"}, [2]string{"signup-burst", "traffic-spike"}),
		Site: "web-1"})
	m := &meter{rate: 240, rules: []string{"signup-burst", "signup-spread", "traffic-spike"}}
	g.Add(tr("signup-burst", alert.Firing, alert.Critical, 0))
	if next := g.Next(); !next.Equal(t0) {
		t.Errorf("Next() = %v, want a measure at once", next)
	}
	check(t, dueAt(g, m, 0, 5))
	g.Add(tr("traffic-spike", alert.Firing, alert.Warning, 9))
	g.Add(tr("signup-spread", alert.Firing, alert.Critical, 9))
	var notes []alert.Alert
	for sec := 6; sec <= 10; sec++ {
		notes = append(notes, g.Due(t0.Add(time.Duration(sec)*time.Second), m.measure)...)
	}
	if len(notes) != 1 {
		t.Fatalf("%d notifications by 10 s, want 1", len(notes))
	}
	n := notes[0]
	if got, want := describe(n), "firing u0 [signup-burst signup-spread traffic-spike]"; got != want {
		t.Errorf("notification = %s, want %s", got, want)
	}
	if !n.Time.Equal(t0.Add(10*time.Second)) || n.Incident.Key != "signup-burst@1795742400" || n.Site != "web-1" {
		t.Errorf("notification at %v, key %q, site %q", n.Time, n.Incident.Key, n.Site)
	}
	if got, want := Headline(n, alert.Sanitize), "web-1: signup-burst at 240/s from 2,310 addresses — signup-burst, signup-spread, traffic-spike"; got != want {
		t.Errorf("Headline() = %q, want %q", got, want)
	}
	if m.calls > 11 {
		t.Errorf("measured %d times in 10 s, want about once a second", m.calls)
	}
	if next := g.Next(); !next.Equal(t0.Add(11 * time.Second)) {
		t.Errorf("Next() = %v, want the next measure, a second later", next)
	}

	m.rate = 260
	check(t, dueAt(g, m, 30))
	g.Add(tr("signup-burst", alert.Resolved, alert.Critical, 70))
	g.Add(tr("traffic-spike", alert.Resolved, alert.Warning, 100))
	check(t, dueAt(g, m, 100))
	g.Add(tr("signup-spread", alert.Resolved, alert.Critical, 100))
	calls := m.calls
	check(t, dueAt(g, m, 105, 109))
	notes = g.Due(t0.Add(110*time.Second), m.measure)
	if len(notes) != 1 || describe(notes[0]) != "resolved u1 [signup-burst signup-spread traffic-spike] quiet" {
		t.Fatalf("at 110 s: %v, want the resolution", notes)
	}
	if m.calls != calls {
		t.Errorf("measured %d times while nothing fired", m.calls-calls)
	}
	if got := Headline(notes[0], alert.Sanitize); !strings.HasPrefix(got, "web-1: Resolved after 1m40s: signup-burst peaked at 260/s") {
		t.Errorf("resolution headline = %q, want the peak measured while it fired", got)
	}
	if len(g.Open()) != 0 || !g.Next().IsZero() {
		t.Errorf("after the resolution: %d open, next %v; want none", len(g.Open()), g.Next())
	}
}

// TestGrouper_order: among rules of one severity the first in the config
// leads the notification, whichever crossed first: a distinct count that
// fires on the flood's 61st address must not make "Addresses signing up"
// the headline of a sign-up flood.
func TestGrouper_order(t *testing.T) {
	for _, tt := range []struct {
		order map[string]int
		want  string
	}{
		{nil, "firing u0 [signup-spread signup-burst]"},
		{map[string]int{"signup-burst": 0, "signup-spread": 1}, "firing u0 [signup-burst signup-spread]"},
	} {
		g := NewGrouper(GroupOptions{Overlap: overlaps([2]string{"signup-burst", "signup-spread"}), Order: tt.order})
		m := &meter{rate: 240, rules: []string{"signup-burst", "signup-spread"}}
		g.Add(tr("signup-spread", alert.Firing, alert.Critical, 0))
		g.Add(tr("signup-burst", alert.Firing, alert.Critical, 1))
		got := dueAt(g, m, 10)
		check(t, got, "10: "+tt.want)
	}
}

// TestGrouper_interval: rules that join after the first notification go
// out as one update at most every interval: quietly when none is more
// severe than those told, as a page when one is.
func TestGrouper_interval(t *testing.T) {
	all := overlaps([2]string{"a", "b"}, [2]string{"a", "c"}, [2]string{"a", "d"})
	g := NewGrouper(GroupOptions{Overlap: all, Interval: time.Minute})
	m := &meter{rate: 10, rules: []string{"a", "b", "c", "d"}}
	g.Add(tr("a", alert.Firing, alert.Warning, 0))
	check(t, dueAt(g, m, 10), "10: firing u0 [a]")
	g.Add(tr("b", alert.Firing, alert.Warning, 20))
	g.Add(tr("c", alert.Firing, alert.Info, 40))
	check(t, dueAt(g, m, 20, 40, 69)) // the interval runs from the last notification
	check(t, dueAt(g, m, 70), "70: firing u1 [a b c] quiet new[b c]")
	g.Add(tr("d", alert.Firing, alert.Critical, 75))
	check(t, dueAt(g, m, 100, 129, 130), "130: firing u2 [d a b c] new[d]")
	check(t, dueAt(g, m, 200, 1000)) // nothing new, no reminders configured
}

// TestGrouper_raised: a warning raised to critical while it fires is an
// update of its incident that pages (the incident told nothing as severe
// before), naming it raised; raised within the wait, before anything was
// told, the first notification says critical and nothing more; raised
// where a critical was already told, the update is quiet.
func TestGrouper_raised(t *testing.T) {
	raise := func(rule string, sec int) alert.Alert {
		a := tr(rule, alert.Firing, alert.Critical, sec)
		a.Since, a.Escalated, a.Evidence = t0, true, []string{"2,524 of 3,154 from addresses that loaded no page first"}
		return a
	}
	logins := overlaps([2]string{"login-failure-burst", "login-failure-spread"})
	g := NewGrouper(GroupOptions{Interval: time.Minute, Overlap: logins})
	m := &meter{rate: 30, rules: []string{"login-failure-burst", "login-failure-spread"}}
	g.Add(tr("login-failure-burst", alert.Firing, alert.Warning, 0))
	check(t, dueAt(g, m, 10), "10: firing u0 [login-failure-burst]")
	g.Add(raise("login-failure-burst", 25))
	notes := g.Due(t0.Add(70*time.Second), m.measure)
	if len(notes) != 1 || describe(notes[0]) != "firing u1 [login-failure-burst] new[login-failure-burst]" ||
		!slices.Equal(notes[0].Incident.Raised, []string{"login-failure-burst"}) || notes[0].Severity != alert.Critical {
		t.Fatalf("raised: %v, want an update that pages, the rule raised to critical", notes)
	}
	if h := Headline(notes[0], alert.Sanitize); !strings.HasPrefix(h, "Now critical: ") {
		t.Errorf("headline %q, want it to say the incident is critical now", h)
	}
	if s := Summary(notes[0], alert.Sanitize); !strings.Contains(s, "(now critical)") || !strings.Contains(s, "loaded no page first") {
		t.Errorf("summary %q, want the rule marked now critical, with its evidence", s)
	}
	// The raise is the transition's; the incident's notifications say it
	// in Raised, once, and its rules stay the episode's firings.
	if notes[0].Escalated || notes[0].Incident.Alerts[0].Escalated {
		t.Errorf("the update's alerts carry escalated: %+v", notes[0].Incident.Alerts)
	}
	check(t, dueAt(g, m, 200)) // told: nothing more until something changes
	g.Add(tr("login-failure-spread", alert.Firing, alert.Warning, 210))
	later := g.Due(t0.Add(270*time.Second), m.measure)
	if len(later) != 1 || describe(later[0]) != "firing u2 [login-failure-burst login-failure-spread] quiet new[login-failure-spread]" ||
		len(later[0].Incident.Raised) != 0 || later[0].Incident.Alerts[0].Escalated {
		t.Errorf("the next update: %+v, want the raise told no more", later)
	}

	// Raised within the wait: one first notification, critical.
	g = NewGrouper(GroupOptions{})
	g.Add(tr("login-failure-burst", alert.Firing, alert.Warning, 0))
	g.Add(raise("login-failure-burst", 4))
	notes = g.Due(t0.Add(10*time.Second), m.measure)
	if len(notes) != 1 || describe(notes[0]) != "firing u0 [login-failure-burst]" || notes[0].Severity != alert.Critical {
		t.Errorf("raised within the wait: %v, want one first notification, critical", notes)
	}

	// A critical told already: the raise is a quiet update.
	g = NewGrouper(GroupOptions{Overlap: overlaps([2]string{"login-failure-burst", "login-failure-spread"}), Interval: time.Minute})
	m.rules = []string{"login-failure-burst", "login-failure-spread"}
	g.Add(tr("login-failure-spread", alert.Firing, alert.Critical, 0))
	g.Add(tr("login-failure-burst", alert.Firing, alert.Warning, 2))
	check(t, dueAt(g, m, 10), "10: firing u0 [login-failure-spread login-failure-burst]")
	g.Add(raise("login-failure-burst", 30))
	check(t, dueAt(g, m, 70), "70: firing u1 [login-failure-spread login-failure-burst] quiet new[login-failure-burst]")
}

// TestGrouper_inhibition: a warning that fires under a firing critical of
// its incident joins it quietly; an inhibition pair joins its target to
// the source's incident whatever their events, never paging.
func TestGrouper_inhibition(t *testing.T) {
	g := NewGrouper(GroupOptions{Overlap: overlaps([2]string{"5xx-surge", "traffic-spike"}),
		Inhibit: []Inhibition{{Source: "5xx-surge", Target: "traffic-drop"}}})
	m := &meter{rules: []string{"5xx-surge", "traffic-spike", "traffic-drop"}}
	g.Add(tr("5xx-surge", alert.Firing, alert.Critical, 0))
	check(t, dueAt(g, m, 10), "10: firing u0 [5xx-surge]")
	g.Add(tr("traffic-spike", alert.Firing, alert.Warning, 15))
	g.Add(tr("traffic-drop", alert.Firing, alert.Critical, 16)) // shares no event, but inhibited
	check(t, dueAt(g, m, 70), "70: firing u1 [5xx-surge traffic-spike traffic-drop] quiet new[traffic-spike traffic-drop] inhibited[traffic-drop]")

	// Without the source firing, the target pages on its own.
	g2 := NewGrouper(GroupOptions{Inhibit: []Inhibition{{Source: "5xx-surge", Target: "traffic-drop"}}})
	g2.Add(tr("traffic-drop", alert.Firing, alert.Critical, 0))
	check(t, dueAt(g2, m, 10), "10: firing u0 [traffic-drop]")
}

// TestGrouper_secondIncident: a rule that shares no event with the open
// incident's rules starts its own, with its own page and resolution.
func TestGrouper_secondIncident(t *testing.T) {
	g := NewGrouper(GroupOptions{Overlap: overlaps([2]string{"signup-burst", "signup-spread"})})
	m := &meter{rules: []string{"signup-burst", "signup-spread", "login-failure-burst"}}
	g.Add(tr("signup-burst", alert.Firing, alert.Critical, 0))
	g.Add(tr("login-failure-burst", alert.Firing, alert.Critical, 5))
	g.Add(tr("signup-spread", alert.Firing, alert.Critical, 9))
	check(t, dueAt(g, m, 10, 15), "10: firing u0 [signup-burst signup-spread]", "15: firing u0 [login-failure-burst]")
	g.Add(tr("login-failure-burst", alert.Resolved, alert.Critical, 60))
	check(t, dueAt(g, m, 70), "70: resolved u1 [login-failure-burst] quiet")
	if len(g.Open()) != 1 {
		t.Errorf("%d incidents open, want the flood's", len(g.Open()))
	}
}

// TestGrouper_groupLabel: rules of one group label make one incident
// whatever their events.
func TestGrouper_groupLabel(t *testing.T) {
	g := NewGrouper(GroupOptions{Groups: map[string]string{"signup-burst": "signups", "registrations": "signups"}})
	m := &meter{}
	g.Add(tr("signup-burst", alert.Firing, alert.Critical, 0))
	g.Add(tr("registrations", alert.Firing, alert.Critical, 3))
	g.Add(tr("login-failure-burst", alert.Firing, alert.Critical, 4))
	check(t, dueAt(g, m, 14), "14: firing u0 [signup-burst registrations]", "14: firing u0 [login-failure-burst]")
}

// TestGrouper_flap: a rule that resolves and fires again within the wait
// after the incident's last resolution neither resolves it nor pages
// again; an incident that came and went within the wait has one
// notification, its resolution, which pages.
func TestGrouper_flap(t *testing.T) {
	g := NewGrouper(GroupOptions{})
	m := &meter{rules: []string{"a"}}
	g.Add(tr("a", alert.Firing, alert.Critical, 0))
	check(t, dueAt(g, m, 10), "10: firing u0 [a]")
	g.Add(tr("a", alert.Resolved, alert.Critical, 30))
	g.Add(tr("a", alert.Firing, alert.Critical, 35))
	check(t, dueAt(g, m, 40, 50))
	g.Add(tr("a", alert.Resolved, alert.Critical, 60))
	check(t, dueAt(g, m, 69, 70), "70: resolved u1 [a] quiet")

	g.Add(tr("b", alert.Firing, alert.Critical, 100))
	g.Add(tr("b", alert.Resolved, alert.Critical, 104))
	check(t, dueAt(g, m, 110, 113)) // not resolved for the wait yet
	notes := g.Due(t0.Add(114*time.Second), m.measure)
	if len(notes) != 1 || describe(notes[0]) != "resolved u0 [b]" || notes[0].Incident.Quiet {
		t.Errorf("blip: %v, want one resolution that pages", notes)
	}

	// A flap across the end of the wait, before anything was told: one
	// incident, one page, not a resolution that pages then a new firing.
	m.rules = []string{"c"}
	g.Add(tr("c", alert.Firing, alert.Critical, 200))
	g.Add(tr("c", alert.Resolved, alert.Critical, 209))
	check(t, dueAt(g, m, 210))
	g.Add(tr("c", alert.Firing, alert.Critical, 211))
	check(t, dueAt(g, m, 211, 212, 213, 230, 240), "211: firing u0 [c]")
}

// TestGrouper_remind: an incident still firing is sent again every
// RemindEvery after its last notification, measured anew.
func TestGrouper_remind(t *testing.T) {
	g := NewGrouper(GroupOptions{RemindEvery: 30 * time.Minute})
	m := &meter{rate: 5, rules: []string{"a"}}
	g.Add(tr("a", alert.Firing, alert.Critical, 0))
	check(t, dueAt(g, m, 10, 1809), "10: firing u0 [a]")
	m.rate = 50
	var got []alert.Alert
	for _, sec := range []int{1810, 3609, 3610} {
		got = append(got, g.Due(t0.Add(time.Duration(sec)*time.Second), m.measure)...)
	}
	if len(got) != 2 || got[0].Reminder != 1 || got[1].Reminder != 2 || got[0].Current != 50 {
		t.Fatalf("reminders = %+v, want two, at 30 and 60 minutes, measured anew", got)
	}
	if h := Headline(got[1], alert.Sanitize); h != "Still firing after 1h10s: a at 50/s from 2,310 addresses" {
		t.Errorf("Headline(reminder) = %q", h)
	}
	g.Add(tr("a", alert.Resolved, alert.Critical, 4000))
	check(t, dueAt(g, m, 4010, 9000), "4010: resolved u3 [a] quiet")
}

// TestGrouper_restore: the incidents saved with the state go on after a
// restart: their resolution is one notification, not one per rule; and a
// rule that resolves with no incident known (a state saved before
// incidents) still sends its resolution.
func TestGrouper_restore(t *testing.T) {
	g := NewGrouper(GroupOptions{Overlap: overlaps([2]string{"a", "b"})})
	m := &meter{rules: []string{"a", "b"}}
	g.Add(tr("a", alert.Firing, alert.Critical, 0))
	g.Add(tr("b", alert.Firing, alert.Warning, 2))
	check(t, dueAt(g, m, 10), "10: firing u0 [a b]")
	saved := g.Open()

	g2 := NewGrouper(GroupOptions{})
	g2.Restore(saved)
	g2.Add(tr("a", alert.Resolved, alert.Critical, 60))
	g2.Add(tr("b", alert.Resolved, alert.Warning, 61))
	g2.Add(tr("c", alert.Resolved, alert.Warning, 62))
	check(t, dueAt(g2, m, 80), "80: resolved u1 [a b] quiet", "80: resolved u1 [c] quiet")
}

// TestGrouper_adopt: a rule whose first page another daemon sent (a
// fleet's evaluator that died) is adopted as told: nothing goes out for
// it until it resolves, then its resolution, once; a rule in an open
// incident already is not adopted.
func TestGrouper_adopt(t *testing.T) {
	g := NewGrouper(GroupOptions{})
	m := &meter{rules: []string{"signup-burst"}}
	told, ok := g.Adopt(tr("signup-burst", alert.Firing, alert.Critical, 0))
	if !ok || told.Incident == nil || told.Incident.Update != 0 || told.State != alert.Firing {
		t.Fatalf("Adopt() = %+v, %v; want the incident's first notification", told, ok)
	}
	if _, ok := g.Adopt(tr("signup-burst", alert.Firing, alert.Critical, 5)); ok {
		t.Errorf("Adopt() of a rule in an open incident = true")
	}
	check(t, dueAt(g, m, 10, 30, 60))
	g.Add(tr("signup-burst", alert.Resolved, alert.Critical, 70))
	check(t, dueAt(g, m, 75, 80, 90), "80: resolved u1 [signup-burst] quiet")
	if len(g.Open()) != 0 {
		t.Errorf("%d incidents open after the resolution", len(g.Open()))
	}
}

// TestGrouper_release: a fleet rule another daemon follows now leaves
// its incidents without a notification (Release). An incident left with
// no member closes silently; one that keeps a local rule goes on, and
// resolves as of that rule's resolution once only resolved members are
// left; a member already resolved is not released (its resolution is
// this grouper's to send). The released rule firing again is a new
// incident with its own first page.
func TestGrouper_release(t *testing.T) {
	g := NewGrouper(GroupOptions{Overlap: overlaps([2]string{"fleet-rule", "local-rule"})})
	m := &meter{rules: []string{"fleet-rule", "local-rule", "other"}}
	g.Add(tr("fleet-rule", alert.Firing, alert.Critical, 0))
	g.Add(tr("local-rule", alert.Firing, alert.Warning, 2))
	g.Add(tr("other", alert.Firing, alert.Warning, 3))
	check(t, dueAt(g, m, 10, 13),
		"10: firing u0 [fleet-rule local-rule]",
		"13: firing u0 [other]")
	g.Add(tr("local-rule", alert.Resolved, alert.Warning, 20))
	g.Add(tr("other", alert.Resolved, alert.Warning, 21))
	left, closed := g.Release([]string{"fleet-rule", "other"})
	if left != 1 || len(closed) != 0 {
		t.Errorf("Release() = %d, %v; want 1 member left, no incident closed (other resolved, local-rule stays)", left, closed)
	}
	check(t, dueAt(g, m, 25, 30, 31),
		"30: resolved u1 [local-rule] quiet",
		"31: resolved u1 [other] quiet")

	g.Add(tr("fleet-rule", alert.Firing, alert.Critical, 40))
	left, closed = g.Release([]string{"fleet-rule"})
	if left != 1 || len(closed) != 1 || closed[0] != "fleet-rule@1795742440" {
		t.Errorf("Release() = %d, %v; want its incident closed", left, closed)
	}
	check(t, dueAt(g, m, 50, 100))
	g.Add(tr("fleet-rule", alert.Firing, alert.Critical, 110))
	check(t, dueAt(g, m, 115, 120), "120: firing u0 [fleet-rule]")
}
