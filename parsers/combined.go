package parsers

import (
	"bytes"
	"time"
)

// Combined parses nginx/Apache access lines. Not safe for concurrent use.
//
// It reads the line shapes every web server in the CLF family writes:
//
//	client ident user [time] "request" status bytes
//	client ident user [time] "request" status bytes "referer" "user agent"
//	client ident user [time] "request" status bytes "referer" "user agent" "x-forwarded-for"
//	client ident user [time] "request" status bytes referer "user agent" count "router" "server url" Nms
//
// that is Apache and nginx common and combined, the nginx "main" format of
// the official packages (its X-Forwarded-For goes to the extra field
// "forwarded_for", and gives the client only when the connection came
// from a proxy's private address: see parseTrailer), and Traefik's CLF.
// [NewVhostCombined] also takes a leading virtual host, as Apache's
// vhost_combined ("%v:%p") and the nginx "$host $remote_addr …" forms write it.
//
// Quoted fields are scanned escape-aware: a backslash escapes the next
// byte, so Apache's \" and \\ do not end a field. Escapes are left in the
// slices as they are in the line (nginx's \x22, Apache's \"): nothing is
// unescaped, so nothing is copied. A closing quote must be followed by a
// space or the end of the line, which lets most unescaped quotes (Traefik
// writes user agents raw) through.
//
// A request line that is not "METHOD target [HTTP/x]" (an empty "", a TLS
// handshake or RDP cookie sent to the plain-HTTP port) leaves Method, Path
// and Protocol nil; the line is still an event, because its client, time
// and status are good. Fields after the user agent that match neither the
// nginx nor the Traefik trailer are ignored, so combined plus a few custom
// fields still parses. Trailing spaces and a trailing "\r" are ignored.
//
// Every []byte of the event points into the line given to Parse or Decode.
type Combined struct {
	vhost bool
	clock clfClock
	ev    Event
}

var _ Decoder = (*Combined)(nil)

// NewCombined returns a parser for combined, common, nginx main and
// Traefik CLF lines.
func NewCombined() *Combined { return &Combined{} }

// NewVhostCombined returns a parser for the same lines with a leading
// virtual host field ("www.example.com:443 192.0.2.1 - - [...] ..."),
// which goes to [Event.Host] without its port. Lines without the leading
// field are accepted too, with Host nil, since vhost logging is often
// switched on halfway through a file.
func NewVhostCombined() *Combined { return &Combined{vhost: true} }

// Decode implements [Decoder]: it emits one event for every line Parse
// accepts.
func (c *Combined) Decode(line []byte, emit func(*Event)) error {
	if err := c.Parse(line, &c.ev); err != nil {
		return err
	}
	emit(&c.ev)
	return nil
}

// Flush implements [Decoder]; Combined holds nothing between lines.
func (c *Combined) Flush(func(*Event)) {}

// Parse parses one line, without its line ending, into ev. It calls
// ev.Reset first. A blank line returns [ErrIgnored]. Any other error is a
// *[LineError]: with Field "time", "status", "bytes" or "request" when
// that field is at fault, and wrapping [ErrMalformed] when the line does
// not have the shape at all. After an error ev holds whatever was read
// before it and must not be used.
func (c *Combined) Parse(line []byte, ev *Event) error {
	ev.Reset()
	ev.Kind = KindRequest
	ev.Raw = line
	if c.parseUsual(line, ev) {
		return nil
	}
	ev.Reset()
	ev.Kind = KindRequest
	ev.Raw = line
	return c.parse(line, ev)
}

// parseUsual reads the shape nearly every line of a busy combined or
// common log has:
//
//	dotted-quad - - [time] "request" status bytes
//	dotted-quad - - [time] "request" status bytes "referer" "user agent"[ trailer]
//
// with no escaped quote closing a quoted field, and reports whether it
// did. On any other line it returns false, perhaps having set some fields
// of ev, and Parse hands the line to parse, the general reader. It is
// written out by hand, with indices and one search per quoted field,
// because it runs on every line of a replay, where parse, with its calls
// and slicing, cost half as much again; parse stays the definition of what
// a line means, and TestCombined_parseUsual checks on generated and
// corrupted lines that both give the same event whenever parseUsual
// accepts one.
func (c *Combined) parseUsual(s []byte, ev *Event) bool {
	n := len(s)
	if n == 0 || s[n-1] == ' ' || s[n-1] == '\r' {
		return false // left to parse, which trims them
	}

	// 192.0.2.1 - - [10/Oct/2000:13:55:36 -0700]
	i, net24 := dottedQuad(s)
	if i <= 0 || n < i+6+clfLen+1 || string(s[i:i+6]) != " - - [" || s[i+6+clfLen] != ']' {
		return false
	}
	// A good stamp has its '/' where parse's loop looks for one.
	t, ok := c.clock.parse(s[i+6 : i+6+clfLen])
	if !ok {
		return false
	}
	ev.ClientIP, ev.Time = s[:i], t
	ev.v4, ev.v4net = ev.ClientIP, net24
	i += 6 + clfLen + 1

	// "request" status
	if n < i+2 || s[i] != ' ' || s[i+1] != '"' {
		return false
	}
	req, end := field(s, i+1) // a quoted "-" is no request either
	q := end - 1              // the closing quote
	if end < 0 || n < q+6 || s[q+5] != ' ' {
		return false
	}
	ev.splitRequest(req)
	d0, d1, d2 := s[q+2]-'0', s[q+3]-'0', s[q+4]-'0'
	if d0-1 > 8 || d1 > 9 || d2 > 9 { // 100 to 999
		return false
	}
	ev.Status = int(d0)*100 + int(d1)*10 + int(d2)

	// bytes: digits, or Apache's "-" for an empty body
	i = q + 6
	j := i
	if j < n && s[j] == '-' {
		ev.Bytes = -1
		j++
	} else {
		var size int64
		for _, c := range s[i:min(n, i+18)] { // parseBytes takes at most 18 digits
			if c-'0' > 9 {
				break
			}
			size = size*10 + int64(c-'0')
			j++
		}
		ev.Bytes = size
	}
	if j == i || j < n && s[j] != ' ' {
		return false
	}
	if j == n {
		return true // common
	}

	// "referer" "user agent", either of them possibly Traefik's bare -
	ev.Referer, j = field(s, j+1)
	if j < 0 || j == n {
		return false
	}
	ev.UserAgent, j = field(s, j+1)
	if j < 0 {
		return false
	}
	if j < n {
		ev.parseTrailer(s[j+1:])
	}
	return true
}

// field reads the quoted field or bare "-" that starts s[i:]. It returns
// its content, nil for "-" and "\"-\"" as dashNil gives, and the index
// just past it, or -1 when it is not such a field. It takes as closing
// quote only the first quote of the field, when that is not escaped and
// is followed by a space or the end of s; parse's quoted reads the fields
// of the other lines.
func field(s []byte, i int) (v []byte, end int) {
	if i >= len(s) {
		return nil, -1
	}
	if s[i] == '-' {
		if i+1 < len(s) && s[i+1] != ' ' {
			return nil, -1
		}
		return nil, i + 1
	}
	if s[i] != '"' {
		return nil, -1
	}
	q := bytes.IndexByte(s[i+1:], '"')
	if q < 0 {
		return nil, -1
	}
	q += i + 1
	if s[q-1] == '\\' || q+1 < len(s) && s[q+1] != ' ' {
		return nil, -1
	}
	return dashNil(s[i+1 : q]), q + 1
}

// parse is Parse for any line: the definition of what every line means.
func (c *Combined) parse(line []byte, ev *Event) error {
	s := line
	if len(s) > 0 && (s[0] == '<' || s[0] >= 'A' && s[0] <= 'Z') {
		s = stripSyslog(s) // nginx's access_log syslog:…, rsyslog, journald
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	if len(s) == 0 {
		return ErrIgnored
	}

	// The space-separated tokens before the time stamp: [vhost] client
	// ident user. A bracketed IPv6 address starts with '[' too, but only
	// the time stamp has a '/' after its two-digit day.
	var head [4][]byte
	n := 0
	for len(s) > 0 && !(s[0] == '[' && len(s) > 3 && s[3] == '/') {
		i := 1 // ident and user are mostly "-": no need to search
		if len(s) < 2 || s[0] != '-' || s[1] != ' ' {
			i = bytes.IndexByte(s, ' ')
		}
		if i <= 0 || n == len(head) {
			return malformed(c.format())
		}
		head[n] = s[:i]
		n++
		s = s[i+1:]
	}
	switch {
	case n == 3:
	case n == 4 && c.vhost:
		ev.Host = hostWithoutPort(head[0])
		copy(head[:], head[1:])
	default:
		return malformed(c.format())
	}
	if isIPv4(head[0]) { // the common case, without the calls of clientHost
		ev.ClientIP = head[0]
	} else if !isDash(head[0]) {
		a, ok := clientHost(head[0])
		if !ok {
			return fieldError("client_ip", head[0])
		}
		ev.ClientIP = a
	}
	if user := head[2]; !isDash(user) {
		ev.AddExtra("remote_user", user)
	}

	// [10/Oct/2000:13:55:36 -0700]
	if len(s) < clfLen+2 || s[clfLen+1] != ']' {
		end := bytes.IndexByte(s, ']')
		if end < 0 {
			return malformed(c.format())
		}
		return fieldError("time", s[1:end])
	}
	t, ok := c.clock.parse(s[1 : clfLen+1])
	if !ok {
		return fieldError("time", s[1:clfLen+1])
	}
	ev.Time = t
	s = s[clfLen+2:]

	// "request"
	if len(s) < 2 || s[0] != ' ' || s[1] != '"' {
		return malformed(c.format())
	}
	req, rest, ok := quoted(s[1:])
	if !ok {
		return fieldError("request", s[1:])
	}
	ev.splitRequest(req)
	s = rest

	// status bytes
	status, rest, ok := token(s)
	if !ok {
		return malformed(c.format())
	}
	if ev.Status, ok = parseStatus(status); !ok {
		return fieldError("status", status)
	}
	size, rest, ok := token(rest)
	if !ok {
		return malformed(c.format())
	}
	if ev.Bytes, ok = parseBytes(size); !ok {
		return fieldError("bytes", size)
	}
	if len(rest) == 0 {
		return nil // common
	}

	// "referer" "user agent"; Traefik writes an absent referer as a bare -.
	ref, rest, ok := quotedOrDash(rest[1:])
	if !ok || len(rest) == 0 {
		return malformed(c.format())
	}
	ua, rest, ok := quotedOrDash(rest[1:])
	if !ok {
		return malformed(c.format())
	}
	ev.Referer, ev.UserAgent = dashNil(ref), dashNil(ua)
	if len(rest) > 0 {
		ev.parseTrailer(rest[1:])
	}
	return nil
}

func (c *Combined) format() string {
	if c.vhost {
		return "vhost_combined"
	}
	return "combined"
}

// splitRequest sets Method, Path, Query and Protocol from a request line.
// Anything but "METHOD target", optionally followed by " HTTP/…", leaves
// them nil. A target with spaces in it (seen from broken clients and
// probes) keeps them: the protocol is the last word only when it starts
// with "HTTP/".
func (ev *Event) splitRequest(req []byte) {
	// The first space must end a method (see isMethod): scanning for the
	// method's bytes finds both at once, where the method is short and a
	// search and a check would cost twice as much.
	sp := 0
	for sp < len(req) && sp <= 32 && isMethodByte(req[sp]) {
		sp++
	}
	if sp == 0 || sp > 32 || sp == len(req) || req[sp] != ' ' {
		return
	}
	method, target := req[:sp], req[sp+1:]
	var proto []byte
	last := len(target) - len(" HTTP/1.1")
	if last < 0 || target[last] != ' ' { // not the usual HTTP/x.y: look for the last word
		last = bytes.LastIndexByte(target, ' ')
	}
	if last >= 0 && len(target) >= last+6 && string(target[last+1:last+6]) == "HTTP/" {
		target, proto = target[:last], target[last+1:]
	}
	if len(target) == 0 {
		return
	}
	ev.Method, ev.Protocol = method, proto
	if i := bytes.IndexByte(target, '?'); i >= 0 { // SplitTarget, inlined by hand for every line
		ev.Path, ev.Query = target[:i], target[i+1:]
	} else {
		ev.Path = target
	}
}

// parseTrailer reads what follows the user agent: nginx main's quoted
// X-Forwarded-For, or Traefik's `count "router" "server url" Nms`.
// Anything else is ignored.
//
// When the connection came from a proxy's address (private or loopback:
// a load balancer in front, see [isProxyAddr]), the client is the one the
// X-Forwarded-For names (see [forwardedClient]), as with nginx's real_ip
// trusting the private networks, and Rails' remote_ip: otherwise every
// request is the proxy's. A client connecting from a public address is
// the client, whatever it put in its own header. This trusts the private
// hop to append the address it saw, as load balancers do; a hop that
// does not (a layer-4 balancer with SNAT, a TLS terminator without
// forwardfor) leaves the header as the client sent it.
func (ev *Event) parseTrailer(s []byte) {
	if len(s) == 0 {
		return
	}
	if s[0] == '"' {
		if xff, rest, ok := quoted(s); ok && len(rest) == 0 && !isDash(xff) {
			ev.AddExtra("forwarded_for", xff)
			if a, ok := ClientAddr(ev.ClientIP); ok && isProxyAddr(a) {
				if c := forwardedClient(xff); c != nil {
					ev.ClientIP = c
					if n, net24 := dottedQuad(c); n == len(c) {
						ev.v4, ev.v4net = c, net24
					}
				}
			}
		}
		return
	}
	count, rest, ok := nextWord(s)
	if !ok || !allDigits(count) || len(rest) == 0 {
		return
	}
	router, rest, ok := quotedOrDash(rest[1:])
	if !ok || len(rest) == 0 {
		return
	}
	server, rest, ok := quotedOrDash(rest[1:])
	if !ok || len(rest) == 0 {
		return
	}
	ms := rest[1:]
	if len(ms) < 3 || len(ms) > 14 || string(ms[len(ms)-2:]) != "ms" || !allDigits(ms[:len(ms)-2]) {
		return
	}
	d := int64(0)
	for _, c := range ms[:len(ms)-2] {
		d = d*10 + int64(c-'0')
	}
	ev.Duration = time.Duration(d) * time.Millisecond
	// Traefik stamps the line with the request's start (StartUTC, to the
	// second); its end, the time nginx stamps a line with, is that plus
	// the duration. At its start a slow request (a gateway timeout's
	// 60 s) sat behind the lines written meanwhile, and the engine
	// dropped it as late.
	ev.Time = ev.Time.Add(ev.Duration)
	if !isDash(router) {
		ev.AddExtra("router", router)
	}
	if !isDash(server) {
		ev.AddExtra("server_url", server)
	}
}

// quoted returns the content of the quoted field at the start of s and
// what follows its closing quote. A backslash escapes the next byte, and
// the closing quote must be followed by a space or the end of s.
func quoted(s []byte) (field, rest []byte, ok bool) {
	if len(s) == 0 || s[0] != '"' {
		return nil, nil, false
	}
	for i := 1; i < len(s); {
		j := bytes.IndexByte(s[i:], '"')
		if j < 0 {
			return nil, nil, false
		}
		q := i + j
		// An odd run of backslashes before the quote escapes it. The byte
		// before the run is never itself a pending escape, so the parity
		// of the run alone decides.
		bs := 0
		for k := q - 1; k > 0 && s[k] == '\\'; k-- {
			bs++
		}
		if bs%2 == 0 && (q+1 == len(s) || s[q+1] == ' ') {
			return s[1:q], s[q+1:], true
		}
		i = q + 1
	}
	return nil, nil, false
}

// quotedOrDash reads a quoted field or a bare "-".
func quotedOrDash(s []byte) (field, rest []byte, ok bool) {
	if len(s) > 0 && s[0] == '-' && (len(s) == 1 || s[1] == ' ') {
		return s[:1], s[1:], true
	}
	return quoted(s)
}

// token reads the word after the leading space of s: s is " word rest".
func token(s []byte) (word, rest []byte, ok bool) {
	if len(s) < 2 || s[0] != ' ' {
		return nil, nil, false
	}
	return nextWord(s[1:])
}

// nextWord splits s at its first space; rest keeps the space.
func nextWord(s []byte) (word, rest []byte, ok bool) {
	i := bytes.IndexByte(s, ' ')
	if i < 0 {
		i = len(s)
	}
	if i == 0 {
		return nil, nil, false
	}
	return s[:i], s[i:], true
}

// parseStatus reads a status: "-" is 0 (Traefik, aborted requests).
func parseStatus(b []byte) (int, bool) {
	if isDash(b) {
		return 0, true
	}
	n, ok := digits(b)
	if !ok || n < 100 || n > 999 {
		return 0, false
	}
	return n, true
}

// parseBytes reads a byte count: "-" is -1 (Apache's %b for an empty body).
func parseBytes(b []byte) (int64, bool) {
	if isDash(b) {
		return -1, true
	}
	if len(b) > 18 || !allDigits(b) {
		return 0, false
	}
	var n int64
	for _, c := range b {
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// hostWithoutPort strips ":port" from a virtual host, splitting on the last
// colon only when digits follow it and what precedes it is not a bare
// IPv6 address; brackets around an IPv6 host are dropped.
func hostWithoutPort(b []byte) []byte {
	if i := bytes.LastIndexByte(b, ':'); i >= 0 && i+1 < len(b) && allDigits(b[i+1:]) {
		if h := b[:i]; bytes.IndexByte(h, ':') < 0 || (len(h) > 0 && h[len(h)-1] == ']') {
			b = h
		}
	}
	if len(b) > 2 && b[0] == '[' && b[len(b)-1] == ']' {
		b = b[1 : len(b)-1]
	}
	return b
}

// isMethod reports whether b looks like an HTTP method: 1 to 32 ASCII
// letters, digits, '-' or '_'. RFC 9110 allows any token, but probes sent to
// the HTTP port ("145.ll|'|'|…") are tokens too, and no method in use has
// other characters.
func isMethod(b []byte) bool {
	if len(b) == 0 || len(b) > 32 {
		return false
	}
	for _, c := range b {
		if !isMethodByte(c) {
			return false
		}
	}
	return true
}

func isMethodByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// isDash reports whether b is the "-" that logs write for an absent value.
func isDash(b []byte) bool { return len(b) == 1 && b[0] == '-' }

// dashNil maps the "-" of an absent value to nil.
func dashNil(b []byte) []byte {
	if isDash(b) {
		return nil
	}
	return b
}
