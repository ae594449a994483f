package parsers

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Format describes one log format: its name, what it reads, how [Detect]
// tells it from the others and how [New] builds its decoder. The table of
// formats in this file is the only place that knows a format by name;
// nothing outside this package compares format names.
//
// Adding a format (docs/architecture.md, "Where to add") takes its
// decoder (its own file, or none for a preset of the JSON or logfmt
// decoder), one entry in the table below (name, Reads, an Example whose
// client is 203.0.113.9, the detection rule, the decoder or preset) and
// testdata/<name>.log. `go test ./parsers -update` writes
// testdata/<name>.golden.jsonl and the README's table of formats from
// the entry; the tests that read the table then cover the format without
// more code: golden output, detection of its testdata without --format,
// its example with ports, brackets and IPv6 zones in the client, and
// FuzzFormats.
type Format struct {
	// Name is what --format and a source's format: take.
	Name string
	// Reads says, for people, what the format reads and which fields it
	// takes; the README's table of formats is made from it.
	Reads string
	// Example is one line of the format, for the README.
	Example string
	// Needs names the source option the format cannot do without
	// ("fields", "pattern"); such a format is never detected.
	Needs string
	// TimeOfDay is set when lines carry only the time of day, so that the
	// reader must supply the date ([Options.Date]).
	TimeOfDay bool

	// presetOf is "json" or "logfmt" for a field mapping of the JSON or
	// logfmt decoder; preset is that mapping. A format with its own
	// decoder may also have a preset (Heroku's router lines).
	presetOf string
	preset   Options
	// decoder builds the format's own decoder; nil for a plain preset.
	decoder func(Options) (Decoder, error)
	// detect says whether and how Detect tries the format.
	detect detectRule
}

// detectRule is how [Detect] tries a format.
type detectRule struct {
	// never keeps the format out of detection: an alias, or a format
	// that needs options.
	never bool
	// claims marks a format whose lines carry a mark no other format's
	// lines have (Caddy's logger, Traefik's keys, Heroku's router
	// prefix): when it finds requests, it wins over formats that merely
	// accept the lines.
	claims bool
	// sign, when set, is what a line must have to count for the format;
	// a line it decodes without the sign is neutral.
	sign func(line []byte) bool
}

// Auto is the format name that asks for detection from the first lines.
const Auto = "auto"

// Time layouts and keys the presets share.
const (
	// addrKeys are the spellings of a client address field, the client's
	// own address (a proxy-aware client_ip) before the socket peer's.
	addrKeys = "client_ip|clientIP|clientIp|client.ip|real_ip|x_real_ip|remote_ip|remoteIP|remoteIp|" +
		"remote_addr|remoteAddr|remote_address|ip|source.ip|network.client.ip|ClientHost|srcIp|" +
		"request.client_ip|request.remote_ip|request.remote_addr|request.ip|req.remoteAddress|req.ip"
	// forwardedKeys are the spellings of a logged X-Forwarded-For header.
	forwardedKeys = "x_forwarded_for|forwarded_for|xff|fwd|http_x_forwarded_for|X-Forwarded-For|x-forwarded-for|" +
		"request.x_forwarded_for|request.headers.X-Forwarded-For|req.headers.x-forwarded-for"
)

// appFields are the request keys Go, Node and Ruby JSON loggers use,
// flat or in a request group; the presets of those loggers add their
// time, level and message keys.
var appFields = map[string]string{
	"method":        "method|http.method|http.request.method|request.method|req.method",
	"path":          "path|uri|url|url.path|http.path|http.target|request.path|request.uri|request.url|req.path|req.url|req.uri",
	"query":         "query|request.query",
	"status":        "status|status_code|statusCode|http.status_code|http.response.status_code|response.status|res.status|res.statusCode|resp.status",
	"client_ip":     addrKeys,
	"forwarded_for": forwardedKeys,
	"host":          "host|http.host|request.host",
	"protocol":      "proto|protocol|http.protocol|request.proto",
	"bytes":         "bytes|size|bytes_out|response_size|resp_bytes|bytes_sent|response.size|res.size",
	"duration":      "duration|latency|elapsed|took|response.latency|res.latency",
	"user_agent":    "user_agent|userAgent|ua|user-agent|http.user_agent|user_agent.original|request.user_agent|request.user-agent|req.user_agent|req.headers.user-agent",
	"referer":       "referer|referrer|http.referer|request.referer",
	"request_id":    "request_id|requestId|req_id|request.id|http.request.id|x_request_id|trace_id",
}

// withFields returns appFields with more laid over them.
func withFields(more map[string]string) map[string]string { return mergeFields(appFields, more) }

// formats is the table of formats, in the order Detect prefers them when
// two fit a file equally well.
var formats = []Format{
	{
		Name: "combined",
		Reads: "nginx and Apache `combined` and `common`, nginx's `main` (a trailing `\"$http_x_forwarded_for\"`, " +
			"kept as the extra field `forwarded_for`; when the connection came from a private or loopback address — a load balancer — " +
			"the client is its rightmost public address, which that balancer appended), Traefik's CLF (its duration is read, and added to its time, the request's start, to give the end other access logs stamp). " +
			"`\\xHH` garbage request lines (TLS and RDP probes on port 80) count as requests without a method. " +
			"Lines may sit behind a syslog header (nginx's `access_log syslog:…`, rsyslog, journald; RFC 3164 or 5424). " +
			"The client is an address or a host name; any other client (an IPv6 zone, `a;b`) is a `client_ip` error.",
		Example: `203.0.113.9 - - [10/Oct/2024:13:55:36 +0000] "POST /users/register HTTP/1.1" 302 0 "-" "Mozilla/5.0"`,
		decoder: func(Options) (Decoder, error) { return NewCombined(), nil },
	},
	{
		Name:    "common",
		Reads:   "Another name for `combined`, which reads `common` lines too. Never detected under this name.",
		Example: `203.0.113.9 - - [10/Oct/2024:13:55:36 +0000] "GET /index.html HTTP/1.0" 200 2326`,
		decoder: func(Options) (Decoder, error) { return NewCombined(), nil },
		detect:  detectRule{never: true},
	},
	{
		Name:    "vhost_combined",
		Reads:   "Apache's `vhost_combined` (`host:port` first, read into `host`) and nginx's `$host $remote_addr …`.",
		Example: `www.example.com:443 203.0.113.9 - - [10/Oct/2024:13:55:36 +0000] "GET / HTTP/1.1" 200 512 "-" "curl/8.5.0"`,
		decoder: func(Options) (Decoder, error) { return NewVhostCombined(), nil },
	},
	{
		Name: "caddy",
		Reads: "Caddy v2's JSON access log: `request.client_ip` (else `remote_ip`), `request.method`, `request.uri`, " +
			"`status`, `size`, `duration` (s), `request.headers.User-Agent`; behind a load balancer without `trusted_proxies`, " +
			"`request.headers.X-Forwarded-For`. Its non-access lines are ignored; " +
			"`docker compose logs` prefixes are stripped.",
		Example:  `{"level":"info","ts":1693840791.75,"logger":"http.log.access","msg":"handled request","request":{"client_ip":"203.0.113.9","method":"GET","host":"example.com","uri":"/","headers":{"User-Agent":["curl/8.5.0"]}},"duration":0.0017,"size":512,"status":200}`,
		presetOf: "json",
		// ts is float Unix seconds by default, but time_format can make it
		// ISO 8601 or an integer epoch, so the layout is guessed. duration
		// is float seconds (or a "1.2ms" string with duration_format
		// string). client_ip (Caddy ≥ 2.7) honours trusted_proxies; older
		// versions have only remote_ip. The same stream carries Caddy's
		// own server logs, which the match drops.
		preset: Options{
			Fields: map[string]string{
				"match":     "logger=http.log.access*",
				"time":      "ts",
				"client_ip": "request.client_ip|request.remote_ip",
				// Read only from a proxy's client_ip: without
				// trusted_proxies Caddy logs the load balancer's.
				"forwarded_for": "request.headers.X-Forwarded-For",
				"method":        "request.method",
				"target":        "request.uri",
				"host":          "request.host",
				"protocol":      "request.proto",
				"status":        "status",
				"bytes":         "size",
				"duration":      "duration",
				"user_agent":    "request.headers.User-Agent",
				"referer":       "request.headers.Referer",
				"level":         "level",
			},
			DurationUnit: "s",
		},
		detect: detectRule{claims: true, sign: func(l []byte) bool { return hasString(l, "logger", "http.log.access") }},
	},
	{
		Name: "traefik_json",
		Reads: "Traefik's JSON access log: `ClientHost`, `RequestMethod`, `RequestPath`, `DownstreamStatus`, " +
			"`Duration` (ns), the time `StartUTC` plus `Duration` (the response's end, as other access logs stamp their lines; " +
			"`time`, to the second, without a `Duration`); the user agent and, behind a load balancer, X-Forwarded-For only when headers are kept " +
			"(`request_User-Agent`, `request_X-Forwarded-For`).",
		Example:  `{"ClientHost":"203.0.113.9","DownstreamContentSize":512,"DownstreamStatus":200,"Duration":2337877,"RequestHost":"example.com","RequestMethod":"GET","RequestPath":"/","RequestProtocol":"HTTP/2.0","StartUTC":"2025-11-28T09:21:55.645779561Z","level":"info","msg":"","time":"2025-11-28T09:21:55Z"}`,
		presetOf: "json",
		// Duration is in nanoseconds. User-Agent and Referer exist only
		// when the headers are kept (fields.headers.defaultMode: keep).
		// ClientHost is the socket peer.
		preset: Options{
			Fields: map[string]string{
				"time":      "time",
				"start":     "StartUTC|StartLocal",
				"client_ip": "ClientHost",
				// Read only from a proxy's ClientHost (the socket peer).
				"forwarded_for": "request_X-Forwarded-For",
				"method":        "RequestMethod",
				"target":        "RequestPath",
				"host":          "RequestHost",
				"protocol":      "RequestProtocol",
				"status":        "DownstreamStatus|OriginStatus",
				"bytes":         "DownstreamContentSize",
				"duration":      "Duration",
				"user_agent":    "request_User-Agent",
				"referer":       "request_Referer",
				"request_id":    "request_X-Request-Id",
				"level":         "level",
			},
			TimeLayout:   layoutRFC3339,
			DurationUnit: "ns",
		},
		detect: detectRule{claims: true, sign: hasAny(`"RequestMethod"`, `"DownstreamStatus"`)},
	},
	{
		Name: "nginx_json",
		Reads: "nginx `escape=json` logs with the variable names as keys: `time_local`/`time_iso8601`/`msec`, " +
			"`remote_addr` (and `http_x_forwarded_for` behind a load balancer), `request` (or `request_method` and " +
			"`request_uri`), `status`, `body_bytes_sent`, `request_time` (s), `http_user_agent`; raw bytes ≥ 0x80 are accepted.",
		Example:  `{"time_local":"22/Apr/2024:13:39:49 +0000","remote_addr":"203.0.113.9","request":"POST /login HTTP/1.1","status":"302","body_bytes_sent":"0","request_time":"0.010","http_user_agent":"Mozilla/5.0"}`,
		presetOf: "json",
		// Time is $time_local, $time_iso8601 or $msec, whichever the line
		// has; $request_time is in seconds.
		preset: Options{
			Fields: map[string]string{
				"time":      "time_local|time_iso8601|msec|time|timestamp|@timestamp",
				"client_ip": "remote_addr|client_ip",
				// $http_x_forwarded_for, read as in combined lines: only
				// from a proxy's remote_addr (a load balancer's).
				"forwarded_for": "http_x_forwarded_for",
				"request":       "request",
				"method":        "request_method",
				"target":        "request_uri",
				"host":          "host|http_host|server_name",
				"protocol":      "server_protocol",
				"status":        "status",
				"bytes":         "body_bytes_sent|bytes_sent",
				"duration":      "request_time",
				"referer":       "http_referer|http_referrer",
				"user_agent":    "http_user_agent",
				"request_id":    "request_id",
			},
			DurationUnit: "s",
		},
		// remote_addr alone is no sign: Go and other loggers use the name
		// too, so a line must also have a variable name of nginx's own.
		detect: detectRule{sign: func(l []byte) bool { return hasAny(`"remote_addr"`)(l) && nginxVariable(l) }},
	},
	{
		Name: "slog_json",
		Reads: "Go's `log/slog` JSON handler (and logrus' JSON): `time`, `level`, `msg`, and request fields under their " +
			"common names, flat or in a `request` group: `method`, `path`/`uri`/`url`, `status`, a client address " +
			"(`remote_addr` with its port, `client_ip`, `ip`, …, and `x_forwarded_for` behind a proxy), `duration` " +
			"(slog writes nanoseconds), `user_agent`, `request_id`. Lines without a method and path are messages.",
		Example:  `{"time":"2024-05-01T20:38:16.031456789+02:00","level":"INFO","msg":"request","method":"POST","path":"/users/register","status":302,"remote_addr":"203.0.113.9:51234","duration":1234567}`,
		presetOf: "json",
		preset:   Options{Fields: withFields(map[string]string{"time": "time", "level": "level", "message": "msg"}), DurationUnit: "ns"},
		detect:   detectRule{sign: func(l []byte) bool { return hasKey(l, "msg") && hasKey(l, "time") && !hasKey(l, "ts") }},
	},
	{
		Name: "zap_json",
		Reads: "Uber's zap with its production JSON encoder (as gin-contrib/zap and most Go services write it): `ts` " +
			"(Unix seconds), `level`, `msg`, and the request fields of `slog_json`; `latency`/`duration` in seconds.",
		Example:  `{"level":"info","ts":1714588696.0314572,"caller":"ginzap/zap.go:94","msg":"/users/register","status":302,"method":"POST","path":"/users/register","ip":"203.0.113.9","latency":0.001234567}`,
		presetOf: "json",
		preset:   Options{Fields: withFields(map[string]string{"time": "ts|time", "level": "level", "message": "msg"}), DurationUnit: "s"},
		detect:   detectRule{sign: func(l []byte) bool { return hasKey(l, "ts") && hasKey(l, "msg") }},
	},
	{
		Name: "zerolog_json",
		Reads: "rs/zerolog's JSON (and its `hlog` access handler): `level` first, `time`, `message`, and the request fields " +
			"of `slog_json` (`url`, `size`, `remote_ip`/`ip` with its port, `req_id`); `duration` in milliseconds.",
		Example:  `{"level":"info","ip":"203.0.113.9:51234","req_id":"cnp2dljb3ntfsgnm4b1g","method":"POST","url":"/users/register","status":302,"size":0,"duration":1.234567,"time":"2024-05-01T20:38:16+02:00"}`,
		presetOf: "json",
		preset:   Options{Fields: withFields(map[string]string{"time": "time", "level": "level", "message": "message"}), DurationUnit: "ms"},
		detect: detectRule{sign: func(l []byte) bool {
			return bytes.HasPrefix(bytes.TrimLeft(l, " \t"), []byte(`{"level":`)) && !hasKey(l, "msg")
		}},
	},
	{
		Name: "railway_json",
		Reads: "Railway's HTTP logs as JSON (`railway logs --http --json`), between its deploy logs: `timestamp`, `method`, " +
			"`path`, `httpStatus`, `srcIp`, `clientUa`, `totalDuration` (ms), `txBytes`, `requestId`, `host`. Lines without " +
			"`httpStatus` (the app's own, `message` and `severity`) are messages, never a second request.",
		Example:  `{"timestamp":"2025-03-02T10:15:09.404122Z","requestId":"gXbQ2_1aT3CkzVhJ-Fw1Hw","method":"POST","path":"/users","host":"shop.up.railway.app","httpStatus":302,"totalDuration":118,"txBytes":312,"srcIp":"203.0.113.9","clientUa":"Mozilla/5.0","edgeRegion":"europe-west4-drams3a"}`,
		presetOf: "json",
		// The fields of Railway's HttpLog (its public GraphQL API, which
		// the CLI prints); the deploy logs of the same project carry
		// message and severity.
		preset: Options{
			Fields: map[string]string{
				"request_if": "httpStatus",
				"time":       "timestamp",
				"request_id": "requestId",
				"method":     "method",
				"path":       "path",
				"host":       "host",
				"status":     "httpStatus",
				"duration":   "totalDuration",
				"bytes":      "txBytes",
				"client_ip":  "srcIp",
				"user_agent": "clientUa",
				"protocol":   "downstreamProto",
				"edge":       "edgeRegion",
				"message":    "message",
				"level":      "severity|level",
			},
			DurationUnit: "ms",
		},
		detect: detectRule{claims: true, sign: func(l []byte) bool { return hasKey(l, "httpStatus") }},
	},
	{
		Name: "phoenix",
		Reads: "Phoenix's default Logger output: `GET /path` and its `Sent 200 in 7ms` joined by `request_id`, also behind " +
			"Fly.io's `fly logs` prefix or its log shipper's JSON, Heroku's or a syslog drain's envelope. The client is the " +
			"`client_ip` or `remote_ip` metadata, when the app adds it. A request that raised counts as a 500 at once; one whose " +
			"`Sent` line never comes is emitted without a status after 60 s. A request is stamped at its end (its start plus its duration; " +
			"else when it raised or was given up on), as nginx stamps its line, so that a slow one is not dropped as late. " +
			"Other lines are messages. The lines carry no date: " +
			"`--date`, a source's `date:`, or the file's modification time gives it.",
		Example: `14:02:11.412 request_id=GAq3k1Zc7oXbdVcAABJh remote_ip=203.0.113.9 [info] POST /users/register`,
		decoder: func(o Options) (Decoder, error) { return NewPhoenix(o), nil },
		// The day comes from outside: Options.Date.
		TimeOfDay: true,
	},
	{
		Name: "heroku",
		Reads: "A Heroku log drain or `heroku logs`: the router's lines are the requests (`method`, `path`, `status`, " +
			"`bytes`, `service` in ms, `request_id`, `host`, `dyno`; the client is the rightmost public `fwd` entry, the one " +
			"Heroku's router added). The app's own lines (Rails, lograge, Sidekiq, JSON) and the platform's (runtime metrics) " +
			"are messages with their fields (`msg`, `level`, every other `key=value`) and `source`/`dyno`, never a second request.",
		Example:  `2017-01-13T02:37:11.213639+00:00 heroku[router]: at=info method=GET path="/" host=example.herokuapp.com request_id=02d70c8f-ae51-4e60-aa62-e0dcccdc095d fwd="203.0.113.9" dyno=web.1 connect=1ms service=24ms status=200 bytes=2981`,
		decoder:  func(o Options) (Decoder, error) { return NewHeroku(o) },
		presetOf: "logfmt",
		preset:   herokuRouter,
		detect:   detectRule{claims: true},
	},
	{
		Name: "rails",
		Reads: "Rails' default request log: `Started POST \"/users\" for 203.0.113.9 at …` joined with its `Completed 302 Found in 41ms` " +
			"by the request-id tag, else the process id (among its open requests, the one that started when the Completed line less its duration says), else in order; `Processing by` gives the extra fields `controller`, `action`, " +
			"`format`; a routing error counts as a 404. A request is stamped at its end (its start plus its duration), as nginx " +
			"stamps its line, so that a slow one (a 30 s timeout) is not dropped as late. With or without Ruby's Logger prefix, also behind Heroku, Render or Fly (`fly logs`, or its log shipper's JSON). " +
			"Other lines are messages.",
		Example: `I, [2025-03-02T10:15:04.120331 #4]  INFO -- : [5b1e0c7a-6f0e-4b55-9a8e-2f3c1d9e7a10] Started POST "/users" for 203.0.113.9 at 2025-03-02 10:15:04 +0000`,
		decoder: func(o Options) (Decoder, error) { return NewRails(o), nil },
	},
	{
		Name:     "json",
		Reads:    "Any JSON lines, with a field mapping (`fields:` in a source: dotted paths into nested objects or flattened ECS keys).",
		Example:  `{"@timestamp":"2025-01-13T09:58:13.632Z","log.level":"info","source.ip":"203.0.113.9","message":"user registered"}`,
		Needs:    "fields",
		presetOf: "json",
		detect:   detectRule{never: true},
	},
	{
		Name: "logfmt",
		Reads: "`key=value` lines (Go's slog text handler, go-kit, logrus text, lograge): `time`/`ts`, `level`, `msg`, " +
			"`method`, `path`, `status`, `bytes`/`size`, `duration`, `user_agent`, `referer`, a client address under any common name; lines with a method are requests, " +
			"others application messages.",
		Example:  `time=2024-05-01T20:38:16.031Z level=INFO msg=request method=POST path=/users/register status=302 remote_addr=203.0.113.9:51234 duration=1.2ms`,
		presetOf: "logfmt",
	},
	{
		Name:    "regex",
		Reads:   "A regular expression with named groups (`client_ip`, `time`, `method`, `path`, `status`, …) and a `time_format`. The slow escape hatch.",
		Example: `203.0.113.9 POST /users/register 302`,
		Needs:   "pattern",
		decoder: func(o Options) (Decoder, error) { return NewRegex(o) },
		detect:  detectRule{never: true},
	},
}

// herokuRouter is the preset that reads the lines of Heroku's router.
// fwd is the X-Forwarded-For the router passed on, the real peer last;
// service is the time the dyno took, in ms with its unit written out;
// code is the H10/H12/… error code of at=error lines. The time is the
// leading stamp of the line.
var herokuRouter = Options{
	Fields: map[string]string{
		"level":      "at",
		"method":     "method",
		"path":       "path",
		"host":       "host",
		"request_id": "request_id",
		"client_ip":  "fwd",
		"status":     "status",
		"bytes":      "bytes",
		"duration":   "service",
		"dyno":       "dyno",
		"code":       "code",
		"message":    "desc",
	},
	DurationUnit: "ms",
}

// nginxVariable is met by a JSON line with a key that names one of nginx's
// own variables, the request line as a string, or a time stamp of nginx's.
var nginxVariable = hasAny(`"time_local"`, `"time_iso8601"`, `"msec"`, `"request":"`, `"request": "`,
	`"request_method"`, `"request_uri"`, `"body_bytes_sent"`, `"bytes_sent"`, `"request_time"`,
	`"http_user_agent"`, `"http_referer"`, `"server_protocol"`, `"upstream_response_time"`)

// hasAny returns a sign met by a line that contains any of subs.
func hasAny(subs ...string) func([]byte) bool {
	return func(line []byte) bool {
		for _, s := range subs {
			if bytes.Contains(line, []byte(s)) {
				return true
			}
		}
		return false
	}
}

// hasString reports whether a JSON line seems to have the key k with a
// string value that starts with prefix: it holds "k": "prefix, with or
// without blanks after the colon (a sign only).
func hasString(line []byte, k, prefix string) bool {
	key := `"` + k + `"`
	for i := 0; ; {
		j := bytes.Index(line[i:], []byte(key))
		if j < 0 {
			return false
		}
		i += j + len(key)
		v := bytes.TrimLeft(line[i:], " \t")
		if len(v) == 0 || v[0] != ':' {
			continue
		}
		v = bytes.TrimLeft(v[1:], " \t")
		if len(v) > 0 && v[0] == '"' && bytes.HasPrefix(v[1:], []byte(prefix)) {
			return true
		}
	}
}

// hasKey reports whether a JSON line seems to have the key k: it holds
// "k": (a cheap test, for signs only).
func hasKey(line []byte, k string) bool {
	for i := 0; ; {
		j := bytes.Index(line[i:], []byte(k))
		if j < 0 {
			return false
		}
		i += j
		if i > 0 && line[i-1] == '"' && i+len(k)+1 < len(line) && line[i+len(k)] == '"' && line[i+len(k)+1] == ':' {
			return true
		}
		i += len(k)
	}
}

// Formats returns the table of formats, in detection order. The slice is
// a copy.
func Formats() []Format { return append([]Format(nil), formats...) }

// Names returns what --format and a source's format: accept: [Auto], then
// every format name.
func Names() []string {
	names := []string{Auto}
	for _, f := range formats {
		names = append(names, f.Name)
	}
	return names
}

// Lookup returns the format called name.
func Lookup(name string) (Format, bool) {
	for _, f := range formats {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}

// IsAuto reports whether a format name asks for detection: "" or [Auto].
func IsAuto(name string) bool { return name == "" || name == Auto }

// NeedsDate reports whether the lines of the named format carry only the
// time of day, so that the reader must give [Options.Date].
func NeedsDate(name string) bool {
	f, _ := Lookup(name)
	return f.TimeOfDay
}

// Known reports whether name is [Auto] or a format name.
func Known(name string) bool {
	_, ok := Lookup(name)
	return ok || name == Auto
}

// ErrUnknownFormat is returned by [Detect] when no format fits.
var ErrUnknownFormat = errors.New("log format not recognised")

// New returns a decoder for the named format.
func New(name string, opts Options) (Decoder, error) {
	f, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown format %q (known: %s)", name, strings.Join(Names()[1:], ", "))
	}
	return f.newDecoder(opts)
}

func (f *Format) newDecoder(opts Options) (Decoder, error) {
	if f.decoder != nil {
		return f.decoder(opts)
	}
	o := overlay(f.preset, opts)
	if f.preset.Fields == nil {
		o.Fields = opts.Fields // a generic format: the user's mapping alone
	}
	switch f.presetOf {
	case "json":
		return NewJSON(o)
	case "logfmt":
		return NewLogfmt(o)
	}
	return nil, fmt.Errorf("format %s has no decoder", f.Name)
}

// presetNames returns the names of the formats that are presets of the
// JSON or logfmt decoder (presetOf), in table order.
func presetNames(of string) []string {
	var names []string
	for _, f := range formats {
		if f.presetOf == of && f.preset.Fields != nil {
			names = append(names, f.Name)
		}
	}
	return names
}

// presetOptions returns a copy of the preset of the named format, if it is
// one of the given decoder.
func presetOptions(of, name string) (Options, bool) {
	f, ok := Lookup(name)
	if !ok || f.presetOf != of || f.preset.Fields == nil {
		return Options{}, false
	}
	o := f.preset
	o.Fields = mergeFields(o.Fields, nil)
	return o, true
}

// JSONPresets returns the names of the JSON presets: "caddy",
// "traefik_json", "nginx_json", ….
func JSONPresets() []string { return presetNames("json") }

// JSONPreset returns the options of the named JSON preset (see
// [JSONPresets]) and whether it exists. The Fields map is a fresh copy the
// caller may change.
func JSONPreset(name string) (Options, bool) { return presetOptions("json", name) }

// LogfmtPresets returns the names of the logfmt presets: "heroku".
func LogfmtPresets() []string { return presetNames("logfmt") }

// LogfmtPreset returns the options of the named logfmt preset (see
// [LogfmtPresets]) and whether it exists. The Fields map is a fresh copy
// the caller may change.
func LogfmtPreset(name string) (Options, bool) { return presetOptions("logfmt", name) }

// Detect names the format of a file from its first lines, or says, in its
// error, how to name one. A format fits
// when it decodes at least half of the lines it does not ignore (blank,
// continuation and non-access lines neither count for nor against it).
// Of the formats that fit, a format whose lines carry its own mark (see
// detectRule.claims) wins when it finds requests; otherwise the one whose
// events are most often requests with a method or a path wins (any JSON
// object is a message to a JSON format, so application messages count for
// less), then the one that accepts the most lines, then the one earlier in
// the table.
func Detect(lines [][]byte, opts Options) (string, error) {
	if len(lines) == 0 {
		return "", fmt.Errorf("%w: no lines to look at", ErrUnknownFormat)
	}
	type score struct {
		claim    bool
		req, ok  int
		name     string
		fits     bool
		position int
	}
	var best score
	for i := range formats {
		f := &formats[i]
		if f.detect.never {
			continue
		}
		dec, err := f.newDecoder(opts)
		if err != nil {
			continue // a format that needs options (a field mapping) cannot be guessed
		}
		s := score{name: f.Name, position: i}
		bad := 0
		signed := true
		count := func(ev *Event) {
			if ev.Kind == KindRequest && signed && (ev.Method != nil || ev.Path != nil) {
				s.req++
			}
		}
		for _, l := range lines {
			signed = f.detect.sign == nil || f.detect.sign(l)
			switch err := dec.Decode(l, count); {
			case err == nil:
				if signed {
					s.ok++
				}
			case errors.Is(err, ErrIgnored):
			default:
				bad++
			}
		}
		signed = true
		dec.Flush(count)
		if s.ok == 0 || s.ok < bad {
			continue
		}
		s.fits = true
		s.claim = f.detect.claims && s.req > 0
		if !best.fits || better(s.claim, s.req, s.ok, best.claim, best.req, best.ok) {
			best = s
		}
	}
	if !best.fits {
		objects := 0
		for _, l := range lines {
			if l = bytes.TrimLeft(l, " \t"); len(l) > 0 && l[0] == '{' {
				objects++
			}
		}
		if 2*objects >= len(lines) {
			// No --format reads JSON of its own shape: a mapping does.
			return "", fmt.Errorf("%w in the first %d lines: JSON of no known shape (map its fields: a source with format: json and fields:, README \"Log formats\")",
				ErrUnknownFormat, len(lines))
		}
		return "", fmt.Errorf("%w in the first %d lines (name one with --format)", ErrUnknownFormat, len(lines))
	}
	return best.name, nil
}

// better reports whether a score (claim, requests, accepted lines) beats
// another; on a tie the earlier format, already held, stays.
func better(claim bool, req, ok int, bClaim bool, bReq, bOK int) bool {
	if claim != bClaim {
		return claim
	}
	if req != bReq {
		return req > bReq
	}
	return ok > bOK
}
