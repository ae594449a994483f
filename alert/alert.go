// Package alert holds the value an alert rule raises — a transition,
// firing or resolved, with its measures and top offenders — and the
// formatting every output shares: values in their unit, durations,
// thousands, and the escapers that make attacker-controlled text safe for
// a terminal, Slack, a mail header or HTML. It is a leaf: it imports no
// other package of sentinel and no network code, so the detector can
// build alerts without linking the notifiers.
package alert

import (
	"time"
)

// State is the state an alert transition moves to.
type State string

const (
	// Firing means the rule's condition holds (after its for: sustain).
	Firing State = "firing"
	// Resolved means a firing rule's condition stopped holding.
	Resolved State = "resolved"
)

// Severity ranks alerts for routing and display.
type Severity string

// Severities, lowest first.
const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// Unit is the unit of a rule's value and threshold. Its text is part of
// the JSON output.
type Unit string

// Units of the detector kinds.
const (
	// PerSecond is a rate: events per second ("/s").
	PerSecond Unit = "/s"
	// Distinct is a number of distinct values of a field.
	Distinct Unit = "distinct"
	// Share is a share of the window's events, from 0 to 1 (shown as %).
	Share Unit = "share"
	// Silent is how long no event came, in seconds.
	Silent Unit = "s silent"
)

// KeyCount is one top offender: a value of the rule's group_by field and
// the number of matching events it had in the window. Count is a
// Space-Saving estimate, at most Error above the true count.
type KeyCount struct {
	Key   string `json:"key"`
	Count uint64 `json:"count"`
	Error uint64 `json:"error,omitempty"`
}

// NetCount is the network (a /24, or an IPv6 /64) most of an alert's
// counted addresses share: Count of the window's counted events came
// from Addresses of its addresses.
type NetCount struct {
	Net       string `json:"net"`
	Count     uint64 `json:"count"`
	Addresses int    `json:"addresses"`
}

// Alert is one transition of a rule, firing or resolved, at an event time.
// All text fields that come from the log (Keys, Samples) are
// attacker-controlled and must be escaped by whoever displays them.
type Alert struct {
	Rule      string    `json:"rule"`
	State     State     `json:"state"`
	Time      time.Time `json:"time"` // event time of the transition, UTC
	Value     float64   `json:"value"`
	Threshold float64   `json:"threshold"`
	// Clear is the share of Threshold below which the rule resolves.
	Clear       float64  `json:"clear"`
	Unit        Unit     `json:"unit"`
	Severity    Severity `json:"severity"`
	Description string   `json:"description,omitempty"`
	// Title names what the rule counts, for headlines ("Sign-ups");
	// empty: the rule's name stands for it.
	Title string `json:"title,omitempty"`
	// Since is when the rule started firing (for a resolved alert, when the
	// episode began).
	Since  time.Time     `json:"since"`
	Window time.Duration `json:"-"`
	// GroupBy names the field Keys are values of ("client_ip").
	GroupBy string `json:"group_by,omitempty"`
	// PerKey says that Value is the busiest key's rate, not the total's.
	PerKey bool       `json:"per_key,omitempty"`
	Keys   []KeyCount `json:"keys"`
	// Network, on a firing of a site-wide rule grouped by client_ip, is
	// the network that sent at least half of the events its keys count,
	// from at least 3 of its addresses: an attack rotating
	// through one /24 or /64, whose addresses the keys name one by one.
	Network *NetCount `json:"network,omitempty"`
	// Distinct is the estimated number of distinct values of DistinctOf
	// among the window's matching events, 0 when not tracked.
	DistinctOf string `json:"distinct_of,omitempty"`
	Distinct   uint64 `json:"distinct,omitempty"`
	Count      uint64 `json:"count"` // matching events in the window
	// ResolveAt is the value past which a firing rule resolves (the
	// threshold times the rule's clear, or divided by it going down).
	ResolveAt float64 `json:"resolve_at"`
	// Down says that the rule fires on a drop (the value at or under the
	// threshold), not a rise.
	Down bool `json:"down,omitempty"`
	// Baseline and Spread are the learned normal (mean and standard
	// deviation) of a baseline rule, in the value's unit.
	Baseline float64 `json:"baseline,omitempty"`
	Spread   float64 `json:"spread,omitempty"`
	// Hits is how many of the window's events passed a ratio rule's
	// numerator filter (Count is the denominator).
	Hits uint64 `json:"hits,omitempty"`
	// Current is the rate in the last bucket alone (rate rules): the
	// window's average lags the first seconds of a burst.
	Current float64 `json:"current,omitempty"`
	// Evidence says, in words, which signs of a bot made the alert
	// critical ("231 of 240 from addresses that loaded no page first").
	Evidence []string `json:"evidence,omitempty"`
	// Escalated marks a firing that raises a rule already firing to
	// critical: its signs of a bot built up after it fired as a warning.
	// It is the same episode (Since is its start), not a new firing.
	Escalated bool `json:"escalated,omitempty"`
	// Peak is the highest value seen while the rule fired.
	Peak    float64  `json:"peak"`
	Samples []string `json:"samples,omitempty"`
	// Reminder numbers a notifier's reminders that the rule is still
	// firing (1, 2, …); 0 for the transition itself. Never on stdout.
	Reminder int `json:"reminder,omitempty"`
	// Site names the server the alert comes from (settings.site, by
	// default the host name), so that several in one channel can be told
	// apart; Labels are the config's settings.labels. Both come from the
	// config, never from a log.
	Site   string            `json:"site,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	// Incident is set on a notification (never on stdout): the incident
	// the alert leads, with every rule of it. The alert's own fields are
	// then its lead rule's, measured when the notification was built.
	Incident *Incident `json:"incident,omitempty"`
	// Links are the signed one-tap links a notification carries (silence,
	// run or revert an action, stop reminders), made for the one notifier
	// it is delivered to, at the moment it is delivered. Never on stdout,
	// never saved: a notification delivered again gets fresh links.
	Links []Link `json:"-"`
}

// Link is one signed link of a notification: a capability to act once,
// until it expires, after a confirmation page (see package links).
type Link struct {
	// Verb is what it does: "silence", "run", "revert" or
	// "stop_reminders".
	Verb string `json:"verb"`
	// Target names what it acts on: an action ("signups-off"), or the
	// rules it silences, comma-separated.
	Target string `json:"target"`
	// Label is a button's text, for people: "Run signups-off now".
	Label string `json:"label"`
	// URL opens the confirmation page. It is a secret while it is valid:
	// anyone holding it can act.
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
}

// Incident is what one notification tells: the rules that fire for one
// cause (a sign-up flood raises signup-burst, signup-spread and
// traffic-spike on the same posts), each with its measure when the
// notification was built, so that one incident pages a phone once.
type Incident struct {
	// Key names the incident in all its notifications: its first rule and
	// the event time that rule fired, "signup-burst@1795742400".
	Key string `json:"key"`
	// State is firing while any of its rules fires, resolved once all have.
	State State `json:"state"`
	// Since is when its first rule fired; Time is the event time the
	// notification was built at (for a resolution, when the last rule
	// resolved).
	Since time.Time `json:"since"`
	Time  time.Time `json:"time"`
	// Update counts the notifications of the incident sent before this
	// one: 0 for the first.
	Update int `json:"update"`
	// Quiet says that this notification need not wake anyone: an update
	// that adds no rule more severe than those already told, or the
	// resolution. Notifiers send it without a mention and at a low
	// priority.
	Quiet bool `json:"quiet,omitempty"`
	// Page says that this notification, though not the incident's first
	// (an update or a reminder), is the first this notifier gets of it:
	// the first was silenced, or it was about rules the notifier does not
	// take. It pages as a first one does.
	Page bool `json:"page,omitempty"`
	// Alerts are the incident's rules, the lead first (firing before
	// resolved, then the most severe, then the first to fire), each with
	// its measures at Time; their own Incident is nil. A rule joined by
	// inhibition is Inhibited.
	Alerts []Alert `json:"alerts"`
	// New names the rules that joined since the last notification, and
	// the rules raised to critical since then (also in Raised).
	New []string `json:"new,omitempty"`
	// Raised names the rules of the incident raised to critical since the
	// last notification: firing as warnings, their signs of a bot built
	// up (see Alert.Escalated).
	Raised []string `json:"raised,omitempty"`
	// Inhibited names the rules that joined because a rule of the
	// incident inhibits them: they never page on their own.
	Inhibited []string `json:"inhibited,omitempty"`
	// Silenced names the rules left out of this notification because
	// they are silenced.
	Silenced []string `json:"silenced,omitempty"`
}
