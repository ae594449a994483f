package tailer

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestAudit_pollCopyTruncateAndRecreate: README, "While running": a
// truncated file (copytruncate) is read again from its start, what was
// not read yet of it is read from logrotate's copy, and a path that
// names a new file (delete and create) is followed while the old file is
// drained. Network file systems are polled (--poll): the same holds
// there. Only lines written between a copy and its truncate may be lost.
func TestAudit_pollCopyTruncateAndRecreate(t *testing.T) {
	t.Parallel()
	t.Run("copytruncate", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "access.log")
		w := newWriter(t, path, "p")
		r := startRun(t, Options{Patterns: []string{path}, Start: FromStart, Poll: true, RotateWait: rotateWait})
		window := map[int]bool{}
		background(t, func() {
			for i := range 3 {
				w.write(2000)
				if err := copyTruncate(path, fmt.Sprintf("%s.%d", path, i+1), func() {
					w.write(3)
					for k := w.n - 2; k <= w.n; k++ {
						window[k] = true
					}
				}); err != nil {
					t.Error(err)
					return
				}
			}
			w.write(2000)
		})()
		r.waitFor("the last line", haveLast("p", w.n))
		time.Sleep(300 * time.Millisecond)
		r.stop()
		checkLines(t, numbers(t, r.got(), "p"), w.n, func(n int) bool { return !window[n] }, all)
		if st := statsOf(t, r.tl, path); st.Truncations != 3 {
			t.Errorf("%d truncations, want 3", st.Truncations)
		}
	})
	t.Run("delete and create", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "access.log")
		w := newWriter(t, path, "q")
		r := startRun(t, Options{Patterns: []string{path}, Start: FromStart, Poll: true, RotateWait: rotateWait})
		background(t, func() {
			for range 2 {
				w.write(2000)
				if err := os.Remove(path); err != nil {
					t.Error(err)
					return
				}
				w.writeFor(200 * time.Millisecond) // to the deleted file
				w.reopen()
			}
			w.write(2000)
		})()
		r.waitFor("the last line", haveLast("q", w.n))
		time.Sleep(300 * time.Millisecond)
		r.stop()
		checkExactlyOnce(t, numbers(t, r.got(), "q"), w.n, all)
		if st := statsOf(t, r.tl, path); st.Deletes != 2 {
			t.Errorf("%d deletes, want 2", st.Deletes)
		}
	})
}
