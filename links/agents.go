package links

import (
	"net/http"
	"strings"
)

// previewAgents are parts of the User-Agent of programs that fetch a link
// to show a preview of it, or to scan it, rather than a person: chat apps
// unfurling a link (Slack, iMessage — which calls itself
// facebookexternalhit and Twitterbot —, WhatsApp, Telegram, Discord,
// Teams, Skype), social networks, search engines and safety scanners.
// Lower case.
var previewAgents = []string{
	"slackbot", "slack-imgproxy", "facebookexternalhit", "facebot", "twitterbot", "whatsapp", "telegrambot",
	"discordbot", "linkedinbot", "skypeuripreview", "microsoftpreview", "msteams", "bingpreview", "bingbot",
	"googlebot", "googleother", "google-safety", "google-inspectiontool", "applebot", "iframely", "embedly",
	"mattermost", "rocket.chat", "redditbot", "pinterest", "vkshare", "snapchat", "viber", "zoominfobot",
	"yandex", "baiduspider", "duckduckbot", "petalbot", "mastodon", "pleroma", "akkoma", "misskey",
	"headlesschrome/", "phantomjs", "python-requests", "go-http-client", "curl/", "wget/", "libwww",
	"preview", "crawler", "spider", "scanner", "urlscan", "proofpoint", "mimecast", "barracuda",
}

// isPreview reports whether a request comes from a link previewer, a
// scanner or a browser's prefetch rather than a person opening the link:
// such a request gets a page with no detail and no form, and never acts.
// An empty User-Agent is taken for one: every browser sends one.
func isPreview(r *http.Request) bool {
	for _, h := range []string{"Purpose", "Sec-Purpose", "X-Purpose", "X-Moz"} {
		if v := strings.ToLower(r.Header.Get(h)); strings.Contains(v, "prefetch") || strings.Contains(v, "preview") {
			return true
		}
	}
	ua := strings.ToLower(r.UserAgent())
	if strings.TrimSpace(ua) == "" {
		return true
	}
	for _, a := range previewAgents {
		if strings.Contains(ua, a) {
			return true
		}
	}
	return false
}
