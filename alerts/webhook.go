package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// WebhookVersion is the version of the JSON body [Webhook] sends. It
// changes only when a field changes meaning or goes away; new fields may
// appear in any version.
const WebhookVersion = 1

// Environment variables that enable a [Webhook] with no config file.
const (
	EnvWebhookURL    = "SENTINEL_WEBHOOK_URL"
	EnvWebhookSecret = "SENTINEL_WEBHOOK_SECRET"
)

// WebhookOptions configures a [Webhook].
type WebhookOptions struct {
	// URL receives the POST. Its userinfo and query are treated as
	// secrets and never appear in errors.
	URL string
	// Secret, when set, keys the HMAC-SHA256 signature in
	// delivery.SignatureHeader.
	Secret string
	// Headers are added to every request (e.g. an Authorization header
	// for the receiver). They cannot replace Content-Type, User-Agent,
	// Idempotency-Key or the X-Sentinel headers.
	Headers map[string]string
	// Timeout bounds one send; 0 means delivery.DefaultTimeout.
	Timeout time.Duration
	// HTTPClient sends the requests; nil means a new http.Client. It is
	// copied, and redirects are not followed.
	HTTPClient *http.Client
	// Now reads the wall clock for sent_at and the timestamp header; nil
	// means time.Now.
	Now func() time.Time
}

// Webhook POSTs each notification as versioned JSON to a URL:
//
//	{"version":1,"alert":{...},"incident":{...},"sent_at":"2026-11-27T01:20:02Z"}
//
// and, with a public listener, "links": the notification's signed links
// ([alert.Link]: verb, target, label, url, expires). "alert" holds the
// fields of [alert.Alert] as `sentinel replay --output json` prints them
// (docs/json.md), window_seconds, site and labels included: the incident's lead rule, measured when the
// notification was built. "incident" (absent for a lone alert, such as
// test-alert's) holds its key, state, since, time, update number, quiet,
// headline and every rule in "alerts", in the same form. Text in them
// comes from attacker-controlled logs: a receiver must escape it for
// whatever it renders. JSON escaping already turns
// "<", ">" and "&" into \u003c, \u003e and \u0026. Each request carries
// an Idempotency-Key, the same on every retry of one delivery (see
// [DeliveryKey]), and delivery.TimestampHeader; with a secret, it is
// signed (see delivery.VerifySignature). Webhook is safe for concurrent
// use.
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

// webhookKind builds webhooks from the config and SENTINEL_WEBHOOK_URL.
var webhookKind = Kind{
	Type: "webhook", Keys: []string{"url", "secret", "headers"}, Secrets: []string{"url", "secret"},
	Env: []string{EnvWebhookURL + " (with " + EnvWebhookSecret + ")"},
	New: func(s Settings) (Notifier, string, error) {
		n, err := NewWebhook(WebhookOptions{URL: s.Values["url"], Secret: s.Values["secret"], Headers: s.Headers, Timeout: s.Timeout})
		shown := "webhook " + delivery.RedactURL(s.Values["url"])
		if s.Values["secret"] != "" {
			shown += ", signed"
		}
		return n, shown, err
	},
	FromEnv: func(get func(string) string) ([]Route, error) {
		if get(EnvWebhookURL) == "" {
			return nil, nil
		}
		n, err := NewWebhook(WebhookOptions{URL: get(EnvWebhookURL), Secret: get(EnvWebhookSecret)})
		return envRoute("webhook", EnvWebhookURL, n, err)
	},
}

// NewWebhook checks opts and returns a Webhook. Its errors never contain
// the URL.
func NewWebhook(opts WebhookOptions) (*Webhook, error) {
	if err := delivery.CheckURL("webhook", opts.URL); err != nil {
		return nil, err
	}
	h, err := delivery.Headers(opts.Headers, "Content-Type", "User-Agent", delivery.IdempotencyHeader,
		delivery.TimestampHeader, delivery.SignatureHeader)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	w := &Webhook{
		url:     opts.URL,
		secret:  []byte(opts.Secret),
		headers: h,
		timeout: cmpOr(opts.Timeout, delivery.DefaultTimeout),
		client:  delivery.Client(opts.HTTPClient),
		now:     opts.Now,
		secrets: append(delivery.URLSecrets(opts.URL, delivery.SecretPath), opts.Secret),
	}
	if w.now == nil {
		w.now = time.Now
	}
	return w, nil
}

func (w *Webhook) describe() string {
	s := "webhook " + delivery.RedactURL(w.url)
	if len(w.secret) > 0 {
		s += ", signed"
	}
	return s
}

func (w *Webhook) destination() string { return "webhook\x00" + w.url }

// webhookBody is the JSON [Webhook] sends.
type webhookBody struct {
	Version  int              `json:"version"`
	Alert    jsonAlert        `json:"alert"`
	Incident *webhookIncident `json:"incident,omitempty"`
	// Links are the notification's signed links, for a receiver that
	// shows buttons (each opens a confirmation page; see README, "Acting
	// from your phone"). Absent without a public listener.
	Links  []alert.Link `json:"links,omitempty"`
	SentAt string       `json:"sent_at"`
}

// webhookIncident is an incident in a webhook's body: its rules in the
// form of "alert", and the headline a phone shows.
type webhookIncident struct {
	alert.Incident

	Headline string      `json:"headline"`
	Alerts   []jsonAlert `json:"alerts"`
}

// newWebhookBody returns the body of a's notification.
func newWebhookBody(a alert.Alert, sentAt time.Time) webhookBody {
	b := webhookBody{Version: WebhookVersion, SentAt: sentAt.UTC().Format(time.RFC3339), Links: a.Links}
	if a.Incident != nil {
		inc := &webhookIncident{Incident: *a.Incident, Headline: Headline(a, alert.Sanitize)}
		inc.Incident.Alerts = nil
		for _, m := range a.Incident.Alerts {
			inc.Alerts = append(inc.Alerts, newJSONAlert(m))
		}
		b.Incident = inc
		a.Incident = nil
	}
	b.Alert = newJSONAlert(a)
	return b
}

// Notify POSTs a. A 2xx status is success; 429 is a
// *delivery.RetryAfterError (from Retry-After, in seconds or an HTTP
// date, at most 15 minutes); a 3xx and any other 4xx are a
// *delivery.PermanentError quoting the start of the body; 5xx and network
// errors are plain errors, worth a retry.
func (w *Webhook) Notify(ctx context.Context, a alert.Alert) error {
	now := w.now()
	body, err := json.Marshal(newWebhookBody(a, now))
	if err != nil {
		return delivery.Permanent(fmt.Errorf("webhook: encode alert: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return delivery.Permanent(delivery.Redact("webhook: new request", err, w.secrets...))
	}
	req.Header = w.headers.Clone()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", delivery.UserAgent)
	req.Header.Set(delivery.IdempotencyHeader, DeliveryKey(a))
	delivery.SetSignature(req.Header, w.secret, now, body)
	_, err = delivery.Do(w.client, req, "webhook: post "+delivery.RedactURL(w.url), now, w.secrets...)
	return err
}

// DeliveryKey names one delivery of a notification, the same on every
// retry and after a restart, so that a receiver can drop a repeat: for an
// incident, its key, the state and the notification's number
// ("signup-burst_1795742400:firing:u0", its "@" reduced to "_"); for a
// lone alert, the rule, the state and the event time in Unix seconds
// ("signup-burst:firing:1795742401"); either with ":rN" on the Nth
// reminder.
func DeliveryKey(a alert.Alert) string {
	parts := []string{a.Rule, string(a.State), strconv.FormatInt(a.Time.Unix(), 10)}
	if a.Incident != nil {
		parts = []string{a.Incident.Key, string(a.State), "u" + strconv.Itoa(a.Incident.Update)}
	}
	if a.Reminder > 0 {
		parts = append(parts, "r"+strconv.Itoa(a.Reminder))
	}
	return delivery.IdempotencyKey(parts...)
}

// cmpOr returns d, or def when d is not positive.
func cmpOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
