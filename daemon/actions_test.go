package daemon

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// actionsConfig keeps the embedded rules and adds a flag flip on
// signup-burst (signed, revert after 10 minutes of quiet) and a
// block-list POST on signup-burst that the receiver refuses (400).
func actionsConfig(t *testing.T, flagURL, blockURL string) *config.Config {
	t.Helper()
	text := fmt.Sprintf(`
actions:
  - name: signups-off
    rules: [signup-burst]
    webhook:
      method: PATCH
      url: %[1]s/api/flags/signups
      body: '{"enabled": false, "rule": {{json .Rule}}}'
      secret: hmac-key
    revert:
      body: '{"enabled": true}'
    revert_after: 10m
  - name: block
    rules: [signup-burst]
    webhook:
      url: %[2]s/api/blocklist
      body: '{"ips": {{json .Keys}}}'
      secret: hmac-key
    revert: {method: DELETE}
`, flagURL, blockURL)
	cfg, err := config.Parse("actions.yaml", []byte(text), os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// copySample appends the lines of a sample log to path, a few hundred at
// a time, as a web server would write them (but faster than their time
// stamps: the daemon follows the log's own clock).
func copySample(t *testing.T, sample, path string) int {
	t.Helper()
	in, err := os.Open(sample)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	w := newLogWriter(t, path)
	sc := bufio.NewScanner(in)
	var chunk strings.Builder
	n := 0
	for sc.Scan() {
		chunk.WriteString(sc.Text() + "\n")
		if n++; n%500 == 0 {
			if _, err := w.f.WriteString(chunk.String()); err != nil {
				t.Fatal(err)
			}
			chunk.Reset()
			time.Sleep(5 * time.Millisecond) // let the tailer see several writes
		}
	}
	if _, err := w.f.WriteString(chunk.String()); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDaemon_actionsEndToEnd replays the sample sign-up flood through the
// live daemon against a flag service on loopback: the flag goes off once,
// within a second of the alert, with a verified signature and an
// idempotency key (a 503 first: retried); it comes back on once the rule
// has been quiet for 10 minutes of log time; the block list's 400 is not
// retried. Every attempt is in the audit log and the status.
func TestDaemon_actionsEndToEnd(t *testing.T) {
	fs := testutil.NewFlagServer(t, "hmac-key", 503)
	bl := testutil.NewFlagServer(t, "hmac-key") // answers 400 to a body without "enabled"
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	stateDir := filepath.Join(dir, "state")
	var rec recorder
	d, stop := start(t, Options{Config: actionsConfig(t, fs.URL, bl.URL), Sources: []Source{{Pattern: path, Format: "auto"}},
		StateDir: stateDir, FromStart: true, Emit: rec.emit, ActionBackoff: 10 * time.Millisecond})
	n := copySample(t, filepath.Join("..", "samples", "signup-flood.log"), path)
	waitFor(t, "every line", func() bool { return d.Events() == uint64(n) })
	waitFor(t, "the flag back on", func() bool {
		for _, r := range fs.Requests() {
			if r.Path == "/api/flags/signups" && r.Status == 200 && strings.Contains(r.Body, `"enabled": true`) {
				return true
			}
		}
		return false
	})
	st := d.Status()
	stop()

	a, alertAt, fired := rec.first("signup-burst", alert.Firing)
	if fired != 1 {
		t.Fatalf("signup-burst fired %d times, want once", fired)
	}
	flag, block := fs.Requests(), bl.Requests()
	// 503 (retried), 200 off, 200 on.
	if len(flag) != 3 || flag[0].Status != 503 || flag[1].Status != 200 || flag[2].Status != 200 {
		t.Fatalf("flag requests = %+v, want 503, 200 (off), 200 (on)", flag)
	}
	off, on := flag[1], flag[2]
	if off.Method != "PATCH" || off.Body != `{"enabled": false, "rule": "signup-burst"}` || !off.Signed || !on.Signed {
		t.Errorf("off = %+v, on = %+v", off, on)
	}
	wantKey := fmt.Sprintf("signups-off:signup-burst:%d:apply", a.Time.Unix())
	if flag[0].Key != wantKey || off.Key != wantKey || on.Key != strings.Replace(wantKey, "apply", "revert", 1) {
		t.Errorf("idempotency keys %q, %q, %q; want %q on both attempts of the apply", flag[0].Key, off.Key, on.Key, wantKey)
	}
	latency := off.At.Sub(alertAt)
	t.Logf("flag off %v after the alert was emitted (one 503 retried in between)", latency.Round(time.Millisecond))
	if latency > time.Second {
		t.Errorf("flag off %v after the alert, want within a second", latency)
	}
	if fs.On() != true {
		t.Error("flag left off")
	}
	// The block list refused the request: one attempt, no revert.
	if len(block) != 1 || block[0].Status != 400 {
		t.Errorf("block-list requests = %+v, want one 400, not retried", block)
	}

	// The audit log, in the state dir.
	f, err := os.Open(filepath.Join(stateDir, AuditFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e actions.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		got = append(got, fmt.Sprintf("%s %s %s %d", e.Action, e.Phase, e.Outcome, e.Status))
	}
	want := []string{"block apply failed 400", "signups-off apply retrying 503", "signups-off apply ok 200", "signups-off revert ok 200"}
	slices.Sort(got)
	slices.Sort(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant (in any order):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st.Actions == nil || len(st.Actions.Actions) != 2 || len(st.Actions.Recent) != 4 {
		t.Errorf("status actions = %+v", st.Actions)
	}
}

// fakeClock is a wall clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestDaemon_actionRevertAfterRestart: the flag is flipped off, the
// daemon stops while the rule still fires, and comes back 20 minutes
// later (on its injected clock): the rule resolves on the quiet logs and
// the flag is flipped back on, though no line came since.
func TestDaemon_actionRevertAfterRestart(t *testing.T) {
	fs := testutil.NewFlagServer(t, "hmac-key")
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	clock := &fakeClock{t: time.Date(2026, 11, 27, 1, 25, 0, 0, time.UTC)}
	cfg := actionsConfig(t, fs.URL, fs.URL)
	cfg.Actions = cfg.Actions[:1]
	opts := Options{Config: cfg, Sources: []Source{{Pattern: path, Format: "auto"}}, StateDir: filepath.Join(dir, "state"),
		FromStart: true, Now: clock.now, ActionBackoff: 10 * time.Millisecond}

	// The attack's first 40 seconds only: the rule is still firing.
	in, err := os.ReadFile(filepath.Join("..", "samples", "signup-flood.log"))
	if err != nil {
		t.Fatal(err)
	}
	var head strings.Builder
	lines := 0
	for _, l := range strings.SplitAfter(string(in), "\n") {
		if strings.Contains(l, "27/Nov/2026:01:20:4") {
			break
		}
		head.WriteString(l)
		lines++
	}
	if err := os.WriteFile(path, []byte(head.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	d1, stop1 := start(t, opts)
	waitFor(t, "the flag off", func() bool { return !fs.On() && len(d1.Status().Actions.Episodes) == 1 })
	// Every line read before the stop: lines read after the restart would
	// restart the log's clock from the injected one, which stands still.
	waitFor(t, "every line", func() bool { return d1.Events() == uint64(lines) })
	waitFor(t, "the episode saved", func() bool {
		st, err := os.ReadFile(filepath.Join(dir, "state", "state.json"))
		return err == nil && strings.Contains(string(st), `"status":"on"`)
	})
	stop1()
	if n := len(fs.Requests()); n != 1 {
		t.Fatalf("%d requests before the restart, want the apply only", n)
	}

	clock.add(20 * time.Minute) // sentinel was down for 20 minutes
	d2, stop2 := start(t, opts) // restores the episode; its first tick resolves the rule and reverts
	defer stop2()
	waitFor(t, "the flag back on", fs.On)
	reqs := fs.Requests()
	if len(reqs) != 2 || reqs[1].Body != `{"enabled": true}` || !reqs[1].Signed {
		t.Errorf("requests = %+v, want the apply, then the revert", reqs)
	}
	waitFor(t, "the episode closed", func() bool { return len(d2.Status().Actions.Episodes) == 0 })
}
