package alerts

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// TestAudit_redirectNotFollowed checks README's Delivery promise that a
// 3xx is a failure not retried ("redirects are not followed, give the
// final URL"), for every HTTP notifier: the redirect's target is never
// asked and the error is permanent.
func TestAudit_redirectNotFollowed(t *testing.T) {
	for _, code := range []int{http.StatusFound, http.StatusPermanentRedirect} {
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/moved" {
				_, _ = w.Write([]byte(`{"ok":true,"ts":"1.2"}`))
				return
			}
			http.Redirect(w, r, "/moved", code)
		})
		notifiers := map[string]Notifier{
			"slack webhook": newTestSlack(t, SlackOptions{WebhookURL: rc.URL + webhookPath}),
			"slack bot":     newTestSlack(t, SlackOptions{Token: "xoxb-1", Channel: "C1", APIURL: rc.URL + "/"}),
			"ntfy":          newTestNtfy(t, NtfyOptions{URL: rc.URL + "/topic"}),
			"webhook":       newTestWebhook(t, WebhookOptions{URL: rc.URL + "/hook"}),
		}
		for name, n := range notifiers {
			err := n.Notify(context.Background(), firing())
			if err == nil || !delivery.IsPermanent(err) {
				t.Errorf("%d %s: Notify() = %v, want a permanent error", code, name, err)
			}
		}
		for _, r := range rc.requests() {
			if r.Path == "/moved" {
				t.Errorf("%d: the redirect was followed (%s %s)", code, r.Method, r.Path)
			}
		}
	}
}

// TestAudit_emailEnvRecipients checks README's SENTINEL_EMAIL_TO promise
// ("several recipients comma-separated") against a real SMTP server on
// loopback: one mail reaches every recipient, each in its To header.
func TestAudit_emailEnvRecipients(t *testing.T) {
	srv := startSMTPServer(t, smtpPlain)
	env := map[string]string{
		EnvSMTPURL: srv.URL("smtp+insecure", "", ""), EnvEmailFrom: "sentinel@example.com",
		EnvEmailTo: "ops@example.com, oncall@example.org,,",
	}
	routes, err := RoutesFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil || len(routes) != 1 {
		t.Fatalf("RoutesFromEnv() = %v, %v; want the email route", routes, err)
	}
	if err := routes[0].Notifier.Notify(context.Background(), emailAlert()); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	mails := srv.Mails()
	if len(mails) != 1 {
		t.Fatalf("server got %d mails, want 1", len(mails))
	}
	if got := strings.Join(mails[0].To, " "); got != "ops@example.com oncall@example.org" {
		t.Errorf("RCPT TO %q, want both recipients", got)
	}
	hdr, _, _ := strings.Cut(string(mails[0].Data), "\r\n\r\n")
	for _, r := range []string{"ops@example.com", "oncall@example.org"} {
		if !strings.Contains(hdr, r) {
			t.Errorf("headers lack %s:\n%s", r, hdr)
		}
	}
}
