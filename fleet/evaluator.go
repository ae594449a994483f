package fleet

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/detector"
)

// stateVersion is the format of the alert state kept in Redis.
const stateVersion = 1

// maxStateBytes bounds the alert state read from Redis: it is decoded,
// and anyone who can write the key could make it large.
const maxStateBytes = 8 << 20

// stateTTL is how long the alert state outlives the last evaluation: a
// fleet stopped for a week starts afresh.
const stateTTL = 7 * 24 * time.Hour

// errFenced is a commit refused: the lease is no longer this node's.
var errFenced = errors.New("fenced off: the lease is no longer this node's")

// maxRoundBoundaries bounds the boundaries one round evaluates (catching
// up after an outage takes several rounds).
const maxRoundBoundaries = 10

// savedState is the evaluator's alert state in Redis: what a new
// evaluator takes over from, so that it sends no second firing for an
// incident under way and does not lose its resolved.
type savedState struct {
	Version int `json:"version"`
	// Token is the fencing token of the evaluator that wrote it.
	Token int64  `json:"token"`
	Node  string `json:"node"`
	// Evaluated is the newest boundary evaluated.
	Evaluated time.Time `json:"evaluated"`
	// Rules are the rules' states: condition, peak, learned baseline.
	Rules []detector.RuleSnapshot `json:"rules"`
	// Firing are the firing alerts of the rules firing, for the actions of
	// a new evaluator and the status.
	Firing []alert.Alert `json:"firing,omitempty"`
}

// evaluator is the part of a node that evaluates the fleet rules while
// the node holds the lease. Its fields are owned by its run goroutine.
type evaluator struct {
	n         *Node
	active    role // the lease it evaluates under; zero when not evaluating
	gen       int  // the node's rulesGen its rules come from
	rules     []*fleetRule
	remote    *detector.Remote
	evaluated time.Time
	firing    map[string]alert.Alert
	// first is when a boundary (Unix ns) was first seen reached by a node
	// (wall time): past the skew, it is evaluated without the laggards.
	first map[int64]time.Time
	// unanswered are the transitions of a commit that got no answer (Redis
	// slow or gone mid-commit): it may have landed. They outlive a tenure
	// (see [evaluator.start]).
	unanswered *unanswered
}

// unanswered are the transitions of a commit whose outcome is unknown.
// The next tenure sends them if the state it loads is that commit's: a
// new evaluator takes a rule firing in the state as an incident already
// told, so that a commit that landed unanswered would otherwise lose its
// firing for good. If the commit did not land, the boundaries are
// evaluated again and the transitions made anew.
type unanswered struct {
	token     int64
	evaluated time.Time
	out       []alert.Alert
}

// run evaluates every Poll while the node holds the lease, until ctx
// ends.
func (e *evaluator) run(ctx context.Context, rdb *redis.Client) {
	t := time.NewTicker(e.n.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			e.stop()
			return
		case <-t.C:
		}
		e.round(ctx, rdb)
	}
}

// round is one look at the fleet: the boundaries every live node has
// reached (or that waited past the skew) are evaluated over the shared
// windows, the state is committed under the lease, then the transitions
// are delivered. A transition is delivered only once committed, so that
// an evaluator that lost its lease meanwhile sends nothing.
func (e *evaluator) round(ctx context.Context, rdb *redis.Client) {
	n := e.n
	n.mu.Lock()
	r, gen, rules, eopts := n.role, n.rulesGen, n.order, n.opts.Engine
	n.mu.Unlock()
	if r.token == 0 {
		e.stop()
		return
	}
	if e.active != r || e.gen != gen {
		e.stop()
		if err := e.start(ctx, rdb, r, gen, rules, eopts); err != nil {
			if ctx.Err() == nil {
				n.log.Warn("fleet: the evaluator's state could not be loaded: will try again", "err", describe(err))
			}
			e.stop()
			return
		}
	}
	v, err := e.view(ctx, rdb)
	if err != nil {
		n.met.roundTrips.WithLabelValues("evaluate", "error").Inc()
		return
	}
	n.met.roundTrips.WithLabelValues("evaluate", "ok").Inc()
	if !v.ours {
		n.log.Info("fleet: the lease passed to another node: this node stops evaluating", "token", r.token)
		e.stop()
		n.dropRole(r.token)
		return
	}
	bounds := e.due(v)
	if len(bounds) == 0 {
		return
	}
	out, moved, err := e.evaluate(ctx, rdb, bounds)
	if err != nil {
		n.met.roundTrips.WithLabelValues("evaluate", "error").Inc()
		n.log.Debug("fleet: evaluation round failed: will try again", "err", describe(err))
		if moved {
			e.stop() // the states moved without a commit: reload them from Redis
		}
		return
	}
	n.met.roundTrips.WithLabelValues("evaluate", "ok").Inc()
	lagging := 0
	for _, c := range v.clocks {
		if c.Before(e.evaluated) {
			lagging++
		}
	}
	n.met.lagging.Set(float64(lagging))
	if err := e.commit(ctx, rdb); err != nil {
		n.met.roundTrips.WithLabelValues("evaluate", "error").Inc()
		// Fenced off, or unknown: whoever holds the lease next (this node
		// again, maybe) starts from what Redis has. Unknown, the commit may
		// have landed: the next tenure tells (see [unanswered]).
		fenced := errors.Is(err, errFenced)
		if !fenced && len(out) > 0 {
			e.unanswered = &unanswered{token: e.active.token, evaluated: e.evaluated, out: out}
		}
		if ctx.Err() == nil {
			msg := "fleet: evaluation not committed: its transitions are not sent"
			if !fenced {
				msg = "fleet: evaluation's commit unanswered: its transitions are sent if it landed"
			}
			n.log.Warn(msg, "err", describe(err), "transitions", len(out))
		}
		e.stop()
		return
	}
	n.met.roundTrips.WithLabelValues("evaluate", "ok").Inc()
	measures := e.remote.Measures(e.evaluated)
	n.mu.Lock()
	n.firing = slices.Sorted(mapKeys(e.firing))
	n.measures = measures
	n.mu.Unlock()
	if len(out) > 0 {
		n.deliver(out)
	}
}

func mapKeys(m map[string]alert.Alert) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// stop ends the evaluator's tenure.
func (e *evaluator) stop() {
	if e.active.token != 0 {
		e.n.met.evaluator.Set(0)
		e.n.met.lagging.Set(0) // the evaluator's count: none here now
		e.n.mu.Lock()
		e.n.firing, e.n.measures = nil, nil
		e.n.mu.Unlock()
	}
	e.active, e.remote, e.firing, e.first, e.evaluated = role{}, nil, nil, nil, time.Time{}
}

// dropRole forgets the lease of token (another node holds it now).
func (n *Node) dropRole(token int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.role.token == token {
		n.role = role{}
	}
}

// start begins a tenure under lease r: the rules' states, the boundary
// evaluated and the firing alerts are loaded from Redis, and the firing
// alerts handed to the actions (not the notifiers).
func (e *evaluator) start(ctx context.Context, rdb *redis.Client, r role, gen int, rules []*fleetRule, eopts detector.Options) error {
	n := e.n
	var defs []detector.Rule
	for _, fr := range rules {
		defs = append(defs, fr.rule)
	}
	remote, err := detector.NewRemote(defs, eopts)
	if err != nil {
		return err
	}
	rules = evaluationOrder(rules)
	tctx, cancel := context.WithTimeout(ctx, 2*n.opts.Timeout)
	defer cancel()
	raw, err := rdb.Get(tctx, n.keys.state()).Bytes()
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	var st savedState
	var restored []string
	firing := map[string]alert.Alert{}
	known := false // the state says which fleet rules fire
	switch {
	case len(raw) == 0:
	case len(raw) > maxStateBytes:
		n.log.Warn("fleet: the alert state in redis is too large: starting afresh", "bytes", len(raw))
	case json.Unmarshal(raw, &st) != nil || st.Version != stateVersion:
		n.log.Warn("fleet: the alert state in redis is unreadable or of another version: starting afresh")
		st = savedState{}
	default:
		for i := range st.Rules {
			st.Rules[i].Buckets, st.Rules[i].KeyNormals = nil, nil // a Remote has no window
		}
		known = true
		if restored, err = remote.Restore(st.Rules); err != nil {
			n.log.Warn("fleet: the alert state in redis could not be restored: starting afresh", "err", err)
			if remote, err = detector.NewRemote(defs, eopts); err != nil {
				return err
			}
			restored, st, known = nil, savedState{}, false
		}
	}
	now := remote.Firing()
	for _, a := range st.Firing {
		if slices.Contains(now, a.Rule) {
			firing[a.Rule] = a
		}
	}
	// A commit of this node's that went unanswered and landed: no other
	// evaluator committed since, so nobody sent its transitions.
	var landed []alert.Alert
	if u := e.unanswered; u != nil && u.token == st.Token && u.evaluated.Equal(st.Evaluated) {
		landed = u.out
	}
	e.unanswered = nil
	e.active, e.gen, e.rules, e.remote = r, gen, rules, remote
	e.evaluated, e.firing, e.first = st.Evaluated, firing, map[int64]time.Time{}
	n.met.evaluator.Set(1)
	// The fleet rules the state says are quiet are quiet: another
	// evaluator resolved them while this node was out of the fleet (it never
	// saw that evaluator hold the lease), and sent their resolution and
	// reverted their remedies. This node's daemon lets go of them (less
	// those it delivered in local mode, closed by their local resolution,
	// and those of a landed commit, sent below). Without a state (a new
	// fleet, or a Redis that lost its data) nothing is known: nothing is let
	// go of.
	var stale []string
	if known {
		n.mu.Lock()
		for _, fr := range rules {
			name := fr.rule.Name
			if _, ok := firing[name]; !ok && !n.announced[name] && !slices.ContainsFunc(landed, func(a alert.Alert) bool { return a.Rule == name }) {
				stale = append(stale, name)
			}
		}
		n.mu.Unlock()
	}
	if len(stale) > 0 && n.opts.Release != nil {
		n.opts.Release(stale)
	}
	var adopt []alert.Alert
	for _, name := range slices.Sorted(mapKeys(firing)) {
		if slices.ContainsFunc(landed, func(a alert.Alert) bool { return a.Rule == name && a.State == alert.Firing && !a.Escalated }) {
			continue // sent below, as the incident's first firing
		}
		adopt = append(adopt, firing[name])
	}
	n.mu.Lock()
	n.firing = slices.Sorted(mapKeys(firing))
	n.mu.Unlock()
	n.log.Info("fleet: evaluating the fleet rules", "token", r.token, "restored", restored, "firing", n.firingNames(),
		"from_token", st.Token, "evaluated", st.Evaluated)
	if len(adopt) > 0 && n.opts.Adopt != nil {
		n.mu.Lock()
		n.released = false
		n.mu.Unlock()
		n.opts.Adopt(adopt)
	}
	if len(landed) > 0 {
		n.log.Info("fleet: an unanswered commit had landed: its transitions are sent", "transitions", len(landed))
		n.deliver(landed)
	}
	return nil
}

func (n *Node) firingNames() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.firing)
}

// view is the evaluator's look at the fleet.
type view struct {
	now    time.Time   // Redis's clock
	ours   bool        // the lease is still this evaluator's
	clocks []time.Time // the live nodes' clocks (nodes with no clock yet left out)
}

// liveWindow is how recently Redis must have heard from a node for the
// evaluator to wait for it.
func (n *Node) liveWindow() time.Duration { return 8*n.opts.Heartbeat + n.opts.Timeout }

func (e *evaluator) view(ctx context.Context, rdb *redis.Client) (view, error) {
	n := e.n
	tctx, cancel := context.WithTimeout(ctx, n.opts.Timeout)
	defer cancel()
	k := n.keys
	res, err := viewScript.Run(tctx, rdb, []string{k.nodes(), k.clocks(), k.lease()}, e.active.lease, n.liveWindow().Milliseconds()).Slice()
	if err != nil {
		return view{}, err
	}
	if len(res) < 2 || len(res)%2 != 0 {
		return view{}, errReply
	}
	now, _ := res[0].(int64)
	ours, _ := res[1].(int64)
	v := view{now: time.UnixMilli(now).UTC(), ours: ours == 1}
	for i := 2; i+1 < len(res); i += 2 {
		s, _ := res[i+1].(string)
		if c := msTime(s); !c.IsZero() {
			v.clocks = append(v.clocks, c)
		}
	}
	return v, nil
}

// floorTime rounds t down to a multiple of d.
func floorTime(t time.Time, d time.Duration) time.Time {
	ns := t.UnixNano()
	q := ns / int64(d)
	if ns%int64(d) != 0 && ns < 0 {
		q--
	}
	return time.Unix(0, q*int64(d)).UTC()
}

// due returns the boundaries to evaluate now, oldest first: those every
// live node's clock has reached (its deltas of the buckets before them
// are in), then those that some node reached at least the skew ago (the
// others are lagging: their deltas for them will be late). A node whose
// clock is ahead of Redis's by more than the skew neither holds the
// evaluation back nor pulls it forward.
func (e *evaluator) due(v view) []time.Time {
	n := e.n
	var minC, maxC time.Time
	for _, c := range v.clocks {
		if c.Sub(v.now) > n.skew {
			continue // ahead of the fleet's clock: not to be trusted
		}
		if minC.IsZero() || c.Before(minC) {
			minC = c
		}
		if c.After(maxC) {
			maxC = c
		}
	}
	if maxC.IsZero() {
		return nil
	}
	res := n.res
	if e.evaluated.IsZero() {
		e.evaluated = floorTime(minC, res).Add(-res)
	}
	if top := floorTime(maxC, res); top.Sub(e.evaluated) > maxCatchUp {
		n.log.Warn("fleet: the fleet's evaluation is far behind: boundaries skipped", "from", e.evaluated, "to", top.Add(-maxCatchUp))
		e.evaluated = top.Add(-maxCatchUp)
		clear(e.first)
	}
	now := n.now()
	var out []time.Time
	// Every boundary some node has reached is noted as reached now, not
	// only the oldest one waiting: after a node lagged, the boundaries
	// since are all due one skew later, not one skew after another (ten
	// boundaries behind took ten skews to catch up).
	waiting := false
	for t := e.evaluated.Add(res); !t.After(maxC) && len(out) < maxRoundBoundaries; t = t.Add(res) {
		if !minC.Before(t) {
			out = append(out, t)
			continue
		}
		first, ok := e.first[t.UnixNano()]
		if !ok {
			e.first[t.UnixNano()] = now
			first = now
		}
		if waiting || now.Sub(first) < n.skew {
			waiting = true // in order: none after a boundary still waiting
			continue
		}
		out = append(out, t)
		n.met.forced.Inc()
	}
	if len(out) > 0 {
		last := out[len(out)-1].UnixNano()
		for b := range e.first {
			if b <= last {
				delete(e.first, b)
			}
		}
	}
	return out
}

// job is one rule's evaluation at one boundary, with its reads.
type job struct {
	r              *fleetRule
	at             time.Time
	counts         *redis.SliceCmd
	hits           *redis.SliceCmd
	distinct       *redis.IntCmd
	cold, rush, of *redis.SliceCmd // the evidence's counts, with critical_when's cold, no_pause and share
	app            *redis.SliceCmd // with clients_per_agent: the events from a native app
	all            *redis.SliceCmd // with follow_traffic: every event the nodes counted
	agents         *redis.IntCmd   // with clients_per_agent: the window's user agents
}

// stepKeys returns the keys of a rule's window ending at boundary t, by
// kind.
func (n *Node) stepKeys(r *fleetRule, t time.Time, key func(string, int64) string) []string {
	b := t.UnixNano() / int64(r.width) // the first bucket after the window
	out := make([]string, r.nb)
	for i := range r.nb {
		out[i] = key(r.key, b-r.nb+i)
	}
	return out
}

// evaluate reads the windows of the rules at the boundaries in one
// pipelined round trip and evaluates them in order; then, for the
// transitions only, reads what the alert shows but the condition does not
// need (the top keys, the distinct values of a rate rule) in a second.
// It returns the transitions; when it fails after the rules' states
// moved, the caller must reload them (see [evaluator.stop]).
func (e *evaluator) evaluate(ctx context.Context, rdb *redis.Client, bounds []time.Time) (out []alert.Alert, moved bool, err error) {
	n := e.n
	tctx, cancel := context.WithTimeout(ctx, 2*n.opts.Timeout)
	defer cancel()
	pipe := rdb.Pipeline()
	var jobs []job
	k := n.keys
	for _, t := range bounds {
		for _, r := range e.rules {
			if t.UnixNano()%int64(r.width) != 0 {
				continue
			}
			j := job{r: r, at: t}
			j.counts = pipe.MGet(tctx, n.stepKeys(r, t, k.count)...)
			if r.rule.Type == detector.Ratio {
				j.hits = pipe.MGet(tctx, n.stepKeys(r, t, k.hits)...)
			}
			if r.rule.Type == detector.Distinct {
				j.distinct = pipe.PFCount(tctx, n.stepKeys(r, t, k.hll)...)
			}
			if b := r.rule.Baseline; b != nil && b.FollowTraffic {
				j.all = pipe.MGet(tctx, n.stepKeys(r, t, k.all)...)
			}
			if ev := r.rule.Evidence; ev != nil {
				if ev.Cold > 0 {
					j.cold = pipe.MGet(tctx, n.stepKeys(r, t, k.cold)...)
				}
				if ev.NoPause > 0 {
					j.rush = pipe.MGet(tctx, n.stepKeys(r, t, k.rush)...)
				}
				if ev.Share > 0 {
					j.of = pipe.MGet(tctx, n.stepKeys(r, t, k.of)...)
				}
				if ev.ClientsPerAgent > 0 && clientsShared(r.rule) {
					// Against the window's client addresses: the rule's
					// distinct values.
					if j.distinct == nil {
						j.distinct = pipe.PFCount(tctx, n.stepKeys(r, t, k.hll)...)
					}
					j.agents = pipe.PFCount(tctx, n.stepKeys(r, t, k.agents)...)
					j.app = pipe.MGet(tctx, n.stepKeys(r, t, k.app)...)
				}
			}
			jobs = append(jobs, j)
		}
	}
	if len(jobs) > 0 {
		if _, err := pipe.Exec(tctx); err != nil {
			return nil, false, err
		}
	}
	var made []job
	for _, j := range jobs {
		m, err := j.measure()
		if err != nil {
			return nil, true, err
		}
		a, ok, err := e.remote.Evaluate(j.r.rule.Name, j.at, m)
		if err != nil {
			return nil, true, err
		}
		if ok {
			a.Samples = nil
			out = append(out, a)
			made = append(made, j)
		}
	}
	if err := e.enrich(ctx, rdb, out, made); err != nil {
		return nil, true, err
	}
	for _, a := range out {
		if a.State == alert.Firing {
			a.Escalated = false // what an adoption takes over: the episode's firing, at its severity now
			e.firing[a.Rule] = a
		} else {
			delete(e.firing, a.Rule)
		}
	}
	e.evaluated = bounds[len(bounds)-1]
	n.met.evaluations.Add(float64(len(bounds)))
	return out, true, nil
}

// enrich reads, for each transition, the window's busiest keys (the
// union of its steps' sorted sets) and, for a rate rule, its distinct
// values (PFCOUNT of its steps' HyperLogLogs): what an alert names, read
// only when there is an alert.
func (e *evaluator) enrich(ctx context.Context, rdb *redis.Client, out []alert.Alert, made []job) error {
	if len(out) == 0 {
		return nil
	}
	n := e.n
	tctx, cancel := context.WithTimeout(ctx, 2*n.opts.Timeout)
	defer cancel()
	topN := cmpOrInt(n.opts.Engine.TopN, detector.DefaultTopN)
	pipe := rdb.Pipeline()
	tops := make([]*redis.Cmd, len(out))
	distincts := make([]*redis.IntCmd, len(out))
	for i, j := range made {
		if j.r.rule.GroupBy != nil {
			tops[i] = topScript.Eval(tctx, pipe, n.stepKeys(j.r, j.at, n.keys.top), topN)
		}
		if j.r.rule.DistinctOf != nil && j.r.rule.Type != detector.Distinct {
			distincts[i] = pipe.PFCount(tctx, n.stepKeys(j.r, j.at, n.keys.hll)...)
		}
	}
	if _, err := pipe.Exec(tctx); err != nil {
		return err
	}
	for i := range out {
		if tops[i] != nil {
			keys, err := topKeys(tops[i])
			if err != nil {
				return err
			}
			out[i].Keys = keys
		}
		if distincts[i] != nil {
			d, err := distincts[i].Result()
			if err != nil {
				return err
			}
			out[i].Distinct = uint64(max(d, 0))
		}
	}
	return nil
}

// topKeys reads the top script's answer.
func topKeys(cmd *redis.Cmd) ([]alert.KeyCount, error) {
	v, err := cmd.Slice()
	if err != nil {
		return nil, err
	}
	keys := []alert.KeyCount{}
	for i := 0; i+1 < len(v); i += 2 {
		key, _ := v[i].(string)
		var c float64
		switch x := v[i+1].(type) {
		case string:
			c, _ = strconv.ParseFloat(x, 64)
		case int64:
			c = float64(x)
		case float64:
			c = x
		}
		keys = append(keys, alert.KeyCount{Key: key, Count: uint64(max(c, 0))})
	}
	return keys, nil
}

func cmpOrInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// measure turns a job's reads into the window's measure.
func (j *job) measure() (detector.Measure, error) {
	var m detector.Measure
	counts, last, err := sumCounts(j.counts)
	if err != nil {
		return m, err
	}
	m.Count = counts
	for _, c := range [...]struct {
		cmd *redis.SliceCmd
		sum *uint64
	}{{j.hits, &m.Hits}, {j.cold, &m.Cold}, {j.rush, &m.Rush}, {j.of, &m.Of}, {j.app, &m.App}, {j.all, &m.All}} {
		if c.cmd != nil {
			if *c.sum, _, err = sumCounts(c.cmd); err != nil {
				return m, err
			}
		}
	}
	for _, c := range [...]struct {
		cmd *redis.IntCmd
		n   *uint64
	}{{j.distinct, &m.Distinct}, {j.agents, &m.Agents}} {
		if c.cmd != nil {
			d, err := c.cmd.Result()
			if err != nil {
				return m, err
			}
			*c.n = uint64(max(d, 0))
		}
	}
	r := j.r.rule
	if j.hits != nil && r.Type == detector.Ratio {
		vals, _ := j.hits.Result()
		if m.Recent, err = sumNewest(vals, max(len(vals)/3, 1)); err != nil {
			return m, err
		}
	}
	switch r.Type {
	case detector.Distinct:
		m.Value = float64(m.Distinct)
	case detector.Ratio:
		if m.Count > 0 {
			m.Value = float64(m.Hits) / float64(m.Count)
		}
	default:
		m.Value = float64(m.Count) / r.Window.Seconds()
		m.Current = float64(last) / j.r.width.Seconds()
	}
	return m, nil
}

// clientsShared reports whether a rule's distinct values are its client
// addresses: what clients_per_agent weighs the user agents against in
// the fleet (a rule counting other values keeps that sign to its nodes).
func clientsShared(r detector.Rule) bool {
	f := r.DistinctOf
	if r.Type == detector.Distinct {
		f = r.Field
	}
	return f != nil && f.Name == "client_ip"
}

// sumNewest sums the newest n of an MGET's step counters (missing ones
// are 0).
func sumNewest(vals []any, n int) (uint64, error) {
	var sum uint64
	for _, v := range vals[max(len(vals)-n, 0):] {
		c, err := stepCount(v)
		if err != nil {
			return 0, err
		}
		sum += c
	}
	return sum, nil
}

// stepCount reads one step counter of an MGET: 0 when missing.
func stepCount(v any) (uint64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, nil
	}
	c, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("step counter: %w", err)
	}
	return c, nil
}

// sumCounts sums an MGET of step counters (missing ones are 0); last is
// the newest step's.
func sumCounts(cmd *redis.SliceCmd) (sum, last uint64, err error) {
	vals, err := cmd.Result()
	if err != nil {
		return 0, 0, err
	}
	for i, v := range vals {
		c, err := stepCount(v)
		if err != nil {
			return 0, 0, err
		}
		sum += c
		if i == len(vals)-1 {
			last = c
		}
	}
	return sum, last, nil
}

// commit writes the state and the boundary evaluated, fenced by the lease.
func (e *evaluator) commit(ctx context.Context, rdb *redis.Client) error {
	n := e.n
	snaps, err := e.remote.Snapshot()
	if err != nil {
		return err
	}
	st := savedState{Version: stateVersion, Token: e.active.token, Node: n.set.Node, Evaluated: e.evaluated, Rules: snaps}
	for _, name := range slices.Sorted(mapKeys(e.firing)) {
		st.Firing = append(st.Firing, e.firing[name])
	}
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tctx, cancel := context.WithTimeout(ctx, n.opts.Timeout)
	defer cancel()
	k := n.keys
	ok, err := commitScript.Run(tctx, rdb, []string{k.lease(), k.state(), k.evaluated()},
		e.active.lease, data, e.evaluated.UnixMilli(), stateTTL.Milliseconds()).Int()
	if err != nil {
		return err
	}
	if ok != 1 {
		return errFenced
	}
	n.mu.Lock()
	if e.evaluated.After(n.evaluated) {
		n.evaluated = e.evaluated
	}
	n.mu.Unlock()
	return nil
}

// evaluationOrder returns rules in the order they are evaluated at each
// boundary: the config's, those that look down (drop rules) last, so
// that an attack alerted at a boundary holds a drop rule's learning at
// that boundary already, as in the engine (detector's attackClock).
func evaluationOrder(rules []*fleetRule) []*fleetRule {
	down := func(r *fleetRule) int {
		if b := r.rule.Baseline; b != nil && b.Down {
			return 1
		}
		return 0
	}
	out := slices.Clone(rules)
	slices.SortStableFunc(out, func(a, b *fleetRule) int { return cmp.Compare(down(a), down(b)) })
	return out
}
