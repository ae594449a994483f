package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/parsers"
)

// decoder walks the YAML tree by hand, so that every problem is reported
// with its line and field path and decoding goes on after the first one.
type decoder struct {
	file   string
	lookup func(string) (string, bool)
	errs   Errors
	// visits counts the mappings and list items walked; YAML aliases
	// could otherwise make a small file expand into billions of nodes.
	visits     int
	overBudget bool
	// warnings are problems that do not stop the config.
	warnings Errors
	// ruleNodes are the valid rules' definitions, and ruleMatchers the
	// definitions of the matchers each uses, for their fingerprints.
	ruleNodes    []*yaml.Node
	ruleMatchers [][]*yaml.Node
	// ruleRefs name rules from notifiers and silences, checked once every
	// rule is known: a typo there would silently route or silence nothing.
	ruleRefs []ruleRef
	// matchers are the named match blocks (matchers:), decoded when a
	// rule or another matcher first names them; refs collects the ones
	// the rule being decoded uses, for its fingerprint.
	matchers map[string]*matcherDef
	refs     map[string]bool
	// nodes are the value nodes of every key decoded, by field path, so
	// that the detector's problems with a rule point at their lines.
	nodes map[string]*yaml.Node
	// checks are every rule decoded, valid or not, for the detector's
	// checks of what they mean.
	checks []ruleCheck
	// defaultNodes are the nodes laid under the file from the embedded
	// defaults (layer.go): their errors name defaults.yaml. defaultIndex
	// is the index of each default rule there, defaultRules their names.
	defaultNodes map[*yaml.Node]bool
	defaultIndex map[*yaml.Node]int
	defaultRules map[string]bool
	disabled     []string // default rules left out by disable:
}

// ruleCheck is a rule to check, where it was written: its node, and the
// nodes of its fields by path.
type ruleCheck struct {
	r     detector.Rule
	path  string
	n     *yaml.Node
	nodes map[string]*yaml.Node
}

// matcherDef is one named match block of matchers:.
type matcherDef struct {
	node     *yaml.Node
	id       int
	state    uint8 // 0 not decoded, 1 decoding (a reference now is a cycle), 2 decoded
	cond     *detector.Shared
	mentions map[string]bool // the fields it names
	closure  map[string]bool // itself and the matchers it names, directly or not
}

// fingerprint identifies a rule's definition with the matchers it uses and
// the settings that shape its windows: a reload restores a rule's state
// only when it is unchanged.
func fingerprint(n *yaml.Node, matchers []*yaml.Node, st Settings) string {
	h := sha256.New()
	for _, n := range append([]*yaml.Node{n}, matchers...) {
		text, err := yaml.Marshal(n)
		if err != nil {
			return "" // never restored
		}
		h.Write(text)
		h.Write([]byte{0})
	}
	fmt.Fprintf(h, "%v", st.Resolution)
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// maxVisits bounds the nodes walked in one config.
const maxVisits = 100_000

// MaxErrors bounds the problems reported for one file; past it, one more
// says there are more.
const MaxErrors = 100

func (d *decoder) errorf(n *yaml.Node, field, format string, args ...any) {
	switch {
	case len(d.errs) > MaxErrors:
		return
	case len(d.errs) == MaxErrors:
		d.errs = append(d.errs, &Error{File: d.file, Msg: fmt.Sprintf("more than %d problems; fix these first", MaxErrors)})
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{File: d.fileOf(n), Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) warnf(n *yaml.Node, field, format string, args ...any) {
	d.warnings = append(d.warnings, &Error{File: d.fileOf(n), Line: n.Line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// field looks a field name up, warning when it is not a built-in one: it
// is then an extra field that only some formats fill, and a typo
// ("stauts") would make a rule that never matches.
func (d *decoder) field(n *yaml.Node, path, name string) detector.Field {
	if !detector.IsBuiltinField(name) {
		d.warnf(n, path, "%q is not a built-in field (%s); it only matches formats that name an extra field %q",
			name, strings.Join(detector.FieldNames(), ", "), name)
	}
	return detector.LookupField(name)
}

// syntaxError turns a YAML syntax error into an *Error with its line.
func syntaxError(file string, data []byte, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	lines := strings.Split(string(data), "\n")
	switch {
	case strings.Contains(msg, "tab character"):
		for i, l := range lines {
			if ind := l[:len(l)-len(strings.TrimLeft(l, " \t"))]; strings.Contains(ind, "\t") {
				return &Error{File: file, Line: i + 1, Msg: "a tab in the indentation: YAML indents with spaces"}
			}
		}
	case strings.HasPrefix(msg, "unknown anchor '"):
		name := strings.TrimSuffix(strings.TrimPrefix(msg, "unknown anchor '"), "' referenced")
		for i, l := range lines {
			if strings.Contains(l, "*"+name) {
				line = i + 1
				break
			}
		}
	case isReaderError(msg):
		// yaml.v3 names no line for a byte it cannot read: find it.
		line = unreadableLine(data)
	case strings.HasPrefix(msg, "did not find expected") && line > 0:
		line++ // yaml.v3 numbers a parser error's context from 0
	case line == 0:
		line = 1 // yaml.v3 names no line 0: its first line
	}
	return &Error{File: file, Line: line, Msg: msg}
}

// isReaderError reports whether msg is one of yaml.v3's errors about the
// bytes themselves, before any YAML is read: it names no line for them.
func isReaderError(msg string) bool {
	return strings.HasPrefix(msg, "control characters are not allowed") || strings.Contains(msg, "UTF-8") ||
		strings.HasPrefix(msg, "invalid Unicode character")
}

// unreadableLine returns the line of the first character YAML does not
// allow (a control character, a byte that is not UTF-8), 0 if none.
func unreadableLine(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1,
			!(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0x7e || r == 0x85 ||
				r >= 0xa0 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= 0x10ffff):
			return line
		case r == '\n':
			line++
		}
		i += size
	}
	return 0
}

// visit charges nodes walked against the budget and reports whether the
// walk may go on.
func (d *decoder) visit(n *yaml.Node, path string, nodes int) bool {
	d.visits += nodes
	if d.visits <= maxVisits {
		return true
	}
	if !d.overBudget {
		d.overBudget = true
		d.errorf(n, path, "too many nested aliases: the config expands past %d nodes", maxVisits)
	}
	return false
}

// mapping calls f for each key of a mapping node, reporting keys that are
// not in allowed and duplicate keys.
func (d *decoder) mapping(n *yaml.Node, path string, allowed []string, f func(key string, k, v *yaml.Node)) {
	n = deref(n)
	if !d.visit(n, path, 1) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "must be a mapping, not %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		key := k.Value
		field := join(path, key)
		if seen[key] {
			d.errorf(k, field, "defined twice")
			continue
		}
		seen[key] = true
		if allowed != nil && !contains(allowed, key) {
			d.errorf(k, field, "unknown key (known: %s)", strings.Join(allowed, ", "))
			continue
		}
		if d.nodes != nil {
			d.nodes[field] = v
		}
		f(key, k, v)
	}
}

// nodeAt returns the node written at path in nodes, or at its nearest
// parent that was written (a missing field is reported where its block
// is).
func nodeAt(nodes map[string]*yaml.Node, path string, fallback *yaml.Node) *yaml.Node {
	for {
		if n := nodes[path]; n != nil {
			return n
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			return fallback
		}
		path = path[:i]
	}
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "a document"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// scalar returns a scalar's text with ${NAME} references expanded.
func (d *decoder) scalar(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n, path, "must be a single value, not %s", kindName(n))
		return "", false
	}
	return d.expand(n, path, n.Value)
}

// expand replaces ${NAME} with the environment variable NAME; $$ is a
// literal $. A reference to an unset variable is an error (a missing
// secret should stop a config, not become an empty token).
func (d *decoder) expand(n *yaml.Node, path, s string) (string, bool) {
	if !strings.Contains(s, "$") {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				d.errorf(n, path, "unclosed ${ in %q", s)
				return "", false
			}
			name := s[i+2 : i+end]
			if name == "" {
				d.errorf(n, path, "${} names no environment variable (write $$ for a literal $)")
				return "", false
			}
			v, ok := d.lookup(name)
			if !ok {
				d.errorf(n, path, "environment variable %s is not set", name)
				return "", false
			}
			b.WriteString(v)
			i += end
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

func (d *decoder) duration(n *yaml.Node, path string) (time.Duration, bool) {
	s, ok := d.scalar(n, path)
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		d.errorf(n, path, "invalid duration %q (use e.g. 30s, 5m, 1h)", s)
		return 0, false
	}
	if v < 0 {
		d.errorf(n, path, "must not be negative")
		return 0, false
	}
	return v, true
}

func (d *decoder) integer(n *yaml.Node, path string) (int, bool) {
	s, ok := d.scalar(n, path)
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		d.errorf(n, path, "must be a whole number ≥ 0, not %q", s)
		return 0, false
	}
	return v, true
}

func (d *decoder) float(n *yaml.Node, path string) (float64, bool) {
	s, ok := d.scalar(n, path)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		d.errorf(n, path, "must be a number, not %q", s)
		return 0, false
	}
	return v, true
}

func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	s, ok := d.scalar(n, path)
	if !ok {
		return false, false
	}
	switch s {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	d.errorf(n, path, "must be true or false, not %q", s)
	return false, false
}

// strings returns a scalar or a list of scalars.
func (d *decoder) strings(n *yaml.Node, path string) ([]string, bool) {
	if n.Kind == yaml.SequenceNode {
		if !d.visit(n, path, len(n.Content)) {
			return nil, false
		}
		out := make([]string, 0, len(n.Content))
		good := true
		for i, item := range n.Content {
			s, ok := d.scalar(deref(item), fmt.Sprintf("%s[%d]", path, i))
			good = good && ok
			out = append(out, s)
		}
		if len(out) == 0 {
			d.errorf(n, path, "must not be an empty list")
			return nil, false
		}
		return out, good
	}
	s, ok := d.scalar(n, path)
	return []string{s}, ok
}

func (d *decoder) config(n *yaml.Node, c *Config) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // empty file: reported as "no rules"
	}
	d.declareMatchers(n)
	d.mapping(n, "", []string{"settings", "sources", "matchers", "rules", "notifiers", "silences", "actions", "incidents", keyDefaults, keyDisable}, func(key string, k, v *yaml.Node) {
		switch key {
		case "matchers":
			// Declared above, decoded where used; those no rule uses are
			// decoded after the rules, for their errors.
		case keyDefaults, keyDisable:
			// Applied before decoding (layer.go).
		case "incidents":
			d.incidents(v, &c.Incidents)
		case "settings":
			d.settings(v, &c.Settings)
		case "sources":
			d.list(v, "sources", func(item *yaml.Node, path string) {
				if s, ok := d.source(item, path); ok {
					c.Sources = append(c.Sources, s)
				}
			})
		case "rules":
			names := map[string]int{}
			d.list(v, "rules", func(item *yaml.Node, path string) {
				d.refs = map[string]bool{}
				d.nodes = map[string]*yaml.Node{} // this rule's, for its problems' lines
				if i, ok := d.defaultIndex[item]; ok {
					path = fmt.Sprintf("rules[%d]", i) // its place in defaults.yaml
				}
				r, ok := d.rule(item, path)
				d.checks = append(d.checks, ruleCheck{r, path, item, d.nodes})
				if line, dup := names[r.Name]; dup && r.Name != "" {
					d.errorf(item, path+".name", "rule %q is already defined on line %d", r.Name, line)
					return
				}
				names[r.Name] = item.Line
				if !ok {
					return
				}
				c.RuleLines[r.Name] = item.Line
				c.RuleOrigins[r.Name] = d.ruleOrigin(r.Name, item)
				c.Rules = append(c.Rules, r)
				d.ruleNodes = append(d.ruleNodes, item)
				d.ruleMatchers = append(d.ruleMatchers, d.matcherNodes(d.refs))
			})
		case "notifiers":
			names := map[string]int{}
			d.list(v, "notifiers", func(item *yaml.Node, path string) {
				if nt, ok := d.notifier(item, path, names); ok {
					c.Notifiers = append(c.Notifiers, nt)
				}
			})
		case "silences":
			lines := map[string]int{}
			d.list(v, "silences", func(item *yaml.Node, path string) {
				s, ok := d.silence(item, path)
				if !ok {
					return
				}
				if line, dup := lines[s.Rule]; dup {
					d.errorf(item, path+".rule", "rule %q is already silenced on line %d: keep one", s.Rule, line)
					return
				}
				lines[s.Rule] = item.Line
				c.Silences = append(c.Silences, s)
			})
		case "actions":
			names := map[string]int{}
			d.list(v, "actions", func(item *yaml.Node, path string) {
				if a, ok := d.action(item, path, names); ok {
					c.Actions = append(c.Actions, a)
				}
			})
		}
	})
	if c.Settings.Resolution == 0 {
		c.Settings.Resolution = detector.DefaultResolution
	}
	for _, name := range slices.Sorted(maps.Keys(d.matchers)) {
		d.matcher(name, nil, "", map[string]bool{}) // the unused ones, for their errors
	}
	for i := range c.Rules { // after settings: a rule's windows depend on the resolution
		c.Rules[i].Fingerprint = fingerprint(d.ruleNodes[i], d.ruleMatchers[i], c.Settings)
	}
	// The detector checks what the rules mean (after settings: windows
	// depend on the resolution), each problem at its line. A field already
	// reported by the decoding, or under or above one, is not reported
	// again: its value is missing, not wrong.
	decoded := map[string]bool{}
	for _, e := range d.errs {
		decoded[e.Field] = true
	}
	reported := func(field string) bool {
		for f := range decoded {
			if f == field || strings.HasPrefix(f, field+".") || strings.HasPrefix(field, f+".") {
				return true
			}
		}
		return false
	}
	for _, rc := range d.checks {
		for _, p := range rc.r.Problems(c.Settings.Resolution) {
			if field := rc.path + "." + p.Field; !reported(field) {
				d.errorf(nodeAt(rc.nodes, field, rc.n), field, "%s", p.Msg)
			}
		}
	}
	for _, r := range d.ruleRefs {
		switch _, ok := c.RuleLines[r.name]; {
		case ok || len(c.Rules) == 0:
		case r.disabledOK && d.defaultNodes[r.n]:
			// A default rule's yield_to: the rule it names may be
			// disabled, or replaced by one that failed to decode.
		case slices.Contains(d.disabled, r.name) && r.disabledOK:
		case slices.Contains(d.disabled, r.name):
			d.errorf(r.n, r.path, "rule %q is a default rule this file disables (disable:)", r.name)
		default:
			d.errorf(r.n, r.path, "no rule is named %q", r.name)
		}
	}
	if c.Settings.Skew == 0 {
		c.Settings.Skew = detector.DefaultSkew
	}
	if c.Settings.TopN == 0 {
		c.Settings.TopN = detector.DefaultTopN
	}
	d.fleetEnv(&c.Settings.Fleet)
}

type ruleRef struct {
	n          *yaml.Node
	path, name string
	// disabledOK: a rule this file disables is no error (yield_to: a
	// rule yields to nothing while the rule it names is off), nor, in
	// the defaults, one missing.
	disabledOK bool
}

// ruleOrigin says where a rule comes from, for check and the startup log:
// "defaults", "sentinel.yaml:12", "sentinel.yaml:12, replacing the
// default".
func (d *decoder) ruleOrigin(name string, item *yaml.Node) string {
	switch {
	case d.defaultNodes[item]:
		return "defaults"
	case d.defaultRules[name]:
		return fmt.Sprintf("%s:%d, replacing the default", d.file, item.Line)
	}
	return fmt.Sprintf("%s:%d", d.file, item.Line)
}

// incidents decodes the incidents: section: group labels of rules that
// are one incident whenever they fire together, and inhibitions.
func (d *decoder) incidents(n *yaml.Node, inc *Incidents) {
	d.mapping(n, "incidents", []string{"groups", "inhibit"}, func(key string, k, v *yaml.Node) {
		path := "incidents." + key
		switch key {
		case "groups":
			if inc.Groups == nil {
				inc.Groups = map[string]string{}
			}
			d.mapping(v, path, nil, func(label string, _, rules *yaml.Node) {
				p := join(path, label)
				list, ok := d.strings(rules, p)
				if !ok {
					return
				}
				for _, r := range list {
					if other, dup := inc.Groups[r]; dup {
						d.errorf(rules, p, "rule %q is already in group %q: a rule has one group", r, other)
						continue
					}
					inc.Groups[r] = label
					d.ruleRefs = append(d.ruleRefs, ruleRef{rules, p, r, false})
				}
			})
		case "inhibit":
			d.list(v, path, func(item *yaml.Node, p string) {
				var sources, targets []string
				d.mapping(item, p, []string{"source", "target"}, func(key string, _, v *yaml.Node) {
					list, _ := d.strings(v, join(p, key))
					for _, r := range list {
						d.ruleRefs = append(d.ruleRefs, ruleRef{v, join(p, key), r, false})
					}
					if key == "source" {
						sources = list
					} else {
						targets = list
					}
				})
				if len(sources) == 0 || len(targets) == 0 {
					d.errorf(item, p, "needs a source and a target: {source: 5xx-surge, target: [traffic-drop]}")
					return
				}
				for _, s := range sources {
					for _, t := range targets {
						if s == t {
							d.errorf(item, p, "rule %q cannot inhibit itself", s)
							continue
						}
						inc.Inhibit = append(inc.Inhibit, alerts.Inhibition{Source: s, Target: t})
					}
				}
			})
		}
	})
}

func (d *decoder) list(n *yaml.Node, path string, f func(item *yaml.Node, path string)) {
	if n.Kind != yaml.SequenceNode {
		if n.Tag == "!!null" {
			return
		}
		d.errorf(n, path, "must be a list, not %s", kindName(n))
		return
	}
	if !d.visit(n, path, len(n.Content)) {
		return
	}
	for i, item := range n.Content {
		f(deref(item), fmt.Sprintf("%s[%d]", path, i))
	}
}

func (d *decoder) settings(n *yaml.Node, s *Settings) {
	keys := []string{"resolution", "skew", "top", "remind_every", "group_wait", "group_interval", "site", "labels", "public", "fleet"}
	d.mapping(n, "settings", keys, func(key string, k, v *yaml.Node) {
		path := "settings." + key
		switch key {
		case "group_wait":
			if w, ok := d.duration(v, path); ok {
				if w > 10*time.Minute {
					d.errorf(v, path, "must be at most 10m: the first page of an incident waits this long")
				}
				s.GroupWait = w
			}
		case "group_interval":
			if w, ok := d.duration(v, path); ok {
				if w != 0 && w < time.Second {
					d.errorf(v, path, "must be at least 1s")
				}
				s.GroupInterval = w
			}
		case "site":
			if site, ok := d.scalar(v, path); ok {
				if site == "" || strings.ContainsFunc(site, alert.IsControl) || utf8.RuneCountInString(site) > 64 {
					d.errorf(v, path, "must be a short name without control characters (64 characters at most)")
				}
				s.Site = site
			}
		case "labels":
			s.Labels = map[string]string{}
			d.mapping(v, path, nil, func(name string, _, lv *yaml.Node) {
				p := join(path, name)
				val, ok := d.scalar(lv, p)
				if !ok {
					return
				}
				if !detector.ValidName(name) || strings.ContainsFunc(val, alert.IsControl) || utf8.RuneCountInString(val) > 64 {
					d.errorf(lv, p, "a label is a name of letters, digits, '-', '_' and '.' with a short value")
				}
				s.Labels[name] = val
			})
		case "resolution":
			if r, ok := d.duration(v, path); ok {
				if r < 100*time.Millisecond || r > time.Minute {
					d.errorf(v, path, "must be within 100ms..1m")
				}
				s.Resolution = r
			}
		case "public":
			s.Public = d.public(v, path)
		case "skew":
			if r, ok := d.duration(v, path); ok {
				// 0 would be taken as the default; past MaxJump a line
				// that late is a jump the engine holds back anyway.
				if r <= 0 || r > detector.MaxJump {
					d.errorf(v, path, "must be within 0 (exclusive) and 1h")
				}
				s.Skew = r
			}
		case "top":
			if k, ok := d.integer(v, path); ok {
				// 0 would be taken as the default; an alert names at
				// most what a bucket's summary keeps.
				if k < 1 || k > detector.DefaultKeysPerBucket {
					d.errorf(v, path, "must be within 1..%d", detector.DefaultKeysPerBucket)
				}
				s.TopN = k
			}
		case "remind_every":
			if r, ok := d.duration(v, path); ok {
				if r != 0 && r < time.Minute {
					d.errorf(v, path, "must be 0 (no reminders) or at least 1m")
				}
				s.RemindEvery = r
			}
		case "fleet":
			d.fleetSettings(v, &s.Fleet)
		}
	})
}

func (d *decoder) source(n *yaml.Node, path string) (Source, bool) {
	s := Source{Format: parsers.Auto, Line: n.Line}
	before := len(d.errs)
	d.mapping(n, path, []string{"path", "format", "fields", "pattern", "time_format", "duration_unit", "timezone", "date"}, func(key string, k, v *yaml.Node) {
		p := join(path, key)
		switch key {
		case "path":
			s.Path, _ = d.scalar(v, p)
		case "format":
			if f, ok := d.scalar(v, p); ok {
				if !parsers.Known(f) {
					d.errorf(v, p, "unknown format %q (known: %s)", f, strings.Join(parsers.Names(), ", "))
				}
				s.Format = f
			}
		case "fields":
			s.Options.Fields = map[string]string{}
			d.mapping(v, p, nil, func(name string, k, fv *yaml.Node) {
				if val, ok := d.scalar(fv, join(p, name)); ok {
					s.Options.Fields[name] = val
				}
			})
		case "pattern":
			if pat, ok := d.scalar(v, p); ok {
				if _, err := regexp.Compile(pat); err != nil {
					d.errorf(v, p, "invalid regular expression: %v", err)
				}
				s.Options.Pattern = pat
			}
		case "time_format":
			s.Options.TimeLayout, _ = d.scalar(v, p)
		case "duration_unit":
			if u, ok := d.scalar(v, p); ok {
				if !contains([]string{"s", "ms", "us", "ns"}, u) {
					d.errorf(v, p, "must be one of s, ms, us, ns")
				}
				s.Options.DurationUnit = u
			}
		case "timezone":
			if tz, ok := d.scalar(v, p); ok {
				loc, err := time.LoadLocation(tz)
				if err != nil {
					d.errorf(v, p, "unknown time zone %q", tz)
				}
				s.Options.Location = loc
			}
		case "date":
			if ds, ok := d.scalar(v, p); ok {
				t, err := time.Parse(time.DateOnly, ds)
				if err != nil {
					d.errorf(v, p, "must be a date like 2026-11-27, not %q", ds)
				}
				s.Options.Date = t
			}
		}
	})
	if s.Path == "" && len(d.errs) == before {
		d.errorf(n, path+".path", "required")
	}
	if !s.Options.Date.IsZero() && s.Options.Location != nil {
		y, m, day := s.Options.Date.Date()
		s.Options.Date = time.Date(y, m, day, 0, 0, 0, 0, s.Options.Location) // the day in the source's zone
	}
	if !parsers.IsAuto(s.Format) && len(d.errs) == before {
		if _, err := parsers.New(s.Format, s.Options); err != nil {
			d.errorf(n, path, "format %s: %v", s.Format, err)
		}
	}
	return s, len(d.errs) == before
}

var severities = []string{string(alert.Info), string(alert.Warning), string(alert.Critical)}

func (d *decoder) rule(n *yaml.Node, path string) (detector.Rule, bool) {
	r := detector.Rule{Severity: alert.Warning}
	before := len(d.errs)
	var match detector.Cond
	var detNode *yaml.Node
	var exclude []detector.Cond
	mentions := map[string]bool{}
	d.mapping(n, path, []string{"name", "description", "title", "severity", "critical_when", "match", "exclude", "detector", "group_by", "distinct", "for", "keep_firing_for", "clear", "fleet"}, func(key string, k, v *yaml.Node) {
		p := join(path, key)
		switch key {
		case "title":
			if t, ok := d.scalar(v, p); ok {
				if strings.ContainsFunc(t, alert.IsControl) || utf8.RuneCountInString(t) > 40 {
					d.errorf(v, p, "a title is a few words without control characters (40 characters at most): \"Sign-ups\"")
				}
				r.Title = t
			}
		case "name":
			r.Name, _ = d.scalar(v, p)
		case "description":
			r.Description, _ = d.scalar(v, p)
		case "severity":
			if s, ok := d.scalar(v, p); ok {
				if !contains(severities, s) {
					d.errorf(v, p, "must be one of %s", strings.Join(severities, ", "))
				}
				r.Severity = alert.Severity(s)
			}
		case "critical_when":
			r.Evidence = d.evidence(v, p)
		case "match":
			match = d.match(v, p, mentions)
		case "exclude":
			if v.Kind == yaml.MappingNode && len(v.Content) == 0 {
				d.errorf(v, p, "an empty block would leave out every event: give at least one condition")
				return
			}
			if c := d.match(v, p, map[string]bool{}); c != nil {
				exclude = append(exclude, detector.Not{Cond: c})
			}
		case "detector":
			detNode = v
			d.detector(v, p, &r, mentions)
		case "group_by":
			if s, ok := d.scalar(v, p); ok {
				f := d.field(v, p, s)
				r.GroupBy = &f
			}
		case "distinct":
			if s, ok := d.scalar(v, p); ok {
				f := d.field(v, p, s)
				r.DistinctOf = &f
			}
		case "for":
			r.For, _ = d.duration(v, p)
		case "keep_firing_for":
			r.KeepFiringFor, _ = d.duration(v, p)
		case "fleet":
			r.Fleet, _ = d.boolean(v, p)
		case "clear":
			if c, ok := d.float(v, p); ok {
				if !(c > 0 && c <= 1) {
					d.errorf(v, p, "must be within 0 (exclusive) and 1: the share of the threshold below which a firing rule resolves")
				}
				r.Clear = c
			}
		}
	})
	if len(d.errs) > before {
		return r, false
	}
	if detNode == nil {
		d.errorf(n, path+".detector", "required (e.g. {type: rate, window: 1m, threshold: 5/s})")
	}
	// Rules count requests unless they say otherwise: an app's message
	// lines must not inflate a request rate.
	var conds detector.All
	if !mentions["kind"] && !mentions["message"] && !mentions["level"] {
		conds = append(conds, detector.KindIs(parsers.KindRequest))
	}
	if all, ok := match.(detector.All); ok {
		conds = append(conds, all...) // one flat list: no nested loop per event
	} else if match != nil {
		conds = append(conds, match)
	}
	for _, c := range exclude {
		conds = append(conds, c)
	}
	switch len(conds) {
	case 0:
	case 1:
		r.Match = conds[0]
	default:
		r.Match = conds
	}
	return r, len(d.errs) == before
}

// detectorTypes are the detector types a config may write: those of
// [detector.Types], and baseline (a rate against its learned normal).
var detectorTypes = func() []string {
	var ts []string
	for _, t := range detector.Types {
		ts = append(ts, string(t))
	}
	return append(ts, "baseline")
}()

func (d *decoder) detector(n *yaml.Node, path string, r *detector.Rule, mentions map[string]bool) {
	if n.Kind == yaml.ScalarNode {
		d.errorf(n, path, "must be a mapping such as {type: rate, window: 1m, threshold: 5/s}")
		return
	}
	var thNode, blNode *yaml.Node
	given := map[string]bool{}
	d.mapping(n, path, []string{"type", "window", "threshold", "per_key", "field", "beyond_busiest", "of", "min_events", "chance", "min_span", "yield_to", "baseline"}, func(key string, k, v *yaml.Node) {
		p := join(path, key)
		given[key] = true
		switch key {
		case "type":
			if s, ok := d.scalar(v, p); ok {
				if !contains(detectorTypes, s) {
					d.errorf(v, p, "unknown detector %q (known: %s)", s, strings.Join(detectorTypes, ", "))
				}
				r.Type = detector.Type(s)
			}
		case "window":
			r.Window, _ = d.duration(v, p)
		case "threshold":
			thNode = v
		case "per_key":
			r.PerKey, _ = d.boolean(v, p)
		case "field":
			if s, ok := d.scalar(v, p); ok {
				f := d.field(v, p, s)
				r.Field = &f
			}
		case "beyond_busiest":
			if s, ok := d.scalar(v, p); ok {
				f := d.field(v, p, s)
				r.BeyondBusiest = &f
			}
		case "of":
			r.Of = d.match(v, p, mentions)
		case "min_span":
			r.MinSpan, _ = d.duration(v, p)
		case "yield_to":
			r.YieldTo, _ = d.strings(v, p)
			for _, name := range r.YieldTo {
				d.ruleRefs = append(d.ruleRefs, ruleRef{v, p, name, true})
			}
		case "min_events":
			if m, ok := d.integer(v, p); ok {
				r.MinEvents = uint64(m)
			}
		case "chance":
			r.Chance, _ = d.float(v, p)
		case "baseline":
			blNode = v
		}
	})
	// type: baseline is a rate against its learned normal.
	if r.Type == "baseline" {
		r.Type = detector.Rate
		if blNode == nil {
			d.errorf(n, path+".baseline", "required by the baseline detector: at least a floor (e.g. {factor: 4, floor: 5/s})")
		}
	}
	if blNode != nil {
		r.Baseline = d.baseline(blNode, path+".baseline", r.Type)
	}
	switch {
	case !given["type"]:
		d.errorf(n, path+".type", "required (%s)", strings.Join(detectorTypes, ", "))
	case !given["window"]:
		d.errorf(n, path+".window", "required (e.g. 1m)")
	}
	if thNode != nil && thNode.Tag != "!!null" {
		if th, ok := d.scalar(thNode, path+".threshold"); ok && th != "" {
			v, err := parseThreshold(th, r.Type)
			if err != nil {
				d.errorf(thNode, path+".threshold", "%v", err)
			}
			r.Threshold = v
		}
	}
	// What the rule means — a threshold where one is needed, the fields each
	// detector takes — is the detector's to check: [detector.Rule.Problems],
	// reported once the settings are known.
}

// Defaults of a baseline block.
const (
	defaultFactor   = 3
	defaultWarmup   = time.Hour
	defaultHalfLife = time.Hour
)

// baseline decodes a baseline block of a rule of type typ (a floor is a
// rate for rate rules, a count for distinct ones).
func (d *decoder) baseline(n *yaml.Node, path string, typ detector.Type) *detector.Baseline {
	b := &detector.Baseline{Warmup: defaultWarmup, HalfLife: defaultHalfLife}
	factorSet := false
	if !(n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		d.mapping(n, path, []string{"factor", "sigmas", "floor", "warmup", "warmup_floor", "warmup_factor", "warmup_share", "share_floor", "key_share", "key_ordinary_share", "one_agent_is_client", "follow_traffic", "recurring", "lull_factor", "half_life", "direction"}, func(key string, k, v *yaml.Node) {
			p := join(path, key)
			switch key {
			case "factor":
				if f, ok := d.float(v, p); ok {
					b.Factor, factorSet = f, true
				}
			case "sigmas":
				b.Sigmas, _ = d.float(v, p)
			case "floor":
				if s, ok := d.scalar(v, p); ok {
					f, err := parseThreshold(s, typ)
					if err != nil {
						d.errorf(v, p, "%v", err)
					}
					b.Floor = f
				}
			case "warmup":
				b.Warmup, _ = d.duration(v, p)
			case "warmup_floor":
				if s, ok := d.scalar(v, p); ok {
					f, err := parseThreshold(s, typ)
					if err != nil {
						d.errorf(v, p, "%v", err)
					}
					b.WarmupFloor = f
				}
			case "warmup_factor":
				b.WarmupFactor, _ = d.float(v, p)
			case "warmup_share":
				b.WarmupShare, _ = d.share(v, p)
			case "share_floor":
				if s, ok := d.scalar(v, p); ok {
					f, err := parseThreshold(s, typ)
					if err != nil {
						d.errorf(v, p, "%v", err)
					}
					b.ShareFloor = f
				}
			case "key_share":
				if v.Kind == yaml.ScalarNode && (v.Value == "0" || v.Value == "0%") {
					break // off, as when it is left out
				}
				b.KeyShare, _ = d.share(v, p)
			case "key_ordinary_share":
				b.KeyOrdinaryShare, _ = d.share(v, p)
			case "one_agent_is_client":
				b.OneAgentIsClient, _ = d.boolean(v, p)
			case "follow_traffic":
				b.FollowTraffic, _ = d.boolean(v, p)
			case "recurring":
				if s, ok := d.scalar(v, p); ok {
					if s != "daily" {
						d.errorf(v, p, "must be daily (a rise that came at this time the day before does not fire)")
					}
					b.RecurringDaily = s == "daily"
				}
			case "half_life":
				b.HalfLife, _ = d.duration(v, p)
			case "lull_factor":
				b.LullFactor, _ = d.float(v, p)
			case "direction":
				if s, ok := d.scalar(v, p); ok {
					switch s {
					case "up":
					case "down":
						b.Down = true
					default:
						d.errorf(v, p, "must be up or down")
					}
				}
			}
		})
	}
	if !factorSet && b.Sigmas == 0 {
		b.Factor = defaultFactor
	}
	return b
}

// evidence decodes critical_when: the signs of a bot that make a rule's
// alert critical.
func (d *decoder) evidence(n *yaml.Node, path string) *detector.Evidence {
	e := &detector.Evidence{}
	d.mapping(n, path, []string{"cold", "no_pause", "share", "clients_per_agent"}, func(key string, k, v *yaml.Node) {
		p := join(path, key)
		switch key {
		case "cold":
			e.Cold, _ = d.share(v, p)
		case "no_pause":
			e.NoPause, _ = d.share(v, p)
		case "share":
			d.mapping(v, p, []string{"of", "at_least"}, func(key string, k, v *yaml.Node) {
				switch key {
				case "of":
					e.ShareOf = d.match(v, join(p, key), map[string]bool{})
				case "at_least":
					e.Share, _ = d.share(v, join(p, key))
				}
			})
		case "clients_per_agent":
			e.ClientsPerAgent, _ = d.float(v, p)
		}
	})
	return e
}

// share reads a share: 0.8 or 80%, above 0 and at most 1.
func (d *decoder) share(n *yaml.Node, path string) (float64, bool) {
	s, ok := d.scalar(n, path)
	if !ok {
		return 0, false
	}
	v, err := parseThreshold(s, detector.Ratio)
	if err != nil {
		d.errorf(n, path, "must be a share above 0 and at most 1 (0.8 or 80%%), not %q", s)
		return 0, false
	}
	return v, true
}

// parseThreshold reads a threshold in the unit of the detector type's
// value: "20", "20/s", "1200/m", "5/min" or "100/h" for rates (stored per
// second), "0.3" or "30%" for shares, and a plain number for the rest (a
// distinct count).
func parseThreshold(s string, typ detector.Type) (float64, error) {
	unit := typ.Unit()
	if unit == alert.Share {
		pct := strings.HasSuffix(s, "%")
		v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
		if pct {
			v /= 100
		}
		if err != nil || !(v > 0) || v > 1 {
			return 0, fmt.Errorf("a ratio threshold is a share above 0 and at most 1 (0.3 or 30%%), not %q", s)
		}
		return v, nil
	}
	num, per, hasUnit := strings.Cut(strings.ReplaceAll(s, " ", ""), "/")
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("must be a number above 0, optionally per unit (20/s, 30/m, 100/h), not %q", s)
	}
	if !hasUnit {
		return v, nil
	}
	switch {
	case unit == alert.Distinct:
		return 0, errors.New("a distinct threshold is a count in the window, without a unit")
	case unit != alert.PerSecond && unit != alert.Silent && unit != "":
		// Silent: an absence takes no threshold, which its rule's check
		// reports; "": an unknown type, reported as such.
		return 0, fmt.Errorf("a %s threshold is a number, without a unit", typ)
	}
	switch per {
	case "s", "sec", "second":
		return v, nil
	case "m", "min", "minute":
		return v / 60, nil
	case "h", "hour":
		return v / 3600, nil
	}
	return 0, fmt.Errorf("unknown unit %q (s, m or h)", per)
}

// declareMatchers numbers the named match blocks of the config's
// matchers: section, before anything uses them (a rule may come first).
func (d *decoder) declareMatchers(n *yaml.Node) {
	d.matchers = map[string]*matcherDef{}
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "matchers" {
			continue
		}
		v := deref(n.Content[i+1])
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			return
		}
		if v.Kind != yaml.MappingNode {
			d.errorf(v, "matchers", "must be a mapping of names to match blocks, not %s", kindName(v))
			return
		}
		for j := 0; j+1 < len(v.Content); j += 2 {
			name := v.Content[j].Value
			if !detector.ValidName(name) {
				d.errorf(v.Content[j], "matchers."+name, "%q: use letters, digits, '-', '_' and '.'", name)
				continue
			}
			if _, dup := d.matchers[name]; dup {
				d.errorf(v.Content[j], "matchers."+name, "defined twice")
				continue
			}
			d.matchers[name] = &matcherDef{node: deref(v.Content[j+1]), id: len(d.matchers)}
		}
	}
}

// matcher returns the named match block name, decoding it on first use,
// and adds the fields it names to mentions. n and path are where it is
// named (nil for the final pass over unused matchers).
func (d *decoder) matcher(name string, n *yaml.Node, path string, mentions map[string]bool) detector.Cond {
	m := d.matchers[name]
	switch {
	case m == nil:
		known := slices.Sorted(maps.Keys(d.matchers))
		if len(known) == 0 {
			d.errorf(n, path, "no matcher is named %q (define it under matchers:)", name)
		} else {
			d.errorf(n, path, "no matcher is named %q (matchers: %s)", name, strings.Join(known, ", "))
		}
		return nil
	case m.state == 1:
		d.errorf(n, path, "matcher %q names itself, through %s", name, path)
		return nil
	case m.state == 0:
		m.state = 1
		outer := d.refs
		d.refs = map[string]bool{}
		m.mentions = map[string]bool{}
		if m.node.Kind == yaml.MappingNode && len(m.node.Content) == 0 {
			// Named by an exclude: or a not:, it would leave out every event.
			d.errorf(m.node, "matchers."+name, "an empty block holds for every event: give at least one condition")
		} else if c := d.match(m.node, "matchers."+name, m.mentions); c != nil {
			m.cond = &detector.Shared{Name: name, ID: m.id, Cond: c}
		}
		m.closure = d.refs
		m.closure[name] = true
		d.refs = outer
		m.state = 2
	}
	if d.refs != nil {
		maps.Copy(d.refs, m.closure)
	}
	maps.Copy(mentions, m.mentions)
	if m.cond == nil {
		return nil // its errors are reported where it is defined
	}
	return m.cond
}

// matcherNodes returns the definitions of the named matchers, in name order.
func (d *decoder) matcherNodes(names map[string]bool) []*yaml.Node {
	var out []*yaml.Node
	for _, name := range slices.Sorted(maps.Keys(names)) {
		if m := d.matchers[name]; m != nil {
			out = append(out, m.node)
		}
	}
	return out
}

// match compiles a match block: field conditions, all of which must hold,
// plus any: (a list of blocks, one of which must hold), not: (a block that
// must not hold) and matcher: (a named block of matchers:). A block may
// also be just a matcher's name.
func (d *decoder) match(n *yaml.Node, path string, mentions map[string]bool) detector.Cond {
	n = deref(n)
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		name, ok := d.scalar(n, path)
		if !ok {
			return nil
		}
		return d.matcher(name, n, path, mentions)
	}
	var all detector.All
	before := len(d.errs)
	d.mapping(n, path, nil, func(key string, k, v *yaml.Node) {
		p := join(path, key)
		switch key {
		case "matcher":
			if name, ok := d.scalar(v, p); ok {
				if c := d.matcher(name, v, p, mentions); c != nil {
					all = append(all, c)
				}
			}
		case "any":
			if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
				d.errorf(v, p, "must be a non-empty list of match blocks")
				return
			}
			if !d.visit(v, p, len(v.Content)) {
				return
			}
			var any detector.Any
			for i, item := range v.Content {
				if item := deref(item); item.Kind == yaml.MappingNode && len(item.Content) == 0 {
					// It would hold for every event, and so would the any:.
					d.errorf(item, fmt.Sprintf("%s[%d]", p, i), "an empty block holds for every event: give at least one condition")
					continue
				}
				if c := d.match(deref(item), fmt.Sprintf("%s[%d]", p, i), mentions); c != nil {
					any = append(any, c)
				}
			}
			all = append(all, any)
		case "not":
			if v.Kind == yaml.MappingNode && len(v.Content) == 0 {
				d.errorf(v, p, "an empty block would leave out every event: give at least one condition")
				return
			}
			if c := d.match(v, p, mentions); c != nil {
				all = append(all, detector.Not{Cond: c})
			}
		default:
			mentions[key] = true
			if c := d.fieldCond(d.field(k, p, key), v, p); c != nil {
				all = append(all, c)
			}
		}
	})
	if len(d.errs) > before {
		return nil
	}
	if len(all) == 1 {
		return all[0]
	}
	return all
}

var condOps = []string{"equals", "in", "prefix", "suffix", "contains", "regex", "cidr", "range", "ignore_case", "present"}

// fieldCond compiles the condition on one field: a value (equality, or a
// range for numeric fields), a list (any of), or a mapping of operators.
func (d *decoder) fieldCond(f detector.Field, n *yaml.Node, path string) detector.Cond {
	if n.Kind != yaml.MappingNode {
		vals, ok := d.strings(n, path)
		if !ok {
			return nil
		}
		if f.Numeric() {
			return d.ranges(f, n, path, vals)
		}
		return d.equals(f, n, path, vals)
	}
	var all detector.All
	before := len(d.errs)
	fold := false
	type pending struct {
		op   detector.TextOp
		vals []string
	}
	var texts []pending
	var foldNode *yaml.Node
	exact := false // equals, in or regex: they compare case
	d.mapping(n, path, condOps, func(key string, k, v *yaml.Node) {
		p := join(path, key)
		switch key {
		case "equals", "in", "regex":
			exact = true
		}
		switch key {
		case "ignore_case":
			fold, _ = d.boolean(v, p)
			foldNode = v
		case "present":
			if want, ok := d.boolean(v, p); ok {
				all = append(all, &detector.Present{Field: f, Want: want})
			}
		case "equals", "in":
			if vals, ok := d.strings(v, p); ok {
				if f.Numeric() {
					if c := d.ranges(f, v, p, vals); c != nil {
						all = append(all, c)
					}
				} else if c := d.equals(f, v, p, vals); c != nil {
					all = append(all, c)
				}
			}
		case "prefix", "suffix", "contains":
			if vals, ok := d.strings(v, p); ok {
				op := map[string]detector.TextOp{"prefix": detector.Prefix, "suffix": detector.Suffix, "contains": detector.Contains}[key]
				texts = append(texts, pending{op, vals})
			}
		case "regex":
			if s, ok := d.scalar(v, p); ok {
				re, err := regexp.Compile(s)
				if err != nil {
					d.errorf(v, p, "invalid regular expression: %v", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
					return
				}
				all = append(all, &detector.Regexp{Field: f, Re: re})
			}
		case "cidr":
			if vals, ok := d.strings(v, p); ok {
				c := &detector.CIDR{Field: f}
				for _, s := range vals {
					pfx, err := netip.ParsePrefix(s)
					if err != nil {
						a, aerr := netip.ParseAddr(s)
						if aerr != nil {
							d.errorf(v, p, "invalid CIDR %q", s)
							continue
						}
						pfx = netip.PrefixFrom(a, a.BitLen())
					}
					c.Prefixes = append(c.Prefixes, pfx.Masked())
				}
				all = append(all, c)
			}
		case "range":
			if vals, ok := d.strings(v, p); ok {
				if c := d.ranges(f, v, p, vals); c != nil {
					all = append(all, c)
				}
			}
		}
	})
	if fold && (exact || len(texts) == 0) {
		// Else it would be taken and do nothing: equals: post would
		// silently never hold for a POST.
		d.errorf(foldNode, join(path, "ignore_case"), "applies to prefix, suffix and contains only: equals, in and regex compare case (a regex ignores it with (?i))")
		return nil
	}
	for _, t := range texts {
		if !fold {
			d.neverLogged(f, n, path, t.vals)
		}
		all = append(all, detector.NewText(f, t.op, t.vals, fold))
	}
	if len(all) == 0 {
		if len(d.errs) == before {
			d.errorf(n, path, "no condition (use one of %s)", strings.Join(condOps[:len(condOps)-1], ", "))
		}
		return nil
	}
	if len(all) == 1 {
		return all[0]
	}
	return all
}

// equals returns the condition that f is one of vals, refusing a value a
// field of few values never has (kind: requests, cold: yes): the
// condition would never hold.
func (d *decoder) equals(f detector.Field, n *yaml.Node, path string, vals []string) detector.Cond {
	if known := detector.FieldValues(f.Name); known != nil {
		for _, v := range vals {
			if !slices.Contains(known, v) {
				d.errorf(n, path, "%q is no value of %s (%s)", v, f.Name, strings.Join(known, ", "))
				return nil
			}
		}
	}
	d.neverLogged(f, n, path, vals)
	return detector.NewEquals(f, vals)
}

// neverLogged warns about a method or path value that no log line has in
// that field, so that the condition never holds: a method in lower case
// (logs carry the request's, upper case for every client but a probe's),
// a path or route with a query string (the query is its own field).
func (d *decoder) neverLogged(f detector.Field, n *yaml.Node, path string, vals []string) {
	for _, v := range vals {
		switch {
		case f.Name == "method" && v != strings.ToUpper(v):
			d.warnf(n, path, "%q: methods are logged as clients send them, in upper case (%s); this matches only a request that sent %q",
				v, strings.ToUpper(v), v)
			return
		case (f.Name == "path" || f.Name == "route" || f.Name == "endpoint") && strings.Contains(v, "?"):
			d.warnf(n, path, "%q: a %s never holds the query string, which is the field query: this never matches", v, f.Name)
			return
		}
	}
}

// ranges parses "200", "200-399", "500-" and "-399" into a Range.
func (d *decoder) ranges(f detector.Field, n *yaml.Node, path string, vals []string) detector.Cond {
	c := &detector.Range{Field: f}
	for _, s := range vals {
		r, ok := parseRange(s)
		if !ok {
			d.errorf(n, path, "invalid number or range %q (use 404, 500-599, 500- or -399)", s)
			return nil
		}
		c.Ranges = append(c.Ranges, r)
	}
	return c
}

func parseRange(s string) (detector.NumRange, bool) {
	s = strings.TrimSpace(s)
	lo, hi, isRange := strings.Cut(s, "-")
	// A number is finite: NaN and Inf parse as floats, but no request has
	// them (status: NaN never held).
	number := func(s string) (float64, bool) {
		v, err := strconv.ParseFloat(s, 64)
		return v, err == nil && !math.IsNaN(v) && !math.IsInf(v, 0)
	}
	if !isRange {
		v, ok := number(s)
		return detector.NumRange{Min: v, Max: v}, ok
	}
	r := detector.NumRange{Min: -1e308, Max: 1e308}
	var ok bool
	if lo = strings.TrimSpace(lo); lo != "" {
		if r.Min, ok = number(lo); !ok {
			return r, false
		}
	}
	if hi = strings.TrimSpace(hi); hi != "" {
		if r.Max, ok = number(hi); !ok {
			return r, false
		}
	}
	return r, (lo != "" || hi != "") && r.Min <= r.Max
}
