package testutil

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// FlagServer stands in for a feature-flag service on loopback: it keeps
// one flag, set by JSON bodies like {"enabled": false}; checks each
// request's signature when it has a secret (401 when it does not
// verify); answers the statuses in fail first, one per request (0: as
// usual); and
// answers 400 to a body that is not such JSON. Every request is recorded.
type FlagServer struct {
	URL    string
	secret string

	mu   sync.Mutex
	fail []int
	reqs []FlagRequest
	on   bool
}

// FlagRequest is one request a [FlagServer] received.
type FlagRequest struct {
	Method, Path, Key, Body string
	Signed                  bool
	Status                  int
	At                      time.Time // wall time it arrived
}

// NewFlagServer starts a FlagServer (flag on) on 127.0.0.1, closed at the
// end of the test.
func NewFlagServer(tb testing.TB, secret string, fail ...int) *FlagServer {
	fs := &FlagServer{secret: secret, fail: fail, on: true}
	srv := httptest.NewServer(fs)
	tb.Cleanup(srv.Close)
	fs.URL = srv.URL
	return fs
}

// ServeHTTP answers one request.
func (fs *FlagServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fr := FlagRequest{Method: r.Method, Path: r.URL.Path, Key: r.Header.Get(delivery.IdempotencyHeader), Body: string(body), At: time.Now(),
		Signed: delivery.VerifySignature(fs.secret, r.Header.Get(delivery.TimestampHeader), body, r.Header.Get(delivery.SignatureHeader))}
	var v struct{ Enabled *bool }
	next := 0
	if len(fs.fail) > 0 {
		next, fs.fail = fs.fail[0], fs.fail[1:]
	}
	switch {
	case fs.secret != "" && !fr.Signed:
		fr.Status = http.StatusUnauthorized
	case next != 0:
		fr.Status = next
	case json.Unmarshal(body, &v) != nil || v.Enabled == nil:
		fr.Status = http.StatusBadRequest
	default:
		fs.on, fr.Status = *v.Enabled, http.StatusOK
	}
	fs.reqs = append(fs.reqs, fr)
	w.WriteHeader(fr.Status)
	io.WriteString(w, `{"flag":"signups"}`)
}

// Requests returns the requests received so far.
func (fs *FlagServer) Requests() []FlagRequest {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]FlagRequest(nil), fs.reqs...)
}

// On reports whether the flag is on.
func (fs *FlagServer) On() bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.on
}
