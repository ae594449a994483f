package scenario

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
)

// IPv6Share is the share of clients that reach a site over IPv6: about
// 45% (Google's public IPv6 adoption statistics, 2024–25; traffic-shapes
// "IPv6 share of clients").
const IPv6Share = 0.45

// residential returns a new home or mobile client address: IPv6 with
// probability IPv6Share (a /64 of its own, as ISPs hand out, with a
// random privacy interface identifier), else a public IPv4 address.
func residential(r *rand.Rand) netip.Addr {
	if r.Float64() < IPv6Share {
		return residential6(r)
	}
	return public4(r)
}

// public4 returns a random IPv4 address outside the private, shared,
// loopback, link-local, multicast and documentation ranges, and outside
// the crawler networks of [crawlers], so that no visitor borrows a
// crawler's address by chance.
func public4(r *rand.Rand) netip.Addr {
	for {
		a, b := r.IntN(223)+1, r.IntN(256)
		if !PublicNet16(a, b) || crawlerNet(a, b) {
			continue
		}
		return netip.AddrFrom4([4]byte{byte(a), byte(b), byte(r.IntN(256)), byte(r.IntN(254) + 1)})
	}
}

// PublicNet16 reports whether a.b.0.0/16 is outside the private, shared,
// loopback, link-local and documentation ranges.
func PublicNet16(a, b int) bool {
	switch {
	case a == 0, a == 10, a == 127, a >= 224:
		return false
	case a == 100 && b >= 64 && b < 128, a == 169 && b == 254:
		return false
	case a == 172 && b >= 16 && b < 32, a == 192 && b == 168, a == 192 && b == 0:
		return false
	case a == 198 && (b == 18 || b == 19 || b == 51), a == 203 && b == 0:
		return false
	}
	return true
}

// crawlerNet reports whether a.b.0.0/16 holds one of the crawler ranges
// of [crawlers] (or Apple's 17.0.0.0/8).
func crawlerNet(a, b int) bool {
	switch {
	case a == 17, a == 66 && b == 249, a == 40 && b == 77, a == 157 && b == 55, a == 207 && b == 46:
		return true
	case a == 54 && b == 36, a == 85 && b == 208, a == 185 && b == 191, a == 20 && b == 171, a == 114 && b == 119:
		return true
	}
	return false
}

// residential6Prefixes are the first 16 bits of large access networks'
// IPv6 allocations (Deutsche Telekom 2003::/19, Comcast 2601::/20,
// Charter 2600:6c00::/24, Free 2a01:e00::/26, China Telecom 240e::/20,
// NTT 2400:4000::/22, Claro 2804::/16, Reliance Jio 2409:4000::/22 …).
var residential6Prefixes = []uint16{0x2003, 0x2601, 0x2600, 0x2a01, 0x240e, 0x2400, 0x2804, 0x2409, 0x2a02, 0x2603}

func residential6(r *rand.Rand) netip.Addr {
	var b [16]byte
	binary.BigEndian.PutUint16(b[0:2], residential6Prefixes[r.IntN(len(residential6Prefixes))])
	binary.BigEndian.PutUint16(b[2:4], uint16(r.Uint32()))
	binary.BigEndian.PutUint32(b[4:8], r.Uint32()) // the customer's /64
	binary.BigEndian.PutUint64(b[8:16], r.Uint64()|0x0200000000000000)
	return netip.AddrFrom16(b)
}

// hosting4 returns a random /24 of a hosting provider's space (OVH,
// Hetzner, DigitalOcean, Contabo, M247 and the like, where scrapers and
// bots rent servers), as its first address.
func hosting4(r *rand.Rand) netip.Prefix {
	nets := [][2]byte{{51, 89}, {51, 195}, {5, 9}, {49, 12}, {95, 216}, {167, 172}, {159, 65}, {193, 56}, {185, 220}, {45, 95}}
	n := nets[r.IntN(len(nets))]
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{n[0], n[1], byte(r.IntN(256)), 0}), 24)
}

// hosting6 returns a random /64 inside a hosting provider's IPv6 space
// (Hetzner 2a01:4f8::/29, OVH 2001:41d0::/32, DigitalOcean 2604:a880::/32):
// a server gets a whole /64, so rotating through it costs nothing.
func hosting6(r *rand.Rand) netip.Prefix {
	pre := [][4]byte{{0x2a, 0x01, 0x04, 0xf8}, {0x20, 0x01, 0x41, 0xd0}, {0x26, 0x04, 0xa8, 0x80}}[r.IntN(3)]
	var b [16]byte
	copy(b[:4], pre[:])
	binary.BigEndian.PutUint32(b[4:8], r.Uint32())
	return netip.PrefixFrom(netip.AddrFrom16(b), 64)
}

// inPrefix returns a random host address inside p (a /24 or a /64).
func inPrefix(r *rand.Rand, p netip.Prefix) netip.Addr {
	if p.Addr().Is4() {
		b := p.Addr().As4()
		b[3] = byte(r.IntN(254) + 1)
		return netip.AddrFrom4(b)
	}
	b := p.Addr().As16()
	binary.BigEndian.PutUint64(b[8:16], r.Uint64()|1)
	return netip.AddrFrom16(b)
}

// carrierNAT returns an address of a mobile carrier's carrier-grade NAT
// pool (T-Mobile US announces 172.56.0.0/14 and 172.58.0.0/15 for it):
// hundreds of phones share each one.
func carrierNAT(r *rand.Rand) netip.Addr {
	return netip.AddrFrom4([4]byte{172, byte(56 + r.IntN(4)), byte(r.IntN(256)), byte(r.IntN(254) + 1)})
}
