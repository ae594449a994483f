package fleet

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// heartbeatMarker is in every publishing round trip (the heartbeat
// script's source, sent with EVAL) and in no other request.
const heartbeatMarker = "ARGV[7]"

// TestNode_slowRoundTripIsAHiccup: README, "Failure modes": one slow
// round trip alone is a hiccup. One publishing round trip of the
// evaluator is held up past the timeout, the next goes through: the node
// stays in fleet mode (no fallback, nothing said), keeps its lease (the
// same token in Redis) and its tenure: it does not take the lease anew
// (sentinel_fleet_leases_total stays 1) nor hand the firing rules to its
// actions again as a new evaluator does.
func TestNode_slowRoundTripIsAHiccup(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r, p, a := evaluatorBehindProxy(t)
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	for s := range 5 { // 40/s for 5 s: 20/s over the window, the fleet fires
		flood(t, r, []*testNode{a}, base.Add(time.Duration(s)*time.Second), 40)
	}
	if d, _, _ := a.transitions(); len(d) != 1 || d[0].State != alert.Firing || len(d[0].Samples) != 0 {
		t.Fatalf("delivered %s, want the fleet's firing", states(d))
	}
	leaseKey := newKeys("shop").lease()
	lease := r.Client().Get(context.Background(), leaseKey).Val()
	publishErrors := func() float64 { return promtest.ToFloat64(a.n.met.roundTrips.WithLabelValues("publish", "error")) }

	p.stallOnce(heartbeatMarker, DefaultTimeout+650*time.Millisecond)
	waitFor(t, 5*time.Second, "one slow round trip", func() bool { return publishErrors() == 1 })
	// Two slow round trips in a row would have made it fall back within a
	// second: it must not in twice that.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if st := a.n.Status(); st.Mode != ModeFleet {
			t.Fatalf("after one slow round trip: mode %s (%s), want fleet mode", st.Mode, st.Reason)
		}
		time.Sleep(10 * time.Millisecond)
	}
	flood(t, r, []*testNode{a}, base.Add(5*time.Second), 40) // it still evaluates
	if got := p.stalls(); got != 1 || publishErrors() != 1 {
		t.Fatalf("%d requests held up, %v publishing round trips failed: want one", got, publishErrors())
	}
	if got := promtest.ToFloat64(a.n.met.fallbacks); got != 0 || strings.Contains(a.logs.String(), "fleet: falling back") {
		t.Errorf("fell back %v times after one slow round trip, want none", got)
	}
	if got := r.Client().Get(context.Background(), leaseKey).Val(); got != lease {
		t.Errorf("lease %q, was %q: want it kept", got, lease)
	}
	if st := a.n.Status(); !st.Evaluating || st.Token != 1 {
		t.Errorf("status %+v: want a still evaluating, under its token 1", st)
	}
	if got := promtest.ToFloat64(a.n.met.evaluator); got != 1 {
		t.Errorf("sentinel_fleet_evaluator %v while a holds the lease and evaluates, want 1", got)
	}
	if got := promtest.ToFloat64(a.n.met.leases); got != 1 {
		t.Errorf("sentinel_fleet_leases_total %v, want 1: one slow round trip made the node take its own lease anew", got)
	}
	if got := strings.Count(a.logs.String(), "fleet: evaluating the fleet rules"); got != 1 {
		t.Errorf("the evaluator's tenure began %d times, want once", got)
	}
	if _, _, ad := a.transitions(); len(ad) != 0 {
		t.Errorf("after one slow round trip, the firing rules were handed to the actions again as a new evaluator's: %v", states(ad))
	}
}

// TestNode_evaluationStalls: README, "Failure modes": when the fleet's
// evaluation stalls (nothing evaluated for longer than the skew, the
// lease and 3 s) while Redis is up, every node falls back to its local
// rules, delivering the firing its engine held back, until it resumes;
// and an episode a node opened on its own is closed by its own resolved,
// even after fleet mode resumes. The stall: the lease is held by an
// evaluator that never evaluates (a hung process's, here the test's).
func TestNode_evaluationStalls(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	const skew, lease = time.Second, 2 * time.Second // the stall limit: 6 s of the nodes' logs
	nodes := fleetOfTwo(t, nodeConfig{url: r.URL(), skew: skew, lease: lease})
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	for s := range 3 {
		flood(t, r, nodes, at(s), 1)
	}
	r.Do("SET", newKeys("shop").lease(), "999:hung/0", "PX", "60000")
	waitFor(t, 5*time.Second, "no node evaluating", func() bool { return evaluating(nodes) == nil })
	// 30/s on each node: each engine fires on its own (held back); the fleet
	// evaluates nothing.
	for s := 3; s < 11; s++ {
		for k, tn := range nodes {
			tn.second(at(s), 30, func(i int) string { return fmt.Sprintf("10.%d.%d.%d", k, s, i) })
		}
	}
	for _, tn := range nodes {
		waitFor(t, 5*time.Second, tn.name+" in local mode", func() bool { return tn.n.Status().Mode == ModeLocal })
		st := tn.n.Status()
		if !strings.Contains(st.Reason, "stalled") {
			t.Errorf("node %s: reason %q, want the fleet's evaluation stalled", tn.name, st.Reason)
		}
		if got := promtest.ToFloat64(tn.n.met.fallbacks); got != 1 || promtest.ToFloat64(tn.n.met.mode) != 0 {
			t.Errorf("node %s: sentinel_fleet_fallbacks_total %v, sentinel_fleet_mode %v: want 1 and 0", tn.name, got, promtest.ToFloat64(tn.n.met.mode))
		}
		d, l, _ := tn.transitions()
		if len(l) != 1 || l[0].State != alert.Firing {
			t.Fatalf("node %s: its engine's transitions %s, want a firing", tn.name, states(l))
		}
		if got := promtest.ToFloat64(tn.n.met.suppressed); got != 1 {
			t.Errorf("node %s: sentinel_fleet_local_transitions_held_total %v, want its firing", tn.name, got)
		}
		if len(d) != 1 || !d[0].Time.Equal(l[0].Time) || len(d[0].Samples) == 0 {
			t.Errorf("node %s delivered %s at the fallback, want its own firing, held back until then", tn.name, states(d))
		}
	}
	// The hung evaluator goes: another takes over and catches up; every
	// node returns to fleet mode.
	r.Do("DEL", newKeys("shop").lease())
	for _, tn := range nodes {
		waitFor(t, 5*time.Second, tn.name+" back in fleet mode", func() bool { return tn.n.Status().Mode == ModeFleet })
	}
	// The flood ends: each node's own episode is closed by its own resolved,
	// delivered in fleet mode.
	for s := 11; s < 24; s++ {
		flood(t, r, nodes, at(s), 0)
	}
	for _, tn := range nodes {
		d, l, _ := tn.transitions()
		if len(l) != 2 || l[1].State != alert.Resolved {
			t.Fatalf("node %s: its engine's transitions %s, want a firing and a resolved", tn.name, states(l))
		}
		if !slices.ContainsFunc(d, func(a alert.Alert) bool {
			return a.State == alert.Resolved && a.Time.Equal(l[1].Time) && a.Value == l[1].Value
		}) {
			t.Errorf("node %s delivered %s: want its own resolved (%s), in fleet mode", tn.name, states(d), states(l[1:]))
		}
		if st := tn.n.Status(); st.Mode != ModeFleet {
			t.Errorf("node %s: %s (%s), want fleet mode", tn.name, st.Mode, st.Reason)
		}
	}
}

// TestNode_evaluatorCutOff: README, "Takeover" and "Failure modes": the
// evaluator cut off from Redis (while the other nodes still reach it)
// falls back to its local rules and sends nothing for the fleet; another
// node takes the lease within the lease time (plus a heartbeat) and
// carries on from the alert state: no second firing, the resolved once.
// Reconnected, the old evaluator returns to fleet mode without the lease
// and sends nothing for the fleet either; its daemon lets go of the
// fleet's incident and remedy (Options.Release), which b follows now.
func TestNode_evaluatorCutOff(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	const lease = 2 * time.Second
	p, a, b, step := firingUnderEvaluator(t, lease)
	next := func(rate int) { step([]*testNode{a, b}, rate) }
	p.cut()
	cut := time.Now()
	waitFor(t, lease+3*time.Second, "b to take the lease", func() bool { return b.n.Status().Evaluating })
	took := time.Since(cut)
	t.Logf("b evaluates %v after a was cut off (lease %v)", took.Round(time.Millisecond), lease)
	if took > lease+DefaultHeartbeat+time.Second {
		t.Errorf("takeover after %v, want within the lease (%v) and a heartbeat", took, lease)
	}
	waitFor(t, 5*time.Second, "a in local mode", func() bool { return a.n.Status().Mode == ModeLocal })
	if st := a.n.Status(); st.Evaluating || !strings.Contains(st.Reason, "redis") {
		t.Errorf("a cut off: %+v, want it in local mode for want of Redis, not evaluating", st)
	}
	for range 3 {
		next(12) // b alone at 12/s: the fleet still fires (its window still holds a's share)
	}
	if d, _, _ := a.transitions(); len(d) != 1 {
		t.Errorf("a, cut off, delivered %s: want nothing after the fleet's firing", states(d))
	}
	p.mend()
	for range 12 {
		next(0)
	}
	d, _, ad := b.transitions()
	if len(d) != 1 || d[0].State != alert.Resolved || len(d[0].Samples) != 0 {
		t.Errorf("b, the new evaluator, delivered %s: want the fleet's resolved alone", states(d))
	}
	if len(ad) != 1 || ad[0].Rule != "signups" {
		t.Errorf("b adopted %v, want the fleet's firing, for its actions", ad)
	}
	waitFor(t, 10*time.Second, "a back in fleet mode", func() bool { return a.n.Status().Mode == ModeFleet })
	if d, _, _ := a.transitions(); len(d) != 1 {
		t.Errorf("a delivered %s: want nothing after the fleet's firing", states(d))
	}
	if st := a.n.Status(); st.Evaluating || st.Evaluator != "b" {
		t.Errorf("a reconnected: %+v, want b evaluating", st)
	}
	// The fleet's firing a delivered is b's to follow now: a's daemon lets
	// go of it, once (a later firing on a, as evaluator again, pages anew).
	waitFor(t, 5*time.Second, "a to release the fleet's rules", func() bool { return len(a.releases()) > 0 })
	time.Sleep(2 * DefaultHeartbeat)
	if rel := a.releases(); len(rel) != 1 || !slices.Equal(rel[0], []string{"signups"}) {
		t.Errorf("a released %v, want [signups] once", rel)
	}
	if rel := b.releases(); len(rel) > 1 {
		t.Errorf("b released %v, want at most once (when it joined, a evaluating)", rel)
	}
}

// firingUnderEvaluator starts a fleet of two nodes on one Redis: a, the
// evaluator, through a proxy that can cut it off, and b. Nine seconds of
// 10 sign-ups a second on each fire the fleet's rule (neither node alone
// does), delivered by a. step feeds nodes the next second at rate, and
// waits for the fleet to evaluate it.
func firingUnderEvaluator(t *testing.T, lease time.Duration) (p *proxy, a, b *testNode, step func(nodes []*testNode, rate int)) {
	t.Helper()
	r := testutil.StartRedis(t)
	p = startProxy(t, r.Addr)
	a = startNode(t, "a", nodeConfig{url: p.URL(), lease: lease})
	waitFor(t, 5*time.Second, "a evaluating", func() bool { return a.n.Status().Evaluating })
	b = startNode(t, "b", nodeConfig{url: r.URL(), lease: lease})
	waitFor(t, 5*time.Second, "b in fleet mode", func() bool { return b.n.Status().Mode == ModeFleet })
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	s := 0
	step = func(nodes []*testNode, rate int) {
		flood(t, r, nodes, base.Add(time.Duration(s)*time.Second), rate)
		s++
	}
	for range 9 {
		step([]*testNode{a, b}, 10)
	}
	if d, _, _ := a.transitions(); len(d) != 1 || d[0].State != alert.Firing || len(d[0].Samples) != 0 {
		t.Fatalf("evaluator a delivered %s, want the fleet's firing", states(d))
	}
	return p, a, b, step
}

// TestNode_quietWhileAway: the evaluator is cut off mid-incident; the
// node that takes over resolves the incident, then stops (its goodbye
// frees the lease); the old evaluator, reconnected, takes the lease
// straight away, never having seen the other hold it. The alert state says
// the rule is quiet: its daemon lets go of the firing it delivered
// (Options.Release) when its tenure starts, so that the incident it still
// held is not taken for the one still going on.
func TestNode_quietWhileAway(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	const lease = 2 * time.Second
	p, a, b, next := firingUnderEvaluator(t, lease)
	before := len(a.releases())
	p.cut()
	waitFor(t, lease+3*time.Second, "b to take the lease", func() bool { return b.n.Status().Evaluating })
	for range 12 {
		next([]*testNode{b}, 0)
	}
	if d, _, _ := b.transitions(); len(d) != 1 || d[0].State != alert.Resolved {
		t.Fatalf("b delivered %s, want the fleet's resolved", states(d))
	}
	b.stop()
	p.mend()
	waitFor(t, 10*time.Second, "a evaluating again", func() bool { return a.n.Status().Evaluating })
	waitFor(t, 5*time.Second, "a to release the rule", func() bool { return len(a.releases()) > before })
	if rel := a.releases()[before:]; len(rel) != 1 || !slices.Equal(rel[0], []string{"signups"}) {
		t.Errorf("a released %v after its return, want [signups] once", rel)
	}
	if d, _, ad := a.transitions(); len(d) != 1 || len(ad) != 0 {
		t.Errorf("a delivered %s and adopted %v after its return: want nothing more", states(d), ad)
	}
}

// TestNode_waitsForEveryLiveNode: README, "One evaluator": the holder
// evaluates a boundary once every live node has passed it (its heartbeat
// carries its log's clock), or once the skew has elapsed since the first
// did. Node a's log passes a second while b's is still before it: the
// fleet does not evaluate that second until b passes it too (well within
// the skew), and the step then holds both nodes' counts.
func TestNode_waitsForEveryLiveNode(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	const skew = 10 * time.Second
	a := startNode(t, "a", nodeConfig{url: r.URL(), skew: skew})
	b := startNode(t, "b", nodeConfig{url: r.URL(), skew: skew})
	nodes := []*testNode{a, b}
	waitFor(t, 5*time.Second, "both in fleet mode, one evaluating", func() bool {
		return a.n.Status().Mode == ModeFleet && b.n.Status().Mode == ModeFleet && evaluating(nodes) != nil
	})
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	ip := func(i int) string { return fmt.Sprintf("10.0.0.%d", i) }
	for s := range 3 {
		flood(t, r, nodes, at(s), 2)
	}
	a.second(at(3), 10, ip)
	passed := time.Now()
	for time.Since(passed) < 1500*time.Millisecond {
		if ev := evaluatedAt(t, r, "shop"); !ev.Before(at(4)) {
			t.Fatalf("the fleet evaluated %s %v after a passed it, before b did (skew %v)",
				ev.Format(time.TimeOnly), time.Since(passed).Round(time.Millisecond), skew)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.second(at(3), 5, ip)
	passed = time.Now()
	waitFor(t, skew, "the fleet to evaluate "+at(4).Format(time.TimeOnly), func() bool { return !evaluatedAt(t, r, "shop").Before(at(4)) })
	took := time.Since(passed)
	t.Logf("the fleet evaluated the second %v after b passed it", took.Round(time.Millisecond))
	if took > skew/2 {
		t.Errorf("the fleet evaluated the second %v after b passed it: want at once, not after the skew (%v)", took, skew)
	}
	rk := ruleKey(signupRule())
	if got, err := r.Client().Get(context.Background(), newKeys("shop").count(rk, at(3).Unix())).Int(); err != nil || got != 15 {
		t.Errorf("step 3: count %d (%v), want both nodes' 10 + 5", got, err)
	}
	if st := b.n.Status(); st.Late != 0 {
		t.Errorf("b: %d late deltas, want none", st.Late)
	}
	ev := evaluating(nodes)
	if ev == nil {
		t.Fatal("no node evaluates")
	}
	if f, e := promtest.ToFloat64(ev.n.met.forced), promtest.ToFloat64(ev.n.met.evaluations); f != 0 || e < 1 {
		t.Errorf("evaluator %s: sentinel_fleet_boundaries_forced_total %v, …_evaluated_total %v: want none forced", ev.name, f, e)
	}
	for _, tn := range nodes {
		if got := promtest.ToFloat64(tn.n.met.nodes); got != 2 {
			t.Errorf("node %s: sentinel_fleet_nodes %v, want 2", tn.name, got)
		}
	}
}

// TestEvaluator_commitFenced: README, "One evaluator": the evaluator
// writes the alert state to Redis only while the lease is still its own
// (fencing token): one whose lease passed to another node (it stalled
// past its lease, say) cannot overwrite its successor's state, however
// late it wakes.
func TestEvaluator_commitFenced(t *testing.T) {
	r := testutil.StartRedis(t)
	n, err := New(Options{Settings: Settings{Redis: r.URL(), Site: "shop", Node: "old", From: "test"},
		Rules: []detector.Rule{signupRule()}, Deliver: func(func() []alert.Alert) {}})
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(n.copts)
	defer rdb.Close()
	remote, err := detector.NewRemote([]detector.Rule{signupRule()}, detector.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	k := newKeys("shop")
	const successor = `{"version":1,"token":8,"node":"new"}`
	r.Do("SET", k.lease(), "8:new/0a0b0c0d")
	r.Do("SET", k.state(), successor)
	r.Do("SET", k.evaluated(), "1000")
	e := &evaluator{n: n, active: role{token: 7, lease: "7:" + n.instance}, remote: remote,
		evaluated: time.Now().UTC().Truncate(time.Second), firing: map[string]alert.Alert{}}
	if err := e.commit(ctx, rdb); err == nil || !strings.Contains(err.Error(), "fenced") {
		t.Errorf("commit under a lease passed on: %v, want fenced off", err)
	}
	if got := r.Client().Get(ctx, k.state()).Val(); got != successor {
		t.Errorf("state %s, want the successor's, untouched", got)
	}
	if got := r.Client().Get(ctx, k.evaluated()).Val(); got != "1000" {
		t.Errorf("evaluated %s, want the successor's 1000", got)
	}
	r.Do("SET", k.lease(), e.active.lease) // its own again: written
	if err := e.commit(ctx, rdb); err != nil {
		t.Fatalf("commit under its own lease: %v", err)
	}
	if got := r.Client().Get(ctx, k.state()).Val(); !strings.Contains(got, `"token":7`) {
		t.Errorf("state %s, want its own (token 7)", got)
	}
}

// TestNode_publishedKeys: README, "Publishing": a step's deltas go out as
// INCRBY+PEXPIRE of the step's counter, PFADD of the distinct values'
// hashes into the step's HyperLogLog, and the step's busiest keys into a
// sorted set trimmed to 64, under sentinel:{SITE}:c|d|k:<rule>:<step>
// (and every event the node counted, for follow_traffic, under t:);
// the keys expire two minutes after their rule's window; the values past
// the 16,384 a delta carries are counted in
// sentinel_fleet_distinct_values_dropped_total.
func TestNode_publishedKeys(t *testing.T) {
	r := testutil.StartRedis(t)
	rule := signupRule()
	n, err := New(Options{Settings: Settings{Redis: r.URL(), Site: "shop", Node: "a", From: "test"},
		Rules: []detector.Rule{rule}, Deliver: func(func() []alert.Alert) {}})
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(n.copts)
	defer rdb.Close()
	ctx := context.Background()
	step := time.Now().Add(-30 * time.Second).Unix() // buckets of 1 s
	d := detector.Delta{Rule: rule.Name, Bucket: step, Start: time.Unix(step, 0).UTC(), Width: time.Second, Count: 5150, Dropped: 7, All: 20600}
	for i := range 100 {
		d.Hashes = append(d.Hashes, uint64(i+1)*0x9e3779b97f4a7c15)
		d.Keys = append(d.Keys, alert.KeyCount{Key: fmt.Sprintf("10.0.0.%d", i), Count: uint64(i + 1)})
	}
	// The first round trip learns Redis's clock (deltas wait for it), the
	// second publishes.
	if err := n.roundTrip(ctx, rdb, false); err != nil {
		t.Fatal(err)
	}
	n.Delta(d)
	if err := n.roundTrip(ctx, rdb, false); err != nil {
		t.Fatal(err)
	}
	prefix := "sentinel:{shop}:"
	name := func(kind string) string {
		return prefix + kind + ":" + ruleKey(rule) + ":" + strconv.FormatInt(step, 10)
	}
	c := r.Client()
	if got, err := c.Get(ctx, name("c")).Int(); err != nil || got != 5150 {
		t.Errorf("%s = %d (%v), want 5150", name("c"), got, err)
	}
	if got, err := c.Get(ctx, name("t")).Int(); err != nil || got != 20600 {
		t.Errorf("%s = %d (%v), want 20600 (every event, for follow_traffic)", name("t"), got, err)
	}
	if got := c.PFCount(ctx, name("d")).Val(); got < 98 || got > 102 {
		t.Errorf("PFCOUNT %s = %d, want about 100", name("d"), got)
	}
	top := c.ZRangeWithScores(ctx, name("k"), 0, -1).Val()
	if len(top) != 64 || top[0].Score != 37 || top[63].Score != 100 {
		t.Errorf("%s holds %d keys, from %v: want the busiest 64 (37 to 100)", name("k"), len(top), top[:min(1, len(top))])
	}
	lo, hi := rule.Window+2*time.Minute-5*time.Second, rule.Window+2*time.Minute+2*time.Second
	for _, kind := range []string{"c", "d", "k", "t"} {
		if ttl := c.PTTL(ctx, name(kind)).Val(); ttl < lo || ttl > hi {
			t.Errorf("%s expires in %v, want two minutes after the rule's %v window", name(kind), ttl, rule.Window)
		}
	}
	if got := promtest.ToFloat64(n.met.hashDrops); got != 7 {
		t.Errorf("sentinel_fleet_distinct_values_dropped_total %v, want 7", got)
	}
	if got := promtest.ToFloat64(n.met.deltas.WithLabelValues(DeltaPublished)); got != 1 {
		t.Errorf("sentinel_fleet_deltas_total{outcome=published} %v, want 1", got)
	}
}

// TestNode_backlogSentOnReturn: README, "Failure modes", Redis down
// (refused): the node falls back at the next round trip (within 250 ms),
// its deltas wait in the backlog while it retries, and it returns to fleet
// mode sending the backlog: the steps its log passed while Redis was down
// are in the fleet's counts.
func TestNode_backlogSentOnReturn(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	a := startNode(t, "a", nodeConfig{url: r.URL()})
	waitFor(t, 5*time.Second, "a in fleet mode, evaluating", func() bool {
		st := a.n.Status()
		return st.Mode == ModeFleet && st.Evaluating
	})
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	ip := func(i int) string { return fmt.Sprintf("10.0.0.%d", i) }
	for s := range 3 {
		flood(t, r, []*testNode{a}, at(s), 2)
	}
	r.Kill()
	killed := time.Now()
	waitFor(t, 5*time.Second, "a in local mode", func() bool { return a.n.Status().Mode == ModeLocal })
	took := time.Since(killed)
	t.Logf("a fell back %v after Redis went", took.Round(time.Millisecond))
	if took > DefaultHeartbeat+time.Second {
		t.Errorf("a fell back %v after Redis went, want at the next round trip (within %v)", took, DefaultHeartbeat)
	}
	for s := 3; s < 8; s++ {
		a.second(at(s), 7, ip)
	}
	waitFor(t, 5*time.Second, "five deltas waiting", func() bool { return a.n.Status().Backlog == 5 })
	r.Start()
	waitFor(t, 10*time.Second, "a back in fleet mode, its backlog sent", func() bool {
		st := a.n.Status()
		return st.Mode == ModeFleet && st.Backlog == 0
	})
	rk := ruleKey(signupRule())
	for s := 3; s < 8; s++ {
		if got, err := r.Client().Get(context.Background(), newKeys("shop").count(rk, at(s).Unix())).Int(); err != nil || got != 7 {
			t.Errorf("step %d: count %d (%v), want the 7 counted while Redis was down", s, got, err)
		}
	}
	if st := a.n.Status(); st.Late != 0 || st.Dropped != 0 {
		t.Errorf("status %+v: want no delta late or dropped", st)
	}
}

// TestNode_pausedRedis: README, "Failure modes": Redis paused (CLIENT
// PAUSE): two round trips in a row past the timeout count as down, and
// the node falls back within a second; the first alone does not make it.
func TestNode_pausedRedis(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	a := startNode(t, "a", nodeConfig{url: r.URL()})
	waitFor(t, 5*time.Second, "a in fleet mode", func() bool { return a.n.Status().Mode == ModeFleet })
	publishErrors := func() float64 { return promtest.ToFloat64(a.n.met.roundTrips.WithLabelValues("publish", "error")) }
	r.Do("CLIENT", "PAUSE", "3000", "ALL")
	paused := time.Now()
	waitFor(t, 5*time.Second, "a in local mode", func() bool { return a.n.Status().Mode == ModeLocal })
	took, errs := time.Since(paused), publishErrors() // the next try is a backoff (≥ 400 ms) away
	t.Logf("a fell back %v after the pause, after %v slow round trips", took.Round(time.Millisecond), errs)
	if errs != 2 {
		t.Errorf("a fell back after %v slow round trips, want 2", errs)
	}
	if took > 2*time.Second { // a second, and a second's margin for a busy machine
		t.Errorf("a fell back %v after the pause, want within a second", took)
	}
	if st := a.n.Status(); !strings.Contains(st.Reason, "no answer within the timeout") {
		t.Errorf("reason %q, want Redis slow", st.Reason)
	}
	waitFor(t, 10*time.Second, "a back in fleet mode after the pause", func() bool { return a.n.Status().Mode == ModeFleet })
}

// TestNode_topOffendersAreTheFleets: README, "One evaluator": the fleet's
// alert names the fleet's top offenders: an address that hits both nodes
// is first, with both nodes' counts summed.
func TestNode_topOffendersAreTheFleets(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	nodes := fleetOfTwo(t, nodeConfig{url: r.URL()})
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	for s := 0; s < 6; s++ {
		at := base.Add(time.Duration(s) * time.Second)
		for k, tn := range nodes {
			tn.second(at, 20, func(i int) string {
				if i < 5 {
					return "10.9.9.9" // on both nodes, 5 a second
				}
				return fmt.Sprintf("10.%d.%d.%d", k, s, i)
			})
		}
		waitEvaluated(t, r, at.Add(time.Second))
	}
	f := oneFiring(t, nodes)
	secs := int(f.Time.Sub(base) / time.Second) // the seconds of the flood in its window
	if len(f.Keys) == 0 || f.Keys[0].Key != "10.9.9.9" || f.Keys[0].Count != uint64(2*5*secs) {
		t.Errorf("firing at %s: top keys %v, want 10.9.9.9 first with both nodes' %d", f.Time.Format(time.TimeOnly), f.Keys, 2*5*secs)
	}
}

// TestBacklog_bounds: README, "Failure modes": deltas wait in a bounded
// backlog (by count and by bytes), the oldest dropped and counted.
func TestBacklog_bounds(t *testing.T) {
	b := backlog{maxItems: 3, maxBytes: 1 << 20}
	for i := range 5 {
		b.push(detector.Delta{Rule: "r", Bucket: int64(i)})
	}
	if b.len() != 3 || b.dropped != 2 || b.items[0].Bucket != 2 {
		t.Errorf("count bound: %d waiting from bucket %d, %d dropped; want 3 from bucket 2, 2 dropped", b.len(), b.items[0].Bucket, b.dropped)
	}
	b = backlog{maxItems: 1000, maxBytes: 100 << 10}
	for i := range 10 {
		b.push(detector.Delta{Rule: "r", Bucket: int64(i), Hashes: make([]uint64, 4096)}) // 32 KiB each
	}
	if b.bytes > b.maxBytes || b.len() != 3 || b.dropped != 7 || b.items[0].Bucket != 7 {
		t.Errorf("byte bound: %d waiting (%d bytes) from bucket %d, %d dropped; want the newest 3 within %d bytes",
			b.len(), b.bytes, b.items[0].Bucket, b.dropped, b.maxBytes)
	}
}

// TestBackoff: README, "Failure modes": retries back off from 250 ms,
// doubling to 5 s (±20% jitter).
func TestBackoff(t *testing.T) {
	for failures, want := range map[int]time.Duration{1: 250 * time.Millisecond, 2: 500 * time.Millisecond,
		3: time.Second, 4: 2 * time.Second, 5: 4 * time.Second, 6: 5 * time.Second, 20: 5 * time.Second} {
		for range 50 {
			if d := backoff(failures); d < want*8/10 || d > want*12/10 {
				t.Fatalf("backoff(%d) = %v, want %v ±20%%", failures, d, want)
			}
		}
	}
}

// TestRuleKey_definition: README, "Known limits": a rule's definition is
// part of its keys, so that nodes running different definitions of a rule
// count apart.
func TestRuleKey_definition(t *testing.T) {
	r := signupRule()
	other := r
	other.Fingerprint = "f2"
	if ruleKey(r) == ruleKey(other) || ruleKey(r) != ruleKey(signupRule()) {
		t.Errorf("ruleKey: %s, another definition %s, the same again %s", ruleKey(r), ruleKey(other), ruleKey(signupRule()))
	}
}

// evaluatorBehindProxy starts a Redis, a proxy in front of it (to hold
// round trips up) and node a through the proxy, and waits until a is in
// fleet mode and evaluates.
func evaluatorBehindProxy(t *testing.T) (*testutil.Redis, *proxy, *testNode) {
	t.Helper()
	r := testutil.StartRedis(t)
	p := startProxy(t, r.Addr)
	a := startNode(t, "a", nodeConfig{url: p.URL()})
	waitFor(t, 5*time.Second, "a in fleet mode, evaluating", func() bool {
		st := a.n.Status()
		return st.Mode == ModeFleet && st.Evaluating
	})
	return r, p, a
}
