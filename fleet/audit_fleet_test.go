package fleet

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// TestAudit_commitUnansweredStillPages: README, "Failure modes" (Redis
// slow) and "One evaluator": the evaluator notifies once it has written
// the alert state, and a fleet never misses an incident because Redis
// failed. Redis stalls past the timeout just as the evaluator commits
// the boundary at which the fleet fires: the commit lands, its answer
// comes too late. The evaluator must still send the firing, once, and
// not take its own firing, found in Redis's state, for an incident
// another evaluator already told (which it would hand to the actions
// alone, and which the daemon would then never page).
func TestAudit_commitUnansweredStillPages(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r, p, a := evaluatorBehindProxy(t)
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	for s := range 3 { // 40/s for 3 s: 12/s over the window, under the 15
		flood(t, r, []*testNode{a}, at(s), 40)
	}
	if d, _, _ := a.transitions(); len(d) != 0 {
		t.Fatalf("delivered %s before the flood crossed the threshold", states(d))
	}
	// The next commit is that of the boundary where the fleet fires: 160
	// sign-ups over 10 s.
	p.freezeOnce(commitScript.Hash(), DefaultTimeout+150*time.Millisecond)
	flood(t, r, []*testNode{a}, at(3), 40)
	if got := p.stalls(); got != 1 {
		t.Fatalf("%d commits held up, want 1", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s := 4; time.Now().Before(deadline); s++ {
		if d, _, _ := a.transitions(); len(fleetTransitions(d)) > 0 {
			break
		}
		flood(t, r, []*testNode{a}, at(s), 40) // the flood goes on: the fleet still fires
	}
	d, _, ad := a.transitions()
	f := fleetTransitions(d)
	if len(f) != 1 || f[0].State != alert.Firing || !f[0].Time.Equal(at(4)) {
		t.Fatalf("the fleet's transitions %s, want its firing at %s, once (the evaluator's adopted: %s)",
			states(f), at(4).Format(time.TimeOnly), states(ad))
	}
	if len(ad) != 0 {
		t.Errorf("the evaluator adopted %s: its own firing, taken for one already told", states(ad))
	}
}

// TestAudit_backlogGaugeWhileRedisDown: README's metrics table:
// sentinel_fleet_backlog_deltas is the deltas waiting. While Redis is
// down, when the backlog grows, it must count them as `sentinel status`
// does, not show 0; once the backlog is sent, 0 again.
func TestAudit_backlogGaugeWhileRedisDown(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	a := startNode(t, "a", nodeConfig{url: r.URL()})
	waitFor(t, 5*time.Second, "a in fleet mode", func() bool { return a.n.Status().Mode == ModeFleet })
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	ip := func(i int) string { return fmt.Sprintf("10.0.0.%d", i) }
	flood(t, r, []*testNode{a}, at(0), 2)
	r.Kill()
	waitFor(t, 5*time.Second, "a in local mode", func() bool { return a.n.Status().Mode == ModeLocal })
	for s := 1; s < 6; s++ {
		a.second(at(s), 3, ip)
	}
	waitFor(t, 5*time.Second, "five deltas waiting", func() bool { return a.n.Status().Backlog == 5 })
	gauge := func() float64 { return promtest.ToFloat64(a.n.met.backlog) }
	// The node retries every 250 ms to 1 s here: time for a few tries.
	deadline := time.Now().Add(3 * time.Second)
	for gauge() != 5 {
		if time.Now().After(deadline) {
			t.Fatalf("sentinel_fleet_backlog_deltas %v while 5 deltas wait (status backlog %d)", gauge(), a.n.Status().Backlog)
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.Start()
	waitFor(t, 10*time.Second, "a back in fleet mode, its backlog sent", func() bool {
		st := a.n.Status()
		return st.Mode == ModeFleet && st.Backlog == 0
	})
	if got := gauge(); got != 0 {
		t.Errorf("sentinel_fleet_backlog_deltas %v once the backlog was sent, want 0", got)
	}
}

// TestAudit_backlogSentBeforeItsClock: README, "One evaluator" (the
// holder evaluates a boundary once every live node has passed it: its
// heartbeat carries its log's clock) and "Failure modes" (Redis down: the
// node returns to fleet mode, sending the backlog). A backlog larger than
// one round trip carries (2,000 deltas) goes out in several. The first
// must not tell the node's clock while later ones still hold deltas
// before it: the evaluator would evaluate those steps without them, and
// the node would then drop the rest as late, though its log never lagged.
func TestAudit_backlogSentBeforeItsClock(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r, p, a := evaluatorBehindProxy(t)
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	for s := range 3 {
		flood(t, r, []*testNode{a}, at(s), 1)
	}
	// What an outage leaves behind: more deltas than a round trip carries,
	// of steps 3 and 4. The round trip that carries step 4's first is held
	// up (within the timeout): the evaluator has time to look meanwhile.
	step4 := newKeys("shop").count(ruleKey(signupRule()), at(4).Unix())
	p.stallOnce(fmt.Sprintf("incrby\r\n$%d\r\n%s\r\n", len(step4), step4), DefaultTimeout/2)
	delta := func(s int) detector.Delta {
		return detector.Delta{Rule: "signups", Bucket: at(s).Unix(), Start: at(s), Width: time.Second, Count: 1}
	}
	for range maxTripDeltas {
		a.n.Delta(delta(3))
	}
	for range maxTripDeltas + 1 {
		a.n.Delta(delta(4))
	}
	a.n.Clock(at(5))
	waitFor(t, 5*time.Second, "the backlog sent, the fleet evaluated "+at(5).Format(time.TimeOnly), func() bool {
		return a.n.Status().Backlog == 0 && !evaluatedAt(t, r, "shop").Before(at(5))
	})
	if got := p.stalls(); got != 1 {
		t.Errorf("%d round trips held up, want 1", got)
	}
	if st := a.n.Status(); st.Late != 0 || st.Mode != ModeFleet {
		t.Errorf("status: %d deltas late, mode %s (%s): want none late, in fleet mode", st.Late, st.Mode, st.Reason)
	}
	if got, err := r.Client().Get(context.Background(), step4).Int(); err != nil || got != maxTripDeltas+1 {
		t.Errorf("step 4: count %d (%v), want the backlog's %d", got, err, maxTripDeltas+1)
	}
}

// TestAudit_laggingOnTheEvaluatorOnly: README's metrics table:
// sentinel_fleet_nodes_lagging is, on the evaluator, the live nodes
// behind the boundary it evaluated. Once the node stops evaluating (the
// lease passed on), it is no longer the evaluator's count: 0, as
// sentinel_fleet_evaluator is, not the last count of its tenure.
func TestAudit_laggingOnTheEvaluatorOnly(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	const skew = time.Second
	a := startNode(t, "a", nodeConfig{url: r.URL(), skew: skew})
	waitFor(t, 5*time.Second, "a evaluating", func() bool { return a.n.Status().Evaluating })
	b := startNode(t, "b", nodeConfig{url: r.URL(), skew: skew})
	waitFor(t, 5*time.Second, "b in fleet mode", func() bool { return b.n.Status().Mode == ModeFleet })
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	at := func(s int) time.Time { return base.Add(time.Duration(s) * time.Second) }
	for s := range 3 {
		flood(t, r, []*testNode{a, b}, at(s), 2)
	}
	for s := 3; s < 6; s++ { // b's log stalls at second 3
		a.second(at(s), 2, func(i int) string { return fmt.Sprintf("10.0.0.%d", i) })
	}
	lagging := func() float64 { return promtest.ToFloat64(a.n.met.lagging) }
	waitFor(t, 5*time.Second, "a, evaluating without b, to count it lagging", func() bool {
		return !evaluatedAt(t, r, "shop").Before(at(6)) && lagging() == 1
	})
	r.Do("SET", newKeys("shop").lease(), "999:hung/0", "PX", "60000") // the lease passes on
	waitFor(t, 5*time.Second, "a to stop evaluating", func() bool {
		return !a.n.Status().Evaluating && promtest.ToFloat64(a.n.met.evaluator) == 0
	})
	if got := lagging(); got != 0 {
		t.Errorf("sentinel_fleet_nodes_lagging %v on a node that no longer evaluates, want 0", got)
	}
}

// TestAudit_readmeACL: README, "Security": give each site its own ACL
// user confined to its keys, with the ACL SETUSER line README shows
// (+@all -@dangerous). A node of that site works under it: it joins,
// takes the lease, publishes (INCRBY, PFADD, ZINCRBY), evaluates and
// pages with the fleet's top offenders and distinct count (MGET, PFCOUNT,
// the ZUNION of the top script); a node set to another site is refused.
func TestAudit_readmeACL(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var acl []string
	for line := range strings.Lines(string(readme)) {
		if strings.HasPrefix(line, "ACL SETUSER shop ") {
			acl = strings.Fields(line)
		}
	}
	if len(acl) == 0 {
		t.Fatal("README shows no ACL SETUSER line for the site shop")
	}
	r := testutil.StartRedis(t)
	const password = "long-random-password"
	args := make([]any, len(acl))
	for i, f := range acl {
		args[i] = f
	}
	r.Do(args...)
	url := "redis://shop:" + password + "@" + r.Addr
	a := startNode(t, "a", nodeConfig{url: url})
	waitFor(t, 5*time.Second, "a in fleet mode, evaluating, under the README's ACL user", func() bool {
		st := a.n.Status()
		return st.Mode == ModeFleet && st.Evaluating
	})
	base := time.Now().UTC().Truncate(time.Second).Add(-60 * time.Second)
	for s := range 5 { // 40/s: the fleet fires at the fourth second
		flood(t, r, []*testNode{a}, base.Add(time.Duration(s)*time.Second), 40)
	}
	d, _, _ := a.transitions()
	f := fleetTransitions(d)
	if len(f) != 1 || f[0].State != alert.Firing || len(f[0].Keys) == 0 || f[0].Distinct == 0 {
		t.Fatalf("the fleet's transitions %s (%+v), want its firing with top offenders and a distinct count", states(f), f)
	}
	if st := a.n.Status(); st.Mode != ModeFleet || st.Late+st.Unconfirmed+st.Dropped != 0 {
		t.Errorf("status %+v: want fleet mode, every delta published", st)
	}
	other := startNode(t, "b", nodeConfig{url: url, site: "other"})
	waitFor(t, 5*time.Second, "the node of another site refused", func() bool { return other.n.Status().Mode == ModeLocal })
	if st := other.n.Status(); !strings.Contains(st.Reason, "NOPERM") {
		t.Errorf("the node of another site: reason %q, want NOPERM", st.Reason)
	}
}

// TestAudit_aheadDeltasOfTheFirstRoundTrip: README, "Failure modes": a
// node whose log is dated ahead of Redis's clock by more than the skew
// has its ahead deltas dropped (late), not merged into steps that have
// not happened. That holds for the first round trip too: a node that
// could not reach Redis when it started, and queued deltas dated a minute
// ahead meanwhile, must not send them with the round trip that first
// learns Redis's clock.
func TestAudit_aheadDeltasOfTheFirstRoundTrip(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	r := testutil.StartRedis(t)
	url := r.URL()
	r.Kill() // nothing listens there yet
	a := startNode(t, "a", nodeConfig{url: url})
	waitFor(t, 5*time.Second, "a in local mode", func() bool { return a.n.Status().Mode == ModeLocal })
	ahead := time.Now().UTC().Truncate(time.Second).Add(time.Minute)
	for s := range 3 {
		at := ahead.Add(time.Duration(s) * time.Second)
		a.n.Delta(detector.Delta{Rule: "signups", Bucket: at.Unix(), Start: at, Width: time.Second, Count: 5})
	}
	a.n.Clock(ahead.Add(3 * time.Second))
	r.Start()
	waitFor(t, 10*time.Second, "a to reach Redis and its backlog to go", func() bool {
		st := a.n.Status()
		return !st.Evaluated.IsZero() || st.RTTSeconds > 0 && st.Backlog == 0
	})
	rk := ruleKey(signupRule())
	for s := range 3 {
		key := newKeys("shop").count(rk, ahead.Add(time.Duration(s)*time.Second).Unix())
		if n, err := r.Client().Exists(context.Background(), key).Result(); err != nil || n != 0 {
			t.Errorf("%s exists (%v): a delta dated a minute ahead was merged into a step to come", key, err)
		}
	}
	if st := a.n.Status(); st.Late != 3 || st.Mode != ModeLocal || !strings.Contains(st.Reason, "ahead") {
		t.Errorf("status: %d deltas late, mode %s (%s): want the 3 ahead late, a local for its clock", st.Late, st.Mode, st.Reason)
	}
}
