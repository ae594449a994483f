package actions

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/delivery"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// runManager starts m.Run and stops it at the end of the test.
func runManager(t *testing.T, m *Manager) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitFor polls cond until it holds (the requests run in their own
// goroutines); it fails after a long deadline, never asserting speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitEpisode waits until the manager's one episode has status; it
// waits on the manager's state, never on a side effect such as a request
// the flag service saw (the manager may not have taken its answer yet).
func waitEpisode(t *testing.T, m *Manager, status string) {
	t.Helper()
	waitFor(t, "the episode "+status, func() bool {
		eps := m.Episodes()
		return len(eps) == 1 && eps[0].Status == status
	})
}

func liveAction(t *testing.T, url string, mod func(*Action)) *Action {
	do, err := NewWebhook(WebhookOptions{Method: "PATCH", URL: url, Body: `{"enabled": false}`, Secret: "k"})
	if err != nil {
		t.Fatal(err)
	}
	undo, err := NewWebhook(WebhookOptions{Method: "PATCH", URL: url, Body: `{"enabled": true}`, Secret: "k"})
	if err != nil {
		t.Fatal(err)
	}
	a := &Action{Name: "signups-off", Rules: []string{"signup-burst"}, Do: do, Undo: undo, RevertAfter: time.Minute, Retries: 3}
	if mod != nil {
		mod(a)
	}
	return a
}

func TestManager_Run(t *testing.T) {
	t.Run("503 retried, then the flag flips, and back", func(t *testing.T) {
		fs := testutil.NewFlagServer(t, "k", 503, 503)
		audit := NewAudit(filepath.Join(t.TempDir(), "audit.jsonl"))
		m := NewManager(Options{Actions: []*Action{liveAction(t, fs.URL+"/flags/signups", nil)}, Audit: audit, MinBackoff: time.Millisecond})
		runManager(t, m)
		m.Handle(fire("signup-burst", t0))
		waitEpisode(t, m, StatusOn)
		m.Handle(resolve("signup-burst", t0.Add(time.Minute)))
		m.Advance(t0.Add(2 * time.Minute))
		waitFor(t, "the revert", func() bool { return len(m.Episodes()) == 0 })
		reqs := fs.Requests()
		if len(reqs) != 4 || reqs[0].Status != 503 || reqs[1].Status != 503 || reqs[2].Status != 200 || reqs[3].Body != `{"enabled": true}` {
			t.Fatalf("requests = %+v, want 503, 503, 200 (off), 200 (on)", reqs)
		}
		if reqs[0].Key != reqs[2].Key || reqs[2].Key == reqs[3].Key || !reqs[3].Signed {
			t.Errorf("keys %q %q %q: retries share one, the revert has its own; signed %v", reqs[0].Key, reqs[2].Key, reqs[3].Key, reqs[3].Signed)
		}
		var outcomes []string
		for _, e := range audit.Recent() {
			outcomes = append(outcomes, string(e.Phase)+" "+string(e.Outcome))
		}
		if want := "[apply retrying apply retrying apply ok revert ok]"; fmtSlice(outcomes) != want {
			t.Errorf("audit = %v, want %s", outcomes, want)
		}
		if !fs.On() {
			t.Error("flag left off")
		}
	})
	t.Run("400 not retried", func(t *testing.T) {
		fs := testutil.NewFlagServer(t, "k", 400)
		m := NewManager(Options{Actions: []*Action{liveAction(t, fs.URL, nil)}, MinBackoff: time.Millisecond})
		runManager(t, m)
		m.Handle(fire("signup-burst", t0))
		waitFor(t, "the failure", func() bool { return len(m.Episodes()) == 0 })
		if reqs := fs.Requests(); len(reqs) != 1 {
			t.Errorf("requests = %+v, want one", reqs)
		}
	})
	t.Run("retries give up", func(t *testing.T) {
		fs := testutil.NewFlagServer(t, "k", 503, 503, 503)
		m := NewManager(Options{Actions: []*Action{liveAction(t, fs.URL, func(a *Action) { a.Retries = 1 })}, MinBackoff: time.Millisecond})
		runManager(t, m)
		m.Handle(fire("signup-burst", t0))
		waitFor(t, "the failure", func() bool { return len(m.Episodes()) == 0 })
		if reqs := fs.Requests(); len(reqs) != 2 {
			t.Errorf("requests = %+v, want two (one retry)", reqs)
		}
	})
	t.Run("dry run makes no request", func(t *testing.T) {
		fs := testutil.NewFlagServer(t, "k")
		audit := NewAudit("")
		m := NewManager(Options{Actions: []*Action{liveAction(t, fs.URL, nil)}, DryRun: true, Audit: audit})
		runManager(t, m)
		m.Handle(fire("signup-burst", t0))
		m.Handle(resolve("signup-burst", t0.Add(time.Second)))
		waitEpisode(t, m, StatusOn) // the dry apply done: audited, then the episode on
		m.Advance(t0.Add(time.Hour))
		waitFor(t, "the dry revert", func() bool { return len(m.Episodes()) == 0 })
		if reqs := fs.Requests(); len(reqs) != 0 {
			t.Errorf("requests = %+v, want none", reqs)
		}
		if r := audit.Recent(); r[0].Outcome != delivery.DryRun || r[1].Outcome != delivery.DryRun {
			t.Errorf("audit = %+v", r)
		}
	})
}

func fmtSlice(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}

// reverting starts a manager whose flag service answers statuses (after
// a first request answered as usual: the apply), applies the flag flip at
// t0, resolves it at t0+1m once the remedy is on, and makes the revert
// due at t0+20m; it returns once the service has seen requests requests.
func reverting(t *testing.T, backoff time.Duration, requests int, statuses ...int) (*Manager, *testutil.FlagServer) {
	t.Helper()
	fs := testutil.NewFlagServer(t, "k", append([]int{0}, statuses...)...)
	m := NewManager(Options{Actions: []*Action{liveAction(t, fs.URL, nil)}, MinBackoff: backoff, MaxBackoff: backoff})
	runManager(t, m)
	m.Handle(fire("signup-burst", t0))
	waitEpisode(t, m, StatusOn) // not the request the service saw: the manager may not have its answer yet
	m.Handle(resolve("signup-burst", t0.Add(time.Minute)))
	m.Advance(t0.Add(20 * time.Minute))
	waitFor(t, "revert attempts", func() bool { return len(fs.Requests()) >= requests })
	return m, fs
}

// TestManager_Run_revertFailures: a revert retrying on 503s is given up
// when its rule fires again (the remedy stays on, applied once); a revert
// refused with a 4xx leaves the episode listed as revert_failed.
func TestManager_Run_revertFailures(t *testing.T) {
	t.Run("fired again during the retries", func(t *testing.T) {
		m, fs := reverting(t, 50*time.Millisecond, 3, 503, 503, 503, 503, 503, 503, 503, 503)
		m.Handle(fire("signup-burst", t0.Add(30*time.Minute)))
		waitEpisode(t, m, StatusOn) // the revert given up
		n := len(fs.Requests())
		m.Advance(t0.Add(35 * time.Minute))
		for _, r := range fs.Requests()[:n] {
			if r.Method == "PATCH" && r.Status == 200 && strings.Contains(r.Body, "true") {
				t.Errorf("the revert went through while the rule fired: %+v", r)
			}
		}
		if eps := m.Episodes(); len(eps) != 1 || len(eps[0].Firing) != 1 {
			t.Errorf("episodes = %+v, want the remedy on, its rule firing", eps)
		}
	})
	t.Run("fired and resolved again during the retries", func(t *testing.T) {
		m, fs := reverting(t, 50*time.Millisecond, 2, 503, 503, 503)
		m.Handle(fire("signup-burst", t0.Add(30*time.Minute)))
		// Resolved again before the retry loop notices the firing.
		m.Handle(resolve("signup-burst", t0.Add(31*time.Minute)))
		waitEpisode(t, m, StatusOn) // the revert given up
		if eps := m.Episodes(); !eps[0].RevertAt.Equal(t0.Add(32 * time.Minute)) {
			t.Fatalf("episode = %+v, want its revert due a minute (revert_after) after the second resolve", eps[0])
		}
		m.Advance(t0.Add(32 * time.Minute))
		waitFor(t, "the revert", func() bool { return len(m.Episodes()) == 0 })
		if !fs.On() {
			t.Error("flag left off")
		}
	})
	t.Run("refused while the rule fires again", func(t *testing.T) {
		m, _ := reverting(t, 100*time.Millisecond, 2, 503, 403)
		m.Handle(fire("signup-burst", t0.Add(30*time.Minute)))
		waitFor(t, "the revert ended", func() bool {
			eps := m.Episodes()
			return len(eps) == 1 && eps[0].Status != StatusReverting
		})
		if eps := m.Episodes(); eps[0].Status != StatusOn {
			t.Errorf("status %s, want on: the rule fires, the remedy stays", eps[0].Status)
		}
	})
	t.Run("refused", func(t *testing.T) {
		fs := testutil.NewFlagServer(t, "k", 0, 403)
		m := NewManager(Options{Actions: []*Action{liveAction(t, fs.URL, nil)}, MinBackoff: time.Millisecond})
		runManager(t, m)
		m.Handle(fire("signup-burst", t0))
		waitEpisode(t, m, StatusOn)
		m.Handle(resolve("signup-burst", t0.Add(time.Minute)))
		m.Advance(t0.Add(20 * time.Minute))
		waitEpisode(t, m, StatusRevertFailed)
		if st := m.Status(); len(st.Episodes) != 1 || st.Episodes[0].Status != StatusRevertFailed {
			t.Errorf("status = %+v, want the remedy listed as revert_failed", st.Episodes)
		}
		// Tried again once its rules fire and go quiet again
		// (docs/actions.md); the flag service takes it this time.
		m.Handle(fire("signup-burst", t0.Add(30*time.Minute)))
		waitEpisode(t, m, StatusOn)
		m.Handle(resolve("signup-burst", t0.Add(31*time.Minute)))
		m.Advance(t0.Add(60 * time.Minute))
		waitFor(t, "the revert tried again", func() bool { return len(m.Episodes()) == 0 })
		if !fs.On() {
			t.Error("flag left off after the second revert")
		}
	})
}

// TestManager_Run_latency: an application's first attempt is timed from
// its Handle to the request, and from the request to its answer (a 503
// is one); its retries and its revert are not; a refused connection has
// no answer.
func TestManager_Run_latency(t *testing.T) {
	var mu sync.Mutex
	var got []Timing
	record := func(tm Timing) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, tm)
	}
	timings := func() []Timing {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}

	fs := testutil.NewFlagServer(t, "k", 503)
	m := NewManager(Options{Actions: []*Action{liveAction(t, fs.URL+"/flags/signups", nil)}, MinBackoff: time.Millisecond, Latency: record})
	runManager(t, m)
	handled := time.Now()
	m.Handle(fire("signup-burst", t0))
	waitEpisode(t, m, StatusOn)
	answered := time.Now()
	m.Handle(resolve("signup-burst", t0.Add(time.Minute)))
	m.Advance(t0.Add(2 * time.Minute))
	waitFor(t, "the revert", func() bool { return len(m.Episodes()) == 0 })
	reqs := fs.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want a 503, the apply, the revert", len(reqs))
	}
	tms := timings()
	if len(tms) != 1 {
		t.Fatalf("timings = %+v, want one: the first attempt of the apply", tms)
	}
	tm := tms[0]
	if arrived := reqs[0].At.Sub(handled); tm.Action != "signups-off" || tm.Waited < 0 || tm.Waited > arrived {
		t.Errorf("timing = %+v, want signups-off, waited at most the %v from Handle to the request's arrival", tm, arrived)
	}
	if tm.Answered <= 0 || tm.Waited+tm.Answered > answered.Sub(handled) {
		t.Errorf("timing = %+v, want an answer (the 503) within the %v from Handle to the episode on", tm, answered.Sub(handled))
	}

	// Nobody listens: no answer.
	mu.Lock()
	got = nil
	mu.Unlock()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	m = NewManager(Options{Actions: []*Action{liveAction(t, closed.URL+"/flags/signups", func(a *Action) { a.Retries = 0 })},
		Latency: record})
	runManager(t, m)
	m.Handle(fire("signup-burst", t0))
	waitFor(t, "the apply given up", func() bool { return len(m.Episodes()) == 0 })
	if tms := timings(); len(tms) != 1 || tms[0].Answered != 0 {
		t.Errorf("timings = %+v, want one without an answer", tms)
	}
}
