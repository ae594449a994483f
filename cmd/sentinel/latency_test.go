package main

import (
	"bufio"
	"bytes"
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
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/benchlog"
	"github.com/sentinel-dev/sentinel/server"
)

// latencyEnv turns TestRun_latency on; .ci/run and scripts/latency-check
// set it. The trials, and the background traffic, are set by
// latencyTrialsEnv and latencyLoadEnv.
const (
	latencyEnv       = "SENTINEL_LATENCY"
	latencyTrialsEnv = "SENTINEL_LATENCY_TRIALS" // default 100
	latencyLoadEnv   = "SENTINEL_LATENCY_LOAD"   // background lines a second; default 0
)

// Latency rules: trialRules rate rules, each on its own path, each with an
// action that flips its own flag on the flag service. A trial fires the
// next rule in turn; by the time a rule's turn comes again it has
// resolved and its remedy has ended (no cooldown, no caps), so each trial
// is a fresh firing and a fresh request.
const (
	trialRules = 16
	trialLines = 12 // one write: past 4/s over 2 s (8 events) on the 9th line
)

// TestRun_latency runs `sentinel run` (this binary, with the embedded
// rules plus the trial rules) on a real file, with a real flag service on
// 127.0.0.1, and measures, over many trials at random phases of the
// engine's one-second steps, how long after the write of the lines that
// cross a threshold the firing appears on stdout and the action's request
// reaches the flag service (issue #18). With SENTINEL_LATENCY_LOAD it
// writes that many ordinary lines a second besides. It prints the
// figures and fails when a trial is missed or a target of the issue is
// not met: line → stdout median ≤ 100 ms and 99th percentile ≤ 250 ms,
// line → flag service median ≤ 150 ms (measured here: a few ms, and tens
// of ms at the 99th percentile, on a shared 2-core machine with a load
// average above 10). docs/benchmarks.md has the figures; scripts/latency-check runs
// it.
func TestRun_latency(t *testing.T) {
	if os.Getenv(latencyEnv) == "" {
		t.Skip("a latency measurement: set " + latencyEnv + "=1 (scripts/latency-check)")
	}
	trials := envInt(t, latencyTrialsEnv, 100)
	load := envInt(t, latencyLoadEnv, 0)
	exe := sentinelExe(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()

	// The flag service: when each flag's request arrived.
	type arrival struct {
		flag int
		at   time.Time
	}
	arrivals := make(chan arrival, 4*trials)
	flags := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		io.Copy(io.Discard, r.Body)
		if n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/flags/")); err == nil && r.Method == http.MethodPatch {
			arrivals <- arrival{n, at}
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	defer flags.Close()

	var cfg strings.Builder
	cfg.WriteString("rules:\n")
	for k := range trialRules {
		fmt.Fprintf(&cfg, "  - name: trial-%02d\n    match: {method: POST, path: /trial/%02d}\n    detector: {type: rate, window: 2s, threshold: 4/s}\n", k, k)
	}
	cfg.WriteString("actions:\n")
	for k := range trialRules {
		fmt.Fprintf(&cfg, "  - name: flag-%02d\n    rules: [trial-%02d]\n    webhook: {method: PATCH, url: %q, body: '{\"enabled\": false}'}\n"+
			"    revert_after: 1s\n    cooldown: 0s\n    max_per_hour: 0\n    max_per_day: 0\n", k, k, fmt.Sprintf("%s/flags/%d", flags.URL, k))
	}
	cfgPath := filepath.Join(dir, "sentinel.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	// A webhook notifier: its notifications go out an incident's group
	// wait (10 s) after the firing, for the status's
	// transition_to_notification.
	var notes int
	var notesMu sync.Mutex
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		notesMu.Lock()
		notes++
		notesMu.Unlock()
	}))
	defer hook.Close()

	addr := freeAddr(t)
	cmd := exec.Command(exe, "run", "-c", cfgPath, "--state-dir", filepath.Join(dir, "state"), "--listen", addr,
		"--from-start", "--output", "json", "--log-format", "json", logPath)
	cmd.Env = append(os.Environ(), "SENTINEL_WEBHOOK_URL="+hook.URL)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("daemon logs (last 4 KB):\n%s", tail(stderr.String(), 4096))
		}
	}()

	// stdout: when each trial rule fired, and whether it fires now.
	type firing struct {
		rule int
		at   time.Time
	}
	fired := make(chan firing, 4*trials)
	var mu sync.Mutex
	firingNow := map[int]bool{}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			at := time.Now()
			var a struct{ Rule, State string }
			if json.Unmarshal(sc.Bytes(), &a) != nil {
				continue
			}
			k, err := strconv.Atoi(strings.TrimPrefix(a.Rule, "trial-"))
			if err != nil || !strings.HasPrefix(a.Rule, "trial-") {
				continue
			}
			mu.Lock()
			firingNow[k] = a.State == "firing"
			mu.Unlock()
			if a.State == "firing" {
				fired <- firing{k, at}
			}
		}
	}()

	var writeMu sync.Mutex // the trial's write and the background's never interleave
	write := func(b []byte) time.Time {
		writeMu.Lock()
		defer writeMu.Unlock()
		at := time.Now()
		if _, err := log.Write(b); err != nil {
			t.Error(err)
		}
		return at
	}
	// Ordinary traffic first, so that the format is detected.
	var warm bytes.Buffer
	for i := range 60 {
		fmt.Fprintf(&warm, "10.0.0.%d - - [%s] \"GET / HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"\n", i%200, clf(time.Now()))
	}
	write(warm.Bytes())
	stopLoad := make(chan struct{})
	var loadDone sync.WaitGroup
	if load > 0 {
		loadDone.Go(func() { background(t, write, load, stopLoad) })
	}
	defer func() { close(stopLoad); loadDone.Wait() }()
	time.Sleep(2 * time.Second) // detection settles on a quiet second; the load gets going

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 18))
	var toStdout, toFlag, phases []time.Duration
	misses := 0
	for i := range trials {
		k := i % trialRules
		// Wait for the rule's last firing to be over (it resolves 2 to 3 s
		// after its lines) and its remedy to have ended (revert_after
		// later, on the log's clock): a firing while the remedy is still
		// on goes on with it, and makes no request. Then start at a random
		// phase of the second.
		for deadline := time.Now().Add(10 * time.Second); ; {
			mu.Lock()
			busy := firingNow[k]
			mu.Unlock()
			if !busy {
				busy = remedyOn(t, addr, fmt.Sprintf("flag-%02d", k))
			}
			if !busy || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(time.Second))))
		var b bytes.Buffer
		ts := clf(time.Now())
		for j := range trialLines {
			fmt.Fprintf(&b, "203.0.113.%d - - [%s] \"POST /trial/%02d HTTP/1.1\" 302 0 \"-\" \"curl/8.5\"\n", j, ts, k)
		}
		start := write(b.Bytes())
		phases = append(phases, start.Sub(start.Truncate(time.Second)))
		var gotOut, gotFlag bool
		timeout := time.After(5 * time.Second)
		for !gotOut || !gotFlag {
			select {
			case f := <-fired:
				if f.rule == k && !gotOut {
					gotOut = true
					toStdout = append(toStdout, f.at.Sub(start))
				}
			case a := <-arrivals:
				if a.flag == k && !gotFlag {
					gotFlag = true
					toFlag = append(toFlag, a.at.Sub(start))
				}
			case <-timeout:
				misses++
				t.Errorf("trial %d (rule trial-%02d): no firing within 5 s (stdout %v, flag %v)", i, k, gotOut, gotFlag)
				gotOut, gotFlag = true, true
			}
		}
	}

	st, err := server.FetchStatus(t.Context(), addr, "")
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	var lines int64
	for _, s := range st.Sources {
		lines += s.Lines
	}
	notesMu.Lock()
	n := notes
	notesMu.Unlock()
	slices.Sort(phases)
	t.Logf("%d trials at phases from %s to %s of the second, background %d lines/s (sentinel read %d lines); %d missed; %d notifications",
		trials, ms(phases[0]), ms(phases[len(phases)-1]), load, lines, misses, n)
	t.Logf("line written → firing on stdout:            %s", summary(toStdout))
	t.Logf("line written → flag service gets the request: %s", summary(toFlag))
	for _, l := range st.Latency {
		t.Logf("sentinel status %-30s p50 %s  p99 %s  (%d samples)", l.Stage, ms(l.P50), ms(l.P99), l.Samples)
	}
	if len(toStdout) > 0 {
		if m := median(toStdout); m > 100*time.Millisecond {
			t.Errorf("median line → stdout %s, want ≤ 100 ms", ms(m))
		}
		if p := quantile(toStdout, 0.99); p > 250*time.Millisecond {
			t.Errorf("99th percentile line → stdout %s, want ≤ 250 ms", ms(p))
		}
	}
	if len(toFlag) > 0 {
		if m := median(toFlag); m > 150*time.Millisecond {
			t.Errorf("median line → flag request %s, want ≤ 150 ms", ms(m))
		}
	}
}

// remedyOn says whether the daemon at addr has a remedy of the action
// under way.
func remedyOn(t *testing.T, addr, action string) bool {
	st, err := server.FetchStatus(t.Context(), addr, "")
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if st.Actions == nil {
		return false
	}
	for _, ep := range st.Actions.Episodes {
		if ep.Action == action {
			return true
		}
	}
	return false
}

// background writes ordinary traffic (browsing sessions) at linesPerSecond,
// in a write every 10 ms, each line dated now, until stop is closed.
func background(tb testing.TB, write func([]byte) time.Time, linesPerSecond int, stop <-chan struct{}) {
	var src bytes.Buffer
	if err := benchlog.Write(&src, linesPerSecond, linesPerSecond, 7, benchlog.Sessions); err != nil {
		tb.Error(err)
		return
	}
	lines := bytes.SplitAfter(src.Bytes(), []byte("\n"))
	lines = lines[:len(lines)-1]
	const tick = 10 * time.Millisecond
	per := max(linesPerSecond/int(time.Second/tick), 1)
	next, i := time.Now(), 0
	var b []byte
	for {
		select {
		case <-stop:
			return
		default:
		}
		b = b[:0]
		ts := []byte(clf(time.Now()))
		for range per {
			l := lines[i%len(lines)]
			i++
			open := bytes.IndexByte(l, '[')
			b = append(b, l[:open+1]...)
			b = append(b, ts...)
			b = append(b, l[open+1+len(ts):]...)
		}
		write(b)
		next = next.Add(tick)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
	}
}

// clf formats t as an access log's time.
func clf(t time.Time) string { return t.UTC().Format("02/Jan/2006:15:04:05 -0700") }

func envInt(tb testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		tb.Fatalf("%s=%q: want a number", name, v)
	}
	return n
}

// summary gives the median, 90th and 99th percentiles and the slowest.
func summary(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no samples"
	}
	return fmt.Sprintf("median %s, p90 %s, p99 %s, max %s (%d trials)", ms(median(ds)), ms(quantile(ds, 0.90)),
		ms(quantile(ds, 0.99)), ms(quantile(ds, 1)), len(ds))
}

// quantile is the nearest-rank q-quantile of ds (not empty).
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	return s[min(max(int(math.Ceil(q*float64(len(s))))-1, 0), len(s)-1)]
}

func median(ds []time.Duration) time.Duration {
	s := slices.Sorted(slices.Values(ds))
	return s[len(s)/2]
}

func ms[T time.Duration | float64](v T) string {
	switch v := any(v).(type) {
	case time.Duration:
		return fmt.Sprintf("%.1f ms", float64(v)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1f ms", v.(float64)*1000)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
