package source

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/parsers"
)

const combinedLine = `203.0.113.7 - - [27/Nov/2026:01:20:00 +0000] "POST /users/register HTTP/1.1" 302 0 "-" "bot"`

func writeFile(tb testing.TB, name string, data []byte) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// collect reads path and returns the paths of its events.
func collect(tb testing.TB, path string, opts Options) ([]string, *Stats, error) {
	tb.Helper()
	var paths []string
	st, err := Read(path, opts, func(ev *parsers.Event) { paths = append(paths, string(ev.Path)) })
	return paths, st, err
}

func TestRead_countsEveryLine(t *testing.T) {
	long := strings.Repeat("x", MaxLineBytes+10)
	text := strings.Join([]string{
		combinedLine,
		"",
		"garbage that is no log line",
		strings.Replace(combinedLine, "302", "2x0", 1),
		long,
		strings.Replace(combinedLine, "/users/register", "/b", 1) + "\r",
		strings.Replace(combinedLine, "/users/register", "/c", 1), // no final newline
	}, "\n")
	p := writeFile(t, "access.log", []byte(text))
	paths, st, err := collect(t, p, Options{Format: "combined"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/users/register", "/b", "/c"}; strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("paths = %q, want %q", paths, want)
	}
	if st.Lines != 7 || st.Parsed != 3 || st.Ignored != 1 || st.Malformed != 2 || st.TooLong != 1 || st.Events != 3 {
		t.Errorf("Stats = %+v", st)
	}
	if len(st.Errors) != 2 {
		t.Fatalf("Errors = %v", st.Errors)
	}
	want := p + `:4: status: invalid "2x0"`
	if got := st.Errors[1].Error(); got != want {
		t.Errorf("Errors[1] = %q, want %q", got, want)
	}
	var le *parsers.LineError
	if !errors.As(st.Errors[0], &le) || le.Line != 3 || le.File != p {
		t.Errorf("Errors[0] = %#v, want a LineError at line 3", st.Errors[0])
	}
}

func TestRead_gzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for range 3 {
		zw.Write([]byte(combinedLine + "\n"))
	}
	zw.Close()
	p := writeFile(t, "access.log.2.gz", buf.Bytes())
	paths, st, err := collect(t, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 || st.Format != "combined" || !st.Detected {
		t.Errorf("paths %q, stats %+v", paths, st)
	}
}

func TestRead_detectFails(t *testing.T) {
	p := writeFile(t, "notes.txt", []byte("dear diary\nnothing happened today\n"))
	_, st, err := collect(t, p, Options{})
	if !errors.Is(err, parsers.ErrUnknownFormat) || !strings.Contains(err.Error(), "--format") {
		t.Errorf("err = %v, want ErrUnknownFormat with a hint", err)
	}
	// The summary says why, not "format auto (given)".
	if st.Format != "" || st.NotRead != "log format not recognised in the first 2 lines (name one with --format)" {
		t.Errorf("stats: format %q, not read %q", st.Format, st.NotRead)
	}
}

// TestRead_detectFailsOnJSON: JSON lines of no known shape (an ECS log)
// cannot be read under any --format without a mapping of their fields:
// the hint says how, not to name a format.
func TestRead_detectFailsOnJSON(t *testing.T) {
	line := `{"@timestamp":"2026-12-01T10:00:00.000Z","log.level":"info","message":"request","http":{"request":{"method":"GET"}},"url":{"path":"/x"},"source":{"ip":"203.0.113.9"}}`
	p := writeFile(t, "ecs.json", []byte(line+"\n"+line+"\n"))
	_, st, err := collect(t, p, Options{})
	if !errors.Is(err, parsers.ErrUnknownFormat) {
		t.Errorf("err = %v, want ErrUnknownFormat", err)
	}
	want := `log format not recognised in the first 2 lines: JSON of no known shape (map its fields: a source with format: json and fields:, README "Log formats")`
	if st.NotRead != want {
		t.Errorf("stats: not read %q\nwant %q", st.NotRead, want)
	}
}

func TestRead_missing(t *testing.T) {
	_, st, err := collect(t, filepath.Join(t.TempDir(), "none.log"), Options{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want ErrNotExist", err)
	}
	if !strings.Contains(st.NotRead, "no such file") {
		t.Errorf("stats: not read %q", st.NotRead)
	}
}

func TestRead_undated(t *testing.T) {
	text := "level=info msg=\"before any time\"\n" +
		"time=2026-11-27T01:20:00Z level=info method=GET path=/a status=200\n" +
		"level=info msg=\"user registered\"\n"
	p := writeFile(t, "app.log", []byte(text))
	var got []time.Time
	read := func(opts Options) *Stats {
		got = got[:0]
		st, err := Read(p, opts, func(ev *parsers.Event) { got = append(got, ev.Time) })
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// Replay: an undated line takes the log's time before it; before any
	// time it has none and is counted undated.
	st := read(Options{Format: "logfmt"})
	want := time.Date(2026, 11, 27, 1, 20, 0, 0, time.UTC)
	if st.Undated != 1 || len(got) != 2 || !got[0].Equal(want) || !got[1].Equal(want) {
		t.Errorf("replay: times %v, stats %+v; want two at %v and one undated", got, st, want)
	}
	// Live: the read time.
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	st = read(Options{Format: "logfmt", Now: func() time.Time { return now }})
	if st.Undated != 0 || len(got) != 3 || !got[0].Equal(now) || !got[2].Equal(now) {
		t.Errorf("live: times %v, want the read time for undated lines", got)
	}
}

func TestRead_empty(t *testing.T) {
	for _, text := range []string{"", "\n\n  \n"} {
		p := writeFile(t, "empty.log", []byte(text))
		_, st, err := collect(t, p, Options{})
		if err != nil || st.Events != 0 || st.Malformed != 0 {
			t.Errorf("Read(%q) = %+v, %v; want nothing and no error", text, st, err)
		}
	}
}

func TestRead_phoenixStdinNeedsDate(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdin
	os.Stdin = r
	t.Cleanup(func() { os.Stdin = old })
	go func() {
		w.Write([]byte("01:20:00.100 request_id=AAAAAAAAAAAAAAAAAAAA [info] POST /users/register\n"))
		w.Close()
	}()
	_, _, err = collect(t, "-", Options{Format: "phoenix"})
	if err == nil || !strings.Contains(err.Error(), "--date") {
		t.Errorf("err = %v, want a request for --date", err)
	}
}

func TestDateFromModTime(t *testing.T) {
	first := [][]byte{[]byte("23:58:01.000 request_id=x [info] GET /")}
	tests := []struct {
		mod  time.Time
		want string
	}{
		{time.Date(2026, 11, 28, 0, 10, 0, 0, time.UTC), "2026-11-27"}, // crossed midnight
		{time.Date(2026, 11, 28, 23, 59, 0, 0, time.UTC), "2026-11-28"},
	}
	for _, tt := range tests {
		if got := dateFromModTime(tt.mod, first, nil).Format(time.DateOnly); got != tt.want {
			t.Errorf("dateFromModTime(%v) = %s, want %s", tt.mod, got, tt.want)
		}
	}
}

// TestRead_progress: one Progress shared by two Reads counts the bytes as
// stored (a gzip file's compressed size) and the lines of both.
func TestRead_progress(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for range 1000 {
		zw.Write([]byte(combinedLine + "\n"))
	}
	zw.Close()
	gz := writeFile(t, "access.log.1.gz", buf.Bytes())
	plain := writeFile(t, "access.log", []byte(strings.Repeat(combinedLine+"\n", 3)))
	var p Progress
	for _, path := range []string{gz, plain} {
		if _, _, err := collect(t, path, Options{Progress: &p}); err != nil {
			t.Fatal(err)
		}
	}
	wantBytes := int64(buf.Len() + 3*(len(combinedLine)+1))
	if p.Bytes() != wantBytes || p.Lines() != 1003 {
		t.Errorf("Progress = %d bytes, %d lines; want %d bytes, 1003 lines", p.Bytes(), p.Lines(), wantBytes)
	}
}

// TestFirstTime reads a file's first dated event, as Read would, and no
// further: plain and gzip-compressed, after malformed lines, Phoenix with
// a day given; none for a missing, an empty or an undated file.
func TestFirstTime(t *testing.T) {
	second := strings.Replace(combinedLine, "01:20:00", "01:20:07", 1)
	text := "garbage that is no log line\n" + combinedLine + "\n" + second + "\n"
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write([]byte(strings.Replace(text, "01:20:00", "00:59:59", 1)))
	zw.Close()
	phoenix, err := os.ReadFile("../samples/signup-flood-phoenix.log")
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		path string
		opts Options
		want time.Time
		ok   bool
	}{
		{"plain", writeFile(t, "access.log", []byte(text)), Options{}, time.Date(2026, 11, 27, 1, 20, 0, 0, time.UTC), true},
		{"gzip", writeFile(t, "access.log.2.gz", zb.Bytes()), Options{}, time.Date(2026, 11, 27, 0, 59, 59, 0, time.UTC), true},
		{"phoenix", writeFile(t, "phoenix.log", phoenix), Options{Parser: parsers.Options{Date: day}}, firstEventTime(t, "../samples/signup-flood-phoenix.log", Options{Parser: parsers.Options{Date: day}}), true},
		{"missing", filepath.Join(t.TempDir(), "missing.log"), Options{}, time.Time{}, false},
		{"empty", writeFile(t, "empty.log", nil), Options{}, time.Time{}, false},
		{"undated", writeFile(t, "app.log", []byte("GET /a 200\nGET /b 200\n")), Options{Format: "regex", Parser: parsers.Options{Pattern: `^(?P<method>\S+) (?P<path>\S+) (?P<status>\d+)$`}}, time.Time{}, false},
	} {
		got, ok := FirstTime(c.path, c.opts)
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("%s: FirstTime = %v, %v, want %v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// firstEventTime is the time of the first event Read passes on.
func firstEventTime(tb testing.TB, path string, opts Options) time.Time {
	tb.Helper()
	var first time.Time
	if _, err := Read(path, opts, func(ev *parsers.Event) {
		if first.IsZero() {
			first = ev.Time
		}
	}); err != nil {
		tb.Fatal(err)
	}
	if first.IsZero() {
		tb.Fatalf("%s: no event", path)
	}
	return first
}
