package daemon

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/internal/delivery"
	"github.com/sentinel-dev/sentinel/internal/testutil"
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
