package daemon

import (
	"context"
	"errors"
	"fmt"

	"slices"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/internal/delivery"
	"github.com/sentinel-dev/sentinel/links"
)

// This file is what the signed links of the notifications do to the
// daemon (README: Acting from your phone): which links a notification
// carries, what each would do now, and doing it.

// maxLinks bounds the links one notification carries.
const maxLinks = 8

// newLinks builds the public listener of the signed links.
func (d *Daemon) newLinks(p config.Public) (*links.Server, error) {
	if d.opts.StateDir == "" {
		return nil, errors.New("settings.public needs a state directory for the links' key")
	}
	verbs := make([]string, 0, len(links.Verbs)+1)
	for _, v := range links.Verbs {
		verbs = append(verbs, v.String())
	}
	d.metrics.AddLinks(append(verbs, "unknown"), links.Outcomes)
	s, err := links.New(links.Options{Listen: p.Listen, URL: p.URL, Site: d.grouping.Site, TTL: p.LinkTTL,
		StateDir: d.opts.StateDir, TrustedProxies: p.TrustedProxies, Backend: linkBackend{d}, Outcome: d.metrics.Link,
		Logger: d.log, Now: d.now})
	if err != nil {
		return nil, fmt.Errorf("settings.public: %w", err)
	}
	return s, nil
}

// LinksURL returns the address the links start with ("" without a public
// listener, or before it is bound).
func (d *Daemon) LinksURL() string {
	if d.links == nil {
		return ""
	}
	return d.links.URL()
}

// silenceFor is how long a silence link holds rules back.
func (d *Daemon) silenceFor() time.Duration {
	if d.public != nil && d.public.SilenceFor > 0 {
		return d.public.SilenceFor
	}
	return config.DefaultSilenceFor
}

// linksFor returns the links notification a carries to the notifier
// route: revert each action of its rules whose remedy is on; while it
// fires, run each other action of its rules (also one in dry run or
// cooling down), silence its rules, and stop its reminders when it is
// reminded. It is the dispatcher's Links, called without the lock.
func (d *Daemon) linksFor(route string, a alert.Alert) []alert.Link {
	var rules []string
	for _, m := range incidentRules(a) {
		rules = append(rules, m.Rule)
	}
	episode := ""
	if a.Incident != nil {
		episode = a.Incident.Key
	}
	d.mu.Lock()
	var known []string
	for _, r := range rules {
		if _, ok := d.cfg.RuleLines[r]; ok {
			known = append(known, r)
		}
	}
	acts := slices.Clone(d.cfg.Actions)
	reminding := episode != "" && d.group != nil && d.group.Reminding(episode)
	d.mu.Unlock()
	if len(known) == 0 { // the digest, a rule since removed
		return nil
	}
	firing := a.State == alert.Firing
	var offers []links.Offer
	for _, act := range acts {
		if !slices.ContainsFunc(act.Rules, func(r string) bool { return slices.Contains(known, r) }) {
			continue
		}
		ep, on := d.act.Episode(act.Name)
		switch {
		case on && !ep.DryRun && (ep.Status == actions.StatusOn || ep.Status == actions.StatusRevertFailed) && act.Undo != nil:
			offers = append(offers, links.Offer{Verb: links.Revert, Targets: []string{act.Name}, Episode: episode,
				Label: "Revert " + act.Name + " now"})
		case firing && (!on || ep.DryRun):
			offers = append(offers, links.Offer{Verb: links.Run, Targets: []string{act.Name}, Episode: episode,
				Label: "Run " + act.Name + " now"})
		}
	}
	if firing {
		offers = append(offers, links.Offer{Verb: links.Silence, Targets: known, Episode: episode,
			Label: "Silence " + alert.FormatDuration(d.silenceFor())})
		if reminding {
			offers = append(offers, links.Offer{Verb: links.StopReminders, Episode: episode, Label: "Stop reminders"})
		}
	}
	var out []alert.Link
	for _, o := range offers[:min(len(offers), maxLinks)] {
		l, err := d.links.Issue(route, o)
		if err != nil {
			d.log.Error("link not made: the notification goes without it", "notifier", route, "verb", o.Verb.String(), "err", err)
			continue
		}
		out = append(out, l)
	}
	return out
}

// incidentRules returns the rules of a notification: its incident's, or
// the alert alone.
func incidentRules(a alert.Alert) []alert.Alert {
	if a.Incident != nil && len(a.Incident.Alerts) > 0 {
		return a.Incident.Alerts
	}
	return []alert.Alert{a}
}

// linkBackend is what the links act on: this daemon.
type linkBackend struct{ d *Daemon }

var _ links.Backend = linkBackend{}

// linkView is what a link's page shows of the daemon now.
type linkView struct {
	headline string
	facts    []links.Fact
	incident alert.Alert // the open incident, when there is one
	open     bool
	clock    time.Time // the log's clock
	rules    map[string]bool
	firing   map[string]bool
}

// view gathers, under the lock, the incident t was sent for and the
// rules' state now.
func (b linkBackend) view(t links.Token) linkView {
	d := b.d
	d.mu.Lock()
	defer d.mu.Unlock()
	v := linkView{clock: d.eng.Clock(), rules: map[string]bool{}, firing: map[string]bool{}}
	if v.clock.IsZero() {
		v.clock = d.now().UTC()
	}
	for r := range d.cfg.RuleLines {
		v.rules[r] = true
	}
	for _, r := range d.eng.Firing() {
		v.firing[r] = true
	}
	if d.group != nil && t.Episode != "" {
		v.incident, v.open = d.group.Incident(t.Episode)
	}
	if v.open {
		a := v.incident
		inc := *a.Incident
		inc.Update = 0
		a.Incident = &inc
		v.headline = alerts.Headline(a, alert.Sanitize)
		for _, m := range inc.Alerts {
			v.facts = append(v.facts, links.Fact{Name: alert.Sanitize(m.Rule, 80), Value: ruleFact(m, v.firing[m.Rule])})
		}
		v.facts = append(v.facts, links.Fact{Name: "Since", Value: inc.Since.UTC().Format("2006-01-02 15:04:05 UTC")})
	} else if t.Episode != "" {
		v.facts = append(v.facts, links.Fact{Name: "Incident", Value: alert.Sanitize(t.Episode, 120) + ": over"})
	}
	return v
}

// ruleFact says a rule's state and measure: "firing: 240/s ≥ 1/s".
func ruleFact(m alert.Alert, firing bool) string {
	state := "resolved"
	if firing {
		state = "firing"
	}
	op := "≥"
	if m.Down {
		op = "≤"
	}
	return fmt.Sprintf("%s [%s]: %s %s %s", state, m.Severity, alert.FormatValue(m.Value, m.Unit), op, alert.FormatValue(m.Threshold, m.Unit))
}

// Plan says what t would do now.
func (b linkBackend) Plan(t links.Token) links.Plan {
	d := b.d
	v := b.view(t)
	p := links.Plan{Headline: v.headline, Facts: v.facts}
	gone := func(what string) links.Plan {
		p.Refusal = &links.Refusal{Status: 410, Reason: "gone", Message: what + " is no longer in the running config (a reload removed it): this link can do nothing."}
		return p
	}
	switch t.Verb {
	case links.Silence:
		rules := slices.DeleteFunc(slices.Clone(t.Targets), func(r string) bool { return !v.rules[r] })
		names := strings.Join(t.Targets, ", ")
		p.Title, p.Button = "Silence "+names+" for "+alert.FormatDuration(d.silenceFor())+"?", "Silence for "+alert.FormatDuration(d.silenceFor())
		if len(rules) == 0 {
			return gone(names)
		}
		if d.dispatch == nil {
			p.Refusal = &links.Refusal{Status: 409, Reason: "no notifiers", Message: "This sentinel has no notifiers: there is nothing to silence."}
			return p
		}
		until := d.now().Add(d.silenceFor()).UTC()
		p.Effects = append(p.Effects, fmt.Sprintf("The notifications of %s are held back until %s (%s from now); the rules still show in sentinel status and the metrics, and a resolution waits for the silence to end.",
			strings.Join(rules, ", "), until.Format("15:04 MST"), alert.FormatDuration(d.silenceFor())))
		if len(rules) < len(t.Targets) {
			p.Effects = append(p.Effects, "Rules no longer in the running config are left out.")
		}
		for _, s := range d.Silences() {
			if slices.Contains(rules, s.Rule) {
				p.Facts = append(p.Facts, links.Fact{Name: "Silenced", Value: s.Rule + " until " + s.Until.UTC().Format("15:04 MST") + " (" + s.Source + ")"})
			}
		}
	case links.Run:
		name := t.Target()
		p.Title, p.Button = "Run "+name+" now?", "Run "+name+" now"
		act, ok := d.act.Action(name)
		if !ok {
			return gone("The action " + name)
		}
		if d.act.Paused() {
			p.Refusal = &links.Refusal{Status: 409, Reason: "paused", Message: "Actions are paused (the kill switch): nothing runs, from a rule or a link, until 'sentinel actions resume'."}
			return p
		}
		ep, on := d.act.Episode(name)
		switch {
		case on && (ep.Status == actions.StatusApplying || ep.Status == actions.StatusReverting):
			p.Refusal = &links.Refusal{Status: 409, Reason: "busy", Message: name + " is being " + pastTense[ep.Status] + " right now: open the link again in a minute."}
			return p
		case on && !ep.DryRun:
			p.Refusal = &links.Refusal{Status: 409, Reason: "on", Message: name + " is on already, since " + ep.Applied.UTC().Format("15:04:05 MST") + " (log time)."}
			return p
		}
		p.Effects = append(p.Effects, "sentinel makes this request now, for real: "+act.Do.String()+".")
		switch {
		case on && ep.DryRun:
			p.Effects = append(p.Effects, name+" is in dry run: sentinel only logged it when "+ep.Alert.Rule+" fired. This makes the real request (and its revert real).")
		case act.DryRun || d.opts.DryRun:
			p.Effects = append(p.Effects, name+" is in dry run: sentinel only logs it. This makes the real request.")
		}
		if why := d.act.Blocked(name, v.clock); why != "" && !on {
			p.Effects = append(p.Effects, "A rule would be held back now ("+why+"); a link is not.")
		}
		p.Effects = append(p.Effects, revertEffect(act, v.firing))
		p.Facts = append(p.Facts, links.Fact{Name: "Rules", Value: ruleStates(act.Rules, v.firing)})
	case links.Revert:
		name := t.Target()
		p.Title, p.Button = "Revert "+name+" now?", "Revert "+name+" now"
		ep, on := d.act.Episode(name)
		act, known := d.act.Action(name)
		switch {
		case !on && !known:
			return gone("The action " + name)
		case !on || ep.DryRun:
			p.Refusal = &links.Refusal{Status: 409, Reason: "not on", Message: name + " is not on: there is nothing to revert."}
			return p
		case ep.Status == actions.StatusApplying || ep.Status == actions.StatusReverting:
			p.Refusal = &links.Refusal{Status: 409, Reason: "busy", Message: name + " is being " + pastTense[ep.Status] + " right now: open the link again in a minute."}
			return p
		}
		if !known {
			act = nil
		}
		if act == nil || act.Undo == nil {
			p.Refusal = &links.Refusal{Status: 409, Reason: "no revert", Message: name + " has no revert in the running config: undo it by hand."}
			return p
		}
		p.Effects = append(p.Effects, "sentinel makes the revert request now: "+act.Undo.String()+".")
		if len(ep.Firing) > 0 {
			p.Effects = append(p.Effects, strings.Join(ep.Firing, ", ")+" still fires: sentinel will not apply "+name+
				" again until a rule of it fires anew.")
		}
		p.Facts = append(p.Facts, links.Fact{Name: "On since", Value: ep.Applied.UTC().Format("2006-01-02 15:04:05 UTC") + " (log time)"},
			links.Fact{Name: "Rules", Value: ruleStates(act.Rules, v.firing)})
	case links.StopReminders:
		p.Title, p.Button = "Stop the reminders of this incident?", "Stop reminders"
		if !v.open {
			p.Refusal = &links.Refusal{Status: 410, Reason: "over", Message: "The incident is over: there are no reminders to stop."}
			return p
		}
		d.mu.Lock()
		reminding := d.group.Reminding(t.Episode)
		d.mu.Unlock()
		if !reminding {
			p.Refusal = &links.Refusal{Status: 409, Reason: "not reminded", Message: "This incident gets no reminders (stopped already, or not firing)."}
			return p
		}
		p.Effects = append(p.Effects, "No more reminders of this incident; its updates (a rule joining) and its resolution still go out.")
	default:
		p.Refusal = &links.Refusal{Status: 400, Reason: "verb", Message: "This sentinel does not know what this link does."}
	}
	return p
}

// pastTense says what a busy episode is being done.
var pastTense = map[string]string{actions.StatusApplying: "applied", actions.StatusReverting: "reverted"}

// revertEffect says when the remedy is undone.
func revertEffect(act *actions.Action, firing map[string]bool) string {
	if act.Undo == nil {
		return act.Name + " has no revert: it stays on until you undo it by hand."
	}
	var now []string
	for _, r := range act.Rules {
		if firing[r] {
			now = append(now, r)
		}
	}
	when := "once its rules have stayed quiet for " + alert.FormatDuration(act.RevertAfter)
	if len(now) == 0 {
		when = "in " + alert.FormatDuration(act.RevertAfter) + " (no rule of it fires now)"
	}
	return "Undone " + when + ", or from a revert link: " + act.Undo.String() + "."
}

// ruleStates lists rules with their state: "signup-burst (firing),
// registrations (quiet)".
func ruleStates(rules []string, firing map[string]bool) string {
	out := make([]string, len(rules))
	for i, r := range rules {
		st := "quiet"
		if firing[r] {
			st = "firing"
		}
		out[i] = r + " (" + st + ")"
	}
	return strings.Join(out, ", ")
}

// Act does what t says.
func (b linkBackend) Act(ctx context.Context, t links.Token, by string) links.Result {
	d := b.d
	switch t.Verb {
	case links.Silence:
		until := d.now().Add(d.silenceFor()).UTC().Truncate(time.Second)
		var done []string
		for _, r := range t.Targets {
			if err := d.Silence(r, until); err == nil {
				done = append(done, r)
			}
		}
		if len(done) == 0 {
			return links.Result{Refused: true, Reason: "gone", Message: "Nothing was silenced: its rules are gone."}
		}
		what := strings.Join(done, ", ") + " silenced until " + until.Format("15:04 MST")
		d.log.Warn("silenced from a link", "rules", done, "until", until, "by", by)
		return links.Result{OK: true, Done: what, Message: "Their notifications are held back until " + until.Format(time.RFC3339) + ".",
			Detail: "until " + until.Format(time.RFC3339)}
	case links.StopReminders:
		d.mu.Lock()
		ok := d.group != nil && d.group.StopReminders(t.Episode)
		d.dirty = true
		d.mu.Unlock()
		if !ok {
			return links.Result{Refused: true, Reason: "over", Message: "The incident is over: no reminders to stop."}
		}
		d.log.Warn("reminders stopped from a link", "incident", t.Episode, "by", by)
		return links.Result{OK: true, Done: "reminders of " + t.Episode + " stopped", Message: "No more reminders of this incident."}
	case links.Run, links.Revert:
		return b.runOrRevert(ctx, t, by)
	}
	return links.Result{Refused: true, Reason: "verb", Message: "This sentinel does not know what this link does."}
}

// runOrRevert makes an action's request, or its revert's, and waits for
// its outcome until ctx ends.
func (b linkBackend) runOrRevert(ctx context.Context, t links.Token, by string) links.Result {
	d := b.d
	name := t.Target()
	v := b.view(t)
	var done <-chan actions.Entry
	var err error
	verb := "run"
	if t.Verb == links.Run {
		done, err = d.act.RunNow(name, b.runAlert(name, v), by)
	} else {
		verb = "reverted"
		done, err = d.act.RevertNow(name, v.clock, by)
	}
	if err != nil {
		return links.Result{Refused: true, Reason: err.Error(), Message: "Nothing was done: " + err.Error() + "."}
	}
	d.log.Warn("action requested from a link", "action", name, "verb", t.Verb.String(), "by", by)
	select {
	case e := <-done:
		detail := fmt.Sprintf("%s %s", e.Request, e.Outcome)
		if e.Status != 0 {
			detail = fmt.Sprintf("%s answered %d", e.Request, e.Status)
		}
		if e.Outcome == delivery.OK {
			return links.Result{OK: true, Done: name + " " + verb, Message: detail + ".", Detail: detail}
		}
		msg := detail
		if e.Error != "" {
			msg += ": " + e.Error
		}
		return links.Result{Reason: string(e.Outcome) + ": " + alert.Sanitize(msg, 300), Message: alert.Sanitize(msg, 300) + ". sentinel actions list shows the attempts.", Detail: detail}
	case <-ctx.Done():
		return links.Result{OK: true, Done: name + " requested", Message: "The request is under way (retried on failure): sentinel actions list shows how it ends.",
			Detail: "under way"}
	}
}

// runAlert is the alert an action run from a link is made for: the
// incident's rule of the action, with its measures now, or, when the
// incident is over, the action's first rule at the log's clock.
func (b linkBackend) runAlert(name string, v linkView) alert.Alert {
	act, _ := b.d.act.Action(name)
	var rules []string
	if act != nil {
		rules = act.Rules
	}
	a := alert.Alert{State: alert.Firing, Time: v.clock, Since: v.clock, Keys: []alert.KeyCount{}}
	if len(rules) > 0 {
		a.Rule = rules[0]
	}
	if v.open {
		for _, m := range incidentRules(v.incident) {
			if slices.Contains(rules, m.Rule) {
				a = m
				a.State, a.Incident, a.Links = alert.Firing, nil, nil
				break
			}
		}
	}
	a.Time = v.clock
	return a
}

// Announce posts an where the link was sent.
func (b linkBackend) Announce(ctx context.Context, route string, an alerts.Announcement) error {
	if b.d.dispatch == nil {
		return alerts.ErrCannotAnnounce
	}
	return b.d.dispatch.Announce(ctx, route, an)
}
