package detector

import (
	"net/netip"
	"testing"

	"github.com/sentinel-dev/sentinel/parsers"
)

// TestCIDR_quickRefusal: the first-digits refusal never turns away an
// address a prefix holds, for every prefix shape internal-clients and a
// config may give (IPv4, IPv4-mapped, IPv6 narrower and wider than 16
// bits), against the full parse.
func TestCIDR_quickRefusal(t *testing.T) {
	prefixes := []string{"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "169.254.0.0/16", "fe80::/10", "100.64.0.0/10", "2001:db8::/32", "0.0.0.0/1", "::ffff:198.51.100.0/120", "::/0", "::ffff:0:0/96"}
	addrs := []string{"127.0.0.1", "10.1.2.3", "11.1.2.3", "172.15.0.1", "172.16.0.1", "172.31.255.255", "172.32.0.1", "192.168.1.1", "192.169.1.1",
		"::1", "::2", "fc00::1", "fd12::1", "fe00::1", "fe80::1", "febf::1", "fec0::1", "2001:db8:1::1", "2001:db9::1", "::ffff:10.0.0.1", "::ffff:8.8.8.8", "::ffff:127.0.0.1", "::FFFF:192.168.1.1",
		"169.254.9.9", "100.64.0.1", "100.128.0.1", "198.51.100.7", "203.0.113.9", "8.8.8.8", "128.0.0.1", "not an address", "", "1234.5.6.7", "2001:db8::/48", "10.2.3.0/24"}
	field := LookupField("client_ip")
	for _, set := range [][]string{prefixes, prefixes[:1], prefixes[1:2], prefixes[9:10], prefixes[10:11], prefixes[11:12], prefixes[12:13], prefixes[13:14], prefixes[5:6]} {
		c := &CIDR{Field: field}
		for _, p := range set {
			c.Prefixes = append(c.Prefixes, netip.MustParsePrefix(p))
		}
		full := &CIDR{Field: field, Prefixes: c.Prefixes}
		full.firstsOnce.Do(func() { full.firsts = &cidrFirsts{} })
		for i := range full.firsts.v4 {
			full.firsts.v4[i] = true
		}
		full.firsts.v6 = [][2]uint16{{0, 0xffff}}
		for _, a := range addrs {
			var ev parsers.Event
			ev.ClientIP = []byte(a)
			if got, want := c.Match(&Event{Event: &ev}), full.Match(&Event{Event: &ev}); got != want {
				t.Errorf("%v holds %q: %v, the full parse says %v", set, a, got, want)
			}
		}
	}
}
