package config

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// TestAudit_webhookHeadersReachReceiver checks README's reference config
// end to end: a webhook notifier's headers: (X-Team: ops) and secret:
// reach the receiver on every notification, from the config as parsed.
func TestAudit_webhookHeadersReachReceiver(t *testing.T) {
	var mu sync.Mutex
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Clone()
		mu.Unlock()
	}))
	defer srv.Close()
	text := oneRule + `
notifiers:
  - name: flags
    type: webhook
    url: ` + srv.URL + `/sentinel
    secret: k
    headers: {X-Team: ops}
    rules: [r]
    timeout: 5s
`
	c, err := Parse("x.yaml", []byte(text), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Notifiers) != 1 {
		t.Fatalf("got %d notifiers, want 1", len(c.Notifiers))
	}
	a := alert.Alert{Rule: "r", Severity: alert.Warning, State: alert.Firing, Time: time.Unix(1795742400, 0)}
	if err := c.Notifiers[0].Route.Notifier.Notify(context.Background(), a); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if v := got.Get("X-Team"); v != "ops" {
		t.Errorf("X-Team = %q, want ops (headers: from the config)", v)
	}
	if got.Get("X-Sentinel-Signature") == "" {
		t.Errorf("no X-Sentinel-Signature: the config's secret did not sign the body (headers %v)", got)
	}
}
