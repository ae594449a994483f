package scenario

import (
	"fmt"
	"time"
)

// SweepRows are the matrix's attacks made weaker, a row per rate: how
// slow an attack the defaults still catch within its deadline on each
// size of site, and where they stop (docs/rules.md, "Weaker attacks").
// The attacks are the matrix's own (same shape, duration, time of day
// and offender); only the rate changes, or the share of requests an
// outage fails. They run on the pinned matrix's windows (samplegen
// -matrix sweep), at every size but 200 req/s: the 300 req/s site too,
// where the pinned matrix runs only its core rows.
var SweepRows = sweepRows()

func sweepRows() []*Row {
	var rows []*Row
	// add appends the matrix row base's attack at another rate or share,
	// named base-suffix, with base's time of day, length and format.
	add := func(base, suffix, doc string, attack func(s *site, at time.Time) Truth) {
		b, err := Find(Rows, base)
		if err != nil {
			panic(err) // a name in this file
		}
		rows = append(rows, &Row{Name: base + "-" + suffix, Doc: doc, Core: true, Format: b.Format, Length: b.Length, At: b.At,
			Attack: func(s *site, _ *Profile, at time.Time) Truth { return attack(s, at) }})
	}
	perSec := func(n int) string { return fmt.Sprintf("%d/s", n) }
	for _, n := range []int{2, 5, 15, 40} {
		add("signup-flood", perSec(n), fmt.Sprintf("the sign-up flood at %d posts a second", n),
			func(s *site, at time.Time) Truth { return signupFlood(s, at, 2*time.Minute, n, n) })
	}
	for _, n := range []int{2, 5, 10} {
		add("stuffing-spread", perSec(n), fmt.Sprintf("credential stuffing at %d failed log-ins a second, one or two per address", n),
			func(s *site, at time.Time) Truth { return stuffingSpread(s, at, n, n) })
	}
	for _, n := range []int{1, 2, 4} {
		add("stuffing-burst", perSec(n), fmt.Sprintf("brute force: one address, %d failed log-ins a second", n),
			func(s *site, at time.Time) Truth { return bruteForce(s, at, n) })
	}
	for _, n := range []int{3, 6, 12, 25} {
		add("hostile-client", perSec(n), fmt.Sprintf("one address fetching %d pages a second", n),
			func(s *site, at time.Time) Truth { return hostileClient(s, at, n) })
	}
	for _, n := range []int{3, 6, 12} {
		add("scraper-24", perSec(n), fmt.Sprintf("a scraper at %d pages a second from one /24", n),
			func(s *site, at time.Time) Truth { return rotatingScraper(s, at, false, n) })
	}
	for _, n := range []int{3, 6, 12} {
		add("scraper-64", perSec(n), fmt.Sprintf("a scraper at %d pages a second from one /64", n),
			func(s *site, at time.Time) Truth { return rotatingScraper(s, at, true, n) })
	}
	for _, pct := range []int{50, 25, 10} {
		add("outage", fmt.Sprintf("%d%%", pct), fmt.Sprintf("the app down for %d%% of what reaches it, for 4 minutes", pct),
			func(s *site, at time.Time) Truth { return outage(s, at, float64(pct)/100) })
	}
	return rows
}
