package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/internal/scenario"
)

// sample is one generated file.
type sample struct {
	name string
	data []byte
}

// result is what a scenario produces: its files and the README section
// that describes them, figures included.
type result struct {
	samples []sample
	section string
}

// scenarios, in README order. Each has its own seed, so changing one
// leaves the others' files alone.
var scenarios = []func() result{signupFlood, quietDay, credentialStuffing, fiveXXStorm, benignRamp, clientFlood}

func at(year int, month time.Month, day, hour, min, sec int) time.Time {
	return time.Date(year, month, day, hour, min, sec, 0, time.UTC)
}

func constant(rate float64) func(time.Time) float64 {
	return func(time.Time) float64 { return rate }
}

// reqPerVisit is about how many requests one anonymous visit makes (the
// page views and their assets); it turns a request rate into a visit rate.
const reqPerVisit = 13

// visitors runs anonymous visits, and signed-in users coming back to the
// app, so that [from, to) sees about rate(t) requests a second (at most
// maxRate). Visits start from 15 minutes before from, so the log opens on
// traffic already under way.
func (tr *traffic) visitors(from, to time.Time, maxRate float64, rate func(time.Time) float64) {
	visitRate := func(t time.Time) float64 { return rate(t) / reqPerVisit }
	for _, t := range tr.arrivals(from.Add(-15*time.Minute), to, maxRate/reqPerVisit, visitRate) {
		if tr.chance(0.15) {
			v := tr.newVisitor()
			v.warm = tr.chance(0.7)
			tr.useApp(t, v, "-")
			continue
		}
		tr.browse(t)
	}
}

// readers are people who follow a link to one blog post, read it and
// leave. They have read the blog before, so the site's CSS, JS and fonts
// are cached: each fetches the post and its cover image, about rate
// requests a second in all, every one from its own address.
func (tr *traffic) readers(from, to time.Time, rate float64) {
	for _, t := range tr.arrivals(from, to, rate/2, constant(rate/2)) {
		v := tr.newVisitor()
		v.warm = true
		tr.view(t, v, scenario.Pick(tr.r, blogPosts), scenario.EntryReferers[scenario.Weighted(tr.r, scenario.EntryRefererWeights)])
	}
}

// times returns n times on [from, to), in order, with density following
// rate (at most maxRate).
func (tr *traffic) times(n int, from, to time.Time, maxRate float64, rate func(time.Time) float64) []time.Time {
	span := to.Sub(from)
	var ts []time.Time
	for len(ts) < n {
		t := from.Add(tr.jitter(0, span))
		if tr.r.Float64()*maxRate < rate(t) {
			ts = append(ts, t)
		}
	}
	sortTimes(ts)
	return ts
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// logins schedules n log-ins at the given times; each first attempt fails
// with probability failShare (once, now and then twice).
func (tr *traffic) logins(ts []time.Time, failShare float64) {
	for _, t := range ts {
		fails := 0
		if tr.chance(failShare) {
			fails = 1
			if tr.chance(0.2) {
				fails = 2
			}
		}
		tr.login(t, fails)
	}
}

// signups schedules genuine sign-ups at the given times; about one in six
// trips over a validation error first.
func (tr *traffic) signups(ts []time.Time) {
	for _, t := range ts {
		tr.signup(t, tr.chance(0.15))
	}
}

// signupFlood is the founding story: a quiet night, then 40 seconds of
// ~240 sign-ups a second from thousands of addresses.
func signupFlood() result {
	tr := newTraffic(0x2026_1127)
	tr.crashRate = 0.003
	from, to := at(2026, 11, 27, 0, 50, 0), at(2026, 11, 27, 1, 40, 0)
	attack := at(2026, 11, 27, 1, 20, 0)

	tr.visitors(from, to, 1.0, constant(1.0))
	tr.crawl(googlebot, from, to, 12*time.Second, time.Second)
	tr.poll(uptimeRobot, from, to, 5*time.Minute, time.Time{})
	tr.poll(feedPollers[1], from, to, 15*time.Minute, time.Time{})
	tr.signups(tr.times(4, from, to, 1, constant(1)))
	tr.logins(tr.times(14, from, to, 1, constant(1)), 0.1)
	tr.scan(at(2026, 11, 27, 0, 58, 41), 3, 4*time.Second)
	tr.scan(at(2026, 11, 27, 1, 33, 12), 5, 9*time.Second)
	tr.flood(flood{
		actor: actorSignupBot, path: "/users/register", from: attack, seconds: 40,
		perSecLo: 225, perSecHi: 255,
		heavy: 6, heavyLo: 36, heavyHi: 45,
		perIP:    []float64{30, 46, 24},
		prefixes: 1400, refererShare: 0.35,
		outcome: func(tr *traffic) (int, int, string) {
			if tr.chance(0.97) {
				return 302, scenario.RedirectBytes("/dashboard"), "user registered"
			}
			return 200, scenario.RegisterErrorBytes + tr.between(-30, 30), ""
		},
	})

	reqs := window(tr.reqs, from, to)
	nginx := nginxCombined(reqs)
	phx := phoenixLogger(reqs, 0x2026_1127)
	bots := where(reqs, byActor(actorSignupBot))
	dyn := where(reqs, func(q request) bool { return !q.static })
	crashed := where(dyn, func(q request) bool { return q.crash != "" })
	registered := where(dyn, func(q request) bool { return q.appMsg == "user registered" })

	var s strings.Builder
	s.WriteString(`## signup-flood.log and signup-flood-phoenix.log

The founding story, on the night of 2026-11-27 (UTC). From 00:50:00 to
01:40:00 the small site has its ordinary night: people browsing (each page
followed by its assets within about a second), a polite Googlebot, an
uptime monitor and a feed reader, a few genuine sign-ups and log-ins (some
mistyped), two scanners probing a handful of paths (404), the odd 500.

At **01:20:00**, for **40 seconds**, a bot posts to ` + "`POST /users/register`" + `
about 240 times a second from thousands of addresses spread over many
/16s: most addresses send 1–3 requests, a few "heavy" ones about 40. It
never loads the form. 97% of the posts create an account (302 to
/dashboard), the rest fail validation (200, the form re-rendered); a few
crash when the database pool runs dry (500). At 01:20:40 it stops and
the night goes on.

` + "`signup-flood.log`" + ` is nginx's combined log. ` + "`signup-flood-phoenix.log`" + ` is
the same requests as the Phoenix app logs them in production (only the
requests that reach the router: assets served by Plug.Static are not
logged), with ` + "`remote_ip`" + ` metadata added by the app:

`)
	s.WriteString("```\n" + phoenixExample(phx, "01:20:00") + "```\n\n")
	s.WriteString(`Each request has a start line and a ` + "`Sent STATUS in N`" + ` line (` + "`ms`" + `, or ` + "`µs`" + `
under a millisecond), 1–40 ms apart, so under load the lines of different
requests interleave. Every successful sign-up, genuine or not, logs
` + "`[info] user registered`" + ` in between, so a rule can count the app's own
message. About 3 requests in 1000 crash: they have an ` + "`[error]`" + ` line
(shortened to its first line) and no ` + "`Sent`" + ` line; nginx logged them as 500.
The Phoenix log has no date: the day is 2026-11-27, UTC.

Figures:

`)
	s.WriteString(fileReport("signup-flood.log", nginx, reqs))
	s.WriteString(fileReport("signup-flood-phoenix.log", phx, nil))
	fmt.Fprintf(&s, "- Phoenix: %d requests (%d crashed, without a `Sent` line), %d `user registered` lines\n",
		len(dyn), len(crashed), len(registered))
	s.WriteString(formReport(where(reqs, func(q request) bool { return q.actor != actorSignupBot })))
	s.WriteString("\nThe attack (`signup-bot` requests only):\n\n")
	s.WriteString(burstReport(bots, 10))
	return result{
		samples: []sample{{"signup-flood.log", nginx}, {"signup-flood-phoenix.log", phx}},
		section: s.String(),
	}
}

// quietDay is a whole ordinary day: the false-positive check.
func quietDay() result {
	tr := newTraffic(0x2026_1125)
	from, to := at(2026, 11, 25, 0, 0, 0), at(2026, 11, 26, 0, 0, 0)
	ramp := dayRamp(0.015, 0.36, 12)
	burstFrom, burstTo := at(2026, 11, 25, 7, 40, 0), at(2026, 11, 25, 7, 50, 0)
	feedChanged := at(2026, 11, 25, 11, 2, 0)

	tr.visitors(from, to, 0.4, ramp)
	tr.crawl(googlebot, from, burstFrom, 30*time.Second, 2*time.Second)
	tr.crawl(googlebot, burstFrom, burstTo, 500*time.Millisecond, 300*time.Millisecond)
	tr.crawl(googlebot, burstTo, to, 30*time.Second, 2*time.Second)
	tr.poll(uptimeRobot, from, to, 5*time.Minute, time.Time{})
	for i, every := range []time.Duration{30 * time.Minute, 15 * time.Minute, 45 * time.Minute, time.Hour} {
		tr.poll(feedPollers[i], from, to, every, feedChanged)
	}
	tr.signups(tr.times(20, from, to, 0.4, ramp))
	tr.logins(tr.times(72, from, to, 0.4, ramp), 0.06)
	mistyper := at(2026, 11, 25, 10, 17, 23)
	tr.login(mistyper, 3)
	scanner := tr.scan(at(2026, 11, 25, 3, 12, 4), 40, 2*time.Minute)
	for _, t := range tr.times(5, from, to, 0.4, ramp) {
		tr.appError(t)
	}

	reqs := window(tr.reqs, from, to)
	nginx := nginxCombined(reqs)
	crawlerPeak := countBy(where(reqs, byActor(actorCrawler)), func(q request) string { return q.end().Format("15:04") })

	var s strings.Builder
	s.WriteString(`## quiet-day.log

All of 2026-11-25 (UTC) on the same site, with nothing wrong: the
false-positive check. Human traffic follows a smooth daily ramp: about
0.02 requests a second in the small hours (lowest around 04:00), rising
from late morning to about 0.4 a second (all senders) around 15:00, the
busy part of the day being roughly 12:00–18:00, and back down in the
evening (the hourly counts are below). On top of it:

- Googlebot about once every 30 s all day, from six addresses in
  66.249.64.0/19, and one burst at about 2 requests a second from 07:40:00
  to 07:50:00; bingbot is not in this file.
- four feed readers polling ` + "`/blog/feed.xml`" + ` every 15–60 min (304 until a
  post is published at 11:02, then one 200 each), and an uptime monitor's
  ` + "`HEAD /`" + ` every 5 minutes.
- ~20 genuine sign-ups (` + "`GET /users/register`" + `, then ` + "`POST`" + ` → 302; a few hit
  a validation error first, 200), ~80 log-ins with about 10% failures (200
  re-render), including one user at 10:17 who mistypes three times in a row
  before getting in.
- at 03:12 one scanner (` + "`" + scanner + "`" + `) sends 40 404 probes over two minutes.
- five 500s, spread over the day.

Figures:

`)
	s.WriteString(fileReport("quiet-day.log", nginx, reqs))
	s.WriteString(formReport(reqs))
	fmt.Fprintf(&s, "- busiest crawler minute: %s with %d requests\n", crawlerPeak[0].key, crawlerPeak[0].count)
	fmt.Fprintf(&s, "- scanner %s: %d requests, %s\n", scanner, len(where(reqs, func(q request) bool { return q.ip == scanner })),
		statusList(where(reqs, func(q request) bool { return q.ip == scanner })))
	s.WriteString("- requests per hour (all senders, then visitors only):\n\n")
	s.WriteString(hourTable(reqs, 0, 24))
	return result{samples: []sample{{"quiet-day.log", nginx}}, section: s.String()}
}

// hourTable is a Markdown table of the requests in each hour from the
// hour from on, n hours (nginx time): all senders, then visitors only.
func hourTable(reqs []request, from, n int) string {
	var head, all, humans []string
	for h := from; h < from+n; h++ {
		inHour := func(q request) bool { return q.end().Hour() == h }
		head = append(head, fmt.Sprintf("%02d", h))
		all = append(all, fmt.Sprint(len(where(reqs, inHour))))
		humans = append(humans, fmt.Sprint(len(where(reqs, func(q request) bool { return inHour(q) && q.actor == actorVisitor }))))
	}
	row := func(name string, cells []string) string {
		return "  | " + name + " | " + strings.Join(cells, " | ") + " |\n"
	}
	return row("hour", head) + "  |" + strings.Repeat("---|", n+1) + "\n" + row("all", all) + row("visitors", humans)
}

// credentialStuffing is a distributed log-in attack on an ordinary
// afternoon, with one brute-forcing address at the end.
func credentialStuffing() result {
	tr := newTraffic(0x2026_1126_14)
	from, to := at(2026, 11, 26, 14, 0, 0), at(2026, 11, 26, 14, 30, 0)
	attack := at(2026, 11, 26, 14, 10, 0)
	const bruteIP = "198.51.100.23"

	tr.visitors(from, to, 1.3, constant(1.3))
	tr.crawl(googlebot, from, to, 20*time.Second, time.Second)
	tr.poll(uptimeRobot, from, to, 5*time.Minute, time.Time{})
	tr.poll(feedPollers[0], from, to, 30*time.Minute, time.Time{})
	tr.signups(tr.times(1, from, to, 1, constant(1)))
	tr.logins(tr.times(18, from, to, 1, constant(1)), 0.1)
	tr.appError(at(2026, 11, 26, 14, 21, 37))
	tr.flood(flood{
		actor: actorStuffer, path: "/users/log_in", from: attack, seconds: 180,
		perSecLo: 20, perSecHi: 30,
		perIP:    []float64{50, 50},
		prefixes: 2200, refererShare: 0.2,
		outcome: func(tr *traffic) (int, int, string) {
			if tr.chance(0.02) {
				return 302, scenario.RedirectBytes("/dashboard"), ""
			}
			return 200, scenario.LoginErrorBytes + tr.between(-8, 8), ""
		},
	})
	tr.bruteForce(bruteIP, "python-requests/2.32.4", "/users/log_in", attack.Add(2*time.Minute), 60, 15, 200, scenario.LoginErrorBytes)

	reqs := window(tr.reqs, from, to)
	nginx := nginxCombined(reqs)

	var s strings.Builder
	s.WriteString(`## credential-stuffing.log

2026-11-26, 14:00:00 to 14:30:00 (UTC), nginx combined. An ordinary
afternoon (visitors, Googlebot, genuine log-ins with the odd wrong
password) until, at **14:10:00** for **3 minutes**, bots replay leaked
credentials against ` + "`POST /users/log_in`" + `: about 25 a second from about 3,000
addresses, each sending one or two, straight to the form. 98% fail (200,
the form re-rendered with "Invalid email or password"), 2% get in (302 to
/dashboard). In the last minute of the burst, from **14:12:00** to
**14:13:00**, one address, ` + "`" + bruteIP + "`" + `, brute-forces the same form at 15
requests a second, every attempt failing. From 14:13:00 the afternoon is
ordinary again.

Figures:

`)
	s.WriteString(fileReport("credential-stuffing.log", nginx, reqs))
	s.WriteString(formReport(where(reqs, byActor(actorVisitor))))
	s.WriteString("\nThe distributed stuffing (`stuffing-bot` requests only):\n\n")
	s.WriteString(burstReport(where(reqs, byActor(actorStuffer)), 5))
	s.WriteString("\nThe brute force (`brute-force` requests only):\n\n")
	s.WriteString(burstReport(where(reqs, byActor(actorBrute)), 1))
	return result{samples: []sample{{"credential-stuffing.log", nginx}}, section: s.String()}
}

// fiveXXStorm is a busy morning during which the upstream goes down for
// four minutes.
func fiveXXStorm() result {
	tr := newTraffic(0x2026_1126_09)
	from, to := at(2026, 11, 26, 9, 0, 0), at(2026, 11, 26, 9, 30, 0)
	down, up := at(2026, 11, 26, 9, 12, 0), at(2026, 11, 26, 9, 16, 0)
	const readTimeout = 60 * time.Second // nginx's proxy_read_timeout
	tr.outage = func(r *rand.Rand, t time.Time) (int, time.Duration) {
		if t.Before(down) || !t.Before(up) {
			return 0, 0
		}
		switch u := r.Float64(); {
		case u < 0.04 && t.Add(readTimeout).Before(up):
			// Connections the dying app accepted and never answered.
			return 504, readTimeout
		case u < 0.94:
			return 502, time.Duration(300+r.IntN(2700)) * time.Microsecond // connection refused
		}
		return 0, 0 // one of the app's restarts got through
	}

	tr.visitors(from, to, 4, constant(4))
	tr.crawl(googlebot, from, to, 15*time.Second, time.Second)
	tr.poll(uptimeRobot, from, to, 5*time.Minute, time.Time{})
	tr.signups(tr.times(2, from, to, 1, constant(1)))
	tr.logins(tr.times(30, from, to, 1, constant(1)), 0.08)

	reqs := window(tr.reqs, from, to)
	nginx := nginxCombined(reqs)
	during := where(reqs, func(q request) bool { return !q.end().Before(down) && q.end().Before(up) })
	before := where(reqs, func(q request) bool { return q.end().Before(down) })
	after := where(reqs, func(q request) bool { return !q.end().Before(up) })
	errs := where(reqs, func(q request) bool { return q.status >= 500 })
	rate := func(rs []request, d time.Duration) float64 { return float64(len(rs)) / d.Seconds() }

	var s strings.Builder
	s.WriteString(`## 5xx-storm.log

2026-11-26, 09:00:00 to 09:30:00 (UTC), nginx combined. A busy morning at
about 4 requests a second until, at **09:12:00**, the Phoenix upstream goes
down for **4 minutes**. Assets are served by the app (Plug.Static), so
every request goes upstream: about 90% are answered 502 at once (nginx's
157-byte "Bad Gateway" page), about 4% hang until nginx's 60 s
` + "`proxy_read_timeout`" + ` and are logged as 504 (these started 09:12–09:15,
so they are stamped 09:13–09:16), and the rest slip through while the app
restarts. A page that fails loads no assets, and people reload once or
twice and leave, so the request rate drops during the outage too. At
09:16:00 the upstream is back and traffic returns to normal.

Figures:

`)
	s.WriteString(fileReport("5xx-storm.log", nginx, reqs))
	fmt.Fprintf(&s, "- request rate: %.2f/s before 09:12:00, %.2f/s from 09:12:00 to 09:16:00, %.2f/s after\n",
		rate(before, down.Sub(from)), rate(during, up.Sub(down)), rate(after, to.Sub(up)))
	fmt.Fprintf(&s, "- 09:12:00–09:16:00 (nginx time): %d requests, %s\n", len(during), statusList(during))
	fmt.Fprintf(&s, "- 5xx in the whole file: %d, first stamped %s, last %s\n",
		len(errs), errs[0].end().Format("15:04:05"), errs[len(errs)-1].end().Format("15:04:05"))
	s.WriteString(formReport(where(reqs, func(q request) bool { return q.status < 500 })))
	return result{samples: []sample{{"5xx-storm.log", nginx}}, section: s.String()}
}

// benignRamp is a morning whose traffic slowly triples over two hours and
// stays there: the false-positive check for learned baselines.
func benignRamp() result {
	tr := newTraffic(0x2026_1124_25)
	from, to := at(2026, 11, 24, 6, 0, 0), at(2026, 11, 24, 10, 0, 0)
	top := at(2026, 11, 24, 8, 0, 0)
	const lo, hi = 0.24, 0.82 // visitors' requests a second at 06:00 and from 08:00
	rate := ramp(lo, hi, from, top)

	tr.visitors(from, to, hi, rate)
	tr.crawl(googlebot, from, to, 20*time.Second, time.Second)
	tr.poll(uptimeRobot, from, to, 5*time.Minute, time.Time{})
	tr.poll(feedPollers[0], from, to, 30*time.Minute, time.Time{})
	tr.poll(feedPollers[2], from, to, 45*time.Minute, time.Time{})
	tr.signups(tr.times(8, from, to, hi, rate))
	tr.logins(tr.times(30, from, to, hi, rate), 0.06)
	scanner := tr.scan(at(2026, 11, 24, 7, 24, 51), 2, 5*time.Second)
	for _, t := range tr.times(2, from, to, hi, rate) {
		tr.appError(t)
	}

	reqs := window(tr.reqs, from, to)
	nginx := nginxCombined(reqs)
	perSec := func(rs []request, d time.Duration) string { return fmt.Sprintf("%.2f/s", float64(len(rs))/d.Seconds()) }
	in := func(rs []request, a, b time.Time) []request {
		return where(rs, func(q request) bool { return !q.end().Before(a) && q.end().Before(b) })
	}
	crawls := where(reqs, byActor(actorCrawler))
	crawlerSec := countBy(crawls, func(q request) string { return q.end().Format("15:04:05") })
	crawlerMin := countBy(crawls, func(q request) string { return q.end().Format("15:04") })
	notFound := where(reqs, func(q request) bool { return q.status == 404 })

	var s strings.Builder
	s.WriteString(`## benign-ramp.log

2026-11-24, 06:00:00 to 10:00:00 (UTC), nginx combined. An ordinary
morning on the same site with nothing wrong: the false-positive check for
rules that learn what is normal. Traffic grows slowly and smoothly (along
a raised cosine) to three times its early rate: from about 0.3 requests a
second at **06:00** to about 0.9 a second at **08:00**, two hours later,
then it stays near 0.9 a second until 10:00. (The rates are the ones that
keep the file under 3 MB; the shape, a 3× rise over two hours, is the
point.) The mix is the usual one:

- people browsing (each page followed by its assets within about a
  second), and signed-in users working in the app, following the ramp.
- Googlebot about once every 20 s, never faster than one request a second;
  an uptime monitor's ` + "`HEAD /`" + ` every 5 minutes and two feed readers.
- a few genuine sign-ups and log-ins (a few mistyped passwords, 200),
  spread along the ramp.
- at 07:24 one scanner (` + "`" + scanner + "`" + `) probes two paths (404); the crawler
  asks for a few pages that went away (404).
- two 500s.

Figures:

`)
	s.WriteString(fileReport("benign-ramp.log", nginx, reqs))
	s.WriteString(formReport(reqs))
	var hours, quarters []string
	for h := from; h.Before(to); h = h.Add(time.Hour) {
		rs := in(reqs, h, h.Add(time.Hour))
		hours = append(hours, fmt.Sprintf("%s %s (visitors %s)", h.Format("15"), perSec(rs, time.Hour), perSec(where(rs, byActor(actorVisitor)), time.Hour)))
	}
	for q := from; q.Before(to); q = q.Add(15 * time.Minute) {
		quarters = append(quarters, fmt.Sprintf("%s %.2f", q.Format("15:04"), float64(len(in(reqs, q, q.Add(15*time.Minute))))/900))
	}
	fmt.Fprintf(&s, "- request rate by hour (all senders, visitors only): %s\n", strings.Join(hours, ", "))
	fmt.Fprintf(&s, "- request rate by quarter hour (all senders, per second): %s\n", strings.Join(quarters, ", "))
	fmt.Fprintf(&s, "- 06:00–06:30: %s; 08:00–10:00: %s (%.1f×)\n", perSec(in(reqs, from, from.Add(30*time.Minute)), 30*time.Minute),
		perSec(in(reqs, top, to), 2*time.Hour),
		float64(len(in(reqs, top, to)))/4/float64(len(in(reqs, from, from.Add(30*time.Minute)))))
	fmt.Fprintf(&s, "- crawler: %d requests, at most %d in a second, busiest minute %s with %d\n",
		len(crawls), crawlerSec[0].count, crawlerMin[0].key, crawlerMin[0].count)
	fmt.Fprintf(&s, "- 404s: %d (%s)\n", len(notFound), keyList(countBy(notFound, func(q request) string { return q.path }), 10))
	s.WriteString("- requests per hour (all senders, then visitors only):\n\n")
	s.WriteString(hourTable(reqs, 6, 4))
	return result{samples: []sample{{"benign-ramp.log", nginx}}, section: s.String()}
}

// clientFlood is a busy afternoon of thousands of clients, during which
// one scraper fetches product pages at 50 a second for three minutes.
func clientFlood() result {
	tr := newTraffic(0x2026_1123_15)
	from, to := at(2026, 11, 23, 15, 0, 0), at(2026, 11, 23, 15, 30, 0)
	attack := at(2026, 11, 23, 15, 15, 0)
	const scraperIP, scraperUA = "203.0.113.50", "python-requests/2.32.3"

	tr.visitors(from, to, 1.2, constant(1.2))
	tr.readers(from, to, 2.5)
	tr.crawl(googlebot, from, to, 15*time.Second, time.Second)
	tr.crawl(bingbot, from, to, 40*time.Second, 2*time.Second)
	tr.poll(uptimeRobot, from, to, 5*time.Minute, time.Time{})
	tr.poll(feedPollers[3], from, to, 15*time.Minute, time.Time{})
	tr.signups(tr.times(3, from, to, 1, constant(1)))
	tr.logins(tr.times(20, from, to, 1, constant(1)), 0.08)
	tr.scrape(scraperIP, scraperUA, attack, 180, 50)

	reqs := window(tr.reqs, from, to)
	nginx := nginxCombined(reqs)
	others := where(reqs, func(q request) bool { return q.actor != actorScraper })
	ips := countBy(reqs, func(q request) string { return q.ip })
	otherIPs := countBy(others, func(q request) string { return q.ip })
	perMin := countBy(others, func(q request) string { return q.ip + " " + q.end().Format("15:04") })

	var s strings.Builder
	s.WriteString(`## client-flood.log

2026-11-23, 15:00:00 to 15:30:00 (UTC), nginx combined. A busy afternoon
from thousands of clients: people browsing and using the app, many
readers following links to one blog post each (the post and its cover
image, assets cached), Googlebot and bingbot, an uptime monitor, a feed
reader, a few sign-ups and log-ins: about 4 requests a second in all
(the rate that keeps the file, with the scraper's 9,000 lines, under
3 MB), from about 2,500 addresses. No ordinary client sends more than a
few dozen requests a minute.

At **15:15:00**, for **3 minutes**, one scraper, ` + "`" + scraperIP + "`" + ` with
` + "`" + scraperUA + "`" + `, fetches ` + "`/products/NNN`" + ` pages 50 times a second,
evenly (` + "`GET`" + `, 200, sizes varying by page), and at 15:18:00 it stops.

Figures:

`)
	s.WriteString(fileReport("client-flood.log", nginx, reqs))
	fmt.Fprintf(&s, "- distinct client IPs: **%d** in the whole file (%d besides the scraper)\n", len(ips), len(otherIPs))
	fmt.Fprintf(&s, "- everyone but the scraper: %.2f requests a second; busiest address %s with %d requests in the file, at most %d in a minute (%s)\n",
		float64(len(others))/to.Sub(from).Seconds(), otherIPs[0].key, otherIPs[0].count, perMin[0].count, perMin[0].key)
	s.WriteString(formReport(others))
	s.WriteString("\nThe scraper (`scraper` requests only):\n\n")
	s.WriteString(burstReport(where(reqs, byActor(actorScraper)), 1))
	return result{samples: []sample{{"client-flood.log", nginx}}, section: s.String()}
}

// phoenixExample returns the lines of the first request logged as
// "user registered" at or after since.
func phoenixExample(phx []byte, since string) string {
	var id []byte
	for l := range bytes.Lines(phx) {
		if string(l[:len(since)]) >= since && bytes.HasSuffix(l, []byte("[info] user registered\n")) {
			id, _, _ = bytes.Cut(l[len("00:00:00.000 "):], []byte(" "))
			break
		}
	}
	var b strings.Builder
	for l := range bytes.Lines(phx) {
		if id != nil && bytes.Contains(l, id) {
			b.Write(l)
		}
	}
	return b.String()
}
