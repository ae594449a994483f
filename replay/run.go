package replay

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/report"
	"github.com/sentinel-dev/sentinel/source"
)

// Options say which sinks a [Run] writes to. The zero value replays
// silently: the [Result] still counts what fired.
type Options struct {
	// Output, when set (alerts.Text or alerts.JSON), prints each alert
	// transition to Stdout; text output follows each resolved alert with
	// a sparkline of its rule's value. Would-be actions and notices go
	// to Stdout beside text, to Stderr beside JSON (contract 2).
	Output         alerts.Output
	Stdout, Stderr io.Writer
	// Report records every evaluation for an HTML report ([Result.Report]).
	Report bool
	// Suggest gathers each rule's value distribution ([Result.Suggestions]).
	Suggest bool
	// Trace, when set, also receives every evaluation, with its top keys
	// (explain).
	Trace func(detector.Evaluation)
	// OnAlert, when set, also receives every alert transition, after the
	// console printed it.
	OnAlert func(alert.Alert)
	// Above, when set, wraps every write to Stdout or Stderr made while
	// the inputs are read (a progress bar clears its line there).
	Above func(print func())
	// Feed says how the inputs are read.
	Feed FeedOptions
}

// Result is what a [Run] saw.
type Result struct {
	Engine  *detector.Engine // flushed
	Stats   []*source.Stats  // one per input, in order
	Fired   map[string]int   // firing transitions per rule
	Elapsed time.Duration    // wall time of reading and detection
	// Plans are the first [MaxPlans] actions the daemon would have taken
	// (or held back); MorePlans counts the rest.
	Plans     []actions.Entry
	MorePlans int
	// Episodes are the remedies still on at the end of the input.
	Episodes []actions.Episode
	// OutputErr is the first error writing an alert to Stdout.
	OutputErr error

	rec *report.Recorder
	sug *report.Suggester
}

// MaxPlans bounds the would-be actions a replay keeps for its summary and
// report (a month of held-back firings must not grow memory); the
// timeline prints them all.
const MaxPlans = 1000

// Run replays inputs through cfg's rules and the sinks opts names, and
// returns what it saw. Actions are never executed: the config's actions
// are planned on the log's clock, with the daemon's cooldowns and caps.
// The error is the inputs' read errors ([Feed]); the Result is valid
// even then, and nil only when the engine could not be built.
func Run(ctx context.Context, cfg *config.Config, inputs []Input, opts Options) (*Result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	above := opts.Above
	if above == nil {
		above = func(print func()) { print() }
	}
	res := &Result{Fired: map[string]int{}}
	planOut := opts.Stdout // for people: stderr beside JSON (contract 2)
	if opts.Output == alerts.JSON {
		planOut = opts.Stderr
	}
	acts := actions.NewManager(actions.Options{Actions: cfg.Actions, Plan: func(e actions.Entry) {
		if len(res.Plans) < MaxPlans {
			res.Plans = append(res.Plans, e)
		} else {
			res.MorePlans++
		}
		if planOut != nil {
			above(func() { WritePlanned(planOut, e) })
		}
	}})

	eopts := cfg.EngineOptions()
	var (
		console *alerts.Console
		sparks  *report.Sparks
		traces  []func(detector.Evaluation)
	)
	if opts.Output != "" {
		console = alerts.NewConsole(opts.Stdout, opts.Output)
	}
	if opts.Report {
		res.rec = &report.Recorder{}
		traces = append(traces, res.rec.Observe)
	}
	if opts.Suggest {
		res.sug = report.NewSuggester(cfg.Rules)
		traces = append(traces, res.sug.Observe)
	}
	if opts.Output == alerts.Text {
		sparks = &report.Sparks{}
		traces = append(traces, sparks.Observe)
	}
	eopts.TraceValuesOnly = true // no sink here reads the keys
	// Sparklines read the value alone; the report and the suggestions
	// read the learned normal too.
	eopts.TraceNoBaseline = !opts.Report && !opts.Suggest
	if opts.Trace != nil {
		eopts.TraceValuesOnly, eopts.TraceNoBaseline = false, false
		traces = append(traces, opts.Trace)
	}
	switch len(traces) {
	case 0:
	case 1:
		eopts.Trace = traces[0]
	default:
		eopts.Trace = func(ev detector.Evaluation) {
			for _, t := range traces {
				t(ev)
			}
		}
	}
	eopts.Emit = func(a alert.Alert) {
		if a.State == alert.Firing && !a.Escalated {
			res.Fired[a.Rule]++
		}
		acts.Advance(a.Time) // reverts due before this alert print before it
		if res.rec != nil {
			res.rec.Alert(a)
		}
		if console != nil {
			var err error
			above(func() {
				err = console.Notify(ctx, a)
				if line := sparkFor(sparks, a); err == nil && line != "" {
					_, err = fmt.Fprintln(opts.Stdout, line)
				}
			})
			if err != nil && res.OutputErr == nil {
				res.OutputErr = err
			}
		}
		if opts.OnAlert != nil {
			opts.OnAlert(a)
		}
		acts.Handle(a)
	}
	if planOut != nil {
		eopts.Notice = func(n detector.Notice) {
			above(func() {
				fmt.Fprintf(planOut, "%s NOTICE   %s\n", n.Time.UTC().Format(time.RFC3339), alert.Sanitize(n.Text, 800))
			})
		}
	}
	eng, err := detector.NewEngine(cfg.Rules, eopts)
	if err != nil {
		return nil, err
	}
	res.Engine = eng

	start := time.Now()
	stats, readErr := Feed(ctx, eng, inputs, opts.Feed)
	eng.Flush()
	res.Stats, res.Elapsed = stats, time.Since(start)
	acts.Advance(eng.Watermark())
	res.Episodes = acts.Episodes()

	if sparks != nil {
		open := sparks.Open()
		for _, r := range eng.Firing() {
			if line := open[r]; line != "" {
				above(func() { fmt.Fprintf(opts.Stdout, "%s still firing at the end of the input:\n%s\n", r, line) })
			}
		}
	}
	return res, readErr
}

// sparkFor returns the sparkline line that follows a resolved alert in
// text output, "" otherwise.
func sparkFor(sparks *report.Sparks, a alert.Alert) string {
	if sparks == nil || a.State != alert.Resolved {
		return ""
	}
	return sparks.Line(a)
}

// Suggestions returns each rule's suggested threshold, or nil unless
// [Options.Suggest] was set.
func (r *Result) Suggestions() []report.Suggestion {
	if r.sug == nil {
		return nil
	}
	return r.sug.Suggestions()
}

// Report returns the HTML report of the run: every rule's values, the
// alerts, the sources' statistics, the notices and the would-be actions;
// the caller sets its Title and Rules. It returns nil unless
// [Options.Report] was set.
func (r *Result) Report() *report.Report {
	if r.rec == nil {
		return nil
	}
	rep := r.rec.Report()
	rep.Sources = r.Stats
	for _, n := range r.Engine.Notices() {
		rep.Notices = append(rep.Notices, n.Text)
	}
	for _, e := range r.Plans {
		rep.Actions = append(rep.Actions, report.ActionMark{Time: e.EventTime, Rule: e.Rule, Label: e.Action + ": " + PlanText(e)})
	}
	return rep
}
