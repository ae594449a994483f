package actions

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/delivery"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// TestManager_runNowRevertNow: a person's run makes the request of an
// action in dry run for real (its dry-run episode becomes real), past its
// cooldown, and not twice; the pause holds it back; a revert now undoes
// it while its rule fires; a dry run has nothing to revert.
func TestManager_runNowRevertNow(t *testing.T) {
	fs := testutil.NewFlagServer(t, "k")
	do, _ := NewWebhook(WebhookOptions{Method: "PATCH", URL: fs.URL + "/api/flags/signups", Body: `{"enabled": false}`, Secret: "k"})
	undo, _ := NewWebhook(WebhookOptions{Method: "PATCH", URL: fs.URL + "/api/flags/signups", Body: `{"enabled": true}`, Secret: "k"})
	act := &Action{Name: "signups-off", Rules: []string{"signup-burst"}, Do: do, Undo: undo, RevertAfter: 10 * time.Minute,
		Cooldown: time.Hour, DryRun: true}
	m := NewManager(Options{Actions: []*Action{act}, MinBackoff: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	wait := func(c <-chan Entry) Entry {
		t.Helper()
		select {
		case e := <-c:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no entry")
		}
		return Entry{}
	}

	if _, err := m.RevertNow("signups-off", at(0), "a link"); !errors.Is(err, ErrNotOn) {
		t.Errorf("RevertNow with nothing on = %v, want ErrNotOn", err)
	}
	if _, err := m.RunNow("nope", fire("signup-burst", at(0)), "a link"); !errors.Is(err, ErrNoAction) {
		t.Errorf("RunNow(nope) = %v", err)
	}
	m.Handle(fire("signup-burst", at(0))) // dry run: logged only
	deadline := time.Now().Add(10 * time.Second)
	for ep, _ := m.Episode("signups-off"); ep.Status != StatusOn; ep, _ = m.Episode("signups-off") {
		if time.Now().After(deadline) {
			t.Fatal("dry run episode not on")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(fs.Requests()) != 0 || m.Blocked("signups-off", at(time.Minute)) == "" {
		t.Fatal("dry run made a request, or no cooldown counted")
	}
	m.Pause()
	if _, err := m.RunNow("signups-off", fire("signup-burst", at(time.Minute)), "a link"); !errors.Is(err, ErrPaused) {
		t.Errorf("RunNow paused = %v", err)
	}
	m.Resume()
	c, err := m.RunNow("signups-off", fire("signup-burst", at(time.Minute)), "the link sent to slack")
	if err != nil {
		t.Fatal(err)
	}
	if e := wait(c); e.Outcome != delivery.OK || e.Phase != Apply || e.By != "the link sent to slack" || e.Status != 200 {
		t.Errorf("run entry %+v", e)
	}
	if reqs := fs.Requests(); len(reqs) != 1 || !reqs[0].Signed || fs.On() {
		t.Fatalf("requests %+v", reqs)
	}
	if ep, _ := m.Episode("signups-off"); ep.DryRun || ep.Status != StatusOn || !ep.HasRevert {
		t.Errorf("episode %+v, want a real one on", ep)
	}
	if _, err := m.RunNow("signups-off", fire("signup-burst", at(2*time.Minute)), "a link"); !errors.Is(err, ErrOn) {
		t.Errorf("RunNow while on = %v, want ErrOn", err)
	}
	// The kill switch holds back runs, not reverts: undoing a remedy is
	// what a paused operator may still want (README, "Kill switch").
	m.Pause()
	c, err = m.RevertNow("signups-off", at(3*time.Minute), "a link") // signup-burst still fires
	if err != nil {
		t.Fatalf("RevertNow paused = %v, want the revert made", err)
	}
	if e := wait(c); e.Outcome != delivery.OK || e.Phase != Revert {
		t.Errorf("revert entry %+v", e)
	}
	if !fs.On() {
		t.Error("flag still off after the revert")
	}
	if _, on := m.Episode("signups-off"); on {
		t.Error("episode still open after the revert")
	}
}
