package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/replay"
)

type explainFlags struct {
	replayFlags
	rules  []string
	at     string
	around time.Duration
	misses int
}

func newExplain() *cobra.Command {
	var f explainFlags
	cmd := &cobra.Command{
		Use:   "explain [-r RULE] [--at TIME] FILE...",
		Short: "Replay logs and show why each rule fired, or why it did not",
		Long: `explain replays logs like replay does, watching every evaluation of the rules,
and tells for each rule why it fired — the window's value against the threshold
(for a baseline rule, the learned normal and its spread; with follow_traffic,
how many times it rose with the requests, "×2.26 with the requests"; with
recurring: daily, the threshold raised by what came at this time yesterday),
the evaluations that led there, the top offenders — and why it did not: its
closest approaches to the threshold and what held it back (below the
threshold, warm-up, for: not reached, too few events for a ratio).

--at shows the evaluations around one log time: "why didn't it fire at 03:12?".
With -r every rule still runs, as in a replay, and only the chosen ones are told:
a rule's story depends on the others (a gap in the log is skipped only while every
rule is idle; a drop rule does not learn while a flood's rule is active).

The top offenders are the keys the rule's alert names: for a share (ratio) rule,
those with the most hits (failed log-ins, 5xx), not the busiest. Their counts
are Space-Saving estimates: "(7–11)" means the true count is between 7 and 11.
Distinct counts are HyperLogLog estimates, within about 0.8%.`,
		Example: `  sentinel explain samples/signup-flood.log
  sentinel explain -r traffic-spike samples/benign-ramp.log
  sentinel explain -r 5xx-surge --at 2026-11-26T09:12:30Z samples/5xx-storm.log`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplain(cmd.OutOrStdout(), cmd.ErrOrStderr(), f, args)
		},
	}
	addInputFlags(cmd, &f.replayFlags)
	fl := cmd.Flags()
	fl.StringSliceVarP(&f.rules, "rule", "r", nil, "explain only these rules (default: every rule)")
	fl.StringVar(&f.at, "at", "", "show the evaluations around this log time (RFC 3339, e.g. 2026-11-27T01:20:00Z)")
	fl.DurationVar(&f.around, "around", 10*time.Second, "with --at: how far before and after it")
	fl.IntVar(&f.misses, "misses", 3, "closest approaches shown per rule")
	return cmd
}

func runExplain(stdout, stderr io.Writer, f explainFlags, args []string) error {
	if len(args) == 0 {
		return usagef("name the log files to explain (or - for standard input)")
	}
	if f.around < 0 {
		return usagef("--around must not be negative")
	}
	cfg, inputs, err := prepareReplay(f.replayFlags, args, stderr)
	if err != nil {
		return err
	}
	x := &detector.Explainer{Context: 3, Misses: max(f.misses, 1), Around: f.around}
	if f.at != "" {
		t, err := time.Parse(time.RFC3339, f.at)
		if err != nil {
			return usagef("--at must be an RFC 3339 time such as 2026-11-27T01:20:00Z, not %q", f.at)
		}
		x.At = t
	}
	rules := cfg.Rules
	if len(f.rules) > 0 {
		rules = nil
		for _, name := range slices.Compact(slices.Sorted(slices.Values(f.rules))) {
			i := slices.IndexFunc(cfg.Rules, func(r detector.Rule) bool { return r.Name == name })
			if i < 0 {
				return usagef("no rule %q in %s", name, cfg.File)
			}
			rules = append(rules, cfg.Rules[i])
		}
	}
	// Every rule runs, as in a replay, and the chosen ones are watched:
	// a rule's story depends on the others (the engine skips a gap only
	// while all are idle, a drop rule does not learn while one that looks
	// up is active), and explain must tell the replay's, not that of a
	// replay of fewer rules.
	trace := x.Observe
	if len(f.rules) > 0 {
		trace = func(ev detector.Evaluation) {
			if slices.Contains(f.rules, ev.Rule) {
				x.Observe(ev)
			}
		}
	}
	res, readErr := replay.Run(context.Background(), cfg, inputs, replay.Options{Trace: trace})
	if res == nil {
		return readErr
	}
	byName := map[string]detector.Rule{}
	for _, r := range rules {
		byName[r.Name] = r
	}
	for _, e := range x.Explanations() {
		writeExplanation(stdout, byName[e.Rule], e, f.at != "")
	}
	for _, r := range rules { // rules that never saw a boundary
		if !slices.ContainsFunc(x.Explanations(), func(e *detector.Explanation) bool { return e.Rule == r.Name }) {
			fmt.Fprintf(stdout, "%s: never evaluated (no events)\n\n", r.Name)
		}
	}
	return readErr
}

// writeExplanation prints one rule's story.
func writeExplanation(w io.Writer, r detector.Rule, e *detector.Explanation, near bool) {
	fmt.Fprintf(w, "%s: %s; %s evaluations\n", r.Name, describe(r), alert.Thousands(uint64(e.Evaluations)))
	for _, tr := range e.Transitions {
		last := tr[len(tr)-1]
		fmt.Fprintf(w, "  %s %s:\n", last.Why, last.Time.UTC().Format(time.RFC3339))
		for _, ev := range tr {
			writeEvaluation(w, "    ", ev)
		}
	}
	if len(e.Transitions) == 0 {
		fmt.Fprintln(w, "  never fired")
	}
	if len(e.Misses) > 0 {
		fmt.Fprintln(w, "  closest approaches without firing:")
		for _, ev := range e.Misses {
			writeEvaluation(w, "    ", ev)
		}
	}
	if near {
		fmt.Fprintln(w, "  around --at:")
		if len(e.Near) == 0 {
			fmt.Fprintln(w, "    no evaluation there (no events in the window, or the time is outside the log)")
		}
		for _, ev := range e.Near {
			writeEvaluation(w, "    ", ev)
		}
	}
	fmt.Fprintln(w)
}

// writeEvaluation prints one evaluation on one line, and its top keys.
func writeEvaluation(w io.Writer, indent string, ev detector.Evaluation) {
	op := "≥"
	if ev.Down {
		op = "≤"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s  %s", indent, ev.Time.UTC().Format("15:04:05"), alert.FormatValue(ev.Value, ev.Unit))
	if ev.Unit == alert.Distinct && ev.Value > 0 {
		b.WriteString(" (±0.8%: a HyperLogLog estimate)")
	}
	if math.IsInf(ev.Threshold, 0) {
		b.WriteString(", no threshold yet")
	} else {
		fmt.Fprintf(&b, " vs %s %s (%s)", op, alert.FormatValue(ev.Threshold, ev.Unit), percent(detector.Closeness(ev)))
	}
	if ev.Baseline != 0 || ev.Spread != 0 {
		fmt.Fprintf(&b, ", baseline %s ± %s", alert.FormatValue(ev.Baseline, ev.Unit), alert.FormatValue(ev.Spread, ev.Unit))
		if ev.Scale > 1 {
			fmt.Fprintf(&b, " ×%.3g with the requests", ev.Scale)
		}
		if ev.Recurs > 0 {
			fmt.Fprintf(&b, ", raised to %s: %s within an hour of this time yesterday (recurring: daily)",
				alert.FormatValue(ev.Recurs, ev.Unit), alert.FormatValue(ev.Recurs/detector.RecurFactor, ev.Unit))
		}
	}
	fmt.Fprintf(&b, ", %s events, %s: %s", alert.Thousands(ev.Count), ev.State, ev.Why)
	fmt.Fprintln(w, b.String())
	if len(ev.Keys) > 0 {
		keys := make([]string, len(ev.Keys))
		for i, k := range ev.Keys {
			keys[i] = fmt.Sprintf("%s (%s)", alert.Sanitize(k.Key, 60), alert.FormatCount(k))
		}
		fmt.Fprintf(w, "%s          top: %s\n", indent, strings.Join(keys, ", "))
	}
}

func percent(share float64) string {
	return fmt.Sprintf("%.0f%% of the threshold", 100*share)
}
