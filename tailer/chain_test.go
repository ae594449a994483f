package tailer

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rotation is one way logrotate renames a file: the name the live file
// gets at rotation i (1-based), and whether the previous rotated files
// are shifted (numbered naming) and compressed one rotation later
// (delaycompress).
type rotation struct {
	name          string
	pattern       string // the glob sentinel is given, relative to the directory
	rotated       func(i int) string
	numbered      bool
	delaycompress bool
	copytruncate  bool // copy, then truncate in place (no new file)
}

var rotations = []rotation{
	{name: "numbered", pattern: "access.log*", numbered: true,
		rotated: func(int) string { return "access.log.1" }},
	{name: "numbered delaycompress", pattern: "access.log*", numbered: true, delaycompress: true,
		rotated: func(int) string { return "access.log.1" }},
	{name: "dateext", pattern: "access.log*",
		rotated: func(i int) string { return fmt.Sprintf("access.log-202601%02d", i) }},
	{name: "dateext extension", pattern: "*.log",
		rotated: func(i int) string { return fmt.Sprintf("access-202601%02d.log", i) }},
	{name: "numbered copytruncate", pattern: "access.log*", numbered: true, copytruncate: true,
		rotated: func(int) string { return "access.log.1" }},
}

// rotate renames dir/access.log the way r says, for the i-th time, and
// creates an empty access.log. It shifts and compresses older files
// first, as logrotate does.
func (r rotation) rotate(tb testing.TB, dir string, i int) {
	tb.Helper()
	live := filepath.Join(dir, "access.log")
	if r.numbered {
		for k := 8; k >= 1; k-- {
			from := filepath.Join(dir, fmt.Sprintf("access.log.%d", k))
			to := filepath.Join(dir, fmt.Sprintf("access.log.%d", k+1))
			for _, ext := range []string{"", ".gz"} {
				if _, err := os.Stat(from + ext); err == nil {
					if err := os.Rename(from+ext, to+ext); err != nil {
						tb.Error(err)
					}
				}
			}
		}
		if r.delaycompress {
			if p := filepath.Join(dir, "access.log.2"); fileExists(p) {
				gzipFile(tb, p)
			}
		}
	}
	if r.copytruncate {
		b, err := os.ReadFile(live)
		if err != nil {
			tb.Error(err)
		}
		if err := os.WriteFile(filepath.Join(dir, r.rotated(i)), b, 0o644); err != nil {
			tb.Error(err)
		}
		if err := os.Truncate(live, 0); err != nil {
			tb.Error(err)
		}
		return
	}
	if err := os.Rename(live, filepath.Join(dir, r.rotated(i))); err != nil {
		tb.Error(err)
	}
	if err := os.WriteFile(live, nil, 0o644); err != nil {
		tb.Error(err)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// gzipFile compresses p to p.gz and removes p, as gzip (and logrotate's
// compress) does.
func gzipFile(tb testing.TB, p string) {
	tb.Helper()
	in, err := os.Open(p)
	if err != nil {
		tb.Error(err)
		return
	}
	defer in.Close()
	out, err := os.Create(p + ".gz")
	if err != nil {
		tb.Error(err)
		return
	}
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		tb.Error(err)
	}
	if err := zw.Close(); err != nil {
		tb.Error(err)
	}
	if err := out.Close(); err != nil {
		tb.Error(err)
	}
	if err := os.Remove(p); err != nil {
		tb.Error(err)
	}
}

// TestTailer_GlobMatchesRotated: the glob matches the rotated files too
// (logrotate's numbered, dateext and dateext+extension naming, and
// delaycompress .gz files). A rotated file is the file the tailer was
// already reading, under another name: every line is delivered once.
func TestTailer_GlobMatchesRotated(t *testing.T) {
	t.Parallel()
	for _, rot := range rotations {
		t.Run(rot.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "access.log")
			w := newWriter(t, path, "g")
			r := startRun(t, Options{Patterns: []string{filepath.Join(dir, rot.pattern)}, Start: FromStart,
				RotateWait: rotateWait, Reglob: 100 * time.Millisecond})
			const n = 4
			wait := background(t, func() {
				for i := 1; i <= n; i++ {
					w.write(3000)
					rot.rotate(t, dir, i)
					w.writeFor(100 * time.Millisecond) // the server still writes the renamed file
					if !rot.copytruncate {
						w.reopen()
					}
				}
				w.write(3000)
			})
			wait()
			r.settle("the last line", haveLast("g", w.n))
			// Let a re-glob see the rotated files once more: nothing new
			// may come of it.
			time.Sleep(300 * time.Millisecond)
			r.stop()
			checkExactlyOnce(t, numbers(t, r.got(), "g"), w.n, all)
		})
	}
}

// saved returns the checkpoints a caller that processed lines (and
// saved then) passes to the next run, as sentinel's daemon does: the
// position after the last line processed of each file, merged by
// [Tailer.Checkpoints] with the files the tailer knows.
func saved(r *run, lines []Line) []Checkpoint {
	processed := map[FileID]Checkpoint{}
	for _, l := range lines {
		processed[l.Pos.ID()] = l.Pos
	}
	return r.tl.Checkpoints(processed)
}

// TestTailer_RestartAfterRotations: the tailer is stopped, cleanly or
// "killed" (the last checkpoint saved is older than the last line
// delivered), the log rotates while it is stopped, and a new run
// resumes from the checkpoints: every file of the rotation chain that
// holds unread lines is read, oldest first, and every line is delivered
// exactly once over the two runs.
func TestTailer_RestartAfterRotations(t *testing.T) {
	t.Parallel()
	numbered := rotations[0]
	delayed := rotations[1]
	for _, tt := range []struct {
		name    string
		pattern string
		// stopped changes the files while the tailer is stopped.
		stopped func(tb testing.TB, dir string, w *writer)
	}{
		{"two renames", "access.log", func(tb testing.TB, dir string, w *writer) {
			for i := 1; i <= 2; i++ {
				w.write(1000)
				numbered.rotate(tb, dir, i)
				w.write(200) // the server still writes the renamed file
				w.reopen()
			}
			w.write(1000)
		}},
		{"two renames under a glob", "access.log*", func(tb testing.TB, dir string, w *writer) {
			for i := 1; i <= 2; i++ {
				w.write(1000)
				numbered.rotate(tb, dir, i)
				w.reopen()
			}
			w.write(1000)
		}},
		{"dateext under a glob", "*.log", func(tb testing.TB, dir string, w *writer) {
			for i := 1; i <= 2; i++ {
				w.write(1000)
				rotations[3].rotate(tb, dir, i)
				w.reopen()
			}
			w.write(1000)
		}},
		{"compressed while stopped", "access.log", func(tb testing.TB, dir string, w *writer) {
			for i := 1; i <= 2; i++ { // the second compresses the checkpointed file
				w.write(1000)
				delayed.rotate(tb, dir, i)
				w.reopen()
			}
			w.write(1000)
		}},
		{"compressed under a glob", "access.log*", func(tb testing.TB, dir string, w *writer) {
			for i := 1; i <= 3; i++ {
				w.write(1000)
				delayed.rotate(tb, dir, i)
				w.reopen()
			}
			w.write(1000)
		}},
		{"compressed at once", "access.log", func(tb testing.TB, dir string, w *writer) {
			w.write(1000)
			numbered.rotate(tb, dir, 1)
			w.reopen()
			gzipFile(tb, filepath.Join(dir, "access.log.1"))
			w.write(1000)
		}},
		{"copytruncate", "access.log", func(tb testing.TB, dir string, w *writer) {
			w.write(1000)
			path := filepath.Join(dir, "access.log")
			b, err := os.ReadFile(path)
			if err != nil {
				tb.Fatal(err)
			}
			if err := os.WriteFile(path+".1", b, 0o644); err != nil {
				tb.Fatal(err)
			}
			if err := os.Truncate(path, 0); err != nil {
				tb.Fatal(err)
			}
			w.write(1000)
		}},
	} {
		for _, killed := range []bool{false, true} {
			name := tt.name + map[bool]string{false: ", stopped", true: ", killed"}[killed]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				path := filepath.Join(dir, "access.log")
				w := newWriter(t, path, "r")
				opts := Options{Patterns: []string{filepath.Join(dir, tt.pattern)}, Start: FromStart, RotateWait: rotateWait}
				r1 := startRun(t, opts)
				w.write(1000)
				r1.waitFor("the last line", haveLast("r", w.n))
				r1.stop()
				stoppedAt := time.Now()
				got := r1.got()
				if killed {
					got = got[:len(got)*2/3] // the rest was delivered, not saved
				}
				w.fast = true // nothing reads meanwhile
				tt.stopped(t, dir, w)
				w.fast = false
				// As sentinel run does by default, files without a
				// checkpoint are read from their end.
				opts.Checkpoints, opts.Start, opts.Saved = saved(r1, got), FromEnd, stoppedAt
				r2 := startRun(t, opts)
				background(t, func() { w.write(1000) })()
				r2.settle("the last line", haveLast("r", w.n))
				time.Sleep(100 * time.Millisecond) // nothing more may come
				r2.stop()
				checkExactlyOnce(t, numbers(t, append(got, r2.got()...), "r"), w.n, all)
			})
		}
	}
}

// TestTailer_RestartGlob: files that appear under a glob while the
// tailer is stopped are read from their start; two files under one glob
// are both resumed.
func TestTailer_RestartGlob(t *testing.T) {
	t.Parallel()
	for _, killed := range []bool{false, true} {
		t.Run(map[bool]string{false: "stopped", true: "killed"}[killed], func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			wa := newWriter(t, filepath.Join(dir, "a.log"), "a")
			wb := newWriter(t, filepath.Join(dir, "b.log"), "b")
			opts := Options{Patterns: []string{filepath.Join(dir, "*.log")}, Start: FromStart, RotateWait: rotateWait}
			r1 := startRun(t, opts)
			wa.write(2000)
			wb.write(2000)
			r1.waitFor("the last lines", func(ls []Line) bool { return haveLast("a", wa.n)(ls) && haveLast("b", wb.n)(ls) })
			r1.stop()
			stoppedAt := time.Now()
			got := r1.got()
			if killed {
				got = got[:len(got)*2/3]
			}
			wa.fast, wb.fast = true, true
			wa.write(1000)
			wb.write(1000)
			wc := newWriter(t, filepath.Join(dir, "c.log"), "c") // appears while stopped
			wc.fast = true
			wc.write(1000)
			wa.fast, wb.fast, wc.fast = false, false, false
			opts.Checkpoints, opts.Start, opts.Saved = saved(r1, got), FromEnd, stoppedAt
			r2 := startRun(t, opts)
			background(t, func() { wa.write(1000); wb.write(1000); wc.write(1000) })()
			r2.settle("the last lines", func(ls []Line) bool {
				return haveLast("a", wa.n)(ls) && haveLast("b", wb.n)(ls) && haveLast("c", wc.n)(ls)
			})
			time.Sleep(100 * time.Millisecond)
			r2.stop()
			all2 := append(got, r2.got()...)
			checkExactlyOnce(t, numbers(t, all2, "a"), wa.n, all)
			checkExactlyOnce(t, numbers(t, all2, "b"), wb.n, all)
			checkExactlyOnce(t, numbers(t, all2, "c"), wc.n, all)
		})
	}
}

// TestTailer_RestartDuringDrain: the tailer stops while it drains a
// renamed file that the server still writes; the server goes on writing
// it, then reopens. The next run finishes the renamed file and reads
// the new one: every line once.
func TestTailer_RestartDuringDrain(t *testing.T) {
	t.Parallel()
	for _, killed := range []bool{false, true} {
		t.Run(map[bool]string{false: "stopped", true: "killed"}[killed], func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "access.log")
			w := newWriter(t, path, "d")
			opts := Options{Patterns: []string{path}, Start: FromStart, RotateWait: 5 * time.Second}
			r1 := startRun(t, opts)
			w.write(2000)
			rotations[0].rotate(t, dir, 1)
			w.write(1000) // to the renamed file: drained
			r1.waitFor("the last line", haveLast("d", w.n))
			nw := newWriter(t, path, "d") // a second server process already writes the new file
			nw.n = 1_000_000
			nw.write(500)
			r1.waitFor("the new file's lines", haveLast("d", nw.n))
			r1.stop()
			stoppedAt := time.Now()
			got := r1.got()
			if killed {
				got = got[:len(got)*2/3]
			}
			w.write(1000) // still to the renamed file
			nw.write(500)
			opts.Checkpoints, opts.Start, opts.Saved = saved(r1, got), FromEnd, stoppedAt
			r2 := startRun(t, opts)
			background(t, func() { w.write(500); nw.write(500) })()
			r2.settle("the last lines", func(ls []Line) bool { return haveLast("d", w.n)(ls) && haveLast("d", nw.n)(ls) })
			time.Sleep(100 * time.Millisecond)
			r2.stop()
			ns := numbers(t, append(got, r2.got()...), "d")
			checkLines(t, ns, nw.n, func(n int) bool { return n <= w.n || n > 1_000_000 }, func(n int) bool { return n <= w.n || n > 1_000_000 })
		})
	}
}

// TestTailer_RotationNoDelay: while a renamed file is drained, the new
// file at the path is read too: its lines do not wait for the drain to
// end, and lines still written to the renamed file keep coming.
func TestTailer_RotationNoDelay(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	old := newWriter(t, path, "o")
	// A drain far longer than the test's waits: a new file read only
	// after it would fail the wait below.
	r := startRun(t, Options{Patterns: []string{path}, Start: FromStart, RotateWait: time.Minute})
	old.write(100)
	r.waitFor("the first lines", haveLast("o", old.n))
	rotations[0].rotate(t, dir, 1)
	nw := newWriter(t, path, "n")
	nw.write(100)
	r.waitFor("the new file's lines during the drain", haveLast("n", nw.n))
	old.write(100) // the server has not reopened yet
	nw.write(100)
	r.waitFor("the renamed file's late lines", haveLast("o", old.n))
	r.waitFor("the new file's lines", haveLast("n", nw.n))
	r.stop()
	checkExactlyOnce(t, numbers(t, r.got(), "o"), old.n, all)
	checkExactlyOnce(t, numbers(t, r.got(), "n"), nw.n, all)
}

// writeGzip writes n numbered lines of tag to path, gzip-compressed.
func writeGzip(tb testing.TB, path, tag string, n int) {
	tb.Helper()
	plain := filepath.Join(tb.TempDir(), "plain") // not where a glob matches it
	w := newWriter(tb, plain, tag)
	for range n {
		w.n++
		w.put(lineText(tag, w.n) + "\n")
	}
	w.f.Close()
	gzipFile(tb, plain)
	if err := os.Rename(plain+".gz", path); err != nil {
		tb.Fatal(err)
	}
}

// TestTailer_GlobGzip: gzip files matched by a glob are read through
// gzip, once, as finished files (an old one only with FromStart; one that
// appears later always); files compressed otherwise are skipped with a
// warning, never read as text.
func TestTailer_GlobGzip(t *testing.T) {
	t.Parallel()
	for _, start := range []Start{FromStart, FromEnd} {
		t.Run(map[Start]string{FromStart: "from start", FromEnd: "from end"}[start], func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeGzip(t, filepath.Join(dir, "old.log.gz"), "z", 500)
			if err := os.WriteFile(filepath.Join(dir, "other.log.bz2"), []byte("BZh91AY&SY\x00\x01\x02\nBZ\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			w := newWriter(t, filepath.Join(dir, "a.log"), "a")
			r := startRun(t, Options{Patterns: []string{filepath.Join(dir, "*.log*")}, Start: start, Reglob: 200 * time.Millisecond})
			r.waitStats(filepath.Join(dir, "a.log"), "a.log opened", func(FileStats) bool { return true })
			w.write(100)
			writeGzip(t, filepath.Join(dir, "new.log.gz"), "y", 300) // appears while running
			r.waitFor("the lines", func(ls []Line) bool { return haveLast("a", w.n)(ls) && haveLast("y", 300)(ls) })
			time.Sleep(500 * time.Millisecond) // further scans read nothing again
			r.stop()
			checkExactlyOnce(t, numbers(t, r.got(), "a"), w.n, all)
			checkExactlyOnce(t, numbers(t, r.got(), "y"), 300, all)
			if start == FromStart {
				checkExactlyOnce(t, numbers(t, r.got(), "z"), 500, all)
			} else if z := numbers(t, r.got(), "z"); len(z) > 0 {
				t.Errorf("%d lines of an old .gz read with FromEnd", len(z))
			}
			for _, l := range r.got() {
				if f := strings.Fields(string(l.Text)); len(f) == 0 || !strings.Contains("ayz", f[0]) {
					t.Errorf("line %q read: not a written line (a compressed file read as text?)", l.Text)
					break
				}
			}
			if !strings.Contains(r.logs.String(), "other.log.bz2") || !strings.Contains(r.logs.String(), "cannot read") {
				t.Errorf("no warning about the .bz2 file:\n%s", r.logs.String())
			}
		})
	}
}

// TestRotationOf: the names taken for rotations of a live file, as README
// lists them, and the look-alikes that are other files.
func TestRotationOf(t *testing.T) {
	for _, c := range []struct {
		base, name string
		want       bool
	}{
		{"access.log", "access.log.1", true},
		{"access.log", "access.log.12", true},
		{"access.log", "access.log.1.gz", true},
		{"access.log", "access.log.2.bz2", true}, // a rotation, though one sentinel cannot read
		{"access.log", "access.log-20260101", true},
		{"access.log", "access.log-20260101.gz", true},
		{"access.log", "access.log_2026-01-01", true},
		{"access.log", "access-20260101.log", true}, // dateext with extension
		{"access.log", "access-20260101.log.gz", true},
		{"access.log", "access.log", false},
		{"access.log", "access.log.gz", false}, // the live file compressed is no rotation of it
		{"access.log", "access.log.old", false},
		{"access.log", "access.log.bak1", false},
		{"access.log", "access.log.", false},
		{"access.log", "access.log.-", false},
		{"access.log", "access-error.log", false},
		{"access.log", "access-error.log.1", false},
		{"access.log", "access.log2", false},
		{"access.log", "other.log.1", false},
		{"access.log", "access.1", false},
		{"app", "app.1", true},
		{"app", "app-20260101", true},
		{"app", "app.log", false},
	} {
		if got := rotationOf(c.base, c.name); got != c.want {
			t.Errorf("rotationOf(%q, %q) = %t, want %t", c.base, c.name, got, c.want)
		}
	}
}

// TestTailer_lostCheckpoint: a checkpointed file deleted while the
// tailer was stopped, its unread lines with it, is warned about once and
// counted (FileStats.Lost), and the file now at the path is followed
// (README, "Rotation and restarts").
func TestTailer_lostCheckpoint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	w := newWriter(t, path, "l")
	opts := Options{Patterns: []string{path}, Start: FromStart, RotateWait: rotateWait}
	r1 := startRun(t, opts)
	w.write(300)
	r1.waitFor("the last line", haveLast("l", w.n))
	r1.stop()
	stoppedAt := time.Now()
	got := r1.got()[:200] // killed: the last 100 lines delivered, not saved
	// While stopped: rotated, then the rotated file deleted unread
	// (logrotate with rotate 0), and a new file at the path.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path + ".1"); err != nil {
		t.Fatal(err)
	}
	w.reopen()
	opts.Checkpoints, opts.Start, opts.Saved = saved(r1, got), FromEnd, stoppedAt
	r2 := startRun(t, opts)
	w.write(50)
	r2.waitFor("the new file's lines", haveLast("l", w.n))
	if s := r2.waitStats(path, "the lost file counted", func(s FileStats) bool { return s.Lost == 1 }); s.Lost != 1 {
		t.Errorf("Lost = %d, want 1", s.Lost)
	}
	logs := r2.logs.String()
	for _, want := range []string{"checkpointed file not found", "unread lines could not be recovered"} {
		if strings.Count(logs, want) != 1 {
			t.Errorf("the log says %q %d times, want once:\n%s", want, strings.Count(logs, want), logs)
		}
	}
	r2.stop()
	// Lines 1–200 from the first run, none of the lost 201–300 (they were
	// in the deleted file), the new file's from its start.
	checkExactlyOnce(t, numbers(t, append(got, r2.got()...), "l"), w.n, func(n int) bool { return n <= 200 || n > 300 })
}

// TestTailer_lateLinesAfterDrain: a server that keeps writing to the
// renamed file past the rotation's drain (RotateWait) has its late lines
// read at the next look at the directory, while the file keeps a rotated
// name (README, "What can still be missed"), once each, whether the
// pattern is the path or a glob.
func TestTailer_lateLinesAfterDrain(t *testing.T) {
	t.Parallel()
	for _, pattern := range []string{"access.log", "access.log*"} {
		t.Run(pattern, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "access.log")
			w := newWriter(t, path, "d")
			r := startRun(t, Options{Patterns: []string{filepath.Join(dir, pattern)}, Start: FromStart,
				RotateWait: 200 * time.Millisecond, Reglob: 300 * time.Millisecond})
			w.write(100)
			r.waitFor("the first lines", haveLast("d", w.n))
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
			w.reopen() // the new file
			w.write(20)
			r.waitFor("the new file's lines", haveLast("d", w.n))
			time.Sleep(600 * time.Millisecond)   // past the drain
			late := newWriter(t, path+".1", "d") // the server's handle on the renamed file
			late.n = w.n
			late.write(30)
			w.n = late.n
			r.waitFor("the late lines", haveLast("d", w.n))
			time.Sleep(200 * time.Millisecond) // nothing more may come
			r.stop()
			checkExactlyOnce(t, numbers(t, r.got(), "d"), w.n, all)
		})
	}
}

// TestTailer_GlobPathGoneDuringRotation: logrotate without create (the
// server makes the new file when it reopens its log) and with compress:
// the path is gone for longer than a re-glob while the renamed file is
// compressed, during its drain or after it. The compressed file is still
// the file the tailer read at the path, under one of its rotated names:
// it is continued from where that was read, never read again from its
// start. The first case failed every run before prune kept a gone glob
// match while files of its chain are known (250 lines twice); the second
// passed either way (the drain's end brings the path's source back before
// the compression) and guards that route.
func TestTailer_GlobPathGoneDuringRotation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		rotateWait time.Duration
		gone       time.Duration // from the rename to the compression
	}{
		{"compressed during the drain", 5 * time.Second, 300 * time.Millisecond},
		{"compressed after the drain", 200 * time.Millisecond, 600 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "access.log")
			w := newWriter(t, path, "p")
			r := startRun(t, Options{Patterns: []string{filepath.Join(dir, "access.log*")}, Start: FromStart,
				RotateWait: tt.rotateWait, Reglob: 50 * time.Millisecond})
			w.write(200)
			r.waitFor("the first lines", haveLast("p", w.n))
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
			w.write(50) // the server still writes the renamed file
			r.waitFor("the renamed file's lines", haveLast("p", w.n))
			time.Sleep(tt.gone) // re-globs while the path is gone
			gzipFile(t, path+".1")
			time.Sleep(300 * time.Millisecond) // re-globs see the .gz, the path still gone
			w.reopen()                         // the server creates the new file
			w.write(100)
			r.waitFor("the new file's lines", haveLast("p", w.n))
			time.Sleep(300 * time.Millisecond) // nothing more may come
			r.stop()
			checkExactlyOnce(t, numbers(t, r.got(), "p"), w.n, all)
		})
	}
}
