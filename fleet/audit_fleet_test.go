package fleet

import (
	"fmt"
	"testing"
	"time"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// TestAudit_backlogGaugeWhileRedisDown: README's metrics table:
// sentinel_fleet_backlog_deltas is the deltas waiting. While Redis is
// down, when the backlog grows, it must count them as `sentinel status`
// does, not show 0; once the backlog is sent, 0 again.
func TestAudit_backlogGaugeWhileRedisDown(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	a := startNode(t, "a", nodeConfig{url: r.URL()})
	waitFor(t, 5*time.Second, "a in fleet mode", func() bool { return a.n.Status().Mode == ModeFleet })
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	ip := func(i int) string { return fmt.Sprintf("10.0.0.%d", i) }
	flood(t, r, []*testNode{a}, at(0), 2)
	r.Kill()
	waitFor(t, 5*time.Second, "a in local mode", func() bool { return a.n.Status().Mode == ModeLocal })
	for s := 1; s < 6; s++ {
		a.second(at(s), 3, ip)
	}
	waitFor(t, 5*time.Second, "five deltas waiting", func() bool { return a.n.Status().Backlog == 5 })
	gauge := func() float64 { return promtest.ToFloat64(a.n.met.backlog) }
	// The node retries every 250 ms to 1 s here: time for a few tries.
	deadline := time.Now().Add(3 * time.Second)
	for gauge() != 5 {
		if time.Now().After(deadline) {
			t.Fatalf("sentinel_fleet_backlog_deltas %v while 5 deltas wait (status backlog %d)", gauge(), a.n.Status().Backlog)
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.Start()
	waitFor(t, 10*time.Second, "a back in fleet mode, its backlog sent", func() bool {
		st := a.n.Status()
		return st.Mode == ModeFleet && st.Backlog == 0
	})
	if got := gauge(); got != 0 {
		t.Errorf("sentinel_fleet_backlog_deltas %v once the backlog was sent, want 0", got)
	}
}
