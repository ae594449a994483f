package daemon

import (
	"sync"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/config"
)

// TestReloadAudit_serialised: README "Running it", Signals: SIGHUP or
// 'sentinel reload' reloads the config. The two paths (the signal
// handler and POST /reload) call Reload concurrently; the reload asked
// last must be the one that stays, not an earlier one whose slower read
// of the file finishes after it.
func TestReloadAudit_serialised(t *testing.T) {
	parse := func(rule string) *config.Config {
		c, err := config.Parse("x.yaml", []byte("defaults: false\nrules:\n  - {name: "+rule+", detector: {type: rate, window: 1m, threshold: 1}}\n"),
			func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	first, second := parse("older"), parse("newer")
	started, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	calls := 0
	load := func() (*config.Config, error) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 { // the first reload reads the file, then is slow
			close(started)
			<-release
			return first, nil
		}
		return second, nil
	}
	d, err := New(Options{Config: parse("initial"), StateDir: t.TempDir(), Emit: func(alert.Alert) error { return nil }, Load: load})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); d.Reload() }() // SIGHUP
	<-started
	go func() { defer wg.Done(); d.Reload() }() // POST /reload, asked after
	time.Sleep(200 * time.Millisecond)
	close(release)
	wg.Wait()
	d.mu.Lock()
	got := d.cfg.Rules[0].Name
	d.mu.Unlock()
	if got != "newer" {
		t.Errorf("running rules after two reloads = %q, want those of the reload asked last (%q)", got, "newer")
	}
}
