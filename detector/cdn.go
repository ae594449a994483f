package detector

import "net/netip"

// cdnNets are the networks Cloudflare publishes for its edges
// (https://www.cloudflare.com/ips/, unchanged since 2021). A site behind
// Cloudflare whose server logs the connecting address, not the visitor's
// (CF-Connecting-IP), logs a few dozen of these for all its traffic:
// no client, as a proxy in front is none (see [notices]). Outside such
// a log an address here is a client like any other (a bot running on
// Cloudflare's Workers).
var cdnNets = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18",
		"108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17",
		"162.158.0.0/15", "104.16.0.0/13", "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
		"2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32",
		"2a06:98c0::/29", "2c0f:f248::/32",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// cdnName is the CDN whose edges cdnNets are.
const cdnName = "Cloudflare"

// cdnFirst marks the first bytes of cdnNets' addresses (an IPv4
// address's first octet, an IPv6 one's first byte): most addresses are
// told apart by one load. The proxy watch asks it of every request it
// samples.
var cdnFirst = func() (first [2][256]bool) {
	for _, p := range cdnNets {
		b := p.Addr().AsSlice()
		if p.Addr().Is4() {
			first[0][b[0]] = true
		} else {
			first[1][b[0]] = true
		}
	}
	return first
}()

// inCDN reports whether addr is one of a CDN's edges.
func inCDN(addr netip.Addr) bool {
	addr = addr.Unmap()
	v6 := 0
	if !addr.Is4() {
		v6 = 1
	}
	if !cdnFirst[v6][addr.As16()[12*(1-v6)]] {
		return false
	}
	for _, p := range cdnNets {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// cdnKey reports whether key, a client_ip value, is a CDN's edge.
func cdnKey(key []byte) bool {
	addr, ok := parseAddr(key)
	return ok && inCDN(addr)
}
