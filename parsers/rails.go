package parsers

import (
	"bytes"
	"strings"
	"time"
)

// Rails decodes the default request log of a Ruby on Rails app, in which
// one request is several lines:
//
//	Started POST "/users" for 203.0.113.9 at 2025-03-02 10:15:04 +0000
//	Processing by RegistrationsController#create as HTML
//	  Parameters: {"user"=>{"email"=>"[FILTERED]"}}
//	Completed 302 Found in 41ms (ActiveRecord: 9.8ms | Allocations: 6012)
//
// Each line may carry Ruby's Logger::Formatter prefix
// ("I, [2020-09-15T01:31:24.049031 #11103]  INFO -- : "), tags
// ("[5b1e0c7a-6f0e-4b55-9a8e-2f3c1d9e7a10] ", config.log_tags), and a
// platform's envelope (Heroku, Render, Fly; see parsePlatform).
//
// The decoder holds each Started line and emits one [KindRequest] event
// when its Completed line comes: Method, Path, Query and ClientIP from
// the Started line, Status and Duration from the Completed line, Time
// their sum (the request's end, see the times below),
// RequestID from the first tag that looks like a request id, and the
// extra fields controller, action and format from the Processing line.
// A Started line is paired with the Completed line of the same tags
// (Rails' production configuration tags every line with the request id);
// without tags, of the same process id (Logger::Formatter's "#11103"),
// and without either, in order. Where keys repeat (threads of one process
// logging without tags, or a request of it that never logged its
// Completed line), a Completed line completes the newest Started line of
// its key from no later than the Completed line's time less its duration
// (the request's start, to the millisecond), else the oldest; a
// Processing line, likewise, the newest from no later than itself. The
// count of requests is exact; the pairing of a status with its request
// is a guess only for requests of one process that started within the
// same few milliseconds, and a request that never completes is emitted
// without a status, as below, not given its follower's.
//
// A routing error ("ActionController::RoutingError (No route matches …)"),
// which Rails logs instead of a Completed line, completes its request
// with Status 404. A request whose Completed line never comes (a
// Rack::Attack block, a crash) is emitted without a status after 60 s of
// event time, when [Rails.MaxPending] requests are already waiting, or
// by Flush.
//
// Indented lines (Parameters, Rendered, backtraces) return [ErrIgnored],
// as do the router lines of a Heroku drain (their requests are the Rails
// lines'; the heroku format reads such a drain the other way round). Any
// other line is emitted at once as a [KindMessage] event with Level,
// Message, RequestID and Time, so that rules can count an app's own lines
// ("user registered").
//
// Lines of any other shape are malformed, unless a platform's envelope
// wraps them.
//
// Times: a platform's stamp is the request's start; else the "at" stamp
// of a Started line; else the Logger prefix's time. That one has no zone:
// it is read in [Options.Location], then moved by the offset the first
// Started line shows between its prefix and its "at" stamp. The event is
// stamped at the request's end, its start plus its duration (see
// pendingReq.end), as nginx stamps its line.
// A Rails is not safe for concurrent use.
type Rails struct {
	// MaxPending caps the requests that wait for their Completed line.
	// Zero or less means [DefaultMaxPending].
	MaxPending int

	loc    *time.Location
	offset time.Duration // what turns a Logger prefix time into UTC, once known
	zoned  bool          // offset is known
	table  pendingTable
	clock  requestClock // the latest line time, for the 60 s expiry
	starts uint64       // Started lines held, for tests: each becomes one request
	ev     Event
	stamp  [64]byte
	msgBuf []byte // the unescaped line of a Fly log shipper record
}

var _ Decoder = (*Rails)(nil)

// NewRails returns a decoder for Rails logs; opts.Location is the zone of
// Logger prefix times (nil means UTC).
func NewRails(opts Options) *Rails {
	r := &Rails{loc: opts.location()}
	r.table.init()
	return r
}

// railsLine is one Rails log line taken apart.
type railsLine struct {
	level []byte // "INFO"
	tags  []byte // "[a] [b]", the key of a request's lines
	rid   []byte // the first tag that looks like a request id
	pid   []byte // "#11103" of the Logger prefix
	msg   []byte
	time  time.Time
	// local is the time of the Logger prefix as written, in the
	// decoder's Location; zero without a prefix.
	local time.Time
}

// Decode implements [Decoder].
func (r *Rails) Decode(line []byte, emit func(*Event)) error {
	line = phxTrimRight(line)
	if len(line) == 0 {
		return ErrIgnored
	}
	var rl railsLine
	var w platform
	inner := line
	switch {
	case line[0] == '{':
		// Fly's log shipper: the app's line in a JSON record.
		in, err := parseFlyJSON(line, &w, &r.msgBuf, "rails")
		if err != nil {
			return err
		}
		inner, rl.time = in, w.time
	case mayHaveEnvelope(line):
		if in, ok := parsePlatform(line, &w); ok {
			if w.router() {
				return ErrIgnored
			}
			inner = in
			if w.hasTime {
				rl.time = w.time
			}
		}
	}
	if !parseRailsLine(inner, r.loc, &rl) && !w.ok {
		return malformed("rails")
	}
	if rl.time.IsZero() && !rl.local.IsZero() {
		rl.time = rl.local.Add(r.offset)
	}
	if len(rl.msg) == 0 || rl.msg[0] == ' ' || rl.msg[0] == '\t' {
		return ErrIgnored // Parameters, Rendered, a backtrace
	}
	key := rl.tags
	if key == nil {
		key = rl.pid
	}
	msg := rl.msg
	switch {
	case bytes.HasPrefix(msg, []byte("Started ")):
		method, target, ip, at, ok := railsStarted(msg[len("Started "):], r.stamp[:0])
		if !ok {
			return fieldError("request", msg)
		}
		t := rl.time
		if !w.hasTime && !at.IsZero() {
			t = at
			if !rl.local.IsZero() {
				if !r.zoned {
					// The prefix has the local time without a zone, the
					// Started line the zone at second precision: learn
					// the offset, in quarter hours.
					r.offset = at.Sub(rl.local).Round(15 * time.Minute)
					r.zoned = true
				}
				t = rl.local.Add(r.offset)
			}
		}
		r.see(t)
		r.expire(emit)
		r.hold(line, key, &rl, method, target, ip, t, emit)
		return nil
	case bytes.HasPrefix(msg, []byte("Processing by ")):
		if x := r.findStarted(key, rl.time, 0); x >= 0 {
			r.processing(&r.table.slots[x], msg[len("Processing by "):])
		}
		r.see(rl.time)
		r.expire(emit)
		return nil
	case bytes.HasPrefix(msg, []byte("Completed ")):
		status, dur, ok := railsCompleted(msg[len("Completed "):])
		if !ok {
			return fieldError("status", msg)
		}
		r.see(rl.time)
		return r.complete(key, rl.time, status, dur, emit)
	case bytes.HasPrefix(msg, []byte("ActionController::RoutingError ")):
		r.see(rl.time)
		if r.complete(key, rl.time, 404, -1, emit) == nil {
			return nil
		}
	}
	r.see(rl.time)
	r.expire(emit)
	ev := &r.ev
	ev.Reset()
	ev.Kind, ev.Time, ev.Raw = KindMessage, rl.time, line
	ev.Level, ev.Message, ev.RequestID = rl.level, msg, rl.rid
	if ev.Level == nil {
		ev.Level = w.level
	}
	for _, x := range w.extras() {
		if x.Name != "" {
			ev.AddExtra(x.Name, x.Value)
		}
	}
	emit(ev)
	return nil
}

// Flush implements [Decoder]: it emits every waiting request, oldest
// first, with Status 0.
func (r *Rails) Flush(emit func(*Event)) {
	for r.table.head >= 0 {
		r.emitHeld(r.table.head, 0, -1, emit)
	}
}

func (r *Rails) maxPending() int {
	if r.MaxPending <= 0 {
		return DefaultMaxPending
	}
	return r.MaxPending
}

func (r *Rails) see(t time.Time) { r.clock.see(t) }

// expire emits, with Status 0, the requests that have waited too long,
// and those from before a reset of the clock.
func (r *Rails) expire(emit func(*Event)) {
	for r.table.head >= 0 && r.clock.stale(r.table.slots[r.table.head].at) {
		r.emitHeld(r.table.head, 0, -1, emit)
	}
}

// hold keeps a Started line until its Completed line, making room first.
func (r *Rails) hold(line, key []byte, rl *railsLine, method, target, ip []byte, t time.Time, emit func(*Event)) {
	for limit := r.maxPending(); r.table.count >= limit && r.table.head >= 0; {
		r.emitHeld(r.table.head, 0, -1, emit)
	}
	r.starts++
	x, s := r.table.alloc()
	s.reset(line)
	s.key = s.ref(line, key)
	if s.key.off < 0 {
		s.key = span{0, 0} // no tags, no pid: one key, in order
	}
	s.method = s.ref(line, method)
	s.target = s.ref(line, target)
	s.ip = s.ref(line, ip)
	s.rid = s.ref(line, rl.rid)
	s.level = s.ref(line, rl.level)
	s.time, s.at = t, t
	r.table.add(x)
}

// processing adds the controller, action and format of a "Processing by
// UsersController#create as HTML" line to the request held in s; the
// values are copied, since s holds another line.
func (r *Rails) processing(s *pendingReq, rest []byte) {
	sp := bytes.IndexByte(rest, ' ')
	if sp < 0 {
		sp = len(rest)
	}
	ca := rest[:sp]
	if h := bytes.IndexByte(ca, '#'); h > 0 {
		s.addExtra("controller", nil, ca[:h])
		s.addExtra("action", nil, ca[h+1:])
	}
	if f, ok := bytes.CutPrefix(rest[sp:], []byte(" as ")); ok && len(f) > 0 && bytes.IndexByte(f, ' ') < 0 {
		s.addExtra("format", nil, f)
	}
}

// railsStartSlack is how much later than its line's time less its
// duration a request may have started: Rails rounds the duration to the
// millisecond.
const railsStartSlack = time.Millisecond

// findStarted returns the request held under key that a line at t, about
// a request that has run for dur (-1: unknown), is about: see
// [pendingTable.findStarted]. Without the line's time it is the oldest.
func (r *Rails) findStarted(key []byte, t time.Time, dur time.Duration) int32 {
	if key == nil {
		key = []byte{}
	}
	if !t.IsZero() {
		t = t.Add(railsStartSlack - max(dur, 0))
	}
	return r.table.findStarted(key, t)
}

// complete emits the request held under key that a line at t, reporting
// status after dur, completes (see findStarted).
func (r *Rails) complete(key []byte, t time.Time, status int, dur time.Duration, emit func(*Event)) error {
	x := r.findStarted(key, t, dur)
	if x < 0 {
		return ErrIgnored // its Started line was before the input began
	}
	r.emitHeld(x, status, dur, emit)
	r.expire(emit)
	return nil
}

// emitHeld emits the request in slot x and frees the slot.
func (r *Rails) emitHeld(x int32, status int, dur time.Duration, emit func(*Event)) {
	ev := &r.ev
	r.table.slots[x].event(ev)
	ev.Time = r.table.slots[x].end(dur, r.clock.newest)
	ev.Status, ev.Duration = status, dur
	emit(ev)
	r.table.remove(x)
}

// parseRailsLine takes apart "[Logger prefix][tags]message" and reports
// whether it is a Rails line: one with a Logger prefix, tags, or a
// message of Rails' request log.
func parseRailsLine(s []byte, loc *time.Location, rl *railsLine) bool {
	prefixed := false
	if msg, ok := parseLoggerPrefix(s, loc, rl); ok {
		s, prefixed = msg, true
	}
	// Tags: "[a] [b] message".
	start := s
	for n := 0; len(s) > 1 && s[0] == '[' && n < 8; n++ {
		end := bytes.IndexByte(s, ']')
		if end < 1 || (end+1 < len(s) && s[end+1] != ' ') {
			break
		}
		if tag := s[1:end]; rl.rid == nil && isRequestID(tag) {
			rl.rid = tag
		}
		rl.tags = start[:len(start)-len(s)+end+1]
		s = s[end+1:]
		if len(s) > 0 {
			s = s[1:]
		}
	}
	rl.msg = s
	return prefixed || rl.tags != nil || railsMessage(s)
}

// railsWords start the messages of Rails' request log.
var railsWords = [...]string{"Started ", "Processing by ", "Completed ", "Redirected to ", "Rendered ", "Rendering ",
	"Filter chain halted", "Can't verify CSRF", "ActionController::", "ActiveRecord::", "  "}

func railsMessage(s []byte) bool {
	for _, w := range railsWords {
		if bytes.HasPrefix(s, []byte(w)) {
			return true
		}
	}
	return false
}

// parseLoggerPrefix reads Ruby's Logger::Formatter prefix,
// "I, [2020-09-15T01:31:24.049031 #11103]  INFO -- progname: ", and returns
// the message after it.
func parseLoggerPrefix(s []byte, loc *time.Location, rl *railsLine) ([]byte, bool) {
	if len(s) < 8 || s[1] != ',' || s[2] != ' ' || s[3] != '[' || strings.IndexByte("DIWEFAU", s[0]) < 0 {
		return nil, false
	}
	end := bytes.IndexByte(s, ']')
	if end < 0 {
		return nil, false
	}
	head := s[4:end]
	hash := bytes.LastIndexByte(head, '#')
	if hash < 1 || !allDigits(head[hash+1:]) {
		return nil, false
	}
	rest := s[end+1:]
	for len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	sp := bytes.Index(rest, []byte(" -- "))
	if sp < 1 {
		return nil, false
	}
	colon := bytes.Index(rest[sp+4:], []byte(": "))
	if colon < 0 {
		if !bytes.HasSuffix(rest, []byte(":")) {
			return nil, false
		}
		colon = len(rest) - sp - 4 - 1 // "-- :" and nothing after
	}
	rl.level, rl.pid = rest[:sp], head[hash:]
	if t, ok := parseRFC3339(bytes.TrimSpace(head[:hash]), loc); ok {
		rl.local = t
	}
	msg := rest[sp+4+colon+1:]
	if len(msg) > 0 {
		msg = msg[1:]
	}
	return msg, true
}

// isRequestID reports whether a tag looks like a request id: 16 to 200
// letters, digits, '-' and '_' (a UUID, Heroku's and Plug's ids).
func isRequestID(b []byte) bool {
	if len(b) < 16 || len(b) > 200 {
		return false
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// railsStarted reads `POST "/users" for 203.0.113.9 at 2025-03-02
// 10:15:04 +0000`. The time is zero when the line has none; buf is room
// to rebuild it.
func railsStarted(b, buf []byte) (method, target, ip []byte, at time.Time, ok bool) {
	sp := bytes.IndexByte(b, ' ')
	if sp < 1 || !isMethod(b[:sp]) || len(b) < sp+3 || b[sp+1] != '"' {
		return nil, nil, nil, at, false
	}
	method = b[:sp]
	rest := b[sp+2:]
	q := bytes.Index(rest, []byte(`" for `))
	if q < 0 {
		return nil, nil, nil, at, false
	}
	target, rest = rest[:q], rest[q+len(`" for `):]
	addr := rest
	if a := bytes.Index(rest, []byte(" at ")); a >= 0 {
		addr = rest[:a]
		at, _ = parseRubyTime(rest[a+len(" at "):], buf)
	}
	if a, ok := ClientAddr(addr); ok {
		ip = a
	}
	return method, target, ip, at, true
}

// parseRubyTime reads Ruby's Time#to_s, "2025-03-02 10:15:04 +0000".
func parseRubyTime(b, buf []byte) (time.Time, bool) {
	if len(b) != 25 || b[19] != ' ' {
		return time.Time{}, false
	}
	buf = append(buf[:0], b[:19]...)
	buf = append(buf, b[20:]...)
	return parseRFC3339(buf, time.UTC)
}

// railsCompleted reads "302 Found in 41ms (…)" and "500  in 194ms".
func railsCompleted(b []byte) (status int, dur time.Duration, ok bool) {
	if len(b) < 3 {
		return 0, 0, false
	}
	status, ok = digits(b[:3])
	if !ok || status < 100 || (len(b) > 3 && b[3] != ' ') {
		return 0, 0, false
	}
	dur = -1
	if i := bytes.Index(b, []byte(" in ")); i >= 0 {
		d := b[i+len(" in "):]
		if sp := bytes.IndexByte(d, ' '); sp >= 0 {
			d = d[:sp]
		}
		if v, ok := parseDuration(d, time.Millisecond); ok {
			dur = v
		}
	}
	return status, dur, true
}
