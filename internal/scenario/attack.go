package scenario

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Each attack schedules its requests (or a fault of the site) on s from
// `at` and returns its ground truth.

// signupFlood is the founding story: a bot posts to the sign-up form about
// 240 times a second (lo to hi in each second: 225–255 in the matrix) from thousands of addresses
// spread over 1,400 /16s, never loading the form; a few "heavy" addresses
// send far more than the rest. 97% of the posts create an account, the
// rest fail validation; under the load the database pool now and then
// runs dry (500). The story's bot ran for hours and made 150,000 accounts;
// here it runs for d.
func signupFlood(s *site, at time.Time, d time.Duration, lo, hi int) Truth {
	r := s.sim.Rand("attack-signup-flood")
	nets := make([][2]byte, 1400)
	for i := range nets {
		a := public4(r).As4()
		nets[i] = [2]byte{a[0], a[1]}
	}
	type bot struct {
		ip      netip.Addr
		ua, ref string
	}
	bots := make([]bot, 4000)
	for i := range bots {
		n := nets[r.IntN(len(nets))]
		bots[i] = bot{ip: netip.AddrFrom4([4]byte{n[0], n[1], byte(r.IntN(256)), byte(r.IntN(254) + 1)}), ua: Pick(r, BotUAs), ref: "-"}
		if r.Float64() < 0.35 {
			bots[i].ref = siteURL + s.fw.RegisterForm
		}
	}
	end := at.Add(d)
	s.sim.Go(at, func(t time.Time) time.Time {
		n := between(r, lo, hi)
		offs := make([]int64, n)
		for i := range offs {
			offs[i] = r.Int64N(int64(time.Second))
		}
		slices.Sort(offs)
		for _, off := range offs {
			var b *bot
			if r.Float64() < 0.03 {
				b = &bots[r.IntN(6)] // the heavy six: about 1.2 a second each
			} else {
				b = &bots[6+r.IntN(len(bots)-6)]
			}
			q := Request{Start: t.Add(time.Duration(off)), Dur: appDur(r), IP: b.ip, Method: "POST", Path: s.fw.RegisterPost,
				Referer: b.ref, UA: b.ua, Actor: ActorSignupBot}
			switch u := r.Float64(); {
			case u < 0.003:
				q.Status, q.Bytes = 500, len("Internal Server Error")
			case u < 0.97:
				q.Status, q.Bytes, q.AppMsg, q.Job = s.fw.Success, RedirectBytes("/dashboard"), "user registered", "WelcomeMailerJob"
			default:
				q.Status, q.Bytes = s.fw.FormError, RegisterErrorBytes+between(r, -30, 30)
			}
			s.sim.Emit(r, q)
		}
		if t = t.Add(time.Second); t.Before(end) {
			return t
		}
		return time.Time{}
	})
	return Truth{Attack: "signup-flood", Start: at, End: end, Deadline: time.Minute}
}

// signupDrip is a slow distributed sign-up bot: one post every 10 s (±3 s)
// for 30 minutes, each from an address of a pool of 500 that posts once,
// with no page load before: 180 accounts, a month of a small site's
// sign-ups in half an hour (the detection issue's case). The corpus's
// Plone server saw the same shape slower: 579 sign-up posts from 417
// addresses in 5.5 days, every one answered 302 (traffic-shapes "a slow
// distributed sign-up bot").
func signupDrip(s *site, at time.Time) Truth {
	r := s.sim.Rand("attack-signup-drip")
	pool := make([]netip.Addr, 500)
	for i := range pool {
		pool[i] = residential(r)
	}
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	end := at.Add(30 * time.Minute)
	i := 0
	s.sim.Go(at, func(t time.Time) time.Time {
		s.sim.Emit(r, Request{Start: t, Dur: appDur(r), IP: pool[i%len(pool)], Method: "POST", Path: s.fw.RegisterPost, Status: s.fw.Success,
			Bytes: RedirectBytes("/dashboard"), Referer: "-", UA: Pick(r, BotUAs), Actor: ActorSignupBot, AppMsg: "user registered", Job: "WelcomeMailerJob"})
		i++
		if t = t.Add(jitter(r, 7*time.Second, 13*time.Second)); t.Before(end) {
			return t
		}
		return time.Time{}
	})
	return Truth{Attack: "signup-drip", Start: at, End: end, Deadline: 10 * time.Minute}
}

// stuffingSpread is distributed credential stuffing on the log-in form:
// lo to hi posts a second (20–30 in the matrix) for 3 minutes from about 3,000 residential
// addresses, one or two each (Castle's 2.2M-address campaign;
// traffic-shapes "distributed credential stuffing"), straight to the form;
// 98% fail, 2% get in.
func stuffingSpread(s *site, at time.Time, lo, hi int) Truth {
	r := s.sim.Rand("attack-stuffing-spread")
	end := at.Add(3 * time.Minute)
	var cur netip.Addr
	left := 0
	ua := ""
	s.sim.Go(at, func(t time.Time) time.Time {
		for range between(r, lo, hi) {
			if left == 0 {
				cur, left, ua = residential(r), between(r, 1, 2), Pick(r, BotUAs)
			}
			left--
			q := Request{Start: t.Add(time.Duration(r.Int64N(int64(time.Second)))), Dur: appDur(r), IP: cur, Method: "POST", Path: s.fw.LoginPost,
				Referer: "-", UA: ua, Actor: ActorStuffer, Status: s.fw.FormError, Bytes: LoginErrorBytes + between(r, -8, 8)}
			if r.Float64() < 0.02 {
				q.Status, q.Bytes = s.fw.Success, RedirectBytes("/dashboard")
			}
			s.sim.Emit(r, q)
		}
		if t = t.Add(time.Second); t.Before(end) {
			return t
		}
		return time.Time{}
	})
	return Truth{Attack: "stuffing-spread", Start: at, End: end, Deadline: time.Minute}
}

// bruteForce is one address trying passwords on the log-in form perSec
// times a second (8, 480 a minute, in the matrix) for 5 minutes, every attempt failing: the
// WordPress brute-forcers of the corpus's small nginx host sent 400–537
// requests a minute each (traffic-shapes "WordPress brute force").
func bruteForce(s *site, at time.Time, perSec int) Truth {
	r := s.sim.Rand("attack-brute-force")
	ip := hostingAddr(r)
	end := at.Add(5 * time.Minute)
	s.steady(r, Request{IP: ip, Method: "POST", Path: s.fw.LoginPost, Status: s.fw.FormError, Referer: "-", UA: "python-requests/2.32.4", Actor: ActorBrute},
		at, end, perSec, func(q *Request) { q.Bytes = LoginErrorBytes + between(r, -8, 8) })
	return Truth{Attack: "stuffing-burst", Start: at, End: end, Offender: ip.String(), OffenderKind: OffenderAddress, Deadline: time.Minute}
}

// hostingAddr is a server's address in a hosting provider's space.
func hostingAddr(r *rand.Rand) netip.Addr { return inPrefix(r, hosting4(r)) }

// hostileClient is one address fetching the template gallery perSec times
// a second for 3 minutes (50 in the matrix: the scraper of
// samples/client-flood.log).
func hostileClient(s *site, at time.Time, perSec int) Truth {
	r := s.sim.Rand("attack-hostile-client")
	ip := hostingAddr(r)
	end := at.Add(3 * time.Minute)
	s.steady(r, Request{IP: ip, Method: "GET", Status: 200, Referer: "-", UA: "python-requests/2.32.3", Actor: ActorScraper},
		at, end, perSec, func(q *Request) {
			q.Path = idPath(r, "/templates/:id")
			q.Bytes = s.cat.pages["/templates/:id"].bytes + between(r, -400, 400)
		})
	return Truth{Attack: "hostile-client", Start: at, End: end, Offender: ip.String(), OffenderKind: OffenderAddress, Deadline: time.Minute}
}

// rotatingScraper fetches the template gallery perSec times a second (20
// in the matrix) for 10 minutes, every request from a random address of one network: one /24 of
// a hosting provider (each of its 254 addresses about 5 requests a minute,
// under any per-address limit) or one IPv6 /64 (a new address for every
// request, free for whoever rents the server; traffic-shapes "rotation").
// It sends a current Chrome's user agent.
func rotatingScraper(s *site, at time.Time, v6 bool, perSec int) Truth {
	name := "attack-scraper-24"
	if v6 {
		name = "attack-scraper-64"
	}
	r := s.sim.Rand(name)
	net := hosting4(r)
	if v6 {
		net = hosting6(r)
	}
	end := at.Add(10 * time.Minute)
	s.steady(r, Request{Method: "GET", Status: 200, Referer: "-", UA: BotUAs[0], Actor: ActorScraper, Proto: "HTTP/2.0"},
		at, end, perSec, func(q *Request) {
			q.IP = inPrefix(r, net)
			q.Path = idPath(r, "/templates/:id")
			q.Bytes = s.cat.pages["/templates/:id"].bytes + between(r, -400, 400)
		})
	return Truth{Attack: name[len("attack-"):], Start: at, End: end, Offender: net.String(), OffenderKind: OffenderNetwork, Deadline: time.Minute}
}

// steady sends copies of q perSec times a second on [from, to), evenly
// spaced with a little jitter; vary fills in what differs.
func (s *site) steady(r *rand.Rand, q Request, from, to time.Time, perSec int, vary func(q *Request)) {
	step := time.Second / time.Duration(perSec)
	s.sim.Go(from, func(t time.Time) time.Time {
		for i := range perSec {
			c := q
			c.Start = t.Add(time.Duration(i)*step + jitter(r, 0, step/3))
			c.Dur = appDur(r)
			vary(&c)
			s.sim.Emit(r, c)
		}
		if t = t.Add(time.Second); t.Before(to) {
			return t
		}
		return time.Time{}
	})
}

// outage is the app going down for 4 minutes behind nginx: about 94% of
// what reaches the app is answered 502 at once (connection refused), 4%
// hang until nginx's 60 s proxy_read_timeout and are logged as 504, and
// the rest slip through while the app restarts (samples/5xx-storm.log).
// Assets nginx serves from disk stay up. With share under 1, only that
// share of what reaches the app fails so (one of several app servers
// down, a pool running dry).
func outage(s *site, at time.Time, share float64) Truth {
	end := at.Add(4 * time.Minute)
	s.sim.AddFault(Fault{From: at, To: end, Match: dynamic, Apply: func(r *rand.Rand, q *Request) {
		switch u := r.Float64(); {
		case u < 0.04*share && q.Start.Add(time.Minute).Before(end):
			edge(q, 504, time.Minute)
		case u < 0.98*share:
			edge(q, 502, time.Duration(300+r.IntN(2700))*time.Microsecond)
		}
	}})
	return Truth{Attack: "outage", Start: at, End: end, Deadline: time.Minute}
}

// deploy is an ordinary deploy: for 20 s what the app serves is answered
// 502 (traffic-shapes "deploys": 10–30 s of 502 on what the app serves,
// assets may still be served).
func deploy(s *site, at time.Time, match func(*Request) bool) [2]time.Time {
	end := at.Add(20 * time.Second)
	s.sim.AddFault(Fault{From: at, To: end, Match: match, Apply: func(r *rand.Rand, q *Request) {
		edge(q, 502, time.Duration(300+r.IntN(2700))*time.Microsecond)
	}})
	return [2]time.Time{at, end}
}

// logStops is the log going silent for 15 minutes (the app or its logging
// died, or a DNS change sent everyone elsewhere), then coming back.
func logStops(s *site, at time.Time) Truth {
	end := at.Add(15 * time.Minute)
	s.sim.AddFault(Fault{From: at, To: end, Drop: true})
	return Truth{Attack: "log-stops", Start: at, End: end, Deadline: time.Minute}
}

// checkoutOutage is one endpoint failing: POST /api/v1/checkout answers
// 500 for five minutes while the rest of the API is fine (issue 19).
func checkoutOutage(s *site, at time.Time) Truth {
	end := at.Add(5 * time.Minute)
	s.sim.AddFault(Fault{From: at, To: end,
		Match: func(q *Request) bool { return q.Method == "POST" && q.Path == "/api/v1/checkout" },
		Apply: func(r *rand.Rand, q *Request) { q.Status, q.Bytes = 500, 46 }, // {"errors":{"detail":"Internal Server Error"}}
	})
	return Truth{Attack: "checkout-outage", Start: at, End: end, Offender: "/api/v1/checkout", OffenderKind: OffenderPath, Deadline: time.Minute}
}

// templatesOutage is one endpoint failing whose paths carry a record's
// id: the template previews (GET /templates/:id, about 3% of the site's
// requests, each template its own path) answer 500 for five minutes
// while the rest of the site works. No one path fails five times in a
// minute, nor the site's share of 5xx reaches a surge's: the endpoint
// does.
func templatesOutage(s *site, at time.Time) Truth {
	end := at.Add(5 * time.Minute)
	s.sim.AddFault(Fault{From: at, To: end,
		Match: func(q *Request) bool { return q.Method == "GET" && strings.HasPrefix(q.Path, "/templates/") },
		Apply: func(r *rand.Rand, q *Request) { q.Status, q.Bytes = 500, 1477 }, // the framework's error page
	})
	return Truth{Attack: "templates-outage", Start: at, End: end, Offender: "/templates/:id", OffenderKind: OffenderPath, Deadline: time.Minute}
}

// takeoverWave is distributed account takeover on the API's log-in: 2
// posts a second to POST /api/v1/sessions from 2,000 residential addresses
// (IPv4 and IPv6), one or two tries each, every one answered 401, until
// the addresses are used up (about 25 minutes). A script calls the API
// directly, so there is no preflight.
func takeoverWave(s *site, at time.Time) Truth {
	r := s.sim.Rand("attack-takeover")
	type try struct {
		ip netip.Addr
		ua string
	}
	var tries []try
	for range 2000 {
		t := try{residential(r), Pick(r, VisitorUAs)}
		for range between(r, 1, 2) {
			tries = append(tries, t)
		}
	}
	r.Shuffle(len(tries), func(i, j int) { tries[i], tries[j] = tries[j], tries[i] })
	i := 0
	end := at.Add(time.Duration(float64(len(tries)) / 2 * float64(time.Second)))
	s.sim.Go(at, func(t time.Time) time.Time {
		tr := tries[i]
		s.sim.Emit(r, Request{Start: t, Dur: appDur(r), IP: tr.ip, Method: "POST", Path: "/api/v1/sessions", Proto: "HTTP/1.1",
			Status: 401, Bytes: badLoginBytes, Referer: "-", UA: tr.ua, Actor: ActorStuffer})
		if i++; i == len(tries) {
			return time.Time{}
		}
		return t.Add(gap(r, 500*time.Millisecond))
	})
	return Truth{Attack: "takeover-wave", Start: at, End: end, Deadline: 5 * time.Minute}
}

// blast is a marketing e-mail: clickers real people click through over the
// next hour, most in the first ten minutes (clicks decay with a 8-minute
// time constant). Each loads the landing page and its assets on a cold
// cache, a third go on to the pricing, and one in ten signs up (the form,
// then the post; a few trip over a validation error first). The decay
// and the shares are assumptions, not measured figures: the issue asks
// for "thousands of real people clicking through and signing up over ten
// minutes".
func blast(s *site, at time.Time, clickers int) Truth {
	const tau = 8 * time.Minute
	rate := func(t time.Time) float64 {
		x := t.Sub(at).Seconds()
		return float64(clickers) / tau.Seconds() * math.Exp(-x/tau.Seconds())
	}
	landing := "/features?utm_source=newsletter&utm_medium=email&utm_campaign=recurring-invoices"
	s.cat.pages[landing] = s.cat.pages["/features"]
	end := at.Add(time.Hour)
	s.sim.Poisson("blast-clicks", at, float64(clickers)/tau.Seconds(), func(t time.Time) float64 {
		if !t.Before(end) {
			return 0
		}
		return rate(t)
	}, func(r *rand.Rand, t time.Time) {
		b := newBrowser(r, residential(r))
		b.warm = r.Float64() < 0.15
		q := s.view(t, b, landing, "-")
		if q.Status >= 400 {
			return
		}
		t = t.Add(think(r))
		switch u := r.Float64(); {
		case u < 0.10:
			s.signup(t, b, r.Float64() < 0.15)
		case u < 0.33:
			s.view(t, b, "/pricing", siteURL+landing)
		}
	})
	return Truth{Attack: "marketing-blast", Start: at, End: at.Add(20 * time.Minute), MaxSeverity: "warning"}
}

// Offender kinds.
const (
	OffenderAddress = "address"
	OffenderNetwork = "network"
	OffenderPath    = "path"
)

// dynamic matches what the app serves (not nginx's files on disk).
func dynamic(q *Request) bool { return !q.Static }

// edge makes q answered by the proxy in front with status after wait.
func edge(q *Request, status int, wait time.Duration) {
	q.Status, q.Bytes, q.Dur, q.Edge = status, nginxErrorPageBytes[status], wait, true
	q.AppMsg, q.Job = "", ""
	if q.Method == "HEAD" {
		q.Bytes = 0
	}
}

// nginxErrorPageBytes are the sizes of nginx's built-in error pages.
var nginxErrorPageBytes = map[int]int{502: 157, 503: 159, 504: 167}
