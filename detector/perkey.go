package detector

import (
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// perKey is a [Rate] rule with PerKey: the busiest group_by key's rate,
// fail2ban's maxretry/findtime, sliding. The key's count is the
// Space-Saving lower bound, so that the sketch's error never fires it.
type perKey struct {
	basicKind
	s *ruleState
}

func (k *perKey) unit() alert.Unit { return alert.PerSecond }

func (k *perKey) value(time.Time) float64 {
	return float64(k.s.w.busiest()) / k.s.rule.Window.Seconds()
}

// live is the event's key's lower-bound count over the window up to the
// event. The busiest complete count plus the key's count in the newest
// bucket bounds it from above for free: only a key that might cross is
// looked up.
func (k *perKey) live(key []byte, level float64) float64 {
	w := &k.s.w
	secs := k.s.rule.Window.Seconds()
	if key == nil {
		return 0
	}
	count, err := w.ring[w.lastIdx].keys.Added()
	if float64(w.busiest()+count-min(err, count))/secs < level {
		return 0
	}
	return float64(w.liveKeyCount(key)) / secs
}

func (k *perKey) fill(a *alert.Alert) { a.PerKey = true }
