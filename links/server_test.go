package links

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// fakeBackend records what the links ask of it.
type fakeBackend struct {
	mu        sync.Mutex
	plan      Plan
	result    Result
	acts      []string
	announced []alerts.Announcement
}

func (b *fakeBackend) Plan(t Token) Plan {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.plan
}

func (b *fakeBackend) Act(ctx context.Context, t Token, by string) Result {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.acts = append(b.acts, t.Verb.String()+" "+t.Target()+" by "+by)
	return b.result
}

func (b *fakeBackend) Announce(ctx context.Context, route string, an alerts.Announcement) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.announced = append(b.announced, an)
	return nil
}

func (b *fakeBackend) calls() ([]string, []alerts.Announcement) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.acts...), append([]alerts.Announcement(nil), b.announced...)
}

// hostile is log text that must come out inert on a page.
const hostile = `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`

// testServer returns a Server on dir with a fake backend whose plan's
// headline is hostile, at the clock's time.
func testServer(t *testing.T, dir string, now *time.Time) (*Server, *fakeBackend) {
	t.Helper()
	b := &fakeBackend{plan: Plan{Title: "Run signups-off now?", Button: "Run signups-off now", Headline: hostile,
		Effects: []string{"sentinel makes this request now: PATCH https://flags.example.com/api/flags/signups."},
		Facts:   []Fact{{"top key", hostile}}},
		result: Result{OK: true, Done: "signups-off run", Message: "answered 200", Detail: "PATCH … 200"}}
	s, err := New(Options{Listen: "127.0.0.1:0", URL: "https://sentinel.example.com/hooks/", Site: "web-1", StateDir: dir,
		Backend: b, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return s, b
}

// serve sends one request to the server's handler from peer.
func serve(s *Server, method, target, ua string, form url.Values, hdr map[string]string) (int, string, http.Header) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	r.RemoteAddr = "198.51.100.9:4711"
	r.Header.Set("User-Agent", ua)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.srv.HTTP.Handler.ServeHTTP(w, r)
	return w.Code, w.Body.String(), w.Header()
}

const browser = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"

// TestServer_page: the confirmation page escapes log text, shows no
// token and no key, allows no script, stays out of caches and
// referrers, and is served under the URL's path or without it.
func TestServer_page(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	s, _ := testServer(t, dir, &now)
	l, err := s.Issue("ops-slack", Offer{Verb: Run, Targets: []string{"signups-off"}, Episode: "signup-burst@1795742400", Label: "Run signups-off now"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(l.URL, "https://sentinel.example.com/hooks/l/") || !l.Expires.Equal(now.Add(DefaultTTL)) {
		t.Fatalf("link %+v", l)
	}
	text := strings.TrimPrefix(l.URL, "https://sentinel.example.com/hooks/l/")
	key, _ := s.keys.Key()
	for _, path := range []string{"/hooks/l/" + text, "/l/" + text} {
		code, body, h := serve(s, "GET", path, browser, nil, nil)
		if code != 200 || !strings.Contains(body, `name="csrf"`) || !strings.Contains(body, "Run signups-off now") {
			t.Fatalf("GET %s = %d\n%s", path, code, body)
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, "<img") || !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("hostile text not escaped:\n%s", body)
		}
		if strings.Contains(body, text) || strings.Contains(body, string(key)) {
			t.Error("the page holds the token or the key")
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") || h.Get("Cache-Control") != "no-store" ||
			h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("headers %v", h)
		}
	}
	if code, body, _ := serve(s, "GET", "/hooks/healthz", browser, nil, nil); code != 200 || body != "ok\n" {
		t.Errorf("healthz = %d %q", code, body)
	}
	if code, _, _ := serve(s, "GET", "/", browser, nil, nil); code != 404 {
		t.Errorf("GET / = %d, want 404", code)
	}
}

// TestServer_act: only the page's form acts, once, also after a restart;
// a previewer, a form token of another link or an origin elsewhere do
// nothing; the act is announced; a rotated key refuses the link; every
// request is audited.
func TestServer_act(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	s, b := testServer(t, dir, &now)
	issue := func() (string, string) {
		l, err := s.Issue("ops-slack", Offer{Verb: Run, Targets: []string{"signups-off"}, Episode: "signup-burst@1795742400"})
		if err != nil {
			t.Fatal(err)
		}
		path := strings.TrimPrefix(l.URL, "https://sentinel.example.com/hooks")
		_, body, _ := serve(s, "GET", path, browser, nil, nil)
		return path, csrfRE(body)
	}
	path, form := issue()
	other, otherForm := issue()
	origin := map[string]string{"Origin": "https://sentinel.example.com"}
	for name, c := range map[string]struct {
		ua   string
		form string
		hdr  map[string]string
	}{
		"previewer":       {"Slackbot-LinkExpanding 1.0", form, origin},
		"no form token":   {browser, "", origin},
		"another's token": {browser, otherForm, origin},
		"cross-site":      {browser, form, map[string]string{"Origin": "https://evil.example"}},
		"fetch metadata":  {browser, form, map[string]string{"Sec-Fetch-Site": "cross-site"}},
	} {
		if code, _, _ := serve(s, "POST", path, c.ua, url.Values{"csrf": {c.form}}, c.hdr); code != 403 {
			t.Errorf("POST %s = %d, want 403", name, code)
		}
	}
	if acts, _ := b.calls(); len(acts) != 0 {
		t.Fatalf("acted: %v", acts)
	}
	code, body, _ := serve(s, "POST", path, browser, url.Values{"csrf": {form}}, origin)
	if code != 200 || !strings.Contains(body, "Done: signups-off run") {
		t.Fatalf("POST = %d\n%s", code, body)
	}
	if code, _, _ := serve(s, "POST", path, browser, url.Values{"csrf": {form}}, origin); code != 410 {
		t.Errorf("second POST = %d, want 410", code)
	}
	// A restart remembers the use.
	s2, b2 := testServer(t, dir, &now)
	if code, body, _ := serve(s2, "POST", path, browser, url.Values{"csrf": {form}}, origin); code != 410 || !strings.Contains(body, "used at 2026-11-27 03:00") {
		t.Errorf("POST after a restart = %d\n%s", code, body)
	}
	// A rotated key refuses every link signed before.
	if err := RotateKey(filepath.Join(dir, KeyFile)); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := serve(s2, "GET", other, browser, nil, nil); code != 404 {
		t.Errorf("GET after the key's rotation = %d, want 404", code)
	}
	s.pending.Wait()
	acts, ann := b.calls()
	acts2, _ := b2.calls()
	if len(acts) != 1 || acts[0] != "run signups-off by the link sent to ops-slack" || len(acts2) != 0 {
		t.Errorf("acts %v, after the restart %v", acts, acts2)
	}
	if len(ann) != 1 || ann[0].Text != "signups-off run from a link at 03:00 UTC by the link sent to ops-slack" ||
		ann[0].Incident != "signup-burst@1795742400" || ann[0].Site != "web-1" {
		t.Errorf("announced %+v", ann)
	}
	var outcomes []string
	for _, e := range s2.audit.Recent() {
		outcomes = append(outcomes, e.Method+" "+e.Outcome)
	}
	want := "GET shown,GET shown,POST preview,POST csrf,POST csrf,POST csrf,POST csrf,POST ok,POST used,POST used,GET invalid"
	if got := strings.Join(outcomes, ","); got != strings.ReplaceAll(want, ", ", ",") {
		// The five refused POSTs come in map order.
		if len(outcomes) != 11 || !strings.HasPrefix(got, "GET shown,GET shown,POST ") || !strings.HasSuffix(got, "POST ok,POST used,POST used,GET invalid") {
			t.Errorf("audit %s, want %s (refusals in any order)", got, want)
		}
	}
}

// TestServer_refusals: an expired link, a plan refused (a removed
// action), a failed act, and the rate limit.
func TestServer_refusals(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	s, b := testServer(t, t.TempDir(), &now)
	l, _ := s.Issue("ops-slack", Offer{Verb: Revert, Targets: []string{"signups-off"}})
	path := strings.TrimPrefix(l.URL, "https://sentinel.example.com/hooks")
	_, body, _ := serve(s, "GET", path, browser, nil, nil)
	form := csrfRE(body)

	b.mu.Lock()
	b.plan.Refusal = &Refusal{Status: 410, Reason: "gone", Message: "The action signups-off is no longer in the running config."}
	b.mu.Unlock()
	if code, body, _ := serve(s, "GET", path, browser, nil, nil); code != 410 || strings.Contains(body, `name="csrf"`) || !strings.Contains(body, "no longer in the running config") {
		t.Errorf("GET of a removed action = %d\n%s", code, body)
	}
	if code, _, _ := serve(s, "POST", path, browser, url.Values{"csrf": {form}}, nil); code != 410 {
		t.Errorf("POST of a removed action = %d, want 410", code)
	}
	b.mu.Lock()
	b.plan.Refusal, b.result = nil, Result{Reason: "failed: 500", Message: "the flag service answered 500"}
	b.mu.Unlock()
	if code, body, _ := serve(s, "POST", path, browser, url.Values{"csrf": {form}}, nil); code != 502 || !strings.Contains(body, "answered 500") {
		t.Errorf("POST of a failing act = %d\n%s", code, body)
	}

	now = now.Add(DefaultTTL)
	if code, _, _ := serve(s, "GET", path, browser, nil, nil); code != 410 {
		t.Errorf("GET at expiry = %d, want 410", code)
	}
	// The rate: a day later the burst is whole again, less the GET above;
	// one refusal of the burst is audited.
	n429 := 0
	for range 20 {
		if code, _, _ := serve(s, "GET", "/l/x", browser, nil, nil); code == 429 {
			n429++
		}
	}
	if n429 != 20-(perAddrBurst-1) {
		t.Errorf("%d of 20 requests refused by the rate, want %d", n429, 20-(perAddrBurst-1))
	}
	if limited := auditCount(s, OutcomeRateLimited); limited != 1 {
		t.Errorf("%d rate_limited audit entries, want one per burst", limited)
	}
}

// auditCount counts the recent audit entries with outcome.
func auditCount(s *Server, outcome string) int {
	n := 0
	for _, e := range s.audit.Recent() {
		if e.Outcome == outcome {
			n++
		}
	}
	return n
}

// TestServer_clientAddr: X-Forwarded-For counts only from a trusted proxy
// (loopback by default), its last untrusted address.
func TestServer_clientAddr(t *testing.T) {
	now := time.Now()
	s, _ := testServer(t, t.TempDir(), &now)
	for _, c := range []struct{ peer, xff, want string }{
		{"127.0.0.1:5000", "203.0.113.7", "203.0.113.7"},
		{"127.0.0.1:5000", "10.9.9.9, 203.0.113.7", "203.0.113.7"},
		{"127.0.0.1:5000", "203.0.113.7, 127.0.0.1", "203.0.113.7"},
		{"[::1]:5000", "2001:db8::5", "2001:db8::5"},
		{"198.51.100.9:5000", "203.0.113.7", "198.51.100.9"},
		{"127.0.0.1:5000", "", "127.0.0.1"},
		{"127.0.0.1:5000", "not-an-address", "127.0.0.1"},
	} {
		r := httptest.NewRequest("GET", "/l/x", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := s.clientAddr(r).String(); got != c.want {
			t.Errorf("clientAddr(peer %s, XFF %q) = %s, want %s", c.peer, c.xff, got, c.want)
		}
	}
}

// TestNew_url: without a URL, only a loopback listener serves links, at
// its own address once bound.
func TestNew_url(t *testing.T) {
	b := &fakeBackend{}
	if _, err := New(Options{Listen: "0.0.0.0:9912", StateDir: t.TempDir(), Backend: b}); err == nil {
		t.Error("New without a URL on 0.0.0.0 = nil, want an error")
	}
	s, err := New(Options{Listen: "127.0.0.1:0", StateDir: t.TempDir(), Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Issue("x", Offer{Verb: Silence, Targets: []string{"r"}}); err == nil {
		t.Error("Issue before Listen = nil, want an error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := s.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	l, err := s.Issue("x", Offer{Verb: Silence, Targets: []string{"r"}})
	if err != nil || !strings.HasPrefix(l.URL, "http://"+addr.String()+"/l/") {
		t.Fatalf("Issue = %+v, %v", l, err)
	}
	resp, err := http.Get("http://" + addr.String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	if fi, err := os.Stat(filepath.Join(s.opts.StateDir, AuditFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("audit file %v, %v: want 0600", fi, err)
	}
}

// TestServer_runShutdownError: a listener whose shutdown fails once the
// daemon is stopping does not end Run with an error (a SIGTERM exits 0).
func TestServer_runShutdownError(t *testing.T) {
	s, err := New(Options{Listen: "127.0.0.1:0", StateDir: t.TempDir(), Backend: &fakeBackend{}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.srv.Use(testutil.CloseFails{Listener: ln})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil: the shutdown came when asked", err)
	}
}

// csrfRE returns the form token of a page.
func csrfRE(body string) string {
	_, rest, ok := strings.Cut(body, `name="csrf" value="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// TestServer_slackAck: the Slack app's interactivity Request URL, under
// the links' prefix and at the root, answers 200 to a button click's
// POST and does nothing: no action, no audit line (README, "Links").
func TestServer_slackAck(t *testing.T) {
	now := time.Date(2026, 11, 27, 1, 25, 0, 0, time.UTC)
	dir := t.TempDir()
	s, b := testServer(t, dir, &now)
	click := url.Values{"payload": {`{"type":"block_actions","actions":[{"action_id":"run"}]}`}}
	for _, target := range []string{"/hooks/slack/ack", "/slack/ack"} {
		if code, _, _ := serve(s, "POST", target, "Slackbot 1.0 (+https://api.slack.com/robots)", click, nil); code != 200 {
			t.Errorf("POST %s = %d, want 200", target, code)
		}
	}
	if code, _, _ := serve(s, "GET", "/hooks/slack/ack", browser, nil, nil); code == 200 {
		t.Errorf("GET /hooks/slack/ack = 200, want only a POST acknowledged")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.acts) != 0 {
		t.Errorf("the backend acted: %v", b.acts)
	}
	if data, err := os.ReadFile(filepath.Join(dir, AuditFile)); err == nil && len(data) > 0 {
		t.Errorf("the acknowledgement was audited:\n%s", data)
	}
}
