//go:build soak

package main

// The fleet soak (issue #16): ten `sentinel run` processes on loopback,
// each following its own log, share a real redis-server; a fake Slack
// counts the pages. It takes about three minutes, so it is built with
// the soak tag only: scripts/fleet-soak runs it, and .ci/run runs that.
//
//	go test -tags soak ./cmd/sentinel -run TestFleetSoak -v -timeout 10m

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/fleet"
	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/server"
)

const (
	soakNodes = 10
	soakLease = 3 * time.Second
	floodRate = 240 // sign-ups a second over the fleet: 24 on each node
	// soakGroupWait is settings.group_wait: how long an incident's first
	// notification waits for its other rules, after the alert fires.
	soakGroupWait = time.Second
)

// soakNode is one sentinel process.
type soakNode struct {
	name, log, api string
	cmd            *exec.Cmd
	out, errs      *testutil.SyncBuffer
	file           *os.File
	killed         bool
}

func (n *soakNode) status() (server.Status, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return server.FetchStatus(ctx, n.api, "")
}

// alerts returns the transitions the node wrote on stdout (--output json).
func (n *soakNode) alerts(t *testing.T) []alert.Alert {
	var out []alert.Alert
	sc := bufio.NewScanner(strings.NewReader(n.out.String()))
	for sc.Scan() {
		var a alert.Alert
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Errorf("node %s wrote %q on stdout: %v", n.name, sc.Text(), err)
			continue
		}
		out = append(out, a)
	}
	return out
}

// rss returns the node's peak resident memory (VmHWM), in bytes.
func (n *soakNode) rss(t *testing.T) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", n.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// slackPost is one message the fake Slack received.
type slackPost struct {
	at   time.Time
	body string
}

type fakeSlack struct {
	mu    sync.Mutex
	posts []slackPost
}

func (s *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.posts = append(s.posts, slackPost{time.Now(), string(body)})
	s.mu.Unlock()
	io.WriteString(w, "ok")
}

// dump logs every message received.
func (s *fakeSlack) dump(t *testing.T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.posts {
		t.Logf("slack got at %s: %s", p.at.Format(time.TimeOnly), tail(p.body, 400))
	}
}

// signups returns the sign-up burst's firing and resolved pages.
func (s *fakeSlack) signups() (firing, resolved []slackPost) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.posts {
		if !strings.Contains(p.body, "signup-burst") {
			continue
		}
		if strings.Contains(strings.ToLower(p.body), "resolved") {
			resolved = append(resolved, p)
		} else {
			firing = append(firing, p)
		}
	}
	return firing, resolved
}

// traffic writes every node's log at wall-clock time: a little browsing
// always, and a sign-up flood of floodRate a second spread over the
// nodes while on, from a pool of 6,000 addresses drawn at random (so an
// address posts on several nodes). It remembers the addresses of each
// second's sign-ups, for the true union.
type traffic struct {
	nodes []*soakNode
	rng   *rand.Rand
	pool  []string

	mu      sync.Mutex
	flood   bool
	floodAt time.Time                 // when the flood was turned on
	signups map[int64]map[string]bool // Unix second → addresses
	written int
}

func (tr *traffic) run(ctx context.Context) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	var floodSince time.Time
	browse, posts := 0, 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			tr.mu.Lock()
			// The time of writing, not the tick's: a tick that waited (the
			// goroutine not scheduled for a while) carries the time it
			// fired, and lines stamped with it would reach the nodes late,
			// after their clocks moved on by the wall (a quiet second),
			// counted late by the fleet and not by the union below.
			now := time.Now()
			stamp := now.UTC().Format("02/Jan/2006:15:04:05 -0700")
			// Browsing: 3 requests a second on each node.
			for due := int(now.Sub(start).Seconds() * 3 * soakNodes); browse < due; browse++ {
				n := tr.nodes[browse%soakNodes]
				fmt.Fprintf(n.file, "192.0.2.%d - - [%s] \"GET /pricing HTTP/1.1\" 200 5120 \"-\" \"Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0\"\n", browse%200+1, stamp)
			}
			if tr.flood {
				if floodSince.IsZero() {
					// From when it was turned on: a late tick catches up.
					floodSince, posts = tr.floodAt, 0
				}
				sec := now.Unix()
				if tr.signups[sec] == nil {
					tr.signups[sec] = map[string]bool{}
				}
				for due := int(now.Sub(floodSince).Seconds() * floodRate); posts < due; posts++ {
					ip := tr.pool[tr.rng.IntN(len(tr.pool))]
					n := tr.nodes[posts%soakNodes]
					fmt.Fprintf(n.file, "%s - - [%s] \"POST /users/register HTTP/1.1\" 302 76 \"-\" \"python-requests/2.31\"\n", ip, stamp)
					tr.signups[sec][ip] = true
					tr.written++
				}
			} else {
				floodSince = time.Time{}
			}
			tr.mu.Unlock()
		}
	}
}

// startFlood turns the flood on at the start of the next wall-clock
// second (so that its first second is whole), and returns that time.
func (tr *traffic) startFlood() time.Time {
	at := time.Now().Truncate(time.Second).Add(time.Second)
	time.Sleep(time.Until(at))
	tr.mu.Lock()
	tr.flood, tr.floodAt = true, at
	tr.mu.Unlock()
	return at
}

func (tr *traffic) stopFlood() {
	tr.mu.Lock()
	tr.flood = false
	tr.mu.Unlock()
}

// union is the number of distinct addresses that posted in [from, to).
func (tr *traffic) union(from, to time.Time) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	all := map[string]bool{}
	for s := from.Unix(); s < to.Unix(); s++ {
		for ip := range tr.signups[s] {
			all[ip] = true
		}
	}
	return len(all)
}

func soakWait(t *testing.T, d time.Duration, what string, cond func() bool, why ...func() string) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			var detail string
			for _, w := range why {
				detail += "\n" + w()
			}
			t.Fatalf("waited %s for %s%s", d, what, detail)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// fleetState is each node's fleet status in a line: which node was late
// or behind when the fleet's counts fall short.
func fleetState(nodes []*soakNode) string {
	var b strings.Builder
	for _, n := range nodes {
		if n.killed {
			continue
		}
		st, err := n.status()
		switch {
		case err != nil:
			fmt.Fprintf(&b, "%s: status: %v\n", n.name, err)
		case st.Fleet == nil:
			fmt.Fprintf(&b, "%s: no fleet in its status\n", n.name)
		default:
			f := st.Fleet
			lag := 0.0
			if len(st.Sources) > 0 {
				lag = st.Sources[0].LagSeconds
			}
			fmt.Fprintf(&b, "%s: mode %s, clock %s, evaluated %s, late %d, dropped %d, backlog %d, read lag %.1fs\n",
				n.name, f.Mode, f.Clock.Format(time.TimeOnly+".000"), f.Evaluated.Format(time.TimeOnly+".000"), f.Late, f.Dropped, f.Backlog, lag)
		}
	}
	return b.String()
}

func (n *soakNode) mode() string {
	st, err := n.status()
	if err != nil || st.Fleet == nil {
		return "?"
	}
	return st.Fleet.Mode
}

// TestFleetSoak: issue #16's "Done when", on ten real processes.
func TestFleetSoak(t *testing.T) {
	exe := sentinelExe(t)
	redis := testutil.StartRedis(t)
	slack := &fakeSlack{}
	slackSrv := httptest.NewServer(slack)
	defer slackSrv.Close()
	dir := t.TempDir()

	var nodes []*soakNode
	started := time.Now()
	for i := range soakNodes {
		n := &soakNode{name: fmt.Sprintf("web-%d", i+1), api: freeAddr(t), out: &testutil.SyncBuffer{}, errs: &testutil.SyncBuffer{}}
		nd := filepath.Join(dir, n.name)
		if err := os.MkdirAll(nd, 0o755); err != nil {
			t.Fatal(err)
		}
		n.log = filepath.Join(nd, "access.log")
		var err error
		if n.file, err = os.Create(n.log); err != nil {
			t.Fatal(err)
		}
		cfg := fmt.Sprintf(`settings:
  group_wait: %s
  fleet:
    redis: %s
    site: soak
    node: %s
    lease: %s
notifiers:
  - name: slack
    type: slack
    url: %s/services/T000/B000/XXXX
    rules: [signup-burst]
`, soakGroupWait, redis.URL(), n.name, soakLease, slackSrv.URL) + string(config.DefaultYAML())
		cfgPath := filepath.Join(nd, "sentinel.yaml")
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		n.cmd = exec.Command(exe, "run", "-c", cfgPath, "--state-dir", filepath.Join(nd, "state"), "--listen", n.api,
			"--output", "json", "--log-format", "json", "--format", "combined", n.log)
		n.cmd.Stdout, n.cmd.Stderr = n.out, n.errs
		if err := n.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, n)
	}
	defer func() {
		for _, n := range nodes {
			if !n.killed {
				n.cmd.Process.Signal(syscall.SIGTERM)
				n.cmd.Wait()
			}
			if t.Failed() {
				t.Logf("%s stderr (last 3000 bytes):\n%s", n.name, tail(n.errs.String(), 3000))
			}
		}
	}()
	tr := &traffic{nodes: nodes, rng: rand.New(rand.NewPCG(16, 240)), signups: map[int64]map[string]bool{}}
	for range 6000 {
		x := tr.rng.Uint32()
		tr.pool = append(tr.pool, fmt.Sprintf("100.%d.%d.%d", 64+x>>24%64, x>>16&255, 1+x&255%254))
	}
	ctx, stopTraffic := context.WithCancel(context.Background())
	trafficDone := make(chan struct{})
	go func() { defer close(trafficDone); tr.run(ctx) }()
	defer func() { stopTraffic(); <-trafficDone }()

	// On a timeout, each node's last answer says what was missing. A
	// minute: ten processes start on a CI machine that has just run the
	// race detector (once, at stop 27, 30 s went by with no word from
	// any node).
	var startup []string
	soakWait(t, time.Minute, "every node in fleet mode, one evaluating", func() bool {
		evaluators, ready := 0, true
		startup = startup[:0]
		for _, n := range nodes {
			st, err := n.status()
			switch {
			case err != nil:
				startup = append(startup, fmt.Sprintf("%s: status: %v", n.name, err))
			case st.Fleet == nil:
				startup = append(startup, n.name+": no fleet in its status")
			default:
				lines := int64(0)
				if len(st.Sources) > 0 {
					lines = st.Sources[0].Lines
				}
				startup = append(startup, fmt.Sprintf("%s: mode %s (%s), evaluating %v, %d lines read",
					n.name, st.Fleet.Mode, st.Fleet.Reason, st.Fleet.Evaluating, lines))
				if st.Fleet.Mode == fleet.ModeFleet && lines >= 10 {
					if st.Fleet.Evaluating {
						evaluators++
					}
					continue
				}
			}
			ready = false
		}
		return ready && evaluators == 1
	}, func() string { return strings.Join(startup, "\n") })
	// A minute of ordinary traffic: the nodes' own baselines have begun
	// learning (each rule's first window), as on servers that run already.
	time.Sleep(max(5*time.Second, time.Until(started.Add(time.Minute))))

	// 1. The flood, 24/s on each node: one page, within 3 s, at 240/s,
	// from the union's distinct addresses.
	floodAt := tr.startFlood()
	t.Logf("flood on at %s", floodAt.Format(time.TimeOnly+".000"))
	soakWait(t, 10*time.Second, "the sign-up page", func() bool { f, _ := slack.signups(); return len(f) > 0 })
	firing, _ := slack.signups()
	delay := firing[0].at.Sub(floodAt)
	t.Logf("page received %v after the flood's first line (group_wait %v): %s", delay.Round(time.Millisecond), soakGroupWait, tail(firing[0].body, 600))
	if delay > 3*time.Second+soakGroupWait {
		t.Errorf("the page came %v after the flood began, want within 3 s and the group wait (%v)", delay, soakGroupWait)
	}
	// The page shows the fleet's rate, not one node's tenth of it.
	if r := slackRate(firing[0].body); r < 0.9*floodRate || r > 1.1*floodRate {
		t.Errorf("the page's sign-up rate %.0f/s, want near %d/s: %s", r, floodRate, firing[0].body)
	}
	time.Sleep(4 * time.Second)
	var fleetFiring []alert.Alert
	for _, n := range nodes {
		for _, a := range n.alerts(t) {
			if a.Rule == "signup-burst" {
				fleetFiring = append(fleetFiring, a)
			}
		}
	}
	if len(fleetFiring) != 1 || fleetFiring[0].State != alert.Firing {
		t.Fatalf("signup-burst transitions on the nodes' stdout: %+v, want the fleet's one firing", fleetFiring)
	}
	a := fleetFiring[0]
	// The alert's time is the log's: the boundary (of the nodes' clocks,
	// which write their lines at the wall time) where the fleet crossed.
	fired := a.Time.Sub(floodAt)
	t.Logf("the fleet's alert fired %v after the flood's first line", fired.Round(time.Millisecond))
	if fired > 3*time.Second {
		t.Errorf("the fleet's alert fired %v after the flood began, want within 3 s", fired)
	}
	union := tr.union(a.Time.Add(-30*time.Second), a.Time)
	t.Logf("fleet alert at %s: current %.0f/s, value %.2f/s over 30 s, %d events from %d distinct (true union %d)",
		a.Time.Format(time.TimeOnly), a.Current, a.Value, a.Count, a.Distinct, union)
	if a.Current < 0.9*floodRate || a.Current > 1.1*floodRate {
		t.Errorf("rate in the last second %.0f/s, want near %d/s; the nodes now:\n%s", a.Current, floodRate, fleetState(nodes))
	}
	// Redis's HyperLogLog: 0.81% standard error; three of them.
	if d := math.Abs(float64(a.Distinct) - float64(union)); d > 3*0.0081*float64(union)+2 {
		t.Errorf("distinct %d, want the union's %d within the sketch's error", a.Distinct, union)
	}

	// 2. kill -9 the evaluator mid-incident: another takes over within the
	// lease, no second page, one resolved.
	var evaluator *soakNode
	for _, n := range nodes {
		if st, err := n.status(); err == nil && st.Fleet != nil && st.Fleet.Evaluating {
			evaluator = n
		}
	}
	if evaluator == nil {
		t.Fatal("no node evaluates")
	}
	evaluator.cmd.Process.Kill()
	evaluator.cmd.Wait()
	evaluator.killed = true
	killed := time.Now()
	var next *soakNode
	took := soakWait(t, 3*soakLease, "another evaluator", func() bool {
		for _, n := range nodes {
			if n.killed {
				continue
			}
			if st, err := n.status(); err == nil && st.Fleet != nil && st.Fleet.Evaluating {
				next = n
				return true
			}
		}
		return false
	})
	t.Logf("%s killed; %s evaluates %v later (lease %v)", evaluator.name, next.name, time.Since(killed).Round(time.Millisecond), soakLease)
	if took > soakLease+time.Second {
		t.Errorf("takeover after %v, want within the lease (%v)", took, soakLease)
	}
	time.Sleep(5 * time.Second)
	tr.stopFlood()
	if !soakTry(60*time.Second, func() bool { _, r := slack.signups(); return len(r) > 0 }) {
		slack.dump(t)
		for _, n := range nodes {
			if !n.killed {
				t.Logf("%s stdout: %s", n.name, tail(n.out.String(), 1500))
			}
		}
		t.Fatal("no resolved page")
	}
	time.Sleep(3 * time.Second)
	firing, resolved := slack.signups()
	if len(firing) != 1 || len(resolved) != 1 {
		t.Errorf("fake Slack got %d firing and %d resolved pages of signup-burst, want one of each", len(firing), len(resolved))
	}

	// 3. Redis down for 30 s, then paused, mid-incident: every node alerts
	// on its own, keeps reading, stays small, and returns to fleet mode.
	alive := nodes[:0:0]
	for _, n := range nodes {
		if !n.killed {
			alive = append(alive, n)
		}
	}
	before := map[string]int{}
	for _, n := range alive {
		before[n.name] = len(n.alerts(t))
	}
	tr.startFlood()
	if !soakTry(20*time.Second, func() bool { f, _ := slack.signups(); return len(f) == 2 }) {
		slack.dump(t)
		for _, n := range alive {
			t.Logf("%s stdout: %s", n.name, tail(n.out.String(), 1500))
		}
		t.Fatal("no page for the second incident")
	}
	// Each node's own engine fires too, held back in fleet mode.
	ownFiring := func(log bool) bool {
		all := true
		for _, n := range alive {
			st, err := n.status()
			if err != nil {
				return false
			}
			for _, r := range st.Rules {
				if r.Name == "signup-burst" && r.State != "firing" {
					all = false
					if log {
						t.Logf("%s's own signup-burst: %+v", n.name, r)
					}
				}
			}
		}
		return all
	}
	if !soakTry(30*time.Second, func() bool { return ownFiring(false) }) {
		ownFiring(true)
		t.Fatal("not every node's own engine fires")
	}
	for _, n := range alive {
		for _, a := range n.alerts(t)[before[n.name]:] {
			if a.Rule == "signup-burst" && len(a.Samples) > 0 {
				t.Errorf("%s delivered its own sign-up alert in fleet mode", n.name)
			}
		}
	}
	down := time.Now()
	redis.Stop()
	lines := map[string]int64{}
	for _, n := range alive {
		soakWait(t, 3*time.Second, n.name+" in local mode", func() bool { return n.mode() == fleet.ModeLocal })
		st, _ := n.status()
		lines[n.name] = st.Sources[0].Lines
	}
	checkSwitch(t, alive, down, "Redis stopped")
	for _, n := range alive {
		soakWait(t, 5*time.Second, n.name+"'s own sign-up alert", func() bool {
			for _, a := range n.alerts(t)[before[n.name]:] {
				if a.Rule == "signup-burst" && a.State == alert.Firing && len(a.Samples) > 0 {
					return true
				}
			}
			return false
		}, func() string {
			st, err := n.status()
			if err != nil {
				return n.name + ": status: " + err.Error()
			}
			var rule string
			for _, r := range st.Rules {
				if r.Name == "signup-burst" {
					rule = fmt.Sprintf("%+v", r)
				}
			}
			return fmt.Sprintf("%s's signup-burst: %s\nits stdout since the second incident: %s\n%s",
				n.name, rule, tail(n.out.String(), 1500), fleetState(alive))
		})
	}
	time.Sleep(time.Until(down.Add(30 * time.Second)))
	for _, n := range alive {
		st, err := n.status()
		if err != nil {
			t.Fatalf("%s: %v", n.name, err)
		}
		if got := st.Sources[0].Lines; got < lines[n.name]+500 || st.Sources[0].LagSeconds > 3 {
			t.Errorf("%s read %d lines in 30 s without Redis (lag %.1fs), want its ~27/s, on time", n.name, got-lines[n.name], st.Sources[0].LagSeconds)
		}
		if st.Fleet.Mode != fleet.ModeLocal || st.Fleet.Backlog > fleet.DefaultMaxBacklog {
			t.Errorf("%s: %+v", n.name, st.Fleet)
		}
	}
	redis.Start()
	for _, n := range alive {
		soakWait(t, 15*time.Second, n.name+" back in fleet mode", func() bool { return n.mode() == fleet.ModeFleet })
	}
	t.Logf("every node back in fleet mode %v after Redis came back", time.Since(down.Add(30*time.Second)).Round(time.Millisecond))
	paused := time.Now()
	redis.Do("CLIENT", "PAUSE", "3000", "ALL")
	for _, n := range alive {
		soakWait(t, 3*time.Second, n.name+" in local mode while Redis is paused", func() bool { return n.mode() == fleet.ModeLocal })
	}
	checkSwitch(t, alive, paused, "Redis paused")
	for _, n := range alive {
		soakWait(t, 15*time.Second, n.name+" back in fleet mode after the pause", func() bool { return n.mode() == fleet.ModeFleet })
	}
	tr.stopFlood()
	for _, n := range alive {
		if n.cmd.ProcessState != nil {
			t.Errorf("%s exited: %v", n.name, n.cmd.ProcessState)
		}
		if rss := n.rss(t); rss > 100<<20 {
			t.Errorf("%s: peak RSS %d MB, want under 100", n.name, rss>>20)
		}
		if got := strings.Count(n.errs.String(), "fleet: falling back"); got != 2 {
			var said []string
			for l := range strings.Lines(n.errs.String()) {
				if strings.Contains(l, "fleet: falling back") {
					said = append(said, strings.TrimSpace(l))
				}
			}
			t.Errorf("%s said it fell back %d times, want twice (Redis stopped, Redis paused): %s", n.name, got, strings.Join(said, " | "))
		}
		if strings.Contains(n.errs.String(), "panic") {
			t.Errorf("%s panicked", n.name)
		}
	}
	resp, err := http.Get("http://" + alive[0].api + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, series := range []string{"sentinel_fleet_mode 1", "sentinel_fleet_fallbacks_total 2", "sentinel_fleet_round_trips_total", "sentinel_fleet_nodes "} {
		if !strings.Contains(string(body), series) {
			t.Errorf("/metrics lacks %q", series)
		}
	}
	var peak int64
	for _, n := range alive {
		peak = max(peak, n.rss(t))
	}
	t.Logf("peak RSS of a node: %.1f MB; sign-ups written: %d", float64(peak)/(1<<20), tr.written)
}

// slackRate returns the sign-up burst's rate a page shows ("… at 240/s"),
// 0 when it shows none.
func slackRate(body string) float64 {
	i := strings.Index(body, "Sign-ups")
	if i < 0 {
		return 0
	}
	m := regexp.MustCompile(`at ([0-9][0-9,]*(?:\.[0-9]+)?)/s`).FindStringSubmatch(body[i:])
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
	return v
}

// checkSwitch checks that every node fell back to its local rules within
// a second of at, by the time each says it did (its status's since: the
// same machine's clock).
func checkSwitch(t *testing.T, nodes []*soakNode, at time.Time, what string) {
	t.Helper()
	var worst time.Duration
	for _, n := range nodes {
		st, err := n.status()
		if err != nil || st.Fleet == nil {
			t.Fatalf("%s: %v", n.name, err)
		}
		d := st.Fleet.Since.Sub(at)
		worst = max(worst, d)
		if d > time.Second {
			t.Errorf("%s fell back %v after %s, want within a second", n.name, d.Round(time.Millisecond), what)
		}
	}
	t.Logf("every node in local mode within %v after %s", worst.Round(time.Millisecond), what)
}

func soakTry(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}
