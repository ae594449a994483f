package httpserve

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// TestServer: Listen binds once, Serve serves on what it bound, and once
// the context ends a request still running past the grace is cut off and
// Serve returns nil.
func TestServer(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	s := &Server{HTTP: &http.Server{Handler: mux}}
	if s.Addr() != nil {
		t.Errorf("Addr before Listen = %v, want nil", s.Addr())
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := s.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := s.Listen(ctx, "127.0.0.1:0"); err != nil || b.String() != a.String() {
		t.Errorf("second Listen = %v, %v, want %v: it binds once", b, err, a)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, "127.0.0.1:0", 200*time.Millisecond) }()

	resp, err := http.Get("http://" + a.String() + "/ok")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Errorf("GET /ok = %q, want ok", body)
	}
	slow, err := http.Get("http://" + a.String() + "/slow")
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Body.Close()
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after the context ended = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return: the request past the grace was not cut off")
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("Serve returned after %s: the request in flight got no grace", d)
	}

	// A second server on the same address cannot bind: Serve says so.
	s2 := &Server{HTTP: &http.Server{Handler: mux}}
	other := &Server{HTTP: &http.Server{Handler: mux}}
	ln, err := other.Listen(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.ln.Close()
	if err := s2.Serve(context.Background(), ln.String(), time.Second); err == nil || !strings.Contains(err.Error(), ln.String()) {
		t.Errorf("Serve on a bound address = %v, want an error naming it", err)
	}
}

func TestIsLoopback(t *testing.T) {
	for _, c := range []struct {
		addr string
		want bool
		err  bool
	}{
		{"127.0.0.1:9911", true, false},
		{"[::1]:9911", true, false},
		{"localhost:9911", true, false},
		{"LOCALHOST:9911", true, false},
		{":9911", false, false},
		{"0.0.0.0:9911", false, false},
		{"192.0.2.1:9911", false, false},
		{"example.com:9911", false, false},
		{"127.0.0.1", false, true},
	} {
		got, err := IsLoopback(c.addr)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("IsLoopback(%q) = %v, %v; want %v, error %v", c.addr, got, err, c.want, c.err)
		}
	}
}

// TestServer_shutdownError: when the server stopped as asked but closing
// its listener failed, Serve says so with a *ShutdownError, which a caller
// that is stopping anyway tells apart from a failure to serve.
func TestServer_shutdownError(t *testing.T) {
	s := &Server{HTTP: &http.Server{Handler: http.NotFoundHandler()}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Use(testutil.CloseFails{Listener: ln})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, "", time.Second) }()
	if resp, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil { // it serves
		resp.Body.Close()
	}
	cancel()
	err = <-done
	var se *ShutdownError
	if !errors.As(err, &se) || se.Addr.String() != ln.Addr().String() || !strings.Contains(err.Error(), "close failed") {
		t.Errorf("Serve = %v, want a *ShutdownError naming %s and the cause", err, ln.Addr())
	}
}

// TestServer_useAfterListen: Use on a server that has its listener
// panics, rather than leak the bound one.
func TestServer_useAfterListen(t *testing.T) {
	s := &Server{HTTP: &http.Server{}}
	if _, err := s.Listen(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.ln.Close()
	defer func() {
		if recover() == nil {
			t.Error("Use after Listen did not panic")
		}
	}()
	s.Use(testutil.CloseFails{})
}
