package scenario

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Verdict is the judge's decision on one scenario.
type Verdict struct {
	Pass bool
	// Short is the cell of the summary table ("+3s", "no alert",
	// "false alert"); Reason says why in a sentence.
	Short, Reason string
	// First is the first alert firing at or after the attack's start
	// (nil when none), Latency how long after the start.
	First   *Alert
	Latency time.Duration
	// Named says whether an alert within the deadline named the offender.
	Named bool
	// False lists the alerts that fired when nothing justified them.
	False []Alert
}

// Grace is how long after an attack's end an alert may still fire (a
// window draining), before it counts as a false alert.
const Grace = 2 * time.Minute

// DeployResolve is how soon after a deploy's 502s end the one 5xx alert
// it may raise must resolve.
const DeployResolve = time.Minute

// Judge decides whether alerts are what the truth calls for (issue 13,
// "Done when"):
//   - an ordinary day raises no alert, except that a deploy may raise one
//     5xx alert (a rule whose name says 5xx) that resolves within a
//     minute of the deploy's end;
//   - an attack fires within its deadline of its first line, with no alert
//     before it and none later than Grace after its end, and an alert
//     within the deadline names its offender when it has one;
//   - a marketing blast raises at most a warning, and nothing before it;
//   - no alert names "-" (a missing client address) as an offender.
//
// A firing raised to critical (Escalated) is its episode's, not another
// alert: it counts for the severity and the keys named, not as a firing.
func Judge(t Truth, alerts []Alert) Verdict {
	var firing []Alert
	for _, a := range alerts {
		if a.State == "firing" {
			firing = append(firing, a)
		}
	}
	for _, a := range firing {
		for _, k := range a.Keys {
			if k.Key == "-" || k.Key == "" {
				return Verdict{Short: "names “-”", Reason: fmt.Sprintf("%s names %q as an offender (a line without a client address)", a.Rule, k.Key), False: []Alert{a}}
			}
		}
	}
	switch {
	case t.Attack == "":
		return judgeDay(t, alerts, firing)
	case t.MaxSeverity != "":
		return judgeBlast(t, firing)
	case t.Evidence.IsZero() && !t.Start.IsZero() && len(firing) == 0:
		// Nothing of the attack reached the log (an endpoint nobody
		// called while it failed): there was nothing to see.
		return Verdict{Pass: true, Short: "no trace", Reason: "the attack left no line in the log, and nothing fired"}
	}
	return judgeAttack(t, firing)
}

func judgeDay(t Truth, all, firing []Alert) Verdict {
	var false_ []Alert
	deployAlert := false
	for _, a := range firing {
		if a.Escalated {
			continue // its firing is counted
		}
		if !deployAlert && deployOK(t, a, all) {
			deployAlert = true
			continue
		}
		false_ = append(false_, a)
	}
	if len(false_) == 0 {
		v := Verdict{Pass: true, Short: "quiet", Reason: "no alert"}
		if deployAlert {
			v.Short, v.Reason = "quiet (deploy)", "one 5xx alert during the deploy, resolved within a minute"
		}
		return v
	}
	return Verdict{Short: "false alert", Reason: "false alerts: " + t.describe(false_), False: false_}
}

// deployOK reports whether a is the one 5xx alert a deploy may raise: it
// fires during the deploy (or within DeployResolve of its end) and
// resolves within DeployResolve of the deploy's end.
func deployOK(t Truth, a Alert, all []Alert) bool {
	if t.Deploy[0].IsZero() || !strings.Contains(a.Rule, "5xx") {
		return false
	}
	end := t.Deploy[1].Add(DeployResolve)
	if a.Time.Before(t.Deploy[0]) || a.Time.After(end) {
		return false
	}
	for _, r := range all {
		if r.Rule == a.Rule && r.State == "resolved" && !r.Time.Before(a.Time) {
			return !r.Time.After(end)
		}
	}
	return false
}

func judgeBlast(t Truth, firing []Alert) Verdict {
	var before, critical []Alert
	for _, a := range firing {
		switch {
		case a.Time.Before(t.Start):
			if !a.Escalated { // its firing is counted
				before = append(before, a)
			}
		case a.Severity != "" && a.Severity != t.MaxSeverity && a.Severity != "info":
			critical = append(critical, a)
		}
	}
	switch {
	case len(before) > 0:
		return Verdict{Short: "false alert", Reason: "alerts before the blast: " + t.describe(before), False: before}
	case len(critical) > 0:
		return Verdict{Short: critical[0].Severity, Reason: fmt.Sprintf("more than a warning: %s", t.describe(critical)), False: critical}
	case len(firing) == 0:
		return Verdict{Pass: true, Short: "quiet", Reason: "no alert"}
	}
	return Verdict{Pass: true, Short: "warning", Reason: "warnings only: " + t.describe(firing)}
}

func judgeAttack(t Truth, firing []Alert) Verdict {
	var v Verdict
	var before, after []Alert
	from := t.Start
	if t.Evidence.After(from) {
		from = t.Evidence
	}
	deadline := from.Add(t.Deadline)
	for i, a := range firing {
		switch {
		case a.Escalated:
			// Its episode's firing is counted; it may name the offender.
		case a.Time.Before(t.Start):
			before = append(before, a)
		case a.Time.After(t.End.Add(Grace)):
			after = append(after, a)
		case v.First == nil:
			v.First = &firing[i]
			v.Latency = a.Time.Sub(t.Start)
		}
		if !a.Time.Before(t.Start) && !a.Time.After(deadline) && t.Offender != "" && a.Names(t.Offender, t.OffenderKind) {
			v.Named = true
		}
	}
	v.False = append(before, after...)
	switch {
	case len(before) > 0:
		// Say what became of the attack too: the cell fails either way,
		// but whoever tunes the rules wants to know.
		seen := "no alert during the attack"
		if v.First != nil {
			seen = "during the attack " + t.describe([]Alert{*v.First})
			if t.Offender != "" && !v.Named {
				seen += " (not naming " + t.Offender + ")"
			}
		}
		v.Short, v.Reason = "false alert", "alerts before the attack: "+t.describe(before)+"; "+seen
	case v.First == nil && len(after) > 0:
		v.Short, v.Reason = "late", fmt.Sprintf("first alert %s, deadline %s%s", t.describe(after[:1]), dur(t.Deadline), evidenceNote(t))
	case v.First == nil:
		v.Short, v.Reason = "no alert", "no alert"+evidenceNote(t)
	case v.First.Time.After(deadline):
		v.Short, v.Reason = "late "+signed(v.Latency), fmt.Sprintf("first alert %s, deadline %s%s", t.describe([]Alert{*v.First}), dur(t.Deadline), evidenceNote(t))
	case t.Offender != "" && !v.Named:
		v.Short, v.Reason = "unnamed", fmt.Sprintf("%s, but no alert within %s names %s %s (keys: %s)",
			t.describe([]Alert{*v.First}), dur(t.Deadline), t.OffenderKind, t.Offender, keysOf(firing, t.Start, deadline))
	case len(after) > 0:
		v.Short, v.Reason = "false alert", fmt.Sprintf("%s; then alerts after the attack: %s", t.describe([]Alert{*v.First}), t.describe(after))
	default:
		v.Pass = true
		v.Short = signed(v.Latency)
		v.Reason = t.describe([]Alert{*v.First}) + evidenceNote(t)
		if t.Offender != "" {
			v.Reason += ", names " + t.Offender
		}
	}
	return v
}

// evidenceNote says when the attack's first line came, when that was
// noticeably after its start.
func evidenceNote(t Truth) string {
	if d := t.Evidence.Sub(t.Start); d >= 5*time.Second {
		return fmt.Sprintf(" (its first line at %s)", signed(d))
	}
	return ""
}

// describe lists alerts as "rule (severity) at +12s on KEY (what it
// is)" (the alert's top key, and what that sender is when the scenario
// knows it), at most three, with a count of the rest. Times are relative to
// the attack's start, clock times on an ordinary day.
func (t *Truth) describe(as []Alert) string {
	var parts []string
	for _, a := range as[:min(3, len(as))] {
		s := a.Rule
		if a.Severity != "" {
			s += " (" + a.Severity + ")"
		}
		at := a.Time.UTC().Format("15:04:05")
		if !t.Start.IsZero() {
			at = signed(a.Time.Sub(t.Start))
		}
		s += " at " + at
		if len(a.Keys) > 0 {
			s += " on " + a.Keys[0].Key
			if l := t.label(a.Keys[0].Key); l != "" {
				s += " (" + l + ")"
			}
		}
		parts = append(parts, s)
	}
	if len(as) > 3 {
		parts = append(parts, fmt.Sprintf("and %d more", len(as)-3))
	}
	return strings.Join(parts, ", ")
}

// keysOf lists the distinct keys of the alerts firing in [from, to].
func keysOf(as []Alert, from, to time.Time) string {
	seen := map[string]bool{}
	var keys []string
	for _, a := range as {
		if a.Time.Before(from) || a.Time.After(to) {
			continue
		}
		for _, k := range a.Keys {
			if !seen[k.Key] && len(keys) < 5 {
				seen[k.Key] = true
				keys = append(keys, k.Key)
			}
		}
	}
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}

// signed prints a latency as "+12s", "+3m10s", "-40s".
func signed(d time.Duration) string {
	if d < 0 {
		return "-" + dur(-d)
	}
	return "+" + dur(d)
}

func dur(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		if s := int(d.Seconds()) % 60; s != 0 {
			return fmt.Sprintf("%dm%02ds", int(d.Minutes()), s)
		}
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}

// matchOffender reports whether an alert's key names the offender: the
// same address; the same network (or a wider one holding it, up to a /16
// or an IPv6 /48); the same path (without its query).
func matchOffender(key, offender, kind string) bool {
	switch kind {
	case OffenderAddress:
		a, err := netip.ParseAddr(key)
		b, err2 := netip.ParseAddr(offender)
		return err == nil && err2 == nil && a.Unmap() == b.Unmap()
	case OffenderNetwork:
		want, err := netip.ParsePrefix(offender)
		if err != nil {
			return false
		}
		got, err := netip.ParsePrefix(key)
		widest := 16 // a /16 still names the attacker's provider; a /8 names nobody
		if want.Addr().Is6() {
			widest = 48
		}
		return err == nil && got.Bits() <= want.Bits() && got.Bits() >= widest && got.Masked().Contains(want.Addr())
	case OffenderPath:
		// An endpoint: the route, after its method for a write.
		p, _, _ := strings.Cut(key, "?")
		if m, route, ok := strings.Cut(p, " "); ok && m != "" && strings.Trim(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
			p = route
		}
		return p == offender
	}
	return false
}
