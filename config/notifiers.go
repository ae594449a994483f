package config

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/internal/delivery"
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

// notifierKeys are the keys a notifier entry may have: those every entry
// has, and the options of every notifier type (alerts.Kinds), each secret
// with its KEY_file. An option of another type is accepted and ignored.
func notifierKeys() []string {
	keys := []string{"name", "type"}
	for _, k := range alerts.Kinds {
		for _, key := range k.Keys {
			if !contains(keys, key) {
				keys = append(keys, key)
				if contains(k.Secrets, key) {
					keys = append(keys, key+"_file")
				}
			}
		}
	}
	return append(keys, "min_severity", "rules", "timeout")
}

// notifierTypes lists the types of alerts.Kinds.
func notifierTypes() []string {
	var types []string
	for _, k := range alerts.Kinds {
		types = append(types, k.Type)
	}
	return types
}

// notifier decodes one notifiers: entry and builds it through its type's
// alerts.Kind, so that a bad URL or a missing field is reported at its
// line by check.
func (d *decoder) notifier(n *yaml.Node, path string, names map[string]int) (Notifier, bool) {
	before := len(d.errs)
	set := alerts.Settings{Values: map[string]string{}, Headers: map[string]string{}}
	nodes := map[string]*yaml.Node{}
	var rules []string
	d.mapping(n, path, notifierKeys(), func(key string, k, val *yaml.Node) {
		p := join(path, key)
		nodes[key] = k
		switch key {
		case "to":
			set.To, _ = d.strings(val, p)
		case "rules":
			if list, ok := d.strings(val, p); ok {
				rules = list
				for _, r := range list {
					d.ruleRefs = append(d.ruleRefs, ruleRef{val, p, r, false})
				}
			}
		case "headers":
			d.mapping(val, p, nil, func(h string, _, hv *yaml.Node) {
				if s, ok := d.scalar(hv, join(p, h)); ok {
					set.Headers[h] = s
				}
			})
		case "timeout":
			set.Timeout, _ = d.duration(val, p)
		default:
			if s, ok := d.scalar(val, p); ok {
				set.Values[key] = s
			}
		}
	})
	name, typ := set.Values["name"], set.Values["type"]
	kind, known := alerts.LookupKind(typ)
	if known {
		for _, key := range slices.Sorted(maps.Keys(nodes)) {
			if k := nodes[key]; !contains([]string{"name", "type", "min_severity", "rules", "timeout"}, key) && !contains(kind.Keys, key) &&
				!(strings.HasSuffix(key, "_file") && contains(kind.Secrets, strings.TrimSuffix(key, "_file"))) {
				d.errorf(k, join(path, key), "not an option of a %s notifier (its options: %s)", typ, strings.Join(kind.Keys, ", "))
			}
		}
		d.secretFiles(path, kind.Secrets, set.Values, nodes)
	}
	if len(d.errs) > before {
		return Notifier{}, false
	}
	switch {
	case !known && typ != "":
		d.errorf(nodes["type"], path+".type", "unknown notifier type %q: one of %s", typ, strings.Join(notifierTypes(), ", "))
		return Notifier{}, false
	case !known:
		d.errorf(n, path+".type", "required, one of %s", strings.Join(notifierTypes(), ", "))
		return Notifier{}, false
	case name == "":
		name = typ
	}
	if line, dup := names[name]; dup {
		d.errorf(n, path+".name", "notifier %q is already defined on line %d", name, line)
		return Notifier{}, false
	}
	names[name] = n.Line
	sev := alert.Severity(set.Values["min_severity"])
	if sev != "" && !contains(severities, string(sev)) {
		d.errorf(nodes["min_severity"], path+".min_severity", "must be one of %s", strings.Join(severities, ", "))
		return Notifier{}, false
	}
	nt, shown, err := kind.New(set)
	if err != nil {
		if p, ok := errors.AsType[*delivery.PermanentError](err); ok {
			err = p.Err // every config error is permanent; the word says nothing here
		}
		d.errorf(n, path, "%v", err) // the notifiers keep secrets out of their errors
		return Notifier{}, false
	}
	return Notifier{Route: alerts.Route{Name: name, Notifier: nt, MinSeverity: sev, Rules: rules, Origin: fmt.Sprintf("%s:%d", d.file, n.Line)},
		Shown: shown, Line: n.Line}, true
}

// AddEnvNotifiers adds the notifiers the environment enables (the
// SENTINEL_* variables of alerts.Kinds), before the config's own: they
// apply with or without a config. One that delivers where a config entry
// already does is left out (the config's entry, with its routing, is
// used, and its Shown says so); one whose name a config entry has is
// renamed NAME-env. Its error names the variables, never their values.
func (c *Config) AddEnvNotifiers(lookup func(string) (string, bool)) error {
	routes, err := alerts.RoutesFromEnv(lookup)
	if err != nil {
		return err
	}
	var env []Notifier
	for _, r := range routes {
		i := slices.IndexFunc(c.Notifiers, func(n Notifier) bool { return alerts.SameDestination(n.Route.Notifier, r.Notifier) })
		if i >= 0 {
			c.Notifiers[i].Shown += "; also set by the " + strings.TrimSuffix(strings.TrimPrefix(r.Origin, "environment ("), ")") + " variable: this entry is used"
			continue
		}
		if slices.ContainsFunc(c.Notifiers, func(n Notifier) bool { return n.Route.Name == r.Name }) {
			r.Name += "-env"
		}
		env = append(env, Notifier{Route: r, Shown: alerts.Describe(r.Notifier)})
	}
	c.Notifiers = append(env, c.Notifiers...)
	return nil
}

// secretFiles reads each secret key given as KEY_file into vals[KEY]: a
// secret comes from the value itself (often ${ENV}) or from a file, not
// both. nodes holds the node of each key given, for errors at its line.
// It returns the keys it read. It serves notifiers and actions alike.
func (d *decoder) secretFiles(path string, secrets []string, vals map[string]string, nodes map[string]*yaml.Node) (read []string) {
	for _, secret := range secrets {
		file := secret + "_file"
		n, ok := nodes[file]
		if !ok {
			continue
		}
		if _, direct := nodes[secret]; direct {
			d.errorf(n, join(path, file), "%s and %s are exclusive: give one", secret, file)
			continue
		}
		data, err := os.ReadFile(vals[file])
		if err != nil {
			d.errorf(n, join(path, file), "cannot read the secret: %v", err)
			continue
		}
		vals[secret] = strings.TrimSpace(string(data))
		read = append(read, secret)
	}
	return read
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
				d.ruleRefs = append(d.ruleRefs, ruleRef{v, p, r, false})
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
