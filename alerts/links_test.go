package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// testLinks are a notification's signed links (see package links).
func testLinks() []alert.Link {
	exp := time.Date(2026, 11, 28, 1, 20, 10, 0, time.UTC)
	return []alert.Link{
		{Verb: "run", Target: "signups-off", Label: "Run signups-off now", URL: "https://s.example/l/RUN", Expires: exp},
		{Verb: "revert", Target: "block", Label: "Revert block now", URL: "https://s.example/l/REV", Expires: exp},
		{Verb: "silence", Target: "signup-burst", Label: "Silence 1h", URL: "https://s.example/l/SIL", Expires: exp},
		{Verb: "stop_reminders", Label: "Stop reminders", URL: "https://s.example/l/STOP", Expires: exp},
	}
}

// TestNotify_links: every notifier carries the links — Slack as URL
// buttons, ntfy as view actions (three, the rest in the message), email
// in both bodies, the webhook in its body.
func TestNotify_links(t *testing.T) {
	a := emailAlert()
	a.Links = testLinks()
	ctx := context.Background()

	rc := testutil.NewReceiver(t)
	s := newTestSlack(t, SlackOptions{WebhookURL: rc.URL + "/services/T/B/x"})
	if err := s.Notify(ctx, a); err != nil {
		t.Fatal(err)
	}
	var sm struct {
		Blocks []struct {
			Type     string
			Elements []struct {
				Type, URL, Style string
				Text             json.RawMessage
			}
		}
	}
	json.Unmarshal(rc.Requests()[0].Body, &sm)
	last := sm.Blocks[len(sm.Blocks)-1]
	if last.Type != "actions" || len(last.Elements) != 4 || last.Elements[0].URL != "https://s.example/l/RUN" ||
		last.Elements[0].Style != "danger" || last.Elements[1].Style != "primary" || !strings.Contains(string(last.Elements[2].Text), "Silence 1h") {
		t.Errorf("slack's last block = %+v", last)
	}

	nt := testutil.NewReceiver(t)
	n, err := NewNtfy(NtfyOptions{URL: nt.URL + "/topic"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(ctx, a); err != nil {
		t.Fatal(err)
	}
	var nm ntfyMessage
	json.Unmarshal(nt.Requests()[0].Body, &nm)
	if len(nm.Actions) != 3 || nm.Actions[0] != (ntfyAction{Action: "view", Label: "Run signups-off now", URL: "https://s.example/l/RUN"}) ||
		!strings.HasSuffix(nm.Message, "\nStop reminders: https://s.example/l/STOP") {
		t.Errorf("ntfy actions %+v, message %q", nm.Actions, nm.Message)
	}

	text, html := emailText(a), func() string { h, _ := emailHTML(a); return h }()
	if !strings.Contains(text, "  Run signups-off now: https://s.example/l/RUN\n") ||
		!strings.Contains(html, `<a href="https://s.example/l/REV"`) || !strings.Contains(html, ">Revert block now</a>") {
		t.Errorf("email bodies lack the links:\n%s\n%s", text, html)
	}

	hook := testutil.NewReceiver(t)
	w, err := NewWebhook(WebhookOptions{URL: hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Notify(ctx, a); err != nil {
		t.Fatal(err)
	}
	var wb struct {
		Links []alert.Link
		Alert map[string]any
	}
	json.Unmarshal(hook.Requests()[0].Body, &wb)
	if len(wb.Links) != 4 || wb.Links[3].Verb != "stop_reminders" || !wb.Links[0].Expires.Equal(a.Links[0].Expires) || wb.Alert["links"] != nil {
		t.Errorf("webhook links %+v (alert.links %v)", wb.Links, wb.Alert["links"])
	}
	// Without links, nothing changes.
	a.Links = nil
	if _, blocks := s.message(a); len(blocks) != 3 {
		t.Errorf("slack blocks without links: %d, want 3", len(blocks))
	}
}

// TestAnnounce: Slack, ntfy and email post an announcement, the email
// threaded under its incident's first; the dispatcher finds the route,
// and a webhook cannot announce.
func TestAnnounce(t *testing.T) {
	an := Announcement{Site: "web-1", Incident: "signup-burst@1795742400", Text: "signups-off run from a link at 03:12 UTC by the link sent to slack",
		Time: time.Date(2026, 11, 27, 3, 12, 0, 0, time.UTC)}
	rc, nt, smtp, hook := testutil.NewReceiver(t), testutil.NewReceiver(t), testutil.NewSMTPServer(t), testutil.NewReceiver(t)
	s := newTestSlack(t, SlackOptions{WebhookURL: rc.URL + "/services/T/B/x"})
	n, _ := NewNtfy(NtfyOptions{URL: nt.URL + "/topic"})
	e, err := NewEmail(EmailOptions{URL: smtp.URL(), From: "sentinel@example.com", To: []string{"ops@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := NewWebhook(WebhookOptions{URL: hook.URL})
	d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "slack", Notifier: s}, {Name: "ntfy", Notifier: n}, {Name: "email", Notifier: e},
		{Name: "hook", Notifier: w}}})
	ctx := context.Background()
	for _, r := range []string{"slack", "ntfy", "email"} {
		if err := d.Announce(ctx, r, an); err != nil {
			t.Errorf("Announce(%s) = %v", r, err)
		}
	}
	for _, r := range []string{"hook", "nope"} {
		if err := d.Announce(ctx, r, an); !errors.Is(err, ErrCannotAnnounce) {
			t.Errorf("Announce(%s) = %v, want ErrCannotAnnounce", r, err)
		}
	}
	var sm struct{ Text string }
	json.Unmarshal(rc.Requests()[0].Body, &sm)
	if sm.Text != "web-1: "+an.Text {
		t.Errorf("slack text %q", sm.Text)
	}
	var nm ntfyMessage
	json.Unmarshal(nt.Requests()[0].Body, &nm)
	if nm.Title != "web-1: "+an.Text || nm.Priority != 3 {
		t.Errorf("ntfy %+v", nm)
	}
	mails := smtp.Mails()
	if len(mails) != 1 || !strings.Contains(mails[0].Msg.Header.Get("Subject"), "signups-off run from a link") {
		t.Fatalf("mails %+v", mails)
	}
	_, thread := messageIDs(alert.Alert{Site: "web-1", Incident: &alert.Incident{Key: an.Incident, Update: 1}}, "sentinel@example.com")
	if got := mails[0].Msg.Header.Get("In-Reply-To"); got != "<"+thread+">" {
		t.Errorf("In-Reply-To %q, want the incident's first mail <%s>", got, thread)
	}
	if len(hook.Requests()) != 0 {
		t.Error("the webhook was posted an announcement")
	}
}

// TestDispatcher_links: a delivery carries the links its route gets, made
// when it is delivered.
func TestDispatcher_links(t *testing.T) {
	rc := testutil.NewReceiver(t)
	w, _ := NewWebhook(WebhookOptions{URL: rc.URL})
	var asked []string
	d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "hook", Notifier: w}},
		Links: func(route string, a alert.Alert) []alert.Link {
			asked = append(asked, route+" "+a.Rule)
			return testLinks()[:1]
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	d.Submit(emailAlert())
	deadline := time.Now().Add(10 * time.Second)
	for len(rc.Requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	var wb struct{ Links []alert.Link }
	if reqs := rc.Requests(); len(reqs) != 1 || json.Unmarshal(reqs[0].Body, &wb) != nil || len(wb.Links) != 1 {
		t.Fatalf("webhook got %d requests, links %+v", len(rc.Requests()), wb.Links)
	}
	if len(asked) != 1 || asked[0] != "hook signup-burst" {
		t.Errorf("Links asked %v", asked)
	}
	for _, p := range d.Pending() {
		if len(p.Links) != 0 {
			t.Error("a pending notification keeps links")
		}
	}
}

// TestGrouper_stopReminders: an incident whose reminders are stopped
// gets none, but its resolution; Incident shows it without sending.
func TestGrouper_stopReminders(t *testing.T) {
	g := NewGrouper(GroupOptions{RemindEvery: time.Minute, Site: "web-1"})
	at := time.Date(2026, 11, 27, 1, 20, 0, 0, time.UTC)
	a := alert.Alert{Rule: "signup-burst", State: alert.Firing, Time: at, Since: at, Severity: alert.Critical, Value: 240, Threshold: 1, Unit: alert.PerSecond}
	g.Add(a)
	if n := g.Due(at.Add(10*time.Second), nil); len(n) != 1 {
		t.Fatalf("first notification: %d", len(n))
	}
	key := "signup-burst@1795742400"
	if !g.Reminding(key) {
		t.Fatal("not reminding")
	}
	if v, ok := g.Incident(key); !ok || v.Incident.Key != key || !strings.Contains(Headline(v, alert.Sanitize), "web-1:") {
		t.Errorf("Incident = %+v, %v", v, ok)
	}
	if n := g.Due(at.Add(71*time.Second), nil); len(n) != 1 || n[0].Reminder != 1 {
		t.Fatalf("reminder: %+v", n)
	}
	if !g.StopReminders(key) || g.StopReminders("other@1") || g.Reminding(key) {
		t.Fatal("StopReminders")
	}
	if n := g.Due(at.Add(10*time.Minute), nil); len(n) != 0 {
		t.Errorf("after StopReminders: %d notifications", len(n))
	}
	if g.Open()[0].NoReminders != true {
		t.Error("the stop is not saved with the incident")
	}
	r := a
	r.State, r.Time = alert.Resolved, at.Add(11*time.Minute)
	g.Add(r)
	if n := g.Due(at.Add(12*time.Minute), nil); len(n) != 1 || n[0].State != alert.Resolved {
		t.Errorf("resolution: %+v", n)
	}
}
