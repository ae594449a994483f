// Package alerts delivers alert transitions to people: the console
// ([Console], the timeline and the JSON lines of stdout) and the
// notifiers ([Slack], [Webhook], [Ntfy], [Email]). The [Grouper] turns
// transitions into notifications, one incident at a time (group wait and
// interval, inhibitions, reminders, measures taken when a notification is
// built); the [Dispatcher] owns their delivery — one bounded queue and
// sender per notifier, retries through the one loop of internal/delivery,
// a per-minute cap with a digest, silences under which no resolution is
// lost.
//
// One renderer (render.go) writes an alert for people: the console's
// text, the notifiers' headlines and summaries and the email's body all
// use its pieces, each escaping attacker-controlled text (keys, sample
// lines) for its target with the escapers of package alert.
//
// Each notifier is one file: its type, its constructor and its [Kind],
// the entry of [Kinds] from which the config and the environment build
// it. Adding one touches that file, its test, the [Kinds] list and the
// README's Notifications (docs/architecture.md, "Where to add").
//
// The package never decides when a rule fires, never retries inside a
// notifier, and never puts a secret (token, webhook URL, password) in an
// error or a log line.
package alerts
