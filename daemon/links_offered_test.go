package daemon

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/links"
)

// messageButtons returns the labels of the URL buttons of each message a
// fake Slack got, in order; a message without buttons is left out.
func messageButtons(t *testing.T, rc *testutil.Receiver) [][]string {
	t.Helper()
	var out [][]string
	for _, req := range rc.Requests() {
		var m struct {
			Blocks []struct {
				Type     string
				Elements []struct {
					Type string
					Text json.RawMessage
				}
			}
		}
		if err := json.Unmarshal(req.Body, &m); err != nil {
			t.Fatalf("slack body %s: %v", req.Body, err)
		}
		var labels []string
		for _, b := range m.Blocks {
			for _, e := range b.Elements {
				var text struct{ Text string }
				if b.Type == "actions" && e.Type == "button" && json.Unmarshal(e.Text, &text) == nil {
					labels = append(labels, text.Text)
				}
			}
		}
		if len(labels) > 0 {
			slices.Sort(labels)
			out = append(out, labels)
		}
	}
	return out
}

// TestDaemon_linksOffered: README, "Acting from your phone": Run is
// offered while the incident fires for an action of its rules that is not
// on (also one in dry run); Revert while its remedy is on, also in the
// resolution; Silence while it fires; Stop reminders only with
// remind_every. And docs/links.md, outcome refused: "the remedy is on
// already (or not on, for a revert)".
func TestDaemon_linksOffered(t *testing.T) {
	fs := testutil.NewFlagServer(t, "hmac-key")
	clock := &fakeClock{t: time.Date(2026, 11, 27, 1, 25, 0, 0, time.UTC)}
	d, slack, stateDir, path, stop := linksDaemon(t, fs, clock)
	defer stop()
	lines := sampleLines(t)
	next := writeUntil(t, lines, 0, "27/Nov/2026:01:20:30", path)
	waitForLong(t, "the firing message", time.Minute, func() bool { return len(messageButtons(t, slack)) > 0 })
	if got, want := messageButtons(t, slack)[0], []string{"Run signups-off now", "Silence 1h"}; !slices.Equal(got, want) {
		t.Errorf("firing message buttons %q, want %q (the action in dry run: no revert; no remind_every: no stop)", got, want)
	}
	runLink := slackButtons(t, slack)["Run signups-off now"][0]
	tok, _, err := links.ParseToken(strings.TrimPrefix(runLink, d.LinksURL()+"/l/"))
	if err != nil {
		t.Fatal(err)
	}
	issue := func(v links.Verb) string {
		l, err := d.links.Issue("ops-slack", links.Offer{Verb: v, Targets: []string{"signups-off"}, Episode: tok.Episode})
		if err != nil {
			t.Fatal(err)
		}
		return l.URL
	}

	// A revert of a remedy in dry run: not on.
	phone := client{phoneUA, "203.0.113.7"}
	if p := get(t, issue(links.Revert), phone); p.status != 409 || p.csrf() != "" || !strings.Contains(p.body, "signups-off is not on") {
		t.Errorf("GET revert while only in dry run = %d, want 409, not on, no form\n%s", p.status, p.body)
	}
	// Made real from the link; another run link is then refused: on already.
	p := get(t, runLink, phone)
	if r := post(t, runLink, phone, p.csrf(), d.LinksURL()); r.status != 200 {
		t.Fatalf("POST run = %d\n%s", r.status, r.body)
	}
	if p := get(t, issue(links.Run), client{phoneUA, "203.0.113.8"}); p.status != 409 || p.csrf() != "" || !strings.Contains(p.body, "signups-off is on already") {
		t.Errorf("GET run while on = %d, want 409, on already, no form\n%s", p.status, p.body)
	}
	var reasons []string
	for _, e := range auditOutcomes(t, stateDir) {
		if e.Outcome == links.OutcomeRefused {
			reasons = append(reasons, e.Verb+" "+e.Reason)
		}
	}
	if want := []string{"revert not on", "run on"}; !slices.Equal(reasons, want) {
		t.Errorf("refused audit entries %q, want %q", reasons, want)
	}

	// The resolution offers the revert alone.
	writeUntil(t, lines, next, "27/Nov/2026:01:23:00", path)
	waitForLong(t, "the resolution", time.Minute, func() bool {
		return len(slackButtons(t, slack)["Revert signups-off now"]) > 0
	})
	msgs := messageButtons(t, slack)
	if got, want := msgs[len(msgs)-1], []string{"Revert signups-off now"}; !slices.Equal(got, want) {
		t.Errorf("resolution buttons %q, want %q (nothing fires: no run, no silence)", got, want)
	}
	for _, m := range msgs {
		if slices.Contains(m, "Run signups-off now") && slices.Contains(m, "Revert signups-off now") {
			t.Errorf("a message offers both run and revert: %q", m)
		}
	}

	// README, "Kill switch": the pause holds back links' runs; reverts
	// still work.
	d.act.Pause()
	defer d.act.Resume()
	revert := slackButtons(t, slack)["Revert signups-off now"][0]
	phone2 := client{phoneUA, "203.0.113.9"}
	rp := get(t, revert, phone2)
	if r := post(t, revert, phone2, rp.csrf(), d.LinksURL()); r.status != 200 || !strings.Contains(r.body, "Done: signups-off reverted") {
		t.Errorf("POST revert while actions are paused = %d, want it done\n%s", r.status, r.body)
	}
	if reqs := fs.Requests(); len(reqs) != 2 || reqs[1].Body != `{"enabled": true}` {
		t.Errorf("flag requests %+v, want the run, then the revert made during the pause", reqs)
	}
}
