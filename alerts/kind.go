package alerts

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind is one type of notifier, as the config and the environment build
// it: its file holds the type, its constructor and its Kind, and [Kinds]
// lists it. Adding a notifier touches that file, its test, [Kinds] and the
// README's Notifications (docs/architecture.md, "Where to add"). A route
// the environment enables is named after its Type (a Slack bot token's:
// slack-bot), the name `sentinel test-alert --notifier` takes.
type Kind struct {
	// Type is the type of a config's notifiers: entry ("slack").
	Type string
	// Keys are the options of a config entry, besides those every entry
	// has (name, type, min_severity, rules, timeout): scalars, and "to"
	// (a list) or "headers" (a mapping).
	Keys []string
	// Secrets are the Keys that may also come from a file, KEY_file,
	// read by the config.
	Secrets []string
	// New builds a notifier of the settings, and what `sentinel check`
	// shows of it, secrets redacted. Its errors never contain a secret.
	New func(Settings) (n Notifier, shown string, err error)
	// Env describes the environment variables that enable the type, for
	// help texts.
	Env []string
	// FromEnv builds the routes the environment enables (none when its
	// variables are unset); get returns a variable, trimmed. Its errors
	// name the variables, never their values.
	FromEnv func(get func(string) string) ([]Route, error)
}

// Settings are the options of one configured notifier.
type Settings struct {
	// Values holds the scalar options by key (url, token, channel, …),
	// secrets already read from their files.
	Values  map[string]string
	To      []string
	Headers map[string]string
	// Timeout bounds one send; 0 means the type's default.
	Timeout time.Duration
}

// Kinds are the notifier types, in the order help texts list them.
var Kinds = []Kind{slackKind, webhookKind, ntfyKind, emailKind}

// LookupKind returns the Kind of a config's type, and whether there is one.
func LookupKind(typ string) (Kind, bool) {
	for _, k := range Kinds {
		if k.Type == typ {
			return k, true
		}
	}
	return Kind{}, false
}

// EnvHelp lists the environment variables that enable notifiers, one
// notifier a line, for help texts: "SENTINEL_NTFY_URL (with
// SENTINEL_NTFY_TOKEN)".
func EnvHelp() []string {
	var all []string
	for _, k := range Kinds {
		all = append(all, k.Env...)
	}
	return all
}

// RoutesFromEnv builds the notifiers the environment enables, each on a
// route that takes every alert. An incomplete set (a token without its
// channel, an SMTP URL without From or To) is an error naming the
// variables, never their values.
func RoutesFromEnv(lookup func(string) (string, bool)) ([]Route, error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	var routes []Route
	var errs []error
	for _, k := range Kinds {
		r, err := k.FromEnv(get)
		routes = append(routes, r...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return routes, errors.Join(errs...)
}

// envRoute is the route of a notifier the environment variable env
// enables, or its error prefixed with the route's name.
func envRoute(name, env string, n Notifier, err error) ([]Route, error) {
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return []Route{{Name: name, Notifier: n, Origin: "environment (" + env + ")"}}, nil
}

// destined is a notifier that can say where it delivers, so that the same
// destination set both in the environment and in a config is used once.
type destined interface {
	destination() string
}

// describer is a notifier that can say what it is, secrets redacted.
type describer interface {
	describe() string
}

// Describe says what a notifier is and where it delivers, every secret
// redacted, as `sentinel check` and the startup log show it: "ntfy on
// https://ntfy.sh (topic redacted)".
func Describe(n Notifier) string {
	if d, ok := n.(describer); ok {
		return d.describe()
	}
	return fmt.Sprintf("%T", n)
}

// SameDestination reports whether two notifiers deliver to the same place
// (the same webhook URL, ntfy topic, Slack channel or mail recipients).
func SameDestination(a, b Notifier) bool {
	da, ok1 := a.(destined)
	db, ok2 := b.(destined)
	return ok1 && ok2 && da.destination() != "" && da.destination() == db.destination()
}
