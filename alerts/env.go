package alerts

import (
	"errors"
	"fmt"
	"strings"
)

// Environment variables that enable notifiers with no config file
// (DESIGN.md contract 4), on top of the embedded rules.
const (
	EnvSlackWebhookURL = "SENTINEL_SLACK_WEBHOOK_URL"
	EnvSlackToken      = "SENTINEL_SLACK_TOKEN"
	EnvSlackChannel    = "SENTINEL_SLACK_CHANNEL"
	EnvSlackMention    = "SENTINEL_SLACK_MENTION"
	EnvWebhookURL      = "SENTINEL_WEBHOOK_URL"
	EnvWebhookSecret   = "SENTINEL_WEBHOOK_SECRET"
	EnvNtfyURL         = "SENTINEL_NTFY_URL"
	EnvNtfyToken       = "SENTINEL_NTFY_TOKEN"
	EnvSMTPURL         = "SENTINEL_SMTP_URL"
	EnvEmailFrom       = "SENTINEL_EMAIL_FROM"
	EnvEmailTo         = "SENTINEL_EMAIL_TO"
)

// RoutesFromEnv builds the notifiers the environment enables, each on a
// route that takes every alert. An incomplete set (a token without its
// channel, an SMTP URL without From or To) is an error naming the
// variables, never their values.
func RoutesFromEnv(lookup func(string) (string, bool)) ([]Route, error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	var routes []Route
	var errs []error
	add := func(name string, n Notifier, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			return
		}
		routes = append(routes, Route{Name: name, Notifier: n})
	}
	if u := get(EnvSlackWebhookURL); u != "" {
		n, err := NewSlack(SlackOptions{WebhookURL: u, Mention: get(EnvSlackMention)})
		add("slack", n, err)
	}
	if tok, ch := get(EnvSlackToken), get(EnvSlackChannel); tok != "" || ch != "" {
		if tok == "" || ch == "" {
			errs = append(errs, fmt.Errorf("slack: %s and %s go together", EnvSlackToken, EnvSlackChannel))
		} else {
			n, err := NewSlack(SlackOptions{Token: tok, Channel: ch, Mention: get(EnvSlackMention)})
			add("slack-bot", n, err)
		}
	}
	if u := get(EnvWebhookURL); u != "" {
		n, err := NewWebhook(WebhookOptions{URL: u, Secret: get(EnvWebhookSecret)})
		add("webhook", n, err)
	}
	if u := get(EnvNtfyURL); u != "" {
		n, err := NewNtfy(NtfyOptions{URL: u, Token: get(EnvNtfyToken)})
		add("ntfy", n, err)
	}
	if u := get(EnvSMTPURL); u != "" {
		from, to := get(EnvEmailFrom), get(EnvEmailTo)
		if from == "" || to == "" {
			errs = append(errs, fmt.Errorf("email: %s needs %s and %s", EnvSMTPURL, EnvEmailFrom, EnvEmailTo))
		} else {
			var rcpt []string
			for _, r := range strings.Split(to, ",") {
				if r = strings.TrimSpace(r); r != "" {
					rcpt = append(rcpt, r)
				}
			}
			n, err := NewEmail(EmailOptions{URL: u, From: from, To: rcpt})
			add("email", n, err)
		}
	}
	return routes, errors.Join(errs...)
}
