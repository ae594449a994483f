package parsers

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustJSONPreset(tb testing.TB, name string) *JSON {
	tb.Helper()
	j, err := NewJSONPreset(name, Options{})
	if err != nil {
		tb.Fatalf("NewJSONPreset(%q) error: %v", name, err)
	}
	return j
}

func TestJSON_Decode(t *testing.T) {
	ecs := Options{Fields: map[string]string{
		"time":       "@timestamp",
		"level":      "log.level",
		"message":    "message",
		"logger":     "log.logger",
		"method":     "http.request.method",
		"path":       "url.path",
		"query":      "url.query",
		"status":     "http.response.status_code",
		"client_ip":  "source.ip|client.ip",
		"user_agent": "user_agent.original",
		"duration":   "event.duration",
	}, DurationUnit: "ns"}
	tests := []struct {
		name   string
		preset string  // or
		opts   Options // when preset is ""
		line   string
		want   []evView
		err    error  // errors.Is
		field  string // the LineError field at fault
	}{
		{
			name:   "caddy/access",
			preset: "caddy",
			line:   `{"level":"info","ts":1693840791.7564995,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"172.17.0.1","remote_port":"44790","client_ip":"127.0.0.1","proto":"HTTP/1.0","method":"GET","host":"127.0.0.1:8080","uri":"/login?next=%2F","headers":{"X-Forwarded-Port":["80"],"User-Agent":["curl/7.74.0"],"Accept":["*/*"]}},"bytes_read":0,"user_id":"","duration":0.000002701,"size":0,"status":0,"resp_headers":{"Server":["Caddy"]}}`,
			want: []evView{{Kind: "request", Time: "2023-09-04T15:19:51.7564995Z", ClientIP: "127.0.0.1", Host: "127.0.0.1:8080",
				Method: "GET", Path: "/login", Query: strp("next=%2F"), Protocol: "HTTP/1.0", Bytes: 0, UserAgent: "curl/7.74.0", Duration: "2.701µs", Level: "info"}},
		},
		{
			name:   "caddy/remote_ip fallback and empty header array",
			preset: "caddy",
			line:   `{"level":"error","ts":1711741798.0391326,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"::ffff:10.0.0.1","remote_port":"46944","proto":"HTTP/2.0","method":"GET","host":"localhost:9080","uri":"/","headers":{"Authorization":[],"User-Agent":[]}},"duration":0.782670468,"size":18630,"status":401,"resp_headers":{"Www-Authenticate":["Basic realm=\"restricted\""]}}`,
			want: []evView{{Kind: "request", Time: "2024-03-29T19:49:58.0391326Z", ClientIP: "10.0.0.1", Host: "localhost:9080",
				Method: "GET", Path: "/", Protocol: "HTTP/2.0", Status: 401, Bytes: 18630, Duration: "782.670468ms", Level: "error"}},
		},
		{
			name:   "caddy/server log ignored",
			preset: "caddy",
			line:   `{"level":"debug","ts":1742400753.0547564,"logger":"http.handlers.reverse_proxy","msg":"selected upstream","dial":"immich_server:2283","total_upstreams":1}`,
			err:    ErrIgnored,
		},
		{
			name:   "caddy/no logger ignored",
			preset: "caddy",
			line:   `caddy  | {"level":"info","ts":1761019822.3152757,"msg":"maxprocs: Leaving GOMAXPROCS=12: CPU quota undefined"}`,
			err:    ErrIgnored,
		},
		{
			name:   "caddy/compose prefix and duration string",
			preset: "caddy",
			line:   `caddy  | {"level":"info","ts":"2025-10-21T04:10:28.615395Z","logger":"http.log.access","request":{"client_ip":"2001:db8::5","method":"POST","host":"localhost","uri":"/users/register","proto":"HTTP/1.1","headers":{"User-Agent":["a","b"],"Referer":["https://x/"]}},"duration":"164µs","size":"12","status":"201"}`,
			want: []evView{{Kind: "request", Time: "2025-10-21T04:10:28.615395Z", ClientIP: "2001:db8::5", Host: "localhost",
				Method: "POST", Path: "/users/register", Protocol: "HTTP/1.1", Status: 201, Bytes: 12, UserAgent: "a", Referer: "https://x/", Duration: "164µs", Level: "info"}},
		},
		{
			name:   "slog/behind a Render syslog frame, time from the frame",
			preset: "slog_json",
			line:   `<134>1 2024-05-01T18:38:16.5Z shop-web web-6b9d7 1 web-6b9d7 - {"level":"INFO","msg":"request","method":"GET","path":"/","status":200,"remote_addr":"203.0.113.9:40001"}`,
			want:   []evView{{Kind: "request", Time: "2024-05-01T18:38:16.5Z", ClientIP: "203.0.113.9", Method: "GET", Path: "/", Status: 200, Bytes: -1, Level: "INFO", Message: "request"}},
		},
		{
			name:   "slog/behind heroku logs, its own time first",
			preset: "slog_json",
			line:   `2024-05-01T18:38:16.5+00:00 app[web.1]: {"time":"2024-05-01T18:38:16.25Z","level":"INFO","msg":"user registered"}`,
			want:   []evView{{Kind: "message", Time: "2024-05-01T18:38:16.25Z", Bytes: -1, Level: "INFO", Message: "user registered"}},
		},
		{
			name:   "nginx/string status",
			preset: "nginx_json",
			line:   `{"time_local":"22/Apr/2024:13:39:49 +0000","remote_addr":"91.90.40.176","remote_user":"","request":"POST /login HTTP/1.1","status": "302","body_bytes_sent":"0","request_time":"0.010","http_referrer":"http://164.92.132.240/","http_user_agent":"Mozilla/5.0","request_body":"username=admin&password=password_1234"}`,
			want: []evView{{Kind: "request", Time: "2024-04-22T13:39:49Z", ClientIP: "91.90.40.176", Method: "POST", Path: "/login", Protocol: "HTTP/1.1",
				Status: 302, Bytes: 0, Referer: "http://164.92.132.240/", UserAgent: "Mozilla/5.0", Duration: "10ms"}},
		},
		{
			name:   "nginx/number status, iso8601 with offset, escaped quotes",
			preset: "nginx_json",
			line:   `{"time_iso8601":"2024-04-22T15:39:49+02:00","remote_addr":"203.0.113.7","request":"GET /q?x=\"1\" HTTP/2.0","status":200,"body_bytes_sent":5120,"request_time":0.125,"http_referer":"-","http_user_agent":"Mozilla \"quoted\" back\\slash \/"}`,
			want: []evView{{Kind: "request", Time: "2024-04-22T13:39:49Z", ClientIP: "203.0.113.7", Method: "GET", Path: "/q", Query: strp(`x="1"`), Protocol: "HTTP/2.0",
				Status: 200, Bytes: 5120, UserAgent: `Mozilla "quoted" back\slash /`, Duration: "125ms"}},
		},
		{
			name:   "nginx/invalid UTF-8 kept raw",
			preset: "nginx_json",
			line:   "{\"msec\":\"1713793189.123\",\"remote_addr\":\"198.51.100.23\",\"request\":\"GET /\xe9\xff HTTP/1.1\",\"status\":\"400\",\"http_user_agent\":\"\xe9t\xe9\\\"\xff\"}",
			want: []evView{{Kind: "request", Time: "2024-04-22T13:39:49.123Z", ClientIP: "198.51.100.23", Method: "GET", Path: "/\xe9\xff", Protocol: "HTTP/1.1",
				Status: 400, Bytes: -1, UserAgent: "\xe9t\xe9\"\xff"}},
		},
		{
			name:   "nginx/unicode escapes and surrogates",
			preset: "nginx_json",
			line:   `{"remote_addr":"::1","request":"GET /caf\u00e9 HTTP/1.1","status":"200","http_user_agent":"\ud83d\ude00\t\u001f lone \ud800 bad \uZZZZ"}`,
			want: []evView{{Kind: "request", ClientIP: "::1", Method: "GET", Path: "/café", Protocol: "HTTP/1.1",
				Status: 200, Bytes: -1, UserAgent: "😀\t\x1f lone \uFFFD bad \\uZZZZ"}},
		},
		{
			name:   "nginx/empty values and missing keys are absent",
			preset: "nginx_json",
			line:   `{"time_local":"","time_iso8601":"2024-04-22T13:39:49Z","remote_addr":"","request":"","status":"400","body_bytes_sent":"-","request_time":"","http_referer":"","http_referrer":"","http_user_agent":null}`,
			want:   []evView{{Kind: "request", Time: "2024-04-22T13:39:49Z", Status: 400, Bytes: -1}},
		},
		{
			name:   "nginx/binary request line",
			preset: "nginx_json",
			line:   `{"remote_addr":"1.2.3.4","request":"\u0016\u0003\u0001\u0000","status":"400"}`,
			want:   []evView{{Kind: "request", ClientIP: "1.2.3.4", Path: "\x16\x03\x01\x00", Status: 400, Bytes: -1}},
		},
		{
			name:   "nginx/bad status",
			preset: "nginx_json",
			line:   `{"request":"GET / HTTP/1.1","status":"2x0"}`,
			field:  "status",
		},
		{
			name:   "nginx/status out of range",
			preset: "nginx_json",
			line:   `{"request":"GET / HTTP/1.1","status":42}`,
			field:  "status",
		},
		{
			name:   "nginx/error log line",
			preset: "nginx_json",
			line:   `2021/09/30 09:23:53 [error] 1925800#1925800: *17 open() failed`,
			err:    ErrMalformed,
		},
		{
			name:   "nginx/truncated object",
			preset: "nginx_json",
			line:   `{"request":"GET / HTTP/1.1","status":"200"`,
			err:    ErrMalformed,
		},
		{
			name:   "nginx/array",
			preset: "nginx_json",
			line:   `[{"request":"GET / HTTP/1.1"}]`,
			err:    ErrMalformed,
		},
		{
			name:   "nginx/trailing garbage",
			preset: "nginx_json",
			line:   `{"request":"GET / HTTP/1.1"} x`,
			err:    ErrMalformed,
		},
		{
			name:   "blank line ignored",
			preset: "nginx_json",
			line:   "  \r",
			err:    ErrIgnored,
		},
		{
			name:   "traefik/XFF list of proxies only in ClientHost takes the leftmost",
			preset: "traefik_json",
			line:   `{"ClientAddr":"172.71.122.85:11029","ClientHost":"192.168.1.100,10.0.0.50","DownstreamContentSize":0,"DownstreamStatus":204,"Duration":2337877,"OriginStatus":0,"RequestHost":"example.com","RequestMethod":"OPTIONS","RequestPath":"/_matrix/client/v3/sync?since=s1","RequestProtocol":"HTTP/2.0","StartUTC":"2025-11-28T09:21:55.645779561Z","level":"info","msg":"","time":"2025-11-28T09:21:55Z"}`,
			want: []evView{{Kind: "request", Time: "2025-11-28T09:21:55.648117438Z", ClientIP: "192.168.1.100", Host: "example.com", Method: "OPTIONS",
				Path: "/_matrix/client/v3/sync", Query: strp("since=s1"), Protocol: "HTTP/2.0", Status: 204, Bytes: 0, Duration: "2.337877ms", Level: "info"}},
		},
		{
			// StartUTC is the request's start: a gateway timeout's line,
			// written a minute after it, stamped at its start would be a
			// minute behind the lines written meanwhile, and dropped as
			// late (the engine's skew is 5 s). StartUTC plus Duration is
			// when the response ended, as nginx and Caddy stamp a line.
			name:   "traefik/a slow request is stamped at its end",
			preset: "traefik_json",
			line:   `{"ClientAddr":"203.0.113.9:40112","ClientHost":"203.0.113.9","DownstreamContentSize":0,"DownstreamStatus":504,"Duration":60000412345,"OriginStatus":0,"RequestMethod":"POST","RequestPath":"/users/log_in","StartUTC":"2025-11-28T09:20:55.600000000Z","level":"info","msg":"","time":"2025-11-28T09:21:55Z"}`,
			want: []evView{{Kind: "request", Time: "2025-11-28T09:21:55.600412345Z", ClientIP: "203.0.113.9", Method: "POST",
				Path: "/users/log_in", Status: 504, Bytes: 0, Duration: "1m0.000412345s", Level: "info"}},
		},
		{
			name:   "traefik/without Duration the line's time, not the start",
			preset: "traefik_json",
			line:   `{"ClientHost":"203.0.113.9","DownstreamStatus":504,"RequestMethod":"GET","RequestPath":"/","StartUTC":"2025-11-28T09:20:55.6Z","time":"2025-11-28T09:21:55Z"}`,
			want: []evView{{Kind: "request", Time: "2025-11-28T09:21:55Z", ClientIP: "203.0.113.9", Method: "GET",
				Path: "/", Status: 504, Bytes: -1}},
		},
		{
			name:   "traefik/StartLocal alone",
			preset: "traefik_json",
			line:   `{"ClientHost":"203.0.113.9","DownstreamStatus":200,"RequestMethod":"GET","RequestPath":"/","StartLocal":"2025-11-28T10:20:55.6+01:00"}`,
			want: []evView{{Kind: "request", Time: "2025-11-28T09:20:55.6Z", ClientIP: "203.0.113.9", Method: "GET",
				Path: "/", Status: 200, Bytes: -1}},
		},
		{
			name:   "traefik/StartUTC missing falls back to time",
			preset: "traefik_json",
			line:   `{"ClientHost":"::1","DownstreamStatus":404,"Duration":32673,"RequestMethod":"GET","RequestPath":"/","request_User-Agent":"Nikto","time":"2024-04-15T13:26:33Z"}`,
			want: []evView{{Kind: "request", Time: "2024-04-15T13:26:33Z", ClientIP: "::1", Method: "GET",
				Path: "/", Status: 404, Bytes: -1, UserAgent: "Nikto", Duration: "32.673µs"}},
		},
		{
			name: "ecs/flattened and nested keys",
			opts: ecs,
			line: `{"@timestamp":"2025-01-13T09:58:13.632Z","log.level":"info","message":"this is a info message num=74","ecs.version":"1.6.0","log":{"logger":"app","origin":{"file":{"line":43,"name":"es_logger.py"},"function":"main"},"original":"x"},"process":{"pid":9159}}`,
			want: []evView{{Kind: "message", Time: "2025-01-13T09:58:13.632Z", Bytes: -1, Level: "info", Message: "this is a info message num=74", Extra: []string{"logger=app"}}},
		},
		{
			name: "ecs/request",
			opts: ecs,
			line: `{"@timestamp":"2025-01-13T09:58:13Z","http":{"request":{"method":"POST"},"response":{"status_code":201}},"url":{"path":"/signup","query":"a=1"},"client.ip":"2001:db8::2","user_agent":{"original":"Go-http-client/1.1"},"event":{"duration":1500000}}`,
			want: []evView{{Kind: "request", Time: "2025-01-13T09:58:13Z", ClientIP: "2001:db8::2", Method: "POST", Path: "/signup", Query: strp("a=1"),
				Status: 201, Bytes: -1, UserAgent: "Go-http-client/1.1", Duration: "1.5ms"}},
		},
		{
			name: "generic/guessed time key, last duplicate wins",
			opts: Options{Fields: map[string]string{"message": "msg", "user": "user.name"}},
			line: `{"ts":1713793189123,"msg":"first","msg":"second","user":{"name":"bob"}}`,
			want: []evView{{Kind: "message", Time: "2024-04-22T13:39:49.123Z", Bytes: -1, Message: "second", Extra: []string{"user=bob"}}},
		},
		{
			name: "generic/match exact",
			opts: Options{Fields: map[string]string{"message": "msg", "match": "kind=access"}},
			line: `{"kind":"accessx","msg":"m"}`,
			err:  ErrIgnored,
		},
		{
			name: "generic/zone-less time in Location",
			opts: Options{Fields: map[string]string{"message": "msg", "time": "t"}, TimeLayout: "2006-01-02 15:04:05", Location: time.FixedZone("X", 3600)},
			line: `{"t":"2024-04-22 14:39:49","msg":"m"}`,
			want: []evView{{Kind: "message", Time: "2024-04-22T13:39:49Z", Bytes: -1, Message: "m"}},
		},
		{
			name:  "generic/bad time",
			opts:  Options{Fields: map[string]string{"message": "msg"}},
			line:  `{"time":"yesterday","msg":"m"}`,
			field: "time",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var (
				j   *JSON
				err error
			)
			if tt.preset != "" {
				j, err = NewJSONPreset(tt.preset, tt.opts)
			} else {
				j, err = NewJSON(tt.opts)
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeFmt(t, j, tt.line)
			checkDecodeErr(t, err, tt.err, tt.field)
			if diff := cmp.Diff(tt.want, got, ignoreHint); diff != "" {
				t.Errorf("Decode(%q) mismatch (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}

// checkDecodeErr checks err against a sentinel error or the field of a
// *LineError; neither means no error.
func checkDecodeErr(tb testing.TB, err, want error, field string) {
	tb.Helper()
	switch {
	case field != "":
		var le *LineError
		if !errors.As(err, &le) || le.Field != field {
			tb.Errorf("Decode() error = %v, want a LineError for field %s", err, field)
		}
	case want != nil:
		if !errors.Is(err, want) {
			tb.Errorf("Decode() error = %v, want %v", err, want)
		}
	case err != nil:
		tb.Errorf("Decode() error = %v", err)
	}
}

// TestJSON_tsPrecision checks that a float Unix time keeps its digits:
// parsed as float32, 1693840791.7564995 would be off by about a minute.
func TestJSON_tsPrecision(t *testing.T) {
	j := mustJSONPreset(t, "caddy")
	tests := []struct {
		ts   string
		want time.Time
	}{
		{"1693840791.7564995", time.Unix(1693840791, 756499500)},
		{"1761019828.6153953", time.Unix(1761019828, 615395300)},
		{"1693840791.000001", time.Unix(1693840791, 1000)},
		{"1693840791", time.Unix(1693840791, 0)},
		{"1693840791.123456789123", time.Unix(1693840791, 123456789)},
		{"1.6938407917564995e+09", time.Unix(1693840791, 756499500)},
	}
	for _, tt := range tests {
		line := `{"ts":` + tt.ts + `,"logger":"http.log.access","request":{"method":"GET","uri":"/"}}`
		var got time.Time
		if err := j.Decode([]byte(line), func(ev *Event) { got = ev.Time }); err != nil {
			t.Fatalf("Decode(ts %s) error: %v", tt.ts, err)
		}
		if d := got.Sub(tt.want); d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("Decode(ts %s) Time = %v, want %v within 1µs", tt.ts, got.Format(time.RFC3339Nano), tt.want.UTC().Format(time.RFC3339Nano))
		}
		if got.Location() != time.UTC {
			t.Errorf("Decode(ts %s) Time zone = %v, want UTC", tt.ts, got.Location())
		}
	}
}

func TestNewJSON_errors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"no fields", Options{}},
		{"no request or message", Options{Fields: map[string]string{"time": "ts", "status": "status"}}},
		{"empty key", Options{Fields: map[string]string{"path": "uri||url"}}},
		{"bad match", Options{Fields: map[string]string{"path": "uri", "match": "logger"}}},
		{"bad layout", Options{Fields: map[string]string{"path": "uri"}, TimeLayout: "iso"}},
		{"bad duration unit", Options{Fields: map[string]string{"path": "uri"}, DurationUnit: "parsec"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewJSON(tt.opts); err == nil {
				t.Errorf("NewJSON(%+v) error = nil, want one", tt.opts)
			}
		})
	}
	if _, err := NewJSONPreset("apache_json", Options{}); err == nil {
		t.Errorf("NewJSONPreset(apache_json) error = nil, want one")
	}
}

func TestJSONPreset(t *testing.T) {
	for _, name := range JSONPresets() {
		o, ok := JSONPreset(name)
		if !ok {
			t.Fatalf("JSONPreset(%q) not found", name)
		}
		o.Fields["path"] = "changed" // must not leak into the preset
		if p, _ := JSONPreset(name); p.Fields["path"] == "changed" {
			t.Errorf("JSONPreset(%q) shares its Fields map", name)
		}
	}
	if _, ok := JSONPreset("nope"); ok {
		t.Errorf("JSONPreset(nope) found")
	}
	// A user entry replaces the preset's.
	j, err := NewJSONPreset("caddy", Options{Fields: map[string]string{"client_ip": "request.remote_ip"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeFmt(t, j, `{"logger":"http.log.access","request":{"remote_ip":"1.1.1.1","client_ip":"2.2.2.2","method":"GET","uri":"/"}}`)
	if err != nil || len(got) != 1 || got[0].ClientIP != "1.1.1.1" {
		t.Errorf("Decode() = %+v, %v; want client_ip 1.1.1.1", got, err)
	}
}

func TestJSON_allocs(t *testing.T) {
	for _, tc := range []struct{ preset, file string }{
		{"caddy", "testdata/json_caddy.log"},
		{"nginx_json", "testdata/json_nginx.log"},
		{"traefik_json", "testdata/json_traefik.log"},
	} {
		j := mustJSONPreset(t, tc.preset)
		lines := seedLines(t, tc.file)
		bs := make([][]byte, len(lines))
		for i, l := range lines {
			bs[i] = []byte(l)
			_ = j.Decode(bs[i], func(*Event) {}) // warm the buffers
		}
		for i, b := range bs {
			if err := j.Decode(b, func(*Event) {}); err != nil && err != ErrIgnored {
				continue // a *LineError is allocated; bad lines are rare
			}
			if n := testing.AllocsPerRun(20, func() { _ = j.Decode(b, func(*Event) {}) }); n != 0 {
				t.Errorf("%s line %d: %v allocs per Decode, want 0", tc.preset, i+1, n)
			}
		}
	}
}

func FuzzJSON(f *testing.F) {
	for _, name := range []string{"json_caddy", "json_nginx", "json_traefik", "json_ecs", "slog_json", "zap_json", "zerolog_json"} {
		for _, l := range seedLines(f, "testdata/"+name+".log") {
			f.Add(l)
		}
	}
	var decs []*JSON
	for _, p := range JSONPresets() {
		decs = append(decs, mustJSONPreset(f, p))
	}
	generic, err := NewJSON(Options{Fields: map[string]string{"message": "msg|message", "level": "log.level", "path": "a.b.c"}})
	if err != nil {
		f.Fatal(err)
	}
	decs = append(decs, generic)
	f.Fuzz(func(t *testing.T, line string) {
		for _, j := range decs {
			err := j.Decode([]byte(line), func(ev *Event) { checkEventInvariants(t, line, ev) })
			var le *LineError
			if err != nil && err != ErrIgnored && !errors.As(err, &le) {
				t.Fatalf("Decode(%q) error %v is neither ErrIgnored nor a *LineError", line, err)
			}
		}
	})
}

// checkEventInvariants checks what holds for every event of every format.
func checkEventInvariants(tb testing.TB, line string, ev *Event) {
	tb.Helper()
	if ev.Status != 0 && (ev.Status < 100 || ev.Status > 999) {
		tb.Fatalf("Decode(%q) Status = %d", line, ev.Status)
	}
	if ev.Time.Location() != time.UTC {
		tb.Fatalf("Decode(%q) Time = %v, not UTC", line, ev.Time)
	}
	if ev.Bytes < -1 || ev.Duration < -1 {
		tb.Fatalf("Decode(%q) Bytes = %d, Duration = %d", line, ev.Bytes, ev.Duration)
	}
	if string(ev.Raw) != line {
		tb.Fatalf("Decode(%q) Raw = %q", line, ev.Raw)
	}
	checkClient(tb, line, ev)
}

// benchmarkDecoder decodes the lines of file that are events or ignored
// lines; malformed lines are left out, as their errors allocate and real
// logs have few of them.
func benchmarkDecoder(b *testing.B, d Decoder, file string) {
	var bs [][]byte
	size := 0
	for _, l := range seedLines(b, file) {
		if err := d.Decode([]byte(l), func(*Event) {}); err != nil && err != ErrIgnored {
			continue
		}
		bs = append(bs, []byte(l))
		size += len(l) + 1
	}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	n := 0
	emit := func(*Event) {}
	for b.Loop() {
		for _, l := range bs {
			_ = d.Decode(l, emit)
		}
		n += len(bs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkJSONCaddy(b *testing.B) {
	benchmarkDecoder(b, mustJSONPreset(b, "caddy"), "testdata/json_caddy.log")
}

func BenchmarkJSONNginx(b *testing.B) {
	benchmarkDecoder(b, mustJSONPreset(b, "nginx_json"), "testdata/json_nginx.log")
}
