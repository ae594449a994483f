package scenario

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestCalibration measures how many requests each kind of visit makes on
// average and checks the reqPer… constants of profile.go, which turn the
// profile's request rates into visit rates, are within 10% of it.
func TestCalibration(t *testing.T) {
	from := day
	to := day.Add(48 * time.Hour)
	p := Profile{LoginFail: 0.2, CheckoutShare: 0.05}
	kinds := []struct {
		name string
		want float64
		run  func(s *site, r *rand.Rand, t time.Time)
	}{
		{"browse", reqPerBrowse, func(s *site, r *rand.Rand, t time.Time) { s.browse(t, newBrowser(r, residential(r))) }},
		{"app use", reqPerAppUse, func(s *site, r *rand.Rand, t time.Time) {
			b := newBrowser(r, residential(r))
			b.warm = r.Float64() < 0.7
			s.useApp(t, b, "-")
		}},
		{"log-in", reqPerLogin, func(s *site, r *rand.Rand, t time.Time) { s.login(t, newBrowser(r, residential(r)), p.fails(r)) }},
		{"sign-up", reqPerSignup, func(s *site, r *rand.Rand, t time.Time) {
			s.signup(t, newBrowser(r, residential(r)), r.Float64() < 0.15)
		}},
		{"mobile", reqPerMobile, func(s *site, r *rand.Rand, t time.Time) {
			s.appSession(t, newApp(r, residential(r)), appLength(r), appEvery(r))
		}},
		{"app log-in", reqPerAppLogin, func(s *site, r *rand.Rand, t time.Time) { s.appLogin(t, newApp(r, residential(r)), 0) }},
		{"order tab", reqPerOrderSession, func(s *site, r *rand.Rand, t time.Time) { s.orderTab(t, newBrowser(r, residential(r)), &p) }},
	}
	visitsOf := map[string]float64{"order tab": 400}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			n := 0
			sim := NewSim(from, to, 1, func(*Request) { n++ })
			s := newSite(sim, &Phoenix)
			visits := 0
			rate := cmp.Or(visitsOf[k.name], 4000) / (40 * 3600.0)
			sim.Poisson(k.name, from, rate, func(t time.Time) float64 {
				if t.After(from.Add(40 * time.Hour)) {
					return 0
				}
				return rate
			}, func(r *rand.Rand, t time.Time) {
				visits++
				k.run(s, r, t)
			})
			sim.Run()
			got := float64(n) / float64(visits)
			t.Logf("%.1f requests a visit (constant %.1f)", got, k.want)
			if math.Abs(got-k.want) > 0.1*k.want {
				t.Errorf("%s: %.1f requests a visit, the constant says %.1f: update profile.go", k.name, got, k.want)
			}
		})
	}
}

// TestFigures checks that ordinary days have the shape the measured
// figures describe (../shared/notes/traffic-shapes.md): the rate, the
// assets' share, log-ins and their failures, sign-ups, the status mix,
// IPv6, crawlers, and the NATs of issue 19.
func TestFigures(t *testing.T) {
	type band struct{ lo, hi float64 }
	in := func(t *testing.T, what string, got float64, b band) {
		t.Helper()
		if got < b.lo || got > b.hi {
			t.Errorf("%s = %.4g, want %.4g to %.4g", what, got, b.lo, b.hi)
		}
	}
	peak := func(sc *Scenario) *Scenario { // 10 minutes of the busiest hour
		sc.From, sc.To, sc.DeployAt = day.Add(hm(14, 50)), day.Add(hm(15, 0)), time.Time{}
		return sc
	}
	web := func(t *testing.T, f *Figures, p Profile) {
		in(t, "log-in posts' share", f.Share(f.LoginPosts), band{p.LoginShare * 0.8, p.LoginShare * 1.15})
		in(t, "failed log-ins' share", float64(f.LoginFailures)/float64(f.LoginPosts), band{p.LoginFail - 0.04, p.LoginFail + 0.04})
		in(t, "2xx", f.Share(f.ByClass[2]), band{0.90, 0.97})
		in(t, "3xx", f.Share(f.ByClass[3]), band{0.025, 0.06})
		in(t, "5xx", f.Share(f.ByClass[5]), band{0, 0.003})
		in(t, "IPv6 clients", float64(f.IPv6Clients)/float64(f.Clients), band{0.40, 0.50})
	}
	t.Run("small sites, whole days", func(t *testing.T) {
		for _, size := range []float64{0.2, 2} {
			sc := Build(Rows[0], size, Pinned)
			f, err := sc.Figures()
			if err != nil {
				t.Fatal(err)
			}
			// Googlebot's burst comes on top of the day's rate.
			in(t, "mean rate", f.Rate(), band{size * 0.9, size*1.1 + 1200.0/86400})
			in(t, "sign-ups' share", f.Share(f.SignupPosts), band{0.00025, 0.0005})
			web(t, f, sc.Profile)
			if size == 0.2 {
				// Crawlers, monitors and scanners weigh most on a tiny site.
				in(t, "crawlers' share (tiny site)", f.Share(f.ByActor[ActorCrawler]), band{0.2, 0.45})
			} else {
				in(t, "assets' share", f.Share(f.Static), band{0.40, 0.58})
				in(t, "4xx", f.Share(f.ByClass[4]), band{0.015, 0.03})
			}
		}
	})
	if testing.Short() || raceEnabled {
		return // the big sites take seconds (minutes under the race detector)
	}
	t.Run("300 a second at the peak", func(t *testing.T) {
		t.Parallel()
		sc := peak(Build(Rows[0], 300, Pinned))
		f, err := sc.Figures()
		if err != nil {
			t.Fatal(err)
		}
		want := sc.Profile.rate(day.Add(hm(14, 55)))
		in(t, "peak rate", f.Rate(), band{want * 0.9, want * 1.1})
		web(t, f, sc.Profile)
		in(t, "assets' share", f.Share(f.Static), band{0.40, 0.58})
		in(t, "4xx", f.Share(f.ByClass[4]), band{0.012, 0.03})
		in(t, "crawlers' share", f.Share(f.ByActor[ActorCrawler]), band{0.05, 0.2})
		// The busiest address is the agency's office NAT (2% of the
		// requests), far above any one person.
		in(t, "busiest address's share", float64(f.TopHumanCount)/float64(f.Requests), band{0.015, 0.025})
	})
	t.Run("API with an office NAT", func(t *testing.T) {
		t.Parallel()
		r, _ := Find(Rows, "api-office-nat")
		sc := peak(Build(r, 300, Pinned))
		f, err := sc.Figures()
		if err != nil {
			t.Fatal(err)
		}
		in(t, "checkout's share", f.Share(f.Checkout), band{0.04, 0.06})
		in(t, "preflights' share", f.Share(f.Preflights), band{0.15, 0.40})
		in(t, "busiest address's share (the office at 4.5%)", float64(f.TopHumanCount)/float64(f.Requests), band{0.035, 0.055})
	})
	t.Run("carrier NAT", func(t *testing.T) {
		t.Parallel()
		r, _ := Find(Rows, "mobile-carrier-nat")
		sc := peak(Build(r, 300, Pinned))
		f, err := sc.Figures()
		if err != nil {
			t.Fatal(err)
		}
		// 165 sessions polling every 15–60 s: about 300 polls a minute,
		// 450 with the sessions' opening calls, token refreshes and taps.
		nat := carrierNAT(NewSim(sc.From, sc.To, sc.Seed, nil).Rand("carrier-address"))
		perMin := float64(f.Count(nat)) / sc.To.Sub(sc.From).Minutes()
		in(t, "carrier NAT's requests a minute", perMin, band{300, 600})
	})
}

// TestGenerate_deterministic generates a scenario twice: the same bytes.
func TestGenerate_deterministic(t *testing.T) {
	skipUnderRace(t)
	for _, name := range []string{"benign-merged", "flood-no-address", "heroku-signup-flood", "takeover-wave"} {
		r, err := Find(Rows, name)
		if err != nil {
			t.Fatal(err)
		}
		var sums [2][32]byte
		for i := range sums {
			h := sha256.New()
			if _, _, err := Build(r, 0.2, Pinned).Generate(h); err != nil {
				t.Fatal(err)
			}
			copy(sums[i][:], h.Sum(nil))
		}
		if sums[0] != sums[1] {
			t.Errorf("%s: two generations differ", name)
		}
	}
}

// TestGenerate_order checks that a combined log comes out in time order,
// within the window, one line per request.
func TestGenerate_order(t *testing.T) {
	r, _ := Find(Rows, "signup-flood")
	sc := Build(r, 2, Pinned)
	var buf bytes.Buffer
	_, f, err := sc.Generate(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var last time.Time
	n := 0
	for s := bufio.NewScanner(&buf); s.Scan(); n++ {
		l := s.Bytes()
		i := bytes.IndexByte(l, '[')
		at, err := time.Parse("02/Jan/2006:15:04:05 -0700", string(l[i+1:i+27]))
		if err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		if at.Before(last) || at.Before(sc.From.Truncate(time.Second)) || !at.Before(sc.To) {
			t.Fatalf("line %d at %v after %v, window %v–%v", n+1, at, last, sc.From, sc.To)
		}
		last = at
	}
	if n != f.Requests {
		t.Errorf("%d lines for %d requests", n, f.Requests)
	}
}

func TestSection(t *testing.T) {
	doc := []byte("a\n<!-- scenario-matrix:x:begin -->\nold\n<!-- scenario-matrix:x:end -->\nb\n")
	got, err := Section(doc, "x")
	if err != nil || got != "old\n" {
		t.Errorf("Section() = %q, %v", got, err)
	}
	out, err := ReplaceSection(doc, "x", "new\n")
	if want := "a\n<!-- scenario-matrix:x:begin -->\nnew\n<!-- scenario-matrix:x:end -->\nb\n"; err != nil || string(out) != want {
		t.Errorf("ReplaceSection() = %q, %v, want %q", out, err, want)
	}
	if _, err := Section(doc, "y"); err == nil {
		t.Error("Section(missing) = nil error")
	}
}

func BenchmarkGenerate(b *testing.B) {
	sc := Build(Rows[0], 300, Pinned)
	sc.To = sc.From.Add(10 * time.Minute)
	n := 0
	var bytes int64
	for b.Loop() {
		cw := &countWriter{}
		_, f, err := sc.Generate(cw)
		if err != nil {
			b.Fatal(err)
		}
		n += f.Requests
		bytes += cw.n
	}
	b.ReportAllocs()
	b.SetBytes(bytes / int64(b.N))
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lines/s")
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)

// TestSweepRows checks that each weaker attack sends at the rate its row
// names, for as long as the matrix's attack lasts.
func TestSweepRows(t *testing.T) {
	skipUnderRace(t)
	seen := map[string]bool{}
	var outages []int // the partial outages' shares, checked below
	for _, r := range SweepRows {
		if seen[r.Name] {
			t.Errorf("two sweep rows named %s", r.Name)
		}
		seen[r.Name] = true
		// The matrix's attack, at another rate: the same time of day and
		// length.
		base, err := Find(Rows, r.Name[:strings.LastIndexByte(r.Name, '-')])
		if err != nil {
			t.Fatalf("%s: %v", r.Name, err)
		}
		if r.At != base.At || r.Length != base.Length {
			t.Errorf("%s at %v for %v, the matrix's %s at %v for %v", r.Name, r.At, r.Length, base.Name, base.At, base.Length)
		}
		var rate int
		if _, err := fmt.Sscanf(r.Name[strings.LastIndexByte(r.Name, '-')+1:], "%d/s", &rate); err != nil {
			var pct int
			if _, err := fmt.Sscanf(r.Name, "outage-%d%%", &pct); err != nil {
				t.Fatalf("%s: %v", r.Name, err)
			}
			outages = append(outages, pct)
			continue
		}
		sc := Build(r, 0.2, Sweep)
		truth, f, err := sc.Generate(io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		hostile := 0
		for a := ActorSignupBot; a < numActors; a++ {
			hostile += f.ByActor[a]
		}
		got := float64(hostile) / truth.End.Sub(truth.Start).Seconds()
		if got < 0.97*float64(rate) || got > 1.03*float64(rate) {
			t.Errorf("%s: %.2f hostile requests a second over %v", r.Name, got, truth.End.Sub(truth.Start))
		}
		if truth.End.Sub(truth.Start) != r.Length {
			t.Errorf("%s: attack lasts %v, row says %v", r.Name, truth.End.Sub(truth.Start), r.Length)
		}
	}
	if len(outages) != 3 {
		t.Fatalf("partial outages %v, want three", outages)
	}
	// A partial outage fails its share of what reaches the app: the 5xx it
	// adds to the window against the whole outage's, on the same traffic.
	whole, _ := Find(Rows, "outage")
	none := *whole
	none.Attack = func(s *site, _ *Profile, at time.Time) Truth { return outage(s, at, 0) }
	base := outage5xx(t, &none, Pinned)
	all := outage5xx(t, whole, Pinned) - base
	for _, pct := range outages {
		r, _ := Find(SweepRows, fmt.Sprintf("outage-%d%%", pct))
		got := outage5xx(t, r, Sweep) - base
		if share := float64(got) / float64(all); share < 0.8*float64(pct)/100 || share > 1.2*float64(pct)/100 {
			t.Errorf("%s: %d 5xx more than an ordinary day, %.0f%% of the whole outage's %d", r.Name, got, 100*share, all)
		}
	}
}

// outage5xx generates row r's cell at 20 req/s and counts its 5xx.
func outage5xx(t *testing.T, r *Row, m Mode) int {
	t.Helper()
	_, f, err := Build(r, 20, m).Generate(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return f.ByClass[5]
}

// skipUnderRace skips a test of the generator under the race detector:
// generating starts no goroutine (TestReplayer_pipeSameAsFile runs it on
// one beside a replay), and the test ran in the pass without it.
func skipUnderRace(t *testing.T) {
	t.Helper()
	if raceEnabled {
		t.Skip("single-goroutine generation; run without -race")
	}
}
