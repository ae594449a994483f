package daemon

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
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
