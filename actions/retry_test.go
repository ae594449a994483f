package actions

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// tooMany answers 429 with a Retry-After of a day first, then 200; in
// memory, so it runs in a synctest bubble.
type tooMany struct {
	mu sync.Mutex
	at []time.Time
}

func (s *tooMany) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, time.Now())
	resp := &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("ok")), Request: r}
	if len(s.at) == 1 {
		resp.StatusCode = 429
		resp.Header.Set("Retry-After", "86400")
	}
	return resp, nil
}

// TestManager_serverWait: an apply answered 429 with a Retry-After of a
// day is made again after 15 minutes, and meanwhile the status says when
// and what the receiver asked for.
func TestManager_serverWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := &tooMany{}
		do, err := NewWebhook(WebhookOptions{Method: "PATCH", URL: "https://flags.example/api/flags/signups", Body: `{"enabled": false}`,
			HTTPClient: &http.Client{Transport: rt}})
		if err != nil {
			t.Fatal(err)
		}
		m := NewManager(Options{Actions: []*Action{{Name: "signups-off", Rules: []string{"signup-burst"}, Do: do, Retries: 3, RevertAfter: time.Minute}}})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = m.Run(ctx) }()
		defer func() { cancel(); <-done }()

		start := time.Now()
		m.Handle(fire("signup-burst", t0))
		synctest.Wait()
		es := m.Status().Episodes
		if len(es) != 1 || es[0].Status != StatusApplying || !es[0].RetryAt.Equal(start.Add(delivery.MaxServerWait)) || es[0].RequestedWaitSeconds != 900 {
			t.Fatalf("episodes = %+v, want the apply waiting 15m, as the receiver asked (capped)", es)
		}
		time.Sleep(delivery.MaxServerWait)
		synctest.Wait()
		es = m.Status().Episodes
		if len(rt.at) != 2 || rt.at[1].Sub(rt.at[0]) != delivery.MaxServerWait || es[0].Status != StatusOn || !es[0].RetryAt.IsZero() {
			t.Errorf("requests at %v, episodes %+v; want the apply made again after 15m, and on", rt.at, es)
		}
	})
}
