package detector

import "net/netip"

// A cdn is a content delivery network whose edges' networks are
// published. A site behind one whose server logs the connecting address,
// not the visitor's (header), logs a few dozen of its edges for all its
// traffic: no client, as a proxy in front is none (see [notices]).
// Outside such a log an address of an edge is a client like any other (a
// bot running on Cloudflare's Workers or Fastly's Compute).
type cdn struct {
	name string
	// fix says how to log the visitor's address: from a header the CDN
	// sets itself, never one a client could send through it.
	fix  string
	nets []netip.Prefix
}

// cdns are the CDNs known by their edges: Cloudflare
// (https://www.cloudflare.com/ips/, unchanged since 2021) and Fastly
// (https://api.fastly.com/public-ip-list, the list of 2023). CloudFront's
// list is AWS's, hundreds of networks that change by the month: not kept.
// Cloudflare sets CF-Connecting-IP itself; Fastly passes a client's own
// Fastly-Client-IP on unless the service's VCL sets it, so its fix is the
// address Fastly appends to X-Forwarded-For, read past its trusted edges.
var cdns = [...]cdn{
	{name: "Cloudflare", fix: "nginx: set_real_ip_from for each of Cloudflare's ranges and real_ip_header CF-Connecting-IP; " +
		"Apache: mod_remoteip with RemoteIPHeader CF-Connecting-IP", nets: prefixes(
		"173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18",
		"108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17",
		"162.158.0.0/15", "104.16.0.0/13", "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
		"2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32",
		"2a06:98c0::/29", "2c0f:f248::/32")},
	{name: "Fastly", fix: "nginx: set_real_ip_from for each of Fastly's ranges, real_ip_header X-Forwarded-For and real_ip_recursive on; " +
		"Apache: mod_remoteip with RemoteIPHeader X-Forwarded-For and RemoteIPTrustedProxy for its ranges " +
		"(not Fastly-Client-IP, which a client can send unless the service's VCL sets it)", nets: prefixes(
		"23.235.32.0/20", "43.249.72.0/22", "103.244.50.0/24", "103.245.222.0/23", "103.245.224.0/24",
		"104.156.80.0/20", "140.248.64.0/18", "140.248.128.0/17", "146.75.0.0/17", "151.101.0.0/16",
		"157.52.64.0/18", "167.82.0.0/17", "167.82.128.0/20", "167.82.160.0/20", "167.82.224.0/20",
		"172.111.64.0/18", "185.31.16.0/22", "199.27.72.0/21", "199.232.0.0/16",
		"2a04:4e40::/32", "2a04:4e42::/32")},
}

// cdnFirst marks the first bytes of the cdns' addresses (an IPv4
// address's first octet, an IPv6 one's first byte): most addresses are
// told apart by one load. The proxy watch asks it of every request it
// samples.
var cdnFirst = func() (first [2][256]bool) {
	for _, c := range cdns {
		for _, p := range c.nets {
			b := p.Addr().AsSlice()
			if p.Addr().Is4() {
				first[0][b[0]] = true
			} else {
				first[1][b[0]] = true
			}
		}
	}
	return first
}()

// cdnOf returns the index in cdns of the CDN whose edge addr is; -1 for
// none.
func cdnOf(addr netip.Addr) int {
	addr = addr.Unmap()
	v6 := 0
	if !addr.Is4() {
		v6 = 1
	}
	if !cdnFirst[v6][addr.As16()[12*(1-v6)]] {
		return -1
	}
	for i, c := range cdns {
		for _, p := range c.nets {
			if p.Contains(addr) {
				return i
			}
		}
	}
	return -1
}

// has reports whether key, a client_ip value, is one of c's edges.
func (c *cdn) has(key []byte) bool {
	addr, ok := parseAddr(key)
	if !ok {
		return false
	}
	addr = addr.Unmap()
	for _, p := range c.nets {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
