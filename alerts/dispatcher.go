package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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
	// Origin says where the route came from, for check and the startup
	// log: "environment (SENTINEL_NTFY_URL)", "sentinel.yaml:40".
	Origin string
}

// Scope says which alerts the route takes: "every alert", "critical and
// above of signup-burst, signup-spread".
func (r *Route) Scope() string {
	to := "every alert"
	if r.MinSeverity != "" {
		to = string(r.MinSeverity) + " and above"
	}
	if len(r.Rules) > 0 {
		to += " of " + strings.Join(r.Rules, ", ")
	}
	return to
}

// wantsRule reports whether the route takes alerts of this rule and
// severity.
func (r *Route) wantsRule(rule string, sev alert.Severity) bool {
	if severityRank(sev) < severityRank(r.MinSeverity) {
		return false
	}
	return len(r.Rules) == 0 || slices.Contains(r.Rules, rule)
}

func (r *Route) wants(a alert.Alert) bool { return r.wantsRule(a.Rule, a.Severity) }

// view returns the part of notification a the route takes: for an
// incident, its rules the route wants (the lead being the first of them);
// false when it wants none.
func (r *Route) view(a alert.Alert) (alert.Alert, bool) {
	if a.Incident == nil {
		return a, r.wants(a)
	}
	return narrow(a, func(m alert.Alert) bool { return r.wantsRule(m.Rule, m.Severity) })
}

// narrow returns notification a with only the incident's rules that keep
// holds, and the first of them as its lead; false when none is kept.
func narrow(a alert.Alert, keep func(alert.Alert) bool) (alert.Alert, bool) {
	inc := *a.Incident
	inc.Alerts = nil
	for _, m := range a.Incident.Alerts {
		if keep(m) {
			inc.Alerts = append(inc.Alerts, m)
		}
	}
	if len(inc.Alerts) == 0 {
		return alert.Alert{}, false
	}
	if len(inc.Alerts) == len(a.Incident.Alerts) {
		return a, true
	}
	kept := func(list []string) []string {
		return slices.DeleteFunc(slices.Clone(list), func(r string) bool {
			return !slices.ContainsFunc(inc.Alerts, func(m alert.Alert) bool { return m.Rule == r })
		})
	}
	inc.New, inc.Raised, inc.Inhibited = kept(inc.New), kept(inc.Raised), kept(inc.Inhibited)
	lead := inc.Alerts[0]
	lead.State, lead.Time, lead.Reminder, lead.Site, lead.Labels = a.State, a.Time, a.Reminder, a.Site, a.Labels
	lead.Incident = &inc
	return lead, true
}

// SeverityReaches reports whether alerts of severity sev pass a route's
// min_severity.
func SeverityReaches(sev, min alert.Severity) bool { return severityRank(sev) >= severityRank(min) }

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
	// QueueSize bounds the transitions waiting in each route's queue,
	// beside the one being delivered; past it the oldest waiting
	// transition of the same rule is replaced (the latest state wins), or
	// else the oldest waiting one is dropped, and either is counted. The
	// one being delivered is never dropped: it is delivered.
	QueueSize int
	// MaxPerMinute caps the notifications of each route per minute; the
	// ones over the cap are counted and summed up in one digest at the end
	// of the minute, so a storm of 10,000 transitions buzzes a phone a
	// bounded number of times.
	MaxPerMinute int
	// DrainTimeout is how long Run goes on delivering once its context
	// ends: the delivery under way and the notifications queued; what is
	// left then stays in Pending. 0 stops at once, cutting a delivery
	// off.
	DrainTimeout time.Duration
	// MinBackoff and MaxBackoff bound the exponential backoff (with jitter)
	// between retries of a failed delivery; a receiver's Retry-After wins
	// when longer, up to delivery.MaxServerWait.
	MinBackoff, MaxBackoff time.Duration
	// Outcome is told of every delivery attempt's end and of every
	// transition not attempted: delivery.OK, Retrying, Failed (permanent),
	// Dropped (queue overflow), Capped or Silenced.
	Outcome func(route string, o delivery.Outcome)
	// Delivered, when set, is told of every notification delivered to a
	// route (as the route got it), once its attempt succeeded, from the
	// route's sender goroutine: the daemon times a transition's way to
	// the notifiers with it.
	Delivered func(route string, a alert.Alert)
	// Silences hold back the notifications of a rule until a time (the
	// console still shows them); counted as "silenced".
	Silences map[string]time.Time
	// Site and Labels name this server on the notifications the
	// dispatcher makes itself (the digest).
	Site   string
	Labels map[string]string
	Logger *slog.Logger
	// Now is the clock; nil means time.Now (tests use testing/synctest).
	Now func() time.Time
	// Links, when set, returns the signed links a notification carries to
	// one route (see package links); it is called once per delivery, just
	// before the first attempt, so that a link's life starts when it is
	// sent. It must be safe for concurrent use.
	Links func(route string, a alert.Alert) []alert.Link
}

// Dispatcher delivers notifications (those of a [Grouper], or lone
// alerts) to notifiers: one bounded queue and one sender per route, so a
// slow or failing notifier never stalls detection or the others; retries
// through delivery.Retry (capped exponential backoff and jitter,
// honouring Retry-After up to 15 minutes, never retrying a permanent
// failure); a per-minute cap with a digest; silences, under which a
// resolution waits for the silence to end rather than being lost. Each
// route gets the rules of an incident it wants (by severity and rule), and
// its updates and resolution only once it was told of the incident. Its
// methods are safe for concurrent use.
type Dispatcher struct {
	opts DispatcherOptions
	log  *slog.Logger

	queuesMu sync.Mutex      // guards queues, runCtx, runDrain and runWG
	queues   []*queue        // the routes' queues, in order; those SetRoutes removed last, until empty
	runCtx   context.Context // Run's, while it runs: a route added then starts its sender
	runDrain context.Context // the deliveries', which lasts DrainTimeout longer
	runWG    *sync.WaitGroup

	// silenceMu guards fixed, silences, told and held. A queue's mu is
	// taken before it, never after.
	silenceMu sync.Mutex
	fixed     map[string]time.Time // rule → until, from opts.Silences (the config file)
	silences  map[string]time.Time // rule → until, set by Silence (the API), saved with the state
	told      map[string][]string  // incident key → the rules some route was told of (in a firing queued)
	held      []alert.Alert        // resolutions of told incidents whose rules are all silenced

	origMu sync.Mutex             // guards orig
	orig   map[string]alert.Alert // delivery key → the notification as submitted, before a route narrowed it
}

// maxTold bounds the incidents remembered as told: past it (a resolution
// never came), the oldest are forgotten at random.
const maxTold = 4096

// queue is one route's waiting transitions.
type queue struct {
	route   atomic.Pointer[Route] // replaced by SetRoutes; its Name never changes
	removed atomic.Bool           // SetRoutes dropped the route: it takes nothing new, delivers what it holds
	mu      sync.Mutex            // guards the fields below
	items   []item
	// inFlight: items[0] is being delivered (it stays queued until its
	// delivery ends, for Pending); a full queue never drops or replaces it.
	inFlight bool
	wake     chan struct{}

	minute  time.Time      // start of the current cap minute
	sent    int            // notifications sent in it
	capped  map[string]int // rule → transitions over the cap in it
	dropped int
	// heldSince is when the first of the transitions the next digest sums
	// up was held back (capped or dropped): the digest's Since.
	heldSince time.Time
	retry     retryState      // of the delivery under way
	failed    retryState      // the last delivery that failed for good
	told      map[string]bool // incident keys this route was told of
	// held: resolutions silenced whole after they were queued, sent when
	// a silence of theirs ends (see release).
	held []item
}

// item is one notification in a route's queue.
type item struct {
	a alert.Alert
	// first: it tells the route of its incident. A silence that drops it
	// before it is delivered passes that on to the incident's next
	// notification, which then pages (see passFirst).
	first bool
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
	d := &Dispatcher{opts: opts, log: opts.Logger, fixed: maps.Clone(opts.Silences), silences: map[string]time.Time{}, told: map[string][]string{}, orig: map[string]alert.Alert{}}
	if d.fixed == nil {
		d.fixed = map[string]time.Time{}
	}
	for _, r := range opts.Routes {
		d.queues = append(d.queues, newQueue(r))
	}
	d.opts.Routes = nil // the queues hold them
	return d
}

func newQueue(r Route) *queue {
	q := &queue{wake: make(chan struct{}, 1), capped: map[string]int{}, told: map[string]bool{}}
	q.route.Store(&r)
	return q
}

// routeQueues returns the queues of the current routes, in order.
func (d *Dispatcher) routeQueues() []*queue {
	d.queuesMu.Lock()
	defer d.queuesMu.Unlock()
	out := make([]*queue, 0, len(d.queues))
	for _, q := range d.queues {
		if !q.removed.Load() {
			out = append(out, q)
		}
	}
	return out
}

// SetRoutes replaces the routes (a config reload). A route whose name was
// there already keeps its queue, its retry state and the incidents it was
// told of, and delivers with its new notifier and filters from its next
// notification on (a delivery under way finishes with the old one). A new
// route starts empty, and is told of the incidents that begin after it;
// a route no longer there takes nothing new and delivers what it still
// holds. It is safe for concurrent use, before or while Run runs.
func (d *Dispatcher) SetRoutes(routes []Route) {
	d.queuesMu.Lock()
	defer d.queuesMu.Unlock()
	old := map[string]*queue{}
	var kept []*queue
	for _, q := range d.queues {
		if !q.removed.Load() {
			old[q.route.Load().Name] = q
			continue
		}
		q.mu.Lock()
		empty := len(q.items) == 0
		q.mu.Unlock()
		if !empty {
			kept = append(kept, q) // removed before, still delivering
		}
	}
	var qs []*queue
	for _, r := range routes {
		if q := old[r.Name]; q != nil {
			q.route.Store(&r)
			delete(old, r.Name)
			qs = append(qs, q)
			continue
		}
		q := newQueue(r)
		qs = append(qs, q)
		if d.runCtx != nil {
			d.start(d.runCtx, d.runDrain, d.runWG, q)
		}
	}
	for _, q := range d.queues { // in order
		if old[q.route.Load().Name] == q {
			q.removed.Store(true)
			kept = append(kept, q)
			select { // its sender sees it removed once it is empty
			case q.wake <- struct{}{}:
			default:
			}
		}
	}
	d.queues = append(qs, kept...)
}

// start runs q's sender under wg. The caller holds queuesMu.
func (d *Dispatcher) start(ctx, drain context.Context, wg *sync.WaitGroup, q *queue) {
	wg.Go(func() { d.send(ctx, drain, q) })
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

// SilenceStatus is one silence in force, as `sentinel silence list` and
// GET /silences show it.
type SilenceStatus struct {
	Rule  string    `json:"rule"`
	Until time.Time `json:"until"`
	// Source says who set it: "config" (the config file's silences:, read
	// again at a restart) or "api" (sentinel silence, saved with the
	// state).
	Source string `json:"source"`
}

// SilenceList returns the silences in force, the config's and the API's,
// by rule.
func (d *Dispatcher) SilenceList() []SilenceStatus {
	d.silenceMu.Lock()
	defer d.silenceMu.Unlock()
	now := d.opts.Now()
	by := map[string]SilenceStatus{}
	for r, u := range d.fixed {
		if now.Before(u) {
			by[r] = SilenceStatus{Rule: r, Until: u, Source: "config"}
		}
	}
	for r, u := range d.silences {
		if now.Before(u) && u.After(by[r].Until) {
			by[r] = SilenceStatus{Rule: r, Until: u, Source: "api"}
		}
	}
	out := slices.Collect(maps.Values(by))
	slices.SortFunc(out, func(a, b SilenceStatus) int { return strings.Compare(a.Rule, b.Rule) })
	return out
}

// silencedLocked reports whether rule is silenced at now; the caller
// holds silenceMu.
func (d *Dispatcher) silencedLocked(rule string, now time.Time) bool {
	return now.Before(d.silences[rule]) || now.Before(d.fixed[rule])
}

// release submits the held resolutions none of whose rules told is
// silenced any more, and queues again those a route held (silenced after
// they were queued) one of whose rules is not.
func (d *Dispatcher) release() {
	now := d.opts.Now()
	d.silenceMu.Lock()
	var out []alert.Alert
	d.held = slices.DeleteFunc(d.held, func(a alert.Alert) bool {
		if !slices.ContainsFunc(d.told[a.Incident.Key], func(r string) bool { return d.silencedLocked(r, now) }) {
			out = append(out, a)
			return true
		}
		return false
	})
	d.silenceMu.Unlock()
	for _, a := range out {
		d.Submit(a)
	}
	d.queuesMu.Lock()
	queues := slices.Clone(d.queues)
	d.queuesMu.Unlock()
	for _, q := range queues {
		q.mu.Lock()
		n := len(q.items)
		q.held = slices.DeleteFunc(q.held, func(it item) bool {
			if _, ok := d.unsilenced(it.a, now); ok {
				q.items = append(q.items, it)
				return true
			}
			return false
		})
		woken := len(q.items) > n
		q.mu.Unlock()
		if woken {
			select {
			case q.wake <- struct{}{}:
			default:
			}
		}
	}
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

// Submit queues a notification for every route that wants it: a
// [Grouper]'s (an incident, in its Incident) or a lone alert. Silenced
// rules are left out of it; a notification left with none is held back
// and counted silenced, except the resolution of an incident a route was
// told of, which waits for a silence to end and goes out then. It never
// blocks.
func (d *Dispatcher) Submit(a alert.Alert) {
	now := d.opts.Now()
	d.silenceMu.Lock()
	silenced := d.silencedMembersLocked(a, now)
	key := incidentKey(a)
	told := d.told[key]
	// A resolution waits while every rule it was told of is silenced.
	holdResolution := a.State == alert.Resolved && len(told) > 0 &&
		!slices.ContainsFunc(told, func(r string) bool { return !d.silencedLocked(r, now) })
	if len(silenced) > 0 {
		if len(silenced) < len(members(a)) && !holdResolution {
			a, _ = narrow(a, func(m alert.Alert) bool { return !slices.Contains(silenced, m.Rule) })
			a.Incident.Silenced = silenced
		} else {
			if holdResolution {
				d.held = append(d.held, a) // sent when a silence ends
			}
			d.silenceMu.Unlock()
			for _, q := range d.routeQueues() {
				r := q.route.Load()
				if _, ok := r.view(a); ok {
					d.opts.Outcome(r.Name, delivery.Silenced)
				}
			}
			return
		}
	}
	if key != "" {
		switch {
		case a.State == alert.Firing:
			if told == nil && len(d.told) >= maxTold {
				for k := range d.told {
					delete(d.told, k)
					break
				}
			}
			for _, m := range members(a) {
				if !slices.Contains(told, m.Rule) {
					told = append(told, m.Rule)
				}
			}
			d.told[key] = told
		default:
			delete(d.told, key)
		}
	}
	d.silenceMu.Unlock()
	if key != "" {
		d.origMu.Lock()
		d.orig[DeliveryKey(a)] = a // what a restart submits again, whole
		d.origMu.Unlock()
	}
	for _, q := range d.routeQueues() {
		r := q.route.Load()
		v, ok := r.view(a)
		if !ok {
			continue
		}
		q.mu.Lock()
		it := item{a: v}
		if key != "" {
			routeTold := q.told[key]
			switch {
			case v.Incident.Update == 0 && v.Reminder == 0:
			case !routeTold && v.State == alert.Firing && v.Reminder == 0 && len(v.Incident.New) > 0:
				// The first rules of the incident this route wants: its first
				// notification of it, which pages unless inhibited.
				inc := *v.Incident
				inc.Quiet = len(inc.New) == len(inc.Inhibited)
				v.Incident = &inc
			case !routeTold && v.State == alert.Firing:
				// An incident the route was never told of, its first
				// notification silenced, still firing once the silence
				// ended (a reminder, an update): this one is its first,
				// and pages, so the attack is not left untold.
				v = pageRoute(v)
			case !routeTold:
				q.mu.Unlock()
				continue // a resolution of an incident it never heard of
			}
			it = item{a: v, first: v.State == alert.Firing && !routeTold}
			if v.State == alert.Firing {
				if !routeTold && len(q.told) >= maxTold {
					for k := range q.told {
						delete(q.told, k)
						break
					}
				}
				q.told[key] = true
			} else {
				delete(q.told, key)
			}
		}
		// The transitions waiting: the queue less the one in flight, which
		// goes out as it is (a newer state of its episode follows it).
		head := 0
		if q.inFlight {
			head = 1
		}
		if len(q.items)-head >= d.opts.QueueSize {
			i := slices.IndexFunc(q.items[head:], func(x item) bool { return sameEpisode(x.a, v) })
			if i < 0 {
				i = 0
			}
			i += head
			gone := q.items[i]
			q.items = slices.Delete(q.items, i, i+1)
			q.dropped++
			q.held1(d.opts.Now())
			d.opts.Outcome(r.Name, delivery.Dropped)
			if gone.first {
				// The page of an incident: its newer state takes it over
				// (a resolution goes out as it is: the incident came and
				// went while the notifier was backed up), or the
				// incident's next notification does.
				switch k := incidentKey(gone.a); {
				case k == incidentKey(it.a) && it.a.State == alert.Firing:
					it = item{a: pageRoute(it.a), first: true}
				case k != incidentKey(it.a):
					d.passFirst(q, k, i)
				}
			}
		}
		q.items = append(q.items, it)
		q.mu.Unlock()
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// Adopt records a notification another daemon delivered (see
// [Grouper.Adopt]) as told, on every route that takes it, without
// sending it: the incident's updates and resolution then go out.
func (d *Dispatcher) Adopt(a alert.Alert) {
	if a.Incident == nil {
		return
	}
	d.silenceMu.Lock()
	for _, m := range members(a) {
		if !slices.Contains(d.told[a.Incident.Key], m.Rule) {
			d.told[a.Incident.Key] = append(d.told[a.Incident.Key], m.Rule)
		}
	}
	d.silenceMu.Unlock()
	for _, q := range d.routeQueues() {
		if _, ok := q.route.Load().view(a); ok {
			q.mu.Lock()
			q.told[a.Incident.Key] = true
			q.mu.Unlock()
		}
	}
}

// Forget drops what was told of the incident key, closed without a
// notification ([Grouper.Release]): another daemon follows it now. A
// notification of it still queued goes out.
func (d *Dispatcher) Forget(key string) {
	d.silenceMu.Lock()
	delete(d.told, key)
	d.silenceMu.Unlock()
	for _, q := range d.routeQueues() {
		q.mu.Lock()
		delete(q.told, key)
		q.mu.Unlock()
	}
}

// Restore queues a notification saved before a restart: one that was not
// yet delivered, or a resolution held by a silence.
func (d *Dispatcher) Restore(a alert.Alert) {
	d.Adopt(a) // its incident was told, or it would not have been saved
	d.Submit(a)
}

// Pending returns the notifications not yet delivered, and the
// resolutions held by a silence, to be saved with the daemon's state and
// restored after a restart.
func (d *Dispatcher) Pending() []alert.Alert {
	d.silenceMu.Lock()
	out := slices.Clone(d.held)
	d.silenceMu.Unlock()
	seen := map[string]bool{}
	d.queuesMu.Lock()
	queues := slices.Clone(d.queues) // removed routes' too: they still deliver
	d.queuesMu.Unlock()
	d.origMu.Lock()
	defer d.origMu.Unlock()
	for _, q := range queues {
		q.mu.Lock()
		for _, it := range slices.Concat(q.items, q.held) {
			a := it.a
			k := DeliveryKey(a)
			if !seen[k] {
				seen[k] = true
				if o, ok := d.orig[k]; ok {
					a = o // not one route's part of it
				}
				out = append(out, a)
			}
		}
		q.mu.Unlock()
	}
	for k := range d.orig {
		if !seen[k] {
			delete(d.orig, k) // delivered everywhere
		}
	}
	return out
}

// Run delivers until ctx ends, then for up to DrainTimeout more: the
// deliveries under way and the notifications queued (a page due as the
// daemon stops still goes out). Notifications still queued then stay in
// Pending. Every few seconds it sends the resolutions whose silence ended.
func (d *Dispatcher) Run(ctx context.Context) error {
	drain, stopDrain := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDrain()
	context.AfterFunc(ctx, func() {
		if d.opts.DrainTimeout <= 0 {
			stopDrain()
			return
		}
		time.AfterFunc(d.opts.DrainTimeout, stopDrain)
	})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(releaseEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				d.release()
			}
		}
	}()
	d.queuesMu.Lock()
	d.runCtx, d.runDrain, d.runWG = ctx, drain, &wg
	for _, q := range d.queues {
		d.start(ctx, drain, &wg, q)
	}
	d.queuesMu.Unlock()
	<-ctx.Done()
	d.queuesMu.Lock()
	d.runCtx, d.runDrain, d.runWG = nil, nil, nil // no sender starts after this: wg.Wait may begin
	d.queuesMu.Unlock()
	wg.Wait()
	return nil
}

// sameEpisode reports whether two notifications are of one incident (or,
// lone alerts, of one rule): in a full queue, the newer replaces the older.
func sameEpisode(a, b alert.Alert) bool {
	if a.Incident != nil && b.Incident != nil {
		return a.Incident.Key == b.Incident.Key
	}
	return a.Incident == nil && b.Incident == nil && a.Rule == b.Rule
}

// errSilenced ends the retries of a notification whose rules were all
// silenced while it waited.
var errSilenced = errors.New("silenced")

// releaseEvery is how often the resolutions held by a silence are
// checked: one goes out at most this long after its silence ends.
const releaseEvery = 5 * time.Second

// send is one route's sender. Once ctx ends it delivers what its queue
// holds under drain, and returns when the queue is empty or drain ends.
func (d *Dispatcher) send(ctx, drain context.Context, q *queue) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		for drain.Err() == nil {
			a, ok := d.next(q)
			if !ok {
				break
			}
			if !d.deliver(drain, q, a, true) {
				return // the drain ended: a stays queued
			}
			d.done(q)
		}
		if ctx.Err() != nil {
			return // stopped, and drained or out of time
		}
		if q.removed.Load() && d.drained(q) {
			return // SetRoutes dropped its route, and it delivered what it held
		}
		select {
		case <-ctx.Done(): // drain what is queued
		case <-q.wake:
		case <-tick.C:
			if digest, ok := d.digest(q); ok {
				d.deliver(ctx, q, digest, false)
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
	for len(q.items) > 0 {
		// A silence set after the notification was queued holds it back
		// as one set before.
		v, ok := d.unsilenced(q.items[0].a, now)
		if !ok {
			it := q.items[0]
			q.items = q.items[1:]
			d.silencedInQueue(q, it, 0)
			continue
		}
		if q.sent >= d.opts.MaxPerMinute {
			q.capped[v.Rule]++
			q.held1(now)
			q.items = q.items[1:]
			d.opts.Outcome(q.route.Load().Name, delivery.Capped)
			continue
		}
		q.items[0].a = v
		q.inFlight = true
		return v, true
	}
	return alert.Alert{}, false
}

// silencedMembersLocked returns the rules of a's members silenced at
// now; the caller holds silenceMu.
func (d *Dispatcher) silencedMembersLocked(a alert.Alert, now time.Time) []string {
	var out []string
	for _, m := range members(a) {
		if d.silencedLocked(m.Rule, now) {
			out = append(out, m.Rule)
		}
	}
	return out
}

// unsilenced returns a less its members silenced at now, saying so in
// it, and false when they all are.
func (d *Dispatcher) unsilenced(a alert.Alert, now time.Time) (alert.Alert, bool) {
	d.silenceMu.Lock()
	silenced := d.silencedMembersLocked(a, now)
	d.silenceMu.Unlock()
	switch {
	case len(silenced) == 0:
		return a, true
	case len(silenced) == len(members(a)):
		return alert.Alert{}, false
	}
	v, _ := narrow(a, func(m alert.Alert) bool { return !slices.Contains(silenced, m.Rule) })
	for _, r := range a.Incident.Silenced {
		if !slices.Contains(silenced, r) {
			silenced = append(silenced, r)
		}
	}
	v.Incident.Silenced = silenced // narrow's copy
	return v, true
}

// silencedWhole reports whether every rule of a is silenced now.
func (d *Dispatcher) silencedWhole(a alert.Alert) bool {
	_, ok := d.unsilenced(a, d.opts.Now())
	return !ok
}

// silencedInQueue deals with it, taken off q's queue (or to be, once its
// delivery ends) because a silence set after it was queued covers all its
// rules. A resolution waits in q.held for the silence to end; a firing is
// dropped, and if it was to tell the route of its incident, the
// incident's next notification after q.items[from:] does. The caller
// holds q.mu.
func (d *Dispatcher) silencedInQueue(q *queue, it item, from int) {
	d.opts.Outcome(q.route.Load().Name, delivery.Silenced)
	key := incidentKey(it.a)
	switch {
	case key == "":
	case it.a.State == alert.Resolved:
		q.held = append(q.held, it)
	case it.first:
		d.passFirst(q, key, from)
	}
}

// passFirst makes the next notification of incident key in
// q.items[from:] the route's first of it, which pages; a resolution there
// is dropped instead (the route never heard of the incident), and with
// none, the incident is forgotten as told, so that its next notification
// is the first. The caller holds q.mu.
func (d *Dispatcher) passFirst(q *queue, key string, from int) {
	for i := from; i < len(q.items); i++ {
		if incidentKey(q.items[i].a) != key {
			continue
		}
		if q.items[i].a.State == alert.Firing {
			q.items[i] = item{a: pageRoute(q.items[i].a), first: true}
		} else {
			q.items = slices.Delete(q.items, i, i+1)
		}
		return
	}
	delete(q.told, key)
}

// pageRoute returns a, a later notification of its incident that is a
// route's first of it, with a copy of its incident that pages.
func pageRoute(a alert.Alert) alert.Alert {
	inc := *a.Incident
	inc.Quiet, inc.Page = false, true
	a.Incident = &inc
	return a
}

// incidentKey is a's incident's key, "" for a lone alert.
func incidentKey(a alert.Alert) string {
	if a.Incident == nil {
		return ""
	}
	return a.Incident.Key
}

// drained reports whether q holds nothing more to deliver.
func (d *Dispatcher) drained(q *queue) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) == 0
}

// done removes the head of the queue after its delivery.
func (d *Dispatcher) done(q *queue) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) > 0 {
		q.items = q.items[1:]
	}
	q.inFlight = false
	q.sent++
}

// held1 notes that a transition was held back at now, for the digest's
// Since; the caller holds q.mu.
func (q *queue) held1(now time.Time) {
	if q.heldSince.IsZero() {
		q.heldSince = now
	}
}

// DigestRule is the rule name of the digest of what the cap held back: no
// rule's measure, so its notification gives its count alone.
const DigestRule = "sentinel-digest"

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
		parts = append(parts, fmt.Sprintf("%d dropped from a full queue (replaced by a newer state of their rule, or the oldest waiting)", q.dropped))
	}
	since := q.heldSince.UTC()
	q.capped, q.dropped, q.heldSince = map[string]int{}, 0, time.Time{}
	now := d.opts.Now().UTC()
	if since.IsZero() || since.After(now) {
		since = now
	}
	return alert.Alert{Rule: DigestRule, Title: "Notifications", State: alert.Firing, Time: now, Since: since, Severity: alert.Warning, Value: float64(total), Unit: " held back", Keys: []alert.KeyCount{},
		Site: d.opts.Site, Labels: d.opts.Labels,
		Description: fmt.Sprintf("%d more notifications in the last minute were held back by the cap of %d a minute: %s",
			total, d.opts.MaxPerMinute, strings.Join(parts, ", "))}, true
}

// deliver sends one transition, retrying until it is delivered, fails
// permanently, or ctx ends; it reports false only when ctx ended. A
// queued one (the head of q's queue, not the digest) is not tried again
// once a silence covers all its rules.
func (d *Dispatcher) deliver(ctx context.Context, q *queue, a alert.Alert, queued bool) bool {
	r := q.route.Load()
	defer q.setRetry(retryState{})
	if d.opts.Links != nil {
		a.Links = d.opts.Links(r.Name, a)
	}
	err := delivery.Retry(ctx, delivery.Policy{
		MinBackoff: d.opts.MinBackoff, MaxBackoff: d.opts.MaxBackoff,
		Retrying: func(f delivery.Failure) {
			d.opts.Outcome(r.Name, delivery.Retrying)
			q.setRetry(retryState{attempts: f.Attempt, at: d.opts.Now().Add(f.Wait), requested: f.Requested, err: f.Err.Error()})
			d.log.Warn("notification failed, retrying", "notifier", r.Name, "rule", a.Rule, "attempt", f.Attempt,
				"wait", f.Wait, "requested", f.Requested, "err", f.Err)
		},
	}, func(attempt int) error {
		if queued && attempt > 1 && d.silencedWhole(a) {
			return delivery.Permanent(errSilenced)
		}
		return r.Notifier.Notify(ctx, a)
	})
	switch {
	case errors.Is(err, errSilenced):
		// Silenced whole while it waited for a retry: dropped (or, a
		// resolution, held) as if silenced before it was sent.
		q.mu.Lock()
		d.silencedInQueue(q, q.items[0], 1)
		q.mu.Unlock()
		d.log.Info("notification held back: its rules were silenced while it waited for a retry", "notifier", r.Name, "rule", a.Rule)
	case err == nil:
		d.opts.Outcome(r.Name, delivery.OK)
		if d.opts.Delivered != nil {
			d.opts.Delivered(r.Name, a)
		}
		q.mu.Lock()
		q.failed = retryState{}
		q.mu.Unlock()
	case ctx.Err() != nil:
		return false
	default:
		d.opts.Outcome(r.Name, delivery.Failed)
		q.mu.Lock()
		q.failed = retryState{at: d.opts.Now(), err: err.Error()}
		q.mu.Unlock()
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
	// FailedAt and Failure are the last delivery that failed for good (a
	// 4xx, a bad token, an SMTP server without STARTTLS): not retried,
	// so shown here until one succeeds.
	FailedAt time.Time `json:"failed_at,omitzero"`
	Failure  string    `json:"failure,omitempty"`
}

// Status returns each route's queue and the retry it waits for, in the
// routes' order.
func (d *Dispatcher) Status() []RouteStatus {
	queues := d.routeQueues()
	out := make([]RouteStatus, 0, len(queues))
	for _, q := range queues {
		q.mu.Lock()
		out = append(out, RouteStatus{Name: q.route.Load().Name, Queued: len(q.items), Attempts: q.retry.attempts, RetryAt: q.retry.at,
			RequestedWaitSeconds: q.retry.requested.Seconds(), LastError: q.retry.err, FailedAt: q.failed.at, Failure: q.failed.err})
		q.mu.Unlock()
	}
	return out
}

// ErrCannotAnnounce is returned by [Dispatcher.Announce] for a route whose
// notifier cannot post a message of its own (a webhook), or that does not
// exist.
var ErrCannotAnnounce = errors.New("this notifier cannot post an announcement")

// announceAttempts bounds the tries of one announcement: it is a courtesy
// to the channel, not an alert, and must not hold anything up.
const announceAttempts = 3

// Announce posts an to the route named route, when its notifier is an
// [Announcer], retrying a failure a retry can mend up to three times; it
// returns [ErrCannotAnnounce] for another notifier or an unknown route.
// It is safe for concurrent use and blocks until it is done or ctx ends.
func (d *Dispatcher) Announce(ctx context.Context, route string, an Announcement) error {
	for _, q := range d.routeQueues() {
		r := q.route.Load()
		if r.Name != route {
			continue
		}
		ar, ok := r.Notifier.(Announcer)
		if !ok {
			return ErrCannotAnnounce
		}
		return delivery.Retry(ctx, delivery.Policy{Attempts: announceAttempts, MinBackoff: d.opts.MinBackoff, MaxBackoff: d.opts.MaxBackoff},
			func(int) error { return ar.Announce(ctx, an) })
	}
	return ErrCannotAnnounce
}
