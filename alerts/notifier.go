package alerts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// Notifier delivers one alert transition to one destination. It never
// retries by itself: it reports whether a retry could help, by wrapping a
// failure that cannot (a 4xx other than 429, a bad token, a config fault)
// in a *PermanentError, and a rate limit in a *RetryAfterError. The
// delivery loop in this package does the retrying, with capped
// exponential backoff and jitter. Implementations are safe for concurrent
// use and redact secrets (tokens, webhook URLs, passwords) from errors.
type Notifier interface {
	Notify(ctx context.Context, a alert.Alert) error
}

// NotifierFunc adapts a function to a [Notifier] (tests, small hooks).
type NotifierFunc func(ctx context.Context, a alert.Alert) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, a alert.Alert) error { return f(ctx, a) }

var (
	_ Notifier = NotifierFunc(nil)
	_ Notifier = (*Console)(nil)
)

// PermanentError is a delivery failure that a retry cannot mend.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a *PermanentError (nil stays nil).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err, or an error it wraps, is permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// RetryAfterError is a rate limit (HTTP 429) with the wait the receiver
// asked for.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("rate limited, retry after %v: %v", e.After, e.Err)
}

// Unwrap returns the underlying error.
func (e *RetryAfterError) Unwrap() error { return e.Err }
