package daemon

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/links"
)

// phoneUA is the User-Agent of a phone's browser: what opens a link
// tapped in Slack.
const phoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"

// slackPreviewUA is Slack's link unfurler.
const slackPreviewUA = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"

// linksConfig keeps the embedded rules, names the site, turns the public
// listener on over loopback http, and adds the flag flip on signup-burst
// in dry run.
func linksConfig(t *testing.T, flagURL string) *config.Config {
	t.Helper()
	text := fmt.Sprintf(`
settings:
  site: web-1
  public: {listen: "127.0.0.1:0", allow_http: true}
actions:
  - name: signups-off
    rules: [signup-burst]
    webhook:
      method: PATCH
      url: %s/api/flags/signups
      body: '{"enabled": false}'
      secret: hmac-key
    revert:
      body: '{"enabled": true}'
    revert_after: 10m
    dry_run: true
`, flagURL)
	cfg, err := config.Parse("links.yaml", []byte(text), os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// slackButtons returns the URL buttons of every message a fake Slack got,
// by text, the latest last.
func slackButtons(t *testing.T, rc *testutil.Receiver) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, req := range rc.Requests() {
		var m struct {
			Blocks []struct {
				Type     string
				Elements []struct {
					Type, URL string
					Text      json.RawMessage
				}
			}
		}
		if err := json.Unmarshal(req.Body, &m); err != nil {
			t.Fatalf("slack body %s: %v", req.Body, err)
		}
		for _, b := range m.Blocks {
			for _, e := range b.Elements {
				var text struct{ Text string }
				if b.Type == "actions" && e.Type == "button" && json.Unmarshal(e.Text, &text) == nil {
					out[text.Text] = append(out[text.Text], e.URL)
				}
			}
		}
	}
	return out
}

// slackTexts returns the top-level text of every message a fake Slack got.
func slackTexts(t *testing.T, rc *testutil.Receiver) []string {
	t.Helper()
	var out []string
	for _, req := range rc.Requests() {
		var m struct{ Text string }
		if err := json.Unmarshal(req.Body, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m.Text)
	}
	return out
}

// page is one response of the public listener.
type page struct {
	status int
	body   string
}

// csrfRE finds the form token of a confirmation page.
var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (p page) csrf() string {
	if m := csrfRE.FindStringSubmatch(p.body); m != nil {
		return m[1]
	}
	return ""
}

// client is who opens a link: a User-Agent, and the address a TLS proxy
// on this machine names in X-Forwarded-For (each client its own rate).
type client struct{ ua, addr string }

// get opens a link as c would.
func get(t *testing.T, link string, c client) page {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, link, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("X-Forwarded-For", c.addr)
	return do(t, req)
}

// post submits a link's form as a browser would: from the link's origin,
// with the form token csrf ("" leaves it out).
func post(t *testing.T, link string, c client, csrf, origin string) page {
	t.Helper()
	form := url.Values{}
	if csrf != "" {
		form.Set("csrf", csrf)
	}
	req, err := http.NewRequest(http.MethodPost, link, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("X-Forwarded-For", c.addr)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) page {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, body: string(b)}
}

// writeUntil appends to path the sample's lines from line from on, up to
// the first line dated at or after until (a "27/Nov/2026:01:20:30"
// prefix), and returns the next line's index and how many were written
// in all.
func writeUntil(t *testing.T, lines []string, from int, until, path string) int {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	i := from
	for ; i < len(lines); i++ {
		if until != "" && strings.Contains(lines[i], until) {
			break
		}
		if _, err := f.WriteString(lines[i] + "\n"); err != nil {
			t.Fatal(err)
		}
	}
	return i
}

func sampleLines(t *testing.T) []string {
	t.Helper()
	in, err := os.ReadFile(filepath.Join("..", "samples", "signup-flood.log"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(in), "\n"), "\n")
}

// auditOutcomes reads the links' audit log: "verb outcome reason" per
// entry.
func auditOutcomes(t *testing.T, stateDir string) []links.Entry {
	t.Helper()
	f, err := os.Open(filepath.Join(stateDir, links.AuditFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []links.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e links.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("links audit line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// linksDaemon starts a daemon on linksConfig with a fake Slack (a bot's
// webhook) on loopback and the wall clock fixed; it returns the daemon,
// the Slack, the state dir, the log's path and stop.
func linksDaemon(t *testing.T, fs *testutil.FlagServer, clock *fakeClock, remind ...time.Duration) (*Daemon, *testutil.Receiver, string, string, func()) {
	t.Helper()
	slack := testutil.NewReceiver(t)
	n, err := alerts.NewSlack(alerts.SlackOptions{WebhookURL: slack.URL + "/services/T0/B0/secret"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := linksConfig(t, fs.URL)
	dir := t.TempDir()
	stateDir, path := filepath.Join(dir, "state"), filepath.Join(dir, "access.log")
	var remindEvery time.Duration
	if len(remind) > 0 {
		remindEvery = remind[0]
	}
	d, stop := start(t, Options{Config: cfg, Sources: []Source{{Pattern: path, Format: "auto"}},
		StateDir: stateDir, FromStart: true, Routes: []alerts.Route{{Name: "ops-slack", Notifier: n}}, RemindEvery: remindEvery,
		Now: clock.now, ActionBackoff: 10 * time.Millisecond})
	waitFor(t, "the public listener", func() bool { return d.LinksURL() != "" })
	return d, slack, stateDir, path, stop
}

// TestDaemon_linksEndToEnd: the founding flood with signups-off in dry
// run. The fake Slack gets a message with a "Run signups-off now" button;
// GET shows the confirmation page and the flag service sees nothing; a
// link previewer sees no detail and cannot act; a POST without the form's
// token, or from another origin, does nothing; the form's POST makes the
// signed request once, and is announced in the channel; the same link
// again is refused. Expired, tampered, another site's and another key's
// tokens are refused. Then the resolution carries "Revert signups-off
// now", which reverts it once; and the firing's "Silence 1h" silences the
// incident's rules. Every attempt is in links.jsonl, the actions in
// actions.jsonl, and the metrics count them.
func TestDaemon_linksEndToEnd(t *testing.T) {
	fs := testutil.NewFlagServer(t, "hmac-key")
	clock := &fakeClock{t: time.Date(2026, 11, 27, 1, 25, 0, 0, time.UTC)}
	d, slack, stateDir, path, stop := linksDaemon(t, fs, clock)
	// Each client its own address, so that the rate limit (10 requests,
	// then one every 5 s, on a wall clock that stands still here) holds
	// none back.
	phone, scanner := client{phoneUA, "203.0.113.7"}, client{slackPreviewUA, "198.51.100.1"}
	forger, forger2 := client{phoneUA, "198.51.100.2"}, client{phoneUA, "198.51.100.3"}
	phone2, phone3 := client{phoneUA, "203.0.113.8"}, client{phoneUA, "203.0.113.9"}
	defer stop()
	base := d.LinksURL()
	lines := sampleLines(t)

	// The flood's first 30 seconds: signup-burst fires at 01:20:00, the
	// incident's first message goes out at 01:20:10 (log time).
	next := writeUntil(t, lines, 0, "27/Nov/2026:01:20:30", path)
	waitForLong(t, "the firing message with its buttons", time.Minute, func() bool { return len(slackButtons(t, slack)["Run signups-off now"]) > 0 })
	buttons := slackButtons(t, slack)
	runLink, silenceLink := buttons["Run signups-off now"][0], buttons["Silence 1h"]
	if len(silenceLink) == 0 || !strings.HasPrefix(runLink, base+"/l/") {
		t.Fatalf("buttons %v, want Run signups-off now and Silence 1h under %s/l/", buttons, base)
	}
	if reqs := fs.Requests(); len(reqs) != 0 {
		t.Fatalf("the flag service got %+v in dry run", reqs)
	}

	// GET: the confirmation page. Nothing happens.
	p := get(t, runLink, phone)
	if p.status != 200 || !strings.Contains(p.body, "Run signups-off now?") || !strings.Contains(p.body, "dry run") ||
		!strings.Contains(p.body, "PATCH "+fs.URL+"/api/flags/signups") || !strings.Contains(p.body, "web-1: Sign-ups at ") || p.csrf() == "" {
		t.Fatalf("GET run link = %d\n%s", p.status, p.body)
	}
	form := p.csrf()
	// A link previewer, and a preview's POST: no detail, no form, nothing done.
	if pv := get(t, runLink, scanner); pv.status != 200 || pv.csrf() != "" || strings.Contains(pv.body, "Sign-ups") || strings.Contains(pv.body, "signups-off") {
		t.Errorf("GET by Slack's previewer = %d\n%s", pv.status, pv.body)
	}
	if pv := post(t, runLink, scanner, form, base); pv.status != 403 {
		t.Errorf("POST by Slack's previewer = %d, want 403", pv.status)
	}
	// No form token, another link's, another origin.
	if pv := post(t, runLink, forger, "", base); pv.status != 403 {
		t.Errorf("POST without the form token = %d, want 403", pv.status)
	}
	if pv := post(t, runLink, forger, strings.Repeat("A", len(form)), base); pv.status != 403 {
		t.Errorf("POST with a wrong form token = %d, want 403", pv.status)
	}
	if pv := post(t, runLink, forger, form, "https://evil.example"); pv.status != 403 {
		t.Errorf("POST from another origin = %d, want 403", pv.status)
	}
	if reqs := fs.Requests(); len(reqs) != 0 {
		t.Fatalf("the flag service got %+v before the confirmation", reqs)
	}

	// Tokens that are not this site's valid links.
	tok, _, err := links.ParseToken(strings.TrimPrefix(runLink, base+"/l/"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := links.NewKeyring(filepath.Join(stateDir, links.KeyFile)).Key()
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := links.NewKeyring(filepath.Join(t.TempDir(), links.KeyFile)).Key()
	if err != nil {
		t.Fatal(err)
	}
	expired := tok
	expired.Issued, expired.Expires = clock.now().Add(-25*time.Hour).Truncate(time.Second), clock.now().Add(-time.Hour).Truncate(time.Second)
	sign := func(t0 links.Token, key []byte, site string) string {
		s, err := t0.Sign(key, site)
		if err != nil {
			t.Fatal(err)
		}
		return base + "/l/" + s
	}
	// Tampered: the same signature over another action's name.
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(runLink, base+"/l/"))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(raw, []byte("signups-off"))
	raw[i+len("signups-of")] = '0'
	tampered := base + "/l/" + base64.RawURLEncoding.EncodeToString(raw)
	for _, c := range []struct {
		name, link string
		status     int
	}{
		{"expired", sign(expired, key, "web-1"), 410},
		{"tampered", tampered, 404},
		{"cut", runLink[:len(runLink)-5], 404},
		{"another site's key", sign(tok, otherKey, "web-1"), 404},
		{"another site's name", sign(tok, key, "web-2"), 404},
	} {
		g := get(t, c.link, forger2)
		pp := post(t, c.link, forger2, form, base)
		if g.status != c.status || pp.status != c.status || g.csrf() != "" {
			t.Errorf("%s token: GET %d, POST %d, want %d and no form\n%s", c.name, g.status, pp.status, c.status, g.body)
		}
	}
	if reqs := fs.Requests(); len(reqs) != 0 {
		t.Fatalf("the flag service got %+v from refused links", reqs)
	}

	// The kill switch: the page says actions are paused and the POST does
	// nothing, without using the link up.
	d.act.Pause()
	if pp := get(t, runLink, phone); pp.status != 409 || !strings.Contains(pp.body, "paused") || pp.csrf() != "" {
		t.Errorf("GET run link while paused = %d, want 409, paused, no form\n%s", pp.status, pp.body)
	}
	if pp := post(t, runLink, phone, form, base); pp.status != 409 || !strings.Contains(pp.body, "paused") {
		t.Errorf("POST run link while paused = %d, want 409\n%s", pp.status, pp.body)
	}
	if reqs := fs.Requests(); len(reqs) != 0 {
		t.Fatalf("the flag service got %+v while actions were paused", reqs)
	}
	d.act.Resume()

	// The form's POST: the signed request, once.
	done := post(t, runLink, phone, form, base)
	if done.status != 200 || !strings.Contains(done.body, "Done: signups-off run") {
		t.Fatalf("POST run = %d\n%s", done.status, done.body)
	}
	reqs := fs.Requests()
	if len(reqs) != 1 || reqs[0].Method != "PATCH" || reqs[0].Body != `{"enabled": false}` || !reqs[0].Signed || reqs[0].Status != 200 {
		t.Fatalf("flag requests = %+v, want one signed PATCH {enabled: false}", reqs)
	}
	// The same link again, and its page: refused.
	if again := post(t, runLink, phone, form, base); again.status != 410 || !strings.Contains(again.body, "used already") {
		t.Errorf("second POST = %d\n%s", again.status, again.body)
	}
	if again := get(t, runLink, phone); again.status != 410 || again.csrf() != "" {
		t.Errorf("GET after use = %d\n%s", again.status, again.body)
	}
	if n := len(fs.Requests()); n != 1 {
		t.Fatalf("the flag service got %d requests, want 1", n)
	}
	waitFor(t, "the announcement", func() bool {
		return slices.ContainsFunc(slackTexts(t, slack), func(s string) bool {
			return strings.HasPrefix(s, "web-1: signups-off run from a link at ") && strings.HasSuffix(s, " by the link sent to ops-slack")
		})
	})

	// The rest of the flood: the incident resolves; its resolution offers
	// the revert of the remedy now on.
	next = writeUntil(t, lines, next, "27/Nov/2026:01:23:00", path)
	waitForLong(t, "the resolution with a revert button", time.Minute, func() bool {
		return len(slackButtons(t, slack)["Revert signups-off now"]) > 0
	})
	revertLink := slackButtons(t, slack)["Revert signups-off now"][0]
	rp := get(t, revertLink, phone2)
	if rp.status != 200 || !strings.Contains(rp.body, "Revert signups-off now?") || rp.csrf() == "" {
		t.Fatalf("GET revert link = %d\n%s", rp.status, rp.body)
	}
	if n := len(fs.Requests()); n != 1 {
		t.Fatalf("the flag service got %d requests after the revert page, want 1", n)
	}
	if r := post(t, revertLink, phone2, rp.csrf(), base); r.status != 200 || !strings.Contains(r.body, "Done: signups-off reverted") {
		t.Fatalf("POST revert = %d\n%s", r.status, r.body)
	}
	if r := post(t, revertLink, phone2, rp.csrf(), base); r.status != 410 {
		t.Errorf("second POST revert = %d, want 410", r.status)
	}
	reqs = fs.Requests()
	if len(reqs) != 2 || reqs[1].Body != `{"enabled": true}` || !reqs[1].Signed || !fs.On() {
		t.Fatalf("flag requests = %+v, want the run, then one signed revert", reqs)
	}
	waitFor(t, "the episode closed", func() bool { _, on := d.act.Episode("signups-off"); return !on })

	// Silence 1h, from the firing message.
	sp := get(t, silenceLink[0], phone3)
	if sp.status != 200 || !strings.Contains(sp.body, "Silence signup-burst") || sp.csrf() == "" {
		t.Fatalf("GET silence link = %d\n%s", sp.status, sp.body)
	}
	if len(d.Silences()) != 0 {
		t.Fatalf("silences %+v before the POST", d.Silences())
	}
	if r := post(t, silenceLink[0], phone3, sp.csrf(), base); r.status != 200 {
		t.Fatalf("POST silence = %d\n%s", r.status, r.body)
	}
	if r := post(t, silenceLink[0], phone3, sp.csrf(), base); r.status != 410 {
		t.Errorf("second POST silence = %d, want 410", r.status)
	}
	var silenced []string
	for _, s := range d.Silences() {
		silenced = append(silenced, s.Rule)
		if !s.Until.Equal(clock.now().Add(time.Hour).Truncate(time.Second)) {
			t.Errorf("silence %+v, want until an hour from now", s)
		}
	}
	if !slices.Contains(silenced, "signup-burst") {
		t.Errorf("silenced %v, want the incident's rules", silenced)
	}
	_ = next

	// Every attempt is audited, with its reason.
	var got []string
	for _, e := range auditOutcomes(t, stateDir) {
		got = append(got, e.Method+" "+e.Verb+" "+e.Outcome+" "+e.Reason)
		if !strings.HasPrefix(e.ClientIP, "203.0.113.") && !strings.HasPrefix(e.ClientIP, "198.51.100.") {
			t.Errorf("audit entry %+v: client %q, want the address X-Forwarded-For names", e, e.ClientIP)
		}
	}
	want := []string{
		"GET run shown ", "GET run preview link preview, scanner or prefetch", "POST run preview link preview, scanner or prefetch",
		"POST run csrf no form token, or another link's", "POST run csrf no form token, or another link's", "POST run csrf origin https://evil.example",
		"GET run expired expired at", "POST run expired expired at", "GET run invalid tampered", "POST run invalid tampered",
		"GET  invalid malformed", "POST  invalid malformed",
		"GET run invalid another key", "POST run invalid another key", "GET run invalid tampered", "POST run invalid tampered",
		"GET run refused paused", "POST run refused paused",
		"POST run ok ", "POST run used used already", "GET run used used already",
		"GET revert shown ", "POST revert ok ", "POST revert used used already",
		"GET silence shown ", "POST silence ok ", "POST silence used used already",
	}
	if len(got) != len(want) {
		t.Fatalf("links audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("links audit[%d] = %q, want %q…", i, got[i], want[i])
		}
	}
	// The actions' audit names the link.
	var byLink []string
	for _, e := range readActionsAudit(t, stateDir) {
		if e.By != "" {
			byLink = append(byLink, fmt.Sprintf("%s %s %s", e.Phase, e.Outcome, e.By))
		}
	}
	if want := []string{"apply ok the link sent to ops-slack", "revert ok the link sent to ops-slack"}; !slices.Equal(byLink, want) {
		t.Errorf("actions.jsonl from links = %q, want %q", byLink, want)
	}
	for _, c := range []struct {
		verb, outcome string
		want          float64
	}{{"run", "ok", 1}, {"run", "invalid", 6}, {"unknown", "invalid", 2}, {"run", "preview", 2}, {"revert", "ok", 1}, {"silence", "ok", 1}, {"run", "used", 2}} {
		if v := linkMetric(t, d, c.verb, c.outcome); v != c.want {
			t.Errorf("sentinel_link_requests_total{verb=%q,outcome=%q} = %v, want %v", c.verb, c.outcome, v, c.want)
		}
	}
}

// readActionsAudit reads actions.jsonl.
func readActionsAudit(t *testing.T, stateDir string) []actions.Entry {
	t.Helper()
	f, err := os.Open(filepath.Join(stateDir, AuditFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []actions.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e actions.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// linkMetric returns sentinel_link_requests_total{verb,outcome}.
func linkMetric(t *testing.T, d *Daemon, verb, outcome string) float64 {
	t.Helper()
	mfs, err := d.Metrics().Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "sentinel_link_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["verb"] == verb && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

// TestDaemon_linksStopReminders: with reminders every minute, the firing
// message offers "Stop reminders"; once it is used, the incident still
// firing a minute later is not reminded, and the daemon's state keeps it.
func TestDaemon_linksStopReminders(t *testing.T) {
	fs := testutil.NewFlagServer(t, "hmac-key")
	clock := &fakeClock{t: time.Date(2026, 11, 27, 1, 25, 0, 0, time.UTC)}
	d, slack, _, path, stop := linksDaemon(t, fs, clock, time.Minute)
	defer stop()
	lines := sampleLines(t)
	next := writeUntil(t, lines, 0, "27/Nov/2026:01:20:30", path)
	waitForLong(t, "the firing message", time.Minute, func() bool { return len(slackButtons(t, slack)["Stop reminders"]) > 0 })
	link := slackButtons(t, slack)["Stop reminders"][0]
	phone := client{phoneUA, "203.0.113.7"}
	p := get(t, link, phone)
	if p.status != 200 || !strings.Contains(p.body, "Stop the reminders of this incident?") {
		t.Fatalf("GET = %d\n%s", p.status, p.body)
	}
	if r := post(t, link, phone, p.csrf(), d.LinksURL()); r.status != 200 {
		t.Fatalf("POST = %d\n%s", r.status, r.body)
	}
	before := len(slack.Requests())
	n := writeUntil(t, lines, next, "27/Nov/2026:01:21:30", path) // a reminder was due at 01:21:10
	waitForLong(t, "the lines read", time.Minute, func() bool { return d.Events() == uint64(n) })
	for _, s := range slackTexts(t, slack)[before:] {
		if strings.Contains(s, "Still firing") {
			t.Errorf("reminded after Stop reminders: %q", s)
		}
	}
	d.mu.Lock()
	open := d.group.Open()
	d.mu.Unlock()
	if len(open) != 1 || !open[0].NoReminders {
		t.Errorf("open incidents %+v, want the one with no reminders", open)
	}
}

// TestDaemon_linksRemovedAction: a reload that removes the action leaves
// its run link a clear refusal, and a POST does nothing.
func TestDaemon_linksRemovedAction(t *testing.T) {
	fs := testutil.NewFlagServer(t, "hmac-key")
	clock := &fakeClock{t: time.Date(2026, 11, 27, 1, 25, 0, 0, time.UTC)}
	d, slack, _, path, stop := linksDaemon(t, fs, clock)
	defer stop()
	writeUntil(t, sampleLines(t), 0, "27/Nov/2026:01:20:30", path)
	waitForLong(t, "the firing message", time.Minute, func() bool { return len(slackButtons(t, slack)["Run signups-off now"]) > 0 })
	link := slackButtons(t, slack)["Run signups-off now"][0]
	phone := client{phoneUA, "203.0.113.7"}
	form := get(t, link, phone).csrf()

	cfg, err := config.Parse("links.yaml", []byte("settings: {site: web-1, public: {listen: \"127.0.0.1:0\", allow_http: true}}\n"), os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	out, notes, err := d.swap(cfg)
	d.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	d.send(out, notes)
	p := get(t, link, phone)
	if p.status != 410 || p.csrf() != "" || !strings.Contains(p.body, "The action signups-off is no longer in the running config") {
		t.Errorf("GET after the reload = %d\n%s", p.status, p.body)
	}
	if r := post(t, link, phone, form, d.LinksURL()); r.status != 410 {
		t.Errorf("POST after the reload = %d, want 410", r.status)
	}
	if n := len(fs.Requests()); n != 0 {
		t.Errorf("the flag service got %d requests", n)
	}
}
