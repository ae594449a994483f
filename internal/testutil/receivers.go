package testutil

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Receiver stands in for Slack, a webhook or an ntfy server on loopback:
// it records every request and answers 200 "ok".
type Receiver struct {
	URL string

	mu   sync.Mutex // guards reqs
	reqs []Request
}

// Request is one request a [Receiver] got.
type Request struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// NewReceiver starts a Receiver on 127.0.0.1, closed at the end of the
// test.
func NewReceiver(tb testing.TB) *Receiver {
	tb.Helper()
	rc := &Receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		rc.mu.Unlock()
		io.WriteString(w, "ok")
	}))
	tb.Cleanup(srv.Close)
	rc.URL = srv.URL
	return rc
}

// Requests returns what the receiver got so far.
func (rc *Receiver) Requests() []Request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Request(nil), rc.reqs...)
}

// SMTPServer is a real SMTP server (emersion/go-smtp) on 127.0.0.1,
// without TLS or authentication: a local relay, reached with
// smtp+insecure://. It records every message it accepts.
type SMTPServer struct {
	Addr string

	mu    sync.Mutex // guards mails
	mails []Mail
}

// Mail is one message an [SMTPServer] accepted.
type Mail struct {
	From string
	To   []string
	Msg  *mail.Message // its headers; Body is the raw body
	Data []byte
}

// NewSMTPServer starts an SMTPServer, closed at the end of the test.
func NewSMTPServer(tb testing.TB) *SMTPServer {
	tb.Helper()
	s := &SMTPServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: s}, nil }))
	srv.Domain = "127.0.0.1"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = nopLogger{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.Addr = l.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(l)
	}()
	tb.Cleanup(func() {
		srv.Close()
		l.Close()
		<-done
	})
	return s
}

// URL is the server's smtp+insecure:// URL.
func (s *SMTPServer) URL() string { return "smtp+insecure://" + s.Addr }

// Mails returns the messages accepted so far.
func (s *SMTPServer) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}

type smtpSession struct {
	srv  *SMTPServer
	mail Mail
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.mail.From = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.mail.To = append(s.mail.To, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mail.Data = data
	s.mail.Msg, err = mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	s.srv.mails = append(s.srv.mails, s.mail)
	s.srv.mu.Unlock()
	s.mail = Mail{}
	return nil
}

func (s *smtpSession) Reset()        { s.mail = Mail{} }
func (s *smtpSession) Logout() error { return nil }
