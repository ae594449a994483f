package detector

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
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

// TestFleet_evidence: two nodes' deltas carry the evidence's counts (the
// posts from cold addresses, the log-in posts, those of buckets where no
// log-in failed too), and the fleet's evaluator makes of their sums what
// one engine over every line makes of its window: the same severity and
// the same signs.
func TestFleet_evidence(t *testing.T) {
	s := time.Second
	post := NewEquals(LookupField("method"), []string{"POST"})
	failed := All{post, &Range{Field: LookupField("status"), Ranges: []NumRange{{401, 401}}}}
	type line struct {
		at     time.Duration
		ip     string
		method string
		status int
	}
	for _, tc := range []struct {
		name string
		ev   Evidence
		// want is the firing's signs (their ends: the counts are the
		// window's at the fleet's boundary), one engine and fleet alike.
		want []string
		// pause is how long before its post each failing address loads a
		// page; 0: none.
		pause time.Duration
	}{
		{"cold stuffing", Evidence{Cold: 0.8, ShareOf: post, Share: 0.7}, []string{
			" from addresses that loaded no page first", " log-in posts"}, 0},
		{"warm stuffing", Evidence{Cold: 0.8, ShareOf: post, Share: 0.7}, []string{" log-in posts"}, time.Minute},
		{"a bot loading the form, posting at once", Evidence{Cold: 0.8, NoPause: 0.8},
			[]string{" posted within 3s of their address's first page, or with none"}, s},
		{"people", Evidence{Cold: 0.8, NoPause: 0.8, ShareOf: post, Share: 0.9}, nil, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := tc.ev
			if s, ok := ev.ShareOf.(*Equals); ok {
				ev.ShareOf = &Shared{Name: "log-in posts", Cond: s}
			}
			rule := Rule{Name: "failures", Type: Rate, Window: time.Minute, Threshold: 0.5, Severity: alert.Warning,
				Match: failed, Fleet: true, Fingerprint: "f", Evidence: &ev}
			// Log-ins that work, one every 6 s for three minutes (buckets
			// where the rule counts nothing), then 36 failures in 30 s,
			// from 36 addresses, beside them; a page view from each
			// failing address pause before.
			var lines []line
			for i := range 30 {
				lines = append(lines, line{time.Duration(i) * 6 * s, fmt.Sprintf("198.51.100.%d", i), "POST", 302})
			}
			for i := range 36 {
				ip, at := fmt.Sprintf("203.0.113.%d", i), 150*s+time.Duration(i)*s*5/6
				if tc.pause > 0 {
					lines = append(lines, line{at - tc.pause, ip, "GET", 200})
				}
				lines = append(lines, line{at, ip, "POST", 401})
			}
			lines = append(lines, line{10 * time.Minute, "192.0.2.9", "GET", 200})
			slices.SortStableFunc(lines, func(a, b line) int { return cmp.Compare(a.at, b.at) })

			// shared sums the nodes' deltas per bucket.
			type counts struct{ count, cold, rush, of uint64 }
			shared := map[int64]*counts{}
			var whole []alert.Alert
			newEngine := func(emit func(alert.Alert), delta func(Delta)) *Engine {
				e, err := NewEngine([]Rule{rule}, Options{Emit: emit, Delta: delta})
				if err != nil {
					t.Fatal(err)
				}
				return e
			}
			one := newEngine(func(a alert.Alert) { whole = append(whole, a) }, nil)
			var nodes [2]*Engine
			for i := range nodes {
				nodes[i] = newEngine(func(alert.Alert) {}, func(d Delta) {
					c := shared[d.Bucket]
					if c == nil {
						c = &counts{}
						shared[d.Bucket] = c
					}
					c.count, c.cold, c.rush, c.of = c.count+d.Count, c.cold+d.Cold, c.rush+d.Rush, c.of+d.Of
				})
			}
			remote, err := NewRemote([]Rule{rule}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var fleet []alert.Alert
			next := t0.Unix() + 1
			var e parsers.Event
			observe := func(eng *Engine, l line) {
				e.Reset()
				e.Time, e.ClientIP, e.Method, e.Status = t0.Add(l.at), []byte(l.ip), []byte(l.method), l.status
				eng.Observe(&e)
			}
			// The engines have read their logs for a while: a post in their
			// first coldGuard is never cold.
			for _, eng := range []*Engine{one, nodes[0], nodes[1]} {
				observe(eng, line{-coldWindow, "192.0.2.1", "GET", 200})
			}
			for _, l := range lines {
				observe(one, l)
				// An address's requests go to one node (sticky sessions), or
				// its page view would not warm its post there.
				h := 0
				for _, c := range l.ip {
					h += int(c)
				}
				observe(nodes[h%2], l)
				if l.at == 10*time.Minute {
					observe(nodes[(h+1)%2], l)
				}
				for passed := min(nodes[0].Clock().Unix(), nodes[1].Clock().Unix()); next <= passed; next++ {
					var m Measure
					for n := next - 60; n < next; n++ {
						if c := shared[n]; c != nil {
							m.Count, m.Cold, m.Rush, m.Of = m.Count+c.count, m.Cold+c.cold, m.Rush+c.rush, m.Of+c.of
						}
					}
					m.Value = float64(m.Count) / 60
					if a, ok, err := remote.Evaluate("failures", time.Unix(next, 0).UTC(), m); err != nil {
						t.Fatal(err)
					} else if ok {
						fleet = append(fleet, a)
					}
				}
			}
			one.Flush()
			if len(whole) == 0 || len(fleet) == 0 {
				t.Fatalf("one engine %d transitions, fleet %d: want both firing", len(whole), len(fleet))
			}
			// One engine fires on the crossing event, the fleet at the
			// boundary after: compare the fleet's signs with the engine's
			// window at that boundary (the whole window, by then).
			for _, got := range []alert.Alert{whole[0], fleet[0]} {
				if got.State != alert.Firing {
					t.Fatalf("first transition %+v, want firing", got)
				}
			}
			wantSev := alert.Warning
			if len(tc.want) > 0 {
				wantSev = alert.Critical
			}
			if fleet[0].Severity != wantSev || whole[0].Severity != wantSev {
				t.Errorf("severity: one engine %s, fleet %s; want %s", whole[0].Severity, fleet[0].Severity, wantSev)
			}
			for _, got := range []alert.Alert{whole[0], fleet[0]} {
				if !slices.EqualFunc(got.Evidence, tc.want, strings.HasSuffix) {
					t.Errorf("signs: one engine %q, fleet %q; want signs ending %q", whole[0].Evidence, fleet[0].Evidence, tc.want)
					break
				}
			}
			t.Logf("one engine %s %q at %v; fleet %s %q at %v", whole[0].Severity, whole[0].Evidence, whole[0].Time.Sub(t0),
				fleet[0].Severity, fleet[0].Evidence, fleet[0].Time.Sub(t0))
		})
	}
}

// TestFleet_remoteWarmupShare: the fleet's evaluator reads the share of
// failed log-ins among log-in posts from the nodes' counts: a rule with
// warmup_share keeps its warm-up floor while the share is high, and one
// with share_floor fires on it while the share holds, critical; without
// log-in posts counted (nodes of a version that did not publish them) the
// floor holds.
func TestFleet_remoteWarmupShare(t *testing.T) {
	post := NewEquals(LookupField("method"), []string{"POST"})
	rule := Rule{Name: "failures", Type: Rate, Window: time.Minute, Match: post, Fleet: true, Fingerprint: "f", Severity: alert.Warning,
		Evidence: &Evidence{ShareOf: post, Share: 0.7},
		Baseline: &Baseline{Factor: 5, Floor: 1, ShareFloor: 0.3, Warmup: 30 * time.Minute, WarmupFloor: 8, WarmupShare: 0.4, HalfLife: time.Hour}}
	newRemote := func() *Remote {
		remote, err := NewRemote([]Rule{rule}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return remote
	}
	// In the warm-up, 9/s: past the warm-up floor of 8/s while nearly
	// every log-in post fails; learned as a launch's normal while under
	// 40% of them do.
	a, ok, err := newRemote().Evaluate("failures", t0, Measure{Value: 9, Count: 540, Of: 560})
	if err != nil || !ok || a.State != alert.Firing || a.Severity != alert.Critical {
		t.Errorf("9/s in the warm-up, 540 of 560 failing: %+v, %v, %v; want firing critical on the warm-up floor", a, ok, err)
	}
	if a, ok, err := newRemote().Evaluate("failures", t0, Measure{Value: 9, Count: 540, Of: 5400}); err != nil || ok {
		t.Errorf("9/s in the warm-up, 540 of 5,400 failing: %+v, %v, %v; want nothing (learning)", a, ok, err)
	}
	// After the warm-up, a normal of 0.05/s learned: 0.5/s is under the
	// floor of 1/s; without log-in posts counted (nodes of a version that
	// did not publish them) nothing fires, with 30 of 32 failing the share
	// floor of 0.3/s does.
	remote := newRemote()
	for i := range 41 {
		if a, ok, err := remote.Evaluate("failures", t0.Add(time.Duration(i)*time.Minute), Measure{Value: 0.05, Count: 3, Of: 30}); err != nil || ok {
			t.Fatalf("ordinary minute %d: %+v, %v, %v", i, a, ok, err)
		}
	}
	a, ok, err = remote.Evaluate("failures", t0.Add(41*time.Minute), Measure{Value: 0.5, Count: 30})
	if err != nil || ok {
		t.Errorf("0.5/s without log-in posts counted: %+v, %v, %v; want nothing (under the floor)", a, ok, err)
	}
	a, ok, err = remote.Evaluate("failures", t0.Add(42*time.Minute), Measure{Value: 0.5, Count: 30, Of: 32})
	if err != nil || !ok || a.State != alert.Firing || a.Severity != alert.Critical || a.Threshold >= 1 {
		t.Errorf("0.5/s, 30 of 32 log-in posts failing: %+v, %v, %v; want firing critical under the floor (the share floor, or the normal times 5 past it)", a, ok, err)
	}
}

// TestFleet_remoteDropAfterFlood: the fleet's drop rule, evaluated from
// the start of a flood that its rise rule alerts (a new fleet started
// during one), does not learn the flood in its warm-up: once the flood is
// over the fleet's own 2/s is its normal, and nothing fires. Without the
// hold the flood's 100/s was the normal, and 2/s fired the drop.
func TestFleet_remoteDropAfterFlood(t *testing.T) {
	any := NewEquals(LookupField("method"), []string{"GET", "POST"})
	posts := Rule{Name: "posts", Type: Rate, Window: 30 * time.Second, Match: any, Fleet: true, Fingerprint: "p", Severity: alert.Warning,
		Baseline: &Baseline{Factor: 10, Floor: 1, Warmup: 30 * time.Minute, WarmupFloor: 3, HalfLife: 6 * time.Hour}}
	drop := Rule{Name: "drop", Type: Rate, Window: 5 * time.Minute, Match: any, Fleet: true, Fingerprint: "d", Severity: alert.Critical,
		Baseline: &Baseline{Down: true, Factor: 10, Floor: 1, Warmup: time.Hour, HalfLife: time.Hour}}
	remote, err := NewRemote([]Rule{posts, drop}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 * 3600 {
		at := t0.Add(time.Duration(i) * time.Second)
		v := 2.0
		if i < 1800 {
			v = 100 // the flood, the first 30 minutes
		}
		if a, ok, err := remote.Evaluate("posts", at, Measure{Value: v, Count: uint64(v * 30)}); err != nil || ok && a.State == alert.Firing && i > 1800 {
			t.Fatalf("posts at +%ds: %+v, %v", i, a, err)
		}
		if i%3 != 0 {
			continue // the drop rule's 3-second boundaries
		}
		// Its 5-minute window still holds the flood for 5 minutes after it.
		dv := v
		if i >= 1800 && i < 2100 {
			dv = 2 + 98*float64(2100-i)/300
		}
		if a, ok, err := remote.Evaluate("drop", at, Measure{Value: dv, Count: uint64(dv * 300)}); err != nil || ok {
			t.Fatalf("drop at +%ds (%.3g/s): %+v, %v, %v: the flood taught the normal", i, dv, a, ok, err)
		}
	}
}

// TestFleet_remoteDropNotHeldForGood: an attack alerted without end does
// not keep a drop rule unready: a share (a monitor probing a broken
// endpoint keeps a 5xx rule firing) says nothing of the volume and holds
// nothing, and a rate held active for hours holds a drop rule that
// learned nothing for four of its warm-ups at most. Either way the log
// stopping is then seen.
func TestFleet_remoteDropNotHeldForGood(t *testing.T) {
	any := NewEquals(LookupField("method"), []string{"GET", "POST"})
	fivexx := &Range{Field: LookupField("status"), Ranges: []NumRange{{Min: 500, Max: 599}}}
	share := Rule{Name: "share", Type: Ratio, Window: time.Minute, Match: any, Of: fivexx, Threshold: 0.5, MinEvents: 6, Fleet: true, Fingerprint: "s", Severity: alert.Critical}
	rate := Rule{Name: "rate", Type: Rate, Window: time.Minute, Match: any, Threshold: 1, Fleet: true, Fingerprint: "r", Severity: alert.Warning}
	drop := Rule{Name: "drop", Type: Rate, Window: 5 * time.Minute, Match: any, Fleet: true, Fingerprint: "d", Severity: alert.Critical,
		Baseline: &Baseline{Down: true, Factor: 10, Floor: 1, Warmup: time.Hour, HalfLife: time.Hour}}
	for _, tt := range []struct {
		name    string
		firing  Rule
		m       Measure
		stopsAt time.Duration // the log stops: the drop must fire by then plus its window
	}{
		{"a share firing without end", share, Measure{Value: 1, Count: 600, Hits: 600, Recent: 200}, 2 * time.Hour},
		{"a rate firing without end", rate, Measure{Value: 10, Count: 600}, 5 * time.Hour},
	} {
		t.Run(tt.name, func(t *testing.T) {
			remote, err := NewRemote([]Rule{tt.firing, drop}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			fired := false
			for i := 0; i < int((tt.stopsAt+10*time.Minute)/time.Second) && !fired; i += 3 {
				at := t0.Add(time.Duration(i) * time.Second)
				if _, _, err := remote.Evaluate(tt.firing.Name, at, tt.m); err != nil {
					t.Fatal(err)
				}
				v := 10.0
				if time.Duration(i)*time.Second >= tt.stopsAt {
					v = 0
				}
				a, ok, err := remote.Evaluate("drop", at, Measure{Value: v, Count: uint64(v * 300)})
				if err != nil {
					t.Fatal(err)
				}
				if ok && a.State == alert.Firing {
					if time.Duration(i)*time.Second < tt.stopsAt {
						t.Fatalf("the drop fired at +%ds, before the log stopped", i)
					}
					fired = true
				}
			}
			if !fired {
				t.Errorf("the log stopping at +%v: no drop alert (held for good)", tt.stopsAt)
			}
		})
	}
}

// TestFleet_remoteStuffingUnderThreshold: hours of slow stuffing under the
// threshold, nearly every log-in post failing, teach the normal nothing
// (learned as the threshold they compounded, doubling every hour and a
// half): a faster wave afterwards still fires at the share floor.
func TestFleet_remoteStuffingUnderThreshold(t *testing.T) {
	post := NewEquals(LookupField("method"), []string{"POST"})
	rule := Rule{Name: "failures", Type: Rate, Window: time.Minute, Match: post, Fleet: true, Fingerprint: "f", Severity: alert.Warning,
		Evidence: &Evidence{ShareOf: post, Share: 0.7},
		Baseline: &Baseline{Factor: 5, Floor: 1, ShareFloor: 0.3, Warmup: 30 * time.Minute, WarmupFloor: 8, WarmupShare: 0.4, HalfLife: 6 * time.Hour}}
	remote, err := NewRemote([]Rule{rule}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := t0
	for range 41 * 60 { // people's: 0.05/s, 10% of the log-in posts
		if a, ok, err := remote.Evaluate("failures", at, Measure{Value: 0.05, Count: 3, Of: 30}); err != nil || ok {
			t.Fatalf("ordinary second: %+v, %v, %v", a, ok, err)
		}
		at = at.Add(time.Second)
	}
	for range 12 * 3600 { // 12 hours of 0.1/s, 24 of 25 posts failing
		if a, ok, err := remote.Evaluate("failures", at, Measure{Value: 0.1, Count: 24, Of: 25}); err != nil || ok {
			t.Fatalf("slow stuffing at %v: %+v, %v, %v", at, a, ok, err)
		}
		at = at.Add(time.Second)
	}
	a, ok, err := remote.Evaluate("failures", at, Measure{Value: 0.5, Count: 30, Of: 32})
	if err != nil || !ok || a.State != alert.Firing || a.Threshold > 0.5 {
		t.Errorf("0.5/s after 12 hours of slow stuffing: %+v, %v, %v; want firing at the share floor (the normal untaught)", a, ok, err)
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

// TestFleet_remoteRatioHolds: the fleet's evaluator counts the shared
// window's events as the engine counts its own: a firing ratio holds under
// its min_events while its few requests still fail (a quiet site's
// outage in a fleet), and resolves when none of them does.
func TestFleet_remoteRatioHolds(t *testing.T) {
	fivexx := &Range{Field: LookupField("status"), Ranges: []NumRange{{Min: 500, Max: 599}}}
	rule := Rule{Name: "5xx", Type: Ratio, Window: time.Minute, Threshold: 0.3, MinEvents: 10, Of: fivexx,
		Fleet: true, Fingerprint: "r", Severity: alert.Critical}
	remote, err := NewRemote([]Rule{rule}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		m    Measure
		want alert.State // "" for no transition
	}{
		{Measure{Value: 0.5, Count: 40, Hits: 20}, ""}, // the hits have stopped: not firing
		{Measure{Value: 0.5, Count: 40, Hits: 20, Recent: 2}, alert.Firing},
		{Measure{Value: 0.6, Count: 5, Hits: 3}, ""}, // under min_events, still failing: holds
		{Measure{Value: 0, Count: 4}, alert.Resolved},
	} {
		a, ok, err := remote.Evaluate("5xx", t0.Add(time.Duration(i)*time.Second), c.m)
		if err != nil || ok != (c.want != "") || ok && a.State != c.want {
			t.Errorf("evaluation %d (%+v): %v %v, %v; want %q", i, c.m, a.State, ok, err, c.want)
		}
	}
}

// TestFleet_clientsPerAgent: the nodes hand over their user agents' hashes
// and native-app counts with their client addresses'; the fleet's
// evaluator weighs the union of one against the other's, as one engine
// does: a bot's few user agents are critical, people's many and an app's
// one are not.
func TestFleet_clientsPerAgent(t *testing.T) {
	s := time.Second
	ip := ipField()
	post := NewEquals(LookupField("method"), []string{"POST"})
	rule := Rule{Name: "signups", Type: Rate, Window: 30 * s, Threshold: 5, Severity: alert.Warning, Match: post,
		DistinctOf: ip, Fleet: true, Fingerprint: "c", Evidence: &Evidence{ClientsPerAgent: 20}}
	for _, tc := range []struct {
		name     string
		ua       func(i int) string
		critical bool
	}{
		{"a bot's three user agents", func(i int) string { return []string{"Mozilla/5.0 (A)", "Mozilla/5.0 (B)", "Mozilla/5.0 (C)"}[i%3] }, true},
		{"people's browsers", func(i int) string { return fmt.Sprintf("Mozilla/5.0 (build %d)", i%97) }, false},
		{"an app's users", func(i int) string { return "Tallybook/4.12.0 (Android 15; Pixel 8) okhttp/4.12.0" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type bucket struct {
				clients, agents map[uint64]bool
				app             uint64
			}
			shared := map[int64]*bucket{}
			var nodes [2]*Engine
			for i := range nodes {
				var err error
				nodes[i], err = NewEngine([]Rule{rule}, Options{Delta: func(d Delta) {
					b := shared[d.Bucket]
					if b == nil {
						b = &bucket{clients: map[uint64]bool{}, agents: map[uint64]bool{}}
						shared[d.Bucket] = b
					}
					for _, h := range d.Hashes {
						b.clients[h] = true
					}
					for _, h := range d.Agents {
						b.agents[h] = true
					}
					b.app += d.App
				}})
				if err != nil {
					t.Fatal(err)
				}
			}
			remote, err := NewRemote([]Rule{rule}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var fired []alert.Alert
			var e parsers.Event
			next := t0.Unix() + 1
			// 600 addresses posting within 60 s, alternately on each node.
			for i := range 601 {
				e.Reset()
				e.Time, e.ClientIP, e.Method, e.UserAgent = t0.Add(time.Duration(i)*100*time.Millisecond), fmt.Appendf(nil, "10.0.%d.%d", i/250, i%250), []byte("POST"), []byte(tc.ua(i))
				nodes[i%2].Observe(&e)
				for passed := min(nodes[0].Clock().Unix(), nodes[1].Clock().Unix()); next <= passed; next++ {
					var m Measure
					clients, agents := map[uint64]bool{}, map[uint64]bool{}
					for n := next - 30; n < next; n++ {
						if b := shared[n]; b != nil {
							maps.Copy(clients, b.clients)
							maps.Copy(agents, b.agents)
							m.App += b.app
						}
					}
					m.Distinct, m.Agents = uint64(len(clients)), uint64(len(agents))
					for n := next - 30; n < next; n++ {
						if b := shared[n]; b != nil {
							m.Count += uint64(len(b.clients)) // one post per address
						}
					}
					m.Value = float64(m.Count) / 30
					if a, ok, err := remote.Evaluate("signups", time.Unix(next, 0).UTC(), m); err != nil {
						t.Fatal(err)
					} else if ok && a.State == alert.Firing {
						fired = append(fired, a)
					}
				}
			}
			if len(fired) == 0 {
				t.Fatal("the fleet never fired")
			}
			// The sign needs 50 addresses: the first firing that has them.
			if got := fired[0]; (got.Severity == alert.Critical) != tc.critical {
				t.Errorf("fleet %s %q with %d addresses; want critical %v", got.Severity, got.Evidence, got.Distinct, tc.critical)
			} else {
				t.Logf("fleet %s %q", got.Severity, got.Evidence)
			}
		})
	}
}

// TestFleet_ratioKeys: a site-wide ratio's deltas carry the keys with
// the most hits, with their hits (the fleet's alert names who fails, as
// the engine's does), not the busiest keys.
func TestFleet_ratioKeys(t *testing.T) {
	s := time.Second
	rule := Rule{Name: "share", Type: Ratio, Window: 10 * s, Threshold: 0.5, MinEvents: 10, GroupBy: ipField(),
		Of: &Range{Field: LookupField("status"), Ranges: []NumRange{{401, 401}}}, Fleet: true, Fingerprint: "f"}
	keys := map[string]uint64{}
	eng, err := NewEngine([]Rule{rule}, Options{Delta: func(d Delta) {
		for _, k := range d.Keys {
			keys[k.Key] += k.Count
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	var e parsers.Event
	for i := range 200 { // 20 s: 10 log-ins a second from an office, a failure a second from the bot
		e.Reset()
		e.Time, e.ClientIP, e.Status = t0.Add(time.Duration(i)*s/10), []byte("192.0.2.1"), 302
		if i%10 == 5 {
			e.ClientIP, e.Status = []byte(fmt.Sprintf("198.51.100.%d", i/10)), 401
		}
		eng.Observe(&e)
	}
	eng.Flush()
	if len(keys) == 0 || keys["192.0.2.1"] != 0 {
		t.Fatalf("the deltas' keys %v: want the failing addresses' alone", keys)
	}
	for k, n := range keys {
		if n != 1 {
			t.Errorf("key %s: %d, want its one failure", k, n)
		}
	}
}

// TestFleet_followTraffic: a fleet rule that follows the traffic gets
// the fleet's requests from the nodes' deltas (every event they counted,
// in buckets where the rule counted nothing too), and the fleet's
// evaluator makes of them what one engine over every line makes: a
// weekday (sign-ups and requests three times their normal) fires
// nothing; three times the sign-ups on the ordinary traffic fire. With
// the deltas' requests left out (what the rule's counts alone say) the
// weekday fires.
func TestFleet_followTraffic(t *testing.T) {
	skipLongInShort(t)
	s, m := time.Second, time.Minute
	signups := &CIDR{Field: LookupField("client_ip"), Prefixes: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}}
	rule := Rule{Name: "signups", Fingerprint: "f", Type: Rate, Window: 10 * m, Match: signups, Fleet: true,
		Baseline: &Baseline{Factor: 2.5, Floor: 0.01, Warmup: 30 * m, HalfLife: 2 * time.Hour, FollowTraffic: true}}
	site := func(from, d time.Duration, pages, signups int) []ev {
		return concat(burst(from, d, int(d/s)*pages, "10.2.0.1"), burst(from, d, int(d/(10*s))*signups, "10.1.0.1"))
	}
	base := 2 * time.Hour
	for _, c := range []struct {
		name           string
		pages, signups int
		dropAll        bool // the deltas' All left out
		fires          bool
	}{
		{"a weekday", 12, 3, false, false},
		{"sign-ups alone", 4, 3, false, true},
		{"a weekday without the requests", 12, 3, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			lines := byTime(concat(site(0, base, 4, 1), site(base, 30*m, c.pages, c.signups)))
			type bucket struct{ count, all uint64 }
			shared := map[int64]*bucket{}
			var width time.Duration
			var nodes [2]*Engine
			for i := range nodes {
				var err error
				nodes[i], err = NewEngine([]Rule{rule}, Options{Delta: func(d Delta) {
					b := shared[d.Bucket]
					if b == nil {
						b = &bucket{}
						shared[d.Bucket] = b
					}
					b.count += d.Count
					if !c.dropAll {
						b.all += d.All
					}
					width = d.Width
				}})
				if err != nil {
					t.Fatal(err)
				}
			}
			remote, err := NewRemote([]Rule{rule}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var fleet []time.Duration
			next := int64(0)
			evaluate := func(upTo time.Time) {
				if width == 0 {
					return
				}
				w := int64(width)
				nb := int64(rule.Window / width)
				if next == 0 {
					next = (upTo.UnixNano()/w + 1) * w
				}
				for ; next <= upTo.UnixNano(); next += w {
					var ms Measure
					for n := next/w - nb; n < next/w; n++ {
						if x := shared[n]; x != nil {
							ms.Count += x.count
							ms.All += x.all
						}
					}
					ms.Value = float64(ms.Count) / rule.Window.Seconds()
					a, ok, err := remote.Evaluate(rule.Name, time.Unix(0, next).UTC(), ms)
					if err != nil {
						t.Fatal(err)
					}
					if ok && a.State == alert.Firing {
						fleet = append(fleet, a.Time.Sub(t0))
					}
				}
			}
			var e parsers.Event
			for i, x := range lines {
				e.Reset()
				e.Time, e.ClientIP, e.Raw = t0.Add(x.at), []byte(x.ip), []byte("line")
				nodes[i%2].Observe(&e)
				clock := nodes[0].Clock()
				if o := nodes[1].Clock(); o.Before(clock) {
					clock = o
				}
				evaluate(clock)
			}
			whole, _, _ := replay(t, rule, lines, Options{})
			if c.fires != (len(fleet) > 0) || len(fleet) > 0 && fleet[0] < base {
				t.Errorf("fleet fired %v, want fires %v from %v", fleet, c.fires, base)
			}
			if !c.dropAll && (len(whole) > 0) != c.fires {
				t.Errorf("one engine over every line: %v, want fires %v", whole, c.fires)
			}
		})
	}
}

// TestBlindLearning: a baseline rule that reads no_pause learns only once
// the field can say "true" (after coldWindow), on a node and in the
// fleet's evaluator alike, a rate from its window's first quarter after
// it; another from that quarter.
func TestBlindLearning(t *testing.T) {
	base := &Baseline{Factor: 5, Floor: 0.1, Warmup: 30 * time.Minute, HalfLife: 6 * time.Hour}
	hasty := Rule{Name: "hasty", Type: Rate, Window: time.Minute, Baseline: base, Severity: alert.Warning,
		Match: All{NewEquals(LookupField("method"), []string{"POST"}), NewEquals(LookupField("no_pause"), []string{"true"})}}
	posts := Rule{Name: "posts", Type: Rate, Window: time.Minute, Baseline: base, Severity: alert.Warning,
		Match: NewEquals(LookupField("method"), []string{"POST"})}
	eng, err := NewEngine([]Rule{hasty, posts}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	remote, err := NewRemote([]Rule{hasty, posts}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*ruleState{eng.rules[0], remote.rules["hasty"]} {
		if got := s.base.learnFrom(); got != coldWindow+15*time.Second {
			t.Errorf("%s learns from %v, want %v", s.rule.Name, got, coldWindow+15*time.Second)
		}
	}
	for _, s := range []*ruleState{eng.rules[1], remote.rules["posts"]} {
		if got := s.base.learnFrom(); got != 15*time.Second {
			t.Errorf("%s learns from %v, want 15s", s.rule.Name, got)
		}
	}
}
