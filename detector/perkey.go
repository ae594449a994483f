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

func (k *perKey) fill(a *alert.Alert) { a.PerKey = true }
