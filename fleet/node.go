package fleet

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/detector"
)

// Options configure a [Node].
type Options struct {
	Settings Settings
	// Rules are the config's rules: the node publishes and evaluates those
	// marked fleet (Rule.Fleet).
	Rules []detector.Rule
	// Engine are the engine's options (resolution, skew, top offenders),
	// which the fleet's evaluation shares.
	Engine detector.Options
	// Deliver runs take with the daemon's engine locked and delivers the
	// transitions it returns as the engine's own: saved, written, sent to
	// the notifiers and handed to the actions. The node calls it with the
	// evaluator's transitions, and with the local transitions of fleet
	// rules it held back when it falls back to its local rules. Required.
	Deliver func(take func() []alert.Alert)
	// Adopt, when set, hands the actions (not the notifiers) the fleet
	// rules firing when this node takes over as evaluator, so that a
	// remedy the previous evaluator applied is reverted here when the rule
	// resolves.
	Adopt func([]alert.Alert)
	// Release, when set, takes back from the daemon the fleet rules it
	// follows as firing, once another node holds the lease (this node's
	// passed on, or this node restarted while another took over): the
	// evaluator that adopted them sends their updates and resolution and
	// reverts their remedies. The daemon forgets them without sending or
	// reverting anything, so that a later firing here pages and acts
	// anew. Rules whose local firing this node delivered in local mode
	// are left out: their local resolution closes them.
	Release func(rules []string)
	Logger  *slog.Logger
	// Now is the wall clock (round-trip times, backoff, status); nil
	// means time.Now.
	Now func() time.Time
	// Timeout bounds a round trip to Redis, Heartbeat the time between
	// two (DefaultTimeout, DefaultHeartbeat when 0); Poll is how often the
	// evaluator looks for boundaries to evaluate (100 ms when 0).
	Timeout, Heartbeat, Poll time.Duration
	// MaxBacklog and MaxBacklogBytes bound the deltas waiting while Redis
	// is out of reach (DefaultMaxBacklog, DefaultMaxBacklogBytes when 0).
	MaxBacklog, MaxBacklogBytes int
}

// role is the lease, while this node holds it.
type role struct {
	token int64
	lease string // the lease's value: "TOKEN:INSTANCE"
}

// Node is one sentinel of a fleet. It publishes what the node's engine
// counts for the fleet rules (per-bucket deltas, one pipelined round trip
// per step), takes part in the election of the evaluator, evaluates the
// fleet rules over the shared windows while it holds the lease, and
// decides whether the node's own transitions of fleet rules are held back
// (fleet mode) or delivered (local mode, when Redis is down or slow).
//
// Delta, Clock and Local are called by the goroutine that owns the
// engine and never block on the network; every method is safe for
// concurrent use. Run does the I/O.
type Node struct {
	opts     Options
	set      Settings
	log      *slog.Logger
	now      func() time.Time
	copts    *redis.Options
	keys     keys
	instance string // this process: the node's name and a random suffix
	res      time.Duration
	skew     time.Duration
	met      *metrics
	kick     chan struct{}
	eval     *evaluator
	// crash, for tests, makes Run return at cancellation without the
	// goodbye round trip that gives the lease up: a process killed.
	crash bool

	mu        sync.Mutex // guards everything below
	rules     map[string]*fleetRule
	order     []*fleetRule // rules in the config's order
	rulesGen  int          // bumped by SetRules
	queue     backlog
	clock     time.Time // the engine's clock, as last told
	kicked    int64     // the step of the clock that last kicked the publisher
	mode      string
	since     time.Time
	reason    string
	held      map[string]alert.Alert // fleet mode: the local firing of each fleet rule, held back
	announced map[string]bool        // fleet rules whose local firing was delivered
	role      role
	holder    string // the node holding the lease
	holderIn  string // the process holding it: its instance
	// released says that the daemon let go of the fleet rules (see
	// Options.Release) since this node last delivered or adopted an
	// evaluator's transitions.
	released  bool
	evaluated time.Time // the newest boundary the fleet evaluated
	redisNow  time.Time // Redis's clock at the last round trip
	redisAt   time.Time // our wall time then
	firstOK   time.Time // wall time of the first successful round trip
	clockAt   time.Time // wall time the engine's clock first moved
	nodes     []NodeStatus
	rtt       time.Duration
	late      uint64
	unconf    uint64
	dropped   uint64
	firing    []string      // the evaluator's firing fleet rules
	measures  []alert.Alert // the evaluator's last measures of them
}

// New returns a node for the settings and the config's fleet rules. It
// does not connect: Run does.
func New(opts Options) (*Node, error) {
	set := opts.Settings.WithDefaults()
	if err := set.Check(); err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	if opts.Deliver == nil {
		return nil, errors.New("fleet: no Deliver")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	if opts.Poll <= 0 {
		opts.Poll = 100 * time.Millisecond
	}
	if opts.MaxBacklog <= 0 {
		opts.MaxBacklog = DefaultMaxBacklog
	}
	if opts.MaxBacklogBytes <= 0 {
		opts.MaxBacklogBytes = DefaultMaxBacklogBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	copts, err := clientOptions(set.Redis, opts.Timeout, set.Node)
	if err != nil {
		return nil, fmt.Errorf("fleet: %s: %w", set.From, err)
	}
	var suffix [4]byte
	_, _ = crand.Read(suffix[:])
	n := &Node{
		opts: opts, set: set, log: opts.Logger.With("site", set.Site), now: opts.Now, copts: copts,
		keys: newKeys(set.Site), instance: set.Node + "/" + hex.EncodeToString(suffix[:]),
		res:  cmpOr(opts.Engine.Resolution, detector.DefaultResolution),
		skew: cmpOr(opts.Engine.Skew, detector.DefaultSkew),
		kick: make(chan struct{}, 1),
		mode: ModeJoining, held: map[string]alert.Alert{}, announced: map[string]bool{},
		queue: backlog{maxItems: opts.MaxBacklog, maxBytes: opts.MaxBacklogBytes},
	}
	n.met = newMetrics(n.backlogLen)
	n.since = n.now()
	routeRedisLog(n.log)
	if err := n.SetRules(opts.Rules, opts.Engine); err != nil {
		return nil, err
	}
	n.eval = &evaluator{n: n}
	return n, nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// SetRules replaces the fleet rules (a config reload). The evaluator
// reloads its state from Redis: rules whose definition did not change
// keep theirs.
func (n *Node) SetRules(rules []detector.Rule, eopts detector.Options) error {
	var fleetRules []detector.Rule
	for _, r := range rules {
		if r.Fleet {
			fleetRules = append(fleetRules, r)
		}
	}
	if _, err := detector.NewRemote(fleetRules, eopts); err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	res := cmpOr(eopts.Resolution, detector.DefaultResolution)
	byName := map[string]*fleetRule{}
	var order []*fleetRule
	for _, r := range fleetRules {
		fr := newFleetRule(r, res)
		byName[r.Name] = fr
		order = append(order, fr)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if res != n.res && n.rules != nil {
		return errors.New("fleet: settings.resolution cannot change on a reload; restart the node")
	}
	n.opts.Engine = eopts
	n.rules, n.order = byName, order
	n.rulesGen++
	for name := range n.held {
		if byName[name] == nil {
			delete(n.held, name)
		}
	}
	return nil
}

// Register adds the node's fleet series (sentinel_fleet_*) to reg.
func (n *Node) Register(reg prometheus.Registerer) error {
	for _, c := range n.met.collectors() {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// IsFleetRule reports whether rule is one of the fleet rules.
func (n *Node) IsFleetRule(rule string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.rules[rule] != nil
}

// Delta queues what a fleet rule counted in a bucket, to be published
// with the step's round trip. It is the engine's Options.Delta: it never
// blocks, and past the backlog's bounds the oldest deltas are dropped and
// counted.
func (n *Node) Delta(d detector.Delta) {
	if d.Dropped > 0 {
		n.met.hashDrops.Add(float64(d.Dropped))
	}
	n.mu.Lock()
	if n.rules[d.Rule] != nil {
		n.queue.push(d)
	}
	n.mu.Unlock()
}

// backlogLen is the deltas waiting (sentinel_fleet_backlog_deltas): read
// when the metrics are collected, so that it counts those a failed round
// trip put back and those queued while the node backs off.
func (n *Node) backlogLen() float64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return float64(n.queue.len())
}

// Clock tells the node the engine's clock after it took a batch of lines
// or advanced: once it passes a step's end, the step's deltas are all
// queued and the node publishes them. It never blocks.
func (n *Node) Clock(t time.Time) {
	n.mu.Lock()
	kick := false
	if t.After(n.clock) {
		if n.clock.IsZero() {
			n.clockAt = n.now()
		}
		n.clock = t
		if step := t.UnixNano() / int64(n.res); step > n.kicked {
			n.kicked, kick = step, true
		}
	}
	n.mu.Unlock()
	if kick {
		select {
		case n.kick <- struct{}{}:
		default:
		}
	}
}

// Local decides what becomes of a transition of the node's own engine:
// it reports whether to deliver it. Rules that are not fleet rules are
// always delivered. A fleet rule's transitions are held back while the
// node is in fleet mode (the evaluator speaks for the fleet); in local
// mode they are delivered, and a local episode delivered then is closed
// by its local resolved, even after fleet mode resumes.
func (n *Node) Local(a alert.Alert) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.rules[a.Rule] == nil {
		return true
	}
	if n.mode != ModeLocal {
		if a.State == alert.Firing {
			if _, ok := n.held[a.Rule]; ok {
				a.Escalated = false // it stands for the episode's firing, held back, at its severity now
			}
			n.held[a.Rule] = a
			n.met.suppressed.Inc()
			return false
		}
		delete(n.held, a.Rule)
		if n.announced[a.Rule] {
			delete(n.announced, a.Rule)
			return true
		}
		n.met.suppressed.Inc()
		return false
	}
	if a.State == alert.Firing {
		n.announced[a.Rule] = true
	} else {
		delete(n.announced, a.Rule)
	}
	return true
}

// Run publishes, heartbeats and, while it holds the lease, evaluates,
// until ctx ends; then it publishes what is queued and gives the lease
// up, so that another node takes over at once. Redis being down is no
// error: the node falls back to its local rules and retries with
// backoff. Run returns nil.
func (n *Node) Run(ctx context.Context) error {
	rdb := redis.NewClient(n.copts)
	defer rdb.Close()
	evCtx, stopEval := context.WithCancel(ctx)
	evDone := make(chan struct{})
	go func() {
		defer close(evDone)
		n.eval.run(evCtx, rdb)
	}()
	defer func() {
		stopEval()
		<-evDone
	}()
	n.log.Info("fleet: joining", "node", n.set.Node, "redis", Redact(n.set.Redis), "from", n.set.From,
		"rules", n.ruleNames(), "lease", n.set.Lease.String())
	timer := time.NewTimer(0)
	defer timer.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			if !n.crash {
				// Goodbye: what is queued, and the lease given up.
				bye, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.opts.Timeout)
				_ = n.roundTrip(bye, rdb, false)
				cancel()
			}
			return nil
		case <-n.kick:
			if failures > 0 {
				continue // backing off: the timer says when to try again
			}
		case <-timer.C:
		}
		err := n.roundTrip(ctx, rdb, true)
		if ctx.Err() != nil {
			continue
		}
		if err != nil {
			failures++
			if failures == 1 && isSlow(err) {
				// One round trip past the timeout may be a hiccup of this
				// machine; two in a row are Redis down or slow. The second
				// goes at once: both fit in a second.
				timer.Reset(0)
				continue
			}
			// Redis down: this node holds no lease it can count on (the
			// evaluator stops; its commits are fenced by the lease anyway).
			n.mu.Lock()
			n.role = role{}
			n.mu.Unlock()
			n.fallBack("redis: " + describe(err))
			timer.Reset(backoff(failures))
			continue
		}
		if failures > 0 {
			n.log.Debug("fleet: redis reachable again", "after_failures", failures)
		}
		failures = 0
		n.settle()
		n.release()
		n.mu.Lock()
		more := n.queue.len() > 0
		n.mu.Unlock()
		if more {
			timer.Reset(0) // the rest of a backlog, at once
		} else {
			timer.Reset(n.opts.Heartbeat)
		}
	}
}

// backoff is the wait before retry number failures: 250 ms doubling to
// 5 s, with ±20% jitter.
func backoff(failures int) time.Duration {
	d := 250 * time.Millisecond << min(failures-1, 5)
	d = min(d, 5*time.Second)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// describe is an error's text for logs and the status: go-redis's own
// words, without a prefix, cut.
func describe(err error) string {
	s := strings.TrimPrefix(err.Error(), "redis: ")
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, redis.ErrPoolTimeout) || isTimeout(err) {
		s = "no answer within the timeout (down, paused or slow)"
	}
	return cut(s, 200)
}

// isSlow reports whether a round trip failed for want of an answer in
// time, rather than being refused.
func isSlow(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || isTimeout(err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// notSent reports whether a round trip failed before sending anything
// (no connection could be made): its deltas can be sent again safely.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrClosed)
}

// roundTrip publishes the queued deltas and heartbeats, in one pipeline.
// want says whether the node wants the lease (renewing it, or taking it
// when free); without, it gives the lease up.
func (n *Node) roundTrip(ctx context.Context, rdb *redis.Client, want bool) error {
	n.mu.Lock()
	redisNow := n.redisClock()
	batch := n.queue.take()
	if redisNow.IsZero() {
		// Until Redis first answers, its clock and the fleet's evaluation
		// are unknown: deltas ahead of the one or late for the other could
		// not be told apart. They wait for the next round trip, at once.
		n.queue.requeue(batch)
		batch = nil
	}
	dropped := n.queue.dropped
	n.queue.dropped = 0
	n.dropped += dropped
	clock, evaluated, rules := n.clock, n.evaluated, n.rules
	told := n.queue.toldClock(clock)
	ahead := !clock.IsZero() && !redisNow.IsZero() && clock.Sub(redisNow) > n.skew
	lagging := !clock.IsZero() && !evaluated.IsZero() && evaluated.Sub(clock) > n.skew
	n.mu.Unlock()
	if dropped > 0 {
		n.met.deltas.WithLabelValues(DeltaDropped).Add(float64(dropped))
	}

	send := make([]detector.Delta, 0, len(batch))
	late := 0
	for _, d := range batch {
		switch {
		case rules[d.Rule] == nil: // no longer a fleet rule
		case !evaluated.IsZero() && !d.Start.Add(d.Width).After(evaluated):
			late++ // the fleet evaluated this step without it
		case !redisNow.IsZero() && d.Start.Sub(redisNow) > n.skew:
			late++ // stamped ahead of the fleet's clock: not merged into a step that has not happened
		default:
			send = append(send, d)
		}
	}
	tctx, cancel := context.WithTimeout(ctx, n.opts.Timeout)
	defer cancel()
	pipe := rdb.Pipeline()
	for i := range send {
		n.queueDelta(tctx, pipe, rules[send[i].Rule], &send[i])
	}
	var clockMs int64
	if !told.IsZero() {
		clockMs = told.UnixMilli()
	}
	wantArg := "0"
	if want && !lagging && !ahead {
		wantArg = "1"
	}
	k := n.keys
	hb := heartbeatScript.Eval(tctx, pipe, []string{k.nodes(), k.clocks(), k.lease(), k.token(), k.evaluated()},
		n.set.Node, n.instance, clockMs, n.set.Lease.Milliseconds(), wantArg, time.Minute.Milliseconds(), (24 * time.Hour).Milliseconds())
	start := n.now()
	_, err := pipe.Exec(tctx)
	rtt := n.now().Sub(start)
	if late > 0 {
		n.met.deltas.WithLabelValues(DeltaLate).Add(float64(late))
	}
	var reply []any
	if err == nil {
		reply, err = hb.Slice()
	}
	if err != nil {
		n.met.roundTrips.WithLabelValues("publish", "error").Inc()
		n.mu.Lock()
		n.late += uint64(late)
		if notSent(err) {
			n.queue.requeue(send)
		} else {
			n.unconf += uint64(len(send))
			n.met.deltas.WithLabelValues(DeltaUnconfirmed).Add(float64(len(send)))
		}
		n.mu.Unlock()
		return err // the role stays: one slow round trip is a hiccup (see Run)
	}
	n.met.roundTrips.WithLabelValues("publish", "ok").Inc()
	n.met.rtt.Observe(rtt.Seconds())
	n.met.deltas.WithLabelValues(DeltaPublished).Add(float64(len(send)))
	hbr, err := parseHeartbeat(reply)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.late += uint64(late)
	n.rtt = rtt
	at := n.now()
	if n.firstOK.IsZero() {
		n.firstOK = at
	}
	n.redisNow, n.redisAt = hbr.now, at
	n.evaluated = hbr.evaluated
	n.holder = nodeOf(hbr.lease)
	_, n.holderIn, _ = strings.Cut(hbr.lease, ":")
	n.nodes = hbr.nodes
	n.met.nodes.Set(float64(len(hbr.nodes)))
	if hbr.token > 0 {
		if n.role.token != hbr.token {
			n.met.leases.Inc()
			n.log.Info("fleet: this node took the lease: it evaluates the fleet rules, notifies and acts for the fleet", "token", hbr.token)
		}
		n.role = role{token: hbr.token, lease: hbr.lease}
	} else {
		n.role = role{}
	}
	return nil
}

// redisClock estimates Redis's clock now, from the last round trip; zero
// before the first. The caller holds mu.
func (n *Node) redisClock() time.Time {
	if n.redisNow.IsZero() {
		return time.Time{}
	}
	return n.redisNow.Add(n.now().Sub(n.redisAt))
}

// queueDelta adds a delta's commands to a pipeline: per step, INCRBY and
// PEXPIRE of its count (and of a ratio's hits, and of the evidence's
// cold and share counts), PFADD of its distinct
// values' hashes (8 bytes each) into the step's HyperLogLog, ZINCRBY of
// its busiest keys into the step's sorted set, trimmed to maxStepKeys.
func (n *Node) queueDelta(ctx context.Context, pipe redis.Pipeliner, r *fleetRule, d *detector.Delta) {
	k, ttl := n.keys, r.ttl
	if d.Count > 0 {
		key := k.count(r.key, d.Bucket)
		pipe.IncrBy(ctx, key, int64(min(d.Count, math.MaxInt64)))
		pipe.PExpire(ctx, key, ttl)
	}
	for _, c := range [...]struct {
		n   uint64
		key func(string, int64) string
	}{{d.Hits, k.hits}, {d.Cold, k.cold}, {d.Rush, k.rush}, {d.Of, k.of}, {d.App, k.app}, {d.All, k.all}} {
		if c.n > 0 {
			key := c.key(r.key, d.Bucket)
			pipe.IncrBy(ctx, key, int64(min(c.n, math.MaxInt64)))
			pipe.PExpire(ctx, key, ttl)
		}
	}
	for _, hs := range [...]struct {
		hashes []uint64
		key    func(string, int64) string
	}{{d.Hashes, k.hll}, {d.Agents, k.agents}} {
		if len(hs.hashes) == 0 {
			continue
		}
		key := hs.key(r.key, d.Bucket)
		vals := make([]hashArg, len(hs.hashes))
		els := make([]any, len(hs.hashes))
		for i, h := range hs.hashes {
			binary.BigEndian.PutUint64(vals[i][:], h)
			els[i] = &vals[i] // a pointer: no allocation per element
		}
		pipe.PFAdd(ctx, key, els...)
		pipe.PExpire(ctx, key, ttl)
	}
	if len(d.Keys) > 0 && r.rule.GroupBy != nil {
		key := k.top(r.key, d.Bucket)
		for _, kc := range d.Keys {
			pipe.ZIncrBy(ctx, key, float64(kc.Count), kc.Key)
		}
		pipe.ZRemRangeByRank(ctx, key, 0, -(maxStepKeys + 1))
		pipe.PExpire(ctx, key, ttl)
	}
}

// hashArg is a distinct value's hash as PFADD's element: 8 bytes, big
// endian.
type hashArg [8]byte

// MarshalBinary returns the 8 bytes (go-redis writes an argument that is
// a BinaryMarshaler as its bytes).
func (h *hashArg) MarshalBinary() ([]byte, error) { return h[:], nil }

// heartbeat is the heartbeat script's answer.
type heartbeat struct {
	now       time.Time
	lease     string
	token     int64
	evaluated time.Time
	nodes     []NodeStatus
}

var errReply = errors.New("unexpected reply from redis")

func parseHeartbeat(v []any) (heartbeat, error) {
	var h heartbeat
	if len(v) < 4 || (len(v)-4)%3 != 0 {
		return h, errReply
	}
	now, ok1 := v[0].(int64)
	lease, ok2 := v[1].(string)
	token, ok3 := v[2].(int64)
	ev, ok4 := v[3].(string)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return h, errReply
	}
	h.now, h.lease, h.token = time.UnixMilli(now).UTC(), lease, token
	h.evaluated = msTime(ev)
	for i := 4; i+2 < len(v); i += 3 {
		name, _ := v[i].(string)
		seen, _ := v[i+1].(string)
		clock, _ := v[i+2].(string)
		ms, _ := strconv.ParseFloat(seen, 64)
		h.nodes = append(h.nodes, NodeStatus{Name: name, LastSeenSeconds: max(0, float64(now)-ms) / 1000, Clock: msTime(clock)})
	}
	slices.SortFunc(h.nodes, func(a, b NodeStatus) int { return strings.Compare(a.Name, b.Name) })
	return h, nil
}

// msTime reads Unix milliseconds; "" or "0" is the zero time.
func msTime(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// nodeOf returns the node's name in a lease's value "TOKEN:NODE/SUFFIX".
func nodeOf(lease string) string {
	_, inst, ok := strings.Cut(lease, ":")
	if !ok {
		return ""
	}
	if i := strings.LastIndexByte(inst, '/'); i >= 0 {
		inst = inst[:i]
	}
	return inst
}

// stallLimit is how far the fleet's evaluation may lag this node's clock
// before the node counts the fleet as not evaluating: the skew the
// evaluator may wait, a takeover, and some slack.
func (n *Node) stallLimit() time.Duration { return n.skew + n.set.Lease + 3*time.Second }

// settle decides the mode after a successful round trip: fleet mode,
// unless the fleet's evaluation has stalled or this node's log is out of
// step with the fleet's.
func (n *Node) settle() {
	n.mu.Lock()
	reason := ""
	clock := n.clock
	rnow := n.redisClock()
	switch {
	case !clock.IsZero() && !n.evaluated.IsZero() && n.evaluated.Sub(clock) > n.skew:
		reason = fmt.Sprintf("this node's log lags the fleet's evaluation by %s (more than the skew): its counts come too late",
			alert.FormatDuration(n.evaluated.Sub(clock).Round(time.Second)))
	case !clock.IsZero() && !rnow.IsZero() && clock.Sub(rnow) > n.skew:
		reason = fmt.Sprintf("this node's log is dated %s ahead of the fleet's clock (Redis's): check its clock",
			alert.FormatDuration(clock.Sub(rnow).Round(time.Second)))
	case !clock.IsZero() && !n.evaluated.IsZero() && clock.Sub(n.evaluated) > n.stallLimit():
		reason = fmt.Sprintf("the fleet's evaluation stalled at %s (no evaluator?)", n.evaluated.Format(time.RFC3339))
	case !clock.IsZero() && n.evaluated.IsZero() && n.now().Sub(later(n.firstOK, n.clockAt)) > n.stallLimit():
		reason = "no node has evaluated the fleet yet"
	}
	if reason == "" {
		if n.mode != ModeFleet {
			was := n.mode
			n.mode, n.since, n.reason = ModeFleet, n.now(), ""
			n.met.mode.Set(1)
			n.mu.Unlock()
			if was == ModeJoining {
				n.log.Info("fleet: joined: fleet rules are evaluated over the whole fleet", "evaluator", n.holderName())
			} else {
				n.log.Info("fleet: back in fleet mode", "evaluator", n.holderName())
			}
			return
		}
		n.mu.Unlock()
		return
	}
	n.mu.Unlock()
	n.fallBack(reason)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (n *Node) holderName() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.holder
}

// fallBack moves the node to local mode, once: its engine's transitions
// of fleet rules are delivered from now on, starting with the local
// firings it held back, so that an incident under way is not missed. It
// says so once: a log line, the status, sentinel_fleet_mode.
func (n *Node) fallBack(reason string) {
	n.mu.Lock()
	if n.mode == ModeLocal {
		n.reason = reason
		n.mu.Unlock()
		return
	}
	n.mu.Unlock()
	var was string
	var count int
	n.opts.Deliver(func() []alert.Alert {
		n.mu.Lock()
		defer n.mu.Unlock()
		was = n.mode
		if n.mode == ModeLocal {
			return nil
		}
		n.mode, n.since, n.reason = ModeLocal, n.now(), reason
		n.met.mode.Set(0)
		n.met.fallbacks.Inc()
		var out []alert.Alert
		for rule, a := range n.held {
			out = append(out, a)
			n.announced[rule] = true
		}
		clear(n.held)
		slices.SortFunc(out, func(a, b alert.Alert) int { return a.Time.Compare(b.Time) })
		count = len(out)
		return out
	})
	if was != ModeLocal {
		n.log.Warn("fleet: falling back to the local rules: this node notifies and acts on its own log until fleet mode resumes",
			"reason", reason, "was", was, "local_firings_delivered", count)
	}
}

// release hands the daemon back the fleet rules it follows as firing
// (Options.Release) once, when this node is in fleet mode and another
// process holds the lease.
func (n *Node) release() {
	n.mu.Lock()
	if n.released || n.mode != ModeFleet || n.holderIn == "" || n.holderIn == n.instance {
		n.mu.Unlock()
		return
	}
	n.released = true
	var rules []string
	for _, r := range n.order {
		if !n.announced[r.rule.Name] {
			rules = append(rules, r.rule.Name)
		}
	}
	holder := n.holder
	n.mu.Unlock()
	if n.opts.Release != nil && len(rules) > 0 {
		n.log.Debug("fleet: another node evaluates the fleet rules: the daemon leaves their incidents and remedies to it", "evaluator", holder)
		n.opts.Release(rules)
	}
}

// deliver hands the daemon an evaluator's transitions.
func (n *Node) deliver(out []alert.Alert) {
	n.mu.Lock()
	n.released = false
	n.mu.Unlock()
	n.opts.Deliver(func() []alert.Alert { return out })
}

// ruleNames lists the fleet rules.
func (n *Node) ruleNames() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var names []string
	for _, r := range n.order {
		names = append(names, r.rule.Name)
	}
	return names
}

// Measures returns, while this node evaluates the fleet rules in fleet
// mode, their measures over the whole fleet at the last boundary
// evaluated (see [detector.Remote.Measures]): what the notifications of
// their incidents show in place of the local engine's. Nil otherwise.
func (n *Node) Measures() []alert.Alert {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.mode != ModeFleet || n.role.token == 0 {
		return nil
	}
	return slices.Clone(n.measures)
}

// Status returns the node's view of the fleet.
func (n *Node) Status() Status {
	n.mu.Lock()
	defer n.mu.Unlock()
	st := Status{Site: n.set.Site, Node: n.set.Node, Redis: Redact(n.set.Redis), Mode: n.mode, Since: n.since,
		Reason: n.reason, Evaluator: n.holder, Evaluating: n.role.token > 0, Token: n.role.token,
		RTTSeconds: n.rtt.Seconds(), Clock: n.clock, Evaluated: n.evaluated, Nodes: slices.Clone(n.nodes),
		Backlog: n.queue.len(), Late: n.late, Dropped: n.dropped + n.queue.dropped, Unconfirmed: n.unconf}
	if st.Evaluating {
		st.Firing = slices.Clone(n.firing)
	}
	if st.Nodes == nil {
		st.Nodes = []NodeStatus{}
	}
	return st
}
