package actions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// WebhookOptions configure a [Webhook].
type WebhookOptions struct {
	// Method is the HTTP method; "" means POST.
	Method string
	// URL is a template over the alert (see the package's template data);
	// its userinfo and query are treated as secrets.
	URL string
	// Headers are sent as given (values may hold secrets from ${ENV};
	// they never appear in errors or logs).
	Headers map[string]string
	// Body is a template over the alert; "" sends no body.
	Body string
	// ContentType is the body's type; "" means application/json.
	ContentType string
	// HideURL shows only the URL's scheme and host (its path may be a
	// credential, as in a URL given through a file).
	HideURL bool
	// Secret, when set, signs each request: delivery.TimestampHeader holds
	// the send time in Unix seconds and delivery.SignatureHeader the
	// HMAC-SHA256 of the timestamp, ".", and the body (see
	// delivery.VerifySignature), as the webhook notifier does.
	Secret string
	// Timeout bounds one attempt; 0 means [DefaultTimeout].
	Timeout time.Duration
	// HTTPClient makes the requests; nil means a new http.Client. It is
	// copied, and redirects are not followed.
	HTTPClient *http.Client
	// Now reads the wall clock for the timestamp header; nil: time.Now.
	Now func() time.Time
}

// Webhook is a [Step] that makes an HTTP request: a feature-flag PATCH,
// a platform's scale or stop call, a POST of addresses to a block list.
// Each request carries the call's key in delivery.IdempotencyHeader. A
// 2xx status is success; 429 is retried after its Retry-After (at most
// 15 minutes); a 3xx (redirects are not followed) and any other 4xx are
// permanent; 5xx, network errors and timeouts are retried by the
// [Manager]. Webhook is safe for concurrent use.
type Webhook struct {
	method      string
	url         *template.Template
	rawURL      string
	hideURL     bool
	headers     http.Header
	body        *template.Template
	contentType string
	secret      []byte
	timeout     time.Duration
	client      *http.Client
	now         func() time.Time
	secrets     []string
}

var _ Step = (*Webhook)(nil)

// reservedHeaders are set by the Webhook itself.
var reservedHeaders = []string{"Content-Type", "User-Agent", delivery.IdempotencyHeader, delivery.TimestampHeader, delivery.SignatureHeader}

// NewWebhook checks opts and returns a Webhook. Its errors name the
// option at fault and never contain a secret.
func NewWebhook(opts WebhookOptions) (*Webhook, error) {
	method := strings.ToUpper(opts.Method)
	if method == "" {
		method = http.MethodPost
	}
	if !delivery.ValidHeaderName(method) { // a method is a token too
		return nil, optionError("method", fmt.Errorf("method %q is not an HTTP method", alert.Sanitize(opts.Method, 40)))
	}
	if opts.URL == "" {
		return nil, optionError("url", errors.New("url: missing"))
	}
	ut, err := ParseTemplate("url", opts.URL)
	if err != nil {
		return nil, optionError("url", fmt.Errorf("url: %w", err))
	}
	if !strings.Contains(opts.URL, "{{") {
		if err := delivery.CheckURL("", opts.URL); err != nil {
			return nil, optionError("url", errors.Unwrap(err)) // a config error: "permanent" says nothing
		}
	}
	if err := CheckTemplate(ut); err != nil {
		return nil, optionError("url", fmt.Errorf("url: %w", err))
	}
	var bt *template.Template
	if opts.Body != "" {
		if bt, err = ParseTemplate("body", opts.Body); err != nil {
			return nil, optionError("body", fmt.Errorf("body: %w", err))
		}
		if err := CheckTemplate(bt); err != nil {
			return nil, optionError("body", fmt.Errorf("body: %w", err))
		}
	}
	h, err := delivery.Headers(opts.Headers, reservedHeaders...)
	if err != nil {
		return nil, optionError("headers", fmt.Errorf("headers: %w", err))
	}
	var secrets []string
	for _, v := range opts.Headers {
		secrets = append(secrets, delivery.HeaderSecrets(v)...)
	}
	w := &Webhook{method: method, url: ut, rawURL: opts.URL, hideURL: opts.HideURL, headers: h, body: bt,
		contentType: opts.ContentType, secret: []byte(opts.Secret), timeout: opts.Timeout,
		client: opts.HTTPClient, now: opts.Now}
	if w.contentType == "" {
		w.contentType = "application/json"
	}
	if w.timeout <= 0 {
		w.timeout = DefaultTimeout
	}
	w.client = delivery.Client(w.client)
	if w.now == nil {
		w.now = time.Now
	}
	w.secrets = append(append(secrets, delivery.URLSecrets(opts.URL, delivery.PublicPath)...), opts.Secret)
	return w, nil
}

// String is the method and the URL, its userinfo and query redacted.
func (w *Webhook) String() string { return w.method + " " + w.show(w.rawURL) }

func (w *Webhook) show(u string) string {
	if w.hideURL {
		return delivery.RedactURL(u)
	}
	return ShowURL(u)
}

// Do makes the request for c.
func (w *Webhook) Do(ctx context.Context, c Call) (Result, error) {
	u, err := render(w.url, c)
	if err != nil {
		return Result{}, err
	}
	if err := delivery.CheckURL("", u); err != nil { // a template may have made it bad
		return Result{}, err
	}
	body, err := render(w.body, c)
	if err != nil {
		return Result{}, err
	}
	secrets := slices.Concat(w.secrets, delivery.URLSecrets(u, delivery.PublicPath))
	op := w.method + " " + w.show(u)

	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, w.method, u, rd)
	if err != nil {
		return Result{}, delivery.Permanent(delivery.Redact(op, err, secrets...))
	}
	req.Header = w.headers.Clone()
	if body != "" {
		req.Header.Set("Content-Type", w.contentType)
	}
	req.Header.Set("User-Agent", delivery.UserAgent)
	req.Header.Set(delivery.IdempotencyHeader, c.Key)
	now := w.now()
	if len(w.secret) > 0 {
		delivery.SetSignature(req.Header, w.secret, now, []byte(body))
	}
	resp, err := delivery.Do(w.client, req, op, now, secrets...)
	res := Result{Status: resp.Status}
	if err == nil {
		res.Output = resp.Body
	}
	return res, err
}

// ShowURL shows a URL for people: scheme, host and path, with any
// userinfo and the query replaced by REDACTED, since they often carry a
// token. A template's actions are kept as written.
func ShowURL(u string) string {
	if strings.Contains(u, "{{") {
		// A template: show it up to any query, without userinfo.
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i] + "?REDACTED"
		}
		if scheme, rest, ok := strings.Cut(u, "://"); ok {
			host, _, _ := strings.Cut(rest, "/")
			if at := strings.LastIndexByte(host, '@'); at >= 0 {
				u = scheme + "://REDACTED@" + rest[at+1:]
			}
		}
		return alert.Sanitize(u, 300)
	}
	return delivery.RedactURLCredentials(u)
}
