package alerts

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// This file is the one renderer of an alert for people: the console's
// timeline ([FormatText]) and the notifiers' messages ([Headline],
// [Summary], the email's facts) arrange the same pieces, built
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
		word := "FIRING  "
		if a.Escalated {
			word = "RAISED  " // the same episode, now critical
		}
		fmt.Fprintf(&b, "%s %s %s [%s]: %s (%s events", t, word, a.Rule, a.Severity, measure(a, esc), alert.Thousands(a.Count))
		if d := distinct(a, esc); d != "" {
			b.WriteString(" from " + d)
		}
		b.WriteString(")\n")
		if a.Escalated {
			fmt.Fprintf(&b, "    raised to critical: firing since %s\n", a.Since.UTC().Format(time.TimeOnly))
		}
		if a.Description != "" {
			fmt.Fprintf(&b, "    %s\n", esc(a.Description, maxDescriptionRunes))
		}
		if len(a.Evidence) > 0 {
			fmt.Fprintf(&b, "    critical: %s\n", esc(strings.Join(a.Evidence, "; "), maxDescriptionRunes))
		}
		if len(a.Keys) > 0 {
			fmt.Fprintf(&b, "    top %s: %s\n", esc(a.GroupBy, maxKeyRunes), keyList(a.Keys, esc, len(a.Keys)))
		}
		if n := a.Network; n != nil {
			fmt.Fprintf(&b, "    network: %s, %s of the events from %s of its addresses\n", esc(n.Net, maxKeyRunes),
				alert.Thousands(n.Count), alert.Thousands(uint64(n.Addresses)))
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

// pages reports whether a notification should wake someone: a firing
// that is no reminder and no quiet update, or the first a notifier gets
// of its incident.
func pages(a alert.Alert) bool {
	return a.State == alert.Firing && (firstPage(a) || a.Reminder == 0 && (a.Incident == nil || !a.Incident.Quiet))
}

// firstPage reports whether a is a later notification of its incident
// that is a notifier's first of it (see alert.Incident.Page).
func firstPage(a alert.Alert) bool { return a.Incident != nil && a.Incident.Page }

// nowValue is the measure a headline gives a rule: for a rate, its rate
// now (its newest complete bucket: the window's average lags the first
// seconds of a burst), else its value.
func nowValue(a alert.Alert) float64 {
	if a.Unit == alert.PerSecond && !a.PerKey && !a.Down && a.Current > a.Value {
		return a.Current
	}
	return a.Value
}

// members returns the rules a notification is about: its incident's, or
// the alert itself.
func members(a alert.Alert) []alert.Alert {
	if a.Incident != nil && len(a.Incident.Alerts) > 0 {
		return a.Incident.Alerts
	}
	return []alert.Alert{a}
}

// what names what a rule counts, for a headline: its title, or its name.
func what(a alert.Alert, esc alert.Escaper) string {
	if a.Title != "" {
		return esc(a.Title, maxKeyRunes)
	}
	return esc(a.Rule, maxKeyRunes)
}

// fieldNoun is how a headline counts distinct values of a field: "237
// addresses", "1 network", "12 distinct user_agent".
func fieldNoun(field string, n uint64, esc alert.Escaper) string {
	one, many := "", ""
	switch field {
	case "client_ip":
		one, many = "address", "addresses"
	case "client_net":
		one, many = "network", "networks"
	case "user_agent":
		one, many = "user agent", "user agents"
	default:
		return alert.Thousands(n) + " distinct " + esc(field, maxKeyRunes)
	}
	if n == 1 {
		return "1 " + one
	}
	return alert.Thousands(n) + " " + many
}

// keyText is a top offender as a headline or a subject may show it:
// reduced to its field's alphabet (an address is a bare address), then
// escaped; "" when it is no value of its field.
func keyText(a alert.Alert, k alert.KeyCount, esc alert.Escaper) string {
	v, ok := alert.FieldAlphabet(a.GroupBy).Reduce(k.Key)
	if !ok {
		return ""
	}
	return esc(v, maxKeyRunes)
}

// phrase says what a rule measures now, for a lock screen: "Sign-ups at
// 240/s from 237 addresses (normal 0.1/s)", "client-flood at 12/s from
// 203.0.113.7", "Requests down to 0.3/s (normal 12/s)".
func phrase(a alert.Alert, esc alert.Escaper) string {
	var b strings.Builder
	b.WriteString(what(a, esc))
	switch {
	case a.Unit == alert.Distinct:
		b.WriteString(" at " + fieldNoun(a.DistinctOf, uint64(max(a.Value, 0)), esc))
	case a.Unit == alert.Silent:
		b.WriteString(": " + alert.FormatValue(a.Value, a.Unit))
	case a.Down:
		b.WriteString(" down to " + alert.FormatValue(a.Value, a.Unit))
	default:
		b.WriteString(" at " + alert.FormatValue(nowValue(a), a.Unit))
	}
	if a.Unit == alert.Share && a.Count > 0 {
		b.WriteString(" of " + alert.Thousands(a.Count) + " events")
	}
	if a.PerKey && len(a.Keys) > 0 {
		if k := keyText(a, a.Keys[0], esc); k != "" {
			b.WriteString(" from " + k)
		}
	} else if a.DistinctOf != "" && a.Unit != alert.Distinct && a.Count > 0 {
		b.WriteString(" from " + fieldNoun(a.DistinctOf, a.Distinct, esc))
	}
	if n := normal1(a); n != "" {
		b.WriteString(" (normal " + n + ")")
	}
	return b.String()
}

// resolvedPhrase says what a resolved rule peaked at: "Sign-ups peaked at
// 241/s from 4,835 addresses".
func resolvedPhrase(a alert.Alert, esc alert.Escaper) string {
	s := what(a, esc)
	switch {
	case a.Unit == alert.Distinct:
		return s + " peaked at " + fieldNoun(a.DistinctOf, uint64(max(a.Peak, 0)), esc)
	case a.Down:
		return s + " back above " + alert.FormatValue(a.ResolveAt, a.Unit)
	case a.Unit == alert.Silent:
		return s + " back"
	}
	s += " peaked at " + alert.FormatValue(a.Peak, a.Unit)
	if a.DistinctOf != "" && a.Distinct > 0 && !a.PerKey {
		s += " from " + fieldNoun(a.DistinctOf, a.Distinct, esc)
	}
	return s
}

// ruleNames lists a notification's rules after a dash, new ones marked
// "+" and those raised to critical "^": " — signup-burst, signup-spread,
// +traffic-spike"; "" for a lone rule whose name is already the
// headline's subject.
func ruleNames(a alert.Alert, esc alert.Escaper) string {
	ms := members(a)
	if len(ms) == 1 && ms[0].Title == "" {
		return ""
	}
	var fresh, raised []string
	if a.Incident != nil && a.Incident.Update > 0 {
		fresh, raised = a.Incident.New, a.Incident.Raised
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = esc(m.Rule, maxKeyRunes)
		switch {
		case slices.Contains(raised, m.Rule):
			names[i] = "^" + names[i]
		case slices.Contains(fresh, m.Rule):
			names[i] = "+" + names[i]
		}
	}
	return " — " + strings.Join(names, ", ")
}

// Headline is the one line a phone shows for a notification, written for
// a lock screen: the site, what is happening now, how big, from how many,
// against what normal, and the rules that say so:
//
//	web-1: Sign-ups at 240/s from 237 addresses (normal 0.1/s) — signup-burst, signup-spread, traffic-spike
//	web-1: Update: Sign-ups at 230/s from 4,102 addresses — signup-burst, +login-failure-burst
//	web-1: Now critical: Failed log-ins at 31/s from 1,804 addresses (normal 1.2/s) — ^login-failure-burst
//	web-1: Still firing after 1h: Sign-ups at 240/s from 237 addresses — signup-burst
//	web-1: Resolved after 1m40s: Sign-ups peaked at 241/s from 4,835 addresses — signup-burst, signup-spread, traffic-spike
//
// Every string that is not a number or a fixed word goes through esc;
// a key is also reduced to its field's alphabet, so the line is safe in a
// mail header once escaped for it.
func Headline(a alert.Alert, esc alert.Escaper) string {
	var b strings.Builder
	if a.Site != "" {
		b.WriteString(esc(a.Site, maxKeyRunes) + ": ")
	}
	lead := members(a)[0]
	switch {
	case a.State == alert.Resolved:
		since := a.Since
		if a.Incident != nil {
			since = a.Incident.Since
		}
		b.WriteString("Resolved after " + alert.FormatDuration(a.Time.Sub(since)) + ": " + resolvedPhrase(lead, esc))
	case a.Reminder > 0:
		since := a.Since
		if a.Incident != nil {
			since = a.Incident.Since
		}
		b.WriteString("Still firing after " + alert.FormatDuration(a.Time.Sub(since)) + ": " + phrase(lead, esc))
	case a.Incident != nil && a.Incident.Update > 0 && slices.Contains(a.Incident.Raised, lead.Rule):
		b.WriteString("Now critical: " + phrase(lead, esc))
	case a.Incident != nil && a.Incident.Update > 0:
		b.WriteString("Update: " + phrase(lead, esc))
	default:
		b.WriteString(phrase(lead, esc))
	}
	b.WriteString(ruleNames(a, esc))
	return b.String()
}

// offenders says whether the top keys name anyone: the top offenders
// when a few stand out, or, when none does (the busiest has a small share
// of the events, or ties with the next), that it is spread out:
// "busiest address: 3 of 240 — spread over many addresses: blocking
// addresses will not help". "" without keys.
func offenders(a alert.Alert, esc alert.Escaper) string {
	total := a.Count
	if a.Unit == alert.Share && !a.PerKey {
		total = a.Hits // a site-wide share's keys count its hits: who fails
	}
	if len(a.Keys) == 0 || total == 0 {
		return ""
	}
	if n := a.Network; n != nil {
		return fmt.Sprintf("network %s: most of the events (%s), from %s of its addresses — block the network, not the addresses",
			esc(n.Net, maxKeyRunes), alert.Thousands(n.Count), alert.Thousands(uint64(n.Addresses)))
	}
	top := a.Keys[0]
	low := top.Count - min(top.Error, top.Count)
	tie := len(a.Keys) > 1 && low <= a.Keys[1].Count
	if a.PerKey || !tie && float64(low) >= 0.2*float64(total) {
		return "top " + esc(orDefault(a.GroupBy, "keys"), maxKeyRunes) + ": " + keyList(a.Keys, esc, maxSummaryKeys)
	}
	one, many := "key", "keys"
	switch a.GroupBy {
	case "client_ip":
		one, many = "address", "addresses"
	case "client_net":
		one, many = "network", "networks"
	case "":
	default:
		one, many = esc(a.GroupBy, maxKeyRunes), "values of "+esc(a.GroupBy, maxKeyRunes)
	}
	s := fmt.Sprintf("busiest %s: %s of %s — no %s stands out", one, alert.FormatCount(top), alert.Thousands(total), one)
	if a.GroupBy == "client_ip" || a.GroupBy == "client_net" {
		s = fmt.Sprintf("busiest %s: %s of %s — spread over many %s: blocking %s will not help", one, alert.FormatCount(top),
			alert.Thousands(total), many, many)
	}
	return s
}

// memberLine is one rule of a notification's body: "signup-burst
// [critical] firing since 01:20:00: 240/s ≥ 1/s over 30s, now 240/s;
// 7,200 events from 2,340 distinct client_ip; critical: 7,120 of 7,200
// from addresses that loaded no page first", or "signup-burst
// [critical] resolved at 01:21:10 after 1m10s, peak 241/s".
func memberLine(m alert.Alert, inc *alert.Incident, esc alert.Escaper) string {
	head := fmt.Sprintf("%s [%s]", esc(m.Rule, maxKeyRunes), m.Severity)
	if m.State == alert.Resolved {
		return fmt.Sprintf("%s resolved at %s after %s, peak %s", head, m.Time.UTC().Format(time.TimeOnly),
			alert.FormatDuration(m.Time.Sub(m.Since)), alert.FormatValue(m.Peak, m.Unit))
	}
	since := m.Since.UTC().Format(time.TimeOnly)
	if m.Rule == DigestRule {
		return fmt.Sprintf("%s firing since %s: %s", head, since, alert.FormatValue(m.Value, m.Unit))
	}
	s := fmt.Sprintf("%s firing since %s: %s; %s events", head, since, measure(m, esc), eventCount(m))
	if d := distinct(m, esc); d != "" {
		s += " from " + d
	}
	if len(m.Evidence) > 0 { // what made it critical
		s += "; critical: " + esc(strings.Join(m.Evidence, "; "), maxDescriptionRunes)
	}
	switch {
	case inc != nil && slices.Contains(inc.Inhibited, m.Rule):
		s += " (joined quietly: inhibited)"
	case inc != nil && inc.Update > 0 && slices.Contains(inc.Raised, m.Rule):
		s += " (now critical)"
	case inc != nil && inc.Update > 0 && slices.Contains(inc.New, m.Rule):
		s += " (new)"
	}
	return s
}

// Summary is the body of a notification, a few lines joined by "\n": the
// [Headline]'s measure, who it comes from (or that no one stands out),
// the lead rule's description, one line per rule with its value against
// its threshold or normal, since when, a sample line, and the site and
// labels. Every string that is not a number or a fixed word goes through
// esc, which the notifier chooses for its target ([alert.SlackText],
// [alert.HTMLText], [alert.Sanitize]); the line breaks are Summary's own.
func Summary(a alert.Alert, esc alert.Escaper) string {
	ms := members(a)
	lead := ms[0]
	var lines []string
	if a.State == alert.Resolved {
		lines = append(lines, resolvedPhrase(lead, esc))
	} else {
		lines = append(lines, phrase(lead, esc))
		if o := offenders(lead, esc); o != "" {
			lines = append(lines, o)
		}
	}
	if lead.Description != "" {
		lines = append(lines, esc(lead.Description, maxDescriptionRunes))
	}
	for _, m := range ms {
		lines = append(lines, memberLine(m, a.Incident, esc))
	}
	if a.Incident != nil && len(a.Incident.Silenced) > 0 {
		lines = append(lines, "silenced, left out: "+esc(strings.Join(a.Incident.Silenced, ", "), maxDescriptionRunes))
	}
	since := a.Since
	if a.Incident != nil {
		since = a.Incident.Since
	}
	if held := a.Time.Sub(since); held > 0 {
		lines = append(lines, fmt.Sprintf("since %s (%s)", since.UTC().Format(summaryTimeLayout), alert.FormatDuration(held)))
	} else {
		lines = append(lines, "since "+since.UTC().Format(summaryTimeLayout))
	}
	if a.State == alert.Firing {
		if s := sample(lead, esc); s != "" {
			lines = append(lines, "sample: "+s)
		}
	}
	if s := siteLine(a, esc); s != "" {
		lines = append(lines, s)
	}
	return strings.Join(lines, "\n")
}

// siteLine names the site and the labels: "site web-1 · env=prod".
func siteLine(a alert.Alert, esc alert.Escaper) string {
	var parts []string
	if a.Site != "" {
		parts = append(parts, "site "+esc(a.Site, maxKeyRunes))
	}
	keys := slices.Sorted(maps.Keys(a.Labels))
	for _, k := range keys {
		parts = append(parts, esc(k+"="+a.Labels[k], maxKeyRunes))
	}
	return strings.Join(parts, " · ")
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

// normal1 is a baseline rule's learned mean, "" for other rules.
func normal1(a alert.Alert) string {
	if a.Baseline != 0 || a.Spread != 0 {
		return alert.FormatValue(a.Baseline, a.Unit)
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
