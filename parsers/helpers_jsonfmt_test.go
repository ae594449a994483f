package parsers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// This file holds the test helpers of the JSON, logfmt and regex formats.
// Their names carry "Fmt" so as not to clash with the helpers of the
// other formats.

// evView is an [Event] as tests compare it and golden files store it.
type evView struct {
	Kind      string   `json:"kind,omitempty"`
	Time      string   `json:"time,omitempty"`
	ClientIP  string   `json:"client_ip,omitempty"`
	Host      string   `json:"host,omitempty"`
	Method    string   `json:"method,omitempty"`
	Path      string   `json:"path,omitempty"`
	Query     *string  `json:"query,omitempty"`
	Protocol  string   `json:"protocol,omitempty"`
	Status    int      `json:"status,omitempty"`
	Bytes     int64    `json:"bytes"`
	UserAgent string   `json:"user_agent,omitempty"`
	Referer   string   `json:"referer,omitempty"`
	RequestID string   `json:"request_id,omitempty"`
	Duration  string   `json:"duration,omitempty"`
	Level     string   `json:"level,omitempty"`
	Message   string   `json:"message,omitempty"`
	Extra     []string `json:"extra,omitempty"`
}

// viewFmt returns the view of ev. Time is RFC 3339 with nanoseconds and
// "Z", and must be UTC; Duration is time.Duration's String, "" when
// unknown.
func viewFmt(tb testing.TB, ev *Event) evView {
	tb.Helper()
	v := evView{
		Kind:      ev.Kind.String(),
		ClientIP:  string(ev.ClientIP),
		Host:      string(ev.Host),
		Method:    string(ev.Method),
		Path:      string(ev.Path),
		Protocol:  string(ev.Protocol),
		Status:    ev.Status,
		Bytes:     ev.Bytes,
		UserAgent: string(ev.UserAgent),
		Referer:   string(ev.Referer),
		RequestID: string(ev.RequestID),
		Level:     string(ev.Level),
		Message:   string(ev.Message),
	}
	if ev.Query != nil {
		q := string(ev.Query)
		v.Query = &q
	}
	if !ev.Time.IsZero() {
		if ev.Time.Location() != time.UTC {
			tb.Errorf("Time = %v, want UTC", ev.Time)
		}
		v.Time = ev.Time.Format(time.RFC3339Nano)
	}
	if ev.Duration >= 0 {
		v.Duration = ev.Duration.String()
	}
	for _, f := range ev.Extra {
		v.Extra = append(v.Extra, f.Name+"="+string(f.Value))
	}
	return v
}

// decodeFmt decodes line and returns the views of the events it emits.
func decodeFmt(tb testing.TB, d Decoder, line string) ([]evView, error) {
	tb.Helper()
	var got []evView
	err := d.Decode([]byte(line), func(ev *Event) { got = append(got, viewFmt(tb, ev)) })
	return got, err
}

// seedLinesFmt returns the lines of a testdata file; a missing file fails
// the test, so that a fuzz target never runs on an empty corpus.
func seedLinesFmt(tb testing.TB, name string) []string {
	tb.Helper()
	f, err := os.Open(name)
	if err != nil {
		tb.Fatalf("seed file: %v", err)
	}
	tb.Cleanup(func() { f.Close() })
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("read %s: %v", name, err)
	}
	if len(lines) == 0 {
		tb.Fatalf("seed file %s is empty", name)
	}
	return lines
}

// goldenRecord is one line of a .golden.jsonl file: the events a line
// gave, or its error.
type goldenRecord struct {
	Line   int      `json:"line"`
	Err    string   `json:"err,omitempty"`
	Events []evView `json:"events,omitempty"`
}

// checkGoldenFmt decodes every line of testdata/<name>.log with d and
// compares the result with testdata/<name>.golden.jsonl, which -update
// rewrites.
func checkGoldenFmt(t *testing.T, d Decoder, name string) {
	t.Helper()
	in := filepath.Join("testdata", name+".log")
	var out bytes.Buffer
	for i, line := range seedLinesFmt(t, in) {
		evs, err := decodeFmt(t, d, line)
		rec := goldenRecord{Line: i + 1, Events: evs}
		if err != nil {
			rec.Err = err.Error()
		}
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	d.Flush(func(*Event) { t.Errorf("Flush emitted an event") })
	golden := filepath.Join("testdata", name+".golden.jsonl")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./parsers -update)", err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(out.String(), "\n")); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
	}
}

// strp returns a pointer to s, for evView.Query.
func strp(s string) *string { return &s }
