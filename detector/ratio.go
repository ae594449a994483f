package detector

import (
	"fmt"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// ratio is the [Ratio] kind: the share of the window's matching events
// that also pass the rule's Of filter (5xx among all requests).
type ratio struct {
	basicKind
	s    *ruleState
	hits []uint64 // per ring slot: events that passed Of
	sum  uint64   // Σ hits over the window
}

func newRatio(s *ruleState) kind {
	return &ratio{s: s, hits: make([]uint64, len(s.w.ring))}
}

func (k *ratio) unit() alert.Unit { return alert.Share }

func (k *ratio) add(slot int, ev *Event) {
	if k.s.rule.Of.Match(ev) {
		k.hits[slot]++
		k.sum++
	}
}

func (k *ratio) expired(slot int) {
	k.sum -= k.hits[slot]
	k.hits[slot] = 0
}

func (k *ratio) value(time.Time) float64 {
	if k.s.w.total == 0 {
		return 0
	}
	return float64(k.sum) / float64(k.s.w.total)
}

// ready holds the rule back below MinEvents: three requests at night, two
// of them errors, are not a surge.
func (k *ratio) ready() (bool, string) {
	if min := k.s.rule.MinEvents; k.s.w.total < min {
		return false, fmt.Sprintf("%d events, under min_events %d", k.s.w.total, min)
	}
	return true, ""
}

func (k *ratio) fill(a *alert.Alert) { a.Hits = k.sum }

func (k *ratio) saveSlot(slot int, bs *BucketSnapshot) error {
	bs.Hits = k.hits[slot]
	return nil
}

func (k *ratio) loadSlot(slot int, bs *BucketSnapshot) error {
	k.hits[slot] = bs.Hits
	k.sum += bs.Hits
	return nil
}
