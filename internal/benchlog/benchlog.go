// Package benchlog writes large synthetic nginx combined logs for
// benchmarks: ordinary browsing from a few thousand clients, crawlers,
// log-ins and sign-ups at a steady rate, deterministic for a seed.
package benchlog

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

var (
	paths = []string{"/", "/pricing", "/blog/launch", "/blog/feed.xml", "/docs/getting-started",
		"/assets/app-3f2a.css", "/assets/app-91bc.js", "/images/logo.svg", "/favicon.ico",
		"/users/log_in", "/users/register", "/api/v1/items?page=2", "/dashboard", "/settings"}
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

// Write writes n lines at linesPerSecond, from 3,000 clients.
func Write(w io.Writer, n, linesPerSecond int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	bw := bufio.NewWriterSize(w, 1<<16)
	step := time.Second / time.Duration(linesPerSecond)
	for i := range n {
		t := Start.Add(time.Duration(i) * step)
		client := rng.IntN(3000)
		path := paths[rng.IntN(len(paths))]
		method := "GET"
		if (path == "/users/log_in" || path == "/users/register") && rng.IntN(3) == 0 {
			method = "POST"
		}
		status := statuses[rng.IntN(len(statuses))]
		_, err := fmt.Fprintf(bw, "%d.%d.%d.%d - - [%s] \"%s %s HTTP/1.1\" %d %d \"https://example.com/\" \"%s\"\n",
			23+client%200, client/200, client%7, 1+client%250, t.Format("02/Jan/2006:15:04:05 -0700"),
			method, path, status, 200+rng.IntN(40000), agents[rng.IntN(len(agents))])
		if err != nil {
			return err
		}
	}
	return bw.Flush()
}
