package detector

import (
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/parsers"
)

// TestEngine_keysCut: "Top offenders are counted per bucket in bounded
// memory (Space-Saving, 128 keys per bucket, keys cut at 256 bytes)"
// (docs/detectors.md): a per-key rule grouped by a 4 KB user agent fires
// on it and names it cut to its first 256 bytes; two agents that differ
// only past byte 256 are one key.
func TestEngine_keysCut(t *testing.T) {
	ua := LookupField("user_agent")
	r := Rule{Name: "ua", Type: Rate, Window: 10 * time.Second, Threshold: 5, PerKey: true, GroupBy: &ua, Severity: alert.Warning}
	var full []alert.Alert
	eng, err := NewEngine([]Rule{r}, Options{Emit: func(a alert.Alert) { full = append(full, a) }})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("A", 4096)
	var e parsers.Event
	for i := range 100 {
		e.Reset()
		e.Time = t0.Add(time.Duration(i) * 100 * time.Millisecond)
		e.ClientIP = []byte("203.0.113.7")
		// Each half of the agents differs past byte 256: together 10/s, apart 5/s.
		e.UserAgent = []byte(long + string(rune('a'+i%2)))
		e.Raw = []byte("line")
		eng.Observe(&e)
	}
	eng.Flush()
	if len(full) == 0 || full[0].State != alert.Firing {
		t.Fatalf("alerts %v, want the agents, cut alike, to fire as one key", full)
	}
	if k := full[0].Keys; len(k) != 1 || k[0].Key != long[:256] {
		t.Errorf("keys %d: first of %d bytes, want one key of the first 256 bytes", len(k), len(k[0].Key))
	}
}
