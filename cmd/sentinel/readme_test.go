package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// maxQuickstartLines bounds the README's Quickstart: a newcomer reads it
// in five minutes.
const maxQuickstartLines = 80

// quickstart returns the README's Quickstart section and its fenced sh
// blocks.
func quickstart(tb testing.TB) (section string, blocks []string) {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		tb.Fatal(err)
	}
	readme := string(data)
	i := strings.Index(readme, "\n## Quickstart\n")
	if i < 0 {
		tb.Fatal("README has no ## Quickstart section")
	}
	section = readme[i+1:]
	if j := strings.Index(section[3:], "\n## "); j >= 0 {
		section = section[:j+4]
	}
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
		blocks = append(blocks, m[1])
	}
	return section, blocks
}

// TestREADME_quickstart runs every command of the README's Quickstart, in
// order, through bash, as a newcomer would: install, replay, the phone's
// environment variables and test-alert, run, and the service's install
// steps. These are the only substitutions:
//
//   - go install …/cmd/sentinel@latest installs this checkout;
//   - the ntfy topic, the Slack webhook and the SMTP server are loopback
//     fakes (the SMTP one a local relay, smtp+insecure://);
//   - /var/log/nginx/access.log is a copy of samples/signup-flood.log, and
//     the flood is written to it again once `sentinel run` follows it;
//   - `sentinel run` runs in the background with its API on a free port
//     and its state in a temporary directory;
//   - sudo runs the command as it is, /usr/local/bin and /etc are under a
//     scratch root, and systemctl is recorded, not run (scripts/systemd-check
//     verifies the unit and runs the installed files as the service's user).
func TestREADME_quickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("installs the binary and runs the daemon")
	}
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	section, blocks := quickstart(t)
	if n := strings.Count(section, "\n"); n >= maxQuickstartLines {
		t.Errorf("the Quickstart has %d lines, want under %d", n, maxQuickstartLines)
	}
	if len(blocks) < 5 {
		t.Fatalf("the Quickstart has %d sh blocks, want install, replay, phone, run and service", len(blocks))
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	ntfy, slack, smtp := testutil.NewReceiver(t), testutil.NewReceiver(t), testutil.NewSMTPServer(t)
	work, bin, root, state := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	for _, d := range []string{"samples", "contrib"} {
		if err := os.Symlink(filepath.Join(repo, d), filepath.Join(work, d)); err != nil {
			t.Fatal(err)
		}
	}
	flood, err := os.ReadFile(filepath.Join(repo, "samples", "signup-flood.log"))
	if err != nil {
		t.Fatal(err)
	}
	access := filepath.Join(work, "access.log")
	if err := os.WriteFile(access, flood, 0o644); err != nil {
		t.Fatal(err)
	}

	script := strings.Join(blocks, "\n")
	for _, s := range []struct{ old, new string }{
		{"go install github.com/sentinel-dev/sentinel/cmd/sentinel@latest", `(cd "$REPO" && GOBIN="$BIN" go install ./cmd/sentinel)`},
		{"https://ntfy.sh/pick-a-long-secret-topic", ntfy.URL + "/pick-a-long-secret-topic"},
		{"https://hooks.slack.com/services/T0/B0/XXXXXXXX", slack.URL + "/services/T0/B0/XXXXXXXX"},
		{"smtps://me:app-password@smtp.example.com:465", smtp.URL()},
		{"/var/log/nginx/access.log", access},
		{"/usr/local/bin/", root + "/usr/local/bin/"},
		{"/etc/", root + "/etc/"},
		{"sentinel run ", "sentinel_run "},
	} {
		if !strings.Contains(script, s.old) {
			t.Fatalf("the Quickstart no longer holds %q: update this test's substitutions", s.old)
		}
		script = strings.ReplaceAll(script, s.old, s.new)
	}
	prelude := `set -euo pipefail
sudo() { "$@"; }
systemctl() { echo "systemctl $*" >>"$WORK/systemctl.log"; }
sentinel_run() { sentinel run --listen 127.0.0.1:0 "$@" >"$WORK/run.out" 2>"$WORK/run.err" & echo $! >"$WORK/run.pid"; }
`
	cmd := exec.Command("bash", "-c", prelude+script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "REPO="+repo, "BIN="+bin, "WORK="+work, "XDG_STATE_HOME="+state,
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	daemon := func() {
		b, err := os.ReadFile(filepath.Join(work, "run.pid"))
		if err != nil {
			return
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			syscall.Kill(pid, syscall.SIGTERM)
			for range 100 { // until it has saved its state and exited
				if syscall.Kill(pid, 0) != nil {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	defer daemon()
	t.Cleanup(func() {
		if t.Failed() {
			runErr, _ := os.ReadFile(filepath.Join(work, "run.err"))
			t.Logf("quickstart output:\n%s\ndaemon log:\n%s", out, runErr)
		}
	})
	if err != nil {
		t.Fatalf("the Quickstart failed: %v", err)
	}

	// Replay printed the flood as the Quickstart shows it, line for line;
	// test-alert reached the three notifiers.
	shown := regexp.MustCompile(`(?m)^2026-11-27T\S+ (FIRING|RESOLVED) .*$`).FindAllString(section, -1)
	if len(shown) == 0 {
		t.Error("the Quickstart shows no alert of the replay")
	}
	for _, line := range shown {
		if !strings.Contains(string(out), line+"\n") {
			t.Errorf("replay did not print the Quickstart's line %q", line)
		}
	}
	for _, name := range []string{"ntfy", "slack", "email"} {
		if !regexp.MustCompile(`(?m)^` + name + ` +ok$`).Match(out) {
			t.Errorf("test-alert did not report %s ok", name)
		}
	}

	// The daemon follows the file; a flood written to it pages once on
	// each notifier, with the incident's measures.
	f, err := os.OpenFile(access, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	waitUntil(t, "the daemon", func() bool {
		b, _ := os.ReadFile(filepath.Join(work, "run.err"))
		return strings.Contains(string(b), "msg=started")
	})
	time.Sleep(200 * time.Millisecond) // the tailer's first look at the file
	if _, err := f.Write(flood); err != nil {
		t.Fatal(err)
	}
	paged := func() bool {
		for _, r := range append(ntfy.Requests(), slack.Requests()...) {
			if strings.Contains(string(r.Body), "Sign-ups at") {
				return true
			}
		}
		return false
	}
	waitLong(t, "the flood's page", time.Minute, func() bool { return paged() && len(smtp.Mails()) >= 2 })
	var titles []string
	for _, r := range ntfy.Requests() {
		var m struct{ Title string }
		json.Unmarshal(r.Body, &m)
		titles = append(titles, m.Title)
	}
	if !slices.ContainsFunc(titles, func(s string) bool {
		return strings.Contains(s, "Sign-ups at") && strings.Contains(s, "signup-burst, signup-spread, traffic-spike")
	}) {
		t.Errorf("ntfy titles = %q, want the incident's headline", titles)
	}
	t.Logf("ntfy titles: %q", titles)
	daemon()

	// The service's install steps put the files in place with their modes.
	for path, mode := range map[string]fs.FileMode{
		"usr/local/bin/sentinel": 0o755, "etc/systemd/system/sentinel.service": 0o644,
		"etc/sentinel/sentinel.yaml": 0o644, "etc/sentinel/env": 0o600,
	} {
		fi, err := os.Stat(filepath.Join(root, path))
		if err != nil {
			t.Errorf("not installed: %v", err)
			continue
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("/%s has mode %v, want %v", path, fi.Mode().Perm(), mode)
		}
	}
	if env, _ := os.ReadFile(filepath.Join(root, "etc", "sentinel", "env")); string(env) != fmt.Sprintf("SENTINEL_NTFY_URL=%s/pick-a-long-secret-topic\n", ntfy.URL) {
		t.Errorf("/etc/sentinel/env = %q, want the ntfy variable", env)
	}
	calls, _ := os.ReadFile(filepath.Join(work, "systemctl.log"))
	if string(calls) != "systemctl daemon-reload\nsystemctl enable --now sentinel\n" {
		t.Errorf("systemctl calls = %q", calls)
	}
}

// TestREADME_configExample: the ten-line config of the README's
// Configuration is the one TestRun_layeredConfig runs.
func TestREADME_configExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "```yaml\n"+layeredConfig+"```") {
		t.Errorf("the README's Configuration lost the config TestRun_layeredConfig runs:\n%s", layeredConfig)
	}
}
