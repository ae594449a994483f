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
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/parsers"
	"github.com/sentinel-dev/sentinel/replay"
	"github.com/sentinel-dev/sentinel/report"
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

Several files are one timeline, merged by their lines' times: a rotated log's
files in any order (access.log* as a shell names them, newest first), or the logs
of several servers over the same hours. With no FILE, the config's sources are
read. The format is detected from the first lines of each
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
	fl.DurationVar(&f.skew, "skew", 0, "how far behind the newest time a line may be and still count, at most 1h (default: the config's settings.skew, 5s)")
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

	var bar *progressBar
	opts := replay.Options{Output: out, Stdout: stdout, Stderr: stderr, Report: f.report != "", Suggest: f.suggest}
	if f.progress == "auto" && out == alerts.Text {
		if bar = newProgressBar(stderr, inputs); bar != nil {
			opts.Above = bar.above
			opts.Feed.Progress = &bar.progress
		}
	}
	res, readErr := replay.Run(ctx, cfg, inputs, opts)
	bar.stop()
	if res == nil {
		return readErr
	}
	notifyErr := res.OutputErr
	w := stdout
	if out == alerts.JSON {
		w = stderr
	}
	if !f.quiet {
		res.WriteSummary(w, cfg)
	}
	if f.suggest {
		if err := report.WriteSuggestions(w, res.Suggestions()); err != nil && notifyErr == nil {
			notifyErr = err
		}
	}
	if rep := res.Report(); rep != nil {
		rep.Title = "sentinel replay: " + strings.Join(inputNames(inputs), ", ")
		for _, r := range cfg.Rules {
			rep.Rules = append(rep.Rules, report.RuleInfo{Name: r.Name, Description: r.Description, Severity: string(r.Severity),
				Condition: describe(r), Baseline: r.Baseline != nil})
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
func sameFile(path string, inputs []replay.Input) (string, bool) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", false
	}
	for _, in := range inputs {
		if ii, err := os.Stat(in.Path); err == nil && os.SameFile(fi, ii) {
			return in.Path, true
		}
	}
	return "", false
}

// inputNames lists the base names of the inputs, for titles.
func inputNames(inputs []replay.Input) []string {
	var names []string
	for _, in := range inputs {
		names = append(names, filepath.Base(in.Path))
	}
	return names
}

// prepareReplay checks the flags, loads the config and lists the inputs:
// what replay and explain share.
func prepareReplay(f replayFlags, args []string, stderr io.Writer) (*config.Config, []replay.Input, error) {
	if !parsers.Known(f.format) {
		return nil, nil, usagef("unknown --format %q (known: %s)", f.format, strings.Join(parsers.Names(), ", "))
	}
	if fm, _ := parsers.Lookup(f.format); fm.Needs != "" {
		return nil, nil, usagef("--format %s needs a field mapping or a pattern: name it in a config source (fields:, pattern:) and use -c", f.format)
	}
	if f.skew < 0 || f.skew > detector.MaxJump {
		return nil, nil, usagef("--skew must be within 0 and 1h, as settings.skew")
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
	inputs, err := replay.Inputs(cfg, args, f.format, popts)
	if errors.Is(err, replay.ErrNoInputs) {
		return nil, nil, usagef("%v: name log files (or - for standard input), or give a config with sources", err)
	}
	if err != nil {
		return nil, nil, err
	}
	return cfg, inputs, nil
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
		o.Date = replay.DayIn(d, o.Location)
	}
	return o, nil
}
