package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAudit_detectFirst50LongLines: "The format is detected from the
// first 50 lines of each file" (README, "Log formats") holds when those
// lines are long: here Caddy's own lines (which the caddy format ignores)
// of 1 KB each come first, and its access lines from the 41st line on,
// past the first 32 KiB.
func TestAudit_detectFirst50LongLines(t *testing.T) {
	pad := strings.Repeat("x", 900)
	var log strings.Builder
	for i := range 40 {
		fmt.Fprintf(&log, `{"level":"debug","ts":1795742400.%03d,"logger":"http.handlers.reverse_proxy","msg":"selected upstream","dial":"10.0.0.3:8080","pad":"%s"}`+"\n", i, pad)
	}
	for i := range 10 {
		fmt.Fprintf(&log, `{"level":"info","ts":1795742401.%03d,"logger":"http.log.access","msg":"handled request","request":{"client_ip":"203.0.113.9","method":"GET","host":"example.com","uri":"/%d","headers":{"User-Agent":["curl/8.5.0"]}},"duration":0.0017,"size":512,"status":200}`+"\n", i, i)
	}
	if log.Len() <= 32<<10 {
		t.Fatalf("the log is %d bytes; the test needs its 41st line past 32 KiB", log.Len())
	}
	path := filepath.Join(t.TempDir(), "caddy.log")
	if err := os.WriteFile(path, []byte(log.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"replay", path}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if want := path + ": 50 lines, 10 parsed, 0 skipped (0 malformed, 0 too long), 40 ignored; format caddy (detected)"; !strings.Contains(stdout.String(), want) {
		t.Errorf("replay summary lacks %q:\n%s", want, stdout.String())
	}
}
