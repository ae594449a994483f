package tailer

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// waitTimeout bounds every wait in these tests.
const waitTimeout = 10 * time.Second

// run is one Tailer.Run in the background, with a collector that keeps
// reading its lines.
type run struct {
	tb     testing.TB
	tl     *Tailer
	cancel context.CancelFunc
	done   chan error    // Run's result
	idle   chan struct{} // closed when the collector has returned
	logs   *testutil.SyncBuffer

	mu    sync.Mutex
	lines []Line // guarded by mu
	once  sync.Once
	err   error
}

// startRun starts a Tailer with opts; it is stopped at cleanup.
func startRun(tb testing.TB, opts Options, hooks ...func(*Tailer)) *run {
	tb.Helper()
	logs := &testutil.SyncBuffer{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	tl, err := New(opts)
	if err != nil {
		tb.Fatalf("New() = %v", err)
	}
	for _, h := range hooks {
		h(tl)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{tb: tb, tl: tl, cancel: cancel, done: make(chan error, 1), idle: make(chan struct{}), logs: logs}
	out := make(chan Line, 16)
	go func() { r.done <- tl.Run(ctx, out) }()
	go func() {
		defer close(r.idle)
		for {
			select {
			case l := <-out:
				r.add(l)
			case err := <-r.done:
				r.done <- err
				for {
					select {
					case l := <-out:
						r.add(l)
					default:
						return
					}
				}
			}
		}
	}()
	tb.Cleanup(func() {
		if err := r.stop(); err != context.Canceled {
			tb.Errorf("Run() = %v, want %v", err, context.Canceled)
		}
		if tb.Failed() {
			tb.Logf("tailer log:\n%s", lastLines(logs.String(), 400))
		}
	})
	return r
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (r *run) add(l Line) {
	r.mu.Lock()
	r.lines = append(r.lines, l)
	r.mu.Unlock()
}

// stop cancels Run and waits for it and the collector. It is safe to call
// more than once.
func (r *run) stop() error {
	r.once.Do(func() {
		r.cancel()
		select {
		case <-r.idle:
			r.err = <-r.done
		case <-time.After(waitTimeout):
			r.err = fmt.Errorf("Run did not return within %v", waitTimeout)
		}
	})
	return r.err
}

func (r *run) got() []Line {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Line(nil), r.lines...)
}

// waitFor waits until ok(lines) holds, or fails the test after waitTimeout.
func (r *run) waitFor(what string, ok func([]Line) bool) []Line {
	r.tb.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		got := r.got()
		if ok(got) {
			return got
		}
		if time.Now().After(deadline) {
			r.tb.Fatalf("after %v: still waiting for %s (got %d lines)", waitTimeout, what, len(got))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settle waits until ok(lines) holds, or waitTimeout passes: then it
// only logs, and the line-by-line accounting that follows says what is
// missing.
func (r *run) settle(what string, ok func([]Line) bool) {
	r.tb.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !ok(r.got()) {
		if time.Now().After(deadline) {
			r.tb.Logf("after %v: still waiting for %s", waitTimeout, what)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitStats waits until ok holds for path's stats.
func (r *run) waitStats(path, what string, ok func(FileStats) bool) FileStats {
	r.tb.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		for _, s := range r.tl.Stats() {
			if s.Path == path && ok(s) {
				return s
			}
		}
		if time.Now().After(deadline) {
			r.tb.Fatalf("after %v: still waiting for %s; stats %+v", waitTimeout, what, r.tl.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// haveLast reports whether lines include tag's line n.
func haveLast(tag string, n int) func([]Line) bool {
	want := lineText(tag, n)
	return func(ls []Line) bool {
		for i := len(ls) - 1; i >= 0; i-- {
			if string(ls[i].Text) == want {
				return true
			}
		}
		return false
	}
}

// lineText is line n of a file tagged tag: distinct, numbered and long
// enough that a cut or merged line shows.
func lineText(tag string, n int) string {
	return fmt.Sprintf("%s %08d GET /users/register?n=%d HTTP/1.1 200", tag, n, n)
}

// numbered is one received line of a test writer: its number and the
// file (device and inode) it was read from.
type numbered struct {
	n        int
	dev, ino uint64
}

// numbers returns tag's lines in lines, in the order received, failing
// on any line that is not exactly a written line.
func numbers(tb testing.TB, lines []Line, tag string) []numbered {
	tb.Helper()
	var ns []numbered
	for _, l := range lines {
		f := strings.Fields(string(l.Text))
		if len(f) < 2 || f[0] != tag {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || string(l.Text) != lineText(tag, n) {
			tb.Errorf("received %q, not a written line", l.Text)
			continue
		}
		ns = append(ns, numbered{n: n, dev: l.Pos.Dev, ino: l.Pos.Inode})
	}
	return ns
}

// checkExactlyOnce checks that ns holds exactly the numbers for which
// want holds, from 1 to last, each once, in order within each file.
func checkExactlyOnce(tb testing.TB, ns []numbered, last int, want func(int) bool) {
	tb.Helper()
	checkLines(tb, ns, last, want, want)
}

// checkLines checks that ns holds every number from 1 to last for which
// must holds, no number for which may does not hold, and no number
// twice; and that the lines of each file came in increasing order (a
// writer's lines are numbered in the order written, and the lines of two
// files may interleave).
func checkLines(tb testing.TB, ns []numbered, last int, must, may func(int) bool) {
	tb.Helper()
	lost, dup, extra := tally(ns, last, must, may)
	if len(lost)+len(dup)+len(extra) > 0 {
		tb.Errorf("of lines 1..%d: %d lost (first %v), %d duplicated (first %v), %d unexpected (first %v)",
			last, len(lost), head(lost), len(dup), head(dup), len(extra), head(extra))
	}
	prev := map[[2]uint64]int{}
	for i, e := range ns {
		id := [2]uint64{e.dev, e.ino}
		if p, ok := prev[id]; ok && e.n <= p {
			tb.Errorf("line %d received after line %d of the same file (position %d): out of order", e.n, p, i)
			break
		}
		prev[id] = e.n
	}
}

// tally returns the numbers from 1 to last for which must holds that are
// not in ns (lost), those in ns more than once (duplicated, once per
// extra copy), and those in ns for which may does not hold (unexpected).
func tally(ns []numbered, last int, must, may func(int) bool) (lost, dup, extra []int) {
	seen := make(map[int]int)
	for _, e := range ns {
		seen[e.n]++
		if seen[e.n] > 1 {
			dup = append(dup, e.n)
		}
		if seen[e.n] == 1 && (e.n < 1 || e.n > last || !may(e.n)) {
			extra = append(extra, e.n)
		}
	}
	for n := 1; n <= last; n++ {
		if must(n) && seen[n] == 0 {
			lost = append(lost, n)
		}
	}
	return lost, dup, extra
}

func head(ns []int) []int {
	if len(ns) > 10 {
		return ns[:10]
	}
	return ns
}

func all(int) bool { return true }

// writer appends numbered lines to a file at a few thousand lines per
// second, like a web server.
type writer struct {
	tb   testing.TB
	path string
	tag  string
	f    *os.File
	n    int // last line written
	// split writes each line in two writes, so readers see partial lines.
	split bool
	// fast writes without pauses (while no tailer runs).
	fast bool
}

func newWriter(tb testing.TB, path, tag string) *writer {
	tb.Helper()
	w := &writer{tb: tb, path: path, tag: tag}
	w.reopen()
	tb.Cleanup(func() { w.f.Close() })
	return w
}

// reopen opens the path for appending, like a server after USR1.
func (w *writer) reopen() {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		w.tb.Error(err) // may run outside the test goroutine
		return
	}
	if w.f != nil {
		w.f.Close()
	}
	w.f = f
}

// write appends k lines, 20 at a time with a 4 ms pause (about 5 000
// lines/s).
func (w *writer) write(k int) {
	for i := 0; i < k; i++ {
		w.n++
		s := lineText(w.tag, w.n) + "\n"
		if w.split {
			cut := len(s) / 2
			w.put(s[:cut])
			time.Sleep(50 * time.Microsecond)
			s = s[cut:]
		}
		w.put(s)
		if w.n%20 == 0 && !w.fast {
			time.Sleep(4 * time.Millisecond)
		}
	}
}

// writeFor appends lines for about d.
func (w *writer) writeFor(d time.Duration) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		w.write(20)
	}
}

func (w *writer) put(s string) {
	if _, err := w.f.WriteString(s); err != nil {
		w.tb.Error(err)
	}
}

// background runs fn in a goroutine and waits for it at cleanup (and
// returns a wait function).
func background(tb testing.TB, fn func()) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	wait = func() { <-done }
	tb.Cleanup(wait)
	return wait
}

// copyTruncate rotates path as logrotate's copytruncate does: copies it
// to copy, runs between (the server appending between the copy and the
// truncate; nil for none), then truncates it in place.
func copyTruncate(path, copy string, between func()) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := os.WriteFile(copy, b, 0o644); err != nil {
		return err
	}
	if between != nil {
		between()
	}
	return os.Truncate(path, 0)
}
