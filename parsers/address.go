package parsers

import "bytes"

// A client address in an [Event] is a bare address: an IPv4 or IPv6
// address without port, brackets or zone (IPv4-mapped IPv6 folded to
// IPv4), or, in access logs that write one instead (Apache with
// HostnameLookups on), a host name of letters, digits, '-', '.' and '_'.
// A value of any other shape never becomes a client: it would be a key
// that an attacker chooses, and it may reach a program's arguments
// through an action (issue #11: netip.ParseAddr takes any text after a
// '%' as a zone).

// ClientAddr reduces a logged client address to the bare address:
// "203.0.113.9:51234" (Go's r.RemoteAddr) and "[2001:db8::1]:443" lose
// their port, "[::1]" its brackets, "::ffff:192.0.2.1" becomes
// "192.0.2.1". It reports false for anything that is not then an IP
// address, such as a zone ("fe80::1%eth0"), a list, a name or "-". It
// returns a subslice of b and never allocates.
func ClientAddr(b []byte) ([]byte, bool) {
	if isIPv4(b) { // the common case first
		return b, true
	}
	if len(b) > 2 && b[0] == '[' {
		end := bytes.IndexByte(b, ']')
		if end < 0 || !isPort(b[end+1:]) {
			return nil, false
		}
		b = b[1:end]
		if !isIPv6(b) {
			return nil, false
		}
		return foldMapped(b), true
	}
	if i := bytes.IndexByte(b, ':'); i >= 0 && bytes.IndexByte(b[i+1:], ':') < 0 {
		if !isPort(b[i:]) || !isIPv4(b[:i]) {
			return nil, false
		}
		return b[:i], true
	}
	if isIPv6(b) {
		return foldMapped(b), true
	}
	return nil, false
}

// clientHost is [ClientAddr] for the client field of access logs, which
// may also hold a host name.
func clientHost(b []byte) ([]byte, bool) {
	if a, ok := ClientAddr(b); ok {
		return a, true
	}
	if isHostName(b) {
		return b, true
	}
	return nil, false
}

// forwardedClient picks the client out of an X-Forwarded-For style list
// ("a, b, c"): the rightmost address that is not a proxy's (see
// [isProxyAddr]), or, when every entry is, the leftmost one. Entries that
// are not addresses are passed over; nil means none was. The left of such
// a list is whatever the client sent in its own header and can be forged
// at will; each proxy appends the address it saw, so the rightmost public
// address is the one the last proxy in front of the server (Heroku's
// router, a load balancer) added itself. Rails' request.remote_ip chooses
// the same way.
func forwardedClient(list []byte) []byte {
	var leftmost []byte
	for end := len(list); end >= 0; {
		start := bytes.LastIndexByte(list[:end], ',') + 1
		if a, ok := ClientAddr(bytes.TrimSpace(list[start:end])); ok {
			if !isProxyAddr(a) {
				return a
			}
			leftmost = a
		}
		end = start - 1
	}
	return leftmost
}

// isPort reports whether p is empty or ":" and a port number (0 to 65535).
func isPort(p []byte) bool {
	if len(p) == 0 {
		return true
	}
	if p[0] != ':' || len(p) < 2 || len(p) > 6 {
		return false
	}
	n, ok := digits(p[1:])
	return ok && n <= 65535
}

// foldMapped turns an IPv4-mapped IPv6 address ("::ffff:1.2.3.4") into
// its IPv4 form, so that one client has one key.
func foldMapped(b []byte) []byte {
	const mapped = "::ffff:"
	if len(b) > len(mapped) && (string(b[:len(mapped)]) == mapped || string(b[:len(mapped)]) == "::FFFF:") &&
		isIPv4(b[len(mapped):]) {
		return b[len(mapped):]
	}
	return b
}

// isIPv4 reports whether b is a dotted-quad IPv4 address as
// netip.ParseAddr accepts it: four decimal octets of one to three digits,
// at most 255, without leading zeros.
func isIPv4(b []byte) bool {
	return len(b) > 0 && dottedQuadLen(b) == len(b)
}

// dottedQuadLen returns the length of the dotted quad (as [isIPv4] takes
// it) that starts b and is followed by the end of b or by a byte that is
// neither a digit nor a '.', or 0 if there is none. It runs on the client
// address of every access-log line: each octet is read digit by digit,
// which costs less than a loop over bytes with a state.
func dottedQuadLen(b []byte) int {
	n, _ := dottedQuad(b)
	return n
}

// dottedQuad is dottedQuadLen, and also returns the length of the quad's
// first three octets ("192.0.2" of "192.0.2.1"), the client's /24 that the
// detector cuts for its network rules ([Event.ClientNet24]).
func dottedQuad(b []byte) (n, net24 int) {
	i, last := 0, 0
	for k := 0; k < 4; k++ {
		if k > 0 {
			if i >= len(b) || b[i] != '.' {
				return 0, 0
			}
			last = i
			i++
		}
		if i >= len(b) || b[i]-'0' > 9 {
			return 0, 0
		}
		v := uint(b[i] - '0')
		i++
		if i < len(b) && b[i]-'0' <= 9 {
			if v == 0 {
				return 0, 0 // a leading zero
			}
			v = v*10 + uint(b[i]-'0')
			i++
			if i < len(b) && b[i]-'0' <= 9 {
				v = v*10 + uint(b[i]-'0')
				i++
				if v > 255 {
					return 0, 0
				}
			}
		}
	}
	if i < len(b) && (b[i]-'0' <= 9 || b[i] == '.') {
		return 0, 0
	}
	return i, last
}

// isIPv6 reports whether b is an IPv6 address as netip.ParseAddr accepts
// it, but without a zone: eight groups of 1 to 4 hex digits, one "::"
// standing for one or more zero groups, and optionally an IPv4 address
// for the last two.
func isIPv6(b []byte) bool {
	if len(b) < 2 || len(b) > 45 {
		return false
	}
	groups, ellipsis, i := 0, -1, 0
	if b[0] == ':' {
		if b[1] != ':' {
			return false
		}
		ellipsis, i = 0, 2
	}
	for i < len(b) {
		j := i
		for j < len(b) && j-i <= 4 && isHex(b[j]) {
			j++
		}
		if j == i || j-i > 4 {
			return false
		}
		if j < len(b) && b[j] == '.' {
			// An embedded IPv4 address: the last 32 bits.
			if groups > 6 || !isIPv4(b[i:]) {
				return false
			}
			groups += 2
			break
		}
		groups++
		if j == len(b) {
			break
		}
		if b[j] != ':' || j+1 == len(b) {
			return false
		}
		j++
		if b[j] == ':' {
			if ellipsis >= 0 {
				return false
			}
			ellipsis = groups
			j++
		}
		if groups > 8 {
			return false
		}
		i = j
	}
	if ellipsis < 0 {
		return groups == 8
	}
	return groups < 8
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isHostName reports whether b looks like a host name: 1 to 253 letters,
// digits, '-', '.' and '_', with at least one letter.
func isHostName(b []byte) bool {
	if len(b) == 0 || len(b) > 253 {
		return false
	}
	letter := false
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9', c == '-', c == '.', c == '_':
		default:
			return false
		}
	}
	return letter
}

// IsProxyAddr reports whether the bare address a belongs to the ranges
// proxies and load balancers talk from (see isProxyAddr).
func IsProxyAddr(a []byte) bool { return isProxyAddr(a) }

// isProxyAddr reports whether the bare address a belongs to the ranges
// proxies and load balancers talk from, never a client on the internet:
// loopback, private (RFC 1918, IPv6 unique local fc00::/7), link-local
// and shared (100.64.0.0/10).
func isProxyAddr(a []byte) bool {
	if bytes.IndexByte(a, ':') < 0 {
		var o [4]int
		k := 0
		for _, c := range a {
			if c == '.' {
				k++
				if k > 3 {
					return false
				}
				continue
			}
			o[k] = o[k]*10 + int(c-'0')
		}
		switch {
		case o[0] == 10, o[0] == 127:
			return true
		case o[0] == 172 && o[1]&0xf0 == 16:
			return true
		case o[0] == 192 && o[1] == 168, o[0] == 169 && o[1] == 254:
			return true
		case o[0] == 100 && o[1]&0xc0 == 64:
			return true
		}
		return false
	}
	if string(a) == "::1" {
		return true
	}
	// The first group of a non-compressed start.
	g, n := 0, 0
	for n < len(a) && n < 4 && isHex(a[n]) {
		c := a[n]
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		g = g<<4 | int(c)
		n++
	}
	if n == 0 {
		return false
	}
	return g&0xfe00 == 0xfc00 || g&0xffc0 == 0xfe80
}
