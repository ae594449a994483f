package parsers

import (
	"bytes"
	"time"
)

// DefaultMaxPending is the number of requests a [Phoenix] decoder holds
// while they wait for their Sent line, unless [Phoenix.MaxPending] says
// otherwise.
const DefaultMaxPending = 10000

// phxPendingTimeout is how long, in event time, a request may wait for its
// Sent line before it is emitted without a status.
const phxPendingTimeout = 60 * time.Second

// phxClockReset is how far event time may step back before the decoder
// takes it for a new stream rather than for lines out of order.
const phxClockReset = time.Hour

// phxStraggler is how far a time of day may step back across midnight
// (23:59:59.9 after 00:00:00.1) and still be read as the day before rather
// than as a forward jump on the same day.
const phxStraggler = 5 * time.Minute

// phxMaxMeta caps the metadata pairs of one line; a line with more is not
// Phoenix.
const phxMaxMeta = 32

// phxMaxNames caps the interned metadata key names.
const phxMaxNames = 128

// Phoenix decodes the default Logger output of an Elixir/Phoenix app
// (format "$time $metadata[$level] $message"), also in its dev form
// ("[$level] $message"), dated ("$date $time …"), and behind a platform's
// envelope (see parsePlatform): Fly.io's `fly logs` rendering
// ("2024-10-14T23:31:34Z app[6e82541eb56648] syd [info] <line>") and its
// NATS/vector JSON envelope ({"message":"<line>","timestamp":"…",…}),
// Heroku's `heroku logs` and drains, and RFC 5424 syslog (Render).
//
// Phoenix logs a request as two lines, "POST /users/register" when it
// starts and "Sent 302 in 7ms" (or "Chunked …") when it ends, possibly
// interleaved with the lines of other requests. The decoder holds each
// start line, keyed by its request_id metadata, and emits one
// [KindRequest] event when the matching Sent line arrives: Method, Path,
// RequestID, ClientIP, Level and Extra come from the start line, Status
// and Duration from the Sent line, and Time is the request's end, the
// start line's time plus the duration, as nginx stamps its line (a slow
// request stamped at its start would be dropped as late; without a
// duration, when it raised or was given up on: see pendingReq.end). A
// request whose Sent line never
// comes still counts: it is emitted with Status 0 and Duration -1 when it
// has waited more than 60 s of event time (measured against the newest
// line), when [Phoenix.MaxPending] requests are already waiting (oldest
// first), when a new start line reuses its request_id (the id is
// client-controlled), or by Flush. A Sent line with nothing waiting for it
// returns [ErrIgnored]. When event time steps back by more than an hour
// (files of different days read in turn), the decoder takes it for a new
// stream and emits the requests still waiting from before.
//
// Without a request_id (the dev format) a start line is paired with the
// next start or Sent line that has no request_id either: a Sent line
// completes it, another start line emits it with Status 0. Lines in
// between (debug output, app messages) do not break the pair.
//
// An error report (a line at level error or worse) carrying the request_id
// of a waiting request completes it with Status 500: the request raised,
// Plug answered 500, and Phoenix logs the report instead of a Sent line.
//
// Any other line at any level is emitted at once as a [KindMessage] event
// with Level, Message (the text after "[level] "), RequestID and Time, so
// that rules can count app lines such as "user registered". Metadata
// renders as "key=value " pairs in any order: request_id becomes
// RequestID, client_ip (or else remote_ip) becomes ClientIP, any other key
// is an extra field. Lines behind Fly gain the extra fields fly_region and
// fly_instance, lines behind Heroku the extra field dyno, and app output
// that is not a Logger line becomes a message with the platform's level. Lines that start with white space
// (continuations: "  Parameters: %{…}", stack traces) and blank lines
// return [ErrIgnored]; lines of any other shape are malformed.
//
// Times: a platform's stamp is the event time (it is dated
// and in UTC). Otherwise "HH:MM:SS.mmm" is a time of day in
// [Options.Location] on the day of [Options.Date] (or of the line's own
// "YYYY-MM-DD"), converted to UTC with the zone rules of that day. When a
// time of day is more than 12 hours earlier than the latest one of the
// current day, the day advances (midnight rollover); a step back of a few
// minutes across midnight is read as the day before; smaller steps back
// are interleaving. With a zero [Options.Date] the date is unknown: such
// lines get a zero Time, which the reader replaces with the time it read
// the line (times of day still order the 60 s expiry).
//
// The decoder does not allocate per line once warm: held requests are
// copied into reused slots. Its memory is bounded by MaxPending slots. A
// Phoenix is not safe for concurrent use.
type Phoenix struct {
	// MaxPending caps the requests with a request_id that wait for their
	// Sent line (one more without a request_id may wait besides). Zero or
	// less means [DefaultMaxPending]. It may be lowered between calls; the
	// excess is emitted with the next start line.
	MaxPending int

	ready  bool // init has run
	loc    *time.Location
	dated  bool // the day is known
	year   int
	month  time.Month
	day    int
	dayOff int           // days after year-month-day, advanced at midnight
	maxTOD time.Duration // latest time of day on the current day; -1 before the first
	clock  requestClock  // the latest line time, for the 60 s expiry

	// Requests waiting for their Sent line, by request_id.
	table pendingTable

	held    pendingReq // a start line without request_id
	hasHeld bool

	starts uint64 // start lines accepted, for tests: each becomes one request

	meta   []phxMeta // metadata of the current line
	msgBuf []byte    // the unescaped message of a JSON envelope
	names  names     // of metadata keys
	ev     Event
}

var _ Decoder = (*Phoenix)(nil)

// NewPhoenix returns a decoder for Phoenix logs. It uses opts.Location
// (nil means UTC) and opts.Date: the calendar day of opts.Date in that
// location is the day of the first line that has only a time of day. A
// zero opts.Date means the date is unknown (see [Phoenix]).
func NewPhoenix(opts Options) *Phoenix {
	p := &Phoenix{loc: opts.location()}
	p.init()
	if !opts.Date.IsZero() {
		p.dated = true
		p.year, p.month, p.day = opts.Date.In(p.loc).Date()
	}
	return p
}

// init readies p; a zero Phoenix acts as NewPhoenix(Options{}).
func (p *Phoenix) init() {
	if p.ready {
		return
	}
	p.ready = true
	p.maxTOD = -1
	p.table.init()
	p.names.max = phxMaxNames
	if p.loc == nil {
		p.loc = time.UTC
	}
}

type phxMeta struct {
	name, value []byte
}

// phxLine is one Logger line taken apart.
type phxLine struct {
	hasDate bool
	year    int
	month   time.Month
	day     int
	hasTOD  bool
	tod     time.Duration
	level   []byte
	msg     []byte
	rid     []byte
	ip      []byte
}

// Decode implements [Decoder].
func (p *Phoenix) Decode(line []byte, emit func(*Event)) error {
	p.init()
	line = phxTrimRight(line)
	if len(line) == 0 {
		return ErrIgnored
	}
	var w platform
	inner := line
	switch {
	case line[0] == '{':
		var err error
		if inner, err = parseFlyJSON(line, &w, &p.msgBuf, "phoenix"); err != nil {
			return err
		}
	case mayHaveEnvelope(line):
		// A platform's envelope; Phoenix's own lines start with a time of
		// day or a date with a space, so they never get here.
		if in, ok := parsePlatform(line, &w); ok {
			inner = in
		} else if phxIsStamp(line) {
			return malformed("phoenix")
		}
	}
	inner = phxTrimRight(inner)
	if len(inner) == 0 || inner[0] == ' ' || inner[0] == '\t' {
		return ErrIgnored // a continuation line, or nothing
	}

	var pl phxLine
	if !p.parseLine(inner, &pl) {
		if !w.ok {
			return malformed("phoenix")
		}
		// Output of the app that did not go through Logger.
		at := p.clock.newest
		if w.hasTime {
			at = w.time
		}
		p.see(at)
		p.expire(emit)
		ev := p.lineEvent(KindMessage, line, w.time, nil, &w)
		ev.Level, ev.Message = w.level, inner
		emit(ev)
		return nil
	}

	if method, target, ok := phxStart(pl.msg); ok {
		t, at := p.lineTime(&pl, &w)
		p.see(at)
		p.expire(emit)
		p.starts++
		if pl.rid == nil {
			if p.hasHeld {
				p.emitPending(&p.held, 0, -1, nil, emit)
			}
			p.fill(&p.held, line, &pl, &w, method, target, t, at)
			p.hasHeld = true
			return nil
		}
		p.insert(line, &pl, &w, method, target, t, at, emit)
		return nil
	}

	status, dur, isSent, err := phxSent(pl.msg)
	if err != nil {
		return err
	}
	t, at := p.lineTime(&pl, &w)
	p.see(at)
	if isSent {
		if pl.rid == nil {
			if !p.hasHeld {
				return ErrIgnored
			}
			p.hasHeld = false
			p.emitPending(&p.held, status, dur, pl.ip, emit)
			p.expire(emit)
			return nil
		}
		x := p.table.find(pl.rid)
		if x < 0 {
			return ErrIgnored // its start line was before the input began
		}
		p.emitPending(&p.table.slots[x], status, dur, pl.ip, emit)
		p.table.remove(x)
		p.expire(emit)
		return nil
	}

	if pl.rid != nil && isErrorLevel(pl.level) {
		if x := p.table.find(pl.rid); x >= 0 {
			// The request raised: Plug answers 500 and Phoenix logs the
			// error report instead of its Sent line. Emit it now, not a
			// minute later when it would be too late to count.
			p.emitPending(&p.table.slots[x], 500, -1, pl.ip, emit)
			p.table.remove(x)
		}
	}
	p.expire(emit)
	ev := p.lineEvent(KindMessage, line, t, &pl, &w)
	ev.Level, ev.Message = pl.level, pl.msg
	emit(ev)
	return nil
}

// isErrorLevel reports whether a Logger level is error or worse.
func isErrorLevel(level []byte) bool {
	switch string(level) {
	case "error", "critical", "alert", "emergency":
		return true
	}
	return false
}

// Flush implements [Decoder]: it emits every waiting request, oldest
// first, with Status 0.
func (p *Phoenix) Flush(emit func(*Event)) {
	p.init()
	tb := &p.table
	for tb.head >= 0 {
		x := tb.head
		if p.hasHeld && p.held.at.Before(tb.slots[x].at) {
			p.hasHeld = false
			p.emitPending(&p.held, 0, -1, nil, emit)
		}
		p.emitPending(&tb.slots[x], 0, -1, nil, emit)
		tb.remove(x)
	}
	if p.hasHeld {
		p.hasHeld = false
		p.emitPending(&p.held, 0, -1, nil, emit)
	}
}

// pending returns the number of requests waiting for their Sent line.
func (p *Phoenix) pending() int {
	n := p.table.count
	if p.hasHeld {
		n++
	}
	return n
}

func (p *Phoenix) maxPending() int {
	if p.MaxPending <= 0 {
		return DefaultMaxPending
	}
	return p.MaxPending
}

func (p *Phoenix) see(t time.Time) { p.clock.see(t) }

// expire emits, with Status 0, the requests that have waited too long,
// and those from before a reset of the clock.
func (p *Phoenix) expire(emit func(*Event)) {
	tb := &p.table
	for tb.head >= 0 && p.clock.stale(tb.slots[tb.head].at) {
		x := tb.head
		p.emitPending(&tb.slots[x], 0, -1, nil, emit)
		tb.remove(x)
	}
	if p.hasHeld && p.clock.stale(p.held.at) {
		p.hasHeld = false
		p.emitPending(&p.held, 0, -1, nil, emit)
	}
}

// lineTime returns the event time of a line (zero when the date is
// unknown) and its clock time, which orders lines even then.
func (p *Phoenix) lineTime(pl *phxLine, w *platform) (t, at time.Time) {
	if w.hasTime {
		return w.time, w.time
	}
	if pl.hasDate {
		p.dated = true
		p.year, p.month, p.day = pl.year, pl.month, pl.day
		p.dayOff, p.maxTOD = 0, -1
	}
	if !pl.hasTOD {
		return time.Time{}, p.clock.newest
	}
	off := p.rollover(pl.tod)
	tod := pl.tod
	h := int(tod / time.Hour)
	m := int(tod / time.Minute % 60)
	s := int(tod / time.Second % 60)
	ns := int(tod % time.Second)
	if !p.dated {
		at = time.Date(1970, time.January, 1+off, h, m, s, ns, time.UTC)
		return time.Time{}, at
	}
	t = time.Date(p.year, p.month, p.day+off, h, m, s, ns, p.loc).UTC()
	return t, t
}

// rollover returns the day offset of a time of day, advancing the day at
// midnight.
func (p *Phoenix) rollover(tod time.Duration) int {
	switch {
	case p.maxTOD < 0:
		p.maxTOD = tod
	case tod < p.maxTOD-12*time.Hour:
		p.dayOff++
		p.maxTOD = tod
	case tod > p.maxTOD && 24*time.Hour-(tod-p.maxTOD) <= phxStraggler:
		return p.dayOff - 1 // a line from just before midnight, late
	case tod > p.maxTOD:
		p.maxTOD = tod
	}
	return p.dayOff
}

// lineEvent fills p.ev from the current line.
func (p *Phoenix) lineEvent(kind Kind, line []byte, t time.Time, pl *phxLine, w *platform) *Event {
	ev := &p.ev
	ev.Reset()
	ev.Kind, ev.Time, ev.Raw = kind, t, line
	if pl != nil {
		ev.RequestID, ev.ClientIP = pl.rid, pl.ip
		for _, m := range p.meta {
			if !phxReserved(m.name) {
				ev.AddExtra(p.names.intern(m.name), m.value)
			}
		}
	}
	for _, x := range w.extras() {
		if x.Name != "" {
			ev.AddExtra(x.Name, x.Value)
		}
	}
	return ev
}

// phxReserved reports metadata keys that become fixed fields.
func phxReserved(name []byte) bool {
	switch string(name) {
	case "request_id", "remote_ip", "client_ip":
		return true
	}
	return false
}

// fill copies a start line into slot s.
func (p *Phoenix) fill(s *pendingReq, line []byte, pl *phxLine, w *platform, method, target []byte, t, at time.Time) {
	s.reset(line)
	s.method = s.ref(line, method)
	s.target = s.ref(line, target)
	s.rid = s.ref(line, pl.rid)
	s.key = s.rid
	s.ip = s.ref(line, pl.ip)
	s.level = s.ref(line, pl.level)
	for _, m := range p.meta {
		if !phxReserved(m.name) {
			s.addExtra(p.names.intern(m.name), line, m.value)
		}
	}
	for _, x := range w.extras() {
		if x.Name != "" {
			s.addExtra(x.Name, line, x.Value)
		}
	}
	s.time, s.at = t, at
}

// emitPending emits the request held in s.
func (p *Phoenix) emitPending(s *pendingReq, status int, dur time.Duration, ip []byte, emit func(*Event)) {
	ev := &p.ev
	s.event(ev)
	ev.Time = s.end(dur, p.clock.newest)
	if ev.ClientIP == nil {
		ev.ClientIP = ip
	}
	ev.Status, ev.Duration = status, dur
	emit(ev)
}

// insert holds a start line with a request_id, making room first.
func (p *Phoenix) insert(line []byte, pl *phxLine, w *platform, method, target []byte, t, at time.Time, emit func(*Event)) {
	tb := &p.table
	if x := tb.find(pl.rid); x >= 0 {
		// The same id again (a client may choose it): the first request
		// still counts.
		p.emitPending(&tb.slots[x], 0, -1, nil, emit)
		tb.remove(x)
	}
	for limit := p.maxPending(); tb.count >= limit && tb.head >= 0; {
		x := tb.head
		p.emitPending(&tb.slots[x], 0, -1, nil, emit)
		tb.remove(x)
	}
	x, s := tb.alloc()
	p.fill(s, line, pl, w, method, target, t, at)
	tb.add(x)
}

// parseLine takes apart "[$date ][$time ]$metadata[$level] $message",
// leaving the metadata in p.meta.
func (p *Phoenix) parseLine(s []byte, pl *phxLine) bool {
	*pl = phxLine{}
	p.meta = p.meta[:0]
	i := 0
	if len(s) > 11 && s[4] == '-' && s[7] == '-' && s[10] == ' ' {
		y, ok1 := digits(s[0:4])
		m, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > 31 {
			return false
		}
		pl.hasDate, pl.year, pl.month, pl.day = true, y, time.Month(m), d
		i = 11
	}
	if tod, n, ok := phxTimeOfDay(s[i:]); ok && (i+n == len(s) || s[i+n] == ' ') {
		pl.hasTOD, pl.tod = true, tod
		i += n + 1
	} else if pl.hasDate {
		return false
	}
	valueStart := 0
	for i < len(s) {
		j := len(s)
		if k := bytes.IndexByte(s[i:], ' '); k >= 0 {
			j = i + k
		}
		tok := s[i:j]
		if lvl, ok := phxLevel(tok); ok {
			pl.level = lvl
			msg := s[j:]
			for len(msg) > 0 && msg[0] == ' ' { // also $levelpad
				msg = msg[1:]
			}
			pl.msg = msg
			p.metaFields(pl)
			return true
		}
		if k := bytes.IndexByte(tok, '='); k > 0 && phxKey(tok[:k]) {
			if len(p.meta) == phxMaxMeta {
				return false
			}
			p.meta = append(p.meta, phxMeta{tok[:k], tok[k+1:]})
			valueStart = i + k + 1
		} else if len(p.meta) > 0 {
			// A value with spaces: metadata is not quoted.
			p.meta[len(p.meta)-1].value = s[valueStart:j]
		} else {
			return false
		}
		i = j + 1
	}
	return false
}

// metaFields picks request_id and the client address out of p.meta:
// client_ip, or else remote_ip, when it is an address (see [ClientAddr]).
func (p *Phoenix) metaFields(pl *phxLine) {
	var remote []byte
	for _, m := range p.meta {
		switch string(m.name) {
		case "request_id":
			if len(m.value) > 0 {
				pl.rid = m.value
			}
		case "client_ip":
			if a, ok := ClientAddr(m.value); ok && pl.ip == nil {
				pl.ip = a
			}
		case "remote_ip":
			if a, ok := ClientAddr(m.value); ok && remote == nil {
				remote = a
			}
		}
	}
	if pl.ip == nil {
		pl.ip = remote
	}
}

// phxKey reports whether b is a metadata key (an Elixir atom).
func phxKey(b []byte) bool {
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9', c == '.', c == '-':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return len(b) > 0
}

// phxLevel returns the level of a "[level]" token.
func phxLevel(tok []byte) ([]byte, bool) {
	if len(tok) < 6 || tok[0] != '[' || tok[len(tok)-1] != ']' {
		return nil, false
	}
	lvl := tok[1 : len(tok)-1]
	switch string(lvl) {
	case "debug", "info", "notice", "warning", "warn", "error", "critical", "alert", "emergency":
		return lvl, true
	}
	return nil, false
}

// phxTimeOfDay parses "HH:MM:SS[.fff]" at the start of b and returns its
// length.
func phxTimeOfDay(b []byte) (time.Duration, int, bool) {
	if len(b) < 8 || b[2] != ':' || b[5] != ':' {
		return 0, 0, false
	}
	h, ok1 := digits(b[0:2])
	m, ok2 := digits(b[3:5])
	s, ok3 := digits(b[6:8])
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || s > 59 {
		return 0, 0, false
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second
	n := 8
	if n < len(b) && b[n] == '.' {
		ns, k := phxFraction(b[n+1:])
		if k == 0 {
			return 0, 0, false
		}
		d += time.Duration(ns)
		n += 1 + k
	}
	return d, n, true
}

// phxFraction parses the digits of a decimal fraction of a second and
// returns nanoseconds and the number of digits.
func phxFraction(b []byte) (int, int) {
	ns, k := 0, 0
	for k < len(b) && b[k] >= '0' && b[k] <= '9' {
		if k < 9 {
			ns = ns*10 + int(b[k]-'0')
		}
		k++
	}
	for i := k; i < 9; i++ {
		ns *= 10
	}
	return ns, k
}

// phxStart recognises a request start line, "METHOD /path".
func phxStart(msg []byte) (method, target []byte, ok bool) {
	sp := bytes.IndexByte(msg, ' ')
	if sp < 1 || sp > 20 {
		return nil, nil, false
	}
	for _, c := range msg[:sp] {
		if c < 'A' || c > 'Z' {
			return nil, nil, false
		}
	}
	target = msg[sp+1:]
	if len(target) == 0 || target[0] != '/' || bytes.IndexByte(target, ' ') >= 0 {
		return nil, nil, false
	}
	return msg[:sp], target, true
}

// phxSent recognises "Sent 200 in 39ms" and "Chunked 200 in 3ms". A line
// of that shape with a bad status or duration is an error.
func phxSent(msg []byte) (status int, dur time.Duration, ok bool, err error) {
	var rest []byte
	switch {
	case bytes.HasPrefix(msg, []byte("Sent ")):
		rest = msg[len("Sent "):]
	case bytes.HasPrefix(msg, []byte("Chunked ")):
		rest = msg[len("Chunked "):]
	default:
		return 0, 0, false, nil
	}
	if len(rest) < 7 || string(rest[3:7]) != " in " {
		return 0, 0, false, nil
	}
	if rest[0] < '0' || rest[0] > '9' {
		return 0, 0, false, nil // "Sent you in 3ms" is an app's message
	}
	status, ok = digits(rest[:3])
	if !ok || status < 100 {
		return 0, 0, false, fieldError("status", rest[:3])
	}
	dur, ok = phxDuration(rest[7:])
	if !ok {
		return 0, 0, false, fieldError("duration", rest[7:])
	}
	return status, dur, true, nil
}

// phxDuration parses "39ms", "164µs" (also "us"), "2s" or "500ns".
func phxDuration(b []byte) (time.Duration, bool) {
	i := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	n, ok := digits(b[:i])
	if !ok {
		return 0, false
	}
	var unit time.Duration
	switch string(b[i:]) {
	case "ms":
		unit = time.Millisecond
	case "µs", "μs", "us": // U+00B5 as Phoenix writes it, U+03BC, ASCII
		unit = time.Microsecond
	case "s":
		unit = time.Second
	case "ns":
		unit = time.Nanosecond
	default:
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// phxTrimRight drops trailing spaces, tabs and line ends.
func phxTrimRight(b []byte) []byte {
	for len(b) > 0 {
		switch b[len(b)-1] {
		case ' ', '\t', '\r', '\n':
			b = b[:len(b)-1]
		default:
			return b
		}
	}
	return b
}

// phxIsStamp reports whether line starts with an RFC 3339 date and "T".
func phxIsStamp(b []byte) bool {
	return len(b) > 20 && b[0] >= '0' && b[0] <= '9' && b[4] == '-' && b[7] == '-' && b[10] == 'T'
}
