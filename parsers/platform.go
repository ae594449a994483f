package parsers

import (
	"bytes"
	"time"
)

// platform is what a log platform's envelope says about the line of the
// app it wraps: Heroku's `heroku logs` and drains, Render's log streams,
// Fly.io's `fly logs` and its log shipper, syslog.
type platform struct {
	ok      bool
	form    platformForm
	hasTime bool
	time    time.Time // UTC
	// source is who wrote the line: "app" or "heroku" on Heroku, the
	// syslog app-name elsewhere (Render: the service instance), "app" on
	// Fly.
	source []byte
	// proc is Heroku's dyno ("web.1", "router"), the syslog procid, or
	// Fly's machine id.
	proc   []byte
	region []byte // Fly's region
	level  []byte // the level Fly gives the line
}

// platformForm tells the envelopes apart.
type platformForm uint8

const (
	formNone   platformForm = iota
	formHeroku              // heroku logs, or a Heroku drain's syslog frame
	formSyslog              // any other RFC 5424 sender (Render)
	formFly                 // fly logs, or the Fly log shipper's JSON
)

// router reports whether the line is one of Heroku's router, the one
// access log a Heroku app has.
func (p *platform) router() bool {
	return string(p.source) == "heroku" && string(p.proc) == "router"
}

// extras returns the extra fields the envelope gives the line: Fly's
// region and machine (fly_region, fly_instance), Heroku's source ("app"
// or "heroku") and dyno.
// Unused entries have no Name.
func (p *platform) extras() [2]Field {
	var x [2]Field
	switch p.form {
	case formFly:
		if p.region != nil {
			x[0] = Field{"fly_region", p.region}
		}
		if p.proc != nil {
			x[1] = Field{"fly_instance", p.proc}
		}
	case formHeroku:
		x[0] = Field{"source", p.source}
		x[1] = Field{"dyno", p.proc}
	}
	return x
}

// mayHaveEnvelope is a cheap test of the first bytes of line: false means
// parsePlatform would find no envelope.
func mayHaveEnvelope(line []byte) bool {
	if len(line) < 8 {
		return false
	}
	if line[0] == '<' || line[4] == '-' && line[7] == '-' && len(line) > 10 && line[10] == 'T' {
		return true
	}
	i := 0
	for i < 7 && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(line) && line[i] == ' ' && line[i+1] == '<' // an octet count
}

// parsePlatform takes apart the envelope a log platform puts around the
// line of an app and returns that line. It knows these forms:
//
//	2017-01-13T02:37:11.213639+00:00 heroku[router]: <line>       heroku logs
//	2024-10-14T23:31:34Z app[6e82541eb56648] syd [info] <line>     fly logs
//	<158>1 2014-08-04T18:28:43.078581+00:00 host heroku router - <line>
//	<0>1 2021-03-31T16:00:00-08:00 test-service cron-12345 74440 cron-12345 - <line>
//
// The last two are RFC 5424 syslog as Heroku's and Render's drains send
// it, maybe after an RFC 6587 octet count ("83 <40>1 …"). Heroku's frames
// have no structured-data field; any other syslog sender's "-" or
// "[…]" structured data is skipped. It reports false for a line in none
// of these forms.
func parsePlatform(line []byte, p *platform) ([]byte, bool) {
	*p = platform{}
	if len(line) == 0 {
		return nil, false
	}
	if line[0] >= '1' && line[0] <= '9' {
		// An octet count, or the stamp of the non-syslog forms.
		if sp := bytes.IndexByte(line, ' '); sp > 0 && sp < 8 && allDigits(line[:sp]) {
			line = line[sp+1:]
		} else {
			return parseStamped(line, p)
		}
	}
	if len(line) == 0 || line[0] != '<' {
		return nil, false
	}
	return parse5424(line, p, withTime)
}

// withTime asks parse5424 to read the header's time; the access-log
// formats, which carry their own, skip it.
const withTime = true

// parse5424 takes apart "<pri>1 timestamp host app procid msgid [sd] msg",
// reading the timestamp when readTime is set.
func parse5424(line []byte, p *platform, readTime bool) ([]byte, bool) {
	end := bytes.IndexByte(line, '>')
	if end < 2 || end > 4 || !allDigits(line[1:end]) || len(line) < end+3 || line[end+1] != '1' || line[end+2] != ' ' {
		return nil, false
	}
	rest := line[end+3:]
	var f [5][]byte // timestamp, host, app, procid, msgid
	for i := range f {
		sp := bytes.IndexByte(rest, ' ')
		if sp <= 0 {
			return nil, false
		}
		f[i], rest = rest[:sp], rest[sp+1:]
	}
	if readTime && string(f[0]) != "-" {
		t, ok := parseRFC3339(f[0], time.UTC)
		if !ok {
			return nil, false
		}
		p.hasTime, p.time = true, t
	}
	p.ok, p.form, p.source, p.proc = true, formSyslog, f[2], f[3]
	if sev, ok := digits(line[1:end]); ok {
		p.level = syslogLevels[sev%8]
	}
	if string(f[1]) == "host" && (string(f[2]) == "heroku" || string(f[2]) == "app") {
		p.form, p.level = formHeroku, nil // Heroku's priorities say nothing
		return rest, true                 // Heroku: the message follows the msgid
	}
	switch {
	case len(rest) >= 2 && rest[0] == '-' && rest[1] == ' ':
		return rest[2:], true
	case len(rest) == 1 && rest[0] == '-':
		return rest[1:], true
	case len(rest) > 0 && rest[0] == '[':
		if i := bytes.Index(rest, []byte("] ")); i >= 0 {
			return rest[i+2:], true
		}
		return nil, false
	}
	return nil, false
}

// syslogLevels name the severities of a syslog priority, as Render sets
// them from the app's own level.
var syslogLevels = [8][]byte{[]byte("emerg"), []byte("alert"), []byte("crit"), []byte("err"),
	[]byte("warning"), []byte("notice"), []byte("info"), []byte("debug")}

// parseStamped takes apart the forms that start with an RFC 3339 stamp:
// "stamp source[proc]: line" (Heroku) and "stamp app[id] [region] [level]
// line" (Fly).
func parseStamped(line []byte, p *platform) ([]byte, bool) {
	if len(line) < 21 || line[4] != '-' || line[7] != '-' || line[10] != 'T' {
		return nil, false
	}
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return nil, false
	}
	t, ok := parseRFC3339(line[:sp], time.UTC)
	if !ok {
		return nil, false
	}
	rest := line[sp+1:]
	sp = bytes.IndexByte(rest, ' ')
	if sp < 0 {
		sp = len(rest)
	}
	src := rest[:sp]
	heroku := len(src) > 0 && src[len(src)-1] == ':'
	if heroku {
		src = src[:len(src)-1]
	}
	lb := bytes.IndexByte(src, '[')
	if lb < 1 || src[len(src)-1] != ']' {
		return nil, false
	}
	p.ok, p.hasTime, p.time = true, true, t
	p.source, p.proc = src[:lb], src[lb+1:len(src)-1]
	rest = rest[sp:]
	if len(rest) > 0 {
		rest = rest[1:]
	}
	if heroku {
		p.form = formHeroku
		return rest, true
	}
	p.form = formFly
	// Fly: the region, then "[level]".
	if len(rest) > 0 && rest[0] != '[' {
		sp = bytes.IndexByte(rest, ' ')
		if sp < 1 {
			return nil, false
		}
		p.region, rest = rest[:sp], rest[sp+1:]
	}
	if len(rest) < 2 || rest[0] != '[' {
		return nil, false
	}
	rb := bytes.IndexByte(rest, ']')
	if rb < 2 {
		return nil, false
	}
	p.level, rest = rest[1:rb], rest[rb+1:]
	if len(rest) == 0 {
		return rest, true
	}
	if rest[0] != ' ' {
		return nil, false
	}
	return rest[1:], true
}

// parseFlyJSON takes apart a Fly log shipper record (JSON: the app's line
// in "message", the shipper's "timestamp", "fly" and "log") and returns
// the app's line, unescaped into *buf when it has escapes. format names
// the decoder in its errors. The Phoenix and Rails decoders read their
// lines behind it.
func parseFlyJSON(line []byte, w *platform, buf *[]byte, format string) ([]byte, error) {
	var msgRaw []byte
	var found, fly bool
	m := openMembers(line, 0)
	for {
		key, _, ok := m.next()
		if !ok {
			break
		}
		val, ok := m.rawValue()
		if !ok {
			break
		}
		switch string(key) {
		case "message":
			if len(val) < 2 || val[0] != '"' {
				return nil, fieldError("message", val)
			}
			found = true
			msgRaw = val[1 : len(val)-1]
		case "timestamp":
			if len(val) < 2 || val[0] != '"' {
				return nil, fieldError("timestamp", val)
			}
			t, ok := parseRFC3339(val[1:len(val)-1], time.UTC)
			if !ok {
				return nil, fieldError("timestamp", val)
			}
			w.hasTime, w.time = true, t
		case "log":
			eachMember(val, func(k, v []byte) {
				if string(k) == "level" {
					w.level = jsonString(v)
				}
			})
		case "fly":
			fly = true
			eachMember(val, func(k, v []byte) {
				switch string(k) {
				case "region":
					w.region = jsonString(v)
				case "app":
					eachMember(v, func(k, v []byte) {
						if string(k) == "instance" {
							w.proc = jsonString(v)
						}
					})
				}
			})
		}
	}
	// Other JSON logs (ECS, app loggers) have a message too: the
	// shipper's record is the one with its timestamp or fly object.
	if m.bad || !found || !w.hasTime && !fly {
		return nil, malformed(format)
	}
	w.ok, w.form = true, formFly
	if bytes.IndexByte(msgRaw, '\\') < 0 {
		return msgRaw, nil
	}
	// The JSON format's unescaper: lenient, as shippers are.
	*buf = appendUnescaped((*buf)[:0], msgRaw)
	return *buf, nil
}
