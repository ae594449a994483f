package detector

import (
	"math/rand/v2"
	"net/netip"
	"testing"

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
