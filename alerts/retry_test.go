package alerts

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

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
