package detector

import (
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// absence is the [Absence] kind: it fires when no matching event came for
// the whole window, after at least one did. Its value is how long the
// silence has lasted, in seconds; its threshold is the window.
type absence struct {
	basicKind
	s *ruleState
}

func newAbsence(s *ruleState) kind {
	s.rule.Threshold = s.rule.Window.Seconds()
	return &absence{s: s}
}

func (k *absence) unit() alert.Unit { return alert.Silent }

func (k *absence) value(at time.Time) float64 {
	if !k.s.seen || k.s.w.total > 0 {
		return 0
	}
	return at.Sub(k.s.lastSeen).Seconds()
}

func (k *absence) ready() (bool, string) {
	if !k.s.seen {
		return false, "no event yet: nothing to miss"
	}
	return true, ""
}

// idle: a rule waiting for its silence is never idle; once it fires, or
// before anything came, nothing changes without an event.
func (k *absence) idle(st state) bool { return st == stateFiring || !k.s.seen }

// since: the silence began with the last event.
func (k *absence) since(time.Time) time.Time { return k.s.lastSeen }
