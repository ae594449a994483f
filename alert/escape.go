package alert

import (
	"html"
	"strings"
	"unicode/utf8"
)

// Escaper makes attacker-controlled text safe for one target and cuts it
// to at most maxRunes runes of the input, marking a cut with "…".
// [SlackText], [HeaderText], [HTMLText] and [Sanitize] are Escapers.
type Escaper func(s string, maxRunes int) string

var (
	_ Escaper = SlackText
	_ Escaper = HeaderText
	_ Escaper = HTMLText
	_ Escaper = Sanitize
)

// zeroWidthSpace breaks a bare "@here" so Slack does not read it as a
// mention, while it reads the same to a person.
const zeroWidthSpace = "\u200b"

// broadcastWords are the words after "@" that Slack (with parse=full or
// link_names) turns into a notification for everyone in a channel.
var broadcastWords = []string{"here", "channel", "everyone"}

// SlackText makes attacker-controlled text safe for Slack mrkdwn and for
// a message's top-level text: "&", "<" and ">" become entities, so
// "<!channel>", "<!here>", "<@U123>" and "<https://evil|click>" show as
// typed and never become a mention or a masked link; a bare "@here",
// "@channel" or "@everyone" gets a zero-width space after the "@"; control
// characters, bidirectional overrides and line separators are dropped and
// invalid UTF-8 becomes U+FFFD. What is left is cut to maxRunes runes
// before escaping, so an entity is never cut in half.
func SlackText(s string, maxRunes int) string {
	// Drop first, then look for "@here": "@her\x00e" must not turn into a
	// live "@here" once the NUL is gone.
	var clean strings.Builder
	n := 0
	cut := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
		case IsControl(r) || IsBidiOrBreak(r) || r == 0x200b:
			// A zero-width space of the attacker's own is dropped too, so
			// the only ones in the output are ours.
			continue
		}
		if n >= maxRunes {
			cut = true
			break
		}
		clean.WriteRune(r)
		n++
	}
	c := clean.String()
	var b strings.Builder
	for i, r := range c {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '@':
			b.WriteByte('@')
			if isBroadcast(c[i+1:]) {
				b.WriteString(zeroWidthSpace)
			}
		default:
			b.WriteRune(r)
		}
	}
	if cut {
		b.WriteString("…")
	}
	return b.String()
}

// isBroadcast reports whether s starts with a broadcast word, in any case.
func isBroadcast(s string) bool {
	for _, w := range broadcastWords {
		if len(s) >= len(w) && strings.EqualFold(s[:len(w)], w) {
			return true
		}
	}
	return false
}

// HeaderText makes attacker-controlled text safe for one line of a mail
// header (a subject) or an HTTP header value: CR, LF, tabs and the Unicode
// line separators become one space, other control characters and
// bidirectional overrides are dropped, and invalid UTF-8 becomes U+FFFD. No
// output of HeaderText can start a new header. The input is cut to maxRunes
// runes with "…". Encoding non-ASCII text (RFC 2047) is the caller's job.
func HeaderText(s string, maxRunes int) string {
	space := false // the last rune written was a space from a line break
	return mapRunes(s, maxRunes, func(b *strings.Builder, r rune, raw string) {
		switch {
		case r == utf8.RuneError && len(raw) == 1:
			b.WriteRune(utf8.RuneError)
			space = false
		case r == '\r' || r == '\n' || r == '\t' || r == 0x85 || r == 0x2028 || r == 0x2029:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		case IsControl(r) || IsBidiOrBreak(r):
		default:
			b.WriteString(raw)
			space = false
		}
	})
}

// mapRunes is the one loop of the escapers: it walks s rune by rune (an
// invalid byte comes as utf8.RuneError with a one-byte raw), lets each
// write what stands for the rune, and cuts after maxRunes runes with "…".
func mapRunes(s string, maxRunes int, each func(b *strings.Builder, r rune, raw string)) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if n >= maxRunes {
			b.WriteString("…")
			break
		}
		each(&b, r, s[i:i+size])
		i += size
		n++
	}
	return b.String()
}

// HTMLText makes attacker-controlled text safe as HTML element content or
// a quoted attribute value: control characters other than tab and newline
// and bidirectional overrides are dropped, invalid UTF-8 becomes U+FFFD,
// the text is cut to maxRunes runes with "…", and then escaped with
// [html.EscapeString].
func HTMLText(s string, maxRunes int) string {
	return html.EscapeString(mapRunes(s, maxRunes, func(b *strings.Builder, r rune, raw string) {
		switch {
		case r == utf8.RuneError && len(raw) == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\t' || r == '\n':
			b.WriteRune(r)
		case IsControl(r) || IsBidiOrBreak(r):
		default:
			b.WriteString(raw)
		}
	}))
}

// IsControl reports C0 and C1 control characters and DEL.
func IsControl(r rune) bool {
	return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0
}
