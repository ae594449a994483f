package detector

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// TestClusterSet: a window's hits by client count a client's hits as one
// up to the span and one per span past it; hits without a client count
// alone; a cluster leaving the window goes into the normal's sizes at its
// peak, unless the rule was busy since its first hit.
func TestClusterSet(t *testing.T) {
	n := newShareNormal(time.Minute, time.Second, chanceCap(0.5, 6, 1e-5))
	c := newClusterSet(4)
	for range 9 {
		c.add(0, 10, 1)
	}
	for range 3 {
		c.add(1, 11, 2)
	}
	c.add(1, 11, 3)
	// 9 + 3 + 1 clustered hits, 2 hits of no client, 20 events.
	for _, tc := range []struct {
		span       uint32
		hits, evts uint64
	}{
		{1, 15, 20},            // every hit one
		{3, 3 + 1 + 1 + 2, 12}, // 9 as 3, 3 as 1, 1, and the 2 alone
		{9, 1 + 1 + 1 + 2, 10},
		{16, 5, 10},
	} {
		eh, ee, clients := c.effective(tc.span, 15, 20)
		if eh != tc.hits || ee != tc.evts || clients != 3 {
			t.Errorf("span %d: %d of %d from %d clients, want %d of %d from 3", tc.span, eh, ee, clients, tc.hits, tc.evts)
		}
	}
	c.expired(1, n) // client 2 keeps nothing: a cluster of 3 leaves; 3's of 1
	if n.sizes[2] != 1 || n.sizes[0] != 1 || len(c.clients) != 1 {
		t.Errorf("sizes %v, clients %v: want a cluster of 3 and one of 1 learned, client 1 left", n.sizes, c.clients)
	}
	c.add(2, 12, 1) // client 1 goes on: its peak stays 9, its hits 10 then 1
	c.busy = 12
	c.expired(0, n)
	if _, ok := c.clients[1]; !ok {
		t.Fatal("client 1 left with a hit in slot 2")
	}
	c.expired(2, n)
	if n.sizes[8] != 0 || n.sizes[9] != 0 || len(c.clients) != 0 {
		t.Errorf("sizes %v: the cluster of a busy window learned", n.sizes)
	}
	if got := n.span(); got != 1 {
		t.Errorf("span %d, want 1 with one cluster past 1", got)
	}
	n.sizes[clusterBin(9)], n.sizes[clusterBin(12)] = 1.5, 0.6
	if got := n.span(); got != 9 {
		t.Errorf("span %d, want 9: clusters of 9 and 12 came 2.1 times", got)
	}
	n.sizes[clusterBin(40)] = 2
	if got := n.span(); got != 64 {
		t.Errorf("span %d, want 64", got)
	}
	for _, tc := range []struct{ size, bin int }{{1, 0}, {16, 15}, {17, 16}, {32, 16}, {33, 17}, {1000, 17}} {
		if b := clusterBin(uint32(tc.size)); b != tc.bin || clusterBinSize(b) < uint32(min(tc.size, 64)) {
			t.Errorf("clusterBin(%d) = %d (up to %d), want %d", tc.size, b, clusterBinSize(b), tc.bin)
		}
	}
	for range 2 * clusterSlotCap {
		c.add(3, 13, 5)
	}
	if eh, _, _ := c.effective(1, 2*clusterSlotCap, 2*clusterSlotCap); eh != 2*clusterSlotCap || len(c.slots[3]) != clusterSlotCap {
		t.Errorf("past the bucket's cap: %d hits, %d kept; want every hit counted, %d kept", eh, len(c.slots[3]), clusterSlotCap)
	}
	if eh, _, _ := c.effective(64, 2*clusterSlotCap, 2*clusterSlotCap); eh != 1+clusterSlotCap {
		t.Errorf("past the bucket's cap, span 64: %d hits, want the %d kept as one and the rest one each", eh, clusterSlotCap)
	}
}

// TestRatio_chanceClusters: a site of 12 events a minute, one in 40 a hit
// at random, and 4 stalls an hour apart in which one client's 9 hits
// come within 4 s (under the threshold: learned). Then a stall of two
// clients' 9 hits each, 18 of a minute's 30: held, the clients' hits
// counting as two; the same hits each from an address of its own fire.
// An outage then fires within a minute; its clients' clusters, 30 hits
// each, are not learned. Cut in the middle of the stall
// and resumed from a snapshot, the run sends the same transitions, with
// the same clusters learned.
func TestRatio_chanceClusters(t *testing.T) {
	h := time.Hour
	stall := func(at time.Duration, clients []string) []ev {
		var out []ev
		for i := range 9 {
			for _, c := range clients {
				out = append(out, ev{at: at + time.Duration(i)*400*time.Millisecond, ip: c})
			}
		}
		return out
	}
	var base []ev
	for at, i := time.Duration(0), 0; at < 9*h; at, i = at+5*time.Second, i+1 {
		ip := fmt.Sprintf("10.0.%d.%d", i/200%200, i%200)
		switch {
		case i%40 == 0 && at < 8*h:
			ip = fmt.Sprintf("192.0.2.%d", i%200)
		case at >= 8*h && at < 8*h+5*time.Minute:
			ip = fmt.Sprintf("192.0.2.%d", i%200)
		}
		base = append(base, ev{at: at, ip: ip})
	}
	// Two clients keep failing through the outage, a hit every 2 s each:
	// clusters of 30, the outage's, not the site's normal.
	base = append(base, burst(8*h+time.Second, 5*time.Minute, 150, "192.0.2.220")...)
	base = append(base, burst(8*h+2*time.Second, 5*time.Minute, 150, "192.0.2.221")...)
	for s := range 4 {
		base = append(base, stall(time.Duration(s+1)*h+7*time.Second, []string{fmt.Sprintf("192.0.2.%d", 201+s)})...)
	}
	clustered := byTime(concat(base, stall(6*h+7*time.Second, []string{"192.0.2.210", "192.0.2.211"})))
	alone := byTime(concat(base, burst(6*h+7*time.Second, 3600*time.Millisecond, 18, "2001:db8::%d")))
	for i := range alone {
		if alone[i].ip[0] == '2' {
			alone[i].ip = "192.0.2." + alone[i].ip[len("2001:db8::"):] // the same CIDR: a hit each
		}
	}
	firings := func(as []alert.Alert) (out []time.Duration) {
		for _, a := range as {
			if a.State == alert.Firing {
				out = append(out, a.Time.Sub(t0))
			}
		}
		return out
	}
	run := func(events []ev) ([]alert.Alert, *Engine) {
		var got []alert.Alert
		eng, err := NewEngine([]Rule{chanceRule(1e-5)}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
		if err != nil {
			t.Fatal(err)
		}
		runEvents(t, eng, events)
		eng.Flush()
		return got, eng
	}
	got, eng := run(clustered)
	if f := firings(got); len(f) != 1 || f[0] < 8*h || f[0] > 8*h+time.Minute {
		t.Errorf("the stall of two clients: fired at %v, want once, within a minute of the outage at %v", f, 8*h)
	}
	if n := eng.rules[0].shareNormal(); n.span() != 9 || n.sizes[clusterBin(30)] != 0 {
		t.Errorf("span %d, sizes %v: want 9, the stalls' clusters learned, not the outage's", n.span(), n.sizes)
	}
	got, _ = run(alone)
	if f := firings(got); len(f) != 2 || f[0] < 6*h || f[0] > 6*h+time.Minute {
		t.Errorf("the stall's hits from addresses of their own: fired at %v, want at %v and the outage", f, 6*h)
	}

	cut := slices.IndexFunc(clustered, func(e ev) bool { return e.at >= 6*h+9*time.Second })
	var split []alert.Alert
	opts := Options{Emit: func(a alert.Alert) { split = append(split, a) }}
	first, err := NewEngine([]Rule{chanceRule(1e-5)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, first, clustered[:cut])
	second, _ := restart(t, first, []Rule{chanceRule(1e-5)}, opts)
	a, b := first.rules[0].k.(*ratio), second.rules[0].k.(*ratio)
	if a.normal.sizes != b.normal.sizes || !maps.Equal(a.clusters.clients, b.clusters.clients) || len(b.clusters.clients) < 2 {
		t.Errorf("restored sizes %v and clients %v, want %v and %v", b.normal.sizes, b.clusters.clients, a.normal.sizes, a.clusters.clients)
	}
	runEvents(t, second, clustered[cut:])
	second.Flush()

	// Cut again seconds after the outage has resolved, its clusters still
	// in the window: they are not learned after the restart either.
	cut = slices.IndexFunc(clustered, func(e ev) bool { return e.at >= 8*h+5*time.Minute+58*time.Second })
	third, err := NewEngine([]Rule{chanceRule(1e-5)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, third, clustered[:cut])
	if third.rules[0].state != stateInactive {
		t.Fatalf("at the cut: %v, want resolved", third.rules[0].state)
	}
	fourth, _ := restart(t, third, []Rule{chanceRule(1e-5)}, Options{})
	runEvents(t, fourth, clustered[cut:])
	fourth.Flush()
	if a, b := eng.rules[0].shareNormal().sizes, fourth.rules[0].shareNormal().sizes; a != b {
		t.Errorf("resumed after the outage: sizes %v, want %v", b, a)
	}
	want, _ := run(clustered)
	if fw, fs := firings(want), firings(split); !slices.Equal(fs, fw) {
		t.Errorf("resumed from a snapshot: fired at %v, want %v", fs, fw)
	}
}
