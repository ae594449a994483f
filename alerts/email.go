package alerts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net"
	netmail "net/mail"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	mail "github.com/wneessen/go-mail"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// DefaultEmailTimeout bounds one delivery (connect, TLS, AUTH and the
// whole SMTP transaction) when [EmailOptions.Timeout] is zero.
const DefaultEmailTimeout = 30 * time.Second

// maxSubjectRunes keeps a subject to what a phone's lock screen and a
// mail list show (go-mail folds it into 78-character header lines).
const maxSubjectRunes = 140

// Environment variables that enable an [Email] with no config file.
const (
	EnvSMTPURL   = "SENTINEL_SMTP_URL"
	EnvEmailFrom = "SENTINEL_EMAIL_FROM"
	EnvEmailTo   = "SENTINEL_EMAIL_TO"
)

// EmailOptions configures an [Email] notifier.
type EmailOptions struct {
	// URL names the SMTP server, the way to reach it and the credentials:
	//   smtp://user:pass@host:587         STARTTLS, required (default port 587)
	//   smtps://user:pass@host:465        implicit TLS (default port 465)
	//   smtp+insecure://host:25           no TLS, for a local relay only
	// The user and password are optional; special characters in them
	// must be percent-encoded. smtp+insecure accepts credentials only for
	// a loopback host, since they would cross the network in clear.
	URL string
	// From is the sender address, with or without a display name
	// ("Sentinel <sentinel@example.com>").
	From string
	// To lists the recipient addresses; at least one.
	To []string
	// Timeout bounds one delivery; zero means [DefaultEmailTimeout].
	Timeout time.Duration
	// TLSConfig, when set, is used (cloned) for STARTTLS and implicit TLS,
	// e.g. to trust a private CA. Its ServerName defaults to the URL's host.
	TLSConfig *tls.Config
}

// Email sends each alert transition as one email over SMTP, with a short
// subject for phones, a plain-text body and an HTML alternative. It opens
// one connection per transition and never retries: a failure a retry
// cannot mend (a 5xx reply, failed authentication, a TLS or certificate
// fault) is a *delivery.PermanentError, anything else (a 4xx reply, a network
// error) is returned as is for the delivery loop to retry. Errors never
// contain the password. Email is safe for concurrent use.
type Email struct {
	scheme  string
	host    string
	port    int
	user    string
	pass    string
	from    *netmail.Address
	to      []string
	timeout time.Duration
	tls     *tls.Config
}

var _ Notifier = (*Email)(nil)

// emailKind builds email notifiers from the config and SENTINEL_SMTP_URL.
var emailKind = Kind{
	Type: "email", Keys: []string{"url", "from", "to"}, Secrets: []string{"url"},
	Env: []string{EnvSMTPURL + " (with " + EnvEmailFrom + " and " + EnvEmailTo + ")"},
	New: func(s Settings) (Notifier, string, error) {
		n, err := NewEmail(EmailOptions{URL: s.Values["url"], From: s.Values["from"], To: s.To, Timeout: s.Timeout})
		return n, "email to " + strings.Join(s.To, ", ") + " via " + delivery.RedactURL(s.Values["url"]), err
	},
	FromEnv: func(get func(string) string) ([]Route, error) {
		u := get(EnvSMTPURL)
		if u == "" {
			return nil, nil
		}
		from, to := get(EnvEmailFrom), get(EnvEmailTo)
		if from == "" || to == "" {
			return nil, fmt.Errorf("email: %s needs %s and %s", EnvSMTPURL, EnvEmailFrom, EnvEmailTo)
		}
		var rcpt []string
		for _, r := range strings.Split(to, ",") {
			if r = strings.TrimSpace(r); r != "" {
				rcpt = append(rcpt, r)
			}
		}
		n, err := NewEmail(EmailOptions{URL: u, From: from, To: rcpt})
		return envRoute("email", EnvSMTPURL, n, err)
	},
}

// NewEmail validates opts and returns an [Email]. Its errors name the
// faulty field and never echo the URL's password.
func NewEmail(opts EmailOptions) (*Email, error) {
	e := &Email{timeout: opts.Timeout}
	if err := e.parseURL(opts.URL); err != nil {
		return nil, fmt.Errorf("email: url: %w", err)
	}
	if strings.TrimSpace(opts.From) == "" {
		return nil, errors.New("email: from: missing")
	}
	from, err := netmail.ParseAddress(opts.From)
	if err != nil {
		return nil, fmt.Errorf("email: from: %q is not an address: %w", opts.From, err)
	}
	e.from = from
	if len(opts.To) == 0 {
		return nil, errors.New("email: to: missing, want at least one address")
	}
	for i, s := range opts.To {
		a, err := netmail.ParseAddress(s)
		if err != nil {
			return nil, fmt.Errorf("email: to[%d]: %q is not an address: %w", i, s, err)
		}
		e.to = append(e.to, a.Address)
	}
	switch {
	case e.timeout < 0:
		return nil, fmt.Errorf("email: timeout: %v is negative", opts.Timeout)
	case e.timeout == 0:
		e.timeout = DefaultEmailTimeout
	}
	if opts.TLSConfig != nil {
		e.tls = opts.TLSConfig.Clone()
	} else {
		e.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if e.tls.ServerName == "" {
		e.tls.ServerName = e.host
	}
	return e, nil
}

// parseURL fills the connection fields from raw. Its errors never quote
// raw: a password with an unescaped "/" or "?" would end up in the host
// or path that net/url quotes back.
func (e *Email) parseURL(raw string) error {
	if strings.TrimSpace(raw) == "" {
		return errors.New("missing, want smtp://user:password@host:587, smtps://user:password@host:465 or smtp+insecure://host:25")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return errors.New("not a valid URL, want scheme://user:password@host:port " +
			"(percent-encode special characters in the user and password)")
	}
	var defaultPort int
	switch u.Scheme {
	case "smtp":
		defaultPort = 587
	case "smtps":
		defaultPort = 465
	case "smtp+insecure":
		defaultPort = 25
	default:
		return fmt.Errorf("scheme %q: want smtp (STARTTLS), smtps (implicit TLS) or smtp+insecure (a local relay)", u.Scheme)
	}
	e.scheme = u.Scheme
	if e.host = u.Hostname(); e.host == "" {
		return errors.New("missing host")
	}
	e.port = defaultPort
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q: want 1 to 65535", p)
		}
		e.port = n
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("unexpected path, query or fragment after host:port " +
			"(percent-encode special characters in the user and password)")
	}
	if u.User != nil {
		e.user = u.User.Username()
		e.pass, _ = u.User.Password()
		if e.user == "" {
			return errors.New("password without a user")
		}
		if e.scheme == "smtp+insecure" && !isLoopback(e.host) {
			return fmt.Errorf("smtp+insecure with credentials to %s: a password would cross the network in clear; use smtp (STARTTLS) or smtps", e.host)
		}
	}
	return nil
}

func (e *Email) describe() string {
	return "email to " + strings.Join(e.to, ", ") + " via " + e.scheme + "://" + e.addr()
}

func (e *Email) destination() string {
	return "email\x00" + e.addr() + "\x00" + strings.Join(e.to, ",")
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Notify sends one email for the transition a. It returns once the server
// has accepted the message, or with the first failure.
func (e *Email) Notify(ctx context.Context, a alert.Alert) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	msg, err := e.message(a)
	if err != nil {
		return delivery.Permanent(fmt.Errorf("build email: %w", err))
	}
	return e.send(ctx, msg)
}

// send delivers one message.
func (e *Email) send(ctx context.Context, msg *mail.Msg) error {
	// go-mail bounds each step with its timeout but does not watch the
	// context after dialling, so the nearer of the two deadlines is
	// handed to it.
	timeout := e.timeout
	if d, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(d))
		if timeout <= 0 {
			return context.DeadlineExceeded
		}
	}
	c, err := mail.NewClient(e.host, e.clientOptions(timeout)...)
	if err != nil {
		return delivery.Permanent(e.redact(fmt.Errorf("email via %s: %w", e.addr(), err)))
	}
	err = c.DialAndSendWithContext(ctx, msg)
	if err == nil || msg.IsDelivered() {
		// A failing RSET or QUIT after the server took the message does
		// not undo the delivery; a retry would send it twice.
		return nil
	}
	err = e.redact(fmt.Errorf("email via %s: %w", e.addr(), err))
	if strings.Contains(err.Error(), "does not support STARTTLS") {
		// Said plainly: check and test-alert print it, status shows it.
		return delivery.Permanent(fmt.Errorf("%w: the server offers no STARTTLS, so smtp:// refuses to send the password in clear; "+
			"use smtps:// (implicit TLS, often port 465), or smtp+insecure:// for a relay on this machine", err))
	}
	if permanentSMTP(err) {
		return delivery.Permanent(err)
	}
	return err
}

// clientOptions maps the URL's scheme and credentials to go-mail options.
// A new client per delivery keeps Notify safe for concurrent use: the
// client records the auth mechanism it discovered.
func (e *Email) clientOptions(timeout time.Duration) []mail.Option {
	opts := []mail.Option{
		mail.WithPort(e.port),
		mail.WithTimeout(timeout),
		mail.WithTLSConfig(e.tls),
		mail.WithoutNoop(),
	}
	switch e.scheme {
	case "smtps":
		opts = append(opts, mail.WithSSL())
	case "smtp":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "smtp+insecure":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if e.user != "" {
		auth := mail.SMTPAuthAutoDiscover
		if e.scheme == "smtp+insecure" {
			auth = mail.SMTPAuthPlainNoEnc // loopback only, checked in NewEmail
		}
		opts = append(opts, mail.WithSMTPAuth(auth), mail.WithUsername(e.user), mail.WithPassword(e.pass))
	}
	return opts
}

func (e *Email) addr() string { return net.JoinHostPort(e.host, strconv.Itoa(e.port)) }

// redact replaces the password wherever err's text contains it. No error
// from go-mail is known to quote it; this is the belt to those braces.
// The redacted error keeps nothing of the original chain, so callers
// cannot print an inner error that still holds the secret.
func (e *Email) redact(err error) error {
	if e.pass == "" || !strings.Contains(err.Error(), e.pass) {
		return err
	}
	r := errors.New(strings.ReplaceAll(err.Error(), e.pass, "REDACTED"))
	if permanentSMTP(err) {
		return delivery.Permanent(r)
	}
	return r
}

// permanentSMTP reports whether a retry of the same delivery cannot help:
// a 5xx reply anywhere (535 authentication failed, 550 mailbox
// unavailable, 554 rejected), an auth mechanism or STARTTLS the server
// lacks, or a certificate that does not verify. 4xx replies and network
// errors are temporary.
func permanentSMTP(err error) bool {
	var tpe *textproto.Error
	if errors.As(err, &tpe) {
		return tpe.Code >= 500 && tpe.Code < 600
	}
	var se *mail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode() >= 500 && se.ErrorCode() < 600
	}
	var (
		unknownCA *x509.UnknownAuthorityError
		badHost   x509.HostnameError
		badCert   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
	)
	if errors.As(err, &unknownCA) || errors.As(err, &badHost) || errors.As(err, &badCert) || errors.As(err, &verify) {
		return true
	}
	for _, target := range []error{
		mail.ErrPlainAuthNotSupported, mail.ErrLoginAuthNotSupported, mail.ErrCramMD5AuthNotSupported,
		mail.ErrXOauth2AuthNotSupported, mail.ErrSCRAMSHA1AuthNotSupported, mail.ErrSCRAMSHA1PLUSAuthNotSupported,
		mail.ErrSCRAMSHA256AuthNotSupported, mail.ErrSCRAMSHA256PLUSAuthNotSupported, mail.ErrNTLMAuthNotSupported,
		mail.ErrNoSupportedAuthDiscovered,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	// go-mail has no sentinel for these two configuration faults.
	msg := err.Error()
	return strings.Contains(msg, "does not support STARTTLS") || strings.Contains(msg, "does not support SMTP AUTH")
}

// message builds the email for a.
func (e *Email) message(a alert.Alert) (*mail.Msg, error) {
	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := m.FromFormat(e.from.Name, e.from.Address); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := m.To(e.to...); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	m.Subject(subject(a))
	id, thread := messageIDs(a, e.from.Address)
	m.SetMessageIDWithValue(id)
	if thread != "" {
		// The incident's later notifications thread under its first one.
		m.SetGenHeader(mail.HeaderInReplyTo, "<"+thread+">")
		m.SetGenHeader(mail.HeaderReferences, "<"+thread+">")
	}
	// RFC 3834: no vacation or out-of-office replies to an alert.
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	m.SetGenHeader(mail.HeaderXAutoResponseSuppress, "All")
	m.SetBodyString(mail.TypeTextPlain, emailText(a))
	h, err := emailHTML(a)
	if err != nil {
		return nil, err
	}
	m.AddAlternativeString(mail.TypeTextHTML, h)
	return m, nil
}

// messageIDs returns the Message-ID of a's email on the sender's domain,
// and that of the incident's first email for a later one ("" otherwise).
// An incident's IDs follow from its key and the notification's number, so
// a mail client threads them, and drops a copy resent after a crash; a
// lone alert's is random.
func messageIDs(a alert.Alert, from string) (id, thread string) {
	domain := "sentinel.invalid"
	if i := strings.LastIndexByte(from, '@'); i >= 0 && i < len(from)-1 {
		domain = from[i+1:]
	}
	if a.Incident == nil {
		var b [16]byte
		rand.Read(b[:])
		return "sentinel." + hex.EncodeToString(b[:]) + "@" + domain, ""
	}
	sum := sha256.Sum256([]byte(a.Incident.Key + "\x00" + a.Site))
	base := "sentinel." + hex.EncodeToString(sum[:12])
	id = fmt.Sprintf("%s.%d.%s.r%d@%s", base, a.Incident.Update, a.Incident.State, a.Reminder, domain)
	if a.Incident.Update > 0 || a.Reminder > 0 {
		thread = fmt.Sprintf("%s.0.firing.r0@%s", base, domain)
	}
	return id, thread
}

// subject is the one line a phone shows: the severity and the
// [Headline] ("[critical] web-1: Sign-ups at 240/s from 237 addresses —
// signup-burst, signup-spread"). The headline reduces a key to its
// field's alphabet (a client_ip that is no bare address is left out), and
// headerText makes the whole one header line.
func subject(a alert.Alert) string {
	return headerText("["+string(a.Severity)+"] "+Headline(a, func(s string, _ int) string { return s }), maxSubjectRunes)
}

// headerText makes s safe for one unstructured header line that must fit
// maxRunes once escaped, as a subject must. It is stricter than
// [alert.HeaderText], which escapes text for a header of any length: CR,
// LF, tabs and other control characters become spaces (so nothing can
// start a new header such as "Bcc:"), invalid UTF-8 and characters that
// reorder or break displayed text are dropped, runs of spaces collapse,
// and the result is cut to maxRunes, an ellipsis included.
func headerText(s string, maxRunes int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == utf8.RuneError, alert.IsBidiOrBreak(r), r == 0xfeff:
			continue
		case unicode.IsControl(r), unicode.IsSpace(r):
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	out := b.String()
	if utf8.RuneCountInString(out) <= maxRunes {
		return out
	}
	rs := []rune(out)[:maxRunes-1]
	return strings.TrimRight(string(rs), " ") + "…"
}

// emailText is the plain-text body. Every log-derived string goes through
// [alert.Sanitize].
func emailText(a alert.Alert) string {
	v := bodyView(a)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", v.Headline)
	for _, l := range v.Lines {
		fmt.Fprintf(&b, "%s\n", l)
	}
	if len(v.Lines) > 0 {
		b.WriteByte('\n')
	}
	b.WriteString("Rules:\n")
	for _, r := range v.Rules {
		fmt.Fprintf(&b, "  %s\n", r)
	}
	b.WriteByte('\n')
	for _, f := range v.Facts {
		fmt.Fprintf(&b, "%-7s %s\n", f.Name+":", f.Value)
	}
	if len(v.Keys) > 0 {
		fmt.Fprintf(&b, "\nTop %s:\n", v.GroupBy)
		for _, k := range v.Keys {
			fmt.Fprintf(&b, "  %s  %s\n", k.Key, k.Count)
		}
	}
	if v.Sample != "" {
		fmt.Fprintf(&b, "\nSample line:\n  %s\n", v.Sample)
	}
	if len(v.Links) > 0 {
		b.WriteString("\nAct (each link asks to confirm, works once, and expires):\n")
		for _, l := range v.Links {
			fmt.Fprintf(&b, "  %s: %s\n", l.Label, l.URL)
		}
	}
	b.WriteString("\n-- \nsentinel\n")
	return b.String()
}

// emailHTMLTemplate escapes every value it prints (html/template).
var emailHTMLTemplate = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html><body style="font-family:sans-serif">
<p><strong>{{.Headline}}</strong></p>
{{- range .Lines}}
<p>{{.}}</p>
{{- end}}
<ul>
{{- range .Rules}}
<li>{{.}}</li>
{{- end}}
</ul>
<table>
{{- range .Facts}}
<tr><td>{{.Name}}</td><td>{{.Value}}</td></tr>
{{- end}}
</table>
{{- if .Keys}}
<p>Top {{.GroupBy}}:</p>
<table>
{{- range .Keys}}
<tr><td><code>{{.Key}}</code></td><td>{{.Count}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Sample}}
<p>Sample line:</p>
<pre>{{.Sample}}</pre>
{{- end}}
{{- if .Links}}
<p>
{{- range .Links}}
<a href="{{.URL}}" style="display:inline-block;margin:4px 8px 4px 0;padding:10px 16px;border-radius:6px;background:#1d4ed8;color:#fff;text-decoration:none">{{.Label}}</a>
{{- end}}
</p>
<p style="color:#888;font-size:small">Each link asks to confirm, works once, and expires.</p>
{{- end}}
<p style="color:#888">sentinel</p>
</body></html>
`))

// emailHTML is the HTML alternative.
func emailHTML(a alert.Alert) (string, error) {
	var b strings.Builder
	if err := emailHTMLTemplate.Execute(&b, bodyView(a)); err != nil {
		return "", fmt.Errorf("html body: %w", err)
	}
	return b.String(), nil
}

// emailView is what both bodies show, already sanitised for text; the
// HTML template escapes it once more for HTML.
type emailView struct {
	Headline string
	// Lines say who it comes from (or that no one stands out), the lead
	// rule's description and the rules left out by a silence.
	Lines []string
	// Rules holds one line per rule: state, value against threshold or
	// normal, since when.
	Rules   []string
	Facts   []emailFact
	GroupBy string
	Keys    []emailKey
	Sample  string
	Links   []emailLink
}

type emailFact struct{ Name, Value string }

// emailLink is one of the notification's signed links.
type emailLink struct{ Label, URL string }

type emailKey struct{ Key, Count string }

// bodyView gathers what the bodies show from the pieces of the one
// renderer (render.go).
func bodyView(a alert.Alert) emailView {
	esc := alert.Sanitize
	ms := members(a)
	lead := ms[0]
	v := emailView{Headline: Headline(a, esc), GroupBy: esc(lead.GroupBy, maxKeyRunes)}
	if a.State == alert.Firing {
		if o := offenders(lead, esc); o != "" {
			v.Lines = append(v.Lines, o)
		}
	}
	if lead.Description != "" {
		v.Lines = append(v.Lines, esc(lead.Description, maxDescriptionRunes))
	}
	if a.Incident != nil && len(a.Incident.Silenced) > 0 {
		v.Lines = append(v.Lines, "Silenced, left out: "+esc(strings.Join(a.Incident.Silenced, ", "), maxDescriptionRunes))
	}
	for _, m := range ms {
		v.Rules = append(v.Rules, memberLine(m, a.Incident, esc))
	}
	since := a.Since
	if a.Incident != nil {
		since = a.Incident.Since
	}
	v.Facts = append(v.Facts,
		emailFact{"Since", fmt.Sprintf("%s (%s)", since.UTC().Format(summaryTimeLayout), alert.FormatDuration(a.Time.Sub(since)))},
		emailFact{"At", a.Time.UTC().Format(summaryTimeLayout)})
	if s := siteLine(a, esc); s != "" {
		v.Facts = append(v.Facts, emailFact{"Site", strings.TrimPrefix(s, "site ")})
	}
	if a.State == alert.Firing {
		for _, k := range lead.Keys {
			v.Keys = append(v.Keys, emailKey{Key: esc(k.Key, maxKeyRunes), Count: alert.FormatCount(k)})
		}
		v.Sample = sample(lead, esc)
	}
	for _, l := range a.Links {
		v.Links = append(v.Links, emailLink{Label: esc(l.Label, maxKeyRunes), URL: l.URL})
	}
	return v
}

// Announce sends an as a short email, threaded under the first email of
// its incident. Errors map as for Notify.
func (e *Email) Announce(ctx context.Context, an Announcement) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := m.FromFormat(e.from.Name, e.from.Address); err != nil {
		return delivery.Permanent(fmt.Errorf("build email: from: %w", err))
	}
	if err := m.To(e.to...); err != nil {
		return delivery.Permanent(fmt.Errorf("build email: to: %w", err))
	}
	subj := an.Text
	if an.Site != "" {
		subj = an.Site + ": " + an.Text
	}
	m.Subject(headerText("[sentinel] "+subj, maxSubjectRunes))
	if an.Incident != "" {
		_, thread := messageIDs(alert.Alert{Site: an.Site, Incident: &alert.Incident{Key: an.Incident, Update: 1}}, e.from.Address)
		m.SetGenHeader(mail.HeaderInReplyTo, "<"+thread+">")
		m.SetGenHeader(mail.HeaderReferences, "<"+thread+">")
	}
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	m.SetGenHeader(mail.HeaderXAutoResponseSuppress, "All")
	m.SetBodyString(mail.TypeTextPlain, alert.Sanitize(subj, maxDescriptionRunes)+"\n\n-- \nsentinel\n")
	return e.send(ctx, m)
}
