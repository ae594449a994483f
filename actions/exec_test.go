package actions

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// script writes an executable shell script (the program under test; the
// action itself runs it without a shell in between).
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "act.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExec_Do(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	p := script(t, `printf '%s|%s|%s|%s|%s\n' "$1" "$SENTINEL_RULE" "$SENTINEL_PHASE" "$SENTINEL_KEYS" "$SENTINEL_IDEMPOTENCY_KEY" > "$2"; env | grep -c SLACK; echo done`)
	t.Setenv("SENTINEL_SLACK_WEBHOOK_URL", "https://hooks.slack.com/secret") // must not reach the program
	e, err := NewExec(ExecOptions{Command: []string{p, "{{.Action}} $(reboot); `x`", out}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Do(context.Background(), Call{Action: "block", Phase: Apply, Key: "k9", Alert: fire("client-flood", t0)})
	if err != nil {
		t.Fatalf("Do() = %v (output %q)", err, res.Output)
	}
	if res.Output != "0\ndone" {
		t.Errorf("output %q, want the program's (and no SLACK variable in its environment)", res.Output)
	}
	b, _ := os.ReadFile(out)
	if got, want := string(b), "block $(reboot); `x`|client-flood|apply|203.0.113.7|k9\n"; got != want {
		t.Errorf("program saw %q, want %q", got, want)
	}
}

func TestExec_failures(t *testing.T) {
	for _, tt := range []struct {
		body      string
		timeout   time.Duration
		permanent bool
	}{
		{"echo nope >&2; exit 1", 0, true},
		{"exit 75", 0, false},
		{"sleep 10", 200 * time.Millisecond, false},
		{"sh -c 'sleep 10'; exit 0", 200 * time.Millisecond, false}, // a child, killed with its group
	} {
		e, err := NewExec(ExecOptions{Command: []string{script(t, tt.body)}, Timeout: tt.timeout})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Do(context.Background(), Call{})
		if err == nil || delivery.IsPermanent(err) != tt.permanent {
			t.Errorf("%q: Do() = %v, want permanent %v", tt.body, err, tt.permanent)
		}
	}
	// A program that succeeds but leaves a child holding its output open.
	e, _ := NewExec(ExecOptions{Command: []string{script(t, "sleep 3 & echo done; exit 0")}})
	if res, err := e.Do(context.Background(), Call{}); err != nil || res.Output != "done" {
		t.Errorf("background child: Do() = %+v, %v; want success", res, err)
	}
	if _, err := NewExec(ExecOptions{Command: []string{"no-such-program-here"}}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("NewExec(missing) = %v", err)
	}
	if _, err := NewExec(ExecOptions{}); err == nil {
		t.Error("NewExec(no command) = nil error")
	}
}
