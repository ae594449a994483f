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
	// Every crawler's token has "ot" in it (Googlebot, bingbot, Applebot,
	// AhrefsBot) and browsers' user agents rarely do: one scan rejects
	// nearly every line.
	if bytes.Index(ev.UserAgent, ot) < 0 {
		return nil
	}
	for i := range crawlers {
		c := &crawlers[i]
		if !bytes.Contains(ev.UserAgent, c.token) {
			continue
		}
		a, ok := parseAddr(ev.ClientIP)
		if !ok {
			return nil
		}
		for _, p := range c.nets {
			if p.Contains(a) {
				return crawlerNames[i]
			}
		}
		return nil
	}
	return nil
}

var ot = []byte("ot")

var crawlerNames = func() [][]byte {
	out := make([][]byte, len(crawlers))
	for i, c := range crawlers {
		out[i] = []byte(c.name)
	}
	return out
}()
