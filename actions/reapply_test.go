package actions

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// heldFlag is a flag service whose reverts ({"enabled": true}) wait until
// release is closed: a revert is in flight while alerts come.
type heldFlag struct {
	srv     *httptest.Server
	release chan struct{}
	mu      sync.Mutex
	bodies  []string
}

func newHeldFlag(t *testing.T) *heldFlag {
	h := &heldFlag{release: make(chan struct{})}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, string(b))
		h.mu.Unlock()
		if strings.Contains(string(b), "true") {
			<-h.release
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// action is the flag flip against h, changed by mod.
func (h *heldFlag) action(t *testing.T, mod func(*Action)) *Action {
	return flagAction(t, func(a *Action) {
		a.Do, _ = NewWebhook(WebhookOptions{Method: "PATCH", URL: h.srv.URL, Body: `{"enabled": false}`})
		a.Undo, _ = NewWebhook(WebhookOptions{Method: "PATCH", URL: h.srv.URL, Body: `{"enabled": true}`})
		if mod != nil {
			mod(a)
		}
	})
}

func (h *heldFlag) requests() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.bodies...)
}

// TestManager_reapplyAfterRevert: a rule fires again while the revert is
// in flight, then resolves, and another rule of the action fires; the
// revert goes through and the remedy is applied again for the rule that
// fires. Once that rule resolves too, the remedy is reverted: the
// re-apply must not count the rule that had resolved as firing (it did,
// and the remedy stayed on for good, past max_duration).
func TestManager_reapplyAfterRevert(t *testing.T) {
	h := newHeldFlag(t)
	act := h.action(t, func(a *Action) { a.RevertAfter, a.Cooldown, a.MaxPerHour, a.MaxPerDay = time.Minute, 0, 0, 0 })
	m := NewManager(Options{Actions: []*Action{act}, MinBackoff: time.Millisecond})
	runManager(t, m)
	m.Handle(fire("signup-burst", at(0)))
	waitEpisode(t, m, StatusOn)
	m.Handle(resolve("signup-burst", at(time.Minute)))
	m.Advance(at(2*time.Minute + time.Second)) // past revert_after: the revert, held
	waitEpisode(t, m, StatusReverting)
	waitFor(t, "the revert's request", func() bool { return len(h.requests()) >= 2 })
	m.Handle(fire("signup-burst", at(3*time.Minute)))    // wanted again, mid-revert
	m.Handle(resolve("signup-burst", at(4*time.Minute))) // and over
	m.Handle(fire("signup-spread", at(5*time.Minute)))   // the other rule
	close(h.release)                                     // the revert goes through; applied again
	waitFor(t, "the remedy applied again after the revert", func() bool { return len(h.requests()) >= 3 })
	waitEpisode(t, m, StatusOn)
	if ep, _ := m.Episode("signups-off"); len(ep.Firing) != 1 || ep.Firing[0] != "signup-spread" {
		t.Errorf("re-applied episode fires %v, want [signup-spread] alone", ep.Firing)
	}
	m.Handle(resolve("signup-spread", at(6*time.Minute)))
	m.Advance(at(8 * time.Minute))
	waitFor(t, "the remedy reverted", func() bool { _, on := m.Episode("signups-off"); return !on })
	if reqs := h.requests(); len(reqs) != 4 || !strings.Contains(reqs[3], "true") {
		t.Errorf("requests %q, want apply, revert, apply, revert", reqs)
	}
}

// TestManager_restoreRevertCutOff: the daemon stopped while a revert's
// request was under way and a rule of the action had fired again (the
// saved episode is reverting, with that rule firing and the firing to
// re-apply). After the restart the revert is not made while the rule
// fires: the remedy is applied again, since the cut-off revert may have
// reached the service. Before, the revert was made again, with the rule
// firing.
func TestManager_restoreRevertCutOff(t *testing.T) {
	h := newHeldFlag(t)
	close(h.release)
	act := h.action(t, nil)
	again := fire("signup-burst", at(13*time.Minute))
	saved := State{Episodes: []*Episode{{Action: "signups-off", Alert: fire("signup-burst", at(0)), Status: StatusReverting,
		HasRevert: true, Applied: at(0), Firing: []string{"signup-burst"}, Reapply: &again}}}
	m := NewManager(Options{Actions: []*Action{act}, MinBackoff: time.Millisecond})
	m.Restore(saved)
	m.Reconcile([]string{"signup-burst"}, at(14*time.Minute))
	runManager(t, m)
	waitEpisode(t, m, StatusOn)
	time.Sleep(50 * time.Millisecond) // nothing more may be sent
	if reqs := h.requests(); len(reqs) != 1 || !strings.Contains(reqs[0], "false") {
		t.Errorf("requests %q, want the remedy applied again, and no revert while the rule fires", reqs)
	}
	if ep, _ := m.Episode("signups-off"); len(ep.Firing) != 1 || !ep.Applied.Equal(again.Time) {
		t.Errorf("episode %+v, want applied again at %v, signup-burst firing", ep, again.Time)
	}
}

// TestManager_reloadMendsRevert: a revert retrying against a broken
// endpoint takes the action's reloaded definition at its next attempt
// (docs/actions.md: "a broken revert can be mended that way"); before, it
// kept retrying the old one until a restart.
func TestManager_reloadMendsRevert(t *testing.T) {
	var mu sync.Mutex
	broken, mended := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/old/undo":
			broken++
			http.Error(w, "upstream down", http.StatusServiceUnavailable)
		case "/new/undo":
			mended++
		}
	}))
	defer srv.Close()
	action := func(undo string) *Action {
		return flagAction(t, func(a *Action) {
			a.Do, _ = NewWebhook(WebhookOptions{Method: "PATCH", URL: srv.URL + "/do", Body: `{"enabled": false}`})
			a.Undo, _ = NewWebhook(WebhookOptions{Method: "PATCH", URL: srv.URL + undo, Body: `{"enabled": true}`})
			a.RevertAfter = time.Minute
		})
	}
	m := NewManager(Options{Actions: []*Action{action("/old/undo")}, MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	runManager(t, m)
	m.Handle(fire("signup-burst", at(0)))
	waitEpisode(t, m, StatusOn)
	m.Handle(resolve("signup-burst", at(time.Minute)))
	m.Advance(at(3 * time.Minute))
	waitFor(t, "the revert retried", func() bool { mu.Lock(); defer mu.Unlock(); return broken >= 3 })
	m.SetActions([]*Action{action("/new/undo")}, at(4*time.Minute))
	waitFor(t, "the remedy reverted", func() bool { _, on := m.Episode("signups-off"); return !on })
	mu.Lock()
	defer mu.Unlock()
	if mended != 1 {
		t.Errorf("the mended revert was made %d times, want once", mended)
	}
}

// TestManager_reapplyHonoursPause: a rule fires again while the revert
// is in flight, and the operator pauses actions before it goes through:
// the revert stands and the remedy is not applied again (the pause holds
// back every run; reverts still work).
func TestManager_reapplyHonoursPause(t *testing.T) {
	h := newHeldFlag(t)
	act := h.action(t, func(a *Action) { a.RevertAfter = time.Minute })
	var mu sync.Mutex
	var outcomes []delivery.Outcome
	m := NewManager(Options{Actions: []*Action{act}, MinBackoff: time.Millisecond,
		Outcome: func(_ string, o delivery.Outcome) { mu.Lock(); outcomes = append(outcomes, o); mu.Unlock() }})
	runManager(t, m)
	m.Handle(fire("signup-burst", at(0)))
	waitEpisode(t, m, StatusOn)
	m.Handle(resolve("signup-burst", at(time.Minute)))
	m.Advance(at(2*time.Minute + time.Second))
	waitFor(t, "the revert in flight", func() bool { return len(h.requests()) == 2 })
	m.Handle(fire("signup-burst", at(3*time.Minute)))
	m.Pause()
	close(h.release)
	waitFor(t, "the revert through, nothing on", func() bool { _, on := m.Episode("signups-off"); return !on })
	time.Sleep(50 * time.Millisecond)
	if reqs := h.requests(); len(reqs) != 2 {
		t.Errorf("requests %q, want the apply and the revert only", reqs)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []delivery.Outcome{delivery.OK, delivery.OK, delivery.Skipped}; !slices.Equal(outcomes, want) {
		t.Errorf("outcomes %v, want %v: the apply, the revert, the re-apply skipped for the pause", outcomes, want)
	}
}
