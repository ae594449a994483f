package config

import (
	"errors"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
)

// Notifier is one configured notifier: its route, and a description with
// every secret redacted, for `sentinel check`.
type Notifier struct {
	Route alerts.Route
	// Shown is what check prints: the type and the destination, redacted.
	Shown string
	Line  int
}

// Silence holds back the notifications of a rule until a time.
type Silence struct {
	Rule  string
	Until time.Time
}

var notifierTypes = []string{"slack", "webhook", "ntfy", "email"}

// notifierKeys are the keys a notifier entry may have. A secret may come
// from the value itself (often ${ENV}) or from a file (key_file), not both.
var notifierKeys = []string{"name", "type", "url", "url_file", "token", "token_file", "channel", "mention",
	"secret", "secret_file", "from", "to", "headers", "min_severity", "rules", "timeout"}

// notifier decodes one notifiers: entry and builds it, so that a bad URL
// or a missing field is reported at its line by check.
func (d *decoder) notifier(n *yaml.Node, path string, names map[string]int) (Notifier, bool) {
	before := len(d.errs)
	v := map[string]string{}
	lines := map[string]*yaml.Node{}
	var to []string
	var rules []string
	headers := map[string]string{}
	var timeout time.Duration
	d.mapping(n, path, notifierKeys, func(key string, k, val *yaml.Node) {
		p := join(path, key)
		lines[key] = k
		switch key {
		case "to":
			to, _ = d.strings(val, p)
		case "rules":
			if list, ok := d.strings(val, p); ok {
				rules = list
				for _, r := range list {
					d.ruleRefs = append(d.ruleRefs, ruleRef{val, p, r})
				}
			}
		case "headers":
			d.mapping(val, p, nil, func(h string, _, hv *yaml.Node) {
				if s, ok := d.scalar(hv, join(p, h)); ok {
					headers[h] = s
				}
			})
		case "timeout":
			timeout, _ = d.duration(val, p)
		default:
			if s, ok := d.scalar(val, p); ok {
				v[key] = s
			}
		}
	})
	for _, secret := range []string{"url", "token", "secret"} {
		file := secret + "_file"
		if _, both := v[file]; both {
			if _, direct := v[secret]; direct {
				d.errorf(lines[file], join(path, file), "%s and %s are exclusive: give one", secret, file)
				continue
			}
			data, err := os.ReadFile(v[file])
			if err != nil {
				d.errorf(lines[file], join(path, file), "cannot read the secret: %v", err)
				continue
			}
			v[secret] = strings.TrimSpace(string(data))
		}
	}
	if len(d.errs) > before {
		return Notifier{}, false
	}
	name, typ := v["name"], v["type"]
	switch {
	case !contains(notifierTypes, typ):
		d.errorf(n, path+".type", "required, one of %s", strings.Join(notifierTypes, ", "))
		return Notifier{}, false
	case name == "":
		name = typ
	}
	if line, dup := names[name]; dup {
		d.errorf(n, path+".name", "notifier %q is already defined on line %d", name, line)
		return Notifier{}, false
	}
	names[name] = n.Line
	sev := alert.Severity(v["min_severity"])
	if sev != "" && !contains(severities, string(sev)) {
		d.errorf(lines["min_severity"], path+".min_severity", "must be one of %s", strings.Join(severities, ", "))
		return Notifier{}, false
	}
	var nt alerts.Notifier
	var err error
	var shown string
	switch typ {
	case "slack":
		nt, err = alerts.NewSlack(alerts.SlackOptions{WebhookURL: v["url"], Token: v["token"], Channel: v["channel"], Mention: v["mention"], Timeout: timeout})
		shown = "slack webhook (redacted)"
		if v["token"] != "" {
			shown = "slack bot to " + v["channel"] + " (token redacted)"
		}
	case "webhook":
		nt, err = alerts.NewWebhook(alerts.WebhookOptions{URL: v["url"], Secret: v["secret"], Headers: headers, Timeout: timeout})
		shown = "webhook " + alerts.RedactURL(v["url"])
		if v["secret"] != "" {
			shown += ", signed"
		}
	case "ntfy":
		nt, err = alerts.NewNtfy(alerts.NtfyOptions{URL: v["url"], Token: v["token"], Timeout: timeout})
		shown = "ntfy (topic redacted)"
	case "email":
		nt, err = alerts.NewEmail(alerts.EmailOptions{URL: v["url"], From: v["from"], To: to, Timeout: timeout})
		shown = "email to " + strings.Join(to, ", ") + " via " + alerts.RedactURL(v["url"])
	}
	if err != nil {
		if p, ok := errors.AsType[*alerts.PermanentError](err); ok {
			err = p.Err // every config error is permanent; the word says nothing here
		}
		d.errorf(n, path, "%v", err) // the notifiers keep secrets out of their errors
		return Notifier{}, false
	}
	return Notifier{Route: alerts.Route{Name: name, Notifier: nt, MinSeverity: sev, Rules: rules}, Shown: shown, Line: n.Line}, true
}

// silence decodes one silences: entry: a rule and the time its
// notifications resume.
func (d *decoder) silence(n *yaml.Node, path string) (Silence, bool) {
	var s Silence
	before := len(d.errs)
	d.mapping(n, path, []string{"rule", "until"}, func(key string, k, v *yaml.Node) {
		p := join(path, key)
		switch key {
		case "rule":
			if r, ok := d.scalar(v, p); ok {
				s.Rule = r
				d.ruleRefs = append(d.ruleRefs, ruleRef{v, p, r})
			}
		case "until":
			if t, ok := d.scalar(v, p); ok {
				u, err := time.Parse(time.RFC3339, t)
				if err != nil {
					d.errorf(v, p, "must be an RFC 3339 time such as 2026-12-01T08:00:00Z, not %q", t)
				}
				s.Until = u
			}
		}
	})
	if s.Rule == "" && len(d.errs) == before {
		d.errorf(n, path+".rule", "required")
	}
	if s.Until.IsZero() && len(d.errs) == before {
		d.errorf(n, path+".until", "required")
	}
	return s, len(d.errs) == before
}
