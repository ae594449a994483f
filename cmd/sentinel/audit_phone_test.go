package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/links"
)

// serviceUID stands for the user the service runs as (systemd's
// DynamicUser): not root, owner of the state directory and its files.
const serviceUID = 65534

// TestAudit_rotateKeyKeepsOwner: README, "A link is a capability":
// `sentinel links rotate-key` revokes every link sent so far, also in a
// running daemon — which then signs new links with the new key. Under the
// Quickstart's systemd unit the daemon is its own user and the admin
// rotates the key with sudo: the new links.key must stay readable by the
// daemon (its owner kept, mode 0600), or every link refuses ("Links are
// out of order") and notifications go out without links.
func TestAudit_rotateKeyKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: rotates, as root, the key of a daemon running as another user")
	}
	dir := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(dir, links.KeyFile)
	if _, err := links.NewKeyring(path).Key(); err != nil { // the daemon's first link made it
		t.Fatal(err)
	}
	for _, p := range []string{dir, path} {
		if err := os.Chown(p, serviceUID, serviceUID); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{filepath.Dir(dir), filepath.Dir(filepath.Dir(dir))} { // the service's user may reach its state dir
		if err := os.Chmod(p, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	if code := run([]string{"links", "rotate-key", "--state-dir", dir}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("links rotate-key = %d, want 0\nstderr: %s", code, stderr.String())
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != serviceUID || st.Gid != serviceUID || fi.Mode().Perm() != 0o600 {
		t.Errorf("rotated key: owner %d:%d, mode %v; want %d:%d, 0600 (the daemon's)", st.Uid, st.Gid, fi.Mode().Perm(), serviceUID, serviceUID)
	}
	if now, _ := os.ReadFile(path); bytes.Equal(now, old) {
		t.Error("links rotate-key left the key as it was")
	}
	readable := func(when string) {
		t.Helper()
		// The daemon, as its user, reads the new key.
		cat := exec.Command("cat", path)
		cat.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: serviceUID, Gid: serviceUID}}
		if out, err := cat.CombinedOutput(); err != nil {
			t.Errorf("%s: the daemon's user cannot read the new key: %v: %s", when, err, out)
		}
	}
	readable("rotated")

	// With the key deleted, a rotation makes one the daemon can read too.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"links", "rotate-key", "--state-dir", dir}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("links rotate-key without a key = %d, want 0\nstderr: %s", code, stderr.String())
	}
	readable("made")
}

// TestAudit_rotateKeyNoKey: `sentinel links rotate-key` "revokes every link
// sent so far". Run where no key is (sudo without --state-dir rotates
// root's ~/.local/state/sentinel, not the service's /var/lib/sentinel), it
// revoked nothing: it must not say that it did, and must say where to look.
func TestAudit_rotateKeyNoKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"links", "rotate-key", "--state-dir", dir}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("links rotate-key = %d, want 0\nstderr: %s", code, stderr.String())
	}
	if strings.Contains(stdout.String(), "refused") {
		t.Errorf("stdout = %q, want no claim that links were revoked: there was no key", stdout.String())
	}
	if !strings.Contains(stderr.String(), "sentinel: warning: ") || !strings.Contains(stderr.String(), "--state-dir") ||
		!strings.Contains(stderr.String(), filepath.Join(dir, "links.key")) {
		t.Errorf("stderr = %q, want a warning that no key was there, naming it and --state-dir", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "links.key")); err != nil {
		t.Errorf("no key made: %v", err)
	}
	// A second rotation replaces a key: it says every link is refused.
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"links", "rotate-key", "--state-dir", dir}, strings.NewReader(""), &stdout, &stderr); code != exitOK ||
		!strings.Contains(stdout.String(), "every link sent before now is refused") || stderr.Len() != 0 {
		t.Errorf("second links rotate-key = %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// TestAudit_quickstartPages: README, Quickstart, "Watch live": "your phone
// gets one page per incident, ten seconds after it starts, then one when
// it is over", shown as the two lines the phone gets for the founding
// flood on a host named web-1. `sentinel run` follows the flood with an
// ntfy topic on loopback: its titles are those two lines, word for word,
// and nothing else.
func TestAudit_quickstartPages(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon")
	}
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	section, _ := quickstart(t)
	_, watch, ok := strings.Cut(section, "**Watch live.**")
	if !ok {
		t.Fatal("the Quickstart has no \"Watch live\" step")
	}
	want := regexp.MustCompile(`(?m)^web-1: .*$`).FindAllString(watch, -1)
	if len(want) != 2 {
		t.Fatalf("the Quickstart's Watch live shows %q, want the incident's page and its resolution", want)
	}

	ntfy := testutil.NewReceiver(t)
	dir := t.TempDir()
	cfg, logPath := filepath.Join(dir, "sentinel.yaml"), filepath.Join(dir, "access.log")
	if err := os.WriteFile(cfg, []byte("settings: {site: web-1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	flood, err := os.ReadFile(filepath.Join("..", "..", "samples", "signup-flood.log"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, flood, 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "SENTINEL_NTFY_URL="+ntfy.URL+"/pick-a-long-secret-topic")
	startRun(t, sentinelExe(t), env, "-c", cfg, "--state-dir", filepath.Join(dir, "state"), "--listen", "", "--from-start", logPath)
	titles := func() []string {
		var out []string
		for _, r := range ntfy.Requests() {
			var m struct{ Title string }
			json.Unmarshal(r.Body, &m)
			out = append(out, m.Title)
		}
		return out
	}
	deadline := time.Now().Add(time.Minute)
	for !slices.ContainsFunc(titles(), func(s string) bool { return strings.Contains(s, "Resolved after") }) {
		if time.Now().After(deadline) {
			t.Fatalf("no resolution paged; titles %q", titles())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := titles(); !slices.Equal(got, want) {
		t.Errorf("pages:\n%s\nwant (README, Quickstart):\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestAudit_linksLogNoAudit: README, "Audit": every request to a link is a
// line of links.jsonl in the state directory, shown by `sentinel links
// log`. Where there is none (sudo without --state-dir reads root's own
// state directory, not the service's), it must not only say that no link
// was opened: it names the path and --state-dir.
func TestAudit_linksLogNoAudit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"links", "log", "--state-dir", dir}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("links log = %d, want 0\nstderr: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), filepath.Join(dir, "links.jsonl")) || !strings.Contains(stderr.String(), "--state-dir") {
		t.Errorf("stderr = %q, want the path looked at and a pointer to --state-dir", stderr.String())
	}
}
