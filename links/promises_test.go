package links

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// newTestServer is testServer with backend b and outcome counting.
func newTestServer(t *testing.T, dir string, now *time.Time, b Backend, outcome func(verb, outcome string)) *Server {
	t.Helper()
	s, err := New(Options{Listen: "127.0.0.1:0", URL: "https://sentinel.example.com/hooks/", Site: "web-1", StateDir: dir,
		Backend: b, Outcome: outcome, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// serveFrom sends one GET to the server's handler from peer.
func serveFrom(s *Server, peer, target string) int {
	r := httptest.NewRequest("GET", target, nil)
	r.RemoteAddr = peer
	r.Header.Set("User-Agent", browser)
	w := httptest.NewRecorder()
	s.srv.HTTP.Handler.ServeHTTP(w, r)
	return w.Code
}

// auditLines reads the audit log in dir as stored, one map per line.
func auditLines(t *testing.T, dir string) (raw string, entries []map[string]any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, AuditFile))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		entries = append(entries, m)
	}
	return string(data), entries
}

// TestServer_rates: docs/links.md, rate_limited: "over the per-address
// rate (10, then one every 5 s; 100 and then 20 a second for all): one
// entry per burst, the rest only counted in sentinel_link_requests_total".
func TestServer_rates(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	var mu sync.Mutex
	counted := map[string]int{}
	s := newTestServer(t, dir, &now, &fakeBackend{}, func(verb, outcome string) {
		mu.Lock()
		defer mu.Unlock()
		counted[verb+" "+outcome]++
	})

	// One address: 10, then refused; every request counted.
	served := 0
	for range 15 {
		if serveFrom(s, "203.0.113.7:4711", "/l/x") != 429 {
			served++
		}
	}
	if served != 10 {
		t.Errorf("one address: %d of 15 served at once, want 10", served)
	}
	now = now.Add(5 * time.Second)
	if code := serveFrom(s, "203.0.113.7:4711", "/l/x"); code == 429 {
		t.Error("one address: refused 5 s later, want one request every 5 s")
	}
	if code := serveFrom(s, "203.0.113.7:4711", "/l/x"); code != 429 {
		t.Errorf("one address: a second request within the 5 s = %d, want 429", code)
	}

	// All addresses together: 100 at once, then 20 a second.
	now = now.Add(time.Hour)
	served = 0
	for i := range 150 {
		if serveFrom(s, fmt.Sprintf("198.51.%d.%d:4711", i/250, i%250), "/l/x") != 429 {
			served++
		}
	}
	if served != 100 {
		t.Errorf("all addresses: %d of 150 served at once, want 100", served)
	}
	now = now.Add(time.Second)
	served = 0
	for i := range 30 {
		if serveFrom(s, fmt.Sprintf("192.0.2.%d:4711", i), "/l/x") != 429 {
			served++
		}
	}
	if served != 20 {
		t.Errorf("all addresses: %d of 30 served a second later, want 20", served)
	}

	mu.Lock()
	limited, invalid := counted["unknown "+OutcomeRateLimited], counted["unknown "+OutcomeInvalid]
	mu.Unlock()
	if limited != 5+1+50+10 || invalid != 10+1+100+20 {
		t.Errorf("counted %d rate_limited and %d invalid, want %d and %d: every request counted", limited, invalid, 5+1+50+10, 10+1+100+20)
	}
	if n := auditCount(s, OutcomeRateLimited); n != 2 {
		t.Errorf("%d rate_limited audit entries, want 2: one per burst (the address's, then everyone's)", n)
	}
}

// TestServer_usedListLost: docs/links.md, links-used.json: "A file that
// cannot be read is set aside as links-used.json.bad, and every link
// issued before that moment is refused (not_before)", audited as expired
// ("issued before the used-links list was lost"); links issued after work.
func TestServer_usedListLost(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	s, _ := testServer(t, dir, &now)
	old, err := s.Issue("ops-slack", Offer{Verb: Silence, Targets: []string{"signup-burst"}, Episode: "signup-burst@1795742400"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, NoncesFile), []byte(`{"version":1,"used":{"torn`), 0o600); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute) // a restart
	s2, _ := testServer(t, dir, &now)
	if _, err := os.Stat(filepath.Join(dir, NoncesFile+".bad")); err != nil {
		t.Errorf("the torn list was not set aside: %v", err)
	}
	path := strings.TrimPrefix(old.URL, "https://sentinel.example.com/hooks")
	if code, body, _ := serve(s2, "GET", path, browser, nil, nil); code != 410 || strings.Contains(body, `name="csrf"`) {
		t.Errorf("GET of a link issued before the list was lost = %d, want 410 and no form\n%s", code, body)
	}
	now = now.Add(2 * time.Second)
	fresh, err := s2.Issue("ops-slack", Offer{Verb: Silence, Targets: []string{"signup-burst"}, Episode: "signup-burst@1795742400"})
	if err != nil {
		t.Fatal(err)
	}
	if code, body, _ := serve(s2, "GET", strings.TrimPrefix(fresh.URL, "https://sentinel.example.com/hooks"), browser, nil, nil); code != 200 {
		t.Errorf("GET of a link issued after = %d, want 200\n%s", code, body)
	}
	_, entries := auditLines(t, dir)
	if len(entries) != 2 || entries[0]["outcome"] != OutcomeExpired || entries[0]["reason"] != "issued before the used-links list was lost" ||
		entries[1]["outcome"] != OutcomeShown {
		t.Errorf("audit %v, want expired (issued before the used-links list was lost), then shown", entries)
	}
}

// TestServer_auditEntries: docs/links.md, "The audit log": one entry per
// request whatever came of it; a reason for every outcome but ok and
// shown; the link's fields (for an invalid link, those it claims); the
// User-Agent sanitised and cut at 200 characters; at in UTC; and "The
// token itself is never written anywhere" (nor the page's form token).
func TestServer_auditEntries(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	s, _ := testServer(t, dir, &now)
	l, err := s.Issue("ops-slack", Offer{Verb: Run, Targets: []string{"signups-off"}, Episode: "signup-burst@1795742400"})
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(l.URL, "https://sentinel.example.com/hooks")
	text := strings.TrimPrefix(path, "/l/")
	long := browser + " \x1b[31m" + strings.Repeat("x", 400)
	_, body, _ := serve(s, "GET", path, long, nil, nil) // shown
	form := csrfRE(body)
	serve(s, "GET", path, "curl/8.5.0", nil, nil)                      // preview
	serve(s, "POST", path, browser, url.Values{"csrf": {"nope"}}, nil) // csrf
	serve(s, "POST", path, browser, url.Values{"csrf": {form}}, nil)   // ok
	serve(s, "POST", path, browser, url.Values{"csrf": {form}}, nil)   // used
	raw, _ := base64.RawURLEncoding.DecodeString(text)
	raw[bytes.Index(raw, []byte("signups-off"))] = 'S'
	serve(s, "GET", "/l/"+base64.RawURLEncoding.EncodeToString(raw), browser, nil, nil) // invalid: tampered
	serve(s, "GET", "/l/not-a-token", browser, nil, nil)                                // invalid: malformed
	now = now.Add(DefaultTTL)
	serve(s, "GET", path, browser, nil, nil) // expired

	stored, entries := auditLines(t, dir)
	if strings.Contains(stored, text) || strings.Contains(stored, form) || strings.Contains(stored, text[:40]) {
		t.Errorf("the audit log holds the token or the form token:\n%s", stored)
	}
	want := []string{OutcomeShown, OutcomePreview, OutcomeCSRF, OutcomeOK, OutcomeUsed, OutcomeInvalid, OutcomeInvalid, OutcomeExpired}
	if len(entries) != len(want) {
		t.Fatalf("%d audit entries, want %d:\n%s", len(entries), len(want), stored)
	}
	for i, e := range entries {
		str := func(k string) string { s, _ := e[k].(string); return s }
		if str("outcome") != want[i] {
			t.Errorf("entry %d: outcome %q, want %q", i, str("outcome"), want[i])
		}
		if quiet := want[i] == OutcomeOK || want[i] == OutcomeShown; (str("reason") == "") != quiet {
			t.Errorf("entry %d (%s): reason %q: want one for every outcome but ok and shown", i, want[i], str("reason"))
		}
		if at, err := time.Parse(time.RFC3339Nano, str("at")); err != nil || !strings.HasSuffix(str("at"), "Z") || at.IsZero() {
			t.Errorf("entry %d: at %q, want a UTC time", i, str("at"))
		}
		if str("client_ip") != "198.51.100.9" {
			t.Errorf("entry %d: client_ip %q", i, str("client_ip"))
		}
		if i == 6 { // malformed: nothing to claim
			if str("verb") != "" || str("link_id") != "" {
				t.Errorf("malformed entry %v, want no link fields", e)
			}
			continue
		}
		target := "signups-off"
		if i == 5 {
			target = "Signups-off" // what the tampered link claims
		}
		if str("verb") != "run" || str("target") != target || str("episode") != "signup-burst@1795742400" || str("route") != "ops-slack" ||
			len(str("link_id")) != 16 || str("issued") != "2026-11-27T03:00:00Z" || str("expires") != "2026-11-28T03:00:00Z" {
			t.Errorf("entry %d: link fields %v", i, e)
		}
	}
	if ua := entries[0]["user_agent"].(string); ua != alertSanitized(long[:200])+"…" {
		t.Errorf("user_agent %q, want the first 200 characters, escaped", ua)
	}
	if entries[3]["detail"] != "PATCH … 200" {
		t.Errorf("ok entry detail %v, want what was done", entries[3]["detail"])
	}
}

// alertSanitized is how the audit escapes the ESC of the test's UA.
func alertSanitized(s string) string { return strings.ReplaceAll(s, "\x1b", `\x1b`) }

// recordingBackend is a fakeBackend whose Act first runs check.
type recordingBackend struct {
	*fakeBackend
	check func()
}

func (b recordingBackend) Act(ctx context.Context, t Token, by string) Result {
	b.check()
	return b.fakeBackend.Act(ctx, t, by)
}

// TestServer_usedBeforeAct: docs/links.md, links-used.json
// ({"version":1,"used":{"NONCE":EXPIRY}}, mode 0600) is "written
// atomically before a link acts".
func TestServer_usedBeforeAct(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	base, _ := testServer(t, dir, &now)
	var expires int64
	checked := false
	b := recordingBackend{fakeBackend: base.opts.Backend.(*fakeBackend)}
	b.check = func() {
		checked = true
		p := filepath.Join(dir, NoncesFile)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("when the link acts, %s: %v", NoncesFile, err)
			return
		}
		var f struct {
			Version int              `json:"version"`
			Used    map[string]int64 `json:"used"`
		}
		if err := json.Unmarshal(data, &f); err != nil || f.Version != 1 || len(f.Used) != 1 {
			t.Errorf("when the link acts, %s = %s (%v), want version 1 and the link's use", NoncesFile, data, err)
		}
		for nonce, exp := range f.Used {
			if n, err := base64.RawURLEncoding.DecodeString(nonce); err != nil || len(n) != nonceBytes || exp != expires {
				t.Errorf("used %q: %d, want a nonce and the link's expiry %d", nonce, exp, expires)
			}
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, %v; want 0600", NoncesFile, fi.Mode().Perm(), err)
		}
	}
	s := newTestServer(t, dir, &now, b, nil)
	link, err := s.Issue("ops-slack", Offer{Verb: Run, Targets: []string{"signups-off"}, Episode: "signup-burst@1795742400"})
	if err != nil {
		t.Fatal(err)
	}
	expires = link.Expires.Unix()
	path := strings.TrimPrefix(link.URL, "https://sentinel.example.com/hooks")
	_, body, _ := serve(s, "GET", path, browser, nil, nil)
	if code, body, _ := serve(s, "POST", path, browser, url.Values{"csrf": {csrfRE(body)}}, nil); code != 200 {
		t.Fatalf("POST = %d\n%s", code, body)
	}
	if !checked {
		t.Error("the backend never acted")
	}
}

// TestServer_whoElseActed: README, "A link asks first": the page shows
// "who else acted on the incident" — also after a restart — and nothing
// of another incident.
func TestServer_whoElseActed(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	s, _ := testServer(t, dir, &now)
	issue := func(s *Server, verb Verb, target, episode string) string {
		l, err := s.Issue("ops-slack", Offer{Verb: verb, Targets: []string{target}, Episode: episode})
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(l.URL, "https://sentinel.example.com/hooks")
	}
	run := issue(s, Run, "signups-off", "signup-burst@1795742400")
	_, body, _ := serve(s, "GET", run, browser, nil, nil)
	if strings.Contains(body, "Who else acted") {
		t.Errorf("the first page says someone acted:\n%s", body)
	}
	if code, _, _ := serve(s, "POST", run, browser, url.Values{"csrf": {csrfRE(body)}}, nil); code != 200 {
		t.Fatalf("POST = %d", code)
	}
	now = now.Add(time.Minute)
	s2, _ := testServer(t, dir, &now) // a restart
	_, body, _ = serve(s2, "GET", issue(s2, Silence, "signup-burst", "signup-burst@1795742400"), browser, nil, nil)
	if !strings.Contains(body, "Who else acted") || !strings.Contains(body, "2026-11-27 03:00 UTC: run signups-off — ok, by the link sent to ops-slack") {
		t.Errorf("the page of another link of the incident does not say who acted:\n%s", body)
	}
	_, body, _ = serve(s2, "GET", issue(s2, Silence, "client-flood", "client-flood@1795742999"), browser, nil, nil)
	if strings.Contains(body, "Who else acted") {
		t.Errorf("the page of another incident says who acted on this one:\n%s", body)
	}
}

// TestServer_nothingElse: README, "Exposure": "The listener serves the
// links, /healthz and nothing else, separate from the loopback admin
// API": none of the admin API's paths answer, under the URL's path or
// not, and nothing is audited.
func TestServer_nothingElse(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	s, b := testServer(t, dir, &now)
	for _, c := range []struct{ method, path string }{
		{"GET", "/status"}, {"GET", "/metrics"}, {"GET", "/silences"}, {"POST", "/reload"},
		{"POST", "/silences?rule=signup-burst&for=1h"}, {"POST", "/actions/pause"}, {"POST", "/actions/resume"},
		{"GET", "/hooks/status"}, {"GET", "/hooks/metrics"}, {"POST", "/hooks/reload"}, {"GET", "/l/"}, {"PUT", "/l/x"},
		{"GET", "/hooks/l"}, {"GET", "/debug/pprof/"},
	} {
		if code, body, _ := serve(s, c.method, c.path, browser, nil, nil); code != 404 || strings.Contains(body, "sentinel_") {
			t.Errorf("%s %s on the public listener = %d, want 404\n%s", c.method, c.path, code, body)
		}
	}
	if acts, _ := b.calls(); len(acts) != 0 {
		t.Errorf("acted: %v", acts)
	}
	if data, err := os.ReadFile(filepath.Join(dir, AuditFile)); err == nil && len(data) > 0 {
		t.Errorf("requests that are no link were audited:\n%s", data)
	}
}

// TestToken_documentedLayout: docs/links.md, "Tokens": base64url without
// padding of a version byte, the verb, the first 4 bytes of a hash of
// the key, the issue and expiry times (Unix seconds), a 12-byte random
// nonce, the incident's key, the notifier's name, the targets; then
// HMAC-SHA256(key, "sentinel-link\0" + site + "\0" + those bytes); at
// most 2,048 characters. The form token is HMAC-SHA256(key,
// "sentinel-link-form\0" + TOKEN). links.key is "sentinel-links-key-v1
// BASE64" (32 bytes), mode 0600.
func TestToken_documentedLayout(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	s, _ := testServer(t, dir, &now)
	issue := func() string {
		l, err := s.Issue("ops-slack", Offer{Verb: Silence, Targets: []string{"signup-burst", "signup-spread"}, Episode: "signup-burst@1795742400"})
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimPrefix(l.URL, "https://sentinel.example.com/hooks/l/")
	}
	text, text2 := issue(), issue()

	keyPath := filepath.Join(dir, KeyFile)
	kf, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	enc, ok := strings.CutPrefix(strings.TrimSpace(string(kf)), "sentinel-links-key-v1 ")
	key, err := base64.StdEncoding.DecodeString(enc)
	if !ok || err != nil || len(key) != 32 {
		t.Fatalf("links.key = %q: want sentinel-links-key-v1 and 32 bytes in base64", kf)
	}
	if fi, _ := os.Stat(keyPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("links.key mode %v, want 0600", fi.Mode().Perm())
	}

	if strings.ContainsAny(text, "=+/") || len(text) > MaxTokenChars {
		t.Errorf("token %q: want base64url without padding, at most %d characters", text, MaxTokenChars)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(text)
	raw2, _ := base64.RawURLEncoding.DecodeString(text2)
	if err != nil || len(raw) < 34+32 {
		t.Fatalf("token %q: %v", text, err)
	}
	body, sum := raw[:len(raw)-32], raw[len(raw)-32:]
	h := hmac.New(sha256.New, key)
	h.Write([]byte("sentinel-link\x00web-1\x00"))
	h.Write(body)
	if !hmac.Equal(sum, h.Sum(nil)) {
		t.Error(`the token's MAC is not HMAC-SHA256(key, "sentinel-link\0" + site + "\0" + body)`)
	}
	if body[0] != 1 || body[1] != byte(Silence) || !bytes.Equal(body[2:6], raw2[2:6]) {
		t.Errorf("token starts % x: want version 1, the verb, the key's id (the same in every token of one key)", body[:6])
	}
	if is, exp := binary.BigEndian.Uint64(body[6:14]), binary.BigEndian.Uint64(body[14:22]); is != uint64(now.Unix()) || exp != uint64(now.Add(DefaultTTL).Unix()) {
		t.Errorf("issued %d, expires %d; want %d and %d (Unix seconds)", is, exp, now.Unix(), now.Add(DefaultTTL).Unix())
	}
	if bytes.Equal(body[22:34], raw2[22:34]) {
		t.Error("two tokens share their 12-byte nonce")
	}
	rest := string(body[34:])
	ie, ir, it := strings.Index(rest, "signup-burst@1795742400"), strings.Index(rest, "ops-slack"), strings.Index(rest, "signup-spread")
	if ie < 0 || ir < ie || it < ir {
		t.Errorf("after the nonce %q: want the incident's key, the notifier, the targets, in that order", rest)
	}
	if err := RotateKey(keyPath); err != nil {
		t.Fatal(err)
	}
	if raw3, _ := base64.RawURLEncoding.DecodeString(issue()); bytes.Equal(raw3[2:6], body[2:6]) {
		t.Error("a token of another key carries the same key id")
	}

	// The page's form token, for the token signed with the new key.
	text = issue()
	_, page, _ := serve(s, "GET", "/l/"+text, browser, nil, nil)
	kf, _ = os.ReadFile(keyPath)
	key, _ = base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.TrimSpace(string(kf)), "sentinel-links-key-v1 "))
	form, err := base64.RawURLEncoding.DecodeString(csrfRE(page))
	h = hmac.New(sha256.New, key)
	h.Write([]byte("sentinel-link-form\x00" + text))
	if err != nil || !hmac.Equal(form, h.Sum(nil)) {
		t.Errorf(`form token %q is not HMAC-SHA256(key, "sentinel-link-form\0" + TOKEN)`, csrfRE(page))
	}
}
