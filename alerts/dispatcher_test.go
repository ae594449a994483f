package alerts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// calls records a notifier's calls.
type calls struct {
	mu    sync.Mutex
	at    []time.Time
	rules []string
}

func (c *calls) add(a alert.Alert) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = append(c.at, time.Now())
	c.rules = append(c.rules, a.Rule)
	return len(c.at)
}

func (c *calls) n() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.at)
}

// outcomes counts a dispatcher's outcomes.
type outcomes struct {
	mu sync.Mutex
	m  map[delivery.Outcome]int
}

func (o *outcomes) add(_ string, outcome delivery.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[delivery.Outcome]int{}
	}
	o.m[outcome]++
}

func (o *outcomes) get(k delivery.Outcome) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.m[k]
}

func firingAlert(rule string) alert.Alert {
	return alert.Alert{Rule: rule, State: alert.Firing, Severity: alert.Critical, Time: time.Now(), Keys: []alert.KeyCount{}}
}

// run starts the dispatcher in the bubble and returns its stop.
func run(d *Dispatcher) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func TestDispatcher_retriesUntilDelivered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c calls
		var o outcomes
		n := NotifierFunc(func(ctx context.Context, a alert.Alert) error {
			if c.add(a) <= 3 {
				return errors.New("503 Service Unavailable")
			}
			return nil
		})
		d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "hook", Notifier: n}}, Outcome: o.add})
		stop := run(d)
		start := time.Now()
		d.Submit(firingAlert("signup-burst"))
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()
		if c.n() != 4 || o.get("ok") != 1 || o.get("retrying") != 3 {
			t.Fatalf("%d calls, outcomes %v; want 3 retries then one delivery", c.n(), o.m)
		}
		// Backoff doubles: waits of 0.5–1 s, 1–2 s, 2–4 s.
		if d := c.at[3].Sub(start); d < 3500*time.Millisecond || d > 7*time.Second {
			t.Errorf("delivered %v after the first try, want the backoffs' sum", d)
		}
		if len(d.Pending()) != 0 {
			t.Errorf("Pending() = %v after delivery", d.Pending())
		}
	})
}

// TestDispatcher_delivered: Delivered hears of each notification once it
// is delivered, after its retries, per route; never of one that failed
// for good.
func TestDispatcher_delivered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c calls
		flaky := NotifierFunc(func(ctx context.Context, a alert.Alert) error {
			if c.add(a) == 1 {
				return errors.New("503 Service Unavailable")
			}
			return nil
		})
		refused := NotifierFunc(func(ctx context.Context, a alert.Alert) error {
			return delivery.Permanent(errors.New("401 invalid_auth"))
		})
		var mu sync.Mutex
		var got []string
		d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "hook", Notifier: flaky}, {Name: "slack", Notifier: refused}},
			Delivered: func(route string, a alert.Alert) {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, fmt.Sprintf("%s %s at %d calls", route, a.Rule, c.n()))
			}})
		stop := run(d)
		d.Submit(firingAlert("signup-burst"))
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()
		if want := []string{"hook signup-burst at 2 calls"}; !slices.Equal(got, want) {
			t.Errorf("Delivered calls = %q, want %q", got, want)
		}
	})
}

func TestDispatcher_retryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c calls
		n := NotifierFunc(func(ctx context.Context, a alert.Alert) error {
			if c.add(a) == 1 {
				return &delivery.RetryAfterError{After: 30 * time.Second, Err: errors.New("429 Too Many Requests")}
			}
			return nil
		})
		d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "slack", Notifier: n}}})
		stop := run(d)
		d.Submit(firingAlert("signup-burst"))
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()
		if c.n() != 2 || c.at[1].Sub(c.at[0]) < 30*time.Second {
			t.Errorf("calls at %v, want a second one 30 s after the first", c.at)
		}
	})
}

func TestDispatcher_permanentNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c calls
		var o outcomes
		n := NotifierFunc(func(ctx context.Context, a alert.Alert) error {
			c.add(a)
			return delivery.Permanent(errors.New("401 invalid_auth"))
		})
		d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "slack", Notifier: n}}, Outcome: o.add})
		stop := run(d)
		d.Submit(firingAlert("signup-burst"))
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		stop()
		if c.n() != 1 || o.get("failed") != 1 {
			t.Errorf("%d calls, outcomes %v; want one call reported failed", c.n(), o.m)
		}
	})
}

func TestDispatcher_capAndDigest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c calls
		var mu sync.Mutex
		var digests []string
		var resolved []string
		n := NotifierFunc(func(ctx context.Context, a alert.Alert) error {
			c.add(a)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case a.Rule == "sentinel-digest":
				digests = append(digests, a.Description)
			case a.State == alert.Resolved:
				resolved = append(resolved, a.Rule)
			}
			return nil
		})
		var o outcomes
		d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "phone", Notifier: n}}, MaxPerMinute: 20, Outcome: o.add,
			Silences: map[string]time.Time{"rule-9": time.Now().Add(time.Hour)}})
		stop := run(d)
		for i := range 10_000 {
			d.Submit(firingAlert(fmt.Sprintf("rule-%d", i%10)))
		}
		time.Sleep(61 * time.Second)
		synctest.Wait()
		firstMinute := c.n()
		// The burst is over: every rule resolves, and the owner hears it.
		for i := range 10 {
			a := firingAlert(fmt.Sprintf("rule-%d", i))
			a.State = alert.Resolved
			d.Submit(a)
		}
		synctest.Wait()
		stop()
		if firstMinute > 21 {
			t.Errorf("%d notifications in the first minute, want at most 20 and a digest", firstMinute)
		}
		if len(digests) != 1 || !strings.Contains(digests[0], "held back by the cap of 20 a minute") {
			t.Fatalf("digests = %q", digests)
		}
		var total int
		fmt.Sscanf(digests[0], "%d more", &total)
		// rule-9 is silenced: its 1,000 firings and its resolution are
		// neither sent nor counted in the digest.
		if total+firstMinute-1 != 9_000 || o.get("silenced") != 1_001 {
			t.Errorf("digest counts %d and %d were sent, %d silenced: want 9,000 accounted for and 1,001 silenced",
				total, firstMinute-1, o.get("silenced"))
		}
		mu.Lock()
		defer mu.Unlock()
		slices.Sort(resolved)
		if fmt.Sprint(resolved) != "[rule-0 rule-1 rule-2 rule-3 rule-4 rule-5 rule-6 rule-7 rule-8]" {
			t.Errorf("resolved notifications = %v, want every rule's but the silenced one", resolved)
		}
	})
}

func TestDispatcher_routesAndSlowNotifier(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var crit, all calls
		block := make(chan struct{})
		slow := NotifierFunc(func(ctx context.Context, a alert.Alert) error {
			all.add(a)
			select {
			case <-block:
			case <-ctx.Done():
			}
			return nil
		})
		fast := NotifierFunc(func(ctx context.Context, a alert.Alert) error { crit.add(a); return nil })
		d := NewDispatcher(DispatcherOptions{Routes: []Route{
			{Name: "pager", Notifier: fast, MinSeverity: alert.Critical},
			{Name: "slow", Notifier: slow},
		}})
		stop := run(d)
		warn := firingAlert("client-flood")
		warn.Severity = alert.Warning
		d.Submit(warn)                        // the slow route only
		d.Submit(firingAlert("signup-burst")) // both; the slow one is stuck on the first
		synctest.Wait()
		if crit.n() != 1 || crit.rules[0] != "signup-burst" {
			t.Errorf("pager got %v, want only the critical alert, undelayed by the slow route", crit.rules)
		}
		if got := len(d.Pending()); got != 2 {
			t.Errorf("Pending() holds %d, want the slow route's two", got)
		}
		close(block)
		synctest.Wait()
		stop()
		if all.n() != 2 {
			t.Errorf("slow route got %d, want 2 once unblocked", all.n())
		}
	})
}

func TestDispatcher_silences(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c calls
		var o outcomes
		n := NotifierFunc(func(ctx context.Context, a alert.Alert) error { c.add(a); return nil })
		d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "phone", Notifier: n}}, Outcome: o.add,
			Silences: map[string]time.Time{"client-flood": time.Now().Add(time.Hour)}})
		stop := run(d)
		d.Submit(firingAlert("client-flood"))
		d.Submit(firingAlert("signup-burst"))
		synctest.Wait()
		time.Sleep(2 * time.Hour) // the silence ends
		d.Submit(firingAlert("client-flood"))
		synctest.Wait()
		stop()
		if fmt.Sprint(c.rules) != "[signup-burst client-flood]" || o.get("silenced") != 1 {
			t.Errorf("delivered %v, outcomes %v; want the silenced rule held back for an hour only", c.rules, o.m)
		}
	})
}

func TestDispatcher_silenceAtRuntime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var c calls
		n := NotifierFunc(func(ctx context.Context, a alert.Alert) error { c.add(a); return nil })
		d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "phone", Notifier: n}}})
		stop := run(d)
		d.Silence("client-flood", time.Now().Add(time.Hour))
		if s := d.Silences(); len(s) != 1 {
			t.Errorf("Silences() = %v, want client-flood", s)
		}
		d.Submit(firingAlert("client-flood")) // held back
		synctest.Wait()
		d.Silence("client-flood", time.Time{}) // lifted early
		d.Submit(firingAlert("client-flood"))
		synctest.Wait()
		stop()
		if fmt.Sprint(c.rules) != "[client-flood]" || len(d.Silences()) != 0 {
			t.Errorf("delivered %v, silences %v; want one delivery, after the lift", c.rules, d.Silences())
		}
	})
}

// memReceiver is an HTTP receiver in memory (no network, so it runs in a
// synctest bubble): each request is recorded, then answered by the next
// of answers (200 once they run out).
type memReceiver struct {
	mu      sync.Mutex
	reqs    []*http.Request
	at      []time.Time
	answers []func(*http.Request) (*http.Response, error)
}

func (m *memReceiver) RoundTrip(r *http.Request) (*http.Response, error) {
	m.mu.Lock()
	m.reqs = append(m.reqs, r)
	m.at = append(m.at, time.Now())
	answer := func(*http.Request) (*http.Response, error) { return reply(200, nil), nil }
	if len(m.answers) > 0 {
		answer, m.answers = m.answers[0], m.answers[1:]
	}
	m.mu.Unlock()
	resp, err := answer(r)
	if resp != nil {
		resp.Request = r
	}
	return resp, err
}

func (m *memReceiver) requests() ([]*http.Request, []time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*http.Request(nil), m.reqs...), append([]time.Time(nil), m.at...)
}

func reply(code int, h http.Header) *http.Response {
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{StatusCode: code, Header: h, Body: io.NopCloser(strings.NewReader(""))}
}

// TestDispatcher_serverWaitCapped: a receiver asking to wait until the
// year 9999 (Retry-After as an HTTP date) gets the delivery again after
// 15 minutes, not 292 years; meanwhile Status shows the wait it asked
// for and when the retry comes.
func TestDispatcher_serverWaitCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := &memReceiver{answers: []func(*http.Request) (*http.Response, error){
			func(*http.Request) (*http.Response, error) {
				return reply(429, http.Header{"Retry-After": {"Fri, 31 Dec 9999 23:59:59 GMT"}}), nil
			},
		}}
		hook, err := NewWebhook(WebhookOptions{URL: "https://hooks.example/sentinel", HTTPClient: &http.Client{Transport: rc}})
		if err != nil {
			t.Fatal(err)
		}
		var o outcomes
		d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "hook", Notifier: hook}}, Outcome: o.add})
		stop := run(d)
		defer stop()
		start := time.Now()
		d.Submit(firingAlert("signup-burst"))
		synctest.Wait()

		st := d.Status()
		want := RouteStatus{Name: "hook", Queued: 1, Attempts: 1, RetryAt: start.Add(delivery.MaxServerWait), RequestedWaitSeconds: 900}
		if len(st) != 1 || !strings.Contains(st[0].LastError, "HTTP 429") {
			t.Fatalf("Status() = %+v, want the 429 as the last error", st)
		}
		st[0].LastError = ""
		if st[0] != want {
			t.Errorf("Status() = %+v, want %+v", st[0], want)
		}

		time.Sleep(delivery.MaxServerWait)
		synctest.Wait()
		reqs, at := rc.requests()
		if len(reqs) != 2 || at[1].Sub(at[0]) != delivery.MaxServerWait {
			t.Fatalf("requests at %v, want a second one %v after the first", at, delivery.MaxServerWait)
		}
		if st := d.Status(); st[0] != (RouteStatus{Name: "hook"}) {
			t.Errorf("Status() after delivery = %+v, want an idle route", st[0])
		}
		if o.get(delivery.Retrying) != 1 || o.get(delivery.OK) != 1 {
			t.Errorf("outcomes %v, want one retrying, one ok", o.m)
		}
	})
}

// TestWebhook_idempotencyKey: a receiver too slow for the timeout does
// the work anyway, and the delivery is tried again; every attempt carries
// the same Idempotency-Key, so the receiver can drop the repeats, while
// another transition, or a reminder, has its own.
func TestWebhook_idempotencyKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done() // the receiver got it, but answers too late
			return nil, r.Context().Err()
		}
		rc := &memReceiver{answers: []func(*http.Request) (*http.Response, error){slow, slow}}
		hook, err := NewWebhook(WebhookOptions{URL: "https://hooks.example/sentinel", Secret: "s3cret", Timeout: 10 * time.Second,
			HTTPClient: &http.Client{Transport: rc}})
		if err != nil {
			t.Fatal(err)
		}
		d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "hook", Notifier: hook}}})
		stop := run(d)
		defer stop()
		a := firingAlert("signup-burst")
		d.Submit(a)
		time.Sleep(time.Minute)
		synctest.Wait()
		r := a
		r.State, r.Time = alert.Resolved, a.Time.Add(time.Minute)
		d.Submit(r)
		reminder := a
		reminder.Reminder, reminder.Time = 1, a.Time.Add(time.Hour)
		d.Submit(reminder)
		synctest.Wait()

		reqs, _ := rc.requests()
		if len(reqs) != 5 {
			t.Fatalf("%d requests, want 3 attempts of the firing, then the resolved and the reminder", len(reqs))
		}
		var keys []string
		for _, req := range reqs {
			keys = append(keys, req.Header.Get(delivery.IdempotencyHeader))
		}
		first := DeliveryKey(a)
		if keys[0] != first || keys[1] != first || keys[2] != first {
			t.Errorf("keys of the retries = %q, want %q on each", keys[:3], first)
		}
		if keys[3] == first || keys[4] == first || keys[3] == keys[4] || keys[3] == "" || keys[4] == "" {
			t.Errorf("keys = %q: the resolved and the reminder want keys of their own", keys)
		}
		if want := "signup-burst:firing:" + strconv.FormatInt(a.Time.Unix(), 10); first != want {
			t.Errorf("DeliveryKey() = %q, want %q", first, want)
		}
	})
}

// record is a notifier that records what it got, as describe says it.
type record struct {
	mu  sync.Mutex
	got []string
	all []alert.Alert
}

func (r *record) Notify(_ context.Context, a alert.Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a.Incident != nil {
		s := describe(a)
		if len(a.Incident.Silenced) > 0 {
			s += fmt.Sprintf(" silenced%v", a.Incident.Silenced)
		}
		r.got = append(r.got, s)
	} else {
		r.got = append(r.got, a.Rule+" "+string(a.State))
	}
	r.all = append(r.all, a)
	return nil
}

func (r *record) notes() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// floodNotes are the founding flood's incident notifications: its first
// (signup-burst and signup-spread critical, traffic-spike warning), and
// its resolution.
func floodNotes() (first, res alert.Alert) {
	g := NewGrouper(GroupOptions{Overlap: overlaps([2]string{"signup-burst", "signup-spread"}, [2]string{"signup-burst", "traffic-spike"})})
	g.Add(tr("signup-burst", alert.Firing, alert.Critical, 0))
	g.Add(tr("signup-spread", alert.Firing, alert.Critical, 9))
	g.Add(tr("traffic-spike", alert.Firing, alert.Warning, 9))
	first = g.Due(t0.Add(10*time.Second), nil)[0]
	for _, r := range []alert.Alert{tr("signup-burst", alert.Resolved, alert.Critical, 70), tr("signup-spread", alert.Resolved, alert.Critical, 100),
		tr("traffic-spike", alert.Resolved, alert.Warning, 100)} {
		g.Add(r)
	}
	res = g.Due(t0.Add(110*time.Second), nil)[0]
	return first, res
}

// TestDispatcher_incidentRoutes: each route gets the rules of an incident
// it wants; a route that wants none of the first notification's rules
// hears neither of it nor of its resolution.
func TestDispatcher_incidentRoutes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var all, pager, spikes, logins record
		d := NewDispatcher(DispatcherOptions{Routes: []Route{
			{Name: "all", Notifier: &all},
			{Name: "pager", Notifier: &pager, MinSeverity: alert.Critical},
			{Name: "spikes", Notifier: &spikes, Rules: []string{"traffic-spike"}},
			{Name: "logins", Notifier: &logins, Rules: []string{"login-failure-burst"}},
		}})
		stop := run(d)
		first, res := floodNotes()
		d.Submit(first)
		d.Submit(res)
		synctest.Wait()
		stop()
		check(t, all.notes(), "firing u0 [signup-burst signup-spread traffic-spike]", "resolved u1 [signup-burst signup-spread traffic-spike] quiet")
		check(t, pager.notes(), "firing u0 [signup-burst signup-spread]", "resolved u1 [signup-burst signup-spread] quiet")
		check(t, spikes.notes(), "firing u0 [traffic-spike]", "resolved u1 [traffic-spike] quiet")
		check(t, logins.notes())
		if h := Headline(spikes.all[0], alert.Sanitize); !strings.HasPrefix(h, "traffic-spike at") {
			t.Errorf("spikes headline = %q, want its own rule as the lead", h)
		}
	})
}

// TestDispatcher_raisedPagesPager: a warning raised to critical while it
// fires is the critical-only route's first notification of its incident,
// and pages there; the route that had the warning gets an update that
// pages too; both get the resolution.
func TestDispatcher_raisedPagesPager(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var all, pager record
		d := NewDispatcher(DispatcherOptions{Routes: []Route{
			{Name: "all", Notifier: &all},
			{Name: "pager", Notifier: &pager, MinSeverity: alert.Critical},
		}})
		stop := run(d)
		g := NewGrouper(GroupOptions{Interval: time.Minute})
		g.Add(tr("login-failure-burst", alert.Firing, alert.Warning, 0))
		d.Submit(g.Due(t0.Add(10*time.Second), nil)[0])
		raised := tr("login-failure-burst", alert.Firing, alert.Critical, 25)
		raised.Since, raised.Escalated, raised.Evidence = t0, true, []string{"236 of 290 from addresses that loaded no page first"}
		g.Add(raised)
		up := g.Due(t0.Add(70*time.Second), nil)
		g.Add(tr("login-failure-burst", alert.Resolved, alert.Critical, 300))
		res := g.Due(t0.Add(310*time.Second), nil)
		if len(up) != 1 || len(res) != 1 {
			t.Fatalf("grouper: update %v, resolution %v", up, res)
		}
		d.Submit(up[0])
		d.Submit(res[0])
		synctest.Wait()
		stop()
		check(t, all.notes(), "firing u0 [login-failure-burst]", "firing u1 [login-failure-burst] new[login-failure-burst]",
			"resolved u2 [login-failure-burst] quiet")
		check(t, pager.notes(), "firing u1 [login-failure-burst] new[login-failure-burst]", "resolved u2 [login-failure-burst] quiet")
		if n := pager.all[0]; n.Incident.Quiet || !pages(n) || !strings.HasPrefix(Headline(n, alert.Sanitize), "Now critical: ") {
			t.Errorf("pager's first: quiet %v, pages %v, headline %q; want a page saying it is critical now",
				n.Incident.Quiet, pages(n), Headline(n, alert.Sanitize))
		}
	})
}

// TestDispatcher_resolvedUnderSilence: a rule silenced while its incident
// fires is left out of the notifications, which say so; the resolution of
// an incident told before its rules were all silenced waits for the
// silence to end, then goes out: it is never lost.
func TestDispatcher_resolvedUnderSilence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r record
		var o outcomes
		d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "phone", Notifier: &r}}, Outcome: o.add,
			Silences: map[string]time.Time{"traffic-spike": time.Now().Add(time.Hour)}})
		stop := run(d)
		defer stop()
		first, res := floodNotes()
		d.Submit(first)
		synctest.Wait()
		d.Silence("signup-burst", time.Now().Add(2*time.Hour))
		d.Silence("signup-spread", time.Now().Add(2*time.Hour))
		d.Submit(res)
		synctest.Wait()
		check(t, r.notes(), "firing u0 [signup-burst signup-spread] silenced[traffic-spike]")
		if p := d.Pending(); len(p) != 1 || p[0].State != alert.Resolved {
			t.Errorf("Pending() = %v, want the held resolution (saved with the state)", p)
		}
		list := d.SilenceList()
		if len(list) != 3 || list[0].Rule != "signup-burst" || list[0].Source != "api" || list[2].Source != "config" {
			t.Errorf("SilenceList() = %+v", list)
		}
		time.Sleep(2*time.Hour + releaseEvery)
		synctest.Wait()
		check(t, r.notes(), "firing u0 [signup-burst signup-spread] silenced[traffic-spike]", "resolved u1 [signup-burst signup-spread traffic-spike] quiet")
		if o.get(delivery.Silenced) != 1 {
			t.Errorf("silenced outcomes = %d, want 1 (the held resolution)", o.get(delivery.Silenced))
		}
	})
}

// TestDispatcher_silencedIncident: an incident whose rules are all
// silenced from the start is never told, so its resolution is not held.
func TestDispatcher_silencedIncident(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r record
		until := time.Now().Add(time.Hour)
		d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "phone", Notifier: &r}},
			Silences: map[string]time.Time{"signup-burst": until, "signup-spread": until, "traffic-spike": until}})
		stop := run(d)
		defer stop()
		first, res := floodNotes()
		d.Submit(first)
		d.Submit(res)
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		check(t, r.notes())
		if p := d.Pending(); len(p) != 0 {
			t.Errorf("Pending() = %v, want nothing held", p)
		}
	})
}

// TestDispatcher_pendingWhole: a notification waiting in several queues,
// each route's part of it, is saved whole: after a restart every route
// gets its part again.
func TestDispatcher_pendingWhole(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stuck := NotifierFunc(func(ctx context.Context, a alert.Alert) error { <-ctx.Done(); return ctx.Err() })
		d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "pager", Notifier: stuck, MinSeverity: alert.Critical}, {Name: "all", Notifier: stuck}}})
		stop := run(d)
		first, _ := floodNotes()
		d.Submit(first)
		synctest.Wait()
		p := d.Pending()
		stop()
		if len(p) != 1 || len(p[0].Incident.Alerts) != 3 {
			t.Fatalf("Pending() = %d notifications, the first with %d rules; want the one notification, whole", len(p), len(p[0].Incident.Alerts))
		}
	})
}

// TestDispatcher_digest: what the cap held back goes out as a digest a
// minute later. It names the site too. docs/json.md gives every alert of
// the webhook's body a "since" (when the condition started holding): a
// digest's is when the cap first held a notification back, not the zero
// time ("0001-01-01T00:00:00Z"). It is no rule's measure: its message
// says how many were held back, without a threshold of 0 or a count of
// events ("4 held back ≥ 0 held back; 0 events" before).
func TestDispatcher_digest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r record
		d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "phone", Notifier: &r}}, MaxPerMinute: 1, Site: "web-1"})
		stop := run(d)
		start := time.Now()
		for i := range 5 {
			d.Submit(firingAlert(fmt.Sprintf("rule-%d", i)))
		}
		time.Sleep(61 * time.Second)
		synctest.Wait()
		stop()
		r.mu.Lock()
		defer r.mu.Unlock()
		last := r.all[len(r.all)-1]
		if last.Rule != "sentinel-digest" || !strings.HasPrefix(Headline(last, alert.Sanitize), "web-1: Notifications at 4 held back") {
			t.Fatalf("last notification %s: %q, want the digest", last.Rule, Headline(last, alert.Sanitize))
		}
		if !last.Since.Equal(start) || last.Since.After(last.Time) {
			t.Errorf("digest since %v, time %v: want since %v, when the cap held the first back", last.Since, last.Time, start)
		}
		if s := Summary(last, alert.Sanitize); !strings.Contains(s, ": 4 held back\n") || strings.Contains(s, "≥ 0") || strings.Contains(s, "0 events") {
			t.Errorf("digest says:\n%s\nwant its count held back alone", s)
		}
	})
}

// TestDispatcher_SetRoutes: a reload's routes. A route kept by name
// delivers its next notification with its new notifier; a new route gets
// the next; a removed one gets nothing new but delivers what it held
// (here, one waiting for a retry); the status lists the current routes.
func TestDispatcher_SetRoutes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var oldHook, newHook, added, gone calls
		goneFails := true
		d := NewDispatcher(DispatcherOptions{Routes: []Route{
			{Name: "hook", Notifier: NotifierFunc(func(_ context.Context, a alert.Alert) error { oldHook.add(a); return nil })},
			{Name: "gone", Notifier: NotifierFunc(func(_ context.Context, a alert.Alert) error {
				gone.add(a)
				if goneFails {
					goneFails = false
					return errors.New("503 Service Unavailable")
				}
				return nil
			})},
		}})
		stop := run(d)
		defer stop()
		d.Submit(firingAlert("first"))
		synctest.Wait()
		d.SetRoutes([]Route{
			{Name: "hook", Notifier: NotifierFunc(func(_ context.Context, a alert.Alert) error { newHook.add(a); return nil })},
			{Name: "added", Notifier: NotifierFunc(func(_ context.Context, a alert.Alert) error { added.add(a); return nil })},
		})
		d.Submit(firingAlert("second"))
		time.Sleep(time.Minute) // gone's retry
		synctest.Wait()
		for _, c := range []struct {
			name string
			c    *calls
			want []string
		}{
			{"hook before", &oldHook, []string{"first"}},
			{"hook after", &newHook, []string{"second"}},
			{"added", &added, []string{"second"}},
			{"gone", &gone, []string{"first", "first"}},
		} {
			if !slices.Equal(c.c.rules, c.want) {
				t.Errorf("%s got %q, want %q", c.name, c.c.rules, c.want)
			}
		}
		var names []string
		for _, s := range d.Status() {
			names = append(names, s.Name)
		}
		if want := []string{"hook", "added"}; !slices.Equal(names, want) {
			t.Errorf("status routes %q, want %q", names, want)
		}
		if p := d.Pending(); len(p) != 0 {
			t.Errorf("pending %+v, want none", p)
		}
	})
}

// TestDispatcher_fullQueue: past QueueSize a newer transition of a rule
// waiting in the queue replaces it (the latest state wins), and otherwise
// the oldest waiting one goes; either is counted as dropped (README,
// "Delivery").
func TestDispatcher_fullQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var o outcomes
		var mu sync.Mutex
		var got []string
		release := make(chan struct{})
		n := NotifierFunc(func(ctx context.Context, a alert.Alert) error {
			if a.Rule == "busy" {
				<-release // the sender is held on the first notification
			}
			mu.Lock()
			defer mu.Unlock()
			got = append(got, a.Rule+" "+string(a.State))
			return nil
		})
		d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "hook", Notifier: n}}, QueueSize: 2, Outcome: o.add})
		stop := run(d)
		d.Submit(firingAlert("busy"))
		synctest.Wait() // taken by the sender, which waits on release
		resolved := firingAlert("a")
		resolved.State = alert.Resolved
		d.Submit(firingAlert("a"))
		d.Submit(firingAlert("b")) // the queue is full: a firing, b firing
		d.Submit(resolved)         // replaces a's firing
		if o.get(delivery.Dropped) != 1 {
			t.Errorf("dropped %d, want a's firing replaced", o.get(delivery.Dropped))
		}
		d.Submit(firingAlert("c")) // no c waiting: the oldest, b, goes
		close(release)
		time.Sleep(time.Second)
		synctest.Wait()
		stop()
		want := []string{"busy firing", "a resolved", "c firing"}
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(got, want) || o.get(delivery.Dropped) != 2 {
			t.Errorf("delivered %q, dropped %d; want %q and 2", got, o.get(delivery.Dropped), want)
		}
	})
}

// TestDispatcher_resolvedAfterRestart: an incident told before a restart
// has its resolution delivered after it: the restored incidents are
// adopted as told (Grouper.Restore returns them for Dispatcher.Adopt).
func TestDispatcher_resolvedAfterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r record
		g := NewGrouper(GroupOptions{})
		g.Add(tr("a", alert.Firing, alert.Critical, 0))
		first := g.Due(t0.Add(10*time.Second), nil)
		d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "phone", Notifier: &r}}})
		stop := run(d)
		d.Submit(first[0])
		synctest.Wait()
		stop()
		saved := g.Open()

		// The restart: a new grouper and dispatcher from the saved state.
		g2 := NewGrouper(GroupOptions{})
		d2 := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "phone", Notifier: &r}}})
		for _, told := range g2.Restore(saved) {
			d2.Adopt(told)
		}
		stop2 := run(d2)
		defer stop2()
		g2.Add(tr("a", alert.Resolved, alert.Critical, 60))
		for _, n := range g2.Due(t0.Add(70*time.Second), nil) {
			d2.Submit(n)
		}
		synctest.Wait()
		check(t, r.notes(), "firing u0 [a]", "resolved u1 [a] quiet")
	})
}

// TestDispatcher_silenceEndsWhileFiring: an incident whose first
// notification was silenced, still firing when the silence ends, is told
// at its next notification (a reminder here), which pages; its rules
// come back once the silence is over. Before, the route dropped every
// later notification as one of an incident it never heard of.
func TestDispatcher_silenceEndsWhileFiring(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var r record
		g := NewGrouper(GroupOptions{RemindEvery: time.Hour})
		m := &meter{rules: []string{"a"}}
		g.Add(tr("a", alert.Firing, alert.Critical, 0))
		first := g.Due(t0.Add(10*time.Second), m.measure)
		d := NewDispatcher(DispatcherOptions{Routes: []Route{{Name: "phone", Notifier: &r}},
			Silences: map[string]time.Time{"a": time.Now().Add(30 * time.Minute)}})
		stop := run(d)
		defer stop()
		d.Submit(first[0]) // silenced
		time.Sleep(time.Hour)
		synctest.Wait()
		reminder := g.Due(t0.Add(time.Hour+10*time.Second), m.measure)
		if len(reminder) != 1 || reminder[0].Reminder != 1 {
			t.Fatalf("grouper: %v, want the reminder", reminder)
		}
		d.Submit(reminder[0]) // the silence ended half an hour ago
		synctest.Wait()
		check(t, r.notes(), "firing u1 [a] r1")
	})
}
