package parsers

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// update rewrites the golden files in testdata instead of comparing:
// go test ./parsers -run Golden -update
var update = flag.Bool("update", false, "rewrite golden files in testdata")

// readLines returns the lines of file without their "\n" (a "\r" stays).
// A missing file fails the test: fuzz seeds and golden inputs must exist.
func readLines(tb testing.TB, file string) [][]byte {
	tb.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		tb.Fatalf("read lines: %v", err)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	if len(b) == 0 {
		return nil
	}
	return bytes.Split(b, []byte("\n"))
}

// goldenEvent is the JSON form of an [Event] in golden files: absent
// values are left out, so that each line shows what the parser found.
type goldenEvent struct {
	Line      int               `json:"line"`
	Error     string            `json:"error,omitempty"`
	Kind      string            `json:"kind,omitempty"`
	Time      string            `json:"time,omitempty"`
	ClientIP  *string           `json:"client_ip,omitempty"`
	Host      *string           `json:"host,omitempty"`
	Method    *string           `json:"method,omitempty"`
	Path      *string           `json:"path,omitempty"`
	Query     *string           `json:"query,omitempty"`
	Protocol  *string           `json:"protocol,omitempty"`
	Status    int               `json:"status,omitempty"`
	Bytes     *int64            `json:"bytes,omitempty"`
	UserAgent *string           `json:"user_agent,omitempty"`
	Referer   *string           `json:"referer,omitempty"`
	RequestID *string           `json:"request_id,omitempty"`
	Duration  string            `json:"duration,omitempty"`
	Level     *string           `json:"level,omitempty"`
	Message   *string           `json:"message,omitempty"`
	Extra     map[string]string `json:"extra,omitempty"`
	// Raw is the line the event came from when that is not the line that
	// completed it: the start line of a joined request.
	Raw *string `json:"raw,omitempty"`
}

func goldenString(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

func newGoldenEvent(line int, ev *Event) goldenEvent {
	g := goldenEvent{
		Line:      line,
		Kind:      ev.Kind.String(),
		ClientIP:  goldenString(ev.ClientIP),
		Host:      goldenString(ev.Host),
		Method:    goldenString(ev.Method),
		Path:      goldenString(ev.Path),
		Query:     goldenString(ev.Query),
		Protocol:  goldenString(ev.Protocol),
		Status:    ev.Status,
		UserAgent: goldenString(ev.UserAgent),
		Referer:   goldenString(ev.Referer),
		RequestID: goldenString(ev.RequestID),
		Level:     goldenString(ev.Level),
		Message:   goldenString(ev.Message),
	}
	if !ev.Time.IsZero() {
		g.Time = ev.Time.Format(time.RFC3339Nano)
	}
	if ev.Bytes >= 0 {
		n := ev.Bytes
		g.Bytes = &n
	}
	if ev.Duration >= 0 {
		g.Duration = ev.Duration.String()
	}
	for _, f := range ev.Extra {
		if g.Extra == nil {
			g.Extra = make(map[string]string)
		}
		g.Extra[f.Name] = string(f.Value)
	}
	return g
}

// goldenEvents runs every line of file through dec, then flushes it, and
// returns one JSON object per event, or per line that returned an error
// ({"line":n,"error":"…"}). Events emitted by Flush have line 0. It fails
// the test when a line both emits and returns an error.
func goldenEvents(tb testing.TB, dec Decoder, file string) []byte {
	tb.Helper()
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	put := func(g goldenEvent) {
		if err := enc.Encode(g); err != nil {
			tb.Fatalf("encode golden event: %v", err)
		}
	}
	lineNo, emitted := 0, 0
	var cur []byte
	emit := func(ev *Event) {
		if !ev.Time.IsZero() && ev.Time.Location() != time.UTC {
			tb.Errorf("line %d: Time = %v, want UTC", lineNo, ev.Time)
		}
		g := newGoldenEvent(lineNo, ev)
		if cur == nil || !bytes.Equal(ev.Raw, cur) {
			g.Raw = goldenString(ev.Raw)
		}
		put(g)
		emitted++
	}
	for i, line := range readLines(tb, file) {
		lineNo, cur, emitted = i+1, line, 0
		if err := dec.Decode(line, emit); err != nil {
			if emitted > 0 {
				tb.Errorf("line %d: Decode returned %v and emitted %d events, want none", lineNo, err, emitted)
			}
			put(goldenEvent{Line: lineNo, Error: err.Error()})
		}
	}
	lineNo, cur = 0, nil
	dec.Flush(emit)
	return out.Bytes()
}

// writeOrCompareGolden compares got with the golden file, or rewrites the
// file when the -update flag is set.
func writeOrCompareGolden(tb testing.TB, golden string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			tb.Fatalf("write golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		tb.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		tb.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
	}
}

// checkGolden decodes testdata/<name>.log with dec and compares the events
// with testdata/<name>.golden.jsonl, which -update rewrites.
func checkGolden(tb testing.TB, dec Decoder, name string) {
	tb.Helper()
	in := filepath.Join("testdata", name+".log")
	writeOrCompareGolden(tb, filepath.Join("testdata", name+".golden.jsonl"), goldenEvents(tb, dec, in))
}

// seedLines returns the lines of a testdata file as strings, for fuzz
// seeds and benchmarks; a missing or empty file fails the test, so that a
// fuzz target never runs on an empty corpus.
func seedLines(tb testing.TB, file string) []string {
	tb.Helper()
	var lines []string
	for _, l := range readLines(tb, file) {
		lines = append(lines, string(l))
	}
	if len(lines) == 0 {
		tb.Fatalf("seed file %s is empty", file)
	}
	return lines
}

// goldenCases are the testdata logs whose name does not start with the
// name of their format, or that need options. Every other
// testdata/<format>[_<variant>].log is read with its format and no
// options: a new format's testdata needs no entry here.
var goldenCases = map[string]struct {
	format string
	opts   Options
	detect string // what Detect should find in the file; the format when empty, "-" for nothing
}{
	"nginx_combined":  {format: "combined"},
	"apache_combined": {format: "combined"},
	"traefik_clf":     {format: "combined"},
	"syslog_combined": {format: "combined"},
	"common":          {format: "common", detect: "combined"},
	"json_caddy":      {format: "caddy"},
	"json_nginx":      {format: "nginx_json"},
	"json_traefik":    {format: "traefik_json"},
	"json_ecs": {format: "json", detect: "-", opts: Options{Fields: map[string]string{
		"level": "log.level", "message": "message", "logger": "log.logger", "pid": "process.pid"}}},
	"logfmt_heroku": {format: "heroku"},
	"phoenix":       {format: "phoenix", opts: Options{Date: goldenDay}},
	"fly_phoenix":   {format: "phoenix", opts: Options{Date: goldenDay}},
	"regex_app":     {format: "regex", opts: regexAppOpts, detect: "logfmt"}, // its ua="…" pairs
}

// goldenDay is the date given to formats that log only the time of day.
var goldenDay = time.Date(2024, 10, 14, 0, 0, 0, 0, time.UTC)

// goldenFiles returns the names (without .log) of the testdata logs.
func goldenFiles(tb testing.TB) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.log"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no testdata logs: %v", err)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = strings.TrimSuffix(filepath.Base(p), ".log")
	}
	return names
}

// goldenFormat returns the format and options of a testdata log, and the
// format Detect should find in it ("" for none).
func goldenFormat(tb testing.TB, name string) (format string, opts Options, detect string) {
	tb.Helper()
	if c, ok := goldenCases[name]; ok {
		detect = c.detect
		if detect == "" {
			detect = c.format
		}
		if detect == "-" {
			detect = ""
		}
		return c.format, c.opts, detect
	}
	for _, f := range formats {
		if (name == f.Name || strings.HasPrefix(name, f.Name+"_")) && len(f.Name) > len(format) {
			format = f.Name
		}
	}
	if format == "" {
		tb.Fatalf("testdata/%s.log: no format is called so; name the file <format>_<variant>.log or add it to goldenCases", name)
	}
	return format, Options{}, format
}

// TestGolden decodes every testdata log with its format and compares the
// events with its golden file.
func TestGolden(t *testing.T) {
	for _, name := range goldenFiles(t) {
		t.Run(name, func(t *testing.T) {
			format, opts, _ := goldenFormat(t, name)
			dec, err := New(format, opts)
			if err != nil {
				t.Fatalf("New(%q) error: %v", format, err)
			}
			checkGolden(t, dec, name)
		})
	}
}

// TestDetect_testdata checks that Detect finds each testdata log's format
// from its first 50 lines, as the readers call it, with no options.
func TestDetect_testdata(t *testing.T) {
	for _, name := range goldenFiles(t) {
		t.Run(name, func(t *testing.T) {
			_, _, want := goldenFormat(t, name)
			var lines [][]byte
			for _, l := range readLines(t, filepath.Join("testdata", name+".log")) {
				if len(lines) < 50 && len(bytes.TrimSpace(l)) > 0 {
					lines = append(lines, l)
				}
			}
			got, err := Detect(lines, Options{})
			if got != want || (want == "") != (err != nil) {
				t.Errorf("Detect(testdata/%s.log) = %q, %v; want %q", name, got, err, want)
			}
		})
	}
}

// checkClient fails the test when an event's client is not a bare
// address (or, for access logs, a host name): issue #11.
func checkClient(tb testing.TB, line string, ev *Event) {
	tb.Helper()
	if ev.ClientIP == nil {
		return
	}
	if a, ok := clientHost(ev.ClientIP); !ok || string(a) != string(ev.ClientIP) {
		tb.Fatalf("Decode(%q) ClientIP = %q: not a bare address", line, ev.ClientIP)
	}
}
