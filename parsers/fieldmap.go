package parsers

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file holds what the key/value formats (jsonlines.go, logfmt.go,
// regex.go) share: the mapping from event field names to the keys of a
// line, and the conversion of one raw value into the fields of an [Event].

// fieldID names a field of [Event] that a mapping can fill.
type fieldID uint8

// The order of the constants is the order in which values are applied: a
// whole request line first, so that explicit method, path, query and
// protocol values override the parts split from it.
const (
	fieldTime  fieldID = iota
	fieldStart         // the request's start: see converter.apply
	fieldRequest
	fieldClientIP
	fieldForwarded // an X-Forwarded-For list; see converter.apply
	fieldHost
	fieldMethod
	fieldTarget // "path" and "target": a request target, query included
	fieldQuery
	fieldProtocol
	fieldStatus
	fieldBytes
	fieldUserAgent
	fieldReferer
	fieldRequestID
	fieldDuration
	fieldLevel
	fieldMessage
	fieldRequestIf // a key whose absence makes the line a message
	fieldExtra     // any other name, kept as an extra field
)

var fieldIDs = map[string]fieldID{
	"time":      fieldTime,
	"start":     fieldStart, // when the request started (Traefik's StartUTC): see converter.apply
	"request":   fieldRequest,
	"client_ip": fieldClientIP,
	// forwarded_for is kept as an extra field, and gives the client when
	// client_ip is absent or a proxy's.
	"forwarded_for": fieldForwarded,
	"host":          fieldHost,
	"method":        fieldMethod,
	"path":          fieldTarget,
	"target":        fieldTarget,
	"query":         fieldQuery,
	"protocol":      fieldProtocol,
	"status":        fieldStatus,
	"bytes":         fieldBytes,
	"user_agent":    fieldUserAgent,
	"referer":       fieldReferer,
	"request_id":    fieldRequestID,
	"duration":      fieldDuration,
	"level":         fieldLevel,
	"message":       fieldMessage,
	// request_if names a key only requests have (Railway's httpStatus): a
	// line without it is a message, whatever else it holds, so that an
	// app's own line about a request never counts as a second one.
	"request_if": fieldRequestIf,
}

// matchField is the reserved name of [Options.Fields] that holds a line
// filter instead of a field: "key=value" keeps lines whose key equals
// value, "key=prefix*" lines whose key starts with prefix. Other lines
// return [ErrIgnored]. The caddy preset uses "logger=http.log.access*".
const matchField = "match"

// mapping is one entry of [Options.Fields], compiled.
type mapping struct {
	id   fieldID
	name string   // the event field name; the Name of an extra field
	keys []string // the keys to try, in order ("a|b|c")
}

// matchRule is a compiled "match" entry.
type matchRule struct {
	key    string
	value  string
	prefix bool
}

// ok reports whether v (nil when the key is absent) passes the rule.
func (r *matchRule) ok(v []byte) bool {
	if r.prefix {
		return len(v) >= len(r.value) && string(v[:len(r.value)]) == r.value
	}
	return v != nil && string(v) == r.value
}

// compileFields checks and compiles a field mapping. The mappings come
// back ordered by field (see the fieldID constants), then by name, so
// that events and their extra fields are built in a stable order.
func compileFields(fields map[string]string) ([]mapping, *matchRule, error) {
	var (
		ms    []mapping
		match *matchRule
	)
	for name, spec := range fields {
		if name == "" {
			return nil, nil, errors.New("fields: empty field name")
		}
		if name == matchField {
			r, err := compileMatch(spec)
			if err != nil {
				return nil, nil, err
			}
			match = r
			continue
		}
		keys := strings.Split(spec, "|")
		for i, k := range keys {
			keys[i] = strings.TrimSpace(k)
			if keys[i] == "" {
				return nil, nil, fmt.Errorf("fields: %s: empty key in %q", name, spec)
			}
		}
		id, ok := fieldIDs[name]
		if !ok {
			id = fieldExtra
		}
		ms = append(ms, mapping{id: id, name: name, keys: keys})
	}
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].id != ms[j].id {
			return ms[i].id < ms[j].id
		}
		return ms[i].name < ms[j].name
	})
	return ms, match, nil
}

func compileMatch(spec string) (*matchRule, error) {
	k, v, ok := strings.Cut(spec, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" || strings.Contains(k, "|") {
		return nil, fmt.Errorf("fields: match: want key=value or key=prefix*, got %q", spec)
	}
	r := &matchRule{key: k, value: v}
	if strings.HasSuffix(v, "*") {
		r.value, r.prefix = v[:len(v)-1], true
	}
	return r, nil
}

// hasRequestField reports whether ms names something that makes a line an
// event: a request (line, method or target) or a message.
func hasRequestField(ms []mapping) bool {
	for _, m := range ms {
		switch m.id {
		case fieldRequest, fieldMethod, fieldTarget, fieldMessage:
			return true
		}
	}
	return false
}

// mergeFields returns preset overridden by user, as a new map.
func mergeFields(preset, user map[string]string) map[string]string {
	out := make(map[string]string, len(preset)+len(user))
	for k, v := range preset {
		out[k] = v
	}
	for k, v := range user {
		out[k] = v
	}
	return out
}

// Time layouts with a hand-written parser. Any other non-empty layout is a
// Go layout for time.ParseInLocation.
const (
	layoutGuess   = ""
	layoutRFC3339 = "rfc3339"
	layoutCLF     = "clf"
	layoutUnix    = "unix"
	layoutUnixMs  = "unix_ms"
	layoutUnixUs  = "unix_us"
	layoutUnixNs  = "unix_ns"
)

// converter turns raw values into event fields, per the time layout, the
// duration unit and the zone of [Options]. It keeps a CLF clock, so it is
// not safe for concurrent use.
type converter struct {
	layout   string
	epoch    time.Duration // unit of a unix layout; 0 for the others
	loc      *time.Location
	durUnit  time.Duration // unit of a bare duration number
	clfClock clfClock
	fwd      []byte    // this line's forwarded_for value
	start    time.Time // this line's start value; zero when absent
	gated    bool      // the mapping has a request_if: see setGate
	proven   bool      // this line has the request_if key
}

// setGate tells c whether the mappings it will apply name a request_if.
func (c *converter) setGate(ms []mapping) {
	for _, m := range ms {
		c.gated = c.gated || m.id == fieldRequestIf
	}
}

// newConverter checks the time layout and duration unit of opts.
// defaultUnit is the format's unit of bare duration numbers.
func newConverter(opts Options, defaultUnit time.Duration) (converter, error) {
	c := converter{layout: opts.TimeLayout, loc: opts.location(), durUnit: defaultUnit}
	switch opts.TimeLayout {
	case layoutGuess, layoutRFC3339, layoutCLF:
	case layoutUnix:
		c.epoch = time.Second
	case layoutUnixMs:
		c.epoch = time.Millisecond
	case layoutUnixUs:
		c.epoch = time.Microsecond
	case layoutUnixNs:
		c.epoch = time.Nanosecond
	default:
		// A Go layout must contain at least one element, or every line
		// would parse to the same time.
		if (time.Time{}).Format(opts.TimeLayout) == opts.TimeLayout {
			return converter{}, fmt.Errorf("time layout %q: no date or time element", opts.TimeLayout)
		}
	}
	if opts.DurationUnit != "" {
		u, ok := durationUnit([]byte(opts.DurationUnit))
		if !ok {
			return converter{}, fmt.Errorf("duration unit %q: want s, ms, us or ns", opts.DurationUnit)
		}
		c.durUnit = u
	}
	return c, nil
}

// apply sets the fields of ev from the mappings ms, value(i) giving the
// value of ms[i] (nil when absent). On an application line (one without a
// method, target or request line), a status, bytes or duration value that
// does not parse is left out instead of failing the line: there the names
// are the application's own (a Kubernetes logger's status=Pending).
//
// The client is client_ip when that is an address and not a proxy's (see
// [isProxyAddr]); else the client forwarded_for names (see
// [forwardedClient]), as Rails' request.remote_ip reads the socket peer
// and X-Forwarded-For together. A direct client's forged X-Forwarded-For
// is never read.
func (c *converter) apply(ev *Event, ms []mapping, value func(i int) []byte) error {
	c.fwd, c.proven, c.start = nil, false, time.Time{}
	request := false
	for i := range ms {
		switch ms[i].id {
		case fieldRequest, fieldMethod, fieldTarget:
			if len(value(i)) > 0 {
				request = true
			}
		}
	}
	for i := range ms {
		v := value(i)
		if c.set(ev, &ms[i], v) {
			continue
		}
		switch ms[i].id {
		case fieldStatus, fieldBytes, fieldDuration:
			if !request {
				continue
			}
		}
		return fieldError(ms[i].name, v)
	}
	// A request's start and its duration give its end, the time an
	// access log stamps its line with (nginx, Caddy, Heroku's router), to
	// the start's precision; the line's own time is the end too but may
	// be coarser (Traefik's, to the second). Without a duration, the
	// line's time, else the start. The start alone would set a slow
	// request (a gateway timeout's 60 s) back behind the lines written
	// meanwhile, and the engine drops what is older than its skew.
	if !c.start.IsZero() {
		switch {
		case ev.Duration >= 0:
			ev.Time = c.start.Add(ev.Duration)
		case ev.Time.IsZero():
			ev.Time = c.start
		}
	}
	if c.fwd != nil && (ev.ClientIP == nil || isProxyAddr(ev.ClientIP)) {
		if a := forwardedClient(c.fwd); a != nil {
			ev.ClientIP = a
		}
	}
	setKind(ev)
	if c.gated && !c.proven {
		ev.Kind = KindMessage
	}
	return nil
}

// set applies the value v of mapping m to ev and reports whether v was
// valid. A nil or empty v is absent and leaves ev alone.
func (c *converter) set(ev *Event, m *mapping, v []byte) bool {
	if len(v) == 0 {
		return true
	}
	switch m.id {
	case fieldTime:
		t, ok := c.parseTime(v)
		if !ok {
			return false
		}
		ev.Time = t
	case fieldStart:
		t, ok := c.parseTime(v)
		if !ok {
			return false
		}
		c.start = t
	case fieldRequest:
		splitRequest(ev, v)
	case fieldClientIP:
		// A value that is no address leaves the event without a client
		// rather than failing the line: the line still counts.
		if bytes.IndexByte(v, ',') >= 0 {
			ev.ClientIP = forwardedClient(v)
		} else if a, ok := ClientAddr(v); ok {
			ev.ClientIP = a
		}
	case fieldForwarded:
		if !isDash(v) {
			c.fwd = v
			ev.AddExtra(m.name, v)
		}
	case fieldHost:
		ev.Host = v
	case fieldMethod:
		ev.Method = v
	case fieldTarget:
		ev.SplitTarget(v)
	case fieldQuery:
		ev.Query = v
	case fieldProtocol:
		ev.Protocol = v
	case fieldStatus:
		if isDash(v) {
			return true
		}
		n, ok := digits(v)
		if !ok || n > 999 || (n > 0 && n < 100) {
			return false
		}
		ev.Status = n
	case fieldBytes:
		if isDash(v) || string(v) == "-1" {
			return true
		}
		n, ok := parseInt64(v)
		if !ok {
			return false
		}
		ev.Bytes = n
	case fieldUserAgent:
		if !isDash(v) {
			ev.UserAgent = v
		}
	case fieldReferer:
		if !isDash(v) {
			ev.Referer = v
		}
	case fieldRequestID:
		if !isDash(v) {
			ev.RequestID = v
		}
	case fieldDuration:
		if isDash(v) || string(v) == "-1" {
			return true
		}
		d, ok := parseDuration(v, c.durUnit)
		if !ok {
			return false
		}
		ev.Duration = d
	case fieldLevel:
		ev.Level = v
	case fieldMessage:
		ev.Message = v
	case fieldRequestIf:
		c.proven = true
	default:
		ev.AddExtra(m.name, v)
	}
	return true
}

// splitRequest sets Method, Path, Query and Protocol from a request line
// ("GET /x?y HTTP/1.1"). A line that is not three words keeps what it can:
// two words are a method and a target, anything else goes whole to Path,
// so that binary probes stay visible to rules.
func splitRequest(ev *Event, v []byte) {
	i := bytes.IndexByte(v, ' ')
	if i < 0 {
		ev.Path = v
		return
	}
	j := bytes.LastIndexByte(v, ' ')
	if i == j {
		ev.Method = v[:i]
		ev.SplitTarget(v[i+1:])
		return
	}
	ev.Method, ev.Protocol = v[:i], v[j+1:]
	ev.SplitTarget(v[i+1 : j])
}

// parseInt64 parses an unsigned decimal that fits an int64.
func parseInt64(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// decimal parses an unsigned decimal number with an optional fraction
// ("1693840791.7564995") and returns it times unit, in nanoseconds,
// without going through float64: the integer and fraction digits are
// scaled apart, so a Caddy "ts" keeps its 100 ns digits. Fraction digits
// beyond nanosecond precision are cut. An exponent ("1.5e3") falls back
// to strconv.ParseFloat.
func decimal(b []byte, unit time.Duration) (int64, bool) {
	if len(b) == 0 || unit <= 0 {
		return 0, false
	}
	intPart, frac := b, []byte(nil)
	if i := bytes.IndexByte(b, '.'); i >= 0 {
		intPart, frac = b[:i], b[i+1:]
	}
	if len(intPart) == 0 && len(frac) == 0 {
		return 0, false
	}
	var n int64
	if len(intPart) > 0 {
		var ok bool
		if n, ok = parseInt64(intPart); !ok {
			return floatDecimal(b, unit)
		}
	}
	u := int64(unit)
	if n > math.MaxInt64/u {
		return 0, false
	}
	n *= u
	// Keep f*u below 2^63: at most 9 fraction digits for units up to a
	// second, 6 for minutes and hours.
	maxFrac := 9
	if unit > time.Second {
		maxFrac = 6
	}
	var f, scale int64 = 0, 1
	for i, c := range frac {
		if c < '0' || c > '9' {
			return floatDecimal(b, unit)
		}
		if i < maxFrac {
			f = f*10 + int64(c-'0')
			scale *= 10
		}
	}
	add := f * u / scale
	if n > math.MaxInt64-add {
		return 0, false
	}
	return n + add, true
}

// floatDecimal is the slow path of decimal, for exponents.
func floatDecimal(b []byte, unit time.Duration) (int64, bool) {
	if !bytes.ContainsAny(b, "eE") {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f < 0 || math.IsNaN(f) {
		return 0, false
	}
	ns := f * float64(unit)
	if ns >= math.MaxInt64 {
		return 0, false
	}
	return int64(ns), true
}

// durationUnit parses a duration unit suffix.
func durationUnit(b []byte) (time.Duration, bool) {
	switch string(b) {
	case "ns":
		return time.Nanosecond, true
	case "us", "µs", "μs": // micro sign U+00B5 and Greek mu U+03BC
		return time.Microsecond, true
	case "ms":
		return time.Millisecond, true
	case "s":
		return time.Second, true
	case "m":
		return time.Minute, true
	case "h":
		return time.Hour, true
	}
	return 0, false
}

// parseDuration parses a number with an optional unit suffix ("58ms",
// "1.2s", "164µs", "0.010"); a bare number is in unit. Compound Go
// durations ("1m2.5s") take the slower time.ParseDuration.
func parseDuration(b []byte, unit time.Duration) (time.Duration, bool) {
	i := 0
	for i < len(b) && (b[i] >= '0' && b[i] <= '9' || b[i] == '.') {
		i++
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') { // 1.5e-05, bare
		ns, ok := decimal(b, unit)
		return time.Duration(ns), ok
	}
	if i < len(b) {
		u, ok := durationUnit(b[i:])
		if !ok {
			d, err := time.ParseDuration(string(b))
			return d, err == nil && d >= 0
		}
		unit = u
	}
	ns, ok := decimal(b[:i], unit)
	return time.Duration(ns), ok
}

// parseTime parses a time value per the converter's layout.
func (c *converter) parseTime(b []byte) (time.Time, bool) {
	switch c.layout {
	case layoutGuess:
		return c.guessTime(b)
	case layoutRFC3339:
		return parseRFC3339(b, c.loc)
	case layoutCLF:
		return c.clfClock.parse(trimBrackets(b))
	case layoutUnix, layoutUnixMs, layoutUnixUs, layoutUnixNs:
		ns, ok := decimal(b, c.epoch)
		if !ok {
			return time.Time{}, false
		}
		return time.Unix(0, ns).UTC(), true
	}
	// Go layouts are the configurable slow path: ParseInLocation copies
	// the value into a string.
	t, err := time.ParseInLocation(c.layout, string(b), c.loc)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// guessTime tells the time formats apart by shape: RFC 3339 (and its
// space-separated variant), CLF, Phoenix logfmt's "15:04:05.000
// 2006-01-02", and Unix epochs, whose unit follows from the number of
// integer digits (10 s, 13 ms, 16 µs, 19 ns). A float such as Caddy's
// 1693840791.7564995 has 10 integer digits: seconds.
func (c *converter) guessTime(b []byte) (time.Time, bool) {
	b = trimBrackets(b)
	switch {
	case len(b) >= 19 && b[4] == '-':
		return parseRFC3339(b, c.loc)
	case len(b) == clfLen && b[2] == '/':
		return c.clfClock.parse(b)
	case len(b) >= 19 && b[2] == ':':
		return parseClockDate(b, c.loc)
	}
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		n++
	}
	if n == 0 {
		return time.Time{}, false
	}
	unit := time.Second
	switch {
	case n <= 11:
	case n <= 14:
		unit = time.Millisecond
	case n <= 17:
		unit = time.Microsecond
	default:
		unit = time.Nanosecond
	}
	ns, ok := decimal(b, unit)
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(0, ns).UTC(), true
}

func trimBrackets(b []byte) []byte {
	if len(b) >= 2 && b[0] == '[' && b[len(b)-1] == ']' {
		return b[1 : len(b)-1]
	}
	return b
}

// parseRFC3339 parses "2006-01-02T15:04:05", optionally followed by a
// fraction of any length (cut to nanoseconds) and a zone ("Z", "+07:00",
// "+0700", "+07"). 'T' may also be 't' or a space. A time without a zone
// is in loc. It returns UTC.
func parseRFC3339(b []byte, loc *time.Location) (time.Time, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' ||
		(b[10] != 'T' && b[10] != 't' && b[10] != ' ') {
		return time.Time{}, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	rest := b[19:]
	nsec := 0
	if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
		i, scale := 1, 100_000_000
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			nsec += int(rest[i]-'0') * scale
			scale /= 10
		}
		if i == 1 {
			return time.Time{}, false
		}
		rest = rest[i:]
	}
	zone := loc
	offset, zoned := 0, false
	switch {
	case len(rest) == 0:
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
		zone, zoned = time.UTC, true
	case rest[0] == '+' || rest[0] == '-':
		var oh, om int
		var ok bool
		switch len(rest) {
		case 3: // +07
			oh, ok = digits(rest[1:3])
		case 5: // +0700
			oh, ok = digits(rest[1:3])
			if ok {
				om, ok = digits(rest[3:5])
			}
		case 6: // +07:00
			oh, ok = digits(rest[1:3])
			if ok && rest[3] == ':' {
				om, ok = digits(rest[4:6])
			} else {
				ok = false
			}
		}
		if !ok || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
		zone, zoned = time.UTC, true
	default:
		return time.Time{}, false
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, 0, nsec, zone)
	if t.Day() != day {
		return time.Time{}, false
	}
	t = t.Add(time.Duration(sec) * time.Second) // 60: a leap second, read as the next
	if zoned {
		t = t.Add(-time.Duration(offset) * time.Second)
	}
	return t.UTC(), true
}

// parseClockDate parses Phoenix's logfmt stamp "20:38:16.031 2023-05-01"
// (time of day first) in loc.
func parseClockDate(b []byte, loc *time.Location) (time.Time, bool) {
	sp := bytes.IndexByte(b, ' ')
	if sp < 8 || len(b)-sp-1 != 10 {
		return time.Time{}, false
	}
	// Rebuild "2006-01-02T15:04:05.fff" on the stack.
	var buf [64]byte
	if 11+sp > len(buf) {
		return time.Time{}, false
	}
	n := copy(buf[:], b[sp+1:])
	buf[n] = 'T'
	n++
	n += copy(buf[n:], b[:sp])
	return parseRFC3339(buf[:n], loc)
}
