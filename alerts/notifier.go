package alerts

import (
	"context"

	"github.com/sentinel-dev/sentinel/alert"
)

// Notifier delivers one alert transition to one destination. It never
// retries by itself: it reports whether a retry could help, by wrapping a
// failure that cannot (a 4xx other than 429, a bad token, a config fault)
// in a *delivery.PermanentError, and a rate limit in a
// *delivery.RetryAfterError. The [Dispatcher] retries the rest through
// the one retry loop of internal/delivery, with capped exponential
// backoff and jitter. Implementations are safe for concurrent use and
// redact secrets (tokens, webhook URLs, passwords) from errors.
//
// A notifier type is one file holding the type and its [Kind], listed in
// [Kinds]: the config and the environment build it from there.
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
