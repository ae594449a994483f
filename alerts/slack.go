package alerts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// Environment variables that enable a [Slack] with no config file.
const (
	EnvSlackWebhookURL = "SENTINEL_SLACK_WEBHOOK_URL"
	EnvSlackToken      = "SENTINEL_SLACK_TOKEN"
	EnvSlackChannel    = "SENTINEL_SLACK_CHANNEL"
	EnvSlackMention    = "SENTINEL_SLACK_MENTION"
)

// SlackOptions configures a [Slack]. Set WebhookURL, or Token and
// Channel, not both.
type SlackOptions struct {
	// WebhookURL is an incoming webhook ("https://hooks.slack.com/services/…").
	// The whole URL is a secret and never appears in errors.
	WebhookURL string
	// Token is a bot token (xoxb-…, scope chat:write) for chat.postMessage
	// to Channel, a channel ID or name the bot was invited to. With a
	// token, a resolved alert is a reply in the thread of its firing
	// message. The token never appears in errors.
	Token, Channel string
	// APIURL is the Web API's base URL, ending in "/"; empty means
	// Slack's. Tests point it at a loopback server.
	APIURL string
	// Mention is put before the text of a critical alert that fires, so
	// that it pushes to phones: "<!channel>", "<!here>", "<@U123>" or
	// "<!subteam^S123>", several separated by spaces. It is the only live
	// mention a message can hold.
	Mention string
	// HTTPClient sends the requests; nil means a new http.Client. It is
	// copied, and redirects are not followed.
	HTTPClient *http.Client
	// Timeout bounds one send; 0 means delivery.DefaultTimeout.
	Timeout time.Duration
}

// mentionRE is one Slack mention that SlackOptions.Mention may hold.
var mentionRE = regexp.MustCompile(`^<(!here|!channel|!everyone|@[UW][A-Z0-9]+|!subteam\^[A-Z0-9]+)>$`)

// Slack limits that a message must respect, or Slack rejects it with
// invalid_blocks, which would lose the alert.
const (
	maxSlackHeaderRunes  = 150
	maxSlackSectionRunes = 3000
	maxSlackTextRunes    = 3000
	// maxSlackThreads bounds the firing messages remembered for threading.
	maxSlackThreads = 4096
)

// Slack posts transitions to a Slack channel, through an incoming webhook
// or with a bot token. A message has a header with the severity, a
// section with the [Summary] and a context line with the rule and time;
// its top-level text, the only part a phone notification shows, is the
// [Headline], after the configured mention for a critical alert that
// fires. All log-derived text is escaped with [alert.SlackText], and messages
// are sent with parse=none, so no mention or link comes from the log.
// Slack is safe for concurrent use.
type Slack struct {
	webhookURL string
	api        *slack.Client // nil in webhook mode
	channel    string
	mention    string
	timeout    time.Duration
	client     *http.Client
	secrets    []string

	mu      sync.Mutex        // guards threads
	threads map[string]string // thread key → ts of the firing message
}

var _ Notifier = (*Slack)(nil)

// slackKind builds Slack notifiers from the config and from
// SENTINEL_SLACK_WEBHOOK_URL ("slack") or SENTINEL_SLACK_TOKEN with
// SENTINEL_SLACK_CHANNEL ("slack-bot").
var slackKind = Kind{
	Type: "slack", Keys: []string{"url", "token", "channel", "mention"}, Secrets: []string{"url", "token"},
	Env: []string{EnvSlackWebhookURL + " (with " + EnvSlackMention + ")",
		EnvSlackToken + " with " + EnvSlackChannel + " (with " + EnvSlackMention + ")"},
	New: func(s Settings) (Notifier, string, error) {
		n, err := NewSlack(SlackOptions{WebhookURL: s.Values["url"], Token: s.Values["token"], Channel: s.Values["channel"],
			Mention: s.Values["mention"], Timeout: s.Timeout})
		shown := "slack webhook (redacted)"
		if s.Values["token"] != "" {
			shown = "slack bot to " + s.Values["channel"] + " (token redacted)"
		}
		return n, shown, err
	},
	FromEnv: func(get func(string) string) ([]Route, error) {
		var routes []Route
		var errs []error
		if u := get(EnvSlackWebhookURL); u != "" {
			n, err := NewSlack(SlackOptions{WebhookURL: u, Mention: get(EnvSlackMention)})
			r, err := envRoute("slack", EnvSlackWebhookURL, n, err)
			routes, errs = append(routes, r...), append(errs, err)
		}
		switch tok, ch := get(EnvSlackToken), get(EnvSlackChannel); {
		case tok == "" && ch == "":
		case tok == "" || ch == "":
			errs = append(errs, fmt.Errorf("slack: %s and %s go together", EnvSlackToken, EnvSlackChannel))
		default:
			n, err := NewSlack(SlackOptions{Token: tok, Channel: ch, Mention: get(EnvSlackMention)})
			r, err := envRoute("slack-bot", EnvSlackToken, n, err)
			routes, errs = append(routes, r...), append(errs, err)
		}
		return routes, errors.Join(errs...)
	},
}

// NewSlack checks opts and returns a Slack. Its errors never contain the
// webhook URL or the token.
func NewSlack(opts SlackOptions) (*Slack, error) {
	switch {
	case opts.WebhookURL != "" && opts.Token != "":
		return nil, delivery.Permanent(errors.New("slack: set a webhook url or a token, not both"))
	case opts.WebhookURL != "":
		if err := delivery.CheckURL("slack webhook", opts.WebhookURL); err != nil {
			return nil, err
		}
	case opts.Token != "":
		if opts.Channel == "" {
			return nil, delivery.Permanent(errors.New("slack: a token needs a channel"))
		}
		if strings.ContainsFunc(opts.Token, alert.IsControl) {
			return nil, delivery.Permanent(errors.New("slack: token has control characters"))
		}
	default:
		return nil, delivery.Permanent(errors.New("slack: no webhook url and no token"))
	}
	for _, m := range strings.Fields(opts.Mention) {
		if !mentionRE.MatchString(m) {
			return nil, delivery.Permanent(fmt.Errorf("slack: mention %q, want <!channel>, <!here>, <@U…> or <!subteam^S…>", alert.Sanitize(m, 40)))
		}
	}
	s := &Slack{
		webhookURL: opts.WebhookURL,
		channel:    opts.Channel,
		mention:    strings.Join(strings.Fields(opts.Mention), " "),
		timeout:    cmpOr(opts.Timeout, delivery.DefaultTimeout),
		client:     recordingClient(opts.HTTPClient),
		secrets:    append(delivery.URLSecrets(opts.WebhookURL, delivery.SecretPath), opts.Token),
		threads:    make(map[string]string),
	}
	if opts.Token != "" {
		apiOpts := []slack.Option{slack.OptionHTTPClient(s.client)}
		if opts.APIURL != "" {
			apiOpts = append(apiOpts, slack.OptionAPIURL(opts.APIURL))
		}
		// No slack.OptionRetry: the delivery loop retries, not the notifier.
		s.api = slack.New(opts.Token, apiOpts...)
	}
	return s, nil
}

// Notify posts a. In bot mode a reminder or a resolved alert goes to the thread of the
// firing message of the same episode when Slack remembers it (same
// process), and is a new message otherwise. Errors: 429 is a
// *RetryAfterError; other 4xx and API errors such as invalid_auth or
// channel_not_found are a *PermanentError; 5xx, network errors and
// Slack's internal_error are plain, worth a retry.
func (s *Slack) Notify(ctx context.Context, a alert.Alert) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	st := &httpStatus{}
	ctx = context.WithValue(ctx, httpStatusKey{}, st)
	text, blocks := s.message(a)

	if s.api == nil {
		err := slack.PostWebhookCustomHTTPContext(ctx, s.webhookURL, s.client, &slack.WebhookMessage{
			Text: text, Blocks: &slack.Blocks{BlockSet: blocks}, Parse: "none",
		})
		return s.mapError("slack: post webhook", st, err)
	}

	key := threadKey(a)
	opts := []slack.MsgOption{
		slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...),
		slack.MsgOptionParse(false), slack.MsgOptionLinkNames(false),
	}
	if a.State == alert.Resolved || a.Reminder > 0 || a.Incident != nil && a.Incident.Update > 0 {
		s.mu.Lock()
		ts, ok := s.threads[key]
		s.mu.Unlock()
		if ok {
			opts = append(opts, slack.MsgOptionTS(ts))
		}
	}
	_, ts, err := s.api.PostMessageContext(ctx, s.channel, opts...)
	if err := s.mapError("slack: chat.postMessage", st, err); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case a.State == alert.Resolved:
		delete(s.threads, key)
	case ts != "" && (firstPage(a) || a.Reminder == 0 && (a.Incident == nil || a.Incident.Update == 0)):
		if len(s.threads) >= maxSlackThreads {
			for k := range s.threads { // drop one; a lost thread only means a new message
				delete(s.threads, k)
				break
			}
		}
		s.threads[key] = ts
	}
	return nil
}

func (s *Slack) describe() string {
	if s.api != nil {
		return "slack bot to " + s.channel + " (token redacted)"
	}
	return "slack webhook (redacted)"
}

func (s *Slack) destination() string {
	if s.api != nil {
		return "slack-bot\x00" + s.channel
	}
	return "slack\x00" + s.webhookURL
}

// threadKey names an episode: the notifications of one incident share
// its key; a lone alert's firing and its resolution share the rule and
// Since.
func threadKey(a alert.Alert) string {
	if a.Incident != nil {
		return a.Incident.Key
	}
	return a.Rule + "\x00" + a.Since.UTC().Format(time.RFC3339Nano)
}

// message builds the top-level text and the blocks of a.
func (s *Slack) message(a alert.Alert) (string, []slack.Block) {
	text := Headline(a, alert.SlackText)
	if s.mention != "" && pages(a) && a.Severity == alert.Critical { // a reminder or a quiet update does not wake the channel again
		text = s.mention + " " + text
	}
	text = cutSlack(text, maxSlackTextRunes)

	ms := members(a)
	subject := a.Rule
	if len(ms) > 1 {
		subject = fmt.Sprintf("%s and %d more", a.Rule, len(ms)-1)
	}
	if a.Site != "" {
		subject += " on " + a.Site
	}
	var header string
	switch {
	case a.State == alert.Resolved:
		header = "✅ Resolved: " + subject
	case a.Reminder > 0:
		header = "⏰ Still firing: " + subject
	case a.Incident != nil && a.Incident.Update > 0:
		header = "🔁 Update: " + subject
	default:
		icon := map[alert.Severity]string{alert.Critical: "🚨", alert.Warning: "⚠️", alert.Info: "ℹ️"}[a.Severity]
		header = strings.TrimSpace(fmt.Sprintf("%s %s: %s", icon, strings.ToUpper(string(a.Severity)), subject))
	}
	ctxLine := fmt.Sprintf("rule *%s* · %s · sentinel", alert.SlackText(a.Rule, maxKeyRunes), a.Time.UTC().Format(summaryTimeLayout))
	if a.Site != "" {
		ctxLine = fmt.Sprintf("site *%s* · %s", alert.SlackText(a.Site, maxKeyRunes), ctxLine)
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, alert.SlackText(header, maxSlackHeaderRunes-1), true, false)),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, cutSlack(Summary(a, alert.SlackText), maxSlackSectionRunes), false, true), nil, nil),
		slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, ctxLine, false, true)),
	}
	if b := slackButtons(a.Links); b != nil {
		blocks = append(blocks, b)
	}
	return text, blocks
}

// maxSlackButtonRunes is the most a button's text may hold.
const maxSlackButtonRunes = 75

// slackButtons returns an actions block with one URL button per link, or
// nil without links. A URL button needs no Slack app: the phone opens the
// link's confirmation page in a browser.
func slackButtons(links []alert.Link) slack.Block {
	if len(links) == 0 {
		return nil
	}
	var els []slack.BlockElement
	for i, l := range links {
		b := slack.NewButtonBlockElement(fmt.Sprintf("sentinel-link-%d", i), l.Verb,
			slack.NewTextBlockObject(slack.PlainTextType, alert.Sanitize(l.Label, maxSlackButtonRunes), false, false)).WithURL(l.URL)
		switch l.Verb {
		case "run":
			b = b.WithStyle(slack.StyleDanger)
		case "revert":
			b = b.WithStyle(slack.StylePrimary)
		}
		els = append(els, b)
	}
	return slack.NewActionBlock("sentinel-links", els...)
}

// Announce posts an as a message of its own; a bot puts it in the thread
// of its incident when it remembers one. Errors map as for Notify.
func (s *Slack) Announce(ctx context.Context, an Announcement) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	st := &httpStatus{}
	ctx = context.WithValue(ctx, httpStatusKey{}, st)
	text := alert.SlackText(an.Text, maxSlackSectionRunes)
	if an.Site != "" {
		text = alert.SlackText(an.Site, maxKeyRunes) + ": " + text
	}
	if s.api == nil {
		err := slack.PostWebhookCustomHTTPContext(ctx, s.webhookURL, s.client, &slack.WebhookMessage{Text: text, Parse: "none"})
		return s.mapError("slack: post webhook", st, err)
	}
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionParse(false), slack.MsgOptionLinkNames(false)}
	if an.Incident != "" {
		s.mu.Lock()
		ts, ok := s.threads[an.Incident]
		s.mu.Unlock()
		if ok {
			opts = append(opts, slack.MsgOptionTS(ts))
		}
	}
	_, _, err := s.api.PostMessageContext(ctx, s.channel, opts...)
	return s.mapError("slack: chat.postMessage", st, err)
}

// cutSlack cuts escaped Slack text to at most maxRunes runes, never in
// the middle of an entity such as "&lt;".
func cutSlack(s string, maxRunes int) string {
	if utf8.RuneCountInString(s) <= maxRunes {
		return s
	}
	n := 0
	for i := range s {
		if n == maxRunes-1 {
			s = s[:i]
			break
		}
		n++
	}
	if amp := strings.LastIndexByte(s, '&'); amp >= 0 && !strings.Contains(s[amp:], ";") {
		s = s[:amp]
	}
	return s + "…"
}

// slackRetryable are Slack API errors, returned with HTTP 200, that a
// later try may not get. All others (invalid_auth, channel_not_found,
// not_in_channel, invalid_blocks, …) are permanent.
var slackRetryable = map[string]bool{
	"internal_error": true, "fatal_error": true, "service_unavailable": true,
	"request_timeout": true, "ratelimited": true,
}

// mapError turns the outcome of one Slack call into a notifier error.
func (s *Slack) mapError(op string, st *httpStatus, err error) error {
	if err == nil {
		return nil
	}
	if st.code >= 300 && st.code < 400 { // as delivery.Do: a redirect is not followed, and not retried
		return delivery.Permanent(delivery.RedactedError(fmt.Sprintf("%s: HTTP %d redirect not followed: give the final URL", op, st.code), s.secrets...))
	}
	if st.code != 0 && st.code != http.StatusOK {
		return delivery.StatusError(op, st.code, delivery.ParseRetryAfter(st.retryAfter, time.Now()),
			alert.Sanitize(strings.TrimSpace(st.body.String()), delivery.MaxQuotedBytes), s.secrets...)
	}
	if se, ok := errors.AsType[slack.SlackErrorResponse](err); ok {
		e := delivery.RedactedError(op+": "+alert.Sanitize(se.Err, 100), s.secrets...)
		switch {
		case se.Err == "ratelimited":
			return &delivery.RetryAfterError{After: delivery.ParseRetryAfter(st.retryAfter, time.Now()), Err: e}
		case slackRetryable[se.Err]:
			return e
		}
		return delivery.Permanent(e)
	}
	return delivery.Redact(op, err, s.secrets...)
}

// httpStatusKey is the context key under which recordingTransport finds
// the *httpStatus of a call.
type httpStatusKey struct{}

// httpStatus is what recordingTransport saw of a call's response: slack-go
// reports some statuses only as text, and drops the body and a
// Retry-After that is an HTTP date.
type httpStatus struct {
	code       int
	retryAfter string
	body       strings.Builder // the first delivery.MaxQuotedBytes read
}

// recordingClient returns a copy of c (or of a new client) that follows
// no redirect and whose transport records each response in the call's
// *httpStatus and drains each body before it is closed.
func recordingClient(c *http.Client) *http.Client {
	cp := delivery.Client(c)
	base := cp.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp.Transport = recordingTransport{base: base}
	return cp
}

// recordingTransport is the transport of [recordingClient].
type recordingTransport struct{ base http.RoundTripper }

func (t recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("User-Agent", delivery.UserAgent) // not Go's default: a receiver's logs name the sender
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	st, _ := req.Context().Value(httpStatusKey{}).(*httpStatus)
	if st != nil {
		st.code, st.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
		st.body.Reset()
	}
	resp.Body = &recordingBody{ReadCloser: resp.Body, st: st}
	return resp, nil
}

// recordingBody keeps the start of a body and drains it on Close.
type recordingBody struct {
	io.ReadCloser
	st *httpStatus // nil: record nothing
}

func (b *recordingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.st != nil && b.st.body.Len() < delivery.MaxQuotedBytes {
		b.st.body.Write(p[:min(n, delivery.MaxQuotedBytes-b.st.body.Len())])
	}
	return n, err
}

// Close drains the body through Read, so its start is recorded even when
// slack-go did not read it, and closes it.
func (b *recordingBody) Close() error {
	delivery.DrainClose(struct {
		io.Reader
		io.Closer
	}{b, b.ReadCloser})
	return nil
}
