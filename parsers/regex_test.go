package parsers

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// regexAppOpts reads testdata/regex_app.log.
var regexAppOpts = Options{
	Pattern:    `^(?P<time>\S+ \S+) (?P<level>\S+) (?P<client_ip>\S+) "(?P<method>\S+) (?P<target>[^"]*)" (?P<status>\d+) (?P<duration>\S+) ua="(?P<user_agent>[^"]*)"(?: tenant=(?P<tenant>\S+))?$`,
	TimeLayout: "2006-01-02 15:04:05.000",
	Location:   time.FixedZone("CEST", 2*3600),
}

func mustRegex(tb testing.TB, opts Options) *Regex {
	tb.Helper()
	r, err := NewRegex(opts)
	if err != nil {
		tb.Fatalf("NewRegex(%q) error: %v", opts.Pattern, err)
	}
	return r
}

func TestRegex_Decode(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		line  string
		want  []evView
		err   error
		field string
	}{
		{
			name: "app/full",
			opts: regexAppOpts,
			line: `2024-05-01 20:38:16.031 INFO 203.0.113.9 "GET /users/register?x=1" 200 58ms ua="curl/8.0" tenant=acme`,
			want: []evView{{Kind: "request", Time: "2024-05-01T18:38:16.031Z", ClientIP: "203.0.113.9", Method: "GET", Path: "/users/register", Query: strp("x=1"),
				Status: 200, Bytes: -1, UserAgent: "curl/8.0", Duration: "58ms", Level: "INFO", Extra: []string{"tenant=acme"}}},
		},
		{
			name: "app/optional group absent, bare seconds",
			opts: regexAppOpts,
			line: `2024-05-01 20:38:18.500 INFO ::ffff:203.0.113.11 "GET /" 200 0.5 ua=""`,
			want: []evView{{Kind: "request", Time: "2024-05-01T18:38:18.5Z", ClientIP: "203.0.113.11", Method: "GET", Path: "/",
				Status: 200, Bytes: -1, Duration: "500ms", Level: "INFO"}},
		},
		{
			name:  "app/bad time",
			opts:  regexAppOpts,
			line:  `2024-13-01 20:38:18.500 INFO 1.2.3.4 "GET /" 200 1ms ua=""`,
			field: "time",
		},
		{
			name: "app/no match",
			opts: regexAppOpts,
			line: `not a matching line`,
			err:  ErrMalformed,
		},
		{
			name: "no time group",
			opts: Options{Pattern: `^(?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3})$`},
			line: `POST /login 401`,
			want: []evView{{Kind: "request", Method: "POST", Path: "/login", Status: 401, Bytes: -1}},
		},
		{
			name: "guessed CLF time and request line",
			opts: Options{Pattern: `^(?P<client_ip>\S+) \[(?P<time>[^]]+)\] "(?P<request>[^"]*)" (?P<status>\S+) (?P<bytes>\S+)`},
			line: `10.0.0.1 [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326`,
			want: []evView{{Kind: "request", Time: "2000-10-10T20:55:36Z", ClientIP: "10.0.0.1", Method: "GET", Path: "/a.gif", Protocol: "HTTP/1.0",
				Status: 200, Bytes: 2326}},
		},
		{
			name: "dash status and bytes",
			opts: Options{Pattern: `^(?P<client_ip>\S+) \[(?P<time>[^]]+)\] "(?P<request>[^"]*)" (?P<status>\S+) (?P<bytes>\S+)`},
			line: `::1 [15/Apr/2024:13:04:10 +0000] "GET / HTTP/1.1" - -`,
			want: []evView{{Kind: "request", Time: "2024-04-15T13:04:10Z", ClientIP: "::1", Method: "GET", Path: "/", Protocol: "HTTP/1.1", Bytes: -1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeFmt(t, mustRegex(t, tt.opts), tt.line)
			checkDecodeErr(t, err, tt.err, tt.field)
			if diff := cmp.Diff(tt.want, got, ignoreHint); diff != "" {
				t.Errorf("Decode(%q) mismatch (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}

func TestNewRegex_errors(t *testing.T) {
	for _, opts := range []Options{
		{},
		{Pattern: `(?P<path>[`},
		{Pattern: `^(\S+) (\S+)$`},
		{Pattern: `(?P<match>x)`},
		{Pattern: `(?P<path>\S+)`, TimeLayout: "nonsense"},
		{Pattern: `(?P<path>\S+)`, DurationUnit: "week"},
	} {
		if _, err := NewRegex(opts); err == nil {
			t.Errorf("NewRegex(%+v) error = nil, want one", opts)
		}
	}
}

func FuzzRegex(f *testing.F) {
	for _, l := range seedLines(f, "testdata/regex_app.log") {
		f.Add(l)
	}
	r := mustRegex(f, regexAppOpts)
	guess := mustRegex(f, Options{Pattern: `^(?P<time>\S*) (?P<status>\S*) (?P<bytes>\S*) (?P<duration>\S*) (?P<request>.*)$`})
	f.Fuzz(func(t *testing.T, line string) {
		for _, d := range []*Regex{r, guess} {
			err := d.Decode([]byte(line), func(ev *Event) { checkEventInvariants(t, line, ev) })
			var le *LineError
			if err != nil && !errors.As(err, &le) {
				t.Fatalf("Decode(%q) error %v is not a *LineError", line, err)
			}
		}
	})
}

func BenchmarkRegex(b *testing.B) {
	benchmarkDecoder(b, mustRegex(b, regexAppOpts), "testdata/regex_app.log")
}
