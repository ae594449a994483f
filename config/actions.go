package config

import (
	"errors"
	"maps"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sentinel-dev/sentinel/actions"
)

// actionKeys are the keys an actions: entry may have.
var actionKeys = []string{"name", "rules", "webhook", "exec", "revert", "revert_after", "max_duration",
	"cooldown", "max_per_hour", "max_per_day", "dry_run", "timeout", "retries"}

// webhookKeys are the keys of an action's webhook: (and its revert:).
var webhookKeys = []string{"method", "url", "url_file", "headers", "body", "content_type", "secret", "secret_file"}

// request is a decoded webhook: or exec: block, before it is built.
type request struct {
	n       *yaml.Node
	v       map[string]string
	set     map[string]bool
	headers map[string]string
	command []string
	shown   []string              // the command as written, before ${ENV}
	nodes   map[string]*yaml.Node // each key's value, for errors at its line
}

// action decodes one actions: entry and builds it, so that a bad URL, a
// template naming a field that does not exist or a program not found is
// reported at its line by check.
func (d *decoder) action(n *yaml.Node, path string, names map[string]int) (*actions.Action, bool) {
	before := len(d.errs)
	a := &actions.Action{Line: n.Line, RevertAfter: actions.DefaultRevertAfter, Cooldown: actions.DefaultCooldown,
		MaxPerHour: actions.DefaultMaxPerHour, MaxPerDay: actions.DefaultMaxPerDay, Retries: actions.DefaultRetries}
	var do, undo *request
	var kind string
	var timeout time.Duration
	var revertNode *yaml.Node
	d.mapping(n, path, actionKeys, func(key string, k, v *yaml.Node) {
		p := join(path, key)
		switch key {
		case "name":
			a.Name, _ = d.scalar(v, p)
		case "rules":
			if list, ok := d.strings(v, p); ok {
				a.Rules = list
				for _, r := range list {
					d.ruleRefs = append(d.ruleRefs, ruleRef{v, p, r, false})
				}
			}
		case "webhook", "exec":
			if kind != "" {
				d.errorf(k, p, "an action is either a webhook or an exec, not both")
				return
			}
			kind = key
			do = d.request(v, p, key)
		case "revert":
			revertNode = v
		case "revert_after":
			a.RevertAfter, _ = d.positiveDuration(v, p)
		case "max_duration":
			a.MaxDuration, _ = d.positiveDuration(v, p)
		case "cooldown":
			a.Cooldown, _ = d.duration(v, p)
		case "max_per_hour":
			a.MaxPerHour, _ = d.integer(v, p)
		case "max_per_day":
			a.MaxPerDay, _ = d.integer(v, p)
		case "retries":
			a.Retries, _ = d.integer(v, p)
		case "dry_run":
			a.DryRun, _ = d.boolean(v, p)
		case "timeout":
			timeout, _ = d.positiveDuration(v, p)
		}
	})
	if revertNode != nil && kind != "" {
		undo = d.request(revertNode, join(path, "revert"), kind)
	}
	switch {
	case a.Name == "" && len(d.errs) == before:
		d.errorf(n, path+".name", "required")
	case len(a.Rules) == 0 && len(d.errs) == before:
		d.errorf(n, path+".rules", "required: the rules whose firing runs this action (only rules named here ever do)")
	case kind == "" && len(d.errs) == before:
		d.errorf(n, path, "needs webhook: (an HTTP request) or exec: (a program)")
	}
	if line, dup := names[a.Name]; dup && a.Name != "" {
		d.errorf(n, path+".name", "action %q is already defined on line %d", a.Name, line)
	}
	names[a.Name] = n.Line
	if len(d.errs) > before {
		return nil, false
	}
	a.Do = d.step(do, join(path, kind), kind, timeout, nil)
	if undo != nil {
		a.Undo = d.step(undo, join(path, "revert"), kind, timeout, do)
	} else {
		d.warnf(n, path+".revert", "no revert: the remedy stays on until someone undoes it by hand")
	}
	return a, len(d.errs) == before
}

// request decodes a webhook: or exec: block (or a revert: of that kind).
func (d *decoder) request(n *yaml.Node, path, kind string) *request {
	r := &request{n: n, v: map[string]string{}, set: map[string]bool{}, headers: map[string]string{}, nodes: map[string]*yaml.Node{}}
	keys := webhookKeys
	if kind == "exec" {
		keys = []string{"command"}
	}
	d.mapping(n, path, keys, func(key string, k, v *yaml.Node) {
		p := join(path, key)
		r.set[key] = true
		r.nodes[key] = v
		switch key {
		case "headers":
			d.mapping(v, p, nil, func(h string, _, hv *yaml.Node) {
				if s, ok := d.scalar(hv, join(p, h)); ok {
					r.headers[h] = s
				}
			})
		case "command":
			if v.Kind != yaml.SequenceNode {
				d.errorf(v, p, "must be a list: the program, then each argument (no shell runs it)")
				return
			}
			r.command, _ = d.strings(v, p)
			for _, item := range v.Content {
				r.shown = append(r.shown, deref(item).Value)
			}
		default:
			if s, ok := d.scalar(v, p); ok {
				r.v[key] = s
			}
		}
	})
	for _, secret := range d.secretFiles(path, []string{"url", "secret"}, r.v, r.nodes) {
		r.set[secret] = true // a revert's own, not its webhook's
	}
	return r
}

// step builds a decoded request. A revert's webhook takes what it leaves
// out (method, url, headers, secret, content type) from the action's own.
func (d *decoder) step(r *request, path, kind string, timeout time.Duration, base *request) actions.Step {
	if kind == "exec" {
		e, err := actions.NewExec(actions.ExecOptions{Command: r.command, Shown: r.shown, Timeout: timeout})
		if err != nil {
			d.optionErrorf(r, path, err)
			return nil
		}
		return e
	}
	if base != nil {
		for _, k := range []string{"method", "url", "url_file", "secret", "content_type", "body"} {
			if k == "url_file" && r.set["url"] {
				continue // the revert's own URL: not from the file, its path shown
			}
			if !r.set[k] {
				r.v[k] = base.v[k]
			}
		}
		merged := maps.Clone(base.headers) // the revert's own headers add to or replace them
		maps.Copy(merged, r.headers)
		r.headers = merged
	}
	w, err := actions.NewWebhook(actions.WebhookOptions{Method: r.v["method"], URL: r.v["url"], Headers: r.headers,
		Body: r.v["body"], ContentType: r.v["content_type"], Secret: r.v["secret"], Timeout: timeout,
		HideURL: r.v["url_file"] != ""})
	if err != nil {
		d.optionErrorf(r, path, err) // the webhook keeps secrets out of its errors
		return nil
	}
	return w
}

// optionErrorf reports a step's error at the line of the option it names
// (the block's own line when the option was inherited or left out).
func (d *decoder) optionErrorf(r *request, path string, err error) {
	oe, ok := errors.AsType[*actions.OptionError](err)
	if !ok {
		d.errorf(r.n, path, "%v", err)
		return
	}
	n := r.nodes[oe.Option]
	if n == nil && oe.Option == "url" {
		n = r.nodes["url_file"]
	}
	if n == nil {
		d.errorf(r.n, path, "%v", err)
		return
	}
	d.errorf(n, join(path, oe.Option), "%s", strings.TrimPrefix(err.Error(), oe.Option+": "))
}

// positiveDuration is a duration that must be above zero.
func (d *decoder) positiveDuration(n *yaml.Node, path string) (time.Duration, bool) {
	v, ok := d.duration(n, path)
	if ok && v <= 0 {
		d.errorf(n, path, "must be above zero")
		return 0, false
	}
	return v, ok
}
