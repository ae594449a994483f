// Package delivery holds the rules every outgoing request of sentinel
// follows, whether it carries a notification (alerts) or a remedy
// (actions): one HTTP client set-up (a timeout per attempt, no redirects),
// one mapping of a response to an error that says whether a retry can
// help ([PermanentError], [RetryAfterError]), one redaction of secrets
// from errors, one request signature, one idempotency key, and ONE retry
// loop ([Retry]): capped exponential backoff with jitter, honouring a
// server's Retry-After up to [MaxServerWait].
//
// It also names how a delivery ended ([Outcome]), the one vocabulary of
// the metrics, the actions' audit log and the status API.
//
// It never reads a log and never decides what to send; it imports no
// other package of sentinel but the alert value's escapers.
package delivery
