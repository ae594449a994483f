package parsers

import (
	"bytes"
	"time"
)

// Kind tells a request line from any other line of an application log.
type Kind uint8

const (
	// KindRequest is one HTTP request (an access-log line, or a joined
	// Phoenix request/response pair).
	KindRequest Kind = iota
	// KindMessage is any other application log line (Phoenix's
	// "user registered", a logfmt app line without a method).
	KindMessage
)

// String returns "request" or "message".
func (k Kind) String() string {
	if k == KindMessage {
		return "message"
	}
	return "request"
}

// Field is one extra name/value pair a format carries beyond the fixed
// fields of [Event] (logfmt keys, JSON fields named in a mapping, named
// groups of a custom regular expression).
type Field struct {
	Name  string
	Value []byte
}

// Event is one parsed log line (or, for multi-line formats, one joined
// request). Parsers fill an Event in place and reuse it for the next line:
// every []byte field points into the line or into a buffer the parser owns,
// and is valid only until the next call. A consumer that keeps a value
// copies it.
//
// Absent values are zero: nil slices, Status 0, Bytes -1 and Duration -1
// when the line does not say.
type Event struct {
	Kind Kind
	// Time is the event time, in UTC. Zero when the line has none; the
	// reader then stamps it with the time the line was read.
	Time time.Time

	ClientIP  []byte // textual address, IPv4-mapped IPv6 folded to IPv4
	Host      []byte // virtual host, when the format has one
	Method    []byte // "GET", "POST", …
	Path      []byte // request target without the query string
	Query     []byte // query string without the "?", nil when absent
	Protocol  []byte // "HTTP/1.1"
	Status    int    // HTTP status; 0 when unknown
	Bytes     int64  // response body bytes; -1 when unknown
	UserAgent []byte
	Referer   []byte
	RequestID []byte
	Duration  time.Duration // time taken; -1 when unknown

	Level   []byte // log level of an application line ("info")
	Message []byte // message text of an application line

	// Extra holds any further fields the format named. Its backing array
	// is reused between lines.
	Extra []Field

	// Raw is the whole line the event came from (for multi-line formats,
	// the first line of the request).
	Raw []byte

	// v4 is the ClientIP that a parser found to be a dotted quad as
	// net/netip prints it, and v4net the length of its first three octets:
	// see ClientNet24.
	v4    []byte
	v4net int
}

// ClientNet24 returns the length of the first three octets of ClientIP
// ("203.0.113" of "203.0.113.7") when the parser found ClientIP to be a
// dotted quad as net/netip prints it, and 0 when it did not say: the
// detector cuts every request's /24 for its network rules, and reading
// the address again cost as much as the parser's own check. It holds only
// for the very slice the parser checked: once ClientIP is set to anything
// else, or copied, it is 0.
func (ev *Event) ClientNet24() int {
	if ev.v4net > 0 && len(ev.v4) == len(ev.ClientIP) && len(ev.v4) > 0 && &ev.v4[0] == &ev.ClientIP[0] {
		return ev.v4net
	}
	return 0
}

// MoveClientIP points ClientIP at b, a copy of its bytes made elsewhere
// (a replay's batch), and keeps what the parser found about it: the
// detector's network rules then cut the copy's /24 without reading it
// again ([Event.ClientNet24]).
func (ev *Event) MoveClientIP(b []byte) {
	net := ev.ClientNet24()
	if net > 0 && string(b) != string(ev.ClientIP) {
		net = 0 // not a copy: nothing is known of it
	}
	ev.ClientIP, ev.v4, ev.v4net = b, b, net
}

// Reset clears ev for the next line, keeping the capacity of Extra.
func (ev *Event) Reset() {
	extra := ev.Extra[:0]
	*ev = Event{Bytes: -1, Duration: -1, Extra: extra}
}

// Lookup returns the value of the extra field name, and whether it exists.
func (ev *Event) Lookup(name string) ([]byte, bool) {
	for i := range ev.Extra {
		if ev.Extra[i].Name == name {
			return ev.Extra[i].Value, true
		}
	}
	return nil, false
}

// AddExtra appends an extra field.
func (ev *Event) AddExtra(name string, value []byte) {
	ev.Extra = append(ev.Extra, Field{Name: name, Value: value})
}

// SplitTarget sets Path and Query from a request target such as
// "/users/register?x=1". An absolute-form target
// ("http://host/path?q") keeps its scheme and host in Path, so that rules
// can see proxy probes for what they are.
func (ev *Event) SplitTarget(target []byte) {
	if i := bytes.IndexByte(target, '?'); i >= 0 {
		ev.Path, ev.Query = target[:i], target[i+1:]
		return
	}
	ev.Path, ev.Query = target, nil
}

// names interns the names of extra fields read from lines (logfmt keys,
// Phoenix metadata), so that a name the decoder has seen costs no
// allocation. It keeps at most max names: past that, a new name is a new
// string each time, and memory stays bounded whatever the input. The zero
// value is ready to use.
type names struct {
	m   map[string]string
	max int // 0 means 256
}

// intern returns b as a string.
func (n *names) intern(b []byte) string {
	if s, ok := n.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if n.m == nil {
		n.m = make(map[string]string)
	}
	if limit := n.max; len(n.m) < limit || limit == 0 && len(n.m) < 256 {
		n.m[s] = s
	}
	return s
}
