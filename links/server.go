package links

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/internal/httpserve"
)

// DefaultTTL is how long a link lives unless settings.public.link_ttl
// says otherwise.
const DefaultTTL = 24 * time.Hour

// Timeouts of the public listener. Pages are small; a POST waits up to
// actTimeout for an action's request before answering that it is under
// way.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
	maxFormBytes      = 4 << 10
	shutdownTimeout   = 5 * time.Second
	actTimeout        = 15 * time.Second
	announceTimeout   = time.Minute
)

// Backend is what links act on: the daemon. Its methods are safe for
// concurrent use.
type Backend interface {
	// Plan says what acting on t would do now, for the confirmation page,
	// or why it cannot be done (a Refusal).
	Plan(t Token) Plan
	// Act does what t says, for the person by names ("the link sent to
	// slack"), and says how it went.
	Act(ctx context.Context, t Token, by string) Result
	// Announce posts a message to the notifier route, where the link was
	// sent; alerts.ErrCannotAnnounce when it cannot post.
	Announce(ctx context.Context, route string, an alerts.Announcement) error
}

// Plan is what a link would do now.
type Plan struct {
	// Title asks the question: "Run signups-off now?". Button answers it:
	// "Run signups-off now".
	Title, Button string
	// Effects say what will happen, one sentence each.
	Effects []string
	// Headline is the incident as a phone would show it now; Facts the
	// details (rules and values, since when, the remedy's state).
	Headline string
	Facts    []Fact
	// Refusal, when set, says why it cannot be done now: the page shows
	// it instead of the form, and a POST is refused.
	Refusal *Refusal
}

// Refusal is why a link cannot act now.
type Refusal struct {
	// Status is the HTTP status: 410 for a removed rule or action, 409 for
	// a state that forbids it (a remedy already on, the pause).
	Status int
	// Reason is a short word for the audit ("gone", "on", "paused").
	Reason string
	// Message says it to a person.
	Message string
}

// Result is how an act went.
type Result struct {
	OK bool
	// Done says, for the channel and the page, what was done, in the past
	// tense: "signups-off run", "signup-burst silenced until 04:12 UTC".
	Done string
	// Message says it to a person, with any detail ("the flag service
	// answered 200"); Detail is for the audit ("PATCH https://… 200").
	Message, Detail string
	// Reason is a short word for the audit of a failure or refusal.
	Reason string
	// Refused says that nothing was tried (the state changed since the
	// page was shown): audited as refused, not failed.
	Refused bool
}

// Offer is a link to make: what it does, for which incident.
type Offer struct {
	Verb    Verb
	Targets []string
	Episode string
	// Label is the button's text: "Run signups-off now".
	Label string
}

// Options configure a [Server].
type Options struct {
	// Listen is the address of the public listener (host:port), meant to
	// sit behind the user's TLS proxy.
	Listen string
	// URL is the address people reach it at, through the proxy
	// ("https://sentinel.example.com", maybe with a path). Empty: the
	// listener's own address over http, for a loopback listener only.
	URL string
	// Site names this server; it is signed into every token, so that a
	// link of another site is refused even with the same key.
	Site string
	// TTL is how long a link lives; 0 means DefaultTTL.
	TTL time.Duration
	// StateDir holds the key (KeyFile), the used links (NoncesFile) and
	// the audit log (AuditFile).
	StateDir string
	// TrustedProxies are the peers whose X-Forwarded-For names the
	// client (for the rate limits and the audit); nil means loopback.
	TrustedProxies []netip.Prefix
	Backend        Backend
	// Outcome, when set, counts each request by verb ("unknown" when the
	// link could not be read) and outcome (Outcomes).
	Outcome func(verb, outcome string)
	Logger  *slog.Logger
	// Now is the wall clock; nil means time.Now.
	Now func() time.Time
}

// Server serves the signed links' confirmation pages on a public listener
// and issues the links. GET shows what the link would do and a form; only
// the form's POST acts, once: a link previewer or a scanner that fetches
// the link (or follows its buttons with GET) never acts. Every request is
// rate-limited per client address and audited. Create it with [New],
// call [Server.Listen] (optional) and [Server.Run]; [Server.Issue] is safe
// for concurrent use at any time.
type Server struct {
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	keys    *Keyring
	nonces  *Nonces
	audit   *Audit
	limit   *limiter
	srv     httpserve.Server
	origin  string // scheme://host of the URL, for the Origin check
	prefix  string // the URL's path, without its trailing slash
	pending sync.WaitGroup

	mu   sync.Mutex // guards base (and origin, when set at Listen)
	base string     // the URL links start with; set when the listener is bound if URL was empty
}

// New checks opts, makes the key if there is none yet, and opens the used
// links' list and the audit log.
func New(opts Options) (*Server, error) {
	if opts.Backend == nil {
		return nil, errors.New("links: no backend")
	}
	if opts.StateDir == "" {
		return nil, errors.New("links: no state directory")
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Outcome == nil {
		opts.Outcome = func(string, string) {}
	}
	if opts.TrustedProxies == nil {
		opts.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
	s := &Server{opts: opts, log: opts.Logger, now: opts.Now, limit: newLimiter(),
		keys: NewKeyring(filepath.Join(opts.StateDir, KeyFile))}
	if opts.URL != "" {
		u, err := url.Parse(opts.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("links: url %q: want https://host[/path]", opts.URL)
		}
		s.origin, s.prefix = webOrigin(u), strings.TrimSuffix(u.EscapedPath(), "/")
		s.base = s.origin + s.prefix
	} else if loop, err := httpserve.IsLoopback(opts.Listen); err != nil || !loop {
		return nil, fmt.Errorf("links: listen %q: without a url, only a loopback address serves links", opts.Listen)
	}
	if _, err := s.keys.Key(); err != nil {
		return nil, err
	}
	n, reset, err := OpenNonces(filepath.Join(opts.StateDir, NoncesFile), DefaultMaxUsed, s.now())
	if err != nil {
		return nil, err
	}
	if reset {
		s.log.Warn("used links list unreadable: set aside, every link sent before now is refused", "path", filepath.Join(opts.StateDir, NoncesFile+".bad"))
	}
	s.nonces = n
	if s.audit, err = OpenAudit(filepath.Join(opts.StateDir, AuditFile)); err != nil {
		return nil, err
	}
	s.srv.HTTP = &http.Server{Handler: s.handler(), ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: idleTimeout, MaxHeaderBytes: maxHeaderBytes,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	return s, nil
}

// Listen binds the listener and returns its address. Calling it is
// optional: Run listens if it has not.
func (s *Server) Listen(ctx context.Context) (net.Addr, error) {
	a, err := s.srv.Listen(ctx, s.opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("public listener: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.base == "" {
		s.origin = webOrigin(&url.URL{Scheme: "http", Host: a.String()})
		s.base = "http://" + a.String()
	}
	return a, nil
}

// URL returns the address links start with ("" before a listener without
// a configured URL is bound).
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.base
}

// Run serves until ctx ends, then shuts down (in-flight requests get 5 s)
// and waits for the announcements under way; it closes the audit log.
func (s *Server) Run(ctx context.Context) error {
	defer s.audit.Close()
	if _, err := s.Listen(ctx); err != nil {
		return err
	}
	err := s.srv.Serve(ctx, s.opts.Listen, shutdownTimeout)
	s.pending.Wait()
	return httpserve.IgnoreShutdown(err, s.log, "links listener")
}

// Issue signs a link for offer o, sent to the notifier route, valid from
// now for the TTL. Its error (no key) means no link: the notification goes
// out without it.
func (s *Server) Issue(route string, o Offer) (alert.Link, error) {
	key, err := s.keys.Key()
	if err != nil {
		return alert.Link{}, err
	}
	base := s.URL()
	if base == "" {
		return alert.Link{}, errors.New("links: the public listener is not bound yet")
	}
	now := s.now().UTC().Truncate(time.Second)
	t := Token{Verb: o.Verb, Targets: o.Targets, Episode: o.Episode, Route: route, Issued: now, Expires: now.Add(s.opts.TTL)}
	rand.Read(t.Nonce[:])
	text, err := t.Sign(key, s.opts.Site)
	if err != nil {
		return alert.Link{}, err
	}
	return alert.Link{Verb: o.Verb.String(), Target: t.Target(), Label: o.Label, URL: base + "/l/" + text, Expires: t.Expires}, nil
}

// csrf is the form token of a link's page: a MAC of the link's text, so
// that only a POST from a page served for this very link acts.
func csrf(key []byte, token string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("sentinel-link-form\x00"))
	h.Write([]byte(token))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// handler routes the public listener's requests: the links (under the
// URL's path, or without it when the proxy strips it), a health check,
// and a no-op for Slack's interactivity callbacks.
func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	for _, p := range uniq("", s.prefix) {
		mux.HandleFunc("GET "+p+"/l/{token}", s.serveLink)
		mux.HandleFunc("POST "+p+"/l/{token}", s.serveLink)
		mux.HandleFunc("GET "+p+"/healthz", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte("ok\n"))
		})
		// A Slack app's interactivity Request URL may point here: Slack
		// then sees its button clicks acknowledged. Nothing is done.
		mux.HandleFunc("POST "+p+"/slack/ack", func(w http.ResponseWriter, r *http.Request) {})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writePage(w, http.StatusNotFound, pageView{Site: s.opts.Site, Title: "Nothing here", Kind: "refused",
			Message: "This address serves the links sentinel puts in its alerts, and nothing else."})
	})
	return mux
}

func uniq(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}

// request is one request to a link, as it is audited.
type request struct {
	w     http.ResponseWriter
	r     *http.Request
	entry Entry
	tok   Token
	text  string
}

// finish audits the request with its outcome, counts it, and writes page.
func (s *Server) finish(q *request, outcome, reason string, status int, v pageView) {
	q.entry.Outcome, q.entry.Reason = outcome, reason
	if err := s.audit.Record(q.entry); err != nil {
		s.log.Error("links audit entry not written", "err", err)
	}
	verb := q.entry.Verb
	if verb == "" {
		verb = "unknown"
	}
	s.opts.Outcome(verb, outcome)
	v.Site = s.opts.Site
	writePage(q.w, status, v)
}

// serveLink serves GET (the confirmation page) and POST (the act) of a
// link.
func (s *Server) serveLink(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	q := &request{w: w, r: r, text: r.PathValue("token")}
	client := s.clientAddr(r)
	q.entry = Entry{At: now.UTC(), Method: r.Method, ClientIP: client.String(), UserAgent: alert.Sanitize(r.UserAgent(), 200)}
	if ok, first := s.limit.allow(client, now); !ok {
		// One audit entry per burst of refusals: a flood must not rotate
		// the evidence away.
		s.opts.Outcome("unknown", OutcomeRateLimited)
		if first {
			q.entry.Outcome, q.entry.Reason = OutcomeRateLimited, "too many requests from this address: later ones of this burst are counted, not audited"
			s.audit.Record(q.entry)
		}
		w.Header().Set("Retry-After", "60")
		writePage(w, http.StatusTooManyRequests, pageView{Site: s.opts.Site, Title: "Too many requests", Kind: "refused",
			Message: "Too many requests from your address. Wait a minute and open the link again."})
		return
	}
	key, err := s.keys.Key()
	if err != nil {
		s.log.Error("links key unusable", "err", err)
		s.finish(q, OutcomeInvalid, "no key: "+err.Error(), http.StatusServiceUnavailable, pageView{Title: "Links are out of order", Kind: "refused",
			Message: "sentinel cannot read its links key; its log says why."})
		return
	}
	t, sum, err := ParseToken(q.text)
	if err == nil {
		q.tok = t
		q.entry.LinkID, q.entry.Verb, q.entry.Target, q.entry.Episode, q.entry.Route = t.ID(), t.Verb.String(), t.Target(), t.Episode, t.Route
		q.entry.Issued, q.entry.Expires = t.Issued, t.Expires
		err = t.verify(sum, key, s.opts.Site)
	}
	if err != nil {
		reason := "malformed"
		switch {
		case errors.Is(err, ErrTampered):
			reason = "tampered"
		case errors.Is(err, ErrSignature):
			reason = "another key"
		}
		s.finish(q, OutcomeInvalid, reason, http.StatusNotFound, pageView{Title: "This link is not valid", Kind: "refused",
			Message: "It was changed, or it was signed with a key this sentinel no longer has (rotated since), or it belongs to another site.",
			Hint:    "Use a link from a newer alert."})
		return
	}
	if !now.Before(t.Expires) || t.Issued.Before(s.nonces.NotBefore()) {
		reason := "expired at " + t.Expires.Format(time.RFC3339)
		msg := "It expired at " + t.Expires.Format(pageTime) + "."
		if t.Issued.Before(s.nonces.NotBefore()) {
			reason, msg = "issued before the used-links list was lost", "It was sent before sentinel lost track of the links used, so it cannot tell whether it was."
		}
		s.finish(q, OutcomeExpired, reason, http.StatusGone, pageView{Title: "This link has expired", Kind: "refused", Message: msg,
			Hint: "Use a link from a newer alert."})
		return
	}
	if isPreview(r) {
		// A previewer sees no detail of the alert and no form; a POST
		// from one is refused.
		status := http.StatusOK
		if r.Method == http.MethodPost {
			status = http.StatusForbidden
		}
		s.finish(q, OutcomePreview, "link preview, scanner or prefetch", status, pageView{Title: "A sentinel link", Kind: "refused",
			Message: "Open this link in a browser to see what it does; nothing is done until you confirm there."})
		return
	}
	if s.nonces.Used(t.Nonce) {
		v := pageView{Title: "This link was used already", Kind: "refused", Message: "Each link acts once."}
		if e, ok := s.audit.UsedAt(t.ID()); ok {
			v.Message = fmt.Sprintf("It was used at %s (%s). Each link acts once.", e.At.Format(pageTime), e.Outcome)
		}
		s.finish(q, OutcomeUsed, "used already", http.StatusGone, v)
		return
	}
	if r.Method == http.MethodPost {
		s.act(q, key)
		return
	}
	plan := s.opts.Backend.Plan(t)
	v := s.planView(t, plan)
	if plan.Refusal != nil {
		s.finish(q, OutcomeRefused, plan.Refusal.Reason, plan.Refusal.Status, v)
		return
	}
	v.CSRF, v.Verb, v.Button = csrf(key, q.text), t.Verb.String(), plan.Button
	v.Hint = "This link works once, until " + t.Expires.Format(pageTime) + ". Nothing is done until you tap the button."
	s.finish(q, OutcomeShown, "", http.StatusOK, v)
}

// pageTime is how pages show a time.
const pageTime = "2006-01-02 15:04 MST"

// planView is the page of a plan: the question, the incident, what will
// happen, who else acted.
func (s *Server) planView(t Token, p Plan) pageView {
	v := pageView{Title: p.Title, Headline: p.Headline, Effects: p.Effects, Facts: p.Facts}
	v.Facts = append(v.Facts, Fact{"Link", fmt.Sprintf("sent to %s at %s", orNone(t.Route), t.Issued.Format(pageTime))})
	for _, e := range s.audit.Acted(t.Episode) {
		if t.Episode == "" {
			break
		}
		v.Acted = append(v.Acted, fmt.Sprintf("%s: %s %s — %s, by the link sent to %s", e.At.Format(pageTime), e.Verb,
			e.Target, e.Outcome, orNone(e.Route)))
	}
	if r := p.Refusal; r != nil {
		v.Kind, v.Message = "refused", r.Message
	}
	return v
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// act serves a link's POST: the form token and origin, the plan, the
// single use, then the act, its audit and its announcement.
func (s *Server) act(q *request, key []byte) {
	r, t := q.r, q.tok
	bad := func(why string) {
		s.finish(q, OutcomeCSRF, why, http.StatusForbidden, pageView{Title: "Not confirmed", Kind: "refused",
			Message: "Nothing was done: confirm from the link's own page.", Hint: "Open the link again and tap its button."})
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" && !sameOrigin(o, s.originNow()) {
		bad("origin " + alert.Sanitize(o, 100))
		return
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		bad("Sec-Fetch-Site " + alert.Sanitize(site, 40))
		return
	}
	r.Body = http.MaxBytesReader(q.w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		bad("form: " + alert.Sanitize(err.Error(), 100))
		return
	}
	if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(csrf(key, q.text))) {
		bad("no form token, or another link's")
		return
	}
	plan := s.opts.Backend.Plan(t)
	if plan.Refusal != nil {
		s.finish(q, OutcomeRefused, plan.Refusal.Reason, plan.Refusal.Status, s.planView(t, plan))
		return
	}
	switch err := s.nonces.Use(t.Nonce, t.Expires, s.now()); {
	case errors.Is(err, ErrUsed):
		s.finish(q, OutcomeUsed, "used already", http.StatusGone, pageView{Title: "This link was used already", Kind: "refused", Message: "Each link acts once."})
		return
	case err != nil:
		s.log.Error("link not used: its use could not be recorded", "err", err)
		s.finish(q, OutcomeRefused, err.Error(), http.StatusServiceUnavailable, pageView{Title: "Not done", Kind: "refused",
			Message: "Nothing was done: sentinel could not record that this link was used. " + err.Error()})
		return
	}
	by := "the link sent to " + orNone(t.Route)
	ctx, cancel := context.WithTimeout(r.Context(), actTimeout)
	res := s.opts.Backend.Act(ctx, t, by)
	cancel()
	q.entry.Detail = res.Detail
	v := pageView{Title: plan.Button, Headline: plan.Headline, Message: res.Message}
	switch {
	case res.OK:
		v.Kind, v.Title = "ok", "Done: "+res.Done
		s.finish(q, OutcomeOK, "", http.StatusOK, v)
		s.announce(t, res.Done+" from a link at "+s.now().UTC().Format("15:04 MST")+" by "+by)
	case res.Refused:
		v.Kind, v.Title = "refused", "Not done"
		s.finish(q, OutcomeRefused, res.Reason, http.StatusConflict, v)
	default:
		v.Kind, v.Title = "failed", "Failed: "+plan.Button
		s.finish(q, OutcomeFailed, res.Reason, http.StatusBadGateway, v)
		s.announce(t, plan.Button+" from a link failed at "+s.now().UTC().Format("15:04 MST")+" ("+by+"): "+res.Reason)
	}
}

// webOrigin is the origin of u as a browser sends it in an Origin
// header: scheme and host in lower case, and the port only when it is not
// the scheme's default ("https://sentinel.example.com", never …:443).
func webOrigin(u *url.URL) string {
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		return scheme + "://" + net.JoinHostPort(host, port)
	}
	if strings.Contains(host, ":") { // an IPv6 address
		host = "[" + host + "]"
	}
	return scheme + "://" + host
}

// sameOrigin reports whether the Origin header o names origin, a
// [webOrigin].
func sameOrigin(o, origin string) bool {
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return false
	}
	return webOrigin(u) == origin
}

// originNow is the origin the pages are served from.
func (s *Server) originNow() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.origin
}

// announce posts text where the link was sent, in the background; Run
// waits for it.
func (s *Server) announce(t Token, text string) {
	if t.Route == "" {
		return
	}
	an := alerts.Announcement{Site: s.opts.Site, Incident: t.Episode, Text: text, Time: s.now()}
	s.pending.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), announceTimeout)
		defer cancel()
		err := s.opts.Backend.Announce(ctx, t.Route, an)
		switch {
		case errors.Is(err, alerts.ErrCannotAnnounce):
		case err != nil:
			s.log.Warn("link use not announced", "notifier", t.Route, "err", err)
		}
	})
}

// clientAddr is the request's client: its peer, or, when the peer is a
// trusted proxy, the last address of X-Forwarded-For that is not one.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.IPv4Unspecified()
	}
	addr := ap.Addr().Unmap()
	if !s.trusted(addr) {
		return addr
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !s.trusted(a) {
			return a
		}
		addr = a
	}
	return addr
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
