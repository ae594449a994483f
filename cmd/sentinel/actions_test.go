package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// TestRun_actionsSwitches runs the real binary against a flag service on
// loopback: with --dry-run the flood's action is only logged (audited as
// dry_run, no request); after 'sentinel actions pause' it is held back;
// 'sentinel actions list' shows both. Neither run sends a request.
func TestRun_actionsSwitches(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon")
	}
	exe := sentinelExe(t)
	fs := testutil.NewFlagServer(t, "")
	flood, err := os.ReadFile(filepath.Join("..", "..", "samples", "signup-flood.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		flags    []string
		pause    bool
		wantList []string
	}{
		{"dry run", []string{"--dry-run"}, false, []string{"dry run: actions are logged", "signups-off      apply  dry_run  PATCH " + fs.URL + "/api/flags/signups"}},
		{"paused", nil, true, []string{"PAUSED", "signups-off      apply  skipped  PATCH " + fs.URL + "/api/flags/signups: paused"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			logPath := filepath.Join(dir, "access.log")
			cfgPath := filepath.Join(dir, "sentinel.yaml")
			os.WriteFile(logPath, nil, 0o644)
			cfg := fmt.Sprintf("sources: [{path: %s}]\nrules:\n  - {name: signup-burst, match: {method: POST, path: /users/register}, detector: {type: rate, window: 30s, threshold: 1}, group_by: client_ip}\n"+
				"actions:\n  - name: signups-off\n    rules: [signup-burst]\n    webhook: {method: PATCH, url: '%s/api/flags/signups', body: '{\"enabled\": false}'}\n    revert: {body: '{\"enabled\": true}'}\n", logPath, fs.URL)
			if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			addr := freeAddr(t)
			var logs testutil.SyncBuffer
			cmd := exec.Command(exe, append([]string{"run", "-c", cfgPath, "--state-dir", filepath.Join(dir, "state"), "--listen", addr}, tt.flags...)...)
			cmd.Stdout, cmd.Stderr = new(bytes.Buffer), &logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				cmd.Process.Signal(os.Interrupt)
				cmd.Wait()
				if t.Failed() {
					t.Logf("daemon logs:\n%s", logs.String())
				}
			}()
			list := func() string {
				var out bytes.Buffer
				c := exec.Command(exe, "actions", "list", "--addr", addr)
				c.Stdout, c.Stderr = &out, &out
				if c.Run() != nil {
					return ""
				}
				return out.String()
			}
			waitUntil(t, "the API", func() bool { return strings.Contains(list(), "signups-off") })
			if tt.pause {
				out, err := exec.Command(exe, "actions", "pause", "--addr", addr).CombinedOutput()
				if err != nil || !strings.Contains(string(out), "actions paused") {
					t.Fatalf("actions pause: %v: %s", err, out)
				}
			}
			if err := os.WriteFile(logPath, flood, 0o644); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, "the action's entry", func() bool { return strings.Contains(list(), tt.wantList[1]) })
			got := list()
			t.Logf("actions list:\n%s", got)
			for _, w := range tt.wantList {
				if !strings.Contains(got, w) {
					t.Errorf("actions list lacks %q:\n%s", w, got)
				}
			}
			if reqs := fs.Requests(); len(reqs) != 0 {
				t.Errorf("requests = %+v, want none", reqs)
			}
			audit, _ := os.ReadFile(filepath.Join(dir, "state", "actions.jsonl"))
			if !strings.Contains(string(audit), `"action":"signups-off","phase":"apply"`) {
				t.Errorf("audit log:\n%s", audit)
			}
		})
	}
}

// waitUntil polls cond for up to 10 s.
func waitUntil(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	waitLong(tb, what, 10*time.Second, cond)
}

// waitLong polls cond for up to d: for a whole sample read by the daemon
// built with -race on a busy machine.
func waitLong(tb testing.TB, what string, d time.Duration, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	tb.Fatalf("timed out waiting for %s", what)
}

// TestWriteActions_retry: a request waiting for its retry says when, and
// the wait its receiver asked for.
func TestWriteActions_retry(t *testing.T) {
	at := time.Date(2026, 11, 27, 1, 20, 1, 0, time.UTC)
	var b bytes.Buffer
	writeActions(&b, actions.Status{Actions: []actions.ActionStatus{{Name: "signups-off", Rules: []string{"signup-burst"}, Request: "PATCH https://flags.example/f"}},
		Episodes: []actions.EpisodeStatus{{Action: "signups-off", Rule: "signup-burst", Status: actions.StatusApplying, Applied: at,
			Firing: []string{"signup-burst"}, RetryAt: at.Add(15 * time.Minute), RequestedWaitSeconds: 900}}})
	want := "request failed, tried again at 2026-11-27T01:35:01Z (the receiver asked to wait 15m)\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("writeActions() =\n%s\nwant a line ending %q", b.String(), want)
	}
}
