package links

import (
	"errors"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKeyring: a key is made on first use (0600), kept while the file
// stays, replaced by RotateKey or when the file is deleted, and refused
// when others may read it or it is not a key.
func TestKeyring(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", KeyFile)
	k := NewKeyring(path)
	k1, err := k.Key()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 || len(k1) != keyBytes {
		t.Fatalf("key file %v, %v; key %d bytes", fi, err, len(k1))
	}
	if again, _ := k.Key(); string(again) != string(k1) {
		t.Error("key changed without the file changing")
	}
	if other, _ := NewKeyring(path).Key(); string(other) != string(k1) {
		t.Error("a second keyring on the same file read another key")
	}
	if err := RotateKey(path); err != nil {
		t.Fatal(err)
	}
	k2, err := k.Key()
	if err != nil || string(k2) == string(k1) {
		t.Fatalf("after RotateKey: %v, same key %v", err, string(k2) == string(k1))
	}
	os.Remove(path)
	k3, err := k.Key()
	if err != nil || string(k3) == string(k2) {
		t.Fatalf("after delete: %v, same key %v", err, string(k3) == string(k2))
	}
	os.Chmod(path, 0o644)
	if _, err := k.Key(); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("Key() of a 0644 file = %v, want a refusal", err)
	}
	os.WriteFile(path+".x", []byte("hello"), 0o600)
	os.Rename(path+".x", path)
	if _, err := k.Key(); err == nil || !strings.Contains(err.Error(), "not a key") {
		t.Errorf("Key() of a stray file = %v", err)
	}
}

// TestNonces: a link acts once, across a reopen; expired ones are
// forgotten; the list is bounded (refusing, not forgetting); an
// unreadable list is set aside and refuses the links issued before.
func TestNonces(t *testing.T) {
	path := filepath.Join(t.TempDir(), NoncesFile)
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	n, reset, err := OpenNonces(path, 3, now)
	if err != nil || reset {
		t.Fatal(err, reset)
	}
	a, b, c, d := [12]byte{1}, [12]byte{2}, [12]byte{3}, [12]byte{4}
	if err := n.Use(a, now.Add(time.Hour), now); err != nil {
		t.Fatal(err)
	}
	if err := n.Use(a, now.Add(time.Hour), now); !errors.Is(err, ErrUsed) {
		t.Errorf("second Use = %v, want ErrUsed", err)
	}
	n2, _, err := OpenNonces(path, 3, now)
	if err != nil || !n2.Used(a) || n2.Used(b) {
		t.Fatalf("reopened: %v, used a %v, b %v", err, n2.Used(a), n2.Used(b))
	}
	n2.Use(b, now.Add(time.Minute), now)
	n2.Use(c, now.Add(time.Hour), now)
	if err := n2.Use(d, now.Add(time.Hour), now); !errors.Is(err, ErrFull) {
		t.Errorf("Use past the bound = %v, want ErrFull", err)
	}
	if err := n2.Use(d, now.Add(time.Hour), now.Add(2*time.Minute)); err != nil || n2.Used(b) || n2.Len() != 3 {
		t.Errorf("Use once b expired = %v, b still there %v, len %d", err, n2.Used(b), n2.Len())
	}
	os.WriteFile(path, []byte("{torn"), 0o600)
	n3, reset, err := OpenNonces(path, 3, now)
	if err != nil || !reset || !n3.NotBefore().After(now) {
		t.Fatalf("torn list: %v, reset %v, not before %v", err, reset, n3.NotBefore())
	}
	if _, err := os.Stat(path + ".bad"); err != nil {
		t.Errorf("torn list not set aside: %v", err)
	}
	if n4, _, _ := OpenNonces(path, 3, now.Add(time.Hour)); !n4.NotBefore().Equal(n3.NotBefore()) {
		t.Error("not_before not kept across a reopen")
	}
}

// TestLimiter: a burst, then one request every 5 s per address, an IPv6
// /64 counting as one; one refusal of a burst is to be audited.
func TestLimiter(t *testing.T) {
	l := newLimiter()
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	a := netip.MustParseAddr("203.0.113.7")
	for i := range perAddrBurst {
		if ok, _ := l.allow(a, now); !ok {
			t.Fatalf("request %d refused", i)
		}
	}
	if ok, first := l.allow(a, now); ok || !first {
		t.Errorf("over the burst: ok %v first %v, want refused, first", ok, first)
	}
	if ok, first := l.allow(a, now); ok || first {
		t.Errorf("again: ok %v first %v, want refused, not first", ok, first)
	}
	if ok, _ := l.allow(netip.MustParseAddr("203.0.113.8"), now); !ok {
		t.Error("another address refused")
	}
	if ok, _ := l.allow(a, now.Add(5*time.Second)); !ok {
		t.Error("refused after 5 s")
	}
	v6 := netip.MustParseAddr("2001:db8::1")
	for range perAddrBurst {
		l.allow(v6, now)
	}
	if ok, _ := l.allow(netip.MustParseAddr("2001:db8::ffff:1"), now); ok {
		t.Error("another address of the same /64 has its own burst")
	}
}

// TestIsPreview: previewers, scanners, prefetches and a missing
// User-Agent are previews; phones' and desktops' browsers are not.
func TestIsPreview(t *testing.T) {
	for ua, want := range map[string]bool{
		"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)": true,
		"facebookexternalhit/1.1 Facebot Twitterbot/1.0":             true, // iMessage
		"WhatsApp/2.23.20.0": true, "TelegramBot (like TwitterBot)": true, "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)": true,
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36": true,
		"": true, "curl/8.5.0": true,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1": false,
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36":                       false,
	} {
		r := httptest.NewRequest("GET", "/l/x", nil)
		r.Header.Set("User-Agent", ua)
		if got := isPreview(r); got != want {
			t.Errorf("isPreview(%q) = %v, want %v", ua, got, want)
		}
	}
	r := httptest.NewRequest("GET", "/l/x", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36")
	r.Header.Set("Sec-Purpose", "prefetch;prerender")
	if !isPreview(r) {
		t.Error("a prefetch is no preview")
	}
}
