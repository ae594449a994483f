package alerts

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// sentAt is the wall time the notifier tests send at.
var sentAt = time.Date(2026, 11, 27, 1, 20, 2, 0, time.UTC)

func newTestWebhook(tb testing.TB, opts WebhookOptions) *Webhook {
	tb.Helper()
	opts.Now = func() time.Time { return sentAt }
	w, err := NewWebhook(opts)
	if err != nil {
		tb.Fatalf("NewWebhook() = %v", err)
	}
	return w
}

func TestWebhook_Notify(t *testing.T) {
	rc := newReceiver(t, nil)
	w := newTestWebhook(t, WebhookOptions{
		URL:     rc.URL + "/hooks/sentinel",
		Secret:  "shared-secret",
		Headers: map[string]string{"Authorization": "Bearer recv", "X-Sentinel-Timestamp": "1", "User-Agent": "evil"},
	})
	if err := w.Notify(context.Background(), firing()); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	got := rc.only(t)
	if got.Method != http.MethodPost || got.Path != "/hooks/sentinel" {
		t.Errorf("request = %s %s, want POST /hooks/sentinel", got.Method, got.Path)
	}
	for k, want := range map[string]string{
		"Content-Type":           "application/json",
		"User-Agent":             "sentinel",
		"Authorization":          "Bearer recv",
		delivery.TimestampHeader: "1795742402",
		delivery.SignatureHeader: delivery.Sign([]byte("shared-secret"), "1795742402", got.Body),
		"X-Not-Requested":        "",
	} {
		if v := got.Header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	want := `{"version":1,"alert":{"rule":"signup-burst","state":"firing","time":"2026-11-27T01:20:01Z","value":8,` +
		`"threshold":1,"clear":0.8,"unit":"/s","severity":"critical","since":"2026-11-27T01:20:01Z","group_by":"client_ip",` +
		`"keys":[{"key":"203.0.113.7","count":3,"error":1},{"key":"198.51.100.1","count":2}],"distinct_of":"client_ip",` +
		`"distinct":4812,"count":240,"resolve_at":0,"current":240,"peak":0,` +
		`"samples":["203.0.113.7 - - [27/Nov/2026:01:20:00 +0000] \"POST /users/register HTTP/1.1\" 302 76 \"-\" \"\u001b[31mbot` + "\u202e" + `\""],` +
		`"window_seconds":30},"sent_at":"2026-11-27T01:20:02Z"}`
	if diff := cmp.Diff(want, string(got.Body)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	ts, sig := got.Header.Get(delivery.TimestampHeader), got.Header.Get(delivery.SignatureHeader)
	if !delivery.VerifySignature("shared-secret", ts, got.Body, sig) {
		t.Errorf("delivery.VerifySignature(body as sent) = false, want true")
	}
	tampered := []byte(strings.Replace(string(got.Body), `"value":8`, `"value":9`, 1))
	for name, ok := range map[string]bool{
		"tampered body":  delivery.VerifySignature("shared-secret", ts, tampered, sig),
		"other time":     delivery.VerifySignature("shared-secret", "1795742403", got.Body, sig),
		"wrong secret":   delivery.VerifySignature("other-secret", ts, got.Body, sig),
		"no prefix":      delivery.VerifySignature("shared-secret", ts, got.Body, strings.TrimPrefix(sig, "sha256=")),
		"empty secret":   delivery.VerifySignature("", ts, got.Body, delivery.Sign(nil, ts, got.Body)),
		"empty header":   delivery.VerifySignature("shared-secret", ts, got.Body, ""),
		"sha1 lookalike": delivery.VerifySignature("shared-secret", ts, got.Body, "sha1="+strings.TrimPrefix(sig, "sha256=")),
	} {
		if ok {
			t.Errorf("delivery.VerifySignature(%s) = true, want false", name)
		}
	}
}

func TestWebhook_NotifyUnsigned(t *testing.T) {
	rc := newReceiver(t, nil)
	w := newTestWebhook(t, WebhookOptions{URL: rc.URL})
	if err := w.Notify(context.Background(), resolved()); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	got := rc.only(t)
	if s := got.Header.Get(delivery.SignatureHeader); s != "" {
		t.Errorf("header %s = %q without a secret, want none", delivery.SignatureHeader, s)
	}
	var body struct {
		Version int         `json:"version"`
		Alert   alert.Alert `json:"alert"`
	}
	if err := json.Unmarshal(got.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Version != 1 || body.Alert.State != alert.Resolved || body.Alert.Peak != 241 {
		t.Errorf("body = %s, want version 1, a resolved alert with peak 241", got.Body)
	}
}

func TestWebhook_errors(t *testing.T) {
	cases := append(errorCases,
		errorCase{"429 date", status(429, "", "Retry-After", "Fri, 27 Nov 2026 01:20:32 GMT"), false, 30 * time.Second},
		errorCase{"400 permanent", status(400, "bad request"), true, -1},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, tc.respond)
			w := newTestWebhook(t, WebhookOptions{URL: rc.URL})
			checkErrorCase(t, tc, w.Notify(context.Background(), firing()))
		})
	}
}

func TestWebhook_errorBody(t *testing.T) {
	long := "\x1b[2J" + strings.Repeat("x", 500)
	rc := newReceiver(t, status(422, long))
	w := newTestWebhook(t, WebhookOptions{URL: rc.URL})
	err := w.Notify(context.Background(), firing())
	if !delivery.IsPermanent(err) {
		t.Fatalf("Notify() = %v, want a permanent error", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "\x1b") || !strings.Contains(msg, `\x1b[2Jxxx`) || strings.Count(msg, "x") > delivery.MaxQuotedBytes {
		t.Errorf("Notify() error = %q, want the body cut to %d bytes and escaped", msg, delivery.MaxQuotedBytes)
	}
}

// TestWebhook_secrets checks that neither the URL's userinfo and query
// nor the signing secret show in any error, even when the receiver echoes
// the request URL back.
func TestWebhook_secrets(t *testing.T) {
	const pw, key, secret = "hunter2pw", "s3cretkey", "signing-secret"
	echo := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte("bad " + r.URL.String() + " " + r.Header.Get("Authorization")))
	}
	for name, base := range map[string]string{
		"401 echo":    newReceiver(t, echo).URL,
		"unreachable": unreachableURL(t),
	} {
		t.Run(name, func(t *testing.T) {
			u := strings.Replace(base, "http://", "http://sentinel:"+pw+"@", 1) + "/hook?token=" + key
			w := newTestWebhook(t, WebhookOptions{URL: u, Secret: secret})
			err := w.Notify(context.Background(), firing())
			if err == nil {
				t.Fatal("Notify() = nil, want an error")
			}
			basic := base64.StdEncoding.EncodeToString([]byte("sentinel:" + pw))
			checkNoSecret(t, "error", err.Error(), pw, key, secret, basic, "/hook")
			if !strings.Contains(err.Error(), "REDACTED@127.0.0.1:") || !strings.Contains(err.Error(), "/REDACTED:") {
				t.Errorf("Notify() error = %q, want the redacted URL in it", err)
			}
		})
	}
	_, err := NewWebhook(WebhookOptions{URL: "http://x:" + pw + "@bad host/?token=" + key})
	if err == nil {
		t.Fatal("NewWebhook(bad URL) = nil, want an error")
	}
	checkNoSecret(t, "NewWebhook error", err.Error(), pw, key)
}

func TestWebhook_timeout(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	w := newTestWebhook(t, WebhookOptions{URL: rc.URL, Timeout: 50 * time.Millisecond})
	err := w.Notify(context.Background(), firing())
	if !errors.Is(err, context.DeadlineExceeded) || delivery.IsPermanent(err) {
		t.Errorf("Notify() = %v, want a retryable deadline error", err)
	}
}

func TestNewWebhook_invalid(t *testing.T) {
	for name, opts := range map[string]WebhookOptions{
		"no url":       {},
		"scheme":       {URL: "ftp://example.com/x"},
		"no host":      {URL: "http:///x"},
		"header name":  {URL: "http://example.com", Headers: map[string]string{"Bad Name": "x"}},
		"header value": {URL: "http://example.com", Headers: map[string]string{"X-A": "a\r\nBcc: x"}},
	} {
		if _, err := NewWebhook(opts); err == nil {
			t.Errorf("NewWebhook(%s) = nil error, want one", name)
		}
	}
}

// TestWebhook_incident: a notification's body carries its lead rule in
// "alert", with the site and labels, and the whole incident — key, state,
// update, the headline a phone shows and every rule — in "incident"; its
// Idempotency-Key names the incident and the notification.
func TestWebhook_incident(t *testing.T) {
	rc := newReceiver(t, nil)
	if err := newTestWebhook(t, WebhookOptions{URL: rc.URL}).Notify(context.Background(), incident()); err != nil {
		t.Fatal(err)
	}
	got := rc.only(t)
	var body struct {
		Alert struct {
			Rule, Site string
			Labels     map[string]string
			Incident   any
		}
		Incident struct {
			Key, State, Headline string
			Update               int
			Alerts               []struct {
				Rule          string
				WindowSeconds float64 `json:"window_seconds"`
			}
		}
	}
	if err := json.Unmarshal(got.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Alert.Rule != "signup-burst" || body.Alert.Site != "web-1" || body.Alert.Labels["env"] != "prod" || body.Alert.Incident != nil {
		t.Errorf("alert = %+v, want the lead with the site and labels, the incident beside it", body.Alert)
	}
	inc := body.Incident
	if inc.Key != "signup-burst@1795742401" || inc.State != "firing" || inc.Update != 0 || len(inc.Alerts) != 3 ||
		inc.Alerts[2].Rule != "traffic-spike" || inc.Alerts[2].WindowSeconds != 60 {
		t.Errorf("incident = %+v", inc)
	}
	if want := "web-1: Sign-ups at 241/s from 2,310 addresses (normal 0.1/s) — signup-burst, signup-spread, traffic-spike"; inc.Headline != want {
		t.Errorf("headline = %q, want %q", inc.Headline, want)
	}
	if k := got.Header.Get(delivery.IdempotencyHeader); k != "signup-burst_1795742401:firing:u0" {
		t.Errorf("Idempotency-Key = %q", k)
	}
}
