package config

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/parsers"
)

// Tests of README "Configuration" promises no other test checked.

// TestParse_settingsDefaults: what a config leaves out takes the defaults
// README's reference config names: resolution 1s, skew 5s, top 5,
// group_wait 10s, group_interval 1m, remind_every 0, site the host name;
// a rule's severity warning, its title its name, clear 0.8; a source's
// format auto; a baseline's factor 3, sigmas off, warm-up 1h, half-life 1h,
// key_share off, one_agent_is_client false, direction up.
func TestParse_settingsDefaults(t *testing.T) {
	c, err := Parse("x.yaml", []byte(`
defaults: false
sources:
  - path: a.log
rules:
  - name: r
    detector: {type: rate, window: 1m, threshold: 1}
  - name: b
    detector: {type: baseline, window: 1m, baseline: {floor: 1/s}}
`), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Settings
	if s.Resolution != time.Second || s.Skew != 5*time.Second || s.TopN != 5 || s.RemindEvery != 0 || s.Site != "" {
		t.Errorf("Settings = %+v, want resolution 1s, skew 5s, top 5, no reminders, no site", s)
	}
	// group_wait and group_interval left at 0 take the grouper's defaults.
	if s.GroupWait != 0 || s.GroupInterval != 0 || alerts.DefaultGroupWait != 10*time.Second || alerts.DefaultGroupInterval != time.Minute {
		t.Errorf("group_wait %v (default %v), group_interval %v (default %v), want 0 → 10s and 0 → 1m",
			s.GroupWait, alerts.DefaultGroupWait, s.GroupInterval, alerts.DefaultGroupInterval)
	}
	if site := c.GroupOptions("host-a").Site; site != "host-a" {
		t.Errorf("site = %q, want the host name", site)
	}
	if eo := c.EngineOptions(); eo.Resolution != time.Second || eo.Skew != 5*time.Second || eo.TopN != 5 {
		t.Errorf("EngineOptions = %+v", eo)
	}
	if src := c.Sources[0]; src.Format != parsers.Auto {
		t.Errorf("source format = %q, want auto", src.Format)
	}
	r := c.Rules[0]
	// Clear 0 is the engine's DefaultClear (rulestate.go).
	if r.Severity != "warning" || r.Title != "" || r.Clear != 0 || detector.DefaultClear != 0.8 || r.For != 0 {
		t.Errorf("rule = severity %q, title %q, clear %v (default %v), for %v; want warning, none, 0 → 0.8, 0",
			r.Severity, r.Title, r.Clear, detector.DefaultClear, r.For)
	}
	b := c.Rules[1].Baseline
	want := detector.Baseline{Factor: 3, Floor: 1, Warmup: time.Hour, HalfLife: time.Hour}
	if b == nil || *b != want {
		t.Errorf("baseline = %+v, want %+v", b, want)
	}
}

// TestParse_thresholdForms: README's detectors table: a rate's threshold
// is `20`, `20/s`, `1200/m` or `100/h` (stored per second), a ratio's `0.3`
// or `30%`, a distinct rule's a count; a baseline's floor is a rate, or a
// count for distinct rules. A threshold in another form is an error at
// its line.
func TestParse_thresholdForms(t *testing.T) {
	rule := func(det string) string { return "defaults: false\nrules:\n  - name: r\n    detector: " + det + "\n" }
	for _, tt := range []struct {
		det   string
		want  float64
		floor bool // the baseline's floor, not the threshold
	}{
		{"{type: rate, window: 1m, threshold: 20}", 20, false},
		{"{type: rate, window: 1m, threshold: 20/s}", 20, false},
		{"{type: rate, window: 1m, threshold: 1200/m}", 20, false},
		{"{type: rate, window: 1m, threshold: 100/h}", 100.0 / 3600, false},
		{"{type: rate, window: 1m, threshold: 5/min}", 5.0 / 60, false},
		{"{type: ratio, of: {status: 500-599}, window: 1m, threshold: 0.3}", 0.3, false},
		{"{type: ratio, of: {status: 500-599}, window: 1m, threshold: 30%}", 0.3, false},
		{"{type: distinct, field: client_ip, window: 1m, threshold: 20}", 20, false},
		{"{type: baseline, window: 1m, baseline: {floor: 300/m}}", 5, true},
		{"{type: distinct, field: client_ip, window: 1m, baseline: {floor: 20}}", 20, true},
	} {
		c, err := Parse("x.yaml", []byte(rule(tt.det)), noEnv)
		if err != nil {
			t.Errorf("%s: %v", tt.det, err)
			continue
		}
		got := c.Rules[0].Threshold
		if tt.floor {
			got = c.Rules[0].Baseline.Floor
		}
		if math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: %v, want %v", tt.det, got, tt.want)
		}
	}
	for _, tt := range []struct{ det, want string }{
		{"{type: rate, window: 1m, threshold: 20/d}", `x.yaml:4: rules[0].detector.threshold: unknown unit "d" (s, m or h)`},
		{"{type: rate, window: 1m, threshold: 20/ms}", `x.yaml:4: rules[0].detector.threshold: unknown unit "ms"`},
		{"{type: rate, window: 1m, threshold: 0}", `x.yaml:4: rules[0].detector.threshold: must be a number above 0`},
		{"{type: rate, window: 1m, threshold: -5/s}", `x.yaml:4: rules[0].detector.threshold: must be a number above 0`},
		{"{type: rate, window: 1m, threshold: 20%}", `x.yaml:4: rules[0].detector.threshold: must be a number above 0`},
		{"{type: ratio, of: {status: 500-}, window: 1m, threshold: 150%}", `x.yaml:4: rules[0].detector.threshold: a ratio threshold is a share above 0 and at most 1`},
		{"{type: ratio, of: {status: 500-}, window: 1m, threshold: 0%}", `x.yaml:4: rules[0].detector.threshold: a ratio threshold is a share above 0 and at most 1`},
		{"{type: ratio, of: {status: 500-}, window: 1m, threshold: 3/s}", `x.yaml:4: rules[0].detector.threshold: a ratio threshold is a share above 0 and at most 1`},
		{"{type: baseline, window: 1m, baseline: {floor: 5/d}}", `x.yaml:4: rules[0].detector.baseline.floor: unknown unit "d"`},
	} {
		if _, err := Parse("x.yaml", []byte(rule(tt.det)), noEnv); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want prefix %q", tt.det, err, tt.want)
		}
	}
}

// TestParse_windowRange: a window is within 1s..24h (README's detectors
// table), both ends included, whatever the resolution; outside, negative
// or zero, it is an error at its line.
func TestParse_windowRange(t *testing.T) {
	rule := func(window, settings string) string {
		return "defaults: false\nrules:\n  - name: r\n    detector: {type: rate, window: " + window + ", threshold: 1/s}\n" + settings
	}
	const fine = "settings: {resolution: 100ms}\n"
	for _, w := range []string{"1s", "24h", "1h30m"} {
		for _, s := range []string{"", fine} {
			if _, err := Parse("x.yaml", []byte(rule(w, s)), noEnv); err != nil {
				t.Errorf("window %s (%q): %v", w, s, err)
			}
		}
	}
	for _, tt := range []struct{ window, settings, want string }{
		{"24h1s", "", "x.yaml:4: rules[0].detector.window: must be within 1s..24h"},
		{"25h", "", "x.yaml:4: rules[0].detector.window: must be within 1s..24h"},
		{"0s", "", "x.yaml:4: rules[0].detector.window: must be within 1s..24h"},
		{"500ms", fine, "x.yaml:4: rules[0].detector.window: must be within 1s..24h"},
		{"-30s", "", "x.yaml:4: rules[0].detector.window: must not be negative"},
		{"60", "", `x.yaml:4: rules[0].detector.window: invalid duration "60"`},
	} {
		if _, err := Parse("x.yaml", []byte(rule(tt.window, tt.settings)), noEnv); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("window %s: error %v, want prefix %q", tt.window, err, tt.want)
		}
	}
}

// TestParse_countsRequestsUnless: "A rule counts HTTP requests unless its
// match names kind, message or level" — directly, through a matcher or
// inside any:.
func TestParse_countsRequestsUnless(t *testing.T) {
	c, err := Parse("x.yaml", []byte(`
defaults: false
matchers:
  app-lines: {message: {prefix: user registered}}
rules:
  - {name: requests, match: {path: /signup}, detector: {type: rate, window: 1m, threshold: 1}}
  - {name: by-level, match: {level: error}, detector: {type: rate, window: 1m, threshold: 1}}
  - {name: by-kind, match: {kind: message}, detector: {type: rate, window: 1m, threshold: 1}}
  - {name: by-matcher, match: app-lines, detector: {type: rate, window: 1m, threshold: 1}}
  - name: by-any
    match: {any: [{message: {prefix: user registered}}, {path: /signup}]}
    detector: {type: rate, window: 1m, threshold: 1}
  - {name: everything, detector: {type: rate, window: 1m, threshold: 1}}
`), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	request := event("POST", "/signup", "", 200, "192.0.2.1", "Mozilla/5.0")
	var msg parsers.Event
	msg.Reset()
	msg.Kind = parsers.KindMessage
	msg.Path = []byte("/signup") // a message line that happens to carry a path
	msg.Level, msg.Message = []byte("error"), []byte("user registered id=42")
	want := map[string][2]bool{ // request, message
		"requests":   {true, false},
		"by-level":   {false, true},
		"by-kind":    {false, true},
		"by-matcher": {false, true},
		"by-any":     {true, true},
		"everything": {true, false},
	}
	for _, r := range c.Rules {
		w := want[r.Name]
		if got := detector.Matches(r.Match, request); got != w[0] {
			t.Errorf("%s on a request = %v, want %v", r.Name, got, w[0])
		}
		if got := detector.Matches(r.Match, &msg); got != w[1] {
			t.Errorf("%s on a message line = %v, want %v", r.Name, got, w[1])
		}
	}
}

// TestParse_matcherReplacesEmbedded: "a config's matcher of the same name
// replaces the embedded one for every rule" — the default rules that use
// it too, whose fingerprints change (a reload restarts their windows);
// the embedded matchers README names are the embedded ones, each usable
// in a config's rules.
func TestParse_matcherReplacesEmbedded(t *testing.T) {
	def := Default()
	c, err := Parse("x.yaml", []byte("matchers:\n  signup-posts: {method: POST, path: /join-us}\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	byName := func(c *Config) map[string]detector.Rule {
		m := map[string]detector.Rule{}
		for _, r := range c.Rules {
			m[r.Name] = r
		}
		return m
	}
	defRules, rules := byName(def), byName(c)
	join, register := event("POST", "/join-us", "", 302, "192.0.2.1", "x"), event("POST", "/users/register", "", 302, "192.0.2.1", "x")
	for _, name := range []string{"signup-burst", "signup-spread"} {
		r, d := rules[name], defRules[name]
		if !detector.Matches(r.Match, join) || detector.Matches(r.Match, register) {
			t.Errorf("%s: /join-us %v, /users/register %v; want the config's signup-posts", name,
				detector.Matches(r.Match, join), detector.Matches(r.Match, register))
		}
		if detector.Matches(d.Match, join) || !detector.Matches(d.Match, register) {
			t.Errorf("default %s does not use the embedded signup-posts", name)
		}
		if r.Fingerprint == d.Fingerprint {
			t.Errorf("%s kept its fingerprint under a new signup-posts", name)
		}
	}
	if rules["5xx-sustained"].Fingerprint != defRules["5xx-sustained"].Fingerprint {
		t.Error("5xx-sustained, which uses no matcher, changed its fingerprint")
	}

	// README's list of the embedded matchers is the embedded list.
	var root struct {
		Matchers map[string]yaml.Node `yaml:"matchers"`
	}
	if err := yaml.Unmarshal(DefaultYAML(), &root); err != nil {
		t.Fatal(err)
	}
	readme := []string{"signup-posts", "login-form-posts", "login-api-posts", "login-posts", "failed-logins", "password-reset-posts", "form-posts", "xmlrpc-posts", "jetpack", "challenged-clients", "static-files", "feed-polls", "verified-crawlers", "internal-clients", "host-jobs"}
	if len(root.Matchers) != len(readme) {
		t.Errorf("defaults.yaml has %d matchers, README names %d: %v", len(root.Matchers), len(readme), readme)
	}
	for _, name := range readme {
		if _, ok := root.Matchers[name]; !ok {
			t.Errorf("README names the embedded matcher %q, defaults.yaml has none", name)
		}
		text := fmt.Sprintf("rules:\n  - {name: mine, match: %s, detector: {type: rate, window: 1m, threshold: 1}}\n", name)
		if _, err := Parse("x.yaml", []byte(text), noEnv); err != nil {
			t.Errorf("match: %s: %v", name, err)
		}
	}
}

// TestParse_defaultRuleErrorLine: "errors name the file and line they
// come from (defaults.yaml:N for a default rule your settings.resolution
// does not suit)": the line is that of the default rule's window in
// defaults.yaml.
func TestParse_defaultRuleErrorLine(t *testing.T) {
	_, err := Parse("x.yaml", []byte("settings: {resolution: 7s}\n"), noEnv)
	var errs Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		t.Fatalf("Parse() error = %v, want the default rules' windows refused", err)
	}
	lines := strings.Split(string(DefaultYAML()), "\n")
	for _, e := range errs {
		if e.File != DefaultFile || !strings.HasSuffix(e.Field, ".detector.window") || e.Line < 1 || e.Line > len(lines) {
			t.Errorf("error %q, want one of defaults.yaml at a rule's window", e)
			continue
		}
		if l := strings.TrimSpace(lines[e.Line-1]); !strings.HasPrefix(l, "window:") && !strings.Contains(l, " window:") {
			t.Errorf("error %q points at defaults.yaml:%d, %q, not a window", e, e.Line, l)
		}
	}
}

// TestParse_badInputs: mistakes a user makes each give one error naming
// the file, the line and the field, never a panic; what YAML allows and a
// user may reasonably write (an anchor, an empty file) works.
func TestParse_badInputs(t *testing.T) {
	for _, tt := range []struct{ name, text, want string }{
		{"negative window", "rules:\n  - name: r\n    detector: {type: rate, window: -30s, threshold: 1/s}\n",
			"x.yaml:3: rules[0].detector.window: must not be negative"},
		{"threshold 0", "rules:\n  - name: r\n    detector: {type: rate, window: 1m, threshold: 0}\n",
			"x.yaml:3: rules[0].detector.threshold: must be a number above 0"},
		{"rate with an unknown unit", "rules:\n  - name: r\n    detector: {type: rate, window: 1m, threshold: 20/day}\n",
			`x.yaml:3: rules[0].detector.threshold: unknown unit "day" (s, m or h)`},
		{"duplicate rule name", "rules:\n  - name: r\n    detector: {type: rate, window: 1m, threshold: 1/s}\n  - name: r\n    detector: {type: rate, window: 1m, threshold: 2/s}\n",
			`x.yaml:4: rules[1].name: rule "r" is already defined on line 2`},
		{"a key twice", "rules:\n  - name: r\n    name: s\n    detector: {type: rate, window: 1m, threshold: 1/s}\n",
			"x.yaml:3: rules[0].name: defined twice"},
		{"a section twice", "settings: {top: 3}\nsettings: {top: 4}\n", "x.yaml:2: settings: defined twice"},
		{"top 0", "settings:\n  top: 0\n", "x.yaml:2: settings.top: must be within 1..128"},
		{"top past the summaries", "settings:\n  top: 129\n", "x.yaml:2: settings.top: must be within 1..128"},
		{"skew 0", "settings:\n  skew: 0s\n", "x.yaml:2: settings.skew: must be within 0 (exclusive) and 1h"},
		{"skew past a jump", "settings:\n  skew: 2h\n", "x.yaml:2: settings.skew: must be within 0 (exclusive) and 1h"},
		{"YAML merge key", "rules:\n  - name: r\n    detector: &d {type: rate, window: 1m, threshold: 1/s}\n  - name: s\n    detector:\n      <<: *d\n      threshold: 2/s\n",
			"x.yaml:6: rules[1].detector.<<: unknown key"},
		{"an anchor outside a section", "base: &b {type: rate, window: 1m, threshold: 1/s}\nrules:\n  - {name: r, detector: *b}\n",
			"x.yaml:1: base: unknown key"},
		{"a list, not a config", "- a\n- b\n", "x.yaml:1: must be a mapping, not a list"},
		{"rules as a mapping", "rules:\n  r: {detector: {type: rate, window: 1m, threshold: 1}}\n", "x.yaml:2: rules: must be a list, not a mapping"},
		{"a rule without a name", "rules:\n  - detector: {type: rate, window: 1m, threshold: 1/s}\n", "x.yaml:2: rules[0].name: required"},
		{"an empty name", "rules:\n  - name:\n    detector: {type: rate, window: 1m, threshold: 1/s}\n", "x.yaml:2: rules[0].name: must be a single value, not empty"},
		{"a typo in the type", "rules:\n  - name: r\n    detector: {type: rates, window: 1m, threshold: 1/s}\n",
			`x.yaml:3: rules[0].detector.type: unknown detector "rates"`},
		{"a window without a unit", "rules:\n  - name: r\n    detector: {type: rate, window: 60, threshold: 1/s}\n",
			`x.yaml:3: rules[0].detector.window: invalid duration "60"`},
		{"a capitalised severity", "rules:\n  - name: r\n    severity: Critical\n    detector: {type: rate, window: 1m, threshold: 1/s}\n",
			"x.yaml:3: rules[0].severity: must be one of info, warning, critical"},
		{"an empty match", "rules:\n  - name: r\n    match:\n    detector: {type: rate, window: 1m, threshold: 1/s}\n",
			"x.yaml:3: rules[0].match: must be a mapping, not empty"},
		{"a reversed range", "rules:\n  - name: r\n    match: {status: 599-500}\n    detector: {type: rate, window: 1m, threshold: 1/s}\n",
			`x.yaml:3: rules[0].match.status: invalid number or range "599-500"`},
		{"unclosed ${", "rules:\n  - name: r\n    description: '${FOO'\n    detector: {type: rate, window: 1m, threshold: 1/s}\n",
			"x.yaml:3: rules[0].description: unclosed ${"},
		{"negative for", "rules:\n  - name: r\n    for: -1s\n    detector: {type: rate, window: 1m, threshold: 1/s}\n",
			"x.yaml:3: rules[0].for: must not be negative"},
		{"negative keep_firing_for", "rules:\n  - name: r\n    keep_firing_for: -1m\n    detector: {type: rate, window: 1m, threshold: 1/s}\n",
			"x.yaml:3: rules[0].keep_firing_for: must not be negative"},
		{"clear 0", "rules:\n  - name: r\n    clear: 0\n    detector: {type: rate, window: 1m, threshold: 1/s}\n",
			"x.yaml:3: rules[0].clear: must be within 0 (exclusive) and 1"},
		{"a tab inside a line", "rules:\n  - name: r\n    detector: {type: rate, window: 1m,\tthreshold: 1/s}\n  - name: r\n    detector: {type: rate, window: 1m, threshold: 1/s}\n",
			`x.yaml:4: rules[1].name: rule "r" is already defined on line 2`}, // the tab is fine: a flow's white space
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.text), noEnv)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Parse() error = %v, want prefix %q", err, tt.want)
			}
		})
	}

	// An anchor in a section, reused by alias, is YAML: both rules get it.
	c, err := Parse("x.yaml", []byte("defaults: false\nrules:\n  - name: r\n    detector: &d {type: rate, window: 1m, threshold: 2/s}\n  - name: s\n    detector: *d\n"), noEnv)
	if err != nil || len(c.Rules) != 2 || c.Rules[1].Threshold != 2 {
		t.Errorf("an aliased detector: %v, %+v", err, c)
	}
	// A file with no config in it is the defaults.
	for _, text := range []string{"", "# nothing yet\n", "---\n", "\n\n"} {
		c, err := Parse("x.yaml", []byte(text), noEnv)
		if err != nil || len(c.Rules) != len(Default().Rules) {
			t.Errorf("Parse(%q) = %v; want the default rules", text, err)
		}
	}
}

// TestParse_hugeConfig: a config of thousands of rules loads; one of
// thousands of problems reports the first 100 at their lines and says
// there are more, rather than flooding the terminal.
func TestParse_hugeConfig(t *testing.T) {
	var b strings.Builder
	b.WriteString("defaults: false\nrules:\n")
	for i := range 2000 {
		fmt.Fprintf(&b, "  - name: r%d\n    match: {path: /p%d}\n    detector: {type: rate, window: 1m, threshold: 1/s}\n", i, i)
	}
	fmt.Fprintf(&b, "  - name: long\n    description: %q\n    detector: {type: rate, window: 1m, threshold: 1/s}\n", strings.Repeat("y", 1<<19))
	c, err := Parse("x.yaml", []byte(b.String()), noEnv)
	if err != nil {
		t.Fatalf("2001 rules: %.300v", err)
	}
	if len(c.Rules) != 2001 {
		t.Fatalf("got %d rules, want 2001", len(c.Rules))
	}

	b.Reset()
	b.WriteString("defaults: false\nrules:\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "  - name: r%d\n    detector: {type: rate, window: 1m, threshold: 0}\n", i)
	}
	_, err = Parse("x.yaml", []byte(b.String()), noEnv)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse() = %.300v, want Errors", err)
	}
	if len(errs) != 101 || !strings.HasPrefix(errs[0].Error(), "x.yaml:4: rules[0].detector.threshold:") ||
		!strings.HasPrefix(errs[99].Error(), "x.yaml:202: rules[99].detector.threshold:") ||
		errs[100].Error() != "x.yaml: more than 100 problems; fix these first" {
		t.Errorf("%d errors, first %q, last %q; want 100 at their lines and a last one saying there are more",
			len(errs), errs[0], errs[len(errs)-1])
	}
}

// TestParse_unknownKeys: a config decodes strictly: an unknown key is an
// error at its line, at every level (a field name in a match block is a
// warning instead: TestParse_warnings).
func TestParse_unknownKeys(t *testing.T) {
	const rule = "rules:\n  - name: r\n"
	for _, tt := range []struct{ text, want string }{
		{"rulez: []\n", "x.yaml:1: rulez: unknown key (known: settings, sources, matchers, rules,"},
		{"settings: {resolutoin: 1s}\n", "x.yaml:1: settings.resolutoin: unknown key"},
		{"sources:\n  - {path: a.log, formt: auto}\n", "x.yaml:2: sources[0].formt: unknown key"},
		{rule + "    detector: {type: rate, window: 1m, treshold: 1/s}\n", "x.yaml:3: rules[0].detector.treshold: unknown key"},
		{rule + "    detector: {type: baseline, window: 1m, baseline: {floor: 1/s, factr: 4}}\n", "x.yaml:3: rules[0].detector.baseline.factr: unknown key"},
		{rule + "    match: {path: {prefx: /api}}\n    detector: {type: rate, window: 1m, threshold: 1/s}\n", "x.yaml:3: rules[0].match.path.prefx: unknown key"},
		{rule + "    critical_when: {colds: 80%}\n    detector: {type: rate, window: 1m, threshold: 1/s}\n", "x.yaml:3: rules[0].critical_when.colds: unknown key"},
		{"silences:\n  - {rule: signup-burst, untill: 2026-12-01T08:00:00Z}\n", "x.yaml:2: silences[0].untill: unknown key"},
		{"incidents:\n  group: {a: [signup-burst]}\n", "x.yaml:2: incidents.group: unknown key"},
	} {
		if _, err := Parse("x.yaml", []byte(tt.text), noEnv); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want prefix %q", tt.text, err, tt.want)
		}
	}
}

// TestParse_envAnyValue: "${NAME} in any value is replaced by the
// environment variable NAME" — durations, thresholds, ranges, networks,
// fields and labels too; a variable's value is taken as it is, never
// expanded again.
func TestParse_envAnyValue(t *testing.T) {
	env := map[string]string{"W": "90s", "T": "1200/m", "SEV": "critical", "S": "500-", "NET": "10.0.0.0/8",
		"GB": "client_ip", "ENV": "prod", "RAW": "${UNSET}$$"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c, err := Parse("x.yaml", []byte(`
defaults: false
settings: {labels: {env: "${ENV}"}}
rules:
  - name: r
    description: "${RAW}"
    severity: ${SEV}
    match: {status: "${S}", client_ip: {cidr: "${NET}"}}
    group_by: ${GB}
    detector: {type: rate, window: "${W}", threshold: "${T}"}
`), lookup)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Rules[0]
	if r.Window != 90*time.Second || r.Threshold != 20 || r.Severity != "critical" || r.GroupBy == nil || r.GroupBy.Name != "client_ip" ||
		c.Settings.Labels["env"] != "prod" || r.Description != "${UNSET}$$" {
		t.Errorf("rule = %+v, labels %v", r, c.Settings.Labels)
	}
	if !detector.Matches(r.Match, event("GET", "/", "", 502, "10.1.2.3", "x")) || detector.Matches(r.Match, event("GET", "/", "", 502, "192.0.2.1", "x")) ||
		detector.Matches(r.Match, event("GET", "/", "", 404, "10.1.2.3", "x")) {
		t.Error("match does not hold status 500- from 10.0.0.0/8")
	}
}
