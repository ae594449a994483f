package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestREADME_metricsTable: every metric README's "Metrics" table lists is
// on a running daemon's /metrics, with the labels the table gives it, and
// every sentinel_* metric the daemon exposes is in the table (the fleet's
// own, sentinel_fleet_*, are README's fleet section's). The daemon runs
// with a notifier and an action, whose series exist from the start.
func TestREADME_metricsTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "### Metrics")
	end := strings.Index(section, "## Actions")
	if start < 0 || end < start {
		t.Fatal(`README has no "### Metrics" before "## Actions"`)
	}
	section = section[start:end]
	row := regexp.MustCompile("(?m)^\\| `(sentinel_[a-z_]+)` \\| *([^|]*?) *\\|")
	documented := map[string][]string{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		var labels []string
		for _, l := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(m[2], -1) {
			labels = append(labels, l[1])
		}
		documented[m[1]] = labels
	}
	if len(documented) < 15 {
		t.Fatalf("found %d metrics in README's table, want the whole table: %v", len(documented), documented)
	}

	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	if err := os.WriteFile(logPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "sentinel.yaml")
	if err := os.WriteFile(cfg, []byte(`notifiers:
  - {name: hook, type: webhook, url: "http://127.0.0.1:9/hook"}
actions:
  - name: signups-off
    rules: [signup-burst]
    webhook: {url: "http://127.0.0.1:9/flags/signups"}
    revert: {body: '{"enabled": true}'}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	startRun(t, sentinelExe(t), nil, "--config", cfg, "--state-dir", filepath.Join(dir, "state"), "--listen", addr, logPath)

	// family name -> the label names of its series
	exposed := map[string]map[string]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for len(exposed) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the daemon's /metrics never answered")
		}
		time.Sleep(50 * time.Millisecond)
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "sentinel_") {
				continue
			}
			name, rest, _ := strings.Cut(strings.Fields(line)[0], "{")
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if base, ok := strings.CutSuffix(name, suffix); ok && documented[base] != nil {
					name = base
				}
			}
			if exposed[name] == nil {
				exposed[name] = map[string]bool{}
			}
			for _, kv := range strings.Split(strings.TrimSuffix(rest, "}"), ",") {
				if k, _, ok := strings.Cut(kv, "="); ok && k != "le" {
					exposed[name][k] = true
				}
			}
		}
		resp.Body.Close()
	}
	for name, labels := range documented {
		got, ok := exposed[name]
		if !ok && name == "sentinel_link_requests_total" {
			continue // the signed links' requests: counted once links are set up and asked
		}
		if !ok {
			t.Errorf("README lists %s; the daemon does not expose it at start", name)
			continue
		}
		for _, l := range labels {
			if !got[l] {
				t.Errorf("README gives %s the label %q; the daemon's series have %v", name, l, keys(got))
			}
		}
		for l := range got {
			if !slices.Contains(labels, l) {
				t.Errorf("%s has the label %q, which README's table does not give it", name, l)
			}
		}
	}
	for name := range exposed {
		if _, ok := documented[name]; !ok && !strings.HasPrefix(name, "sentinel_fleet_") {
			t.Errorf("the daemon exposes %s, which README's Metrics table does not list", name)
		}
	}
}

func keys(m map[string]bool) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return fmt.Sprint(out)
}
