package detector

import (
	"fmt"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/parsers"
)

// TestFleet_deltasAndRemote: two nodes each see half of a flood; their
// engines hand over per-bucket deltas; a fleet evaluator sums them into
// the shared window and evaluates the rule with [Remote]. The fleet sees
// the whole flood that neither node sees alone, fires at the boundary
// after the crossing and resolves when one engine over all the lines does.
func TestFleet_deltasAndRemote(t *testing.T) {
	s := time.Second
	ip := ipField()
	rule := Rule{Name: "signups", Type: Rate, Window: 10 * s, Threshold: 15, GroupBy: ip, DistinctOf: ip, Fleet: true, Fingerprint: "f"}
	// 20/s for 30 s from 400 addresses, then quiet; alternate lines go to
	// each node. Either node alone sees 10/s: under the threshold.
	var lines []ev
	for i := range 600 {
		lines = append(lines, ev{at: 10*s + time.Duration(i)*s/20, ip: fmt.Sprintf("10.0.%d.%d", i%400/250, i%400%250)})
	}
	lines = append(lines, ev{at: 90 * s, ip: "192.0.2.1"})

	type bucket struct {
		count  uint64
		hashes map[uint64]bool
	}
	shared := map[int64]*bucket{}
	var nodes [2]*Engine
	var local []alert.Alert
	for i := range nodes {
		r := rule
		var err error
		nodes[i], err = NewEngine([]Rule{r}, Options{
			Emit: func(a alert.Alert) { local = append(local, a) },
			Delta: func(d Delta) {
				b := shared[d.Bucket]
				if b == nil {
					b = &bucket{hashes: map[uint64]bool{}}
					shared[d.Bucket] = b
				}
				b.count += d.Count
				for _, h := range d.Hashes {
					b.hashes[h] = true
				}
				if d.Width != s || !d.Start.Equal(time.Unix(d.Bucket, 0).UTC()) || len(d.Keys) == 0 {
					t.Errorf("delta %+v", d)
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
	}
	remote, err := NewRemote([]Rule{rule}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var fleet []transition
	var e parsers.Event
	evaluate := func(b int64) { // the evaluator at boundary b: the window's complete buckets
		var m Measure
		union := map[uint64]bool{}
		for n := b - 10; n < b; n++ {
			if x := shared[n]; x != nil {
				m.Count += x.count
				for h := range x.hashes {
					union[h] = true
				}
			}
		}
		m.Value, m.Distinct = float64(m.Count)/10, uint64(len(union))
		a, ok, err := remote.Evaluate("signups", time.Unix(b, 0).UTC(), m)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			fleet = append(fleet, transition{a.State, a.Time.Sub(t0), a.Value})
			if a.State == alert.Firing && (a.Distinct != a.Count || a.Count < 150) {
				t.Errorf("fleet alert: %d events from %d distinct, want the 150 and more of both nodes, each from its own address", a.Count, a.Distinct)
			}
		}
	}
	next := t0.Unix() + 1
	for i, x := range lines {
		e.Reset()
		e.Time, e.ClientIP = t0.Add(x.at), []byte(x.ip)
		nodes[i%2].Observe(&e)
		if x.at == 90*s {
			nodes[(i+1)%2].Observe(&e) // both nodes' clocks move on
		}
		// The evaluator waits for a boundary until every node has passed
		// it (so every delta of the bucket before it has come).
		passed := min(nodes[0].Clock().Unix(), nodes[1].Clock().Unix())
		for ; next <= passed; next++ {
			evaluate(next)
		}
	}
	if len(local) != 0 {
		t.Errorf("a node alone fired: %v", local)
	}
	// One engine over every line fires on the crossing event and resolves
	// at a boundary; the fleet fires at the boundary after and resolves
	// at the same one.
	whole, _, _ := replay(t, rule, lines, Options{})
	if len(whole) != 2 || len(fleet) != 2 {
		t.Fatalf("one engine %v, fleet %v: want one episode each", whole, fleet)
	}
	if want := whole[0].At.Truncate(s) + s; fleet[0].At != want {
		t.Errorf("fleet fired at %v, want the boundary after %v", fleet[0].At, whole[0].At)
	}
	if fleet[1].At != whole[1].At {
		t.Errorf("fleet resolved at %v, want %v", fleet[1].At, whole[1].At)
	}
	snap, err := remote.Snapshot()
	if err != nil || len(snap) != 1 || snap[0].State != "inactive" || snap[0].Firings != 1 {
		t.Errorf("Snapshot() = %+v, %v", snap, err)
	}
	other, _ := NewRemote([]Rule{rule}, Options{})
	if got, err := other.Restore(snap); err != nil || len(got) != 1 {
		t.Errorf("Restore() = %v, %v", got, err)
	}
}

// TestFleet_remoteWarmupShare: the fleet's evaluator has no evidence of
// its own (the share of failed log-ins among log-in posts is not shared):
// a rule with warmup_share keeps its warm-up floor there, one with
// share_floor its floor, and neither trips over the missing share.
func TestFleet_remoteWarmupShare(t *testing.T) {
	post := NewEquals(LookupField("method"), []string{"POST"})
	rule := Rule{Name: "failures", Type: Rate, Window: time.Minute, Match: post, Fleet: true, Fingerprint: "f",
		Evidence: &Evidence{ShareOf: post, Share: 0.7},
		Baseline: &Baseline{Factor: 5, Floor: 1, ShareFloor: 0.3, Warmup: 30 * time.Minute, WarmupFloor: 8, WarmupShare: 0.4, HalfLife: time.Hour}}
	remote, err := NewRemote([]Rule{rule}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, ok, err := remote.Evaluate("failures", t0, Measure{Value: 9, Count: 540})
	if err != nil || !ok || a.State != alert.Firing {
		t.Errorf("9/s in the warm-up: %+v, %v, %v; want firing on the floor", a, ok, err)
	}
	// After the warm-up, with a normal learned, 0.5/s is under the floor of
	// 1/s: the share floor of 0.3/s needs the share, which the fleet lacks.
	a, ok, err = remote.Evaluate("failures", t0.Add(40*time.Minute), Measure{Value: 0.1, Count: 6})
	if err != nil || !ok || a.State != alert.Resolved {
		t.Errorf("0.1/s after the warm-up: %+v, %v, %v; want resolved", a, ok, err)
	}
	a, ok, err = remote.Evaluate("failures", t0.Add(41*time.Minute), Measure{Value: 0.5, Count: 30})
	if err != nil || ok {
		t.Errorf("0.5/s after the warm-up: %+v, %v, %v; want nothing (under the floor)", a, ok, err)
	}
}

// TestFleetSlots: a slot keeps each distinct hash once (0 included), at
// most MaxDeltaHashes, then counts every event as dropped; take
// empties it for the next bucket.
func TestFleetSlots(t *testing.T) {
	f := newFleetSlots(2)
	for range 2 {
		for i := range MaxDeltaHashes + 100 {
			h := uint64(i) * 0x9e3779b97f4a7c15 // 0 first
			f.add(1, h)
			f.add(1, h) // a repeat is no new value
		}
		f.add(1, 0)
		hs, dropped := f.take(1)
		if len(hs) != MaxDeltaHashes || dropped != 202 {
			t.Fatalf("take() = %d hashes, %d dropped; want %d, 202 (each event once the slot is full, its last value's repeat included)", len(hs), dropped, MaxDeltaHashes)
		}
		seen := map[uint64]bool{}
		for _, h := range hs {
			if seen[h] {
				t.Fatalf("hash %x twice", h)
			}
			seen[h] = true
		}
		if !seen[0] {
			t.Errorf("the hash 0 is missing")
		}
		if hs, d := f.take(0); len(hs) != 0 || d != 0 {
			t.Errorf("an untouched slot: %d, %d", len(hs), d)
		}
	}
}
