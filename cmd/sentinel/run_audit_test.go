package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/daemon"
)

// runOnce runs runDaemon with an already cancelled context (the daemon,
// if it starts, stops at once), capturing the options it was given.
func runOnce(t *testing.T, f runFlags, args []string) (daemon.Options, error) {
	t.Helper()
	var got daemon.Options
	old := daemonHook
	daemonHook = func(o *daemon.Options) { got = *o }
	t.Cleanup(func() { daemonHook = old })
	if f.format == "" {
		f.format = "auto"
	}
	if f.output == "" {
		f.output = "text"
	}
	if f.logFormat == "" {
		f.logFormat = "text"
	}
	f.stateDir = filepath.Join(t.TempDir(), "state")
	f.listen = ""
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	err := runDaemon(ctx, &stdout, &stderr, f, args)
	return got, err
}

// TestRunAudit_badFormatIsUsage: README "Commands": `run` takes replay's
// --format NAME ("one of the formats"), and bad usage exits 2. An unknown
// format must be refused as bad usage, as replay refuses it, not run.
func TestRunAudit_badFormatIsUsage(t *testing.T) {
	log := filepath.Join(t.TempDir(), "a.log")
	if err := os.WriteFile(log, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		f    runFlags
	}{
		{"unknown format", runFlags{replayFlags: replayFlags{format: "syslog"}}},
		{"negative skew", runFlags{replayFlags: replayFlags{skew: -time.Second}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runOnce(t, tt.f, []string{log})
			var u usageError
			if !errors.As(err, &u) {
				t.Fatalf("runDaemon(%s) = %v, want a usage error (exit 2)", tt.name, err)
			}
		})
	}
}

// TestRunAudit_flagsOverrideConfigSources: README "Commands": `run`
// takes --format, --date and --timezone as replay does; replay applies
// them over a config's sources, so must run.
func TestRunAudit_flagsOverrideConfigSources(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sentinel.yaml")
	log := filepath.Join(dir, "app.log")
	if err := os.WriteFile(log, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("sources:\n  - path: "+log+"\n    format: auto\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := runFlags{replayFlags: replayFlags{config: cfg, format: "combined", timezone: "Europe/Paris", date: "2026-11-27"}}
	got, err := runOnce(t, f, nil)
	if err != nil {
		t.Fatalf("runDaemon = %v", err)
	}
	if len(got.Sources) != 1 {
		t.Fatalf("sources = %+v, want 1", got.Sources)
	}
	s := got.Sources[0]
	if s.Format != "combined" {
		t.Errorf("source format = %q, want the --format flag's %q", s.Format, "combined")
	}
	if s.Parser.Location == nil || s.Parser.Location.String() != "Europe/Paris" {
		t.Errorf("source zone = %v, want the --timezone flag's Europe/Paris", s.Parser.Location)
	}
	if s.Parser.Date.IsZero() || !strings.HasPrefix(s.Parser.Date.Format(time.DateOnly), "2026-11-27") {
		t.Errorf("source date = %v, want the --date flag's 2026-11-27", s.Parser.Date)
	}
}

// TestRunAudit_signals: README "Running it", Signals: SIGHUP to a daemon
// running the embedded rules (no config file) leaves it running, with a
// warning; SIGTERM stops it with exit status 0, its state saved.
func TestRunAudit_signals(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon")
	}
	exe := sentinelExe(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	os.WriteFile(logPath, nil, 0o644)
	stateDir := filepath.Join(dir, "state")
	cmd, logs := startRun(t, exe, nil, "--state-dir", stateDir, "--listen", "", logPath)
	wait := func(what string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(logs.String(), what) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the daemon's log:\n%s", what, logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	wait("msg=started")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	wait("SIGHUP ignored")
	time.Sleep(100 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the daemon is gone after SIGHUP: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("after SIGTERM: %v, want exit status 0; log:\n%s", err, logs.String())
	}
	if _, err := os.Stat(filepath.Join(stateDir, "state.json")); err != nil {
		t.Errorf("no state saved at shutdown: %v", err)
	}
}
