package detector

import "testing"

// TestAllCounts: the count per step over a ring of the longest window:
// sums of any span it covers, late events within it counted, steps it has
// left behind forgotten (and a late event past them not counted), and,
// after a restore, no answer for a span reaching before its first step.
func TestAllCounts(t *testing.T) {
	c := newAllCounts(10)
	if _, ok := c.sum(0, 5); ok {
		t.Error("an empty count answered")
	}
	for n := int64(100); n < 125; n++ {
		for range n - 99 { // step n: n-99 events
			c.add(n)
		}
	}
	c.add(120) // late, within the ring
	c.add(110) // late, past it: not counted
	for _, tt := range []struct {
		from, to int64
		want     uint64
		ok       bool
	}{
		{124, 124, 25, true},
		{115, 124, 16 + 17 + 18 + 19 + 20 + 21 + 22 + 23 + 24 + 25 + 1, true},
		{120, 121, 21 + 1 + 22, true},
		{110, 124, 0, false},      // longer than the ring
		{123, 130, 24 + 25, true}, // steps not yet seen count nothing
		// A fresh count answers for steps before its first: nothing was
		// there, and the rules' windows counted nothing either.
		{90, 95, 0, true},
	} {
		got, ok := c.sum(tt.from, tt.to)
		if got != tt.want || ok != tt.ok {
			t.Errorf("sum(%d, %d) = %d, %v, want %d, %v", tt.from, tt.to, got, ok, tt.want, tt.ok)
		}
	}
	r := newAllCounts(10)
	r.restored = true
	r.add(200)
	if _, ok := r.sum(195, 200); ok {
		t.Error("restored: answered for steps before its first")
	}
	if got, ok := r.sum(200, 200); !ok || got != 1 {
		t.Errorf("restored: sum(200, 200) = %d, %v, want 1, true", got, ok)
	}
}
