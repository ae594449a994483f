package scenario

import (
	"net/netip"
	"strings"
	"time"
)

// Figures are what a generated log holds, counted from the requests (not
// from the log): how much, from whom, which answers, the busiest address.
// They show that a scenario has the shape the traffic-shapes figures
// describe; TestFigures checks them.
type Figures struct {
	From, To      time.Time
	Requests      int
	ByActor       [numActors]int
	ByClass       [6]int // by status class: [2] is 2xx
	Static        int
	LoginPosts    int // posts to a log-in path (the form or the API)
	LoginFailures int
	SignupPosts   int
	Preflights    int
	Checkout      int // requests to /api/v1/checkout
	// Clients and IPv6Clients count distinct addresses of people
	// (visitors and apps), up to maxTracked.
	Clients, IPv6Clients int
	// BusiestMinute is the most requests one address sent in a calendar
	// minute, by whom, and whether a NAT carried it.
	BusiestMinute      int
	BusiestAddr        netip.Addr
	BusiestActor       Actor
	BusiestMinuteHuman int // the same among people's addresses (visitors, apps)
	BusiestHumanAddr   netip.Addr
	// TopHuman is the people's address that sent the most requests in
	// the whole window (an office or carrier NAT), and how many.
	TopHuman      netip.Addr
	TopHumanCount int

	track      bool // count addresses (Clients, BusiestMinute): costs a map lookup a request
	seen       map[netip.Addr]int
	minute     int64
	perMinute  map[netip.Addr]int
	minuteWho  map[netip.Addr]Actor
	loginPaths map[string]bool
	signupPath string
}

// maxTracked bounds the addresses Figures remembers.
const maxTracked = 2_000_000

func newFigures(from, to time.Time, track bool) *Figures {
	return &Figures{From: from, To: to, track: track, seen: map[netip.Addr]int{}, perMinute: map[netip.Addr]int{}, minuteWho: map[netip.Addr]Actor{}}
}

func (f *Figures) frame(fw *Framework) {
	f.loginPaths = map[string]bool{fw.LoginPost: true, "/api/v1/sessions": true}
	f.signupPath = fw.RegisterPost
}

func (f *Figures) add(q *Request) {
	f.Requests++
	f.ByActor[q.Actor]++
	if c := q.Status / 100; c >= 1 && c <= 5 {
		f.ByClass[c]++
	}
	if q.Static {
		f.Static++
	}
	switch {
	case q.Method == "OPTIONS":
		f.Preflights++
	case q.Method == "POST" && f.loginPaths[q.Path]:
		f.LoginPosts++
		if q.Status == 200 || q.Status >= 400 {
			f.LoginFailures++
		}
	case q.Method == "POST" && q.Path == f.signupPath:
		f.SignupPosts++
	}
	if strings.HasPrefix(q.Path, "/api/v1/checkout") {
		f.Checkout++
	}
	if !f.track {
		return
	}
	if q.Actor == ActorVisitor || q.Actor == ActorApp {
		n, ok := f.seen[q.IP]
		if !ok && len(f.seen) < maxTracked {
			f.Clients++
			if q.IP.Is6() {
				f.IPv6Clients++
			}
		}
		if ok || len(f.seen) < maxTracked {
			f.seen[q.IP] = n + 1
			if n+1 > f.TopHumanCount {
				f.TopHuman, f.TopHumanCount = q.IP, n+1
			}
		}
	}
	if m := q.End().Unix() / 60; m != f.minute {
		f.closeMinute()
		f.minute = m
	}
	f.perMinute[q.IP]++
	f.minuteWho[q.IP] = q.Actor
}

func (f *Figures) closeMinute() {
	for ip, n := range f.perMinute {
		who := f.minuteWho[ip]
		if n > f.BusiestMinute || n == f.BusiestMinute && ip.Less(f.BusiestAddr) {
			f.BusiestMinute, f.BusiestAddr, f.BusiestActor = n, ip, who
		}
		if (who == ActorVisitor || who == ActorApp) && (n > f.BusiestMinuteHuman || n == f.BusiestMinuteHuman && ip.Less(f.BusiestHumanAddr)) {
			f.BusiestMinuteHuman, f.BusiestHumanAddr = n, ip
		}
	}
	clear(f.perMinute)
	clear(f.minuteWho)
}

// done completes the last minute.
func (f *Figures) done() {
	if f.track {
		f.closeMinute()
	}
}

// Count returns how many requests people sent from ip (tracked
// figures only).
func (f *Figures) Count(ip netip.Addr) int { return f.seen[ip] }

// Rate is the mean request rate over the window, requests a second.
func (f *Figures) Rate() float64 { return float64(f.Requests) / f.To.Sub(f.From).Seconds() }

// Share returns n as a share of all requests.
func (f *Figures) Share(n int) float64 {
	if f.Requests == 0 {
		return 0
	}
	return float64(n) / float64(f.Requests)
}
