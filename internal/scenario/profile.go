package scenario

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"
)

// Kind is the kind of site a profile describes.
type Kind int

const (
	// Web is Tallybook: pages with their assets, sign-up and log-in forms,
	// the signed-in app, and the JSON API its mobile app polls.
	Web Kind = iota
	// API is a B2B wholesale-ordering service's JSON API: a single-page app
	// (served from a CDN) calls it with bearer tokens, so every call may be
	// preceded by a CORS preflight; customers' offices use it all day,
	// their back-office systems sync orders every minute.
	API
)

// Profile is one site's ordinary day: how big, and what its traffic is
// made of. Every figure cites where it comes from; the realised figures
// of each generated day are checked against the same bands by
// TestFigures.
type Profile struct {
	Kind      Kind
	Framework Framework
	// Size is the mean request rate over the day, requests a second.
	Size float64
	// LoginShare is log-in posts among all requests, LoginFail the share of
	// them that fail: 0.5–3% and 10–25% (traffic-shapes "log-in posts";
	// the detection issue measured the defaults with 1–3% and 10–25%).
	// An API site's log-ins follow from its sessions instead (see
	// orderTab); LoginFail still applies.
	LoginShare, LoginFail float64
	// SignupShare is sign-up posts among all requests: 0.035%, from the
	// detection issue's own small site, where 180 sign-ups are "a month of
	// the site's sign-ups" at 0.2 requests a second (6 a day out of 17,280
	// requests).
	SignupShare float64
	// MobileShare is the share of people's requests that come from the
	// mobile app (Web) — polling every 15–60 s, refreshing its token. 20%
	// is an assumption (a SaaS whose app is secondary); the carrier-NAT
	// row of issue 19 raises it to half.
	MobileShare float64
	// Offices are office NATs: each is the share of the site's requests
	// that one office address sends during office hours (one office can
	// be 2–5% of a B2B SaaS's requests; traffic-shapes "shared
	// addresses").
	Offices []float64
	// CarrierSessions is how many app sessions, at the day's peak, share
	// the busiest mobile carrier's NAT address (traffic-shapes: "a carrier
	// NAT address can carry hundreds of polling app sessions").
	CarrierSessions int
	// Servers behind an AWS load balancer whose health checks reach the
	// log; 0 for a site on one server checked by an uptime monitor only.
	Servers int
	// CheckoutShare is the share of the API's requests that go to
	// /api/v1/checkout (API): 5% (the one-endpoint outage of issue 19).
	CheckoutShare float64
}

// dayShape is the ordinary day's request rate as a multiple of its mean:
// lowest (0.4) at 04:00 UTC, highest (1.6) at 15:00, along raised cosines:
// a day/night ratio of 4, a regional site's (traffic-shapes "day/night
// ratio": 1.4 for a global audience, 5.1 and 13 for smaller sites, about
// 4 for a regional one).
func dayShape(t time.Time) float64 {
	sec := t.Unix() % 86400
	if sec < 0 {
		sec += 86400
	}
	i, f := sec/60, float64(sec%60)/60
	return shapeTable[i]*(1-f) + shapeTable[i+1]*f
}

// shapeTable is dayShape at each minute of the day (and the next
// midnight): the Poisson processes ask for it on every arrival.
var shapeTable = func() (t [1441]float64) {
	const lo, hi = 0.4, 1.6
	for m := range t {
		x := math.Mod(float64(m)/60-4+24, 24) // hours since 04:00
		var bump float64
		if x <= 11 {
			bump = (1 - math.Cos(math.Pi*x/11)) / 2
		} else {
			bump = (1 + math.Cos(math.Pi*(x-11)/13)) / 2
		}
		t[m] = lo + (hi-lo)*bump
	}
	return t
}()

// officeHours is 1 from 08:00 to 17:00 UTC, rising and falling over half
// an hour either side, 0 at night.
func officeHours(t time.Time) float64 {
	h := float64(t.Hour()) + float64(t.Minute())/60
	switch {
	case h < 7.5 || h >= 17.5:
		return 0
	case h < 8:
		return (h - 7.5) * 2
	case h >= 17:
		return (17.5 - h) * 2
	}
	return 1
}

// Requests each kind of visit makes on average, measured on the
// generator (TestCalibration prints them): they turn a request rate into
// a visit rate.
const (
	reqPerBrowse       = 12.7  // an anonymous visit: pages and their assets
	reqPerAppUse       = 8.0   // a signed-in user working in the app
	reqPerLogin        = 11.3  // the form, the posts, then the app
	reqPerSignup       = 17.1  // pricing, the form, the post, then the app
	reqPerMobile       = 16.9  // a mobile app session
	reqPerAppLogin     = 17.7  // a log-in on the app, then a session
	reqPerOrderSession = 313.0 // a browser tab on the ordering app
	mobileLength       = 6 * time.Minute
)

// botRate is the rate of the crawlers and monitors that do not follow
// people's day.
func (p *Profile) botRate() float64 {
	if p.Kind == API {
		return 1.0/300 + float64(p.Servers)*3/30 + float64(p.integrations())/60 + scannerRate
	}
	b := 1.0/300 + 4.0/1800 + float64(p.Servers)*3/30 + scannerRate
	for i := range crawlers {
		b += crawlers[i].rate(p.Size)
	}
	if p.Size >= 50 {
		b += 1.0 / 60 // pingdom
	}
	return b
}

// scannerRate is the scanners' requests a second: two an hour, 22 paths
// each on average.
const scannerRate = 2 * 22.5 / 3600

func (p *Profile) integrations() int { return max(1, int(p.Size/10)) }

// rate is the whole site's request rate at t.
func (p *Profile) rate(t time.Time) float64 {
	b := p.botRate()
	return b + max(p.Size-b, p.Size*0.1)*dayShape(t)
}

// people is the rate of requests people (browsers and apps) send at t.
func (p *Profile) people(t time.Time) float64 { return p.rate(t) - p.botRate() }

// failOdds is the probability that a person's first log-in attempt
// fails, so that LoginFail of all log-in posts fail: a failing person
// fails once, one in five twice, then gets in.
func (p *Profile) failOdds() float64 { return p.LoginFail / (1.2 * (1 - p.LoginFail)) }

// fails draws how many times a person mistypes before getting in.
func (p *Profile) fails(r *rand.Rand) int {
	if r.Float64() >= p.failOdds() {
		return 0
	}
	if r.Float64() < 0.2 {
		return 2
	}
	return 1
}

// populate schedules the site's ordinary traffic on [from, to): people,
// crawlers, monitors, offices, carrier NATs, scanners.
func (p *Profile) populate(s *site, from, to time.Time) {
	s.sim.Label(netip.MustParsePrefix("172.56.0.0/14"), "a carrier NAT")
	start := from.Add(-20 * time.Minute) // visits already under way when the log opens
	peak := p.Size * 1.6
	postsPerLogin := 1 + 1.2*p.failOdds()
	loginRate := func(t time.Time) float64 { return p.LoginShare * p.rate(t) / postsPerLogin }
	signupRate := func(t time.Time) float64 { return p.SignupShare * p.rate(t) / 1.15 }
	office := 0.0
	for _, o := range p.Offices {
		office += o
	}

	// Monitors and health checks.
	s.poll(uptimeRobot, start, 5*time.Minute, "uptimerobot")
	if p.Servers > 0 {
		s.poll(albHealth(p.Servers), start, 30*time.Second/time.Duration(3*p.Servers), "alb")
	}
	s.scanners(start, 2, "scanners")

	switch p.Kind {
	case Web:
		for i := range crawlers {
			s.crawl(&crawlers[i], start, crawlers[i].rate(p.Size), crawlers[i].name)
		}
		for i, f := range feedPollers {
			s.poll(f, start, []time.Duration{30, 15, 45, 60}[i]*time.Minute, "feed"+strconv.Itoa(i))
		}
		if p.Size >= 50 {
			s.poll(pingdom, start, time.Minute, "pingdom")
		}
		// Googlebot's morning burst: 2 pages a second for ten minutes (the
		// quiet day of samples/ has one), a small site's busiest minutes.
		if b := day.Add(hm(7, 40)); !b.Before(from) && b.Before(to) {
			s.crawlBurst(&crawlers[0], b, b.Add(10*time.Minute), 2, "googlebot-burst")
		}
		// Log-ins, on the form or in the mobile app.
		s.sim.Poisson("logins", start, peak*p.LoginShare, loginRate, func(r *rand.Rand, t time.Time) {
			if r.Float64() < p.MobileShare {
				s.appLogin(t, newApp(r, mobileAddr(r)), p.fails(r))
				return
			}
			s.login(t, newBrowser(r, residential(r)), p.fails(r))
		})
		s.sim.Poisson("signups", start, peak*p.SignupShare, signupRate, func(r *rand.Rand, t time.Time) {
			s.signup(t, newBrowser(r, residential(r)), r.Float64() < 0.15)
		})
		// The mobile app's sessions, besides those that start with a log-in.
		mobile := func(t time.Time) float64 {
			m := p.MobileShare*p.people(t) - p.MobileShare*loginRate(t)*reqPerAppLogin
			return max(m, 0) / reqPerMobile
		}
		s.sim.Poisson("mobile", start, peak*p.MobileShare/reqPerMobile, mobile, func(r *rand.Rand, t time.Time) {
			s.appSession(t, newApp(r, mobileAddr(r)), appLength(r), appEvery(r))
		})
		// People in browsers: what is left after the log-ins, sign-ups,
		// offices and the app; 15% are signed-in users coming back to the
		// app, the rest browse.
		web := func(t time.Time) float64 {
			w := (1-p.MobileShare)*p.people(t) - (1-p.MobileShare)*loginRate(t)*reqPerLogin -
				signupRate(t)*reqPerSignup - office*p.rate(t)*officeHours(t)
			return max(w, 0)
		}
		s.sim.Poisson("visits", start, peak/reqPerBrowse, func(t time.Time) float64 { return web(t) / reqPerBrowse }, func(r *rand.Rand, t time.Time) {
			b := newBrowser(r, residential(r))
			if r.Float64() < 0.15 {
				b.warm = r.Float64() < 0.7
				s.useApp(t, b, "-")
				return
			}
			s.browse(t, b)
		})
		for i, o := range p.Offices {
			s.office(start, o, p, i)
		}
	case API:
		s.integrations(start, p.integrations(), "integration")
		// Browser tabs on the ordering app: one in three starts with a
		// log-in (the others still hold a refresh token). A tab polls for
		// an hour, so log-ins are a far smaller share of an API's requests
		// than of a web site's.
		tabs := func(t time.Time) float64 {
			w := p.people(t) - office*p.rate(t)*officeHours(t)
			return max(w, 0) / reqPerOrderSession
		}
		s.sim.Poisson("tabs", start, peak/reqPerOrderSession, tabs, func(r *rand.Rand, t time.Time) {
			s.orderTab(t, newBrowser(r, residential(r)), p)
		})
		s.openTabs(start, tabs(start), p, "tabs-open", residential)
		for i, o := range p.Offices {
			s.office(start, o, p, i)
		}
	}
	if p.CarrierSessions > 0 {
		s.carrier(start, p)
	}
}

// orderTab is a browser tab on the ordering app: a log-in first one time
// in three, then the session.
func (s *site) orderTab(t time.Time, b *browser, p *Profile) {
	r := b.r
	if r.Float64() < loginTabs {
		if c, at := s.apiLogin(t, b, p.fails(r), true); c != nil {
			s.orderSession(at, c, orderLength(r), p.checkoutOdds())
		}
		return
	}
	c := &session{browser: b, issued: t.Add(-jitter(r, 0, 30*time.Minute)), preflight: true}
	s.orderSession(t, c, orderLength(r), p.checkoutOdds())
}

// openTabs starts the ordering tabs already open when the log begins, so
// that it opens on the day's traffic rather than ramping up for an hour:
// as many as tabs open at `rate` a second stay open on average (Little's
// law), each with the time it has left — length-biased, since a tab
// found open is likelier a long one. They start polling within 30 s.
func (s *site) openTabs(at time.Time, rate float64, p *Profile, name string, addr func(*rand.Rand) netip.Addr) {
	r := s.sim.Rand(name)
	mean := rate * meanOrderLength.Seconds()
	n := max(0, int(math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	for range n {
		l := orderLength(r)
		for r.Float64() >= float64(l)/float64(maxOrderLength) {
			l = orderLength(r)
		}
		left := time.Duration(r.Float64() * float64(l))
		c := &session{browser: newBrowser(r, addr(r)), issued: at.Add(-jitter(r, 0, accessTokenTTL)), preflight: true, resumed: true}
		s.orderSession(at.Add(jitter(r, 0, 30*time.Second)), c, left, p.checkoutOdds())
	}
}

// loginTabs is the share of ordering tabs that start with a log-in.
const loginTabs = 1.0 / 3

// checkoutOdds is the chance that a burst of work on the ordering app
// ends in a checkout, so that CheckoutShare of the API's requests go to
// /api/v1/checkout (with their preflights).
func (p *Profile) checkoutOdds() float64 { return min(1, p.CheckoutShare*16) }

// orderLength is how long an ordering tab stays open: 20–90 minutes.
func orderLength(r *rand.Rand) time.Duration { return jitter(r, 20*time.Minute, maxOrderLength) }

const (
	maxOrderLength  = 90 * time.Minute
	meanOrderLength = 55 * time.Minute
)

// mobileAddr is a phone's address: IPv6 of its own, or on IPv4 one of its
// carrier's NAT pool addresses.
func mobileAddr(r *rand.Rand) netip.Addr {
	if r.Float64() < IPv6Share {
		return residential6(r)
	}
	return carrierNAT(r)
}

// office is one office NAT: everyone in it shares one public address.
// During office hours its people use the site (the app, or the ordering
// app) so that the office sends `share` of the site's requests.
func (s *site) office(from time.Time, share float64, p *Profile, i int) {
	name := "office" + strconv.Itoa(i)
	ip := public4(s.sim.Rand(name + "-address"))
	s.sim.Label1(ip, fmt.Sprintf("an office NAT, %.3g%% of requests", share*100))
	switch p.Kind {
	case Web:
		rate := func(t time.Time) float64 { return share * p.rate(t) * officeHours(t) / reqPerAppUse }
		s.sim.Poisson(name, from, share*p.Size*1.6/reqPerAppUse, rate, func(r *rand.Rand, t time.Time) {
			b := newBrowser(r, ip)
			b.warm = r.Float64() < 0.8
			s.useApp(t, b, "-")
		})
	case API:
		rate := func(t time.Time) float64 { return share * p.rate(t) * officeHours(t) / reqPerOrderSession }
		s.sim.Poisson(name, from, share*p.Size*1.6/reqPerOrderSession, rate, func(r *rand.Rand, t time.Time) {
			s.orderTab(t, newBrowser(r, ip), p)
		})
		s.openTabs(from, rate(from), p, name+"-open", func(*rand.Rand) netip.Addr { return ip })
	}
}

// carrier is the busiest carrier NAT address: CarrierSessions app
// sessions at the day's peak (fewer at night) share it, each polling
// every 15–60 s.
func (s *site) carrier(from time.Time, p *Profile) {
	ip := carrierNAT(s.sim.Rand("carrier-address"))
	s.sim.Label1(ip, fmt.Sprintf("a carrier NAT, %d app sessions", p.CarrierSessions))
	// Little's law: sessions at once = start rate × mean length.
	rate := func(t time.Time) float64 {
		return float64(p.CarrierSessions) * dayShape(t) / 1.6 / mobileLength.Seconds()
	}
	s.sim.Poisson("carrier", from.Add(-mobileLength), float64(p.CarrierSessions)/mobileLength.Seconds(), rate, func(r *rand.Rand, t time.Time) {
		s.appSession(t, newApp(r, ip), appLength(r), appEvery(r))
	})
}

// Poisson runs fn at the times of a Poisson process on [from, To()) whose
// rate is rate(t) events a second (at most maxRate), as a process of its
// own named name.
func (s *Sim) Poisson(name string, from time.Time, maxRate float64, rate func(time.Time) float64, fn func(r *rand.Rand, t time.Time)) {
	if maxRate <= 0 {
		return
	}
	r := s.Rand(name)
	mean := float64(time.Second) / maxRate
	next := func(t time.Time) time.Time { return t.Add(time.Duration(r.ExpFloat64() * mean)) }
	s.Go(next(from), func(t time.Time) time.Time {
		if r.Float64()*maxRate < rate(t) {
			fn(r, t)
		}
		return next(t)
	})
}
