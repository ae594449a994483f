package detector

import (
	"net/netip"
	"regexp"
	"strconv"

	"github.com/sentinel-dev/sentinel/detector/slidinghll"
	"github.com/sentinel-dev/sentinel/parsers"
)

// Event is an event as the rules read it: the parsed line, and the values
// the engine derives from it at most once for every rule that asks (the
// client's network) or into buffers of its own (the numbers as text), so
// that nothing per event allocates and nothing is shared between engines.
// The engine owns one and refills it for each event; what is read from it
// is valid until the next event.
type Event struct {
	*parsers.Event
	ns  int64  // the event's time in Unix nanoseconds
	seq uint64 // the engine's events so far, this one included: a key feed's add is once per seq

	memo         []uint8   // the answers of shared match blocks ([Shared]) for this event
	warm         *warmSet  // the engine's addresses that loaded a page lately, for the cold field
	programs     *programs // the engine's addresses' kinds of user agents, for the program_client field
	re           reMemo    // the engine's answers of regular expressions by text
	net          []byte    // the client's network as text, once netDone
	netDone      bool
	addr         netip.Addr // the client's address, once addrDone; valid when addrOK
	addrOK       bool
	addrDone     bool
	ipHash       uint64 // keyHash of ClientIP, once ipHashed
	netHash      uint64 // keyHash of the client's network, once netHashed
	ipHashed     bool
	netHashed    bool
	ipDistinct   uint64 // slidinghll.Hash(ClientIP), once ipDistinctOK
	uaDistinct   uint64 // slidinghll.Hash(UserAgent), once uaDistinctOK
	ipDistinctOK bool
	uaDistinctOK bool
	route        []byte // the path with its identifiers as :id, once routeDone
	routeDone    bool
	routeBuf     []byte      // route's buffer, kept from event to event
	endpointBuf  []byte      // endpointText's buffer, kept from event to event
	warmDone     bool        // seenIs and guardIs are known
	seenIs       bool        // the client loaded a page lately, as far as the log shows (warmSet.seen), once warmDone
	guardIs      bool        // the event is in the warm set's guard (warmSet.guarded), once warmDone
	hastyDone    bool        // hastyIs is known
	hastyIs      bool        // the event came within pauseMin of its visit's first page
	programDone  bool        // programIs is known
	programIs    bool        // the event is a program's (programs.observe), once programDone
	appDone      bool        // appIs is known
	appIs        bool        // the user agent is an app's (appClient), once appDone
	agents       agentHashes // kept from event to event
	netText      [64]byte
	bytesText    [24]byte
	durationText [32]byte
}

// isApp reports whether the event's user agent is an app's (appClient),
// tested once per event: the native_app field of several rules and their
// evidence ask it.
func (e *Event) isApp() bool {
	if !e.appDone {
		e.appIs, e.appDone = appClient(e.UserAgent), true
	}
	return e.appIs
}

// reset points e at ev and forgets what was derived from the last event.
func (e *Event) reset(ev *parsers.Event, ns int64) {
	e.Event, e.ns, e.net, e.netDone, e.addrDone = ev, ns, nil, false, false
	e.seq++
	e.ipHashed, e.netHashed, e.ipDistinctOK, e.uaDistinctOK, e.warmDone, e.routeDone, e.hastyDone = false, false, false, false, false, false, false
	e.appDone = false
	e.programDone = false
	clear(e.memo)
}

// clientAddr returns the client's address, parsed once per event; false
// when it is absent or not a bare address.
func (e *Event) clientAddr() (netip.Addr, bool) {
	if !e.addrDone {
		e.addrDone = true
		e.addr, e.addrOK = parseAddr(e.ClientIP)
	}
	return e.addr, e.addrOK
}

// cold returns "true" when the client made no GET or HEAD request (a page
// or an asset) in the last 10 to 20 minutes, "false" when it did, and nil
// when that cannot be told (no client address).
func (e *Event) cold() []byte {
	switch {
	case e.warm == nil || len(e.ClientIP) == 0:
		return nil
	case e.isWarm():
		return falseText
	}
	return trueText
}

// noPause returns "true" when the client is cold or its post came within
// pauseMin of its visit's first page (isHasty), "false" when it paused,
// and nil when that cannot be told (no client address).
func (e *Event) noPause() []byte {
	switch {
	case e.warm == nil || len(e.ClientIP) == 0:
		return nil
	case !e.isWarm() || e.isHasty():
		return trueText
	}
	return falseText
}

// isWarm reports whether the event's client loaded something lately: an
// event without a client address, or within coldGuard of the first
// event, is warm (nothing is known against it). Asked once per event for
// every rule that asks: three random reads of a 256 KiB filter are cache
// misses, and a flood's post is asked by three rules.
func (e *Event) isWarm() bool {
	e.lookWarm()
	return e.seenIs || e.guardIs
}

// loadedNone reports whether the event's client loaded no page or asset
// lately, for the evidence (Evidence.Cold, Evidence.NoPause): as isWarm,
// but in the guard of a fresh start (warmSet.guarded) it says what the
// log shows. The evidence counts only once a rule fires on volume that
// people's posts after pages loaded before the start cannot make (a
// founding story's 240 posts a second), where a match (login-failure-
// cold's) would count them one by one.
func (e *Event) loadedNone() bool {
	e.lookWarm()
	return !e.seenIs && !(e.guardIs && e.warm.restored)
}

// lookWarm asks the warm set about the event once.
func (e *Event) lookWarm() {
	if !e.warmDone {
		e.warmDone, e.seenIs, e.guardIs = true, e.warm.seen(e), e.warm.guarded(e)
	}
}

// isHasty reports whether the event, from a warm address, came within
// pauseMin of its visit's first page (visits.hasty), asked once per event.
func (e *Event) isHasty() bool {
	if !e.hastyDone {
		// In the engine's first coldWindow nothing is hasty: a visit's
		// first page is the first after none for coldWindow, which takes
		// that long to tell (a visit begun before the log would look begun
		// at its next page). Coldness needs less (coldGuard, 2 minutes: a
		// person posts within that of the form's page).
		e.hastyDone = true
		e.hastyIs = e.warm.visits != nil && len(e.ClientIP) > 0 && e.ns-e.warm.first >= int64(coldWindow) && e.warm.visits.hasty(e)
	}
	return e.hastyIs
}

// programClient returns "true" when the event is a program's, sent by
// an address that shows no sign of relaying people (programs.observe),
// "false" when it is not, and nil when that cannot be told (no client
// address, or no engine's memory behind the event).
func (e *Event) programClient() []byte {
	if e.programs == nil || len(e.ClientIP) == 0 {
		return nil
	}
	if !e.programDone {
		e.programDone, e.programIs = true, e.programs.observe(e.ClientIP, e.UserAgent, e.ns)
	}
	if e.programIs {
		return trueText
	}
	return falseText
}

var trueText, falseText = []byte("true"), []byte("false")

// clientIPHash returns keyHash(ClientIP), computed once per event for
// every table that keys on the client: the per-client summaries, the
// warm-address set, the proxy watch, beyond_busiest.
func (e *Event) clientIPHash() uint64 {
	if !e.ipHashed {
		e.ipHashed, e.ipHash = true, keyHash(e.ClientIP)
	}
	return e.ipHash
}

// clientIPDistinct returns slidinghll.Hash(ClientIP), computed once per
// event for every rule that counts distinct clients: a sign-up post of a
// flood goes into three of them.
func (e *Event) clientIPDistinct() uint64 {
	if !e.ipDistinctOK {
		e.ipDistinctOK, e.ipDistinct = true, slidinghll.Hash(e.ClientIP)
	}
	return e.ipDistinct
}

// agentDistinct is clientIPDistinct for the user agent, which the
// sign-up rules' evidence counts (clients_per_agent).
func (e *Event) agentDistinct() uint64 {
	if !e.uaDistinctOK {
		e.uaDistinctOK, e.uaDistinct = true, e.agents.hash(e.UserAgent)
	}
	return e.uaDistinct
}

// agentHashes remembers the sketch hashes of the last few user agents: a
// bot's posts rotate among a handful, and a user agent (100 bytes and
// more) costs more to hash than to compare.
type agentHashes struct {
	ua   [4][]byte
	h    [4]uint64
	next int // the entry the next miss replaces
}

// hash returns slidinghll.Hash(ua).
func (a *agentHashes) hash(ua []byte) uint64 {
	for i := range a.ua {
		if len(a.ua[i]) == len(ua) && a.ua[i] != nil && string(a.ua[i]) == string(ua) {
			return a.h[i]
		}
	}
	h := slidinghll.Hash(ua)
	i := a.next
	a.next = (i + 1) % len(a.ua)
	a.ua[i], a.h[i] = append(a.ua[i][:0], ua...), h
	return h
}

// clientNetHash returns keyHash(clientNet()), computed once per event.
func (e *Event) clientNetHash() uint64 {
	if !e.netHashed {
		e.netHashed, e.netHash = true, keyHash(e.clientNet())
	}
	return e.netHash
}

// clientNet returns the client's network: its /24 for IPv4, /64 for IPv6
// (an attacker rotates addresses within a /64 for free); nil when the
// client address is absent or not a bare address.
func (e *Event) clientNet() []byte {
	if !e.netDone {
		e.netDone = true
		e.net = nil
		i := e.ClientNet24() // the parser's word for it, when it gave one
		if i == 0 {
			i = dotted24(e.ClientIP)
		}
		if i > 0 {
			// The common case by hand, without parsing the address: a
			// network rule asks for every request's network.
			e.net = append(append(e.netText[:0], e.ClientIP[:i]...), ".0/24"...)
		} else if a, ok := e.clientAddr(); ok {
			if a.Is4() {
				// By hand, the common case: "203.0.113.0/24", from a
				// table of the bytes' texts (a network rule asks for
				// every request's).
				b := a.As4()
				t := append(e.netText[:0], byteText[b[0]]...)
				t = append(append(t, '.'), byteText[b[1]]...)
				t = append(append(t, '.'), byteText[b[2]]...)
				e.net = append(t, ".0/24"...)
			} else if p, err := a.Prefix(64); err == nil {
				e.net = p.AppendTo(e.netText[:0])
			}
		}
	}
	return e.net
}

// dotted24 returns the length of the first three numbers of b when b is
// an IPv4 address as the address's own text would print it (four numbers
// up to 255 without leading zeros: "203.0.113.7" gives 9, for
// "203.0.113"), and 0 otherwise. Written octet by octet, as the parsers'
// address check is: a network rule asks for every request's network, and
// a loop with a case per byte cost twice as much.
func dotted24(b []byte) int {
	i, last := 0, 0
	for k := 0; k < 4; k++ {
		if k > 0 {
			if i >= len(b) || b[i] != '.' {
				return 0
			}
			last = i
			i++
		}
		if i >= len(b) || b[i]-'0' > 9 {
			return 0
		}
		d0 := b[i] - '0'
		i++
		if i < len(b) && b[i]-'0' <= 9 {
			if d0 == 0 {
				return 0 // a leading zero
			}
			v := uint(d0)*10 + uint(b[i]-'0')
			i++
			if i < len(b) && b[i]-'0' <= 9 {
				if v = v*10 + uint(b[i]-'0'); v > 255 {
					return 0
				}
				i++
			}
		}
	}
	if i != len(b) {
		return 0
	}
	return last
}

// byteText holds "0" … "255".
var byteText = func() (t [256]string) {
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

// reMemo remembers, per engine, what each regular expression answered for
// a text: a site's paths and user agents repeat, and a regex run on every
// post (the log-in API's, on each post of a sign-up flood) was a tenth of a
// flood's replay. Texts longer than reMemoText are not kept, and each
// expression keeps at most reMemoSize of them (then it is emptied), so
// memory is bounded whatever the traffic.
type reMemo map[*regexp.Regexp]map[string]bool

const (
	reMemoText = 256
	reMemoSize = 4096
)

// match returns re's answer for v, from the memo when it has it.
func (m reMemo) match(re *regexp.Regexp, v []byte) bool {
	if m == nil || len(v) > reMemoText {
		return re.Match(v)
	}
	seen := m[re]
	if ok, hit := seen[string(v)]; hit {
		return ok
	}
	ok := re.Match(v)
	switch {
	case seen == nil:
		seen = make(map[string]bool)
		m[re] = seen
	case len(seen) >= reMemoSize:
		clear(seen)
	}
	seen[string(v)] = ok
	return ok
}

// routeOf returns the request's route: its path with each segment that is
// an identifier written ":id", so that one endpoint is one key whatever
// record it serves ("/orders/8812/pay" and "/orders/8813/pay" are
// "/orders/:id/pay"). An identifier is a number ("8812"), a UUID with a
// digit (all but one in 10^13 have one), or a token of 16 letters and
// digits or more with at least one digit (a hash, a Mongo ObjectId, a
// base62 key); a slug ("launch-week-2024") and a word are not. It is path
// itself when no segment is one, and otherwise built in buf. One pass,
// each byte classified once: a route is asked for every request.
func routeOf(buf, path []byte) []byte {
	var out []byte // nil until a segment is an identifier
	seg := 0       // where the current segment starts
	digits, alnum := 0, true
	for i := 0; i <= len(path); i++ {
		if i < len(path) {
			c := path[i]
			if c != '/' {
				if c-'0' <= 9 {
					digits++
				} else if c|0x20-'a' > 'z'-'a' {
					alnum = false
				}
				continue
			}
		}
		n := i - seg
		switch {
		case digits > 0 && (alnum && (digits == n || n >= 16) || n == 36 && isUUID(path[seg:i])):
			if out == nil {
				out = append(buf[:0], path[:seg]...)
			}
			out = append(out, ":id"...)
		case out != nil:
			out = append(out, path[seg:i]...)
		}
		if i < len(path) && out != nil {
			out = append(out, '/')
		}
		seg, digits, alnum = i+1, 0, true
	}
	if out == nil {
		return path
	}
	return out
}

// isUUID reports whether s (36 bytes) is a UUID: hex digits in groups of
// 8, 4, 4, 4 and 12 joined by dashes.
func isUUID(s []byte) bool {
	for i, c := range s {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !isHex(c) {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return c-'0' <= 9 || c|0x20-'a' <= 'f'-'a' }

// routeText returns routeOf(Path), computed once per event into the
// event's own buffer.
func (e *Event) routeText() []byte {
	if !e.routeDone {
		e.routeDone = true
		e.route = routeOf(e.routeBuf, e.Path)
		if len(e.route) > 0 && len(e.Path) > 0 && &e.route[0] != &e.Path[0] {
			e.routeBuf = e.route[:0] // grown: kept for the next event
		}
	}
	return e.route
}

// endpointText returns the endpoint: the route for a read (GET, HEAD, or
// no method), and the method and route for anything else ("POST
// /users/log_in"). A form's page and its post are one route but two
// endpoints: when the post fails and the page works, the route's share of
// failures is about half, the endpoint's all.
func (e *Event) endpointText() []byte {
	route := e.routeText()
	switch string(e.Method) {
	case "", "GET", "HEAD":
		return route
	}
	e.endpointBuf = append(append(append(e.endpointBuf[:0], e.Method...), ' '), route...)
	return e.endpointBuf
}
