package detector

import (
	"fmt"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/detector/slidinghll"
)

// distinctCount counts the distinct values of a field over a rule's
// window: the measure of a [Distinct] rule, and the "from 4,812 IPs" of a
// rate rule's alert (Rule.DistinctOf). One sliding HyperLogLog
// ([slidinghll.Window]) over the ring's buckets: an event costs an insert,
// an estimate O(1), whatever the window's length, where merging a sketch
// per bucket cost 16 KiB of registers a bucket and a merge of each at
// every estimate.
type distinctCount struct {
	field *Field
	w     *window
	hll   *slidinghll.Window // steps are the window's bucket numbers
}

func newDistinctCount(f *Field, w *window) *distinctCount {
	return &distinctCount{field: f, w: w, hll: slidinghll.New(int64(len(w.ring)))}
}

// add counts ev's value of the field, if it has one, into ring slot slot.
func (d *distinctCount) add(slot int, ev *Event) {
	v := d.field.get(ev)
	if v == nil {
		return // an event without the field is no value (no "-" client)
	}
	h := uint64(0)
	if d.field.hllHash != nil {
		h = d.field.hllHash(ev) // the client's, once per event for every such rule
	} else {
		h = slidinghll.Hash(v)
	}
	d.hll.Insert(d.w.ring[slot].n, h)
}

// expired is the window's news that slot's bucket left it; the sketch
// expires its values when it is advanced past them.
func (d *distinctCount) expired(int) {}

// estimate returns the number of distinct values in the window.
func (d *distinctCount) estimate() uint64 {
	if !d.w.started() {
		return 0
	}
	d.hll.Advance(d.w.last)
	return d.hll.Estimate()
}

// save returns the sketch's encoding for a snapshot.
func (d *distinctCount) save() ([]byte, error) {
	if _, ok := d.hll.Newest(); !ok {
		return nil, nil
	}
	b, err := d.hll.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode distinct values: %w", err)
	}
	return b, nil
}

// load restores the sketch from a snapshot's encoding: nothing when it
// is empty, or of a window of another length.
func (d *distinctCount) load(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	var hll slidinghll.Window
	if err := hll.UnmarshalBinary(b); err != nil {
		return fmt.Errorf("decode distinct values: %w", err)
	}
	if hll.Span() == d.hll.Span() {
		d.hll = &hll
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

// live is a lower bound of the distinct values over the window ending at
// the event just counted: the sketch's estimate over the ring, less the
// events of the ring's oldest bucket, which straddles the window's start
// (it cannot hold more distinct values than events). O(1): the sketch
// keeps its estimate's sums up to date.
func (k *distinctKind) live(_ []byte, level float64) (float64, float64) {
	est, old := k.s.distinct.estimate(), k.s.w.oldestCount()
	if est <= old {
		return 0, level
	}
	return float64(est - old), level
}
