package source

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/sentinel-dev/sentinel/internal/benchlog"
)

// TestMemory_distinctFlood replays a sign-up flood in which each of
// 1,000,000 lines comes from a new address, with every default rule, and
// checks that the heap stays bounded: the sketches keep the same memory
// for a million keys as for a thousand.
func TestMemory_distinctFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and replays a 1M-line log; run without -short")
	}
	p := filepath.Join(t.TempDir(), "flood.log")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := benchlog.Write(f, 1_000_000, 2000, 1, benchlog.Flood); err != nil {
		t.Fatal(err)
	}
	f.Close()
	runtime.GC()
	peak, events := replayPeakHeap(t, p)
	t.Logf("peak heap %.1f MiB over %d events", float64(peak)/(1<<20), events)
	if events != 1_000_000 {
		t.Errorf("%d events, want 1,000,000", events)
	}
	if limit := uint64(64 << 20); peak > limit {
		t.Errorf("peak heap %d MiB, want under 64 MiB", peak>>20)
	}
}
