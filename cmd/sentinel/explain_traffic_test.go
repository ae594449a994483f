package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestExplain_followTraffic: explain prints, beside a follow_traffic
// rule's baseline, how many times the requests raised it: a weekday's
// sign-ups and requests three times their normal for twenty minutes,
// the rule's normal raised 1.8 to 3 times a quarter hour in, and nothing
// fired.
func TestExplain_followTraffic(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "signups.yaml")
	if err := os.WriteFile(cfg, []byte(`defaults: false
rules:
  - name: signups
    match: {method: POST, path: /signup}
    detector:
      type: rate
      window: 5m
      baseline: {factor: 2.5, floor: 1/h, warmup: 10m, half_life: 1h, follow_traffic: true}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	// An hour of a page a second and a sign-up a minute, then twenty
	// minutes of three times both.
	var b strings.Builder
	start := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	line := func(at time.Time, method, path string) {
		fmt.Fprintf(&b, "192.0.2.%d - - [%s] \"%s %s HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n",
			at.Second()%200+1, at.Format("02/Jan/2006:15:04:05 -0700"), method, path)
	}
	for s := 0; s < 80*60; s++ {
		at := start.Add(time.Duration(s) * time.Second)
		n, every := 1, 60
		if s >= 60*60 {
			n, every = 3, 20
		}
		for range n {
			line(at, "GET", "/pricing")
		}
		if s%every == 0 {
			line(at, "POST", "/signup")
		}
	}
	log := filepath.Join(dir, "access.log")
	if err := os.WriteFile(log, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"explain", "-c", cfg, "-r", "signups", "--at", "2026-11-30T10:15:00Z", "--around", "2s", log}
	if code := run(args, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "never fired") {
		t.Errorf("a weekday fired:\n%s", out)
	}
	m := regexp.MustCompile(`10:15:00 .* ×([0-9.]+) with the requests`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("explain at 10:15:00 lacks the multiplier:\n%s", out)
	}
	// Three times the requests, against a normal that has learned a
	// quarter hour of them.
	if x, err := strconv.ParseFloat(m[1], 64); err != nil || x < 1.8 || x > 3 {
		t.Errorf("multiplier %s, want 1.8 to 3", m[1])
	}
}

// TestExplain_ruleAsInReplay: what explain tells of a rule chosen with
// -r is what it tells of it among every rule, as the replay ran it. It
// ran the chosen rules alone, and a rule's story depends on the others
// (the engine skips a gap only while every rule is idle): signup-burst's
// normal on the founding story read 2.05/h alone, 2.1/h in the replay.
func TestExplain_ruleAsInReplay(t *testing.T) {
	explain := func(args ...string) string {
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"explain"}, args...), strings.NewReader(""), &stdout, &stderr); code != exitOK {
			t.Fatalf("explain %v: exit %d: %s", args, code, stderr.String())
		}
		return stdout.String()
	}
	block := func(out, rule string) string {
		i := strings.Index(out, rule+": ")
		if i < 0 {
			t.Fatalf("no %s in:\n%s", rule, out)
		}
		j := strings.Index(out[i:], "\n\n")
		if j < 0 {
			j = len(out) - i
		}
		return out[i : i+j]
	}
	for _, tc := range []struct{ log, rule string }{
		{"signup-flood.log", "signup-burst"},
		{"signup-flood.log", "traffic-drop"},
		{"credential-stuffing.log", "login-failure-share"},
	} {
		log := filepath.Join("..", "..", "samples", tc.log)
		all, one := block(explain(log), tc.rule), block(explain("-r", tc.rule, log), tc.rule)
		if all != one {
			t.Errorf("%s on %s, chosen alone:\n%s\namong every rule:\n%s", tc.rule, tc.log, one, all)
		}
	}
}
