package parsers

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustLogfmt(tb testing.TB, preset string, opts Options) *Logfmt {
	tb.Helper()
	var (
		l   *Logfmt
		err error
	)
	if preset != "" {
		l, err = NewLogfmtPreset(preset, opts)
	} else {
		l, err = NewLogfmt(opts)
	}
	if err != nil {
		tb.Fatalf("NewLogfmt(%q, %+v) error: %v", preset, opts, err)
	}
	return l
}

func TestLogfmt_Decode(t *testing.T) {
	tests := []struct {
		name   string
		preset string
		opts   Options
		line   string
		want   []evView
		err    error
		field  string
	}{
		{
			name:   "heroku/router",
			preset: "heroku",
			line:   `2017-01-13T02:37:11.213639+00:00 heroku[router]: at=info method=GET path="/" host=blooming-stream-15146.herokuapp.com request_id=02d70c8f-ae51-4e60-aa62-e0dcccdc095d fwd="71.244.130.75" dyno=web.1 connect=1ms service=24ms status=200 bytes=2981`,
			want: []evView{{Kind: "request", Time: "2017-01-13T02:37:11.213639Z", ClientIP: "71.244.130.75", Host: "blooming-stream-15146.herokuapp.com",
				Method: "GET", Path: "/", Status: 200, Bytes: 2981, RequestID: "02d70c8f-ae51-4e60-aa62-e0dcccdc095d", Duration: "24ms", Level: "info", Extra: []string{"dyno=web.1"}}},
		},
		{
			name:   "heroku/error with empty value and code",
			preset: "heroku",
			line:   `2012-10-11T03:47:20+00:00 heroku[router]: at=error code=H12 desc="Request timeout" method=GET path=/ host=myapp.herokuapp.com fwd="204.204.204.204" dyno=web.1 connect= service=30000ms status=503 bytes=0`,
			want: []evView{{Kind: "request", Time: "2012-10-11T03:47:20Z", ClientIP: "204.204.204.204", Host: "myapp.herokuapp.com",
				Method: "GET", Path: "/", Status: 503, Bytes: 0, Duration: "30s", Level: "error", Message: "Request timeout", Extra: []string{"code=H12", "dyno=web.1"}}},
		},
		{
			name:   "heroku/fwd list takes the last hop",
			preset: "heroku",
			line:   `2017-01-13T02:38:00.000001+00:00 heroku[router]: at=info method=POST path="/users/register?ref=ad" fwd="1.2.3.4, 71.244.130.75" status=302 bytes=98 service=112`,
			want: []evView{{Kind: "request", Time: "2017-01-13T02:38:00.000001Z", ClientIP: "71.244.130.75", Method: "POST", Path: "/users/register", Query: strp("ref=ad"),
				Status: 302, Bytes: 98, Duration: "112ms", Level: "info"}},
		},
		{
			name:   "heroku/RFC 5424 drain",
			preset: "heroku",
			line:   `<158>1 2014-08-04T18:28:43.078581+00:00 host heroku router - at=info method=GET path="/foo" fwd="50.168.96.221" status=200 bytes=415`,
			want: []evView{{Kind: "request", Time: "2014-08-04T18:28:43.078581Z", ClientIP: "50.168.96.221", Method: "GET", Path: "/foo",
				Status: 200, Bytes: 415, Level: "info"}},
		},
		{
			name:   "heroku/octet-counted frame",
			preset: "heroku",
			line:   `83 <40>1 2017-01-13T02:38:01.5+00:00 host heroku router - at=info method=GET path=/ status=200`,
			want:   []evView{{Kind: "request", Time: "2017-01-13T02:38:01.5Z", Method: "GET", Path: "/", Status: 200, Bytes: -1, Level: "info"}},
		},
		{
			name:   "heroku/app line without pairs",
			preset: "heroku",
			line:   `2017-01-13T02:38:02.000000+00:00 app[web.1]: Started GET "/" for 71.244.130.75`,
			err:    ErrMalformed,
		},
		{
			name:   "heroku/bad status",
			preset: "heroku",
			line:   `2017-01-13T02:38:04+00:00 heroku[router]: at=info method=GET path=/ status=abc`,
			field:  "status",
		},
		{
			name: "default/app line is a message",
			line: `time="2021-09-15T21:17:11.674149Z" level=warning msg="Failed to DeletePod in the provider" error="pod x is not found: PodNotFound" namespace=inc-1`,
			want: []evView{{Kind: "message", Time: "2021-09-15T21:17:11.674149Z", Bytes: -1, Level: "warning", Message: "Failed to DeletePod in the provider"}},
		},
		{
			name: "default/app status that is not HTTP is dropped",
			line: `time="2021-09-15T21:17:10.220731Z" level=error msg="error retrieving pod status" reason= status=Pending`,
			want: []evView{{Kind: "message", Time: "2021-09-15T21:17:10.220731Z", Bytes: -1, Level: "error", Message: "error retrieving pod status"}},
		},
		{
			name:  "default/request status must be HTTP",
			line:  `method=GET path=/ status=Pending`,
			field: "status",
		},
		{
			name: "default/phoenix time of day first",
			line: `timestamp="20:38:16.031 2023-05-01" level=info message="Sent 200 in 58ms" request_id=F1sskxS1k-w0jUIAAAKB`,
			want: []evView{{Kind: "message", Time: "2023-05-01T20:38:16.031Z", Bytes: -1, Level: "info", Message: "Sent 200 in 58ms", RequestID: "F1sskxS1k-w0jUIAAAKB"}},
		},
		{
			name: "default/request with escapes",
			line: `ts=2024-05-01T20:38:16.031Z level=info method=POST path=/users/register status=200 duration=58ms ip="::ffff:198.51.100.9" ua="Mozilla/5.0 \"x\" \\ y" req_id=abc`,
			want: []evView{{Kind: "request", Time: "2024-05-01T20:38:16.031Z", ClientIP: "198.51.100.9", Method: "POST", Path: "/users/register",
				Status: 200, Bytes: -1, UserAgent: `Mozilla/5.0 "x" \ y`, RequestID: "abc", Duration: "58ms", Level: "info"}},
		},
		{
			// log/slog's text handler, as a request middleware logs
			// through it: the size and the referer are read, as the JSON
			// presets read them.
			name: "default/slog text request with its size and referer",
			line: `time=2026-11-25T15:30:00.000+01:00 level=INFO msg=request method=GET uri="/search?q=a=b" status=200 bytes=5120 remote_addr=[2001:db8::7]:51234 duration=1m0s user_agent="Mozilla/5.0 (X11)" referer=https://www.example.com/`,
			want: []evView{{Kind: "request", Time: "2026-11-25T14:30:00Z", ClientIP: "2001:db8::7", Method: "GET", Path: "/search", Query: strp("q=a=b"),
				Status: 200, Bytes: 5120, UserAgent: "Mozilla/5.0 (X11)", Referer: "https://www.example.com/", Duration: "1m0s", Level: "INFO", Message: "request"}},
		},
		{
			name: "default/bare number duration in ms, float epoch, bare key",
			line: `ts=1714595896.5 method=GET path=/health status=200 dur=0.4 debug client_ip=10.1.2.3`,
			want: []evView{{Kind: "request", Time: "2024-05-01T20:38:16.5Z", ClientIP: "10.1.2.3", Method: "GET", Path: "/health", Status: 200, Bytes: -1, Duration: "400µs"}},
		},
		{
			name: "default/duplicate keys, last wins; quoted spaces",
			line: `level=warn msg=first msg="second one" method=GET path="/a b" status=504`,
			want: []evView{{Kind: "request", Method: "GET", Path: "/a b", Status: 504, Bytes: -1, Level: "warn", Message: "second one"}},
		},
		{
			name: "default/unterminated quote runs to the end",
			line: `method=GET path="/x status=200`,
			want: []evView{{Kind: "request", Method: "GET", Path: "/x status=200", Bytes: -1}},
		},
		{
			name: "default/empty time is absent",
			line: `time= msg=hello`,
			want: []evView{{Kind: "message", Bytes: -1, Message: "hello"}},
		},
		{
			name: "default/no pairs",
			line: `just some words`,
			err:  ErrMalformed,
		},
		{
			name: "default/blank",
			line: ` `,
			err:  ErrIgnored,
		},
		{
			name: "custom/mapping and seconds",
			opts: Options{Fields: map[string]string{"path": "uri", "duration": "took", "user": "user"}, DurationUnit: "s"},
			line: `uri=/login?x=1 took=0.010 user=bob other=1`,
			want: []evView{{Kind: "request", Path: "/login", Query: strp("x=1"), Bytes: -1, Duration: "10ms", Extra: []string{"user=bob"}}},
		},
		{
			name: "custom/zone-less time in Location",
			opts: Options{Fields: map[string]string{"message": "msg", "time": "t"}, Location: time.FixedZone("X", -7*3600)},
			line: `t=2024-05-01T13:00:00 msg=m`,
			want: []evView{{Kind: "message", Time: "2024-05-01T20:00:00Z", Bytes: -1, Message: "m"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := mustLogfmt(t, tt.preset, tt.opts)
			got, err := decodeFmt(t, l, tt.line)
			checkDecodeErr(t, err, tt.err, tt.field)
			if diff := cmp.Diff(tt.want, got, ignoreHint); diff != "" {
				t.Errorf("Decode(%q) mismatch (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}

func TestNewLogfmt_errors(t *testing.T) {
	for _, opts := range []Options{
		{Fields: map[string]string{"status": "status"}},
		{Fields: map[string]string{"path": "path", "match": "a=b"}},
		{Fields: map[string]string{"path": "path"}, DurationUnit: "fortnight"},
	} {
		if _, err := NewLogfmt(opts); err == nil {
			t.Errorf("NewLogfmt(%+v) error = nil, want one", opts)
		}
	}
	if _, err := NewLogfmtPreset("papertrail", Options{}); err == nil {
		t.Errorf("NewLogfmtPreset(papertrail) error = nil, want one")
	}
	if _, ok := LogfmtPreset("heroku"); !ok {
		t.Errorf("LogfmtPreset(heroku) not found")
	}
}

func TestLogfmt_allocs(t *testing.T) {
	for _, tc := range []struct{ preset, file string }{
		{"heroku", "testdata/logfmt_heroku.log"},
		{"", "testdata/logfmt_app.log"},
	} {
		l := mustLogfmt(t, tc.preset, Options{})
		for i, line := range seedLines(t, tc.file) {
			b := []byte(line)
			if err := l.Decode(b, func(*Event) {}); err != nil && err != ErrIgnored {
				continue
			}
			if n := testing.AllocsPerRun(20, func() { _ = l.Decode(b, func(*Event) {}) }); n != 0 {
				t.Errorf("%s line %d: %v allocs per Decode, want 0", tc.file, i+1, n)
			}
		}
	}
}

func FuzzLogfmt(f *testing.F) {
	for _, name := range []string{"logfmt_heroku", "logfmt_app", "logfmt_go", "heroku_lograge"} {
		for _, l := range seedLines(f, "testdata/"+name+".log") {
			f.Add(l)
		}
	}
	decs := []*Logfmt{mustLogfmt(f, "heroku", Options{}), mustLogfmt(f, "", Options{})}
	f.Fuzz(func(t *testing.T, line string) {
		for _, l := range decs {
			err := l.Decode([]byte(line), func(ev *Event) { checkEventInvariants(t, line, ev) })
			var le *LineError
			if err != nil && !errors.Is(err, ErrIgnored) && !errors.As(err, &le) {
				t.Fatalf("Decode(%q) error %v is neither ErrIgnored nor a *LineError", line, err)
			}
		}
	})
}

func BenchmarkLogfmtHeroku(b *testing.B) {
	benchmarkDecoder(b, mustLogfmt(b, "heroku", Options{}), "testdata/logfmt_heroku.log")
}
