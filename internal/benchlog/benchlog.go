// Package benchlog writes large synthetic nginx combined logs for
// benchmarks, deterministic for a seed: browsing sessions from a few
// thousand clients (a page, then its assets), with log-ins and sign-ups,
// at a steady rate.
package benchlog

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

var (
	pages  = []string{"/", "/pricing", "/blog/launch", "/docs/getting-started", "/dashboard", "/settings", "/api/v1/items?page=2", "/users/log_in", "/users/register"}
	assets = []string{"/assets/app-3f2a.css", "/assets/app-91bc.js", "/images/logo.svg", "/favicon.ico", "/images/hero.webp", "/assets/vendor-77d1.js"}
	agents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	}
	statuses = []int{200, 200, 200, 200, 200, 200, 304, 302, 404, 200}
)

// Start is the time of the first line.
var Start = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// Mode shapes the traffic.
type Mode int

const (
	// Sessions is ordinary traffic: each client fetches a page and then
	// its assets, so consecutive lines often share a client.
	Sessions Mode = iota
	// Uniform picks every line's client at random from the pool: the worst
	// case for per-client counting, where nearly every line in a second
	// comes from a client not yet seen in it.
	Uniform
	// Flood is a sign-up flood where every line comes from a new address:
	// n lines, n distinct clients, for memory tests.
	Flood
	// Attack is Sessions with the founding story's attack in it: sign-up
	// posts at 240 a second from a pool of 4,000 addresses, for 15% of
	// the lines, starting at 40% of the log — what a replay of an
	// attack's night looks like.
	Attack
)

// AttackRate is the sign-up flood's rate in Attack mode, per second.
const AttackRate = 240

// session is one client's visit: the requests it still has to make.
type session struct {
	client, left, agent int
}

// Write writes n lines at linesPerSecond from a pool of 3,000 clients.
func Write(w io.Writer, n, linesPerSecond int, seed uint64, mode Mode) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	bw := bufio.NewWriterSize(w, 1<<16)
	step := time.Second / time.Duration(linesPerSecond)
	active := make([]session, 24) // visits in progress at once
	for i := range active {
		active[i] = session{client: rng.IntN(3000), left: 0, agent: rng.IntN(len(agents))}
	}
	// In Attack mode the flood takes 15% of the lines, and the sessions the
	// rest at their own rate: the log spans the sessions' time.
	floodLines := 0
	if mode == Attack {
		floodLines = n * 15 / 100
	}
	sessionStep := step
	floodStart := Start.Add(time.Duration(n-floodLines) * step * 2 / 5)
	floodStep := time.Second / AttackRate
	nextFlood, floods, sessions := floodStart, 0, 0
	for i := range n {
		t := Start.Add(time.Duration(sessions) * sessionStep)
		if floods < floodLines && !nextFlood.After(t) {
			a := rng.IntN(4000)
			_, err := fmt.Fprintf(bw, "%d.%d.%d.%d - - [%s] \"POST /users/register HTTP/1.1\" 302 76 \"https://example.com/users/register\" \"%s\"\n",
				100+a%100, a/100, 7, 1+a%250, nextFlood.Format("02/Jan/2006:15:04:05 -0700"), agents[a%3])
			if err != nil {
				return err
			}
			floods++
			nextFlood = floodStart.Add(time.Duration(floods) * floodStep)
			continue
		}
		sessions++
		var client, agent int
		path := ""
		switch mode {
		case Flood:
			_, err := fmt.Fprintf(bw, "%d.%d.%d.%d - - [%s] \"POST /users/register HTTP/1.1\" 302 76 \"-\" \"%s\"\n",
				1+i>>24&0xff, i>>16&0xff, i>>8&0xff, i&0xff, t.Format("02/Jan/2006:15:04:05 -0700"), agents[i%3])
			if err != nil {
				return err
			}
			continue
		case Uniform:
			client, agent = rng.IntN(3000), rng.IntN(len(agents))
			path = pages[rng.IntN(len(pages))]
		default:
			s := &active[rng.IntN(len(active))]
			if s.left == 0 { // a new visit: its page first
				*s = session{client: rng.IntN(3000), left: 3 + rng.IntN(12), agent: rng.IntN(len(agents))}
				path = pages[rng.IntN(len(pages))]
			} else {
				path = assets[rng.IntN(len(assets))]
			}
			s.left--
			client, agent = s.client, s.agent
		}
		method := "GET"
		status := statuses[rng.IntN(len(statuses))]
		if (path == "/users/log_in" || path == "/users/register") && rng.IntN(3) == 0 {
			// A form post: it mostly succeeds (302); one in twenty is a
			// mistyped password or a rejected form (200, re-rendered).
			method, status = "POST", 302
			if rng.IntN(20) == 0 {
				status = 200
			}
		}
		_, err := fmt.Fprintf(bw, "%d.%d.%d.%d - - [%s] \"%s %s HTTP/1.1\" %d %d \"https://example.com/\" \"%s\"\n",
			23+client%200, client/200, client%7, 1+client%250, t.Format("02/Jan/2006:15:04:05 -0700"),
			method, path, status, 200+rng.IntN(40000), agents[agent])
		if err != nil {
			return err
		}
	}
	return bw.Flush()
}
