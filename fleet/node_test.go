package fleet

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/parsers"
)

// testNode is a node of a fleet in this process, with the engine it
// publishes for: what a daemon wires, with its lock standing for the
// daemon's.
type testNode struct {
	name   string
	n      *Node
	eng    *detector.Engine
	logs   *testutil.SyncBuffer
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex // the daemon's lock: the engine, and what was delivered
	delivered []alert.Alert
	local     []alert.Alert // the engine's transitions, before the node decided
	adopted   []alert.Alert
	released  [][]string // each call of Options.Release
}

// signupRule is a fleet rule: 15 events a second over 10 s, with the
// busiest and the distinct addresses.
func signupRule() detector.Rule {
	ip := detector.LookupField("client_ip")
	return detector.Rule{Name: "signups", Type: detector.Rate, Window: 10 * time.Second, Threshold: 15,
		GroupBy: &ip, DistinctOf: &ip, Fleet: true, Fingerprint: "f1", Severity: alert.Warning}
}

type nodeConfig struct {
	url, site string
	skew      time.Duration
	backlog   int
	lease     time.Duration
	rule      *detector.Rule // signupRule() when nil
}

func startNode(t *testing.T, name string, c nodeConfig) *testNode {
	t.Helper()
	if c.site == "" {
		c.site = "shop"
	}
	if c.lease == 0 {
		c.lease = 2 * time.Second
	}
	tn := &testNode{name: name, logs: &testutil.SyncBuffer{}}
	rules := []detector.Rule{signupRule()}
	if c.rule != nil {
		rules = []detector.Rule{*c.rule}
	}
	eopts := detector.Options{Skew: c.skew}
	n, err := New(Options{
		Settings: Settings{Redis: c.url, Site: c.site, Node: name, Lease: c.lease, From: "test"},
		Rules:    rules, Engine: eopts,
		Deliver: func(take func() []alert.Alert) {
			tn.mu.Lock()
			defer tn.mu.Unlock()
			tn.delivered = append(tn.delivered, take()...)
		},
		Adopt: func(as []alert.Alert) {
			tn.mu.Lock()
			defer tn.mu.Unlock()
			tn.adopted = append(tn.adopted, as...)
		},
		Release: func(rules []string) {
			tn.mu.Lock()
			defer tn.mu.Unlock()
			tn.released = append(tn.released, rules)
		},
		Logger:     slog.New(slog.NewTextHandler(tn.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		MaxBacklog: c.backlog,
	})
	if err != nil {
		t.Fatal(err)
	}
	tn.n = n
	eopts.Delta = n.Delta
	eopts.Emit = func(a alert.Alert) { // under tn.mu: Feed holds it
		tn.local = append(tn.local, a)
		if n.Local(a) {
			tn.delivered = append(tn.delivered, a)
		}
	}
	if tn.eng, err = detector.NewEngine(rules, eopts); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tn.cancel, tn.done = cancel, make(chan struct{})
	go func() {
		defer close(tn.done)
		_ = n.Run(ctx)
	}()
	t.Cleanup(func() {
		tn.stop()
		if t.Failed() {
			t.Logf("node %s logged:\n%s", name, tn.logs.String())
		}
	})
	return tn
}

func (tn *testNode) stop() {
	tn.cancel()
	<-tn.done
}

// crash stops the node as kill -9 would: no goodbye, the lease kept
// until it expires.
func (tn *testNode) crash() {
	tn.n.crash = true
	tn.stop()
}

// second feeds the node rate events of second at, from addresses
// ip(i), then moves its clock to the second's end.
func (tn *testNode) second(at time.Time, rate int, ip func(i int) string) {
	tn.feed(at, rate, func(i int, ev *parsers.Event) {
		ev.ClientIP = []byte(ip(i))
		ev.Raw = []byte("POST /signup from " + ip(i)) // the engine's own alerts carry samples, the fleet's none
	})
}

// feed feeds the node n events of second at, spread over it, each filled
// by fill(i), then moves its clock to the second's end.
func (tn *testNode) feed(at time.Time, n int, fill func(i int, ev *parsers.Event)) {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	var ev parsers.Event
	for i := range n {
		ev.Reset()
		ev.Time = at.Add(time.Duration(i) * time.Second / time.Duration(n))
		fill(i, &ev)
		tn.eng.Observe(&ev)
	}
	tn.eng.Advance(at.Add(time.Second))
	tn.n.Clock(tn.eng.Clock())
}

// releases returns the calls of Options.Release so far.
func (tn *testNode) releases() [][]string {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	return slices.Clone(tn.released)
}

func (tn *testNode) transitions() (delivered, local, adopted []alert.Alert) {
	tn.mu.Lock()
	defer tn.mu.Unlock()
	return slices.Clone(tn.delivered), slices.Clone(tn.local), slices.Clone(tn.adopted)
}

// waitFor polls cond until it holds, failing the test after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// evaluatedAt reads the fleet's evaluated boundary from Redis.
func evaluatedAt(t *testing.T, r *testutil.Redis, site string) time.Time {
	v, err := r.Client().Get(context.Background(), newKeys(site).evaluated()).Result()
	if err != nil {
		return time.Time{}
	}
	return msTime(v)
}

// fleetTransitions returns the fleet's transitions among what a node
// delivered: those stamped at a boundary with no samples (the engine's
// own carry samples).
func fleetTransitions(as []alert.Alert) []alert.Alert {
	var out []alert.Alert
	for _, a := range as {
		if len(a.Samples) == 0 {
			out = append(out, a)
		}
	}
	return out
}

func states(as []alert.Alert) string {
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "%s@%s(%.1f) ", a.State, a.Time.Format("15:04:05"), a.Value)
	}
	return b.String()
}

// TestNode_oneSiteOnePage: two nodes each see 20 sign-ups a second, both
// over the threshold of 15 alone. The fleet sees 40/s: one firing, from
// the evaluator, with the fleet's rate and the distinct addresses of the
// union; neither node's own engine pages; one resolved.
func TestNode_oneSiteOnePage(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	a := startNode(t, "a", nodeConfig{url: r.URL()})
	b := startNode(t, "b", nodeConfig{url: r.URL()})
	nodes := []*testNode{a, b}
	waitFor(t, 5*time.Second, "both nodes in fleet mode", func() bool {
		return a.n.Status().Mode == ModeFleet && b.n.Status().Mode == ModeFleet
	})
	base := time.Now().UTC().Truncate(time.Second).Add(-40 * time.Second)
	seen := map[int64]map[string]bool{} // second → addresses, for the true union
	for s := range 30 {
		at := base.Add(time.Duration(s) * time.Second)
		rate := 1
		if s >= 5 && s < 20 {
			rate = 20
		}
		seen[at.Unix()] = map[string]bool{}
		for k, tn := range nodes {
			ip := func(i int) string {
				// Addresses spread over both nodes, a third of them on both.
				x := (s*rate+i)*3 + k
				if i%3 == 0 {
					x = (s*rate + i) * 3
				}
				return fmt.Sprintf("10.%d.%d.%d", x>>16&255, x>>8&255, x&255)
			}
			for i := range rate {
				seen[at.Unix()][ip(i)] = true
			}
			tn.second(at, rate, ip)
		}
		end := at.Add(time.Second)
		waitFor(t, 5*time.Second, "the fleet to evaluate "+end.Format(time.TimeOnly), func() bool {
			return !evaluatedAt(t, r, "shop").Before(end)
		})
		if s == 12 {
			// Mid-flood, the evaluator's measures (what an incident's
			// notification shows) are the fleet's; the other node has none.
			ev := evaluating(nodes)
			if ev == nil {
				t.Fatal("no node evaluates")
			}
			var cur []float64
			for _, m := range ev.n.Measures() {
				cur = append(cur, m.Current)
			}
			if len(cur) == 0 || slices.Max(cur) != 40 {
				t.Errorf("the evaluator's measures: rates now %v, want the fleet's 40/s", cur)
			}
			for _, tn := range nodes {
				if tn != ev && tn.n.Measures() != nil {
					t.Errorf("node %s, not evaluating, has measures %v", tn.name, tn.n.Measures())
				}
			}
		}
	}
	waitFor(t, 5*time.Second, "the resolved", func() bool {
		var all []alert.Alert
		for _, tn := range nodes {
			d, _, _ := tn.transitions()
			all = append(all, d...)
		}
		return len(all) >= 2
	})
	var fleetT, localT []alert.Alert
	for _, tn := range nodes {
		d, l, _ := tn.transitions()
		fleetT = append(fleetT, fleetTransitions(d)...)
		if len(d) != len(fleetTransitions(d)) {
			t.Errorf("node %s delivered its own engine's transitions in fleet mode: %s", tn.name, states(d))
		}
		localT = append(localT, l...)
	}
	if len(fleetT) != 2 || fleetT[0].State != alert.Firing || fleetT[1].State != alert.Resolved {
		t.Fatalf("fleet transitions %s, want one firing and one resolved", states(fleetT))
	}
	if len(localT) < 4 {
		t.Errorf("local transitions %s: want each node's own engine to fire and resolve (held back)", states(localT))
	}
	t.Logf("fleet: %s; local: %s", states(fleetT), states(localT))
	f := fleetT[0]
	if f.Current != 40 || f.Value < 15 {
		t.Errorf("firing: value %v, current %v; want ≥ 15 over the window and 40/s in the last second", f.Value, f.Current)
	}
	union := map[string]bool{}
	var count uint64
	for sec := f.Time.Add(-10 * time.Second); sec.Before(f.Time); sec = sec.Add(time.Second) {
		for ip := range seen[sec.Unix()] {
			union[ip] = true
		}
	}
	count = uint64(len(union))
	if d := math.Abs(float64(f.Distinct) - float64(count)); d > 0.02*float64(count)+1 {
		t.Errorf("firing: %d distinct addresses, want the union's %d (±2%%)", f.Distinct, count)
	}
	t.Logf("firing: %+v", f)
	if len(f.Keys) == 0 || f.Count == 0 {
		t.Errorf("firing: keys %v, count %d", f.Keys, f.Count)
	}
}

// flood feeds every node one second: rate events from addresses of its
// own, then waits for the fleet to evaluate the second's end.
func flood(t *testing.T, r *testutil.Redis, nodes []*testNode, at time.Time, rate int) {
	t.Helper()
	for k, tn := range nodes {
		tn.second(at, rate, func(i int) string { return fmt.Sprintf("10.%d.%d.%d", k, at.Second(), i%250) })
	}
	waitEvaluated(t, r, at.Add(time.Second))
}

// waitEvaluated waits until the fleet has evaluated the boundary end.
func waitEvaluated(t *testing.T, r *testutil.Redis, end time.Time) {
	t.Helper()
	waitFor(t, 10*time.Second, "the fleet to evaluate "+end.Format(time.TimeOnly), func() bool {
		return !evaluatedAt(t, r, "shop").Before(end)
	})
}

// oneFiring returns the fleet's one transition, which must be a firing.
func oneFiring(t *testing.T, nodes []*testNode) alert.Alert {
	t.Helper()
	var fired []alert.Alert
	for _, tn := range nodes {
		d, _, _ := tn.transitions()
		fired = append(fired, fleetTransitions(d)...)
	}
	if len(fired) != 1 || fired[0].State != alert.Firing {
		t.Fatalf("fleet transitions %s, want one firing", states(fired))
	}
	return fired[0]
}

// fleetOfTwo starts nodes "a" and "b" with c and waits until both are in
// fleet mode and one evaluates.
func fleetOfTwo(t *testing.T, c nodeConfig) []*testNode {
	t.Helper()
	nodes := []*testNode{startNode(t, "a", c), startNode(t, "b", c)}
	waitFor(t, 5*time.Second, "both in fleet mode, one evaluating", func() bool {
		return nodes[0].n.Status().Mode == ModeFleet && nodes[1].n.Status().Mode == ModeFleet && evaluating(nodes) != nil
	})
	return nodes
}

func evaluating(nodes []*testNode) *testNode {
	for _, tn := range nodes {
		if tn.n.Status().Evaluating {
			return tn
		}
	}
	return nil
}

// TestNode_takeover: the evaluator dies (no goodbye) mid-incident;
// another node takes the lease within the lease time, carries on from
// the alert state in Redis (adopting the firing for its actions), sends
// no second firing, and sends the resolved once.
func TestNode_takeover(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	const lease = 2 * time.Second
	nodes := []*testNode{
		startNode(t, "a", nodeConfig{url: r.URL(), lease: lease}),
		startNode(t, "b", nodeConfig{url: r.URL(), lease: lease}),
		startNode(t, "c", nodeConfig{url: r.URL(), lease: lease}),
	}
	waitFor(t, 5*time.Second, "a node evaluating", func() bool { return evaluating(nodes) != nil })
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	s := 0
	next := func(rate int) {
		flood(t, r, nodes, base.Add(time.Duration(s)*time.Second), rate)
		s++
	}
	for range 3 {
		next(1)
	}
	for range 8 { // 3 × 8/s: the fleet fires, no node alone does
		next(8)
	}
	old := evaluating(nodes)
	if d, _, _ := old.transitions(); len(fleetTransitions(d)) != 1 {
		t.Fatalf("evaluator %s delivered %s, want the firing", old.name, states(d))
	}
	old.crash()
	killed := time.Now()
	nodes = slices.DeleteFunc(nodes, func(tn *testNode) bool { return tn == old })
	var took *testNode
	waitFor(t, lease+3*time.Second, "another node to take over", func() bool {
		took = evaluating(nodes)
		return took != nil
	})
	t.Logf("%s took over from %s %v after the kill (lease %v)", took.name, old.name, time.Since(killed).Round(time.Millisecond), lease)
	if d := time.Since(killed); d > lease+DefaultHeartbeat+time.Second {
		t.Errorf("takeover after %v, want within the lease (%v) and a heartbeat", d, lease)
	}
	for range 3 {
		next(12) // two nodes at 12/s: still firing for the fleet
	}
	for range 12 {
		next(0)
	}
	var fleetT []alert.Alert
	for _, tn := range append(nodes, old) {
		d, _, _ := tn.transitions()
		fleetT = append(fleetT, fleetTransitions(d)...)
	}
	slices.SortFunc(fleetT, func(a, b alert.Alert) int { return a.Time.Compare(b.Time) })
	if len(fleetT) != 2 || fleetT[0].State != alert.Firing || fleetT[1].State != alert.Resolved {
		t.Fatalf("fleet transitions %s: want one firing (before the kill), one resolved (after)", states(fleetT))
	}
	if d, _, _ := took.transitions(); len(d) != 1 || d[0].State != alert.Resolved {
		t.Errorf("the new evaluator delivered %s, want the resolved", states(d))
	}
	if _, _, ad := took.transitions(); len(ad) != 1 || ad[0].Rule != "signups" || ad[0].State != alert.Firing {
		t.Errorf("the new evaluator adopted %v, want the firing, for its actions", ad)
	}
}

// TestNode_deadNode: a node that dies (no goodbye) while the others go
// on holds the fleet's evaluation back no longer than README's 2.35 s:
// the evaluator stops waiting for its clock.
func TestNode_deadNode(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	nodes := []*testNode{
		startNode(t, "a", nodeConfig{url: r.URL()}),
		startNode(t, "b", nodeConfig{url: r.URL()}),
		startNode(t, "c", nodeConfig{url: r.URL()}),
	}
	waitFor(t, 5*time.Second, "a node evaluating", func() bool { return evaluating(nodes) != nil })
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	for s := range 3 {
		flood(t, r, nodes, base.Add(time.Duration(s)*time.Second), 2)
	}
	i := slices.IndexFunc(nodes, func(tn *testNode) bool { return tn != evaluating(nodes) })
	dead := nodes[i]
	dead.crash()
	died := time.Now()
	nodes = slices.Delete(nodes, i, i+1)
	at := base.Add(3 * time.Second)
	for _, tn := range nodes {
		tn.second(at, 2, func(i int) string { return fmt.Sprintf("10.9.%d.%d", at.Second(), i) })
	}
	end := at.Add(time.Second)
	waitFor(t, 10*time.Second, "the fleet to evaluate without the dead node", func() bool {
		return !evaluatedAt(t, r, "shop").Before(end)
	})
	took := time.Since(died)
	t.Logf("%s died; the fleet evaluated %s %v later", dead.name, end.Format(time.TimeOnly), took.Round(time.Millisecond))
	if took > 2350*time.Millisecond+DefaultHeartbeat+time.Second {
		t.Errorf("the fleet waited %v for a dead node, want about 2.35 s at most", took)
	}
}

// TestNode_aheadNode: a node whose log is dated an hour ahead of Redis's
// clock has its deltas dropped as late, neither holds back nor pulls
// forward the fleet's evaluation, and runs on its local rules, saying why
// (README, "What the fleet does").
func TestNode_aheadNode(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	a := startNode(t, "a", nodeConfig{url: r.URL()})
	b := startNode(t, "b", nodeConfig{url: r.URL()})
	waitFor(t, 5*time.Second, "a node evaluating", func() bool { return evaluating([]*testNode{a, b}) != nil })
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	ahead := base.Add(time.Hour)
	for s := range 4 {
		at := base.Add(time.Duration(s) * time.Second)
		b.second(ahead.Add(time.Duration(s)*time.Second), 3, func(i int) string { return fmt.Sprintf("10.8.%d.%d", s, i) })
		flood(t, r, []*testNode{a}, at, 2) // waits for the fleet to evaluate at's second: not held back by b
	}
	if ev := evaluatedAt(t, r, "shop"); ev.After(base.Add(4 * time.Second)) {
		t.Errorf("the fleet evaluated up to %v, pulled forward by b's clock (a is at %v)", ev, base.Add(4*time.Second))
	}
	waitFor(t, 5*time.Second, "b in local mode, its deltas late", func() bool {
		st := b.n.Status()
		return st.Mode == ModeLocal && strings.Contains(st.Reason, "ahead") && st.Late > 0
	})
	if st := a.n.Status(); st.Mode != ModeFleet {
		t.Errorf("a: %s (%s), want fleet mode", st.Mode, st.Reason)
	}
}

// TestNode_stopGivesLeaseUp: an evaluator stopped gracefully (SIGTERM:
// its context ends) gives its lease up on the way out, so another node
// takes over within a heartbeat or two, not after the lease; one killed
// keeps it until it expires (TestNode_takeover).
func TestNode_stopGivesLeaseUp(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	const lease = 20 * time.Second // far longer than the takeover allowed below
	nodes := []*testNode{
		startNode(t, "a", nodeConfig{url: r.URL(), lease: lease}),
		startNode(t, "b", nodeConfig{url: r.URL(), lease: lease}),
	}
	waitFor(t, 5*time.Second, "a node evaluating", func() bool { return evaluating(nodes) != nil })
	old := evaluating(nodes)
	old.stop()
	stopped := time.Now()
	nodes = slices.DeleteFunc(nodes, func(tn *testNode) bool { return tn == old })
	limit := 2*DefaultHeartbeat + 2*time.Second
	waitFor(t, limit, "the other node to take the lease given up", func() bool { return evaluating(nodes) != nil })
	t.Logf("%s evaluates %v after %s stopped (lease %v)", nodes[0].name,
		time.Since(stopped).Round(time.Millisecond), old.name, lease)
}

// TestNode_fallback: Redis stops mid-incident: every node falls back to
// its local rules and delivers the firing its engine held back, once; the
// backlog stays bounded (the oldest deltas dropped, counted); the nodes
// return to fleet mode when Redis is back, and again after CLIENT PAUSE.
func TestNode_fallback(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	nodes := []*testNode{
		startNode(t, "a", nodeConfig{url: r.URL(), backlog: 5}),
		startNode(t, "b", nodeConfig{url: r.URL(), backlog: 5}),
	}
	waitFor(t, 5*time.Second, "a node evaluating", func() bool { return evaluating(nodes) != nil })
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	s := 0
	for ; s < 10; s++ {
		flood(t, r, nodes, base.Add(time.Duration(s)*time.Second), 20)
	}
	for _, tn := range nodes {
		d, l, _ := tn.transitions()
		if len(l) != 1 || l[0].State != alert.Firing || len(d) != len(fleetTransitions(d)) {
			t.Fatalf("node %s: local %s, delivered %s: want its own firing held back", tn.name, states(l), states(d))
		}
	}
	r.Stop()
	for _, tn := range nodes {
		waitFor(t, 5*time.Second, tn.name+" in local mode", func() bool { return tn.n.Status().Mode == ModeLocal })
		d, _, _ := tn.transitions()
		if last := d[len(d)-1]; last.State != alert.Firing || len(last.Samples) == 0 {
			t.Errorf("node %s delivered %s at the fallback, want its own firing", tn.name, states(d))
		}
		if st := tn.n.Status(); !strings.Contains(st.Reason, "redis") || st.Evaluating {
			t.Errorf("status %+v", st)
		}
	}
	// Seconds pass with Redis down: deltas queue, bounded.
	for ; s < 30; s++ {
		for _, tn := range nodes {
			tn.second(base.Add(time.Duration(s)*time.Second), 20, func(i int) string { return fmt.Sprintf("10.9.%d.%d", s, i) })
		}
	}
	for _, tn := range nodes {
		waitFor(t, 5*time.Second, tn.name+" to drop its oldest deltas", func() bool { return tn.n.Status().Dropped > 0 })
		if st := tn.n.Status(); st.Backlog > 5 {
			t.Errorf("node %s: backlog %d, want at most 5", tn.name, st.Backlog)
		}
	}
	r.Start()
	for _, tn := range nodes {
		waitFor(t, 10*time.Second, tn.name+" back in fleet mode", func() bool { return tn.n.Status().Mode == ModeFleet })
	}
	r.Do("CLIENT", "PAUSE", "2000", "ALL")
	for _, tn := range nodes {
		waitFor(t, 5*time.Second, tn.name+" in local mode during the pause", func() bool { return tn.n.Status().Mode == ModeLocal })
	}
	for _, tn := range nodes {
		waitFor(t, 10*time.Second, tn.name+" back in fleet mode after the pause", func() bool { return tn.n.Status().Mode == ModeFleet })
		if !strings.Contains(tn.logs.String(), "fleet: back in fleet mode") {
			t.Errorf("node %s did not say it is back in fleet mode", tn.name)
		}
		if got := strings.Count(tn.logs.String(), "fleet: falling back"); got != 2 {
			t.Errorf("node %s said it fell back %d times, want twice (once per outage)", tn.name, got)
		}
	}
}

// TestNode_lateDeltas: a node whose log lags the fleet by more than the
// skew: the evaluator stops waiting for it once the skew has passed, its
// deltas for steps already evaluated are counted late and dropped (the
// steps keep the other node's counts), and it falls back to its local
// rules, saying why.
func TestNode_lateDeltas(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	a := startNode(t, "a", nodeConfig{url: r.URL(), skew: time.Second})
	b := startNode(t, "b", nodeConfig{url: r.URL(), skew: time.Second})
	waitFor(t, 5*time.Second, "both nodes in fleet mode", func() bool {
		return a.n.Status().Mode == ModeFleet && b.n.Status().Mode == ModeFleet
	})
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	ip := func(i int) string { return fmt.Sprintf("10.0.0.%d", i) }
	for s := range 3 {
		flood(t, r, []*testNode{a, b}, at(s), 10)
	}
	for s := 3; s < 12; s++ { // b's log stalls at second 3
		a.second(at(s), 10, ip)
	}
	// Within about one skew of a passing them, not one skew per step (the
	// nine steps since b stalled once took nine).
	waitFor(t, 5*time.Second, "the fleet to evaluate without b", func() bool { return !evaluatedAt(t, r, "shop").Before(at(12)) })
	// b learns it with its next heartbeat; its deltas go with the one after.
	waitFor(t, 5*time.Second, "b to see the fleet's evaluation", func() bool { return !b.n.Status().Evaluated.Before(at(12)) })
	for s := 3; s < 8; s++ { // b catches up: too late for these steps
		b.second(at(s), 10, ip)
	}
	waitFor(t, 5*time.Second, "b's late deltas counted", func() bool { return b.n.Status().Late >= 4 })
	waitFor(t, 5*time.Second, "b in local mode", func() bool { return b.n.Status().Mode == ModeLocal })
	if st := b.n.Status(); !strings.Contains(st.Reason, "lags") {
		t.Errorf("b: reason %q, want that its log lags", st.Reason)
	}
	rk := ruleKey(signupRule())
	for s := 3; s < 7; s++ {
		got, err := r.Client().Get(context.Background(), newKeys("shop").count(rk, at(s).Unix())).Int()
		if err != nil || got != 10 {
			t.Errorf("step %d: count %d (%v), want a's 10 alone: b's late delta not merged", s, got, err)
		}
	}
	if got, _ := r.Client().Get(context.Background(), newKeys("shop").count(rk, at(1).Unix())).Int(); got != 20 {
		t.Errorf("step 1: count %d, want both nodes' 20", got)
	}
	// a stays (or comes back, after the stall at the start while b held the
	// lease) in fleet mode: b's lag is b's alone.
	waitFor(t, 5*time.Second, "a in fleet mode", func() bool { return a.n.Status().Mode == ModeFleet })
	// README: it stays in local mode "until it has caught up": its log back
	// within the skew of the fleet's evaluation, b returns to fleet mode.
	for s := 8; s < 12; s++ {
		b.second(at(s), 10, ip)
	}
	waitFor(t, 5*time.Second, "b back in fleet mode, caught up", func() bool { return b.n.Status().Mode == ModeFleet })
	if got := promtest.ToFloat64(a.n.met.forced) + promtest.ToFloat64(b.n.met.forced); got < 1 {
		t.Errorf("sentinel_fleet_boundaries_forced_total %v, want the boundaries evaluated without b counted", got)
	}
	if got := promtest.ToFloat64(b.n.met.fallbacks); got != 1 {
		t.Errorf("b fell back %v times, want once", got)
	}
}

// TestNode_sites: a site's keys are its own. A node of another site on
// the same Redis sees nothing of the first site's counts; with an ACL
// user confined to the first site's keys, a node set to another site is
// refused (NOPERM) and falls back to its local rules; the password never
// shows in its logs or status.
func TestNode_sites(t *testing.T) {
	r := testutil.StartRedis(t)
	const secret = "s3cret-pw-4417"
	r.Do("ACL", "SETUSER", "shop", "on", ">"+secret, "~sentinel:{shop}:*", "+@all")
	url := "redis://shop:" + secret + "@" + r.Addr
	shop := startNode(t, "a", nodeConfig{url: url, site: "shop"})
	other := startNode(t, "b", nodeConfig{url: r.URL(), site: "other"})
	sneaky := startNode(t, "c", nodeConfig{url: url, site: "other"})
	waitFor(t, 5*time.Second, "the shop's node in fleet mode", func() bool { return shop.n.Status().Mode == ModeFleet })
	waitFor(t, 5*time.Second, "the node of the other site refused", func() bool { return sneaky.n.Status().Mode == ModeLocal })
	base := time.Now().UTC().Truncate(time.Second).Add(-30 * time.Second)
	for s := range 4 {
		shop.second(base.Add(time.Duration(s)*time.Second), 30, func(i int) string { return fmt.Sprintf("10.1.%d.%d", s, i) })
	}
	waitFor(t, 5*time.Second, "the shop's evaluation", func() bool { return !evaluatedAt(t, r, "shop").Before(base.Add(4 * time.Second)) })
	keys, err := r.Client().Keys(context.Background(), "sentinel:{other}:c:*").Result()
	if err != nil || len(keys) != 0 {
		t.Errorf("the other site's step keys: %v (%v), want none", keys, err)
	}
	if st := other.n.Status(); st.Mode != ModeFleet || st.Evaluator != "b" {
		t.Errorf("the other site: %+v, want its own fleet, evaluated by its own node", st)
	}
	st := sneaky.n.Status()
	t.Logf("refused: %s", st.Reason)
	if !strings.Contains(st.Reason, "NOPERM") && !strings.Contains(strings.ToLower(st.Reason), "permission") {
		t.Errorf("refused node: reason %q, want Redis's refusal", st.Reason)
	}
	for _, tn := range []*testNode{shop, sneaky} {
		if s := tn.logs.String() + fmt.Sprintf("%+v", tn.n.Status()); strings.Contains(s, secret) {
			t.Errorf("node %s shows the password: %s", tn.name, s)
		}
		if st := tn.n.Status(); !strings.Contains(st.Redis, "xxxxx") {
			t.Errorf("node %s: redis %q, want the URL redacted", tn.name, st.Redis)
		}
	}
}

// TestNode_joinUnreachable: a node whose Redis cannot be reached when it
// starts holds its fleet rules' local transitions only until its first
// round trip fails, then delivers them and goes on with its local rules.
func TestNode_joinUnreachable(t *testing.T) {
	r := testutil.StartRedis(t)
	url := r.URL()
	r.Kill() // nothing listens there now
	tn := startNode(t, "a", nodeConfig{url: url})
	held := alert.Alert{Rule: "signups", State: alert.Firing, Severity: alert.Warning, Time: time.Now(), Samples: []string{"x"}}
	// Raised to critical while held: the held firing is the episode's, at
	// its severity now, not a raise of a firing never delivered.
	raised := held
	raised.Severity, raised.Escalated = alert.Critical, true
	tn.mu.Lock()
	deliver := tn.n.Local(held)
	deliver = tn.n.Local(raised) || deliver
	tn.mu.Unlock()
	if deliver && tn.n.Status().Mode != ModeLocal {
		t.Fatalf("Local() = true while joining")
	}
	waitFor(t, 5*time.Second, "local mode", func() bool { return tn.n.Status().Mode == ModeLocal })
	if d, _, _ := tn.transitions(); !deliver && (len(d) != 1 || d[0].Rule != "signups" || d[0].Escalated || d[0].Severity != alert.Critical) {
		t.Errorf("delivered %s (%+v), want the firing held while joining, critical, not a raise", states(d), d)
	}
	if !tn.n.Local(alert.Alert{Rule: "signups", State: alert.Resolved}) || !tn.n.Local(alert.Alert{Rule: "other", State: alert.Firing}) {
		t.Errorf("in local mode, Local() holds a transition back")
	}
	if st := tn.n.Status(); !strings.Contains(st.Reason, "refused") {
		t.Errorf("reason %q, want the refusal", st.Reason)
	}
}

// TestNode_evidence: README, "What is shared": the nodes publish their
// rules' evidence counts (here the log-in posts, with critical_when's
// share), those of seconds where no log-in failed too; the fleet's page is
// critical on the fleet's share, which neither node's alone decides.
func TestNode_evidence(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	post := &detector.Shared{Name: "login-posts", Cond: detector.NewEquals(detector.LookupField("method"), []string{"POST"})}
	failed := detector.All{post, &detector.Range{Field: detector.LookupField("status"), Ranges: []detector.NumRange{{Min: 401, Max: 401}}}}
	rule := detector.Rule{Name: "failures", Type: detector.Rate, Window: 10 * time.Second, Threshold: 5, Match: failed,
		Fleet: true, Fingerprint: "e1", Severity: alert.Warning, Evidence: &detector.Evidence{ShareOf: post, Share: 0.7}}
	nodes := fleetOfTwo(t, nodeConfig{url: r.URL(), rule: &rule})
	// Each second each node gets a log-in that works; from the sixth, 4
	// failures too (8 a second over the fleet, past 5/s, each node under
	// it): the fleet crosses 5/s with 56 of 76 log-in posts failing (74%,
	// past critical_when's 70%), the posts of the first five seconds,
	// where nothing failed, counted.
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	for s := 0; s < 25; s++ {
		at := base.Add(time.Duration(s) * time.Second)
		for k, tn := range nodes {
			posts := [][2]int{{302, 0}}
			if s >= 5 {
				posts = append(posts, [2]int{401, 2}, [2]int{401, 3}, [2]int{401, 4}, [2]int{401, 5})
			}
			tn.feed(at, len(posts), func(i int, ev *parsers.Event) {
				ev.ClientIP = fmt.Appendf(nil, "10.%d.%d.%d", k, s, posts[i][1])
				ev.Method, ev.Status = []byte("POST"), posts[i][0]
			})
		}
		waitEvaluated(t, r, at.Add(time.Second))
	}
	f := oneFiring(t, nodes)
	// The window's log-in posts: 2 a second on the fleet, 10 from the
	// sixth second; its failures 8 a second from the sixth.
	secs := int(f.Time.Sub(base) / time.Second)
	fails, all := 0, 0
	for s := max(secs-10, 0); s < secs; s++ {
		all += 2
		if s >= 5 {
			fails, all = fails+8, all+8
		}
	}
	want := fmt.Sprintf("%d of %d login-posts", fails, all)
	if f.Severity != alert.Critical || !slices.Equal(f.Evidence, []string{want}) {
		t.Errorf("firing at +%ds: %s %q; want critical, %q", secs, f.Severity, f.Evidence, want)
	}
	t.Logf("firing at +%ds: %s %q", secs, f.Severity, f.Evidence)
}

// TestNode_clientsPerAgent: the nodes publish their user agents beside
// their client addresses; the fleet's page is critical for a flood from
// many addresses behind two user agents, which it counts once across the
// nodes.
func TestNode_clientsPerAgent(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	rule := signupRule()
	rule.Fingerprint, rule.Evidence = "c1", &detector.Evidence{ClientsPerAgent: 20}
	nodes := fleetOfTwo(t, nodeConfig{url: r.URL(), rule: &rule})
	// 20 posts a second on each node from addresses of its own, behind the
	// same two user agents on both: 40/s over the fleet, past 15/s.
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	for s := range 8 {
		at := base.Add(time.Duration(s) * time.Second)
		for k, tn := range nodes {
			tn.feed(at, 20, func(i int, ev *parsers.Event) {
				ev.ClientIP = fmt.Appendf(nil, "10.%d.%d.%d", k, s, i)
				ev.UserAgent = []byte([]string{"Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (Windows NT 10.0)"}[i%2])
			})
		}
		waitEvaluated(t, r, at.Add(time.Second))
	}
	f := oneFiring(t, nodes)
	if f.Severity != alert.Critical || len(f.Evidence) != 1 || !strings.HasSuffix(f.Evidence[0], " addresses, 2 user agents") {
		t.Errorf("firing: %s %q; want critical, N addresses and 2 user agents", f.Severity, f.Evidence)
	}
	t.Logf("firing: %s %q", f.Severity, f.Evidence)
}

// TestNode_ratioWhileHitsGoOn: a fleet's share rule starts firing only
// while its hits go on, as one engine's does. After a burst of 502s the
// share rises past the threshold as the requests that worked before it
// leave the window and fewer come after: no page; 502s going on: one.
func TestNode_ratioWhileHitsGoOn(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	fivexx := &detector.Range{Field: detector.LookupField("status"), Ranges: []detector.NumRange{{Min: 500, Max: 599}}}
	rule := detector.Rule{Name: "5xx", Type: detector.Ratio, Window: 9 * time.Second, Threshold: 0.3, MinEvents: 5, Of: fivexx,
		Fleet: true, Fingerprint: "q1", Severity: alert.Critical}
	nodes := fleetOfTwo(t, nodeConfig{url: r.URL(), rule: &rule})
	// Each node: 3 requests a second that work for 10 s, two 502s a
	// second for 2 s, then one request that works every third second: the
	// fleet's share is 33% to 57% from the 17th second to the 19th, the
	// last 502 six seconds (two thirds of the window) behind. From the
	// 25th second a 502 and a 200 a second on each node: 50%, going on.
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	for s := 0; s < 32; s++ {
		at := base.Add(time.Duration(s) * time.Second)
		var statuses []int
		switch {
		case s < 10:
			statuses = []int{200, 200, 200}
		case s < 12:
			statuses = []int{502, 502}
		case s < 25:
			if s%3 == 0 {
				statuses = []int{200}
			}
		default:
			statuses = []int{502, 200}
		}
		for _, tn := range nodes {
			tn.feed(at, len(statuses), func(i int, ev *parsers.Event) {
				ev.Method, ev.Path, ev.Status = []byte("GET"), []byte("/"), statuses[i]
			})
		}
		waitEvaluated(t, r, at.Add(time.Second))
		if s == 24 {
			for _, tn := range nodes {
				if d, _, _ := tn.transitions(); len(fleetTransitions(d)) > 0 {
					t.Fatalf("after the 502s stopped: %s, want nothing", states(fleetTransitions(d)))
				}
			}
		}
	}
	f := oneFiring(t, nodes)
	if secs := int(f.Time.Sub(base) / time.Second); secs < 25 || secs > 28 {
		t.Errorf("fired at +%ds (%s), want within 3 s of the 502s' return at +25s", secs, states([]alert.Alert{f}))
	}
}

// TestNode_followTraffic: README, "Publishing": for a rule that follows
// the traffic (follow_traffic) the nodes publish every event they counted
// beside the rule's own, and the fleet's normal follows the fleet's
// requests. Sign-ups and requests four times their normal on both nodes
// (a weekday after a weekend) page nothing, where without the requests
// the sign-ups are past 2.5 times their normal; five times the sign-ups
// on the ordinary requests page once.
func TestNode_followTraffic(t *testing.T) {
	for _, c := range []struct {
		name           string
		pages, signups int // a second on each node, after 30 s of 20 and 1
		fires          bool
	}{
		{"a weekday", 80, 4, false},
		{"sign-ups alone", 20, 5, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // waits on the wall clock: overlapped with the others that do
			r := testutil.StartRedis(t)
			signups := &detector.CIDR{Field: detector.LookupField("client_ip"), Prefixes: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}}
			rule := detector.Rule{Name: "signups", Type: detector.Rate, Window: 10 * time.Second, Match: signups, Fleet: true,
				Fingerprint: "t1", Severity: alert.Warning,
				Baseline: &detector.Baseline{Factor: 2.5, Floor: 0.5, HalfLife: time.Minute, FollowTraffic: true}}
			nodes := fleetOfTwo(t, nodeConfig{url: r.URL(), rule: &rule})
			base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
			for s := range 45 {
				at := base.Add(time.Duration(s) * time.Second)
				pages, posts := 20, 1
				if s >= 30 {
					pages, posts = c.pages, c.signups
				}
				for k, tn := range nodes {
					tn.feed(at, pages+posts, func(i int, ev *parsers.Event) {
						ev.ClientIP = fmt.Appendf(nil, "10.2.%d.%d", k, i)
						if i < posts {
							ev.ClientIP = fmt.Appendf(nil, "10.1.%d.%d", k, i)
						}
					})
				}
				waitEvaluated(t, r, at.Add(time.Second))
			}
			var fired []alert.Alert
			for _, tn := range nodes {
				d, _, _ := tn.transitions()
				fired = append(fired, fleetTransitions(d)...)
			}
			if c.fires != (len(fired) > 0) {
				t.Errorf("fleet transitions %s, want a firing: %v", states(fired), c.fires)
			}
		})
	}
}
