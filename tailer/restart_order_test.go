package tailer

import (
	"path/filepath"
	"testing"
	"time"
)

// statsOf returns the stats of path in tl.
func statsOf(tb testing.TB, tl *Tailer, path string) FileStats {
	tb.Helper()
	for _, s := range tl.Stats() {
		if s.Path == path {
			return s
		}
	}
	tb.Fatalf("no stats for %s in %+v", path, tl.Stats())
	return FileStats{}
}

// TestTailer_restartReadsOldestFirst: after a restart, "every file of the
// log's rotation chain that holds unread lines is read, oldest first,
// before the file at the path" (README, "Rotation: what is read and what
// can be lost"): with nothing written meanwhile, the lines come in the
// order they were written, across files. And the renames found at the
// restart are counted, as sentinel_rotations_total promises ("also those
// found at a restart"): one per rotated file.
func TestTailer_restartReadsOldestFirst(t *testing.T) {
	t.Parallel()
	for _, rot := range []rotation{rotations[0], rotations[2]} { // numbered, dateext
		t.Run(rot.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "access.log")
			w := newWriter(t, path, "o")
			opts := Options{Patterns: []string{path}, Start: FromStart, RotateWait: rotateWait}
			r1 := startRun(t, opts)
			w.write(500)
			r1.waitFor("the last line", haveLast("o", w.n))
			r1.stop()
			stoppedAt := time.Now()
			got := r1.got()
			first := w.n
			w.fast = true // nothing reads meanwhile
			for i := 1; i <= 2; i++ {
				w.write(500)
				rot.rotate(t, dir, i)
				w.reopen()
			}
			w.write(500)
			w.fast = false
			opts.Checkpoints, opts.Start, opts.Saved = saved(r1, got), FromEnd, stoppedAt
			r2 := startRun(t, opts)
			r2.settle("the last line", haveLast("o", w.n))
			time.Sleep(100 * time.Millisecond) // nothing more may come
			r2.stop()
			checkExactlyOnce(t, numbers(t, append(got, r2.got()...), "o"), w.n, all)
			for i, e := range numbers(t, r2.got(), "o") {
				if want := first + 1 + i; e.n != want {
					t.Errorf("after the restart, line %d came %d-th, want line %d: the chain is not read oldest first", e.n, i+1, want)
					break
				}
			}
			if st := statsOf(t, r2.tl, path); st.Renames != 2 || st.Truncations != 0 || st.Deletes != 0 {
				t.Errorf("after two renames while stopped: %d renames, %d truncations, %d deletes; want 2, 0, 0", st.Renames, st.Truncations, st.Deletes)
			}
		})
	}
}

// TestTailer_copytruncateCountedOnce: a copytruncate rotation is one
// rotation, of kind truncate (sentinel_rotations_total{kind="truncate"}),
// whether seen while running or found at a restart; reading the rest of
// the old content from logrotate's copy is not a second rotation.
func TestTailer_copytruncateCountedOnce(t *testing.T) {
	t.Parallel()
	copytruncate := func(tb testing.TB, path string) {
		if err := copyTruncate(path, path+".1", nil); err != nil {
			tb.Fatal(err)
		}
	}
	t.Run("running", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "access.log")
		w := newWriter(t, path, "t")
		r := startRun(t, Options{Patterns: []string{path}, Start: FromStart, RotateWait: rotateWait})
		w.write(300)
		r.waitFor("the last line", haveLast("t", w.n))
		copytruncate(t, path)
		w.write(300)
		r.waitFor("the last line", haveLast("t", w.n))
		time.Sleep(200 * time.Millisecond) // the copy is looked at
		r.stop()
		checkExactlyOnce(t, numbers(t, r.got(), "t"), w.n, all)
		if st := statsOf(t, r.tl, path); st.Truncations != 1 || st.Renames != 0 {
			t.Errorf("one copytruncate: %d truncations, %d renames; want 1 and 0", st.Truncations, st.Renames)
		}
	})
	t.Run("at a restart", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "access.log")
		w := newWriter(t, path, "t")
		opts := Options{Patterns: []string{path}, Start: FromStart, RotateWait: rotateWait}
		r1 := startRun(t, opts)
		w.write(300)
		r1.waitFor("the last line", haveLast("t", w.n))
		r1.stop()
		stoppedAt := time.Now()
		got := r1.got()
		w.fast = true
		w.write(300)
		copytruncate(t, path)
		w.write(300)
		w.fast = false
		opts.Checkpoints, opts.Start, opts.Saved = saved(r1, got), FromEnd, stoppedAt
		r2 := startRun(t, opts)
		r2.settle("the last line", haveLast("t", w.n))
		time.Sleep(100 * time.Millisecond)
		r2.stop()
		checkExactlyOnce(t, numbers(t, append(got, r2.got()...), "t"), w.n, all)
		if st := statsOf(t, r2.tl, path); st.Truncations != 1 || st.Renames != 0 {
			t.Errorf("one copytruncate while stopped: %d truncations, %d renames; want 1 and 0", st.Truncations, st.Renames)
		}
	})
}
