package daemon

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// TestDaemon_reloadNotifiers: the daemon takes its notifiers from the
// config, and again from each reload's: a reload that moves the webhook
// to another URL sends the next notification there, none to the old one.
func TestDaemon_reloadNotifiers(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	before, after := testutil.NewReceiver(t), testutil.NewReceiver(t)
	dir := t.TempDir()
	cfgPath, logPath := filepath.Join(dir, "sentinel.yaml"), filepath.Join(dir, "access.log")
	writeConfig := func(url string) {
		t.Helper()
		yaml := fmt.Sprintf(`defaults: false
settings: {group_wait: 1s}
rules:
  - {name: posts, match: {method: POST}, detector: {type: rate, window: 1m, threshold: 0.01}}
  - {name: deletes, match: {method: DELETE}, detector: {type: rate, window: 1m, threshold: 0.01}}
notifiers:
  - {name: hook, type: webhook, url: %q}
`, url)
		if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig(before.URL + "/hook")
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	w := newLogWriter(t, logPath)
	d, stop := start(t, Options{Config: cfg, Load: func() (*config.Config, error) { return config.Load(cfgPath) },
		Sources: []Source{{Pattern: logPath, Format: "combined"}}, StateDir: filepath.Join(dir, "state"), FromStart: true})
	defer stop()

	w.line(t, "203.0.113.7", "POST", "/users", 302)
	waitFor(t, "the first notification, at the first URL", func() bool { return len(before.Requests()) == 1 })

	writeConfig(after.URL + "/hook")
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	w.line(t, "203.0.113.8", "DELETE", "/users/1", 204)
	waitFor(t, "the next notification, at the new URL", func() bool { return len(after.Requests()) > 0 })
	if n := len(before.Requests()); n != 1 {
		t.Errorf("the old URL got %d notifications, want only the first", n)
	}
	if body := after.Requests()[0].Body; !bytes.Contains(body, []byte("deletes")) {
		t.Errorf("the new URL got %s, want the deletes rule's notification", body)
	}
	if st := d.Status(); len(st.Notifiers) != 1 || st.Notifiers[0].Name != "hook" {
		t.Errorf("status notifiers = %+v, want hook alone", st.Notifiers)
	}
}

// TestDaemon_singleLine: a new log's first line waits for a second (it may
// be dated far ahead), and is counted after a quiet second when none comes:
// a log with a single line alerts on it.
func TestDaemon_singleLine(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	hook := testutil.NewReceiver(t)
	dir := t.TempDir()
	cfgPath, logPath := filepath.Join(dir, "sentinel.yaml"), filepath.Join(dir, "access.log")
	yaml := fmt.Sprintf(`defaults: false
settings: {group_wait: 1s}
rules:
  - {name: posts, match: {method: POST}, detector: {type: rate, window: 1m, threshold: 0.01}}
notifiers:
  - {name: hook, type: webhook, url: %q}
`, hook.URL+"/hook")
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	w := newLogWriter(t, logPath)
	_, stop := start(t, Options{Config: cfg, Sources: []Source{{Pattern: logPath, Format: "combined"}},
		StateDir: filepath.Join(dir, "state"), FromStart: true})
	defer stop()
	w.line(t, "203.0.113.7", "POST", "/users", 302)
	waitFor(t, "the single line's notification", func() bool { return len(hook.Requests()) == 1 })
	if body := hook.Requests()[0].Body; !bytes.Contains(body, []byte(`"posts"`)) {
		t.Errorf("the webhook got %s, want the posts rule's notification", body)
	}
}
