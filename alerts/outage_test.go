package alerts

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// TestDispatcher_webhookOutage runs the whole delivery path against real
// receivers on loopback: one answers 503 three times, then 429 with
// Retry-After: 1, then 200 — the alert arrives exactly once, and not
// before the second the 429 asked for; another answers 401 — it is asked
// once, never again, and the failure is reported.
func TestDispatcher_webhookOutage(t *testing.T) {
	var mu sync.Mutex
	var flaky []time.Time // when each request reached the flaky receiver
	var bodies []string   // what it accepted
	flakySrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		flaky = append(flaky, time.Now())
		switch n := len(flaky); {
		case n <= 3:
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		case n == 4:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		default:
			bodies = append(bodies, string(body))
		}
	}))
	defer flakySrv.Close()
	var denied int
	deniedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		denied++
		mu.Unlock()
		http.Error(w, "bad token", http.StatusUnauthorized)
	}))
	defer deniedSrv.Close()

	flakyHook, err := NewWebhook(WebhookOptions{URL: flakySrv.URL, Secret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	deniedHook, err := NewWebhook(WebhookOptions{URL: deniedSrv.URL})
	if err != nil {
		t.Fatal(err)
	}
	var mo sync.Mutex
	results := map[string][]delivery.Outcome{}
	d := NewDispatcher(DispatcherOptions{
		Routes:     []Route{{Name: "flaky", Notifier: flakyHook}, {Name: "denied", Notifier: deniedHook}},
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		Outcome: func(route string, outcome delivery.Outcome) {
			mo.Lock()
			defer mo.Unlock()
			results[route] = append(results[route], outcome)
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	d.Submit(firingAlert("signup-burst"))

	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		got := len(bodies)
		mu.Unlock()
		if got == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // room for a wrong second delivery or retry
	cancel()
	<-done

	mu.Lock()
	defer mu.Unlock()
	mo.Lock()
	defer mo.Unlock()
	if len(bodies) != 1 || len(flaky) != 5 {
		t.Fatalf("flaky receiver: %d requests, %d accepted; want 5 requests and the alert once", len(flaky), len(bodies))
	}
	if wait := flaky[4].Sub(flaky[3]); wait < time.Second {
		t.Errorf("retry %v after the 429, want at least its Retry-After of 1s", wait)
	}
	if got := results["flaky"]; len(got) != 5 || got[4] != "ok" {
		t.Errorf("flaky outcomes = %v, want 4 retries then ok", got)
	}
	if denied != 1 {
		t.Errorf("401 receiver asked %d times, want once", denied)
	}
	if got := results["denied"]; len(got) != 1 || got[0] != "failed" {
		t.Errorf("denied outcomes = %v, want one failed", got)
	}
	if len(d.Pending()) != 0 {
		t.Errorf("Pending() = %v, want nothing left", d.Pending())
	}
}
