package tailer

import (
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
	"time"

	"github.com/fsnotify/fsnotify"
)

// ErrNoPatterns is returned by [New] when no pattern is given.
var ErrNoPatterns = errors.New("no patterns")

// Tailer follows the files matching a set of patterns. Create it with
// [New]; [Tailer.Run] must not be called concurrently, and [Tailer.Stats]
// is safe for concurrent use.
type Tailer struct {
	patterns    []string
	start       Start
	checkpoints map[string]Checkpoint // by Path
	poll        bool
	rotateWait  time.Duration
	reglob      time.Duration
	maxLen      int
	log         *slog.Logger
	// openFile opens a file for reading (os.Open); tests inject failures.
	openFile func(string) (*os.File, error)

	mu    sync.Mutex
	stats map[string]*fileStats // by Path; guarded by mu
}

// New checks opts, fills in defaults and returns a Tailer.
func New(opts Options) (*Tailer, error) {
	if len(opts.Patterns) == 0 {
		return nil, ErrNoPatterns
	}
	t := &Tailer{
		start:       opts.Start,
		checkpoints: make(map[string]Checkpoint),
		poll:        opts.Poll,
		rotateWait:  cmpOr(opts.RotateWait, DefaultRotateWait),
		reglob:      cmpOr(opts.Reglob, DefaultReglob),
		maxLen:      cmpOr(opts.MaxLineBytes, DefaultMaxLineBytes),
		log:         opts.Logger,
		openFile:    os.Open,
		stats:       make(map[string]*fileStats),
	}
	if t.log == nil {
		t.log = slog.New(slog.NewTextHandler(io.Discard, nil))
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
			t.checkpoints[abs] = c
		}
	}
	return t, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

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
	var events <-chan fsnotify.Event
	var watchErrs <-chan error
	if dw != nil {
		defer dw.Close()
		events, watchErrs = dw.Events, dw.Errors
	}

	m := &manager{t: t, ctx: ctx, wg: &wg, out: out, poll: poll, dw: dw,
		followers: make(map[string]bool), dirs: make(map[string]bool),
		exited: make(chan string)}
	m.expand(true)
	reglob := time.NewTicker(t.reglob)
	defer reglob.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case real := <-m.exited:
			delete(m.followers, real)
			m.expand(false)
		case <-reglob.C:
			m.expand(false)
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			switch {
			case ev.Has(fsnotify.Create):
				m.expand(false)
			case ev.Has(fsnotify.Remove) && m.dirs[filepath.Clean(ev.Name)]:
				delete(m.dirs, filepath.Clean(ev.Name)) // watch again if it comes back
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

// manager is Run's state: which real paths have a follower, and which
// directories are watched.
type manager struct {
	t         *Tailer
	ctx       context.Context
	wg        *sync.WaitGroup
	out       chan<- Line
	poll      bool
	dw        *fsnotify.Watcher
	followers map[string]bool // real paths with a running follower
	dirs      map[string]bool // watched directories
	exited    chan string     // real paths whose follower has returned
}

// expand matches the patterns and starts a follower for each new real
// path. Files found at start-up follow the Start setting; files found
// later are new and read from their beginning.
func (m *manager) expand(initial bool) {
	for _, pat := range m.t.patterns {
		m.watchDirs(pat)
		matches, _ := filepath.Glob(pat) // the pattern was checked by New
		for _, match := range matches {
			real, err := filepath.EvalSymlinks(match)
			if err != nil || m.followers[real] {
				continue
			}
			fi, err := os.Stat(real)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			m.followers[real] = true
			m.startFollower(match, real, initial)
		}
	}
}

func (m *manager) watchDirs(pat string) {
	if m.dw == nil {
		return
	}
	dirs := []string{filepath.Dir(pat)}
	if strings.ContainsAny(dirs[0], `*?[\`) {
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

func (m *manager) startFollower(path, real string, initial bool) {
	t := m.t
	w := &follower{
		path:       path,
		real:       real,
		start:      FromStart,
		poll:       m.poll || isNetworkFS(real),
		rotateWait: t.rotateWait,
		maxLen:     t.maxLen,
		open:       t.openFile,
		out:        m.out,
		stats:      t.statsFor(path),
		log:        t.log.With("path", path),
	}
	w.libLog = slog.NewLogLogger(w.log.Handler(), slog.LevelDebug)
	if initial {
		w.start = t.start
	}
	for _, k := range []string{path, real} {
		if c, ok := t.checkpoints[k]; ok {
			delete(t.checkpoints, k)
			w.ckpt = &c
			break
		}
	}
	ctx, exited := m.ctx, m.exited
	m.wg.Go(func() {
		if err := w.run(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("stopped following file", "err", err)
		}
		select {
		case exited <- real:
		case <-ctx.Done():
		}
	})
}

func (t *Tailer) statsFor(path string) *fileStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.stats[path]
	if !ok {
		s = &fileStats{path: path}
		t.stats[path] = s
	}
	return s
}

// Stats returns, per path, the lines, bytes, rotations, truncations and
// skipped long lines so far, and the lag in bytes behind the file's end,
// sorted by path. It is safe to call while Run runs.
func (t *Tailer) Stats() []FileStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]FileStats, 0, len(t.stats))
	for _, s := range t.stats {
		out = append(out, s.snapshot())
	}
	slices.SortFunc(out, func(a, b FileStats) int { return strings.Compare(a.Path, b.Path) })
	return out
}
