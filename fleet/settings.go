package fleet

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Defaults of [Settings] and of the timing of a [Node].
const (
	// DefaultSite is the site of a fleet that names none. Fleets of
	// different sites sharing one Redis must each name theirs.
	DefaultSite = "default"
	// DefaultLease is how long the evaluator's lease lasts without a
	// renewal: how long a fleet may go without an evaluator when its
	// evaluator dies.
	DefaultLease = 10 * time.Second
	// MinLease bounds the lease from below: it is renewed every
	// [DefaultHeartbeat] at most, and must outlast a few missed renewals.
	MinLease = 2 * time.Second
	// DefaultTimeout is how long a round trip to Redis may take; two in
	// a row past it (or one refused) and the node counts Redis as down or
	// slow and falls back to its local rules.
	DefaultTimeout = 350 * time.Millisecond
	// DefaultHeartbeat is the longest a node goes without a round trip:
	// with two DefaultTimeouts, a node learns that Redis is down or slow
	// within a second.
	DefaultHeartbeat = 250 * time.Millisecond
)

// EnvURL is the environment variable that enables a fleet when the
// config names no Redis.
const EnvURL = "SENTINEL_REDIS_URL"

// Settings are a fleet's settings (the config's settings.fleet). A zero
// Redis means no fleet.
type Settings struct {
	// Redis is the URL of the Redis (or Valkey) the fleet shares:
	// redis://[user:password@]host[:port][/db], or rediss:// for TLS.
	// It may hold a password: show it through [Redact] only.
	Redis string
	// Site names the fleet: every key is under sentinel:{site}:, so that
	// sites sharing one Redis never see each other's counts.
	Site string
	// Node names this sentinel in the fleet (status, the evaluator); the
	// host name by default. Nodes of one site need distinct names.
	Node string
	// Lease is the evaluator's lease (DefaultLease when 0).
	Lease time.Duration
	// From says where Redis came from: "settings.fleet.redis" or
	// [EnvURL].
	From string
}

// Enabled reports whether the settings ask for a fleet.
func (s Settings) Enabled() bool { return s.Redis != "" }

// WithDefaults returns s with its defaults filled in: the site, the node
// (the host name) and the lease.
func (s Settings) WithDefaults() Settings {
	if s.Site == "" {
		s.Site = DefaultSite
	}
	if s.Node == "" {
		s.Node = hostNode()
	}
	if s.Lease == 0 {
		s.Lease = DefaultLease
	}
	return s
}

// hostNode is the host name, cut to a node name's alphabet.
func hostNode() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "node"
	}
	h, _, _ = strings.Cut(h, ".")
	b := []byte(h)
	for i, c := range b {
		if !nameByte(c) {
			b[i] = '-'
		}
	}
	if len(b) > maxName {
		b = b[:maxName]
	}
	if len(b) == 0 || !alnum(b[0]) {
		b = append([]byte("n"), b...)
	}
	return string(b)
}

// Check returns the settings' problems, or nil; each error names the
// setting (site, node, lease or redis) and never holds a secret.
func (s Settings) Check() error {
	var errs []error
	if s.Site != "" {
		if err := CheckName(s.Site); err != nil {
			errs = append(errs, fmt.Errorf("site: %w", err))
		}
	}
	if s.Node != "" {
		if err := CheckName(s.Node); err != nil {
			errs = append(errs, fmt.Errorf("node: %w", err))
		}
	}
	if s.Lease != 0 && s.Lease < MinLease {
		errs = append(errs, fmt.Errorf("lease: must be at least %s", MinLease))
	}
	if _, err := ParseURL(s.Redis); err != nil {
		from := s.From
		if from == "" {
			from = "redis"
		}
		errs = append(errs, fmt.Errorf("%s: %w", from, err))
	}
	return errors.Join(errs...)
}

const maxName = 64

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// CheckName checks a site or node name: letters, digits, '.', '_' and
// '-', starting with a letter or digit, at most 64 bytes. A site's name
// is part of every key, so that it cannot reach another site's keys
// (no ':', '{', '}' or '*').
func CheckName(s string) error {
	if len(s) > maxName || !nameRE.MatchString(s) {
		return fmt.Errorf("%q: use letters, digits, '.', '_' and '-' (at most %d, starting with a letter or digit)", cut(s, 80), maxName)
	}
	return nil
}

func nameByte(c byte) bool { return alnum(c) || c == '.' || c == '_' || c == '-' }

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// ParseURL parses a Redis URL into go-redis options: the scheme redis
// (plain) or rediss (TLS, verified against the system's roots, or those
// of $SSL_CERT_FILE), an ACL user and password, a database number. Its
// errors never hold the password.
func ParseURL(raw string) (*redis.Options, error) {
	if raw == "" {
		return nil, errors.New("no URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL itself, password included, stays out
		}
		return nil, fmt.Errorf("invalid URL: %w", err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("invalid URL %s: the scheme must be redis:// or rediss:// (TLS)", Redact(raw))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("invalid URL %s: no host", Redact(raw))
	}
	o, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid URL %s: %s", Redact(raw), strings.TrimPrefix(redactIn(err.Error(), u), "redis: "))
	}
	if o.TLSConfig != nil {
		o.TLSConfig.MinVersion = tls.VersionTLS12
	}
	return o, nil
}

// redactIn takes a URL's password out of a message.
func redactIn(msg string, u *url.URL) string {
	if u.User == nil {
		return msg
	}
	if p, ok := u.User.Password(); ok && p != "" {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
		if e := url.PathEscape(p); e != p {
			msg = strings.ReplaceAll(msg, e, "xxxxx")
		}
	}
	return msg
}

// Redact returns a Redis URL fit to show: its password and query left
// out ("redis://sentinel:xxxxx@10.0.0.5:6379/0").
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an invalid URL)"
	}
	u.RawQuery, u.Fragment = "", ""
	return u.Redacted()
}

// clientOptions returns the go-redis options of a node: the URL's, with
// the node's timeouts, no retries (the node retries itself, with
// backoff), a small pool, and nothing sent on connect that an older
// Redis or Valkey would refuse.
func clientOptions(raw string, timeout time.Duration, name string) (*redis.Options, error) {
	o, err := ParseURL(raw)
	if err != nil {
		return nil, err
	}
	o.ClientName = "sentinel-" + name
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout = timeout, timeout, timeout
	o.ContextTimeoutEnabled = true
	o.MaxRetries = -1   // none: a round trip that fails is the node's to retry
	o.DialerRetries = 1 // one dial per attempt: the node backs off itself
	o.PoolSize, o.MinIdleConns = 4, 1
	o.PipelinePoolSize = -1 // pipelines share the small pool
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return o, nil
}
