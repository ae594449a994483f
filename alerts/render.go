package alerts

import (
	"fmt"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// This file is the one renderer of an alert for people: the console's
// timeline ([FormatText]) and the notifiers' messages ([Title],
// [Headline], [Summary], the email's facts) arrange the same pieces, built
// here, so that a number reads the same in every output.

// Lengths, in runes, that outputs give attacker-controlled text.
const (
	maxKeyRunes         = 80
	maxDescriptionRunes = 300
	maxTitleRunes       = 150
	// maxSampleRunes is how much of a sample line an output shows.
	maxSampleRunes = 200
	// maxSummaryKeys is how many top offenders a summary lists.
	maxSummaryKeys = 5
)

// summaryTimeLayout shows an event time on a phone: the date matters
// once an episode outlives a day.
const summaryTimeLayout = "2006-01-02 15:04:05 UTC"

// FormatText renders a transition for people, one headline and, when
// firing, the top offenders and a sample line. Every string that is not a
// number, a fixed word or the rule's name (checked by the config) is
// escaped with [alert.Sanitize]: a terminal never receives the attacker's
// control bytes.
func FormatText(a alert.Alert) string {
	esc := alert.Sanitize
	var b strings.Builder
	t := a.Time.UTC().Format(time.RFC3339)
	switch a.State {
	case alert.Firing:
		fmt.Fprintf(&b, "%s FIRING   %s [%s]: %s (%s events", t, a.Rule, a.Severity, measure(a, esc), alert.Thousands(a.Count))
		if d := distinct(a, esc); d != "" {
			b.WriteString(" from " + d)
		}
		b.WriteString(")\n")
		if a.Description != "" {
			fmt.Fprintf(&b, "    %s\n", esc(a.Description, maxDescriptionRunes))
		}
		if len(a.Evidence) > 0 {
			fmt.Fprintf(&b, "    critical: %s\n", esc(strings.Join(a.Evidence, "; "), maxDescriptionRunes))
		}
		if len(a.Keys) > 0 {
			fmt.Fprintf(&b, "    top %s: %s\n", esc(a.GroupBy, maxKeyRunes), keyList(a.Keys, esc, len(a.Keys)))
		}
		if s := sample(a, esc); s != "" {
			fmt.Fprintf(&b, "    sample: %s\n", s)
		}
	case alert.Resolved:
		fmt.Fprintf(&b, "%s RESOLVED %s: %s; held %s from %s, peak %s\n", t, a.Rule, cleared(a),
			alert.FormatDuration(a.Time.Sub(a.Since)), a.Since.UTC().Format(time.TimeOnly), alert.FormatValue(a.Peak, a.Unit))
	}
	return b.String()
}

// Title is the short first line of a notification, for a lock screen:
// "[critical] signup-burst firing: 8/s ≥ 1/s" or "[critical] signup-burst
// resolved after 1m9s". It holds only config-derived text (rule, severity)
// and numbers, never log text; a notifier still escapes it for its target.
func Title(a alert.Alert) string {
	if a.State == alert.Resolved {
		return fmt.Sprintf("[%s] %s resolved after %s", a.Severity, a.Rule, alert.FormatDuration(a.Time.Sub(a.Since)))
	}
	state := string(a.State)
	if a.Reminder > 0 {
		state = "still firing after " + alert.FormatDuration(a.Time.Sub(a.Since))
	}
	return fmt.Sprintf("[%s] %s %s: %s", a.Severity, a.Rule, state, against(a))
}

// Headline is the one line a phone shows for a notification: the
// [Title], escaped with esc, and for a firing alert the top offender
// ("… ≥ 1/s, top client_ip 203.0.113.7").
func Headline(a alert.Alert, esc alert.Escaper) string {
	s := esc(Title(a), maxTitleRunes)
	if a.State == alert.Firing && len(a.Keys) > 0 {
		s += ", top " + esc(orDefault(a.GroupBy, "key"), maxKeyRunes) + " " + esc(a.Keys[0].Key, maxKeyRunes)
	}
	return s
}

// Summary is the body of a notification, a few lines joined by "\n":
// the value against its threshold or baseline, the description, since
// when and for how long, the events and distinct count, the top
// offenders with their counts, and the latest sample line. Every string
// that is not a number or a fixed word goes through esc, which the
// notifier chooses for its target ([alert.SlackText], [alert.HTMLText],
// [alert.Sanitize]); the line breaks are Summary's own.
func Summary(a alert.Alert, esc alert.Escaper) string {
	since := a.Since.UTC().Format(summaryTimeLayout)
	held := a.Time.Sub(a.Since)
	if a.State == alert.Resolved {
		return fmt.Sprintf("%s; peak %s\nfired from %s for %s", cleared(a), alert.FormatValue(a.Peak, a.Unit), since, alert.FormatDuration(held))
	}
	lines := []string{measure(a, esc)}
	if a.Description != "" {
		lines = append(lines, esc(a.Description, maxDescriptionRunes))
	}
	if held > 0 {
		lines = append(lines, fmt.Sprintf("since %s (%s)", since, alert.FormatDuration(held)))
	} else {
		lines = append(lines, "since "+since)
	}
	ev := eventCount(a) + " events"
	if d := distinct(a, esc); d != "" {
		ev += " from " + d
	}
	lines = append(lines, ev)
	if len(a.Keys) > 0 {
		lines = append(lines, "top "+esc(orDefault(a.GroupBy, "keys"), maxKeyRunes)+": "+keyList(a.Keys, esc, maxSummaryKeys))
	}
	if s := sample(a, esc); s != "" {
		lines = append(lines, "sample: "+s)
	}
	return strings.Join(lines, "\n")
}

// against is the value against the threshold: "8/s ≥ 1/s", or "≤" for a
// rule that fires on a drop.
func against(a alert.Alert) string {
	op := "≥"
	if a.Down {
		op = "≤"
	}
	return alert.FormatValue(a.Value, a.Unit) + " " + op + " " + alert.FormatValue(a.Threshold, a.Unit)
}

// threshold is [against] and what the value is of: "8/s ≥ 1/s per
// client_ip over 30s".
func threshold(a alert.Alert, esc alert.Escaper) string {
	s := against(a)
	if a.PerKey && a.GroupBy != "" {
		s += " per " + esc(a.GroupBy, maxKeyRunes)
	}
	if a.Window > 0 {
		s += " over " + alert.FormatDuration(a.Window)
	}
	return s
}

// measure is [threshold], the rate now and the learned normal: "8/s ≥
// 1/s over 30s, now 240/s, normal 2/s ± 1/s".
func measure(a alert.Alert, esc alert.Escaper) string {
	s := threshold(a, esc)
	if n := current(a); n != "" {
		s += ", now " + n
	}
	if n := normal(a); n != "" {
		s += ", normal " + n
	}
	return s
}

// current is the rate in the last bucket, "" when not measured.
func current(a alert.Alert) string {
	if a.Current > 0 {
		return alert.FormatValue(a.Current, a.Unit)
	}
	return ""
}

// normal is a baseline rule's learned mean and spread, "" for other rules.
func normal(a alert.Alert) string {
	if a.Baseline != 0 || a.Spread != 0 {
		return alert.FormatValue(a.Baseline, a.Unit) + " ± " + alert.FormatValue(a.Spread, a.Unit)
	}
	return ""
}

// cleared is where a resolved alert's value went: "0/s, below 0.8/s".
func cleared(a alert.Alert) string {
	past := "below"
	if a.Down {
		past = "above"
	}
	return alert.FormatValue(a.Value, a.Unit) + ", " + past + " " + alert.FormatValue(a.ResolveAt, a.Unit)
}

// eventCount is the window's events, and of them a ratio rule's hits:
// "240" or "12 of 240".
func eventCount(a alert.Alert) string {
	if a.Hits > 0 {
		return alert.Thousands(a.Hits) + " of " + alert.Thousands(a.Count)
	}
	return alert.Thousands(a.Count)
}

// distinct is the distinct count of a field, "4,812 distinct client_ip",
// or "" when none is tracked or the value is that count already.
func distinct(a alert.Alert, esc alert.Escaper) string {
	if a.DistinctOf == "" || a.Unit == alert.Distinct || a.Distinct == 0 {
		return "" // none counted: the log carries no such field
	}
	return alert.Thousands(a.Distinct) + " distinct " + esc(a.DistinctOf, maxKeyRunes)
}

// keyList lists up to most top offenders with their counts:
// "203.0.113.7 (2–3), 198.51.100.1 (2), +3 more".
func keyList(keys []alert.KeyCount, esc alert.Escaper, most int) string {
	var b strings.Builder
	for i, k := range keys[:min(len(keys), most)] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%s)", esc(k.Key, maxKeyRunes), alert.FormatCount(k))
	}
	if len(keys) > most {
		fmt.Fprintf(&b, ", +%d more", len(keys)-most)
	}
	return b.String()
}

// sample is the latest sample line, escaped, "" when there is none.
func sample(a alert.Alert, esc alert.Escaper) string {
	if len(a.Samples) == 0 {
		return ""
	}
	return esc(a.Samples[len(a.Samples)-1], maxSampleRunes)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
