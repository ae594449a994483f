package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/detector"
)

// Suggester gathers, per rule, the distribution of the values a replay's
// evaluations saw, in a [Histogram] (bounded memory, quantiles within
// [HistogramError]), and works out the setting that would have kept the
// rule quiet on that log. Hook [Suggester.Observe] to
// [detector.Options.Trace]. It is not safe for concurrent use.
//
// A suggestion is only as fair as its input: on a log with an attack in
// it, "quiet" means "blind to that attack". Feed it known-quiet logs.
type Suggester struct {
	rules map[string]*suggestState
	order []string
}

type suggestState struct {
	rule        detector.Rule
	unit        alert.Unit // as the evaluations give it
	hist        Histogram
	evaluations uint64
	first, last time.Time
	step        time.Duration // the shortest gap between evaluations
	worst       float64       // drop rules: the largest baseline/value seen while armed
	zeroDrop    float64       // drop rules: a baseline the value fell to 0 under, while armed
	// Absence rules: when the silence being measured began, and the
	// longest one that ended. The engine skips evaluations while an
	// absence fires, so the silence is measured from its start to the
	// first evaluation that sees events again.
	silentSince time.Time
	longest     float64
}

// NewSuggester returns a Suggester for rules.
func NewSuggester(rules []detector.Rule) *Suggester {
	s := &Suggester{rules: map[string]*suggestState{}}
	for _, r := range rules {
		s.rules[r.Name] = &suggestState{rule: r}
		s.order = append(s.order, r.Name)
	}
	return s
}

// Observe takes one evaluation. It is a [detector.Options.Trace] function;
// evaluations of rules it was not given are ignored.
func (s *Suggester) Observe(ev detector.Evaluation) {
	st := s.rules[ev.Rule]
	if st == nil {
		return
	}
	st.evaluations++
	st.unit = ev.Unit
	if !st.last.IsZero() {
		if gap := ev.Time.Sub(st.last); gap > 0 && (st.step == 0 || gap < st.step) {
			st.step = gap
		}
	} else {
		st.first = ev.Time
	}
	st.last = ev.Time
	r := &st.rule
	switch {
	case r.Type == detector.Absence && ev.Value > 0:
		if st.silentSince.IsZero() {
			st.silentSince = ev.Time.Add(-time.Duration(ev.Value * float64(time.Second)))
		}
	case r.Type == detector.Absence && !st.silentSince.IsZero():
		st.longest = max(st.longest, ev.Time.Sub(st.silentSince).Seconds())
		st.silentSince = time.Time{}
	case r.Type == detector.Ratio && ev.Count < r.MinEvents:
		return // too few events to fire: not a value the threshold meets
	case r.Baseline != nil && r.Baseline.Down:
		if armed(ev) {
			if ev.Value <= 0 {
				st.zeroDrop = max(st.zeroDrop, ev.Baseline)
			} else {
				st.worst = max(st.worst, ev.Baseline/ev.Value)
			}
		}
	}
	st.hist.Add(ev.Value)
}

// armed reports whether a drop rule could have fired at ev: past its
// warm-up, on a normal above its floor.
func armed(ev detector.Evaluation) bool {
	return !math.IsInf(ev.Threshold, 0) && !strings.HasPrefix(ev.Why, "warm-up") && !strings.Contains(ev.Why, "under the floor")
}

// Suggestion is what a [Suggester] makes of one rule.
type Suggestion struct {
	Rule string
	// Unit is the values' unit, as in [alert.Alert.Unit].
	Unit alert.Unit
	// Evaluations counts the values the distribution is made of: every
	// evaluation, plus the idle boundaries the engine skipped (zeros).
	Evaluations uint64
	// P50, P99, P999 and Max describe the distribution; the quantiles are
	// within [HistogramError], Max is exact.
	P50, P99, P999, Max float64
	// Setting names what to change ("threshold", "floor", "floor and
	// share_floor", "window", "factor"), Current is its value now (the
	// floor's, for both floors) and Quiet the value that would
	// have produced no alert on this log: past it in the safe direction.
	// Quiet is NaN when no such value exists; Note says why.
	Setting        string
	Current, Quiet float64
	Note           string
}

// Suggestions returns one [Suggestion] per rule, in the rules' order.
func (s *Suggester) Suggestions() []Suggestion {
	var out []Suggestion
	for _, name := range s.order {
		st := s.rules[name]
		r := &st.rule
		// Boundaries the engine skipped while every rule was idle had empty
		// windows: values of 0 (for a ratio, too few events to count).
		if st.step > 0 && r.Type != detector.Absence && r.Type != detector.Ratio {
			if all := uint64(st.last.Sub(st.first)/st.step) + 1; all > st.evaluations {
				st.hist.AddZeros(all - st.evaluations)
			}
		}
		h := &st.hist
		sg := Suggestion{
			Rule: name, Unit: st.unit, Evaluations: h.Count(),
			P50: h.Quantile(0.5), P99: h.Quantile(0.99), P999: h.Quantile(0.999), Max: h.Max(),
			Setting: "threshold", Current: r.Threshold, Quiet: math.NaN(),
		}
		switch {
		case h.Count() == 0:
			sg.Note = "never evaluated with enough events: nothing to suggest"
		case r.Type == detector.Absence && sg.Max <= 0:
			sg.Setting, sg.Current = "window", r.Window.Seconds()
			sg.Note = "no silence as long as the window on this log: it is already quiet here (shorter silences are not measured)"
		case r.Type == detector.Absence:
			// A window longer than the longest silence (one still going
			// on at the end counts as far as the log goes), in whole
			// minutes, which the engine can always cut into buckets.
			longest := max(st.longest, sg.Max)
			if !st.silentSince.IsZero() {
				longest = max(longest, st.last.Sub(st.silentSince).Seconds())
			}
			sg.Setting, sg.Current = "window", r.Window.Seconds()
			sg.Quiet = (math.Floor(longest/60) + 1) * 60
			sg.Note = "a window longer than the longest silence"
		case r.Baseline != nil && r.Baseline.Down:
			sg.Setting, sg.Current = "factor", r.Baseline.Factor
			switch {
			case st.zeroDrop > 0:
				sg.Note = fmt.Sprintf("the value fell to 0 on a normal of %s: only a floor above it keeps the rule quiet", alert.FormatValue(round3(st.zeroDrop), sg.Unit))
			case st.worst > 0:
				sg.Quiet = niceAbove(st.worst)
				sg.Note = "approximate: the normal a rule learns depends on its factor"
			default:
				sg.Note = "never armed (warm-up, or a normal under its floor): nothing to suggest"
			}
		case r.Baseline != nil:
			sg.Setting, sg.Current = "floor", r.Baseline.Floor
			sg.Quiet = niceAbove(sg.Max)
			sg.Note = "a floor above every value keeps it quiet whatever it learns"
			if sf := r.Baseline.ShareFloor; sf > 0 && sf < sg.Quiet {
				// The share floor is the floor while the evidence holds: it
				// must rise too (or go).
				sg.Setting = "floor and share_floor"
				sg.Note = "share_floor is " + exactValue(sf, sg.Unit) + " now: both above every value keep it quiet whatever it learns"
			}
		case r.Type == detector.Ratio && sg.Max >= 1:
			sg.Note = fmt.Sprintf("the share reached 100%% with at least %d events: raise min_events instead", r.MinEvents)
		default:
			sg.Quiet = niceAbove(sg.Max)
			if r.Type == detector.Ratio {
				sg.Quiet = min(sg.Quiet, 1)
			}
		}
		out = append(out, sg)
	}
	return out
}

// niceAbove returns the smallest number with two significant digits that
// is strictly above v, and above anything v (traced, rounded to three
// decimals) may stand for: 241 → 250, 8 → 8.1, 0 → 0.001.
func niceAbove(v float64) float64 {
	if v <= 0 {
		return 0.001
	}
	v += 0.0005 // the engine compares the unrounded value
	scale := math.Pow(10, math.Floor(math.Log10(v))-1)
	n := math.Floor(v/scale+1e-9) + 1
	return round3(math.Max(n*scale, 0.001))
}

func round3(v float64) float64 {
	if v >= 1 {
		return math.Round(v*1000) / 1000
	}
	// Keep small values' two significant digits.
	p := math.Pow(10, 1-math.Floor(math.Log10(v)))
	return math.Round(v*p) / p
}

// WriteSuggestions prints suggestions as a table for people, with the
// warning that makes them fair.
func WriteSuggestions(w io.Writer, sgs []Suggestion) error {
	var b strings.Builder
	b.WriteString("\nthreshold suggestions\n")
	b.WriteString("  Only a log known to be quiet is fair input: a suggestion is the setting that would\n" +
		"  have raised no alert on THIS log, so an attack in it becomes the new normal.\n")
	fmt.Fprintf(&b, "  Values are each rule's window value at every evaluation; p50/p99/p99.9 from a\n"+
		"  log-bucket histogram, within %g%%; max exact.\n\n", 100*HistogramError)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  rule\tvalues\tp50\tp99\tp99.9\tmax\tquiet with")
	for _, s := range sgs {
		v := func(x float64) string { return exactValue(x, s.Unit) }
		quiet := "-"
		if !math.IsNaN(s.Quiet) {
			quiet = s.Setting + " " + settingValue(s.Setting, s.Quiet, s.Unit) + " (now " + settingValue(s.Setting, s.Current, s.Unit) + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Rule, alert.Thousands(s.Evaluations), v(s.P50), v(s.P99), v(s.P999), v(s.Max), quiet)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var notes bool
	for _, s := range sgs {
		if s.Note != "" {
			if !notes {
				b.WriteString("\n")
				notes = true
			}
			fmt.Fprintf(&b, "  %s: %s\n", s.Rule, s.Note)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// settingValue prints a setting's value in its own unit.
func settingValue(setting string, v float64, unit alert.Unit) string {
	switch setting {
	case "window":
		return alert.FormatDuration(time.Duration(v * float64(time.Second)))
	case "factor":
		return fmt.Sprintf("%g", v)
	}
	return exactValue(v, unit)
}

// exactValue prints a value with the digits a threshold needs (three
// significant ones, more for large numbers), where alert.FormatValue
// rounds: a maximum of 0.067/s and the 0.068/s above it must not both
// print as 0.07/s.
func exactValue(v float64, unit alert.Unit) string {
	switch unit {
	case alert.Share:
		return strconv.FormatFloat(100*v, 'g', 3, 64) + "%"
	case alert.Silent:
		return alert.FormatValue(v, unit)
	}
	if v >= 1000 {
		return alert.FormatValue(math.Round(v), unit)
	}
	s := strconv.FormatFloat(v, 'g', 3, 64)
	if unit == alert.Distinct {
		return s + " distinct"
	}
	return s + string(unit)
}
