package daemon

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/server"
	"github.com/sentinel-dev/sentinel/state"
)

// TestDaemon_actionBeforeSave: the action's request leaves before the
// state that holds its firing is saved — the save waits here until the
// flag service has the request, which would never come if the request
// waited for the save — and a crash at that moment (the state on disk
// is the one saved before the firing) makes the restarted daemon read
// the flood's lines again and repeat the request under the same
// idempotency key, which the flag service dedupes.
func TestDaemon_actionBeforeSave(t *testing.T) {
	fs := testutil.NewFlagServer(t, "hmac-key")
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	stateDir, crashDir := filepath.Join(dir, "state"), filepath.Join(dir, "crash")
	cfg := actionsConfig(t, fs.URL, fs.URL)
	cfg.Actions = cfg.Actions[:1] // signups-off
	opts := Options{Config: cfg, Sources: []Source{{Pattern: path, Format: "auto"}}, StateDir: stateDir, FromStart: true,
		Checkpoint: 10 * time.Millisecond}

	in, err := os.ReadFile(filepath.Join("..", "samples", "signup-flood.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(in), "\n")
	before := 0 // the lines before the flood
	for before < len(lines) && !strings.Contains(lines[before], "[27/Nov/2026:01:20:") {
		before++
	}

	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	crashed := make(chan bool, 1)
	d.beforeSave = func() { // under the daemon's lock, in its loop
		if len(d.act.Episodes()) == 0 {
			return // a save before the firing
		}
		once.Do(func() {
			deadline := time.Now().Add(10 * time.Second) // far longer than a request takes
			for len(fs.Requests()) == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			copyDir(t, stateDir, crashDir) // what a crash here leaves on disk
			crashed <- len(fs.Requests()) > 0
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v", err)
		}
	}

	w := newLogWriter(t, path)
	if _, err := w.f.WriteString(strings.Join(lines[:before], "")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the state saved before the flood", func() bool {
		st, err := state.Load(stateDir)
		return err == nil && st != nil && st.Engine != nil && st.Engine.Events == uint64(before)
	})
	if _, err := w.f.WriteString(strings.Join(lines[before:], "")); err != nil {
		t.Fatal(err)
	}
	var sent bool
	select {
	case sent = <-crashed:
	case <-time.After(30 * time.Second):
		t.Fatal("no save after the firing")
	}
	waitFor(t, "the flag off", func() bool { return !fs.On() })
	stop()
	if !sent {
		t.Fatal("the state was saved before the action's request was made")
	}
	if first := applies(fs.Requests()); len(first) != 1 {
		t.Fatalf("applies = %+v, want one", first)
	}

	// The restart from the crash's state: the flood is read again.
	opts.StateDir = crashDir
	d2, stop2 := start(t, opts)
	defer stop2()
	waitFor(t, "every line", func() bool { return d2.Events() == uint64(len(lines)-1) })
	// The repeat (a revert may come between or after: the log's time
	// moves on while it is quiet).
	waitFor(t, "the request repeated", func() bool { return len(applies(fs.Requests())) >= 2 })
	reqs := applies(fs.Requests())
	if reqs[1].Key != reqs[0].Key || reqs[1].Body != reqs[0].Body {
		t.Errorf("after the crash: request %q with key %q, want the same as before the crash: %q with %q",
			reqs[1].Body, reqs[1].Key, reqs[0].Body, reqs[0].Key)
	}
	if st := d2.Status(); len(st.Latency) != len(server.LatencyStages) || st.Latency[0].Samples == 0 || st.Latency[1].Samples != 1 {
		t.Errorf("status latency = %+v, want every stage, with the firing's read_to_transition and its request's wait", st.Latency)
	}
}

// applies are the requests that apply a remedy, not those that revert it.
func applies(reqs []testutil.FlagRequest) []testutil.FlagRequest {
	return slices.DeleteFunc(reqs, func(r testutil.FlagRequest) bool { return !strings.HasSuffix(r.Key, ":apply") })
}

// copyDir copies the regular files of src into dst.
func copyDir(tb testing.TB, src, dst string) {
	tb.Helper()
	if err := os.MkdirAll(dst, 0o700); err != nil {
		tb.Error(err)
		return
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		tb.Error(err)
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			tb.Error(err)
			continue
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			tb.Error(err)
		}
	}
}

// TestDaemon_notificationLatency: each notification delivered is timed
// from the earliest transition it tells (the flood's first firing, for
// the incident's first page); the status shows it.
func TestDaemon_notificationLatency(t *testing.T) {
	hook := testutil.NewReceiver(t)
	env := func(name string) (string, bool) {
		if name == alerts.EnvWebhookURL {
			return hook.URL, true
		}
		return "", false
	}
	cfg := config.Default()
	if err := cfg.AddEnvNotifiers(env); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	d, stop := start(t, Options{Config: cfg, Sources: []Source{{Pattern: path, Format: "auto"}}, StateDir: filepath.Join(dir, "state"),
		FromStart: true, Host: "web-1"})
	defer stop()
	began := time.Now()
	n := copySample(t, filepath.Join("..", "samples", "signup-flood.log"), path)
	waitForLong(t, "every line", time.Minute, func() bool { return d.Events() == uint64(n) })
	waitFor(t, "the page", func() bool { return len(hook.Requests()) > 0 })
	waitFor(t, "its latency", func() bool { return d.Status().Latency[3].Samples > 0 })
	l := d.Status().Latency[3]
	delivered := len(hook.Requests())
	if l.Stage != server.LatencyTransitionToNotification || l.Samples < 1 || l.Samples > delivered {
		t.Errorf("latency = %+v, want %s of each notification (%d delivered)", l, server.LatencyTransitionToNotification, delivered)
	}
	// The first page tells signup-burst's firing, made after the test
	// began.
	if max := time.Since(began).Seconds(); l.P50 <= 0 || l.P99 > max {
		t.Errorf("transition_to_notification p50 %.3fs, p99 %.3fs; want within the %.3fs the test took", l.P50, l.P99, max)
	}
}
