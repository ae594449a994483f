package daemon

import (
	"slices"
	"time"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/server"
)

// The latencies of the way from a line to what it sets off
// (sentinel_latency_seconds, the status's latency): read_to_transition
// is taken in transition, the action's stages by the actions' Manager,
// the notifications' here, from the transitions a notification tells to
// its delivery. Durations are on the monotonic clock (time.Now), not the
// injected wall clock, which tests may stop.

// untoldKey is a rule's transitions to one state.
type untoldKey struct {
	rule  string
	state alert.State
}

// actionLatency records how long an application's first request waited
// after its firing, and how long its answer took.
func (d *Daemon) actionLatency(tm actions.Timing) {
	d.metrics.ObserveLatency(server.LatencyTransitionToAction, tm.Waited)
	if tm.Answered > 0 {
		d.metrics.ObserveLatency(server.LatencyActionResponse, tm.Answered)
	}
}

// noteTold notes which transitions a notification just built tells, and
// when the earliest was made: a first notification tells the firings of
// all its rules, an update those of the rules new to it, a resolution
// every transition of its rules not told yet (a flap's firing is told
// by none before it). Reminders tell none. The caller holds mu.
func (d *Daemon) noteTold(n alert.Alert) {
	inc := n.Incident
	if inc == nil || n.Reminder > 0 {
		return
	}
	var keys []untoldKey
	for _, m := range inc.Alerts {
		switch {
		case n.State == alert.Resolved:
			keys = append(keys, untoldKey{m.Rule, alert.Firing}, untoldKey{m.Rule, alert.Resolved})
		case inc.Update == 0 || slices.Contains(inc.New, m.Rule):
			keys = append(keys, untoldKey{m.Rule, alert.Firing})
		}
	}
	var first time.Time
	for _, k := range keys {
		if t, ok := d.untold[k]; ok {
			if first.IsZero() || t.Before(first) {
				first = t
			}
			delete(d.untold, k)
		}
	}
	if first.IsZero() {
		return
	}
	d.toldMu.Lock()
	defer d.toldMu.Unlock()
	if len(d.told) >= maxTold {
		for k, t := range d.told { // delivered long ago, or never
			if time.Since(t) > time.Hour {
				delete(d.told, k)
			}
		}
	}
	d.told[alerts.DeliveryKey(n)] = first
}

// maxTold is how many notifications' times are kept before those an hour
// old are forgotten.
const maxTold = 256

// delivered records how long after the earliest transition it tells a
// notification reached a notifier. Notifications restored after a
// restart, reminders and digests are not timed.
func (d *Daemon) delivered(_ string, n alert.Alert) {
	d.toldMu.Lock()
	first, ok := d.told[alerts.DeliveryKey(n)]
	d.toldMu.Unlock()
	if ok {
		d.metrics.ObserveLatency(server.LatencyTransitionToNotification, time.Since(first))
	}
}
