package config

import (
	"os"
	"strings"
	"testing"
)

// TestAudit_publicURLPunycode: README, "A link asks first": only the
// page's button acts, and the listener checks that its POST comes from the
// page's own origin. A browser's Origin names an international host in
// its ASCII (punycode) form, never as written (https://bücher.example is
// sent as https://xn--bcher-kva.example), so a url written in Unicode would
// refuse every tap of the button: check says so, at its line, and accepts
// the punycode form.
func TestAudit_publicURLPunycode(t *testing.T) {
	_, err := Parse("p.yaml", []byte("settings:\n  public:\n    listen: 127.0.0.1:9912\n    url: https://bücher.example/hooks\n"), os.LookupEnv)
	if err == nil || !strings.Contains(err.Error(), "p.yaml:4: settings.public.url: ") || !strings.Contains(err.Error(), "xn--") {
		t.Errorf("Parse with a Unicode host = %v, want p.yaml:4: settings.public.url naming the punycode form", err)
	}
	if _, err := Parse("p.yaml", []byte("settings:\n  public:\n    listen: 127.0.0.1:9912\n    url: https://xn--bcher-kva.example/hooks\n"), os.LookupEnv); err != nil {
		t.Errorf("Parse with a punycode host = %v, want it accepted", err)
	}
}
