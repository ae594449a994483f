package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestREADME_workedExample runs the README's "Worked example": `check`
// and `replay` with its mysite.yaml on the Phoenix sample, and finds
// every alert line the README shows in replay's output, in that order
// (the README shows some of them), so that the example stays what a
// reader gets.
func TestREADME_workedExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i := strings.Index(readme, "\n## Worked example")
	if i < 0 {
		t.Fatal("README has no ## Worked example section")
	}
	section := readme[i+1:]
	if j := strings.Index(section[3:], "\n## "); j >= 0 {
		section = section[:j+4]
	}
	cfg := regexp.MustCompile("(?s)```yaml\n(# mysite.yaml.*?)```").FindStringSubmatch(section)
	run := regexp.MustCompile("(?s)```sh\n(sentinel check -c mysite.yaml\n(sentinel replay -c mysite.yaml[^\n]*)\n)```\n+```\n(.*?)```").FindStringSubmatch(section)
	if cfg == nil || run == nil {
		t.Fatal("the worked example lost its mysite.yaml, its check and replay commands, or the output after them")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "mysite.yaml")
	if err := os.WriteFile(path, []byte(cfg[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := runIn(t, []string{"check", "-c", path}, &stdout, &stderr); code != exitOK {
		t.Fatalf("sentinel check -c mysite.yaml: exit %d: %s", code, stderr.String())
	}
	args := strings.Fields(run[2])[1:]
	for k, a := range args {
		switch {
		case a == "mysite.yaml":
			args[k] = path
		case strings.HasPrefix(a, "samples/"):
			args[k] = filepath.Join("..", "..", a)
		}
	}
	stdout.Reset()
	stderr.Reset()
	if code := runIn(t, args, &stdout, &stderr); code != exitOK {
		t.Fatalf("%s: exit %d: %s", run[2], code, stderr.String())
	}
	out := stdout.String()
	for _, want := range strings.Split(strings.TrimSpace(run[3]), "\n") {
		k := strings.Index(out, want+"\n")
		if k < 0 {
			t.Errorf("%s does not print, after the lines before it, the README's\n  %s\nit prints:\n%s", run[2], want, stdout.String())
			return
		}
		out = out[k+len(want):]
	}
}

// runIn runs the CLI with args, no standard input.
func runIn(t *testing.T, args []string, stdout, stderr *bytes.Buffer) int {
	t.Helper()
	return run(args, strings.NewReader(""), stdout, stderr)
}
