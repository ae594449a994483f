package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/internal/httpserve"
)

// DefaultAddr is where the API listens unless told otherwise: loopback
// only, so it needs no token.
const DefaultAddr = "127.0.0.1:9911"

// Timeouts of the HTTP server. Every response is small, so they are short.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
	// shutdownTimeout bounds the graceful shutdown when Run's context ends.
	shutdownTimeout = 5 * time.Second
)

// ErrNoToken is returned by [New] for a non-loopback address without a token.
var ErrNoToken = errors.New("a token is required to listen on a non-loopback address")

// Options configure a [Server].
type Options struct {
	// Addr is the host:port to listen on; DefaultAddr when empty. Port 0
	// picks a free port ([Server.Listen] returns it).
	Addr string
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// every request but GET /healthz. It must be set when Addr is not a
	// loopback address. It never appears in logs or errors.
	Token string
	// Status is called for each GET /status. It must be safe for
	// concurrent use. Required.
	Status func() Status
	// Reload validates and swaps the config on POST /reload; its error
	// text (every config error, one per line) is sent back. Calls are
	// serialised. It should count itself with [Metrics.ConfigReload], as
	// the SIGHUP path does. Nil disables the endpoint (404).
	Reload func() error
	// Silence holds back a rule's notifications until a time (a time in
	// the past lifts it) on POST /silences; its error (an unknown rule) is
	// sent back. Nil disables the endpoint (404).
	Silence func(rule string, until time.Time) error
	// Silences lists the silences in force on GET /silences. Nil
	// disables the endpoint (404).
	Silences func() []alerts.SilenceStatus
	// PauseActions stops (true) or resumes (false) new actions on POST
	// /actions/pause and /actions/resume. Nil disables the endpoints.
	PauseActions func(pause bool) error
	// Metrics are served on GET /metrics; a fresh [NewMetrics] when nil.
	Metrics *Metrics
	// Logger receives reload outcomes and the HTTP server's own errors;
	// nothing is logged when nil.
	Logger *slog.Logger
}

// Server is the daemon's local HTTP API:
//
//	GET  /healthz  200 "ok", never needs the token
//	GET  /metrics  Prometheus metrics
//	GET  /status   JSON [Status]
//	POST /reload   200 {"ok":true}, or 422 {"error":"…"} when the new config is rejected
//	GET  /silences the silences in force: [{"rule":R,"until":…,"source":"config"|"api"}]
//	POST /silences ?rule=R&for=2h (or &until=RFC 3339): 200 {"rule":R,"until":…},
//	               400 or 422 {"error":"…"}; for=0 lifts the silence
//	POST /actions/pause, /actions/resume: 200 {"paused":true|false} — the
//	               kill switch for new actions (reverts still run)
//
// Other methods get 405 and other paths 404. With a token, a request
// without it gets 401 before any routing. Without one (loopback only),
// requests whose Host is not a loopback address or "localhost" get 403,
// so a web page cannot read the API through DNS rebinding; cross-origin
// browser POSTs get 403 either way.
type Server struct {
	opts    Options
	log     *slog.Logger
	srv     httpserve.Server
	reload  sync.Mutex // serialises calls to opts.Reload
	tokenID [sha256.Size]byte
}

// New returns a Server. It refuses an address it cannot parse, a
// non-loopback address without a token ([ErrNoToken]), and a nil Status.
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	loopback, err := httpserve.IsLoopback(opts.Addr)
	if err != nil {
		return nil, err
	}
	if !loopback && opts.Token == "" {
		return nil, fmt.Errorf("listen %s: %w", opts.Addr, ErrNoToken)
	}
	if opts.Status == nil {
		return nil, errors.New("server: no Status func")
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
	}
	s := &Server{opts: opts, log: opts.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.tokenID = sha256.Sum256([]byte(opts.Token))
	s.srv.HTTP = &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Listen binds the server's address and returns the bound one, so a
// caller (a test on "127.0.0.1:0") knows where to connect before
// [Server.Run] serves. Calling it is optional: Run listens if it has not.
// Only the first call binds; later ones return the same address.
func (s *Server) Listen(ctx context.Context) (net.Addr, error) {
	a, err := s.srv.Listen(ctx, s.opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("http api: %w", err) // err names the address
	}
	return a, nil
}

// Addr returns the bound address ("127.0.0.1:41234"), or "" before
// [Server.Listen] (or Run) has bound it. It is safe for concurrent use.
func (s *Server) Addr() string {
	if a := s.srv.Addr(); a != nil {
		return a.String()
	}
	return ""
}

// Run listens (unless [Server.Listen] already did) and serves until ctx
// ends, then shuts down gracefully: in-flight requests get up to 5 s,
// after which their connections are closed. It returns nil when ctx ends
// and the error otherwise. Call it once.
func (s *Server) Run(ctx context.Context) error {
	if _, err := s.Listen(ctx); err != nil {
		return err
	}
	return httpserve.IgnoreShutdown(s.srv.Serve(ctx, s.opts.Addr, shutdownTimeout), s.log, "API listener")
}

// handler routes the endpoints behind the token (or Host) check and the
// cross-origin check.
func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.opts.Metrics.Registry(), promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(s.log.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
		Timeout:       writeTimeout / 2,
	}))
	mux.HandleFunc("GET /status", s.serveStatus)
	if s.opts.Silences != nil {
		mux.HandleFunc("GET /silences", s.serveSilences)
	}
	if s.opts.Reload != nil {
		mux.HandleFunc("POST /reload", s.serveReload)
	}
	if s.opts.Silence != nil {
		mux.HandleFunc("POST /silences", s.serveSilence)
	}
	if s.opts.PauseActions != nil {
		mux.HandleFunc("POST /actions/pause", s.servePause(true))
		mux.HandleFunc("POST /actions/resume", s.servePause(false))
	}
	return http.NewCrossOriginProtection().Handler(s.guard(mux))
}

// guard enforces the token (or, without one, a loopback Host) on every
// path but /healthz.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			if s.opts.Token != "" {
				if !s.authorized(r) {
					w.Header().Set("WWW-Authenticate", `Bearer realm="sentinel"`)
					http.Error(w, "unauthorized", http.StatusUnauthorized)
					return
				}
			} else if !loopbackHost(r.Host) {
				http.Error(w, "forbidden host", http.StatusForbidden)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// authorized compares the bearer token in constant time. Hashing both
// sides first hides the token's length too.
func (s *Server) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], s.tokenID[:]) == 1
}

// loopbackHost reports whether a request's Host names a loopback address
// or localhost: what a local client sends, and what a rebound DNS name
// does not.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func (s *Server) serveStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.opts.Status().forJSON())
}

func (s *Server) serveSilences(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, append([]alerts.SilenceStatus{}, s.opts.Silences()...))
}

func (s *Server) serveReload(w http.ResponseWriter, _ *http.Request) {
	s.reload.Lock()
	err := s.opts.Reload()
	s.reload.Unlock()
	if err != nil {
		s.log.Warn("config reload rejected", "via", "http", "err", err)
		writeJSON(w, http.StatusUnprocessableEntity, reloadResponse{Error: err.Error()})
		return
	}
	s.log.Info("config reloaded", "via", "http")
	writeJSON(w, http.StatusOK, reloadResponse{OK: true})
}

// serveSilence sets or lifts a silence: POST /silences?rule=R&for=2h
// (or &until=RFC 3339 time; for=0 lifts it).
func (s *Server) serveSilence(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rule := q.Get("rule")
	var until time.Time
	switch {
	case rule == "":
		writeJSON(w, http.StatusBadRequest, silenceResponse{Error: "rule: missing"})
		return
	case q.Has("for") == q.Has("until"):
		writeJSON(w, http.StatusBadRequest, silenceResponse{Error: "give one of for (a duration such as 2h; 0 lifts the silence) and until (an RFC 3339 time)"})
		return
	case q.Has("for"):
		d, err := time.ParseDuration(q.Get("for"))
		if err != nil || d < 0 {
			writeJSON(w, http.StatusBadRequest, silenceResponse{Error: fmt.Sprintf("for: %q is not a duration such as 2h", q.Get("for"))})
			return
		}
		until = time.Now().Add(d)
	default:
		t, err := time.Parse(time.RFC3339, q.Get("until"))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, silenceResponse{Error: fmt.Sprintf("until: %q is not an RFC 3339 time", q.Get("until"))})
			return
		}
		until = t
	}
	if err := s.opts.Silence(rule, until); err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, silenceResponse{Error: err.Error()})
		return
	}
	resp := silenceResponse{Rule: rule}
	if until.After(time.Now()) {
		resp.Until = until.UTC().Format(time.RFC3339)
		s.log.Info("silence set", "via", "http", "rule", rule, "until", resp.Until)
	} else {
		s.log.Info("silence lifted", "via", "http", "rule", rule)
	}
	writeJSON(w, http.StatusOK, resp)
}

// servePause flips the actions' kill switch.
func (s *Server) servePause(pause bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.opts.PauseActions(pause); err != nil {
			writeJSON(w, http.StatusUnprocessableEntity, pauseResponse{Error: err.Error()})
			return
		}
		s.log.Warn("actions switched", "via", "http", "paused", pause)
		writeJSON(w, http.StatusOK, pauseResponse{Paused: pause})
	}
}

// pauseResponse is the JSON of POST /actions/pause and /actions/resume.
type pauseResponse struct {
	Paused bool   `json:"paused"`
	Error  string `json:"error,omitempty"`
}

// silenceResponse is the JSON of POST /silences: the rule and the end of
// its silence (empty when lifted), or an error.
type silenceResponse struct {
	Rule  string `json:"rule,omitempty"`
	Until string `json:"until,omitempty"`
	Error string `json:"error,omitempty"`
}

// reloadResponse is the JSON of POST /reload.
type reloadResponse struct {
	OK    bool   `json:"ok,omitempty"`
	Error string `json:"error,omitempty"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Status.forJSON leaves nothing json can refuse; this is a bug.
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
