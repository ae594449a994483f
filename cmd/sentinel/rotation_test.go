package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/state"
)

// numberedLog appends numbered access-log lines (stamped with the wall
// clock) to a file, like a web server: it keeps its descriptor across a
// rename until reopen is called.
type numberedLog struct {
	tb   testing.TB
	path string
	f    *os.File
	n    int // the last line's number
}

func newNumberedLog(tb testing.TB, path string) *numberedLog {
	l := &numberedLog{tb: tb, path: path}
	l.reopen()
	tb.Cleanup(func() { l.f.Close() })
	return l
}

func (l *numberedLog) reopen() {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		l.tb.Fatal(err)
	}
	if l.f != nil {
		l.f.Close()
	}
	l.f = f
}

// write appends k lines.
func (l *numberedLog) write(k int) {
	w := bufio.NewWriterSize(l.f, 64<<10)
	ts := time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700")
	for range k {
		l.n++
		fmt.Fprintf(w, "10.%d.%d.%d - - [%s] \"GET /page?n=%d HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n",
			l.n>>16&255, l.n>>8&255, l.n&255, ts, l.n)
	}
	if err := w.Flush(); err != nil {
		l.tb.Fatal(err)
	}
}

// lineNumber returns the number of a line numberedLog wrote.
func lineNumber(text string) (int, bool) {
	i := strings.Index(text, "?n=")
	if i < 0 {
		return 0, false
	}
	j := i + 3
	for j < len(text) && text[j] >= '0' && text[j] <= '9' {
		j++
	}
	n, err := strconv.Atoi(text[i+3 : j])
	return n, err == nil
}

// logrotate renames dir/access.log as logrotate does with the given
// naming (numbered: .1, .2…, shifting older files, and with
// delaycompress gzipping the one that becomes .2; dateext: access-DATE.log
// with the date of rotation i), and creates an empty access.log.
func logrotate(tb testing.TB, dir, naming string, i int) {
	tb.Helper()
	live := filepath.Join(dir, "access.log")
	to := live + ".1"
	switch naming {
	case "numbered":
		for k := 8; k >= 1; k-- {
			for _, ext := range []string{"", ".gz"} {
				from := fmt.Sprintf("%s.%d%s", live, k, ext)
				if _, err := os.Stat(from); err == nil {
					if err := os.Rename(from, fmt.Sprintf("%s.%d%s", live, k+1, ext)); err != nil {
						tb.Fatal(err)
					}
				}
			}
		}
		if _, err := os.Stat(live + ".2"); err == nil {
			compress(tb, live+".2")
		}
	case "dateext":
		to = filepath.Join(dir, fmt.Sprintf("access-202601%02d.log", i))
	}
	if err := os.Rename(live, to); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(live, nil, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// compress gzips p to p.gz and removes p.
func compress(tb testing.TB, p string) {
	tb.Helper()
	in, err := os.Open(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(p + ".gz")
	if err != nil {
		tb.Fatal(err)
	}
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.Remove(p); err != nil {
		tb.Fatal(err)
	}
}

// TestRun_rotationsWhileStopped: a real `sentinel run` follows a log, is
// stopped (SIGTERM, or SIGKILL with lines read since its last save), the
// log rotates twice while it is down, and it is started again. Every
// line the daemon took is counted one by one through its tap: over the
// two runs, each written line is counted exactly once (for the killed
// run, the lines it took after its last save do not count: that run's
// engine state died with it, and the restart reads them again).
func TestRun_rotationsWhileStopped(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon twice per case")
	}
	t.Parallel()
	exe := sentinelExe(t)
	for _, tt := range []struct {
		name, pattern, naming string
	}{
		{"path", "access.log", "numbered"},
		{"glob with delaycompress", "access.log*", "numbered"},
		{"dateext glob", "*.log", "dateext"},
	} {
		for _, kill := range []bool{false, true} {
			name := tt.name + map[bool]string{false: ", SIGTERM", true: ", SIGKILL"}[kill]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				logs := filepath.Join(dir, "logs")
				if err := os.Mkdir(logs, 0o755); err != nil {
					t.Fatal(err)
				}
				stateDir := filepath.Join(dir, "state")
				tap := filepath.Join(dir, "tap")
				w := newNumberedLog(t, filepath.Join(logs, "access.log"))
				var stderr testutil.SyncBuffer
				t.Cleanup(func() {
					if t.Failed() {
						t.Logf("daemon logs:\n%s", stderr.String())
					}
				})
				// The first run reads the (empty) log from its start, so that
				// lines written while it starts are not skipped; the second
				// has the state, and reads files it does not know from
				// their end, as by default.
				daemon := func(flags ...string) *exec.Cmd {
					args := append([]string{"run", "--state-dir", stateDir, "--listen", "", "--log-format", "json"}, flags...)
					cmd := exec.Command(exe, append(args, filepath.Join(logs, tt.pattern))...)
					cmd.Env = append(os.Environ(), tapEnv+"="+tap)
					cmd.Stdout, cmd.Stderr = io.Discard, &stderr
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					return cmd
				}
				waitTap := func(what string, n int) {
					t.Helper()
					deadline := time.Now().Add(15 * time.Second)
					for time.Now().Before(deadline) {
						for _, e := range readTap(t, tap) {
							if m, ok := lineNumber(e.text); ok && m == n {
								return
							}
						}
						time.Sleep(50 * time.Millisecond)
					}
					t.Logf("timed out waiting for %s (line %d)", what, n)
				}

				first := daemon("--from-start")
				w.write(3000)
				waitTap("the first lines", w.n)
				var saved *state.State
				if kill {
					// Wait for a save (every 5 s) that covers them.
					size, _ := os.Stat(filepath.Join(logs, "access.log"))
					deadline := time.Now().Add(15 * time.Second)
					for {
						st, _ := state.Load(stateDir)
						if st != nil && len(st.Checkpoints) > 0 && st.Checkpoints[0].Offset == size.Size() {
							break
						}
						if time.Now().After(deadline) {
							t.Fatal("the first run never saved its state")
						}
						time.Sleep(100 * time.Millisecond)
					}
					w.write(3000) // read, and (mostly) not saved yet
					waitTap("lines after the save", w.n)
					// Freeze it to read the state it saved last, then kill.
					if err := first.Process.Signal(syscall.SIGSTOP); err != nil {
						t.Fatal(err)
					}
					var err error
					if saved, err = state.Load(stateDir); err != nil {
						t.Fatal(err)
					}
					first.Process.Signal(syscall.SIGKILL)
					first.Wait()
				} else {
					first.Process.Signal(syscall.SIGTERM)
					if err := first.Wait(); err != nil {
						t.Fatalf("first run: %v", err)
					}
				}
				run1 := readTap(t, tap)

				// Down: two rotations, the server writing throughout.
				for i := 1; i <= 2; i++ {
					w.write(2000)
					logrotate(t, logs, tt.naming, i)
					w.write(300) // still to the renamed file
					w.reopen()
				}
				w.write(2000)

				second := daemon()
				w.write(2000)
				waitTap("the last line", w.n)
				time.Sleep(300 * time.Millisecond) // nothing more may come
				second.Process.Signal(syscall.SIGTERM)
				if err := second.Wait(); err != nil {
					t.Errorf("second run: %v", err)
				}
				run2 := readTap(t, tap)[len(run1):]

				counted := countedLines(t, run1, saved)
				counted = append(counted, run2...)
				seen := map[int]int{}
				for _, e := range counted {
					n, ok := lineNumber(e.text)
					if !ok {
						t.Fatalf("tapped line %q is not a written line", e.text)
					}
					seen[n]++
				}
				var lost, dup []int
				for n := 1; n <= w.n; n++ {
					switch c := seen[n]; {
					case c == 0:
						lost = append(lost, n)
					case c > 1:
						dup = append(dup, n)
					}
				}
				if len(lost)+len(dup) > 0 {
					t.Errorf("of %d lines: %d lost (first %v), %d counted more than once (first %v)",
						w.n, len(lost), lost[:min(len(lost), 10)], len(dup), dup[:min(len(dup), 10)])
				}
				st, err := state.Load(stateDir)
				if err != nil || st == nil || st.Engine == nil {
					t.Fatalf("state after the stop: %v, %v", st, err)
				}
				if st.Engine.Events != uint64(w.n) {
					t.Errorf("the engine counted %d events; %d lines were written", st.Engine.Events, w.n)
				}
			})
		}
	}
}

// countedLines returns the lines a run took that count: all of them
// after a clean stop (saved is nil); after a kill, those its last saved
// state covers. A line is covered when the state holds its file's
// position at or after it; for a file without a position in the state,
// when the run took it before the last line whose position the state
// holds.
func countedLines(tb testing.TB, run []tapped, saved *state.State) []tapped {
	if saved == nil {
		return run
	}
	type fileID struct{ dev, ino uint64 }
	pos := map[fileID]int64{}
	for _, c := range saved.Checkpoints {
		pos[fileID{c.Dev, c.Inode}] = c.Offset
	}
	last := -1
	for i, e := range run {
		if p, ok := pos[fileID{e.dev, e.ino}]; ok && p == e.off {
			last = i
		}
	}
	var out []tapped
	for i, e := range run {
		p, ok := pos[fileID{e.dev, e.ino}]
		if (ok && e.off <= p) || (!ok && i <= last) {
			out = append(out, e)
		}
	}
	tb.Logf("killed run: took %d lines, %d of them saved", len(run), len(out))
	return out
}

// TestRun_notAFile: `sentinel run` on a directory says so and follows the
// *.log files in it (those there and those created later); on a named
// pipe it refuses with exit 2 and says what the path is.
func TestRun_notAFile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon")
	}
	exe := sentinelExe(t)
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		logs := filepath.Join(dir, "logs")
		os.Mkdir(logs, 0o755)
		a := newNumberedLog(t, filepath.Join(logs, "a.log"))
		tap := filepath.Join(dir, "tap")
		_, stderr := startRun(t, exe, append(os.Environ(), tapEnv+"="+tap), "--state-dir", filepath.Join(dir, "state"), "--listen", "", logs)
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(stderr.String(), "following the *.log files in it") {
			if time.Now().After(deadline) {
				t.Fatal("sentinel did not say that it follows the directory's *.log files")
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond) // a.log is read from its end: the lines come after
		a.write(10)
		b := newNumberedLog(t, filepath.Join(logs, "b.log")) // created later: read from its start
		b.n = 1000
		b.write(10)
		for {
			var ns []int
			for _, e := range readTap(t, tap) {
				if n, ok := lineNumber(e.text); ok {
					ns = append(ns, n)
				}
			}
			if len(ns) == 20 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("lines read from the directory's files: %v, want 1-10 and 1001-1010", ns)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	t.Run("fifo", func(t *testing.T) {
		dir := t.TempDir()
		fifo := filepath.Join(dir, "access.log")
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd := exec.Command(exe, "run", "--state-dir", filepath.Join(dir, "state"), "--listen", "", fifo)
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitUsage {
				t.Errorf("exit: %v, want code %d", err, exitUsage)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("sentinel run on a named pipe is still running; stderr:\n%s", stderr.String())
		}
		if !strings.Contains(stderr.String(), "is a named pipe (FIFO)") {
			t.Errorf("stderr does not say what the path is:\n%s", stderr.String())
		}
	})
}

// TestRun_twoFilesAfterRestart: two logs under one glob are written while
// sentinel is stopped, one five times as fast as the other, over two
// minutes of log time. After the restart, every line is counted once and
// none is late: the two backlogs are read side by side on the logs' time,
// not one after the other.
func TestRun_twoFilesAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon twice")
	}
	t.Parallel()
	exe := sentinelExe(t)
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	os.Mkdir(logs, 0o755)
	stateDir := filepath.Join(dir, "state")
	tap := filepath.Join(dir, "tap")
	var stderr testutil.SyncBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon logs:\n%s", stderr.String())
		}
	})
	files := map[string]*os.File{}
	n := 0
	write := func(name string, at time.Time) {
		f := files[name]
		if f == nil {
			var err error
			if f, err = os.OpenFile(filepath.Join(logs, name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			files[name] = f
		}
		n++
		fmt.Fprintf(f, "10.%d.%d.%d - - [%s] \"GET /page?n=%d HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n",
			n>>16&255, n>>8&255, n&255, at.UTC().Format("02/Jan/2006:15:04:05 -0700"), n)
	}
	daemon := func(flags ...string) *exec.Cmd {
		args := append([]string{"run", "--state-dir", stateDir, "--listen", "", "--log-format", "json"}, flags...)
		cmd := exec.Command(exe, append(args, filepath.Join(logs, "*.log"))...)
		cmd.Env = append(os.Environ(), tapEnv+"="+tap)
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	waitTap := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); len(readTap(t, tap)) < n; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Logf("timed out: %d of %d lines taken", len(readTap(t, tap)), n)
				return
			}
		}
	}
	start := time.Now().Add(-200 * time.Second)
	first := daemon("--from-start")
	for range 100 {
		write("a.log", start)
		write("b.log", start)
	}
	waitTap(n)
	first.Process.Signal(syscall.SIGTERM)
	if err := first.Wait(); err != nil {
		t.Fatal(err)
	}
	// Stopped for two minutes (the state says so: it was saved then),
	// during which a.log got 100 lines a second and b.log 20.
	st, err := state.Load(stateDir)
	if err != nil || st == nil {
		t.Fatalf("state: %v, %v", st, err)
	}
	st.Saved = time.Now().Add(-130 * time.Second)
	if err := state.Save(stateDir, st); err != nil {
		t.Fatal(err)
	}
	for i := range 12000 {
		at := start.Add(20*time.Second + time.Duration(i)*10*time.Millisecond)
		write("a.log", at)
		if i%5 == 0 {
			write("b.log", at)
		}
	}
	second := daemon()
	waitTap(n)
	time.Sleep(300 * time.Millisecond)
	second.Process.Signal(syscall.SIGTERM)
	if err := second.Wait(); err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for _, e := range readTap(t, tap) {
		if m, ok := lineNumber(e.text); ok {
			seen[m]++
		}
	}
	lost, dup := 0, 0
	for i := 1; i <= n; i++ {
		switch {
		case seen[i] == 0:
			lost++
		case seen[i] > 1:
			dup++
		}
	}
	if lost+dup > 0 {
		t.Errorf("of %d lines: %d lost, %d counted more than once", n, lost, dup)
	}
	st, err = state.Load(stateDir)
	if err != nil || st == nil || st.Engine == nil {
		t.Fatalf("state: %v, %v", st, err)
	}
	if st.Engine.Late != 0 || st.Engine.Events != uint64(n) {
		t.Errorf("the engine counted %d events, %d of them late; %d lines were written, none late", st.Engine.Events, st.Engine.Late, n)
	}
}
