package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
)

// clientTimeout bounds each client call, on top of its context.
const clientTimeout = 10 * time.Second

// maxResponseBytes caps what the client reads of a response.
const maxResponseBytes = 4 << 20

// ErrUnauthorized is returned by the client functions when the server
// wants a token and got none or a wrong one.
var ErrUnauthorized = errors.New("unauthorized: wrong or missing token")

// ReloadError is the server's refusal of a new config: Text holds every
// config error, one per line (file:line: field: message).
type ReloadError struct {
	Text string
}

func (e *ReloadError) Error() string { return e.Text }

// FetchStatus gets the daemon's [Status] from GET /status at addr
// ("127.0.0.1:9911", or a URL "https://host:port"). token is sent as a
// bearer token when not empty. The call is bounded by ctx and a 10 s
// timeout.
func FetchStatus(ctx context.Context, addr, token string) (Status, error) {
	body, err := call(ctx, http.MethodGet, addr, "/status", token)
	if err != nil {
		return Status{}, err
	}
	var st Status
	if err := json.Unmarshal(body, &st); err != nil {
		return Status{}, fmt.Errorf("decode status: %w", err)
	}
	return st, nil
}

// RequestReload asks the daemon at addr to reload its config (POST
// /reload). A rejected config returns a [*ReloadError] with the server's
// error text; a daemon with reloads disabled returns an error that says so.
func RequestReload(ctx context.Context, addr, token string) error {
	body, err := call(ctx, http.MethodPost, addr, "/reload", token)
	var se *statusError
	if errors.As(err, &se) && se.code == http.StatusUnprocessableEntity {
		var r reloadResponse
		if json.Unmarshal(se.body, &r) == nil && r.Error != "" {
			return &ReloadError{Text: r.Error}
		}
	}
	if errors.As(err, &se) && se.code == http.StatusNotFound {
		return fmt.Errorf("reload: not enabled on this daemon: %w", err)
	}
	if err != nil {
		return err
	}
	var r reloadResponse
	if err := json.Unmarshal(body, &r); err != nil || !r.OK {
		return fmt.Errorf("reload: unexpected response %q", alert.Sanitize(string(body), 200))
	}
	return nil
}

// FetchSilences gets the silences in force from GET /silences at addr.
func FetchSilences(ctx context.Context, addr, token string) ([]alerts.SilenceStatus, error) {
	body, err := call(ctx, http.MethodGet, addr, "/silences", token)
	if err != nil {
		return nil, err
	}
	var list []alerts.SilenceStatus
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("decode silences: %w", err)
	}
	return list, nil
}

// SilenceError is a daemon's refusal of a silence (an unknown rule, a
// bad duration).
type SilenceError struct {
	Text string
}

func (e *SilenceError) Error() string { return e.Text }

// RequestSilence asks a daemon to hold back rule's notifications for d
// (0 lifts the silence) and returns when the silence ends (zero when
// lifted).
func RequestSilence(ctx context.Context, addr, token, rule string, d time.Duration) (time.Time, error) {
	q := url.Values{"rule": {rule}, "for": {d.String()}}
	body, err := call(ctx, http.MethodPost, addr, "/silences?"+q.Encode(), token)
	var se *statusError
	if errors.As(err, &se) && (se.code == http.StatusBadRequest || se.code == http.StatusUnprocessableEntity) {
		var r silenceResponse
		if json.Unmarshal(se.body, &r) == nil && r.Error != "" {
			return time.Time{}, &SilenceError{Text: r.Error}
		}
	}
	if errors.As(err, &se) && se.code == http.StatusNotFound {
		return time.Time{}, fmt.Errorf("silence: not enabled on this daemon: %w", err)
	}
	if err != nil {
		return time.Time{}, err
	}
	var r silenceResponse
	if err := json.Unmarshal(body, &r); err != nil || r.Rule != rule {
		return time.Time{}, fmt.Errorf("silence: unexpected response %q", alert.Sanitize(string(body), 200))
	}
	if r.Until == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339, r.Until)
}

// RequestPause flips a daemon's kill switch for actions: pause stops new
// ones (reverts still run), !pause resumes them.
func RequestPause(ctx context.Context, addr, token string, pause bool) error {
	path := "/actions/resume"
	if pause {
		path = "/actions/pause"
	}
	body, err := call(ctx, http.MethodPost, addr, path, token)
	if se, ok := errors.AsType[*statusError](err); ok && se.code == http.StatusNotFound {
		return fmt.Errorf("actions: not enabled on this daemon: %w", err)
	}
	if err != nil {
		return err
	}
	var r pauseResponse
	if err := json.Unmarshal(body, &r); err != nil || r.Paused != pause {
		return fmt.Errorf("actions: unexpected response %q", alert.Sanitize(string(body), 200))
	}
	return nil
}

// statusError is a response other than 200.
type statusError struct {
	op   string // "GET /status"
	code int
	body []byte
}

func (e *statusError) Error() string {
	text := strings.TrimSpace(string(e.body))
	return fmt.Sprintf("%s: %s: %s", e.op, http.StatusText(e.code), alert.Sanitize(text, 200))
}

// call sends one request and returns the body of a 200 response.
func call(ctx context.Context, method, addr, path, token string) ([]byte, error) {
	op := method + " " + path
	base := addr
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(base, "/")+path, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Timeout: clientTimeout}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("%s: read response: %w", op, err)
	}
	io.Copy(io.Discard, resp.Body) // drain, so the connection is reused
	switch resp.StatusCode {
	case http.StatusOK:
		return body, nil
	case http.StatusUnauthorized:
		return nil, fmt.Errorf("%s: %w", op, ErrUnauthorized)
	default:
		return nil, &statusError{op: op, code: resp.StatusCode, body: body}
	}
}
