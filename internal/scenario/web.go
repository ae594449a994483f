package scenario

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// site is one web site being visited: its pages, its framework and the
// simulation its requests go to. The behaviours here (a page view followed
// by its assets, browsing along links, signing in and working in the app,
// signing up) are the ones internal/cmd/samplegen writes samples/ with,
// made to stream.
type site struct {
	sim *Sim
	cat *catalogue
	fw  *Framework
	// crashRate is the share of dynamic requests that crash with a 500:
	// the corpus's busy logs show 5xx at about 0.03% of requests
	// (traffic-shapes "status mix").
	crashRate float64
}

func newSite(sim *Sim, fw *Framework) *site {
	return &site{sim: sim, cat: newCatalogue(fw), fw: fw, crashRate: 0.0003}
}

// browser is one person's browser (or app) on one address.
type browser struct {
	r     *rand.Rand
	ip    netip.Addr
	ua    string
	iOS   bool // Safari on an iPhone
	proto string
	warm  bool // the site's CSS, JS, fonts and logo are cached
	actor Actor
	// preflights is the browser's CORS preflight cache: when it last
	// preflighted each "METHOD path" (single-page apps only).
	preflights map[string]time.Time
}

func newBrowser(r *rand.Rand, ip netip.Addr) *browser {
	i := Weighted(r, VisitorUAWeights)
	b := &browser{r: r, ip: ip, ua: VisitorUAs[i], iOS: i == iPhoneUA, proto: "HTTP/2.0", actor: ActorVisitor}
	if r.Float64() < 0.08 {
		b.proto = "HTTP/1.1"
	}
	return b
}

// emit records a dynamic request, which crashes now and then.
func (s *site) emit(r *rand.Rand, q Request) Request {
	if !q.Static && q.Status < 500 && r.Float64() < s.crashRate {
		q.Status, q.Bytes, q.AppMsg, q.Job = 500, len("Internal Server Error"), "", ""
	}
	return s.sim.Emit(r, q)
}

// view is one page view: the HTML, then, if it came back 200, its assets
// within about a second. It returns the page request as logged.
func (s *site) view(t time.Time, b *browser, path, referer string) Request {
	p := s.cat.page(path)
	q := s.emit(b.r, Request{Start: t, Dur: appDur(b.r), IP: b.ip, Method: "GET", Path: path, Proto: b.proto,
		Status: 200, Bytes: p.bytes + between(b.r, -40, 40), Referer: referer, UA: b.ua, Actor: b.actor})
	if q.Status == 200 {
		s.assets(q.End(), b, p, siteURL+path)
	}
	return q
}

// assets fetches what page p needs after its HTML arrived at t: on a cold
// cache the shared CSS, JS, logo, favicon and fonts plus the page's
// images, so 5–15 requests; on a warm cache the images only.
func (s *site) assets(t time.Time, b *browser, p *page, pageURL string) {
	type fetch struct {
		a       asset
		referer string
	}
	var fs [16]fetch
	n := 0
	a := &s.cat.assets
	cold := !b.warm
	if cold {
		css := siteURL + a.css.path
		fs[0], fs[1], fs[2], fs[3] = fetch{a.css, pageURL}, fetch{a.js, pageURL}, fetch{a.logo, pageURL}, fetch{a.fonts[0], css}
		n = 4
		if b.r.Float64() < 0.6 {
			fs[n] = fetch{a.fonts[1], css}
			n++
		}
		b.warm = true
	}
	for _, im := range p.images {
		if n < 14 {
			fs[n] = fetch{im, pageURL}
			n++
		}
	}
	if cold {
		fs[n] = fetch{a.favicon, pageURL} // asked for last, once per visit
		n++
		if b.iOS && b.r.Float64() < 0.5 {
			fs[n] = fetch{asset{"/apple-touch-icon.png", NotFoundBytes}, "-"}
			n++
		}
	}
	step := between(b.r, 15, 60)
	for i, f := range fs[:n] {
		// CSS and JS first, the rest as the parser reaches it: within ~1 s.
		at := t.Add(ms(5 + i*step + between(b.r, 0, 40)))
		q := Request{Start: at, Dur: staticDur(b.r), IP: b.ip, Method: "GET", Path: f.a.path, Proto: b.proto,
			Status: 200, Bytes: f.a.bytes, Referer: f.referer, UA: b.ua, Static: true, Actor: b.actor}
		if f.a.path == "/apple-touch-icon.png" {
			q.Status = 404
		}
		s.sim.Emit(b.r, q)
	}
}

// think is the pause between two page views.
func think(r *rand.Rand) time.Duration {
	return ms(between(r, 3000, 9000)) + gap(r, 22*time.Second)
}

// idPath fills in the id of a path ending in "/:id": /invoices/1043,
// /templates/77. Other paths are returned as they are. The paths come from
// tables made once, so that a request costs no allocation.
func idPath(r *rand.Rand, path string) string {
	if !strings.HasSuffix(path, ":id") {
		return path
	}
	t, ok := idTables[path]
	if !ok {
		return path
	}
	return t[r.IntN(len(t))]
}

// idTables lists, per path with an id, the paths requests use: every
// template of the gallery, and 4,096 ids spread over 1000–40000 for
// invoices, products and orders.
var idTables = map[string][]string{}

func init() {
	for _, base := range []string{"/templates/", "/invoices/", "/api/v1/invoices/", "/api/v1/products/", "/api/v1/orders/"} {
		var t []string
		if base == "/templates/" {
			for i := 1; i <= templateCount; i++ {
				t = append(t, base+strconv.Itoa(i))
			}
		} else {
			for i := range 4096 {
				t = append(t, base+strconv.Itoa(1000+i*9+i*i%7))
			}
		}
		idTables[base+":id"] = t
	}
	for i := 1; i <= 40; i++ {
		productPages = append(productPages, "/api/v1/products?page="+strconv.Itoa(i))
	}
}

// deadLinks are pages that moved or went away, still linked from
// elsewhere.
var deadLinks = []string{"/blog/2024/welcome", "/features/old-invoices", "/docs/v1/api", "/blog/tag/invoicing", "/pricing/2024", "/help"}

// productPages are the ordering app's product list pages.
var productPages []string

// browse is an anonymous visit: a landing page from a search engine, a
// link or a bookmark, then a walk along the site's links.
func (s *site) browse(t time.Time, b *browser) {
	r := b.r
	ref := EntryReferers[Weighted(r, EntryRefererWeights)]
	var path string
	switch {
	case strings.Contains(ref, "google") || strings.Contains(ref, "bing") || strings.Contains(ref, "duckduckgo"):
		path = Pick(r, []string{"/", "/", "/pricing", Pick(r, blogPosts), Pick(r, blogPosts), Pick(r, docsPages), "/templates/:id"})
	case ref == "-":
		path = Pick(r, []string{"/", "/", "/", "/pricing", "/docs", "/blog", "/templates"})
	default:
		path = Pick(r, blogPosts)
	}
	switch u := r.Float64(); {
	case u < 0.06:
		// Typed or linked as http://: nginx's redirect first.
		s.sim.Emit(r, Request{Start: t, Dur: time.Duration(between(r, 100, 400)) * time.Microsecond, IP: b.ip, Method: "GET", Path: path,
			Proto: "HTTP/1.1", Status: 301, Bytes: 169, Referer: ref, UA: b.ua, Actor: b.actor, Edge: true})
		t = t.Add(ms(between(r, 60, 250)))
	case u < 0.09:
		// An old link (a search result, another site): Phoenix's 404, then
		// the home page.
		q := s.emit(r, Request{Start: t, Dur: appDur(r), IP: b.ip, Method: "GET", Path: Pick(r, deadLinks), Proto: b.proto,
			Status: 404, Bytes: NotFoundBytes, Referer: ref, UA: b.ua, Actor: b.actor})
		t, path = q.End().Add(ms(between(r, 2000, 8000))), "/"
	}
	n := 1 + int(r.ExpFloat64()*1.6)
	for i := 0; i < n; i++ {
		path = idPath(r, path)
		q := s.view(t, b, path, ref)
		if q.Status >= 500 {
			// Reload once or twice, then give up.
			for range between(r, 0, 2) {
				t = t.Add(ms(between(r, 1500, 6000)))
				if q = s.view(t, b, path, ref); q.Status < 500 {
					break
				}
			}
			if q.Status >= 500 {
				return
			}
		}
		ref = siteURL + path
		p := s.cat.page(path)
		if len(p.links) == 0 {
			return
		}
		path = Pick(r, p.links)
		if path == s.fw.RegisterForm || path == s.fw.LoginForm {
			// Looks at the form and leaves; sign-ups and log-ins are
			// scheduled on their own, so that their rates are known.
			s.view(t.Add(think(r)), b, path, ref)
			return
		}
		t = t.Add(think(r))
	}
}

// useApp is a signed-in user working in the app for a few pages; it
// returns when they left.
func (s *site) useApp(t time.Time, b *browser, ref string) time.Time {
	r := b.r
	if r.Float64() < 0.5 {
		// Signed in and typing the site's name: / redirects to the app.
		q := s.emit(r, Request{Start: t, Dur: appDur(r), IP: b.ip, Method: "GET", Path: "/", Proto: b.proto,
			Status: 302, Bytes: RedirectBytes("/dashboard"), Referer: ref, UA: b.ua, Actor: b.actor})
		t, ref = q.End().Add(ms(between(r, 20, 90))), "-"
	}
	path := "/dashboard"
	for range between(r, 1, 6) {
		q := s.view(t, b, path, ref)
		if q.Status >= 500 {
			return t
		}
		ref = siteURL + path
		switch {
		case path == "/invoices/new" && r.Float64() < 0.5:
			// Saves a new invoice: POST, then the redirect to it.
			t = t.Add(ms(between(r, 20000, 90000)))
			id := idPath(r, "/invoices/:id")
			q = s.emit(r, Request{Start: t, Dur: appDur(r), IP: b.ip, Method: "POST", Path: "/invoices", Proto: b.proto,
				Status: s.fw.Success, Bytes: RedirectBytes(id), Referer: siteURL + "/invoices/new", UA: b.ua, Actor: b.actor, Job: "InvoiceMailerJob"})
			if q.Status < 400 {
				t = t.Add(q.Dur + ms(between(r, 30, 120)))
				s.view(t, b, id, siteURL+"/invoices/new")
			}
			path = "/invoices"
		default:
			path = Pick(r, s.cat.page(path).links)
			if path == "/invoices" && r.Float64() < 0.5 {
				path = idPath(r, "/invoices/:id")
			}
		}
		t = t.Add(think(r))
	}
	return t
}

// submit posts a form and returns the response as logged.
func (s *site) submit(t time.Time, b *browser, path string, status, bytes int, msg string) Request {
	return s.emit(b.r, Request{Start: t, Dur: appDur(b.r), IP: b.ip, Method: "POST", Path: path, Proto: b.proto,
		Status: status, Bytes: bytes, Referer: siteURL + path, UA: b.ua, Actor: b.actor, AppMsg: msg})
}

// login is a person signing in with the form: they load it, fail `fails`
// times (each a re-render with the framework's error status), then
// succeed (a redirect to the dashboard) and work in the app.
func (s *site) login(t time.Time, b *browser, fails int) {
	r := b.r
	b.warm = r.Float64() < 0.5 // returning users often have the assets cached
	s.view(t, b, s.fw.LoginForm, Pick(r, []string{"-", "-", siteURL + "/"}))
	for range fails {
		t = t.Add(ms(between(r, 5000, 20000)))
		s.submit(t, b, s.fw.LoginPost, s.fw.FormError, LoginErrorBytes+between(r, -8, 8), "")
	}
	t = t.Add(ms(between(r, 4000, 15000)))
	if q := s.submit(t, b, s.fw.LoginPost, s.fw.Success, RedirectBytes("/dashboard"), ""); q.Status < 400 {
		s.useApp(q.End().Add(ms(between(r, 20, 90))), b, siteURL+s.fw.LoginForm)
	}
}

// signup is a person creating an account: a look at the pricing, the
// form, now and then a validation error, then a redirect to the
// dashboard.
func (s *site) signup(t time.Time, b *browser, retry bool) {
	r := b.r
	s.view(t, b, "/pricing", Pick(r, []string{"-", "https://www.google.com/"}))
	t = t.Add(think(r))
	s.view(t, b, s.fw.RegisterForm, siteURL+"/pricing")
	if retry {
		t = t.Add(ms(between(r, 25000, 80000)))
		s.submit(t, b, s.fw.RegisterPost, s.fw.FormError, RegisterErrorBytes+between(r, -30, 30), "")
	}
	t = t.Add(ms(between(r, 20000, 90000)))
	q := s.submit(t, b, s.fw.RegisterPost, s.fw.Success, RedirectBytes("/dashboard"), "user registered")
	if q.Status < 400 {
		s.useApp(q.End().Add(ms(between(r, 20, 90))), b, siteURL+s.fw.RegisterForm)
	}
}

// Random helpers.

// between returns a uniform integer in [lo, hi].
func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// jitter returns a uniform duration in [lo, hi).
func jitter(r *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.Int64N(int64(hi-lo)))
}

// gap returns an exponential duration with the given mean, at millisecond
// resolution.
func gap(r *rand.Rand, mean time.Duration) time.Duration {
	return ms(int(r.ExpFloat64() * float64(mean/time.Millisecond)))
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// appDur is how long the app takes for a dynamic request: 1–40 ms, most
// under 15 ms, and now and then under a millisecond.
func appDur(r *rand.Rand) time.Duration {
	if r.Float64() < 0.06 {
		return time.Duration(between(r, 180, 990)) * time.Microsecond
	}
	d := 1 + int(r.ExpFloat64()*8)
	return time.Duration(min(d, 40))*time.Millisecond + time.Duration(r.IntN(1000))*time.Microsecond
}

// staticDur is how long nginx takes to send a file.
func staticDur(r *rand.Rand) time.Duration {
	return time.Duration(between(r, 300, 4000)) * time.Microsecond
}

// Pick returns a random element of xs.
func Pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// Weighted returns an index drawn with the given weights.
func Weighted(r *rand.Rand, w []float64) int {
	var sum float64
	for _, x := range w {
		sum += x
	}
	u := r.Float64() * sum
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}
