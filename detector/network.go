package detector

import (
	"net/netip"

	"github.com/sentinel-dev/sentinel/alert"
)

// minNetAddresses is the fewest addresses of one network an alert names
// the network for: one or two are named as addresses by its keys.
const minNetAddresses = 3

// dominantNet returns the network (a /24, or an IPv6 /64) that sent at
// least half of the events the window's keys count, from at least
// minNetAddresses of its addresses, or nil. Stuffing that rotates
// through one /24 or /64, one or two tries per address, is named by its
// keys one address at a time: blocking them would not stop it, blocking
// the network would. Asked at a firing only (a map of the window's
// networks); live adds the newest bucket, as an alert fired on an event
// counts it.
func (w *window) dominantNet(live bool) *alert.NetCount {
	if w.keys == nil {
		return nil
	}
	if live {
		defer w.withNewest()()
	}
	type sum struct {
		count uint64
		addrs int
	}
	nets := map[netip.Prefix]*sum{}
	var total uint64
	w.keys.Each(func(key []byte, count, err uint64) {
		total += count
		g := count - min(err, count)
		a, ok := parseAddr(key)
		if !ok || g == 0 {
			return
		}
		bits := 24
		if a.Is6() { // parseAddr unmaps ::ffff:a.b.c.d
			bits = 64
		}
		p, err2 := a.Prefix(bits)
		if err2 != nil {
			return
		}
		s := nets[p]
		if s == nil {
			s = &sum{}
			nets[p] = s
		}
		s.count += g
		s.addrs++
	})
	var best netip.Prefix
	var top *sum
	for p, s := range nets {
		if top == nil || s.count > top.count || s.count == top.count && p.Addr().Less(best.Addr()) {
			best, top = p, s
		}
	}
	if top == nil || top.addrs < minNetAddresses || 2*top.count < total {
		return nil
	}
	return &alert.NetCount{Net: best.String(), Count: top.count, Addresses: top.addrs}
}
