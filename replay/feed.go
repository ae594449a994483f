package replay

import (
	"context"
	"errors"
	"runtime"

	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/parsers"
	"github.com/sentinel-dev/sentinel/source"
)

// Input is one log to replay and how to read it.
type Input struct {
	Path    string // a file, plain or gzip-compressed, or "-" for standard input
	Options source.Options
}

// Observer takes the events of a replay in order: a *detector.Engine.
type Observer interface {
	Observe(ev *parsers.Event)
}

// A preparingObserver lets the reading goroutine match each event against
// its rules, a batch ahead, so that its own goroutine does only what
// depends on the events before (a *detector.Engine: see
// [detector.Preparer]). A prepared event goes to ObservePrepared, not to
// Observe: a wrapper of an engine that changes Observe must change
// ObservePrepared too, or hide it.
type preparingObserver interface {
	Observer
	NewPreparer() *detector.Preparer
	ObservePrepared(ev *parsers.Event, p *detector.Prepared)
}

// Stages says where the lines of a replay are read and parsed.
type Stages int

const (
	// AutoStages parses on a second goroutine when the process may run
	// more than one at once (GOMAXPROCS > 1), and inline otherwise.
	AutoStages Stages = iota
	// OneStage reads, parses and observes on the caller's goroutine.
	OneStage
	// TwoStages reads and parses on a goroutine of its own, which hands
	// the events to the caller's goroutine in order, in batches.
	TwoStages
)

// FeedOptions say how [Feed] reads.
type FeedOptions struct {
	// Progress, when set, counts the bytes and lines read (for a
	// progress bar on another goroutine).
	Progress *source.Progress
	// Stages picks inline or staged parsing; the output is the same.
	Stages Stages
	// prepare says when the reading goroutine prepares a batch's events
	// (tests ask for always and never; the output is the same).
	prepare preparing
}

// preparing says when a staged replay's reading goroutine matches a
// batch's events for the engine (see [detector.Preparer]).
type preparing int

const (
	prepareWhenBehind preparing = iota // when the engine has not taken the last batch yet
	prepareAlways
	prepareNever
)

// Feed reads every input and passes each event to obs on the caller's
// goroutine, in the order of the lines (several inputs merged by time:
// see [readMerged]); callbacks obs makes (alerts, traces) therefore run
// on the caller's goroutine too. It returns one [source.Stats] per input
// read, in the inputs' order. A file that cannot be read does
// not stop the others; its error is returned with theirs. Feed does not
// flush obs.
//
// With two stages, reading, decompression, line splitting and parsing
// run on a goroutine of their own, a batch ahead of obs, so that a
// replay uses two cores; the events obs sees, and their order, are the
// same as with one. When the engine falls behind (a flood: every post
// goes through a dozen rules), that goroutine also matches the next
// batches' events against the engine's rules (see [detector.Preparer]),
// which the engine then leaves out; its alerts are the same. When the
// engine keeps up (ordinary traffic), the work stays with the engine, or
// the reading goroutine would become the one both wait for.
//
// If ctx ends, reading stops: obs sees at most the rest of a batch (two
// stages) or of cancelCheck events (one), no further input is opened,
// the stats count the lines read, and ctx.Err() is returned with the
// other errors.
func Feed(ctx context.Context, obs Observer, inputs []Input, opts FeedOptions) ([]*source.Stats, error) {
	stages := opts.Stages
	if stages == AutoStages {
		stages = OneStage
		if runtime.GOMAXPROCS(0) > 1 {
			stages = TwoStages
		}
	}
	if stages == OneStage {
		n := 0
		return readAll(ctx, inputs, opts.Progress, func(ev *parsers.Event) bool {
			if n++; n%cancelCheck == 0 && ctx.Err() != nil {
				return false
			}
			obs.Observe(ev)
			return true
		})
	}
	return feedStaged(ctx, obs, inputs, opts.Progress, opts.prepare)
}

// readAll reads the inputs, passing their events to emit: one input from
// start to end, several merged by time (see [readMerged]).
func readAll(ctx context.Context, inputs []Input, progress *source.Progress, emit func(*parsers.Event) bool) ([]*source.Stats, error) {
	if len(inputs) > 1 {
		return readMerged(ctx, inputs, progress, emit)
	}
	var stats []*source.Stats
	var errs []error
	for _, in := range inputs {
		if ctx.Err() != nil {
			break
		}
		o := in.Options
		if progress != nil {
			o.Progress = progress
		}
		st, err := source.ReadWhile(in.Path, o, emit)
		stats = append(stats, st)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return stats, errors.Join(errs...)
}

// cancelCheck is how many events a one-stage replay observes between two
// looks at its context.
const cancelCheck = 1024

// feedStaged runs readAll on a goroutine of its own, which copies the
// events into batches; the caller's goroutine observes them in order.
func feedStaged(ctx context.Context, obs Observer, inputs []Input, progress *source.Progress, when preparing) ([]*source.Stats, error) {
	full := make(chan *batch, batchesInFlight)
	free := make(chan *batch, batchesInFlight)
	for range batchesInFlight {
		free <- newBatch()
	}
	done := ctx.Done()
	po, _ := obs.(preparingObserver)
	var prep *detector.Preparer
	if po != nil && when != prepareNever {
		prep = po.NewPreparer() // here: the observer's goroutine
	}
	var (
		stats   []*source.Stats
		readErr error
	)
	go func() { // ends once it closed full; the loop below waits for that
		defer close(full)
		// The engine is behind when it has not taken the last batch yet:
		// this goroutine then has time to prepare the next one's events.
		// When it keeps up, preparing would only make it wait for this
		// goroutine.
		f := newFiller(full, free, done, func(b *batch, behind bool) {
			b.prepare = prep != nil && (behind || when == prepareAlways)
		})
		stats, readErr = readAll(ctx, inputs, progress, func(ev *parsers.Event) bool {
			b := f.add(ev)
			if b == nil {
				return false // ctx ended
			}
			if b.prepare {
				prep.Prepare(&b.events[b.n-1], &b.prepared[b.n-1]) // the copy, which the engine reads
			}
			return true
		})
		f.flush()
	}()
	for b := range full {
		switch {
		case ctx.Err() != nil:
		case b.prepare:
			for i := range b.n {
				po.ObservePrepared(&b.events[i], &b.prepared[i])
			}
		default:
			for i := range b.n {
				obs.Observe(&b.events[i])
			}
		}
		b.reset()
		free <- b // never blocks: free holds every batch
	}
	if err := ctx.Err(); err != nil && !errors.Is(readErr, err) {
		readErr = errors.Join(readErr, err)
	}
	return stats, readErr
}
