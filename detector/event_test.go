package detector

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/sentinel-dev/sentinel/detector/slidinghll"
	"github.com/sentinel-dev/sentinel/parsers"
)

// addrTexts returns client address texts: the usual shapes, the edge
// cases of dotted quads, and random strings of digits and dots.
func addrTexts() []string {
	texts := []string{"", "-", "203.0.113.7", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3.256",
		"01.2.3.4", "1.02.3.4", "1.2.3.04", "1.2.3.0", "10.0.0.1", "1.2.3", "1.2.3.4.5", "1..3.4",
		".1.2.3", "1.2.3.", "1234.1.1.1", "66.249.66.1", "66.249.66.1x", "2001:db8::1", "::ffff:66.249.66.1",
		"fe80::1%eth0", "example.com", "a.b.c.d", "1.2.3.4 ", "9.9.9.9"}
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "0123456789....:ax"
	for range 20000 {
		b := make([]byte, 1+rng.IntN(16))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		texts = append(texts, string(b))
	}
	return texts
}

// TestEvent_clientNet checks the network text against the address's
// prefix as netip prints it.
func TestEvent_clientNet(t *testing.T) {
	for _, text := range addrTexts() {
		var want string
		if a, ok := parseAddr([]byte(text)); ok {
			bits := 64
			if a.Is4() {
				bits = 24
			}
			want = netip.PrefixFrom(a, bits).Masked().String()
		}
		ev := &Event{Event: &parsers.Event{ClientIP: []byte(text)}}
		if got := string(ev.clientNet()); got != want {
			t.Errorf("clientNet(%q) = %q, want %q", text, got, want)
		}
	}
}

// TestVerifiedCrawler_leadingByte checks that reading an address's first
// byte from its text refuses only what the parsed address refuses.
func TestVerifiedCrawler_leadingByte(t *testing.T) {
	for _, text := range addrTexts() {
		b, ok := leadingByte([]byte(text))
		if !ok || crawlerFirstByte[b] {
			continue
		}
		// The crawler check then refuses the text: it must be no address,
		// or an IPv4 address of that first byte.
		if a, ok := parseAddr([]byte(text)); ok && !(a.Is4() && a.As4()[0] == b) {
			t.Errorf("leadingByte(%q) = %d, but the address is %v", text, b, a)
		}
	}
	ev := &Event{Event: &parsers.Event{ClientIP: []byte("66.249.66.1"), UserAgent: []byte("Mozilla/5.0 (compatible; Googlebot/2.1)")}}
	if got := string(verifiedCrawler(ev)); got != "googlebot" {
		t.Errorf("verifiedCrawler(Googlebot from its network) = %q, want googlebot", got)
	}
}

// TestVerifiedCrawler_sameAsParsed checks verifiedCrawler, with its
// refusals by the text's first bytes, against the parsed address's
// networks, on random texts and on addresses in and around every
// crawler network, written every way the address field may hold them.
func TestVerifiedCrawler_sameAsParsed(t *testing.T) {
	texts := addrTexts()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range crawlers {
		for _, p := range c.nets {
			for range 50 {
				a := p.Addr().As16()
				for i := p.Bits() / 8; i < 16; i++ {
					a[i] = byte(rng.IntN(256))
				}
				if rng.IntN(4) == 0 { // just outside the network
					a[rng.IntN(16)] ^= byte(1 + rng.IntN(255))
				}
				var addr netip.Addr
				if p.Addr().Is4() {
					addr = netip.AddrFrom4([4]byte(a[12:]))
					if p.Bits() >= 8 {
						b := addr.As4()
						b[0] = p.Addr().As4()[0]
						if rng.IntN(2) == 0 {
							for i := 1; i < p.Bits()/8; i++ {
								b[i] = p.Addr().As4()[i]
							}
						}
						addr = netip.AddrFrom4(b)
					}
					texts = append(texts, addr.String(), "0"+addr.String(), "::ffff:"+addr.String())
				} else {
					addr = netip.AddrFrom16(a)
					texts = append(texts, addr.String(), addr.StringExpanded(), strings.ToUpper(addr.String()))
				}
			}
		}
	}
	for _, text := range texts {
		for i, c := range crawlers {
			ev := &Event{Event: &parsers.Event{ClientIP: []byte(text), UserAgent: []byte("Mozilla/5.0 (compatible; " + string(c.token) + "/2.1)")}}
			var want string
			if a, ok := parseAddr([]byte(text)); ok {
				for _, p := range c.nets {
					if p.Contains(a) {
						want = string(crawlerNames[i])
					}
				}
			}
			if got := string(verifiedCrawler(ev)); got != want {
				t.Errorf("verifiedCrawler(%q, %s) = %q, want %q", text, c.token, got, want)
			}
		}
	}
}

// TestAgentHashes: the remembered hash of a user agent is its sketch
// hash, through hits, misses, replacements, an empty agent and agents that
// differ in their last byte or length only.
func TestAgentHashes(t *testing.T) {
	pool := []string{"", "Mozilla/5.0 (Windows)", "Mozilla/5.0 (Windowz)", "Mozilla/5.0 (Windows) ", "curl/8.5.0", "python-requests/2.31",
		"Go-http-client/1.1", "Mozilla/5.0 (iPhone)", strings.Repeat("x", 300)}
	rng := rand.New(rand.NewPCG(5, 6))
	var a agentHashes
	for i := range 5000 {
		ua := []byte(pool[rng.IntN(len(pool))])
		if i%7 == 0 {
			ua = nil
		}
		if got, want := a.hash(ua), slidinghll.Hash(ua); got != want {
			t.Fatalf("call %d: hash(%q) = %x, want %x", i, ua, got, want)
		}
	}
}

// FuzzFields reads every built-in field of an event made of arbitrary
// bytes, as the engine does, twice over one reused Event (the engine's
// way): nothing panics; the kept hashes are those of the values read; a
// route has no identifier left in it; a network holds its address; and a
// second event's values are its own, not the first's.
func FuzzFields(f *testing.F) {
	f.Add("203.0.113.7", "/orders/8812/pay", "Mozilla/5.0", "GET", 200, "2001:db8::1", "/3f2504e0-4f89-11d3-9a0c-0305e82c3301")
	f.Add("66.249.66.1", "/", "Googlebot/2.1", "POST", 502, "", "")
	f.Add("::ffff:198.51.100.9", "http://example.com/orders/17", "-", "", 0, "1.2.3", "/a1/b22/c333")
	f.Fuzz(func(t *testing.T, ip, path, ua, method string, status int, ip2, path2 string) {
		var e Event
		for _, in := range []struct{ ip, path string }{{ip, path}, {ip2, path2}} {
			var pe parsers.Event
			pe.Reset()
			pe.ClientIP, pe.Path, pe.UserAgent, pe.Method, pe.Status = []byte(in.ip), []byte(in.path), []byte(ua), []byte(method), status
			e.reset(&pe, 0)
			for _, name := range FieldNames() {
				fd := LookupField(name)
				v := fd.get(&e)
				if fd.hash != nil && len(v) < maxKeyBytes && fd.hash(&e) != keyHash(v) {
					t.Errorf("%s(%q): kept hash is not the value's", name, v)
				}
				if fd.hllHash != nil && v != nil && fd.hllHash(&e) != slidinghll.Hash(v) {
					t.Errorf("%s(%q): kept sketch hash is not the value's", name, v)
				}
				fd.num(&e)
			}
			route := LookupField("route").get(&e)
			if r := routeOf(nil, route); string(r) != string(route) {
				t.Errorf("route(%q) = %q, which has identifiers left (%q)", in.path, route, r)
			}
			if in.path != "" && len(route) == 0 {
				t.Errorf("route(%q) is empty", in.path)
			}
			if n := e.clientNet(); n != nil {
				p, err := netip.ParsePrefix(string(n))
				a, ok := e.clientAddr()
				if err != nil || !ok || !p.Contains(a.Unmap()) {
					t.Errorf("client_net(%q) = %q (%v), which does not hold the address %v (%v)", in.ip, n, err, a, ok)
				}
			}
		}
	})
}
