package parsers

import (
	"bytes"
	"time"
)

// appLine reads the line an app wrote itself, behind a platform's
// envelope (a Heroku drain's app[web.1] lines), into a [KindMessage]
// event with the fields the line has, whatever its shape:
//
//   - logfmt ("level=info msg=\"user registered\" user_id=42", lograge,
//     Sidekiq's "pid=4 tid=gvsgo8 class=WelcomeMailer INFO: done", Heroku's
//     runtime metrics): the common keys become fields (time, level, msg,
//     method, path, status, a client address, duration, …), every other
//     pair an extra field;
//   - a JSON object: the same keys at its top level, and every other
//     string, number or literal member an extra field;
//   - Rails' Logger output ("I, [… #4]  INFO -- : [request id] message"):
//     its level, request id and message;
//   - anything else: the message, as it is.
//
// An app line is never a request, even when it describes one (lograge's
// method=GET path=/ status=200): the platform's router has logged that
// request already. Rules count it only when they ask for messages.
type appLine struct {
	kv    *Logfmt
	conv  converter
	loc   *time.Location
	names names
	buf   []byte
}

func newAppLine(opts Options) (*appLine, error) {
	// Sidekiq's elapsed= is in seconds, lograge's duration= in ms: of
	// the logfmt keys, app lines read duration only.
	fields := mergeFields(logfmtDefault, map[string]string{"duration": "duration|dur|latency|took"})
	kv, err := NewLogfmt(Options{Fields: fields, Location: opts.Location})
	if err != nil {
		return nil, err
	}
	kv.keep = true
	conv, err := newConverter(Options{Location: opts.Location}, time.Second)
	if err != nil {
		return nil, err
	}
	return &appLine{kv: kv, conv: conv, loc: opts.location()}, nil
}

// decode fills ev from msg, the app's part of line, and what the
// platform's envelope w says.
func (a *appLine) decode(line, msg []byte, w *platform, ev *Event) {
	// Rails' Logger prefix and tags may lead any of the shapes.
	var rl railsLine
	if parseRailsLine(bytes.TrimSpace(msg), a.loc, &rl) && (rl.level != nil || rl.tags != nil) {
		msg = rl.msg
	} else {
		rl = railsLine{}
	}
	msg = bytes.TrimSpace(msg)
	switch {
	case len(msg) > 0 && msg[0] == '{' && a.json(msg, ev):
	case startsWithPair(msg) && a.kv.parse(msg, ev) == nil:
	default:
		ev.Reset()
		ev.Message = msg
	}
	ev.Kind, ev.Raw = KindMessage, line
	if w.hasTime {
		ev.Time = w.time // the platform's clock orders the drain
	} else if ev.Time.IsZero() {
		ev.Time = rl.local
	}
	if ev.Level == nil {
		ev.Level = rl.level
	}
	if ev.Level == nil {
		ev.Level = w.level
	}
	if ev.RequestID == nil {
		ev.RequestID = rl.rid
	}
	for _, x := range w.extras() {
		if _, dup := ev.Lookup(x.Name); x.Name != "" && !dup {
			ev.AddExtra(x.Name, x.Value) // the line's own source= or dyno= wins
		}
	}
}

// json reads a JSON app line; it reports false when msg is not one
// object.
func (a *appLine) json(msg []byte, ev *Event) bool {
	ev.Reset()
	if cap(a.buf) < len(msg) {
		a.buf = make([]byte, 0, len(msg))
	}
	a.buf = a.buf[:0]
	m := openMembers(msg, 0)
	for {
		key, esc, ok := m.next()
		if !ok {
			break
		}
		raw, ok := m.rawValue()
		if !ok || esc {
			continue
		}
		var v []byte
		switch raw[0] {
		case '{', '[':
			continue
		case '"':
			v = raw[1 : len(raw)-1]
			if bytes.IndexByte(v, '\\') >= 0 {
				n := len(a.buf)
				a.buf = appendUnescaped(a.buf, v)
				v = a.buf[n:len(a.buf):len(a.buf)]
			}
		default:
			if string(raw) == "null" {
				continue
			}
			v = raw
		}
		a.set(ev, key, v)
	}
	return !m.bad && skipWS(msg, m.i) == len(msg)
}

// set applies one member of a JSON app line.
func (a *appLine) set(ev *Event, key, v []byte) {
	switch string(key) {
	case "time", "ts", "timestamp", "@timestamp":
		if t, ok := a.conv.parseTime(v); ok {
			ev.Time = t
		}
	case "level", "lvl", "severity":
		ev.Level = v
	case "msg", "message":
		ev.Message = v
	case "method":
		ev.Method = v
	case "path", "uri", "url":
		ev.SplitTarget(v)
	case "status", "status_code":
		if n, ok := digits(v); ok && n >= 100 && n <= 999 {
			ev.Status = n
		}
	case "request_id", "requestId", "req_id":
		ev.RequestID = v
	default:
		if len(ev.Extra) < maxKept {
			ev.AddExtra(a.names.intern(key), v)
		}
	}
}

// startsWithPair reports whether msg starts, after an optional time
// stamp, with a key=value pair whose key is a name: logfmt, not a
// sentence that happens to hold an '=' ("Redirected to /?a=b").
func startsWithPair(msg []byte) bool {
	if len(msg) > 19 && msg[4] == '-' && msg[7] == '-' && (msg[10] == 'T' || msg[10] == ' ') {
		if sp := bytes.IndexByte(msg, ' '); sp > 0 && msg[10] == 'T' {
			msg = msg[sp+1:]
		}
	}
	for i, c := range msg {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9', c == '.', c == '-', c == '#', c == '/':
			if i == 0 {
				return false
			}
		case c == '=':
			return i > 0
		default:
			return false
		}
	}
	return false
}
