package alerts

import (
	"context"
	"net/http"
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
