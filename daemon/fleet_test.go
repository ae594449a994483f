package daemon

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/fleet"
	rtest "github.com/sentinel-dev/sentinel/internal/testutil"
)

// TestDaemon_fleet: the fleet's hook. A daemon with settings.fleet joins
// the fleet of a real redis-server, takes the lease (it is alone), and the
// sign-up flood's alert is the fleet's (from the evaluator, without the
// engine's sample lines) while its own engine's transitions of the fleet
// rules are held back; the status and the metrics show the fleet; Redis
// stopped, it falls back and delivers the firing its engine held.
func TestDaemon_fleet(t *testing.T) {
	if testing.Short() {
		t.Skip("writes in real time for a few seconds")
	}
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := rtest.StartRedis(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := newLogWriter(t, path)
	cfg := config.Default()
	cfg.Settings.Fleet = fleet.Settings{Redis: r.URL(), Site: "shop", Node: "web-1", Lease: 2 * time.Second, From: "test"}
	var rec recorder
	d, stop := start(t, Options{Config: cfg, Sources: []Source{{Pattern: path, Format: "combined"}}, StateDir: filepath.Join(dir, "state"),
		FromStart: true, Emit: rec.emit})
	defer stop()
	waitFor(t, "fleet mode", func() bool { st := d.Status(); return st.Fleet != nil && st.Fleet.Mode == fleet.ModeFleet })
	w.normal(t, 20, time.Second)
	w.attack(t, 240, 4*time.Second)
	waitFor(t, "the fleet's sign-up alert", func() bool { _, _, n := rec.first("signup-burst", alert.Firing); return n > 0 })
	a, _, n := rec.first("signup-burst", alert.Firing)
	if n != 1 || len(a.Samples) != 0 || a.Count == 0 || a.Value < a.Threshold {
		t.Errorf("signup-burst firing %d times, first %+v: want the fleet's, once", n, a)
	}
	st := d.Status()
	if f := st.Fleet; f == nil || !f.Evaluating || f.Evaluator != "web-1" || len(f.Nodes) != 1 || f.RTTSeconds <= 0 {
		t.Errorf("status fleet = %+v", st.Fleet)
	}
	mfs, err := d.Metrics().Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	if all := strings.Join(names, " "); !strings.Contains(all, "sentinel_fleet_mode") || !strings.Contains(all, "sentinel_fleet_round_trips_total") {
		t.Errorf("metrics lack the fleet's series: %s", all)
	}
	r.Kill()
	waitFor(t, "local mode", func() bool { return d.Status().Fleet.Mode == fleet.ModeLocal })
	waitFor(t, "the engine's own firing, held back until now", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, a := range rec.got {
			if a.Rule == "signup-burst" && a.State == alert.Firing && len(a.Samples) > 0 {
				return true
			}
		}
		return false
	})
}
