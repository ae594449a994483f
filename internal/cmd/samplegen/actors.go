package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/internal/scenario"
)

// visitor is a person with a browser.
type visitor struct {
	ip, ua, proto string
	warm          bool // the site's CSS, JS, fonts and logo are cached
}

func (tr *traffic) newVisitor() *visitor {
	v := &visitor{ip: tr.ip(), ua: scenario.VisitorUAs[scenario.Weighted(tr.r, scenario.VisitorUAWeights)], proto: "HTTP/2.0"}
	if tr.chance(0.08) {
		v.proto = "HTTP/1.1"
	}
	return v
}

// pageFor returns the page served at path (ids in the path map to one
// page) and whether it is one.
func pageFor(path string) *page {
	if p, ok := pages[path]; ok {
		return p
	}
	if strings.HasPrefix(path, "/invoices/") {
		return pages["/invoices/:id"]
	}
	return nil
}

// view is one page view: the HTML, then, if it came back 200, its assets
// within about a second. It returns the page request as logged.
func (tr *traffic) view(t time.Time, v *visitor, path, referer string) request {
	p := pageFor(path)
	q := tr.emit(request{start: t, dur: tr.appDur(), ip: v.ip, method: "GET", path: path, proto: v.proto,
		status: 200, bytes: p.bytes + tr.between(-40, 40), referer: referer, ua: v.ua, actor: actorVisitor})
	if q.status == 200 {
		tr.assets(q.end(), v, p, siteURL+path)
	}
	return q
}

// assets fetches what page p needs after its HTML arrived at t: on a cold
// cache the shared CSS, JS, logo, favicon and fonts (5–6 files) plus the
// page's images, so 5–15 requests; on a warm cache the images only.
func (tr *traffic) assets(t time.Time, v *visitor, p *page, pageURL string) {
	type fetch struct {
		a       asset
		referer string
	}
	var fs []fetch
	if !v.warm {
		fs = append(fs, fetch{cssAsset, pageURL}, fetch{jsAsset, pageURL}, fetch{logoAsset, pageURL})
		css := siteURL + cssAsset.path
		fs = append(fs, fetch{fontAssets[0], css})
		if tr.chance(0.6) {
			fs = append(fs, fetch{fontAssets[1], css})
		}
		v.warm = true
	}
	for _, a := range p.images {
		if len(fs) < 14 {
			fs = append(fs, fetch{a, pageURL})
		}
	}
	if len(fs) > 0 && fs[0].a == cssAsset {
		fs = append(fs, fetch{favicon, pageURL}) // asked for last, once per visit
	}
	for i, f := range fs {
		// CSS and JS first, the rest as the parser reaches it: within ~1 s.
		at := t.Add(ms(5 + i*tr.between(15, 60) + tr.between(0, 40)))
		tr.emit(request{start: at, dur: tr.staticDur(), ip: v.ip, method: "GET", path: f.a.path, proto: v.proto,
			status: 200, bytes: f.a.bytes, referer: f.referer, ua: v.ua, static: true, actor: actorVisitor})
	}
}

// think is the pause between two page views.
func (tr *traffic) think() time.Duration {
	return ms(tr.between(3000, 9000)) + tr.gap(22*time.Second)
}

// browse is an anonymous visit: a landing page from a search engine, a
// link or a bookmark, then a walk along the site's links.
func (tr *traffic) browse(t time.Time) {
	v := tr.newVisitor()
	ref := scenario.EntryReferers[scenario.Weighted(tr.r, scenario.EntryRefererWeights)]
	var path string
	switch {
	case strings.Contains(ref, "google") || strings.Contains(ref, "bing") || strings.Contains(ref, "duckduckgo"):
		path = scenario.Pick(tr.r, []string{"/", "/", "/pricing", scenario.Pick(tr.r, blogPosts), scenario.Pick(tr.r, blogPosts), scenario.Pick(tr.r, docsPages)})
	case ref == "-":
		path = scenario.Pick(tr.r, []string{"/", "/", "/", "/pricing", "/docs", "/blog"})
	default:
		path = scenario.Pick(tr.r, blogPosts)
	}
	n := 1 + int(tr.r.ExpFloat64()*1.6)
	for i := 0; i < n; i++ {
		q := tr.view(t, v, path, ref)
		if q.status >= 500 {
			// Reload once or twice, then give up.
			for range tr.between(0, 2) {
				t = t.Add(ms(tr.between(1500, 6000)))
				if q = tr.view(t, v, path, ref); q.status < 500 {
					break
				}
			}
			if q.status >= 500 {
				return
			}
		}
		ref = siteURL + path
		p := pageFor(path)
		if len(p.links) == 0 {
			return
		}
		path = scenario.Pick(tr.r, p.links)
		if path == "/users/register" || path == "/users/log_in" {
			// Looks at the form and leaves; sign-ups and log-ins are
			// scheduled explicitly so that scenarios can count them.
			tr.view(t.Add(tr.think()), v, path, ref)
			return
		}
		t = t.Add(tr.think())
	}
}

// useApp is a signed-in user working in the app for a few pages.
func (tr *traffic) useApp(t time.Time, v *visitor, ref string) time.Time {
	path := "/dashboard"
	for range tr.between(1, 5) {
		q := tr.view(t, v, path, ref)
		if q.status >= 500 {
			return t
		}
		ref = siteURL + path
		if path == "/invoices/new" && tr.chance(0.5) {
			// Saves a new invoice: POST, then the redirect to it.
			t = t.Add(ms(tr.between(20000, 90000)))
			id := fmt.Sprintf("/invoices/%d", tr.between(1000, 4000))
			q = tr.emit(request{start: t, dur: tr.appDur(), ip: v.ip, method: "POST", path: "/invoices", proto: v.proto,
				status: 302, bytes: scenario.RedirectBytes(id), referer: siteURL + "/invoices/new", ua: v.ua, actor: actorVisitor})
			if q.status == 302 {
				t = t.Add(q.dur + ms(tr.between(30, 120)))
				tr.view(t, v, id, siteURL+"/invoices/new")
			}
			path = "/invoices"
		} else {
			path = scenario.Pick(tr.r, pageFor(path).links)
			if path == "/invoices" && tr.chance(0.5) {
				path = fmt.Sprintf("/invoices/%d", tr.between(1000, 4000))
			}
		}
		t = t.Add(tr.think())
	}
	return t
}

// submit posts a form and returns the response as logged.
func (tr *traffic) submit(t time.Time, v *visitor, path string, status, bytes int, msg string) request {
	return tr.emit(request{start: t, dur: tr.appDur(), ip: v.ip, method: "POST", path: path, proto: v.proto,
		status: status, bytes: bytes, referer: siteURL + path, ua: v.ua, actor: actorVisitor, appMsg: msg})
}

// login is a person signing in: the form, fails wrong passwords (each a
// 200 re-render), then a 302 to the dashboard and some work in the app.
func (tr *traffic) login(t time.Time, fails int) {
	v := tr.newVisitor()
	v.warm = tr.chance(0.5) // returning users often have the assets cached
	tr.view(t, v, "/users/log_in", scenario.Pick(tr.r, []string{"-", "-", siteURL + "/"}))
	for range fails {
		t = t.Add(ms(tr.between(5000, 20000)))
		tr.submit(t, v, "/users/log_in", 200, scenario.LoginErrorBytes+tr.between(-8, 8), "")
	}
	t = t.Add(ms(tr.between(4000, 15000)))
	if q := tr.submit(t, v, "/users/log_in", 302, scenario.RedirectBytes("/dashboard"), ""); q.status == 302 {
		tr.useApp(q.end().Add(ms(tr.between(20, 90))), v, siteURL+"/users/log_in")
	}
}

// signup is a person creating an account: a look at the pricing, the
// form, now and then a validation error, then a 302 to the dashboard.
func (tr *traffic) signup(t time.Time, retry bool) {
	v := tr.newVisitor()
	ref := scenario.Pick(tr.r, []string{"-", "https://www.google.com/"})
	tr.view(t, v, "/pricing", ref)
	t = t.Add(tr.think())
	tr.view(t, v, "/users/register", siteURL+"/pricing")
	if retry {
		t = t.Add(ms(tr.between(25000, 80000)))
		tr.submit(t, v, "/users/register", 200, scenario.RegisterErrorBytes+tr.between(-30, 30), "")
	}
	t = t.Add(ms(tr.between(20000, 90000)))
	if q := tr.submit(t, v, "/users/register", 302, scenario.RedirectBytes("/dashboard"), "user registered"); q.status == 302 {
		tr.useApp(q.end().Add(ms(tr.between(20, 90))), v, siteURL+"/users/register")
	}
}

// appError is a signed-in user hitting a page that crashes (500).
func (tr *traffic) appError(t time.Time) {
	v := tr.newVisitor()
	v.warm = true
	tr.emit(request{start: t, dur: ms(tr.between(40, 900)), ip: v.ip, method: "GET", path: "/reports", proto: v.proto,
		status: 500, bytes: len("Internal Server Error"), referer: siteURL + "/dashboard", ua: v.ua, actor: actorVisitor,
		crash: "** (Postgrex.Error) ERROR 57014 (query_canceled) canceling statement due to statement timeout"})
}

// crawler is a search engine's bot: it reads robots.txt now and then and
// otherwise fetches pages, the sitemap and sometimes a stylesheet.
type crawler struct {
	ips       []string
	uas       []string
	uaWeights []float64
}

// crawl runs c from from to to with gaps of mean meanGap (never under
// minGap), as a crawler that respects the site.
func (tr *traffic) crawl(c crawler, from, to time.Time, meanGap, minGap time.Duration) {
	lastRobots := time.Time{}
	for t := from.Add(tr.gap(meanGap)); t.Before(to); t = t.Add(minGap + tr.gap(meanGap-minGap)) {
		q := request{start: t, ip: scenario.Pick(tr.r, c.ips), method: "GET", ua: c.uas[scenario.Weighted(tr.r, c.uaWeights)],
			referer: "-", status: 200, actor: actorCrawler}
		switch u := tr.r.Float64(); {
		case t.Sub(lastRobots) > time.Hour:
			q.path, q.bytes, q.static = "/robots.txt", 187, true
			lastRobots = t
		case u < 0.015:
			q.path, q.bytes = "/sitemap.xml", 6120
		case u < 0.07:
			a := scenario.Pick(tr.r, []asset{cssAsset, jsAsset, fontAssets[0]})
			q.path, q.bytes, q.static = a.path, a.bytes, true
		case u < 0.09:
			// Pages that moved or went away.
			q.path = scenario.Pick(tr.r, []string{"/blog/2024/welcome", "/signup", "/features/old-invoices", "/docs/v1/api"})
			if q.path == "/signup" {
				q.status, q.bytes = 301, scenario.RedirectBytes("/users/register")
			} else {
				q.status, q.bytes = 404, scenario.NotFoundBytes
			}
		default:
			q.path = scenario.Pick(tr.r, []string{scenario.Pick(tr.r, marketing), scenario.Pick(tr.r, blogPosts), scenario.Pick(tr.r, blogPosts), scenario.Pick(tr.r, docsPages), "/terms", "/privacy", "/users/register", "/users/log_in"})
			q.bytes = pageFor(q.path).bytes + tr.between(-40, 40)
		}
		if q.static {
			q.dur = tr.staticDur()
		} else {
			q.dur = tr.appDur()
		}
		tr.emit(q)
	}
}

// poller asks for one URL at a steady interval: feed readers, uptime
// monitors.
type poller struct {
	ip, ua, method, path string
}

// poll runs p every interval (±10%) on [from, to). Feeds answer 304 (no
// body) unless the feed changed since the poller's last fetch.
func (tr *traffic) poll(p poller, from, to time.Time, every time.Duration, feedChanged time.Time) {
	last := from.Add(-every) // the poller's previous fetch, before the log starts
	for t := from.Add(tr.jitter(0, every)); t.Before(to); t = t.Add(tr.jitter(every*9/10, every*11/10)) {
		q := request{start: t, dur: tr.appDur(), ip: p.ip, method: p.method, path: p.path, ua: p.ua, referer: "-", status: 200, actor: actorPoller}
		switch {
		case p.method == "HEAD":
			q.bytes = 0
		case !feedChanged.IsZero() && !feedChanged.Before(last) && feedChanged.Before(t):
			q.bytes = feedBytes
		default:
			q.status, q.bytes = 304, 0
		}
		tr.emit(q)
		last = t
	}
}

// scan is a vulnerability scanner probing n paths from one address over
// span, after one look at the home page.
func (tr *traffic) scan(t time.Time, n int, span time.Duration) string {
	ip, ua := tr.ip(), scenario.Pick(tr.r, scenario.ScanUAs)
	tr.emit(request{start: t, dur: tr.appDur(), ip: ip, method: "GET", path: "/", ua: ua, referer: "-", status: 200,
		bytes: pages["/"].bytes, actor: actorScanner})
	paths := append([]string(nil), scanPaths...)
	tr.r.Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
	for i := range min(n, len(paths)) {
		at := t.Add(time.Duration(int64(span) * int64(i+1) / int64(n+1))).Add(ms(tr.between(-400, 400)))
		tr.emit(request{start: at, dur: tr.appDur(), ip: ip, method: "GET", path: paths[i], ua: ua, referer: "-",
			status: 404, bytes: scenario.NotFoundBytes, actor: actorScanner})
	}
	return ip
}
