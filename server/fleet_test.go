package server

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/fleet"
)

func fleetStatus() Status {
	at := time.Date(2026, 11, 27, 1, 20, 0, 0, time.UTC)
	st := Status{Version: "v0.9.0", Started: at.Add(-time.Hour), Config: "/etc/sentinel/sentinel.yaml"}
	st.Fleet = &fleet.Status{
		Site: "shop", Node: "web-3", Redis: "rediss://sentinel:xxxxx@redis.internal:6380/0", Mode: fleet.ModeLocal,
		Since: at, Reason: "redis: no answer within the timeout (down, paused or slow)", Evaluator: "web-1",
		RTTSeconds: 0.000412, Clock: at.Add(5 * time.Second), Evaluated: at.Add(-2 * time.Second),
		Nodes: []fleet.NodeStatus{{Name: "web-1", LastSeenSeconds: 0.2, Clock: at.Add(5 * time.Second)},
			{Name: "web-\x1b[2", LastSeenSeconds: 41, Clock: at.Add(-36 * time.Second)}},
		Backlog: 12, Late: 3, Dropped: 0, Unconfirmed: 1,
	}
	return st
}

// TestWriteStatus_fleet: the fleet's part of `sentinel status`: the mode
// and why, the evaluator, Redis's round trip (the URL as redacted), the
// deltas not counted, the nodes (a hostile name escaped).
func TestWriteStatus_fleet(t *testing.T) {
	var b bytes.Buffer
	if err := WriteStatus(&b, fleetStatus()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "fleet", b.Bytes())
	if strings.Contains(b.String(), "\x1b") {
		t.Errorf("a raw escape reached the terminal")
	}
}

// TestWriteStatus_fleetStale: fallen back to local rules, the evaluator
// and the nodes are what Redis told before the fallback, and the status
// says so; in fleet mode they are today's.
func TestWriteStatus_fleetStale(t *testing.T) {
	for _, tt := range []struct {
		mode      string
		want, not []string
	}{
		{fleet.ModeLocal, []string{"evaluator web-1 (as Redis last told, before the fallback);", "2 nodes seen in the minute before the fallback (as Redis last told):", "0.2s before it"}, []string{" ago"}},
		{fleet.ModeFleet, []string{"evaluator web-1;", "2 nodes seen in the last minute:", "0.2s ago"}, []string{"before the fallback"}},
	} {
		st := fleetStatus()
		st.Fleet.Mode, st.Fleet.Reason = tt.mode, ""
		var b bytes.Buffer
		if err := WriteStatus(&b, st); err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: status lacks %q:\n%s", tt.mode, w, b.String())
			}
		}
		for _, w := range tt.not {
			if strings.Contains(b.String(), w) {
				t.Errorf("%s: status has %q:\n%s", tt.mode, w, b.String())
			}
		}
	}
}
