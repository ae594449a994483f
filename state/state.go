// Package state saves and loads what the daemon must remember across a
// restart: where it stopped reading each file, and the detector engine's
// windows, baselines and alert states. A save is atomic (write a temporary
// file, sync, rename), so a crash leaves the previous state or the new
// one, never half of either.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/tailer"
)

// Version is the format of the state file; Load refuses others.
const Version = 1

// FileName is the state file's name in the state directory.
const FileName = "state.json"

// State is what a daemon saves.
type State struct {
	Version     int                 `json:"version"`
	Saved       time.Time           `json:"saved"`
	Config      string              `json:"config"` // the config file it ran with
	Checkpoints []tailer.Checkpoint `json:"checkpoints"`
	Engine      *detector.Snapshot  `json:"engine,omitempty"`
	// Pending are notifications not yet delivered to a notifier (or held
	// by a silence): sent again after a restart, so a notifier's outage
	// loses nothing. A state saved before incidents holds transitions.
	Pending []alert.Alert `json:"pending,omitempty"`
	// Incidents are the incidents open: the rules each groups, what was
	// told of them, so that one resolves with one notification across a
	// restart.
	Incidents []alerts.OpenIncident `json:"incidents,omitempty"`
	// Silences set through the API (rule → until), kept across a restart.
	Silences map[string]time.Time `json:"silences,omitempty"`
	// Actions are the remedies on (to be reverted after a restart), the
	// recent applications (for cooldowns and caps) and the pause switch.
	Actions *actions.State `json:"actions,omitempty"`
	// Windows are the windows of the rules of the alerts in Pending and
	// Incidents, by rule, written by Save and put back by Load:
	// alert.Alert does not encode its Window (the JSON output writes it as
	// window_seconds), and a notification sent after a restart still says
	// it.
	Windows map[string]time.Duration `json:"windows,omitempty"`
}

// eachAlert calls f with every alert of st's notifications and open
// incidents, those of each notification's incident included.
func (st *State) eachAlert(f func(a *alert.Alert)) {
	for i := range st.Pending {
		f(&st.Pending[i])
		if inc := st.Pending[i].Incident; inc != nil {
			for j := range inc.Alerts {
				f(&inc.Alerts[j])
			}
		}
	}
	for i := range st.Incidents {
		for j := range st.Incidents[i].Members {
			f(&st.Incidents[i].Members[j].Alert)
		}
	}
}

// ErrVersion is returned by Load for a state of another format.
var ErrVersion = errors.New("state file of another version")

// ErrUndecodable is returned by Load for a state file that is not valid
// JSON (torn by a foreign writer, or not ours).
var ErrUndecodable = errors.New("state file undecodable")

// SetAside renames an unreadable state file to state.json.bad, keeping it
// for a look, so that the daemon can start afresh without destroying it.
func SetAside(dir string) error {
	p := filepath.Join(dir, FileName)
	if err := os.Rename(p, p+".bad"); err != nil {
		return fmt.Errorf("set aside state: %w", err)
	}
	return nil
}

// CheckWritable creates dir if needed and checks that a state can be
// written there, so that a daemon fails at start rather than at its first
// save.
func CheckWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("state dir not writable: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// Load reads the state in dir; a missing file returns (nil, nil).
func Load(dir string) (*State, error) {
	p := filepath.Join(dir, FileName)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUndecodable, p, err)
	}
	if st.Version != Version {
		return nil, fmt.Errorf("%s: %w: %d", p, ErrVersion, st.Version)
	}
	st.eachAlert(func(a *alert.Alert) {
		if a.Window == 0 {
			a.Window = st.Windows[a.Rule]
		}
	})
	return &st, nil
}

// Save writes st to dir atomically, creating dir (0700) if needed.
func Save(dir string, st *State) error {
	st.Version = Version
	st.Windows = nil
	st.eachAlert(func(a *alert.Alert) {
		if a.Window > 0 {
			if st.Windows == nil {
				st.Windows = map[string]time.Duration{}
			}
			st.Windows[a.Rule] = a.Window
		}
	})
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create state dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, FileName+".*.tmp")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing left to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, FileName)); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if d, err := os.Open(dir); err == nil { // make the rename durable
		d.Sync()
		d.Close()
	}
	return nil
}

// DefaultDir is where state goes without --state-dir: $STATE_DIRECTORY
// (systemd's StateDirectory=), else $XDG_STATE_HOME/sentinel, else
// ~/.local/state/sentinel, else /var/lib/sentinel.
func DefaultDir() string {
	if d := os.Getenv("STATE_DIRECTORY"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "sentinel")
	}
	if home, err := os.UserHomeDir(); err == nil && home != "/" {
		return filepath.Join(home, ".local", "state", "sentinel")
	}
	return "/var/lib/sentinel"
}
