package parsers

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Decoder turns the lines of one log format into events. A Decoder is not
// safe for concurrent use; give each source its own.
type Decoder interface {
	// Decode parses one line, without its line ending, and calls emit for
	// every event the line completes: usually one, none for the first half
	// of a Phoenix request, and sometimes more. The *Event given to emit is
	// valid only during the call. A line that is not of the format returns
	// an error (a *LineError when a field is at fault, or [ErrIgnored] for
	// a well-formed line that carries no event) and emits nothing.
	Decode(line []byte, emit func(*Event)) error
	// Flush emits what the decoder still holds at the end of the input,
	// such as requests whose response line never came.
	Flush(emit func(*Event))
}

// ErrIgnored is returned for lines that belong to the format but carry no
// event: Caddy's non-access logger lines, blank or comment lines. They are
// counted apart from malformed lines.
var ErrIgnored = errors.New("not an event line")

// ErrMalformed is the Err of a [LineError] whose line does not have the
// shape of its format at all.
var ErrMalformed = errors.New("malformed line")

// LineError is a problem with one input line. Parsers set Field and Err;
// the reader fills File and Line. It prints as
// `access.log:812: status: invalid "2x0"`.
type LineError struct {
	File  string
	Line  int64
	Field string // the field at fault, "" for the line as a whole
	Err   error
}

func (e *LineError) Error() string {
	s := ""
	if e.File != "" {
		s = e.File + ":"
	}
	if e.Line > 0 {
		s += strconv.FormatInt(e.Line, 10) + ":"
	}
	if s != "" {
		s += " "
	}
	if e.Field != "" {
		s += e.Field + ": "
	}
	return s + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *LineError) Unwrap() error { return e.Err }

// fieldError returns a *LineError for field with an "invalid %q" message;
// the value is cut to 64 bytes.
func fieldError(field string, value []byte) error {
	if len(value) > 64 {
		value = value[:64]
	}
	return &LineError{Field: field, Err: fmt.Errorf("invalid %q", value)}
}

// malformed returns a *LineError for a line that is not of the format.
func malformed(format string) error {
	return &LineError{Err: fmt.Errorf("%w: not %s", ErrMalformed, format)}
}

// ParseFunc parses one line of a line-per-event format into ev. It calls
// ev.Reset first.
type ParseFunc func(line []byte, ev *Event) error

// Stateless adapts a [ParseFunc] to a [Decoder].
type Stateless struct {
	Parse ParseFunc
	ev    Event
}

var _ Decoder = (*Stateless)(nil)

// Decode implements [Decoder].
func (s *Stateless) Decode(line []byte, emit func(*Event)) error {
	if err := s.Parse(line, &s.ev); err != nil {
		return err
	}
	emit(&s.ev)
	return nil
}

// Flush implements [Decoder]; a stateless decoder holds nothing.
func (s *Stateless) Flush(func(*Event)) {}

// Options configure a format. The zero value suits every built-in format
// except regex, which needs a Pattern.
type Options struct {
	// Fields maps event field names (time, client_ip, host, method, path,
	// query, target, protocol, status, bytes, user_agent, referer,
	// request_id, duration, level, message, or any other name, kept as an
	// extra field) to the keys of the format: a dotted path into a JSON
	// object ("request.headers.User-Agent") or a logfmt key. Three more
	// names shape the event: forwarded_for, an X-Forwarded-For list that
	// gives the client when client_ip is absent or a proxy's;
	// request_if, a key without which a line is a message; and start,
	// the request's start, which with a duration gives the event's time
	// (the response's end, before time), without one stands in for a
	// missing time. A preset
	// (caddy, nginx_json, slog_json, railway_json, …) fills it; entries
	// given here override the preset's.
	Fields map[string]string
	// Pattern is the regular expression of the regex format. Its named
	// groups take event field names, as in Fields.
	Pattern string
	// TimeLayout says how to read the time field: a Go layout
	// ("2006-01-02 15:04:05"), or one of "rfc3339", "clf"
	// ("02/Jan/2006:15:04:05 -0700"), "unix", "unix_ms", "unix_us",
	// "unix_ns". Empty means: guess among these.
	TimeLayout string
	// DurationUnit is the unit of a bare duration number ("s", "ms", "us",
	// "ns"); a value with its own suffix ("7ms") keeps it. Empty means the
	// format's default (seconds for JSON presets).
	DurationUnit string
	// Location is the zone of times that carry none (Phoenix, HAProxy,
	// layouts without a zone). Nil means UTC.
	Location *time.Location
	// Date is the day of formats that log only the time of day (Phoenix
	// without a dated prefix). Zero means unknown: the reader then supplies
	// the file's modification time.
	Date time.Time
}

// location returns o.Location, or UTC.
func (o Options) location() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}
