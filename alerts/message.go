package alerts

import (
	"fmt"
	"strings"

	"github.com/sentinel-dev/sentinel/alert"
)

// Lengths, in runes, that messages give attacker-controlled text.
const (
	maxKeyRunes         = 80
	maxDescriptionRunes = 300
	maxTitleRunes       = 150
	// maxSummaryKeys is how many top offenders a summary lists.
	maxSummaryKeys = 5
)

// summaryTimeLayout shows an event time on a phone: the date matters
// once an episode outlives a day.
const summaryTimeLayout = "2006-01-02 15:04:05 UTC"

// Title is the short first line of a notification, for a lock screen:
// "[critical] signup-burst firing: 8/s ≥ 1/s" or "[critical] signup-burst
// resolved after 1m9s". It holds only config-derived text (rule, severity)
// and numbers, never log text; a notifier still escapes it for its target.
func Title(a alert.Alert) string {
	switch a.State {
	case alert.Resolved:
		return fmt.Sprintf("[%s] %s resolved after %s", a.Severity, a.Rule, alert.FormatDuration(a.Time.Sub(a.Since)))
	default:
		op := "≥"
		if a.Down {
			op = "≤"
		}
		state := string(a.State)
		if a.Reminder > 0 {
			state = "still firing after " + alert.FormatDuration(a.Time.Sub(a.Since))
		}
		return fmt.Sprintf("[%s] %s %s: %s %s %s", a.Severity, a.Rule, state, alert.FormatValue(a.Value, a.Unit), op, alert.FormatValue(a.Threshold, a.Unit))
	}
}

// Headline is the one line a phone shows for a notification: the
// [Title], escaped with esc, and for a firing alert the top offender
// ("… ≥ 1/s, top client_ip 203.0.113.7").
func Headline(a alert.Alert, esc alert.Escaper) string {
	s := esc(Title(a), maxTitleRunes)
	if a.State == alert.Firing && len(a.Keys) > 0 {
		name := a.GroupBy
		if name == "" {
			name = "key"
		}
		s += ", top " + esc(name, maxKeyRunes) + " " + esc(a.Keys[0].Key, maxKeyRunes)
	}
	return s
}

// Summary is the body of a notification, a few lines joined by "\n":
// the value against its threshold or baseline, the description, since
// when and for how long, the events and distinct count, the top
// offenders with their counts, and the latest sample line. Every string
// that is not a number or a fixed word goes through esc, which the
// notifier chooses for its target ([SlackText], [HTMLText], [Sanitize]);
// the line breaks are Summary's own.
func Summary(a alert.Alert, esc alert.Escaper) string {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	since := a.Since.UTC().Format(summaryTimeLayout)
	held := a.Time.Sub(a.Since)

	if a.State == alert.Resolved {
		past := "below"
		if a.Down {
			past = "above"
		}
		add("%s, %s %s; peak %s", alert.FormatValue(a.Value, a.Unit), past, alert.FormatValue(a.ResolveAt, a.Unit), alert.FormatValue(a.Peak, a.Unit))
		add("fired from %s for %s", since, alert.FormatDuration(held))
		return strings.Join(lines, "\n")
	}

	op := "≥"
	if a.Down {
		op = "≤"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", alert.FormatValue(a.Value, a.Unit), op, alert.FormatValue(a.Threshold, a.Unit))
	if a.PerKey && a.GroupBy != "" {
		fmt.Fprintf(&b, " per %s", esc(a.GroupBy, maxKeyRunes))
	}
	if a.Window > 0 {
		fmt.Fprintf(&b, " over %s", alert.FormatDuration(a.Window))
	}
	if a.Current > 0 {
		fmt.Fprintf(&b, ", now %s", alert.FormatValue(a.Current, a.Unit))
	}
	if a.Baseline != 0 || a.Spread != 0 {
		fmt.Fprintf(&b, ", normal %s ± %s", alert.FormatValue(a.Baseline, a.Unit), alert.FormatValue(a.Spread, a.Unit))
	}
	lines = append(lines, b.String())
	if a.Description != "" {
		lines = append(lines, esc(a.Description, maxDescriptionRunes))
	}
	if held > 0 {
		add("since %s (%s)", since, alert.FormatDuration(held))
	} else {
		add("since %s", since)
	}

	b.Reset()
	if a.Hits > 0 {
		fmt.Fprintf(&b, "%s of %s events", alert.Thousands(a.Hits), alert.Thousands(a.Count))
	} else {
		fmt.Fprintf(&b, "%s events", alert.Thousands(a.Count))
	}
	if a.DistinctOf != "" && a.Unit != alert.Distinct {
		fmt.Fprintf(&b, " from %s distinct %s", alert.Thousands(a.Distinct), esc(a.DistinctOf, maxKeyRunes))
	}
	lines = append(lines, b.String())

	if len(a.Keys) > 0 {
		b.Reset()
		name := a.GroupBy
		if name == "" {
			name = "keys"
		}
		fmt.Fprintf(&b, "top %s: ", esc(name, maxKeyRunes))
		for i, k := range a.Keys[:min(len(a.Keys), maxSummaryKeys)] {
			if i > 0 {
				b.WriteString(", ")
			}
			if k.Error > 0 && k.Error <= k.Count {
				fmt.Fprintf(&b, "%s (%s–%s)", esc(k.Key, maxKeyRunes), alert.Thousands(k.Count-k.Error), alert.Thousands(k.Count))
			} else {
				fmt.Fprintf(&b, "%s (%s)", esc(k.Key, maxKeyRunes), alert.Thousands(k.Count))
			}
		}
		if len(a.Keys) > maxSummaryKeys {
			fmt.Fprintf(&b, ", +%d more", len(a.Keys)-maxSummaryKeys)
		}
		lines = append(lines, b.String())
	}
	if len(a.Samples) > 0 {
		lines = append(lines, "sample: "+esc(a.Samples[len(a.Samples)-1], maxSampleRunes))
	}
	return strings.Join(lines, "\n")
}
