package actions

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

func TestWebhook_Do(t *testing.T) {
	fs := testutil.NewFlagServer(t, "s3cret-key")
	w, err := NewWebhook(WebhookOptions{Method: "patch", URL: fs.URL + "/api/flags/{{.Action}}",
		Body: `{"enabled": false, "reason": {{json .Rule}}, "ips": {{json .Keys}}}`, Secret: "s3cret-key",
		Headers: map[string]string{"Authorization": "Bearer tok-123456789"}})
	if err != nil {
		t.Fatal(err)
	}
	c := Call{Action: "signups", Phase: Apply, Key: "k1", Alert: fire(`signup-"burst"`, t0)}
	res, err := w.Do(context.Background(), c)
	if err != nil || res.Status != 200 || res.Output != `{"flag":"signups"}` {
		t.Fatalf("Do() = %+v, %v", res, err)
	}
	got := fs.Requests()[0]
	got.At = time.Time{}
	want := testutil.FlagRequest{Method: "PATCH", Path: "/api/flags/signups", Key: "k1", Signed: true, Status: 200,
		Body: `{"enabled": false, "reason": "signup-\"burst\"", "ips": ["203.0.113.7"]}`}
	if got != want {
		t.Errorf("request = %+v\nwant      %+v", got, want)
	}
	if s := w.String(); s != "PATCH "+fs.URL+"/api/flags/{{.Action}}" {
		t.Errorf("String() = %q", s)
	}
}

func TestWebhook_errors(t *testing.T) {
	for _, tt := range []struct {
		status    int
		permanent bool
	}{{503, false}, {500, false}, {429, false}, {400, true}, {404, true}} {
		fs := testutil.NewFlagServer(t, "", tt.status)
		w, err := NewWebhook(WebhookOptions{URL: fs.URL + "/flag?token=tok-SECRET", Body: `{"enabled": false}`})
		if err != nil {
			t.Fatal(err)
		}
		res, err := w.Do(context.Background(), Call{Key: "k"})
		if err == nil || res.Status != tt.status || delivery.IsPermanent(err) != tt.permanent {
			t.Errorf("HTTP %d: Do() = %+v, %v; want permanent %v", tt.status, res, err, tt.permanent)
		}
		if err != nil && strings.Contains(err.Error(), "tok-SECRET") {
			t.Errorf("HTTP %d: error leaks the token: %v", tt.status, err)
		}
	}
	// A network error is retryable and keeps the secret out too.
	w, _ := NewWebhook(WebhookOptions{URL: "http://127.0.0.1:1/flag?token=tok-SECRET", Timeout: time.Second})
	if _, err := w.Do(context.Background(), Call{}); err == nil || delivery.IsPermanent(err) || strings.Contains(err.Error(), "tok-SECRET") {
		t.Errorf("connection refused: %v", err)
	}
}

func TestNewWebhook_invalid(t *testing.T) {
	for _, tt := range []struct {
		opts WebhookOptions
		want string
	}{
		{WebhookOptions{}, "url: missing"},
		{WebhookOptions{URL: "ftp://x/y"}, "url scheme"},
		{WebhookOptions{URL: "https://x/{{.Nope}}"}, "url: template"},
		{WebhookOptions{URL: "https://x/", Body: "{{json .Keys"}, "body:"},
		{WebhookOptions{URL: "https://x/", Method: "GE T"}, "method"},
		{WebhookOptions{URL: "https://x/", Headers: map[string]string{"X-A": "a\nb"}}, "control characters"},
	} {
		if _, err := NewWebhook(tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewWebhook(%+v) = %v, want an error with %q", tt.opts, err, tt.want)
		}
	}
}

func TestShowURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.machines.dev/v1/apps/my-app/machines/1/stop": "https://api.machines.dev/v1/apps/my-app/machines/1/stop",
		"https://u:pw@flags.example.com/f?token=abc":              "https://REDACTED@flags.example.com/f?REDACTED",
		"https://x/{{.Rule}}?k=1":                                 "https://x/{{.Rule}}?REDACTED",
		"https://admin:PW@x/{{.Rule}}":                            "https://REDACTED@x/{{.Rule}}",
		"::":                                                      "REDACTED",
	} {
		if got := ShowURL(in); got != want {
			t.Errorf("ShowURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWebhook_noRedirect(t *testing.T) {
	var gets int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			gets++
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusMovedPermanently)
	}))
	defer srv.Close()
	w, _ := NewWebhook(WebhookOptions{Method: "PATCH", URL: srv.URL + "/flag", Body: `{"enabled": false}`})
	res, err := w.Do(context.Background(), Call{})
	if err == nil || !delivery.IsPermanent(err) || res.Status != 301 || gets != 0 {
		t.Errorf("Do() = %+v, %v (GETs %d); want a permanent error, the redirect not followed", res, err, gets)
	}
}

func TestWebhook_echoedTokenRedacted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		http.Error(w, "invalid token "+tok, http.StatusUnauthorized)
	}))
	defer srv.Close()
	w, _ := NewWebhook(WebhookOptions{URL: srv.URL, Headers: map[string]string{"Authorization": "Bearer sk_live_SECRET99"}})
	_, err := w.Do(context.Background(), Call{})
	if err == nil || strings.Contains(err.Error(), "SECRET99") || !strings.Contains(err.Error(), "invalid token REDACTED") {
		t.Errorf("Do() error = %v, want the echoed token redacted", err)
	}
}

func TestTemplate_ips(t *testing.T) {
	tpl, err := ParseTemplate("t", `{{join (ips .Keys) ","}}`)
	if err != nil {
		t.Fatal(err)
	}
	a := alert.Alert{Keys: []alert.KeyCount{{Key: "203.0.113.7"}, {Key: "1.2.3.4 }; flush ruleset; {"}, {Key: "-x"},
		{Key: "2001:db8::1"}, {Key: "198.51.100.9/24"}}}
	got, err := render(tpl, Call{Alert: a})
	if want := "203.0.113.7,2001:db8::1,198.51.100.0/24"; err != nil || got != want {
		t.Errorf("ips = %q, %v; want %q", got, err, want)
	}
}
