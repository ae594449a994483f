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

// replaySummary replays the log text (written to a temporary file) with
// args before the file's path, and returns the file's path and what
// replay printed.
func replaySummary(t *testing.T, text string, args ...string) (string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "access.log")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(append(append([]string{"replay"}, args...), path), strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("replay %v: exit %d: %s", args, code, stderr.String())
	}
	return path, stdout.String()
}

// TestAudit_formatFlagNamesIt: "`--format` (or a source's `format:`)
// names it instead" of detection: a Heroku drain, which detection reads
// as heroku (its app's lograge lines messages), is read as logfmt when
// --format says so (those lines then requests).
func TestAudit_formatFlagNamesIt(t *testing.T) {
	const drain = `2026-11-27T01:20:00.100000+00:00 app[web.1]: method=POST path=/users format=html controller=UsersController action=create status=302 duration=41.0
2026-11-27T01:20:00.200000+00:00 heroku[router]: at=info method=POST path="/users" host=shop.example.com request_id=9c0a4f6e fwd="203.0.113.9" dyno=web.1 connect=1ms service=48ms status=302 bytes=312
`
	path, out := replaySummary(t, drain)
	if want := path + ": 2 lines, 2 parsed, 0 skipped (0 malformed, 0 too long), 0 ignored; format heroku (detected)"; !strings.Contains(out, want) {
		t.Errorf("replay without --format: summary lacks %q:\n%s", want, out)
	}
	path, out = replaySummary(t, drain, "--format", "logfmt")
	if want := path + ": 2 lines, 2 parsed, 0 skipped (0 malformed, 0 too long), 0 ignored; format logfmt (given)"; !strings.Contains(out, want) {
		t.Errorf("replay --format logfmt: summary lacks %q:\n%s", want, out)
	}
}

// TestAudit_replaySyslogPriority: combined lines as nginx's access_log
// syslog: sends them (RFC 3164 with the priority) are detected and read
// by replay.
func TestAudit_replaySyslogPriority(t *testing.T) {
	const line = `<190>Nov 27 01:20:00 web nginx: 203.0.113.9 - - [27/Nov/2026:01:20:00 +0000] "POST /users HTTP/1.1" 302 0 "-" "Mozilla/5.0"` + "\n"
	path, out := replaySummary(t, strings.Repeat(line, 3))
	if want := path + ": 3 lines, 3 parsed, 0 skipped (0 malformed, 0 too long), 0 ignored; format combined (detected)"; !strings.Contains(out, want) {
		t.Errorf("summary lacks %q:\n%s", want, out)
	}
}

// A log whose format is not recognised is not read: replay exits 1 with
// the error, and its summary line says so, where it said "0 lines, 0
// parsed … format auto (given)"; the other files are read.
func TestReplay_unrecognisedSummary(t *testing.T) {
	dir := t.TempDir()
	junk, good := filepath.Join(dir, "notes.txt"), filepath.Join(dir, "access.log")
	if err := os.WriteFile(junk, []byte("dear diary\nnothing happened today\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	line := `203.0.113.9 - - [10/Oct/2024:13:55:36 +0000] "GET / HTTP/1.1" 200 512 "-" "curl/8.5.0"` + "\n"
	if err := os.WriteFile(good, []byte(line+line), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"replay", junk, good}, strings.NewReader(""), &stdout, &stderr); code != exitFailure {
		t.Fatalf("exit %d, want %d: %s", code, exitFailure, stderr.String())
	}
	for _, want := range []string{
		junk + ": not read: log format not recognised in the first 2 lines (name one with --format)\n",
		good + ": 2 lines, 2 parsed, 0 skipped (0 malformed, 0 too long), 0 ignored; format combined (detected)",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("replay summary lacks %q:\n%s", want, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), junk+": log format not recognised") {
		t.Errorf("stderr: %s", stderr.String())
	}
}
