package scenario

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The request logs of Go services (see jsonlog.go for what they share
// with the proxies' formats): a middleware that logs each request once
// its response is written, with the standard library's log/slog (JSON and
// text handlers), Uber's zap (gin-contrib/zap) or rs/zerolog (its hlog
// handlers). The client is what net/http gives: r.RemoteAddr, with its
// port, or gin's c.ClientIP(), without.

// slogLevel is the level a request middleware logs a response at.
func slogLevel(status int) string {
	switch {
	case status >= 500:
		return "ERROR"
	case status >= 400:
		return "WARN"
	}
	return "INFO"
}

// slogJSONLine is a request middleware's line through slog.NewJSONHandler:
//
//	slog.LogAttrs(ctx, level, "request", slog.String("method", r.Method),
//		slog.String("uri", r.RequestURI), slog.Int("status", status), slog.Int("bytes", n),
//		slog.String("remote_addr", r.RemoteAddr), slog.Duration("duration", time.Since(start)),
//		slog.String("user_agent", r.UserAgent()), slog.String("referer", r.Referer()))
//
// The handler writes the time as RFC 3339 with as many fraction digits as
// it needs, in the server's zone, a duration in nanoseconds, an empty
// string as "".
func slogJSONLine(f *lineFormat, b []byte, q *Request) []byte {
	b = append(b, `{"time":"`...)
	b = stamp(q).In(zoneCET).AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"`...)
	b = append(b, slogLevel(q.Status)...)
	b = append(b, `","msg":"request"`...)
	b = appendStr(b, "method", q.Method)
	b = appendStr(b, "uri", q.Path)
	b = appendInt(b, "status", int64(q.Status))
	b = appendInt(b, "bytes", int64(q.Bytes))
	b = appendKey(b, "remote_addr")
	b = append(b, '"')
	b = appendAddrPort(b, q.IP, f.clientPort())
	b = append(b, '"')
	b = appendInt(b, "duration", int64(q.Dur))
	b = appendStr(b, "user_agent", header(q.UA))
	b = appendStr(b, "referer", header(q.Referer))
	return append(b, "}\n"...)
}

// zapLine is gin-contrib/zap's access log (ginzap.Ginzap(logger,
// time.RFC3339, true)) through zap's production JSON encoder: ts in float
// Unix seconds, msg the path, the query apart, gin's c.ClientIP(), the
// latency in float seconds, and ginzap's own time field in UTC. It has no
// referer and no size. The logger is built without sampling: the
// production config's default (after 100 lines of one message in a second,
// one in 100) would drop most of a flood's lines, ginzap's message being
// the path, and no parser gets those back.
func zapLine(f *lineFormat, b []byte, q *Request) []byte {
	path, query, _ := strings.Cut(q.Path, "?")
	b = append(b, `{"level":"info","ts":`...)
	b = strconv.AppendFloat(b, float64(stamp(q).UnixNano())/1e9, 'f', -1, 64)
	b = append(b, `,"caller":"ginzap@v1.1.4/zap.go:108","msg":`...)
	b = appendJSONString(b, path, false)
	b = appendInt(b, "status", int64(q.Status))
	b = appendStr(b, "method", q.Method)
	b = appendStr(b, "path", path)
	b = appendStr(b, "query", query)
	b = appendKey(b, "ip")
	b = append(b, '"')
	b = q.IP.AppendTo(b)
	b = append(b, '"')
	b = appendStr(b, "user-agent", header(q.UA))
	b = appendKey(b, "latency")
	b = appendSeconds(b, q.Dur)
	b = appendKey(b, "time")
	b = append(b, '"')
	b = stamp(q).UTC().AppendFormat(b, time.RFC3339)
	return append(b, "\"}\n"...)
}

// zerologLine is zerolog's hlog access handler,
//
//	c = c.Append(hlog.NewHandler(log), hlog.RemoteAddrHandler("ip"),
//		hlog.UserAgentHandler("user_agent"), hlog.RefererHandler("referer"),
//		hlog.RequestIDHandler("req_id", "Request-Id"),
//		hlog.AccessHandler(func(r *http.Request, status, size int, d time.Duration) {
//			hlog.FromRequest(r).Info().Str("method", r.Method).Stringer("url", r.URL).
//				Int("status", status).Int("size", size).Dur("duration", d).Msg("")
//		}))
//
// with log = zerolog.New(os.Stdout).With().Timestamp().Logger(): level
// first, the handlers' fields (a header's only when the request has it),
// the access fields, the duration in float milliseconds, the time last in
// RFC 3339 (zerolog's default, whole seconds) in the server's zone; an
// empty message is left out.
func zerologLine(f *lineFormat, b []byte, q *Request) []byte {
	b = append(b, `{"level":"info","ip":"`...)
	b = appendAddrPort(b, q.IP, f.clientPort())
	b = append(b, '"')
	if ua := header(q.UA); ua != "" {
		b = appendStr(b, "user_agent", ua)
	}
	if ref := header(q.Referer); ref != "" {
		b = appendStr(b, "referer", ref)
	}
	b = append(b, `,"req_id":"`...)
	b = appendXID(b, f)
	b = append(b, '"')
	b = appendStr(b, "method", q.Method)
	b = appendStr(b, "url", q.Path)
	b = appendInt(b, "status", int64(q.Status))
	b = appendInt(b, "size", int64(q.Bytes))
	b = appendKey(b, "duration")
	b = strconv.AppendFloat(b, float64(q.Dur)/float64(time.Millisecond), 'f', -1, 64)
	b = appendKey(b, "time")
	b = append(b, '"')
	b = stamp(q).In(zoneCET).AppendFormat(b, time.RFC3339)
	return append(b, "\"}\n"...)
}

// appendXID appends a request id as rs/xid prints one: 20 characters of
// base32hex.
func appendXID(b []byte, f *lineFormat) []byte {
	const alphabet = "0123456789abcdefghijklmnopqrstuv"
	for range 20 {
		b = append(b, alphabet[f.r.IntN(32)])
	}
	return b
}

// logfmtLine is the middleware of slogJSONLine through
// slog.NewTextHandler: the time in RFC 3339 with milliseconds, a duration
// as Go prints it ("1.234567ms", "1m0s"), a value quoted when it is empty
// or holds a space, '=', '"' or a character that does not print.
func logfmtLine(f *lineFormat, b []byte, q *Request) []byte {
	b = append(b, "time="...)
	b = stamp(q).In(zoneCET).AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	b = append(b, " level="...)
	b = append(b, slogLevel(q.Status)...)
	b = append(b, " msg=request method="...)
	b = appendLogfmtValue(b, q.Method)
	b = append(b, " uri="...)
	b = appendLogfmtValue(b, q.Path)
	b = append(b, " status="...)
	b = strconv.AppendInt(b, int64(q.Status), 10)
	b = append(b, " bytes="...)
	b = strconv.AppendInt(b, int64(q.Bytes), 10)
	b = append(b, " remote_addr="...)
	b = appendAddrPort(b, q.IP, f.clientPort())
	b = append(b, " duration="...)
	b = append(b, q.Dur.String()...)
	b = append(b, " user_agent="...)
	b = appendLogfmtValue(b, header(q.UA))
	b = append(b, " referer="...)
	b = appendLogfmtValue(b, header(q.Referer))
	return append(b, '\n')
}

// appendLogfmtValue appends s as slog's text handler does: quoted (Go
// syntax) when it needs it, else as it is.
func appendLogfmtValue(b []byte, s string) []byte {
	if logfmtNeedsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

// logfmtNeedsQuoting is log/slog's needsQuoting: an ASCII character that
// a JSON string would escape (a backslash aside), a space or '=', and any
// other space or character that does not print.
func logfmtNeedsQuoting(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if r < utf8.RuneSelf {
			if r == ' ' || r == '=' || r == '"' || r < 0x20 || r == 0x7f {
				return true
			}
			continue
		}
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}
