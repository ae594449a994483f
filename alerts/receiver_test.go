package alerts

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// received is one request a receiver got.
type received struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// receiver is a loopback HTTP server that records what it receives and
// answers with respond (200 "ok" when nil).
type receiver struct {
	*httptest.Server
	mu   sync.Mutex // guards reqs
	reqs []received
}

func newReceiver(tb testing.TB, respond http.HandlerFunc) *receiver {
	tb.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			tb.Errorf("read request body: %v", err)
		}
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, received{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		rc.mu.Unlock()
		if respond == nil {
			_, _ = io.WriteString(w, "ok")
			return
		}
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		respond(w, r)
	}))
	tb.Cleanup(rc.Close)
	return rc
}

// requests returns what the receiver got so far.
func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.reqs...)
}

// only returns the one request the receiver got.
func (rc *receiver) only(tb testing.TB) received {
	tb.Helper()
	reqs := rc.requests()
	if len(reqs) != 1 {
		tb.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// status answers with code, the given headers and body.
func status(code int, body string, kv ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(kv); i += 2 {
			w.Header().Set(kv[i], kv[i+1])
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

// errorCase is one row of a notifier's error mapping test.
type errorCase struct {
	name       string
	respond    http.HandlerFunc
	permanent  bool
	retryAfter time.Duration // -1: not a *delivery.RetryAfterError
}

// errorCases are the responses every HTTP notifier maps the same way.
var errorCases = []errorCase{
	{"503 retryable", status(503, "busy"), false, -1},
	{"500 retryable", status(500, "oops"), false, -1},
	{"429 seconds", status(429, "slow down", "Retry-After", "7"), false, 7 * time.Second},
	{"429 no header", status(429, "slow down"), false, 0},
	{"401 permanent", status(401, "invalid_auth"), true, -1},
	{"403 permanent", status(403, "forbidden"), true, -1},
	{"404 permanent", status(404, "channel_not_found"), true, -1},
}

// checkErrorCase checks err against tc.
func checkErrorCase(tb testing.TB, tc errorCase, err error) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("Notify() = nil, want an error")
	}
	if got := delivery.IsPermanent(err); got != tc.permanent {
		tb.Errorf("delivery.IsPermanent(%v) = %v, want %v", err, got, tc.permanent)
	}
	ra, ok := errors.AsType[*delivery.RetryAfterError](err)
	switch {
	case tc.retryAfter < 0 && ok:
		tb.Errorf("Notify() = %v, a *delivery.RetryAfterError; want another error", err)
	case tc.retryAfter >= 0 && !ok:
		tb.Errorf("Notify() = %v (%T), want a *delivery.RetryAfterError", err, err)
	case ok && ra.After != tc.retryAfter:
		tb.Errorf("delivery.RetryAfterError.After = %v, want %v", ra.After, tc.retryAfter)
	}
}

// checkNoSecret fails if s contains any of the secrets.
func checkNoSecret(tb testing.TB, what, s string, secrets ...string) {
	tb.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			tb.Errorf("%s %q contains the secret %q", what, s, sec)
		}
	}
}

// unreachableURL returns a loopback URL nothing listens on.
func unreachableURL(tb testing.TB) string {
	tb.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}
