package detector

import (
	"bytes"
	"net/netip"
	"regexp"
	"slices"
	"sync"

	"github.com/sentinel-dev/sentinel/parsers"
)

// Cond is one condition on an event. Conditions are built by the config
// package from a rule's match: block and evaluated for every event, so
// they do not allocate.
type Cond interface {
	Match(ev *Event) bool
}

// All holds when every condition holds (true when empty).
type All []Cond

// Match implements [Cond].
func (a All) Match(ev *Event) bool {
	for _, c := range a {
		if !c.Match(ev) {
			return false
		}
	}
	return true
}

// Any holds when at least one condition holds.
type Any []Cond

// Match implements [Cond].
func (a Any) Match(ev *Event) bool {
	for _, c := range a {
		if c.Match(ev) {
			return true
		}
	}
	return false
}

// Not negates a condition.
type Not struct{ Cond Cond }

// Match implements [Cond].
func (n Not) Match(ev *Event) bool { return !n.Cond.Match(ev) }

// Equals holds when the field's text is one of Values (compared exactly;
// an empty value in Values matches an absent field).
type Equals struct {
	Field  Field
	Values []string
	// byLen, for a long list, holds the values by length: byLen[n] are
	// those of n bytes, and a value as long as len(byLen) or longer is
	// none. A path is compared with the one or two of its length, or
	// with none (most paths), where a set hashed every path. A list with a
	// value longer than maxByLen uses set instead.
	byLen [][]string
	set   map[string]struct{}
}

// maxByLen is the longest value of a list that Equals keeps by length.
const maxByLen = 512

// NewEquals returns an [Equals] condition.
func NewEquals(f Field, values []string) *Equals {
	c := &Equals{Field: f, Values: values}
	if len(values) > 6 {
		longest := 0
		for _, v := range values {
			longest = max(longest, len(v))
		}
		if longest > maxByLen {
			c.set = make(map[string]struct{}, len(values))
		} else {
			c.byLen = make([][]string, longest+1)
		}
		for _, v := range values {
			if c.set != nil {
				c.set[v] = struct{}{}
			} else {
				c.byLen[len(v)] = append(c.byLen[len(v)], v)
			}
		}
	}
	return c
}

// Match implements [Cond].
func (c *Equals) Match(ev *Event) bool {
	v := c.Field.get(ev)
	want := c.Values
	switch {
	case c.set != nil:
		_, ok := c.set[string(v)]
		return ok
	case c.byLen != nil:
		if len(v) >= len(c.byLen) {
			return false
		}
		want = c.byLen[len(v)]
	}
	for _, w := range want {
		if string(v) == w {
			return true
		}
	}
	return false
}

// Text holds when the field's text has one of Values as a prefix, suffix
// or substring, per Op.
type Text struct {
	Field  Field
	Op     TextOp
	Values []string
	// Fold compares ASCII case-insensitively.
	Fold bool
	// byEdge, for a long list of prefixes or suffixes (see [NewText]),
	// holds the values by their first or last byte (both cases of it,
	// with Fold); nil: every value is compared.
	byEdge *[256][]string
}

// NewText returns a [Text] condition. A list of more than six prefixes
// or suffixes is kept by the values' first or last byte, so that a text
// is compared with the few that start or end as it does: a static file's
// twenty extensions are asked of every request, most of whose paths end
// in none of their last bytes (and feed-polls' ten, case-insensitively,
// cost traffic-spike a tenth of a replay compared one by one).
func NewText(f Field, op TextOp, values []string, fold bool) *Text {
	c := &Text{Field: f, Op: op, Values: values, Fold: fold}
	if op == Contains || len(values) <= 6 || slices.Contains(values, "") {
		return c
	}
	c.byEdge = new([256][]string)
	for _, v := range values {
		b := edge(op, v)
		c.byEdge[b] = append(c.byEdge[b], v)
		if o := otherCase(b); fold && o != b {
			c.byEdge[o] = append(c.byEdge[o], v)
		}
	}
	return c
}

// otherCase is b's ASCII letter in the other case, or b.
func otherCase(b byte) byte {
	switch {
	case 'a' <= b && b <= 'z':
		return b - 'a' + 'A'
	case 'A' <= b && b <= 'Z':
		return b - 'A' + 'a'
	}
	return b
}

// edge is the byte of v that a list of op's values is kept by: the first
// of a prefix, the last of a suffix. v is not empty.
func edge[T string | []byte](op TextOp, v T) byte {
	if op == Prefix {
		return v[0]
	}
	return v[len(v)-1]
}

// TextOp says how a [Text] condition compares.
type TextOp uint8

// Text operators.
const (
	Prefix TextOp = iota
	Suffix
	Contains
)

// Match implements [Cond].
func (c *Text) Match(ev *Event) bool {
	v := c.Field.get(ev)
	if v == nil {
		return false
	}
	values := c.Values
	if c.byEdge != nil {
		if len(v) == 0 {
			return false // no value is empty
		}
		values = c.byEdge[edge(c.Op, v)]
	}
	for _, w := range values {
		if c.match(v, w) {
			return true
		}
	}
	return false
}

func (c *Text) match(v []byte, w string) bool {
	switch c.Op {
	case Prefix:
		return len(v) >= len(w) && c.eq(v[:len(w)], w)
	case Suffix:
		return len(v) >= len(w) && c.eq(v[len(v)-len(w):], w)
	default:
		if !c.Fold {
			return bytes.Contains(v, []byte(w))
		}
		for i := 0; i+len(w) <= len(v); i++ {
			if c.eq(v[i:i+len(w)], w) {
				return true
			}
		}
		return false
	}
}

func (c *Text) eq(a []byte, b string) bool {
	if !c.Fold {
		return string(a) == b
	}
	// ASCII only: bytes.EqualFold's Unicode folding (the Kelvin sign as
	// a k) is not what a path's or a user agent's case means, and a byte
	// kept by its edge (byEdge) must be the byte compared.
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		if x, y := a[i], b[i]; x != y && (x|0x20 != y|0x20 || x|0x20 < 'a' || x|0x20 > 'z') {
			return false
		}
	}
	return true
}

// Regexp holds when the field's text matches the expression (RE2: linear
// time whatever the input).
type Regexp struct {
	Field Field
	Re    *regexp.Regexp
}

// Match implements [Cond].
func (c *Regexp) Match(ev *Event) bool {
	v := c.Field.get(ev)
	return v != nil && ev.re.match(c.Re, v)
}

// Range holds when the field's number lies in [Min, Max] for one of the
// ranges.
type Range struct {
	Field  Field
	Ranges []NumRange
}

// NumRange is a closed interval of numbers.
type NumRange struct{ Min, Max float64 }

// Match implements [Cond].
func (c *Range) Match(ev *Event) bool {
	n, ok := c.Field.num(ev)
	if !ok {
		return false
	}
	for _, r := range c.Ranges {
		if n >= r.Min && n <= r.Max {
			return true
		}
	}
	return false
}

// CIDR holds when the field is an IP address inside one of the prefixes,
// or a network (client_net's "203.0.113.0/24") all of which is inside one.
type CIDR struct {
	Field    Field
	Prefixes []netip.Prefix

	// firsts is what a value's first octet (IPv4) or first 16 bits (IPv6)
	// may be for a prefix to hold it, made once from Prefixes: most
	// addresses are turned away on their first digits, unparsed
	// (internal-clients asks every request).
	firstsOnce sync.Once
	firsts     *cidrFirsts
}

// mapped4 is the IPv4-mapped IPv6 addresses, ::ffff:a.b.c.d.
var mapped4 = netip.MustParsePrefix("::ffff:0:0/96")

// cidrFirsts is CIDR's quick refusal: the first octets of the IPv4
// prefixes (and IPv4-mapped ones), the ranges of first 16 bits of the
// IPv6 ones.
type cidrFirsts struct {
	v4 [256]bool
	v6 [][2]uint16
}

func newCIDRFirsts(prefixes []netip.Prefix) *cidrFirsts {
	f := &cidrFirsts{}
	for _, p := range prefixes {
		a := p.Addr()
		if a.Is4() || a.Is4In6() && p.Bits() >= 96 {
			bits := p.Bits()
			if !a.Is4() {
				bits -= 96
			}
			first := a.Unmap().As4()[0]
			span := 1
			if bits < 8 {
				span = 1 << (8 - bits)
			}
			for o := int(first) &^ (span - 1); o < int(first)&^(span-1)+span; o++ {
				f.v4[o] = true
			}
			// An IPv4-mapped address (::ffff:a.b.c.d, first hextet 0) is
			// matched as the IPv4 one.
			f.v6 = append(f.v6, [2]uint16{0, 0})
			continue
		}
		b := a.As16()
		lo := uint16(b[0])<<8 | uint16(b[1])
		hi := lo
		if bits := p.Bits(); bits < 16 {
			lo &^= 1<<(16-bits) - 1
			hi = lo | (1<<(16-bits) - 1)
		}
		f.v6 = append(f.v6, [2]uint16{lo, hi})
		if p.Overlaps(mapped4) {
			// A prefix that holds IPv4-mapped addresses (::/0,
			// ::ffff:0:0/96): every IPv4 first octet may match.
			for o := range f.v4 {
				f.v4[o] = true
			}
		}
	}
	return f
}

// maybe reports whether v, an address or network as text, may lie in one
// of the prefixes, from its first digits; false is certain. One pass over
// at most five bytes: it is asked of every request.
func (f *cidrFirsts) maybe(v []byte) bool {
	dec, hex, digits := 0, 0, 0
	for _, c := range v {
		switch {
		case c == '.':
			return digits == 0 || digits > 3 || dec > 255 || f.v4[dec]
		case c == ':':
			return digits > 4 || f.v6Holds(uint16(hex))
		case c >= '0' && c <= '9':
			dec, hex = dec*10+int(c-'0'), hex<<4|int(c-'0')
		case c >= 'a' && c <= 'f':
			dec, hex = 1000, hex<<4|int(c-'a'+10)
		case c >= 'A' && c <= 'F':
			dec, hex = 1000, hex<<4|int(c-'A'+10)
		default:
			return true // not an address: the full parse refuses it
		}
		if digits++; digits > 4 {
			return true
		}
	}
	return true
}

// v6Holds reports whether an IPv6 prefix's first 16 bits may be h.
func (f *cidrFirsts) v6Holds(h uint16) bool {
	for _, r := range f.v6 {
		if h >= r[0] && h <= r[1] {
			return true
		}
	}
	return false
}

// Match implements [Cond].
func (c *CIDR) Match(ev *Event) bool {
	c.firstsOnce.Do(func() { c.firsts = newCIDRFirsts(c.Prefixes) })
	if !c.firsts.maybe(c.Field.get(ev)) {
		return false
	}
	var a netip.Addr
	var ok bool
	if c.Field.Name == "client_ip" {
		a, ok = ev.clientAddr() // parsed once per event (internal-clients asks every request)
	} else {
		a, ok = parseAddr(c.Field.get(ev))
	}
	bits := -1 // an address
	if !ok {
		if a, bits, ok = parseNet(c.Field.get(ev)); !ok {
			return false
		}
	}
	for _, p := range c.Prefixes {
		if p.Contains(a) && (bits < 0 || p.Bits() <= bits) {
			return true
		}
	}
	return false
}

// parseNet parses a network written address/bits ("203.0.113.0/24"),
// without allocating for IPv4: a rule on client_net asks every request.
func parseNet(b []byte) (netip.Addr, int, bool) {
	i := bytes.IndexByte(b, '/')
	if i <= 0 || len(b)-i < 2 || len(b)-i > 4 {
		return netip.Addr{}, 0, false
	}
	a, ok := parseAddr(b[:i])
	if !ok {
		return netip.Addr{}, 0, false
	}
	bits := 0
	for _, c := range b[i+1:] {
		if c < '0' || c > '9' {
			return netip.Addr{}, 0, false
		}
		bits = bits*10 + int(c-'0')
	}
	return a, bits, bits <= a.BitLen()
}

// parseAddr parses an IP address, IPv4 by hand so that the common case
// does not allocate.
func parseAddr(b []byte) (netip.Addr, bool) {
	if len(b) == 0 {
		return netip.Addr{}, false
	}
	var v4 [4]byte
	part, n, digitsSeen := 0, 0, 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			n = n*10 + int(c-'0')
			digitsSeen++
			if n > 255 || digitsSeen > 3 {
				return parseAddrSlow(b)
			}
		case c == '.' && digitsSeen > 0 && part < 3:
			v4[part] = byte(n)
			part, n, digitsSeen = part+1, 0, 0
		default:
			return parseAddrSlow(b)
		}
	}
	if part != 3 || digitsSeen == 0 {
		return netip.Addr{}, false
	}
	v4[3] = byte(n)
	return netip.AddrFrom4(v4), true
}

// parseAddrSlow parses IPv6 and anything unusual with the standard
// library. An address with an IPv6 zone ("fe80::1%eth0", or any text after
// the "%") is not a client address: it is refused.
func parseAddrSlow(b []byte) (netip.Addr, bool) {
	a, err := netip.ParseAddr(string(b))
	return a.Unmap(), err == nil && a.Zone() == ""
}

// Present holds when the field has a value (or, with Want false, when it
// has none): "crawler: {present: true}" for verified crawlers.
type Present struct {
	Field Field
	Want  bool
}

// Match implements [Cond].
func (c *Present) Match(ev *Event) bool { return (c.Field.get(ev) != nil) == c.Want }

// KindIs holds for events of one kind (requests or application
// messages); it is the first condition of most rules, so it is cheap.
type KindIs parsers.Kind

// Match implements [Cond].
func (k KindIs) Match(ev *Event) bool { return ev.Kind == parsers.Kind(k) }

// Matches reports whether ev passes c, outside an engine (checks and
// tests: it allocates the engine's per-event buffers each time).
func Matches(c Cond, ev *parsers.Event) bool { return c.Match(&Event{Event: ev}) }

// Shared is a named match block that several rules use (the config's
// matchers: sign-up posts, log-in posts): one concept, one definition,
// and the engine evaluates it at most once per event whatever the number
// of rules that use it. ID numbers the shared blocks of one config from 0;
// the engine keeps each one's answer for the event at that index.
type Shared struct {
	Name string
	ID   int
	Cond Cond
}

// Match implements [Cond].
func (c *Shared) Match(ev *Event) bool {
	if c.ID >= len(ev.memo) {
		return c.Cond.Match(ev)
	}
	switch ev.memo[c.ID] {
	case memoTrue:
		return true
	case memoFalse:
		return false
	}
	ok := c.Cond.Match(ev)
	ev.memo[c.ID] = memoFalse
	if ok {
		ev.memo[c.ID] = memoTrue
	}
	return ok
}

// The answers of shared blocks for the current event.
const (
	memoUnknown uint8 = iota
	memoTrue
	memoFalse
)

// fieldOf returns the field a condition reads, if it reads one.
func fieldOf(c Cond) (Field, bool) {
	switch c := c.(type) {
	case *Equals:
		return c.Field, true
	case *Text:
		return c.Field, true
	case *Regexp:
		return c.Field, true
	case *Range:
		return c.Field, true
	case *CIDR:
		return c.Field, true
	case *Present:
		return c.Field, true
	}
	return Field{}, false
}

// walk calls f for c and every condition inside it.
func walk(c Cond, f func(Cond)) {
	if c == nil {
		return
	}
	f(c)
	switch c := c.(type) {
	case All:
		for _, x := range c {
			walk(x, f)
		}
	case Any:
		for _, x := range c {
			walk(x, f)
		}
	case Not:
		walk(c.Cond, f)
	case *Shared:
		walk(c.Cond, f)
	}
}
