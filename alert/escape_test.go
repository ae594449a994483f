package alert

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sentinel-dev/sentinel/internal/hostile"
)

func TestSlackText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"plain", "GET /users/register", 100, "GET /users/register"},
		{"channel", "<!channel> pay now", 100, "&lt;!channel&gt; pay now"},
		{"here", "<!here>", 100, "&lt;!here&gt;"},
		{"user", "<@U123>", 100, "&lt;@U123&gt;"},
		{"subteam", "<!subteam^S1|ops>", 100, "&lt;!subteam^S1|ops&gt;"},
		{"masked link", "<https://evil|click>", 100, "&lt;https://evil|click&gt;"},
		{"entity", "&lt;!channel&gt;", 100, "&amp;lt;!channel&amp;gt;"},
		{"bare here", "hi @here", 100, "hi @\u200bhere"},
		{"bare channel upper", "@CHANNEL!", 100, "@\u200bCHANNEL!"},
		{"bare everyone", "@everyone", 100, "@\u200beveryone"},
		{"control between", "@\x00here", 100, "@\u200bhere"},
		{"own zero-width space", "@\u200bhere", 100, "@\u200bhere"},
		{"email", "x@evil.example", 100, "x@evil.example"},
		{"crlf", "a\r\nBcc: x@evil", 100, "aBcc: x@evil"},
		{"ansi and bidi", "\x1b[31mred\u202e", 100, "[31mred"},
		{"invalid utf8", "a\xffb", 100, "a\ufffdb"},
		{"cut", "abcdef", 3, "abc…"},
		{"cut before entity", "ab<<<<", 3, "ab&lt;…"},
		{"exact", "abc", 3, "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := SlackText(tt.in, tt.max); got != tt.want {
				t.Errorf("SlackText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestHeaderText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"plain", "signup-burst firing", 100, "signup-burst firing"},
		{"crlf bcc", "hi\r\nBcc: x@evil", 100, "hi Bcc: x@evil"},
		{"lf only", "a\nb", 100, "a b"},
		{"unicode separators", "a\u2028b\u0085c", 100, "a b c"},
		{"controls", "a\x00\x1b[2Jb\x7f", 100, "a[2Jb"},
		{"bidi", "a\u202eb", 100, "ab"},
		{"invalid utf8", "\xc3(", 100, "\ufffd("},
		{"cut", "abcdef", 4, "abcd…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := HeaderText(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("HeaderText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
			if strings.ContainsAny(got, "\r\n") {
				t.Errorf("HeaderText(%q) = %q, contains CR or LF", tt.in, got)
			}
		})
	}
}

func TestHTMLText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"script", "<script>alert(1)</script>", 100, "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"attribute", `" onmouseover="x'`, 100, "&#34; onmouseover=&#34;x&#39;"},
		{"ampersand", "a&b", 100, "a&amp;b"},
		{"newline kept", "a\nb\tc\rd", 100, "a\nb\tcd"},
		{"cut before escaping", "<<<<", 2, "&lt;&lt;…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := HTMLText(tt.in, tt.max); got != tt.want {
				t.Errorf("HTMLText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

// FuzzSlackText checks SlackText's promises on any input.
func FuzzSlackText(f *testing.F) {
	for _, s := range hostile.Text {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := SlackText(s, 50)
		if strings.ContainsAny(got, "<>\r\n") || !utf8.ValidString(got) {
			t.Fatalf("SlackText(%q) = %q", s, got)
		}
		if l := strings.ToLower(got); strings.Contains(l, "@here") || strings.Contains(l, "@channel") || strings.Contains(l, "@everyone") {
			t.Fatalf("SlackText(%q) = %q keeps a bare @here", s, got)
		}
		if h := HeaderText(s, 50); strings.ContainsAny(h, "\r\n") || !utf8.ValidString(h) {
			t.Fatalf("HeaderText(%q) = %q", s, h)
		}
		if h := HTMLText(s, 50); strings.ContainsAny(h, "<>\"'") {
			t.Fatalf("HTMLText(%q) = %q", s, h)
		}
	})
}
