package parsers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// formatTestOptions are what the formats that need options get in the
// tests of every format's example.
var formatTestOptions = map[string]Options{
	"json":  {Fields: map[string]string{"client_ip": "source.ip", "message": "message", "level": "log.level"}},
	"regex": {Pattern: `^(?P<client_ip>\S+) (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d+)$`},
}

// decodeExample decodes line with a fresh decoder of f, flushes it, and
// returns the events as views.
func decodeExample(tb testing.TB, f Format, line string) ([]evView, error) {
	tb.Helper()
	opts := formatTestOptions[f.Name]
	if f.TimeOfDay {
		opts.Date = goldenDay
	}
	dec, err := New(f.Name, opts)
	if err != nil {
		tb.Fatalf("New(%q) error: %v", f.Name, err)
	}
	got, err := decodeFmt(tb, dec, line)
	dec.Flush(func(ev *Event) { got = append(got, viewFmt(tb, ev)) })
	return got, err
}

// TestFormats_example checks that every format's example line, which the
// README shows, decodes to an event of a client at 203.0.113.9.
func TestFormats_example(t *testing.T) {
	for _, f := range Formats() {
		t.Run(f.Name, func(t *testing.T) {
			if f.Reads == "" || f.Example == "" {
				t.Fatalf("format %s: Reads or Example is empty", f.Name)
			}
			got, err := decodeExample(t, f, f.Example)
			if err != nil || len(got) != 1 {
				t.Fatalf("Decode(%q) = %+v, %v; want one event", f.Example, got, err)
			}
			if got[0].ClientIP != "203.0.113.9" {
				t.Errorf("Decode(%q) client = %q; want 203.0.113.9 (every example shows the client)", f.Example, got[0].ClientIP)
			}
		})
	}
}

// TestFormats_clientAddr puts other client addresses in every format's
// example: ports and brackets are dropped, and an address with an IPv6
// zone (any text after '%', issue #11) is never a client: the line is a
// client_ip error, or its event has no client.
func TestFormats_clientAddr(t *testing.T) {
	for _, f := range Formats() {
		for _, tt := range []struct{ in, want string }{
			{"203.0.113.9:51234", "203.0.113.9"},
			{"[2001:db8::1]:443", "2001:db8::1"},
			{"::ffff:203.0.113.9", "203.0.113.9"},
			{"fe80::1%eth0", ""},
			{"fe80::1%x};flush;add", ""},
			{"[fe80::1%eth0]:51234", ""},
			{"fe80::1%x }; flush ruleset; add table inet pwned {", ""},
		} {
			line := exampleAddr.ReplaceAllLiteralString(f.Example, tt.in)
			got, err := decodeExample(t, f, line)
			for _, ev := range got {
				if ev.ClientIP != tt.want {
					t.Errorf("%s: Decode(%q) client = %q, want %q", f.Name, line, ev.ClientIP, tt.want)
				}
			}
			if err == nil && len(got) == 0 {
				t.Errorf("%s: Decode(%q) gave nothing", f.Name, line)
			}
			var le *LineError
			if err != nil && (tt.want != "" || !errors.As(err, &le)) {
				t.Errorf("%s: Decode(%q) error = %v", f.Name, line, err)
			}
		}
	}
}

// exampleAddr is the client address of the examples, with its port.
var exampleAddr = regexp.MustCompile(`203\.0\.113\.9(:[0-9]+)?`)

// readmeFormats are the markers of the README's table of formats, which
// TestREADME_formats writes from the table (go test ./parsers -update).
const (
	readmeFormatsBegin = "<!-- formats: generated from parsers/format.go by go test ./parsers -update -->\n"
	readmeFormatsEnd   = "<!-- /formats -->\n"
)

// readmeTable renders the README's table of formats.
func readmeTable() string {
	var b strings.Builder
	b.WriteString("| format | what it reads | example |\n|---|---|---|\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, f := range Formats() {
		b.WriteString("| `" + f.Name + "` | " + cell(f.Reads) + " | ")
		if strings.Contains(f.Example, "`") {
			b.WriteString("<code>" + cell(f.Example) + "</code>")
		} else {
			b.WriteString("`" + cell(f.Example) + "`")
		}
		b.WriteString(" |\n")
	}
	return b.String()
}

func TestREADME_formats(t *testing.T) {
	const path = "../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte(readmeFormatsBegin))
	j := bytes.Index(b, []byte(readmeFormatsEnd))
	if i < 0 || j < i {
		t.Fatalf("%s: no %q … %q markers", path, readmeFormatsBegin, readmeFormatsEnd)
	}
	got, want := string(b[i+len(readmeFormatsBegin):j]), readmeTable()
	if got == want {
		return
	}
	if *update {
		out := append(append(append([]byte{}, b[:i+len(readmeFormatsBegin)]...), want...), b[j:]...)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: the table of formats is not the one parsers/format.go gives; run go test ./parsers -update", path)
}

// FuzzFormats runs the decoder of every format in the table on lines of
// any shape, seeded from every testdata log with its format, so that a
// new format is fuzzed without a target of its own. It checks what holds
// for all of them: errors are a *LineError or ErrIgnored, a line that
// fails emits nothing, and every event has a UTC time, a status of 0 or
// 100 to 999, Bytes and Duration of at least -1, and a bare client.
func FuzzFormats(f *testing.F) {
	index := make(map[string]uint8)
	for i, fm := range formats {
		index[fm.Name] = uint8(i)
	}
	for _, name := range goldenFiles(f) {
		format, _, _ := goldenFormat(f, name)
		f.Add(index[format], strings.Join(seedLines(f, filepath.Join("testdata", name+".log")), "\n"))
	}
	f.Fuzz(func(t *testing.T, which uint8, input string) {
		fm := formats[int(which)%len(formats)]
		opts := formatTestOptions[fm.Name]
		opts.Date = goldenDay
		dec, err := New(fm.Name, opts)
		if err != nil {
			t.Fatalf("New(%q) error: %v", fm.Name, err)
		}
		check := func(ev *Event) {
			if ev.Kind != KindRequest && ev.Kind != KindMessage {
				t.Fatalf("%s: Kind = %d", fm.Name, ev.Kind)
			}
			if ev.Status != 0 && (ev.Status < 100 || ev.Status > 999) || ev.Bytes < -1 || ev.Duration < -1 || ev.Time.Location() != time.UTC {
				t.Fatalf("%s: event %+v", fm.Name, ev)
			}
			checkClient(t, string(ev.Raw), ev)
		}
		for line := range strings.SplitSeq(input, "\n") {
			emitted := 0
			err := dec.Decode([]byte(line), func(ev *Event) { emitted++; check(ev) })
			var le *LineError
			if err != nil && (emitted != 0 || !errors.Is(err, ErrIgnored) && !errors.As(err, &le)) {
				t.Fatalf("%s: Decode(%q) = %v after %d events", fm.Name, line, err, emitted)
			}
		}
		dec.Flush(check)
	})
}

// TestFormats_spacedJSON: JSON written with a space after each colon and
// comma (Python's json.dumps, a log shipper re-encoding, jq's compact
// output of some versions) is the same log: every JSON format's example,
// so written, is detected as that format and decodes to the same event.
func TestFormats_spacedJSON(t *testing.T) {
	for _, f := range Formats() {
		if !strings.HasPrefix(f.Example, "{") || f.Name == "json" {
			continue // "json" is never detected: it needs a mapping
		}
		t.Run(f.Name, func(t *testing.T) {
			spaced := spaceJSON(t, f.Example)
			want, err := decodeExample(t, f, f.Example)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeExample(t, f, spaced)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("Decode(%s) = %+v, %v; want %+v", spaced, got, err, want)
			}
			name, err := Detect([][]byte{[]byte(spaced), []byte(spaced)}, Options{Date: goldenDay})
			if name != f.Name || err != nil {
				t.Errorf("Detect(%s) = %q, %v; want %s", spaced, name, err, f.Name)
			}
		})
	}
}

// spaceJSON re-encodes a JSON object with ", " and ": " between its
// tokens, keys in their order.
func spaceJSON(tb testing.TB, line string) string {
	tb.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var b strings.Builder
	type level struct {
		object bool
		n      int // tokens written at this level
	}
	var stack []level
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("spaceJSON(%s): %v", line, err)
		}
		closing := tok == json.Delim('}') || tok == json.Delim(']')
		if len(stack) > 0 && !closing {
			top := &stack[len(stack)-1]
			switch {
			case top.object && top.n%2 == 1:
				b.WriteString(": ")
			case top.n > 0:
				b.WriteString(", ")
			}
			top.n++
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			b.WriteString(tok.(json.Delim).String())
			stack = append(stack, level{object: tok == json.Delim('{')})
		case json.Delim('}'), json.Delim(']'):
			b.WriteString(tok.(json.Delim).String())
			stack = stack[:len(stack)-1]
		default:
			v, err := json.Marshal(tok)
			if err != nil {
				tb.Fatal(err)
			}
			b.Write(v)
		}
	}
	return b.String()
}
