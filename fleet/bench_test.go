package fleet_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/fleet"
	"github.com/sentinel-dev/sentinel/internal/benchlog"
	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/parsers"
)

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPublish measures what fleet mode costs a node per line: the
// embedded default rules over 100,000 lines a second of log time
// (benchlog's sessions, and its sign-up flood where every line is a new
// address), by the engine alone and by the engine publishing its fleet
// rules' deltas to a real redis-server (one pipelined round trip a step),
// one after the other in every iteration, so that the machine's load
// weighs on both alike. cpu-ns/line is the whole process's CPU time, the
// publisher's goroutine included (another node holds the lease: this one
// does not evaluate); overhead-% is publishing's over the engine alone's;
// round-trips are per second of log time.
//
//	go test ./fleet -run '^$' -bench Publish -benchtime 20x -count 3
func BenchmarkPublish(b *testing.B) {
	const rate = 100_000
	for _, mode := range []struct {
		name string
		m    benchlog.Mode
	}{{"sessions", benchlog.Sessions}, {"flood", benchlog.Flood}} {
		var buf bytes.Buffer
		if err := benchlog.Write(&buf, 3*rate, rate, 1, mode.m); err != nil {
			b.Fatal(err)
		}
		events := make([]parsers.Event, 0, 3*rate)
		p := parsers.NewCombined()
		sc := bufio.NewScanner(&buf)
		for sc.Scan() {
			line := bytes.Clone(sc.Bytes())
			var ev parsers.Event
			if err := p.Parse(line, &ev); err != nil {
				b.Fatal(err)
			}
			events = append(events, ev)
		}
		b.Run(mode.name, func(b *testing.B) {
			cfg := config.Default()
			r := testutil.StartRedis(b)
			var alone, publishing time.Duration
			var lines, steps, trips int
			site := 0
			for b.Loop() {
				alone += observeAll(b, cfg, events, nil)
				site++ // a fleet of its own each time: no state from the last
				publishing += observeAll(b, cfg, events, &publisher{redis: r, site: fmt.Sprintf("bench%d", site), trips: &trips})
				lines += len(events)
				steps += len(events) / rate
			}
			b.ReportMetric(float64(alone.Nanoseconds())/float64(lines), "alone-cpu-ns/line")
			b.ReportMetric(float64(publishing.Nanoseconds())/float64(lines), "publishing-cpu-ns/line")
			b.ReportMetric(100*(float64(publishing)-float64(alone))/float64(alone), "overhead-%")
			b.ReportMetric(float64(trips)/float64(max(steps, 1)), "round-trips/log-s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// publisher is what BenchmarkPublish publishes to.
type publisher struct {
	redis *testutil.Redis
	site  string
	trips *int
}

// observeAll runs the default rules over events, publishing to pub when
// set, and returns the process's CPU time it took.
func observeAll(b *testing.B, cfg *config.Config, events []parsers.Event, pub *publisher) time.Duration {
	eopts := cfg.EngineOptions()
	var node *fleet.Node
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	if pub != nil {
		// Another node holds the lease: this one only publishes, as all
		// but one node of a fleet do.
		pub.redis.Do("SET", "sentinel:{"+pub.site+"}:lease", "1:other/0", "PX", "600000")
		var err error
		node, err = fleet.New(fleet.Options{
			Settings: fleet.Settings{Redis: pub.redis.URL(), Site: pub.site, Node: "n1"},
			Rules:    cfg.Rules, Engine: eopts,
			Deliver: func(take func() []alert.Alert) { take() },
		})
		if err != nil {
			b.Fatal(err)
		}
		eopts.Delta = node.Delta
		go func() { defer close(done); node.Run(ctx) }()
	} else {
		close(done)
	}
	eng, err := detector.NewEngine(cfg.Rules, eopts)
	if err != nil {
		b.Fatal(err)
	}
	c0 := cpuTime()
	for i := range events {
		eng.Observe(&events[i])
		if node != nil && i%256 == 0 {
			node.Clock(eng.Clock()) // the daemon tells it after each batch
		}
	}
	if node != nil {
		node.Clock(eng.Clock())
		// Wait for the last step's round trip, so that its cost counts.
		for deadline := time.Now().Add(10 * time.Second); node.Status().Backlog > 0 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
	}
	used := cpuTime() - c0
	cancel()
	<-done
	if node != nil {
		*pub.trips += int(roundTrips(node))
	}
	return used
}

// roundTrips reads the node's publishing round trips from its metrics.
func roundTrips(n *fleet.Node) float64 {
	reg := testRegistry()
	if err := n.Register(reg); err != nil {
		return 0
	}
	mfs, err := reg.Gather()
	if err != nil {
		return 0
	}
	var total float64
	for _, mf := range mfs {
		if mf.GetName() != "sentinel_fleet_round_trips_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == "publish" {
					total += m.GetCounter().GetValue()
				}
			}
		}
	}
	return total
}
