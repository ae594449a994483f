package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/replay"
	"github.com/sentinel-dev/sentinel/source"
)

// progressMinBytes is the input size from which replay shows a progress
// bar: smaller inputs finish before one would be read.
const progressMinBytes = 4 << 20

// progressEvery is how often the bar is redrawn.
const progressEvery = 250 * time.Millisecond

// barEvery is progressEvery, but for a test on a real terminal, whose
// replay may end before a quarter of a second (a var for that alone).
var barEvery = progressEvery

// progressBar draws one line on a terminal's stderr while a replay reads:
// a bar, the lines and bytes read, lines/s and the time left. It is hand
// written rather than schollz/progressbar: it is one line redrawn with
// \r, and its counters are source.Progress atomics that the reader
// updates once per 64 KiB, so the hot loop never calls into a bar
// library (and the module gains no dependency for forty lines).
//
// A goroutine started by newProgressBar redraws it every progressEvery;
// stop ends that goroutine, waits for it and clears the line.
type progressBar struct {
	progress source.Progress
	w        io.Writer
	total    int64 // bytes of the inputs whose size is known
	now      func() time.Time
	start    time.Time
	every    time.Duration

	mu       sync.Mutex // guards writes to w, so that text printed above the bar is not torn
	done     chan struct{}
	wg       sync.WaitGroup
	stopOnce sync.Once
	draws    int // redraws; written by the goroutine, read after stop waited for it
}

// newProgressBar returns a started bar when stderr is a terminal and the
// inputs weigh at least progressMinBytes, or nil.
func newProgressBar(stderr io.Writer, inputs []replay.Input) *progressBar {
	f, ok := stderr.(*os.File)
	if !ok || !isTerminal(f) {
		return nil
	}
	total := progressTotal(inputs)
	if total < progressMinBytes {
		return nil
	}
	return startProgressBar(f, total, time.Now, barEvery)
}

// progressTotal is the size of the inputs a bar can measure: regular
// files (standard input, pipes and missing files count nothing).
func progressTotal(inputs []replay.Input) int64 {
	var total int64
	for _, in := range inputs {
		if in.Path == "-" {
			continue
		}
		if fi, err := os.Stat(in.Path); err == nil && fi.Mode().IsRegular() {
			total += fi.Size()
		}
	}
	return total
}

// isTerminal reports whether f is a character device: a terminal (or
// /dev/null, where a bar costs nothing either).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// startProgressBar starts redrawing a bar for total bytes on w.
func startProgressBar(w io.Writer, total int64, now func() time.Time, every time.Duration) *progressBar {
	p := &progressBar{w: w, total: total, now: now, start: now(), every: every, done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				p.mu.Lock()
				fmt.Fprint(p.w, "\r"+p.line(p.now())+"\x1b[K")
				p.mu.Unlock()
				p.draws++
			}
		}
	}()
	return p
}

// stop ends the redraws and clears the bar's line. It is safe to call
// twice.
func (p *progressBar) stop() {
	if p == nil {
		return
	}
	p.stopOnce.Do(func() {
		close(p.done)
		p.wg.Wait()
		if p.draws > 0 {
			fmt.Fprint(p.w, "\r\x1b[K")
		}
	})
}

// above runs print, which writes to the same terminal (an alert on
// stdout), with the bar's line cleared and held back, so that the two do
// not share a line; the next redraw brings the bar back below. A nil bar
// just runs print.
func (p *progressBar) above(print func()) {
	if p == nil {
		print()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\x1b[K")
	print()
}

// progressWidth is the width of the bar itself, in cells.
const progressWidth = 16

// line renders the bar at now.
func (p *progressBar) line(now time.Time) string {
	return p.render(p.progress.Bytes(), p.progress.Lines(), now)
}

// render draws the bar for read bytes and lines at now.
func (p *progressBar) render(read, lines int64, now time.Time) string {
	elapsed := now.Sub(p.start).Seconds()
	frac := 0.0
	if p.total > 0 {
		frac = min(float64(read)/float64(p.total), 1)
	}
	full := int(frac * progressWidth)
	bar := strings.Repeat("█", full) + strings.Repeat("░", progressWidth-full)
	rate, eta := 0.0, "?"
	if elapsed > 0 {
		rate = float64(lines) / elapsed
		if read > 0 && frac < 1 {
			left := time.Duration(elapsed * float64(p.total-read) / float64(read) * float64(time.Second))
			eta = alert.FormatDuration(left)
		} else if frac >= 1 {
			eta = "0s"
		}
	}
	// At most about 75 columns for inputs under 10 TB and 100M lines: a
	// line that wraps on an 80-column terminal would leave one copy
	// behind at every redraw (\r goes back to the start of the last row
	// only).
	unit, scale := "MB", 1e6
	if p.total >= 10e9 {
		unit, scale = "GB", 1e9
	}
	return fmt.Sprintf("%s %3.0f%% %s lines %s/s %.1f/%.1f %s ETA %s", bar, 100*frac, alert.Thousands(uint64(lines)),
		alert.Thousands(uint64(rate)), float64(read)/scale, float64(p.total)/scale, unit, eta)
}
