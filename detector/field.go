package detector

import (
	"strconv"
	"time"

	"github.com/sentinel-dev/sentinel/parsers"
)

// Field reads one named value of an [Event]. Rules filter, group and
// count distinct values through Fields, so that any parsed field,
// including an application message or an extra field, can drive a rule.
type Field struct {
	Name    string
	get     func(*Event) []byte
	hash    func(*Event) uint64 // keyHash of get's value, kept per event; nil for most fields
	hllHash func(*Event) uint64 // slidinghll.Hash of get's value, kept per event; nil for most fields
	number  func(*Event) (float64, bool)
	numeric bool
	// state is set for the fields whose value depends on the engine's
	// earlier events (cold, program_client), not on the event alone.
	state bool
}

// Bytes returns the field's value in ev as text; nil when absent. The
// slice is valid as long as ev is, and for a derived value (client_net,
// bytes, duration) until the next call.
func (f Field) Bytes(ev *parsers.Event) []byte { return f.get(&Event{Event: ev}) }

// Number returns the field's numeric value, and whether it has one.
func (f Field) Number(ev *parsers.Event) (float64, bool) { return f.num(&Event{Event: ev}) }

// num is Number for the engine's events. A pointer receiver: a range
// condition (status: 500-599) asks for every request, and a copy of the
// field cost a third of the check.
func (f *Field) num(ev *Event) (float64, bool) {
	if f.number != nil {
		return f.number(ev)
	}
	return parseNumber(f.get(ev))
}

// hashOf returns keyHash(v), where v is the field's value in ev or, when
// longer than maxKeyBytes, its cut: the client's address and network are
// hashed once per event for every table that keys on them.
func (f *Field) hashOf(ev *Event, v []byte) uint64 {
	if f.hash != nil && len(v) < maxKeyBytes {
		return f.hash(ev)
	}
	return keyHash(v)
}

// Numeric reports whether the field is a number by nature (status, bytes,
// duration), so that "200-399" means a range rather than text.
func (f Field) Numeric() bool { return f.numeric }

// builtinFields are the fields every format fills the same way.
var builtinFields = map[string]Field{
	"client_ip": {get: func(e *Event) []byte { return e.ClientIP }, hash: (*Event).clientIPHash,
		hllHash: (*Event).clientIPDistinct},
	"client_net": {get: (*Event).clientNet, hash: (*Event).clientNetHash},
	"host":       {get: func(e *Event) []byte { return e.Host }},
	"method":     {get: func(e *Event) []byte { return e.Method }},
	"path":       {get: func(e *Event) []byte { return e.Path }},
	// route is the path with its identifiers as :id ("/orders/:id/pay"):
	// one key per route, whatever the record.
	"route": {get: (*Event).routeText},
	// endpoint is the route of a read, the method and route of a write
	// ("POST /users/log_in"): a form's failing post apart from its page.
	"endpoint":   {get: (*Event).endpointText},
	"query":      {get: func(e *Event) []byte { return e.Query }},
	"protocol":   {get: func(e *Event) []byte { return e.Protocol }},
	"user_agent": {get: func(e *Event) []byte { return e.UserAgent }, hllHash: (*Event).agentDistinct},
	"referer":    {get: func(e *Event) []byte { return e.Referer }},
	"request_id": {get: func(e *Event) []byte { return e.RequestID }},
	"level":      {get: func(e *Event) []byte { return e.Level }},
	"message":    {get: func(e *Event) []byte { return e.Message }},
	"kind":       {get: func(e *Event) []byte { return kindText[e.Kind] }},
	// crawler is a well-known crawler's name ("googlebot") when the user
	// agent names it and the address is in its published networks.
	"crawler": {get: verifiedCrawler},
	// cold is "true" when the client loaded no page or asset lately (a bot
	// posting to a form without loading it), "false" when it did.
	"cold": {get: (*Event).cold, state: true},
	// no_pause is "true" when the client loaded no page lately (cold) or
	// posted within 3 s of its visit's first page: no person's pause
	// between a form's page and its post (a tool fetching the form for its
	// CSRF token), "false" when it paused, nil as cold's.
	"no_pause": {get: (*Event).noPause, state: true},
	// program_client is "true" when the user agent is a program's (neither
	// a browser's nor a native app's) and the client's address has sent
	// neither, and at most three different ones, within the day: a job run
	// from cron, not a proxy relaying people, an app's users or an API's
	// many clients. "false" otherwise, and for a request without a user
	// agent.
	"program_client": {get: (*Event).programClient, state: true},
	// native_app is "true" when the user agent is a native app's HTTP
	// stack (okhttp, CFNetwork, Dalvik, Dart, Alamofire, an app naming the
	// phone): its users log in without loading a page. Not a web view's:
	// Android's in-app browsers (Facebook's, Gmail's) send "; wv)" too, and
	// their users load pages; the evidence leaves web views out of its cold
	// and hasty signs (appClient), the drip rules out of their counts.
	"native_app": {get: func(e *Event) []byte {
		if nativeApp(e.UserAgent) {
			return trueText
		}
		return falseText
	}},
	"status": {numeric: true,
		get: func(e *Event) []byte {
			if e.Status <= 0 || e.Status >= len(statusText) {
				return nil
			}
			return statusText[e.Status]
		},
		number: func(e *Event) (float64, bool) { return float64(e.Status), e.Status != 0 }},
	"bytes": {numeric: true,
		get: func(e *Event) []byte {
			if e.Event.Bytes < 0 {
				return nil
			}
			return strconv.AppendInt(e.bytesText[:0], e.Event.Bytes, 10)
		},
		number: func(e *Event) (float64, bool) { return float64(e.Event.Bytes), e.Event.Bytes >= 0 }},
	// duration is in seconds, so that "duration: 2-" means two seconds or more.
	"duration": {numeric: true,
		get: func(e *Event) []byte {
			if e.Duration < 0 {
				return nil
			}
			return append(e.durationText[:0], e.Duration.String()...)
		},
		number: func(e *Event) (float64, bool) {
			return float64(e.Duration) / float64(time.Second), e.Duration >= 0
		}},
}

// statusText holds "100" … "999", so that grouping by status does not
// allocate.
var statusText = func() [][]byte {
	t := make([][]byte, 1000)
	for i := 100; i < len(t); i++ {
		t[i] = strconv.AppendInt(nil, int64(i), 10)
	}
	return t
}()

var kindText = [...][]byte{parsers.KindRequest: []byte("request"), parsers.KindMessage: []byte("message")}

// FieldNames lists the built-in field names, for help texts and errors.
func FieldNames() []string {
	return []string{"client_ip", "client_net", "host", "method", "path", "route", "endpoint", "query", "protocol", "status", "bytes",
		"duration", "user_agent", "referer", "request_id", "level", "message", "kind", "crawler", "cold", "no_pause", "native_app", "program_client"}
}

// FieldValues returns every value the built-in field called name can
// have, for the fields that take few (kind, cold, no_pause, native_app,
// program_client, crawler), and nil for
// the rest: an equality on another value would never hold.
func FieldValues(name string) []string {
	switch name {
	case "kind":
		return []string{string(kindText[parsers.KindRequest]), string(kindText[parsers.KindMessage])}
	case "cold", "no_pause", "native_app", "program_client":
		return []string{string(trueText), string(falseText)}
	case "crawler":
		names := make([]string, len(crawlers))
		for i, c := range crawlers {
			names[i] = c.name
		}
		return names
	}
	return nil
}

// IsBuiltinField reports whether name is one of [FieldNames].
func IsBuiltinField(name string) bool {
	_, ok := builtinFields[name]
	return ok
}

// LookupField returns the field called name: a built-in one, or else an
// extra field of that name (a logfmt key, a mapped JSON field, a named
// regexp group).
func LookupField(name string) Field {
	if f, ok := builtinFields[name]; ok {
		f.Name = name
		return f
	}
	return Field{Name: name, get: func(e *Event) []byte {
		v, _ := e.Lookup(name)
		return v
	}}
}

// parseNumber parses a decimal number without allocating.
func parseNumber(b []byte) (float64, bool) {
	if len(b) == 0 || len(b) > 32 {
		return 0, false
	}
	// Integers, the common case, by hand.
	n, neg, i := 0.0, false, 0
	if b[0] == '-' {
		neg, i = true, 1
	}
	if i == len(b) {
		return 0, false
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			f, err := strconv.ParseFloat(string(b), 64)
			return f, err == nil
		}
		n = n*10 + float64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
