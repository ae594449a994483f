package delivery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers that signed requests and idempotent deliveries carry: the same
// for the webhook notifier and for actions' webhooks.
const (
	// TimestampHeader holds the send time in Unix seconds.
	TimestampHeader = "X-Sentinel-Timestamp"
	// SignatureHeader holds "sha256=" and the hex HMAC-SHA256, keyed with
	// the shared secret, of the timestamp, ".", and the body. See
	// [VerifySignature].
	SignatureHeader = "X-Sentinel-Signature"
	// IdempotencyHeader holds a key that is the same on every attempt of
	// one delivery, and after a restart: a receiver that has seen it does
	// the work once (see [IdempotencyKey]).
	IdempotencyHeader = "Idempotency-Key"
)

// Sign returns the [SignatureHeader] value for a timestamp and a body:
// "sha256=" and the hex HMAC-SHA256, keyed with secret, of the timestamp,
// ".", and the body. [VerifySignature] checks it.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// SetSignature sets [TimestampHeader] to now, and with a secret
// [SignatureHeader] to the signature of body at that time.
func SetSignature(h http.Header, secret []byte, now time.Time, body []byte) {
	ts := strconv.FormatInt(now.Unix(), 10)
	h.Set(TimestampHeader, ts)
	if len(secret) > 0 {
		h.Set(SignatureHeader, Sign(secret, ts, body))
	}
}

// VerifySignature reports whether header, the value of [SignatureHeader],
// is the signature sentinel makes with secret over timestamp (the value
// of [TimestampHeader]) and the raw request body. It compares in constant
// time. It does not judge the timestamp: a receiver should also reject
// one more than a few minutes from its own clock, so that a captured
// request cannot be replayed later.
func VerifySignature(secret string, timestamp string, body []byte, header string) bool {
	if secret == "" || !strings.HasPrefix(header, "sha256=") {
		return false
	}
	return hmac.Equal([]byte(header), []byte(Sign([]byte(secret), timestamp, body)))
}

// IdempotencyKey joins the parts that name one delivery with ":", each
// reduced to letters, digits and "-_.", any other byte becoming "_", so
// the key is safe in a header, an argument and an environment variable
// whatever the config named: "signups-off:signup-burst:1795742401:apply".
func IdempotencyKey(parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(':')
		}
		for _, c := range []byte(p) {
			switch {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
				b.WriteByte(c)
			default:
				b.WriteByte('_')
			}
		}
	}
	return b.String()
}
