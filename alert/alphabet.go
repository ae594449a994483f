package alert

import (
	"net/netip"
	"strings"
	"unicode/utf8"
)

// Alphabet is the set of characters a value of one log field may hold
// once it leaves sentinel for a program's argument, a URL or a header.
// Text taken from a log is the attacker's: [Alphabet.Reduce] brings it
// into the alphabet of its field, or drops it, so that a client address
// is a bare address and never "fe80::1%x }; flush ruleset".
type Alphabet int

// The alphabets of the log fields.
const (
	// TextAlphabet is free text (user_agent, message, an extra field):
	// valid UTF-8 with no control character, bidirectional override or
	// line separator; those become \xHH or \uXXXX, as [Sanitize] writes.
	TextAlphabet Alphabet = iota
	// AddrAlphabet is a bare IP address in canonical form, no IPv6 zone:
	// hex digits, "." and ":". A value that is not one is dropped.
	AddrAlphabet
	// PrefixAlphabet is an IP prefix (client_net) in canonical form,
	// masked: AddrAlphabet and "/". A value that is not one is dropped.
	PrefixAlphabet
	// DigitsAlphabet is a decimal number (status, bytes). A value with
	// anything else is dropped.
	DigitsAlphabet
	// DurationAlphabet is a Go duration ("1.5s", "250ms"). A value with
	// anything else is dropped.
	DurationAlphabet
	// TokenAlphabet is an RFC 9110 token (method, kind). A value with
	// anything else is dropped.
	TokenAlphabet
	// HostAlphabet is a host name or address with an optional port
	// (host): letters, digits and "-._:[]". A value with anything else is
	// dropped.
	HostAlphabet
	// PathAlphabet is a URL path: RFC 3986's unreserved and sub-delims
	// characters and ":@/%"; any other byte is percent-encoded.
	PathAlphabet
	// QueryAlphabet is a query string: PathAlphabet and "?"; any other
	// byte is percent-encoded.
	QueryAlphabet
	// URLAlphabet is a whole URL (referer): QueryAlphabet and "#[]"; any
	// other byte is percent-encoded.
	URLAlphabet
)

// maxReducedRunes bounds a reduced text value (keys are cut at 256 bytes
// already).
const maxReducedRunes = 1024

// FieldAlphabet returns the alphabet of the log field named field (a
// rule's group_by): the built-in fields have their own, any other field is
// [TextAlphabet].
func FieldAlphabet(field string) Alphabet {
	switch field {
	case "client_ip":
		return AddrAlphabet
	case "client_net":
		return PrefixAlphabet
	case "status", "bytes":
		return DigitsAlphabet
	case "duration":
		return DurationAlphabet
	case "method", "kind":
		return TokenAlphabet
	case "host":
		return HostAlphabet
	case "path", "route":
		return PathAlphabet
	case "query":
		return QueryAlphabet
	case "referer":
		return URLAlphabet
	}
	return TextAlphabet
}

// Reduce returns v reduced to the alphabet, and false when v is not a
// value of it at all and must be dropped (a client_ip that is not a bare
// address). The result of a true return always satisfies
// [Alphabet.Contains].
func (ab Alphabet) Reduce(v string) (string, bool) {
	switch ab {
	case AddrAlphabet:
		return BareAddr(v)
	case PrefixAlphabet:
		p, err := netip.ParsePrefix(v) // a prefix never has a zone
		if err != nil {
			return "", false
		}
		return p.Masked().String(), true
	case DigitsAlphabet, DurationAlphabet, TokenAlphabet, HostAlphabet:
		if v == "" || !ab.Contains(v) {
			return "", false
		}
		return v, true
	case PathAlphabet, QueryAlphabet, URLAlphabet:
		var b strings.Builder
		for _, c := range []byte(v) {
			if ab.allows(rune(c)) && c < utf8.RuneSelf {
				b.WriteByte(c)
				continue
			}
			const hex = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
		return b.String(), true
	}
	return Sanitize(v, maxReducedRunes), true
}

// Contains reports whether every character of s is in the alphabet (for
// AddrAlphabet and PrefixAlphabet: of their characters, not whether s
// parses).
func (ab Alphabet) Contains(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !ab.allows(r) {
			return false
		}
	}
	return true
}

// allows reports whether r is in the alphabet.
func (ab Alphabet) allows(r rune) bool {
	ascii := func(set string) bool { return r < utf8.RuneSelf && strings.IndexByte(set, byte(r)) >= 0 }
	alnum := r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	const pathChars = "-._~!$&'()*+,;=:@/%"
	switch ab {
	case AddrAlphabet:
		return ascii("0123456789abcdefABCDEF.:")
	case PrefixAlphabet:
		return ascii("0123456789abcdefABCDEF.:/")
	case DigitsAlphabet:
		return ascii("0123456789")
	case DurationAlphabet:
		return ascii("0123456789.hmsun") || r == 'µ' || r == 'μ'
	case TokenAlphabet:
		return alnum || ascii("!#$%&'*+-.^_`|~")
	case HostAlphabet:
		return alnum || ascii("-._:[]")
	case PathAlphabet:
		return alnum || ascii(pathChars)
	case QueryAlphabet:
		return alnum || ascii(pathChars+"?")
	case URLAlphabet:
		return alnum || ascii(pathChars+"?#[]")
	}
	return !IsControl(r) && !IsBidiOrBreak(r)
}

// BareAddr returns v as a bare IP address in canonical form, and false
// when v is not one: an IPv6 zone ("fe80::1%eth0") is not part of a
// client's address, and its text is anything the log said, so an address
// with one is dropped, never cut.
func BareAddr(v string) (string, bool) {
	a, err := netip.ParseAddr(v)
	if err != nil || a.Zone() != "" {
		return "", false
	}
	return a.String(), true
}
