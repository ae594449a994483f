package tailer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nxadm/tail"
)

// errGone says that a followed path no longer exists.
var errGone = errors.New("file gone")

// verdict is what a check found out about a generation.
type verdict int

const (
	same      verdict = iota // still the file at the path
	rotated                  // the path names another file, or none
	truncated                // shrunk or rewritten: read again from 0
)

// follower follows one real path, generation after generation. It runs in
// one goroutine owned by [Tailer.Run].
type follower struct {
	path       string // the pattern match, reported in Line.Path
	real       string // EvalSymlinks(path): what is opened and checked
	start      Start
	ckpt       *Checkpoint // consumed by the first generation
	poll       bool
	rotateWait time.Duration
	maxLen     int
	open       func(string) (*os.File, error)
	out        chan<- Line
	stats      *fileStats
	log        *slog.Logger
	libLog     *log.Logger
	// pending are files seen at the path after the one being drained,
	// held open, oldest first.
	pending []*generation
}

// run follows w.real until ctx ends or the path is gone (after its last
// generation was drained). It returns nil when the path is gone.
func (w *follower) run(ctx context.Context) error {
	g, size, err := w.openRetry(ctx)
	if err != nil {
		return ignoreGone(err)
	}
	w.stats.size.Store(size)
	if err := w.position(ctx, g, size); err != nil {
		g.close()
		return err
	}
	w.stats.offset.Store(g.off)
	defer w.closePending()
	for {
		if err := w.follow(ctx, g); err != nil {
			g.close()
			return err
		}
		// The path names another file, or none. Hold its successors from
		// now on, so that further rotations during the drain lose nothing.
		w.log.Info("file rotated; draining the old file", "rotate_wait", w.rotateWait, "inode", g.ino, "offset", g.off)
		w.holdSuccessor(g)
		err := w.drain(ctx, g, time.Now().Add(w.rotateWait))
		w.log.Debug("drained", "inode", g.ino, "offset", g.off)
		g.close()
		w.stats.rotations.Add(1)
		if err != nil {
			return err
		}
		// Successors that were rotated in turn while we drained are read
		// by their descriptors too, in order.
		for len(w.pending) > 1 {
			h := w.pending[0]
			w.pending = w.pending[1:]
			err := h.seek(0)
			if err == nil {
				err = w.drain(ctx, h, h.rotatedAt.Add(w.rotateWait))
			}
			h.close()
			w.stats.rotations.Add(1)
			if err != nil {
				return err
			}
		}
		if len(w.pending) == 1 {
			g, w.pending = w.pending[0], nil
		} else if g, _, err = w.openRetry(ctx); err != nil {
			return ignoreGone(err)
		}
		if err := g.seek(0); err != nil {
			g.close()
			return err
		}
		w.stats.offset.Store(0)
	}
}

// holdSuccessor opens the file now at w.real if it is neither g nor a
// held successor, and marks the previous successor rotated.
func (w *follower) holdSuccessor(g *generation) {
	fi, err := os.Stat(w.real)
	if err != nil {
		return
	}
	dev, ino := fileID(fi)
	for _, h := range append([]*generation{g}, w.pending...) {
		if h.dev == dev && h.ino == ino {
			return
		}
	}
	next, _, err := openGeneration(w.open, w.real)
	if err != nil {
		return // openRetry reports it if it lasts
	}
	if next.dev != dev || next.ino != ino {
		next.close() // replaced meanwhile: seen at the next poll
		return
	}
	if n := len(w.pending); n > 0 {
		w.pending[n-1].rotatedAt = time.Now()
	}
	w.pending = append(w.pending, next)
}

func (w *follower) closePending() {
	for _, h := range w.pending {
		h.close()
	}
	w.pending = nil
}

func ignoreGone(err error) error {
	if errors.Is(err, errGone) {
		return nil
	}
	return err
}

// openRetry opens w.real, retrying with backoff while it exists but cannot
// be opened (e.g. permission denied). Each failure is counted; the first
// of a series is logged.
func (w *follower) openRetry(ctx context.Context) (*generation, int64, error) {
	backoff := 50 * time.Millisecond
	failing := false
	for {
		g, size, err := openGeneration(w.open, w.real)
		if err == nil {
			if failing {
				w.log.Info("file readable again")
			}
			return g, size, nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, errGone
		}
		w.stats.openErrors.Add(1)
		if !failing {
			w.log.Warn("cannot open file; retrying", "err", err)
			failing = true
		}
		if err := sleep(ctx, backoff); err != nil {
			return nil, 0, err
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// position sets where the first generation is read from: its checkpoint,
// or the start setting.
func (w *follower) position(ctx context.Context, g *generation, size int64) error {
	if cp := w.ckpt; cp != nil {
		w.ckpt = nil
		if cp.Dev == g.dev && cp.Inode == g.ino {
			if cp.matches(g.f, size) {
				return g.seek(cp.Offset)
			}
			w.log.Info("file truncated or replaced since the checkpoint; reading from the start",
				"offset", cp.Offset, "size", size)
			w.stats.truncations.Add(1)
			return g.seek(0)
		}
		if err := w.finishRotated(ctx, *cp); err != nil {
			return err
		}
		return g.seek(0)
	}
	if w.start == FromStart {
		return g.seek(0)
	}
	return g.seek(endOffset(g.f, size))
}

// endOffset is where FromEnd starts: just after the last "\n" within the
// file's last 64 KiB, so that a line being written is not cut in half.
func endOffset(f *os.File, size int64) int64 {
	n := min(size, 64<<10)
	b := make([]byte, n)
	if _, err := f.ReadAt(b, size-n); err != nil {
		return size
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return size - n + int64(i) + 1
	}
	if n == size {
		return 0
	}
	return size
}

// finishRotated reads the checkpointed file, rotated while the tailer was
// stopped, from the checkpoint to its end, if it is still in the same
// directory (found by inode) and its consumed prefix is unchanged.
func (w *follower) finishRotated(ctx context.Context, cp Checkpoint) error {
	dir := filepath.Dir(w.real)
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.log.Warn("cannot look for the rotated file", "err", err)
		return nil
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if dev, ino := fileID(info); dev != cp.Dev || ino != cp.Inode {
			continue
		}
		name := filepath.Join(dir, e.Name())
		g, size, err := openGeneration(w.open, name)
		if err != nil {
			w.log.Warn("cannot open the rotated file", "rotated", name, "err", err)
			return nil
		}
		if g.dev != cp.Dev || g.ino != cp.Inode {
			g.close() // renamed meanwhile
			return nil
		}
		defer g.close()
		if !cp.matches(g.f, size) {
			w.log.Info("rotated file changed since the checkpoint; skipping it", "rotated", name)
			return nil
		}
		if err := g.seek(cp.Offset); err != nil {
			return err
		}
		w.log.Info("finishing the file rotated while stopped", "rotated", name, "offset", cp.Offset)
		w.stats.rotations.Add(1)
		return g.readOwn(ctx, w.maxLen, true, w.ownLine(ctx, g))
	}
	w.log.Info("checkpointed file not found; reading the current file from the start", "inode", cp.Inode)
	return nil
}

// follow delivers g's lines through the library until g is no longer the
// file at w.real (it returns nil then) or ctx ends.
func (w *follower) follow(ctx context.Context, g *generation) error {
	backoff := 100 * time.Millisecond
	for {
		tl, err := tailGeneration(g, w.real, w.poll, w.libLog)
		w.log.Debug("following", "inode", g.ino, "offset", g.off, "tail", libraryPath(g.f, w.real))
		if err != nil {
			w.stats.openErrors.Add(1)
			w.log.Warn("cannot start the tail; retrying", "err", err)
			if err := sleep(ctx, backoff); err != nil {
				return err
			}
			backoff = min(2*backoff, 5*time.Second)
			if w.check(g) == rotated {
				return nil
			}
			continue
		}
		v, err := w.pump(ctx, g, tl)
		if err != nil || v == rotated {
			return err
		}
		// Truncated, or the library stopped or jumped: start it again at
		// the last delivered offset.
	}
}

// pump moves lines from the library to out and checks g every
// checkInterval. It stops the library before it returns.
func (w *follower) pump(ctx context.Context, g *generation, tl *tail.Tail) (verdict, error) {
	defer stopTail(tl, w.poll)
	tick := time.NewTicker(checkInterval)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return same, ctx.Err()
		case <-tick.C:
			if v := w.check(g); v != same {
				return v, nil
			}
		case l, ok := <-tl.Lines:
			if !ok {
				// The library saw a rename or delete, or failed.
				if err := tl.Wait(); err != nil {
					w.log.Warn("tail stopped", "err", err)
					if err := sleep(ctx, 100*time.Millisecond); err != nil {
						return same, err
					}
				}
				return w.check(g), nil
			}
			if l.Err != nil {
				continue // only sent by the rate limiter, which is never set
			}
			n++
			text := []byte(l.Text)
			end := l.SeekInfo.Offset
			start := end - int64(len(text)) - 1
			restarted := l.Num == 1 && n > 1
			switch {
			case start == g.off && !restarted:
			case start == 0 && g.off > 0:
				// The library saw the file shrink and reopened it (the
				// same inode: it reads /proc/self/fd) from 0.
				w.truncate(g, "the tail reopened the file from the start")
			default:
				w.log.Warn("tail position jumped; restarting it at the last delivered offset",
					"offset", g.off, "line_start", start, "line_num", l.Num)
				return truncated, nil
			}
			if err := w.deliver(ctx, g, text, true, end); err != nil {
				return same, err
			}
		}
	}
}

// check compares g with the file at w.real and with what was delivered.
func (w *follower) check(g *generation) verdict {
	fi, err := os.Stat(w.real)
	if errors.Is(err, fs.ErrNotExist) {
		return rotated
	}
	if err != nil {
		w.log.Debug("cannot stat file", "err", err)
		return same
	}
	if dev, ino := fileID(fi); dev != g.dev || ino != g.ino {
		return rotated
	}
	gi, err := g.f.Stat()
	if err != nil {
		w.log.Debug("cannot stat open file", "err", err)
		return same
	}
	size := gi.Size()
	w.stats.size.Store(size)
	if size < g.off {
		w.truncate(g, fmt.Sprintf("size %d below offset %d", size, g.off))
		return truncated
	}
	if ok, err := prefixEqual(g.f, g.prefix); err == nil && !ok {
		w.truncate(g, "first bytes rewritten")
		return truncated
	}
	return same
}

// truncate restarts g at offset 0.
func (w *follower) truncate(g *generation, why string) {
	w.log.Info("file truncated; reading from the start", "reason", why, "offset", g.off)
	w.stats.truncations.Add(1)
	g.off, g.prefix, g.fp = 0, nil, ""
	w.stats.offset.Store(0)
}

// drain reads g by the tailer's own descriptor until deadline, then once
// more, including an unterminated last line. Meanwhile it holds every new
// file that appears at the path.
func (w *follower) drain(ctx context.Context, g *generation, deadline time.Time) error {
	fn := w.ownLine(ctx, g)
	for {
		final := !time.Now().Before(deadline)
		if err := g.readOwn(ctx, w.maxLen, final, fn); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			w.log.Warn("cannot read rotated file; leaving it", "err", err)
			return nil
		}
		if final {
			return nil
		}
		w.holdSuccessor(g)
		if err := sleep(ctx, min(100*time.Millisecond, time.Until(deadline))); err != nil {
			return err
		}
	}
}

func (w *follower) ownLine(ctx context.Context, g *generation) lineFunc {
	return func(text []byte, nl, tooLong bool, end int64) error {
		if tooLong {
			w.skip(g, nil, nl, end)
			return nil
		}
		return w.deliver(ctx, g, bytes.Clone(text), nl, end)
	}
}

// deliver sends one line (owned by the receiver from now on) ending at
// end, or skips it if it is too long.
func (w *follower) deliver(ctx context.Context, g *generation, text []byte, nl bool, end int64) error {
	if len(text) > w.maxLen {
		w.skip(g, text, nl, end)
		return nil
	}
	w.stats.bytes.Add(end - g.off)
	g.consume(text, nl, end)
	w.stats.lines.Add(1)
	w.stats.offset.Store(end)
	l := Line{Path: w.path, Text: text, Pos: g.checkpoint(w.path)}
	select {
	case w.out <- l:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *follower) skip(g *generation, text []byte, nl bool, end int64) {
	w.stats.tooLong.Add(1)
	w.stats.bytes.Add(end - g.off)
	g.consume(text, nl, end)
	w.stats.offset.Store(end)
	w.log.Debug("line too long; skipped", "end", end, "max_line_bytes", w.maxLen)
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
