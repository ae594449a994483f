package detector

import (
	"bytes"
	"hash/maphash"
	"time"
)

// programs remembers, per client address, what kind of user agents it
// sent: a browser's or a native app's, and how many different ones, for
// the program_client field. A cron job on the host (a cache warmer, a
// link checker, an export: curl, Wget, python-requests) sends one or two
// programs' agents from its address; a proxy or a load balancer that
// logs its own address relays people's browsers, an app's users (whose
// phones all send the app's one string), or an API's many clients and
// their versions.
//
// Only the addresses a rule asks about are kept (the defaults ask about
// the host's and its private networks' only, behind internal-clients), at
// most programsMax of them: past that the memory is emptied and begins
// again (an address is then a program's again until it shows otherwise).
// An address's record is forgotten a day after it began (programsForget),
// so that a browser's one request from the host (an admin through a
// tunnel) or a tool's new version does not make a job's address a relay
// for good; a relay shows itself again within seconds. It is not kept in
// the state file, for the same reason.
type programs struct {
	seen map[string]*agentKinds
}

// agentKinds is what one address sent since from: whether a browser's or
// a native app's user agent (relay), and the hashes of up to
// programAgents different ones.
type agentKinds struct {
	from   int64 // Unix nanoseconds of the record's first request
	relay  bool
	n      int
	hashes [programAgents]uint64
}

const (
	// programAgents is the most different user agents a program's
	// address sends: a job's tool or two (curl for one task, Wget for
	// another) and a library's version. A fourth is a relay's.
	programAgents  = 3
	programsMax    = 4096
	programsForget = int64(24 * time.Hour)
)

var programSeed = maphash.MakeSeed()

func newPrograms() *programs { return &programs{seen: make(map[string]*agentKinds)} }

// observe records the event's user agent, at ns, under its client's
// address and reports whether the event is a program's: its user agent is
// present and neither a browser's nor a native app's, and its address has
// sent neither since its record began and at most programAgents different
// ones. Asked once per event (Event.programClient).
func (p *programs) observe(ip, ua []byte, ns int64) bool {
	k := p.seen[string(ip)]
	switch {
	case k == nil:
		if len(p.seen) >= programsMax {
			clear(p.seen)
		}
		k = &agentKinds{from: ns}
		p.seen[string(ip)] = k
	case ns-k.from >= programsForget:
		*k = agentKinds{from: ns}
	}
	switch {
	case len(ua) == 0 || string(ua) == "-":
		// Nothing told: a format without user agents is no sign of a
		// program, or every request behind a proxy would be one.
		return false
	case browserAgent(ua) || nativeApp(ua):
		k.relay = true
		return false
	case k.relay || k.n > programAgents:
		return false
	}
	h := maphash.Bytes(programSeed, ua)
	for _, x := range k.hashes[:min(k.n, programAgents)] {
		if x == h {
			return true
		}
	}
	if k.n < programAgents {
		k.hashes[k.n] = h
	}
	k.n++
	return k.n <= programAgents
}

// browserAgent reports whether a user agent is a browser's, as browsers
// (and the crawlers that pass for them) begin theirs.
func browserAgent(ua []byte) bool {
	return bytes.HasPrefix(ua, []byte("Mozilla/")) || bytes.HasPrefix(ua, []byte("Opera/"))
}
