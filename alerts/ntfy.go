package alerts

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// Environment variables that enable an [Ntfy] with no config file.
const (
	EnvNtfyURL   = "SENTINEL_NTFY_URL"
	EnvNtfyToken = "SENTINEL_NTFY_TOKEN"
)

// NtfyOptions configures an [Ntfy].
type NtfyOptions struct {
	// URL is the server and topic, e.g. "https://ntfy.sh/mytopic". On a
	// public server anyone who knows a topic can read it, so the topic is
	// a secret like the URL's userinfo and query: none of them appear in
	// errors. Pick an unguessable topic, or use a token.
	URL string
	// Token, when set, is sent as "Authorization: Bearer <token>".
	Token string
	// Timeout bounds one send; 0 means delivery.DefaultTimeout.
	Timeout time.Duration
	// HTTPClient sends the requests; nil means a new http.Client. It is
	// copied, and redirects are not followed.
	HTTPClient *http.Client
}

// maxNtfyTitleRunes keeps the Title header to what a lock screen shows.
const maxNtfyTitleRunes = 200

// Ntfy publishes each transition to an ntfy topic (https://ntfy.sh, or
// a self-hosted server), which pushes it to the phones subscribed to it.
// The body is the [Summary] in plain text, escaped with [alert.Sanitize]; the
// Title, Priority and Tags headers carry the [Title], the severity and an
// emoji. Ntfy is safe for concurrent use.
type Ntfy struct {
	url     string
	server  string // scheme and host, for errors
	token   string
	timeout time.Duration
	client  *http.Client
	secrets []string
}

var _ Notifier = (*Ntfy)(nil)

// ntfyKind builds ntfy notifiers from the config and SENTINEL_NTFY_URL.
var ntfyKind = Kind{
	Type: "ntfy", Keys: []string{"url", "token"}, Secrets: []string{"url", "token"},
	Env: []string{EnvNtfyURL + " (with " + EnvNtfyToken + ")"},
	New: func(s Settings) (Notifier, string, error) {
		n, err := NewNtfy(NtfyOptions{URL: s.Values["url"], Token: s.Values["token"], Timeout: s.Timeout})
		return n, "ntfy (topic redacted)", err
	},
	FromEnv: func(get func(string) string) ([]Route, error) {
		if get(EnvNtfyURL) == "" {
			return nil, nil
		}
		n, err := NewNtfy(NtfyOptions{URL: get(EnvNtfyURL), Token: get(EnvNtfyToken)})
		return envRoute("ntfy", n, err)
	},
}

// NewNtfy checks opts and returns an Ntfy. Its errors never contain the
// URL or the token.
func NewNtfy(opts NtfyOptions) (*Ntfy, error) {
	if err := delivery.CheckURL("ntfy", opts.URL); err != nil {
		return nil, err
	}
	if strings.ContainsFunc(opts.Token, alert.IsControl) {
		return nil, delivery.Permanent(errors.New("ntfy: token has control characters"))
	}
	p, _ := url.Parse(opts.URL) // checked above
	return &Ntfy{
		url:     opts.URL,
		server:  p.Scheme + "://" + p.Host,
		token:   opts.Token,
		timeout: cmpOr(opts.Timeout, delivery.DefaultTimeout),
		client:  delivery.Client(opts.HTTPClient),
		secrets: append(delivery.URLSecrets(opts.URL, delivery.SecretPath), opts.Token),
	}, nil
}

// NtfyPriority is the ntfy priority of a transition: 5 (urgent) for a
// critical alert firing, 4 (high) for a warning, 3 (default) for info,
// and 2 (low) for any resolved alert, so the all-clear does not wake
// anyone.
func NtfyPriority(a alert.Alert) string {
	if a.State == alert.Resolved {
		return "2"
	}
	switch a.Severity {
	case alert.Critical:
		return "5"
	case alert.Warning:
		return "4"
	}
	return "3"
}

// Notify publishes a. Errors map as for [Webhook.Notify].
func (n *Ntfy) Notify(ctx context.Context, a alert.Alert) error {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, strings.NewReader(Summary(a, alert.Sanitize)))
	if err != nil {
		return delivery.Permanent(delivery.Redact("ntfy: new request", err, n.secrets...))
	}
	tag := "rotating_light"
	if a.State == alert.Resolved {
		tag = "white_check_mark"
	}
	// ntfy decodes RFC 2047 words in headers; Q-encoding leaves an ASCII
	// title as it is and carries "≥" intact.
	req.Header.Set("Title", mime.QEncoding.Encode("utf-8", alert.HeaderText(Title(a), maxNtfyTitleRunes)))
	req.Header.Set("Priority", NtfyPriority(a))
	req.Header.Set("Tags", tag)
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("User-Agent", delivery.UserAgent)
	if n.token != "" {
		req.Header.Set("Authorization", "Bearer "+n.token)
	}
	_, err = delivery.Do(n.client, req, "ntfy: publish to "+n.server, time.Now(), n.secrets...)
	return err
}
