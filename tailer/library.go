package tailer

import (
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/nxadm/tail/watch"
	"gopkg.in/tomb.v1"
)

// The library keeps one inotify watcher for the whole process, created on
// first use by a goroutine that calls os.Exit if the watcher cannot be
// created. library records whether it was started here, after a probe.
var library struct {
	mu      sync.Mutex
	started bool // guarded by mu
}

// trackerProbe is a path that is never watched. Removing its watch starts
// the library's shared tracker at a moment the tailer chooses; the
// tracker's bookkeeping for it is never consulted again.
const trackerProbe = "/nonexistent/sentinel-tailer-probe"

// startLibrary makes sure the library's shared inotify tracker runs,
// creating a watcher first so that a failure (e.g. the inotify instance
// limit) is returned here instead of ending the process.
func startLibrary() error {
	library.mu.Lock()
	defer library.mu.Unlock()
	if library.started {
		return nil
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("create inotify watcher: %w", err)
	}
	w.Close()
	_ = watch.RemoveWatch(trackerProbe) // starts the tracker
	library.started = true
	return nil
}

// watcher is the library's follow-one-inode primitive on one open file:
// it says when the file was written, truncated, renamed or deleted. It
// watches /proc/self/fd/N, so it sees exactly the inode the tailer holds
// open whatever happens to the file's names.
type watcher struct {
	tomb    *tomb.Tomb
	name    string
	changes *watch.FileChanges
}

// watchFile starts the library's inotify watch of x, from offset off.
func watchFile(x *file, off int64) (*watcher, error) {
	name := filepath.Clean(libraryPath(x.f, x.name))
	tb := new(tomb.Tomb)
	changes, err := watch.NewInotifyFileWatcher(name).ChangeEvents(tb, off)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", x.name, err)
	}
	return &watcher{tomb: tb, name: name, changes: changes}, nil
}

// stop ends the watch and waits (up to 2 s) until the library's watcher
// goroutine has removed it, before the descriptor whose number names it
// can be closed and reused: without the wait, a new watch of the same
// name could lose its events to the old goroutine's late removal.
func (w *watcher) stop() {
	if w == nil {
		return
	}
	w.tomb.Kill(nil)
	deadline := time.Now().Add(2 * time.Second)
	for watch.Events(w.name) != nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}
