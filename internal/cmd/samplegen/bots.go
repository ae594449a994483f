package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/sentinel-dev/sentinel/internal/scenario"
)

// flood is a distributed bot attack on one form: many addresses, a few
// requests each, posting straight to the form without loading it.
type flood struct {
	actor              string
	path               string
	from               time.Time
	seconds            int
	perSecLo, perSecHi int       // requests started in each second
	heavy              int       // addresses that send far more than the rest…
	heavyLo, heavyHi   int       // …this many requests each
	perIP              []float64 // weights of 1, 2, 3… requests for the other addresses
	prefixes           int       // how many /16s the addresses are drawn from
	refererShare       float64   // share of bots that send the form's URL as referer
	outcome            func(tr *traffic) (status, bytes int, appMsg string)
}

// flood runs f. Each second gets between perSecLo and perSecHi requests at
// random sub-second times; the requests are dealt to the addresses at
// random, so every address is spread over the whole burst.
func (tr *traffic) flood(f flood) {
	counts := make([]int, f.seconds)
	total := 0
	for i := range counts {
		counts[i] = tr.between(f.perSecLo, f.perSecHi)
		total += counts[i]
	}

	type bot struct{ ip, ua, referer string }
	nets := make([]string, 0, f.prefixes)
	seen := map[string]bool{}
	for len(nets) < f.prefixes {
		if p := tr.prefix16(); !seen[p] {
			seen[p] = true
			nets = append(nets, p)
		}
	}
	var bots []bot
	var slots []int // bot index of each request
	enlist := func(n int) {
		b := bot{ip: tr.ipIn(scenario.Pick(tr.r, nets)), ua: scenario.Pick(tr.r, scenario.BotUAs), referer: "-"}
		if tr.chance(f.refererShare) {
			b.referer = siteURL + f.path
		}
		for range n {
			slots = append(slots, len(bots))
		}
		bots = append(bots, b)
	}
	for range f.heavy {
		enlist(tr.between(f.heavyLo, f.heavyHi))
	}
	for len(slots) < total {
		enlist(min(scenario.Weighted(tr.r, f.perIP)+1, total-len(slots)))
	}
	tr.r.Shuffle(len(slots), func(i, j int) { slots[i], slots[j] = slots[j], slots[i] })

	end := f.from.Add(time.Duration(f.seconds) * time.Second)
	next := 0
	for s, n := range counts {
		offs := make([]int64, n)
		for i := range offs {
			offs[i] = tr.r.Int64N(int64(time.Second))
		}
		slices.Sort(offs)
		for _, off := range offs {
			b := bots[slots[next]]
			next++
			start := f.from.Add(time.Duration(s)*time.Second + time.Duration(off))
			dur := tr.appDur()
			if !start.Add(dur).Before(end) {
				start = end.Add(-dur - time.Millisecond) // the burst ends on time in both logs
			}
			status, bytes, msg := f.outcome(tr)
			tr.emit(request{start: start, dur: dur, ip: b.ip, method: "POST", path: f.path, status: status, bytes: bytes,
				referer: b.referer, ua: b.ua, actor: f.actor, appMsg: msg})
		}
	}
}

// bruteForce is one address posting to a form perSec times a second for
// the given number of seconds, every answer the same.
func (tr *traffic) bruteForce(ip, ua, path string, from time.Time, seconds, perSec, status, bytes int) {
	tr.steady(request{ip: ip, method: "POST", path: path, status: status, referer: "-", ua: ua, actor: actorBrute},
		from, seconds, perSec, func(q *request) { q.bytes = bytes + tr.between(-8, 8) })
}

// scrape is one address fetching product pages perSec times a second for
// the given number of seconds, in no particular order (ids 100–999, so
// some pages twice); each page has its own size, give or take a few bytes.
func (tr *traffic) scrape(ip, ua string, from time.Time, seconds, perSec int) {
	tr.steady(request{ip: ip, method: "GET", status: 200, referer: "-", ua: ua, actor: actorScraper},
		from, seconds, perSec, func(q *request) {
			id := tr.between(100, 999)
			q.path = fmt.Sprintf("/products/%d", id)
			q.bytes = 9000 + id*7919%26000 + tr.between(-40, 40)
		})
}

// steady sends copies of q from one client perSec times a second for the
// given number of seconds, evenly spaced with a little jitter; vary fills
// in what differs between requests. Requests that would end after the
// last second end just before it, so the burst stops on time.
func (tr *traffic) steady(q request, from time.Time, seconds, perSec int, vary func(q *request)) {
	step := time.Second / time.Duration(perSec)
	end := from.Add(time.Duration(seconds) * time.Second)
	for i := range seconds * perSec {
		r := q
		r.start = from.Add(time.Duration(i)*step + tr.jitter(0, step/3))
		r.dur = tr.appDur()
		vary(&r)
		if !r.end().Before(end) {
			r.start = end.Add(-r.dur - time.Millisecond)
		}
		tr.emit(r)
	}
}
