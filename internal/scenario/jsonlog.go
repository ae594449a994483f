package scenario

import (
	"bufio"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"
)

// The formats of this file and of applog.go write the same requests as
// combined, one line each, in the shapes the programs that write them use
// (parsers/testdata holds real lines of each): a reverse proxy's JSON
// access log (Caddy, nginx with escape=json, Traefik), a platform's HTTP
// log (Railway), a Go service's request log (slog, zap, zerolog, slog's
// text handler as logfmt). They exist so that the same traffic can be
// replayed in every format sentinel reads and its alerts compared with
// combined's (TestFormats_parity).
//
// Each line is stamped with the instant combined's line is, the
// response's end (q.End()), truncated to the whole second: nginx's
// combined log has second precision, so the detector sees the same event
// times whatever the format, and any difference between the replays is
// the parser's. A format that stamps the request's start instead
// (Traefik's StartUTC, to the nanosecond) writes the start of a request
// that ended on that whole second: StartUTC plus Duration is combined's
// instant, as the other formats' end is. Every
// request is written, assets and what the proxy in front answered itself
// (a deploy's 502s, the https redirect) included: the server that writes
// the log is the one in front, a Go service included (a gateway with its
// request logger), so that every format sees all the traffic combined
// sees.

// lineFormat writes one line per request, made by line.
type lineFormat struct {
	w    *bufio.Writer
	r    *rand.Rand
	line func(f *lineFormat, b []byte, q *Request) []byte
	buf  []byte
	err  error
}

func (f *lineFormat) Write(q *Request) {
	if f.err != nil {
		return
	}
	f.buf = f.line(f, f.buf[:0], q)
	_, f.err = f.w.Write(f.buf)
}

func (f *lineFormat) Close() error {
	if err := f.w.Flush(); f.err == nil {
		f.err = err
	}
	return f.err
}

var _ Format = (*lineFormat)(nil)

// stamp is when a format's line says the request happened: its end, to
// the second, as combined writes it.
func stamp(q *Request) time.Time { return q.End().Truncate(time.Second) }

// Zones the servers of the formats run in, so that the parsers' reading of
// offsets counts: a European Go service, an American nginx. The instant is
// the same; only its writing differs.
var (
	zoneCET = time.FixedZone("CET", 3600)
	zoneEST = time.FixedZone("EST", -5*3600)
)

// clientPort draws the source port of a client's connection (Linux's
// ephemeral range), for the formats that log the socket's address.
func (f *lineFormat) clientPort() int { return 32768 + f.r.IntN(61000-32768) }

// appendAddrPort appends ip:port as Go's net/http RemoteAddr has it
// ("[2001:db8::1]:51234" for IPv6).
func appendAddrPort(b []byte, ip netip.Addr, port int) []byte {
	return netip.AddrPortFrom(ip, uint16(port)).AppendTo(b)
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, other bytes as they are. With html, <, > and
// & are escaped as \u003c, \u003e and \u0026, as encoding/json does by
// default (logrus' JSON formatter, which Traefik's access log uses).
func appendJSONString(b []byte, s string, html bool) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20 || html && (c == '<' || c == '>' || c == '&'):
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		case c < utf8.RuneSelf:
			b = append(b, c)
		default:
			_, n := utf8.DecodeRuneInString(s[i:])
			b = append(b, s[i:i+n]...)
			i += n
			continue
		}
		i++
	}
	return append(b, '"')
}

// header returns a header's value as a request carries it: "" for none
// (the generator writes "-", as nginx logs a missing header).
func header(v string) string {
	if v == "-" {
		return ""
	}
	return v
}

// appendSeconds appends d in seconds as a float, as zap's encoder writes
// a float64 (strconv's shortest form: 0.0123, 60).
func appendSeconds(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, d.Seconds(), 'f', -1, 64)
}

// appendKey appends ,"key": (or "key": after the opening brace).
func appendKey(b []byte, key string) []byte {
	if b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendStr(b []byte, key, v string) []byte {
	return appendJSONString(appendKey(b, key), v, false)
}

func appendInt(b []byte, key string, v int64) []byte {
	return strconv.AppendInt(appendKey(b, key), v, 10)
}

// siteHost is the site's host name, as a proxy's log names it.
const siteHost = "www.example.com"

// caddyLine is Caddy 2's JSON access log (`log` in a site block; Caddy ≥
// 2.7 writes client_ip beside remote_ip), as zap's JSON encoder writes it:
// ts in float Unix seconds, duration in float seconds, the request's
// headers as arrays, 5xx logged at level error.
func caddyLine(f *lineFormat, b []byte, q *Request) []byte {
	level := "info"
	if q.Status >= 500 {
		level = "error"
	}
	b = append(b, `{"level":"`...)
	b = append(b, level...)
	b = append(b, `","ts":`...)
	b = strconv.AppendFloat(b, float64(stamp(q).UnixNano())/1e9, 'f', -1, 64)
	b = append(b, `,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"`...)
	b = q.IP.AppendTo(b)
	b = append(b, `","remote_port":"`...)
	b = strconv.AppendInt(b, int64(f.clientPort()), 10)
	b = append(b, `","client_ip":"`...)
	b = q.IP.AppendTo(b)
	b = append(b, `","proto":"`...)
	b = append(b, q.Proto...)
	b = append(b, `","method":"`...)
	b = append(b, q.Method...)
	b = append(b, `","host":"`+siteHost+`","uri":`...)
	b = appendJSONString(b, q.Path, false)
	b = append(b, `,"headers":{"Accept-Encoding":["gzip, deflate, br"]`...)
	if ua := header(q.UA); ua != "" {
		b = append(b, `,"User-Agent":[`...)
		b = appendJSONString(b, ua, false)
		b = append(b, ']')
	}
	if ref := header(q.Referer); ref != "" {
		b = append(b, `,"Referer":[`...)
		b = appendJSONString(b, ref, false)
		b = append(b, ']')
	}
	b = append(b, `},"tls":{"resumed":false,"version":772,"cipher_suite":4865,"proto":"h2","server_name":"`+siteHost+`"}},"bytes_read":0,"user_id":"","duration":`...)
	b = appendSeconds(b, q.Dur)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, int64(q.Bytes), 10)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(q.Status), 10)
	return append(b, `,"resp_headers":{"Server":["Caddy"]}}`+"\n"...)
}

// nginxJSONLine is nginx's access log with a JSON log_format, as the
// common configurations write it (nginx 1.11.8's escape=json: every
// variable a string, "" for a missing one, raw bytes ≥ 0x80):
//
//	log_format json escape=json '{"time_iso8601":"$time_iso8601","remote_addr":"$remote_addr",'
//	  '"remote_user":"$remote_user","request":"$request","status":"$status",'
//	  '"body_bytes_sent":"$body_bytes_sent","request_time":"$request_time",'
//	  '"http_referer":"$http_referer","http_user_agent":"$http_user_agent",'
//	  '"http_x_forwarded_for":"$http_x_forwarded_for","host":"$host","request_id":"$request_id"}';
//
// on a server whose local time is US Eastern ($time_iso8601 is local).
func nginxJSONLine(f *lineFormat, b []byte, q *Request) []byte {
	b = append(b, `{"time_iso8601":"`...)
	b = stamp(q).In(zoneEST).AppendFormat(b, "2006-01-02T15:04:05-07:00")
	b = append(b, `","remote_addr":"`...)
	b = q.IP.AppendTo(b)
	b = append(b, `","remote_user":"","request":`...)
	b = appendJSONString(b, q.Method+" "+q.Path+" "+q.Proto, false)
	b = append(b, `,"status":"`...)
	b = strconv.AppendInt(b, int64(q.Status), 10)
	b = append(b, `","body_bytes_sent":"`...)
	b = strconv.AppendInt(b, int64(q.Bytes), 10)
	b = append(b, `","request_time":"`...)
	ms := q.Dur.Milliseconds()
	b = strconv.AppendInt(b, ms/1000, 10)
	b = append(b, '.', byte('0'+ms/100%10), byte('0'+ms/10%10), byte('0'+ms%10))
	b = append(b, `","http_referer":`...)
	b = appendJSONString(b, header(q.Referer), false)
	b = append(b, `,"http_user_agent":`...)
	b = appendJSONString(b, header(q.UA), false)
	b = append(b, `,"http_x_forwarded_for":"","host":"`+siteHost+`","request_id":"`...)
	b = appendHex(b, f.r.Uint64())
	b = appendHex(b, f.r.Uint64())
	return append(b, "\"}\n"...)
}

// appendHex appends v as 16 hex digits.
func appendHex(b []byte, v uint64) []byte {
	const hex = "0123456789abcdef"
	for i := 60; i >= 0; i -= 4 {
		b = append(b, hex[v>>uint(i)&0xf])
	}
	return b
}

// traefikLine is Traefik's JSON access log (accessLog.format: json) with
// the User-Agent and Referer headers kept (fields.headers.names), as
// logrus' JSON formatter writes it: keys sorted, <, > and & escaped,
// Duration in nanoseconds, StartUTC the request's start to the
// nanosecond (here that of a request that ended on the line's whole
// second: see above) and time the line's, to the second. A response
// Traefik made itself (the app down) has no origin status.
func traefikLine(f *lineFormat, b []byte, q *Request) []byte {
	port := f.clientPort()
	origin := q.Status
	if q.Edge && q.Status >= 500 {
		origin = 0
	}
	overhead := time.Duration(20_000 + f.r.IntN(60_000))
	b = append(b, `{"ClientAddr":"`...)
	b = appendAddrPort(b, q.IP, port)
	b = append(b, `","ClientHost":"`...)
	b = q.IP.AppendTo(b)
	b = append(b, `","ClientPort":"`...)
	b = strconv.AppendInt(b, int64(port), 10)
	b = append(b, `","ClientUsername":"-","DownstreamContentSize":`...)
	b = strconv.AppendInt(b, int64(q.Bytes), 10)
	b = append(b, `,"DownstreamStatus":`...)
	b = strconv.AppendInt(b, int64(q.Status), 10)
	b = append(b, `,"Duration":`...)
	b = strconv.AppendInt(b, int64(q.Dur), 10)
	b = append(b, `,"OriginContentSize":`...)
	if origin == 0 {
		b = append(b, '0')
	} else {
		b = strconv.AppendInt(b, int64(q.Bytes), 10)
	}
	b = append(b, `,"OriginDuration":`...)
	b = strconv.AppendInt(b, int64(max(0, q.Dur-overhead)), 10)
	b = append(b, `,"OriginStatus":`...)
	b = strconv.AppendInt(b, int64(origin), 10)
	b = append(b, `,"Overhead":`...)
	b = strconv.AppendInt(b, int64(min(q.Dur, overhead)), 10)
	b = append(b, `,"RequestAddr":"`+siteHost+`","RequestContentSize":0,"RequestCount":`...)
	b = strconv.AppendInt(b, int64(1+f.r.IntN(1<<20)), 10)
	b = append(b, `,"RequestHost":"`+siteHost+`","RequestMethod":"`...)
	b = append(b, q.Method...)
	b = append(b, `","RequestPath":`...)
	b = appendJSONString(b, q.Path, true)
	b = append(b, `,"RequestPort":"-","RequestProtocol":"`...)
	b = append(b, q.Proto...)
	b = append(b, `","RequestScheme":"https","RetryAttempts":0,"RouterName":"web@docker","ServiceAddr":"10.0.1.5:4000","ServiceName":"web@docker","ServiceURL":"http://10.0.1.5:4000","StartLocal":"`...)
	start := stamp(q).Add(-q.Dur).UTC()
	b = start.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","StartUTC":"`...)
	b = start.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","entryPointName":"websecure","level":"info","msg":""`...)
	if ref := header(q.Referer); ref != "" {
		b = append(b, `,"request_Referer":`...)
		b = appendJSONString(b, ref, true)
	}
	if ua := header(q.UA); ua != "" {
		b = append(b, `,"request_User-Agent":`...)
		b = appendJSONString(b, ua, true)
	}
	b = append(b, `,"time":"`...)
	b = stamp(q).UTC().AppendFormat(b, time.RFC3339)
	return append(b, "\"}\n"...)
}

// railwayLine is one of Railway's HTTP logs as `railway logs --http
// --json` prints it: Railway's edge proxy answers every request, and
// times them in milliseconds.
func railwayLine(f *lineFormat, b []byte, q *Request) []byte {
	b = append(b, `{"timestamp":"`...)
	b = stamp(q).UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, `","requestId":"`...)
	b = appendBase64ID(b, f.r, 22)
	b = append(b, `","method":"`...)
	b = append(b, q.Method...)
	b = append(b, `","path":`...)
	b = appendJSONString(b, q.Path, false)
	b = append(b, `,"host":"shop.up.railway.app","httpStatus":`...)
	b = strconv.AppendInt(b, int64(q.Status), 10)
	b = append(b, `,"upstreamProto":"HTTP/1.1","downstreamProto":"`...)
	b = append(b, q.Proto...)
	b = append(b, `","responseDetails":"`...)
	upstreamErr := ""
	if q.Edge && q.Status >= 500 {
		b = append(b, "Retried single replica"...)
		upstreamErr = `[{\"deploymentInstanceID\":\"b3e1a9d2-7c4f-4b1e-9d2a-6f8e0c1b3a57\",\"duration\":0,\"error\":\"connection refused\"}]`
	}
	b = append(b, `","totalDuration":`...)
	b = strconv.AppendInt(b, q.Dur.Milliseconds(), 10)
	b = append(b, `,"upstreamAddress":"http://[fd12:c007:1d2f:1:9000:1d:a4f7:98a1]:8080","upstreamErrors":"`...)
	b = append(b, upstreamErr...)
	b = append(b, `","clientUa":`...)
	b = appendJSONString(b, header(q.UA), false)
	b = append(b, `,"upstreamRqDuration":`...)
	b = strconv.AppendInt(b, max(0, q.Dur.Milliseconds()-1), 10)
	b = append(b, `,"txBytes":`...)
	b = strconv.AppendInt(b, int64(q.Bytes), 10)
	b = append(b, `,"rxBytes":`...)
	b = strconv.AppendInt(b, int64(400+f.r.IntN(600)), 10)
	b = append(b, `,"srcIp":"`...)
	b = q.IP.AppendTo(b)
	return append(b, `","edgeRegion":"europe-west4-drams3a","deploymentId":"4f1c2b7e-9a0d-4e7b-8a55-2d9c8f3e6a10","deploymentInstanceId":"b3e1a9d2-7c4f-4b1e-9d2a-6f8e0c1b3a57"}`+"\n"...)
}

// appendBase64ID appends n random base64url characters.
func appendBase64ID(b []byte, r *rand.Rand, n int) []byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for range n {
		b = append(b, alphabet[r.IntN(64)])
	}
	return b
}
