package detector

import (
	"fmt"
	"time"

	"github.com/axiomhq/hyperloglog"

	"github.com/sentinel-dev/sentinel/alert"
)

// distinctCount counts the distinct values of a field over a rule's
// window: the measure of a [Distinct] rule, and the "from 4,812 IPs" of a
// rate rule's alert (Rule.DistinctOf). One HyperLogLog sketch per ring
// slot, made by its first value.
type distinctCount struct {
	field  *Field
	w      *window
	slots  []*hyperloglog.Sketch
	merged *hyperloglog.Sketch
}

func newDistinctCount(f *Field, w *window) *distinctCount {
	return &distinctCount{field: f, w: w, slots: make([]*hyperloglog.Sketch, len(w.ring))}
}

// add counts ev's value of the field, if it has one, into ring slot slot.
func (d *distinctCount) add(slot int, ev *Event) {
	v := d.field.get(ev)
	if v == nil {
		return // an event without the field is no value (no "-" client)
	}
	if d.slots[slot] == nil {
		d.slots[slot] = hyperloglog.New14()
	}
	d.slots[slot].Insert(v)
}

func (d *distinctCount) expired(slot int) {
	if d.slots[slot] != nil {
		d.slots[slot].Reset()
	}
}

// estimate returns the number of distinct values in the window.
func (d *distinctCount) estimate() uint64 {
	if d.merged == nil {
		d.merged = hyperloglog.New14()
	}
	d.merged.Reset()
	for i, sk := range d.slots {
		if sk != nil && d.w.ring[i].count > 0 {
			_ = d.merged.Merge(sk) // same precision by construction
		}
	}
	return d.merged.Estimate()
}

func (d *distinctCount) saveSlot(slot int, bs *BucketSnapshot) error {
	if d.slots[slot] == nil {
		return nil
	}
	b, err := d.slots[slot].MarshalBinary()
	if err != nil {
		return fmt.Errorf("encode sketch: %w", err)
	}
	bs.HLL = b
	return nil
}

func (d *distinctCount) loadSlot(slot int, bs *BucketSnapshot) error {
	if len(bs.HLL) == 0 {
		return nil
	}
	if d.slots[slot] == nil {
		d.slots[slot] = hyperloglog.New14()
	}
	if err := d.slots[slot].UnmarshalBinary(bs.HLL); err != nil {
		return fmt.Errorf("decode sketch: %w", err)
	}
	return nil
}

// distinctKind is the [Distinct] kind: the number of distinct values of
// the rule's Field over the window (HyperLogLog, within about 1%).
type distinctKind struct {
	basicKind
	s *ruleState
}

func newDistinctKind(s *ruleState) kind { return &distinctKind{s: s} }

func (k *distinctKind) unit() alert.Unit { return alert.Distinct }

func (k *distinctKind) value(time.Time) float64 {
	if k.s.w.total == 0 {
		return 0
	}
	return float64(k.s.distinct.estimate())
}
