package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sentinel-dev/sentinel/config"
)

// TestCommandsAudit_printDefaults: README "Commands": `sentinel check
// --print-defaults` prints the default rules.
func TestCommandsAudit_printDefaults(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"check", "--print-defaults"}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	if !bytes.Equal(stdout.Bytes(), config.DefaultYAML()) {
		t.Errorf("check --print-defaults printed %d bytes, not the embedded defaults (%d bytes)", stdout.Len(), len(config.DefaultYAML()))
	}
	if _, err := config.Parse("printed.yaml", stdout.Bytes(), func(string) (string, bool) { return "", false }); err != nil {
		t.Errorf("the printed defaults do not load as a config: %v", err)
	}
}

// TestCommandsAudit_version: README "Commands": `sentinel version`
// (`--version`) prints the version; both print the same line.
func TestCommandsAudit_version(t *testing.T) {
	out := func(args ...string) string {
		var stdout, stderr bytes.Buffer
		if code := run(args, strings.NewReader(""), &stdout, &stderr); code != exitOK {
			t.Fatalf("%q: exit %d; stderr:\n%s", args, code, stderr.String())
		}
		return stdout.String()
	}
	a, b := out("version"), out("--version")
	if a != b || !strings.HasPrefix(a, "sentinel "+version) {
		t.Errorf("version printed %q, --version %q; want the same line, starting with %q", a, b, "sentinel "+version)
	}
}

// TestCommandsAudit_checkWarnsUnreachedRule: README "Commands": `sentinel
// check` warns when a rule's alerts reach no notifier.
func TestCommandsAudit_checkWarnsUnreachedRule(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.yaml")
	text := "defaults: false\nrules:\n  - {name: posts, severity: info, match: {method: POST}, detector: {type: rate, window: 1m, threshold: 1}}\n" +
		"notifiers:\n  - {name: phone, type: ntfy, url: 'http://127.0.0.1:1/topic', min_severity: critical}\n"
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"check", "-c", p}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "sentinel: warning: rule posts (info) reaches no notifier") {
		t.Errorf("no warning that posts reaches no notifier; stderr:\n%s\nstdout:\n%s", stderr.String(), stdout.String())
	}
}
