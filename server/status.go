package server

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/fleet"
)

// Status is the daemon's state as GET /status returns it in JSON.
type Status struct {
	Version string    `json:"version"`
	Started time.Time `json:"started"`
	// Config is the path of the config file in use, or a description such
	// as "embedded defaults".
	Config  string         `json:"config"`
	Sources []SourceStatus `json:"sources"`
	Rules   []RuleStatus   `json:"rules"`
	// Notifiers are the notifiers' queues, and the retry each waits for
	// (how long the receiver asked to wait, capped at 15 minutes); none
	// when the daemon has no notifier.
	Notifiers []alerts.RouteStatus `json:"notifiers,omitempty"`
	// Actions are the configured actions, the remedies on now and the
	// last audit entries; nil when the daemon has none configured.
	Actions *actions.Status `json:"actions,omitempty"`
	// Notices are what the engine learned about the logs that a person
	// should know: rules a log leaves blind, a proxy in front.
	Notices []string `json:"notices,omitempty"`
	// Fleet is this node's view of its fleet (settings.fleet); nil when
	// the daemon is not part of one.
	Fleet *fleet.Status `json:"fleet,omitempty"`
	// Silences are the silences in force (the config's and those set
	// through the API), by rule.
	Silences []alerts.SilenceStatus `json:"silences,omitempty"`
	// Latency gives, for each stage from a line to what it sets off, the
	// median and 99th percentile of its latest durations.
	Latency []LatencyStatus `json:"latency,omitempty"`
}

// SourceStatus is one source's state for the status API.
type SourceStatus struct {
	Path    string `json:"path"`
	Format  string `json:"format"`
	Lines   int64  `json:"lines"`   // lines read
	Parsed  int64  `json:"parsed"`  // lines parsed into events
	Skipped int64  `json:"skipped"` // lines that became no event
	// LagSeconds is how far reading is behind, in seconds: 0 when every
	// byte written is read, else the age of the oldest unread line (at
	// most the time since the newest line read was written). A quiet log
	// has no lag.
	LagSeconds float64 `json:"lag_seconds"`
	LagBytes   int64   `json:"lag_bytes"` // bytes written and not read yet
	Offset     int64   `json:"offset"`    // read offset in bytes
}

// RuleStatus is one rule's state for the status API.
type RuleStatus struct {
	Name     string `json:"name"`
	Severity string `json:"severity"`
	State    string `json:"state"` // inactive, pending or firing
	// Value and Threshold are in Unit ("/s", "distinct", "share", …).
	// Threshold is +Inf while a baseline rule learns; JSON carries it as 0.
	Value float64 `json:"value"`
	// Now is a rate rule's rate in its newest complete bucket: the
	// measure a notification's headline gives (0 for other kinds).
	Now       float64    `json:"now,omitempty"`
	Threshold float64    `json:"threshold"`
	Unit      alert.Unit `json:"unit"`
	// Learning says why a baseline rule cannot fire yet ("warm-up: 12m0s
	// left"); Threshold then means nothing.
	Learning string `json:"learning,omitempty"`
	// Peak is the highest value of the episode while the rule fires.
	Peak float64 `json:"peak,omitempty"`
	// Baseline and Spread are a baseline rule's learned mean and standard
	// deviation, in Unit.
	Baseline float64 `json:"baseline,omitempty"`
	Spread   float64 `json:"spread,omitempty"`
	// Since is when the rule became pending or started firing; zero when
	// inactive.
	Since time.Time `json:"since,omitzero"`
	// Keys are the top offenders. They are attacker-controlled text:
	// escape them before display (WriteStatus does).
	Keys []alert.KeyCount `json:"keys"`
}

// forJSON returns a copy of st that encoding/json accepts and that reads
// well: non-finite numbers (JSON has none) become 0, and nil lists become
// empty ones. st is not modified: its slices may be shared with the
// daemon.
func (st Status) forJSON() Status {
	st.Sources = slices.Clone(st.Sources)
	if st.Sources == nil {
		st.Sources = []SourceStatus{}
	}
	for i := range st.Sources {
		st.Sources[i].LagSeconds = finite(st.Sources[i].LagSeconds)
	}
	st.Latency = slices.Clone(st.Latency)
	for i := range st.Latency {
		l := &st.Latency[i]
		l.P50, l.P99 = finite(l.P50), finite(l.P99)
	}
	st.Rules = slices.Clone(st.Rules)
	if st.Rules == nil {
		st.Rules = []RuleStatus{}
	}
	for i := range st.Rules {
		r := &st.Rules[i]
		r.Value, r.Threshold, r.Now, r.Peak = finite(r.Value), finite(r.Threshold), finite(r.Now), finite(r.Peak)
		r.Baseline, r.Spread = finite(r.Baseline), finite(r.Spread)
		if r.Keys == nil {
			r.Keys = []alert.KeyCount{}
		}
	}
	return st
}

func finite(v float64) float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return 0
	}
	return v
}

// Lengths past which WriteStatus cuts text.
const (
	maxKeyRunes   = 40
	maxErrorRunes = 100
	maxPathRunes  = 60
	maxNameRunes  = 40
	topKeys       = 3
)

// WriteStatus writes st for people, as `sentinel status` shows it: a
// headline, then a table of sources (lines, skipped, lag) and one of rules
// (state, value against the threshold or the learned baseline ± spread,
// since when, the top 3 keys), and, with notifiers, one of their queues
// and the retry each waits for; then the latest latencies of each stage
// from a line to its effects (median and 99th percentile). Every string that may come from a log
// line, a config or a receiver is escaped with [alert.Sanitize], so a
// hostile key cannot drive the terminal.
func WriteStatus(w io.Writer, st Status) error {
	var b strings.Builder
	fmt.Fprintf(&b, "sentinel %s, started %s, config %s\n",
		orDash(alert.Sanitize(st.Version, maxNameRunes)), formatTime(st.Started), orDash(alert.Sanitize(st.Config, maxPathRunes)))

	b.WriteByte('\n')
	if len(st.Sources) == 0 {
		b.WriteString("no sources\n")
	} else {
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SOURCE\tFORMAT\tLINES\tSKIPPED\tLAG")
		for _, s := range st.Sources {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n",
				alert.Sanitize(s.Path, maxPathRunes), orDash(alert.Sanitize(s.Format, maxNameRunes)),
				thousands(s.Lines), thousands(s.Skipped), formatLag(s.LagSeconds))
		}
		tw.Flush()
	}

	for _, n := range st.Notices {
		fmt.Fprintf(&b, "notice: %s\n", alert.Sanitize(n, 800))
	}
	writeFleet(&b, st.Fleet)

	b.WriteByte('\n')
	if len(st.Rules) == 0 {
		b.WriteString("no rules\n")
	} else {
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tSTATE\tVALUE\tNOW\tAGAINST\tSINCE\tTOP KEYS")
		for _, r := range st.Rules {
			now := "-"
			if r.Now > 0 {
				now = formatValue(r.Now, r.Unit)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				alert.Sanitize(r.Name, maxNameRunes), orDash(alert.Sanitize(r.State, maxNameRunes)),
				formatValue(r.Value, r.Unit), now, against(r), formatTime(r.Since), formatKeys(r.Keys))
		}
		tw.Flush()
	}
	if len(st.Notifiers) > 0 {
		b.WriteByte('\n')
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NOTIFIER\tQUEUED\tRETRY\tASKED\tLAST ERROR")
		for _, n := range st.Notifiers {
			retry, asked := "-", "-"
			if !n.RetryAt.IsZero() {
				retry = fmt.Sprintf("%s (attempt %d failed)", formatTime(n.RetryAt), n.Attempts)
			}
			if n.RequestedWaitSeconds > 0 {
				asked = alert.FormatDuration(time.Duration(n.RequestedWaitSeconds * float64(time.Second)))
			}
			last := n.LastError
			if last == "" && n.Failure != "" {
				last = "failed for good at " + formatTime(n.FailedAt) + ": " + n.Failure
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", alert.Sanitize(n.Name, maxNameRunes), n.Queued, retry, asked,
				orDash(alert.Sanitize(last, maxErrorRunes)))
		}
		tw.Flush()
	}
	if len(st.Latency) > 0 {
		b.WriteByte('\n')
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "LATENCY\tP50\tP99\tSAMPLES")
		for _, l := range st.Latency {
			p50, p99 := "-", "-"
			if l.Samples > 0 {
				p50, p99 = formatSeconds(l.P50), formatSeconds(l.P99)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", alert.Sanitize(string(l.Stage), maxNameRunes), p50, p99, l.Samples)
		}
		tw.Flush()
	}
	if len(st.Silences) > 0 {
		b.WriteByte('\n')
		if err := WriteSilences(&b, st.Silences); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

// WriteSilences writes the silences in force as a table, as `sentinel
// silence list` shows them.
func WriteSilences(w io.Writer, silences []alerts.SilenceStatus) error {
	var b strings.Builder
	if len(silences) == 0 {
		b.WriteString("no silences\n")
	} else {
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SILENCED RULE\tUNTIL\tSET BY")
		for _, s := range silences {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", alert.Sanitize(s.Rule, maxNameRunes), formatTime(s.Until), alert.Sanitize(s.Source, maxNameRunes))
		}
		tw.Flush()
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write silences: %w", err)
	}
	return nil
}

// against is what a rule's value is measured against: the learned normal
// of a baseline rule, else the threshold; while a baseline rule learns,
// what it waits for.
func against(r RuleStatus) string {
	if r.Learning != "" {
		return "learning (" + alert.Sanitize(r.Learning, maxErrorRunes) + ")"
	}
	if r.Baseline != 0 || r.Spread != 0 {
		return "normal " + formatValue(r.Baseline, r.Unit) + " ± " + formatValue(r.Spread, r.Unit)
	}
	if math.IsInf(r.Threshold, 0) || math.IsNaN(r.Threshold) {
		return "learning"
	}
	return "threshold " + formatValue(r.Threshold, r.Unit)
}

func formatValue(v float64, unit alert.Unit) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return "-"
	}
	return alert.FormatValue(v, alert.Unit(alert.Sanitize(string(unit), maxNameRunes)))
}

// formatKeys shows the first three keys with their counts.
func formatKeys(keys []alert.KeyCount) string {
	if len(keys) == 0 {
		return "-"
	}
	var b strings.Builder
	for i, k := range keys[:min(len(keys), topKeys)] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%s)", alert.Sanitize(k.Key, maxKeyRunes), alert.Thousands(k.Count))
	}
	if len(keys) > topKeys {
		fmt.Fprintf(&b, ", +%d more", len(keys)-topKeys)
	}
	return b.String()
}

// formatLag shows a lag in seconds: tenths under a minute, whole seconds
// above.
func formatLag(sec float64) string {
	switch {
	case math.IsInf(sec, 0) || math.IsNaN(sec):
		return "-"
	case math.Abs(sec) < 60:
		return strconv.FormatFloat(sec, 'f', 1, 64) + "s"
	case sec < 0:
		return "-" + alert.FormatDuration(time.Duration(-sec*float64(time.Second)))
	default:
		return alert.FormatDuration(time.Duration(sec * float64(time.Second)))
	}
}

// formatSeconds shows a latency: milliseconds under a second (tenths
// under 10 ms), seconds with tenths above.
func formatSeconds(sec float64) string {
	switch {
	case math.IsInf(sec, 0) || math.IsNaN(sec) || sec < 0:
		return "-"
	case sec < 0.01:
		return strconv.FormatFloat(sec*1000, 'f', 1, 64) + "ms"
	case sec < 1:
		return strconv.FormatFloat(sec*1000, 'f', 0, 64) + "ms"
	default:
		return strconv.FormatFloat(sec, 'f', 1, 64) + "s"
	}
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func thousands(n int64) string {
	if n < 0 {
		return "-" + alert.Thousands(uint64(-n))
	}
	return alert.Thousands(uint64(n))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
