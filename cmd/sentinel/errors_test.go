package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRun_errorLines: docs/json.md, "Exit codes": "Errors go to stderr as
// `sentinel: error: …`, followed by `sentinel: hint: …` lines; config
// problems as `file:line: field: message`, every one of them"; and
// README, "Commands": `sentinel version` (`--version`) prints the version.
func TestRun_errorLines(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("rules:\n  - name: x\n    no_such_key: 1\n    detector: {type: rate, window: soon, threshold: 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		errors []string // regexps of the error lines, in order
		hints  []string // regexps of the hint lines, in order
	}{
		{"invalid config", []string{"check", "-c", bad}, exitUsage,
			[]string{"^" + regexp.QuoteMeta(bad) + `:3: rules\[0\]\.no_such_key: unknown key`, "^" + regexp.QuoteMeta(bad) + `:4: rules\[0\]\.detector\.window: invalid duration "soon"`},
			[]string{`^2 problem\(s\) in the config; nothing was run$`}},
		{"bad usage", []string{"replay", "--nope", "x.log"}, exitUsage,
			[]string{`^unknown flag: --nope$`}, []string{`^see 'sentinel --help'$`}},
		{"no daemon", []string{"status", "--addr", "127.0.0.1:1", "--timeout", "1s"}, exitFailure,
			[]string{`127\.0\.0\.1:1`}, []string{`^is 'sentinel run' running with its API on 127\.0\.0\.1:1 \(--addr\)\?$`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(c.args, strings.NewReader(""), &stdout, &stderr); code != c.code {
				t.Errorf("exit %d, want %d", code, c.code)
			}
			var errs, hints []string
			for _, l := range strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n") {
				switch {
				case strings.HasPrefix(l, "sentinel: error: ") && len(hints) == 0:
					errs = append(errs, strings.TrimPrefix(l, "sentinel: error: "))
				case strings.HasPrefix(l, "sentinel: hint: "):
					hints = append(hints, strings.TrimPrefix(l, "sentinel: hint: "))
				default:
					t.Errorf("stderr line %q: want sentinel: error: lines, then sentinel: hint: lines", l)
				}
			}
			match := func(what string, got, want []string) {
				if len(got) != len(want) {
					t.Errorf("%s lines %q, want %d", what, got, len(want))
					return
				}
				for i := range want {
					if !regexp.MustCompile(want[i]).MatchString(got[i]) {
						t.Errorf("%s line %q, want %s", what, got[i], want[i])
					}
				}
			}
			match("error", errs, c.errors)
			match("hint", hints, c.hints)
		})
	}

	var stdout, stderr bytes.Buffer
	if code := run([]string{"--version"}, strings.NewReader(""), &stdout, &stderr); code != exitOK ||
		!regexp.MustCompile(`^sentinel v\S+ \(go`).MatchString(stdout.String()) || stderr.Len() != 0 {
		t.Errorf("--version = %d, stdout %q, stderr %q; want 0 and the version", code, &stdout, &stderr)
	}
}

// TestRun_manyConfigErrors: past the 100 problems listed, the hint says
// "more than 100", not the count of lines printed.
func TestRun_manyConfigErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("rules:\n")
	for i := range 150 {
		fmt.Fprintf(&b, "  - {name: r%d, detector: {type: rate, window: soon, threshold: 1}}\n", i)
	}
	path := filepath.Join(t.TempDir(), "many.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"check", "-c", path}, strings.NewReader(""), &stdout, &stderr); code != exitUsage ||
		!strings.HasSuffix(stderr.String(), "sentinel: hint: more than 100 problem(s) in the config; nothing was run\n") {
		t.Errorf("exit %d, stderr ends %q", code, stderr.String()[max(0, stderr.Len()-120):])
	}
}
