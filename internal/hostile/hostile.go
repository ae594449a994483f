// Package hostile holds attacker text for the tests of every output that
// shows log-derived strings.
package hostile

// Text is attacker text as it may appear in a log's paths, user agents
// and sample lines: Slack mentions and masked links, a header injection,
// HTML and terminal escapes.
var Text = []string{
	"<!channel>",
	"<!here> <!everyone>",
	"<@U123>",
	"<https://evil.example|click>",
	"@here please",
	"\r\nBcc: x@evil.example",
	"<script>alert(1)</script>",
	"\x1b[31m\u202e",
}
