package tailer

import (
	"fmt"
	"io"
	"log"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/nxadm/tail"
	"github.com/nxadm/tail/watch"
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

// tailGeneration starts the library on g from g.off. It never sets ReOpen
// (which the library requires with Follow or it exits) and never sets a
// rate limiter or MaxLineSize (which drop or split data).
func tailGeneration(g *generation, path string, poll bool, logger *log.Logger) (*tail.Tail, error) {
	return tail.TailFile(libraryPath(g.f, path), tail.Config{
		Location:      &tail.SeekInfo{Offset: g.off, Whence: io.SeekStart},
		Follow:        true,
		MustExist:     true,
		Poll:          poll,
		CompleteLines: true,
		Logger:        logger,
	})
}

// stopTail stops tl and, for inotify tails, waits (up to 2 s) until the
// library's watcher goroutine has removed its watch. Without the wait a
// new tail of the same name can lose its events to the old goroutine's
// late RemoveWatch.
func stopTail(tl *tail.Tail, poll bool) {
	_ = tl.Stop()
	if poll {
		return
	}
	name := filepath.Clean(tl.Filename)
	deadline := time.Now().Add(2 * time.Second)
	for watch.Events(name) != nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}
