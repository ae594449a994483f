package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// maxNtfyTitleRunes keeps the title to what a lock screen shows.
const maxNtfyTitleRunes = 200

// Ntfy publishes each notification to an ntfy topic (https://ntfy.sh, or
// a self-hosted server), which pushes it to the phones subscribed to it.
// It publishes as JSON to the server's root, the topic in the body, so the
// title needs no header encoding (which ntfy decodes only from 2.4): the
// title is the [Headline], the message the [Summary], both in plain text
// escaped with [alert.Sanitize], with a priority from [NtfyPriority] and
// an emoji tag. Ntfy is safe for concurrent use.
type Ntfy struct {
	url     string
	base    string // the server's root URL (with any path prefix), where JSON is published
	topic   string
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
		return envRoute("ntfy", EnvNtfyURL, n, err)
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
	dir, topic := splitTopic(p.Path)
	if topic == "" {
		return nil, delivery.Permanent(errors.New("ntfy: url has no topic: want https://ntfy.sh/your-topic"))
	}
	root := *p
	root.Path, root.RawPath = dir, ""
	return &Ntfy{
		url:     opts.URL,
		base:    root.String(),
		topic:   topic,
		server:  p.Scheme + "://" + p.Host,
		token:   opts.Token,
		timeout: cmpOr(opts.Timeout, delivery.DefaultTimeout),
		client:  delivery.Client(opts.HTTPClient),
		secrets: append(delivery.URLSecrets(opts.URL, delivery.SecretPath), opts.Token, topic), // the topic travels in the body
	}, nil
}

func (n *Ntfy) describe() string { return "ntfy on " + n.server + " (topic redacted)" }

func (n *Ntfy) destination() string { return "ntfy\x00" + n.base + "\x00" + n.topic }

// splitTopic cuts a URL path into the server's path prefix and the topic,
// its last segment: "/ntfy/alerts" → "/ntfy/", "alerts".
func splitTopic(path string) (dir, topic string) {
	path = strings.TrimSuffix(path, "/")
	i := strings.LastIndexByte(path, '/')
	return path[:i+1], path[i+1:]
}

// NtfyPriority is the ntfy priority of a notification: 5 (urgent) for a
// critical incident's page, 4 (high) for a warning's, 3 (default) for
// info and reminders, and 2 (low) for a quiet update and a resolution,
// so the all-clear does not wake anyone. An incident that came and went
// within the group wait has only its resolution: that one pages.
func NtfyPriority(a alert.Alert) int {
	switch {
	case a.Incident != nil && a.Incident.Quiet:
		return 2
	case a.State == alert.Resolved && (a.Incident == nil || a.Incident.Update > 0):
		return 2
	case a.Reminder > 0 && !firstPage(a):
		return 3
	}
	switch a.Severity {
	case alert.Critical:
		return 5
	case alert.Warning:
		return 4
	}
	return 3
}

// ntfyMessage is ntfy's JSON publishing body.
type ntfyMessage struct {
	Topic    string       `json:"topic"`
	Title    string       `json:"title"`
	Message  string       `json:"message"`
	Priority int          `json:"priority"`
	Tags     []string     `json:"tags"`
	Actions  []ntfyAction `json:"actions,omitempty"`
}

// ntfyAction is an action button of an ntfy message: "view" opens a URL
// in the phone's browser.
type ntfyAction struct {
	Action string `json:"action"`
	Label  string `json:"label"`
	URL    string `json:"url"`
	Clear  bool   `json:"clear"`
}

// maxNtfyActions is the most action buttons ntfy shows on a message.
const maxNtfyActions = 3

// ntfyLinks returns a's links as ntfy buttons, the first three, and the
// others as lines for the message.
func ntfyLinks(links []alert.Link) (buttons []ntfyAction, lines string) {
	var b strings.Builder
	for i, l := range links {
		label := alert.Sanitize(l.Label, 40)
		if i < maxNtfyActions {
			buttons = append(buttons, ntfyAction{Action: "view", Label: label, URL: l.URL})
			continue
		}
		fmt.Fprintf(&b, "\n%s: %s", label, l.URL)
	}
	return buttons, b.String()
}

// Notify publishes a. Errors map as for [Webhook.Notify].
func (n *Ntfy) Notify(ctx context.Context, a alert.Alert) error {
	tag := "rotating_light"
	switch {
	case a.State == alert.Resolved:
		tag = "white_check_mark"
	case a.Incident != nil && a.Incident.Quiet:
		tag = "arrows_counterclockwise"
	}
	buttons, more := ntfyLinks(a.Links)
	return n.publish(ctx, ntfyMessage{Topic: n.topic, Title: alert.Sanitize(Headline(a, alert.Sanitize), maxNtfyTitleRunes),
		Message: Summary(a, alert.Sanitize) + more, Priority: NtfyPriority(a), Tags: []string{tag}, Actions: buttons})
}

// Announce publishes an at the default priority. Errors map as for
// [Webhook.Notify].
func (n *Ntfy) Announce(ctx context.Context, an Announcement) error {
	title := alert.Sanitize(an.Text, maxNtfyTitleRunes)
	if an.Site != "" {
		title = alert.Sanitize(an.Site+": "+an.Text, maxNtfyTitleRunes)
	}
	return n.publish(ctx, ntfyMessage{Topic: n.topic, Title: title, Message: alert.Sanitize(an.Text, maxDescriptionRunes),
		Priority: 3, Tags: []string{"link"}})
}

// publish posts one message.
func (n *Ntfy) publish(ctx context.Context, m ntfyMessage) error {
	body, err := json.Marshal(m)
	if err != nil {
		return delivery.Permanent(fmt.Errorf("ntfy: encode message: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.base, bytes.NewReader(body))
	if err != nil {
		return delivery.Permanent(delivery.Redact("ntfy: new request", err, n.secrets...))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", delivery.UserAgent)
	if n.token != "" {
		req.Header.Set("Authorization", "Bearer "+n.token)
	}
	_, err = delivery.Do(n.client, req, "ntfy: publish to "+n.server, time.Now(), n.secrets...)
	return err
}
