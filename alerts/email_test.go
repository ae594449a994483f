package alerts

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

const (
	smtpUser = "alerts@example.com"
	smtpPass = "hunter2/s3cret"
)

// smtpMode is how the test server takes connections.
type smtpMode int

const (
	smtpStartTLS smtpMode = iota // STARTTLS offered, AUTH only after it
	smtpImplicitTLS
	smtpPlain // no TLS at all, AUTH PLAIN allowed in clear
)

// smtpMail is one message the test server accepted.
type smtpMail struct {
	From string
	To   []string
	TLS  bool
	User string
	Data []byte
}

// smtpTestServer is a real SMTP server (emersion/go-smtp) on 127.0.0.1.
type smtpTestServer struct {
	Addr   string
	RootCA *x509.CertPool

	mu sync.Mutex // guards the fields below
	// RcptErr, when set, is the reply to every RCPT TO.
	RcptErr error
	mails   []smtpMail
}

func (s *smtpTestServer) Mails() []smtpMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMail(nil), s.mails...)
}

func (s *smtpTestServer) SetRcptErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.RcptErr = err
}

// TLSConfig trusts the server's self-signed certificate.
func (s *smtpTestServer) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.RootCA, MinVersion: tls.VersionTLS12}
}

// URL returns scheme://user:pass@addr (no credentials when user is "").
func (s *smtpTestServer) URL(scheme, user, pass string) string {
	if user == "" {
		return scheme + "://" + s.Addr
	}
	return scheme + "://" + url.UserPassword(user, pass).String() + "@" + s.Addr
}

func startSMTPServer(tb testing.TB, mode smtpMode) *smtpTestServer {
	tb.Helper()
	cert, pool := selfSignedCert(tb)
	srv := &smtpTestServer{RootCA: pool}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpTestSession{srv: srv, conn: c}, nil
	}))
	s.Domain = "127.0.0.1"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = nopLogger{}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	var l net.Listener
	var err error
	switch mode {
	case smtpStartTLS:
		s.TLSConfig = tlsConfig
		l, err = net.Listen("tcp", "127.0.0.1:0")
	case smtpImplicitTLS:
		l, err = tls.Listen("tcp", "127.0.0.1:0", tlsConfig)
	case smtpPlain:
		s.AllowInsecureAuth = true
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		tb.Fatal(err)
	}
	srv.Addr = l.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(l)
	}()
	tb.Cleanup(func() {
		s.Close()
		l.Close() // Close misses a listener that Serve has not registered yet
		<-done
	})
	return srv
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}

// smtpTestSession records one transaction; it accepts only smtpUser with
// smtpPass.
type smtpTestSession struct {
	srv  *smtpTestServer
	conn *smtp.Conn
	user string
	mail smtpMail
}

func (s *smtpTestSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpTestSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != smtpUser || pass != smtpPass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *smtpTestSession) Mail(from string, _ *smtp.MailOptions) error {
	_, isTLS := s.conn.TLSConnectionState()
	s.mail = smtpMail{From: from, TLS: isTLS, User: s.user}
	return nil
}

func (s *smtpTestSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.mu.Lock()
	err := s.srv.RcptErr
	s.srv.mu.Unlock()
	if err != nil {
		return err
	}
	s.mail.To = append(s.mail.To, to)
	return nil
}

func (s *smtpTestSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mail.Data = b
	s.srv.mu.Lock()
	s.srv.mails = append(s.srv.mails, s.mail)
	s.srv.mu.Unlock()
	return nil
}

func (s *smtpTestSession) Reset()        { s.mail = smtpMail{} }
func (s *smtpTestSession) Logout() error { return nil }

// selfSignedCert makes a certificate for 127.0.0.1 and a pool trusting it.
func selfSignedCert(tb testing.TB) (tls.Certificate, *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sentinel test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// parsedMail is a received message taken apart.
type parsedMail struct {
	Header netmail.Header
	Text   string
	HTML   string
}

func parseMail(tb testing.TB, data []byte) parsedMail {
	tb.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("ReadMessage: %v\n%s", err, data)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		tb.Fatalf("Content-Type = %q (%v), want multipart/alternative", m.Header.Get("Content-Type"), err)
	}
	p := parsedMail{Header: m.Header}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // undoes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			tb.Fatal(err)
		}
		body := strings.ReplaceAll(string(b), "\r\n", "\n")
		switch ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); ct {
		case "text/plain":
			p.Text = body
		case "text/html":
			p.HTML = body
		default:
			tb.Errorf("unexpected part %q", ct)
		}
	}
	return p
}

func decodeHeader(tb testing.TB, h netmail.Header, key string) string {
	tb.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(h.Get(key))
	if err != nil {
		tb.Fatalf("decode %s: %v", key, err)
	}
	return s
}

// emailAlert is a firing transition like the signup burst of the story.
func emailAlert() alert.Alert {
	at := time.Date(2026, 11, 27, 1, 20, 1, 0, time.UTC)
	return alert.Alert{
		Rule: "signup-burst", State: alert.Firing, Time: at, Since: at.Add(-90 * time.Second), Value: 240, Threshold: 1,
		Unit: "/s", Severity: alert.Critical, Window: 30 * time.Second, Count: 7200,
		GroupBy: "client_ip", Keys: []alert.KeyCount{{Key: "203.0.113.7", Count: 3000, Error: 12}, {Key: "198.51.100.1", Count: 2100}},
		DistinctOf: "email", Distinct: 4812,
		Samples: []string{`203.0.113.7 - - [27/Nov/2026:01:20:00 +0000] "POST /users/register HTTP/1.1" 302 76 "-" "bot/1.0"`},
	}
}

func newTestEmail(tb testing.TB, srv *smtpTestServer, url string) *Email {
	tb.Helper()
	e, err := NewEmail(EmailOptions{
		URL:       url,
		From:      "Sentinel <sentinel@example.com>",
		To:        []string{"ops@example.com", "Oncall <oncall@example.org>"},
		Timeout:   5 * time.Second,
		TLSConfig: srv.TLSConfig(),
	})
	if err != nil {
		tb.Fatalf("NewEmail: %v", err)
	}
	return e
}

const wantFiringText = `signup-burst at 240/s from 4,812 distinct email

top client_ip: 203.0.113.7 (2,988–3,000), 198.51.100.1 (2,100)

Rules:
  signup-burst [critical] firing since 01:18:31: 240/s ≥ 1/s over 30s; 7,200 events from 4,812 distinct email

Since:  2026-11-27 01:18:31 UTC (1m30s)
At:     2026-11-27 01:20:01 UTC

Top client_ip:
  203.0.113.7  2,988–3,000
  198.51.100.1  2,100

Sample line:
  203.0.113.7 - - [27/Nov/2026:01:20:00 +0000] "POST /users/register HTTP/1.1" 302 76 "-" "bot/1.0"

-- 
sentinel
`

const wantFiringHTML = `<!DOCTYPE html>
<html><body style="font-family:sans-serif">
<p><strong>signup-burst at 240/s from 4,812 distinct email</strong></p>
<p>top client_ip: 203.0.113.7 (2,988–3,000), 198.51.100.1 (2,100)</p>
<ul>
<li>signup-burst [critical] firing since 01:18:31: 240/s ≥ 1/s over 30s; 7,200 events from 4,812 distinct email</li>
</ul>
<table>
<tr><td>Since</td><td>2026-11-27 01:18:31 UTC (1m30s)</td></tr>
<tr><td>At</td><td>2026-11-27 01:20:01 UTC</td></tr>
</table>
<p>Top client_ip:</p>
<table>
<tr><td><code>203.0.113.7</code></td><td>2,988–3,000</td></tr>
<tr><td><code>198.51.100.1</code></td><td>2,100</td></tr>
</table>
<p>Sample line:</p>
<pre>203.0.113.7 - - [27/Nov/2026:01:20:00 &#43;0000] &#34;POST /users/register HTTP/1.1&#34; 302 76 &#34;-&#34; &#34;bot/1.0&#34;</pre>
<p style="color:#888">sentinel</p>
</body></html>
`

func TestEmail_Notify(t *testing.T) {
	tests := []struct {
		name     string
		mode     smtpMode
		scheme   string
		user     string
		wantTLS  bool
		wantUser string
	}{
		{name: "starttls", mode: smtpStartTLS, scheme: "smtp", user: smtpUser, wantTLS: true, wantUser: smtpUser},
		{name: "implicit_tls", mode: smtpImplicitTLS, scheme: "smtps", user: smtpUser, wantTLS: true, wantUser: smtpUser},
		{name: "insecure", mode: smtpPlain, scheme: "smtp+insecure"},
		{name: "insecure_auth_loopback", mode: smtpPlain, scheme: "smtp+insecure", user: smtpUser, wantUser: smtpUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startSMTPServer(t, tt.mode)
			e := newTestEmail(t, srv, srv.URL(tt.scheme, tt.user, smtpPass))
			if err := e.Notify(context.Background(), emailAlert()); err != nil {
				t.Fatalf("Notify() = %v", err)
			}
			mails := srv.Mails()
			if len(mails) != 1 {
				t.Fatalf("server got %d mails, want 1", len(mails))
			}
			got := mails[0]
			wantEnv := smtpMail{From: "sentinel@example.com", To: []string{"ops@example.com", "oncall@example.org"}, TLS: tt.wantTLS, User: tt.wantUser}
			got.Data = nil
			if d := cmp.Diff(wantEnv, got); d != "" {
				t.Errorf("envelope (-want +got):\n%s", d)
			}
			p := parseMail(t, mails[0].Data)
			if got, want := decodeHeader(t, p.Header, "Subject"), "[critical] signup-burst at 240/s from 4,812 distinct email"; got != want {
				t.Errorf("Subject = %q, want %q", got, want)
			}
			for key, want := range map[string]string{
				"From":           `"Sentinel" <sentinel@example.com>`,
				"To":             `<ops@example.com>, <oncall@example.org>`,
				"Auto-Submitted": "auto-generated",
			} {
				if got := p.Header.Get(key); got != want {
					t.Errorf("%s = %q, want %q", key, got, want)
				}
			}
			if _, err := p.Header.Date(); err != nil {
				t.Errorf("Date: %v", err)
			}
			if id := p.Header.Get("Message-Id"); !strings.HasPrefix(id, "<sentinel.") || !strings.HasSuffix(id, "@example.com>") {
				t.Errorf("Message-ID = %q, want <sentinel.…@example.com>", id)
			}
			if d := cmp.Diff(wantFiringText, p.Text); d != "" {
				t.Errorf("text part (-want +got):\n%s", d)
			}
			if d := cmp.Diff(wantFiringHTML, p.HTML); d != "" {
				t.Errorf("HTML part (-want +got):\n%s", d)
			}
		})
	}
}

func TestEmail_NotifyResolved(t *testing.T) {
	srv := startSMTPServer(t, smtpStartTLS)
	e := newTestEmail(t, srv, srv.URL("smtp", smtpUser, smtpPass))
	a := emailAlert()
	a.State, a.Value, a.Peak, a.ResolveAt, a.Time = alert.Resolved, 0.4, 260, 0.8, a.Time.Add(60*time.Second)
	if err := e.Notify(context.Background(), a); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	mails := srv.Mails()
	if len(mails) != 1 {
		t.Fatalf("server got %d mails, want 1", len(mails))
	}
	p := parseMail(t, mails[0].Data)
	if got, want := decodeHeader(t, p.Header, "Subject"), "[critical] Resolved after 2m30s: signup-burst peaked at 260/s from 4,812 distinct email"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
	want := `Resolved after 2m30s: signup-burst peaked at 260/s from 4,812 distinct email

Rules:
  signup-burst [critical] resolved at 01:21:01 after 2m30s, peak 260/s

Since:  2026-11-27 01:18:31 UTC (2m30s)
At:     2026-11-27 01:21:01 UTC

-- 
sentinel
`
	if d := cmp.Diff(want, p.Text); d != "" {
		t.Errorf("text part (-want +got):\n%s", d)
	}
}

func TestEmail_NotifyHostile(t *testing.T) {
	srv := startSMTPServer(t, smtpStartTLS)
	e := newTestEmail(t, srv, srv.URL("smtp", smtpUser, smtpPass))
	a := emailAlert()
	a.PerKey = true
	a.Keys = []alert.KeyCount{
		{Key: "x\r\nBcc: evil@example.com", Count: 900},
		{Key: "<script>alert(1)</script>", Count: 800},
		{Key: "<!channel>", Count: 700},
	}
	a.Samples = []string{"GET /\r\nBcc: evil@example.com\r\n\r\n<script>alert(1)</script> <!channel> \x1b[31m"}
	if err := e.Notify(context.Background(), a); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	mails := srv.Mails()
	if len(mails) != 1 {
		t.Fatalf("server got %d mails, want 1", len(mails))
	}
	if want := []string{"ops@example.com", "oncall@example.org"}; !cmp.Equal(want, mails[0].To) {
		t.Errorf("RCPT TO = %v, want %v", mails[0].To, want)
	}
	for _, line := range strings.Split(string(mails[0].Data), "\r\n") {
		if strings.HasPrefix(strings.ToLower(line), "bcc:") {
			t.Errorf("raw message has a header line %q", line)
		}
	}
	p := parseMail(t, mails[0].Data)
	if _, ok := p.Header["Bcc"]; ok {
		t.Errorf("message has a Bcc header: %q", p.Header["Bcc"])
	}
	// The busiest client_ip is no address: it stays out of the subject.
	if got, want := decodeHeader(t, p.Header, "Subject"), "[critical] signup-burst at 240/s"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
	for _, bad := range []string{"<script>", "<!channel>", "\x1b"} {
		if strings.Contains(p.HTML, bad) {
			t.Errorf("HTML part contains %q:\n%s", bad, p.HTML)
		}
	}
	for _, want := range []string{
		"<code>x\\x0d\\x0aBcc: evil@example.com</code>",
		"<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>",
		"<code>&lt;!channel&gt;</code>",
		"<pre>GET /\\x0d\\x0aBcc: evil@example.com\\x0d\\x0a\\x0d\\x0a&lt;script&gt;alert(1)&lt;/script&gt; &lt;!channel&gt; \\x1b[31m</pre>",
	} {
		if !strings.Contains(p.HTML, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, p.HTML)
		}
	}
	for _, want := range []string{
		"  x\\x0d\\x0aBcc: evil@example.com  900\n",
		"  GET /\\x0d\\x0aBcc: evil@example.com\\x0d\\x0a\\x0d\\x0a<script>alert(1)</script> <!channel> \\x1b[31m\n",
	} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("text part lacks %q:\n%s", want, p.Text)
		}
	}
}

func TestEmail_NotifyErrors(t *testing.T) {
	encodedPass := base64.StdEncoding.EncodeToString([]byte("\x00" + smtpUser + "\x00" + smtpPass))
	tests := []struct {
		name          string
		mode          smtpMode
		scheme        string
		pass          string
		rcptErr       error
		closed        bool
		untrusted     bool
		wantPermanent bool
	}{
		{name: "auth_failed", mode: smtpStartTLS, scheme: "smtp", pass: smtpPass + "-wrong", wantPermanent: true},
		{name: "auth_failed_implicit_tls", mode: smtpImplicitTLS, scheme: "smtps", pass: smtpPass + "-wrong", wantPermanent: true},
		{name: "451_temporary", mode: smtpStartTLS, scheme: "smtp", pass: smtpPass,
			rcptErr: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}},
		{name: "421_unavailable", mode: smtpStartTLS, scheme: "smtp", pass: smtpPass,
			rcptErr: &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "shutting down"}},
		{name: "550_mailbox_unavailable", mode: smtpStartTLS, scheme: "smtp", pass: smtpPass, wantPermanent: true,
			rcptErr: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}},
		{name: "no_starttls", mode: smtpPlain, scheme: "smtp", pass: smtpPass, wantPermanent: true},
		{name: "closed_port", mode: smtpStartTLS, scheme: "smtp", pass: smtpPass, closed: true},
		{name: "untrusted_certificate", mode: smtpStartTLS, scheme: "smtp", pass: smtpPass, untrusted: true, wantPermanent: true},
		{name: "untrusted_certificate_implicit_tls", mode: smtpImplicitTLS, scheme: "smtps", pass: smtpPass, untrusted: true, wantPermanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startSMTPServer(t, tt.mode)
			srv.SetRcptErr(tt.rcptErr)
			if tt.closed {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				srv.Addr = l.Addr().String()
				l.Close()
			}
			if tt.untrusted {
				srv.RootCA = x509.NewCertPool()
			}
			e := newTestEmail(t, srv, srv.URL(tt.scheme, smtpUser, tt.pass))
			err := e.Notify(context.Background(), emailAlert())
			if err == nil {
				t.Fatal("Notify() = nil, want an error")
			}
			t.Logf("Notify() = %v", err)
			if got := delivery.IsPermanent(err); got != tt.wantPermanent {
				t.Errorf("delivery.IsPermanent(%v) = %v, want %v", err, got, tt.wantPermanent)
			}
			for _, secret := range []string{tt.pass, smtpPass, encodedPass, "hunter2", "s3cret", "%2F"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q contains the secret %q", err, secret)
				}
			}
			if n := len(srv.Mails()); n != 0 {
				t.Errorf("server got %d mails, want 0", n)
			}
		})
	}
}

func TestEmail_NotifyCanceled(t *testing.T) {
	srv := startSMTPServer(t, smtpStartTLS)
	e := newTestEmail(t, srv, srv.URL("smtp", smtpUser, smtpPass))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Notify(ctx, emailAlert()); !errors.Is(err, context.Canceled) || delivery.IsPermanent(err) {
		t.Errorf("Notify(canceled) = %v, want context.Canceled, not permanent", err)
	}
}

func TestNewEmail(t *testing.T) {
	const pass = "p4ss/w0rd"
	ok := EmailOptions{URL: "smtp://u:p@mail.example.com", From: "sentinel@example.com", To: []string{"ops@example.com"}}
	tests := []struct {
		name    string
		edit    func(*EmailOptions)
		wantErr string // substring; "" means success
	}{
		{name: "ok", edit: func(*EmailOptions) {}},
		{name: "smtps", edit: func(o *EmailOptions) { o.URL = "smtps://u:" + url.PathEscape(pass) + "@mail.example.com:465" }},
		{name: "no_auth", edit: func(o *EmailOptions) { o.URL = "smtp://mail.example.com" }},
		{name: "insecure", edit: func(o *EmailOptions) { o.URL = "smtp+insecure://relay.internal:25" }},
		{name: "missing_url", edit: func(o *EmailOptions) { o.URL = "" }, wantErr: "email: url: missing"},
		{name: "scheme", edit: func(o *EmailOptions) { o.URL = "http://u:" + url.PathEscape(pass) + "@mail.example.com" }, wantErr: `email: url: scheme "http"`},
		{name: "unescaped_slash", edit: func(o *EmailOptions) { o.URL = "smtp://u:" + pass + "@mail.example.com" }, wantErr: "email: url: not a valid URL"},
		{name: "opaque", edit: func(o *EmailOptions) { o.URL = "smtp:u:p4ss@mail.example.com" }, wantErr: "email: url: not a valid URL"},
		{name: "no_host", edit: func(o *EmailOptions) { o.URL = "smtp://u:p4ss@:587" }, wantErr: "email: url: missing host"},
		{name: "bad_port", edit: func(o *EmailOptions) { o.URL = "smtp://u:p4ss@mail.example.com:70000" }, wantErr: `email: url: port "70000"`},
		{name: "path", edit: func(o *EmailOptions) { o.URL = "smtp://u:p4ss@mail.example.com:587/x?y" }, wantErr: "email: url: unexpected path"},
		{name: "password_without_user", edit: func(o *EmailOptions) { o.URL = "smtp://:p4ss@mail.example.com" }, wantErr: "email: url: password without a user"},
		{name: "insecure_remote_auth", edit: func(o *EmailOptions) { o.URL = "smtp+insecure://u:p4ss@relay.example.com" }, wantErr: "email: url: smtp+insecure with credentials"},
		{name: "missing_from", edit: func(o *EmailOptions) { o.From = "" }, wantErr: "email: from: missing"},
		{name: "bad_from", edit: func(o *EmailOptions) { o.From = "not an address" }, wantErr: "email: from:"},
		{name: "missing_to", edit: func(o *EmailOptions) { o.To = nil }, wantErr: "email: to: missing"},
		{name: "bad_to", edit: func(o *EmailOptions) { o.To = []string{"a@example.com", "x\r\nBcc: evil@example.com"} }, wantErr: "email: to[1]:"},
		{name: "negative_timeout", edit: func(o *EmailOptions) { o.Timeout = -time.Second }, wantErr: "email: timeout:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := ok
			tt.edit(&o)
			_, err := NewEmail(o)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("NewEmail() = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("NewEmail() = %v, want an error containing %q", err, tt.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), "p4ss") || strings.Contains(err.Error(), "w0rd")) {
				t.Errorf("NewEmail() error %q contains the password", err)
			}
		})
	}
}

func TestEmail_redact(t *testing.T) {
	e := &Email{pass: "s3cret"}
	in := &textproto.Error{Code: 535, Msg: "bad password s3cret for alerts"}
	err := e.redact(fmt.Errorf("email via host:587: %w", in))
	if got, want := err.Error(), `permanent: email via host:587: 535 "bad password REDACTED for alerts"`; got != want {
		t.Errorf("redact() = %q, want %q", got, want)
	}
	if errors.As(err, new(*textproto.Error)) {
		t.Error("redact() keeps the inner error, which still holds the password")
	}
	plain := errors.New("dial tcp: connection refused")
	if got := e.redact(plain); got != plain {
		t.Errorf("redact(%v) = %v, want it unchanged", plain, got)
	}
}

func TestEmail_headerText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "[critical] signup-burst firing", "[critical] signup-burst firing"},
		{"crlf", "a\r\nBcc: evil@example.com", "a Bcc: evil@example.com"},
		{"lone_cr_lf", "a\rb\nc", "a b c"},
		{"controls", "a\x00\x1b[31mb\x7f\u0085c", "a [31mb c"},
		{"bidi_and_separators", "a\u202eb\u2028c\u2029d", "abcd"},
		{"invalid_utf8", "a\xffb", "ab"},
		{"spaces_collapse", "a \t  b  ", "a b"},
		{"cut", strings.Repeat("x", 200), strings.Repeat("x", maxSubjectRunes-1) + "…"},
		{"cut_runes", strings.Repeat("≥", 200), strings.Repeat("≥", maxSubjectRunes-1) + "…"},
		{"exactly_max", strings.Repeat("x", maxSubjectRunes), strings.Repeat("x", maxSubjectRunes)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := headerText(tt.in, maxSubjectRunes); got != tt.want {
				t.Errorf("headerText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSubject(t *testing.T) {
	a := emailAlert()
	if got, want := subject(a), "[critical] signup-burst at 240/s from 4,812 distinct email"; got != want {
		t.Errorf("subject() = %q, want %q", got, want)
	}
	r := a
	r.Reminder, r.Time = 2, a.Since.Add(time.Hour)
	if got, want := subject(r), "[critical] Still firing after 1h: signup-burst at 240/s from 4,812 distinct email"; got != want {
		t.Errorf("subject(reminder) = %q, want %q", got, want)
	}
	a.PerKey = true
	if got, want := subject(a), "[critical] signup-burst at 240/s from 203.0.113.7"; got != want {
		t.Errorf("subject(per key) = %q, want %q", got, want)
	}
	a.Keys = []alert.KeyCount{{Key: "fe80::1%x }; flush ruleset", Count: 1}}
	if got, want := subject(a), "[critical] signup-burst at 240/s"; got != want {
		t.Errorf("subject(client_ip with a zone) = %q, want %q: no bare address, no key", got, want)
	}
	a.GroupBy, a.Title, a.Keys = "user_agent", strings.Repeat("t", 40), []alert.KeyCount{{Key: strings.Repeat("k", 200) + "\r\nBcc: x@example.com", Count: 1}}
	got := subject(a)
	if strings.ContainsAny(got, "\r\n") || len([]rune(got)) != maxSubjectRunes || !strings.HasSuffix(got, "…") {
		t.Errorf("subject(long hostile key) = %q, want one line of %d runes ending in …", got, maxSubjectRunes)
	}
}

// TestEmail_incidentThread: an incident's emails name its site and rules,
// and its later ones thread under its first (In-Reply-To, References),
// with Message-IDs that follow from the incident, so a copy resent after
// a crash is one message to a mail client.
func TestEmail_incidentThread(t *testing.T) {
	srv := startSMTPServer(t, smtpPlain)
	e := newTestEmail(t, srv, srv.URL("smtp+insecure", "", ""))
	first := incident()
	res := incident()
	res.State, res.Time = alert.Resolved, at.Add(100*time.Second)
	res.Incident.Update, res.Incident.State = 1, alert.Resolved
	for _, a := range []alert.Alert{first, res, first} {
		if err := e.Notify(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	mails := srv.Mails()
	if len(mails) != 3 {
		t.Fatalf("server got %d mails, want 3", len(mails))
	}
	p0, p1, again := parseMail(t, mails[0].Data), parseMail(t, mails[1].Data), parseMail(t, mails[2].Data)
	id0 := p0.Header.Get("Message-Id")
	if p0.Header.Get("In-Reply-To") != "" || p1.Header.Get("In-Reply-To") != id0 || p1.Header.Get("References") != id0 {
		t.Errorf("first %q; second In-Reply-To %q, References %q: want the second under the first",
			id0, p1.Header.Get("In-Reply-To"), p1.Header.Get("References"))
	}
	if again.Header.Get("Message-Id") != id0 || p1.Header.Get("Message-Id") == id0 {
		t.Errorf("Message-IDs %q, %q, %q: want the resent first to repeat its ID, the second its own",
			id0, p1.Header.Get("Message-Id"), again.Header.Get("Message-Id"))
	}
	if got, want := decodeHeader(t, p0.Header, "Subject"),
		"[critical] web-1: Sign-ups at 241/s from 2,310 addresses (normal 0.1/s) — signup-burst, signup-spread, traffic-spike"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
	for _, want := range []string{"Site:   web-1 · env=prod\n", "  traffic-spike [warning] firing since 01:20:10:"} {
		if !strings.Contains(p0.Text, want) {
			t.Errorf("text part lacks %q:\n%s", want, p0.Text)
		}
	}
}

// TestEmail_noStartTLS: a server that offers no STARTTLS to smtp:// is a
// permanent failure that says what to do instead.
func TestEmail_noStartTLS(t *testing.T) {
	srv := startSMTPServer(t, smtpPlain)
	e := newTestEmail(t, srv, srv.URL("smtp", smtpUser, smtpPass))
	err := e.Notify(context.Background(), emailAlert())
	if !delivery.IsPermanent(err) || !strings.Contains(err.Error(), "offers no STARTTLS") || !strings.Contains(err.Error(), "smtps://") {
		t.Errorf("Notify() = %v, want a permanent error that names smtps://", err)
	}
}
