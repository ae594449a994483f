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
	"math"
	"os"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/fleet"
	"github.com/sentinel-dev/sentinel/parsers"
)

// Config is a loaded, validated configuration.
type Config struct {
	// File is the path the config came from ("(defaults)" for the
	// embedded rules).
	File     string
	Settings Settings
	Sources  []Source
	Rules    []detector.Rule
	// RuleLines gives the line of each rule's definition, by name.
	RuleLines map[string]int
	// Notifiers are where alerts go besides stdout, each on a route.
	Notifiers []Notifier
	// Silences hold back notifications of rules until a time.
	Silences []Silence
	// Actions are the remedies rules opt in to (flag flips, scale-downs).
	Actions []*actions.Action
	// Warnings are problems that do not stop the config, such as a field
	// name that is not a built-in one (a typo, or an extra field).
	Warnings Errors
}

// Settings tune the detector engine.
type Settings struct {
	Resolution time.Duration // bucket width; default 1s
	Skew       time.Duration // lateness allowed; default 5s
	TopN       int           // top offenders per alert; default 5
	// RemindEvery re-sends a rule that keeps firing to its notifiers at
	// this interval; 0 (the default) sends no reminders.
	RemindEvery time.Duration
	// Fleet is settings.fleet, or SENTINEL_REDIS_URL: the Redis that the
	// sentinels of one site share (`sentinel run` only; replay ignores it).
	Fleet fleet.Settings
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
	c, err := Parse(DefaultFile, defaultYAML, os.LookupEnv)
	if err != nil {
		panic(fmt.Sprintf("embedded defaults are invalid: %v", err)) // a bug, caught by tests
	}
	return c
}

// Load reads and validates the config file at path, expanding ${ENV}
// references from the process environment. Its error is an [Errors] when
// the file is invalid.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse validates config text; file names it in errors, and lookup
// resolves ${NAME} references.
func Parse(file string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	d := &decoder{file: file, lookup: lookup, nodes: map[string]*yaml.Node{}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Errors{syntaxError(file, err)}
	}
	c := &Config{File: file, RuleLines: map[string]int{}}
	if len(root.Content) > 0 {
		d.config(root.Content[0], c)
	}
	if len(d.errs) > 0 {
		// File order: the detector's problems with the rules come last.
		line := func(e *Error) int {
			if e.Line == 0 {
				return math.MaxInt // the file as a whole, and "more than N problems", last
			}
			return e.Line
		}
		slices.SortStableFunc(d.errs, func(a, b *Error) int { return cmp.Compare(line(a), line(b)) })
		return nil, d.errs
	}
	c.Warnings = d.warnings
	if len(c.Rules) == 0 {
		return nil, Errors{{File: file, Line: 1, Field: "rules", Msg: "no rules: a config replaces the defaults, so it needs at least one rule"}}
	}
	return c, nil
}

// EngineOptions returns the engine options the settings ask for.
func (c *Config) EngineOptions() detector.Options {
	return detector.Options{Resolution: c.Settings.Resolution, Skew: c.Settings.Skew, TopN: c.Settings.TopN}
}
