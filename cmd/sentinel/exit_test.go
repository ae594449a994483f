package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun_exitCodes pins the exact codes of contract 3, which a script's
// "! exec" cannot tell apart.
func TestRun_exitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.log", `192.0.2.1 - - [27/Nov/2026:01:20:02 +0000] "GET / HTTP/1.1" 200 512 "-" "Mozilla/5.0"`+"\n")
	bad := write("bad.yaml", "rules:\n  - name: x\n    no_such_key: 1\n")
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"help", []string{"--help"}, exitOK},
		{"replay", []string{"replay", good}, exitOK},
		{"unknown command", []string{"no-such-command"}, exitUsage},
		{"unknown flag", []string{"replay", "--nope", good}, exitUsage},
		{"bad output", []string{"replay", "-o", "xml", good}, exitUsage},
		{"bad format", []string{"replay", "--format", "syslog", good}, exitUsage},
		{"bad date", []string{"replay", "--date", "yesterday", good}, exitUsage},
		{"skew past an hour", []string{"replay", "--skew", "2h", good}, exitUsage}, // as settings.skew: 2h is refused
		{"no input", []string{"replay"}, exitUsage},
		{"invalid config", []string{"check", "-c", bad}, exitUsage},
		{"invalid config in replay", []string{"replay", "-c", bad, good}, exitUsage},
		{"missing config", []string{"check", "-c", filepath.Join(dir, "none.yaml")}, exitUsage},
		{"json without a mapping", []string{"replay", "--format", "json", good}, exitUsage},
		{"empty log", []string{"replay", write("empty.log", "")}, exitOK},
		{"missing log", []string{"replay", filepath.Join(dir, "none.log")}, exitFailure},
		{"version", []string{"version"}, exitOK},
		{"run with an open API and no token", []string{"run", "--listen", "0.0.0.0:0", "--state-dir", filepath.Join(dir, "state"), good}, exitUsage},
		{"run with nothing to follow", []string{"run", "--state-dir", filepath.Join(dir, "state")}, exitUsage},
		{"status without a daemon", []string{"status", "--addr", "127.0.0.1:1", "--timeout", "1s"}, exitFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := run(tt.args, strings.NewReader(""), &stdout, &stderr)
			if got != tt.want {
				t.Errorf("run(%q) = %d, want %d; stderr:\n%s", tt.args, got, tt.want, stderr.String())
			}
			if got != exitOK && !strings.HasPrefix(stderr.String(), "sentinel: error: ") {
				t.Errorf("stderr = %q, want it to start with \"sentinel: error: \"", stderr.String())
			}
		})
	}
}
