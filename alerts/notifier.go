package alerts

import (
	"context"
	"time"

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

// Announcer is a notifier that can post a short message of its own, not
// an alert: what someone did from a notification's link ("signups-off
// run from a link at 03:12 UTC by the link sent to slack"), back where
// the link was sent. It is found by type assertion; see
// [Dispatcher.Announce].
type Announcer interface {
	Announce(ctx context.Context, an Announcement) error
}

// Announcement is one message for an [Announcer].
type Announcement struct {
	// Site names the server, as on the alerts.
	Site string
	// Incident is the key of the incident the message is about ("" for
	// none): a notifier that threads an incident's messages (a Slack bot,
	// email) puts it in that thread.
	Incident string
	// Text is one line for people. It holds names from the config and
	// words of sentinel's own, never text from a log; notifiers escape it
	// all the same.
	Text string
	// Time is when it happened (wall time).
	Time time.Time
}

var (
	_ Announcer = (*Slack)(nil)
	_ Announcer = (*Ntfy)(nil)
	_ Announcer = (*Email)(nil)
)
