package scenario

import (
	"net/netip"
	"time"
)

// Request is one HTTP request of a generated scenario, as the server saw
// it. Formats turn it into log lines (see [Format]).
type Request struct {
	Start   time.Time     // when the app saw the request (Phoenix and lograge log this)
	Dur     time.Duration // response time; nginx and Heroku's router log the line at Start+Dur
	IP      netip.Addr    // the client's address (its first X-Forwarded-For hop behind a proxy)
	Method  string
	Path    string // request target, with the query string
	Proto   string // "HTTP/1.1", "HTTP/2.0"
	Status  int
	Bytes   int // body bytes sent
	Referer string
	UA      string
	Static  bool   // an asset nginx serves from disk: absent from an app's own log, up during a deploy
	Edge    bool   // answered by the proxy in front (a 502 while the app is down): absent from the app's own log
	Actor   Actor  // who sent it
	AppMsg  string // an application line logged while handling it ("user registered")
	Job     string // a background job the request enqueued (Sidekiq lines in a Heroku drain)
}

// End is when the response was sent: the time nginx writes the line.
func (q *Request) End() time.Time { return q.Start.Add(q.Dur) }

// Actor says who sent a request: the figures group requests by it, and
// the judge never reads it (the detector sees only the log).
type Actor uint8

// The actors. Benign ones first; attackers from ActorSignupBot on.
const (
	ActorVisitor   Actor = iota // a person with a browser
	ActorApp                    // a person's mobile app or single-page app calling the API
	ActorCrawler                // a search engine's crawler
	ActorPoller                 // feed readers, uptime monitors, health checks, integrations
	ActorScanner                // a vulnerability scanner: background noise of the internet
	ActorSignupBot              // attackers from here on
	ActorStuffer
	ActorBrute
	ActorScraper
	numActors
)

var actorNames = [numActors]string{"visitor", "app", "crawler", "poller", "scanner", "signup-bot", "stuffing-bot", "brute-force", "scraper"}

// String returns the actor's name as the figures print it.
func (a Actor) String() string {
	if a < numActors {
		return actorNames[a]
	}
	return "unknown"
}

// Hostile reports whether the actor is an attacker.
func (a Actor) Hostile() bool { return a >= ActorSignupBot }
