package state

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/tailer"
)

func TestSaveLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if st, err := Load(dir); st != nil || err != nil {
		t.Fatalf("Load(empty) = %v, %v; want nothing", st, err)
	}
	want := &State{Config: "sentinel.yaml", Saved: time.Date(2026, 11, 27, 1, 20, 0, 0, time.UTC),
		Checkpoints: []tailer.Checkpoint{{Path: "/var/log/a.log", Dev: 2049, Inode: 42, Offset: 1234, Fingerprint: "ab"}},
		Engine:      &detector.Snapshot{Version: detector.SnapshotVersion, Cur: 7}}
	if err := Save(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load() (-want +got):\n%s", diff)
	}
	// Saving again replaces it whole and leaves no temporary file.
	want.Checkpoints[0].Offset = 99
	if err := Save(dir, want); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("state dir holds %d files, want 1", len(entries))
	}
	if got, _ := Load(dir); got.Checkpoints[0].Offset != 99 {
		t.Errorf("offset = %d after the second save", got.Checkpoints[0].Offset)
	}
	os.WriteFile(filepath.Join(dir, FileName), []byte(`{"version": 7}`), 0o600)
	if _, err := Load(dir); !errors.Is(err, ErrVersion) {
		t.Errorf("Load(version 7) = %v, want ErrVersion", err)
	}
	os.WriteFile(filepath.Join(dir, FileName), []byte(`{"vers`), 0o600)
	if _, err := Load(dir); !errors.Is(err, ErrUndecodable) {
		t.Errorf("Load(torn file) = %v, want ErrUndecodable", err)
	}
	if err := SetAside(dir); err != nil {
		t.Fatal(err)
	}
	if st, err := Load(dir); st != nil || err != nil {
		t.Errorf("after SetAside: %v, %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName+".bad")); err != nil {
		t.Errorf("the bad file was not kept: %v", err)
	}
	if err := CheckWritable(dir); err != nil {
		t.Errorf("CheckWritable(%s) = %v", dir, err)
	}
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o600)
	if err := CheckWritable(file); err == nil {
		t.Error("CheckWritable(a file) = nil")
	}
}

// TestAudit_pendingKeepsWindow: docs/json.md, "The webhook notifier's
// body": every alert of a notification carries window_seconds, and
// docs/architecture.md ("Shutdown") sends a notification not yet delivered
// again after a restart. Its alerts, and those of the open incidents it is
// built from, keep their rules' windows across the save: alert.Alert does
// not encode its Window.
func TestAudit_pendingKeepsWindow(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 11, 27, 1, 20, 10, 0, time.UTC)
	burst := alert.Alert{Rule: "signup-burst", State: alert.Firing, Time: at, Window: 30 * time.Second}
	spread := alert.Alert{Rule: "signup-spread", State: alert.Firing, Time: at, Window: time.Minute}
	lead := burst
	lead.Incident = &alert.Incident{Key: "signup-spread@1795742400", State: alert.Firing, Alerts: []alert.Alert{burst, spread}}
	st := &State{
		Pending:   []alert.Alert{lead},
		Incidents: []alerts.OpenIncident{{Key: "signup-spread@1795742400", Members: []alerts.Member{{Alert: spread, Firing: true}}}},
	}
	if err := Save(dir, st); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := got.Pending[0]
	if p.Window != 30*time.Second || p.Incident.Alerts[0].Window != 30*time.Second || p.Incident.Alerts[1].Window != time.Minute {
		t.Errorf("pending windows after a restart: %v, incident %v and %v; want 30s, 30s and 1m",
			p.Window, p.Incident.Alerts[0].Window, p.Incident.Alerts[1].Window)
	}
	if w := got.Incidents[0].Members[0].Alert.Window; w != time.Minute {
		t.Errorf("open incident's member window after a restart: %v, want 1m", w)
	}
}
