package config

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sentinel-dev/sentinel/detector"
)

// Tests of README "Configuration" promises, each checked against the
// code by an audit.

// TestAudit_syntaxErrorLine: "errors name the file and line they come
// from", a YAML mistake too. yaml.v3 names no line for a mistake on the
// first line (its marks count from 0, and it leaves out line 0), nor for
// a byte it cannot read (a control character, bad UTF-8), wherever it is.
func TestAudit_syntaxErrorLine(t *testing.T) {
	for _, tt := range []struct{ name, text, want string }{
		{"a flow list on the first line", "disable: [${X}]\n", "x.yaml:1:"},
		{"a stray brace on the first line", "settings: {top: 3}}\n", "x.yaml:1:"},
		{"a mapping value on the first line", "settings: top: 3\n", "x.yaml:1:"},
		{"a control character", "settings:\n  top: 3\n  site: web\x1b[0m\n", "x.yaml:3:"},
		{"a control character in a quoted value", "settings:\n  top: 3\n  site: \"web\x01\"\n", "x.yaml:3:"},
		{"a byte that is not UTF-8", "settings:\n  top: 3\n  site: web\xff\n", "x.yaml:3:"},
		{"a cut UTF-8 sequence", "settings:\n  top: 3\n  site: web\xc3\n", "x.yaml:3:"},
		{"a control character far down", strings.Repeat("# a comment line\n", 2000) + "settings:\n  site: \"web\x7f\"\n", "x.yaml:2002:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.text), noEnv)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Parse() error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

// TestAudit_emptyBlockEverywhere: README promised "an empty exclude: {}
// or not: {} is refused: it would leave out every event". An empty block
// written as an item of any:, or as a matcher named by exclude: or not:,
// holds for every event just the same (any: [{}, {path: /x}] holds for all
// of them): it is refused at its line too.
func TestAudit_emptyBlockEverywhere(t *testing.T) {
	const det = "    detector: {type: rate, window: 1m, threshold: 1/s}\n"
	for _, tt := range []struct{ name, text, want string }{
		{"exclude any", "rules:\n  - name: r\n    exclude: {any: [{path: /x}, {}]}\n" + det, "x.yaml:3: rules[0].exclude.any[1]:"},
		{"not any", "rules:\n  - name: r\n    match: {not: {any: [{}]}}\n" + det, "x.yaml:3: rules[0].match.not.any[0]:"},
		{"match any", "rules:\n  - name: r\n    match:\n      any:\n        - {path: /signup}\n        - {}\n" + det, "x.yaml:6: rules[0].match.any[1]:"},
		{"exclude an empty matcher", "matchers:\n  staff: {}\nrules:\n  - name: r\n    exclude: staff\n" + det, "x.yaml:2: matchers.staff:"},
		{"not an empty matcher", "matchers:\n  staff: {}\nrules:\n  - name: r\n    match: {method: POST, not: {matcher: staff}}\n" + det, "x.yaml:2: matchers.staff:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("x.yaml", []byte(tt.text), noEnv)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				counts := false
				if err == nil {
					counts = detector.Matches(c.Rules[0].Match, event("POST", "/signup", "", 200, "192.0.2.1", "Mozilla/5.0"))
				}
				t.Errorf("Parse() error = %v (the rule counts a POST /signup: %v), want prefix %q", err, counts, tt.want)
			}
		})
	}
}

// TestAudit_ignoreCaseOnText: README gives ignore_case: true with the
// text conditions (prefix, suffix, contains), and they fold case; with
// equals, in or regex it did nothing, and `method: {equals: post,
// ignore_case: true}` silently never counted a POST. It is refused there,
// at its line.
func TestAudit_ignoreCaseOnText(t *testing.T) {
	const det = "    detector: {type: rate, window: 1m, threshold: 1/s}\n"
	text := "rules:\n  - name: r\n    match: {path: {prefix: [/API/, /v2/], ignore_case: true}, user_agent: {contains: Python, ignore_case: true}}\n" + det
	c, err := Parse("x.yaml", []byte(text), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if !detector.Matches(c.Rules[0].Match, event("GET", "/api/users", "", 200, "192.0.2.1", "python-requests/2.31")) {
		t.Errorf("prefix: /API/ and contains: Python with ignore_case: true do not match /api/users from python-requests")
	}
	for _, tt := range []struct{ name, cond, want string }{
		{"equals", "{equals: post, ignore_case: true}", "x.yaml:3: rules[0].match.method.ignore_case:"},
		{"in", "{in: [post, put], ignore_case: true}", "x.yaml:3: rules[0].match.method.ignore_case:"},
		{"regex", "{regex: '^post$', ignore_case: true}", "x.yaml:3: rules[0].match.method.ignore_case:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text := "rules:\n  - name: r\n    match: {method: " + tt.cond + "}\n" + det
			c, err := Parse("x.yaml", []byte(text), noEnv)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				counts := false
				if err == nil {
					counts = detector.Matches(c.Rules[0].Match, event("POST", "/signup", "", 200, "192.0.2.1", "Mozilla/5.0"))
				}
				t.Errorf("Parse() error = %v (the rule counts a POST: %v), want prefix %q", err, counts, tt.want)
			}
		})
	}
}

// TestAudit_numberIsFinite: "for status, bytes, duration: a number or a
// range". NaN and Inf parse as floats but are no number a request has:
// `status: NaN` was accepted and never held. They are refused.
func TestAudit_numberIsFinite(t *testing.T) {
	for _, v := range []string{"NaN", "inf", "-Inf", "[404, nan]", "{range: 500-inf}", "{equals: NaN}"} {
		t.Run(v, func(t *testing.T) {
			text := "rules:\n  - name: r\n    match: {status: " + v + "}\n    detector: {type: rate, window: 1m, threshold: 1/s}\n"
			if _, err := Parse("x.yaml", []byte(text), noEnv); err == nil || !strings.HasPrefix(err.Error(), "x.yaml:3: rules[0].match.status") {
				t.Errorf("status: %s: Parse() error = %v, want one at x.yaml:3", v, err)
			}
		})
	}
}

// TestAudit_envRuleNameReplaces: "${NAME} in any value is replaced" and
// "a rule named as a default one replaces it", a rule's name too: a
// rule named ${RULE}, with RULE=signup-burst, replaces the default
// signup-burst. The layering read the name unexpanded and kept the
// default, and the config failed with "rule "signup-burst" is already
// defined" at defaults.yaml.
func TestAudit_envRuleNameReplaces(t *testing.T) {
	text := "rules:\n  - name: ${RULE}\n    detector: {type: rate, window: 30s, threshold: 5/s}\ndisable: [\"${OFF}\"]\n"
	env := map[string]string{"RULE": "signup-burst", "OFF": "traffic-drop"}
	c, err := Parse("x.yaml", []byte(text), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.RuleOrigins["signup-burst"], "x.yaml:2, replacing the default"; got != want {
		t.Errorf("signup-burst comes from %q, want %q", got, want)
	}
	if _, ok := c.RuleOrigins["traffic-drop"]; ok {
		t.Errorf("traffic-drop is a rule, want it disabled")
	}
	if got, want := len(c.Rules), len(Default().Rules)-1; got != want {
		t.Errorf("%d rules, want %d: the defaults, one replaced, one disabled", got, want)
	}
}

// TestAudit_closedFieldValues: kind is "request or message", cold is
// "true" when the client loaded nothing lately, and crawler is one of
// googlebot, bingbot, applebot, ahrefsbot (README, Match blocks). An
// equality on any other value (kind: requests, cold: yes, crawler:
// Googlebot) was accepted and never held; it is refused at its line,
// naming the values the field takes.
func TestAudit_closedFieldValues(t *testing.T) {
	const det = "    detector: {type: rate, window: 1m, threshold: 1/s}\n"
	for _, cond := range []string{"kind: request", "kind: [request, message]", "cold: true", "cold: 'false'",
		"crawler: [googlebot, bingbot, applebot, ahrefsbot]", "crawler: {present: true}", "crawler: {prefix: google}",
		"program_client: true", "program_client: 'false'", "no_pause: true"} {
		if _, err := Parse("x.yaml", []byte("rules:\n  - name: r\n    match: {"+cond+"}\n"+det), noEnv); err != nil {
			t.Errorf("match: {%s}: %v", cond, err)
		}
	}
	for _, tt := range []struct{ cond, want string }{
		{"kind: requests", `x.yaml:3: rules[0].match.kind: "requests" is no value of kind (request, message)`},
		{"kind: {in: [request, msg]}", `x.yaml:3: rules[0].match.kind.in: "msg" is no value of kind (request, message)`},
		{"cold: yes", `x.yaml:3: rules[0].match.cold: "yes" is no value of cold (true, false)`},
		{"no_pause: 3s", `x.yaml:3: rules[0].match.no_pause: "3s" is no value of no_pause (true, false)`},
		{"program_client: curl", `x.yaml:3: rules[0].match.program_client: "curl" is no value of program_client (true, false)`},
		{"crawler: Googlebot", `x.yaml:3: rules[0].match.crawler: "Googlebot" is no value of crawler (googlebot, bingbot, applebot, ahrefsbot)`},
	} {
		t.Run(tt.cond, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte("rules:\n  - name: r\n    match: {"+tt.cond+"}\n"+det), noEnv)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse() error = %v, want %s", err, tt.want)
			}
		})
	}
}

// TestAudit_clientNetCIDR: client_net is "the client's /24, or /64 for
// IPv6", and cidr: holds for "addresses in networks". On client_net, cidr:
// never held (its value, 10.1.2.0/24, is a network, not an address), so
// `exclude: {client_net: {cidr: 10.0.0.0/8}}` silently left nobody out.
// A network holds when all of it is inside one of the prefixes.
func TestAudit_clientNetCIDR(t *testing.T) {
	for _, tt := range []struct {
		cidr, ip string
		want     bool
	}{
		{"10.0.0.0/8", "10.1.2.3", true},
		{"10.1.2.0/24", "10.1.2.3", true},
		{"10.1.2.0/23", "10.1.3.3", true},
		{"10.1.2.128/25", "10.1.2.200", false}, // its /24 is not all in the /25
		{"10.1.2.0/25", "10.1.2.3", false},     // nor in this one, which holds its address
		{"'2001:db8:1:2::/80'", "2001:db8:1:2::7", false},
		{"10.0.0.0/8", "192.0.2.1", false},
		{"'2001:db8::/32'", "2001:db8:1:2::7", true},
		{"'2001:db8:1:2::/64'", "2001:db8:1:3::7", false},
		{"10.0.0.0/8", "", false},
	} {
		t.Run(tt.cidr+" "+tt.ip, func(t *testing.T) {
			text := "rules:\n  - name: r\n    match: {client_net: {cidr: " + tt.cidr + "}}\n    detector: {type: rate, window: 1m, threshold: 1/s}\n"
			c, err := Parse("x.yaml", []byte(text), noEnv)
			if err != nil {
				t.Fatal(err)
			}
			if got := detector.Matches(c.Rules[0].Match, event("GET", "/", "", 200, tt.ip, "Mozilla/5.0")); got != tt.want {
				t.Errorf("client_net: {cidr: %s} holds for a client %s: %v, want %v", tt.cidr, tt.ip, got, tt.want)
			}
		})
	}
}

// TestAudit_embeddedMatchersListed: "The embedded matchers (…) can be
// used in your rules, with defaults: false too": README lists every
// matcher of defaults.yaml and no other, and a rule of a defaults: false
// config can name each.
func TestAudit_embeddedMatchersListed(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)The embedded\s+matchers \((.*?)\) can be used`).FindSubmatch(data)
	if m == nil {
		t.Fatal("README no longer lists the embedded matchers")
	}
	var listed []string
	for _, x := range regexp.MustCompile("`([^`]+)`").FindAllSubmatch(m[1], -1) {
		listed = append(listed, string(x[1]))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(DefaultYAML(), &root); err != nil {
		t.Fatal(err)
	}
	var embedded []string
	if ms := mappingValue(root.Content[0], "matchers"); ms != nil {
		for i := 0; i+1 < len(ms.Content); i += 2 {
			embedded = append(embedded, ms.Content[i].Value)
		}
	}
	slices.Sort(listed)
	slices.Sort(embedded)
	if !slices.Equal(listed, embedded) {
		t.Errorf("README lists the embedded matchers %v; defaults.yaml has %v", listed, embedded)
	}
	for _, name := range embedded {
		text := "defaults: false\nrules:\n  - name: r\n    match: {matcher: " + name + "}\n    detector: {type: rate, window: 1m, threshold: 1/s}\n"
		if _, err := Parse("x.yaml", []byte(text), noEnv); err != nil {
			t.Errorf("defaults: false, matcher: %s: %v", name, err)
		}
	}
}

// TestAudit_trailingDocumentMarker: "A config is one YAML document (a
// second, after ---, is refused)". A file that ends with a --- and
// nothing after it (some generators write one) holds one document: it
// was refused as "a second YAML document". A second one with content
// still is.
func TestAudit_trailingDocumentMarker(t *testing.T) {
	for _, text := range []string{"settings: {top: 3}\n---\n", "settings: {top: 3}\n---\n# the end\n", "---\nsettings: {top: 3}\n---\n---\n"} {
		if _, err := Parse("x.yaml", []byte(text), noEnv); err != nil {
			t.Errorf("Parse(%q) error = %v, want none", text, err)
		}
	}
	text := "settings: {top: 3}\n---\n---\nrules: []\n"
	if _, err := Parse("x.yaml", []byte(text), noEnv); err == nil || !strings.HasPrefix(err.Error(), "x.yaml:3: a second YAML document") {
		t.Errorf("Parse(%q) error = %v, want a second document at its --- on x.yaml:3", text, err)
	}
}

// TestAudit_refToDisabledRule: "A notifier, silence, group or inhibition
// naming a rule that does not exist is an error at its line". A default
// rule the file disables is such a rule, and the error says so rather
// than that no rule has the name (README's own reference config once
// disabled traffic-drop and then silenced it).
func TestAudit_refToDisabledRule(t *testing.T) {
	text := "disable: [traffic-drop]\nsilences:\n  - {rule: traffic-drop, until: 2026-12-01T08:00:00Z}\n"
	want := `x.yaml:3: silences[0].rule: rule "traffic-drop" is a default rule this file disables (disable:)`
	if _, err := Parse("x.yaml", []byte(text), noEnv); err == nil || err.Error() != want {
		t.Errorf("Parse() error = %v, want %s", err, want)
	}
}

// TestAudit_neverLoggedValues: a method written in lower case, or a path
// with a query string, never matches a log line (methods are logged
// upper case; the query is its own field): `check` warns at the line,
// where nothing said so. ignore_case on a text condition is no mistake.
func TestAudit_neverLoggedValues(t *testing.T) {
	for _, tt := range []struct{ match, want string }{
		{`{method: post, path: /login}`, `x.yaml:4: rules[0].match.method: "post": methods are logged as clients send them, in upper case (POST)`},
		{`{method: [GET, Post]}`, `x.yaml:4: rules[0].match.method: "Post": methods are logged`},
		{`{path: "/search?q=x"}`, `x.yaml:4: rules[0].match.path: "/search?q=x": a path never holds the query string`},
		{`{path: {prefix: "/search?"}}`, `x.yaml:4: rules[0].match.path: "/search?": a path never holds the query string`},
		{`{route: "/orders/:id?x=1"}`, `x.yaml:4: rules[0].match.route: "/orders/:id?x=1": a route never holds the query string`},
	} {
		text := "rules:\n  - name: r\n    detector: {type: rate, window: 1m, threshold: 1/s}\n    match: " + tt.match + "\n"
		c, err := Parse("x.yaml", []byte(text), noEnv)
		if err != nil {
			t.Errorf("%s: %v", tt.match, err)
			continue
		}
		if w := c.Warnings.Error(); !strings.Contains(w, tt.want) {
			t.Errorf("%s: warnings %q, want %q", tt.match, w, tt.want)
		}
	}
	for _, match := range []string{`{method: POST, path: /login}`, `{path: {prefix: /Search, ignore_case: true}}`, `{method: {contains: p, ignore_case: true}}`} {
		text := "rules:\n  - name: r\n    detector: {type: rate, window: 1m, threshold: 1/s}\n    match: " + match + "\n"
		c, err := Parse("x.yaml", []byte(text), noEnv)
		if err != nil || len(c.Warnings) != 0 {
			t.Errorf("%s: %v, warnings %v; want none", match, err, c.Warnings)
		}
	}
}

// TestAudit_keyShareZeroIsOff: README: key_share's "default: off";
// writing 0 (or 0%) says the same, where it was refused as "a share
// above 0".
func TestAudit_keyShareZeroIsOff(t *testing.T) {
	for _, v := range []string{"0", "0%"} {
		text := "rules:\n  - name: r\n    detector: {type: rate, per_key: true, window: 1m, baseline: {factor: 4, floor: 5/s, key_share: " + v + "}}\n    group_by: client_ip\n"
		c, err := Parse("x.yaml", []byte(text), noEnv)
		if err != nil {
			t.Errorf("key_share: %s: %v", v, err)
			continue
		}
		i := slices.IndexFunc(c.Rules, func(r detector.Rule) bool { return r.Name == "r" })
		if i < 0 || c.Rules[i].Baseline == nil || c.Rules[i].Baseline.KeyShare != 0 {
			t.Errorf("key_share: %s: rule r %+v, want a baseline without a key share", v, c.Rules)
		}
	}
	text := "rules:\n  - name: r\n    detector: {type: rate, per_key: true, window: 1m, baseline: {factor: 4, floor: 5/s, key_share: -5%}}\n    group_by: client_ip\n"
	if _, err := Parse("x.yaml", []byte(text), noEnv); err == nil {
		t.Error("key_share: -5% accepted")
	}
}
