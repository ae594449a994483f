package detector

import (
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// rate is the [Rate] kind: matching events per second over the window.
type rate struct {
	basicKind
	s *ruleState
}

func newRate(s *ruleState) kind {
	if !s.rule.PerKey {
		return &rate{s: s}
	}
	k := &perKey{s: s}
	if b := s.rule.Baseline; b != nil {
		k.norms = newKeyNormals(b, time.Duration(s.w.width)*s.opts.Resolution)
		k.norms.arriving = s.w.arriving
		if b.OneAgentIsClient {
			k.agents = newAgentMarks(&s.w)
			k.norms.program = k.agents.program
		}
		if b.KeyOrdinaryShare > 0 && s.ev != nil && s.ev.ofKeys != nil {
			k.norms.ordinary = func(key []byte) bool { return s.ev.ordinaryKey(key, b.KeyOrdinaryShare) }
		}
		return perKeyLearned{k}
	}
	return k
}

func (k *rate) unit() alert.Unit { return alert.PerSecond }

func (k *rate) value(time.Time) float64 {
	n := k.s.w.total
	if k.s.bursts != nil {
		n -= k.s.outOf(false)
	}
	return float64(n) / k.s.rule.Window.Seconds()
}

func (k *rate) live(_ []byte, level float64) (float64, float64) {
	n := k.s.w.liveTotal()
	if k.s.bursts != nil {
		n -= k.s.outOf(true)
	}
	return float64(n) / k.s.rule.Window.Seconds(), level
}

// fill sets the rate in the newest complete bucket alone: the window's
// average lags the first seconds of a burst.
// (or, for an alert fired on an event, in the bucket being filled, if
// more): the window's average lags the first seconds of a burst.
func (k *rate) fill(a *alert.Alert) {
	secs := (time.Duration(k.s.w.width) * k.s.opts.Resolution).Seconds()
	if n, ok := k.s.w.lastComplete(); ok {
		a.Current = round(float64(n) / secs)
	}
	if k.s.onEvent {
		a.Current = max(a.Current, round(float64(k.s.w.ring[k.s.w.lastIdx].count)/secs))
	}
}
