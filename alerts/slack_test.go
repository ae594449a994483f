package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

const webhookPath = "/services/T0000/B0000/s3cretWebhookPath"

func newTestSlack(tb testing.TB, opts SlackOptions) *Slack {
	tb.Helper()
	s, err := NewSlack(opts)
	if err != nil {
		tb.Fatalf("NewSlack() = %v", err)
	}
	return s
}

// jsonValue decodes JSON for comparison regardless of key order.
func jsonValue(tb testing.TB, s string) any {
	tb.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		tb.Fatalf("decode %s: %v", s, err)
	}
	return v
}

// slackSummary is incident()'s summary as SlackText escapes it, as a
// JSON string's contents.
const slackSummary = `Sign-ups at 241/s from 2,310 addresses (normal 0.1/s)\n` +
	`busiest address: 3 of 2,400 — spread over many addresses: blocking addresses will not help\n` +
	`signup-burst [critical] firing since 01:20:01: 80/s ≥ 1/s over 30s, now 241/s, normal 0.1/s ± 0.3/s; 2,400 events from 2,310 distinct client_ip\n` +
	`signup-spread [critical] firing since 01:20:10: 2,100 distinct ≥ 20 distinct over 1m, normal 0.14 distinct ± 1.4 distinct; 2,400 events\n` +
	`traffic-spike [warning] firing since 01:20:10: 45/s ≥ 5/s over 1m, now 250/s, normal 1/s ± 0.57/s; 2,700 events\n` +
	`since 2026-11-27 01:20:01 UTC (10s)\n` +
	`sample: 203.0.113.7 - - [27/Nov/2026:01:20:00 +0000] \"POST /users/register HTTP/1.1\" 302 76 \"-\" \"[31mbot\"\n` +
	`site web-1 · env=prod`

// slackFiringBlocks are incident()'s blocks as JSON.
const slackFiringBlocks = `[
	{"type":"header","text":{"type":"plain_text","text":"🚨 CRITICAL: signup-burst and 2 more on web-1","emoji":true}},
	{"type":"section","text":{"type":"mrkdwn","text":"` + slackSummary + `","verbatim":true}},
	{"type":"context","elements":[{"type":"mrkdwn","text":"site *web-1* · rule *signup-burst* · 2026-11-27 01:20:11 UTC · sentinel","verbatim":true}]}
]`

// slackHeadline is incident()'s headline.
const slackHeadline = "web-1: Sign-ups at 241/s from 2,310 addresses (normal 0.1/s) — signup-burst, signup-spread, traffic-spike"

func TestSlack_NotifyWebhook(t *testing.T) {
	rc := newReceiver(t, nil)
	s := newTestSlack(t, SlackOptions{WebhookURL: rc.URL + webhookPath, Mention: "<!channel>"})
	if err := s.Notify(context.Background(), incident()); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	got := rc.only(t)
	if got.Method != http.MethodPost || got.Path != webhookPath || got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request = %s %s %s, want a JSON POST to the webhook", got.Method, got.Path, got.Header.Get("Content-Type"))
	}
	if ua := got.Header.Get("User-Agent"); ua != delivery.UserAgent {
		t.Errorf("User-Agent = %q, want %q", ua, delivery.UserAgent)
	}
	want := `{
		"text": "<!channel> ` + slackHeadline + `",
		"parse": "none",
		"blocks": ` + slackFiringBlocks + `,
		"replace_original": false, "delete_original": false
	}`
	if diff := cmp.Diff(jsonValue(t, want), jsonValue(t, string(got.Body))); diff != "" {
		t.Errorf("webhook body (-want +got):\n%s", diff)
	}
}

func TestSlack_NotifyWebhookResolved(t *testing.T) {
	rc := newReceiver(t, nil)
	s := newTestSlack(t, SlackOptions{WebhookURL: rc.URL + webhookPath, Mention: "<!channel>"})
	if err := s.Notify(context.Background(), resolved()); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	want := `{
		"text": "Resolved after 1m9s: signup-burst peaked at 241/s from 4,812 addresses",
		"parse": "none",
		"blocks": [
			{"type":"header","text":{"type":"plain_text","text":"✅ Resolved: signup-burst","emoji":true}},
			{"type":"section","text":{"type":"mrkdwn","text":"signup-burst peaked at 241/s from 4,812 addresses\nsignup-burst [critical] resolved at 01:21:10 after 1m9s, peak 241/s\nsince 2026-11-27 01:20:01 UTC (1m9s)","verbatim":true}},
			{"type":"context","elements":[{"type":"mrkdwn","text":"rule *signup-burst* · 2026-11-27 01:21:10 UTC · sentinel","verbatim":true}]}
		],
		"replace_original": false, "delete_original": false
	}`
	if diff := cmp.Diff(jsonValue(t, want), jsonValue(t, string(rc.only(t).Body))); diff != "" {
		t.Errorf("webhook body (-want +got):\n%s", diff)
	}
}

// slackAPI stands in for Slack's Web API: chat.postMessage answers ok
// with a new ts each time, unless respond is set.
func slackAPI(tb testing.TB, respond http.HandlerFunc) *receiver {
	var n atomic.Int64
	return newReceiver(tb, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/chat.postMessage" {
			http.NotFound(w, r)
			return
		}
		if respond != nil {
			respond(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"channel":"C0ALERTS","ts":"1795742401.%06d"}`, n.Add(1))
	})
}

// form decodes a chat.postMessage request.
func form(tb testing.TB, r received) url.Values {
	tb.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		tb.Fatalf("Content-Type = %q, want a form", ct)
	}
	v, err := url.ParseQuery(string(r.Body))
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func TestSlack_NotifyBot(t *testing.T) {
	rc := slackAPI(t, nil)
	s := newTestSlack(t, SlackOptions{Token: "xoxb-1-test", Channel: "C0ALERTS", APIURL: rc.URL + "/", Mention: "<@U024BE7LH>"})
	ctx := context.Background()

	other := firing()
	other.Rule, other.Severity, other.Since = "scan-404", alert.Warning, at.Add(-time.Hour)
	update := incident()
	update.Incident.Update, update.Incident.Quiet, update.Incident.New = 1, true, []string{"traffic-spike"}
	reminder := incident()
	reminder.Reminder, reminder.Time = 1, at.Add(30*time.Minute)
	res := incident()
	res.State, res.Time, res.Incident.Update = alert.Resolved, at.Add(100*time.Second), 2
	for _, a := range []alert.Alert{incident(), other, update, reminder, res} {
		if err := s.Notify(ctx, a); err != nil {
			t.Fatalf("Notify(%s %s) = %v", a.Rule, a.State, err)
		}
	}
	reqs := rc.requests()
	if len(reqs) != 5 {
		t.Fatalf("API got %d requests, want 5", len(reqs))
	}
	first := form(t, reqs[0])
	for k, want := range map[string]string{
		"token": "xoxb-1-test", "channel": "C0ALERTS", "parse": "none", "link_names": "false", "thread_ts": "",
		"text": "<@U024BE7LH> " + slackHeadline,
	} {
		if got := first.Get(k); got != want {
			t.Errorf("firing: form %s = %q, want %q", k, got, want)
		}
	}
	if diff := cmp.Diff(jsonValue(t, slackFiringBlocks), jsonValue(t, first.Get("blocks"))); diff != "" {
		t.Errorf("firing: blocks (-want +got):\n%s", diff)
	}
	if got := form(t, reqs[1]).Get("text"); strings.Contains(got, "<@") {
		t.Errorf("warning: text = %q, want no mention", got)
	}
	// The update, the reminder and the resolution reply in the
	// incident's thread, without the mention that woke the channel once.
	for i, want := range []string{"web-1: Update: Sign-ups", "web-1: Still firing after 30m: Sign-ups", "web-1: Resolved after 1m40s: Sign-ups"} {
		f := form(t, reqs[2+i])
		if got := f.Get("thread_ts"); got != "1795742401.000001" {
			t.Errorf("%s: thread_ts = %q, want the first message's", want, got)
		}
		if got := f.Get("text"); !strings.HasPrefix(got, want) {
			t.Errorf("text = %q, want it to start with %q", got, want)
		}
	}

	// Once resolved, the incident is forgotten: another resolution (of
	// one this process never saw fire) is a new message.
	if err := s.Notify(ctx, resolved()); err != nil {
		t.Fatalf("Notify(resolved again) = %v", err)
	}
	if got := form(t, rc.requests()[5]).Get("thread_ts"); got != "" {
		t.Errorf("unknown episode: thread_ts = %q, want none", got)
	}
}

func TestSlack_errors(t *testing.T) {
	for _, tc := range errorCases {
		t.Run("webhook/"+tc.name, func(t *testing.T) {
			rc := newReceiver(t, tc.respond)
			s := newTestSlack(t, SlackOptions{WebhookURL: rc.URL + webhookPath})
			checkErrorCase(t, tc, s.Notify(context.Background(), firing()))
		})
		t.Run("bot/"+tc.name, func(t *testing.T) {
			rc := slackAPI(t, tc.respond)
			s := newTestSlack(t, SlackOptions{Token: "xoxb-1-test", Channel: "C1", APIURL: rc.URL + "/"})
			checkErrorCase(t, tc, s.Notify(context.Background(), firing()))
		})
	}
	for _, tc := range []errorCase{
		{"invalid_auth", apiError("invalid_auth"), true, -1},
		{"channel_not_found", apiError("channel_not_found"), true, -1},
		{"invalid_blocks", apiError("invalid_blocks"), true, -1},
		{"internal_error", apiError("internal_error"), false, -1},
		{"ratelimited", apiError("ratelimited"), false, 0},
		{"429 date", status(429, "", "Retry-After", time.Now().Add(10*time.Minute).UTC().Format(http.TimeFormat)), false, -1},
	} {
		t.Run("api/"+tc.name, func(t *testing.T) {
			rc := slackAPI(t, tc.respond)
			s := newTestSlack(t, SlackOptions{Token: "xoxb-1-test", Channel: "C1", APIURL: rc.URL + "/"})
			err := s.Notify(context.Background(), firing())
			if tc.name == "429 date" {
				// An HTTP date, which slack-go cannot parse, still gives the wait.
				ra, ok := err.(*delivery.RetryAfterError)
				if !ok || ra.After < 9*time.Minute || ra.After > 10*time.Minute {
					t.Errorf("Notify() = %v, want a *delivery.RetryAfterError of about 10m", err)
				}
				return
			}
			checkErrorCase(t, tc, err)
			if !strings.Contains(err.Error(), tc.name) {
				t.Errorf("Notify() = %v, want it to name %s", err, tc.name)
			}
		})
	}
}

// apiError answers like the Web API does when a call fails: HTTP 200.
func apiError(code string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":false,"error":%q}`, code)
	}
}

// TestSlack_secrets checks that the webhook URL (whose path is the
// credential) and the token show in no error, even when the server echoes
// the request back.
func TestSlack_secrets(t *testing.T) {
	const token = "xoxb-1111-s3cretToken"
	echo := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("no_service " + r.URL.Path + " " + r.Header.Get("Authorization")))
	}
	echoAPI := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = r.ParseForm()
		fmt.Fprintf(w, `{"ok":false,"error":%q}`, "invalid_auth "+r.PostForm.Get("token"))
	}
	for name, base := range map[string]string{
		"404 echo":    newReceiver(t, echo).URL,
		"unreachable": unreachableURL(t),
	} {
		t.Run("webhook/"+name, func(t *testing.T) {
			err := newTestSlack(t, SlackOptions{WebhookURL: base + webhookPath}).Notify(context.Background(), firing())
			if err == nil {
				t.Fatal("Notify() = nil, want an error")
			}
			checkNoSecret(t, "error", err.Error(), webhookPath, "s3cretWebhookPath", base+webhookPath)
		})
	}
	for name, base := range map[string]string{
		"401 echo":     newReceiver(t, echo).URL,
		"api error":    slackAPI(t, echoAPI).URL,
		"unreachable":  unreachableURL(t),
		"bad base url": "http://%zz",
	} {
		t.Run("bot/"+name, func(t *testing.T) {
			err := newTestSlack(t, SlackOptions{Token: token, Channel: "C1", APIURL: base + "/"}).Notify(context.Background(), firing())
			if err == nil {
				t.Fatal("Notify() = nil, want an error")
			}
			checkNoSecret(t, "error", err.Error(), token, "s3cretToken")
		})
	}
	_, err := NewSlack(SlackOptions{WebhookURL: "ftp://hooks.example" + webhookPath})
	if err == nil {
		t.Fatal("NewSlack(ftp) = nil, want an error")
	}
	checkNoSecret(t, "NewSlack error", err.Error(), "s3cretWebhookPath")
}

func TestNewSlack_invalid(t *testing.T) {
	for name, opts := range map[string]SlackOptions{
		"nothing":      {},
		"both":         {WebhookURL: "https://hooks.slack.com/x", Token: "xoxb-1", Channel: "C1"},
		"no channel":   {Token: "xoxb-1"},
		"bad mention":  {WebhookURL: "https://hooks.slack.com/x", Mention: "@channel"},
		"link mention": {WebhookURL: "https://hooks.slack.com/x", Mention: "<https://evil|click>"},
		"bad url":      {WebhookURL: "hooks.slack.com/x"},
	} {
		if _, err := NewSlack(opts); err == nil || !delivery.IsPermanent(err) {
			t.Errorf("NewSlack(%s) = %v, want a permanent error", name, err)
		}
	}
	if _, err := NewSlack(SlackOptions{WebhookURL: "https://hooks.slack.com/x", Mention: "<!here> <@U1> <!subteam^S9>"}); err != nil {
		t.Errorf("NewSlack(several mentions) = %v", err)
	}
}

func TestCutSlack(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"a&lt;b", 3, "a…"},
		{"ab&amp;", 6, "ab…"},
		{"ab&amp;cd", 8, "ab&amp;…"},
	} {
		if got := cutSlack(tt.in, tt.max); got != tt.want {
			t.Errorf("cutSlack(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
