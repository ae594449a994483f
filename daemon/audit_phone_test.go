package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/internal/delivery"
	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/links"
)

// TestAudit_linkRunRevertedWhenQuiet: README, "Run ACTION now": it makes
// the action's request now, for real — "a dry-run episode becomes real,
// its revert too" — and is "undone as any remedy, once its rules have
// stayed quiet for revert_after". The founding flood with signups-off in
// dry run (revert_after 10m): the run link flips the flag off; no revert
// link is used; once the flood is over and ten quiet minutes of the log
// have passed, sentinel itself makes the real, signed revert, once.
func TestAudit_linkRunRevertedWhenQuiet(t *testing.T) {
	fs := testutil.NewFlagServer(t, "hmac-key")
	clock := &fakeClock{t: time.Date(2026, 11, 27, 1, 25, 0, 0, time.UTC)}
	d, slack, stateDir, path, stop := linksDaemon(t, fs, clock)
	defer stop()
	lines := sampleLines(t)
	next := writeUntil(t, lines, 0, "27/Nov/2026:01:20:30", path)
	waitForLong(t, "the firing message with its buttons", time.Minute, func() bool { return len(slackButtons(t, slack)["Run signups-off now"]) > 0 })
	runLink := slackButtons(t, slack)["Run signups-off now"][0]
	phone := client{phoneUA, "203.0.113.7"}
	p := get(t, runLink, phone)
	if r := post(t, runLink, phone, p.csrf(), d.LinksURL()); r.status != 200 || !strings.Contains(r.body, "Done: signups-off run") {
		t.Fatalf("POST run = %d\n%s", r.status, r.body)
	}
	if reqs := fs.Requests(); len(reqs) != 1 || reqs[0].Body != `{"enabled": false}` || !reqs[0].Signed {
		t.Fatalf("flag requests = %+v, want one signed PATCH {enabled: false}", reqs)
	}
	if fs.On() {
		t.Fatal("the flag is on after the run link")
	}

	// The rest of the log, written as it happens (the wall clock with it):
	// the flood ends at about 01:21, and the log goes on quietly until
	// 01:39:58, more than revert_after past it.
	clock.add(15 * time.Minute)
	writeUntil(t, lines, next, "", path)
	waitForLong(t, "the revert once its rules stayed quiet", time.Minute, func() bool { return len(fs.Requests()) >= 2 })
	waitFor(t, "the episode closed", func() bool { _, on := d.act.Episode("signups-off"); return !on })
	reqs := fs.Requests()
	if len(reqs) != 2 || reqs[1].Method != "PATCH" || reqs[1].Body != `{"enabled": true}` || !reqs[1].Signed || reqs[1].Status != 200 || !fs.On() {
		t.Fatalf("flag requests = %+v, want the run, then one real signed revert", reqs)
	}
	var steps []string
	for _, e := range readActionsAudit(t, stateDir) {
		if e.Outcome == delivery.DryRun {
			continue // the dry run's logged apply, before the link
		}
		steps = append(steps, fmt.Sprintf("%s %s by=%q", e.Phase, e.Outcome, e.By))
		if e.Phase == actions.Revert && e.EventTime.Before(time.Date(2026, 11, 27, 1, 30, 0, 0, time.UTC)) {
			t.Errorf("reverted at %v (log time), before the rules stayed quiet for 10m", e.EventTime)
		}
	}
	if want := []string{`apply ok by="the link sent to ops-slack"`, `revert ok by=""`}; !slices.Equal(steps, want) {
		t.Errorf("actions.jsonl = %q, want %q", steps, want)
	}
}

// TestAudit_linkTTLAndSilenceFor: README, "Acting from your phone": the
// config's link_ttl is "how long a link lives" and silence_for "what
// Silence holds the rules back for". With link_ttl: 2h and silence_for:
// 30m, the firing message's button reads "Silence 30m", its link expires
// two hours after it was sent (the page says so), it silences the
// incident's rules for 30 minutes, and once two hours have passed a
// link issued with it is refused as expired.
func TestAudit_linkTTLAndSilenceFor(t *testing.T) {
	cfg, err := config.Parse("links.yaml", []byte(`
settings:
  site: web-1
  public: {listen: "127.0.0.1:0", allow_http: true, link_ttl: 2h, silence_for: 30m}
`), os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	slack := testutil.NewReceiver(t)
	n, err := alerts.NewSlack(alerts.SlackOptions{WebhookURL: slack.URL + "/services/T0/B0/secret"})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2026, 11, 27, 1, 25, 0, 0, time.UTC)}
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	d, stop := start(t, Options{Config: cfg, Sources: []Source{{Pattern: path, Format: "auto"}}, StateDir: filepath.Join(dir, "state"),
		FromStart: true, Routes: []alerts.Route{{Name: "ops-slack", Notifier: n}}, Now: clock.now})
	defer stop()
	waitFor(t, "the public listener", func() bool { return d.LinksURL() != "" })
	writeUntil(t, sampleLines(t), 0, "27/Nov/2026:01:20:30", path)
	waitForLong(t, "the firing message", time.Minute, func() bool { return len(messageButtons(t, slack)) > 0 })
	sent := clock.now()
	silence := slackButtons(t, slack)["Silence 30m"]
	if len(silence) != 1 {
		t.Fatalf("firing message buttons %q, want Silence 30m", messageButtons(t, slack))
	}
	// A second link as the daemon issues them, to use once expired.
	l2, err := d.links.Issue("ops-slack", links.Offer{Verb: links.Silence, Targets: []string{"signup-burst"}})
	if err != nil {
		t.Fatal(err)
	}
	silence = append(silence, l2.URL)
	for _, l := range silence {
		tok, _, err := links.ParseToken(strings.TrimPrefix(l, d.LinksURL()+"/l/"))
		if err != nil {
			t.Fatal(err)
		}
		if want := sent.Add(2 * time.Hour).Truncate(time.Second); !tok.Expires.Equal(want) {
			t.Errorf("link expires %v, want %v (link_ttl 2h)", tok.Expires, want)
		}
	}
	phone := client{phoneUA, "203.0.113.7"}
	p := get(t, silence[0], phone)
	if p.status != 200 || !strings.Contains(p.body, "for 30m?") || !strings.Contains(p.body, "until 2026-11-27 03:25 UTC") {
		t.Fatalf("GET silence link = %d, want its question for 30m and its expiry at 03:25\n%s", p.status, p.body)
	}
	if r := post(t, silence[0], phone, p.csrf(), d.LinksURL()); r.status != 200 {
		t.Fatalf("POST silence = %d\n%s", r.status, r.body)
	}
	var until []string
	for _, s := range d.Silences() {
		until = append(until, s.Rule+" "+s.Until.UTC().Format("15:04:05"))
	}
	if want := []string{"signup-burst 01:55:00", "signup-spread 01:55:00", "traffic-spike 01:55:00"}; !slices.Equal(until, want) {
		t.Errorf("silences %q, want %q (silence_for 30m)", until, want)
	}
	clock.add(2 * time.Hour)
	if p := get(t, silence[1], client{phoneUA, "203.0.113.8"}); p.status != 410 || !strings.Contains(p.body, "expired") {
		t.Errorf("GET a link two hours later = %d, want 410 expired\n%s", p.status, p.body)
	}
}

// TestAudit_linkSilenceRemovedRules: README, "A link is a capability": "A
// link of an action or rule a reload removed opens a page that says so".
// The firing message's "Silence 1h" names the incident's three rules; a
// reload that disables them leaves the link a clear refusal (410, no
// form), and its POST silences nothing; with one of them left, the page
// says the others are left out, and the POST silences that one only.
func TestAudit_linkSilenceRemovedRules(t *testing.T) {
	fs := testutil.NewFlagServer(t, "hmac-key")
	clock := &fakeClock{t: time.Date(2026, 11, 27, 1, 25, 0, 0, time.UTC)}
	d, slack, _, path, stop := linksDaemon(t, fs, clock)
	defer stop()
	writeUntil(t, sampleLines(t), 0, "27/Nov/2026:01:20:30", path)
	waitForLong(t, "the firing message", time.Minute, func() bool { return len(slackButtons(t, slack)["Silence 1h"]) > 0 })
	link := slackButtons(t, slack)["Silence 1h"][0]
	phone := client{phoneUA, "203.0.113.7"}
	form := get(t, link, phone).csrf()
	if form == "" {
		t.Fatal("the silence link's page has no form before the reload")
	}
	reload := func(disable string) {
		t.Helper()
		cfg, err := config.Parse("links.yaml", []byte("settings: {site: web-1, public: {listen: \"127.0.0.1:0\", allow_http: true}}\ndisable: ["+disable+"]\n"), os.LookupEnv)
		if err != nil {
			t.Fatal(err)
		}
		d.mu.Lock()
		out, notes, err := d.swap(cfg)
		d.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		d.send(out, notes)
	}

	reload("signup-burst, signup-spread, traffic-spike")
	p := get(t, link, phone)
	if p.status != 410 || p.csrf() != "" || !strings.Contains(p.body, "no longer in the running config") {
		t.Errorf("GET after the reload = %d, want 410, no longer in the running config, no form\n%s", p.status, p.body)
	}
	if r := post(t, link, phone, form, d.LinksURL()); r.status != 410 {
		t.Errorf("POST after the reload = %d, want 410", r.status)
	}
	if s := d.Silences(); len(s) != 0 {
		t.Errorf("silences %+v after a refused link, want none", s)
	}

	reload("signup-spread, traffic-spike")
	p = get(t, link, phone)
	if p.status != 200 || p.csrf() == "" || !strings.Contains(p.body, "Rules no longer in the running config are left out.") {
		t.Errorf("GET with one rule back = %d, want the page, saying the others are left out\n%s", p.status, p.body)
	}
	if r := post(t, link, phone, p.csrf(), d.LinksURL()); r.status != 200 {
		t.Fatalf("POST with one rule back = %d\n%s", r.status, r.body)
	}
	var silenced []string
	for _, s := range d.Silences() {
		silenced = append(silenced, s.Rule)
	}
	if want := []string{"signup-burst"}; !slices.Equal(silenced, want) {
		t.Errorf("silenced %q, want %q", silenced, want)
	}
}

// TestAudit_linkStopRemindersResolution: README, "Stop reminders": "no more
// reminders of this incident; its updates and resolution still go out".
// With reminders every minute, the firing message's "Stop reminders" is
// used; the rest of the flood brings no reminder, and the incident's
// resolution still reaches the channel.
func TestAudit_linkStopRemindersResolution(t *testing.T) {
	fs := testutil.NewFlagServer(t, "hmac-key")
	clock := &fakeClock{t: time.Date(2026, 11, 27, 1, 25, 0, 0, time.UTC)}
	d, slack, _, path, stop := linksDaemon(t, fs, clock, time.Minute)
	defer stop()
	lines := sampleLines(t)
	next := writeUntil(t, lines, 0, "27/Nov/2026:01:20:30", path)
	waitForLong(t, "the firing message", time.Minute, func() bool { return len(slackButtons(t, slack)["Stop reminders"]) > 0 })
	link := slackButtons(t, slack)["Stop reminders"][0]
	phone := client{phoneUA, "203.0.113.7"}
	p := get(t, link, phone)
	if r := post(t, link, phone, p.csrf(), d.LinksURL()); r.status != 200 {
		t.Fatalf("POST stop reminders = %d\n%s", r.status, r.body)
	}
	before := len(slack.Requests())
	clock.add(15 * time.Minute) // the wall clock follows the log
	writeUntil(t, lines, next, "", path)
	resolved := func() bool {
		return slices.ContainsFunc(slackTexts(t, slack)[before:], func(s string) bool { return strings.Contains(s, "Resolved after") })
	}
	waitForLong(t, "the resolution", time.Minute, resolved)
	for _, s := range slackTexts(t, slack)[before:] {
		if strings.Contains(s, "Still firing") {
			t.Errorf("reminded after Stop reminders: %q", s)
		}
	}
}
