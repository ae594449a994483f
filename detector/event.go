package detector

import (
	"net/netip"
	"strconv"

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
	ns int64 // the event's time in Unix nanoseconds

	memo         []uint8  // the answers of shared match blocks ([Shared]) for this event
	warm         *warmSet // the engine's addresses that loaded a page lately, for the cold field
	net          []byte   // the client's network as text, once netDone
	netDone      bool
	addr         netip.Addr // the client's address, once addrDone; valid when addrOK
	addrOK       bool
	addrDone     bool
	netText      [64]byte
	bytesText    [24]byte
	durationText [32]byte
}

// reset points e at ev and forgets what was derived from the last event.
func (e *Event) reset(ev *parsers.Event, ns int64) {
	e.Event, e.ns, e.net, e.netDone, e.addrDone = ev, ns, nil, false, false
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
	case e.warm.has(e):
		return falseText
	}
	return trueText
}

var trueText, falseText = []byte("true"), []byte("false")

// clientNet returns the client's network: its /24 for IPv4, /64 for IPv6
// (an attacker rotates addresses within a /64 for free); nil when the
// client address is absent or not a bare address.
func (e *Event) clientNet() []byte {
	if !e.netDone {
		e.netDone = true
		e.net = nil
		if a, ok := e.clientAddr(); ok {
			if a.Is4() {
				// By hand, the common case: "203.0.113.0/24".
				b := a.As4()
				t := strconv.AppendUint(e.netText[:0], uint64(b[0]), 10)
				t = strconv.AppendUint(append(t, '.'), uint64(b[1]), 10)
				t = strconv.AppendUint(append(t, '.'), uint64(b[2]), 10)
				e.net = append(t, ".0/24"...)
			} else if p, err := a.Prefix(64); err == nil {
				e.net = p.AppendTo(e.netText[:0])
			}
		}
	}
	return e.net
}
