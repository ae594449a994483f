package scenario

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"
)

// crawler is a search engine's or SEO tool's bot, from its published
// address ranges (the corpus shows Googlebot at 66.249.66.x and 66.249.73.x,
// bingbot at 40.77.167.x, 157.55.39.x and 207.46.13.x, AhrefsBot at
// 54.36.148–149.x; traffic-shapes "known crawler ranges").
type crawler struct {
	name      string
	nets      []netip.Prefix // where its addresses come from
	uas       []string
	uaWeights []float64
	// share is its part of the site's requests, floor its least rate
	// (requests a second): the smaller the site, the larger the bots'
	// share (traffic-shapes "crawler / tool user agents": 23% of the
	// personal site, 35% of the shop, 64–86% of a tiny site, counting
	// feed readers and tools).
	share, floor float64
}

var crawlers = []crawler{
	{
		name: "googlebot",
		nets: []netip.Prefix{netip.MustParsePrefix("66.249.66.0/24"), netip.MustParsePrefix("66.249.73.0/24"),
			netip.MustParsePrefix("66.249.79.0/24"), netip.MustParsePrefix("2001:4860:4801:10::/64")},
		uas: []string{
			"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/155.0.7812.86 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/155.0.7812.86 Safari/537.36",
		},
		uaWeights: []float64{35, 50, 15},
		// Googlebot was the busiest client of the personal site (4.8%) and
		// of the shop (8.8%) (traffic-shapes "busiest client's share").
		share: 0.06, floor: 1.0 / 30,
	},
	{
		name: "bingbot",
		nets: []netip.Prefix{netip.MustParsePrefix("40.77.167.0/24"), netip.MustParsePrefix("157.55.39.0/24"), netip.MustParsePrefix("207.46.13.0/24")},
		uas:  []string{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/154.0.0.0 Safari/537.36"},
		// bingbot and the SEO and AI crawlers below make the rest of the
		// bots' 23–35% in the personal site's and the shop's logs.
		share: 0.03, floor: 1.0 / 90,
	},
	{
		name:  "ahrefsbot",
		nets:  []netip.Prefix{netip.MustParsePrefix("54.36.148.0/24"), netip.MustParsePrefix("54.36.149.0/24")},
		uas:   []string{"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"},
		share: 0.02, floor: 1.0 / 120,
	},
	{
		name:  "semrushbot",
		nets:  []netip.Prefix{netip.MustParsePrefix("85.208.98.0/24"), netip.MustParsePrefix("185.191.171.0/24")},
		uas:   []string{"Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)"},
		share: 0.015, floor: 1.0 / 300,
	},
	{
		name:  "applebot",
		nets:  []netip.Prefix{netip.MustParsePrefix("17.241.219.0/24"), netip.MustParsePrefix("17.22.253.0/24")},
		uas:   []string{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)"},
		share: 0.005, floor: 1.0 / 600,
	},
	{
		// OpenAI publishes GPTBot's ranges (openai.com/gptbot.json).
		name:  "gptbot",
		nets:  []netip.Prefix{netip.MustParsePrefix("20.171.206.0/24"), netip.MustParsePrefix("20.171.207.0/24")},
		uas:   []string{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)"},
		share: 0.02, floor: 1.0 / 300,
	},
	{
		name:  "petalbot",
		nets:  []netip.Prefix{netip.MustParsePrefix("114.119.132.0/24"), netip.MustParsePrefix("114.119.147.0/24")},
		uas:   []string{"Mozilla/5.0 (compatible;PetalBot;+https://webmaster.petalsearch.com/site/petalbot)"},
		share: 0.01, floor: 1.0 / 600,
	},
}

// ua picks one of c's user agents.
func (c *crawler) ua(r *rand.Rand) string {
	if c.uaWeights == nil {
		return Pick(r, c.uas)
	}
	return c.uas[Weighted(r, c.uaWeights)]
}

// crawlerRate is c's request rate on a site of size requests a second.
func (c *crawler) rate(size float64) float64 { return max(c.floor, c.share*size) }

// maxPerAddress is how fast one crawler address fetches, at most, in
// requests a second: the corpus's busiest crawler address sent 54 in a
// minute (the shop's Googlebot).
const maxPerAddress = 0.7

// crawl runs c on the site from `from` at `rate` requests a second (a
// Poisson process, never two requests within 300 ms from one address),
// as a crawler that respects the site: robots.txt about hourly, the
// sitemap, pages, now and then a stylesheet, and pages that moved or went
// away.
func (s *site) crawl(c *crawler, from time.Time, rate float64, name string) {
	for _, n := range c.nets {
		s.sim.Label(n, c.name)
	}
	r := s.sim.Rand(name)
	n := max(2, int(math.Ceil(rate/maxPerAddress)))
	ips := make([]netip.Addr, n)
	for i := range ips {
		ips[i] = inPrefix(r, c.nets[i%len(c.nets)])
	}
	lastRobots := from.Add(-jitter(r, 0, time.Hour))
	mean := time.Duration(float64(time.Second) / rate)
	s.sim.Go(from.Add(gap(r, mean)), func(t time.Time) time.Time {
		q := Request{Start: t, IP: ips[r.IntN(n)], Method: "GET", UA: c.ua(r), Referer: "-", Status: 200, Actor: ActorCrawler}
		a := &s.cat.assets
		switch u := r.Float64(); {
		case t.Sub(lastRobots) > time.Hour:
			q.Path, q.Bytes, q.Static = "/robots.txt", 187, true
			lastRobots = t
		case u < 0.015:
			q.Path, q.Bytes = "/sitemap.xml", 61200
		case u < 0.07:
			as := Pick(r, []asset{a.css, a.js, a.fonts[0]})
			q.Path, q.Bytes, q.Static = as.path, as.bytes, true
		case u < 0.09:
			q.Path = Pick(r, []string{"/blog/2024/welcome", "/signup", "/features/old-invoices", "/docs/v1/api"})
			if q.Path == "/signup" {
				q.Status, q.Bytes = 301, RedirectBytes(s.fw.RegisterForm)
			} else {
				q.Status, q.Bytes = 404, NotFoundBytes
			}
		default:
			q.Path = idPath(r, Pick(r, []string{Pick(r, marketing), Pick(r, blogPosts), Pick(r, docsPages), "/templates/:id", "/templates/:id", "/terms", "/privacy", s.fw.RegisterForm, s.fw.LoginForm}))
			q.Bytes = s.cat.page(q.Path).bytes + between(r, -40, 40)
		}
		if q.Static {
			q.Dur = staticDur(r)
			s.sim.Emit(r, q)
		} else {
			q.Dur = appDur(r)
			s.emit(r, q)
		}
		return t.Add(ms(300) + gap(r, mean-ms(300)))
	})
}

// crawlBurst is c fetching pages at `rate` a second from `from` to `to`:
// Googlebot now and then crawls a small site in a burst (the quiet day of
// samples/ has one at about 2 a second for ten minutes).
func (s *site) crawlBurst(c *crawler, from, to time.Time, rate float64, name string) {
	r := s.sim.Rand(name)
	n := max(2, int(math.Ceil(rate/maxPerAddress)))
	ips := make([]netip.Addr, n)
	for i := range ips {
		ips[i] = inPrefix(r, c.nets[i%len(c.nets)])
	}
	mean := time.Duration(float64(time.Second) / rate)
	s.sim.Go(from, func(t time.Time) time.Time {
		if !t.Before(to) {
			return time.Time{}
		}
		p := idPath(r, Pick(r, []string{Pick(r, blogPosts), Pick(r, docsPages), "/templates/:id", "/templates/:id", "/templates/:id", Pick(r, marketing)}))
		s.emit(r, Request{Start: t, Dur: appDur(r), IP: ips[r.IntN(n)], Method: "GET", Path: p, UA: c.ua(r),
			Referer: "-", Status: 200, Bytes: s.cat.page(p).bytes + between(r, -40, 40), Actor: ActorCrawler})
		return t.Add(gap(r, mean))
	})
}

// poller asks for one URL at a steady interval: uptime monitors, health
// checks, feed readers.
type poller struct {
	ips          []netip.Addr // it rotates through these (monitoring locations, load balancer nodes)
	ua           string
	method, path string
	status       int
	bytes        int
}

// poll runs p every `every` (±10%) from `from`.
func (s *site) poll(p poller, from time.Time, every time.Duration, name string) {
	for _, ip := range p.ips {
		s.sim.Label1(ip, p.ua[:min(len(p.ua), 24)])
	}
	r := s.sim.Rand(name)
	i := r.IntN(len(p.ips))
	s.sim.Go(from.Add(jitter(r, 0, every)), func(t time.Time) time.Time {
		s.sim.Emit(r, Request{Start: t, Dur: appDur(r), IP: p.ips[i], Method: p.method, Path: p.path, UA: p.ua,
			Referer: "-", Status: p.status, Bytes: p.bytes, Actor: ActorPoller})
		i = (i + 1) % len(p.ips)
		return t.Add(jitter(r, every*9/10, every*11/10))
	})
}

var (
	// UptimeRobot checks from several locations, one request per interval.
	uptimeRobot = poller{ips: addrs("69.162.124.231", "216.144.250.150", "3.12.251.153", "3.20.63.178"),
		ua: "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", method: "HEAD", path: "/", status: 200}
	pingdom = poller{ips: addrs("185.180.12.65", "178.162.206.244", "76.164.234.106", "5.172.196.188"),
		ua: "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)", method: "GET", path: "/", status: 200, bytes: 18412}
	feedPollers = []poller{
		{ips: addrs("52.14.183.20"), ua: "Feedly/1.0 (+https://feedly.com/poller.html; 14 subscribers; )", method: "GET", path: "/blog/feed.xml", status: 304},
		{ips: addrs("94.130.52.187"), ua: "Tiny Tiny RSS/25.09 (https://tt-rss.org/)", method: "GET", path: "/blog/feed.xml", status: 304},
		{ips: addrs("45.33.101.40"), ua: "NewsBlur Feed Fetcher - 3 subscribers - https://www.newsblur.com/site/7829301/tallybook-blog", method: "GET", path: "/blog/feed.xml", status: 304},
		{ips: addrs("185.99.71.12"), ua: "Inoreader/1.0 (+http://www.inoreader.com/feed-fetcher; 2 subscribers; )", method: "GET", path: "/blog/feed.xml", status: 304},
	}
)

// albHealth is an AWS load balancer's health checks: each node of the
// balancer (one per zone, private addresses) checks each target every
// 30 s with `ELB-HealthChecker/2.0` (AWS target-group defaults;
// traffic-shapes "health checks"). targets servers share one log.
func albHealth(targets int) poller {
	p := poller{ua: "ELB-HealthChecker/2.0", method: "GET", path: "/health", status: 200, bytes: 2}
	for _, n := range addrs("10.0.1.87", "10.0.2.143", "10.0.3.21") {
		for range targets {
			p.ips = append(p.ips, n)
		}
	}
	return p
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// scanners are the internet's background noise: about two an hour
// probe any public site for leaked files and admin pages, each from one
// address, 3–40 paths over a few seconds to a few minutes, all 404 —
// about 45 probes an hour; the corpus's small nginx host logged 7,229
// 404s in 18 days (17 an hour), secrepo's a few hundred a day.
func (s *site) scanners(from time.Time, perHour float64, name string) {
	r := s.sim.Rand(name)
	mean := time.Duration(float64(time.Hour) / perHour)
	s.sim.Go(from.Add(gap(r, mean)), func(t time.Time) time.Time {
		ip, ua := public4(r), Pick(r, ScanUAs)
		n := between(r, 3, 40)
		span := jitter(r, 5*time.Second, 3*time.Minute)
		s.emit(r, Request{Start: t, Dur: appDur(r), IP: ip, Method: "GET", Path: "/", UA: ua, Referer: "-", Status: 200,
			Bytes: s.cat.pages["/"].bytes, Actor: ActorScanner})
		paths := append([]string(nil), scanPaths...)
		r.Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
		for i := range min(n, len(paths)) {
			at := t.Add(time.Duration(int64(span) * int64(i+1) / int64(n+1)))
			s.emit(r, Request{Start: at, Dur: appDur(r), IP: ip, Method: "GET", Path: paths[i], UA: ua, Referer: "-",
				Status: 404, Bytes: NotFoundBytes, Actor: ActorScanner})
		}
		return t.Add(gap(r, mean))
	})
}

// integrations are customers' back-office systems syncing orders from the
// API every minute, each from its own cloud server with its own client.
func (s *site) integrations(from time.Time, n int, name string) {
	uas := []string{"NetSuite-Connector/1.4.2", "acme-erp-sync/2.3 (+https://erp.example.net)", "python-requests/2.32.3", "Zapier", "Go-http-client/2.0", "axios/1.8.4"}
	for i := range n {
		r := s.sim.Rand(name + strconv.Itoa(i))
		ip := public4(r)
		s.sim.Label1(ip, "an ERP integration")
		ua := Pick(r, uas)
		every := time.Duration(between(r, 55, 65)) * time.Second
		s.sim.Go(from.Add(jitter(r, 0, every)), func(t time.Time) time.Time {
			s.emit(r, Request{Start: t, Dur: appDur(r), IP: ip, Method: "GET", Path: "/api/v1/orders?updated_since=" + strconv.FormatInt(t.Unix()-60, 10),
				UA: ua, Referer: "-", Status: 200, Bytes: notifBytes(r) * 4, Actor: ActorPoller})
			return t.Add(every)
		})
	}
}
