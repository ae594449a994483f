package daemon

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/state"
)

// TestDaemon_stopDrainsNotifications: the signals contract
// (docs/architecture.md, 5): "SIGTERM drains notifications and saves the
// offsets, then exits". A
// notification being delivered when the daemon is told to stop (the
// context SIGTERM cancels in cmd/sentinel/run.go) completes: the
// receiver, 200 ms from answering, is not cut off.
func TestDaemon_stopDrainsNotifications(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	delivered, aborted := 0, 0
	started := make(chan struct{}, 1)
	hook := alerts.NotifierFunc(func(ctx context.Context, a alert.Alert) error {
		select {
		case started <- struct{}{}:
		default:
		}
		select {
		case <-time.After(200 * time.Millisecond):
			mu.Lock()
			delivered++
			mu.Unlock()
			return nil
		case <-ctx.Done():
			mu.Lock()
			aborted++
			mu.Unlock()
			return ctx.Err()
		}
	})
	opts := postsOptions(t, dir, hook)
	opts.FromStart = true
	_, stop := start(t, opts)
	w := newLogWriter(t, filepath.Join(dir, "access.log"))
	at := time.Now().Add(-15 * time.Second)
	for _, sec := range []int{0, 1, 2, 12} { // the last, past the group wait: the notification is due
		w.lineAt(t, at.Add(time.Duration(sec)*time.Second), "203.0.113.7", "POST", "/", 302)
	}
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the notification was never sent")
	}
	stop() // what SIGTERM does
	mu.Lock()
	defer mu.Unlock()
	st, err := state.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if delivered != 1 || aborted != 0 || len(st.Pending) != 0 {
		t.Errorf("stopped during a delivery: %d delivered, %d cut off, %d left pending in the state for the next start; want it delivered before exit, and not sent again", delivered, aborted, len(st.Pending))
	}
}
