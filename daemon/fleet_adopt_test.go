package daemon

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/fleet"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// TestDaemon_fleetAdopt: README, "Takeover": the firing fleet rules are
// handed to the new evaluator's actions: a remedy the previous evaluator
// applied is applied again (remedies are idempotent), and reverted when
// the rule resolves; nothing is notified or written at the takeover (the
// incident is taken as told).
func TestDaemon_fleetAdopt(t *testing.T) {
	fs := testutil.NewFlagServer(t, "hmac-key")
	cfg := actionsConfig(t, fs.URL, fs.URL)
	cfg.Actions = cfg.Actions[:1] // signups-off: the flag off, back on after 10 minutes of quiet
	dir := t.TempDir()
	var rec recorder
	d, stop := start(t, Options{Config: cfg, Sources: []Source{{Pattern: filepath.Join(dir, "access.log"), Format: "combined"}},
		StateDir: filepath.Join(dir, "state"), Emit: rec.emit, ActionBackoff: 10 * time.Millisecond})
	defer stop()
	at := time.Date(2026, 11, 27, 1, 20, 0, 0, time.UTC)
	d.fleetAdopt([]alert.Alert{{Rule: "signup-burst", State: alert.Firing, Severity: alert.Warning, Time: at, Since: at,
		Value: 40, Threshold: 15}})
	waitFor(t, "the flag off: the remedy applied again", func() bool { return !fs.On() })
	if reqs := fs.Requests(); len(reqs) != 1 || reqs[0].Method != "PATCH" || reqs[0].Body != `{"enabled": false, "rule": "signup-burst"}` {
		t.Errorf("flag requests %+v, want the apply", reqs)
	}
	d.fleetDeliver(func() []alert.Alert {
		return []alert.Alert{{Rule: "signup-burst", State: alert.Resolved, Severity: alert.Warning, Time: at.Add(time.Minute), Since: at}}
	})
	waitFor(t, "the episode quiet, its revert due", func() bool {
		eps := d.Status().Actions.Episodes
		return len(eps) == 1 && eps[0].RevertAt.Equal(at.Add(11*time.Minute))
	})
	if _, _, n := rec.first("signup-burst", alert.Firing); n != 0 {
		t.Errorf("the adopted firing was written %d times, want none", n)
	}
	if _, _, n := rec.first("signup-burst", alert.Resolved); n != 1 {
		t.Errorf("the fleet's resolved written %d times, want once", n)
	}
}

// TestDaemon_fleetRelease: a fleet's evaluator whose lease passed to
// another node lets go of the fleet rules it followed (fleet's
// Options.Release): their incident closes without a notification and
// their remedy's episode ends without a revert, both the new evaluator's.
// When this node evaluates again later and the rule fires anew, that is a
// new incident, which pages, and the remedy is applied again: kept, the
// old incident would have taken the firing as a flap (no page) and the
// old episode as its remedy still on (no apply).
func TestDaemon_fleetRelease(t *testing.T) {
	fs := testutil.NewFlagServer(t, "hmac-key")
	cfg := actionsConfig(t, fs.URL, fs.URL)
	cfg.Actions = cfg.Actions[:1] // signups-off
	hook := testutil.NewReceiver(t)
	n, err := alerts.NewWebhook(alerts.WebhookOptions{URL: hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var rec recorder
	d, stop := start(t, Options{Config: cfg, Sources: []Source{{Pattern: filepath.Join(dir, "access.log"), Format: "combined"}},
		StateDir: filepath.Join(dir, "state"), Emit: rec.emit, ActionBackoff: 10 * time.Millisecond,
		Routes: []alerts.Route{{Name: "hook", Notifier: n}}})
	defer stop()
	at := time.Date(2026, 11, 27, 1, 20, 0, 0, time.UTC)
	fire := func(at time.Time) {
		d.fleetDeliver(func() []alert.Alert {
			return []alert.Alert{{Rule: "signup-burst", State: alert.Firing, Severity: alert.Warning, Time: at, Since: at, Value: 40, Threshold: 15}}
		})
	}
	incidents := func() []alerts.OpenIncident {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.group.Open()
	}
	fire(at)
	waitFor(t, "the flag off", func() bool { return !fs.On() })
	if inc, eps := incidents(), d.Status().Actions.Episodes; len(inc) != 1 || len(eps) != 1 {
		t.Fatalf("after the fleet's firing: %d incidents, %d episodes; want one of each", len(inc), len(eps))
	}

	d.fleetRelease([]string{"signup-burst"})
	if inc, eps := incidents(), d.Status().Actions.Episodes; len(inc) != 0 || len(eps) != 0 {
		t.Errorf("released: incidents %+v, episodes %+v; want none", inc, eps)
	}

	// Later, this node evaluates again; the rule fires anew (the other
	// evaluator resolved it and turned the flag back on meanwhile).
	again := at.Add(30 * time.Minute)
	fire(again)
	waitFor(t, "the remedy applied again", func() bool { return len(fs.Requests()) == 2 })
	for i, r := range fs.Requests() {
		if r.Method != "PATCH" || r.Body != `{"enabled": false, "rule": "signup-burst"}` {
			t.Errorf("flag request %d: %s %s, want the apply (no revert from this node)", i, r.Method, r.Body)
		}
	}
	if inc := incidents(); len(inc) != 1 || !inc[0].Since.Equal(again) || inc[0].Sent != 0 {
		t.Errorf("incidents after the new firing: %+v; want a new one since %s, not yet told (its first page due)", inc, again)
	}
	if reqs := hook.Requests(); len(reqs) != 0 {
		t.Errorf("the release sent %d notifications, want none", len(reqs))
	}
}

// TestDaemon_fleetRestartLeavesRemedy: the evaluator restarts mid-incident
// (a deploy) and another node takes the lease meanwhile. The remedy's
// episode was saved with the fleet rule firing: restored, the rule is not
// taken as quiet for want of the restored engine firing it (that would
// revert the remedy after revert_after while the fleet still fires); the
// node, back in the fleet under the other evaluator, lets go of it, and
// nothing is reverted here: the new evaluator, which adopted the rule,
// reverts the remedy when it resolves.
func TestDaemon_fleetRestartLeavesRemedy(t *testing.T) {
	if testing.Short() {
		t.Skip("waits on a real Redis's lease for a few seconds")
	}
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	fs := testutil.NewFlagServer(t, "hmac-key")
	cfg := actionsConfig(t, fs.URL, fs.URL)
	cfg.Actions = cfg.Actions[:1] // signups-off
	cfg.Settings.Fleet = fleet.Settings{Redis: r.URL(), Site: "shop", Node: "web-1", Lease: 2 * time.Second, From: "test"}
	dir := t.TempDir()
	opts := Options{Config: cfg, Sources: []Source{{Pattern: filepath.Join(dir, "access.log"), Format: "combined"}},
		StateDir: filepath.Join(dir, "state"), Emit: func(alert.Alert) error { return nil }, ActionBackoff: 10 * time.Millisecond}
	d, stop := start(t, opts)
	if !d.fleetRule("signup-burst") {
		t.Fatal("signup-burst is no fleet rule in the defaults")
	}
	waitFor(t, "web-1 evaluating", func() bool { st := d.Status(); return st.Fleet != nil && st.Fleet.Evaluating })
	at := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	d.fleetDeliver(func() []alert.Alert {
		return []alert.Alert{{Rule: "signup-burst", State: alert.Firing, Severity: alert.Warning, Time: at, Since: at, Value: 40, Threshold: 15}}
	})
	waitFor(t, "the flag off", func() bool { return !fs.On() })
	stop() // saved; its goodbye frees the lease

	other, err := fleet.New(fleet.Options{Settings: fleet.Settings{Redis: r.URL(), Site: "shop", Node: "web-2", Lease: 2 * time.Second, From: "test"},
		Rules: cfg.Rules, Engine: cfg.EngineOptions(), Deliver: func(take func() []alert.Alert) { take() }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = other.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "web-2 evaluating", func() bool { return other.Status().Evaluating })

	d, stop = start(t, opts)
	defer stop()
	waitFor(t, "web-1 back, web-2 evaluating", func() bool {
		st := d.Status()
		return st.Fleet != nil && st.Fleet.Mode == fleet.ModeFleet && st.Fleet.Evaluator == "web-2"
	})
	waitFor(t, "the episode let go of", func() bool { return len(d.Status().Actions.Episodes) == 0 })
	if reqs := fs.Requests(); len(reqs) != 1 {
		t.Errorf("flag requests %+v, want the apply alone (no revert from web-1)", reqs)
	}
}
