package state

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
