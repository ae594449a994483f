package links

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// auditServer runs a Server with the fake backend on a loopback listener
// behind the public URL u (the proxy forwards the path as it is) and
// returns it, the listener's http://host:port and stop.
func auditServer(t *testing.T, u string) (*Server, *fakeBackend, string) {
	t.Helper()
	b := &fakeBackend{plan: Plan{Title: "Run signups-off now?", Button: "Run signups-off now"},
		result: Result{OK: true, Done: "signups-off run", Message: "answered 200"}}
	s, err := New(Options{Listen: "127.0.0.1:0", URL: u, Site: "web-1", StateDir: t.TempDir(), Backend: b})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addr, err := s.Listen(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	return s, b, "http://" + addr.String()
}

// phoneRequest sends one request as a phone's browser does, through the proxy
// (straight to the listener here), and returns its status and page.
func phoneRequest(t *testing.T, method, target string, form url.Values, hdr map[string]string) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", browser)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestAudit_originDefaultPort: README, "A link asks first": the page's
// button acts. settings.public.url may name its port ("https://host[:port]
// [/path]", as check says); a browser's Origin never names the default
// one (https://sentinel.example.com, not …:443), so a url that does must
// still let the page's own form act — and an origin on another port must
// still be refused.
func TestAudit_originDefaultPort(t *testing.T) {
	for _, tt := range []struct {
		name, url, origin string
		want              int
	}{
		{"https 443", "https://sentinel.example.com:443/hooks", "https://sentinel.example.com", http.StatusOK},
		{"upper case", "HTTPS://Sentinel.Example.COM:443/hooks", "https://sentinel.example.com", http.StatusOK},
		{"http 80", "http://localhost:80/hooks", "http://localhost", http.StatusOK},
		{"no port", "https://sentinel.example.com/hooks", "https://sentinel.example.com", http.StatusOK},
		{"another port", "https://sentinel.example.com:443/hooks", "https://sentinel.example.com:8443", http.StatusForbidden},
		{"port given, another", "https://sentinel.example.com/hooks", "https://sentinel.example.com:8443", http.StatusForbidden},
		{"https 443, http origin", "https://sentinel.example.com:443/hooks", "http://sentinel.example.com", http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, b, listener := auditServer(t, tt.url)
			l, err := s.Issue("ops-slack", Offer{Verb: Run, Targets: []string{"signups-off"}, Episode: "signup-burst@1795742400"})
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(l.URL)
			if err != nil {
				t.Fatal(err)
			}
			link := listener + u.EscapedPath()
			code, page := phoneRequest(t, "GET", link, nil, nil)
			form := csrfRE(page)
			if code != http.StatusOK || form == "" {
				t.Fatalf("GET %s = %d, want the page with its form\n%s", link, code, page)
			}
			code, page = phoneRequest(t, "POST", link, url.Values{"csrf": {form}},
				map[string]string{"Origin": tt.origin, "Sec-Fetch-Site": "same-origin"})
			if code != tt.want {
				t.Errorf("POST from the page with Origin %s = %d, want %d\n%s", tt.origin, code, tt.want, page)
			}
			acts, _ := b.calls()
			if wantActs := map[bool]int{true: 1, false: 0}[tt.want == http.StatusOK]; len(acts) != wantActs {
				t.Errorf("acts %v, want %d", acts, wantActs)
			}
		})
	}
}
