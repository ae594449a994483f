// Package actions fires the narrow remedy for an alert — flip a feature
// flag off, scale a machine down, add addresses to a block list — and
// undoes it once the burst is over, because a remedy that stays on forever
// is an outage of its own.
//
// An [Action] names the rules that opt in to it, the request that applies
// the remedy ([Webhook] or [Exec]) and, optionally, the one that reverts
// it. The [Manager] keeps one episode per action: the first firing of any
// of its rules applies the remedy once; further firings while it is on do
// nothing; when every rule has resolved and stayed quiet for RevertAfter
// (or, past MaxDuration, as soon as none fires) the revert runs. It never
// reverts while a rule fires.
//
// Guardrails: a cooldown between applications, caps per hour and per day,
// dry runs (per action, or for the whole manager), and a pause switch.
// Every attempt and its outcome goes to an [Audit] log.
//
// Time: episodes, cooldowns and caps run on event time, the log's clock,
// fed through [Manager.Handle] and [Manager.Advance], so a replay plans
// the same actions, at the same log times, as the live daemon takes. Only
// the requests themselves (timeouts, retries, backoff) run on the wall
// clock. The package never reads logs and never decides when a rule fires.
package actions

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// Phase says whether a step applies the remedy or reverts it.
type Phase string

const (
	// Apply is the remedy itself (flag off, scale down).
	Apply Phase = "apply"
	// Revert undoes it.
	Revert Phase = "revert"
)

// Defaults for the guardrails an action's config leaves out.
const (
	DefaultRevertAfter = 10 * time.Minute
	DefaultCooldown    = 5 * time.Minute
	DefaultMaxPerHour  = 4
	DefaultMaxPerDay   = 12
	DefaultRetries     = 3
	DefaultTimeout     = delivery.DefaultTimeout
)

// Step is one request an action makes: its remedy or its revert.
// Implementations never retry by themselves: like the notifiers, they
// wrap a failure a retry cannot mend in a *delivery.PermanentError and a
// rate limit in a *delivery.RetryAfterError; the [Manager] retries the
// rest through delivery.Retry, the loop the notifiers use. They are safe
// for concurrent use and keep secrets out of errors.
type Step interface {
	// Do makes the request for c and returns what came back.
	Do(ctx context.Context, c Call) (Result, error)
	// String describes the request for people, secrets redacted:
	// "PATCH https://flags.example.com/api/flags/signups".
	String() string
}

// Call is what a step is made for: the action, the phase and the alert
// that started the episode (a revert gets the same alert as its apply, so
// it can undo exactly what was done, e.g. unblock the same addresses).
type Call struct {
	Action string
	Phase  Phase
	Alert  alert.Alert
	// Key identifies the episode's phase, the same on every attempt and
	// after a restart: receivers use it to do the work once.
	Key     string
	Attempt int
}

// Result is what a step's request returned.
type Result struct {
	Status int    // the HTTP status, 0 for exec
	Output string // the start of the response body or the program's output, sanitised
}

// Action is one configured remedy.
type Action struct {
	Name string
	// Rules are the rules whose firing applies it: only rules that opt in
	// ever trigger an action.
	Rules []string
	Do    Step
	// Undo reverts Do; nil means the action is never reverted.
	Undo Step
	// RevertAfter is how long every rule must stay quiet after resolving
	// before Undo runs.
	RevertAfter time.Duration
	// MaxDuration, when set, cuts the quiet period short: once the remedy
	// has been on this long, Undo runs as soon as no rule fires, without
	// waiting for RevertAfter (never while a rule fires).
	MaxDuration time.Duration
	// Cooldown is the least time between two applications.
	Cooldown time.Duration
	// MaxPerHour and MaxPerDay cap the applications in any hour and any
	// 24 hours of log time; 0 means no cap.
	MaxPerHour, MaxPerDay int
	// DryRun logs what would be done instead of doing it.
	DryRun bool
	// Retries is how many times a failed attempt is tried again (network
	// errors, 5xx, 429 and timeouts only).
	Retries int
	// Line is where the action is defined in the config, for messages.
	Line int
}

// OptionError is a constructor's complaint about one option ("url",
// "body", "command"), so that a config can point at that option's line.
// Its text names the option already.
type OptionError struct {
	Option string
	Err    error
}

func (e *OptionError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *OptionError) Unwrap() error { return e.Err }

func optionError(option string, err error) error { return &OptionError{Option: option, Err: err} }

// templateData is what an action's templates see: the alert's fields
// under readable names. Text from the log (Keys, Top) is
// attacker-controlled: it comes reduced to the alphabet of the rule's
// group_by field (see [reduceKeys]), and still goes into JSON bodies
// through the json function, into URLs through urlquery, into a program's
// arguments through ips.
type templateData struct {
	Action      string
	Phase       Phase
	Rule        string
	State       alert.State
	Severity    alert.Severity
	Time        string // RFC 3339, event time
	Since       string
	Value       float64
	Threshold   float64
	Unit        string
	Count       uint64
	Distinct    uint64
	GroupBy     string
	Keys        []string         // the top offenders' values
	Top         []alert.KeyCount // the same, with their counts
	Description string
	Key         string // the idempotency key
}

func newTemplateData(c Call) templateData {
	top := reduceKeys(c.Alert)
	keys := make([]string, len(top))
	for i, k := range top {
		keys[i] = k.Key
	}
	return templateData{Action: c.Action, Phase: c.Phase, Rule: c.Alert.Rule, State: c.Alert.State,
		Severity: c.Alert.Severity, Time: c.Alert.Time.UTC().Format(time.RFC3339),
		Since: c.Alert.Since.UTC().Format(time.RFC3339), Value: c.Alert.Value, Threshold: c.Alert.Threshold,
		Unit: string(c.Alert.Unit), Count: c.Alert.Count, Distinct: c.Alert.Distinct, GroupBy: c.Alert.GroupBy,
		Keys: keys, Top: top, Description: c.Alert.Description, Key: c.Key}
}

// templateFuncs are the functions an action's templates may call besides
// text/template's own (urlquery, printf, index, len, …).
var templateFuncs = template.FuncMap{
	// json encodes any value as JSON: {{json .Keys}} is ["a","b"].
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	// join joins strings: {{join .Keys ","}}.
	"join": func(s []string, sep string) string { return strings.Join(s, sep) },
	// ips keeps the values that are bare IP addresses or CIDR prefixes,
	// in their canonical form: a key is attacker-controlled text, and a
	// program (nft, a firewall API) must only ever see addresses. An
	// address with an IPv6 zone ("fe80::1%x }; flush ruleset") is not one.
	"ips": ips,
}

// ips is the template function of that name.
func ips(s []string) []string {
	out := []string{}
	for _, v := range s {
		if a, ok := alert.AddrAlphabet.Reduce(v); ok {
			out = append(out, a)
		} else if p, ok := alert.PrefixAlphabet.Reduce(v); ok {
			out = append(out, p)
		}
	}
	return out
}

// reduceKeys returns a's top offenders with each key reduced to the
// alphabet of the rule's group_by field (alert.FieldAlphabet): a client
// address is a bare address, a path is percent-encoded, free text has no
// control character. A key that is no value of its field (a client_ip
// that is not a bare address) is dropped. Every value that reaches a
// template, and so a URL or a program's argument, or a program's
// environment, comes through here.
func reduceKeys(a alert.Alert) []alert.KeyCount {
	ab := alert.FieldAlphabet(a.GroupBy)
	out := make([]alert.KeyCount, 0, len(a.Keys))
	for _, k := range a.Keys {
		if v, ok := ab.Reduce(k.Key); ok {
			k.Key = v
			out = append(out, k)
		}
	}
	return out
}

// ParseTemplate parses an action's template text; name appears in its
// errors.
func ParseTemplate(name, text string) (*template.Template, error) {
	return template.New(name).Funcs(templateFuncs).Option("missingkey=error").Parse(text)
}

// render executes t for c.
func render(t *template.Template, c Call) (string, error) {
	if t == nil {
		return "", nil
	}
	var b strings.Builder
	if err := t.Execute(&b, newTemplateData(c)); err != nil {
		return "", delivery.Permanent(fmt.Errorf("template %s: %w", t.Name(), err))
	}
	return b.String(), nil
}

// CheckTemplate executes t on example alerts — one with top keys, one
// without (a rule with no group_by) — so that a template naming a field
// that does not exist, or indexing keys that may be missing, fails at
// config time, not at 3 a.m.
func CheckTemplate(t *template.Template) error {
	for _, keys := range [][]alert.KeyCount{{{Key: "192.0.2.1", Count: 1}}, nil} {
		ex := Call{Action: "example", Phase: Apply, Key: "example", Alert: alert.Alert{Rule: "example", State: alert.Firing,
			Time: time.Unix(0, 0), Since: time.Unix(0, 0), Keys: keys}}
		var b strings.Builder
		if err := t.Execute(&b, newTemplateData(ex)); err != nil {
			msg := strings.ReplaceAll(err.Error(), "actions.templateData", "the alert")
			if keys == nil {
				msg += " — with no top keys (a rule without group_by, or a quiet one): use {{range .Keys}}"
			}
			return fmt.Errorf("%s (fields: %s; functions: json, join, ips, urlquery, printf)", msg, strings.Join(templateFields, ", "))
		}
	}
	return nil
}

// templateFields lists what a template may name, for error messages.
var templateFields = []string{".Action", ".Phase", ".Rule", ".State", ".Severity", ".Time", ".Since", ".Value",
	".Threshold", ".Unit", ".Count", ".Distinct", ".GroupBy", ".Keys", ".Top", ".Description", ".Key"}

// idempotencyKey names one phase of one episode: the action, the rule and
// event time that started it, and the phase. The same on every attempt,
// and after a restart, so a receiver can do the work once.
func idempotencyKey(action string, a alert.Alert, p Phase) string {
	return delivery.IdempotencyKey(action, a.Rule, strconv.FormatInt(a.Time.Unix(), 10), string(p))
}
