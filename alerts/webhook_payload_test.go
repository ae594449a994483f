package alerts

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// TestWebhook_reminderAndIncidentFields: docs/json.md, "The webhook
// notifier's body": "alert" carries "reminder: N" on a reminder; the
// incident holds key, state, since, time, update, quiet, headline,
// alerts, new, inhibited and silenced; the Idempotency-Key is
// KEY:STATE:uN of the incident's notification, or RULE:STATE:UNIX-TIME
// for a lone alert, "with :rN on the Nth reminder".
func TestWebhook_reminderAndIncidentFields(t *testing.T) {
	rc := newReceiver(t, nil)
	w := newTestWebhook(t, WebhookOptions{URL: rc.URL})
	inc := incident()
	inc.Reminder, inc.Time = 2, at.Add(2*time.Hour)
	inc.Incident.Update, inc.Incident.Quiet = 3, true
	inc.Incident.New, inc.Incident.Inhibited, inc.Incident.Silenced = []string{"traffic-spike"}, []string{"5xx-surge"}, []string{"client-flood"}
	lone := firing()
	lone.Reminder, lone.Time = 1, at.Add(time.Hour)
	if err := w.Notify(context.Background(), inc); err != nil {
		t.Fatal(err)
	}
	if err := w.Notify(context.Background(), lone); err != nil {
		t.Fatal(err)
	}
	reqs := rc.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	var body struct {
		Alert    map[string]any
		Incident map[string]any
	}
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Alert["reminder"] != 2.0 {
		t.Errorf("alert.reminder = %v, want 2 on the second reminder", body.Alert["reminder"])
	}
	for _, k := range []string{"key", "state", "since", "time", "update", "quiet", "headline", "alerts", "new", "inhibited", "silenced"} {
		if _, ok := body.Incident[k]; !ok {
			t.Errorf("incident lacks %q: %s", k, reqs[0].Body)
		}
	}
	if body.Incident["update"] != 3.0 || body.Incident["quiet"] != true || body.Incident["since"] != "2026-11-27T01:20:01Z" {
		t.Errorf("incident = %v", body.Incident)
	}
	for i, want := range []string{"signup-burst_1795742401:firing:u3:r2", "signup-burst:firing:1795746001:r1"} {
		if k := reqs[i].Header.Get(delivery.IdempotencyHeader); k != want {
			t.Errorf("Idempotency-Key of request %d = %q, want %q", i, k, want)
		}
	}
	var loneBody map[string]any
	if err := json.Unmarshal(reqs[1].Body, &loneBody); err != nil {
		t.Fatal(err)
	}
	if a, _ := loneBody["alert"].(map[string]any); a["reminder"] != 1.0 || loneBody["incident"] != nil {
		t.Errorf("lone reminder body = %s, want alert.reminder 1 and no incident", reqs[1].Body)
	}
}
