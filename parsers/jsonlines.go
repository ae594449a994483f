package parsers

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
)

// JSON decodes logs with one JSON object per line: Caddy, nginx with
// escape=json, Traefik, ECS application logs, or any object described by
// a field mapping.
//
// Fields are found by dotted path ("request.headers.User-Agent") whether
// the line nests objects ({"log":{"level":"info"}}) or flattens the keys
// ({"log.level":"info"}), or mixes both. A mapped value that is an array
// (Caddy's headers, "User-Agent":["curl/7.74.0"]) yields its first
// element. Numbers may be JSON numbers or strings. An empty string or null
// counts as absent, as nginx writes "" for a variable it does not have.
//
// The scanner is hand-written and lenient where producers are sloppy:
// bytes ≥ 0x80 inside strings are taken as they are, valid UTF-8 or not
// (nginx escape=json copies them raw), and values nobody asked for are
// skipped without being checked in detail. It does not allocate per line:
// unescaped strings go to a buffer the JSON owns and reuses, so the slices
// of an emitted [Event] are valid only until the next call.
//
// A line that does not start with '{' but contains "| {" has its prefix
// dropped, so that the output of `docker compose logs` ("caddy  | {…")
// parses as it is; so has a line behind a platform's envelope (a Render
// or Heroku syslog frame, `heroku logs`, `fly logs`), whose time stands
// in when the object has none. A JSON is not safe for concurrent use.
type JSON struct {
	maps     []mapping
	slotOf   [][]int         // per mapping, the slot of each of its keys
	slots    map[string]int  // dotted path → slot
	prefixes map[string]bool // dotted paths of objects that hold a slot
	vals     [][]byte        // per slot, this line's value; nil when absent
	match    *matchRule
	matchAt  int // slot of match.key
	conv     converter
	buf      []byte // unescaped strings of the current line
	path     []byte // dotted path of the key being read
	ev       Event
}

var _ Decoder = (*JSON)(nil)

// jsonTimeKeys are tried when a generic mapping names no time field.
const jsonTimeKeys = "time|ts|timestamp|@timestamp"

// NewJSONPreset returns a [JSON] for the named preset with opts laid over
// it: each entry of opts.Fields replaces the preset's entry of that name,
// and the non-empty TimeLayout, DurationUnit and Location of opts replace
// the preset's.
func NewJSONPreset(name string, opts Options) (*JSON, error) {
	p, ok := JSONPreset(name)
	if !ok {
		return nil, fmt.Errorf("json preset %q: unknown; want one of %s", name, strings.Join(JSONPresets(), ", "))
	}
	return NewJSON(overlay(p, opts))
}

// overlay returns preset with the settings given in opts replacing its own.
func overlay(preset, opts Options) Options {
	preset.Fields = mergeFields(preset.Fields, opts.Fields)
	if opts.TimeLayout != "" {
		preset.TimeLayout = opts.TimeLayout
	}
	if opts.DurationUnit != "" {
		preset.DurationUnit = opts.DurationUnit
	}
	if opts.Location != nil {
		preset.Location = opts.Location
	}
	if !opts.Date.IsZero() {
		preset.Date = opts.Date
	}
	if opts.Pattern != "" {
		preset.Pattern = opts.Pattern
	}
	return preset
}

// NewJSON returns a [JSON] for the mapping in opts.Fields, whose values are
// dotted paths, with "|" between alternatives tried in order
// ("request.client_ip|request.remote_ip"). The reserved name "match"
// filters lines: "logger=http.log.access*" keeps lines whose logger starts
// with http.log.access and returns [ErrIgnored] for the others. Without a
// time entry, the keys time, ts, timestamp and @timestamp are tried. Bare
// duration numbers are in seconds unless opts.DurationUnit says otherwise.
//
// It fails when the mapping names neither a request (request, method,
// path, target) nor a message, or when an entry, the time layout or the
// duration unit is invalid.
func NewJSON(opts Options) (*JSON, error) {
	fields := opts.Fields
	if _, ok := fields["time"]; !ok && len(fields) > 0 {
		fields = mergeFields(fields, map[string]string{"time": jsonTimeKeys})
	}
	maps, match, err := compileFields(fields)
	if err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	if !hasRequestField(maps) {
		return nil, errors.New("json: fields: need request, method, path, target or message")
	}
	conv, err := newConverter(opts, time.Second)
	if err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	conv.setGate(maps)
	j := &JSON{
		maps:     maps,
		slotOf:   make([][]int, len(maps)),
		slots:    make(map[string]int),
		prefixes: make(map[string]bool),
		match:    match,
		conv:     conv,
	}
	for i, m := range maps {
		for _, k := range m.keys {
			j.slotOf[i] = append(j.slotOf[i], j.slot(k))
		}
	}
	if match != nil {
		j.matchAt = j.slot(match.key)
	}
	j.vals = make([][]byte, len(j.slots))
	return j, nil
}

// slot returns the slot of a dotted path, adding it and its prefixes.
func (j *JSON) slot(path string) int {
	if s, ok := j.slots[path]; ok {
		return s
	}
	s := len(j.slots)
	j.slots[path] = s
	for i := range len(path) {
		if path[i] == '.' {
			j.prefixes[path[:i]] = true
		}
	}
	return s
}

// Decode implements [Decoder].
func (j *JSON) Decode(line []byte, emit func(*Event)) error {
	if err := j.parse(line, &j.ev); err != nil {
		return err
	}
	emit(&j.ev)
	return nil
}

// Flush implements [Decoder]; a JSON holds nothing between lines.
func (j *JSON) Flush(func(*Event)) {}

var composeSep = []byte("| {")

func (j *JSON) parse(line []byte, ev *Event) error {
	ev.Reset()
	ev.Raw = line
	i := skipWS(line, 0)
	if i == len(line) {
		return ErrIgnored
	}
	var w platform
	if line[i] != '{' {
		if k := bytes.Index(line, composeSep); k >= 0 {
			i = k + 2
		} else if msg, ok := parsePlatform(line[i:], &w); ok && len(msg) > 0 && msg[0] == '{' {
			i = len(line) - len(msg) // an app's JSON behind a platform's envelope
		} else {
			return malformed("json")
		}
	}
	clear(j.vals)
	// Unescaping never makes a string longer, so a buffer as long as the
	// line never grows mid-line and the slices into it stay valid.
	if cap(j.buf) < len(line) {
		j.buf = make([]byte, 0, len(line))
	}
	j.buf = j.buf[:0]
	j.path = j.path[:0]
	end, ok := j.object(line, i)
	if !ok || skipWS(line, end) != len(line) {
		return malformed("json")
	}
	if j.match != nil && !j.match.ok(j.vals[j.matchAt]) {
		return ErrIgnored
	}
	if err := j.conv.apply(ev, j.maps, j.mapped); err != nil {
		return err
	}
	if ev.Time.IsZero() && w.hasTime {
		ev.Time = w.time
	}
	return nil
}

// mapped returns the first non-empty value of the keys of mapping i.
func (j *JSON) mapped(i int) []byte {
	for _, s := range j.slotOf[i] {
		if len(j.vals[s]) > 0 {
			return j.vals[s]
		}
	}
	return nil
}

// setKind makes a message of an event with no method, path or status.
// A request with an empty or binary request line (nginx's 400s) keeps its
// status and stays a request.
func setKind(ev *Event) {
	if len(ev.Method) == 0 && len(ev.Path) == 0 && ev.Status == 0 {
		ev.Kind = KindMessage
	}
}

// object reads the object at s[i] == '{', storing the values of mapped
// paths and descending only into objects that lead to one. It returns the
// index after the closing brace.
func (j *JSON) object(s []byte, i int) (int, bool) {
	// The walk of jsonMembers, written out: this is the hot path of every
	// JSON format, and the method calls cost a tenth of it.
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(s) || s[i] != '"' {
			return i, false
		}
		mark := len(j.path)
		if mark > 0 {
			j.path = append(j.path, '.')
		}
		start, end, esc, next, ok := scanString(s, i)
		if !ok {
			return next, false
		}
		if esc {
			j.path = appendUnescaped(j.path, s[start:end])
		} else {
			j.path = append(j.path, s[start:end]...)
		}
		i = skipWS(s, next)
		if i >= len(s) || s[i] != ':' {
			return i, false
		}
		i = skipWS(s, i+1)
		if i >= len(s) {
			return i, false
		}
		if slot, found := j.slots[string(j.path)]; found && s[i] != '{' {
			i, ok = j.value(s, i, slot)
		} else if s[i] == '{' && j.prefixes[string(j.path)] {
			i, ok = j.object(s, i)
		} else {
			i, ok = skipValue(s, i)
		}
		j.path = j.path[:mark]
		if !ok {
			return i, false
		}
		i = skipWS(s, i)
		if i >= len(s) {
			return i, false
		}
		switch s[i] {
		case ',':
			i = skipWS(s, i+1)
		case '}':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// value stores the scalar at s[i] in slot; of an array, its first element
// when that is a scalar. It returns the index after the value.
func (j *JSON) value(s []byte, i, slot int) (int, bool) {
	if s[i] == '[' {
		k := skipWS(s, i+1)
		if k < len(s) && s[k] != '[' && s[k] != '{' && s[k] != ']' {
			if _, ok := j.scalar(s, k, slot); !ok {
				return k, false
			}
		}
		return skipValue(s, i)
	}
	return j.scalar(s, i, slot)
}

// scalar stores the string, number or literal at s[i] in slot.
func (j *JSON) scalar(s []byte, i, slot int) (int, bool) {
	if s[i] == '"' {
		start, end, esc, next, ok := scanString(s, i)
		if !ok {
			return next, false
		}
		if esc {
			n := len(j.buf)
			j.buf = appendUnescaped(j.buf, s[start:end])
			j.vals[slot] = j.buf[n:len(j.buf):len(j.buf)]
		} else {
			j.vals[slot] = s[start:end:end]
		}
		return next, true
	}
	end := scanToken(s, i)
	if end == i {
		return i, false
	}
	if string(s[i:end]) == "null" {
		j.vals[slot] = nil
	} else {
		j.vals[slot] = s[i:end:end]
	}
	return end, true
}
