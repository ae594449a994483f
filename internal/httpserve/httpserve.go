// Package httpserve runs an [http.Server] the way sentinel's two
// listeners (the HTTP API and the public links listener) do: bound once,
// possibly before serving so that a caller on ":0" learns its port, served
// until a context ends, then shut down gracefully for a bounded time after
// which the remaining connections are cut.
package httpserve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Server is an http.Server with its listener. Set HTTP before the first
// call; the zero Server has none.
type Server struct {
	HTTP *http.Server

	mu sync.Mutex
	ln net.Listener // guarded by mu
}

// Listen binds addr on the first call and returns the bound address;
// later calls bind nothing and return the same address.
func (s *Server) Listen(ctx context.Context, addr string) (net.Addr, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return s.ln.Addr(), nil
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, err // err names the address
	}
	s.ln = ln
	return ln.Addr(), nil
}

// Use has s serve ln, bound elsewhere (a listener handed over, a test's
// wrapper), instead of binding one. It panics once s has a listener: call
// it before Listen and Serve.
func (s *Server) Use(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		panic("httpserve: Use after the listener was bound")
	}
	s.ln = ln
}

// Addr returns the bound address, or nil before Listen bound it. It is
// safe for concurrent use.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Serve binds addr (unless Listen did) and serves until ctx ends, then
// shuts down: requests in flight get up to grace, after which their
// connections are closed. It returns nil once ctx ended and the server
// stopped, and the error otherwise. Call it once.
func (s *Server) Serve(ctx context.Context, addr string, grace time.Duration) error {
	if _, err := s.Listen(ctx, addr); err != nil {
		return err
	}
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()

	errc := make(chan error, 1)
	go func() { errc <- s.HTTP.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	err := s.HTTP.Shutdown(sctx)
	if err != nil {
		// Requests still running past the deadline: cut them off.
		s.HTTP.Close()
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), serr)
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return &ShutdownError{Addr: ln.Addr(), Err: err}
	}
	return nil
}

// ShutdownError is Serve's error when the server stopped serving as asked
// but its shutdown failed (closing the listener): a caller for which that
// is no failure of its own, once it is stopping, tells it apart with
// [errors.As].
type ShutdownError struct {
	Addr net.Addr
	Err  error
}

func (e *ShutdownError) Error() string { return fmt.Sprintf("shut down %s: %v", e.Addr, e.Err) }

func (e *ShutdownError) Unwrap() error { return e.Err }

// IgnoreShutdown is Serve's error as a stopping daemon sees it: a
// *ShutdownError is logged on log as what's and gives nil (the server
// stopped as asked; a SIGTERM must not end in an error for it), any other
// error is returned as is.
func IgnoreShutdown(err error, log *slog.Logger, what string) error {
	if se := (*ShutdownError)(nil); errors.As(err, &se) {
		log.Warn(what+": shutdown", "err", se)
		return nil
	}
	return err
}

// IsLoopback reports whether addr ("host:port") names a loopback address
// or localhost, which only this machine reaches. An empty host (":9911")
// means every interface, and another host name may resolve anywhere:
// neither is.
func IsLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, fmt.Errorf("listen address %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return true, nil
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback(), nil
}
