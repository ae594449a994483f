package config

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// TestAudit_actionDefaults: README and docs/actions.md, an action that
// leaves its guardrails out gets revert_after 10m, cooldown 5m, caps 4
// and 12, retries 3, no max_duration, not a dry run.
func TestAudit_actionDefaults(t *testing.T) {
	c, err := Parse("x.yaml", []byte(oneRule+"actions:\n  - {name: a, rules: [r], webhook: {url: https://x.example/f}, revert: {body: x}}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Actions[0]
	if a.RevertAfter != 10*time.Minute || a.Cooldown != 5*time.Minute || a.MaxPerHour != 4 || a.MaxPerDay != 12 ||
		a.Retries != 3 || a.MaxDuration != 0 || a.DryRun {
		t.Errorf("defaults = %+v", a)
	}
}

// TestAudit_actionURLFileHidden: "the logs, the audit and the status show
// the URL without its userinfo and query (without its path too when it
// comes from url_file)" — for the revert that inherits it too.
func TestAudit_actionURLFileHidden(t *testing.T) {
	f := filepath.Join(t.TempDir(), "url")
	if err := os.WriteFile(f, []byte("https://flags.example.com/hook/T0K3N-PATH\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Parse("x.yaml", []byte(oneRule+"actions:\n  - {name: a, rules: [r], webhook: {url_file: "+f+"}, revert: {method: DELETE}}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []actions.Step{c.Actions[0].Do, c.Actions[0].Undo} {
		if got := s.String(); strings.Contains(got, "T0K3N") || !strings.Contains(got, "flags.example.com") {
			t.Errorf("shown as %q, want the host without the path", got)
		}
	}
}

// TestAudit_actionTimeout: "timeout: per attempt", the revert's too, and
// a timeout is retried (not a permanent failure).
func TestAudit_actionTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	env := map[string]string{"URL": srv.URL + "/f"}
	c, err := Parse("x.yaml", []byte(oneRule+"actions:\n  - {name: a, rules: [r], timeout: 200ms, webhook: {url: '${URL}'}, revert: {method: DELETE}}\n"),
		func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	assertTimesOut(t, c.Actions[0], "a timeout")
}

// TestAudit_actionRevertInheritsSecret: "revert: method, url, body,
// secret: the webhook's unless given" — the revert is signed with the
// webhook's secret, its content type kept; a revert's own secret wins.
func TestAudit_actionRevertInheritsSecret(t *testing.T) {
	rc := testutil.NewReceiver(t)
	env := map[string]string{"URL": rc.URL + "/f", "S": "hmac-secret"}
	text := oneRule + `
actions:
  - name: a
    rules: [r]
    webhook: {url: '${URL}', secret: '${S}', content_type: text/plain, body: 'off'}
    revert: {body: 'on'}
  - name: b
    rules: [s]
    webhook: {url: '${URL}', secret: '${S}', body: 'off'}
    revert: {secret: other-secret}
`
	c, err := Parse("x.yaml", []byte(text), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range c.Actions {
		if _, err := a.Undo.Do(context.Background(), actions.Call{Action: a.Name, Phase: actions.Revert, Key: "k", Alert: alert.Alert{Rule: "r"}}); err != nil {
			t.Fatal(err)
		}
	}
	reqs := rc.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for i, want := range []struct{ secret, body, ctype string }{{"hmac-secret", "on", "text/plain"}, {"other-secret", "off", "application/json"}} {
		r := reqs[i]
		ts := r.Header.Get(delivery.TimestampHeader)
		if sig := r.Header.Get(delivery.SignatureHeader); sig == "" || sig != delivery.Sign([]byte(want.secret), ts, r.Body) {
			t.Errorf("revert %d: signature %q, want one with %s", i, sig, want.secret)
		}
		if string(r.Body) != want.body || r.Header.Get("Content-Type") != want.ctype {
			t.Errorf("revert %d: body %q, type %q; want %q, %q", i, r.Body, r.Header.Get("Content-Type"), want.body, want.ctype)
		}
	}
}

// TestAudit_actionExecTimeout: "timeout: per attempt" reaches a program
// too: it is killed after it, and that is retried.
func TestAudit_actionExecTimeout(t *testing.T) {
	p := filepath.Join(t.TempDir(), "slow.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\nsleep 5\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := Parse("x.yaml", []byte(oneRule+"actions:\n  - {name: a, rules: [r], timeout: 200ms, exec: {command: ['"+p+"']}, revert: {command: ['"+p+"']}}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	assertTimesOut(t, c.Actions[0], "killed")
}

// TestAudit_actionRevertOwnURLShown: the path is hidden only "when it
// comes from url_file": a revert giving its own url: shows its path,
// though the webhook's came from a file.
func TestAudit_actionRevertOwnURLShown(t *testing.T) {
	f := filepath.Join(t.TempDir(), "url")
	if err := os.WriteFile(f, []byte("https://flags.example.com/hook/T0K3N-PATH\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Parse("x.yaml", []byte(oneRule+"actions:\n  - {name: a, rules: [r], webhook: {url_file: "+f+"}, revert: {url: 'https://flags.example.com/api/on'}}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Actions[0].Undo.String(); got != "POST https://flags.example.com/api/on" {
		t.Errorf("revert shown as %q, want its own URL with its path", got)
	}
}

// TestAudit_actionURLFileErrorHidesPath: the logs and the audit (the
// request's error) show a url_file's URL without its path, even for a
// network error, whose text from net/http names the URL.
func TestAudit_actionURLFileErrorHidesPath(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // connection refused from now on
	f := filepath.Join(t.TempDir(), "url")
	if err := os.WriteFile(f, []byte(addr+"/hook/T0K3N-PATH\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Parse("x.yaml", []byte(oneRule+"actions:\n  - {name: a, rules: [r], timeout: 1s, webhook: {url_file: "+f+"}}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Actions[0].Do.Do(context.Background(), actions.Call{Action: "a", Key: "k", Alert: alert.Alert{Rule: "r"}})
	if err == nil || strings.Contains(err.Error(), "T0K3N") {
		t.Errorf("Do() = %v, want an error without the file's path", err)
	}
}

// assertTimesOut checks that a's apply and revert each fail within 1.5 s
// of a 200ms timeout (want says how), with an error that is retried.
func assertTimesOut(t *testing.T, a *actions.Action, want string) {
	t.Helper()
	for _, s := range []actions.Step{a.Do, a.Undo} {
		start := time.Now()
		_, err := s.Do(context.Background(), actions.Call{Action: "a", Key: "k", Alert: alert.Alert{Rule: "r"}})
		if d := time.Since(start); err == nil || delivery.IsPermanent(err) || d > 1500*time.Millisecond {
			t.Errorf("%s: Do() = %v after %v, want %s after 200ms, to be retried", s, err, d, want)
		}
	}
}
