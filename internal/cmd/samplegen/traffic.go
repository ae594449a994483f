package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/sentinel-dev/sentinel/internal/scenario"
)

// request is one HTTP request of a generated scenario. A scenario is built
// as a slice of requests in generation order; the writers sort them into
// log order.
type request struct {
	start   time.Time     // when the app saw the request (Phoenix logs this)
	dur     time.Duration // response time; nginx logs the line at start+dur
	ip      string
	method  string
	path    string // request target, with the query string
	proto   string // "HTTP/1.1", "HTTP/2.0"
	status  int
	bytes   int // body bytes sent
	referer string
	ua      string
	static  bool   // served by Plug.Static, so absent from the Phoenix log
	actor   string // who sent it: see the actor constants
	appMsg  string // application [info] line logged while handling it
	crash   string // Phoenix [error] line of a crashed request (no "Sent" line)
}

// end is the time nginx writes the line.
func (q request) end() time.Time { return q.start.Add(q.dur) }

// Actors. The summaries group requests by them.
const (
	actorVisitor   = "visitor"
	actorCrawler   = "crawler"
	actorPoller    = "poller"
	actorScanner   = "scanner"
	actorSignupBot = "signup-bot"
	actorStuffer   = "stuffing-bot"
	actorBrute     = "brute-force"
	actorScraper   = "scraper"
)

// traffic accumulates the requests of one scenario from one seeded source,
// so a scenario is a pure function of its seed.
type traffic struct {
	r    *rand.Rand
	reqs []request
	// crashRate is the share of dynamic requests that crash: nginx logs a
	// 500, Phoenix an [error] line and no "Sent" line.
	crashRate float64
	// outage, when set, says how the upstream answers a request started at
	// t: status 0 for normally, else the error status nginx logs and how
	// long nginx waited before giving up.
	outage func(r *rand.Rand, t time.Time) (status int, wait time.Duration)
	used   map[string]bool // addresses handed out, so actors don't share one
}

func newTraffic(seed uint64) *traffic {
	return &traffic{
		r:    rand.New(rand.NewPCG(seed, 0x5e17_1e1_da7a)),
		used: map[string]bool{},
	}
}

// emit records q after applying the scenario's failure modes, and returns
// the request as logged.
func (tr *traffic) emit(q request) request {
	if q.proto == "" {
		q.proto = "HTTP/1.1"
	}
	if tr.outage != nil {
		if st, wait := tr.outage(tr.r, q.start); st != 0 {
			q.status, q.bytes, q.dur = st, nginxErrorPageBytes[st], wait
			q.appMsg, q.crash = "", ""
			if q.method == "HEAD" {
				q.bytes = 0
			}
		}
	}
	if !q.static && tr.crashRate > 0 && q.status < 500 && tr.r.Float64() < tr.crashRate {
		q.status, q.bytes, q.appMsg = 500, len("Internal Server Error"), ""
		if q.actor == actorSignupBot {
			// Under the flood the Ecto pool runs dry and DBConnection
			// sheds requests that queued too long for a connection.
			q.crash = fmt.Sprintf("** (DBConnection.ConnectionError) connection not available and request was dropped from queue after %dms. This means requests are coming in and your connection pool cannot serve them fast enough.", max(1, q.dur.Milliseconds()))
		} else {
			q.crash = "** (DBConnection.ConnectionError) tcp recv (idle): closed"
		}
	}
	tr.reqs = append(tr.reqs, q)
	return q
}

// nginxErrorPageBytes are the sizes of nginx's built-in error pages.
var nginxErrorPageBytes = map[int]int{502: 157, 503: 159, 504: 167}

// between returns a uniform integer in [lo, hi].
func (tr *traffic) between(lo, hi int) int { return lo + tr.r.IntN(hi-lo+1) }

// chance reports true with probability p.
func (tr *traffic) chance(p float64) bool { return tr.r.Float64() < p }

// jitter returns a uniform duration in [lo, hi).
func (tr *traffic) jitter(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(tr.r.Int64N(int64(hi-lo)))
}

// gap returns an exponential duration with the given mean, at millisecond
// resolution so that float rounding never reaches the logs.
func (tr *traffic) gap(mean time.Duration) time.Duration {
	return ms(int(tr.r.ExpFloat64() * float64(mean/time.Millisecond)))
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// appDur is how long the app takes for a dynamic request: 1–40 ms, most
// under 15 ms, and now and then under a millisecond.
func (tr *traffic) appDur() time.Duration {
	if tr.chance(0.06) {
		return time.Duration(tr.between(180, 990)) * time.Microsecond
	}
	d := 1 + int(tr.r.ExpFloat64()*8)
	return time.Duration(min(d, 40))*time.Millisecond + time.Duration(tr.r.IntN(1000))*time.Microsecond
}

// staticDur is how long Plug.Static takes to send a file.
func (tr *traffic) staticDur() time.Duration {
	return time.Duration(tr.between(300, 4000)) * time.Microsecond
}

// ip returns a new public IPv4 address, never handed out before in this
// scenario.
func (tr *traffic) ip() string {
	for {
		a := tr.r.IntN(223) + 1
		b, c, d := tr.r.IntN(256), tr.r.IntN(256), tr.r.IntN(254)+1
		if !scenario.PublicNet16(a, b) {
			continue
		}
		if s := fmt.Sprintf("%d.%d.%d.%d", a, b, c, d); !tr.used[s] {
			tr.used[s] = true
			return s
		}
	}
}

// ipIn returns a new address inside the /16 prefix "a.b".
func (tr *traffic) ipIn(prefix string) string {
	for {
		s := fmt.Sprintf("%s.%d.%d", prefix, tr.r.IntN(256), tr.r.IntN(254)+1)
		if !tr.used[s] {
			tr.used[s] = true
			return s
		}
	}
}

// prefix16 returns a random public /16 as "a.b".
func (tr *traffic) prefix16() string {
	for {
		a, b := tr.r.IntN(223)+1, tr.r.IntN(256)
		if scenario.PublicNet16(a, b) {
			return fmt.Sprintf("%d.%d", a, b)
		}
	}
}

// arrivals returns the start times of a Poisson process on [from, to)
// whose rate per second is rate(t), by thinning one of rate maxRate.
func (tr *traffic) arrivals(from, to time.Time, maxRate float64, rate func(time.Time) float64) []time.Time {
	var ts []time.Time
	mean := time.Duration(float64(time.Second) / maxRate)
	for t := from.Add(tr.gap(mean)); t.Before(to); t = t.Add(tr.gap(mean)) {
		if tr.r.Float64()*maxRate < rate(t) {
			ts = append(ts, t)
		}
	}
	return ts
}

// dayRamp is the human request rate of the small site over a day, in
// requests per second: lowest (lo) at 04:00 UTC, highest (hi) at 15:00,
// rising and falling along a raised cosine raised to the power sharp (the
// higher, the shorter the busy part of the day).
func dayRamp(lo, hi float64, sharp int) func(time.Time) float64 {
	return func(t time.Time) float64 {
		h := float64(t.Hour()) + float64(t.Minute())/60 + float64(t.Second())/3600
		x := math.Mod(h-4+24, 24) // hours since 04:00
		var bump float64
		if x <= 11 {
			bump = (1 - math.Cos(math.Pi*x/11)) / 2
		} else {
			bump = (1 + math.Cos(math.Pi*(x-11)/13)) / 2
		}
		return lo + (hi-lo)*math.Pow(bump, float64(sharp))
	}
}

// ramp is a request rate that is lo until from, rises smoothly (along a
// raised cosine) to hi at to, and stays at hi after.
func ramp(lo, hi float64, from, to time.Time) func(time.Time) float64 {
	return func(t time.Time) float64 {
		x := float64(t.Sub(from)) / float64(to.Sub(from))
		x = max(0, min(1, x))
		return lo + (hi-lo)*(1-math.Cos(math.Pi*x))/2
	}
}
