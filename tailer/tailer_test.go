package tailer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// rotateWait is short in tests so that rotations can follow each other
// quickly, but longer than the writers' linger on the old file.
const rotateWait = 800 * time.Millisecond

func TestTailer_RenameRotation(t *testing.T) {
	t.Parallel()
	for _, poll := range []bool{false, true} {
		t.Run(fmt.Sprintf("poll=%v", poll), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "access.log")
			w := newWriter(t, path, "a")
			r := startRun(t, Options{Patterns: []string{path}, Start: FromStart, Poll: poll, RotateWait: rotateWait})
			lingers := []time.Duration{100 * time.Millisecond, 300 * time.Millisecond, 500 * time.Millisecond}
			wait := background(t, func() {
				for i, linger := range lingers {
					w.write(3000)
					// logrotate: rename, create; the server keeps writing
					// to the old file until it is told to reopen.
					if err := os.Rename(path, fmt.Sprintf("%s.%d", path, i+1)); err != nil {
						t.Error(err)
						return
					}
					if err := os.WriteFile(path, nil, 0o644); err != nil {
						t.Error(err)
						return
					}
					w.writeFor(linger)
					w.reopen()
				}
				w.write(3000)
			})
			wait()
			r.waitFor("the last line", haveLast("a", w.n))
			if err := r.stop(); err != context.Canceled {
				t.Errorf("Run() = %v, want %v", err, context.Canceled)
			}
			checkExactlyOnce(t, numbers(t, r.got(), "a"), w.n, all)
			for _, l := range r.got() {
				if l.Path != path {
					t.Fatalf("Line.Path = %q, want %q", l.Path, path)
				}
			}
			if st := r.tl.Stats(); len(st) != 1 || st[0].Renames != int64(len(lingers)) || st[0].Lines != int64(w.n) {
				t.Errorf("Stats() = %+v, want %d rotations and %d lines", st, len(lingers), w.n)
			}
		})
	}
}

func TestTailer_CopyTruncate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := newWriter(t, path, "c")
	r := startRun(t, Options{Patterns: []string{path}, Start: FromStart, RotateWait: rotateWait})
	const rotations = 3
	// window holds the lines written between a copy and its truncate:
	// they exist in no file once truncated, and may be lost (or read, if
	// the tailer got to them first). Every other line is delivered once:
	// what the tailer had not read when the file was truncated is read
	// from the copy.
	window := map[int]bool{}
	wait := background(t, func() {
		for i := range rotations {
			w.write(3000)
			// logrotate copytruncate: copy, then truncate in place while
			// the server keeps appending.
			if err := copyTruncate(path, fmt.Sprintf("%s.%d", path, i+1), func() {
				w.write(5)
				for k := w.n - 4; k <= w.n; k++ {
					window[k] = true
				}
			}); err != nil {
				t.Error(err)
				return
			}
		}
		w.write(3000)
	})
	wait()
	r.waitFor("the last line", haveLast("c", w.n))
	r.stop()
	checkLines(t, numbers(t, r.got(), "c"), w.n, func(n int) bool { return !window[n] }, all)
	if st := r.tl.Stats(); len(st) != 1 || st[0].Truncations != rotations {
		t.Errorf("Stats() = %+v, want %d truncations", st, rotations)
	}
}

func TestTailer_DeleteRecreate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := newWriter(t, path, "d")
	r := startRun(t, Options{Patterns: []string{path}, Start: FromStart, RotateWait: rotateWait})
	wait := background(t, func() {
		for range 2 {
			w.write(3000)
			if err := os.Remove(path); err != nil {
				t.Error(err)
				return
			}
			w.writeFor(200 * time.Millisecond) // to the deleted file
			w.reopen()                         // creates the path again
		}
		w.write(3000)
	})
	wait()
	r.waitFor("the last line", haveLast("d", w.n))
	r.stop()
	checkExactlyOnce(t, numbers(t, r.got(), "d"), w.n, all)
	if st := r.tl.Stats(); len(st) != 1 || st[0].Deletes != 2 {
		t.Errorf("Stats() = %+v, want 2 deletes", st)
	}
}

func TestTailer_GlobNewFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	wa := newWriter(t, a, "a")
	wa.write(500) // before start: skipped (FromEnd)
	before := wa.n
	r := startRun(t, Options{Patterns: []string{filepath.Join(dir, "*.log")}, Reglob: time.Hour})
	size := fileSize(t, a)
	r.waitStats(a, "a.log opened at its end", func(s FileStats) bool { return s.Offset == size })
	b := filepath.Join(dir, "b.log")
	wb := newWriter(t, b, "b")
	background(t, func() { wb.write(3000) })
	wait := background(t, func() { wa.write(3000) })
	wait()
	r.waitFor("the last lines", func(ls []Line) bool { return haveLast("a", wa.n)(ls) && haveLast("b", 3000)(ls) })
	r.stop()
	checkExactlyOnce(t, numbers(t, r.got(), "a"), wa.n, func(n int) bool { return n > before })
	// b.log appeared after start: read from its first line, not its end.
	checkExactlyOnce(t, numbers(t, r.got(), "b"), 3000, all)
	for _, l := range r.got() {
		if want := map[byte]string{'a': a, 'b': b}[l.Text[0]]; l.Path != want {
			t.Fatalf("line %q has Path %q, want %q", l.Text, l.Path, want)
		}
	}
}

func fileSize(tb testing.TB, path string) int64 {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Size()
}

func TestTailer_LateFile(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		subdir string // created late too, so only the re-glob finds it
	}{
		{"dir exists", ""},
		{"dir appears", "logs"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), tt.subdir)
			path := filepath.Join(dir, "late.log")
			// FromStart: a file created while Run starts may count as present
			// at start; TestTailer_GlobNewFile covers "late files from 0".
			r := startRun(t, Options{Patterns: []string{path}, Start: FromStart, Reglob: 200 * time.Millisecond})
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			w := newWriter(t, path, "l")
			background(t, func() { w.write(3000) })()
			r.waitFor("the last line", haveLast("l", w.n))
			r.stop()
			checkExactlyOnce(t, numbers(t, r.got(), "l"), w.n, all)
		})
	}
}

func TestTailer_Resume(t *testing.T) {
	t.Parallel()
	// lastPos is the checkpoint of the last line received: what a caller
	// saves once it has processed it.
	lastPos := func(r *run) []Checkpoint {
		got := r.got()
		return []Checkpoint{got[len(got)-1].Pos}
	}
	t.Run("same file", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "access.log")
		w := newWriter(t, path, "s")
		writing := make(chan struct{})
		wait := background(t, func() {
			w.write(1000)
			close(writing)
			w.write(4000)
		})
		<-writing
		r1 := startRun(t, Options{Patterns: []string{path}, Start: FromStart})
		r1.waitFor("1500 lines", func(ls []Line) bool { return len(ls) >= 1500 })
		r1.stop() // mid-stream: the writer goes on
		r2 := startRun(t, Options{Patterns: []string{path}, Checkpoints: lastPos(r1)})
		wait()
		r2.waitFor("the last line", haveLast("s", w.n))
		r2.stop()
		checkExactlyOnce(t, numbers(t, append(r1.got(), r2.got()...), "s"), w.n, all)
	})
	t.Run("rotated while stopped", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "access.log")
		w := newWriter(t, path, "r")
		stopped := make(chan struct{})
		resumed := make(chan struct{})
		writing := make(chan struct{})
		wait := background(t, func() {
			w.write(1000)
			close(writing)
			<-stopped
			w.write(1000) // to the file that is about to be rotated
			if err := os.Rename(path, path+".1"); err != nil {
				t.Error(err)
			}
			w.write(500) // still to the rotated file
			w.reopen()
			w.write(500)
			close(resumed)
			w.write(2000)
		})
		<-writing
		r1 := startRun(t, Options{Patterns: []string{path}, Start: FromStart})
		r1.waitFor("800 lines", func(ls []Line) bool { return len(ls) >= 800 })
		r1.stop()
		close(stopped)
		<-resumed
		r2 := startRun(t, Options{Patterns: []string{path}, Checkpoints: lastPos(r1)})
		wait()
		r2.waitFor("the last line", haveLast("r", w.n))
		r2.stop()
		checkExactlyOnce(t, numbers(t, append(r1.got(), r2.got()...), "r"), w.n, all)
	})
	for _, tt := range []struct {
		name    string
		rewrite func(tb testing.TB, w *writer)
	}{
		{"truncated while stopped", func(tb testing.TB, w *writer) {
			if err := os.Truncate(w.path, 0); err != nil {
				tb.Fatal(err)
			}
			w.n = 0
			w.write(10) // shorter than the checkpoint's offset
		}},
		{"replaced while stopped", func(tb testing.TB, w *writer) {
			if err := os.Truncate(w.path, 0); err != nil {
				tb.Fatal(err)
			}
			w.n = 0
			w.tag = "x" // new content, longer than the checkpoint's offset
			w.write(3000)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "access.log")
			w := newWriter(t, path, "t")
			w.write(2000)
			r1 := startRun(t, Options{Patterns: []string{path}, Start: FromStart})
			r1.waitFor("the last line", haveLast("t", w.n))
			r1.stop()
			tt.rewrite(t, w)
			r2 := startRun(t, Options{Patterns: []string{path}, Checkpoints: lastPos(r1)})
			background(t, func() { w.write(2000) })()
			r2.waitFor("the last line", haveLast(w.tag, w.n))
			r2.stop()
			// Read again from 0: every line of the new content, once.
			checkExactlyOnce(t, numbers(t, r2.got(), w.tag), w.n, all)
			if w.tag != "t" && len(numbers(t, r2.got(), "t")) > 0 {
				t.Errorf("old lines delivered after the file was replaced")
			}
		})
	}
}

func TestTailer_PartialLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "access.log")
	w := newWriter(t, path, "p")
	r := startRun(t, Options{Patterns: []string{path}, Start: FromStart})

	// One fragment: the tailer sees it (its lag) but delivers nothing.
	w.write(1)
	r.waitFor("line 1", haveLast("p", 1))
	w.put("p 00000002 GET /users/reg")
	r.waitStats(path, "the fragment seen", func(s FileStats) bool { return s.Lag == int64(len("p 00000002 GET /users/reg")) })
	if got := r.got(); len(got) != 1 {
		t.Fatalf("after a partial line, received %q, want only line 1", got[len(got)-1].Text)
	}
	w.put(strings.TrimPrefix(lineText("p", 2), "p 00000002 GET /users/reg") + "\n")
	w.n = 2

	// Under load: every line is written in two halves.
	w.split = true
	background(t, func() { w.write(3000) })()
	r.waitFor("the last line", haveLast("p", w.n))
	r.stop()
	checkExactlyOnce(t, numbers(t, r.got(), "p"), w.n, all)
}

// TestTailer_ReadTime: a line's Read is the time of the read that
// completed it, not of an earlier read of its first part: the start of
// the daemon's read_to_transition latency.
func TestTailer_ReadTime(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "access.log")
	w := newWriter(t, path, "t")
	r := startRun(t, Options{Patterns: []string{path}, Start: FromStart})
	line := lineText("t", 1)
	w.put(line[:10])
	r.waitStats(path, "the fragment seen", func(s FileStats) bool { return s.Lag == 10 })
	before := time.Now()
	w.put(line[10:] + "\n")
	got := r.waitFor("line 1", haveLast("t", 1))
	after := time.Now()
	if read := got[0].Read; read.Before(before) || read.After(after) {
		t.Errorf("Read = %v, want between the write that completed the line (%v) and its receipt (%v)", read, before, after)
	}
}

func TestTailer_PermissionDenied(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "access.log")
	w := newWriter(t, path, "e")
	w.write(100)
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	r := startRun(t, Options{Patterns: []string{path}, Start: FromStart}, func(tl *Tailer) {
		if os.Geteuid() == 0 {
			// root reads anything: refuse as the kernel would refuse others.
			tl.openFile = func(name string) (*os.File, error) {
				if fi, err := os.Stat(name); err == nil && fi.Mode().Perm()&0o444 == 0 {
					return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.EACCES}
				}
				return os.Open(name)
			}
		}
	})
	wait := background(t, func() { w.write(3000) })
	r.waitStats(path, "failed opens", func(s FileStats) bool { return s.OpenErrors >= 2 })
	if !strings.Contains(r.logs.String(), "permission denied") {
		t.Errorf("log does not report the error:\n%s", r.logs.String())
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	wait()
	r.waitFor("the last line", haveLast("e", w.n))
	r.stop()
	checkExactlyOnce(t, numbers(t, r.got(), "e"), w.n, all)
}

func TestTailer_FromEnd(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "access.log")
	w := newWriter(t, path, "f")
	w.write(1000)
	writing := make(chan struct{})
	stop := make(chan struct{})
	wait := background(t, func() {
		close(writing)
		for {
			select {
			case <-stop:
				return
			default:
				w.write(100)
			}
		}
	})
	<-writing
	before := countLines(t, path) // written before Run: never delivered
	r := startRun(t, Options{Patterns: []string{path}})
	r.waitStats(path, "the file opened", func(s FileStats) bool { return s.Offset > 0 })
	atOpen := countLines(t, path) // written after open: all delivered
	r.waitFor("some lines", func(ls []Line) bool { return len(ls) > 1000 })
	close(stop)
	wait()
	r.waitFor("the last line", haveLast("f", w.n))
	r.stop()
	ns := numbers(t, r.got(), "f")
	first := ns[0].n
	if first <= before || first > atOpen+1 {
		t.Errorf("first line delivered = %d, want in (%d, %d]: after the lines present at start, no later than the open", first, before, atOpen+1)
	}
	checkExactlyOnce(t, ns, w.n, func(n int) bool { return n >= first })
}

func countLines(tb testing.TB, path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}

func TestTailer_OnePerRealPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	if err := os.Symlink(path, filepath.Join(dir, "current.log")); err != nil {
		t.Fatal(err)
	}
	w := newWriter(t, path, "o")
	r := startRun(t, Options{
		Patterns: []string{path, filepath.Join(dir, "*.log"), filepath.Join(dir, "current.log")},
		Start:    FromStart,
	})
	background(t, func() { w.write(3000) })()
	r.waitFor("the last line", haveLast("o", w.n))
	r.stop()
	checkExactlyOnce(t, numbers(t, r.got(), "o"), w.n, all)
	if st := r.tl.Stats(); len(st) != 1 {
		t.Errorf("Stats() = %+v, want one file", st)
	}
}

func TestTailer_LongLines(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "access.log")
	w := newWriter(t, path, "g")
	r := startRun(t, Options{Patterns: []string{path}, Start: FromStart, MaxLineBytes: 100, RotateWait: rotateWait})
	long := strings.Repeat("x", 150) + "\n"
	wait := background(t, func() {
		for i := range 10 {
			w.write(300)
			w.put(long)
			if i == 5 { // and one while draining a rotated file
				if err := os.Rename(path, path+".1"); err != nil {
					t.Error(err)
				}
				w.put(long)
				w.write(10)
				w.reopen()
			}
		}
		w.write(300)
	})
	wait()
	r.waitFor("the last line", haveLast("g", w.n))
	r.stop()
	checkExactlyOnce(t, numbers(t, r.got(), "g"), w.n, all)
	if st := r.tl.Stats(); len(st) != 1 || st[0].TooLong != 11 || st[0].Lines != int64(w.n) {
		t.Errorf("Stats() = %+v, want 11 long lines skipped and %d delivered", st, w.n)
	}
}

func TestTailer_Run_noGoroutineLeak(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	// The library's shared inotify tracker lives for the process; start it.
	if err := startLibrary(); err != nil {
		t.Fatal(err)
	}
	before := settledGoroutines(t, -1)
	dir := t.TempDir()
	path := filepath.Join(dir, "a.log")
	w := newWriter(t, path, "z")
	r := startRun(t, Options{Patterns: []string{filepath.Join(dir, "*.log")}, Start: FromStart, RotateWait: 200 * time.Millisecond})
	w.write(500)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	w.reopen()
	w.write(500)
	r.waitFor("the last line", haveLast("z", w.n))
	if err := r.stop(); err != context.Canceled {
		t.Fatalf("Run() = %v, want %v", err, context.Canceled)
	}
	if after := settledGoroutines(t, before); after > before {
		t.Errorf("goroutines: %d before Run, %d after it returned\n%s", before, after, goroutines())
	}
}

// settledGoroutines waits (bounded) until the goroutine count is at most
// want (or stops changing, if want < 0), and returns it.
func settledGoroutines(tb testing.TB, want int) int {
	deadline := time.Now().Add(3 * time.Second)
	n := runtime.NumGoroutine()
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		m := runtime.NumGoroutine()
		if (want >= 0 && m <= want) || (want < 0 && m == n) {
			return m
		}
		n = m
	}
	return n
}

func goroutines() string {
	b := make([]byte, 1<<20)
	return string(b[:runtime.Stack(b, true)])
}

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts Options
		want error
	}{
		{"no patterns", Options{}, ErrNoPatterns},
		{"bad pattern", Options{Patterns: []string{"/var/log/[.log"}}, filepath.ErrBadPattern},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.opts); !errors.Is(err, tt.want) {
				t.Errorf("New() = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := New(Options{Patterns: []string{"/var/log/*.log"}, RotateWait: -1}); err == nil {
		t.Errorf("New(RotateWait: -1) = nil error")
	}
}

// TestTailer_HugeLine: a line far longer than MaxLineBytes, written a
// megabyte at a time (a runaway process), then a run of NUL bytes
// without a newline (what a crash leaves), then ordinary lines. Memory
// does not follow the line's length: the tailer never holds more than
// MaxLineBytes of it. The long line is counted and skipped, the NULs
// dropped and counted, and every ordinary line delivered, with the
// right positions.
func TestTailer_HugeLine(t *testing.T) {
	// Not parallel: it samples the heap.
	path := filepath.Join(t.TempDir(), "access.log")
	w := newWriter(t, path, "h")
	r := startRun(t, Options{Patterns: []string{path}, Start: FromStart, MaxLineBytes: 64 << 10})
	w.write(100)
	r.waitFor("the first lines", haveLast("h", w.n))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	// The heap is sampled every millisecond while the file is written
	// and read.
	var peak atomic.Uint64
	stopSampling := make(chan struct{})
	sampled := background(t, func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(time.Millisecond):
			}
		}
	})
	chunk := []byte(strings.Repeat("A", 1<<20))
	for range 40 {
		w.put(string(chunk))
	}
	w.put("\n")
	clear(chunk)
	for range 20 {
		w.put(string(chunk))
	}
	w.write(100)
	r.waitFor("the last line", haveLast("h", w.n))
	close(stopSampling)
	sampled()
	r.stop()
	t.Logf("heap: %.1f MiB before the long line, %.1f MiB at most while reading it", float64(base)/(1<<20), float64(peak.Load())/(1<<20))
	if grew := int64(peak.Load()) - int64(base); grew > 16<<20 {
		t.Errorf("the heap grew by %.1f MiB reading a 40 MiB line and 20 MiB of NULs, want under 16 MiB", float64(grew)/(1<<20))
	}
	checkExactlyOnce(t, numbers(t, r.got(), "h"), w.n, all)
	got := r.got()
	if last, size := got[len(got)-1].Pos.Offset, fileSize(t, path); last != size {
		t.Errorf("last line's position %d, file size %d", last, size)
	}
	if st := r.tl.Stats(); len(st) != 1 || st[0].TooLong != 1 || st[0].NulBytes != 20<<20 || st[0].Lines != 200 {
		t.Errorf("Stats() = %+v, want 1 line too long, %d NUL bytes and 200 lines", st, 20<<20)
	}
}

// TestTailer_CaughtUp: CaughtUp holds once every file found at start has
// been read to its end once — not while its lines still wait to be sent,
// which is what the daemon's clock waits for after a restart — and at
// once when no file is found.
func TestTailer_CaughtUp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := newWriter(t, path, "c")
	w.write(100)
	run := func(pattern string) (*Tailer, chan Line, func()) {
		tl, err := New(Options{Patterns: []string{pattern}, Start: FromStart})
		if err != nil {
			t.Fatal(err)
		}
		if tl.CaughtUp() {
			t.Error("CaughtUp before Run = true")
		}
		out := make(chan Line) // unbuffered: a line is sent when it is taken
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- tl.Run(ctx, out) }()
		return tl, out, func() { cancel(); <-done }
	}
	caughtUp := func(tl *Tailer) bool {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if tl.CaughtUp() {
				return true
			}
		}
		return false
	}

	tl, out, stop := run(path)
	defer stop()
	for range 50 {
		<-out
	}
	time.Sleep(100 * time.Millisecond)
	if tl.CaughtUp() {
		t.Error("CaughtUp = true with 50 of the file's lines not sent")
	}
	for range 50 {
		<-out
	}
	if !caughtUp(tl) {
		t.Error("CaughtUp = false after every line was sent")
	}
	w.write(1) // a line written later does not undo it
	<-out
	if !tl.CaughtUp() {
		t.Error("CaughtUp = false after a new line")
	}

	none, _, stopNone := run(filepath.Join(dir, "none-*.log"))
	defer stopNone()
	if !caughtUp(none) {
		t.Error("CaughtUp = false with no file to read")
	}
}
