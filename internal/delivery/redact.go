package delivery

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/sentinel-dev/sentinel/alert"
)

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

// Redact returns err prefixed with op, every secret removed from its
// text, as a plain (retryable) error that keeps nothing of err's chain
// but a context.DeadlineExceeded or context.Canceled. A *url.Error's URL
// is left out (op names the request), since the transport may print it
// differently from the configured string.
func Redact(op string, err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	var msg string
	if ue, ok := errors.AsType[*url.Error](err); ok {
		msg = fmt.Sprintf("%s: %v", op, ue.Err)
	} else {
		msg = fmt.Sprintf("%s: %v", op, err)
	}
	re := &redactedError{msg: Scrub(msg, secrets)}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		re.ctx = context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		re.ctx = context.Canceled
	}
	return re
}

// RedactedError returns an error of msg with every secret removed.
func RedactedError(msg string, secrets ...string) error {
	return &redactedError{msg: Scrub(msg, secrets)}
}

// Scrub replaces each non-empty secret in s with "REDACTED", longest
// first, so a whole URL goes before its parts.
func Scrub(s string, secrets []string) string {
	secrets = slices.Clone(secrets)
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "REDACTED")
		}
	}
	return s
}

// PathSecret says whether a URL's path is a secret too.
type PathSecret bool

const (
	// SecretPath is a URL whose path is its credential (a Slack, Discord
	// or Teams webhook, an ntfy topic).
	SecretPath PathSecret = true
	// PublicPath is an API's endpoint, whose path names the resource.
	PublicPath PathSecret = false
)

// URLSecrets lists the forms in which a secret URL, or the parts of it
// that carry credentials (userinfo, password and its basic-auth encoding,
// query, and with [SecretPath] the path), could show up in an error.
func URLSecrets(u string, path PathSecret) []string {
	p, err := url.Parse(u)
	if err != nil {
		return []string{u}
	}
	var out []string
	if path == SecretPath || RedactURL(u) != u {
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
	if path == SecretPath && len(p.Path) > 1 {
		out = append(out, p.EscapedPath(), p.Path)
	}
	return out
}

// HeaderSecrets lists the forms in which a header value could show up in
// an error: the value, and the token after an auth scheme ("Bearer X"),
// which a server may quote alone. Short values (under 8 bytes) are not
// treated as secrets, to keep errors readable.
func HeaderSecrets(v string) []string {
	var out []string
	if len(v) >= 8 {
		out = append(out, v)
	}
	if _, tok, ok := strings.Cut(strings.TrimSpace(v), " "); ok && len(strings.TrimSpace(tok)) >= 8 {
		out = append(out, strings.TrimSpace(tok))
	}
	return out
}

// RedactURL shows a URL that may carry a secret: its scheme and host,
// with any userinfo, path, query and fragment replaced by REDACTED, as
// many webhooks (Slack, Discord, Teams) keep their credential in the path:
// "https://user:pw@host/hook?key=1" becomes "https://REDACTED@host/REDACTED".
// A string that does not parse becomes "REDACTED".
func RedactURL(u string) string { return redactURL(u, SecretPath) }

// RedactURLCredentials shows a URL whose path is not a secret (an API's
// endpoint): its scheme, host and path, with any userinfo, query and
// fragment replaced by REDACTED: "https://user:pw@host/v1/flags?key=1"
// becomes "https://REDACTED@host/v1/flags?REDACTED".
func RedactURLCredentials(u string) string { return redactURL(u, PublicPath) }

func redactURL(u string, path PathSecret) string {
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
	case path == SecretPath:
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
