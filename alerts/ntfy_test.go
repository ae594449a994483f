package alerts

import (
	"context"
	"encoding/base64"
	"mime"
	"net/http"
	"strings"
	"testing"

	"github.com/sentinel-dev/sentinel/alert"
)

func newTestNtfy(tb testing.TB, opts NtfyOptions) *Ntfy {
	tb.Helper()
	n, err := NewNtfy(opts)
	if err != nil {
		tb.Fatalf("NewNtfy() = %v", err)
	}
	return n
}

// decodedHeader returns a header value with its RFC 2047 words decoded,
// as ntfy reads it.
func decodedHeader(tb testing.TB, h http.Header, name string) string {
	tb.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(h.Get(name))
	if err != nil {
		tb.Fatalf("decode header %s %q: %v", name, h.Get(name), err)
	}
	return s
}

func TestNtfy_Notify(t *testing.T) {
	rc := newReceiver(t, nil)
	n := newTestNtfy(t, NtfyOptions{URL: rc.URL + "/sentinel-alerts", Token: "tk_secret"})
	if err := n.Notify(context.Background(), firing()); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	got := rc.only(t)
	if got.Method != http.MethodPost || got.Path != "/sentinel-alerts" {
		t.Errorf("request = %s %s, want POST /sentinel-alerts", got.Method, got.Path)
	}
	for k, want := range map[string]string{
		"Title":         "[critical] signup-burst firing: 8/s ≥ 1/s",
		"Priority":      "5",
		"Tags":          "rotating_light",
		"Authorization": "Bearer tk_secret",
		"Content-Type":  "text/plain; charset=utf-8",
	} {
		if v := decodedHeader(t, got.Header, k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	want := strings.Join([]string{
		"8/s ≥ 1/s over 30s, now 240/s",
		"since 2026-11-27 01:20:01 UTC",
		"240 events from 4,812 distinct client_ip",
		"top client_ip: 203.0.113.7 (2–3), 198.51.100.1 (2)",
		`sample: 203.0.113.7 - - [27/Nov/2026:01:20:00 +0000] "POST /users/register HTTP/1.1" 302 76 "-" "\x1b[31mbot\u202e"`,
	}, "\n")
	if string(got.Body) != want {
		t.Errorf("body =\n%s\nwant\n%s", got.Body, want)
	}
}

func TestNtfy_NotifyResolved(t *testing.T) {
	rc := newReceiver(t, nil)
	n := newTestNtfy(t, NtfyOptions{URL: rc.URL + "/t"})
	if err := n.Notify(context.Background(), resolved()); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	got := rc.only(t)
	for k, want := range map[string]string{
		"Title":         "[critical] signup-burst resolved after 1m9s",
		"Priority":      "2",
		"Tags":          "white_check_mark",
		"Authorization": "",
	} {
		if v := decodedHeader(t, got.Header, k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	if want := "0/s, below 0.8/s; peak 241/s\nfired from 2026-11-27 01:20:01 UTC for 1m9s"; string(got.Body) != want {
		t.Errorf("body = %q, want %q", got.Body, want)
	}
}

func TestNtfyPriority(t *testing.T) {
	for _, tt := range []struct {
		sev   alert.Severity
		state alert.State
		want  string
	}{
		{alert.Critical, alert.Firing, "5"}, {alert.Warning, alert.Firing, "4"}, {alert.Info, alert.Firing, "3"}, {alert.Critical, alert.Resolved, "2"},
	} {
		if got := NtfyPriority(alert.Alert{Severity: tt.sev, State: tt.state}); got != tt.want {
			t.Errorf("NtfyPriority(%s %s) = %q, want %q", tt.sev, tt.state, got, tt.want)
		}
	}
}

func TestNtfy_errors(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, tc.respond)
			checkErrorCase(t, tc, newTestNtfy(t, NtfyOptions{URL: rc.URL + "/t"}).Notify(context.Background(), firing()))
		})
	}
}

// TestNtfy_secrets checks that the topic, the basic-auth password and the
// token show in no error, even when the server echoes them back.
func TestNtfy_secrets(t *testing.T) {
	const pw, topic, token = "hunter2pw", "topic-7f3a9c", "tk_s3cret"
	echo := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("denied " + r.URL.Path + " " + r.Header.Get("Authorization")))
	}
	for name, base := range map[string]string{
		"403 echo":    newReceiver(t, echo).URL,
		"unreachable": unreachableURL(t),
	} {
		t.Run(name, func(t *testing.T) {
			u := strings.Replace(base, "http://", "http://me:"+pw+"@", 1) + "/" + topic
			err := newTestNtfy(t, NtfyOptions{URL: u, Token: token}).Notify(context.Background(), firing())
			if err == nil {
				t.Fatal("Notify() = nil, want an error")
			}
			basic := base64.StdEncoding.EncodeToString([]byte("me:" + pw))
			checkNoSecret(t, "error", err.Error(), pw, topic, token, basic)
		})
	}
}
