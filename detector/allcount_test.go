package detector

import (
	"fmt"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/parsers"
)

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

// TestAllCounts_outsizedSameBuckets: the share of all the requests is
// taken over the buckets the rule's count holds, the oldest included. A
// second of 1,000 page views and 25 failed log-ins on a 20 req/s site that
// then goes quiet: the failures are 2% of the window's requests, and the
// share floor must not take them for stuffing when that second is the
// window's oldest (a sum one bucket short left its 1,000 views out: 25 of
// 59, and the rule fired).
func TestAllCounts_outsizedSameBuckets(t *testing.T) {
	post := NewEquals(LookupField("method"), []string{"POST"})
	rule := Rule{Name: "fails", Type: Rate, Window: time.Minute, Severity: alert.Warning, Match: post,
		Baseline: &Baseline{Factor: 5, Floor: 1, ShareFloor: 0.3, Warmup: 30 * time.Minute, WarmupFloor: 8, WarmupShare: 0.4, HalfLife: 6 * time.Hour},
		Evidence: &Evidence{ShareOf: post, Share: 0.7}}
	var fired []alert.Alert
	eng, err := NewEngine([]Rule{rule}, Options{Emit: func(a alert.Alert) {
		if a.State == alert.Firing {
			fired = append(fired, a)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	var e parsers.Event
	send := func(at time.Duration, method string, i int) {
		e.Reset()
		e.Time, e.Method, e.ClientIP = t0.Add(at), []byte(method), fmt.Appendf(nil, "198.51.%d.%d", i/250%250, i%250)
		eng.Observe(&e)
	}
	for s := range 60 {
		for i := range 20 {
			send(time.Duration(s)*time.Second+time.Duration(i)*50*time.Millisecond, "GET", i)
		}
	}
	for i := range 1000 {
		send(60*time.Second+time.Duration(i)*time.Millisecond, "GET", i)
	}
	for i := range 25 {
		send(60*time.Second+time.Duration(i)*40*time.Millisecond, "POST", 1000+i)
	}
	for s := 61; s < 200; s++ {
		send(time.Duration(s)*time.Second, "GET", s)
	}
	eng.Flush()
	if len(fired) > 0 {
		t.Errorf("fired at +%v (%v against %v): 25 failures among 1,000 page views taken for stuffing", fired[0].Time.Sub(t0), fired[0].Value, fired[0].Threshold)
	}
}
