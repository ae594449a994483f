package scenario

import (
	"math/rand/v2"
	"net/netip"
	"time"
)

// API answers, as the Phoenix (and Rails) JSON APIs of the matrix write
// them.
const (
	tokenBytes     = 642 // {"access_token":…,"refresh_token":…,"expires_in":900}
	badLoginBytes  = 33  // {"error":"invalid_credentials"}
	expiredBytes   = 27  // {"error":"token_expired"}
	emptyListBytes = 11  // {"data":[]}
	accessTokenTTL = 15 * time.Minute
	preflightBytes = 0
	// preflightMaxAge is how long a browser keeps a preflight's answer
	// for one URL: the API sends Access-Control-Max-Age: 600 (browsers
	// cap it at 2 hours or a day; without the header it is 5 s).
	preflightMaxAge = 10 * time.Minute
)

// newApp returns a mobile app on a phone at ip.
func newApp(r *rand.Rand, ip netip.Addr) *browser {
	return &browser{r: r, ip: ip, ua: Pick(r, appUAs), proto: "HTTP/2.0", actor: ActorApp}
}

// call is one API request from b at t, and, when preflight, the CORS
// preflight (OPTIONS, 204) a browser sends before it (the Fetch standard:
// a request with an Authorization header is never "simple") unless it
// asked for that URL and method within preflightMaxAge. It returns the
// call as logged and when its answer arrived.
func (s *site) call(t time.Time, b *browser, method, path string, status, bytes int, preflight bool) (Request, time.Time) {
	r := b.r
	if preflight && b.needsPreflight(t, method, path) {
		p := s.sim.Emit(r, Request{Start: t, Dur: time.Duration(between(r, 150, 900)) * time.Microsecond, IP: b.ip, Method: "OPTIONS",
			Path: path, Proto: b.proto, Status: 204, Bytes: preflightBytes, Referer: appOrigin + "/", UA: b.ua, Actor: b.actor})
		t = p.End().Add(ms(between(r, 20, 80))) // the browser's round trip before the real call
	}
	ref := "-"
	if preflight {
		ref = appOrigin + "/"
	}
	q := s.emit(r, Request{Start: t, Dur: appDur(r), IP: b.ip, Method: method, Path: path, Proto: b.proto,
		Status: status, Bytes: bytes, Referer: ref, UA: b.ua, Actor: b.actor})
	return q, q.End().Add(ms(between(r, 20, 80)))
}

// needsPreflight reports whether b must preflight method on path at t,
// and if so remembers that it did.
func (b *browser) needsPreflight(t time.Time, method, path string) bool {
	key := method + " " + path
	if last, ok := b.preflights[key]; ok && t.Sub(last) < preflightMaxAge {
		return false
	}
	if b.preflights == nil {
		b.preflights = map[string]time.Time{}
	}
	b.preflights[key] = t
	return true
}

// appOrigin is where the single-page app of the API site is served from
// (a CDN: its own files are not in the API's log).
const appOrigin = "https://app.example.com"

// session is a signed-in client of the JSON API: it holds an access token
// that expires, and refreshes it when the API answers 401.
type session struct {
	*browser
	issued    time.Time // when the access token was issued
	preflight bool      // a browser app: every call is preflighted
	resumed   bool      // a tab already open when the log begins: it loaded long ago
}

// authed makes one authenticated call; an expired token is answered 401,
// refreshed (POST /api/v1/sessions/refresh) and the call retried, as the
// apps' HTTP clients do.
func (s *site) authed(t time.Time, c *session, method, path string, status, bytes int) (Request, time.Time) {
	if t.Sub(c.issued) >= accessTokenTTL {
		_, t = s.call(t, c.browser, method, path, 401, expiredBytes, c.preflight)
		var rq Request
		rq, t = s.call(t, c.browser, "POST", "/api/v1/sessions/refresh", 200, tokenBytes+between(c.r, -4, 4), c.preflight)
		if rq.Status != 200 {
			return rq, t
		}
		c.issued = t
	}
	return s.call(t, c.browser, method, path, status, bytes, c.preflight)
}

// appSession is the mobile app in the foreground for length: on opening
// it loads the user, the open invoices and the notifications, then polls
// the notifications every `every` (±10%), and now and then opens an
// invoice or creates one. Apps poll every 15–60 s (traffic-shapes "mobile
// apps"); the token may have expired while the app slept.
func (s *site) appSession(t time.Time, b *browser, length, every time.Duration) {
	r := b.r
	c := &session{browser: b, issued: t.Add(-jitter(r, 0, 40*time.Minute))}
	end := t.Add(length)
	_, t = s.authed(t, c, "GET", "/api/v1/me", 200, 818+between(r, -6, 6))
	_, t = s.authed(t, c, "GET", "/api/v1/invoices?status=open&page=1", 200, between(r, 2000, 14000))
	for t.Before(end) {
		_, _ = s.authed(t, c, "GET", notificationsPath, 200, notifBytes(r))
		if r.Float64() < 0.12 { // the user taps an invoice
			at := t.Add(jitter(r, 2*time.Second, every/2))
			_, at = s.authed(at, c, "GET", idPath(r, "/api/v1/invoices/:id"), 200, between(r, 1800, 4200))
			if r.Float64() < 0.15 {
				s.authed(at.Add(jitter(r, 20*time.Second, 90*time.Second)), c, "POST", "/api/v1/invoices", 201, between(r, 1800, 4200))
			}
		}
		t = t.Add(jitter(r, every*9/10, every*11/10))
	}
}

// notificationsPath is what apps poll (with If-None-Match on some
// clients; these answer 200 with an empty list).
const notificationsPath = "/api/v1/notifications?unread=true"

// notifBytes is the size of a notifications poll: usually nothing new.
func notifBytes(r *rand.Rand) int {
	if r.Float64() < 0.9 {
		return emptyListBytes
	}
	return between(r, 180, 900)
}

// apiLogin is a log-in from the app (mobile or browser) to POST
// /api/v1/sessions: `fails` wrong passwords (401) then a token (201). It
// returns the session, or nil when the attempts all failed.
func (s *site) apiLogin(t time.Time, b *browser, fails int, preflight bool) (*session, time.Time) {
	r := b.r
	for range fails {
		_, t = s.call(t, b, "POST", "/api/v1/sessions", 401, badLoginBytes, preflight)
		t = t.Add(ms(between(r, 4000, 15000)))
	}
	q, t := s.call(t, b, "POST", "/api/v1/sessions", 201, tokenBytes+between(r, -4, 4), preflight)
	if q.Status != 201 {
		return nil, t
	}
	return &session{browser: b, issued: t, preflight: preflight}, t
}

// appLogin is a person signing in on the mobile app, then using it for a
// few minutes.
func (s *site) appLogin(t time.Time, b *browser, fails int) {
	if c, at := s.apiLogin(t, b, fails, false); c != nil {
		s.appSession(at, c.browser, appLength(b.r), appEvery(b.r))
	}
}

// appLength is how long a mobile app stays in the foreground: a few
// minutes, now and then half an hour.
func appLength(r *rand.Rand) time.Duration {
	return min(time.Minute+gap(r, 5*time.Minute), 30*time.Minute)
}

// appEvery is a session's poll interval: 15–60 s (traffic-shapes "mobile
// apps"), fixed per app build and screen.
func appEvery(r *rand.Rand) time.Duration {
	return time.Duration(between(r, 15, 60)) * time.Second
}

// orderSession is a person using the B2B ordering app in a browser tab
// (a single-page app at app.example.com calling api.example.com): it polls
// the notifications every 30 s while the tab is open and, in bursts,
// searches products, opens a few, fills the cart and now and then checks
// out. Every call carries a bearer token, so the browser preflights it.
func (s *site) orderSession(t time.Time, c *session, length time.Duration, checkout float64) {
	r := c.r
	end := t.Add(length)
	if !c.resumed {
		_, t = s.authed(t, c, "GET", "/api/v1/me", 200, 1024+between(r, -8, 8))
	}
	nextPoll := t.Add(30 * time.Second)
	// pollUntil makes the polls due before `at`: the tab polls while
	// open, through the work and the pauses.
	pollUntil := func(at time.Time) {
		for ; nextPoll.Before(at) && nextPoll.Before(end); nextPoll = nextPoll.Add(jitter(r, 29*time.Second, 31*time.Second)) {
			s.authed(nextPoll, c, "GET", notificationsPath, 200, notifBytes(r))
		}
	}
	do := func(at time.Time, method, path string, status, bytes int) time.Time {
		pollUntil(at)
		_, after := s.authed(at, c, method, path, status, bytes)
		return after
	}
	// The tab is a process: each step is one burst of work and the polls
	// until the next, so that a tab open for an hour holds only its next
	// few minutes of requests in memory.
	s.sim.Go(t, func(t time.Time) time.Time {
		if !t.Before(end) {
			pollUntil(end)
			return time.Time{}
		}
		// A burst of work: a search, a few products, maybe the cart.
		at := do(t, "GET", Pick(r, productPages), 200, between(r, 14000, 22000))
		for range between(r, 1, 6) {
			at = do(at.Add(ms(between(r, 2000, 20000))), "GET", idPath(r, "/api/v1/products/:id"), 200, between(r, 1800, 3000))
			if r.Float64() < 0.35 {
				at = do(at.Add(ms(between(r, 1000, 5000))), "POST", "/api/v1/cart/items", 201, between(r, 700, 1100))
			}
		}
		switch {
		case r.Float64() < checkout:
			at = do(at.Add(ms(between(r, 3000, 15000))), "GET", "/api/v1/cart", 200, between(r, 900, 4000))
			status, bytes := 201, between(r, 1400, 1900)
			if r.Float64() < 0.03 {
				status, bytes = 422, 88 // {"error":"out_of_stock",…}
			}
			at = do(at.Add(ms(between(r, 5000, 30000))), "POST", "/api/v1/checkout", status, bytes)
			at = do(at, "GET", idPath(r, "/api/v1/orders/:id"), 200, between(r, 1500, 2600))
		case r.Float64() < 0.3:
			at = do(at.Add(ms(between(r, 2000, 9000))), "GET", "/api/v1/orders?page=1", 200, between(r, 6000, 12000))
		}
		next := at.Add(jitter(r, time.Minute, 6*time.Minute))
		if !next.Before(end) {
			pollUntil(end)
			return time.Time{}
		}
		pollUntil(next)
		return next
	})
}
