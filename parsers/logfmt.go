package parsers

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Logfmt decodes logfmt lines: space-separated key=value pairs, values in
// double quotes when they need it (with \" and \\ escapes), bare keys
// ("key" alone), empty values ("connect="), and the last of duplicate keys
// winning. Heroku router lines, Go kit and logrus text output, Phoenix
// with a logfmt formatter.
//
// Words before the first key=value pair are a prefix, as in Heroku's
// "2017-01-13T02:37:11.213639+00:00 heroku[router]: at=info …" and its
// RFC 5424 drain form "<158>1 2014-08-04T18:28:43.078581+00:00 host heroku
// router - at=info …". When no time key is found, the time comes from a
// stamp leading the prefix.
//
// A line without a method is an application line: its Kind is
// [KindMessage]. Logfmt does not allocate per line: unquoted values point
// into the line and quoted values with escapes into a buffer the Logfmt
// owns. It is not safe for concurrent use.
type Logfmt struct {
	maps   []mapping
	slotOf [][]int
	slots  map[string]int // key → slot
	vals   [][]byte       // per slot, this line's value; nil when absent
	conv   converter
	buf    []byte
	ev     Event

	// keep makes the pairs no mapping names extra fields, and reads a
	// Sidekiq-style "LEVEL: message" tail after the pairs (app lines
	// behind a platform's envelope).
	keep             bool
	names            names // of kept keys
	tailLvl, tailMsg []byte
}

var _ Decoder = (*Logfmt)(nil)

// maxKept caps the extra fields one line keeps.
const maxKept = 32

// logfmtDefault is the mapping used when Options.Fields is empty: the
// common keys of Go, Ruby and Elixir logfmt loggers.
var logfmtDefault = map[string]string{
	"time":          "time|ts|timestamp",
	"level":         "level|lvl|severity",
	"message":       "msg|message",
	"method":        "method",
	"path":          "path|uri|url",
	"status":        "status|status_code",
	"client_ip":     addrKeys,
	"forwarded_for": forwardedKeys,
	"user_agent":    "user_agent|ua|userAgent|user-agent",
	"referer":       "referer|referrer",
	"bytes":         "bytes|size|bytes_out|response_size|resp_bytes|bytes_sent",
	"request_id":    "request_id|req_id|requestId|request-id",
	"duration":      "duration|dur|elapsed|latency|took",
}

// NewLogfmtPreset returns a [Logfmt] for the named preset with opts laid
// over it, as [NewJSONPreset] does.
func NewLogfmtPreset(name string, opts Options) (*Logfmt, error) {
	p, ok := LogfmtPreset(name)
	if !ok {
		return nil, fmt.Errorf("logfmt preset %q: unknown; want one of %s", name, strings.Join(LogfmtPresets(), ", "))
	}
	return NewLogfmt(overlay(p, opts))
}

// NewLogfmt returns a [Logfmt] for the mapping in opts.Fields, whose
// values are keys with "|" between alternatives; an empty mapping means
// the common keys (time|ts|timestamp, level|lvl|severity, msg|message,
// method, path|uri|url, status|status_code, a client address under any of
// its common names, an X-Forwarded-For list, user_agent|ua,
// referer|referrer, bytes|size|…, request_id|req_id,
// duration|dur|elapsed|latency|took; see logfmtDefault).
// Bare duration numbers are in milliseconds unless
// opts.DurationUnit says otherwise. It fails on an invalid mapping, time
// layout or duration unit, or a mapping that names neither a request nor
// a message.
func NewLogfmt(opts Options) (*Logfmt, error) {
	fields := opts.Fields
	if len(fields) == 0 {
		fields = logfmtDefault
	}
	maps, match, err := compileFields(fields)
	if err != nil {
		return nil, fmt.Errorf("logfmt: %w", err)
	}
	if match != nil {
		return nil, errors.New("logfmt: fields: match is supported by json only")
	}
	if !hasRequestField(maps) {
		return nil, errors.New("logfmt: fields: need request, method, path, target or message")
	}
	conv, err := newConverter(opts, time.Millisecond)
	if err != nil {
		return nil, fmt.Errorf("logfmt: %w", err)
	}
	conv.setGate(maps)
	l := &Logfmt{maps: maps, slotOf: make([][]int, len(maps)), slots: make(map[string]int), conv: conv}
	for i, m := range maps {
		for _, k := range m.keys {
			s, ok := l.slots[k]
			if !ok {
				s = len(l.slots)
				l.slots[k] = s
			}
			l.slotOf[i] = append(l.slotOf[i], s)
		}
	}
	l.vals = make([][]byte, len(l.slots))
	return l, nil
}

// Decode implements [Decoder].
func (l *Logfmt) Decode(line []byte, emit func(*Event)) error {
	if err := l.parse(line, &l.ev); err != nil {
		return err
	}
	emit(&l.ev)
	return nil
}

// Flush implements [Decoder]; a Logfmt holds nothing between lines.
func (l *Logfmt) Flush(func(*Event)) {}

func (l *Logfmt) parse(line []byte, ev *Event) error {
	ev.Reset()
	ev.Raw = line
	if skipWS(line, 0) == len(line) {
		return ErrIgnored
	}
	clear(l.vals)
	l.tailLvl, l.tailMsg = nil, nil
	if cap(l.buf) < len(line) {
		l.buf = make([]byte, 0, len(line))
	}
	l.buf = l.buf[:0]
	prefixEnd, pairs := -1, 0
	for i := 0; ; {
		i = skipWS(line, i)
		if i >= len(line) {
			break
		}
		// A key runs to '=', a space or a quote.
		k := i
		for k < len(line) && line[k] != '=' && line[k] != ' ' && line[k] != '\t' && line[k] != '"' {
			k++
		}
		if k == i || k == len(line) || line[k] != '=' {
			if pairs == 0 {
				// A prefix word, which may be quoted.
				i = skipWord(line, i)
				prefixEnd = i
				continue
			}
			if k == i { // a stray quote or '=' among the pairs
				i = skipWord(line, i)
				continue
			}
			if l.keep {
				if lvl, ok := logLevelColon(line[i:k]); ok {
					l.tailLvl, l.tailMsg = lvl, bytes.TrimSpace(line[k:])
					break
				}
				i = k // a bare key: no value to keep
				continue
			}
			l.store(line[i:k], line[k:k]) // a bare key: present, empty
			i = k
			continue
		}
		pairs++
		key := line[i:k]
		i = k + 1
		var v []byte
		if i < len(line) && line[i] == '"' {
			v, i = l.quoted(line, i)
		} else {
			j := i
			for j < len(line) && line[j] != ' ' && line[j] != '\t' {
				j++
			}
			v, i = line[i:j:j], j
		}
		if !l.store(key, v) && l.keep {
			l.keepPair(ev, key, v)
		}
	}
	if pairs == 0 {
		return malformed("logfmt")
	}
	if err := l.conv.apply(ev, l.maps, l.mapped); err != nil {
		return err
	}
	if ev.Level == nil {
		ev.Level = l.tailLvl
	}
	if ev.Message == nil {
		ev.Message = l.tailMsg
	}
	if ev.Time.IsZero() && prefixEnd > 0 {
		if t, ok := prefixTime(line[:prefixEnd], l.conv.loc); ok {
			ev.Time = t
		}
	}
	return nil
}

// mapped returns the first non-empty value of the keys of mapping i.
func (l *Logfmt) mapped(i int) []byte {
	for _, s := range l.slotOf[i] {
		if len(l.vals[s]) > 0 {
			return l.vals[s]
		}
	}
	return nil
}

func (l *Logfmt) store(key, v []byte) (mapped bool) {
	if s, ok := l.slots[string(key)]; ok {
		l.vals[s] = v
		return true
	}
	return false
}

// keepPair adds a pair no mapping names as an extra field.
func (l *Logfmt) keepPair(ev *Event, key, v []byte) {
	if len(ev.Extra) < maxKept {
		ev.AddExtra(l.names.intern(key), v)
	}
}

// logLevelColon reads the "INFO:" that Sidekiq's formatter writes before
// its message.
func logLevelColon(w []byte) ([]byte, bool) {
	if len(w) < 5 || w[len(w)-1] != ':' {
		return nil, false
	}
	switch lvl := w[:len(w)-1]; string(lvl) {
	case "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "UNKNOWN":
		return lvl, true
	}
	return nil, false
}

// quoted reads the quoted value at line[i] == '"' and returns it and the
// index after it. An unterminated quote (a line cut by the log router)
// runs to the end of the line.
func (l *Logfmt) quoted(line []byte, i int) ([]byte, int) {
	start := i + 1
	esc := false
	j := start
	for j < len(line) && line[j] != '"' {
		if line[j] == '\\' && j+1 < len(line) {
			esc = true
			j++
		}
		j++
	}
	end, next := j, j+1
	if j >= len(line) {
		end, next = len(line), len(line)
	}
	if !esc {
		return line[start:end:end], next
	}
	n := len(l.buf)
	l.buf = appendLogfmtUnescaped(l.buf, line[start:end])
	return l.buf[n:len(l.buf):len(l.buf)], next
}

// appendLogfmtUnescaped resolves the escapes Go's strconv.Quote and
// logfmt encoders write: \" \\ \n \r \t. Others are kept as they are. The
// result is never longer than src.
func appendLogfmtUnescaped(dst, src []byte) []byte {
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != '\\' || i+1 == len(src) {
			dst = append(dst, c)
			continue
		}
		i++
		switch e := src[i]; e {
		case '"', '\\':
			dst = append(dst, e)
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		default:
			dst = append(dst, '\\', e)
		}
	}
	return dst
}

// skipWord returns the index of the space after the word at line[i],
// stepping over a quoted part.
func skipWord(line []byte, i int) int {
	inQuote := false
	for ; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case (c == ' ' || c == '\t') && !inQuote:
			return i
		}
	}
	return i
}

// prefixTime finds the time stamp leading a logfmt prefix: a plain one
// ("2017-01-13T02:37:11.213639+00:00 heroku[router]:"), or one after a
// syslog RFC 5424 header ("<158>1 2014-08-04T18:28:43.078581+00:00"),
// itself maybe after an RFC 6587 octet count ("83 <40>1 …").
func prefixTime(p []byte, loc *time.Location) (time.Time, bool) {
	word := func() []byte {
		p = p[skipWS(p, 0):]
		i := 0
		for i < len(p) && p[i] != ' ' && p[i] != '\t' {
			i++
		}
		w := p[:i]
		p = p[i:]
		return w
	}
	w := word()
	if len(w) > 0 && w[0] >= '0' && w[0] <= '9' && len(w) < 19 {
		if _, ok := parseInt64(w); ok { // octet count
			w = word()
		}
	}
	if len(w) > 0 && w[0] == '<' {
		w = word()
	}
	return parseRFC3339(w, loc)
}
