package fleet

import (
	"strings"
	"testing"
	"time"
)

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"shop", "web-1", "a.b_c", "0"} {
		if err := CheckName(ok); err != nil {
			t.Errorf("CheckName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-x", "a}b", "a:b", "{shop}", "a*", "a b", strings.Repeat("x", 65), "é"} {
		if CheckName(bad) == nil {
			t.Errorf("CheckName(%q) = nil, want an error", bad)
		}
	}
}

func TestParseURL(t *testing.T) {
	const secret = "p4ss-w0rd"
	o, err := ParseURL("rediss://sentinel:" + secret + "@redis.internal:6380/2")
	if err != nil {
		t.Fatal(err)
	}
	if o.Username != "sentinel" || o.Password != secret || o.Addr != "redis.internal:6380" || o.DB != 2 || o.TLSConfig == nil || o.TLSConfig.ServerName != "redis.internal" {
		t.Errorf("ParseURL() = %+v", o)
	}
	for _, bad := range []string{
		"http://u:" + secret + "@host/",
		"redis://u:" + secret + "@host/notanumber",
		"redis://u:" + secret + "@host:port/",
		"redis://u:" + secret + "@host/0?bogus=1",
		"redis://u:" + secret + "@/0",
		"redis://u:" + secret + "@host\x7f/",
	} {
		_, err := ParseURL(bad)
		if err == nil {
			t.Errorf("ParseURL(%q) = nil error", bad)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("ParseURL(%q) error shows the password: %v", bad, err)
		}
	}
	if got := Redact("redis://u:" + secret + "@host:1/0?password=" + secret); strings.Contains(got, secret) || got != "redis://u:xxxxx@host:1/0" {
		t.Errorf("Redact() = %q", got)
	}
}

func TestSettings_Check(t *testing.T) {
	s := Settings{Redis: "redis://127.0.0.1:6379", Site: "a}b", Node: "n", Lease: time.Second, From: EnvURL}
	err := s.Check()
	if err == nil || !strings.Contains(err.Error(), "site:") || !strings.Contains(err.Error(), "lease:") {
		t.Errorf("Check() = %v, want the site and the lease", err)
	}
	s = Settings{Redis: "nope://x", From: EnvURL}
	if err := s.Check(); err == nil || !strings.Contains(err.Error(), EnvURL) {
		t.Errorf("Check() = %v, want the variable named", err)
	}
	if d := (Settings{Redis: "redis://h"}).WithDefaults(); d.Site != DefaultSite || d.Lease != DefaultLease || CheckName(d.Node) != nil {
		t.Errorf("WithDefaults() = %+v", d)
	}
}
