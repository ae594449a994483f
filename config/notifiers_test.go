package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const oneRule = "rules:\n  - {name: r, detector: {type: rate, window: 1m, threshold: 1}}\n  - {name: s, detector: {type: rate, window: 1m, threshold: 1}}\n"

func TestParse_notifiers(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "hook-secret")
	if err := os.WriteFile(secretFile, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOOK": "https://hooks.slack.com/services/T0/B0/XYZSECRET"}
	text := oneRule + `
notifiers:
  - name: phone
    type: slack
    url: ${HOOK}
    mention: "<!channel>"
    min_severity: critical
  - type: webhook
    url: https://flags.example.com/hook?key=querysecret
    secret_file: ` + secretFile + `
    headers: {X-Team: ops}
    rules: [r]
    timeout: 3s
  - type: ntfy
    url: https://ntfy.sh/secret-topic
  - type: email
    url: smtp://me:mailpass@mail.example.com:587
    from: sentinel@example.com
    to: [owner@example.com]
silences:
  - {rule: s, until: 2026-12-01T08:00:00Z}
`
	c, err := Parse("x.yaml", []byte(text), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Notifiers) != 4 {
		t.Fatalf("got %d notifiers, want 4", len(c.Notifiers))
	}
	var names, shown []string
	for _, n := range c.Notifiers {
		names = append(names, n.Route.Name)
		shown = append(shown, n.Shown)
	}
	if got := strings.Join(names, ","); got != "phone,webhook,ntfy,email" {
		t.Errorf("names = %s", got)
	}
	if c.Notifiers[0].Route.MinSeverity != "critical" || c.Notifiers[0].Line != 6 {
		t.Errorf("phone = %+v", c.Notifiers[0])
	}
	if r := c.Notifiers[1].Route.Rules; len(r) != 1 || r[0] != "r" {
		t.Errorf("webhook rules = %v", r)
	}
	all := strings.Join(shown, "\n")
	for _, secret := range []string{"XYZSECRET", "querysecret", "s3cret", "secret-topic", "mailpass", "/hook"} {
		if strings.Contains(all, secret) {
			t.Errorf("shown notifiers leak %q:\n%s", secret, all)
		}
	}
	if !strings.Contains(all, "webhook https://flags.example.com/REDACTED, signed") ||
		!strings.Contains(all, "email to owner@example.com via smtp://REDACTED@mail.example.com:587") {
		t.Errorf("shown:\n%s", all)
	}
	want := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	if len(c.Silences) != 1 || c.Silences[0].Rule != "s" || !c.Silences[0].Until.Equal(want) {
		t.Errorf("Silences = %+v", c.Silences)
	}
}

func TestParse_notifierErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"unknown type", "notifiers:\n  - {type: pager, url: https://x}\n",
			"x.yaml:5: notifiers[0].type: unknown notifier type \"pager\": one of slack, webhook, ntfy, email"},
		{"no type", "notifiers:\n  - {name: x, url: https://x}\n",
			"x.yaml:5: notifiers[0].type: required, one of slack, webhook, ntfy, email"},
		{"another type's option", "notifiers:\n  - {type: ntfy, url: https://ntfy.sh/abcdefghijklmnop, mention: '@here'}\n",
			"x.yaml:5: notifiers[0].mention: not an option of a ntfy notifier (its options: url, token)"},
		{"unknown key", "notifiers:\n  - {type: webhook, url: https://x, secrt: a}\n",
			"x.yaml:5: notifiers[0].secrt: unknown key"},
		{"url and url_file", "notifiers:\n  - type: webhook\n    url: https://x\n    url_file: /nonexistent\n",
			"x.yaml:7: notifiers[0].url_file: url and url_file are exclusive"},
		{"unreadable secret file", "notifiers:\n  - type: webhook\n    url_file: /nonexistent/sentinel-url\n",
			"x.yaml:6: notifiers[0].url_file: cannot read the secret"},
		{"duplicate name", "notifiers:\n  - {type: ntfy, url: https://ntfy.sh/a}\n  - {type: ntfy, url: https://ntfy.sh/b}\n",
			"x.yaml:6: notifiers[1].name: notifier \"ntfy\" is already defined on line 5"},
		{"bad severity", "notifiers:\n  - type: ntfy\n    url: https://ntfy.sh/a\n    min_severity: urgent\n",
			"x.yaml:7: notifiers[0].min_severity: must be one of info, warning, critical"},
		{"missing url", "notifiers:\n  - {type: webhook}\n", "x.yaml:5: notifiers[0]: webhook:"},
		{"email without to", "notifiers:\n  - {type: email, url: 'smtp://mail.example.com:587', from: a@example.com}\n",
			"x.yaml:5: notifiers[0]: email: to: missing"},
		{"unknown rule", "notifiers:\n  - {type: ntfy, url: https://ntfy.sh/a, rules: [r, signup-brust]}\n",
			"x.yaml:5: notifiers[0].rules: no rule is named \"signup-brust\""},
		{"silence unknown rule", "silences:\n  - {rule: nope, until: 2026-12-01T08:00:00Z}\n",
			"x.yaml:5: silences[0].rule: no rule is named \"nope\""},
		{"silence bad time", "silences:\n  - {rule: r, until: tomorrow}\n",
			"x.yaml:5: silences[0].until: must be an RFC 3339 time"},
		{"silence twice", "silences:\n  - {rule: r, until: 2026-12-01T08:00:00Z}\n  - {rule: r, until: 2026-12-02T08:00:00Z}\n",
			"x.yaml:6: silences[1].rule: rule \"r\" is already silenced on line 5: keep one"},
		{"silence without until", "silences:\n  - {rule: r}\n",
			"x.yaml:5: silences[0].until: required"},
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

func TestParse_notifierErrorsHideSecrets(t *testing.T) {
	text := oneRule + "notifiers:\n  - type: slack\n    url: https://hooks.slack.com/services/T0/B0/XYZSECRET\n    token: xoxb-TOKENSECRET\n    channel: '#ops'\n"
	_, err := Parse("x.yaml", []byte(text), noEnv)
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("Parse() error = %v, want url and token refused", err)
	}
	if strings.Contains(err.Error(), "XYZSECRET") || strings.Contains(err.Error(), "TOKENSECRET") {
		t.Errorf("error leaks a secret: %v", err)
	}
}

func TestParse_remindEvery(t *testing.T) {
	c, err := Parse("x.yaml", []byte("settings: {remind_every: 1h}\n"+oneRule), noEnv)
	if err != nil || c.Settings.RemindEvery != time.Hour {
		t.Errorf("Parse() = %+v, %v; want remind_every 1h", c, err)
	}
	if c, err := Parse("x.yaml", []byte(oneRule), noEnv); err != nil || c.Settings.RemindEvery != 0 {
		t.Errorf("default remind_every = %v, %v; want 0 (off)", c.Settings.RemindEvery, err)
	}
	for v, want := range map[string]string{"10s": "must be 0 (no reminders) or at least 1m", "-1h": "must not be negative"} {
		_, err := Parse("x.yaml", []byte("settings: {remind_every: "+v+"}\n"+oneRule), noEnv)
		if err == nil || !strings.HasPrefix(err.Error(), "x.yaml:1: settings.remind_every: "+want) {
			t.Errorf("remind_every %s: error = %v, want %q", v, err, want)
		}
	}
}

// TestAddEnvNotifiers_once: a notifier the config gives where an
// environment variable already delivers is used once, the config's, with
// its routing; one whose name the environment's would take keeps it, and
// the environment's becomes NAME-env (README, "Notifiers").
func TestAddEnvNotifiers_once(t *testing.T) {
	text := oneRule + `
notifiers:
  - type: webhook
    url: https://flags.example.com/hook
    rules: [r]
  - name: ntfy
    type: webhook
    url: https://other.example.com/hook
`
	c, err := Parse("x.yaml", []byte(text), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SENTINEL_WEBHOOK_URL": "https://flags.example.com/hook", // the config's first, again
		"SENTINEL_NTFY_URL":    "https://ntfy.sh/a-long-topic",   // its name taken by the config's second
	}
	if err := c.AddEnvNotifiers(func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range c.Notifiers {
		names = append(names, n.Route.Name)
	}
	if got := strings.Join(names, ","); got != "ntfy-env,webhook,ntfy" {
		t.Fatalf("notifiers %s, want ntfy-env,webhook,ntfy: the webhook once, the environment's ntfy renamed", got)
	}
	hook := c.Notifiers[1]
	if r := hook.Route.Rules; len(r) != 1 || r[0] != "r" || !strings.HasPrefix(hook.Route.Origin, "x.yaml:") {
		t.Errorf("the webhook kept %+v, want the config's entry with its rules", hook.Route)
	}
	if !strings.Contains(hook.Shown, "also set by the SENTINEL_WEBHOOK_URL variable: this entry is used") {
		t.Errorf("the webhook is shown as %q, want the environment's variable named", hook.Shown)
	}
	if o := c.Notifiers[0].Route.Origin; o != "environment (SENTINEL_NTFY_URL)" {
		t.Errorf("ntfy-env's origin %q", o)
	}
}
