package config

import (
	"strings"
	"testing"
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
