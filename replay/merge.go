package replay

import (
	"cmp"
	"context"
	"errors"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/sentinel-dev/sentinel/parsers"
	"github.com/sentinel-dev/sentinel/source"
)

// Merged reading: several inputs are one timeline. The rotated files of
// one log (access.log.2.gz, access.log.1, access.log, in whatever order a
// shell's glob gives them) follow one another in time; the logs of two
// servers behind one balancer cover the same hours. Read one after the
// other, a newest-first glob or a second server's log would arrive hours
// behind the engine's clock and be dropped as late. So each input is
// parsed on a goroutine of its own and the events are passed on in time
// order: at each step the input whose next event is the oldest gives it
// (on equal times, the input named first).
//
// An input is opened only once the merged clock reaches its first event
// (read ahead by [source.FirstTime]): a month of rotated files holds
// one or two open at a time, not thirty; the logs of a fleet's servers
// are all open at once, as they overlap.

// Merged batches are smaller than a staged replay's: one reading
// goroutine per open input, each a few batches ahead.
const (
	mergeEvents   = 128
	mergeBytes    = 64 << 10
	mergeInFlight = 3
)

// mergeInput is one input of a merged read.
type mergeInput struct {
	idx   int // in the inputs as given
	in    Input
	first time.Time // its first event's time; zero: open it at once
	st    *source.Stats
	err   error

	full, free chan *batch
	cur        *batch
	i          int // the next event of cur
}

// readMerged reads inputs as one timeline (see above), passing their
// events to emit in time order on the caller's goroutine. It returns a
// [source.Stats] per input opened, in the inputs' order. If ctx ends (or
// emit returns false), emit sees no further event, no further input is
// opened, and those being read stop within a batch.
func readMerged(ctx context.Context, inputs []Input, progress *source.Progress, emit func(*parsers.Event) bool) ([]*source.Stats, error) {
	pending := make([]*mergeInput, 0, len(inputs))
	var twice []*mergeInput // inputs naming a file named before: not read
	var files []os.FileInfo
	var fileOf []string
	for i, in := range inputs {
		m := &mergeInput{idx: i, in: in}
		if progress != nil {
			m.in.Options.Progress = progress
		}
		// A regular file's first time is read ahead; standard input, a
		// pipe or a FIFO (<(ssh web1 cat access.log)) cannot be read twice:
		// opened at once.
		if fi, err := os.Stat(in.Path); in.Path != "-" && err == nil && fi.Mode().IsRegular() {
			if j := slices.IndexFunc(files, func(f os.FileInfo) bool { return os.SameFile(f, fi) }); j >= 0 {
				// access.log* access.log: read once, not merged with itself.
				m.st = &source.Stats{Name: in.Path, NotRead: "the same file as " + fileOf[j] + ", read once"}
				twice = append(twice, m)
				continue
			}
			files, fileOf = append(files, fi), append(fileOf, in.Path)
			m.first, _ = source.FirstTime(in.Path, in.Options)
		}
		pending = append(pending, m)
	}
	// By first time; an input with none (unreadable, undated, standard
	// input) first, so that it is opened at once.
	slices.SortStableFunc(pending, func(a, b *mergeInput) int { return a.first.Compare(b.first) })

	quit := make(chan struct{})
	var wg sync.WaitGroup
	var opened, open []*mergeInput
	start := func(m *mergeInput) {
		opened = append(opened, m)
		m.full = make(chan *batch, mergeInFlight)
		m.free = make(chan *batch, mergeInFlight)
		for range mergeInFlight {
			m.free <- newBatchOf(mergeEvents, mergeBytes)
		}
		wg.Add(1)
		go m.read(quit, &wg)
		if m.next() {
			open = append(open, m)
		}
	}
	stopped := false
	for !stopped {
		// The open input whose next event is the oldest (on equal times,
		// the one named first).
		var oldest *mergeInput
		for _, m := range open {
			if oldest == nil || m.less(oldest) {
				oldest = m
			}
		}
		// An input whose first event is no later than that is opened
		// first, and takes part.
		if len(pending) > 0 && (oldest == nil || !pending[0].first.After(oldest.head().Time)) {
			m := pending[0]
			pending = pending[1:]
			start(m)
			continue
		}
		if oldest == nil {
			break
		}
		if !emit(oldest.head()) {
			break
		}
		oldest.i++
		if oldest.i == oldest.cur.n {
			if ctx.Err() != nil { // checked once a batch
				stopped = true
			}
			if !oldest.next() {
				open = slices.DeleteFunc(open, func(m *mergeInput) bool { return m == oldest })
			}
		}
	}
	close(quit) // the inputs still open stop at their next batch, unseen
	for _, m := range open {
		m.cur.reset()
		m.free <- m.cur
	}
	wg.Wait()

	opened = append(opened, twice...)
	slices.SortFunc(opened, func(a, b *mergeInput) int { return cmp.Compare(a.idx, b.idx) })
	stats := make([]*source.Stats, 0, len(opened))
	var errs []error
	for _, m := range opened {
		stats = append(stats, m.st)
		if m.err != nil {
			errs = append(errs, m.err)
		}
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return stats, errors.Join(errs...)
}

// read reads the input on its own goroutine, filling batches until the
// input ends (full is then closed) or quit is closed.
func (m *mergeInput) read(quit <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	defer close(m.full)
	f := newFiller(m.full, m.free, quit, nil)
	m.st, m.err = source.ReadWhile(m.in.Path, m.in.Options, func(ev *parsers.Event) bool { return f.add(ev) != nil })
	f.flush()
}

// next moves to the input's next batch, handing the last one back, and
// reports whether it has one (false: the input has ended).
func (m *mergeInput) next() bool {
	if m.cur != nil {
		m.cur.reset()
		m.free <- m.cur // never blocks: free holds every batch not in use
		m.cur = nil
	}
	b, ok := <-m.full
	if !ok {
		return false
	}
	m.cur, m.i = b, 0
	return true
}

// head is the input's next event.
func (m *mergeInput) head() *parsers.Event { return &m.cur.events[m.i] }

// less says whether m's next event comes before o's.
func (m *mergeInput) less(o *mergeInput) bool {
	if c := m.head().Time.Compare(o.head().Time); c != 0 {
		return c < 0
	}
	return m.idx < o.idx
}
