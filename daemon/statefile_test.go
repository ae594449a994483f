package daemon

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/state"
)

// TestDaemon_stateFile: what README promises of the state file when it is
// not what a save left. A torn file is set aside as state.json.bad and
// the daemon starts afresh; a file from a newer sentinel stops the start
// and is left as it is; a save that fails (here: state.json is a
// directory, which no rename replaces, even as root) is logged and
// retried, and the daemon goes on alerting meanwhile.
func TestDaemon_stateFile(t *testing.T) {
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	quiet := alerts.NotifierFunc(func(context.Context, alert.Alert) error { return nil })
	// fired runs a daemon on dir, saving every 100 ms and calling
	// beforeSave (if not nil) at the start of each save, until the posts
	// rule fires, and a few saves more; it returns what the daemon
	// logged.
	fired := func(t *testing.T, dir string, beforeSave func()) (logs string) {
		t.Helper()
		var mu sync.Mutex
		n := 0
		opts := postsOptions(t, dir, quiet)
		opts.Emit = func(a alert.Alert) error {
			if a.Rule == "posts" && a.State == alert.Firing {
				mu.Lock()
				n++
				mu.Unlock()
			}
			return nil
		}
		buf := &testutil.SyncBuffer{}
		opts.Logger = slog.New(slog.NewTextHandler(buf, nil))
		opts.Checkpoint = 100 * time.Millisecond
		d, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		d.beforeSave = beforeSave
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		// A post every 50 ms, until one is read (the daemon follows the
		// file from its end) and fires the rule.
		w := newLogWriter(t, filepath.Join(dir, "access.log"))
		waitFor(t, "the posts rule's firing", func() bool {
			w.line(t, "203.0.113.7", "POST", "/x", 302)
			time.Sleep(30 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			return n > 0
		})
		time.Sleep(300 * time.Millisecond) // saves after the firing
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v", err)
		}
		return buf.String()
	}
	p := func(dir string) string { return filepath.Join(dir, state.FileName) }

	t.Run("torn", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		torn := []byte(`{"version":1,"saved":"2026-12-0`)
		if err := os.WriteFile(p(dir), torn, 0o600); err != nil {
			t.Fatal(err)
		}
		logs := fired(t, dir, nil)
		if got, err := os.ReadFile(p(dir) + ".bad"); err != nil || string(got) != string(torn) {
			t.Errorf("state.json.bad = %q, %v; want the torn file as it was", got, err)
		}
		if _, err := state.Load(dir); err != nil {
			t.Errorf("the state saved after the fresh start: %v", err)
		}
		if !strings.Contains(logs, "set aside") {
			t.Errorf("nothing logged about the torn file:\n%s", logs)
		}
	})

	t.Run("newer", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		newer := []byte(`{"version":99,"saved":"2027-01-01T00:00:00Z"}`)
		if err := os.WriteFile(p(dir), newer, 0o600); err != nil {
			t.Fatal(err)
		}
		opts := postsOptions(t, dir, quiet)
		d, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = d.Run(ctx)
		if !errors.Is(err, state.ErrVersion) || !strings.Contains(err.Error(), "move it away") {
			t.Errorf("Run() = %v, want the state's version refused, saying how to start afresh", err)
		}
		if got, _ := os.ReadFile(p(dir)); string(got) != string(newer) {
			t.Errorf("state.json = %q, want the newer sentinel's left as it was", got)
		}
	})

	t.Run("failed save", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		var once sync.Once
		logs := fired(t, dir, func() {
			// Before the first save: state.json becomes a directory that
			// holds a file, which no rename replaces, even as root.
			once.Do(func() {
				if err := os.Mkdir(p(dir), 0o700); err != nil && !errors.Is(err, os.ErrExist) {
					t.Error(err)
				}
				if err := os.WriteFile(filepath.Join(p(dir), "x"), nil, 0o600); err != nil {
					t.Error(err)
				}
			})
		})
		if !strings.Contains(logs, "state not saved: will retry") {
			t.Errorf("the failed save was not logged:\n%s", logs)
		}
		if fi, err := os.Stat(p(dir)); err != nil || !fi.IsDir() {
			t.Fatalf("state.json: %v, %v; want the obstruction still there", fi, err)
		}
		// The obstruction gone, the next run saves again.
		if err := os.RemoveAll(p(dir)); err != nil {
			t.Fatal(err)
		}
		fired(t, dir, nil)
		if _, err := state.Load(dir); err != nil {
			t.Errorf("state after the obstruction went: %v", err)
		}
	})
}
