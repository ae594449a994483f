package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/hostile"
)

// hostileAlert is a critical alert whose log-derived text (keys, samples)
// is the attacker's: mentions, a masked link, a bare @here, a CRLF header
// injection and a script.
func hostileAlert() alert.Alert {
	a := firing()
	a.GroupBy = "user_agent"
	a.Keys = []alert.KeyCount{
		{Key: "<!channel> <!here>", Count: 9},
		{Key: "<https://evil.example|click>", Count: 8},
		{Key: "@here @Everyone <@U024BE7LH>", Count: 7},
		{Key: "x\r\nBcc: x@evil.example", Count: 6},
		{Key: "<script>alert(1)</script>", Count: 5},
	}
	a.Samples = []string{strings.Join(hostile.Text, " ")}
	return a
}

// liveSlack matches what Slack would turn into a mention or a link in
// mrkdwn or a message's text.
var liveSlack = regexp.MustCompile(`(?i)<[!@#]|<https?:|<mailto:|<script|@(here|channel|everyone)\b`)

// TestHostile_Slack shows that no text in a Slack message, from either
// mode, holds a live mention, link or tag, apart from the configured
// mention in the top-level text.
func TestHostile_Slack(t *testing.T) {
	const mention = "<!channel>"
	hook := newReceiver(t, nil)
	api := slackAPI(t, nil)
	for name, s := range map[string]*Slack{
		"webhook": newTestSlack(t, SlackOptions{WebhookURL: hook.URL + webhookPath, Mention: mention}),
		"bot":     newTestSlack(t, SlackOptions{Token: "xoxb-1", Channel: "C1", APIURL: api.URL + "/", Mention: mention}),
	} {
		if err := s.Notify(context.Background(), hostileAlert()); err != nil {
			t.Fatalf("%s: Notify() = %v", name, err)
		}
	}

	var texts []string // every string in the payloads
	var collect func(v any)
	collect = func(v any) {
		switch v := v.(type) {
		case string:
			texts = append(texts, v)
		case []any:
			for _, e := range v {
				collect(e)
			}
		case map[string]any:
			for _, e := range v {
				collect(e)
			}
		}
	}
	collect(jsonValue(t, string(hook.only(t).Body)))
	f, err := url.ParseQuery(string(api.only(t).Body))
	if err != nil {
		t.Fatal(err)
	}
	collect(f.Get("text"))
	collect(jsonValue(t, f.Get("blocks")))

	mentions := 0
	for _, s := range texts {
		if strings.HasPrefix(s, mention+" ") {
			s = strings.TrimPrefix(s, mention)
			mentions++
		}
		if m := liveSlack.FindString(s); m != "" {
			t.Errorf("Slack payload holds live %q in %q", m, s)
		}
		if strings.ContainsAny(s, "<>\r") {
			t.Errorf("Slack payload holds an unescaped <, > or CR in %q", s)
		}
	}
	if mentions != 2 {
		t.Errorf("configured mention found in %d texts, want 2 (one per mode)", mentions)
	}
	if all := strings.Join(texts, "\n"); !strings.Contains(all, "&lt;!channel&gt;") || !strings.Contains(all, "@\u200bhere") {
		t.Errorf("Slack payload does not show the attacker's text escaped:\n%s", all)
	}
}

// TestHostile_Webhook shows that the JSON body carries the attacker's
// text only as escaped JSON strings.
func TestHostile_Webhook(t *testing.T) {
	rc := newReceiver(t, nil)
	if err := newTestWebhook(t, WebhookOptions{URL: rc.URL, Secret: "s"}).Notify(context.Background(), hostileAlert()); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	body := rc.only(t).Body
	if bytes.ContainsAny(body, "<>\r\n") {
		t.Errorf("webhook body holds a raw <, >, CR or LF: %s", body)
	}
	var got struct{ Alert alert.Alert }
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Alert.Keys[3].Key != "x\r\nBcc: x@evil.example" {
		t.Errorf("webhook key = %q, want the attacker's text intact once decoded", got.Alert.Keys[3].Key)
	}
}

// TestHostile_Ntfy shows that the attacker's text neither adds a header
// nor a line to an ntfy message, nor brings control characters.
func TestHostile_Ntfy(t *testing.T) {
	rc := newReceiver(t, nil)
	if err := newTestNtfy(t, NtfyOptions{URL: rc.URL + "/t"}).Notify(context.Background(), hostileAlert()); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	got := rc.only(t)
	if h := got.Header.Get("Bcc"); h != "" {
		t.Errorf("header Bcc = %q, want none", h)
	}
	m := ntfyBody(t, got.Body)
	lines := strings.Split(m.Message, "\n")
	if len(lines) != 5 {
		t.Errorf("message has %d lines, want 5:\n%s", len(lines), m.Message)
	}
	for _, l := range append(lines, m.Title) {
		if strings.HasPrefix(l, "Bcc:") || strings.ContainsFunc(l, func(r rune) bool { return alert.IsControl(r) || alert.IsBidiOrBreak(r) }) {
			t.Errorf("line %q is injected or holds control characters", l)
		}
	}
	if !strings.Contains(m.Message, `\x0d\x0aBcc: x@evil.example`) {
		t.Errorf("message =\n%s\nwant the CRLF shown escaped", m.Message)
	}
}

// TestHostile_text checks the shared text for the email notifier's
// targets: a header line and HTML.
func TestHostile_text(t *testing.T) {
	a := hostileAlert()
	if s := alert.HeaderText(Headline(a, alert.HeaderText), 200); strings.ContainsAny(s, "\r\n") {
		t.Errorf("HeaderText(Headline) = %q, holds CR or LF", s)
	}
	if s := Summary(a, alert.HTMLText); strings.Contains(s, "<") || strings.Contains(s, ">") {
		t.Errorf("Summary(HTMLText) =\n%s\nholds a raw < or >", s)
	}
}
