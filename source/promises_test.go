package source

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/parsers"
)

// TestRead_longFirstLine: "The format is detected from the first 50 lines
// of each file" (README, "Log formats"), and a line up to 1 MiB is read
// like any other. A file whose first line is long (a probe's 40 KB query
// string) is detected from its lines all the same, not from the first
// 32 KiB of that line.
func TestRead_longFirstLine(t *testing.T) {
	for _, n := range []int{40 << 10, 200 << 10} {
		long := strings.Replace(combinedLine, "/users/register", "/search?q="+strings.Repeat("a", n), 1)
		p := writeFile(t, "access.log", []byte(long+"\n"+strings.Repeat(combinedLine+"\n", 10)))
		paths, st, err := collect(t, p, Options{})
		if err != nil {
			t.Errorf("first line of %d KiB: %v", n>>10, err)
			continue
		}
		if st.Format != "combined" || !st.Detected || len(paths) != 11 || st.Parsed != 11 {
			t.Errorf("first line of %d KiB: %d events, stats %+v; want 11 events, combined detected", n>>10, len(paths), st)
		}
	}
}

// TestRead_overOneMiB: "Lines over 1 MiB are counted and skipped"
// (README, "Log formats"), whatever ends them: "\n", "\r\n" or the end
// of the file. A line of exactly 1 MiB is read.
func TestRead_overOneMiB(t *testing.T) {
	over := strings.Repeat("x", MaxLineBytes+1)
	exact := strings.Repeat("y", MaxLineBytes)
	text := combinedLine + "\n" + over + "\n" + over + "\r\n" + exact + "\n" + exact + "\r\n" + combinedLine + "\n" + over
	p := writeFile(t, "access.log", []byte(text))
	paths, st, err := collect(t, p, Options{Format: "combined"})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 || st.Lines != 7 || st.TooLong != 3 || st.Malformed != 2 || st.Parsed != 2 {
		t.Errorf("stats %+v; want 7 lines: 3 too long (over 1 MiB), 2 malformed (1 MiB of y, read), 2 parsed", st)
	}
}

// TestRead_firstFiveErrors: "A line that does not parse is counted and
// skipped, never fatal; the summary shows the first five with
// file:line" (README, "Log formats").
func TestRead_firstFiveErrors(t *testing.T) {
	var lines []string
	var bad []int
	for i := 1; i <= 14; i++ {
		if i%2 == 0 {
			lines = append(lines, fmt.Sprintf("garbage %d", i))
			bad = append(bad, i)
		} else {
			lines = append(lines, combinedLine)
		}
	}
	p := writeFile(t, "access.log", []byte(strings.Join(lines, "\n")+"\n"))
	paths, st, err := collect(t, p, Options{Format: "combined"})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 7 || st.Malformed != 7 || len(st.Errors) != MaxErrorSamples || MaxErrorSamples != 5 {
		t.Fatalf("%d events, stats %+v; want 7 events, 7 malformed, the first 5 kept", len(paths), st)
	}
	for i, e := range st.Errors {
		var le *parsers.LineError
		if !errors.As(e, &le) || le.File != p || le.Line != int64(bad[i]) || !strings.HasPrefix(e.Error(), fmt.Sprintf("%s:%d: ", p, bad[i])) {
			t.Errorf("Errors[%d] = %q, want %s:%d: …", i, e, p, bad[i])
		}
	}
}

// TestRead_hostileLines: lines a real server writes that are odd or
// hostile — very long, invalid UTF-8, NUL bytes, escaped quotes, an IPv6
// zone, a field cut off, a leap second, a comma fraction — in every
// format: nothing panics, and every line is counted as parsed, ignored,
// malformed or too long ("It never drops a line silently", package doc).
func TestRead_hostileLines(t *testing.T) {
	day := time.Date(2024, 10, 10, 0, 0, 0, 0, time.UTC)
	for _, f := range parsers.Formats() {
		t.Run(f.Name, func(t *testing.T) {
			po := parsers.Options{Date: day}
			switch f.Name {
			case "json":
				po.Fields = map[string]string{"client_ip": "source.ip", "message": "message", "time": "@timestamp"}
			case "regex":
				po.Pattern = `^(?P<client_ip>\S+) (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d+)$`
			}
			ex := f.Example
			at := strings.Index(ex, "/users/register")
			if at < 0 {
				at = strings.LastIndex(ex, `"/`) + 2
			}
			insert := func(s string) string { return ex[:at] + s + ex[at:] }
			lines := []string{
				ex,
				insert("search?q=" + strings.Repeat("a", 100<<10) + "/"),
				insert(strings.Repeat("b", MaxLineBytes+1)),
				insert("\xff\xfe\xc3/"),
				insert("\x00\x00/"),
				strings.Replace(ex, "Mozilla/5.0", `Mozilla \"5.0\" \\`, 1),
				strings.Replace(ex, "203.0.113.9", "fe80::1%eth0", 1),
				strings.Replace(ex, "203.0.113.9", "[fe80::1%25eth0]:443", 1),
				ex[:len(ex)/2],
				ex[:len(ex)*3/4],
				strings.Replace(ex, "13:55:36", "23:59:60", 1),
				strings.Replace(ex, ".632Z", ",632Z", 1),
				"\xef\xbb\xbf" + ex, // a byte-order mark
				"   ",
				ex,
			}
			p := writeFile(t, "x.log", []byte(strings.Join(lines, "\n")+"\n"))
			events := 0
			st, err := Read(p, Options{Format: f.Name, Parser: po}, func(ev *parsers.Event) {
				events++
				if ev.Time.IsZero() || ev.Time.Location() != time.UTC {
					t.Errorf("event without a UTC time: %+v", ev)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if st.Lines != int64(len(lines)) || st.Parsed+st.Ignored+st.Malformed+st.TooLong != st.Lines {
				t.Errorf("stats %+v: %d lines written, not all counted once", st, len(lines))
			}
			if st.TooLong != 1 || st.Parsed < 2 {
				t.Errorf("stats %+v; want the line over 1 MiB too long, the example parsed twice", st)
			}
			for _, e := range st.Errors {
				if !strings.HasPrefix(e.Error(), p+":") {
					t.Errorf("error %q without its file:line", e)
				}
			}
		})
	}
}

// TestRead_ignoredLines: "Blank lines, multi-line continuations and
// non-access lines are counted as ignored" (README, "Log formats"), not
// as malformed: a Rails request with its indented continuations, a
// Caddy server log among its access lines.
func TestRead_ignoredLines(t *testing.T) {
	for _, tt := range []struct {
		name, text                string
		parsed, ignored, requests int64
	}{
		{"rails", "Started POST \"/users\" for 203.0.113.9 at 2025-03-02 10:15:04 +0000\n" +
			"Processing by UsersController#create as HTML\n" +
			"  Parameters: {\"user\"=>{\"email\"=>\"[FILTERED]\"}}\n" +
			"  Rendered users/new.html.erb within layouts/application (Duration: 2.1ms | Allocations: 915)\n" +
			"\n" +
			"Completed 302 Found in 41ms (ActiveRecord: 3.2ms | Allocations: 5612)\n", 3, 3, 1},
		{"caddy", `{"level":"info","ts":1693840790.1,"logger":"http","msg":"server running","name":"srv0","protocols":["h1","h2","h3"]}` + "\n" +
			`{"level":"info","ts":1693840791.75,"logger":"http.log.access","msg":"handled request","request":{"client_ip":"203.0.113.9","method":"GET","host":"example.com","uri":"/","headers":{"User-Agent":["curl/8.5.0"]}},"duration":0.0017,"size":512,"status":200}` + "\n" +
			"   \n", 1, 2, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "x.log", []byte(tt.text))
			var requests int64
			st, err := Read(p, Options{Format: tt.name}, func(ev *parsers.Event) {
				if ev.Kind == parsers.KindRequest {
					requests++
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if st.Parsed != tt.parsed || st.Ignored != tt.ignored || st.Malformed != 0 || requests != tt.requests {
				t.Errorf("stats %+v, %d requests; want %d parsed, %d ignored, none malformed, %d request", st, requests, tt.parsed, tt.ignored, tt.requests)
			}
		})
	}
}
