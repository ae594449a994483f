package state

import (
	"os"
	"path/filepath"
	"testing"
)

// TestStateAudit_defaultDir: README "Running it": the state directory
// defaults to $STATE_DIRECTORY, $XDG_STATE_HOME/sentinel or
// ~/.local/state/sentinel, in that order.
func TestStateAudit_defaultDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("STATE_DIRECTORY", "/srv/state")
	t.Setenv("XDG_STATE_HOME", "/xdg")
	if got := DefaultDir(); got != "/srv/state" {
		t.Errorf("with $STATE_DIRECTORY: %q", got)
	}
	os.Unsetenv("STATE_DIRECTORY")
	if got := DefaultDir(); got != "/xdg/sentinel" {
		t.Errorf("with $XDG_STATE_HOME: %q", got)
	}
	os.Unsetenv("XDG_STATE_HOME")
	if got, want := DefaultDir(), filepath.Join(home, ".local", "state", "sentinel"); got != want {
		t.Errorf("with neither: %q, want %q", got, want)
	}
}
