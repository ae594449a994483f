package tailer

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// ErrNoPatterns is returned by [New] when no pattern is given.
var ErrNoPatterns = errors.New("no patterns")

// Tailer follows the files matching a set of patterns. Create it with
// [New]; [Tailer.Run] must not be called concurrently or twice, and
// [Tailer.Stats] and [Tailer.Checkpoints] are safe for concurrent use.
type Tailer struct {
	patterns    []string
	start       Start
	checkpoints []Checkpoint
	saved       time.Time
	poll        bool
	rotateWait  time.Duration
	reglob      time.Duration
	maxLen      int
	log         *slog.Logger
	// openFile opens a file for reading (os.Open); tests inject failures.
	openFile func(string) (*os.File, error)

	mu    sync.Mutex
	files map[FileID]*entry // every file known; guarded by mu

	statsMu sync.Mutex
	stats   map[string]*fileStats // by Path; guarded by statsMu

	seq uint64 // the last entry's seq; guarded by mu

	// caughtUp is set once every file found at start has been read to
	// its end once (see CaughtUp).
	caughtUp atomic.Bool
}

// entry is what the tailer knows of one file.
type entry struct {
	id   FileID
	path string // Line.Path
	name string // the name it was last seen under
	// start is where this run began reading it (a checkpoint from the
	// previous run, or where the start setting put it); end is where its
	// reader stopped, once it has returned.
	start, end Checkpoint
	done       bool // read to its end for good (end.Done)
	// size and mtime are the file's when last checked to be this file.
	size  int64
	mtime time.Time
	r     *reader   // its reader while one runs
	seen  time.Time // when a scan last found it
	// restored says that the entry comes from a checkpoint and was not
	// found yet.
	restored bool
	seq      uint64 // Checkpoint.Seq of its positions
}

// New checks opts, fills in defaults and returns a Tailer.
func New(opts Options) (*Tailer, error) {
	if len(opts.Patterns) == 0 {
		return nil, ErrNoPatterns
	}
	t := &Tailer{
		start:       opts.Start,
		checkpoints: opts.Checkpoints,
		saved:       opts.Saved,
		poll:        opts.Poll,
		rotateWait:  cmpOr(opts.RotateWait, DefaultRotateWait),
		reglob:      cmpOr(opts.Reglob, DefaultReglob),
		maxLen:      cmpOr(opts.MaxLineBytes, DefaultMaxLineBytes),
		log:         opts.Logger,
		openFile:    os.Open,
		stats:       make(map[string]*fileStats),
		files:       make(map[FileID]*entry),
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if opts.Start != FromEnd && opts.Start != FromStart {
		return nil, fmt.Errorf("start: invalid value %d", opts.Start)
	}
	if t.rotateWait < 0 || t.reglob < 0 || t.maxLen < 0 {
		return nil, errors.New("rotate wait, reglob and max line bytes must not be negative")
	}
	for _, p := range opts.Patterns {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", p, err)
		}
		if _, err := filepath.Match(abs, ""); err != nil {
			return nil, fmt.Errorf("pattern %q: %w", p, err)
		}
		t.patterns = append(t.patterns, abs)
	}
	for _, c := range opts.Checkpoints {
		if abs, err := filepath.Abs(c.Path); err == nil {
			c.Path = abs
			t.files[c.ID()] = &entry{id: c.ID(), path: abs, start: c, end: c, done: c.Done, restored: true}
		}
	}
	return t, nil
}

func cmpOr[T comparable](v, def T) T { return cmp.Or(v, def) }

// Run follows the files until ctx ends, sending every complete line to
// out, in order per file. It never closes out (the caller owns it) and
// returns ctx.Err() (it has no fatal errors after New). When it returns,
// every goroutine it started has ended and every file it opened is closed.
func (t *Tailer) Run(ctx context.Context, out chan<- Line) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	poll := t.poll
	var dw *fsnotify.Watcher
	if !poll {
		err := startLibrary()
		if err == nil {
			dw, err = fsnotify.NewWatcher()
		}
		if err != nil {
			t.log.Warn("inotify unavailable; polling instead", "err", err)
			poll = true
		}
	}
	var dirEvents <-chan fsnotify.Event
	var watchErrs <-chan error
	if dw != nil {
		defer dw.Close()
		dirEvents, watchErrs = dw.Events, dw.Errors
	}

	m := &manager{t: t, ctx: ctx, wg: &wg, out: out, poll: poll, dw: dw, started: time.Now(),
		sources: make(map[string]*source), dirs: make(map[string]bool), copies: make(map[FileID]copyRef),
		ignored: make(map[FileID]bool), warned: make(map[string]bool), events: make(chan event)}
	m.initial = []<-chan struct{}{}
	m.scan(true)
	initial := m.initial
	m.initial = nil
	wg.Go(func() {
		for _, c := range initial {
			select {
			case <-c:
			case <-ctx.Done():
				return
			}
		}
		t.caughtUp.Store(true)
	})
	check := time.NewTicker(checkInterval)
	defer check.Stop()
	// Without a directory watch nothing says a new file appeared under a
	// glob: the globs are expanded again at each look at the sources.
	every := t.reglob
	if dw == nil {
		every = min(every, checkInterval)
	}
	reglob := time.NewTicker(every)
	defer reglob.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e := <-m.events:
			m.handle(e)
		case <-check.C:
			m.checkSources()
			m.retryGhosts()
		case <-reglob.C:
			m.scan(false)
			m.checkSources() // opens the new sources' files now, not at the next look
		case ev, ok := <-dirEvents:
			if !ok {
				dirEvents = nil
				continue
			}
			switch {
			case ev.Has(fsnotify.Remove) && m.dirs[filepath.Clean(ev.Name)]:
				delete(m.dirs, filepath.Clean(ev.Name)) // watch again if it comes back
			case ev.Has(fsnotify.Create):
				m.checkSources()
				m.scan(false)
				m.checkSources()
			case ev.Has(fsnotify.Rename) || ev.Has(fsnotify.Remove):
				m.checkSources()
			}
		case err, ok := <-watchErrs:
			if !ok {
				watchErrs = nil
				continue
			}
			t.log.Warn("directory watch", "err", err)
		}
	}
}

// manager is Run's state. It runs in Run's goroutine; it changes the
// Tailer's files under t.mu.
type manager struct {
	t       *Tailer
	ctx     context.Context
	wg      *sync.WaitGroup
	out     chan<- Line
	poll    bool
	dw      *fsnotify.Watcher
	started time.Time
	// initial collects, during the first scan, when each reader it starts
	// has read its file to the end once.
	initial []<-chan struct{}
	sources map[string]*source // by path
	dirs    map[string]bool    // watched directories
	// copies are files whose first bytes are those of a file being read:
	// copies of it (copytruncate's), read only if it is truncated.
	copies map[FileID]copyRef
	// ghosts are the positions of files truncated or replaced before
	// their end was read: a copy or compressed form of the old content,
	// if one turns up, is read from there.
	ghosts []ghost
	// ignored are compressed files not to read (old ones, at start-up).
	ignored map[FileID]bool
	warned  map[string]bool // names already warned about
	pacer   *pacer          // the backlogs found at start-up
	events  chan event
}

// source is a path whose successive files are followed: a plain pattern,
// or a file matched by a glob that is not a rotated name of another.
type source struct {
	path    string
	live    *entry // the file now read at the path, or nil
	backoff time.Duration
	retryAt time.Time // after an open failure
	failing bool
	glob    bool // found by a glob: dropped when gone, not read, and none of its files known
	// retired says that a glob's match turned out to be a rotated name of
	// another source: its file is drained, and no new one is read there.
	retired bool
}

type copyRef struct {
	of   FileID
	name string
}

type ghost struct {
	pos     Checkpoint
	expires time.Time
	name    string // the file it was read from
	counted bool   // its rotation was counted already (a truncation)
}

// ghostTTL is how long a truncated file's old position waits for a copy
// to turn up, and a file that is gone is remembered.
const ghostTTL = time.Minute

// candidate is a file found by a scan.
type candidate struct {
	name   string // as matched or listed
	fi     os.FileInfo
	id     FileID
	match  bool   // matched by a pattern
	source string // the source path it belongs to (itself if it is one)
	live   bool   // it is the file at its source path
}

// scan matches the patterns, lists the rotated files of every source,
// and starts reading what holds unread lines. At start-up (initial) it
// restores the checkpoints: every file of a rotation chain that holds
// unread lines is read, oldest first, before the file at the path.
func (m *manager) scan(initial bool) {
	t := m.t
	cands := m.candidates()
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()

	var unknown []*candidate
	type toRead struct {
		c     *candidate
		x     *file
		e     *entry
		off   int64
		mtime time.Time
	}
	chains := map[string][]toRead{} // by source path, at start-up
	// pending are the files this scan opened to read, not started yet, by
	// source path.
	pending := map[string][]*file{}
	seen := map[FileID]bool{}
	// newLive are the source paths whose file, at start-up, is none the
	// checkpoints know (nor a copy of one): created while stopped.
	newLive := map[string]bool{}
	// At start-up, foundRotated are the source paths with a checkpointed
	// file not read to its end found under another name (renamed, or
	// compressed or copied), and liveFound those whose file is still the
	// checkpointed one: a path counts one rename found at the restart when
	// its checkpointed file is found rotated and another file (or none)
	// is at the path. A file that was already rotated and being drained
	// at the stop was counted then.
	foundRotated, liveFound := map[string]bool{}, map[string]bool{}
	startReader := func(c *candidate, x *file, e *entry, off int64, md mode) {
		pending[e.path] = append(pending[e.path], x)
		if err := x.seek(off); err != nil && !errors.Is(err, errIncomplete) {
			t.log.Warn("cannot read file", "file", c.name, "err", err)
			x.close()
			return
		}
		if initial {
			chains[e.path] = append(chains[e.path], toRead{c: c, x: x, e: e, off: off, mtime: c.fi.ModTime()})
			return
		}
		m.startReader(e, x, md, nil, time.Now().Add(t.rotateWait))
	}

	for _, c := range cands {
		seen[c.id] = true
		e := t.files[c.id]
		if e == nil {
			if !m.ignored[c.id] {
				if _, ok := m.copies[c.id]; !ok {
					unknown = append(unknown, c)
				}
			}
			continue
		}
		e.seen, e.name = now, c.name
		switch {
		case e.r != nil:
			continue // being read
		case e.restored:
			e.restored = false
			x, fi, err := m.open(c)
			if err != nil {
				continue
			}
			c.fi = fi
			if !x.matches(e.start) || (!x.gz && fi.Size() < e.start.Offset) {
				// Rewritten since the checkpoint: the old content may
				// survive in a copy (copytruncate while stopped).
				m.addGhost(e.start, c.name, c.live)
				delete(t.files, c.id)
				if c.live {
					t.log.Info("file truncated or replaced since the checkpoint; reading from the start", "file", c.name, "offset", e.start.Offset)
					t.statsFor(e.path).truncations.Add(1)
					ne := m.newEntry(c, x, 0)
					startReader(c, x, ne, 0, live)
				} else {
					x.close()
					unknown = append(unknown, c)
				}
				continue
			}
			if c.live && e.path != c.source {
				// Found at another source's path: it is that path's file now.
				e.path, e.start.Path, e.end.Path = c.source, c.source, c.source
			}
			if c.live {
				liveFound[e.path] = true
			} else {
				if e.path != c.source && c.source != "" && !e.start.Done {
					t.log.Debug("checkpointed file found rotated", "file", c.name, "path", e.path)
				}
				if !e.start.Done {
					foundRotated[e.path] = true
				}
			}
			if !c.live && e.start.Done && (x.gz || fi.Size() <= e.start.Offset) {
				x.close() // finished, and nothing new
				e.done = true
				continue
			}
			e.done = false
			startReader(c, x, e, e.start.Offset, m.modeFor(c, x))
		case c.live && !initial:
			// checkSources looks after the file at a source path.
		default:
			// Read before (to its end, or until an error). Unless it is
			// unchanged since last looked at, check that it is the same
			// file: an inode is reused once its file is deleted.
			if c.fi.Size() == e.size && c.fi.ModTime().Equal(e.mtime) {
				continue
			}
			x, fi, err := m.open(c)
			if err != nil {
				continue
			}
			if !x.matches(e.end) {
				// Another file under a reused inode.
				x.close()
				m.forget(e)
				unknown = append(unknown, c)
				continue
			}
			e.size, e.mtime = fi.Size(), fi.ModTime()
			switch {
			case !e.done:
				// Its reader stopped on an error: try again from where it was.
				startReader(c, x, e, e.end.Offset, m.modeFor(c, x))
			case !x.gz && fi.Size() > e.end.Offset:
				// A rotated file read to its end grew (a server that
				// reopened its log late): continued from where it was.
				e.done = false
				startReader(c, x, e, e.end.Offset, rotated)
			default:
				x.close()
			}
		}
	}

	// Files the tailer does not know by identity.
	for _, c := range unknown {
		if c.live && !initial {
			continue // checkSources opens it
		}
		if ext := compressedWith(c.name); ext != "" && ext != ".gz" {
			m.warnOnce(c.name, "file skipped: compressed with "+ext+", which sentinel cannot read", "file", c.name)
			continue
		}
		if c.fi.Size() == 0 && !c.live {
			continue // nothing to read yet, nor to recognise it by (a copy starting?)
		}
		x, fi, err := m.open(c)
		if err != nil {
			continue
		}
		c.fi = fi
		if x.gz {
			if err := x.readHead(fingerprintBytes); err != nil {
				x.close() // being compressed: looked at again later
				if !errors.Is(err, errIncomplete) {
					m.warnOnce(c.name, "cannot read compressed file", "file", c.name, "err", err)
				}
				continue
			}
		}
		// The old content of a truncated or checkpointed file, copied,
		// compressed or renamed away: continue from where it was read.
		if g, ok := m.takeGhost(x, c); ok {
			t.log.Debug("file continues one read before", "file", c.name, "was", g.name, "offset", g.pos.Offset)
			e := m.newEntry(c, x, g.pos.Offset)
			e.path = g.pos.Path
			e.start.Path = g.pos.Path
			if !g.pos.Done && !g.counted {
				if initial {
					foundRotated[e.path] = true
				} else {
					t.statsFor(e.path).renames.Add(1)
				}
			}
			startReader(c, x, e, g.pos.Offset, m.modeFor(c, x))
			continue
		}
		// A copy of a file being read (copytruncate's copy, before the
		// truncation): read only if that file is truncated.
		if of, ok := m.copyOf(x, c, pending); ok {
			t.log.Debug("file is a copy of one being read", "file", c.name)
			m.copies[c.id] = copyRef{of: of, name: c.name}
			x.close()
			continue
		}
		if c.live {
			newLive[c.source] = true
			off := int64(0)
			if !m.appearedWhileStopped(c) && t.start == FromEnd {
				off = endOffset(x, fi.Size())
			}
			e := m.newEntry(c, x, off)
			startReader(c, x, e, off, live)
			continue
		}
		// A rotated or compressed file, or one matched by a glob that is
		// a rotated name of another: read from its start if it holds
		// lines written since the last save (or since Run started).
		read := m.appearedWhileStopped(c) || (initial && c.match && t.start == FromStart)
		if !initial {
			read = c.fi.ModTime().After(m.started.Add(-mtimeSlack))
		}
		if !read {
			if x.gz {
				m.ignored[c.id] = true
			} else {
				e := m.newEntry(c, x, fi.Size())
				e.done, e.end = true, e.start
				e.end.Done, e.start.Done = true, true
			}
			x.close()
			continue
		}
		t.log.Debug("new file; reading it from the start", "file", c.name, "source", c.source)
		e := m.newEntry(c, x, 0)
		if !c.match || c.source != c.name {
			t.statsFor(e.path).renames.Add(1)
		}
		startReader(c, x, e, 0, m.modeFor(c, x))
	}

	if initial {
		for path := range foundRotated {
			if liveFound[path] {
				continue
			}
			t.statsFor(path).renames.Add(1)
			newLive[path] = false // a rename, not a delete and create
		}
		m.lostCheckpoints(newLive)
		// Backlogs of several paths are read side by side (see pacer).
		m.pacer = &pacer{}
		for path, files := range chains {
			var total int64
			var last time.Time
			for _, f := range files {
				if !f.x.gz {
					if size, err := f.x.size(); err == nil {
						total += max(size-f.off, 0)
					}
				}
				last = latest(last, f.mtime)
			}
			if total > 0 && !t.saved.IsZero() {
				m.pacer.add(path, t.saved, last, total)
			}
		}
		// Each chain oldest first, the file at the path last; the rotated
		// ones are still drained for RotateWait from now.
		for _, files := range chains {
			slices.SortStableFunc(files, func(a, b toRead) int {
				if a.c.live != b.c.live {
					if a.c.live {
						return 1
					}
					return -1
				}
				if c := a.mtime.Compare(b.mtime); c != 0 {
					return c
				}
				return rotationAge(filepath.Base(a.c.name), filepath.Base(b.c.name))
			})
			var after <-chan struct{}
			for i, f := range files {
				md := m.modeFor(f.c, f.x)
				if f.c.live {
					md = live
				}
				r := m.startReader(f.e, f.x, md, after, time.Now().Add(t.rotateWait), func(r *reader) {
					r.lastOfChain = i == len(files)-1
					if p := m.pacer.get(f.e.path); p != nil && m.pacer.active() {
						r.pacer, r.pace = m.pacer, p
					}
				})
				after = r.caughtUp
			}
		}
	} else {
		m.prune()
	}
	for id := range m.ignored {
		if !seen[id] {
			delete(m.ignored, id)
		}
	}
}

// hasState reports whether the checkpoints cover c's source: its path,
// or the glob that matches it. A file there that they do not know is
// newer than they are.
func (m *manager) hasState(c *candidate) bool {
	for _, cp := range m.t.checkpoints {
		if cp.Path == c.source || cp.Path == c.name {
			return true
		}
		for _, p := range m.t.patterns {
			if !hasMeta(p) {
				continue
			}
			if ok, _ := filepath.Match(p, cp.Path); ok {
				if ok, _ := filepath.Match(p, c.name); ok {
					return true
				}
			}
		}
	}
	return false
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// appearedWhileStopped reports whether c, a file the checkpoints do not
// know, holds lines written while the tailer was stopped: a file at a
// source path that has checkpoints (created since), or a rotated file of
// such a source written after the checkpoints were saved (an older one,
// from before sentinel ran, is not read).
func (m *manager) appearedWhileStopped(c *candidate) bool {
	if !m.hasState(c) {
		return false
	}
	if c.live {
		return true
	}
	return !m.t.saved.IsZero() && c.fi.ModTime().After(m.t.saved.Add(-mtimeSlack))
}

// mtimeSlack is how much earlier than a moment a file's modification time
// may read and the file still count as written after it: file systems
// stamp writes with a coarse clock (a few milliseconds; seconds on some).
// A file it brings in by mistake is one the tailer did not know, written
// just before the moment: new to it all the same.
const mtimeSlack = 2 * time.Second

func (m *manager) modeFor(c *candidate, x *file) mode {
	switch {
	case x.gz:
		return compressed
	case c.live:
		return live
	}
	return rotated
}

// newEntry records a file newly opened, to be read from off. The caller
// holds t.mu.
func (m *manager) newEntry(c *candidate, x *file, off int64) *entry {
	path := c.source
	if path == "" {
		path = c.name
	}
	if old := m.t.files[c.id]; old != nil {
		m.forget(old)
	}
	fp, _ := x.fingerprintAt(off)
	m.t.seq++
	cp := Checkpoint{Path: path, Dev: c.id.Dev, Inode: c.id.Inode, Offset: off, Fingerprint: fp, Seq: m.t.seq}
	e := &entry{id: c.id, path: path, name: c.name, start: cp, end: cp, seen: time.Now(), seq: m.t.seq}
	m.t.files[c.id] = e
	return e
}

// forget drops an entry whose inode now holds another file, keeping its
// position as a ghost: its compressed form may still turn up. The caller
// holds t.mu.
func (m *manager) forget(e *entry) {
	pos := e.end
	if e.restored {
		pos = e.start
	}
	pos.Done = pos.Done || e.done
	m.t.log.Debug("file replaced under its inode", "file", e.name, "inode", e.id.Inode, "offset", pos.Offset)
	m.addGhost(pos, e.name, false)
	delete(m.t.files, e.id)
}

// startReader starts a goroutine reading x for e. The caller holds t.mu.
func (m *manager) startReader(e *entry, x *file, md mode, after <-chan struct{}, drainUntil time.Time, setup ...func(*reader)) *reader {
	t := m.t
	r := &reader{x: x, path: e.path, seq: e.seq, mode: md, poll: m.poll || isNetworkFS(x.name), maxLen: t.maxLen,
		rotateWait: t.rotateWait, out: m.out, stats: t.statsFor(e.path), log: t.log.With("path", e.path),
		after: after, caughtUp: make(chan struct{}), rotated: make(chan struct{}), drainUntil: drainUntil,
		events: m.events}
	e.r, e.done = r, false
	t.log.Debug("reading", "file", x.name, "inode", x.id.Inode, "offset", x.off, "mode", md, "path", e.path)
	if md == live {
		s := m.sources[e.path]
		if s == nil {
			s = &source{path: e.path}
			m.sources[e.path] = s
		}
		s.live = e
		if fi, err := x.f.Stat(); err == nil {
			r.stats.setLag(x.id, true, x.off, fi.Size()-x.off)
		}
	}
	for _, f := range setup {
		f(r)
	}
	ctx := m.ctx
	if m.initial != nil {
		m.initial = append(m.initial, r.caughtUp)
	}
	m.wg.Go(func() { r.run(ctx) })
	return r
}

// handle takes a reader's event.
func (m *manager) handle(ev event) {
	t := m.t
	switch ev.kind {
	case moved:
		m.checkSources()
	case truncated:
		m.addGhost(ev.pos, ev.r.x.name, true)
		// Its copy, if logrotate made one and it was seen, holds what was
		// not read yet.
		t.mu.Lock()
		for id, c := range m.copies {
			if c.of == ev.r.x.id {
				delete(m.copies, id)
			}
		}
		t.mu.Unlock()
		m.scan(false)
	case exited:
		t.mu.Lock()
		defer t.mu.Unlock()
		e := t.files[ev.r.x.id]
		if e == nil || e.r != ev.r {
			return
		}
		e.r, e.end, e.done = nil, ev.pos, ev.done
		if s := m.sources[e.path]; s != nil && s.live == e {
			s.live = nil
		}
		// Its copies (a compressed form made while it was drained) can
		// now be matched with where it stopped.
		released := false
		for id, c := range m.copies {
			if c.of == e.id {
				delete(m.copies, id)
				released = true
			}
		}
		if released {
			t.mu.Unlock()
			m.scan(false)
			t.mu.Lock()
		}
	}
}

// checkSources looks at each source path: a path that names another
// file (or none) than the one read there has rotated: that file is
// drained, and the new one is read from its start.
func (m *manager) checkSources() {
	t := m.t
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range m.sources {
		fi, err := os.Stat(s.path)
		if err == nil && !fi.Mode().IsRegular() {
			err = errNotRegular
		}
		id := FileID{}
		if err == nil {
			id = idOf(fi)
		}
		if s.live != nil && (err != nil || id != s.live.id) {
			m.rotated(s)
		}
		if err != nil || (s.live != nil && s.live.id == id) {
			continue
		}
		if s.retired {
			continue
		}
		if e := t.files[id]; e != nil && !e.restored {
			if e.r != nil {
				continue // being read already, under another path
			}
			// Known, and not being read (its reader stopped on an error, or
			// it was read to its end and is back at the path): continued
			// from where it was, if it is still that file.
			c := &candidate{name: s.path, fi: fi, id: id, match: true, source: s.path, live: true}
			x, _, err := m.open(c)
			if err != nil {
				continue
			}
			if x.matches(e.end) {
				if err := x.seek(e.end.Offset); err != nil {
					x.close()
					continue
				}
				m.startReader(e, x, live, nil, time.Time{})
				continue
			}
			x.close()
			m.forget(e)
		}
		if time.Now().Before(s.retryAt) {
			continue
		}
		c := &candidate{name: s.path, fi: fi, id: id, match: true, source: s.path, live: true}
		x, fi2, err := m.openSource(s, c)
		if err != nil {
			continue
		}
		if idOf(fi2) != id {
			x.close() // replaced meanwhile: seen at the next check
			continue
		}
		if err := x.seek(0); err != nil {
			x.close()
			continue
		}
		e := m.newEntry(c, x, 0)
		m.startReader(e, x, live, nil, time.Time{})
	}
}

// rotated tells the reader of s's file that the path no longer names it.
// The caller holds t.mu.
func (m *manager) rotated(s *source) {
	e := s.live
	s.live = nil
	if e.r == nil {
		return
	}
	st := m.t.statsFor(s.path)
	if fi, err := e.r.x.f.Stat(); err == nil && !linked(fi) {
		st.deletes.Add(1)
	} else {
		st.renames.Add(1)
	}
	close(e.r.rotated)
}

// openSource opens the file at a source path, retrying with backoff while
// it exists but cannot be opened (e.g. permission denied). Each failure is
// counted; the first of a series is logged.
func (m *manager) openSource(s *source, c *candidate) (*file, os.FileInfo, error) {
	x, fi, err := m.t.open(c.name)
	if err == nil {
		if s.failing {
			m.t.log.Info("file readable again", "path", s.path)
		}
		s.failing, s.backoff, s.retryAt = false, 0, time.Time{}
		return x, fi, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	m.t.statsFor(s.path).openErrors.Add(1)
	if !s.failing {
		m.t.log.Warn("cannot open file; retrying", "path", s.path, "err", err)
		s.failing = true
	}
	s.backoff = min(max(2*s.backoff, 50*time.Millisecond), 5*time.Second)
	s.retryAt = time.Now().Add(s.backoff)
	return nil, nil, err
}

// open opens a candidate; a failure is logged once per name.
func (m *manager) open(c *candidate) (*file, os.FileInfo, error) {
	x, fi, err := m.t.open(c.name)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			m.t.statsFor(cmpOr(c.source, c.name)).openErrors.Add(1)
			m.warnOnce(c.name, "cannot open file", "file", c.name, "err", err)
		}
		return nil, nil, err
	}
	if idOf(fi) != c.id {
		x.close() // replaced since the scan listed it
		return nil, nil, os.ErrNotExist
	}
	return x, fi, nil
}

// open opens a file through t.openFile.
func (t *Tailer) open(name string) (*file, os.FileInfo, error) {
	return openFile(t.openFile, name)
}

func (m *manager) warnOnce(name, msg string, args ...any) {
	if m.warned[name+msg] {
		return
	}
	m.warned[name+msg] = true
	m.t.log.Warn(msg, args...)
}

// addGhost remembers where a file was read to before it was truncated
// or replaced; counted says its rotation was counted already (as a
// truncation), so that its copy found later is not counted again.
func (m *manager) addGhost(pos Checkpoint, name string, counted bool) {
	if pos.Offset <= 0 {
		return
	}
	m.ghosts = append(m.ghosts, ghost{pos: pos, expires: time.Now().Add(ghostTTL), name: name, counted: counted})
}

// takeGhost returns the ghost or checkpoint x continues: a file whose
// first bytes are those a truncated, replaced or lost file had when it
// was read to its position (its copy, its compressed form).
func (m *manager) takeGhost(x *file, c *candidate) (ghost, bool) {
	for i, g := range m.ghosts {
		if m.related(g.pos.Path, c) && x.matches(g.pos) {
			m.ghosts = slices.Delete(m.ghosts, i, i+1)
			return g, true
		}
	}
	for id, e := range m.t.files {
		if !m.related(e.path, c) {
			continue
		}
		var pos Checkpoint
		switch {
		case e.restored:
			pos = e.start // a checkpointed file not found by its identity
		case e.r == nil && e.done:
			pos = e.end // a file read to its end
		default:
			continue // being read, or about to be: its copies are copies (see copyOf)
		}
		if pos.Offset > 0 && x.matches(pos) {
			if e.restored {
				delete(m.t.files, id) // found again, under another identity
			}
			return ghost{pos: pos, name: e.name}, true
		}
	}
	return ghost{}, false
}

// related reports whether c can be a file of path's rotation chain.
func (m *manager) related(path string, c *candidate) bool {
	return path == c.source || path == c.name
}

// copyOf reports whether x begins with the bytes of a file being read
// under its source (or about to be: pending, opened by this scan): it is
// a copy of it (copytruncate's, before the truncation) or its compressed
// form (while the original is drained).
func (m *manager) copyOf(x *file, c *candidate, pending map[string][]*file) (FileID, bool) {
	if err := x.readHead(fingerprintBytes); err != nil || len(x.head) == 0 {
		return FileID{}, false
	}
	// The copy's first bytes are the first bytes of the original (as far
	// as both were read: a copy cannot be longer than its original).
	same := func(head []byte) bool {
		n := len(x.head)
		return len(head) >= n && bytes.Equal(head[:n], x.head)
	}
	for _, y := range pending[c.source] {
		if y != x && !y.gz {
			b := make([]byte, fingerprintBytes)
			n, err := y.f.ReadAt(b, 0)
			if (err == nil || errors.Is(err, io.EOF)) && same(b[:n]) {
				return y.id, true
			}
		}
	}
	for _, e := range m.t.files {
		if e.r != nil && e.r.x != x && !e.r.x.gz && m.related(e.path, c) && same(e.r.head()) {
			return e.id, true
		}
	}
	return FileID{}, false
}

// retryGhosts drops ghosts nobody claimed.
func (m *manager) retryGhosts() {
	now := time.Now()
	m.ghosts = slices.DeleteFunc(m.ghosts, func(g ghost) bool { return now.After(g.expires) })
}

// lostCheckpoints warns about checkpointed files found neither by
// identity nor by their first bytes: their unread lines are lost. A
// path whose checkpointed file is lost and whose file now is a new one
// (newLive) was deleted and created again while stopped: a rotation
// found at the restart, counted once per path. The caller holds t.mu.
func (m *manager) lostCheckpoints(newLive map[string]bool) {
	t := m.t
	lost := 0
	recreated := map[string]bool{}
	for id, e := range t.files {
		if !e.restored {
			continue
		}
		delete(t.files, id)
		if e.start.Done {
			continue // read to its end before: nothing lost
		}
		if newLive[e.path] && !recreated[e.path] {
			recreated[e.path] = true
			t.statsFor(e.path).deletes.Add(1)
		}
		lost++
		t.statsFor(e.path).lost.Add(1)
		t.log.Warn("checkpointed file not found (deleted while sentinel was stopped?): lines written to it after the checkpoint are lost",
			"path", e.path, "inode", e.id.Inode, "offset", e.start.Offset)
	}
	for _, g := range m.ghosts {
		if g.pos.Done {
			continue
		}
		lost++
		t.statsFor(g.pos.Path).lost.Add(1)
		t.log.Warn("file truncated while sentinel was stopped and no copy of it found: lines written to it after the checkpoint are lost",
			"path", g.pos.Path, "offset", g.pos.Offset)
	}
	m.ghosts = nil
	if lost > 0 {
		t.log.Warn("unread lines could not be recovered", "files", lost)
	}
}

// prune forgets files that are gone and no longer read, a while after
// (their compressed form, appearing later, is known by their end). The
// caller holds t.mu.
func (m *manager) prune() {
	for id, e := range m.t.files {
		if e.r == nil && time.Since(e.seen) > ghostTTL && !e.restored {
			if s := m.sources[e.path]; s != nil && s.live == e {
				continue
			}
			delete(m.t.files, id)
		}
	}
	for id, c := range m.copies {
		if fi, err := os.Stat(c.name); err != nil || idOf(fi) != id {
			delete(m.copies, id)
		}
	}
	// A glob's match that is gone is kept while files of its chain are
	// known: between a rename and the new file's creation (logrotate
	// without create, or a slow one), its rotated names are its own, not
	// sources, and their compressed forms continue the files read there.
	var chained map[string]bool // the paths files were read at; made when a match is gone
	for path, s := range m.sources {
		if !s.glob || s.live != nil {
			continue
		}
		if !s.retired {
			if _, err := os.Stat(path); err == nil {
				continue
			}
			if chained == nil {
				chained = map[string]bool{}
				for _, e := range m.t.files {
					chained[e.path] = true
				}
			}
			if chained[path] {
				continue
			}
		}
		delete(m.sources, path)
	}
}

// candidates lists the files to consider: the patterns' matches and the
// rotated files of every source path.
func (m *manager) candidates() []*candidate {
	t := m.t
	var out []*candidate
	seen := map[FileID]bool{}
	add := func(c *candidate) {
		fi, err := os.Stat(c.name)
		if err != nil {
			return
		}
		if !fi.Mode().IsRegular() {
			what := "not a regular file"
			switch {
			case fi.IsDir():
				what = "a directory"
			case fi.Mode()&os.ModeNamedPipe != 0:
				what = "a named pipe (FIFO)"
			}
			if c.match {
				m.warnOnce(c.name, "skipped: "+what+"; only regular files are followed", "file", c.name)
			}
			return
		}
		c.fi, c.id = fi, idOf(fi)
		if seen[c.id] {
			return
		}
		seen[c.id] = true
		out = append(out, c)
	}
	var matches []string
	for _, p := range t.patterns {
		m.watchDirs(p)
		if !hasMeta(p) {
			t.mu.Lock()
			if m.sources[p] == nil {
				m.sources[p] = &source{path: p}
			}
			t.mu.Unlock()
			matches = append(matches, p)
			continue
		}
		ms, _ := filepath.Glob(p) // the pattern was checked by New
		matches = append(matches, ms...)
	}
	// Sources: plain patterns, glob matches that are no rotated name of
	// another match or source, and the paths of checkpoints (whose chain
	// is still searched when the path itself is gone).
	t.mu.Lock()
	known := map[string]bool{}
	for p := range m.sources {
		known[p] = true
	}
	for _, cp := range t.checkpoints {
		known[cp.Path] = true
	}
	t.mu.Unlock()
	isRotated := func(name string) bool {
		dir, base := filepath.Split(name)
		for _, o := range matches {
			if od, ob := filepath.Split(o); od == dir && rotationOf(ob, base) {
				return true
			}
		}
		for o := range known {
			if od, ob := filepath.Split(o); od == dir && rotationOf(ob, base) {
				return true
			}
		}
		return compressedWith(base) != ""
	}
	t.mu.Lock()
	for p, s := range m.sources {
		if s.glob && isRotated(p) {
			s.retired = true
		}
	}
	t.mu.Unlock()
	var sources []string
	for _, p := range matches {
		if !hasMeta(p) && slices.Contains(t.patterns, p) {
			sources = append(sources, p)
			continue
		}
		if !isRotated(p) {
			sources = append(sources, p)
			t.mu.Lock()
			if m.sources[p] == nil {
				m.sources[p] = &source{path: p, glob: true}
			}
			t.mu.Unlock()
		}
	}
	for p := range known {
		if !slices.Contains(sources, p) && m.patternMatches(p) {
			sources = append(sources, p)
		}
	}
	slices.Sort(sources)
	sources = slices.Compact(sources)
	sourceOf := map[string]string{}
	for _, s := range sources {
		sourceOf[s] = s
	}
	// The rotated files of each source, from its directory.
	listed := map[string][]os.DirEntry{}
	var rotatedNames []string
	for _, s := range sources {
		dir, base := filepath.Split(s)
		ents, ok := listed[dir]
		if !ok {
			ents, _ = os.ReadDir(dir)
			listed[dir] = ents
		}
		for _, de := range ents {
			if rotationOf(base, de.Name()) {
				name := filepath.Join(dir, de.Name())
				if _, ok := sourceOf[name]; !ok {
					sourceOf[name] = s
					rotatedNames = append(rotatedNames, name)
				}
			}
		}
	}
	matched := map[string]bool{}
	for _, p := range matches {
		matched[p] = true
	}
	for _, s := range sources {
		add(&candidate{name: s, match: matched[s], source: s, live: true})
	}
	for _, name := range rotatedNames {
		add(&candidate{name: name, match: matched[name], source: sourceOf[name]})
	}
	for _, p := range matches {
		if _, ok := sourceOf[p]; !ok {
			add(&candidate{name: p, match: true, source: p})
		}
	}
	return out
}

// patternMatches reports whether a path is one of the patterns or
// matched by one.
func (m *manager) patternMatches(path string) bool {
	for _, p := range m.t.patterns {
		if p == path {
			return true
		}
		if ok, _ := filepath.Match(p, path); ok {
			return true
		}
	}
	return false
}

func (m *manager) watchDirs(pat string) {
	if m.dw == nil {
		return
	}
	dirs := []string{filepath.Dir(pat)}
	if hasMeta(dirs[0]) {
		dirs, _ = filepath.Glob(dirs[0])
	}
	for _, d := range dirs {
		if m.dirs[d] {
			continue
		}
		if err := m.dw.Add(d); err != nil {
			m.t.log.Debug("cannot watch directory; relying on re-glob", "dir", d, "err", err)
			continue
		}
		m.dirs[d] = true
	}
}

// endOffset is where FromEnd starts: just after the last "\n" within the
// file's last 64 KiB, so that a line being written is not cut in half.
func endOffset(x *file, size int64) int64 {
	if x.gz {
		return 0
	}
	n := min(size, 64<<10)
	b := make([]byte, n)
	if _, err := x.f.ReadAt(b, size-n); err != nil {
		return size
	}
	if i := strings.LastIndexByte(string(b), '\n'); i >= 0 {
		return size - n + int64(i) + 1
	}
	if n == size {
		return 0
	}
	return size
}

// statsFor returns path's counters.
func (t *Tailer) statsFor(path string) *fileStats {
	t.statsMu.Lock()
	defer t.statsMu.Unlock()
	s, ok := t.stats[path]
	if !ok {
		s = newFileStats(path)
		t.stats[path] = s
	}
	return s
}

// CaughtUp reports whether every file found when Run started has been
// read to its end once: its lines, the backlog of a restart among them,
// are sent (or Run ended). Until then a reader knows the log holds lines
// it has not read, and the log's clock must not move on the wall clock
// (a rule would count the backlog late). False before Run.
func (t *Tailer) CaughtUp() bool { return t.caughtUp.Load() }

// Stats returns, per path, the lines, bytes, rotations, truncations and
// skipped long lines so far, and the lag in bytes behind the files' ends,
// sorted by path. It is safe to call while Run runs.
func (t *Tailer) Stats() []FileStats {
	t.statsMu.Lock()
	out := make([]FileStats, 0, len(t.stats))
	all := make([]*fileStats, 0, len(t.stats))
	for _, s := range t.stats {
		all = append(all, s)
	}
	t.statsMu.Unlock()
	for _, s := range all {
		out = append(out, s.snapshot())
	}
	slices.SortFunc(out, func(a, b FileStats) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// Checkpoints returns what to save so that a later run resumes exactly
// after the lines processed: one checkpoint per file the tailer knows.
// processed holds the [Line.Pos] of the last line processed of each file
// (by [FileID]); a file without one has had none of its lines processed
// in this run, and is saved where this run began reading it. Files the
// tailer has read to their end are saved as Done once their last line is
// processed; files that are gone are left out. It is safe to call while
// Run runs and after it returned.
func (t *Tailer) Checkpoints(processed map[FileID]Checkpoint) []Checkpoint {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Checkpoint, 0, len(t.files))
	for _, e := range t.files {
		cp, ok := processed[e.id]
		ok = ok && cp.Seq == e.seq // not a former file under a reused inode
		switch {
		case e.restored:
			cp = e.start // not found yet: kept as it was
		case ok && e.done && cp.Offset == e.end.Offset:
			cp = e.end
		case ok:
		case e.done && e.start.Offset == e.end.Offset:
			cp = e.end
		default:
			cp = e.start
		}
		cp.Path, cp.Seq = e.path, 0
		out = append(out, cp)
	}
	slices.SortFunc(out, func(a, b Checkpoint) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return cmp.Compare(a.Inode, b.Inode)
	})
	return out
}
