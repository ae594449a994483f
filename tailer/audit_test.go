package tailer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAudit_recreateFoundAtRestart: README ("Rotation: what is read and
// what can be lost"): sentinel_rotations_total{source,kind} "counts the
// rotations seen (rename, recreate, truncate), also those found at a
// restart". A log deleted and created again while sentinel was stopped
// (delete and create) is one recreate rotation (FileStats.Deletes, which
// the daemon exports as kind="recreate"), whether or not the deleted
// file held unread lines; the new file is read from its start.
func TestAudit_recreateFoundAtRestart(t *testing.T) {
	t.Parallel()
	for _, unread := range []bool{false, true} {
		t.Run(map[bool]string{false: "read to its end", true: "unread lines lost"}[unread], func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "access.log")
			w := newWriter(t, path, "c")
			opts := Options{Patterns: []string{path}, Start: FromStart, RotateWait: rotateWait}
			r1 := startRun(t, opts)
			w.write(200)
			r1.waitFor("the last line", haveLast("c", w.n))
			r1.stop()
			stoppedAt := time.Now()
			got := r1.got()
			w.fast = true
			if unread {
				w.write(100) // written while stopped, then deleted with the file
			}
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			w.reopen() // the server creates its log again
			first := w.n
			w.write(50)
			w.fast = false
			opts.Checkpoints, opts.Start, opts.Saved = saved(r1, got), FromEnd, stoppedAt
			r2 := startRun(t, opts)
			r2.waitFor("the new file's lines", haveLast("c", w.n))
			time.Sleep(100 * time.Millisecond)
			r2.stop()
			lostFrom := 200
			checkExactlyOnce(t, numbers(t, append(got, r2.got()...), "c"), w.n,
				func(n int) bool { return n <= lostFrom || n > first })
			st := statsOf(t, r2.tl, path)
			if st.Deletes != 1 || st.Renames != 0 || st.Truncations != 0 {
				t.Errorf("a delete and create while stopped: %d deletes (recreate), %d renames, %d truncations; want 1, 0, 0",
					st.Deletes, st.Renames, st.Truncations)
			}
		})
	}
}

// TestAudit_lostCheckpointsWarning: README: at start "sentinel logs a
// warning with the number of checkpointed files it could not find
// (`unread lines could not be recovered`, and one line per file)". Two
// logs whose files were deleted unread while stopped: one summary line
// saying files=2, and one line naming each path.
func TestAudit_lostCheckpointsWarning(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	wa, wb := newWriter(t, a, "a"), newWriter(t, b, "b")
	opts := Options{Patterns: []string{a, b}, Start: FromStart, RotateWait: rotateWait}
	r1 := startRun(t, opts)
	wa.write(100)
	wb.write(100)
	r1.waitFor("both files' lines", func(ls []Line) bool { return haveLast("a", 100)(ls) && haveLast("b", 100)(ls) })
	r1.stop()
	stoppedAt := time.Now()
	got := r1.got()
	for _, w := range []*writer{wa, wb} {
		w.fast = true
		w.write(50) // unread, then deleted
		if err := os.Remove(w.path); err != nil {
			t.Fatal(err)
		}
	}
	opts.Checkpoints, opts.Start, opts.Saved = saved(r1, got), FromEnd, stoppedAt
	r2 := startRun(t, opts)
	r2.waitStats(a, "a.log's loss counted", func(s FileStats) bool { return s.Lost == 1 })
	r2.waitStats(b, "b.log's loss counted", func(s FileStats) bool { return s.Lost == 1 })
	r2.stop()
	logs := r2.logs.String()
	var summary, perFile []string
	for _, l := range strings.Split(logs, "\n") {
		switch {
		case strings.Contains(l, "unread lines could not be recovered"):
			summary = append(summary, l)
		case strings.Contains(l, "checkpointed file not found"):
			perFile = append(perFile, l)
		}
	}
	if len(summary) != 1 || !strings.Contains(summary[0], "files=2") {
		t.Errorf("summary warnings %q, want one saying files=2", summary)
	}
	if len(perFile) != 2 || !strings.Contains(strings.Join(perFile, "\n"), a) || !strings.Contains(strings.Join(perFile, "\n"), b) {
		t.Errorf("per-file warnings %q, want one for %s and one for %s", perFile, a, b)
	}
}

// TestAudit_drainedFileDeletedNoRecreate: a rotated file still being
// drained at the stop, deleted while stopped, while the file at the path
// stays the same, is no delete-and-create of the log: no recreate is
// counted at the restart (its loss is).
func TestAudit_drainedFileDeletedNoRecreate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "access.log")
	w := newWriter(t, path, "k")
	opts := Options{Patterns: []string{path}, Start: FromStart, RotateWait: time.Minute}
	r1 := startRun(t, opts)
	w.write(100)
	r1.waitFor("the first lines", haveLast("k", w.n))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	w.reopen()
	w.write(50)
	r1.waitFor("the new file's lines", haveLast("k", w.n))
	r1.stop() // the renamed file is still drained (RotateWait)
	stoppedAt := time.Now()
	got := r1.got()
	w.fast = true
	if err := os.WriteFile(path+".1", []byte("x\n"), 0o644); err != nil { // grown, then deleted
		t.Fatal(err)
	}
	if err := os.Remove(path + ".1"); err != nil {
		t.Fatal(err)
	}
	w.write(20)
	w.fast = false
	opts.Checkpoints, opts.Start, opts.Saved = saved(r1, got), FromEnd, stoppedAt
	r2 := startRun(t, opts)
	r2.waitFor("the live file's new lines", haveLast("k", w.n))
	r2.stop()
	checkExactlyOnce(t, numbers(t, append(got, r2.got()...), "k"), w.n, all)
	if st := statsOf(t, r2.tl, path); st.Deletes != 0 {
		t.Errorf("the live file kept, a drained rotated file deleted: %d deletes (recreate), want 0", st.Deletes)
	}
}

// TestAudit_drainingRenameNotCountedAgain: README: sentinel_rotations_total
// counts the rotations seen, "also those found at a restart". A rename
// seen before the stop, whose renamed file was still being drained when
// sentinel stopped, is no rotation found at the restart: with nothing
// rotated while stopped, the restart counts none; with one rename while
// stopped, it counts one.
func TestAudit_drainingRenameNotCountedAgain(t *testing.T) {
	t.Parallel()
	for _, renamedWhileStopped := range []bool{false, true} {
		t.Run(map[bool]string{false: "nothing while stopped", true: "one rename while stopped"}[renamedWhileStopped], func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "access.log")
			w := newWriter(t, path, "m")
			opts := Options{Patterns: []string{path}, Start: FromStart, RotateWait: time.Minute}
			r1 := startRun(t, opts)
			w.write(100)
			r1.waitFor("the first lines", haveLast("m", w.n))
			if err := os.Rename(path, path+"-20260101"); err != nil {
				t.Fatal(err)
			}
			w.reopen()
			w.write(50)
			r1.waitFor("the new file's lines", haveLast("m", w.n))
			r1.waitStats(path, "the rename counted", func(s FileStats) bool { return s.Renames == 1 })
			r1.stop() // the renamed file is still drained (RotateWait)
			stoppedAt := time.Now()
			got := r1.got()
			want := int64(0)
			if renamedWhileStopped {
				if err := os.Rename(path, path+"-20260102"); err != nil {
					t.Fatal(err)
				}
				w.reopen()
				want = 1
			}
			w.fast = true
			w.write(20)
			w.fast = false
			opts.Checkpoints, opts.Start, opts.Saved = saved(r1, got), FromEnd, stoppedAt
			r2 := startRun(t, opts)
			r2.waitFor("the last line", haveLast("m", w.n))
			time.Sleep(100 * time.Millisecond)
			r2.stop()
			checkExactlyOnce(t, numbers(t, append(got, r2.got()...), "m"), w.n, all)
			if st := statsOf(t, r2.tl, path); st.Renames != want {
				t.Errorf("renames counted at the restart: %d, want %d", st.Renames, want)
			}
		})
	}
}
