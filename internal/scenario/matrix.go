package scenario

import (
	"fmt"
	"math"
	"time"
)

// Sizes are the sites of the matrix, by mean request rate over the day:
// a hobby site to a busy shop (issue 13).
var Sizes = []float64{0.2, 2, 20, 50, 200, 300}

// Row is one line of the matrix: a kind of day, run at every size.
type Row struct {
	Name string
	// Doc says in a sentence what the row is, for the docs.
	Doc    string
	Kind   Kind
	Format string
	// Rails runs the site on Rails and Devise instead of Phoenix.
	Rails bool
	// At is the attack's time of day (ignored for a benign row).
	At time.Duration
	// Attack schedules the attack on the site and returns its truth; nil
	// for an ordinary day, which is judged on staying quiet.
	Attack func(s *site, p *Profile, at time.Time) Truth
	// Adjust changes the size's ordinary profile for this row.
	Adjust func(p *Profile)
	// Length is how long the attack goes on (its lines may come later),
	// for the window: the log runs on for a while after it.
	Length time.Duration
	// Variant marks a row that replays another row's traffic in another
	// log format (or on another framework); Core a row whose outcome
	// depends most on the site's size (ordinary traffic that may look
	// like an attack, an attack hidden in a big site's traffic). See
	// [Included].
	Variant, Core bool
}

// Benign reports whether the row is an ordinary day.
func (r *Row) Benign() bool { return r.Attack == nil }

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

// Rows are the matrix's rows, in table order: ordinary days first, then
// the attacks of issue 13, then the shapes of issue 19.
var Rows = []*Row{
	{Name: "benign", Doc: "an ordinary day (nginx combined log), with a 20 s deploy", Core: true, Format: FormatCombined},
	{Name: "benign-no-address", Doc: "the same day as Phoenix's default Logger writes it on Fly.io: no client address", Variant: true, Format: FormatFly},
	{Name: "benign-proxy", Doc: "the same day behind a load balancer whose address nginx logs for every client", Variant: true, Format: FormatProxy},
	{Name: "benign-proxy-xff", Doc: "the same day behind the same load balancer, nginx's main format logging the X-Forwarded-For", Variant: true, Format: FormatProxyXFF},
	{Name: "benign-merged", Doc: "the same day from three servers, merged by a log shipper out of order (batches, clock skew)", Variant: true, Format: FormatMerged},
	{Name: "marketing-blast", Doc: "a marketing e-mail: thousands of people click through in minutes and one in ten signs up (at most a warning)",
		Length: 30 * time.Minute, Format: FormatCombined, At: hm(10, 0), Attack: func(s *site, p *Profile, at time.Time) Truth {
			return blast(s, at, max(3000, int(100*p.Size)))
		}},
	{Name: "signup-flood", Doc: "the founding story: 240 sign-up posts a second from thousands of addresses, for 2 minutes",
		Length: 2 * time.Minute, Format: FormatCombined, At: hm(1, 20), Attack: flood},
	{Name: "signup-drip", Doc: "a sign-up every 10 s for 30 minutes, each from a new address of a pool of 500, no page load",
		Length: 30 * time.Minute, Core: true, Format: FormatCombined, At: hm(9, 30), Attack: func(s *site, _ *Profile, at time.Time) Truth { return signupDrip(s, at) }},
	{Name: "stuffing-spread", Doc: "credential stuffing: 25 failed log-ins a second from about 3,000 addresses, one or two each, for 3 minutes",
		Length: 3 * time.Minute, Format: FormatCombined, At: hm(14, 10), Attack: func(s *site, _ *Profile, at time.Time) Truth { return stuffingSpread(s, at, 20, 30) }},
	{Name: "stuffing-burst", Doc: "brute force: one address, 8 failed log-ins a second for 5 minutes",
		Length: 5 * time.Minute, Format: FormatCombined, At: hm(10, 30), Attack: func(s *site, _ *Profile, at time.Time) Truth { return bruteForce(s, at, 8) }},
	{Name: "hostile-client", Doc: "one address fetching 50 pages a second for 3 minutes",
		Length: 3 * time.Minute, Format: FormatCombined, At: hm(15, 15), Attack: func(s *site, _ *Profile, at time.Time) Truth { return hostileClient(s, at, 50) }},
	{Name: "scraper-24", Doc: "a scraper at 20 pages a second for 10 minutes, each request from a random address of one /24",
		Length: 10 * time.Minute, Format: FormatCombined, At: hm(11, 0), Attack: func(s *site, _ *Profile, at time.Time) Truth { return rotatingScraper(s, at, false, 20) }},
	{Name: "scraper-64", Doc: "the same scraper rotating through one IPv6 /64: a new address for every request",
		Length: 10 * time.Minute, Format: FormatCombined, At: hm(16, 0), Attack: func(s *site, _ *Profile, at time.Time) Truth { return rotatingScraper(s, at, true, 20) }},
	{Name: "outage", Doc: "the app down for 4 minutes behind nginx: 502s and 504s",
		Length: 4 * time.Minute, Format: FormatCombined, At: hm(9, 12), Attack: func(s *site, _ *Profile, at time.Time) Truth { return outage(s, at, 1) }},
	{Name: "log-stops", Doc: "the log goes silent for 15 minutes, then comes back",
		Length: 15 * time.Minute, Format: FormatCombined, At: hm(13, 0), Attack: func(s *site, _ *Profile, at time.Time) Truth { return logStops(s, at) }},
	{Name: "flood-no-address", Doc: "the sign-up flood in Phoenix's default Logger on Fly.io (no client address)",
		Variant: true, Length: 2 * time.Minute, Format: FormatFly, At: hm(1, 20), Attack: flood},
	{Name: "flood-proxy", Doc: "the sign-up flood behind a load balancer whose address nginx logs",
		Variant: true, Length: 2 * time.Minute, Format: FormatProxy, At: hm(1, 20), Attack: flood},
	{Name: "flood-proxy-xff", Doc: "the sign-up flood behind the same load balancer, nginx's main format logging the X-Forwarded-For",
		Variant: true, Length: 2 * time.Minute, Format: FormatProxyXFF, At: hm(1, 20), Attack: flood},
	{Name: "flood-merged", Doc: "the sign-up flood in three servers' logs merged out of order",
		Variant: true, Length: 2 * time.Minute, Format: FormatMerged, At: hm(1, 20), Attack: flood},
	{Name: "api-office-nat", Doc: "issue 19: a B2B ordering API behind a single-page app (CORS preflights, token refreshes), one office NAT at 4.5% of the requests",
		Kind: API, Core: true, Format: FormatCombined},
	{Name: "mobile-carrier-nat", Doc: "issue 19: half the traffic from the mobile app, up to 165 polling sessions behind one carrier NAT address",
		Core: true, Format: FormatCombined, Adjust: func(p *Profile) {
			p.MobileShare = 0.5
			p.CarrierSessions = int(math.Ceil(165 * min(1, p.Size/200)))
		}},
	{Name: "heroku-drain", Doc: "issue 19: a Rails (Devise) app's Heroku log drain; see DrainAppLines",
		Variant: true, Format: FormatHeroku, Rails: true},
	{Name: "heroku-signup-flood", Doc: "the sign-up flood on the Rails app (POST /users), in its Heroku drain",
		Variant: true, Length: 2 * time.Minute, Format: FormatHeroku, Rails: true, At: hm(1, 20), Attack: flood},
	{Name: "takeover-wave", Doc: "issue 19: account takeover on POST /api/v1/sessions, 2 a second from 2,000 residential addresses, 401 (within 5 minutes)",
		Kind: API, Length: 25 * time.Minute, Core: true, Format: FormatCombined, At: hm(20, 0), Attack: func(s *site, _ *Profile, at time.Time) Truth { return takeoverWave(s, at) }},
	{Name: "checkout-outage", Doc: "issue 19: POST /api/v1/checkout (5% of the requests) answers 500 for 5 minutes",
		Kind: API, Length: 5 * time.Minute, Core: true, Format: FormatCombined, At: hm(12, 0), Attack: func(s *site, _ *Profile, at time.Time) Truth { return checkoutOutage(s, at) }},
	{Name: "templates-outage", Doc: "GET /templates/:id (the template previews, 3% of the requests, each template its own path) answers 500 for 5 minutes while the rest of the site works",
		Length: 5 * time.Minute, Core: true, Format: FormatCombined, At: hm(15, 0), Attack: func(s *site, _ *Profile, at time.Time) Truth { return templatesOutage(s, at) }},
}

// flood is the founding story's flood for two minutes: the detection
// issue's own case ("after a 2-minute flood on a quiet site, traffic-drop
// fires five minutes later"); the story's bot went on for hours.
func flood(s *site, _ *Profile, at time.Time) Truth {
	return signupFlood(s, at, 2*time.Minute, 225, 255)
}

// ProfileFor is the ordinary profile of a site of the given size and
// kind. The log-in figures vary between sizes so that together they span
// the published range, with its top (3% of requests, a quarter failing)
// at the sizes where it weighs most.
func ProfileFor(kind Kind, size float64) Profile {
	login := map[float64][2]float64{0.2: {0.01, 0.10}, 2: {0.03, 0.25}, 20: {0.015, 0.15}, 50: {0.03, 0.25}, 200: {0.02, 0.20}, 300: {0.03, 0.25}}[size]
	if login[0] == 0 {
		login = [2]float64{0.02, 0.20}
	}
	p := Profile{
		Kind: kind, Framework: Phoenix, Size: size,
		LoginShare: login[0], LoginFail: login[1], SignupShare: 0.00035,
		MobileShare:     0.2,
		Offices:         []float64{0.02},           // an agency working in the app all day
		CarrierSessions: int(math.Ceil(size / 10)), // an ordinary carrier NAT address
		CheckoutShare:   0.05,                      // issue 19
	}
	if size >= 20 {
		p.Servers = int(math.Ceil(size / 60))
	}
	if kind == API {
		p.Offices = []float64{0.045, 0.02, 0.015} // issue 19: one office at 4.5% of a 115 req/s API
		p.CarrierSessions = 0
	}
	return p
}

// Mode is how much of the matrix runs, and on how much of each day.
type Mode int

const (
	// Pinned is the matrix go test runs and docs/rules.md pins, in about
	// half a minute of two cores: up to 20 requests a second every row on
	// whole days (or with hours of warm-up before the attack); at 50 a
	// second the rows that are not format variants, with an hour of
	// warm-up; at 300 a second the core rows with 45 minutes of warm-up;
	// nothing at 200 a second. A cell costs about a microsecond and a half
	// of CPU per line (generating it and replaying it), and an hour at 300
	// a second is 1.7 million lines.
	Pinned Mode = iota
	// Full runs every cell: the ordinary days whole (the format variants
	// six hours around the deploy), every attack after at least three
	// hours of warm-up (scripts/scenario-check).
	Full
	// Sweep runs SweepRows, the weaker attacks, on the pinned matrix's
	// windows and sizes.
	Sweep
)

// String names the mode.
func (m Mode) String() string {
	switch m {
	case Full:
		return "full"
	case Sweep:
		return "sweep"
	}
	return "pinned"
}

// Rows returns the rows mode m runs: SweepRows for Sweep, Rows otherwise.
func (m Mode) Rows() []*Row {
	if m == Sweep {
		return SweepRows
	}
	return Rows
}

// Included reports whether mode m runs row r at size.
func Included(r *Row, size float64, m Mode) bool {
	switch {
	case m == Full || size <= 20:
		return true
	case size <= 50:
		return !r.Variant
	case size >= 300:
		return r.Core
	}
	return false
}

// The day every scenario happens on, and its deploy.
var (
	day      = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	deployAt = hm(14, 30)
)

// window returns the simulated window of a row at a size in a mode.
func window(r *Row, size float64, m Mode) (from, to time.Time) {
	deploy := day.Add(deployAt)
	if r.Benign() {
		switch {
		case size <= 2 || m == Full && !r.Variant:
			return day, day.Add(24 * time.Hour)
		case m == Full:
			return deploy.Add(-4 * time.Hour), deploy.Add(2 * time.Hour)
		case size <= 20:
			return deploy.Add(-2 * time.Hour), deploy.Add(time.Hour)
		case size <= 50:
			return deploy.Add(-time.Hour), deploy.Add(30 * time.Minute)
		}
		return deploy.Add(-45 * time.Minute), deploy.Add(15 * time.Minute)
	}
	var warm, tail time.Duration
	switch {
	case size <= 0.2:
		warm, tail = 12*time.Hour, time.Hour
	case size <= 2:
		warm, tail = 6*time.Hour, time.Hour
	case m == Full:
		warm, tail = 3*time.Hour, time.Hour
	case size <= 20:
		warm, tail = 90*time.Minute, 20*time.Minute
	case size <= 50:
		warm, tail = time.Hour, 15*time.Minute
	default:
		warm, tail = 45*time.Minute, 15*time.Minute
	}
	at := day.Add(r.At)
	return at.Add(-warm), at.Add(r.Length + tail)
}

// Build returns the scenario of row at size in mode m.
func Build(r *Row, size float64, m Mode) *Scenario {
	p := ProfileFor(r.Kind, size)
	if r.Rails {
		p.Framework = Rails
	}
	if r.Adjust != nil {
		r.Adjust(&p)
	}
	from, to := window(r, size, m)
	sc := &Scenario{Row: r, Profile: p, From: from, To: to, Seed: seedFor(r.Kind, size)}
	if !r.Benign() {
		sc.AttackAt = day.Add(r.At) // an early attack's warm-up starts the day before
	}
	if d := day.Add(deployAt); r.Benign() && !d.Before(from) && d.Before(to) {
		sc.DeployAt = d
	}
	return sc
}

// Reseed draws every cell's traffic anew: 0 (the default) gives the
// pinned draws, any other value the same sites, attacks and figures from
// other random draws (samplegen -seed), to see that a verdict does not
// hang on one draw. The pinned table in docs/rules.md is from draw 0.
var Reseed uint64

// seedFor gives every row of one kind and size the same ordinary traffic:
// what differs between two rows is the attack (or the format).
func seedFor(k Kind, size float64) uint64 {
	s := 0x5ce0_a210_0000_0000 ^ uint64(k)<<40 ^ math.Float64bits(size)
	if Reseed != 0 {
		s ^= Reseed * 0x9e37_79b9_7f4a_7c15
	}
	return s
}

// Find returns the row named name among rows.
func Find(rows []*Row, name string) (*Row, error) {
	for _, r := range rows {
		if r.Name == name {
			return r, nil
		}
	}
	return nil, fmt.Errorf("no scenario row %q", name)
}
