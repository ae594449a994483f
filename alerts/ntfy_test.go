package alerts

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

func newTestNtfy(tb testing.TB, opts NtfyOptions) *Ntfy {
	tb.Helper()
	n, err := NewNtfy(opts)
	if err != nil {
		tb.Fatalf("NewNtfy() = %v", err)
	}
	return n
}

// ntfyBody decodes a JSON publication.
func ntfyBody(tb testing.TB, body []byte) ntfyMessage {
	tb.Helper()
	var m ntfyMessage
	if err := json.Unmarshal(body, &m); err != nil {
		tb.Fatalf("ntfy body %s: %v", body, err)
	}
	return m
}

// TestNtfy_Notify: a notification is published as JSON to the server's
// root (a path prefix kept), the topic in the body: the title needs no
// header encoding, which ntfy decodes only from 2.4.
func TestNtfy_Notify(t *testing.T) {
	rc := newReceiver(t, nil)
	n := newTestNtfy(t, NtfyOptions{URL: rc.URL + "/ntfy/sentinel-alerts", Token: "tk_secret"})
	if err := n.Notify(context.Background(), incident()); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	got := rc.only(t)
	if got.Method != http.MethodPost || got.Path != "/ntfy/" {
		t.Errorf("request = %s %s, want POST /ntfy/", got.Method, got.Path)
	}
	for k, want := range map[string]string{
		"Authorization": "Bearer tk_secret",
		"Content-Type":  "application/json",
		"User-Agent":    delivery.UserAgent,
		"Title":         "",
	} {
		if v := got.Header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	m := ntfyBody(t, got.Body)
	want := ntfyMessage{Topic: "sentinel-alerts", Priority: 5, Tags: []string{"rotating_light"},
		Title:   "web-1: Sign-ups at 241/s from 2,310 addresses (normal 0.1/s) — signup-burst, signup-spread, traffic-spike",
		Message: Summary(incident(), alert.Sanitize)}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
	if !strings.Contains(m.Message, "site web-1 · env=prod") || strings.ContainsAny(m.Message, "\x1b\u202e") {
		t.Errorf("message = %q, want the site and no raw control characters", m.Message)
	}
}

func TestNtfy_NotifyResolved(t *testing.T) {
	rc := newReceiver(t, nil)
	n := newTestNtfy(t, NtfyOptions{URL: rc.URL + "/t"})
	if err := n.Notify(context.Background(), resolved()); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	got := rc.only(t)
	if got.Path != "/" || got.Header.Get("Authorization") != "" {
		t.Errorf("request to %s with Authorization %q", got.Path, got.Header.Get("Authorization"))
	}
	m := ntfyBody(t, got.Body)
	if m.Topic != "t" || m.Priority != 2 || m.Tags[0] != "white_check_mark" || m.Title != "Resolved after 1m9s: signup-burst peaked at 241/s from 4,812 addresses" {
		t.Errorf("message = %+v", m)
	}
}

func TestNtfyPriority(t *testing.T) {
	quiet := incident()
	quiet.Incident.Update, quiet.Incident.Quiet = 1, true
	blip := incident()
	blip.State = alert.Resolved
	over := blip
	over.Incident = &alert.Incident{Update: 1}
	reminder := incident()
	reminder.Reminder = 2
	warn := incident()
	warn.Severity = alert.Warning
	for _, tt := range []struct {
		name string
		a    alert.Alert
		want int
	}{
		{"critical page", incident(), 5}, {"warning page", warn, 4}, {"info", alert.Alert{Severity: alert.Info, State: alert.Firing}, 3},
		{"quiet update", quiet, 2}, {"reminder", reminder, 3}, {"resolution", over, 2}, {"lone resolution", resolved(), 2},
		{"came and went within the wait", blip, 5},
	} {
		if got := NtfyPriority(tt.a); got != tt.want {
			t.Errorf("NtfyPriority(%s) = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestNewNtfy_noTopic(t *testing.T) {
	for _, u := range []string{"https://ntfy.sh", "https://ntfy.sh/"} {
		if _, err := NewNtfy(NtfyOptions{URL: u}); err == nil || !strings.Contains(err.Error(), "no topic") {
			t.Errorf("NewNtfy(%q) = %v, want an error naming the missing topic", u, err)
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
		body, _ := io.ReadAll(r.Body)
		_, _ = w.Write([]byte("denied " + r.URL.Path + " " + r.Header.Get("Authorization") + " " + string(body)))
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
