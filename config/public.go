package config

import (
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Public is the public listener of the signed links alerts carry
// (settings.public; README: Acting from your phone). It is off unless a
// config sets it.
type Public struct {
	// Listen is the address it listens on, behind the user's TLS proxy
	// ("127.0.0.1:9912").
	Listen string
	// URL is where people reach it, through the proxy: https, maybe with a
	// path. Empty only with AllowHTTP on a loopback listener: links then
	// use the listener's own address (a test on this machine).
	URL string
	// AllowHTTP accepts an http:// URL, on a loopback host only.
	AllowHTTP bool
	// LinkTTL is how long a link lives (default links.DefaultTTL, 24h).
	LinkTTL time.Duration
	// SilenceFor is how long a silence link holds the rules back
	// (default 1h).
	SilenceFor time.Duration
	// TrustedProxies are the peers whose X-Forwarded-For names the
	// client; nil means loopback.
	TrustedProxies []netip.Prefix
	Line           int // where settings.public is
}

// DefaultSilenceFor is how long a silence link holds rules back unless
// settings.public.silence_for says otherwise.
const DefaultSilenceFor = time.Hour

// Bounds of the public settings.
const (
	minLinkTTL = time.Minute
	maxLinkTTL = 30 * 24 * time.Hour
)

var publicKeys = []string{"listen", "url", "allow_http", "link_ttl", "silence_for", "trusted_proxies"}

// public decodes settings.public.
func (d *decoder) public(n *yaml.Node, path string) *Public {
	p := &Public{Line: n.Line, SilenceFor: DefaultSilenceFor}
	var urlNode, listenNode, httpNode *yaml.Node
	d.mapping(n, path, publicKeys, func(key string, k, v *yaml.Node) {
		f := path + "." + key
		switch key {
		case "listen":
			listenNode = v
			if s, ok := d.scalar(v, f); ok {
				if _, port, err := net.SplitHostPort(s); err != nil || !validPort(port) {
					d.errorf(v, f, "%q: want host:port, e.g. 127.0.0.1:9912 (the address your TLS proxy forwards to)", s)
				}
				p.Listen = s
			}
		case "url":
			urlNode = v
			p.URL, _ = d.scalar(v, f)
		case "allow_http":
			httpNode = v
			p.AllowHTTP, _ = d.boolean(v, f)
		case "link_ttl":
			if t, ok := d.duration(v, f); ok {
				if t < minLinkTTL || t > maxLinkTTL {
					d.errorf(v, f, "must be within 1m..720h (30 days)")
				}
				p.LinkTTL = t
			}
		case "silence_for":
			if t, ok := d.duration(v, f); ok {
				if t < time.Minute || t > 7*24*time.Hour {
					d.errorf(v, f, "must be within 1m..168h (7 days)")
				}
				p.SilenceFor = t
			}
		case "trusted_proxies":
			list, ok := d.strings(v, f)
			if !ok {
				return
			}
			p.TrustedProxies = []netip.Prefix{}
			for i, s := range list {
				pfx, err := netip.ParsePrefix(s)
				if err != nil {
					a, aerr := netip.ParseAddr(s)
					if aerr != nil {
						d.errorf(v, f+"["+strconv.Itoa(i)+"]", "%q is no address or CIDR prefix", s)
						continue
					}
					pfx = netip.PrefixFrom(a, a.BitLen())
				}
				p.TrustedProxies = append(p.TrustedProxies, pfx.Masked())
			}
		}
	})
	if listenNode == nil {
		d.errorf(n, path+".listen", "required: the address your TLS proxy forwards to, e.g. 127.0.0.1:9912")
	}
	d.publicURL(p, n, urlNode, httpNode, path)
	return p
}

// publicURL checks settings.public.url: https, or http on a loopback host
// with allow_http; a URL a phone can open, with no credentials, query or
// fragment.
func (d *decoder) publicURL(p *Public, n, urlNode, httpNode *yaml.Node, path string) {
	f := path + ".url"
	if urlNode == nil {
		if p.AllowHTTP && p.Listen != "" && loopbackHostPort(p.Listen) {
			return // links use the listener's own address: a test on this machine
		}
		d.errorf(n, f, "required: the https:// address people reach the listener at, through your TLS proxy")
		return
	}
	u, err := url.Parse(p.URL)
	if err != nil || u.Opaque != "" || u.Host == "" {
		d.errorf(urlNode, f, "%q: want https://host[:port][/path]", p.URL)
		return
	}
	switch {
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		d.errorf(urlNode, f, "must not hold credentials, a query or a fragment")
	case strings.ContainsFunc(u.Host, func(r rune) bool { return r >= utf8.RuneSelf }):
		// A browser's Origin names the host in ASCII: the links' origin
		// check would refuse every confirmation.
		d.errorf(urlNode, f, "%q: write the host in its ASCII form (punycode, xn--…), as browsers send it", p.URL)
	case u.Scheme == "https":
	case u.Scheme == "http" && !p.AllowHTTP:
		d.errorf(urlNode, f, "%q is not https: a link is a capability and must not cross a network in clear "+
			"(put a TLS proxy in front; allow_http: true accepts http on a loopback host, for tests)", p.URL)
	case u.Scheme == "http" && !loopbackHost(u.Hostname()):
		d.errorf(httpNode, path+".allow_http", "accepts http only on a loopback host (127.0.0.1, ::1, localhost), not %q: use https", u.Hostname())
	case u.Scheme != "http":
		d.errorf(urlNode, f, "scheme %q: want https", u.Scheme)
	}
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && n <= 65535
}

// loopbackHostPort reports whether a host:port names this machine.
func loopbackHostPort(hp string) bool {
	h, _, err := net.SplitHostPort(hp)
	return err == nil && loopbackHost(h)
}

// loopbackHost reports whether host is a loopback address or localhost.
func loopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsLoopback()
}
