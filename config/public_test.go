package config

import (
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// TestParse_public: settings.public is off by default; https, or http on
// a loopback host with allow_http; every problem at its line.
func TestParse_public(t *testing.T) {
	if c, err := Parse("none.yaml", []byte("settings: {site: web-1}\n"), os.LookupEnv); err != nil || c.Settings.Public != nil {
		t.Fatalf("no public: %+v, %v", c.Settings.Public, err)
	}
	c, err := Parse("p.yaml", []byte(`settings:
  public:
    listen: 127.0.0.1:9912
    url: https://sentinel.example.com/hooks
    link_ttl: 2h
    trusted_proxies: [10.0.0.0/8, 127.0.0.1]
`), os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	p := c.Settings.Public
	if p.Listen != "127.0.0.1:9912" || p.URL != "https://sentinel.example.com/hooks" || p.LinkTTL != 2*time.Hour ||
		p.SilenceFor != DefaultSilenceFor || len(p.TrustedProxies) != 2 || p.TrustedProxies[1] != netip.MustParsePrefix("127.0.0.1/32") {
		t.Errorf("public = %+v", p)
	}
	if c, err := Parse("p.yaml", []byte("settings: {public: {listen: \"127.0.0.1:0\", allow_http: true}}\n"), os.LookupEnv); err != nil || c.Settings.Public.URL != "" {
		t.Errorf("loopback test listener without a url: %v", err)
	}
	if _, err := Parse("p.yaml", []byte("settings: {public: {listen: \"127.0.0.1:9912\", url: \"http://[::1]:9912\", allow_http: true}}\n"), os.LookupEnv); err != nil {
		t.Errorf("http on ::1 with allow_http: %v", err)
	}
	for _, c := range []struct{ name, yaml, want string }{
		{"http", "  public:\n    listen: 127.0.0.1:9912\n    url: http://sentinel.example.com\n", "p.yaml:4: settings.public.url: \"http://sentinel.example.com\" is not https"},
		{"http off loopback", "  public:\n    listen: 127.0.0.1:9912\n    url: http://sentinel.example.com\n    allow_http: true\n", "p.yaml:5: settings.public.allow_http: accepts http only on a loopback host"},
		{"no url", "  public:\n    listen: 0.0.0.0:9912\n    allow_http: true\n", "p.yaml:3: settings.public.url: required"},
		{"no listen", "  public:\n    url: https://x.example\n", "p.yaml:3: settings.public.listen: required"},
		{"bad listen", "  public:\n    listen: 9912\n    url: https://x.example\n", "p.yaml:3: settings.public.listen: \"9912\": want host:port"},
		{"query", "  public:\n    listen: :9912\n    url: https://u:p@x.example/?a=1\n", "p.yaml:4: settings.public.url: must not hold credentials"},
		{"scheme", "  public:\n    listen: :9912\n    url: ftp://x.example\n", "p.yaml:4: settings.public.url: scheme \"ftp\""},
		{"ttl", "  public:\n    listen: :9912\n    url: https://x.example\n    link_ttl: 800h\n", "p.yaml:5: settings.public.link_ttl: must be within 1m..720h"},
		{"proxy", "  public:\n    listen: :9912\n    url: https://x.example\n    trusted_proxies: [nope]\n", "p.yaml:5: settings.public.trusted_proxies[0]: \"nope\" is no address"},
		{"unknown", "  public:\n    listen: :9912\n    url: https://x.example\n    tls: true\n", "p.yaml:5: settings.public.tls: unknown key"},
	} {
		_, err := Parse("p.yaml", []byte("settings:\n"+c.yaml), os.LookupEnv)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Parse = %v, want %q", c.name, err, c.want)
		}
	}
}
