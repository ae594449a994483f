package daemon

import (
	"context"
	"slices"

	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/source"
	"github.com/sentinel-dev/sentinel/state"
	"github.com/sentinel-dev/sentinel/tailer"
)

// logWriter appends combined lines stamped with the wall clock.
type logWriter struct {
	f *os.File
	n int
}

func newLogWriter(tb testing.TB, path string) *logWriter {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return &logWriter{f: f}
}

func (w *logWriter) line(tb testing.TB, ip, method, path string, status int) {
	tb.Helper()
	w.lineAt(tb, time.Now(), ip, method, path, status)
}

// lineAt appends a line stamped with the given time.
func (w *logWriter) lineAt(tb testing.TB, at time.Time, ip, method, path string, status int) {
	tb.Helper()
	w.n++
	t := at.UTC().Format("02/Jan/2006:15:04:05 -0700")
	if _, err := fmt.Fprintf(w.f, "%s - - [%s] \"%s %s?n=%d HTTP/1.1\" %d 100 \"-\" \"Mozilla/5.0\"\n", ip, t, method, path, w.n, status); err != nil {
		tb.Fatal(err)
	}
}

// normal writes n ordinary page views, spread over d.
func (w *logWriter) normal(tb testing.TB, n int, d time.Duration) {
	for i := range n {
		w.line(tb, fmt.Sprintf("10.0.0.%d", i%20), "GET", "/", 200)
		time.Sleep(d / time.Duration(n))
	}
}

// attack writes sign-up posts at about perSecond for d, from many
// addresses, and returns the wall time of its first line.
func (w *logWriter) attack(tb testing.TB, perSecond int, d time.Duration) time.Time {
	start := time.Now()
	for i := 0; time.Since(start) < d; i++ {
		w.line(tb, fmt.Sprintf("198.51.%d.%d", i/250%250, i%250), "POST", "/users/register", 302)
		if i%(perSecond/20) == 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	return start
}

// recorder collects alert transitions with their wall time.
type recorder struct {
	mu  sync.Mutex
	got []alert.Alert
	at  []time.Time
}

func (r *recorder) emit(a alert.Alert) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got, r.at = append(r.got, a), append(r.at, time.Now())
	return nil
}

func (r *recorder) first(rule string, st alert.State) (alert.Alert, time.Time, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, idx := 0, -1
	for i, a := range r.got {
		if a.Rule == rule && a.State == st {
			if idx < 0 {
				idx = i
			}
			n++
		}
	}
	if idx < 0 {
		return alert.Alert{}, time.Time{}, 0
	}
	return r.got[idx], r.at[idx], n
}

// start runs a daemon on path until the returned stop is called.
func start(tb testing.TB, opts Options) (d *Daemon, stop func()) {
	tb.Helper()
	if opts.Config == nil {
		opts.Config = config.Default()
	}
	d, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	// Run restores the state directory before it tails: a test that hands
	// the daemon an alert (fleetDeliver) before then saves an incident
	// that the restore, coming after, opens a second time. In sentinel
	// the fleet's goroutine starts after the restore.
	for deadline := time.Now().Add(10 * time.Second); ; {
		d.mu.Lock()
		up := d.tl != nil
		d.mu.Unlock()
		if up {
			break
		}
		select {
		case err := <-done: // Run ended before it tailed: stop reports it
			done <- err
			deadline = time.Time{}
		case <-time.After(time.Millisecond):
		}
		if deadline.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatal("the daemon did not start tailing within 10 s")
		}
	}
	return d, func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Run() = %v", err)
		}
	}
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	waitForLong(tb, what, 10*time.Second, cond)
}

// waitForLong polls cond until it holds or d passes: for a whole sample
// read by a daemon built with -race on a busy machine.
func waitForLong(tb testing.TB, what string, d time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDaemon_endToEnd: the daemon follows a file, a writer injects a
// sign-up flood, and the alert comes out; the latency from the first
// attack line to the alert is logged (docs/benchmarks.md).
func TestDaemon_endToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("writes in real time for a few seconds")
	}
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := newLogWriter(t, path)
	var rec recorder
	d, stop := start(t, Options{Sources: []Source{{Pattern: path, Format: "auto"}}, StateDir: filepath.Join(dir, "state"),
		FromStart: true, Emit: rec.emit})
	w.normal(t, 40, 2*time.Second)
	began := w.attack(t, 240, 3*time.Second)
	waitFor(t, "the sign-up alert", func() bool { _, _, n := rec.first("signup-burst", alert.Firing); return n > 0 })
	a, at, _ := rec.first("signup-burst", alert.Firing)
	t.Logf("alert %s %.0f/s, %v after the first attack line was written", a.Rule, a.Current, at.Sub(began).Round(time.Millisecond))
	waitFor(t, "every line", func() bool { return d.Events() == uint64(w.n) })
	st := d.Status()
	if len(st.Sources) != 1 || st.Sources[0].Lines != int64(w.n) || st.Sources[0].Format != "combined" {
		t.Errorf("status sources = %+v, want %d lines", st.Sources, w.n)
	}
	stop()
}

// TestDaemon_restart: stopped in the middle of a burst and started again,
// the daemon counts every line once and sends the burst's alert once.
func TestDaemon_restart(t *testing.T) {
	if testing.Short() {
		t.Skip("writes in real time for a few seconds")
	}
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := newLogWriter(t, path)
	var rec recorder
	opts := Options{Sources: []Source{{Pattern: path, Format: "auto"}}, StateDir: filepath.Join(dir, "state"), FromStart: true, Emit: rec.emit}
	d1, stop1 := start(t, opts)
	w.normal(t, 20, time.Second)
	w.attack(t, 240, 1500*time.Millisecond)
	waitFor(t, "the sign-up alert", func() bool { _, _, n := rec.first("signup-burst", alert.Firing); return n > 0 })
	waitFor(t, "the lines so far", func() bool { return d1.Events() == uint64(w.n) })
	stop1()
	w.attack(t, 240, 1500*time.Millisecond) // written while sentinel is down
	d2, stop2 := start(t, opts)
	w.attack(t, 240, time.Second)
	waitFor(t, "every line", func() bool { return d2.Events() == uint64(w.n) })
	stop2()
	if _, _, n := rec.first("signup-burst", alert.Firing); n != 1 {
		t.Errorf("signup-burst fired %d times, want once across the restart", n)
	}
}

// TestDaemon_reload: a reload with one rule's threshold changed keeps the
// other rules' windows; a broken config is rejected and the old one runs.
func TestDaemon_reload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	cfgPath := filepath.Join(dir, "sentinel.yaml")
	write := func(text string) {
		if err := os.WriteFile(cfgPath, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rules := `
defaults: false
rules:
  - name: posts
    match: {method: POST}
    detector: {type: rate, window: 1m, threshold: %s}
  - name: pages
    match: {method: GET}
    detector: {type: rate, window: 1m, threshold: 1000}
`
	write(fmt.Sprintf(rules, "1000"))
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	w := newLogWriter(t, path)
	var rec recorder
	d, stop := start(t, Options{Config: cfg, Sources: []Source{{Pattern: path, Format: "combined"}}, StateDir: filepath.Join(dir, "state"),
		FromStart: true, Emit: rec.emit, Load: func() (*config.Config, error) { return config.Load(cfgPath) }})
	defer stop()
	for range 30 {
		w.line(t, "10.0.0.1", "POST", "/form", 302)
		w.line(t, "10.0.0.2", "GET", "/", 200)
	}
	waitFor(t, "the lines", func() bool { return d.Events() == uint64(w.n) })
	matched := func(rule string) uint64 {
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, r := range d.eng.Stats().Rules {
			if r.Name == rule {
				return r.Matched
			}
		}
		return 0
	}
	write(fmt.Sprintf(rules, "0.1")) // posts changes; pages does not
	if err := d.Reload(); err != nil {
		t.Fatalf("Reload() = %v", err)
	}
	if got := matched("pages"); got != 30 {
		t.Errorf("pages matched %d after the reload, want its 30 kept", got)
	}
	if got := matched("posts"); got != 0 {
		t.Errorf("posts matched %d after the reload, want a fresh window", got)
	}
	write("rules:\n  - name: broken\n    detector: {type: rate, window: soon, threshold: 1}\n")
	err = d.Reload()
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Reload(broken) = %v, want the config's errors", err)
	}
	if got := matched("pages"); got != 30 {
		t.Errorf("pages matched %d after a rejected reload, want 30", got)
	}
	st := d.Status()
	if len(st.Rules) != 2 || st.Rules[0].Name != "posts" {
		t.Errorf("status rules = %+v, want the reloaded config still running", st.Rules)
	}
}

// TestDaemon_quietAfterRestart: after a restart into a silent log, the
// wall clock still moves the engine: a firing rule resolves and an
// absence fires without waiting for a new line.
func TestDaemon_quietAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("waits on the wall clock")
	}
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	cfg, err := config.Parse("x.yaml", []byte(`
settings: {group_wait: 1s}
rules:
  - name: posts
    match: {method: POST}
    detector: {type: rate, window: 2s, threshold: 5/s}
  - name: silence
    detector: {type: absence, window: 3s}
`), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	w := newLogWriter(t, path)
	var rec recorder
	var mu sync.Mutex
	var paged []string // the notifications of posts, as a phone gets them
	hook := alerts.NotifierFunc(func(_ context.Context, a alert.Alert) error {
		if a.Rule == "posts" {
			mu.Lock()
			paged = append(paged, string(a.State))
			mu.Unlock()
		}
		return nil
	})
	pagedState := func(st string) bool { mu.Lock(); defer mu.Unlock(); return slices.Contains(paged, st) }
	opts := Options{Config: cfg, Sources: []Source{{Pattern: path, Format: "combined"}}, StateDir: filepath.Join(dir, "state"), FromStart: true, Emit: rec.emit,
		Routes: []alerts.Route{{Name: "hook", Notifier: hook}}}
	d1, stop1 := start(t, opts)
	for range 40 {
		w.line(t, "10.0.0.1", "POST", "/f", 302)
	}
	time.Sleep(1100 * time.Millisecond)
	w.line(t, "10.0.0.1", "GET", "/", 200) // moves the log's clock past the burst's second
	waitFor(t, "posts firing", func() bool { _, _, n := rec.first("posts", alert.Firing); return n > 0 })
	waitFor(t, "the lines", func() bool { return d1.Events() == uint64(w.n) })
	waitFor(t, "the page of posts", func() bool { return pagedState("firing") })
	stop1()
	_, stop2 := start(t, opts)
	defer stop2()
	waitFor(t, "posts resolving in the silence", func() bool { _, _, n := rec.first("posts", alert.Resolved); return n > 0 })
	waitFor(t, "the silence noticed", func() bool { _, _, n := rec.first("silence", alert.Firing); return n > 0 })
	// The incident paged before the restart gets its resolution after it.
	waitFor(t, "the resolution of posts delivered after the restart", func() bool { return pagedState("resolved") })
}

// TestDaemon_heldLinesSurviveACrash: lines taken but still held for format
// detection are not behind the saved position: a restart reads them again.
func TestDaemon_heldLinesSurviveACrash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	d, err := New(Options{Config: config.Default(), Sources: []Source{{Pattern: path, Format: "auto"}}, StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(`203.0.113.7 - - [27/Nov/2026:01:20:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`)
	d.mu.Lock()
	for i := range 3 {
		end := int64(len(line)+1) * int64(i+1)
		d.take(tailerLine(path, line, end))
	}
	held := d.positions[tailer.FileID{}].Offset
	d.mu.Unlock()
	if held != 0 {
		t.Errorf("saved position %d while the lines are held for detection, want 0", held)
	}
	d.mu.Lock()
	d.streams[path].lastLine = time.Time{} // quiet: detection settles
	d.quiet(time.Now(), false)
	settled := d.positions[tailer.FileID{}].Offset
	d.mu.Unlock()
	if want := int64(len(line)+1) * 3; settled != want {
		t.Errorf("saved position %d once decoded, want %d", settled, want)
	}
}

// lineSeq returns a function making the successive lines of the file at
// path, each ending where the one before did plus its own length.
func lineSeq(path string) func(string) tailer.Line {
	var end int64
	return func(text string) tailer.Line {
		end += int64(len(text) + 1)
		return tailerLine(path, []byte(text), end)
	}
}

// lockedDaemon returns a daemon on the embedded defaults, following one
// combined log (the path it returns) in a temporary directory, with its
// lock held until the test ends: the test plays the loop.
func lockedDaemon(t *testing.T) (*Daemon, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	d, err := New(Options{Config: config.Default(), Sources: []Source{{Pattern: path, Format: "combined"}}, StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	t.Cleanup(d.mu.Unlock)
	return d, path
}

// TestDaemon_quietWaitsForUnreadLines: while lines are known to be unread
// (a restart's backlog not read to its end),
// the wall clock does not move the log's clock; once they are read, it
// moves by all the time passed. A restart whose first tick came before
// the tailer had read the backlog moved the clock past the backlog's
// first second, and a flood in it fired a second late, under another
// idempotency key.
func TestDaemon_quietWaitsForUnreadLines(t *testing.T) {
	d, path := lockedDaemon(t)
	for i, text := range []string{
		`203.0.113.7 - - [27/Nov/2026:01:19:59 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
		`203.0.113.8 - - [27/Nov/2026:01:19:59 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`,
	} {
		d.take(tailerLine(path, []byte(text), int64(len(text)+1)*int64(i+1)))
	}
	before := d.eng.Clock()
	if before.IsZero() {
		t.Fatal("the lines were not counted")
	}
	now := time.Now()
	d.lastWall = now.Add(-10 * time.Second) // saved 10 s ago, say
	d.quiet(now, true)
	if got := d.eng.Clock(); !got.Equal(before) {
		t.Errorf("clock with lines unread = %s, want %s: it waits for them", got, before)
	}
	d.quiet(now, false)
	if got, want := d.eng.Clock(), before.Add(10*time.Second-inFlight).Truncate(time.Second); got.Before(want) {
		t.Errorf("clock once read = %s, want %s: the 10 s passed (less inFlight)", got, want)
	}
}

// TestDaemon_tickJustAfterASecondWaitsForItsLastLines: on a busy log dated
// to the second, a tick that comes just after a second's end, before the
// tailer handed over that second's last lines, does not move the clock
// past it: the lines are counted on time. It did: the idle time counts
// from the second's first line, so 1.05 s after it the clock went to the
// next second's 0.05, and a fleet node published the second without its
// last lines (the fleet soak's flood counted 214 of 234 once).
func TestDaemon_tickJustAfterASecondWaitsForItsLastLines(t *testing.T) {
	d, path := lockedDaemon(t)
	line := lineSeq(path)
	const at = "27/Nov/2026:01:19:59 +0000"
	d.take(line(`203.0.113.7 - - [` + at + `] "GET / HTTP/1.1" 200 1 "-" "x"`))
	d.take(line(`203.0.113.8 - - [` + at + `] "GET / HTTP/1.1" 200 1 "-" "x"`))
	second := d.eng.Clock()
	first := d.lastWall // the wall time the second's first line was read
	lines := make(chan tailer.Line, 4)
	d.tick(first.Add(1050*time.Millisecond), lines, false) // the tailer has not handed over the rest yet
	if got := d.eng.Clock(); !got.Before(second.Add(time.Second)) {
		t.Fatalf("clock = %s 1.05 s after the second's first line, want within %s: its last lines are still coming", got, second)
	}
	d.take(line(`203.0.113.9 - - [` + at + `] "GET / HTTP/1.1" 200 1 "-" "x"`))
	if st := d.eng.Stats(); st.Late != 0 {
		t.Errorf("%d events late, want 0: the second's last line came 1.05 s after its first", st.Late)
	}
}

// TestDaemon_tickTakesQueuedLines: a tick takes the lines queued for the
// loop before the wall clock moves the log's clock, so a line waiting in
// the queue is not made late; and lines that do not move the clock
// (unparsed here) do not hold the advance back while they keep coming.
func TestDaemon_tickTakesQueuedLines(t *testing.T) {
	d, path := lockedDaemon(t)
	line := lineSeq(path)
	d.take(line(`203.0.113.7 - - [27/Nov/2026:01:19:59 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`))
	d.take(line(`203.0.113.8 - - [27/Nov/2026:01:19:59 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`))
	before := d.eng.Clock()
	lines := make(chan tailer.Line, 4)
	lines <- line(`203.0.113.9 - - [27/Nov/2026:01:20:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`)
	now := time.Now()
	d.lastWall = now.Add(-10 * time.Second)
	d.tick(now, lines, false)
	if len(lines) != 0 {
		t.Fatalf("%d lines left queued", len(lines))
	}
	if got, want := d.eng.Clock(), before.Add(time.Second); !got.Equal(want) {
		t.Errorf("clock = %s, want %s: the queued line is counted before any advance", got, want)
	}

	at := d.eng.Clock()
	for range 3 {
		lines <- line("not a log line")
	}
	d.lastWall = now.Add(-10 * time.Second)
	d.tick(now, lines, false)
	if got, want := d.eng.Clock(), at.Add(10*time.Second-inFlight).Truncate(time.Second); got.Before(want) {
		t.Errorf("clock = %s, want %s: unparsed lines do not hold back the advance", got, want)
	}

	// A line that comes while the tick takes the queue (the loop behind
	// the log) holds the clock until the loop takes it.
	at = d.eng.Clock()
	newer := line(`203.0.113.9 - - [` + at.Add(time.Second).Format("02/Jan/2006:15:04:05 -0700") + `] "GET / HTTP/1.1" 200 1 "-" "x"`)
	d.opts.Tap = func(tailer.Line) {
		if len(lines) == 0 {
			lines <- newer
		}
		d.opts.Tap = nil
	}
	lines <- line("not a log line either")
	d.lastWall = now.Add(-at.Sub(d.lastEvent) - 4*time.Second) // the advance would reach at + 4 s
	d.tick(now, lines, false)
	if len(lines) != 1 {
		t.Fatalf("%d lines queued, want the one that came meanwhile", len(lines))
	}
	if got := d.eng.Clock(); !got.Equal(at) {
		t.Errorf("clock = %s, want %s: it waits for the line queued meanwhile", got, at)
	}
}

// TestDaemon_reloadClosesFiringRule: a rule changed by a reload while it
// fires gets a resolved transition, and the unchanged rules' metrics stay.
func TestDaemon_reloadClosesFiringRule(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "sentinel.yaml")
	text := "defaults: false\nrules:\n  - {name: posts, match: {method: POST}, detector: {type: rate, window: 1m, threshold: %s}}\n  - {name: all, detector: {type: rate, window: 1m, threshold: 0.01}}\n" +
		"actions:\n  - {name: flag, rules: [posts], webhook: {url: 'http://127.0.0.1:1/flag'}, revert: {method: DELETE}}\n"
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(text, "0.01")), 0o644)
	cfg, _ := config.Load(cfgPath)
	var rec recorder
	d, err := New(Options{Config: cfg, StateDir: dir, Emit: rec.emit, Load: func() (*config.Config, error) { return config.Load(cfgPath) }})
	if err != nil {
		t.Fatal(err)
	}
	d.mu.Lock()
	s := source.NewStream("a.log", source.Options{Format: "combined"}, d.observe)
	for i := range 5 {
		s.Line([]byte(fmt.Sprintf(`203.0.113.7 - - [27/Nov/2026:01:20:0%d +0000] "POST / HTTP/1.1" 302 1 "-" "x"`, i)))
	}
	out, notes := d.takePending()
	d.mu.Unlock()
	d.send(out, notes)
	if _, _, n := rec.first("posts", alert.Firing); n != 1 {
		t.Fatalf("posts never fired: %+v", rec.got)
	}
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(text, "99")), 0o644)
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, _, n := rec.first("posts", alert.Resolved); n != 1 {
		t.Errorf("the changed firing rule got no resolved transition: %+v", rec.got)
	}
	if _, _, n := rec.first("all", alert.Resolved); n != 0 {
		t.Errorf("the unchanged rule was resolved")
	}
	// The action posts started sees the episode end: its revert is due.
	if eps := d.act.Episodes(); len(eps) != 1 || len(eps[0].Firing) != 0 || eps[0].RevertAt.IsZero() {
		t.Errorf("episodes after the reload = %+v, want the flag's revert scheduled", eps)
	}
}

// postsOptions are a daemon's options in dir with one rule, "posts",
// which fires on the first POST, and one notifier, hook.
func postsOptions(t *testing.T, dir string, hook alerts.Notifier) Options {
	t.Helper()
	cfg, err := config.Parse("x.yaml", []byte("defaults: false\nrules:\n  - {name: posts, match: {method: POST}, detector: {type: rate, window: 1m, threshold: 0.01}}\n"),
		func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "access.log")
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return Options{Config: cfg, StateDir: dir, Routes: []alerts.Route{{Name: "hook", Notifier: hook}},
		Sources: []Source{{Pattern: logPath, Format: "combined"}}}
}

// TestDaemon_notifierOutage: while the notifier is down the alert waits
// in the dispatcher and in the saved state; after a restart it is
// delivered once the notifier is back.
func TestDaemon_notifierOutage(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	up, delivered := false, 0
	hook := alerts.NotifierFunc(func(ctx context.Context, a alert.Alert) error {
		mu.Lock()
		defer mu.Unlock()
		if !up {
			return errors.New("503 Service Unavailable")
		}
		delivered++
		return nil
	})
	opts := postsOptions(t, dir, hook)
	d1, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	d1.mu.Lock()
	s := source.NewStream("a.log", source.Options{Format: "combined"}, d1.observe)
	for _, sec := range []int{0, 1, 2, 12} { // the last, past the group wait: the incident's notification is due
		s.Line([]byte(fmt.Sprintf(`203.0.113.7 - - [27/Nov/2026:01:20:%02d +0000] "POST / HTTP/1.1" 302 1 "-" "x"`, sec)))
	}
	out, notes := d1.afterBatch() // saves, then hands the notification over
	d1.mu.Unlock()
	d1.send(out, notes)
	st, err := state.Load(dir)
	if err != nil || len(st.Pending) != 1 || st.Pending[0].Rule != "posts" || st.Pending[0].Incident == nil {
		t.Fatalf("saved pending = %+v, %v; want the undelivered notification", st, err)
	}
	// The notifier comes back; a new daemon (after a restart) delivers it.
	mu.Lock()
	up = true
	mu.Unlock()
	_, stop := start(t, opts)
	waitFor(t, "the delivery", func() bool { mu.Lock(); defer mu.Unlock(); return delivered == 1 })
	stop()
	if st, _ := state.Load(dir); len(st.Pending) != 0 {
		t.Errorf("pending after delivery = %+v", st.Pending)
	}
	mu.Lock()
	defer mu.Unlock()
	if delivered != 1 {
		t.Errorf("delivered %d times, want once", delivered)
	}
}

func TestDaemon_silenceSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	hook := alerts.NotifierFunc(func(ctx context.Context, a alert.Alert) error { return nil })
	opts := postsOptions(t, dir, hook)
	d1, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := d1.Silence("post", time.Now().Add(time.Hour)); err == nil || !strings.Contains(err.Error(), `no rule is named "post"`) {
		t.Errorf("Silence(unknown rule) = %v, want refused", err)
	}
	until := time.Now().Add(time.Hour).Truncate(time.Second)
	if err := d1.Silence("posts", until); err != nil {
		t.Fatal(err)
	}
	d1.mu.Lock()
	err = d1.save()
	d1.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	d2, stop := start(t, opts)
	defer stop()
	waitFor(t, "the silence restored", func() bool { return d2.dispatch.Silences()["posts"].Equal(until) })

	noRoutes := opts
	noRoutes.Routes, noRoutes.StateDir = nil, t.TempDir()
	d3, err := New(noRoutes)
	if err != nil {
		t.Fatal(err)
	}
	if err := d3.Silence("posts", until); err == nil {
		t.Error("Silence without notifiers = nil, want an error")
	}
}

// TestDaemon_futureLine: one line dated in 2199 must not move the event
// clock: the flood after it fires, live and after a restart, and a state
// saved with a clock in the future (by an older version) is set aside.
func TestDaemon_futureLine(t *testing.T) {
	if testing.Short() {
		t.Skip("writes in real time for a few seconds")
	}
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	stateDir := filepath.Join(dir, "state")
	w := newLogWriter(t, path)
	var rec recorder
	opts := Options{Sources: []Source{{Pattern: path, Format: "auto"}}, StateDir: stateDir, FromStart: true, Emit: rec.emit}
	d1, stop1 := start(t, opts)
	w.normal(t, 10, 500*time.Millisecond)
	w.lineAt(t, time.Date(2199, 1, 1, 0, 0, 0, 0, time.UTC), "203.0.113.9", "GET", "/", 200)
	w.attack(t, 240, 1500*time.Millisecond)
	waitFor(t, "the sign-up alert after the line dated 2199", func() bool { _, _, n := rec.first("signup-burst", alert.Firing); return n > 0 })
	waitFor(t, "every line", func() bool { return d1.Events() == uint64(w.n) })
	want := "# HELP sentinel_events_future_total Events dated far ahead of this machine's clock (counted at the time they were read) or of the lines around them (not counted): they must not move the event clock.\n" +
		"# TYPE sentinel_events_future_total counter\nsentinel_events_future_total 1\n"
	if err := testutil.GatherAndCompare(d1.Metrics().Registry(), strings.NewReader(want), "sentinel_events_future_total"); err != nil {
		t.Error(err)
	}
	stop1()
	st, err := state.Load(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	if limit := time.Now().Add(time.Minute); st.Engine.Watermark.After(limit) {
		t.Fatalf("saved clock %v is in the future", st.Engine.Watermark)
	}

	// A state whose clock an older version let a future line move.
	st.Engine.Watermark = time.Date(2199, 1, 1, 0, 0, 0, 0, time.UTC)
	st.Engine.Cur = st.Engine.Watermark.UnixNano() / int64(time.Second)
	if err := state.Save(stateDir, st); err != nil {
		t.Fatal(err)
	}
	rec = recorder{}
	d2, stop2 := start(t, opts)
	defer stop2()
	w.normal(t, 5, 200*time.Millisecond)
	w.attack(t, 240, 1500*time.Millisecond)
	waitFor(t, "the sign-up alert after a restart", func() bool { _, _, n := rec.first("signup-burst", alert.Firing); return n > 0 })
	d2.mu.Lock() // the loop owns the engine
	late := d2.eng.Stats().Late
	d2.mu.Unlock()
	if late != 0 {
		t.Errorf("%d events late after the restart, want 0", late)
	}
}

// TestDaemon_rotationMetrics: sentinel_rotations_total is exported for a
// followed file from the start (at 0) and counts a rename rotation; a line
// longer than the limit is counted in lines_skipped{reason="too_long"}.
func TestDaemon_rotationMetrics(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := newLogWriter(t, path)
	d, stop := start(t, Options{Sources: []Source{{Pattern: path, Format: "auto"}}, StateDir: dir, FromStart: true})
	defer stop()
	metric := func(name string, labels map[string]string) (float64, bool) {
		mfs, err := d.Metrics().Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
		next:
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
						continue next
					}
				}
				return m.GetCounter().GetValue(), true
			}
		}
		return 0, false
	}
	rename := map[string]string{"source": path, "kind": "rename"}
	w.normal(t, 20, 100*time.Millisecond)
	waitFor(t, "sentinel_rotations_total exported at 0", func() bool {
		v, ok := metric("sentinel_rotations_total", rename)
		return ok && v == 0
	})
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	w2 := newLogWriter(t, path)
	w2.n = w.n
	w2.normal(t, 10, 100*time.Millisecond)
	fmt.Fprintf(w2.f, "%s\n", strings.Repeat("x", 2<<20)) // over the 1 MiB limit
	w2.normal(t, 5, 50*time.Millisecond)
	waitFor(t, "the rename counted", func() bool {
		v, _ := metric("sentinel_rotations_total", rename)
		return v == 1
	})
	waitFor(t, "the long line counted", func() bool {
		v, _ := metric("sentinel_lines_skipped_total", map[string]string{"source": path, "reason": "too_long"})
		return v == 1
	})
	for _, kind := range []string{"truncate", "recreate"} {
		if v, ok := metric("sentinel_rotations_total", map[string]string{"source": path, "kind": kind}); !ok || v != 0 {
			t.Errorf("sentinel_rotations_total{kind=%q} = %v (exported: %v), want 0", kind, v, ok)
		}
	}
}

// TestDaemon_raisedToCritical: a rule fires as a warning, its failures a
// small share of the minute's log-in posts; once they are 70% of them it
// is raised to critical. The route that takes every severity gets the
// warning, then an update that pages; the critical-only route's first
// notification is that update, "Now critical: …", naming the evidence.
func TestDaemon_raisedToCritical(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse("x.yaml", []byte(`defaults: false
rules:
  - name: failures
    severity: warning
    critical_when: {share: {of: {method: POST}, at_least: 70%}}
    match: {method: POST, status: 401}
    detector: {type: rate, window: 1m, threshold: 3/m}
`), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string][]alert.Alert{}
	route := func(name string, min alert.Severity) alerts.Route {
		return alerts.Route{Name: name, MinSeverity: min, Notifier: alerts.NotifierFunc(func(_ context.Context, a alert.Alert) error {
			mu.Lock()
			defer mu.Unlock()
			got[name] = append(got[name], a)
			return nil
		})}
	}
	path := filepath.Join(dir, "access.log")
	w := newLogWriter(t, path)
	// A minute of log-ins that work, two a second; then one failure a
	// second for five minutes, beside one log-in that works every 10 s.
	t0 := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Minute)
	for i := range 120 {
		w.lineAt(t, t0.Add(time.Duration(i)*500*time.Millisecond), fmt.Sprintf("10.0.0.%d", i%40), "POST", "/login", 302)
	}
	for s := 60; s < 360; s++ {
		w.lineAt(t, t0.Add(time.Duration(s)*time.Second), fmt.Sprintf("198.51.%d.%d", s/250, s%250), "POST", "/login", 401)
		if s%10 == 0 {
			w.lineAt(t, t0.Add(time.Duration(s)*time.Second), "10.0.0.1", "POST", "/login", 302)
		}
	}
	var rec recorder
	_, stop := start(t, Options{Config: cfg, StateDir: filepath.Join(dir, "state"), FromStart: true, Emit: rec.emit,
		Sources: []Source{{Pattern: path, Format: "combined"}}, Routes: []alerts.Route{route("all", ""), route("pager", alert.Critical)}})
	waitFor(t, "the pager's notification", func() bool { mu.Lock(); defer mu.Unlock(); return len(got["pager"]) > 0 })
	stop()
	fired, _, n := rec.first("failures", alert.Firing)
	if n != 2 || fired.Severity != alert.Warning || fired.Escalated {
		t.Fatalf("transitions %+v, want a warning firing, then its raise", rec.got)
	}
	mu.Lock()
	defer mu.Unlock()
	all, pager := got["all"], got["pager"]
	if len(all) < 2 || all[0].Severity != alert.Warning || all[1].Incident == nil || all[1].Incident.Quiet ||
		!slices.Equal(all[1].Incident.Raised, []string{"failures"}) {
		t.Errorf("all: %+v, want the warning, then an update that pages, raised", all)
	}
	p := pager[0]
	if h := alerts.Headline(p, alert.Sanitize); p.Severity != alert.Critical || p.Incident == nil || p.Incident.Quiet ||
		!strings.HasPrefix(h, "Now critical: ") || !strings.Contains(alerts.Summary(p, alert.Sanitize), "critical: ") {
		t.Errorf("pager's first: %s %q (quiet %v), want critical, paging, naming its evidence", p.Severity, h, p.Incident != nil && p.Incident.Quiet)
	}
}
