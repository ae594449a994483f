package tailer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTailer_pollTruncatedPastOffset: with polling (--poll, a network
// file system), a file truncated and at once written past the offset
// read (copytruncate on a busy log, within one poll) is "only noticed by
// its first bytes" (README, "Rotation: what is read and what can be
// lost"). Noticed so, it must still be read once: no line of the new
// content twice, no line cut in the middle. The lines are longer than
// the old ones, so that the old offset falls inside a line.
func TestTailer_pollTruncatedPastOffset(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "access.log")
	w := newWriter(t, path, "p")
	r := startRun(t, Options{Patterns: []string{path}, Start: FromStart, Poll: true, RotateWait: rotateWait})
	w.write(300)
	r.waitFor("the old lines", haveLast("p", w.n))
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	nw := newWriter(t, path, "qq")
	nw.fast = true // past the old offset before the next poll
	nw.write(600)
	r.settle("the new lines", haveLast("qq", nw.n))
	time.Sleep(3 * checkInterval) // the first bytes are compared
	r.stop()
	checkExactlyOnce(t, numbers(t, r.got(), "qq"), nw.n, all)
	for _, l := range r.got() {
		if s := string(l.Text); !strings.HasPrefix(s, "p ") && !strings.HasPrefix(s, "qq ") {
			t.Errorf("a cut line was delivered: %q", s)
		}
	}
	if st := statsOf(t, r.tl, path); st.Truncations != 1 {
		t.Errorf("%d truncations, want 1", st.Truncations)
	}
}
