package parsers

import (
	"net/netip"
	"strings"
	"testing"
)

func TestClientAddr(t *testing.T) {
	for _, tt := range []struct {
		in, want string // want "" means not an address
	}{
		{"203.0.113.9", "203.0.113.9"},
		{"203.0.113.9:51234", "203.0.113.9"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"[2001:db8::1]", "2001:db8::1"},
		{"2001:db8::1", "2001:db8::1"},
		{"::1", "::1"},
		{"[::1]:8080", "::1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"::FFFF:192.0.2.1", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:80", "192.0.2.1"},
		{"2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"},
		{"1:2:3:4:5:6:192.0.2.1", "1:2:3:4:5:6:192.0.2.1"},
		// Issue #11: a zone is any text netip.ParseAddr takes after '%'.
		{"fe80::1%eth0", ""},
		{"fe80::1%x }; flush ruleset; add table inet pwned {", ""},
		{"[fe80::1%eth0]:51234", ""},
		{"fe80::1%25eth0", ""},
		{"-", ""},
		{"", ""},
		{"unknown", ""},
		{"203.0.113.9, 198.51.100.7", ""},
		{"203.0.113.9:", ""},
		{"203.0.113.9:123456", ""},
		{"203.0.113.9:80:80", ""},
		{"[203.0.113.9]:80", ""},
		{"[2001:db8::1]x", ""},
		{"[2001:db8::1", ""},
		{"01.2.3.4", ""},
		{"1.2.3.256", ""},
		{"1.2.3", ""},
		{"1.2.3.4.5", ""},
		{"1::2::3", ""},
		{"1:2:3:4:5:6:7:8:9", ""},
		{"12345::1", ""},
		{"host.example.com", ""},
		{"1.2.3.4 ", ""},
	} {
		got, ok := ClientAddr([]byte(tt.in))
		if string(got) != tt.want || ok != (tt.want != "") {
			t.Errorf("ClientAddr(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestClientHost(t *testing.T) {
	for in, want := range map[string]string{
		"crawl-66-249-66-1.googlebot.com": "crawl-66-249-66-1.googlebot.com",
		"piweba3y.prodigy.com":            "piweba3y.prodigy.com",
		"192.0.2.1":                       "192.0.2.1",
		"fe80::1%eth0":                    "",
		"host;rm":                         "",
		"1.2.3":                           "",
	} {
		got, ok := clientHost([]byte(in))
		if string(got) != want || ok != (want != "") {
			t.Errorf("clientHost(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestForwardedClient(t *testing.T) {
	for in, want := range map[string]string{
		"71.244.130.75":                 "71.244.130.75",
		"1.2.3.4,71.244.130.75":         "71.244.130.75",
		"1.2.3.4, 71.244.130.75":        "71.244.130.75",
		" 1.2.3.4 ,  2001:db8::1  ":     "2001:db8::1",
		"203.0.113.5, 10.0.0.2":         "203.0.113.5", // the load balancer appended its own peer
		"203.0.113.5, 172.16.0.9, ::1":  "203.0.113.5",
		"spoofed, also, 10.0.0.50":      "10.0.0.50",
		"192.168.1.100,10.0.0.50":       "192.168.1.100", // all proxies: the leftmost
		"fe80::1%x, 198.51.100.7":       "198.51.100.7",
		"198.51.100.7, fe80::1%x":       "198.51.100.7",
		"1.2.3.4,":                      "1.2.3.4",
		"unknown":                       "",
		"":                              "",
		"[2001:db8::5]:443, 100.64.0.1": "2001:db8::5",
	} {
		if got := string(forwardedClient([]byte(in))); got != want {
			t.Errorf("forwardedClient(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsProxyAddr(t *testing.T) {
	for in, want := range map[string]bool{
		"10.1.2.3": true, "127.0.0.1": true, "172.16.0.1": true, "172.31.255.255": true,
		"172.32.0.1": false, "172.15.0.1": false, "192.168.0.1": true, "192.169.0.1": false,
		"169.254.1.1": true, "100.64.0.1": true, "100.127.0.1": true, "100.128.0.1": false,
		"203.0.113.9": false, "::1": true, "fd12:c007:1d2f::1": true, "fc00::1": true,
		"fe80::1": true, "febf::1": true, "fec0::1": false, "2001:db8::1": false, "::": false,
	} {
		if got := isProxyAddr([]byte(in)); got != want {
			t.Errorf("isProxyAddr(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzClientAddr checks ClientAddr against net/netip: it accepts exactly
// the addresses netip does, less zones, and returns netip's address.
func FuzzClientAddr(f *testing.F) {
	for _, s := range []string{"203.0.113.9", "[2001:db8::1]:443", "::ffff:1.2.3.4", "fe80::1%eth0", "1:2:3:4:5:6:1.2.3.4", "::", "1::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ClientAddr([]byte(s))
		if ok && (len(got) == 0 || strings.ContainsAny(string(got), "%[] \t,")) {
			t.Fatalf("ClientAddr(%q) = %q: not a bare address", s, got)
		}
		want, wantOK := netipClient(s)
		if ok != wantOK {
			t.Fatalf("ClientAddr(%q) = %q, %v; netip says %v (%v)", s, got, ok, wantOK, want)
		}
		if !ok {
			return
		}
		parsed, err := netip.ParseAddr(string(got))
		if err != nil || parsed.Unmap() != want.Unmap() {
			t.Fatalf("ClientAddr(%q) = %q, want %v", s, got, want.Unmap())
		}
	})
}

// netipClient is what ClientAddr should accept, by net/netip: an address,
// an address and port, or a bracketed IPv6 address, without a zone.
func netipClient(s string) (netip.Addr, bool) {
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		a, err := netip.ParseAddr(s[1 : len(s)-1])
		return a, err == nil && a.Is6() && a.Zone() == ""
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a, a.Zone() == ""
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr(), ap.Addr().Zone() == ""
	}
	return netip.Addr{}, false
}

// FuzzIsIPv4 checks isIPv4 against net/netip, with any bytes after b in
// its backing array.
func FuzzIsIPv4(f *testing.F) {
	for _, s := range []string{"203.0.113.9", "1.2.3.4", "255.255.255.255", "01.2.3.4", "1.2.3.256", "1.2.3.4.5", "1..2.3", "2001:db8::1", "1.2.3.\x84"} {
		f.Add(s, " - - [10/Oct/2024:13:55:36 +0000]")
	}
	f.Fuzz(func(t *testing.T, s, after string) {
		b := []byte(s + after)[:len(s)]
		got := isIPv4(b)
		a, err := netip.ParseAddr(s)
		want := err == nil && a.Is4()
		if got != want {
			t.Fatalf("isIPv4(%q) (then %q) = %v, netip says %v", s, after, got, want)
		}
	})
}

// FuzzDottedQuadLen checks dottedQuadLen against net/netip: it finds the
// dotted quad s at the start of s+after exactly when netip takes s for an
// IPv4 address and after does not go on with a digit or a '.'.
func FuzzDottedQuadLen(f *testing.F) {
	for _, s := range []string{"203.0.113.9", "1.2.3.4", "255.255.255.255", "01.2.3.4", "1.2.3.256", "1.2.3.4.5", "1..2.3", "2001:db8::1", "0.0.0.0"} {
		f.Add(s, " - - [10/Oct/2024:13:55:36 +0000]")
		f.Add(s, "")
		f.Add(s, "7 - -")
		f.Add(s, ".7 - -")
		f.Add(s, ":8080")
	}
	f.Fuzz(func(t *testing.T, s, after string) {
		b := s + after
		got := dottedQuadLen([]byte(b))
		ends := func(i int) bool { return i == len(b) || !(b[i] >= '0' && b[i] <= '9' || b[i] == '.') }
		if got > 0 {
			if a, err := netip.ParseAddr(b[:got]); err != nil || !a.Is4() || !ends(got) {
				t.Fatalf("dottedQuadLen(%q) = %d: %q is not a dotted quad ending there", b, got, b[:got])
			}
		}
		if a, err := netip.ParseAddr(s); err == nil && a.Is4() && ends(len(s)) && got != len(s) {
			t.Fatalf("dottedQuadLen(%q) = %d, want %d", b, got, len(s))
		}
	})
}
