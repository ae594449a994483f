package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
)

// start runs a Server on 127.0.0.1:0 (unless opts say otherwise) until the
// test ends, and returns its address.
func start(tb testing.TB, opts Options) (*Server, string) {
	tb.Helper()
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Status == nil {
		opts.Status = func() Status { return Status{Version: "test"} }
	}
	s, err := New(opts)
	if err != nil {
		tb.Fatalf("New() error = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr, err := s.Listen(ctx)
	if err != nil {
		cancel()
		tb.Fatalf("Listen() error = %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Run() = %v, want nil", err)
		}
	})
	return s, addr.String()
}

// get sends a request and returns the status code and body.
func get(tb testing.TB, method, url string, header http.Header) (int, string) {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), method, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

func TestNew_Addr(t *testing.T) {
	status := func() Status { return Status{} }
	tests := []struct {
		name    string
		addr    string
		token   string
		wantErr error // nil: accepted; errAny: some error
	}{
		{name: "default", addr: ""},
		{name: "ipv4 loopback", addr: "127.0.0.1:0"},
		{name: "ipv6 loopback", addr: "[::1]:0"},
		{name: "localhost", addr: "localhost:0"},
		{name: "all interfaces", addr: "0.0.0.0:9911", wantErr: ErrNoToken},
		{name: "empty host", addr: ":9911", wantErr: ErrNoToken},
		{name: "ipv6 any", addr: "[::]:9911", wantErr: ErrNoToken},
		{name: "host name", addr: "example.com:9911", wantErr: ErrNoToken},
		{name: "all interfaces with token", addr: "0.0.0.0:9911", token: "s3cret"},
		{name: "no port", addr: "127.0.0.1", wantErr: errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(Options{Addr: tt.addr, Token: tt.token, Status: status})
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("New(%q) error = %v, want nil", tt.addr, err)
			case tt.wantErr == errAny && err == nil:
				t.Errorf("New(%q) error = nil, want one", tt.addr)
			case tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
				t.Errorf("New(%q) error = %v, want %v", tt.addr, err, tt.wantErr)
			}
		})
	}
}

var errAny = errors.New("any error")

func TestNew_NoStatus(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("New() without Status error = nil, want one")
	}
}

func TestServer_Listen(t *testing.T) {
	for _, addr := range []string{"[::1]:0", "localhost:0"} {
		t.Run(addr, func(t *testing.T) {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				t.Skipf("no %s on this host: %v", addr, err) // e.g. IPv6 disabled
			}
			ln.Close()
			_, bound := start(t, Options{Addr: addr})
			code, body := get(t, http.MethodGet, "http://"+bound+"/healthz", nil)
			if code != http.StatusOK || body != "ok" {
				t.Errorf("GET /healthz = %d %q, want 200 \"ok\"", code, body)
			}
		})
	}
}

func TestServer_Addr(t *testing.T) {
	s, err := New(Options{Addr: "127.0.0.1:0", Status: func() Status { return Status{} }})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Addr(); got != "" {
		t.Errorf("Addr() before Listen = %q, want \"\"", got)
	}
	_, addr := start(t, Options{})
	if !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Errorf("bound address = %q, want 127.0.0.1:<port>", addr)
	}
}

func TestServer_Healthz(t *testing.T) {
	s, addr := start(t, Options{})
	if s.Addr() != addr {
		t.Errorf("Addr() = %q, want %q", s.Addr(), addr)
	}
	code, body := get(t, http.MethodGet, "http://"+addr+"/healthz", nil)
	if code != http.StatusOK || body != "ok" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\"", code, body)
	}
}

func TestServer_Status(t *testing.T) {
	since := time.Date(2026, 11, 20, 9, 12, 3, 0, time.UTC)
	want := Status{
		Version: "v0.2.0",
		Started: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC),
		Config:  "/etc/sentinel/sentinel.yaml",
		Sources: []SourceStatus{{Path: "/var/log/nginx/access.log", Format: "combined", Lines: 1204332, Parsed: 1204300, Skipped: 32, LagSeconds: 0.4, Offset: 987654321}},
		Rules: []RuleStatus{
			{Name: "signup-burst", Severity: "critical", State: "firing", Value: 240, Threshold: 5, Unit: "/s", Since: since,
				Keys: []alert.KeyCount{{Key: "203.0.113.7", Count: 812}}},
			{Name: "traffic-spike", Severity: "warning", State: "inactive", Value: 12, Threshold: 30, Unit: "/s", Baseline: 11.5, Spread: 3.2, Keys: []alert.KeyCount{}},
		},
	}
	_, addr := start(t, Options{Status: func() Status { return want }})
	code, body := get(t, http.MethodGet, "http://"+addr+"/status", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /status = %d %q, want 200", code, body)
	}
	var got Status
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /status (-want +got):\n%s", diff)
	}
	for _, field := range []string{`"lag_seconds":0.4`, `"offset":987654321`, `"since":"2026-11-20T09:12:03Z"`, `"keys":[]`} {
		if !strings.Contains(body, field) {
			t.Errorf("GET /status = %s, want it to contain %s", body, field)
		}
	}
	if strings.Count(body, `"since"`) != 1 {
		t.Errorf("GET /status = %s, want since only on the firing rule", body)
	}
}

// A baseline still learning has an infinite threshold, which JSON cannot
// carry; nil lists must still be lists.
func TestServer_StatusNonFinite(t *testing.T) {
	inf := func() Status {
		return Status{Rules: []RuleStatus{{Name: "spike", State: "inactive", Threshold: posInf}}}
	}
	_, addr := start(t, Options{Status: inf})
	code, body := get(t, http.MethodGet, "http://"+addr+"/status", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /status = %d %q, want 200", code, body)
	}
	for _, field := range []string{`"threshold":0`, `"keys":[]`, `"sources":[]`} {
		if !strings.Contains(body, field) {
			t.Errorf("GET /status = %s, want it to contain %s", body, field)
		}
	}
}

func TestServer_Metrics(t *testing.T) {
	m := NewMetrics()
	m.LinesRead("/var/log/access.log", 3)
	m.SetBuildInfo("v0.2.0")
	_, addr := start(t, Options{Metrics: m})
	code, body := get(t, http.MethodGet, "http://"+addr+"/metrics", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d, want 200", code)
	}
	for _, line := range []string{
		`sentinel_lines_read_total{source="/var/log/access.log"} 3`,
		`sentinel_build_info{goversion="go`,
		`sentinel_config_reloads_total{outcome="rejected"} 0`,
		`sentinel_events_late_total 0`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, line) {
			t.Errorf("GET /metrics has no %q", line)
		}
	}
}

func TestServer_Reload(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		var calls atomic.Int32
		_, addr := start(t, Options{Reload: func() error { calls.Add(1); return nil }})
		code, body := get(t, http.MethodPost, "http://"+addr+"/reload", nil)
		if code != http.StatusOK || strings.TrimSpace(body) != `{"ok":true}` {
			t.Errorf("POST /reload = %d %q, want 200 {\"ok\":true}", code, body)
		}
		if n := calls.Load(); n != 1 {
			t.Errorf("Reload called %d times, want 1", n)
		}
	})
	t.Run("rejected", func(t *testing.T) {
		bad := errors.Join(
			errors.New(`sentinel.yaml:12: rules[0].window: invalid duration "5x"`),
			errors.New(`sentinel.yaml:20: rules[1]: unknown key "treshold"`))
		_, addr := start(t, Options{Reload: func() error { return bad }})
		code, body := get(t, http.MethodPost, "http://"+addr+"/reload", nil)
		if code != http.StatusUnprocessableEntity {
			t.Errorf("POST /reload = %d, want 422", code)
		}
		var got reloadResponse
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("decode %q: %v", body, err)
		}
		if got.Error != bad.Error() {
			t.Errorf("POST /reload error = %q, want %q", got.Error, bad.Error())
		}
	})
	t.Run("disabled", func(t *testing.T) {
		_, addr := start(t, Options{})
		if code, _ := get(t, http.MethodPost, "http://"+addr+"/reload", nil); code != http.StatusNotFound {
			t.Errorf("POST /reload without Reload = %d, want 404", code)
		}
	})
	// A web page in the owner's browser must not reload the config.
	t.Run("cross origin", func(t *testing.T) {
		var calls atomic.Int32
		_, addr := start(t, Options{Reload: func() error { calls.Add(1); return nil }})
		code, _ := get(t, http.MethodPost, "http://"+addr+"/reload", http.Header{"Sec-Fetch-Site": {"cross-site"}})
		if n := calls.Load(); code != http.StatusForbidden || n != 0 {
			t.Errorf("cross-site POST /reload = %d with %d calls, want 403 and none", code, n)
		}
	})
}

func TestServer_Routing(t *testing.T) {
	_, addr := start(t, Options{Reload: func() error { return nil }})
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/healthz", http.StatusOK},
		{http.MethodHead, "/healthz", http.StatusOK},
		{http.MethodPost, "/healthz", http.StatusMethodNotAllowed},
		{http.MethodPost, "/status", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/metrics", http.StatusMethodNotAllowed},
		{http.MethodGet, "/reload", http.StatusMethodNotAllowed},
		{http.MethodGet, "/", http.StatusNotFound},
		{http.MethodGet, "/nope", http.StatusNotFound},
		{http.MethodGet, "/status/extra", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			if code, _ := get(t, tt.method, "http://"+addr+tt.path, nil); code != tt.want {
				t.Errorf("%s %s = %d, want %d", tt.method, tt.path, code, tt.want)
			}
		})
	}
}

func TestServer_Token(t *testing.T) {
	const token = "s3cret-t0ken"
	_, addr := start(t, Options{Token: token, Reload: func() error { return nil }})
	tests := []struct {
		name, method, path string
		header             http.Header
		want               int
	}{
		{"healthz open", http.MethodGet, "/healthz", nil, http.StatusOK},
		{"status without", http.MethodGet, "/status", nil, http.StatusUnauthorized},
		{"status wrong", http.MethodGet, "/status", bearer("wrong"), http.StatusUnauthorized},
		{"status prefix", http.MethodGet, "/status", bearer(token[:4]), http.StatusUnauthorized},
		{"status not bearer", http.MethodGet, "/status", http.Header{"Authorization": {"Basic " + token}}, http.StatusUnauthorized},
		{"status right", http.MethodGet, "/status", bearer(token), http.StatusOK},
		{"metrics without", http.MethodGet, "/metrics", nil, http.StatusUnauthorized},
		{"metrics right", http.MethodGet, "/metrics", bearer(token), http.StatusOK},
		{"reload without", http.MethodPost, "/reload", nil, http.StatusUnauthorized},
		{"reload wrong", http.MethodPost, "/reload", bearer("wrong"), http.StatusUnauthorized},
		{"reload right", http.MethodPost, "/reload", bearer(token), http.StatusOK},
		{"unknown path without", http.MethodGet, "/nope", nil, http.StatusUnauthorized},
		{"unknown path right", http.MethodGet, "/nope", bearer(token), http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(t, tt.method, "http://"+addr+tt.path, tt.header)
			if code != tt.want {
				t.Errorf("%s %s = %d, want %d", tt.method, tt.path, code, tt.want)
			}
			if strings.Contains(body, token) {
				t.Errorf("%s %s body %q contains the token", tt.method, tt.path, body)
			}
		})
	}
}

// Without a token the API trusts loopback, so a DNS name rebound to
// 127.0.0.1 by a web page must not read it.
func TestServer_ForeignHost(t *testing.T) {
	_, addr := start(t, Options{})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+addr+"/status", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "evil.example:9911"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET /status with Host evil.example = %d, want 403", resp.StatusCode)
	}
	if code, _ := get(t, http.MethodGet, "http://"+strings.Replace(addr, "127.0.0.1", "localhost", 1)+"/status", nil); code != http.StatusOK {
		t.Errorf("GET /status with Host localhost = %d, want 200", code)
	}
}

func TestServer_Run(t *testing.T) {
	t.Run("shutdown", func(t *testing.T) {
		s, err := New(Options{Addr: "127.0.0.1:0", Status: func() Status { return Status{} }})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		addr, err := s.Listen(ctx)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		if code, _ := get(t, http.MethodGet, "http://"+addr.String()+"/healthz", nil); code != http.StatusOK {
			t.Fatalf("GET /healthz = %d, want 200", code)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() after cancel = %v, want nil", err)
		}
		// The port is free again.
		ln, err := net.Listen("tcp", addr.String())
		if err != nil {
			t.Fatalf("listen on %s after shutdown: %v", addr, err)
		}
		ln.Close()
	})
	t.Run("without Listen", func(t *testing.T) {
		s, err := New(Options{Addr: "127.0.0.1:0", Status: func() Status { return Status{} }})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		// Listen after Run has started returns the address Run bound.
		addr, err := s.Listen(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if code, _ := get(t, http.MethodGet, "http://"+addr.String()+"/healthz", nil); code != http.StatusOK {
			t.Errorf("GET /healthz = %d, want 200", code)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() after cancel = %v, want nil", err)
		}
	})
	t.Run("port taken", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		s, err := New(Options{Addr: ln.Addr().String(), Status: func() Status { return Status{} }})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Run(t.Context()); err == nil {
			t.Error("Run() on a taken port = nil, want an error")
		}
	})
}

func TestServer_Silence(t *testing.T) {
	var mu sync.Mutex
	set := map[string]time.Time{}
	silence := func(rule string, until time.Time) error {
		if rule != "client-flood" {
			return fmt.Errorf("no rule is named %q", rule)
		}
		mu.Lock()
		defer mu.Unlock()
		set[rule] = until
		return nil
	}
	_, addr := start(t, Options{Silence: silence})

	until, err := RequestSilence(t.Context(), addr, "", "client-flood", 2*time.Hour)
	if err != nil {
		t.Fatalf("RequestSilence() error = %v", err)
	}
	if d := time.Until(until); d < 119*time.Minute || d > 2*time.Hour {
		t.Errorf("until = %v, want about 2h from now", until)
	}
	mu.Lock()
	got := set["client-flood"]
	mu.Unlock()
	if !got.Truncate(time.Second).Equal(until.Truncate(time.Second)) {
		t.Errorf("Silence got until %v, reply says %v", got, until)
	}

	// for=0 lifts it: the reply has no end.
	if until, err := RequestSilence(t.Context(), addr, "", "client-flood", 0); err != nil || !until.IsZero() {
		t.Errorf("lift: RequestSilence() = %v, %v; want zero, nil", until, err)
	}

	// An unknown rule is refused with the callback's words.
	_, err = RequestSilence(t.Context(), addr, "", "cleint-flood", time.Hour)
	var se *SilenceError
	if !errors.As(err, &se) || !strings.Contains(se.Text, `no rule is named "cleint-flood"`) {
		t.Errorf("unknown rule: error = %v, want a SilenceError naming it", err)
	}

	for _, q := range []string{"", "rule=a", "rule=a&for=soon", "rule=a&for=-1h", "rule=a&until=tomorrow", "rule=a&for=1h&until=2026-12-01T00:00:00Z"} {
		if code, body := get(t, http.MethodPost, "http://"+addr+"/silences?"+q, nil); code != http.StatusBadRequest {
			t.Errorf("POST /silences?%s = %d %s, want 400", q, code, body)
		}
	}

	_, off := start(t, Options{})
	if code, _ := get(t, http.MethodPost, "http://"+off+"/silences?rule=a&for=1h", nil); code != http.StatusNotFound {
		t.Errorf("POST /silences without Silence = %d, want 404", code)
	}
}

// TestServer_SilenceList: GET /silences lists the silences in force, the
// config's and the API's, as FetchSilences reads them.
func TestServer_SilenceList(t *testing.T) {
	until := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	want := []alerts.SilenceStatus{{Rule: "client-flood", Until: until, Source: "api"}, {Rule: "traffic-drop", Until: until, Source: "config"}}
	_, addr := start(t, Options{Silences: func() []alerts.SilenceStatus { return want }})
	got, err := FetchSilences(t.Context(), addr, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FetchSilences() (-want +got):\n%s", diff)
	}
	_, none := start(t, Options{Silences: func() []alerts.SilenceStatus { return nil }})
	if code, body := get(t, http.MethodGet, "http://"+none+"/silences", nil); code != http.StatusOK || string(body) != "[]\n" {
		t.Errorf("GET /silences with none = %d %q, want 200 []", code, body)
	}
}
