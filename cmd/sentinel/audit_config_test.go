package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAudit_countApplicationEvents: README "Counting application events":
// a Phoenix app's `Logger.info("user registered")` lines, with no POST
// line for the sign-up, are counted by the README's rule
// (`message: {prefix: user registered}`), laid over the defaults, and a
// burst of them fires it; the requests around them are not counted.
func TestAudit_countApplicationEvents(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)### Counting application events.*?```yaml\n(.*?)```").FindSubmatch(data)
	if m == nil {
		t.Fatal("README's Counting application events has no yaml block")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sentinel.yaml")
	if err := os.WriteFile(cfg, append([]byte("rules:\n"), m[1]...), 0o644); err != nil {
		t.Fatal(err)
	}
	// Ten minutes of a page view every two seconds; from minute 5, three
	// registrations a second for two minutes (the rule fires above 1/s
	// over a minute).
	var log strings.Builder
	for s := 0; s < 600; s++ {
		tod := fmt.Sprintf("10:%02d:%02d", s/60, s%60)
		if s%2 == 0 {
			rid := fmt.Sprintf("F%019d", s)
			fmt.Fprintf(&log, "%s.100 request_id=%s remote_ip=203.0.113.%d [info] GET /\n", tod, rid, s%200+1)
			fmt.Fprintf(&log, "%s.102 request_id=%s remote_ip=203.0.113.%d [info] Sent 200 in 2ms\n", tod, rid, s%200+1)
		}
		if s >= 300 && s < 420 {
			for i := range 3 {
				fmt.Fprintf(&log, "%s.%03d request_id=R%018d%d remote_ip=198.51.100.%d [info] user registered\n", tod, 200+i*100, s, i, i+1)
			}
		}
	}
	logPath := filepath.Join(dir, "app.log")
	if err := os.WriteFile(logPath, []byte(log.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := replayJSON(t, "-c", cfg, "--format", "phoenix", logPath)
	var fired []string
	for _, l := range lines {
		if strings.Contains(l, `"rule":"registrations","state":"firing"`) {
			fired = append(fired, l)
		}
	}
	// It fires within the burst (a minute at 3/s passes 1/s after 20s),
	// not before it.
	if len(fired) != 1 || !regexp.MustCompile(`"time":"2026-11-27T10:0[56]:`).MatchString(fired[0]) {
		t.Errorf("replay of 3 registrations/s from 10:05 to 10:07: want rule registrations firing once in it; got:\n%s", strings.Join(lines, "\n"))
	}
}
