package links

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

// pageCSS is the pages' only style: inline, so a page needs nothing from
// anywhere (a phone on a bad network, a strict proxy), and allowed by its
// hash in the Content-Security-Policy, which allows nothing else: no
// script, no image, no frame, a form posting to its own origin only.
const pageCSS = `
:root{color-scheme:light dark;--fg:#111;--bg:#fff;--muted:#5b6472;--line:#d9dde3;--box:#f4f6f8;--run:#b91c1c;--revert:#15803d;--other:#1d4ed8}
@media (prefers-color-scheme:dark){:root{--fg:#eef0f3;--bg:#111418;--muted:#a3acb9;--line:#2c333b;--box:#1b2027}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:17px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;-webkit-text-size-adjust:100%}
main{max-width:34rem;margin:0 auto;padding:20px 16px 32px}
.site{margin:0 0 6px;color:var(--muted);font-size:14px;letter-spacing:.02em}
h1{margin:0 0 12px;font-size:24px;line-height:1.25}
h2{margin:20px 0 6px;font-size:15px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.headline{margin:0 0 8px;padding:12px;border-radius:10px;background:var(--box);font-weight:600;overflow-wrap:anywhere}
ul{margin:0;padding-left:20px}li{margin:4px 0;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:12px 0 0}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
form{margin:24px 0 8px}
button{display:block;width:100%;min-height:52px;border:0;border-radius:12px;background:var(--other);color:#fff;font:inherit;font-size:19px;font-weight:600;padding:12px}
button.run{background:var(--run)}button.revert{background:var(--revert)}
.small{color:var(--muted);font-size:14px}
.msg{padding:12px;border-radius:10px;border:2px solid var(--line)}
.ok{border-color:var(--revert)}.failed,.refused{border-color:var(--run)}
`

// pageCSP is the pages' Content-Security-Policy.
var pageCSP = func() string {
	sum := sha256.Sum256([]byte(pageCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}()

// pageTemplate is every page: a confirmation, a result, a refusal, the
// page a previewer gets. html/template escapes every value; the caller
// has also taken control characters out of log-derived text.
var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex, nofollow">
<title>{{.Title}} — sentinel</title>
<style>{{.CSS}}</style>
</head><body><main>
<p class="site">sentinel{{if .Site}} · {{.Site}}{{end}}</p>
<h1>{{.Title}}</h1>
{{- if .Headline}}
<p class="headline">{{.Headline}}</p>
{{- end}}
{{- if .Message}}
<p class="msg {{.Kind}}">{{.Message}}</p>
{{- end}}
{{- if .Effects}}
<h2>{{if .CSRF}}What will happen{{else}}What it would do{{end}}</h2>
<ul>
{{- range .Effects}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .CSRF}}
<form method="post">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<button type="submit" class="{{.Verb}}">{{.Button}}</button>
</form>
{{- end}}
{{- if .Hint}}
<p class="small">{{.Hint}}</p>
{{- end}}
{{- if .Facts}}
<dl>
{{- range .Facts}}
<dt>{{.Name}}</dt><dd>{{.Value}}</dd>
{{- end}}
</dl>
{{- end}}
{{- if .Acted}}
<h2>Who else acted</h2>
<ul>
{{- range .Acted}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
</main></body></html>
`))

// Fact is one line of a page's facts: a name and its value.
type Fact struct{ Name, Value string }

// pageView is what a page shows.
type pageView struct {
	CSS      template.CSS
	Site     string
	Title    string
	Headline string
	// Kind is the message's class: ok, failed, refused.
	Kind    string
	Message string
	Effects []string
	Facts   []Fact
	Acted   []string
	// CSRF, when set, shows the form: the token it posts.
	CSRF   string
	Verb   string
	Button string
	Hint   string
}

// writePage writes a page with status, and the headers that keep it out
// of caches, referrers, frames and search engines.
func writePage(w http.ResponseWriter, status int, v pageView) {
	v.CSS = template.CSS(pageCSS)
	var b strings.Builder
	if err := pageTemplate.Execute(&b, v); err != nil {
		http.Error(w, "page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	w.WriteHeader(status)
	w.Write([]byte(b.String()))
}
