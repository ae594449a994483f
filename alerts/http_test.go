package alerts

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
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
	retryAfter time.Duration // -1: not a *RetryAfterError
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
	if got := IsPermanent(err); got != tc.permanent {
		tb.Errorf("IsPermanent(%v) = %v, want %v", err, got, tc.permanent)
	}
	ra, ok := errors.AsType[*RetryAfterError](err)
	switch {
	case tc.retryAfter < 0 && ok:
		tb.Errorf("Notify() = %v, a *RetryAfterError; want another error", err)
	case tc.retryAfter >= 0 && !ok:
		tb.Errorf("Notify() = %v (%T), want a *RetryAfterError", err, err)
	case ok && ra.After != tc.retryAfter:
		tb.Errorf("RetryAfterError.After = %v, want %v", ra.After, tc.retryAfter)
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

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 1, 20, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"-3", 0},
		{"soon", 0},
		{"Fri, 27 Nov 2026 01:20:30 GMT", 30 * time.Second},
		{"Fri, 27 Nov 2026 01:19:00 GMT", 0},
		{"99999999999", 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:pw@example.com/hook?key=s3cret#frag", "https://REDACTED@example.com/REDACTED"},
		{"https://example.com/hook", "https://example.com/REDACTED"},
		{"https://discord.com/api/webhooks/123/TOKEN", "https://discord.com/REDACTED"},
		{"smtp://me:pass@mail.example.com:587", "smtp://REDACTED@mail.example.com:587"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080"},
		{"https://hooks.example.com?token=abc", "https://hooks.example.com/REDACTED"},
		{"://bad", "REDACTED"},
		{"not a url", "REDACTED"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedact_keepsContextErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1:1/x?token=s3cretvalue", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = http.DefaultClient.Do(req)
	got := redact("post", err, urlSecrets(req.URL.String(), false)...)
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, DeadlineExceeded) = false, want true", got)
	}
	checkNoSecret(t, "error", got.Error(), "s3cretvalue")
}
