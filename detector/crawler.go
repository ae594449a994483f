package detector

import (
	"bytes"
	"net/netip"
)

// crawler is a well-known crawler: the token its user agent carries and
// the networks it publishes. A request is from the crawler only when both
// hold: anybody can send Googlebot's user agent.
type crawler struct {
	name  string
	token []byte
	nets  []netip.Prefix
}

// crawlers are the search engines' and SEO tools' crawlers that a site's
// busiest clients usually are (traffic-shapes: Googlebot was the busiest
// client of two of the corpus's sites), with the ranges they publish:
// Google's googlebot.json, Bing's bingbot.json, Apple's Applebot support
// page, Ahrefs' IP list. The lists change now and then; a crawler outside
// them is counted like anybody else, which is the safe side.
var crawlers = []crawler{
	{"googlebot", []byte("Googlebot"), prefixes("66.249.64.0/19", "2001:4860:4801::/48")},
	{"bingbot", []byte("bingbot"), prefixes("157.55.39.0/24", "207.46.13.0/24", "40.77.167.0/24", "13.66.139.0/24",
		"13.66.144.0/24", "52.167.144.0/24", "40.77.188.0/22", "65.55.210.0/24", "199.30.24.0/23", "40.77.202.0/24",
		"40.77.139.0/25", "40.77.177.0/24", "40.77.178.0/23", "20.15.133.160/27", "20.74.197.0/28")},
	{"applebot", []byte("Applebot"), prefixes("17.0.0.0/8")},
	{"ahrefsbot", []byte("AhrefsBot"), prefixes("54.36.148.0/23")},
}

func prefixes(s ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(s))
	for i, p := range s {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

// verifiedCrawler returns the name of the crawler ev comes from, when its
// user agent names one and its address is in that crawler's networks;
// nil otherwise.
func verifiedCrawler(ev *Event) []byte {
	// The address first: an IPv4 address's first byte rejects nearly every
	// line before any scan of the user agent, read from the text without
	// parsing the rest (this runs for every request of a rule that leaves
	// crawlers out). Cheaper still comes the text's first two bytes when
	// they are a digit from 1 and a digit or a dot: "13", "17", "20" … are
	// all a crawler's address can start with (crawlerLead).
	if ip := ev.ClientIP; len(ip) >= 2 && ip[0]-'1' < 9 && (ip[1]-'0' < 10 || ip[1] == '.') &&
		crawlerLead[ip[0]-'1'][ip[1]-'.'] == 0 {
		return nil
	}
	// A text that starts with a byte and a dot is an IPv4 address with
	// that first byte, or no address at all: nil either way.
	if b, ok := leadingByte(ev.ClientIP); ok && !crawlerFirstByte[b] {
		return nil
	}
	a, ok := ev.clientAddr()
	if !ok {
		return nil
	}
	if a.Is4() {
		// Only the networks of the address's first byte, in the same
		// order: an address of Bing's first bytes would otherwise try
		// every network of the list.
		for _, n := range crawlerNets4[a.As4()[0]] {
			if n.net.Contains(a) {
				return crawlerOf(n.crawler, ev)
			}
		}
		return nil
	}
	for i := range crawlers {
		for _, p := range crawlers[i].nets {
			if p.Contains(a) {
				return crawlerOf(i, ev)
			}
		}
	}
	return nil
}

// crawlerOf returns the name of crawler i when ev's user agent names it,
// nil otherwise: ev's address is in its networks.
func crawlerOf(i int, ev *Event) []byte {
	if bytes.Contains(ev.UserAgent, crawlers[i].token) {
		return crawlerNames[i]
	}
	return nil
}

// leadingByte returns the number of 1 to 3 digits, at most 255, that b
// starts with before a dot ("66" of "66.249.66.1"); false when b does not
// start so.
func leadingByte(b []byte) (byte, bool) {
	n := 0
	for i, c := range b {
		switch {
		case c == '.' && i > 0:
			return byte(n), true
		case c < '0' || c > '9' || i == 3:
			return 0, false
		}
		if n = n*10 + int(c-'0'); n > 255 {
			return 0, false
		}
	}
	return 0, false
}

// crawlerFirstByte holds the first bytes of the crawlers' IPv4 networks.
var crawlerFirstByte = func() (set [256]bool) {
	for b, nets := range crawlerNets4 {
		set[b] = len(nets) > 0
	}
	return set
}()

// crawlerLead holds the first two bytes that the text of an address in a
// crawler's network may start with, for a first byte '1' … '9' (index
// [first-'1']) and a second one '.' … '9' (index [second-'.']): an IPv4
// network's first byte as it is written (leading zeros, which some host
// name fields keep, start with '0' and are not ruled out), an IPv6
// network's first group when it has four digits.
var crawlerLead = func() (lead [9][12]uint8) {
	add := func(t string) {
		if len(t) >= 2 && t[0]-'1' < 9 && (t[1]-'0' < 10 || t[1] == '.') {
			lead[t[0]-'1'][t[1]-'.'] = 1
		}
	}
	for b, nets := range crawlerNets4 {
		if len(nets) > 0 {
			add(byteText[b] + ".")
		}
	}
	for _, c := range crawlers {
		for _, p := range c.nets {
			if p.Addr().Is4() {
				continue
			}
			if a := p.Addr().As16(); a[0] < 0x10 || p.Bits() < 16 {
				// A first group under 0x1000 (or not fixed by the
				// prefix) may be written with fewer digits: no refusal
				// by the first bytes then.
				for i := range lead {
					for j := range lead[i] {
						lead[i][j] = 1
					}
				}
				continue
			}
			add(p.Addr().StringExpanded())
		}
	}
	return lead
}()

// crawlerNet is a network of crawlers[crawler].
type crawlerNet struct {
	crawler int
	net     netip.Prefix
}

// crawlerNets4 holds, per first byte, the crawlers' IPv4 networks of that
// first byte, in the order of crawlers and their nets.
var crawlerNets4 = func() (byFirst [256][]crawlerNet) {
	for i, c := range crawlers {
		for _, p := range c.nets {
			if !p.Addr().Is4() {
				continue
			}
			if p.Bits() < 8 {
				panic("crawler network wider than a /8: " + p.String())
			}
			b := p.Addr().As4()[0]
			byFirst[b] = append(byFirst[b], crawlerNet{i, p})
		}
	}
	return byFirst
}()

var crawlerNames = func() [][]byte {
	out := make([][]byte, len(crawlers))
	for i, c := range crawlers {
		out[i] = []byte(c.name)
	}
	return out
}()
