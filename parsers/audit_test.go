package parsers

import (
	"errors"
	"strings"
	"testing"
)

// The tests of this file check promises of the README's "Log formats"
// section that no other test checked.

// auditDecode decodes lines with a fresh decoder of the named format and
// returns the views of every event, the flushed ones included, and the
// errors of the lines that failed.
func auditDecode(t *testing.T, format string, opts Options, lines ...string) ([]evView, []error) {
	t.Helper()
	dec, err := New(format, opts)
	if err != nil {
		t.Fatalf("New(%q) error: %v", format, err)
	}
	var got []evView
	var errs []error
	for _, l := range lines {
		if err := dec.Decode([]byte(l), func(ev *Event) { got = append(got, viewFmt(t, ev)) }); err != nil {
			errs = append(errs, err)
		}
	}
	dec.Flush(func(ev *Event) { got = append(got, viewFmt(t, ev)) })
	return got, errs
}

// auditDetect runs Detect on lines.
func auditDetect(lines ...string) (string, error) {
	b := make([][]byte, len(lines))
	for i, l := range lines {
		b[i] = []byte(l)
	}
	return Detect(b, Options{Date: goldenDay})
}

// TestAudit_combinedSyslogPriority: "Lines may sit behind a syslog header
// (nginx's `access_log syslog:…`, rsyslog, journald; RFC 3164 or 5424)".
// nginx's access_log syslog: sends RFC 3164 with its priority
// ("<190>Oct 10 13:55:36 host nginx: …"), which a receiver that keeps the
// raw message writes as is.
func TestAudit_combinedSyslogPriority(t *testing.T) {
	const access = `203.0.113.9 - - [10/Oct/2024:13:55:36 +0000] "POST /users/register HTTP/1.1" 302 0 "-" "Mozilla/5.0"`
	for _, line := range []string{
		"<190>Oct 10 13:55:36 web nginx: " + access,
		"<13>Feb  6 12:14:14 web nginx[2869]: " + access,
		"<190>1 2024-10-10T13:55:36Z web nginx 2869 - - " + access,
		"Oct 10 13:55:36 web nginx: " + access,
	} {
		got, errs := auditDecode(t, "combined", Options{}, line)
		if len(errs) != 0 || len(got) != 1 || got[0].ClientIP != "203.0.113.9" || got[0].Method != "POST" || got[0].Status != 302 {
			t.Errorf("combined: Decode(%q) = %+v, %v; want the POST of 203.0.113.9", line, got, errs)
		}
		if name, err := auditDetect(line, line); name != "combined" || err != nil {
			t.Errorf("Detect(%q) = %q, %v; want combined", line, name, err)
		}
	}
	// What is no syslog header stays a malformed line.
	for _, line := range []string{
		"<190>garbage " + access,
		"<1900>Oct 10 13:55:36 web nginx: " + access,
		"<190>Oct 10 garbage",
	} {
		got, errs := auditDecode(t, "combined", Options{}, line)
		var le *LineError
		if len(got) != 0 || len(errs) != 1 || !errors.As(errs[0], &le) {
			t.Errorf("combined: Decode(%q) = %+v, %v; want a line error", line, got, errs)
		}
	}
}

// TestAudit_slogRequestGroupForwarded: slog_json reads the request fields
// "flat or in a `request` group", among them "`x_forwarded_for` behind a
// proxy", and a list is read only when the socket peer is a proxy's.
func TestAudit_slogRequestGroupForwarded(t *testing.T) {
	for _, tt := range []struct{ line, want string }{
		{`{"time":"2024-05-01T20:38:16Z","level":"INFO","msg":"request","request":{"method":"POST","path":"/users","remote_addr":"10.0.3.7:40112","x_forwarded_for":"198.51.100.7, 203.0.113.9"},"status":302}`, "203.0.113.9"},
		{`{"time":"2024-05-01T20:38:16Z","level":"INFO","msg":"request","request":{"method":"POST","path":"/users","remote_addr":"203.0.113.9:5555","x_forwarded_for":"192.0.2.1"},"status":302}`, "203.0.113.9"},
		{`{"time":"2024-05-01T20:38:16Z","level":"INFO","msg":"request","method":"POST","path":"/users","remote_addr":"10.0.3.7:40112","x_forwarded_for":"198.51.100.7, 203.0.113.9","status":302}`, "203.0.113.9"},
		{`{"time":"2024-05-01T20:38:16Z","level":"INFO","msg":"request","request":{"method":"POST","path":"/users","x_forwarded_for":"10.0.0.5, 100.64.0.1"},"status":302}`, "10.0.0.5"},
	} {
		got, errs := auditDecode(t, "slog_json", Options{}, tt.line)
		if len(errs) != 0 || len(got) != 1 || got[0].Kind != "request" || got[0].ClientIP != tt.want {
			t.Errorf("slog_json: Decode(%q) = %+v, %v; want a request of %s", tt.line, got, errs, tt.want)
		}
	}
}

// TestAudit_detectHerokuDrain: "a Heroku drain is read as `heroku` from
// its router lines even when most of its lines are the app's own".
func TestAudit_detectHerokuDrain(t *testing.T) {
	const router = `2017-01-13T02:37:11.213639+00:00 heroku[router]: at=info method=GET path="/" host=example.herokuapp.com request_id=02d70c8f-ae51-4e60-aa62-e0dcccdc095d fwd="203.0.113.9" dyno=web.1 connect=1ms service=24ms status=200 bytes=2981`
	app := []string{
		`2017-01-13T02:37:11.213639+00:00 app[web.1]: method=GET path=/ format=html controller=HomeController action=index status=200 duration=3.2 view=1.1 db=0.4`,
		`2017-01-13T02:37:11.213639+00:00 app[web.1]: method=POST path=/users format=html controller=UsersController action=create status=302 duration=41.0`,
		`2017-01-13T02:37:11.213639+00:00 app[web.1]: I, [2017-01-13T02:37:11.213639 #4]  INFO -- : Started GET "/" for 203.0.113.9 at 2017-01-13 02:37:11 +0000`,
		`2017-01-13T02:37:11.213639+00:00 app[web.1]: {"level":"info","msg":"request","method":"GET","path":"/","status":200}`,
		`2017-01-13T02:37:12.000000+00:00 heroku[web.1]: source=web.1 dyno=heroku.1 sample#memory_total=21.00MB`,
	}
	var lines []string
	for i := 0; i < 4; i++ {
		lines = append(lines, app...)
	}
	lines = append(lines, router)
	if name, err := auditDetect(lines...); name != "heroku" || err != nil {
		t.Errorf("Detect(a drain of %d app lines and one router line) = %q, %v; want heroku", len(lines)-1, name, err)
	}
	// The same behind the drain's syslog frame.
	for i, l := range lines {
		src, rest, _ := strings.Cut(l[len("2017-01-13T02:37:11.213639+00:00 "):], ": ")
		app, dyno := "app", "web.1"
		if strings.HasPrefix(src, "heroku[") {
			app, dyno = "heroku", strings.TrimSuffix(strings.TrimPrefix(src, "heroku["), "]")
		}
		lines[i] = "100 <190>1 2017-01-13T02:37:11.213639+00:00 host " + app + " " + dyno + " - " + rest
	}
	if name, err := auditDetect(lines...); name != "heroku" || err != nil {
		t.Errorf("Detect(a syslog drain of app lines and one router line) = %q, %v; want heroku", name, err)
	}
}

// TestAudit_detectGoJSONNotNginx: "a Go JSON log with `remote_addr` but
// no nginx variable names is never taken for `nginx_json`".
func TestAudit_detectGoJSONNotNginx(t *testing.T) {
	for _, tt := range []struct {
		want  string
		lines []string
	}{
		{"slog_json", []string{
			`{"time":"2024-05-01T20:38:16Z","level":"INFO","msg":"request","method":"POST","uri":"/users","status":302,"remote_addr":"203.0.113.9:51234"}`,
			`{"time":"2024-05-01T20:38:17Z","level":"INFO","msg":"request","method":"GET","path":"/","status":200,"remote_addr":"203.0.113.9:51235"}`,
			`{"time":"2024-05-01T20:38:18Z","level":"INFO","msg":"user registered"}`,
		}},
		{"slog_json", []string{ // logrus: its keys sorted, level first
			`{"level":"info","method":"POST","msg":"request","path":"/users","remote_addr":"203.0.113.9:51234","status":302,"time":"2024-05-01T20:38:16Z"}`,
		}},
		{"zap_json", []string{
			`{"level":"info","ts":1714588696.03,"msg":"request","method":"POST","path":"/users","status":302,"remote_addr":"203.0.113.9:51234"}`,
		}},
	} {
		if name, err := auditDetect(tt.lines...); name != tt.want || err != nil {
			t.Errorf("Detect(%q) = %q, %v; want %s", tt.lines[0], name, err, tt.want)
		}
	}
}

// TestAudit_addressCommonNames: "In JSON and logfmt the address is found
// under its common names (`client_ip`, `real_ip`, `remote_ip`,
// `remote_addr`, `ip`, `source.ip`, `ClientHost`, `srcIp`, Heroku's
// `fwd`, …); a list (`x_forwarded_for`, `fwd`, an X-Forwarded-For header)
// gives its rightmost address that is not a proxy's … and is read only
// when the socket peer (`remote_addr`) is missing or is such a proxy".
func TestAudit_addressCommonNames(t *testing.T) {
	for _, key := range []string{"client_ip", "real_ip", "remote_ip", "remote_addr", "ip", "source.ip", "ClientHost", "srcIp", "fwd"} {
		for _, tt := range []struct{ format, line string }{
			{"logfmt", `time=2025-03-02T10:15:04Z method=GET path=/ status=200 ` + key + `=203.0.113.9`},
			{"slog_json", `{"time":"2025-03-02T10:15:04Z","msg":"request","method":"GET","path":"/","status":200,"` + key + `":"203.0.113.9"}`},
		} {
			got, errs := auditDecode(t, tt.format, Options{}, tt.line)
			if len(errs) != 0 || len(got) != 1 || got[0].ClientIP != "203.0.113.9" {
				t.Errorf("%s: Decode(%q) = %+v, %v; want the client 203.0.113.9", tt.format, tt.line, got, errs)
			}
		}
	}
	for _, tt := range []struct{ format, line, want string }{
		{"logfmt", `time=2025-03-02T10:15:04Z method=GET path=/ fwd="198.51.100.7, 203.0.113.9, 10.0.0.2"`, "203.0.113.9"},
		{"logfmt", `time=2025-03-02T10:15:04Z method=GET path=/ remote_addr=10.0.0.2:5 fwd="198.51.100.7, 203.0.113.9"`, "203.0.113.9"},
		{"logfmt", `time=2025-03-02T10:15:04Z method=GET path=/ remote_addr=203.0.113.9:5 fwd="198.51.100.7"`, "203.0.113.9"},
		{"logfmt", `time=2025-03-02T10:15:04Z method=GET path=/ fwd="10.0.0.5, 100.64.0.1"`, "10.0.0.5"},
		{"slog_json", `{"time":"2025-03-02T10:15:04Z","msg":"request","method":"GET","path":"/","remote_addr":"127.0.0.1:5","fwd":"198.51.100.7, 203.0.113.9"}`, "203.0.113.9"},
		{"slog_json", `{"time":"2025-03-02T10:15:04Z","msg":"request","method":"GET","path":"/","remote_addr":"203.0.113.9:5","fwd":"198.51.100.7"}`, "203.0.113.9"},
	} {
		got, errs := auditDecode(t, tt.format, Options{}, tt.line)
		if len(errs) != 0 || len(got) != 1 || got[0].ClientIP != tt.want {
			t.Errorf("%s: Decode(%q) = %+v, %v; want the client %s", tt.format, tt.line, got, errs, tt.want)
		}
	}
}

// TestAudit_detectGoJSONRemoteAddrOnly: the same promise for Go JSON
// logs that none of the Go presets' signs fits (no msg and time, a
// "message" or "timestamp" key): they may be no format Detect knows, but
// never nginx_json, which would read none of their methods and paths.
// nginx's own lines, a variable of nginx's beside remote_addr, still are.
func TestAudit_detectGoJSONRemoteAddrOnly(t *testing.T) {
	for _, l := range []string{
		`{"remote_addr":"203.0.113.9:51234","method":"POST","path":"/users","status":302}`,
		`{"time":"2024-05-01T20:38:16Z","level":"info","message":"request","method":"POST","path":"/users","status":302,"remote_addr":"203.0.113.9:51234"}`,
		`{"timestamp":"2024-05-01T20:38:16Z","level":"info","msg":"request","method":"POST","path":"/users","status":302,"remote_addr":"203.0.113.9:51234"}`,
		`{"ts":"2024-05-01T20:38:16Z","level":"info","method":"POST","path":"/users","status":302,"remote_addr":"203.0.113.9:51234","host":"example.com"}`,
	} {
		if name, _ := auditDetect(l, l, l); name == "nginx_json" {
			t.Errorf("Detect(%q) = nginx_json; a Go JSON log is never taken for it", l)
		}
	}
	for _, l := range []string{
		`{"remote_addr": "203.0.113.9", "request": "POST /users HTTP/1.1", "status": "302"}`,
		`{"remote_addr":"203.0.113.9","request_method":"POST","request_uri":"/users","status":"302"}`,
		`{"time_iso8601":"2024-04-22T13:39:49+00:00","remote_addr":"203.0.113.9","status":"302","request_time":"0.010"}`,
	} {
		if name, err := auditDetect(l, l, l); name != "nginx_json" || err != nil {
			t.Errorf("Detect(%q) = %q, %v; want nginx_json", l, name, err)
		}
	}
}

// TestAudit_platformEnvelopes: "Heroku drains and `heroku logs`, Render's
// log streams (RFC 5424 syslog) and Fly.io's `fly logs` put an envelope
// around each line of the app; `rails` and `phoenix` read through all of
// them, `heroku` through Heroku's (any other line is malformed to it),
// `combined` through syslog headers, `logfmt` takes them for a prefix."
func TestAudit_platformEnvelopes(t *testing.T) {
	envelopes := map[string]string{
		"heroku logs":  "2025-03-02T10:15:04.120331+00:00 app[web.1]: ",
		"heroku drain": "120 <190>1 2025-03-02T10:15:04.120331+00:00 host app web.1 - ",
		"render":       "<134>1 2025-03-02T10:15:04.120Z srv-abc web 12 - - ",
		"fly":          "2025-03-02T10:15:04Z app[3d8d9e1c2f4e18] ams [info] ",
	}
	for name, env := range envelopes {
		heroku := strings.HasPrefix(name, "heroku")
		got, errs := auditDecode(t, "rails", Options{},
			env+`I, [2025-03-02T10:15:04.120331 #4]  INFO -- : [5b1e0c7a] Started POST "/users" for 203.0.113.9 at 2025-03-02 10:15:04 +0000`,
			env+`I, [2025-03-02T10:15:04.160331 #4]  INFO -- : [5b1e0c7a] Completed 302 Found in 41ms`)
		if len(errs) != 0 || len(got) != 1 || got[0].Kind != "request" || got[0].ClientIP != "203.0.113.9" || got[0].Status != 302 {
			t.Errorf("rails behind %s: %+v, %v; want the 302 of 203.0.113.9", name, got, errs)
		}
		got, errs = auditDecode(t, "phoenix", Options{Date: goldenDay},
			env+`10:15:04.120 request_id=GAq3k1Zc7oXbdVcAABJh remote_ip=203.0.113.9 [info] POST /users/register`,
			env+`10:15:04.127 request_id=GAq3k1Zc7oXbdVcAABJh [info] Sent 302 in 7ms`)
		if len(errs) != 0 || len(got) != 1 || got[0].Kind != "request" || got[0].ClientIP != "203.0.113.9" || got[0].Status != 302 {
			t.Errorf("phoenix behind %s: %+v, %v; want the 302 of 203.0.113.9", name, got, errs)
		}
		got, errs = auditDecode(t, "logfmt", Options{},
			env+`time=2025-03-02T10:15:04Z level=INFO msg=request method=POST path=/users status=302 remote_addr=203.0.113.9:51234`)
		if len(errs) != 0 || len(got) != 1 || got[0].Kind != "request" || got[0].ClientIP != "203.0.113.9" || got[0].Status != 302 {
			t.Errorf("logfmt behind %s: %+v, %v; want the 302 of 203.0.113.9", name, got, errs)
		}
		got, errs = auditDecode(t, "heroku", Options{}, env+`user registered`)
		var le *LineError
		switch {
		case heroku && (len(errs) != 0 || len(got) != 1 || got[0].Kind != "message" || got[0].Message != "user registered"):
			t.Errorf("heroku behind %s: %+v, %v; want the message", name, got, errs)
		case !heroku && (len(got) != 0 || len(errs) != 1 || !errors.As(errs[0], &le)):
			t.Errorf("heroku behind %s: %+v, %v; want a malformed line", name, got, errs)
		}
	}
}

// TestAudit_nginxJSONForwarded: the client of a JSON log is read from an
// X-Forwarded-For list only when the socket peer (remote_addr) is a
// proxy's, "so a client cannot choose its own key by sending the
// header": nginx's escape=json logs with $http_x_forwarded_for, as
// combined lines with nginx main's trailing "$http_x_forwarded_for".
func TestAudit_nginxJSONForwarded(t *testing.T) {
	for _, tt := range []struct{ line, want string }{
		{`{"time_local":"22/Apr/2024:13:39:49 +0000","remote_addr":"10.0.0.2","request":"POST /login HTTP/1.1","status":"302","http_x_forwarded_for":"198.51.100.1, 203.0.113.9"}`, "203.0.113.9"},
		{`{"time_local":"22/Apr/2024:13:39:49 +0000","remote_addr":"203.0.113.9","request":"POST /login HTTP/1.1","status":"302","http_x_forwarded_for":"198.51.100.1"}`, "203.0.113.9"},
		{`{"time_local":"22/Apr/2024:13:39:49 +0000","remote_addr":"203.0.113.9","request":"POST /login HTTP/1.1","status":"302","http_x_forwarded_for":"-"}`, "203.0.113.9"},
	} {
		got, errs := auditDecode(t, "nginx_json", Options{}, tt.line)
		if len(errs) != 0 || len(got) != 1 || got[0].Kind != "request" || got[0].ClientIP != tt.want {
			t.Errorf("nginx_json: Decode(%q) = %+v, %v; want a request of %s", tt.line, got, errs, tt.want)
		}
	}
}

// README, Client addresses: an X-Forwarded-For header gives the client
// when the socket peer is a proxy's address. Caddy without
// trusted_proxies logs the load balancer as client_ip and keeps the
// header among the request's headers (an array); Traefik keeps it as
// request_X-Forwarded-For when headers are kept, with ClientHost the
// socket peer.
func TestAudit_caddyTraefikForwarded(t *testing.T) {
	for _, tt := range []struct{ format, line, want string }{
		{"caddy", `{"level":"info","ts":1693840791.75,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"10.0.0.2","client_ip":"10.0.0.2","method":"POST","uri":"/login","headers":{"X-Forwarded-For":["198.51.100.1, 203.0.113.9"]}},"status":302}`, "203.0.113.9"},
		{"caddy", `{"level":"info","ts":1693840791.75,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"10.0.0.2","method":"POST","uri":"/login","headers":{"X-Forwarded-For":["203.0.113.9"]}},"status":302}`, "203.0.113.9"},
		// trusted_proxies set: client_ip is the client already, and a
		// header the client sent itself is not read.
		{"caddy", `{"level":"info","ts":1693840791.75,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"10.0.0.2","client_ip":"203.0.113.9","method":"POST","uri":"/login","headers":{"X-Forwarded-For":["198.51.100.1, 203.0.113.9"]}},"status":302}`, "203.0.113.9"},
		{"caddy", `{"level":"info","ts":1693840791.75,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"203.0.113.9","client_ip":"203.0.113.9","method":"POST","uri":"/login","headers":{"X-Forwarded-For":["198.51.100.1"]}},"status":302}`, "203.0.113.9"},
		{"traefik_json", `{"ClientHost":"10.0.0.2","DownstreamStatus":302,"RequestMethod":"POST","RequestPath":"/login","StartUTC":"2025-11-28T09:21:55.645779561Z","request_X-Forwarded-For":"198.51.100.1, 203.0.113.9"}`, "203.0.113.9"},
		{"traefik_json", `{"ClientHost":"203.0.113.9","DownstreamStatus":302,"RequestMethod":"POST","RequestPath":"/login","StartUTC":"2025-11-28T09:21:55.645779561Z","request_X-Forwarded-For":"198.51.100.1"}`, "203.0.113.9"},
	} {
		got, errs := auditDecode(t, tt.format, Options{}, tt.line)
		if len(errs) != 0 || len(got) != 1 || got[0].Kind != "request" || got[0].ClientIP != tt.want {
			t.Errorf("%s: Decode(%q) = %+v, %v; want a request of %s", tt.format, tt.line, got, errs, tt.want)
		}
	}
}
