package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sentinel-dev/sentinel/config"
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

// TestAudit_fleetOnOneNode: "A rule with fleet: true is evaluated over
// every node's logs together when sentinel runs as a fleet …; on a single
// node it changes nothing." The embedded rules mark most of theirs fleet:
// true; without it, they replay the samples to the very same alerts.
func TestAudit_fleetOnOneNode(t *testing.T) {
	text, n := string(config.DefaultYAML()), 0
	for _, l := range strings.SplitAfter(text, "\n") {
		if strings.TrimSpace(l) == "fleet: true" {
			n++
		}
	}
	if n < 5 {
		t.Fatalf("%d default rules are fleet: true; the test needs most of them", n)
	}
	cfg := filepath.Join(t.TempDir(), "nofleet.yaml")
	text = "defaults: false\n" + strings.ReplaceAll(text, "\n    fleet: true\n", "\n")
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Rules {
		if r.Fleet {
			t.Fatalf("rule %s is still fleet: true", r.Name)
		}
	}
	if len(c.Rules) != len(config.Default().Rules) {
		t.Fatalf("%d rules, want the %d default ones", len(c.Rules), len(config.Default().Rules))
	}
	for _, sample := range []string{"signup-flood.log", "5xx-storm.log", "credential-stuffing.log"} {
		t.Run(sample, func(t *testing.T) {
			p := filepath.Join("..", "..", "samples", sample)
			with := strings.Join(replayJSON(t, p), "\n")
			if with == "" {
				t.Fatal("the sample raised no alert: nothing to compare")
			}
			if without := strings.Join(replayJSON(t, "-c", cfg, p), "\n"); without != with {
				t.Errorf("fleet: true changes the replay on one node (- with it, + without):\n%s", lineDiff(with, without))
			}
		})
	}
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
