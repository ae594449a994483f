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
// later has its lines read, with inotify and with polling.
func TestAudit_shortLivedFileRead(t *testing.T) {
	t.Parallel()
	for _, poll := range []bool{false, true} {
		t.Run(map[bool]string{false: "inotify", true: "poll"}[poll], func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "access.log")
			r := startRun(t, Options{Patterns: []string{path}, Start: FromEnd, Poll: poll, RotateWait: rotateWait})
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
		})
	}
}
