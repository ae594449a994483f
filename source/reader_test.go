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
	_, _, err := collect(t, p, Options{})
	if !errors.Is(err, parsers.ErrUnknownFormat) || !strings.Contains(err.Error(), "--format") {
		t.Errorf("err = %v, want ErrUnknownFormat with a hint", err)
	}
}

func TestRead_missing(t *testing.T) {
	_, _, err := collect(t, filepath.Join(t.TempDir(), "none.log"), Options{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want ErrNotExist", err)
	}
}

func TestRead_undatedTakesReadTime(t *testing.T) {
	p := writeFile(t, "app.log", []byte("level=info msg=\"user registered\"\n"))
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	var got time.Time
	_, err := Read(p, Options{Format: "logfmt", Now: func() time.Time { return now }}, func(ev *parsers.Event) { got = ev.Time })
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(now) {
		t.Errorf("Time = %v, want the read time %v", got, now)
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
