package config

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

func TestParse_actions(t *testing.T) {
	env := map[string]string{"FLAGS_TOKEN": "tok-SECRET-123", "HMAC": "hmac-secret"}
	text := oneRule + `
actions:
  - name: signups-off
    rules: [r, s]
    webhook:
      method: PATCH
      url: https://flags.example.com/api/flags/signups
      headers: {Authorization: "Bearer ${FLAGS_TOKEN}"}
      body: '{"enabled": false}'
      secret: ${HMAC}
    revert:
      body: '{"enabled": true}'
    revert_after: 15m
    max_duration: 2h
    cooldown: 1h
    max_per_hour: 1
    max_per_day: 2
    timeout: 3s
    retries: 5
  - name: block
    rules: r
    exec:
      command: [sh, -c, 'echo {{join .Keys " "}}']
    dry_run: true
`
	c, err := Parse("x.yaml", []byte(text), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Actions) != 2 {
		t.Fatalf("got %d actions, want 2", len(c.Actions))
	}
	a := c.Actions[0]
	if a.Name != "signups-off" || len(a.Rules) != 2 || a.RevertAfter != 15*time.Minute || a.MaxDuration != 2*time.Hour ||
		a.Cooldown != time.Hour || a.MaxPerHour != 1 || a.MaxPerDay != 2 || a.Retries != 5 || a.DryRun || a.Line != 6 {
		t.Errorf("signups-off = %+v", a)
	}
	if got := a.Do.String(); got != "PATCH https://flags.example.com/api/flags/signups" {
		t.Errorf("Do = %s", got)
	}
	if a.Undo == nil || a.Undo.String() != a.Do.String() { // the revert inherits method and url
		t.Errorf("Undo = %v", a.Undo)
	}
	b := c.Actions[1]
	if !b.DryRun || b.Undo != nil || b.Cooldown != actions.DefaultCooldown || b.MaxPerDay != actions.DefaultMaxPerDay ||
		!strings.HasPrefix(b.Do.String(), "exec sh -c") {
		t.Errorf("block = %+v (%s)", b, b.Do)
	}
	if w := c.Warnings.Error(); !strings.Contains(w, "x.yaml:23: actions[1].revert: no revert") {
		t.Errorf("warnings = %v, want one for the action without a revert", w)
	}
}

func TestParse_actionErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"no name", "actions:\n  - {rules: [r], webhook: {url: https://x}}\n", "x.yaml:5: actions[0].name: required"},
		{"no rules", "actions:\n  - {name: a, webhook: {url: https://x}}\n", "x.yaml:5: actions[0].rules: required"},
		{"unknown rule", "actions:\n  - {name: a, rules: [signup-brust], webhook: {url: https://x}}\n",
			`x.yaml:5: actions[0].rules: no rule is named "signup-brust"`},
		{"no request", "actions:\n  - {name: a, rules: [r]}\n", "x.yaml:5: actions[0]: needs webhook: (an HTTP request) or exec: (a program)"},
		{"both", "actions:\n  - {name: a, rules: [r], webhook: {url: https://x}, exec: {command: [true]}}\n",
			"x.yaml:5: actions[0].exec: an action is either a webhook or an exec, not both"},
		{"bad url", "actions:\n  - {name: a, rules: [r], webhook: {url: 'ftp://x/y'}}\n", "x.yaml:5: actions[0].webhook.url: url scheme \"ftp\", want http or https"},
		{"template field", "actions:\n  - name: a\n    rules: [r]\n    webhook: {url: 'https://x', body: '{{.Ips}}'}\n",
			"x.yaml:7: actions[0].webhook.body: template: body:1:2: executing \"body\" at <.Ips>: can't evaluate field Ips in type the alert (fields: .Action"},
		{"unknown key", "actions:\n  - {name: a, rules: [r], webhook: {url: https://x, methd: PUT}}\n", "x.yaml:5: actions[0].webhook.methd: unknown key"},
		{"command not a list", "actions:\n  - {name: a, rules: [r], exec: {command: 'rm -rf /'}}\n", "x.yaml:5: actions[0].exec.command: must be a list"},
		{"program not found", "actions:\n  - {name: a, rules: [r], exec: {command: [no-such-program-x]}}\n", "x.yaml:5: actions[0].exec.command: \"no-such-program-x\" not found in PATH"},
		{"duplicate", "actions:\n  - {name: a, rules: [r], webhook: {url: https://x}}\n  - {name: a, rules: [r], webhook: {url: https://x}}\n",
			`x.yaml:6: actions[1].name: action "a" is already defined on line 5`},
		{"zero revert_after", "actions:\n  - {name: a, rules: [r], webhook: {url: https://x}, revert_after: 0s}\n",
			"x.yaml:5: actions[0].revert_after: must be above zero"},
		{"negative cap", "actions:\n  - {name: a, rules: [r], webhook: {url: https://x}, max_per_hour: -1}\n",
			"x.yaml:5: actions[0].max_per_hour: must be a whole number"},
		{"url and url_file", "actions:\n  - name: a\n    rules: [r]\n    webhook: {url: https://x, url_file: /nonexistent}\n",
			"x.yaml:7: actions[0].webhook.url_file: url and url_file are exclusive"},
		{"keys indexed", "actions:\n  - {name: a, rules: [r], webhook: {url: https://x, body: '{{index .Keys 0}}'}}\n",
			"x.yaml:5: actions[0].webhook.body: template: body:1:2: executing \"body\" at <index .Keys 0>: error calling index: "},
		{"error at the field's line", "actions:\n  - name: a\n    rules: [r]\n    webhook:\n      url: https://x\n      method: 'GE T'\n",
			"x.yaml:9: actions[0].webhook.method: method \"GE T\" is not an HTTP method"},
		{"unset secret", "actions:\n  - {name: a, rules: [r], webhook: {url: https://x, secret: '${NOPE}'}}\n",
			"x.yaml:5: actions[0].webhook.secret: environment variable NOPE is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(oneRule+tt.text), noEnv)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Parse() error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestParse_actionErrorsHideSecrets(t *testing.T) {
	text := oneRule + "actions:\n  - name: a\n    rules: [r]\n    webhook: {url: 'https://u:PWSECRET@x/f?token=QSECRET', body: '{{.Nope}}'}\n"
	_, err := Parse("x.yaml", []byte(text), noEnv)
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("Parse() error = %v, want one without the secrets", err)
	}
}

func TestParse_actionRevertInherits(t *testing.T) {
	env := map[string]string{"TOK": "tok-SECRET-123"}
	text := oneRule + `
actions:
  - name: block
    rules: [r]
    webhook:
      url: https://blocklist.example.com/v1/ips
      headers: {Authorization: "Bearer ${TOK}"}
      body: '{"ips": {{json (ips .Keys)}}}'
    revert:
      method: DELETE
      headers: {X-Reason: undo}
  - name: curl
    rules: [s]
    exec:
      command: [sh, -c, 'echo "${TOK}"']
`
	c, err := Parse("x.yaml", []byte(text), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Actions[0].Undo.String(); got != "DELETE https://blocklist.example.com/v1/ips" {
		t.Errorf("revert = %s", got)
	}
	if got := c.Actions[1].Do.String(); strings.Contains(got, "SECRET") || !strings.Contains(got, "${TOK}") {
		t.Errorf("exec shown as %q, want the command as written", got)
	}
}

// TestParse_actionRevertRequest: the revert's request as made, not as
// shown: the webhook's headers (a secret among them) and body reach it,
// with the revert's own headers added and its method (docs/actions.md:
// "headers: the webhook's, plus (or replaced by) its own").
func TestParse_actionRevertRequest(t *testing.T) {
	rc := testutil.NewReceiver(t)
	env := map[string]string{"TOK": "tok-SECRET-123", "URL": rc.URL + "/v1/ips"}
	text := oneRule + `
actions:
  - name: block
    rules: [r]
    webhook:
      url: ${URL}
      headers: {Authorization: "Bearer ${TOK}", X-Team: ops}
      body: '{"ips": {{json (ips .Keys)}}}'
    revert:
      method: DELETE
      headers: {X-Reason: undo, X-Team: sre}
`
	c, err := Parse("x.yaml", []byte(text), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	a := alert.Alert{Rule: "r", State: alert.Firing, Keys: []alert.KeyCount{{Key: "203.0.113.7", Count: 9}}}
	if _, err := c.Actions[0].Undo.Do(context.Background(), actions.Call{Action: "block", Phase: actions.Revert, Alert: a, Key: "k1", Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	reqs := rc.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want the revert's", len(reqs))
	}
	r := reqs[0]
	if r.Method != "DELETE" || r.Path != "/v1/ips" || string(r.Body) != `{"ips": ["203.0.113.7"]}` {
		t.Errorf("revert made as %s %s %q, want DELETE /v1/ips with the webhook's body", r.Method, r.Path, r.Body)
	}
	for k, want := range map[string]string{"Authorization": "Bearer tok-SECRET-123", "X-Reason": "undo", "X-Team": "sre"} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
}
