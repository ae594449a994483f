package tailer

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestAudit_shortLivedFileRead: README: a file is lost if "created and
// deleted again before sentinel opened it (it opens a new file at a
// followed path within milliseconds, at most 250 ms)". A file that
// appears at a followed path (absent at start) and is deleted 400 ms
// later has its lines read, with inotify and with polling; and so has
// one that appears under a followed glob (with polling, globs are
// expanded again at each look, not every 10 s).
func TestAudit_shortLivedFileRead(t *testing.T) {
	t.Parallel()
	for _, glob := range []bool{false, true} {
		for _, poll := range []bool{false, true} {
			name := map[bool]string{false: "inotify", true: "poll"}[poll] + map[bool]string{false: "", true: " glob"}[glob]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				shortLivedFile(t, poll, glob)
			})
		}
	}
}

func shortLivedFile(t *testing.T, poll, glob bool) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	pattern := path
	if glob {
		pattern = filepath.Join(dir, "*.log")
	}
	r := startRun(t, Options{Patterns: []string{pattern}, Start: FromEnd, Poll: poll, RotateWait: rotateWait})
	time.Sleep(300 * time.Millisecond) // running, the path absent
	w := newWriter(t, path, "s")
	w.write(50)
	time.Sleep(400 * time.Millisecond)
	w.f.Close()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	r.settle("the short-lived file's lines", haveLast("s", w.n))
	r.stop()
	checkExactlyOnce(t, numbers(t, r.got(), "s"), w.n, all)
}

// README: "new files matching a glob are read from their beginning",
// also when the file comes with lines already in it (written under
// another name and renamed in, or written before the tailer looked):
// with inotify and with polling.
func TestAudit_newGlobFileFromItsStart(t *testing.T) {
	t.Parallel()
	for _, poll := range []bool{false, true} {
		t.Run(map[bool]string{false: "inotify", true: "poll"}[poll], func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			r := startRun(t, Options{Patterns: []string{filepath.Join(dir, "*.log")}, Start: FromEnd, Poll: poll, RotateWait: rotateWait})
			time.Sleep(300 * time.Millisecond) // running, no file yet
			w := newWriter(t, filepath.Join(dir, "b.tmp"), "s")
			w.write(30)
			if err := os.Rename(w.path, filepath.Join(dir, "b.log")); err != nil {
				t.Fatal(err)
			}
			w.write(20) // the same open file, now b.log
			r.settle("the new file's lines", haveLast("s", w.n))
			r.stop()
			checkExactlyOnce(t, numbers(t, r.got(), "s"), w.n, all)
		})
	}
}
