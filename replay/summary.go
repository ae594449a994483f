package replay

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// WriteSummary prints what was read and what fired, and, when cfg has
// actions, what they would have done: the summary of a text replay (on
// stderr beside JSON).
func (r *Result) WriteSummary(w io.Writer, cfg *config.Config) {
	r.writeSummary(w, cfg)
	if len(cfg.Actions) > 0 {
		writePlanSummary(w, cfg.Actions, r.Plans, r.MorePlans, r.Episodes)
	}
}

func (r *Result) writeSummary(w io.Writer, cfg *config.Config) {
	stats, eng, fired, elapsed := r.Stats, r.Engine, r.Fired, r.Elapsed
	n := alert.Thousands
	var lines int64
	fmt.Fprintln(w, "\nsummary")
	for _, st := range stats {
		lines += st.Lines
		if st.NotRead != "" {
			fmt.Fprintf(w, "  %s: not read: %s\n", st.Name, alert.Sanitize(st.NotRead, 200))
			continue
		}
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
	if es.Late*100 > es.Events && !slices.ContainsFunc(eng.Notices(), func(x detector.Notice) bool { return x.Kind == "late" }) {
		fmt.Fprintf(w, "  hint: %d%% of the events were late, so the rules did not count them: the log is out of time order\n"+
			"        (several servers' logs in one file? give each as a file of its own: replay merges files by time) — or raise the allowance with --skew 1m\n", es.Late*100/es.Events)
	}
	firing := eng.Firing()
	for _, x := range eng.Notices() {
		fmt.Fprintf(w, "  notice: %s\n", alert.Sanitize(x.Text, 800))
	}
	fmt.Fprintln(w, "  alerts:")
	for _, rs := range es.Rules {
		note := ""
		if slices.Contains(firing, rs.Name) {
			note = " (still firing at the end of the input)"
		}
		if rs.Late > 0 {
			note += fmt.Sprintf(", %s older than its window", n(rs.Late))
		}
		if rs.Capped > 0 {
			note += fmt.Sprintf(", %s more in bursts past its min_span", n(rs.Capped))
		}
		fmt.Fprintf(w, "    %-22s %s fired, %s matching events%s\n", rs.Name, n(uint64(fired[rs.Name])), n(rs.Matched), note)
	}
	rate := float64(lines) / max(elapsed.Seconds(), 1e-9)
	fmt.Fprintf(w, "  wall time: %s, %s lines/s\n", elapsed.Round(time.Millisecond), n(uint64(rate)))
}

// PlanText says what a replay would have done for e, after the action's
// name: "would call PATCH https://… (signup-burst fired)". The timeline
// and the report show the same words.
func PlanText(e actions.Entry) string {
	switch {
	case e.Outcome == delivery.Skipped:
		return fmt.Sprintf("held back (%s): %s", e.Rule, e.Reason)
	case e.Phase == actions.Revert:
		return "would revert: " + e.Request + dryNote(e)
	}
	return fmt.Sprintf("would call %s (%s fired)%s", e.Request, e.Rule, dryNote(e))
}

// WritePlanned prints one action a replay would have taken, in the
// timeline.
func WritePlanned(w io.Writer, e actions.Entry) {
	fmt.Fprintf(w, "%s ACTION %s %s\n", e.EventTime.UTC().Format(time.RFC3339), e.Action, PlanText(e))
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

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
