package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sentinel-dev/sentinel/detector"
)

// Tests of README "Configuration" promises the code or the docs once
// broke: each failed before its fix.

// TestREADME_referenceConfig: README's reference config (the block that
// starts `defaults: true`) is valid once its variables are set and its
// url_file exists. It used to disable traffic-drop and then name it in
// incidents.inhibit and silences, and group a rule "registrations" that
// it never defined.
func TestREADME_referenceConfig(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(defaults: true .*?)```").FindSubmatch(data)
	if m == nil {
		t.Fatal("README has no reference config starting `defaults: true`")
	}
	hook := filepath.Join(t.TempDir(), "slack-webhook")
	if err := os.WriteFile(hook, []byte("https://hooks.slack.com/services/T0/B0/XYZ\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(m[1]), "/etc/sentinel/slack-webhook", hook, 1)
	env := map[string]string{"SENTINEL_NTFY_URL": "https://ntfy.sh/a-long-secret-topic", "SENTINEL_WEBHOOK_SECRET": "s3cret",
		"SENTINEL_SMTP_URL": "smtp://mail.example.com:587"}
	if _, err := Parse("README.md", []byte(text), func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Errorf("README's reference config is invalid:\n%v", err)
	}
}

// TestREADME_defaultsErrorLine: README's example of an error in a default
// rule, `defaults.yaml:N` for a resolution the rule does not suit, names a
// line an error can name: a default rule's window.
func TestREADME_defaultsErrorLine(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("`defaults\\.yaml:(\\d+)` for a default rule").FindSubmatch(data)
	if m == nil {
		t.Fatal("README no longer gives a defaults.yaml:N example")
	}
	n, _ := strconv.Atoi(string(m[1]))
	lines := strings.Split(string(DefaultYAML()), "\n")
	if n < 1 || n > len(lines) || !strings.HasPrefix(strings.TrimSpace(lines[n-1]), "window:") {
		t.Errorf("README's example defaults.yaml:%d is %q, not a rule's window", n, strings.TrimSpace(lines[max(0, min(n, len(lines))-1)]))
	}
}

// TestParse_syntaxErrorLines: a YAML syntax error names the line of the
// mistake ("errors name the file and line they come from"). yaml.v3 names
// the line before it for a tab in the indentation or an unclosed [ (its
// parser's marks count from 0), and no line for an unknown alias.
func TestParse_syntaxErrorLines(t *testing.T) {
	for _, tt := range []struct{ name, text, want string }{
		{"a tab in the indentation", "settings:\n  top: 3\n\tskew: 5s\n", "x.yaml:3:"},
		{"a tab in a match block", "rules:\n  - name: r\n    match:\n      path: /x\n\t  method: POST\n    detector: {type: rate, window: 1m, threshold: 1/s}\n", "x.yaml:5:"},
		{"an unclosed [", "defaults: false\nrules:\n  - name: r\n    detector:\n      type: rate\n      window: 1m\n      threshold: [1/s\n", "x.yaml:7:"},
		{"an unknown alias", "rules:\n  - name: r\n    detector: *detector\n", "x.yaml:3:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.text), noEnv)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Parse() error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

// TestParse_secondDocument: a file of two YAML documents is refused: the
// second is not read, and its rules would silently not run.
func TestParse_secondDocument(t *testing.T) {
	text := "rules:\n  - {name: a, detector: {type: rate, window: 1m, threshold: 1}}\n---\nrules:\n  - {name: b, detector: {type: rate, window: 1m, threshold: 1}}\n"
	c, err := Parse("x.yaml", []byte(text), noEnv)
	if err == nil || !strings.HasPrefix(err.Error(), "x.yaml:3:") {
		var names []string
		if c != nil {
			for _, r := range c.Rules[:2] {
				names = append(names, r.Name)
			}
		}
		t.Errorf("Parse() error = %v (first rules %v), want one at the second document, x.yaml:3", err, names)
	}
}

// TestParse_emptyBlocks: an empty exclude: or not: block is refused like
// an empty field condition ("no condition"): it held for every event,
// so the rule silently never counted anything.
func TestParse_emptyBlocks(t *testing.T) {
	for _, tt := range []struct{ name, text, want string }{
		{"exclude", "rules:\n  - name: r\n    exclude: {}\n    detector: {type: rate, window: 1m, threshold: 1/s}\n", "x.yaml:3: rules[0].exclude:"},
		{"not", "rules:\n  - name: r\n    match: {not: {}}\n    detector: {type: rate, window: 1m, threshold: 1/s}\n", "x.yaml:3: rules[0].match.not:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("x.yaml", []byte(tt.text), noEnv)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				matches := false
				if err == nil {
					matches = detector.Matches(c.Rules[0].Match, event("GET", "/", "", 200, "192.0.2.1", "Mozilla/5.0"))
				}
				t.Errorf("Parse() error = %v (the rule counts a request: %v), want prefix %q", err, matches, tt.want)
			}
		})
	}
}

// TestParse_envMatcherName: "${NAME} in any value": a match block that is
// a matcher's name too, as it is after matcher:.
func TestParse_envMatcherName(t *testing.T) {
	lookup := func(k string) (string, bool) { return "signup-posts", k == "M" }
	for _, match := range []string{`{matcher: "${M}"}`, "${M}"} {
		text := "rules:\n  - name: r\n    match: " + match + "\n    detector: {type: rate, window: 1m, threshold: 1/s}\n"
		if _, err := Parse("x.yaml", []byte(text), lookup); err != nil {
			t.Errorf("match: %s: %v", match, err)
		}
	}
}

// TestParse_defaultsFalseMatchers: "The embedded matchers … can be used in
// your rules": with defaults: false too, which leaves out the default
// rules, not the vocabulary.
func TestParse_defaultsFalseMatchers(t *testing.T) {
	text := "defaults: false\nrules:\n  - name: signups\n    match: signup-posts\n    detector: {type: rate, window: 30s, threshold: 1/s}\n"
	if _, err := Parse("x.yaml", []byte(text), noEnv); err != nil {
		t.Errorf("defaults: false, match: signup-posts: %v", err)
	}
}

// TestLoad_tooLarge: a config file past MaxFileSize (a log given by
// mistake) is refused before it is parsed, naming the file.
func TestLoad_tooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	line := "# 203.0.113.9 - - [27/Nov/2026:01:20:00 +0000] \"GET / HTTP/1.1\" 200 512\n"
	if err := os.WriteFile(path, []byte(strings.Repeat(line, MaxFileSize/len(line)+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.HasPrefix(err.Error(), path+": larger than the 16 MiB") {
		t.Errorf("Load() error = %v, want the file too large", err)
	}
}

// TestParse_emptyVariableName: ${} names no variable, and says so.
func TestParse_emptyVariableName(t *testing.T) {
	text := "rules:\n  - name: r\n    description: costs ${}\n    detector: {type: rate, window: 1m, threshold: 1}\n"
	if _, err := Parse("x.yaml", []byte(text), noEnv); err == nil || err.Error() != "x.yaml:3: rules[0].description: ${} names no environment variable (write $$ for a literal $)" {
		t.Errorf("Parse() error = %v", err)
	}
}
