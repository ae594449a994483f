package tailer

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// pacer reads the backlogs of several paths side by side on the logs'
// time, at start-up: the lines written while the tailer was stopped
// reach the caller in about the order they were written, across files,
// rather than one file's whole backlog before another's (which would make
// the rules count the second file's lines late).
//
// The tailer does not parse lines, so it estimates each backlog's time
// from its progress: a path whose backlog spans from the last save to its
// file's last write, and which has read a fraction f of its backlog's
// bytes, has got to about save + f × (last write − save). A path more
// than [paceAhead] ahead of the path furthest behind waits. The estimate
// is exact for steady traffic; a burst in one file while stopped can
// still put its lines out of step with the others'.
type pacer struct {
	mu    sync.Mutex
	paths map[string]*pace // guarded by mu
}

// paceAhead is how far (in estimated log time) a backlog may run ahead of
// the one furthest behind: well within the detector's default skew.
const paceAhead = 2 * time.Second

// pace is one path's backlog.
type pace struct {
	from, to time.Time // its estimated span: the last save, and its last write
	total    int64     // bytes to read
	done     atomic.Int64
	finished atomic.Bool
}

func (p *pace) at() time.Time {
	if p.total <= 0 {
		return p.to
	}
	f := min(float64(p.done.Load())/float64(p.total), 1)
	return p.from.Add(time.Duration(f * float64(p.to.Sub(p.from))))
}

// add makes path's backlog of total bytes, written from from to to, one
// of those read side by side.
func (pc *pacer) add(path string, from, to time.Time, total int64) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.paths == nil {
		pc.paths = make(map[string]*pace)
	}
	if to.Before(from) {
		to = from
	}
	pc.paths[path] = &pace{from: from, to: to, total: total}
}

// active reports whether pacing applies: two backlogs or more.
func (pc *pacer) active() bool {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return len(pc.paths) > 1
}

// get returns path's pace, or nil.
func (pc *pacer) get(path string) *pace {
	if pc == nil {
		return nil
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.paths[path]
}

// advance records n more bytes of path's backlog read and waits while
// path is ahead of the backlog furthest behind.
func (pc *pacer) advance(ctx context.Context, p *pace, n int64) error {
	if p == nil || p.finished.Load() {
		return nil
	}
	p.done.Add(n)
	for {
		if !pc.ahead(p) {
			return nil
		}
		if err := sleep(ctx, time.Millisecond); err != nil {
			return err
		}
	}
}

// ahead reports whether p is more than paceAhead ahead of another
// unfinished backlog.
func (pc *pacer) ahead(p *pace) bool {
	if p.finished.Load() {
		return false
	}
	at := p.at()
	pc.mu.Lock()
	defer pc.mu.Unlock()
	for _, q := range pc.paths {
		if q != p && !q.finished.Load() && at.Sub(q.at()) > paceAhead {
			return true
		}
	}
	return false
}
