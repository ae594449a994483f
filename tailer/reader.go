package tailer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// mode says how a reader reads its file.
type mode int

const (
	// live follows the file at a source path until the manager says that
	// the path names another file (or none); then it drains.
	live mode = iota
	// rotated reads a file that is no longer at its source path (found
	// rotated at start-up, or by a scan) to its end, then drains it.
	rotated
	// compressed reads a gzip file once, to its end.
	compressed
)

// pollInterval is how often a reader that has no inotify watch, or is
// draining, looks for new data; checkInterval how often a live reader
// compares its file's size and first bytes with what it consumed.
const (
	pollInterval  = 100 * time.Millisecond
	checkInterval = 250 * time.Millisecond
)

// reader reads one file in one goroutine, owned by the manager, and
// sends its lines in file order.
type reader struct {
	x          *file
	path       string // Line.Path
	seq        uint64 // Checkpoint.Seq
	mode       mode
	poll       bool
	maxLen     int
	rotateWait time.Duration
	out        chan<- Line
	stats      *fileStats
	log        *slog.Logger
	// after, if not nil, is waited for before reading: the previous file
	// of a rotation chain has been read to its end.
	after <-chan struct{}
	// caughtUp is closed once the file has been read to its end, or the
	// reader has returned.
	caughtUp chan struct{}
	// rotated is closed by the manager when a live file's path no longer
	// names it; drainFrom is then when that was seen.
	rotated chan struct{}
	// drainUntil is when a rotated file stops being read (set at start
	// for a rotated reader).
	drainUntil time.Time
	// events reaches the manager.
	events chan<- event
	caught bool
	// pace, when set, is this path's backlog, read side by side with
	// others'; lastOfChain says that this reader's file ends it.
	pacer       *pacer
	pace        *pace
	lastOfChain bool

	// The first bytes of the file as this reader last read them, for the
	// manager to recognise a copy of it. Updated after each read and only
	// after a truncation has been reported, so that the manager always
	// has either the old content's ghost or its first bytes.
	pubMu   sync.Mutex
	pubHead []byte // guarded by pubMu
	pubGen  int    // truncations when pubHead was taken (reader's own)
	gen     int    // truncations so far (reader's own)
}

// publish makes the file's first bytes visible to the manager. Only the
// reader's goroutine writes pubHead, so it reads it without the lock.
func (r *reader) publish() {
	if len(r.x.head) == len(r.pubHead) && r.pubGen == r.gen {
		return
	}
	h := bytes.Clone(r.x.head)
	r.pubMu.Lock()
	r.pubHead, r.pubGen = h, r.gen
	r.pubMu.Unlock()
}

// head returns the file's first bytes as the reader last read them.
func (r *reader) head() []byte {
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	return r.pubHead
}

// eventKind is what a reader tells the manager.
type eventKind int

const (
	// exited: the reader has returned; pos is where it stopped, done
	// whether the file was read to its end for good.
	exited eventKind = iota
	// moved: the library saw the file renamed or deleted: check its path
	// now.
	moved
	// truncated: the file was cut or rewritten; pos is where reading had
	// got to, so that a copy of the old content can be read from there.
	truncated
)

// event is a message from a reader to the manager.
type event struct {
	kind eventKind
	r    *reader
	pos  Checkpoint
	done bool
}

func (r *reader) send(ctx context.Context, e event) {
	e.r = r
	select {
	case r.events <- e:
	case <-ctx.Done():
	}
}

// run reads until the file is finished or ctx ends, then closes the file
// and reports to the manager.
func (r *reader) run(ctx context.Context) {
	done, err := r.read(ctx)
	if !r.caught {
		close(r.caughtUp)
	}
	if err != nil && ctx.Err() == nil {
		r.log.Warn("stopped reading file", "file", r.x.name, "err", err)
	}
	if r.pace != nil {
		r.pace.finished.Store(true) // never wait for a reader that stopped
	}
	pos := r.checkpoint()
	pos.Done = done
	r.x.close()
	r.stats.forget(r.x.id)
	r.send(ctx, event{kind: exited, pos: pos, done: done})
}

func (r *reader) markCaughtUp() {
	if !r.caught {
		r.caught = true
		close(r.caughtUp)
		if r.pace != nil && r.lastOfChain {
			r.pace.finished.Store(true)
		}
	}
}

// read reads the file according to its mode. It reports whether the file
// was read to its end for good.
func (r *reader) read(ctx context.Context) (bool, error) {
	if r.after != nil {
		select {
		case <-r.after:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	switch r.mode {
	case compressed:
		return r.readCompressed(ctx)
	case rotated:
		if err := r.chunk(ctx, false); err != nil {
			return false, err
		}
		r.markCaughtUp()
		return r.drain(ctx, r.drainUntil)
	}
	if err := r.follow(ctx); err != nil {
		return false, err
	}
	r.log.Info("file rotated; draining the old file", "file", r.x.name, "rotate_wait", r.rotateWait, "inode", r.x.id.Inode, "offset", r.x.off)
	return r.drain(ctx, time.Now().Add(r.rotateWait))
}

// follow reads a live file as it grows, woken by the library's watch (or
// a poll), until the manager closes r.rotated.
func (r *reader) follow(ctx context.Context) error {
	var w *watcher
	defer func() { w.stop() }()
	startWatch := func() {
		if r.poll || w != nil {
			return
		}
		var err error
		if w, err = watchFile(r.x, r.x.off); err != nil {
			r.log.Debug("no inotify watch; polling", "file", r.x.name, "err", err)
			w = nil
		}
	}
	startWatch()
	check := time.NewTicker(checkInterval)
	defer check.Stop()
	poll := time.NewTicker(pollInterval)
	defer poll.Stop()
	for {
		if err := r.chunk(ctx, false); err != nil {
			return err
		}
		r.markCaughtUp()
		var modified, deleted <-chan bool
		if w != nil {
			modified, deleted = w.changes.Modified, w.changes.Deleted
		}
		var pollC <-chan time.Time
		if w == nil {
			pollC = poll.C
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.rotated:
			return nil
		case <-modified:
			r.checkSize(ctx)
		case <-pollC:
			r.check(ctx) // polled: the first bytes too, before reading past the offset
		case <-w.truncatedChan():
			r.check(ctx)
		case <-check.C:
			r.check(ctx)
		case <-deleted:
			// Renamed or deleted: the manager decides whether the path
			// still names it. The library's watch has ended; start another.
			w.stop()
			w = nil
			r.send(ctx, event{kind: moved})
			startWatch()
		}
	}
}

// checkSize restarts the file at 0 if it shrank below what was read.
func (r *reader) checkSize(ctx context.Context) {
	if size, err := r.x.size(); err == nil && size < r.x.pos && !r.x.gz {
		r.truncate(ctx, fmt.Sprintf("size %d below offset %d", size, r.x.pos))
	}
}

// check restarts the file at 0 if it shrank or its first bytes changed.
func (r *reader) check(ctx context.Context) {
	if ok, why := r.x.rewritten(); ok {
		r.truncate(ctx, why)
	}
}

// truncatedChan is the library's truncation channel, or nil.
func (w *watcher) truncatedChan() <-chan bool {
	if w == nil {
		return nil
	}
	return w.changes.Truncated
}

// truncate restarts a live file at offset 0 and tells the manager where
// reading had got to.
func (r *reader) truncate(ctx context.Context, why string) {
	before := r.checkpoint()
	r.log.Info("file truncated; reading from the start", "file", r.x.name, "reason", why, "offset", before.Offset)
	r.stats.truncations.Add(1)
	if err := r.x.seek(0); err != nil {
		r.log.Warn("cannot read truncated file", "file", r.x.name, "err", err)
	}
	r.x.head, r.x.fp = nil, ""
	r.gen++
	r.send(ctx, event{kind: truncated, pos: before})
}

// drain reads a rotated file until deadline, polling, then once more
// including an unterminated last line.
func (r *reader) drain(ctx context.Context, deadline time.Time) (bool, error) {
	for {
		final := !time.Now().Before(deadline)
		if err := r.chunk(ctx, final); err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			r.log.Warn("cannot read rotated file; leaving it", "file", r.x.name, "err", err)
			return false, nil
		}
		if final {
			return true, nil
		}
		if err := sleep(ctx, min(pollInterval, time.Until(deadline))); err != nil {
			return false, err
		}
	}
}

// readCompressed reads a gzip file to its end, once. A file still being
// compressed is read again later, from where it stopped.
func (r *reader) readCompressed(ctx context.Context) (bool, error) {
	backoff := 200 * time.Millisecond
	for {
		err := r.chunk(ctx, true)
		if err == nil {
			r.markCaughtUp()
			return true, nil
		}
		if !errors.Is(err, errIncomplete) {
			return false, err
		}
		if err := sleep(ctx, backoff); err != nil {
			return false, err
		}
		backoff = min(2*backoff, 5*time.Second)
		if err := r.x.seek(r.x.off); err != nil && !errors.Is(err, errIncomplete) {
			return false, err
		}
	}
}

// chunk reads what the file holds now and delivers its lines.
func (r *reader) chunk(ctx context.Context, final bool) error {
	stop := func() bool { return ctx.Err() != nil }
	err := r.x.read(r.maxLen, final, stop, func(text []byte, tooLong bool, nul, end int64) error {
		r.stats.bytes.Add(end - r.x.off)
		if r.pace != nil && !r.x.gz {
			if err := r.pacer.advance(ctx, r.pace, end-r.x.off); err != nil {
				return err
			}
		}
		if nul > 0 {
			r.stats.nulBytes.Add(nul)
			r.log.Warn("NUL bytes skipped (a crash leaves them in a log)", "file", r.x.name, "bytes", nul, "offset", end)
		}
		if tooLong {
			r.stats.tooLong.Add(1)
			r.log.Debug("line too long; skipped", "file", r.x.name, "end", end, "max_line_bytes", r.maxLen)
			return nil
		}
		l := Line{Path: r.path, Text: bytes.Clone(text), Before: r.checkpoint(), Read: r.x.readAt}
		r.x.off = end // the checkpoint sent is the position after this line
		l.Pos = r.checkpoint()
		r.stats.lines.Add(1)
		select {
		case r.out <- l:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if r.x.readHead(fingerprintBytes) == nil {
		r.publish()
	}
	if size, serr := r.x.size(); serr == nil && !r.x.gz {
		r.stats.setLag(r.x.id, r.mode == live, r.x.off, size-r.x.off)
	}
	return err
}

// checkpoint is the position after the last consumed byte.
func (r *reader) checkpoint() Checkpoint {
	cp := r.x.checkpoint(r.path)
	cp.Seq = r.seq
	return cp
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
