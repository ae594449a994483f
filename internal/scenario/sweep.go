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
	add := func(name string, rate int, length, tod time.Duration, doc string, attack func(s *site, at time.Time) Truth) {
		rows = append(rows, &Row{Name: fmt.Sprintf("%s-%d/s", name, rate), Doc: fmt.Sprintf(doc, rate), Core: true, Format: FormatCombined,
			Length: length, At: tod, Attack: func(s *site, _ *Profile, at time.Time) Truth { return attack(s, at) }})
	}
	for _, n := range []int{2, 5, 15, 40} {
		add("signup-flood", n, 2*time.Minute, hm(1, 20), "the sign-up flood at %d posts a second",
			func(s *site, at time.Time) Truth { return signupFlood(s, at, 2*time.Minute, n, n) })
	}
	for _, n := range []int{2, 5, 10} {
		add("stuffing-spread", n, 3*time.Minute, hm(14, 10), "credential stuffing at %d failed log-ins a second, one or two per address",
			func(s *site, at time.Time) Truth { return stuffingSpread(s, at, n, n) })
	}
	for _, n := range []int{1, 2, 4} {
		add("stuffing-burst", n, 5*time.Minute, hm(10, 30), "brute force: one address, %d failed log-ins a second",
			func(s *site, at time.Time) Truth { return bruteForce(s, at, n) })
	}
	for _, n := range []int{3, 6, 12, 25} {
		add("hostile-client", n, 3*time.Minute, hm(15, 15), "one address fetching %d pages a second",
			func(s *site, at time.Time) Truth { return hostileClient(s, at, n) })
	}
	for _, n := range []int{3, 6, 12} {
		add("scraper-24", n, 10*time.Minute, hm(11, 0), "a scraper at %d pages a second from one /24",
			func(s *site, at time.Time) Truth { return rotatingScraper(s, at, false, n) })
	}
	for _, n := range []int{3, 6, 12} {
		add("scraper-64", n, 10*time.Minute, hm(16, 0), "a scraper at %d pages a second from one /64",
			func(s *site, at time.Time) Truth { return rotatingScraper(s, at, true, n) })
	}
	for _, pct := range []int{50, 25, 10} {
		rows = append(rows, &Row{Name: fmt.Sprintf("outage-%d%%", pct), Doc: fmt.Sprintf("the app down for %d%% of what reaches it, for 4 minutes", pct),
			Core: true, Format: FormatCombined, Length: 4 * time.Minute, At: hm(9, 12),
			Attack: func(s *site, _ *Profile, at time.Time) Truth { return outage(s, at, float64(pct)/100) }})
	}
	return rows
}
