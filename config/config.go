// Package config loads sentinel's YAML configuration: sources, rules,
// notifiers and actions. One path serves `sentinel check`, `run`, `replay`
// and reloads: [Load] decodes strictly (unknown keys are errors), expands
// ${ENV} references, validates everything and returns every problem at
// once as `file:line: field: message`. With no file, [Default] gives the
// embedded rules for web access logs.
package config

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/fleet"
	"github.com/sentinel-dev/sentinel/parsers"
)

// Config is a loaded, validated configuration.
type Config struct {
	// File is the path the config came from ("(defaults)" for the
	// embedded rules).
	File string
	// embedded: the config is the embedded defaults themselves (Default).
	embedded bool
	Settings Settings
	Sources  []Source
	Rules    []detector.Rule
	// RuleLines gives the line of each rule's definition, by name.
	RuleLines map[string]int
	// RuleOrigins says where each rule comes from, by name: "defaults",
	// "sentinel.yaml:12", "sentinel.yaml:12, replacing the default".
	RuleOrigins map[string]string
	// Disabled are the default rules the file's disable: leaves out.
	Disabled []string
	// Notifiers are where alerts go besides stdout, each on a route.
	Notifiers []Notifier
	// Silences hold back notifications of rules until a time.
	Silences []Silence
	// Actions are the remedies rules opt in to (flag flips, scale-downs).
	Actions []*actions.Action
	// Incidents say which rules make one incident for the notifiers,
	// besides those whose events overlap.
	Incidents Incidents
	// Warnings are problems that do not stop the config, such as a field
	// name that is not a built-in one (a typo, or an extra field).
	Warnings Errors
}

// Settings tune the detector engine and the notifications.
type Settings struct {
	Resolution time.Duration // bucket width; default 1s
	Skew       time.Duration // lateness allowed; default 5s
	TopN       int           // top offenders per alert; default 5
	// RemindEvery re-sends an incident that keeps firing to its notifiers
	// at this interval; 0 (the default) sends no reminders.
	RemindEvery time.Duration
	// GroupWait is how long an incident gathers its rules before its first
	// notification, GroupInterval the least time between two of its
	// updates; 0: alerts.DefaultGroupWait and DefaultGroupInterval.
	GroupWait, GroupInterval time.Duration
	// Site names this server in every alert; "" lets `sentinel run` use
	// the host name. Labels go on every alert too.
	Site   string
	Labels map[string]string
	// Public is the public listener of the signed links alerts carry;
	// nil (the default) leaves it off.
	Public *Public
	// Fleet is settings.fleet, or SENTINEL_REDIS_URL: the Redis that the
	// sentinels of one site share (`sentinel run` only; replay ignores it).
	Fleet fleet.Settings
}

// Incidents say which rules make one incident for the notifiers (see
// alerts.GroupOptions).
type Incidents struct {
	// Groups gives rules a group label, by rule.
	Groups map[string]string
	// Inhibit lists the rules that join, quietly, the incident of another.
	Inhibit []alerts.Inhibition
}

// GroupOptions returns the options of the notifications' grouping the
// config asks for, with site for its site (the host name when the config
// names none).
func (c *Config) GroupOptions(site string) alerts.GroupOptions {
	if c.Settings.Site != "" {
		site = c.Settings.Site
	}
	order := make(map[string]int, len(c.Rules))
	for i, r := range c.Rules {
		order[r.Name] = i
	}
	groups := maps.Clone(c.Incidents.Groups)
	for _, r := range c.Rules {
		label, ok := DefaultGroups[r.Name]
		if _, given := groups[r.Name]; ok && !given && (c.embedded || c.RuleOrigins[r.Name] == "defaults") {
			if groups == nil {
				groups = map[string]string{}
			}
			groups[r.Name] = label
		}
	}
	return alerts.GroupOptions{Wait: c.Settings.GroupWait, Interval: c.Settings.GroupInterval, RemindEvery: c.Settings.RemindEvery,
		Groups: groups, Inhibit: c.Incidents.Inhibit, Site: site, Labels: c.Settings.Labels, Order: order}
}

// DefaultGroups are the default rules' group labels (incidents: groups:),
// for the default rules a config keeps as they are and labels no other
// way. The server-error rules are one incident whenever they fire
// together, whatever their events: 5xx-sustained counts every request,
// the others the app's, and on a site whose log is mostly static files
// their events overlap under half, so an outage paged twice.
var DefaultGroups = map[string]string{
	"5xx-surge": "server-errors", "5xx-partial": "server-errors", "5xx-sustained": "server-errors", "path-5xx": "server-errors",
}

// Source is one log to read: a path (or glob) and its format.
type Source struct {
	Path   string
	Format string // a format name, or "auto"
	// Options configure the format (field mapping, pattern, time layout,
	// zone, date).
	Options parsers.Options
	Line    int // where the source is defined
}

// DefaultFile is the name under which the embedded defaults report errors.
const DefaultFile = "defaults.yaml"

//go:embed defaults.yaml
var defaultYAML []byte

// DefaultYAML returns the text of the embedded default rules.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// Default returns the embedded default rules for web access logs.
func Default() *Config {
	c, err := parse(DefaultFile, defaultYAML, os.LookupEnv, false)
	if err != nil {
		panic(fmt.Sprintf("embedded defaults are invalid: %v", err)) // a bug, caught by tests
	}
	c.embedded = true
	return c
}

// Load reads and validates the config file at path, expanding ${ENV}
// references from the process environment. Its error is an [Errors] when
// the file is invalid.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, Errors{{File: path, Msg: fmt.Sprintf("larger than the %d MiB a config may be (is it a log?)", MaxFileSize>>20)}}
	}
	return Parse(path, data, os.LookupEnv)
}

// MaxFileSize bounds a config file: ten thousand rules fit in a few MiB,
// and a file past it is more likely a log given by mistake, whose parse
// would take memory for nothing.
const MaxFileSize = 16 << 20

// Parse validates config text laid over the embedded defaults (see
// layer.go: its rules add to the defaults' or replace one by name,
// disable: drops some, defaults: false all); file names it in errors, and
// lookup resolves ${NAME} references.
func Parse(file string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	return parse(file, data, lookup, true)
}

func parse(file string, data []byte, lookup func(string) (string, bool), layered bool) (*Config, error) {
	d := &decoder{file: file, lookup: lookup}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && err != io.EOF {
		return nil, Errors{syntaxError(file, data, err)}
	}
	for {
		var extra yaml.Node
		err := dec.Decode(&extra)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, Errors{syntaxError(file, data, err)}
		}
		if len(extra.Content) == 0 || extra.Content[0].Kind == yaml.ScalarNode && extra.Content[0].Tag == "!!null" {
			continue // an empty one: a --- that ends the file holds nothing to lose
		}
		return nil, Errors{{File: file, Line: extra.Line, Msg: "a second YAML document: a config is one document (remove the ---)"}}
	}
	c := &Config{File: file, RuleLines: map[string]int{}, RuleOrigins: map[string]string{}}
	doc := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1}
	if len(root.Content) > 0 && !(root.Content[0].Kind == yaml.ScalarNode && root.Content[0].Tag == "!!null") {
		doc = root.Content[0]
	}
	if layered {
		d.layer(doc)
	}
	d.config(doc, c)
	if len(d.errs) > 0 {
		// File order (the detector's problems with the rules come last),
		// each file's errors together in the order the files came.
		files := map[string]int{}
		for _, e := range d.errs {
			if _, ok := files[e.File]; !ok {
				files[e.File] = len(files)
			}
		}
		line := func(e *Error) int {
			if e.Line == 0 {
				return math.MaxInt // the file as a whole, and "more than N problems", last
			}
			return e.Line
		}
		slices.SortStableFunc(d.errs, func(a, b *Error) int {
			return cmp.Or(cmp.Compare(files[a.File], files[b.File]), cmp.Compare(line(a), line(b)))
		})
		return nil, d.errs
	}
	c.Warnings, c.Disabled = d.warnings, d.disabled
	if len(c.Rules) == 0 {
		msg := "no rules: the defaults are left out (defaults: false, or all disabled), so the file needs at least one rule"
		if !layered {
			msg = "no rules"
		}
		return nil, Errors{{File: file, Line: 1, Field: "rules", Msg: msg}}
	}
	return c, nil
}

// EngineOptions returns the engine options the settings ask for.
func (c *Config) EngineOptions() detector.Options {
	return detector.Options{Resolution: c.Settings.Resolution, Skew: c.Settings.Skew, TopN: c.Settings.TopN}
}
