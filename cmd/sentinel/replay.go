package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/internal/delivery"
	"github.com/sentinel-dev/sentinel/parsers"
	"github.com/sentinel-dev/sentinel/report"
	"github.com/sentinel-dev/sentinel/source"
)

type replayFlags struct {
	config   string
	format   string
	output   string
	date     string
	timezone string
	skew     time.Duration
	quiet    bool
	report   string
	suggest  bool
	progress string
}

func newReplay() *cobra.Command {
	var f replayFlags
	cmd := &cobra.Command{
		Use:   "replay [FILE...]",
		Short: "Run the rules over old logs and print what would have fired, and when",
		Long: `replay reads log files (plain or gzip-compressed, or - for standard input) from
start to end and runs the rules on the log's own time, so it prints the alerts the
live daemon would have raised, at the same log times.

Files are read in the order given: name rotated files oldest first. With no FILE,
the config's sources are read. The format is detected from the first lines of each
file unless --format names it. Text output is a timeline then a summary; with
--output json each alert transition is one JSON object per line on stdout (the
summary goes to stderr).

A config's actions are never executed by replay: the timeline lists each request
the daemon would have made and when it would have reverted it ("ACTION signups-off
would call PATCH https://…"), with the same cooldowns and caps; with --output json
those lines go to stderr.

In text output, each resolved alert is followed by a sparkline of the rule's
value from 5 minutes before it fired to its end (the highest value in each
cell). On a terminal, inputs over 4 MB show a progress bar on stderr (lines/s,
bytes, ETA); never with --output json, nor when stderr is not a terminal.

--report FILE writes one self-contained HTML page (no network needed to open
it): per rule a chart of its value over the log's time with its threshold or
learned baseline band, firing spans and alert markers; a table of alerts with
their top keys; each file's parse statistics with examples of skipped lines.
Text from the log is escaped.

--suggest prints, per rule, the distribution of its window values (p50, p99,
p99.9 within 1%, exact max) and the threshold (or floor, window, factor) that
would have raised no alert on these logs. Only logs known to be quiet are fair
input: an attack in the log would become the suggested normal.`,
		Example: `  sentinel replay samples/signup-flood.log
  sentinel replay --output json samples/*.log
  sentinel replay --date 2026-11-27 samples/signup-flood-phoenix.log
  sentinel replay -c sentinel.yaml access.log.2.gz access.log.1 access.log
  sentinel replay -c samples/sentinel.yaml samples/signup-flood.log   # with a flag-flip action
  sentinel replay --report report.html samples/signup-flood.log
  sentinel replay --suggest -q samples/quiet-day.log`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReplay(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f, args)
		},
	}
	addInputFlags(cmd, &f)
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "text", "output: text (a timeline for people) or json (one alert transition per line)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print alerts only, no summary")
	fl.StringVar(&f.report, "report", "", "also write an HTML report with a chart per rule to this file")
	fl.BoolVar(&f.suggest, "suggest", false, "print each rule's value distribution and the threshold that would have stayed quiet (on a quiet log only)")
	fl.StringVar(&f.progress, "progress", "auto", "progress bar on stderr: auto (on a terminal, for inputs over 4 MB, not with --output json) or never")
	return cmd
}

// addInputFlags adds the flags that say what to read and with which
// rules, shared by replay and explain.
func addInputFlags(cmd *cobra.Command, f *replayFlags) {
	fl := cmd.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "config file (default: the embedded rules for web access logs)")
	fl.StringVar(&f.format, "format", parsers.Auto, "log format: "+parsers.Auto+" (detected from the first lines of each file) or one of "+
		strings.Join(parsers.Names()[1:], ", ")+"; the README's \"Log formats\" says what each reads")
	fl.StringVar(&f.date, "date", "", "day of logs that carry only the time of day (Phoenix), as 2026-11-27 (default: from the file's modification time)")
	fl.StringVar(&f.timezone, "timezone", "", "zone of times that carry none, e.g. Europe/Paris (default UTC)")
	fl.DurationVar(&f.skew, "skew", 0, "how far behind the newest time a line may be and still count (default: the config's settings.skew, 5s)")
}

// input is one file to replay and how to read it.
type input struct {
	path string
	opts source.Options
}

func runReplay(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, f replayFlags, args []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	out := alerts.Output(f.output)
	if out != alerts.Text && out != alerts.JSON {
		return usagef("--output must be text or json, not %q", f.output)
	}
	if f.progress != "auto" && f.progress != "never" {
		return usagef("--progress must be auto or never, not %q", f.progress)
	}
	cfg, inputs, err := prepareReplay(f, args, stderr)
	if err != nil {
		return err
	}
	// Open the report first: a bad path should fail before a long replay.
	var reportFile *reportOutput
	if f.report != "" {
		if in, ok := sameFile(f.report, inputs); ok {
			return usagef("--report %s would overwrite the input %s", f.report, in)
		}
		if reportFile, err = openReport(f.report); err != nil {
			return err
		}
		defer reportFile.discard()
	}

	console := alerts.NewConsole(stdout, out)
	var notifyErr error
	eopts := cfg.EngineOptions()
	alertCount := map[string]int{}
	var bar *progressBar // set once the engine is built; Emit and the plans print above it
	// Actions are never executed in a replay: the manager plans them on
	// the log's clock, with the same cooldowns and caps as the daemon.
	planOut := stdout // for people: stderr beside JSON (contract 2)
	if out == alerts.JSON {
		planOut = stderr
	}
	var plans []actions.Entry // the first maxPlans, for the summary and the report
	morePlans := 0
	acts := actions.NewManager(actions.Options{Actions: cfg.Actions, Plan: func(e actions.Entry) {
		if len(plans) < maxPlans {
			plans = append(plans, e)
		} else {
			morePlans++
		}
		bar.above(func() { writePlanned(planOut, e) })
	}})
	var (
		rec    *report.Recorder
		sug    *report.Suggester
		sparks *report.Sparks
		traces []func(detector.Evaluation)
	)
	if f.report != "" {
		rec = &report.Recorder{}
		traces = append(traces, rec.Observe)
	}
	if f.suggest {
		sug = report.NewSuggester(cfg.Rules)
		traces = append(traces, sug.Observe)
	}
	if out == alerts.Text {
		sparks = &report.Sparks{}
		traces = append(traces, sparks.Observe)
	}
	eopts.TraceValuesOnly = true // no consumer here reads the keys
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
		if a.State == alert.Firing {
			alertCount[a.Rule]++
		}
		acts.Advance(a.Time) // reverts due before this alert print before it
		if rec != nil {
			rec.Alert(a)
		}
		var err error
		bar.above(func() {
			err = console.Notify(ctx, a)
			if line := sparkFor(sparks, a); err == nil && line != "" {
				_, err = fmt.Fprintln(stdout, line)
			}
		})
		if err != nil && notifyErr == nil {
			notifyErr = err
		}
		acts.Handle(a)
	}
	eopts.Notice = func(n detector.Notice) {
		bar.above(func() {
			fmt.Fprintf(planOut, "%s NOTICE   %s\n", n.Time.UTC().Format(time.RFC3339), alert.Sanitize(n.Text, 800))
		})
	}
	eng, err := detector.NewEngine(cfg.Rules, eopts)
	if err != nil {
		return err
	}

	if f.progress == "auto" && out == alerts.Text {
		bar = newProgressBar(stderr, inputs)
	}
	start := time.Now()
	stats, readErr := feed(eng, inputs, bar)
	elapsed := time.Since(start)
	acts.Advance(eng.Watermark())

	if sparks != nil {
		open := sparks.Open()
		for _, r := range eng.Firing() {
			if line := open[r]; line != "" {
				fmt.Fprintf(stdout, "%s still firing at the end of the input:\n%s\n", r, line)
			}
		}
	}
	w := stdout
	if out == alerts.JSON {
		w = stderr
	}
	if !f.quiet {
		writeSummary(w, cfg, stats, eng, alertCount, elapsed)
		if len(cfg.Actions) > 0 {
			writePlanSummary(w, cfg.Actions, plans, morePlans, acts.Episodes())
		}
	}
	if sug != nil {
		if err := report.WriteSuggestions(w, sug.Suggestions()); err != nil && notifyErr == nil {
			notifyErr = err
		}
	}
	if rec != nil {
		rep := rec.Report()
		rep.Title = "sentinel replay: " + strings.Join(inputNames(inputs), ", ")
		for _, r := range cfg.Rules {
			rep.Rules = append(rep.Rules, report.RuleInfo{Name: r.Name, Description: r.Description, Severity: string(r.Severity),
				Condition: describe(r), Baseline: r.Baseline != nil})
		}
		rep.Sources = stats
		for _, n := range eng.Notices() {
			rep.Notices = append(rep.Notices, n.Text)
		}
		for _, e := range plans {
			rep.Actions = append(rep.Actions, report.ActionMark{Time: e.EventTime, Rule: e.Rule, Label: e.Action + ": " + planText(e)})
		}
		if err := writeReport(reportFile, rep); err != nil {
			return err
		}
	}
	if notifyErr != nil {
		return notifyErr
	}
	return readErr
}

// sparkFor returns the sparkline line that follows a resolved alert in
// text output, "" otherwise.
func sparkFor(sparks *report.Sparks, a alert.Alert) string {
	if sparks == nil || a.State != alert.Resolved {
		return ""
	}
	return sparks.Line(a)
}

// reportOutput is where --report goes: a temporary file beside the
// report, renamed over it once complete, so that a replay that fails
// leaves the previous report (or none), never half a page; or, for a
// path that is not a regular file (a FIFO, /dev/stdout), the path itself.
type reportOutput struct {
	*os.File
	path string // the report's own path
	tmp  bool
}

func openReport(path string) (*reportOutput, error) {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("create report: %w", err)
		}
		return &reportOutput{File: f, path: path}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err // its path is the temporary file's
		}
		return nil, fmt.Errorf("create report %s: %w", path, err)
	}
	return &reportOutput{File: f, path: path, tmp: true}, nil
}

// discard removes the temporary file unless it was renamed.
func (o *reportOutput) discard() {
	o.Close()
	if o.tmp {
		os.Remove(o.Name())
	}
}

// writeReport writes the HTML report and puts it in place.
func writeReport(o *reportOutput, rep *report.Report) error {
	bw := bufio.NewWriter(o)
	err := rep.WriteHTML(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := o.Close(); err == nil {
		err = cerr
	}
	if err == nil && o.tmp {
		mode := os.FileMode(0o644) // CreateTemp's 0600 would hide it from a web server
		if fi, serr := os.Stat(o.path); serr == nil {
			mode = fi.Mode().Perm() // the previous report's
		}
		if err = os.Chmod(o.Name(), mode); err == nil {
			err = os.Rename(o.Name(), o.path)
		}
	}
	if err != nil {
		return fmt.Errorf("write report %s: %w", o.path, err)
	}
	return nil
}

// sameFile reports whether path names an existing file that is one of
// the inputs, and which.
func sameFile(path string, inputs []input) (string, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", false
	}
	for _, in := range inputs {
		if ii, err := os.Stat(in.path); err == nil && os.SameFile(fi, ii) {
			return in.path, true
		}
	}
	return "", false
}

// inputNames lists the base names of the inputs, for titles.
func inputNames(inputs []input) []string {
	var names []string
	for _, in := range inputs {
		names = append(names, filepath.Base(in.path))
	}
	return names
}

// prepareReplay checks the flags, loads the config and lists the inputs:
// what replay and explain share.
func prepareReplay(f replayFlags, args []string, stderr io.Writer) (*config.Config, []input, error) {
	if !parsers.Known(f.format) {
		return nil, nil, usagef("unknown --format %q (known: %s)", f.format, strings.Join(parsers.Names(), ", "))
	}
	if fm, _ := parsers.Lookup(f.format); fm.Needs != "" {
		return nil, nil, usagef("--format %s needs a field mapping or a pattern: name it in a config source (fields:, pattern:) and use -c", f.format)
	}
	if f.skew < 0 {
		return nil, nil, usagef("--skew must not be negative")
	}
	cfg, err := loadConfig(f.config, stderr)
	if err != nil {
		return nil, nil, err
	}
	if f.skew > 0 {
		cfg.Settings.Skew = f.skew
	}
	popts, err := parserOptions(f)
	if err != nil {
		return nil, nil, err
	}
	inputs, err := replayInputs(cfg, f, popts, args)
	if err != nil {
		return nil, nil, err
	}
	return cfg, inputs, nil
}

// feed reads every input into the engine, in order, and flushes it. A
// file that cannot be read does not stop the others; its error is
// returned with theirs.
func feed(eng *detector.Engine, inputs []input, bar *progressBar) ([]*source.Stats, error) {
	var stats []*source.Stats
	var errs []error
	if bar != nil {
		defer bar.stop()
	}
	for _, in := range inputs {
		opts := in.opts
		if bar != nil {
			opts.Progress = &bar.progress
		}
		st, err := source.Read(in.path, opts, eng.Observe)
		stats = append(stats, st)
		if err != nil {
			errs = append(errs, err)
		}
	}
	eng.Flush()
	return stats, errors.Join(errs...)
}

// parserOptions turns the command-line flags into parser options.
func parserOptions(f replayFlags) (parsers.Options, error) {
	var o parsers.Options
	if f.timezone != "" {
		loc, err := time.LoadLocation(f.timezone)
		if err != nil {
			return o, usagef("unknown --timezone %q", f.timezone)
		}
		o.Location = loc
	}
	if f.date != "" {
		d, err := time.Parse(time.DateOnly, f.date)
		if err != nil {
			return o, usagef("--date must look like 2026-11-27, not %q", f.date)
		}
		o.Date = dayIn(d, o.Location)
	}
	return o, nil
}

// dayIn returns midnight of d's calendar day in loc (UTC when nil): a
// --date names a day, whatever zone the lines are in.
func dayIn(d time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, day := d.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, loc)
}

// replayInputs lists the files to read: the arguments, read with the
// flags' format, or else the config's sources with their own.
func replayInputs(cfg *config.Config, f replayFlags, popts parsers.Options, args []string) ([]input, error) {
	var inputs []input
	for _, a := range args {
		inputs = append(inputs, input{path: a, opts: source.Options{Format: f.format, Parser: popts}})
	}
	if len(inputs) > 0 {
		return inputs, nil
	}
	for _, s := range cfg.Sources {
		paths, err := filepath.Glob(s.Path)
		if err != nil || len(paths) == 0 {
			paths = []string{s.Path} // reported as missing when read
		}
		o := s.Options
		if popts.Location != nil {
			o.Location = popts.Location
		}
		if !popts.Date.IsZero() {
			o.Date = dayIn(popts.Date, o.Location) // the flag's day in the source's zone
		}
		format := s.Format
		if !parsers.IsAuto(f.format) {
			format = f.format
		}
		for _, p := range paths {
			inputs = append(inputs, input{path: p, opts: source.Options{Format: format, Parser: o}})
		}
	}
	if len(inputs) == 0 {
		return nil, usagef("nothing to replay: name log files (or - for standard input), or give a config with sources")
	}
	return inputs, nil
}

// writeSummary prints what was read and what fired.
func writeSummary(w io.Writer, cfg *config.Config, stats []*source.Stats, eng *detector.Engine, fired map[string]int, elapsed time.Duration) {
	n := alert.Thousands
	var lines int64
	fmt.Fprintln(w, "\nsummary")
	for _, st := range stats {
		lines += st.Lines
		how := "given"
		if st.Detected {
			how = "detected"
		}
		if st.Format == "" {
			how = "not read"
		}
		fmt.Fprintf(w, "  %s: %s lines, %s parsed, %s skipped (%s malformed, %s too long), %s ignored; format %s (%s)\n",
			st.Name, n(uint64(st.Lines)), n(uint64(st.Parsed)), n(uint64(st.Skipped())), n(uint64(st.Malformed)),
			n(uint64(st.TooLong)), n(uint64(st.Ignored)), orDash(st.Format), how)
		if st.Undated > 0 {
			fmt.Fprintf(w, "    %s events before the first time stamp had no time and were not counted\n", n(uint64(st.Undated)))
		}
		for _, e := range st.Errors {
			fmt.Fprintf(w, "    skipped %s\n", alert.Sanitize(e.Error(), 200))
		}
		if st.Malformed > int64(len(st.Errors)) {
			fmt.Fprintf(w, "    … and %s more skipped lines\n", n(uint64(st.Malformed-int64(len(st.Errors)))))
		}
	}
	es := eng.Stats()
	skew := cfg.EngineOptions().Skew
	fmt.Fprintf(w, "  events: %s, late: %s (older than the newest time minus %s)\n", n(es.Events), n(es.Late), skew)
	if es.OutOfRange > 0 {
		fmt.Fprintf(w, "  out of range: %s events dated before 1900 or after 2200, not counted\n", n(es.OutOfRange))
	}
	if es.Future > 0 {
		what := n(es.Future) + " events dated far ahead of the lines around them"
		if es.Future == 1 {
			what = "1 event dated far ahead of the lines around it"
		}
		fmt.Fprintf(w, "  future: %s, not counted\n", what)
	}
	if es.Late*100 > es.Events {
		fmt.Fprintf(w, "  hint: %d%% of the events were late, so the rules did not count them: the log is out of time order\n"+
			"        (several files at once? give them oldest first) — or raise the allowance with --skew 1m\n", es.Late*100/es.Events)
	}
	firing := eng.Firing()
	for _, x := range eng.Notices() {
		fmt.Fprintf(w, "  notice: %s\n", alert.Sanitize(x.Text, 800))
	}
	fmt.Fprintln(w, "  alerts:")
	for _, r := range es.Rules {
		note := ""
		if slices.Contains(firing, r.Name) {
			note = " (still firing at the end of the input)"
		}
		if r.Late > 0 {
			note += fmt.Sprintf(", %s older than its window", n(r.Late))
		}
		fmt.Fprintf(w, "    %-22s %s fired, %s matching events%s\n", r.Name, n(uint64(fired[r.Name])), n(r.Matched), note)
	}
	rate := float64(lines) / max(elapsed.Seconds(), 1e-9)
	fmt.Fprintf(w, "  wall time: %s, %s lines/s\n", elapsed.Round(time.Millisecond), n(uint64(rate)))
}

// planText says what a replay would have done for e, after the action's
// name: "would call PATCH https://… (signup-burst fired)". The timeline
// and the report show the same words.
func planText(e actions.Entry) string {
	switch {
	case e.Outcome == delivery.Skipped:
		return fmt.Sprintf("held back (%s): %s", e.Rule, e.Reason)
	case e.Phase == actions.Revert:
		return "would revert: " + e.Request + dryNote(e)
	}
	return fmt.Sprintf("would call %s (%s fired)%s", e.Request, e.Rule, dryNote(e))
}

// writePlanned prints one action a replay would have taken, in the
// timeline.
func writePlanned(w io.Writer, e actions.Entry) {
	fmt.Fprintf(w, "%s ACTION %s %s\n", e.EventTime.UTC().Format(time.RFC3339), e.Action, planText(e))
}

func dryNote(e actions.Entry) string {
	if e.Outcome == delivery.DryRun {
		return " [dry_run: the daemon would only log it]"
	}
	return ""
}

// writePlanSummary lists each application with its revert: "would call
// PATCH https://flags…/signups at 01:20:01, revert at 01:31:10".
func writePlanSummary(w io.Writer, acts []*actions.Action, plans []actions.Entry, more int, open []actions.Episode) {
	noRevert := map[string]bool{}
	for _, a := range acts {
		noRevert[a.Name] = a.Undo == nil
	}
	fmt.Fprintln(w, "  actions (never executed by replay):")
	if len(plans) == 0 && len(open) == 0 {
		fmt.Fprintln(w, "    none would have run")
	}
	clock := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	pending := map[string]int{} // action → index of its line awaiting a revert
	var lines []string
	for _, e := range plans {
		switch {
		case e.Outcome == delivery.Skipped:
			lines = append(lines, fmt.Sprintf("%s: held back at %s: %s", e.Action, clock(e.EventTime), e.Reason))
		case e.Phase == actions.Apply && noRevert[e.Action]:
			lines = append(lines, fmt.Sprintf("%s: would call %s at %s, never reverted (no revert configured)", e.Action, e.Request, clock(e.EventTime)))
		case e.Phase == actions.Apply:
			pending[e.Action] = len(lines)
			lines = append(lines, fmt.Sprintf("%s: would call %s at %s", e.Action, e.Request, clock(e.EventTime)))
		default:
			if i, ok := pending[e.Action]; ok {
				lines[i] += ", revert at " + clock(e.EventTime)
				delete(pending, e.Action)
			}
		}
	}
	for _, ep := range open {
		i, ok := pending[ep.Action]
		if !ok {
			continue
		}
		switch {
		case len(ep.Firing) > 0:
			lines[i] += ", still on at the end of the input (" + strings.Join(ep.Firing, ", ") + " firing)"
		case !ep.RevertAt.IsZero():
			lines[i] += ", revert at " + clock(ep.RevertAt) + " (after the end of the input)"
		}
	}
	for _, l := range lines {
		fmt.Fprintln(w, "    "+l)
	}
	if more > 0 {
		fmt.Fprintf(w, "    … and %s more (see the timeline)\n", alert.Thousands(uint64(more)))
	}
}

// maxPlans bounds the would-be actions a replay keeps for its summary and
// report (a month of held-back firings must not grow memory); the
// timeline prints them all.
const maxPlans = 1000

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
