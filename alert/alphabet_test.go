package alert

import (
	"testing"
)

func TestAlphabet_Reduce(t *testing.T) {
	tests := []struct {
		field, in string
		want      string
		ok        bool
	}{
		{"client_ip", "203.0.113.7", "203.0.113.7", true},
		{"client_ip", "2001:DB8::1", "2001:db8::1", true},
		{"client_ip", "fe80::1%eth0", "", false},
		{"client_ip", "fe80::1%x }; flush ruleset; add table inet pwned {", "", false},
		{"client_ip", "1.2.3.4 }; flush ruleset", "", false},
		{"client_ip", "-", "", false},
		{"client_net", "198.51.100.9/24", "198.51.100.0/24", true},
		{"client_net", "fe80::/64%eth0", "", false},
		{"status", "503", "503", true},
		{"status", "503; rm", "", false},
		{"method", "POST", "POST", true},
		{"method", "GE T", "", false},
		{"host", "shop.example.com:443", "shop.example.com:443", true},
		{"host", "evil\r\nX-Injected: 1", "", false},
		{"duration", "1.5s", "1.5s", true},
		{"path", "/users/register", "/users/register", true},
		{"path", "/a b/{x}\n", "/a%20b/%7Bx%7D%0A", true},
		{"path", "/caf\u00e9", "/caf%C3%A9", true},
		{"query", "a=1&b=<x>?", "a=1&b=%3Cx%3E?", true},
		{"referer", "https://ex.example/p#f [1]", "https://ex.example/p#f%20[1]", true},
		{"user_agent", "curl/8.0 \x1b[31m\u202e", `curl/8.0 \x1b[31m\u202e`, true},
		{"email", "a@example.com\x00", `a@example.com\x00`, true},
	}
	for _, tt := range tests {
		ab := FieldAlphabet(tt.field)
		got, ok := ab.Reduce(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("FieldAlphabet(%q).Reduce(%q) = %q, %v; want %q, %v", tt.field, tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && !ab.Contains(got) {
			t.Errorf("FieldAlphabet(%q).Reduce(%q) = %q, outside the alphabet", tt.field, tt.in, got)
		}
	}
}

// FuzzAlphabet_Reduce: whatever the input, a value Reduce keeps is in the
// alphabet, and reducing it again changes nothing.
func FuzzAlphabet_Reduce(f *testing.F) {
	for _, s := range []string{"203.0.113.7", "fe80::1%eth0", "/a b/{x}", "\x1b[2J\u202e", "\xff", "1.5s", "GET"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, a uint8) {
		ab := Alphabet(int(a) % (int(URLAlphabet) + 1))
		got, ok := ab.Reduce(s)
		if !ok {
			return
		}
		if !ab.Contains(got) {
			t.Fatalf("Alphabet(%d).Reduce(%q) = %q, outside the alphabet", ab, s, got)
		}
		if again, ok := ab.Reduce(got); !ok || (ab != TextAlphabet && again != got) {
			t.Fatalf("Alphabet(%d).Reduce(%q) = %q, %v; want it unchanged", ab, got, again, ok)
		}
	})
}
