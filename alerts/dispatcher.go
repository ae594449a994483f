package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// Defaults of [DispatcherOptions]; the backoff's are
// delivery.DefaultMinBackoff and delivery.DefaultMaxBackoff.
const (
	DefaultQueueSize    = 256
	DefaultMaxPerMinute = 20
)

// Route sends some alerts to one notifier.
type Route struct {
	Name     string
	Notifier Notifier
	// MinSeverity drops alerts below it ("" sends all).
	MinSeverity alert.Severity
	// Rules, when set, limits the route to these rules.
	Rules []string
}

func (r *Route) wants(a alert.Alert) bool {
	if severityRank(a.Severity) < severityRank(r.MinSeverity) {
		return false
	}
	return len(r.Rules) == 0 || slices.Contains(r.Rules, a.Rule)
}

func severityRank(s alert.Severity) int {
	switch s {
	case alert.Critical:
		return 3
	case alert.Warning:
		return 2
	case alert.Info:
		return 1
	}
	return 0
}

// DispatcherOptions configure a [Dispatcher].
type DispatcherOptions struct {
	Routes []Route
	// QueueSize bounds each route's queue; past it the oldest waiting
	// transition of the same rule is replaced (the latest state wins), or
	// else the oldest is dropped, and either is counted.
	QueueSize int
	// MaxPerMinute caps the notifications of each route per minute; the
	// ones over the cap are counted and summed up in one digest at the end
	// of the minute, so a storm of 10,000 transitions buzzes a phone a
	// bounded number of times.
	MaxPerMinute int
	// MinBackoff and MaxBackoff bound the exponential backoff (with jitter)
	// between retries of a failed delivery; a receiver's Retry-After wins
	// when longer, up to delivery.MaxServerWait.
	MinBackoff, MaxBackoff time.Duration
	// Outcome is told of every delivery attempt's end and of every
	// transition not attempted: delivery.OK, Retrying, Failed (permanent),
	// Dropped (queue overflow), Capped or Silenced.
	Outcome func(route string, o delivery.Outcome)
	// Silences hold back the notifications of a rule until a time (the
	// console still shows them); counted as "silenced".
	Silences map[string]time.Time
	// RemindEvery, when above 0, sends a reminder of a rule that keeps
	// firing at this interval (its firing alert, with Reminder counting
	// up and Time now) until it resolves. Off by default.
	RemindEvery time.Duration
	Logger      *slog.Logger
	// Now is the clock; nil means time.Now (tests use testing/synctest).
	Now func() time.Time
}

// Dispatcher delivers alert transitions to notifiers: one bounded queue
// and one sender per route, so a slow or failing notifier never stalls
// detection or the others; retries through delivery.Retry (capped
// exponential backoff and jitter, honouring Retry-After up to 15 minutes,
// never retrying a permanent failure); a per-minute cap with a digest.
// Its methods are safe for concurrent use.
type Dispatcher struct {
	opts   DispatcherOptions
	log    *slog.Logger
	queues []*queue

	silenceMu sync.Mutex           // guards fixed, silences and firing
	fixed     map[string]time.Time // rule → until, from opts.Silences (the config file)
	silences  map[string]time.Time // rule → until, set by Silence (the API), saved with the state
	firing    map[string]*episode  // rule → its firing alert, for reminders
}

// episode is a rule that keeps firing, and when it is next reminded of.
type episode struct {
	alert alert.Alert
	next  time.Time
}

// queue is one route's waiting transitions.
type queue struct {
	route *Route
	mu    sync.Mutex // guards the fields below
	items []alert.Alert
	wake  chan struct{}

	minute  time.Time      // start of the current cap minute
	sent    int            // notifications sent in it
	capped  map[string]int // rule → transitions over the cap in it
	dropped int
	retry   retryState // of the delivery under way
}

// retryState is a delivery that failed and waits to be tried again.
type retryState struct {
	attempts  int
	at        time.Time     // wall time of the next attempt
	requested time.Duration // the wait the receiver asked for
	err       string
}

// NewDispatcher returns a Dispatcher for the routes.
func NewDispatcher(opts DispatcherOptions) *Dispatcher {
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.MaxPerMinute <= 0 {
		opts.MaxPerMinute = DefaultMaxPerMinute
	}
	if opts.Outcome == nil {
		opts.Outcome = func(string, delivery.Outcome) {}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := &Dispatcher{opts: opts, log: opts.Logger, fixed: maps.Clone(opts.Silences), silences: map[string]time.Time{}, firing: map[string]*episode{}}
	if d.fixed == nil {
		d.fixed = map[string]time.Time{}
	}
	for i := range opts.Routes {
		d.queues = append(d.queues, &queue{route: &d.opts.Routes[i], wake: make(chan struct{}, 1), capped: map[string]int{}})
	}
	return d
}

// remind submits a reminder for every rule firing for another
// RemindEvery since its firing or its last reminder.
func (d *Dispatcher) remind() {
	now := d.opts.Now()
	var due []alert.Alert
	d.silenceMu.Lock()
	for _, e := range d.firing {
		if now.Before(e.next) {
			continue
		}
		e.alert.Reminder++
		e.next = now.Add(d.opts.RemindEvery)
		a := e.alert
		a.Time = now.UTC()
		due = append(due, a)
	}
	d.silenceMu.Unlock()
	slices.SortFunc(due, func(a, b alert.Alert) int { return strings.Compare(a.Rule, b.Rule) })
	for _, a := range due {
		d.submit(a, true)
	}
}

// Silence holds back the notifications of rule until a time; a time not
// after now lifts its silence, the config's included (until a restart
// reads the config again). It is safe for concurrent use.
func (d *Dispatcher) Silence(rule string, until time.Time) {
	d.silenceMu.Lock()
	defer d.silenceMu.Unlock()
	if !until.After(d.opts.Now()) {
		delete(d.silences, rule)
		delete(d.fixed, rule)
		return
	}
	d.silences[rule] = until
}

// Silences returns the silences set by [Dispatcher.Silence] still in
// force, to be saved with the state (the config's are read from it).
func (d *Dispatcher) Silences() map[string]time.Time {
	d.silenceMu.Lock()
	defer d.silenceMu.Unlock()
	now := d.opts.Now()
	out := map[string]time.Time{}
	for r, u := range d.silences {
		if now.Before(u) {
			out[r] = u
		}
	}
	return out
}

// Submit queues a transition for every route that wants it, and tracks
// the firing rules for reminders. It never blocks.
func (d *Dispatcher) Submit(a alert.Alert) { d.submit(a, true) }

// Restore queues a transition saved before a restart. It starts no
// reminders: whether its rule still fires is the engine's to say anew.
func (d *Dispatcher) Restore(a alert.Alert) { d.submit(a, false) }

func (d *Dispatcher) submit(a alert.Alert, track bool) {
	now := d.opts.Now()
	d.silenceMu.Lock()
	if track && d.opts.RemindEvery > 0 {
		e := d.firing[a.Rule]
		switch {
		case a.Reminder > 0 && (e == nil || !e.alert.Since.Equal(a.Since)):
			d.silenceMu.Unlock() // resolved since remind picked it: a late reminder would mislead
			return
		case a.Reminder > 0:
		case a.State == alert.Firing:
			d.firing[a.Rule] = &episode{alert: a, next: now.Add(d.opts.RemindEvery)}
		case a.State == alert.Resolved:
			delete(d.firing, a.Rule)
		}
	}
	until, silenced := d.silences[a.Rule]
	if fixed, ok := d.fixed[a.Rule]; ok && fixed.After(until) {
		until, silenced = fixed, true
	}
	d.silenceMu.Unlock()
	if silenced && now.Before(until) {
		for _, q := range d.queues {
			if q.route.wants(a) {
				d.opts.Outcome(q.route.Name, delivery.Silenced)
			}
		}
		return
	}
	for _, q := range d.queues {
		if !q.route.wants(a) {
			continue
		}
		q.mu.Lock()
		if len(q.items) >= d.opts.QueueSize {
			i := slices.IndexFunc(q.items, func(x alert.Alert) bool { return x.Rule == a.Rule })
			if i < 0 {
				i = 0
			}
			q.items = slices.Delete(q.items, i, i+1)
			q.dropped++
			d.opts.Outcome(q.route.Name, delivery.Dropped)
		}
		q.items = append(q.items, a)
		q.mu.Unlock()
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// Pending returns the transitions not yet delivered, to be saved with the
// daemon's state and submitted again after a restart.
func (d *Dispatcher) Pending() []alert.Alert {
	var out []alert.Alert
	seen := map[string]bool{}
	for _, q := range d.queues {
		q.mu.Lock()
		for _, a := range q.items {
			k := a.Rule + "\x00" + string(a.State) + "\x00" + a.Time.String()
			if !seen[k] {
				seen[k] = true
				out = append(out, a)
			}
		}
		q.mu.Unlock()
	}
	return out
}

// Run delivers until ctx ends. Transitions still queued then stay in
// Pending.
func (d *Dispatcher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	if d.opts.RemindEvery > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(max(min(d.opts.RemindEvery/10, time.Minute), 10*time.Millisecond))
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					d.remind()
				}
			}
		}()
	}
	for _, q := range d.queues {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.send(ctx, q)
		}()
	}
	wg.Wait()
	return nil
}

// send is one route's sender.
func (d *Dispatcher) send(ctx context.Context, q *queue) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		for {
			a, ok := d.next(q)
			if !ok {
				break
			}
			if !d.deliver(ctx, q, a) {
				return // ctx ended: a stays queued
			}
			d.done(q)
		}
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		case <-tick.C:
			if digest, ok := d.digest(q); ok {
				d.deliver(ctx, q, digest)
			}
		}
	}
}

// next returns the head of the queue unless the minute's cap is reached;
// over the cap, transitions are counted for the digest and dropped.
func (d *Dispatcher) next(q *queue) (alert.Alert, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := d.opts.Now()
	if now.Sub(q.minute) >= time.Minute {
		q.minute, q.sent = now, 0
	}
	for len(q.items) > 0 && q.sent >= d.opts.MaxPerMinute {
		q.capped[q.items[0].Rule]++
		q.items = q.items[1:]
		d.opts.Outcome(q.route.Name, delivery.Capped)
	}
	if len(q.items) == 0 {
		return alert.Alert{}, false
	}
	return q.items[0], true
}

// done removes the head of the queue after its delivery.
func (d *Dispatcher) done(q *queue) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) > 0 {
		q.items = q.items[1:]
	}
	q.sent++
}

// digest sums up the transitions the cap held back in the last minute.
func (d *Dispatcher) digest(q *queue) (alert.Alert, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.capped) == 0 && q.dropped == 0 {
		return alert.Alert{}, false
	}
	total := q.dropped
	var parts []string
	for rule, n := range q.capped {
		total += n
		parts = append(parts, fmt.Sprintf("%s ×%d", rule, n))
	}
	sort.Strings(parts)
	if q.dropped > 0 {
		parts = append(parts, fmt.Sprintf("%d replaced in a full queue", q.dropped))
	}
	q.capped, q.dropped = map[string]int{}, 0
	return alert.Alert{Rule: "sentinel-digest", State: alert.Firing, Time: d.opts.Now().UTC(), Severity: alert.Warning, Value: float64(total), Unit: " held back", Keys: []alert.KeyCount{},
		Description: fmt.Sprintf("%d more notifications in the last minute were held back by the cap of %d a minute: %s",
			total, d.opts.MaxPerMinute, strings.Join(parts, ", "))}, true
}

// deliver sends one transition, retrying until it is delivered, fails
// permanently, or ctx ends; it reports false only when ctx ended.
func (d *Dispatcher) deliver(ctx context.Context, q *queue, a alert.Alert) bool {
	r := q.route
	defer q.setRetry(retryState{})
	err := delivery.Retry(ctx, delivery.Policy{
		MinBackoff: d.opts.MinBackoff, MaxBackoff: d.opts.MaxBackoff,
		Retrying: func(f delivery.Failure) {
			d.opts.Outcome(r.Name, delivery.Retrying)
			q.setRetry(retryState{attempts: f.Attempt, at: d.opts.Now().Add(f.Wait), requested: f.Requested, err: f.Err.Error()})
			d.log.Warn("notification failed, retrying", "notifier", r.Name, "rule", a.Rule, "attempt", f.Attempt,
				"wait", f.Wait, "requested", f.Requested, "err", f.Err)
		},
	}, func(int) error { return r.Notifier.Notify(ctx, a) })
	switch {
	case err == nil:
		d.opts.Outcome(r.Name, delivery.OK)
	case ctx.Err() != nil:
		return false
	default:
		d.opts.Outcome(r.Name, delivery.Failed)
		d.log.Error("notification failed, not retried", "notifier", r.Name, "rule", a.Rule, "err", err)
	}
	return true
}

func (q *queue) setRetry(s retryState) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.retry = s
}

// RouteStatus is one notifier's deliveries, as the status API shows them.
type RouteStatus struct {
	Name string `json:"name"`
	// Queued counts the transitions waiting, the one being delivered
	// included.
	Queued int `json:"queued"`
	// Attempts counts the failed attempts of the delivery under way; 0
	// when none failed.
	Attempts int `json:"attempts,omitempty"`
	// RetryAt is when it is tried again (wall time); zero when it is not
	// waiting.
	RetryAt time.Time `json:"retry_at,omitzero"`
	// RequestedWaitSeconds is the wait the receiver asked for (a 429's
	// Retry-After), in seconds, at most 900 (delivery.MaxServerWait).
	RequestedWaitSeconds float64 `json:"requested_wait_seconds,omitempty"`
	// LastError is why the last attempt failed, secrets redacted. It may
	// quote the receiver: escape it before display.
	LastError string `json:"last_error,omitempty"`
}

// Status returns each route's queue and the retry it waits for, in the
// routes' order.
func (d *Dispatcher) Status() []RouteStatus {
	out := make([]RouteStatus, 0, len(d.queues))
	for _, q := range d.queues {
		q.mu.Lock()
		out = append(out, RouteStatus{Name: q.route.Name, Queued: len(q.items), Attempts: q.retry.attempts, RetryAt: q.retry.at,
			RequestedWaitSeconds: q.retry.requested.Seconds(), LastError: q.retry.err})
		q.mu.Unlock()
	}
	return out
}
