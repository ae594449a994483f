package links

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sentinel-dev/sentinel/alert"
)

// Verb is what a link does.
type Verb uint8

// Verbs.
const (
	// Silence holds back the notifications of the link's rules for a
	// while (settings.public.silence_for, 1h by default).
	Silence Verb = 1 + iota
	// Run applies the link's action now, for real, even in dry run or
	// cooling down.
	Run
	// Revert undoes the link's action's remedy now.
	Revert
	// StopReminders stops the reminders of the link's incident.
	StopReminders
)

// Verbs lists every verb, in the order links are offered.
var Verbs = []Verb{Revert, Run, Silence, StopReminders}

// String returns the verb's name: "silence", "run", "revert",
// "stop_reminders" (the verb of [alert.Link], the audit and the metrics).
func (v Verb) String() string {
	switch v {
	case Silence:
		return "silence"
	case Run:
		return "run"
	case Revert:
		return "revert"
	case StopReminders:
		return "stop_reminders"
	}
	return "unknown"
}

// Token is what a link carries: a capability to do one thing once, for
// one site, until it expires. It is signed with the site's key (see
// [Keyring]) over every field and the site's name, so that nothing in it
// can be changed and a link of another site, or one signed with a key
// since rotated, is refused.
type Token struct {
	Verb Verb
	// Targets are what the verb acts on: the action a run or a revert
	// names (one), the rules a silence holds back (one or more); none
	// for stop reminders, which acts on the incident.
	Targets []string
	// Episode is the key of the incident the link was sent for
	// ("signup-burst@1795742400"), "" for a lone alert.
	Episode string
	// Route is the name of the notifier the link was sent to.
	Route string
	// Issued and Expires bound its life, in whole seconds (wall time).
	Issued, Expires time.Time
	// Nonce makes it unique: once used, it is remembered (see [Nonces]).
	Nonce [nonceBytes]byte
	// keyID is the first bytes of the hash of the key that signed it.
	keyID [keyIDBytes]byte
}

// Sizes of a token's parts.
const (
	tokenVersion = 1
	nonceBytes   = 12
	keyIDBytes   = 4
	macBytes     = sha256.Size
	// maxName bounds each name a token holds, in bytes.
	maxName = 128
	// maxTargets bounds the names of one token.
	maxTargets = 16
	// MaxTokenChars bounds the text of a token: longer is refused before
	// any decoding.
	MaxTokenChars = 2048
)

// Errors of [ParseToken] and [Token.verify].
var (
	ErrMalformed = errors.New("not a sentinel link")
	ErrSignature = errors.New("signed with another key (rotated since, or another site's)")
	ErrTampered  = errors.New("changed after it was signed")
)

// ID is a short, public name of the token for the audit and the logs: the
// start of its nonce, in hex. It is no capability.
func (t Token) ID() string { return fmt.Sprintf("%x", t.Nonce[:8]) }

// Target returns the targets comma-separated.
func (t Token) Target() string { return strings.Join(t.Targets, ",") }

// body encodes every field but the MAC.
func (t Token) body() []byte {
	b := make([]byte, 0, 64+len(t.Episode)+len(t.Route)+16*len(t.Targets))
	b = append(b, tokenVersion, byte(t.Verb))
	b = append(b, t.keyID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(t.Issued.Unix()))
	b = binary.BigEndian.AppendUint64(b, uint64(t.Expires.Unix()))
	b = append(b, t.Nonce[:]...)
	b = appendString(b, t.Episode)
	b = appendString(b, t.Route)
	b = append(b, byte(len(t.Targets)))
	for _, s := range t.Targets {
		b = appendString(b, s)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// mac is the token's signature with key, for site.
func mac(key []byte, site string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("sentinel-link\x00"))
	h.Write([]byte(site))
	h.Write([]byte{0})
	h.Write(body)
	return h.Sum(nil)
}

// Sign returns the token's text, signed with key for site: its fields
// and their MAC, base64url without padding (safe in a URL's path).
func (t Token) Sign(key []byte, site string) (string, error) {
	if err := t.check(); err != nil {
		return "", err
	}
	t.keyID = keyID(key)
	body := t.body()
	return base64.RawURLEncoding.EncodeToString(append(body, mac(key, site, body)...)), nil
}

// check says whether the token's fields can be encoded and parsed back.
func (t Token) check() error {
	if t.Verb < Silence || t.Verb > StopReminders {
		return fmt.Errorf("token: verb %d", t.Verb)
	}
	if len(t.Targets) > maxTargets {
		return fmt.Errorf("token: %d targets, at most %d", len(t.Targets), maxTargets)
	}
	for _, s := range append([]string{t.Episode, t.Route}, t.Targets...) {
		if !validName(s) {
			return fmt.Errorf("token: name %q: at most %d bytes of UTF-8 without control characters", alert.Sanitize(s, 40), maxName)
		}
	}
	for _, s := range t.Targets {
		if s == "" {
			return errors.New("token: an empty target")
		}
	}
	if t.Issued.Unix() < 0 || t.Expires.Before(t.Issued) {
		return errors.New("token: expires before it is issued")
	}
	return nil
}

// validName reports whether s may be a name in a token.
func validName(s string) bool {
	return len(s) <= maxName && utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
		return alert.IsControl(r) || alert.IsBidiOrBreak(r)
	})
}

// ParseToken decodes a token's text without checking its signature: the
// fields it claims and the MAC it carries. Anything but a token that
// [Token.Sign] could have written is [ErrMalformed]: a wrong version or
// verb, a name too long or with control characters, bytes left over. It
// never panics, whatever the text.
func ParseToken(s string) (Token, []byte, error) {
	var t Token
	if len(s) > MaxTokenChars {
		return t, nil, ErrMalformed
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) < macBytes {
		return t, nil, ErrMalformed
	}
	body, sum := raw[:len(raw)-macBytes], raw[len(raw)-macBytes:]
	r := reader{b: body}
	if r.byte() != tokenVersion {
		return t, nil, ErrMalformed
	}
	t.Verb = Verb(r.byte())
	copy(t.keyID[:], r.bytes(keyIDBytes))
	issued, expires := r.uint64(), r.uint64()
	copy(t.Nonce[:], r.bytes(nonceBytes))
	t.Episode = r.string()
	t.Route = r.string()
	n := int(r.byte())
	if n > maxTargets {
		return Token{}, nil, ErrMalformed
	}
	for range n {
		t.Targets = append(t.Targets, r.string())
	}
	if r.bad || len(r.b) != 0 || issued > 1<<40 || expires > 1<<40 {
		return Token{}, nil, ErrMalformed
	}
	t.Issued, t.Expires = time.Unix(int64(issued), 0).UTC(), time.Unix(int64(expires), 0).UTC()
	if t.check() != nil || !bytes.Equal(t.body(), body) { // one text per token: no second spelling of a length
		return Token{}, nil, ErrMalformed
	}
	return t, sum, nil
}

// verify checks the MAC a parsed token carried against key and site, in
// constant time: [ErrSignature] when it was signed with another key,
// [ErrTampered] when it was signed with this one but changed since (or
// for another site name).
func (t Token) verify(sum, key []byte, site string) error {
	if hmac.Equal(sum, mac(key, site, t.body())) {
		return nil
	}
	if id := keyID(key); subtle.ConstantTimeCompare(id[:], t.keyID[:]) == 1 {
		return ErrTampered
	}
	return ErrSignature
}

// reader reads a token's fields; a read past the end sets bad.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) bytes(n int) []byte {
	if len(r.b) < n {
		r.bad, r.b = true, nil
		return make([]byte, n)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte { return r.bytes(1)[0] }

func (r *reader) uint64() uint64 { return binary.BigEndian.Uint64(r.bytes(8)) }

func (r *reader) string() string {
	n, k := binary.Uvarint(r.b)
	if k <= 0 || n > maxName || uint64(len(r.b)-k) < n {
		r.bad, r.b = true, nil
		return ""
	}
	s := string(r.b[k : k+int(n)])
	r.b = r.b[k+int(n):]
	return s
}
