package delivery

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// DefaultTimeout bounds one attempt of an HTTP delivery when its options
// leave the timeout zero.
const DefaultTimeout = 10 * time.Second

// UserAgent is the User-Agent of every request sentinel makes.
const UserAgent = "sentinel"

// MaxQuotedBytes is how much of a response's body an error or a result
// quotes.
const MaxQuotedBytes = 200

const (
	// maxDrainBytes is how much of a response body is read, to reuse the
	// connection, before it is closed.
	maxDrainBytes = 64 << 10
)

// Client returns a copy of c (or a new client when c is nil) that never
// follows a redirect: a 301 turns a POST or PATCH into a GET without its
// body, whose 200 would pass for success, and would carry the request's
// secrets to another host. The redirect comes back as the response, which
// [Do] maps to a permanent error naming it. The per-attempt deadline comes
// from the context, so c's own timeout is left as it is.
func Client(c *http.Client) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// Response is what [Do] keeps of a response.
type Response struct {
	Status int
	// Body is the start of the body (200 bytes), sanitised and with the
	// secrets removed.
	Body string
}

// Do sends req with client and maps the outcome to an error that tells
// [Retry] what to do: a network error or a timeout is plain (retryable);
// a 2xx is success; a 3xx is permanent (redirects are not followed: give
// the final URL); 429 is a *RetryAfterError with the server's
// Retry-After (relative to now, capped at [MaxServerWait]); any other 4xx
// is permanent; the rest (5xx) is plain. Every error starts with op and
// has the secrets removed; a network error still matches
// context.DeadlineExceeded and context.Canceled. Do drains and closes the
// response body.
func Do(client *http.Client, req *http.Request, op string, now time.Time, secrets ...string) (Response, error) {
	resp, err := client.Do(req)
	if err != nil {
		return Response{}, Redact(op, err, secrets...)
	}
	defer DrainClose(resp.Body)
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxQuotedBytes))
	res := Response{Status: resp.StatusCode, Body: strings.TrimSpace(alert.Sanitize(Scrub(string(b), secrets), MaxQuotedBytes))}
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return res, nil
	case code >= 300 && code < 400:
		return res, Permanent(&redactedError{msg: Scrub(fmt.Sprintf("%s: HTTP %d redirect not followed: give the final URL", op, code), secrets)})
	}
	return res, StatusError(op, code, ParseRetryAfter(resp.Header.Get("Retry-After"), now), res.Body, secrets...)
}

// StatusError maps a failed HTTP status to an error: 429 is a
// *RetryAfterError waiting retryAfter, any other 4xx is a
// *PermanentError, and the rest (5xx) is plain, so [Retry] tries again.
// body is the start of the response body, already sanitised; secrets are
// removed from everything. Use it for a client that hides the response
// (slack-go); [Do] calls it for the others.
func StatusError(op string, code int, retryAfter time.Duration, body string, secrets ...string) error {
	msg := fmt.Sprintf("%s: HTTP %d", op, code)
	if t := http.StatusText(code); t != "" {
		msg += " " + t
	}
	if body != "" {
		msg += ": " + body
	}
	err := error(&redactedError{msg: Scrub(msg, secrets)})
	switch {
	case code == http.StatusTooManyRequests:
		return &RetryAfterError{After: retryAfter, Err: err}
	case code >= 400 && code < 500:
		return Permanent(err)
	}
	return err
}

// ParseRetryAfter reads a Retry-After header: seconds, or an HTTP date
// relative to now. It returns 0 when the header is missing, invalid or in
// the past, and at most [MaxServerWait], whatever the server asked.
func ParseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseInt(h, 10, 64); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(min(s, int64(MaxServerWait/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		// t.Sub saturates at the largest Duration (292 years): cap it.
		return min(max(t.Sub(now), 0), MaxServerWait)
	}
	return 0
}

// DrainClose reads what is left of a response body, up to 64 KiB, so the
// connection can be reused, and closes it.
func DrainClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, maxDrainBytes)
	_ = body.Close()
}

// CheckURL validates an http or https URL without echoing it: url.Parse's
// own error quotes the whole URL, secrets included. Its errors start with
// name (unless it is "") and are permanent.
func CheckURL(name, u string) error {
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

// ValidHeaderName reports whether s is an HTTP header name, or a method:
// an RFC 9110 token.
func ValidHeaderName(s string) bool {
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

// HeaderError is a configured header that cannot be sent.
type HeaderError struct {
	Name string // sanitised
	// Value says the fault is in the value (a control character), not
	// the name.
	Value bool
}

func (e *HeaderError) Error() string {
	if e.Value {
		return fmt.Sprintf("header %s: value has control characters", e.Name)
	}
	return fmt.Sprintf("header name %q is invalid", e.Name)
}

// Headers checks configured headers and returns them, without the
// reserved ones, which the sender sets itself. A name must be a token and
// a value free of control characters (a tab aside), so that nothing can
// start a new header line. The error is a *HeaderError; it never quotes a
// value, which may be a secret.
func Headers(h map[string]string, reserved ...string) (http.Header, error) {
	out := make(http.Header)
	for k, v := range h {
		if !ValidHeaderName(k) {
			return nil, &HeaderError{Name: alert.Sanitize(k, 80)}
		}
		if strings.ContainsFunc(v, func(r rune) bool { return alert.IsControl(r) && r != '\t' }) {
			return nil, &HeaderError{Name: k, Value: true}
		}
		out.Set(k, v)
	}
	for _, k := range reserved {
		out.Del(k)
	}
	return out, nil
}
