package alerts

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// WebhookVersion is the version of the JSON body [Webhook] sends. It
// changes only when a field changes meaning or goes away; new fields may
// appear in any version.
const WebhookVersion = 1

// Headers that [Webhook] sets on every request.
const (
	// TimestampHeader holds the send time in Unix seconds.
	TimestampHeader = "X-Sentinel-Timestamp"
	// SignatureHeader holds "sha256=" and the hex HMAC-SHA256, keyed with
	// the shared secret, of the timestamp, ".", and the body. See
	// [VerifySignature].
	SignatureHeader = "X-Sentinel-Signature"
)

// WebhookOptions configures a [Webhook].
type WebhookOptions struct {
	// URL receives the POST. Its userinfo and query are treated as
	// secrets and never appear in errors.
	URL string
	// Secret, when set, keys the HMAC-SHA256 signature in
	// [SignatureHeader].
	Secret string
	// Headers are added to every request (e.g. an Authorization header
	// for the receiver). They cannot replace Content-Type, User-Agent or
	// the X-Sentinel headers.
	Headers map[string]string
	// Timeout bounds one send; 0 means [DefaultTimeout].
	Timeout time.Duration
	// HTTPClient sends the requests; nil means a new http.Client.
	HTTPClient *http.Client
	// Now reads the wall clock for sent_at and the timestamp header; nil
	// means time.Now.
	Now func() time.Time
}

// Webhook POSTs each transition as versioned JSON to a URL:
//
//	{"version":1,"alert":{...},"sent_at":"2026-11-27T01:20:02Z"}
//
// "alert" holds the fields of [Alert] as `sentinel replay --output json`
// prints them (DESIGN.md contract 2), window_seconds included. Text in it
// comes from attacker-controlled logs: a receiver must escape it for
// whatever it renders. JSON escaping already turns "<", ">" and "&" into
// \u003c, \u003e and \u0026. With a secret, each request is signed (see
// [VerifySignature]). Webhook is safe for concurrent use.
type Webhook struct {
	url     string
	secret  []byte
	headers http.Header
	timeout time.Duration
	client  *http.Client
	now     func() time.Time
	secrets []string // what errors must never contain
}

var _ Notifier = (*Webhook)(nil)

// reservedWebhookHeaders are set by Webhook itself.
var reservedWebhookHeaders = []string{"Content-Type", "User-Agent", TimestampHeader, SignatureHeader}

// NewWebhook checks opts and returns a Webhook. Its errors never contain
// the URL.
func NewWebhook(opts WebhookOptions) (*Webhook, error) {
	if err := checkURL("webhook", opts.URL); err != nil {
		return nil, err
	}
	h := make(http.Header)
	for k, v := range opts.Headers {
		if !validHeaderName(k) {
			return nil, fmt.Errorf("webhook: header name %q is invalid", alert.Sanitize(k, 80))
		}
		if strings.ContainsFunc(v, func(r rune) bool { return alert.IsControl(r) && r != '\t' }) {
			return nil, fmt.Errorf("webhook: header %s: value has control characters", k)
		}
		h.Set(k, v)
	}
	for _, k := range reservedWebhookHeaders {
		h.Del(k)
	}
	w := &Webhook{
		url:     opts.URL,
		secret:  []byte(opts.Secret),
		headers: h,
		timeout: cmpOr(opts.Timeout, DefaultTimeout),
		client:  httpClient(opts.HTTPClient),
		now:     opts.Now,
		secrets: append(urlSecrets(opts.URL, true), opts.Secret),
	}
	if w.now == nil {
		w.now = time.Now
	}
	return w, nil
}

// webhookBody is the JSON [Webhook] sends.
type webhookBody struct {
	Version int       `json:"version"`
	Alert   jsonAlert `json:"alert"`
	SentAt  string    `json:"sent_at"`
}

// Notify POSTs a. A 2xx status is success; 429 is a *RetryAfterError
// (from Retry-After, in seconds or an HTTP date); any other 4xx is a
// *PermanentError quoting the start of the body; 5xx and network errors
// are plain errors, worth a retry.
func (w *Webhook) Notify(ctx context.Context, a alert.Alert) error {
	now := w.now()
	body, err := json.Marshal(webhookBody{
		Version: WebhookVersion, Alert: jsonAlert{Alert: a, WindowSeconds: a.Window.Seconds()}, SentAt: now.UTC().Format(time.RFC3339),
	})
	if err != nil {
		return Permanent(fmt.Errorf("webhook: encode alert: %w", err))
	}
	ts := strconv.FormatInt(now.Unix(), 10)

	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return Permanent(redact("webhook: new request", err, w.secrets...))
	}
	req.Header = w.headers.Clone()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sentinel")
	req.Header.Set(TimestampHeader, ts)
	if len(w.secret) > 0 {
		req.Header.Set(SignatureHeader, sign(w.secret, ts, body))
	}

	op := "webhook: post " + RedactURL(w.url)
	resp, err := w.client.Do(req)
	if err != nil {
		return redact(op, err, w.secrets...)
	}
	defer drainClose(resp.Body)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return statusError(op, resp.StatusCode, parseRetryAfter(resp.Header.Get("Retry-After"), now),
		readErrorBody(resp.Body), w.secrets...)
}

// sign returns the SignatureHeader value for a timestamp and body.
func sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature reports whether header, the value of [SignatureHeader],
// is the signature [Webhook] makes with secret over timestamp (the value
// of [TimestampHeader]) and the raw request body. It compares in constant
// time. It does not judge the timestamp: a receiver should also reject
// one more than a few minutes from its own clock, so that a captured
// request cannot be replayed later.
func VerifySignature(secret string, timestamp string, body []byte, header string) bool {
	if secret == "" || !strings.HasPrefix(header, "sha256=") {
		return false
	}
	return hmac.Equal([]byte(header), []byte(sign([]byte(secret), timestamp, body)))
}

// validHeaderName reports whether s is an HTTP token (RFC 9110).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// cmpOr returns d, or def when d is not positive.
func cmpOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
