package alerts

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// This file holds what the HTTP notifiers ([Slack], [Webhook], [Ntfy])
// share: a client with a timeout, the mapping of a response to a
// [PermanentError], a [RetryAfterError] or a plain (retryable) error, and
// the redaction of secrets from errors.

// DefaultTimeout bounds one send of an HTTP notifier when its options
// leave Timeout zero.
const DefaultTimeout = 10 * time.Second

const (
	// maxErrorBodyBytes is how much of a failed response's body an error
	// quotes.
	maxErrorBodyBytes = 200
	// maxDrainBytes is how much of a response body is read, to reuse the
	// connection, before it is closed.
	maxDrainBytes = 64 << 10
)

// httpClient returns c, or a new client when c is nil. The per-send
// deadline comes from the context, so c's own timeout is left alone.
func httpClient(c *http.Client) *http.Client {
	if c == nil {
		return &http.Client{}
	}
	return c
}

// drainClose reads what is left of a response body (up to
// maxDrainBytes), so the connection can be reused, and closes it.
func drainClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, maxDrainBytes)
	_ = body.Close()
}

// parseRetryAfter reads a Retry-After header: seconds, or an HTTP date
// (relative to now). It returns 0 when the header is missing or invalid.
func parseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseInt(h, 10, 64); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(min(s, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// statusError maps a non-2xx HTTP status to an error: 429 is a
// *RetryAfterError (with After 0 when the server named no wait), any other
// 4xx is a *PermanentError, and the rest (5xx, 3xx) is plain, so the
// delivery loop retries it. body is the start of the response body,
// already sanitised; secrets are removed from everything.
func statusError(op string, code int, retryAfter time.Duration, body string, secrets ...string) error {
	msg := fmt.Sprintf("%s: HTTP %d", op, code)
	if t := http.StatusText(code); t != "" {
		msg += " " + t
	}
	if body != "" {
		msg += ": " + body
	}
	err := error(&redactedError{msg: scrub(msg, secrets)})
	switch {
	case code == http.StatusTooManyRequests:
		return &RetryAfterError{After: retryAfter, Err: err}
	case code >= 400 && code < 500:
		return Permanent(err)
	}
	return err
}

// readErrorBody returns the start of a failed response's body, made safe
// to print.
func readErrorBody(body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, maxErrorBodyBytes))
	return strings.TrimSpace(alert.Sanitize(string(b), maxErrorBodyBytes))
}

// redactedError is an error whose text had its secrets removed. It keeps
// no chain to the original error, which may still hold them (a
// *url.Error holds the whole URL), except that it still matches the
// context's errors, so errors.Is(err, context.DeadlineExceeded) works.
type redactedError struct {
	msg string
	ctx error // context.Canceled, context.DeadlineExceeded or nil
}

func (e *redactedError) Error() string { return e.msg }

// Unwrap returns the context error the original wrapped, if any.
func (e *redactedError) Unwrap() error { return e.ctx }

// redact returns err, prefixed with op, with every secret removed from
// its text, as a plain (retryable) error. A *url.Error's URL is left out
// (op names the request), since the transport may print it differently
// from the configured string.
func redact(op string, err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	var msg string
	if ue, ok := errors.AsType[*url.Error](err); ok {
		// The op names the request already, and ue.URL holds the secrets.
		msg = fmt.Sprintf("%s: %v", op, ue.Err)
	} else {
		msg = fmt.Sprintf("%s: %v", op, err)
	}
	re := &redactedError{msg: scrub(msg, secrets)}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		re.ctx = context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		re.ctx = context.Canceled
	}
	return re
}

// scrub replaces each non-empty secret in s with "REDACTED", longest
// first, so a whole URL goes before its parts.
func scrub(s string, secrets []string) string {
	secrets = slices.Clone(secrets)
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "REDACTED")
		}
	}
	return s
}

// urlSecrets lists the forms in which a secret URL, or the parts of it
// that carry credentials (userinfo, password and its basic-auth
// encoding, query, and with withPath
// the path, which is the credential of a Slack webhook), could show up in
// an error.
func urlSecrets(u string, withPath bool) []string {
	p, err := url.Parse(u)
	if err != nil {
		return []string{u}
	}
	var out []string
	if withPath || RedactURL(u) != u {
		out = append(out, u)
	}
	if p.User != nil {
		out = append(out, p.User.String())
		if pw, ok := p.User.Password(); ok {
			// The Authorization header that net/http makes of it, in case
			// a server echoes it back.
			basic := base64.StdEncoding.EncodeToString([]byte(p.User.Username() + ":" + pw))
			out = append(out, pw, url.QueryEscape(pw), basic)
		}
	}
	out = append(out, p.RawQuery)
	if withPath && len(p.Path) > 1 {
		out = append(out, p.EscapedPath(), p.Path)
	}
	return out
}

// RedactURL shows a URL that may carry a secret: its scheme and host,
// with any userinfo, path, query and fragment replaced by REDACTED, as
// many webhooks (Slack, Discord, Teams) keep their credential in the path:
// "https://user:pw@host/hook?key=1" becomes "https://REDACTED@host/REDACTED".
// A string that does not parse becomes "REDACTED".
func RedactURL(u string) string { return redactURL(u, false) }

// RedactURLCredentials shows a URL whose path is not a secret (an API's
// endpoint): its scheme, host and path, with any userinfo, query and
// fragment replaced by REDACTED: "https://user:pw@host/v1/flags?key=1"
// becomes "https://REDACTED@host/v1/flags?REDACTED".
func RedactURLCredentials(u string) string { return redactURL(u, true) }

func redactURL(u string, keepPath bool) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" {
		return "REDACTED"
	}
	s := p.Scheme + "://"
	if p.User != nil {
		s += "REDACTED@"
	}
	s += p.Host
	switch {
	case !keepPath:
		if strings.Trim(p.EscapedPath(), "/") != "" || p.RawQuery != "" || p.ForceQuery || p.Fragment != "" || p.Opaque != "" {
			s += "/REDACTED"
		}
	case p.Opaque != "":
		s += "/REDACTED"
	default:
		s += p.EscapedPath()
		if p.RawQuery != "" || p.ForceQuery || p.Fragment != "" {
			s += "?REDACTED"
		}
	}
	return alert.Sanitize(s, 300)
}

// The exported helpers below let the actions package make its requests
// the same way the notifiers do, with one set of rules for what is
// retried and what is secret.

// ResponseError maps a non-2xx response to an error as the HTTP notifiers
// do: 429 is a *RetryAfterError (from Retry-After, relative to now), any
// other 4xx a *PermanentError quoting the start of the body, and the rest
// a plain, retryable error. Secrets are removed from its text. It reads
// some of the body but does not close it.
func ResponseError(op string, resp *http.Response, now time.Time, secrets ...string) error {
	return statusError(op, resp.StatusCode, parseRetryAfter(resp.Header.Get("Retry-After"), now),
		readErrorBody(resp.Body), secrets...)
}

// RedactError returns err prefixed with op, every secret removed from its
// text (a *url.Error's URL is left out), as a plain, retryable error that
// still matches context.DeadlineExceeded and context.Canceled.
func RedactError(op string, err error, secrets ...string) error { return redact(op, err, secrets...) }

// URLSecrets lists the forms in which the credentials of a URL (its
// userinfo, password and query) could show up in an error.
func URLSecrets(u string) []string { return urlSecrets(u, false) }

// DrainClose reads what is left of a response body, up to 64 KiB, so the
// connection can be reused, and closes it.
func DrainClose(body io.ReadCloser) { drainClose(body) }

// Sign returns the [SignatureHeader] value for a timestamp and a body:
// "sha256=" and the hex HMAC-SHA256, keyed with secret, of the timestamp,
// ".", and the body. [VerifySignature] checks it.
func Sign(secret []byte, timestamp string, body []byte) string { return sign(secret, timestamp, body) }

// ValidHeaderName reports whether s is an HTTP header name (an RFC 9110
// token).
func ValidHeaderName(s string) bool { return validHeaderName(s) }

// RetryWait is how long the delivery loop waits after a failed attempt:
// between half and all of backoff (jitter), or longer when err is a
// *RetryAfterError asking for more.
func RetryWait(err error, backoff time.Duration) time.Duration {
	wait := backoff/2 + rand.N(backoff/2+1)
	if ra, ok := errors.AsType[*RetryAfterError](err); ok && ra.After > wait {
		wait = ra.After
	}
	return wait
}

// Scrub replaces each non-empty secret in s with "REDACTED", longest
// first.
func Scrub(s string, secrets []string) string { return scrub(s, secrets) }

// CheckURL validates an http or https URL without echoing it: url.Parse's
// own error quotes the whole URL, secrets included. Its errors start with
// name (unless it is "") and are permanent.
func CheckURL(name, u string) error { return checkURL(name, u) }

// checkURL validates a notifier's URL without echoing it: url.Parse's
// own error quotes the whole URL, secrets included.
func checkURL(name, u string) error {
	p, err := url.Parse(u)
	var msg string
	switch {
	case u == "":
		msg = "no url"
	case err != nil:
		msg = "url does not parse"
	case p.Scheme != "http" && p.Scheme != "https":
		msg = fmt.Sprintf("url scheme %q, want http or https", alert.Sanitize(p.Scheme, 20))
	case p.Host == "":
		msg = "url has no host"
	default:
		return nil
	}
	if name != "" {
		msg = name + ": " + msg
	}
	return Permanent(errors.New(msg))
}
