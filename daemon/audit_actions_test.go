package daemon

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/delivery"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// TestAudit_actionCrashSameKey: docs/actions.md, "The apply's request
// leaves as soon as its rule fires, before the state that records it is
// saved: a crash in between reads the lines again after the restart,
// fires on the same line, and makes the request again with the same
// idempotency key." The crash is played by a restart without the state
// the first run saved.
func TestAudit_actionCrashSameKey(t *testing.T) {
	fs := testutil.NewFlagServer(t, "hmac-key")
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	clock := &fakeClock{t: time.Date(2026, 11, 27, 1, 25, 0, 0, time.UTC)}
	cfg := actionsConfig(t, fs.URL, fs.URL)
	cfg.Actions = cfg.Actions[:1]
	stateDir := filepath.Join(dir, "state")
	opts := Options{Config: cfg, Sources: []Source{{Pattern: path, Format: "auto"}}, StateDir: stateDir,
		FromStart: true, Now: clock.now, ActionBackoff: 10 * time.Millisecond}
	in, err := os.ReadFile(filepath.Join("..", "samples", "signup-flood.log"))
	if err != nil {
		t.Fatal(err)
	}
	var head strings.Builder
	for _, l := range strings.SplitAfter(string(in), "\n") {
		if strings.Contains(l, "27/Nov/2026:01:20:4") {
			break
		}
		head.WriteString(l)
	}
	if err := os.WriteFile(path, []byte(head.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stop1 := start(t, opts)
	waitFor(t, "the flag off", func() bool { return len(fs.Requests()) == 1 })
	stop1()
	if err := os.RemoveAll(stateDir); err != nil { // the state that recorded the apply never saved
		t.Fatal(err)
	}
	_, stop2 := start(t, opts)
	defer stop2()
	waitFor(t, "the apply made again", func() bool { return len(fs.Requests()) == 2 })
	reqs := fs.Requests()
	if reqs[0].Key == "" || reqs[0].Key != reqs[1].Key {
		t.Errorf("idempotency keys %q and %q, want the same", reqs[0].Key, reqs[1].Key)
	}
}

// TestAudit_heldBackStillPages: docs/actions.md, "Guardrails": "a firing
// they hold back is logged and audited as skipped, and still pages you";
// the pause holds back likewise. With the actions paused, the founding
// flood makes no request, audits each action's firing as skipped, and
// its page reaches the receivers as it would without actions.
func TestAudit_heldBackStillPages(t *testing.T) {
	fs := testutil.NewFlagServer(t, "hmac-key")
	rc := newReceivers(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	cfg := actionsConfig(t, fs.URL, fs.URL)
	cfg.Settings.Site, cfg.Settings.Labels = "web-1", map[string]string{"env": "prod"} // as rc.got asks
	if err := cfg.AddEnvNotifiers(rc.env); err != nil {
		t.Fatal(err)
	}
	d, stop := start(t, Options{Config: cfg, Sources: []Source{{Pattern: path, Format: "auto"}}, StateDir: filepath.Join(dir, "state"),
		FromStart: true})
	defer stop()
	if err := d.PauseActions(true); err != nil {
		t.Fatal(err)
	}
	n := copySample(t, filepath.Join("..", "samples", "signup-flood.log"), path)
	waitForLong(t, "every line", time.Minute, func() bool { return d.Events() == uint64(n) })
	waitForLong(t, "the page", time.Minute, func() bool {
		return len(rc.hook.Requests()) >= 1 && len(rc.slack.Requests()) >= 1 && len(rc.ntfy.Requests()) >= 1 && len(rc.smtp.Mails()) >= 1
	})
	if got := rc.got(t)["webhook"]; got[0].state != "firing" || !slices.Contains(got[0].rules, "signup-burst") {
		t.Errorf("first webhook notification %+v, want the flood's firing", got[0])
	}
	if reqs := fs.Requests(); len(reqs) != 0 {
		t.Errorf("the flag service got %d requests while the actions were paused", len(reqs))
	}
	skipped := map[string]string{}
	for _, e := range d.Status().Actions.Recent {
		if e.Outcome == delivery.Skipped {
			skipped[e.Action] = e.Reason
		}
	}
	for _, name := range []string{"signups-off", "block"} {
		if r := skipped[name]; !strings.HasPrefix(r, "paused") {
			t.Errorf("audit of %s: skipped reason %q, want paused (entries: %+v)", name, r, d.Status().Actions.Recent)
		}
	}
}
