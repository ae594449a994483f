package actions

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/sentinel-dev/sentinel/alerts"
)

// IdempotencyHeader carries [Call.Key] on every webhook request.
const IdempotencyHeader = "Idempotency-Key"

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
	// Secret, when set, signs each request: alerts.TimestampHeader holds
	// the send time in Unix seconds and alerts.SignatureHeader the
	// HMAC-SHA256 of the timestamp, ".", and the body (see
	// alerts.VerifySignature).
	Secret string
	// Timeout bounds one attempt; 0 means [DefaultTimeout].
	Timeout    time.Duration
	HTTPClient *http.Client
	// Now reads the wall clock for the timestamp header; nil: time.Now.
	Now func() time.Time
}

// Webhook is a [Step] that makes an HTTP request: a feature-flag PATCH,
// a platform's scale or stop call, a POST of addresses to a block list.
// A 2xx status is success; 429 is retried after its Retry-After; any
// other 4xx is permanent; 5xx, network errors and timeouts are retried by
// the [Manager]. Webhook is safe for concurrent use.
type Webhook struct {
	method      string
	url         *template.Template
	rawURL      string
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
var reservedHeaders = []string{"Content-Type", "User-Agent", IdempotencyHeader, alerts.TimestampHeader, alerts.SignatureHeader}

// NewWebhook checks opts and returns a Webhook. Its errors name the
// option at fault and never contain a secret.
func NewWebhook(opts WebhookOptions) (*Webhook, error) {
	method := strings.ToUpper(opts.Method)
	if method == "" {
		method = http.MethodPost
	}
	if !alerts.ValidHeaderName(method) { // a method is a token too
		return nil, fmt.Errorf("method %q is not an HTTP method", alerts.Sanitize(opts.Method, 40))
	}
	if opts.URL == "" {
		return nil, errors.New("url: missing")
	}
	ut, err := ParseTemplate("url", opts.URL)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	if !strings.Contains(opts.URL, "{{") {
		if err := alerts.CheckURL("", opts.URL); err != nil {
			return nil, errors.Unwrap(err) // a config error: "permanent" says nothing
		}
	}
	if err := CheckTemplate(ut); err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	var bt *template.Template
	if opts.Body != "" {
		if bt, err = ParseTemplate("body", opts.Body); err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
		if err := CheckTemplate(bt); err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
	}
	h := make(http.Header)
	var secrets []string
	for k, v := range opts.Headers {
		if !alerts.ValidHeaderName(k) {
			return nil, fmt.Errorf("headers: name %q is invalid", alerts.Sanitize(k, 80))
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, fmt.Errorf("headers: %s: value has a line break", k)
		}
		h.Set(k, v)
		if len(v) >= 8 { // a token, most likely; short values are kept readable
			secrets = append(secrets, v)
		}
	}
	for _, k := range reservedHeaders {
		h.Del(k)
	}
	w := &Webhook{method: method, url: ut, rawURL: opts.URL, headers: h, body: bt,
		contentType: opts.ContentType, secret: []byte(opts.Secret), timeout: opts.Timeout,
		client: opts.HTTPClient, now: opts.Now}
	if w.contentType == "" {
		w.contentType = "application/json"
	}
	if w.timeout <= 0 {
		w.timeout = DefaultTimeout
	}
	if w.client == nil {
		w.client = &http.Client{}
	}
	if w.now == nil {
		w.now = time.Now
	}
	w.secrets = append(append(secrets, alerts.URLSecrets(opts.URL)...), opts.Secret)
	return w, nil
}

// String is the method and the URL, its userinfo and query redacted.
func (w *Webhook) String() string { return w.method + " " + ShowURL(w.rawURL) }

// Do makes the request for c.
func (w *Webhook) Do(ctx context.Context, c Call) (Result, error) {
	u, err := render(w.url, c)
	if err != nil {
		return Result{}, err
	}
	if err := alerts.CheckURL("", u); err != nil { // a template may have made it bad
		return Result{}, err
	}
	body, err := render(w.body, c)
	if err != nil {
		return Result{}, err
	}
	secrets := slices.Concat(w.secrets, alerts.URLSecrets(u))
	op := fmt.Sprintf("%s %s", w.method, ShowURL(u))

	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, w.method, u, rd)
	if err != nil {
		return Result{}, alerts.Permanent(alerts.RedactError(op, err, secrets...))
	}
	req.Header = w.headers.Clone()
	if body != "" {
		req.Header.Set("Content-Type", w.contentType)
	}
	req.Header.Set("User-Agent", "sentinel")
	req.Header.Set(IdempotencyHeader, c.Key)
	now := w.now()
	if len(w.secret) > 0 {
		ts := strconv.FormatInt(now.Unix(), 10)
		req.Header.Set(alerts.TimestampHeader, ts)
		req.Header.Set(alerts.SignatureHeader, alerts.Sign(w.secret, ts, []byte(body)))
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return Result{}, alerts.RedactError(op, err, secrets...)
	}
	defer alerts.DrainClose(resp.Body)
	res := Result{Status: resp.StatusCode}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		res.Output = strings.TrimSpace(alerts.Sanitize(alerts.Scrub(string(b), secrets), 200))
		return res, nil
	}
	return res, alerts.ResponseError(op, resp, now, secrets...)
}

// ShowURL shows a URL for people: scheme, host and path, with any
// userinfo and the query replaced by REDACTED, since they often carry a
// token. A template's actions are kept as written.
func ShowURL(u string) string {
	if strings.Contains(u, "{{") {
		// A template: show it up to any query.
		if i := strings.IndexByte(u, '?'); i >= 0 {
			return u[:i] + "?REDACTED"
		}
		return u
	}
	return alerts.RedactURLCredentials(u)
}
