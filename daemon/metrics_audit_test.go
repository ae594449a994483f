package daemon

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// auditAddr returns a free 127.0.0.1 address for a daemon's local API.
func auditAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// scrapeMetric GETs /metrics from addr and returns the value of the
// series name{labels} (labels in Prometheus' sorted order, e.g.
// `kind="rename",source="/x"`), and whether it is there.
func scrapeMetric(tb testing.TB, addr, series string) (float64, bool) {
	tb.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, false // not listening yet
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		tb.Fatalf("GET /metrics: %s %s", resp.Status, b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if ok && name == series {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				tb.Fatalf("%s: %v", sc.Text(), err)
			}
			return v, true
		}
	}
	return 0, false
}

// waitMetric waits until the series scraped from addr has value want.
func waitMetric(tb testing.TB, addr, series string, want float64) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, ok := scrapeMetric(tb, addr, series)
		if ok && v == want {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s = %v (exported: %t), want %v", series, v, ok, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAudit_rotationKindsOnMetrics: README, "Rotation: what is read and
// what can be lost" and "Metrics": sentinel_rotations_total{source,kind}
// counts the rotations seen, rename, truncate (copytruncate) and
// recreate (delete and create), "also those found at a restart"; and no
// line is lost through a rename, a copytruncate with nothing written
// between the copy and the truncate, or a delete and create after the
// old file was read: sentinel_lines_read_total{source} counts each line
// written once. Scraped from a running daemon's /metrics on 127.0.0.1.
func TestAudit_rotationKindsOnMetrics(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	src := fmt.Sprintf("source=%q", path)
	series := func(kind string) string {
		return fmt.Sprintf(`sentinel_rotations_total{kind=%q,%s}`, kind, src)
	}
	read := "sentinel_lines_read_total{" + src + "}"
	want := func(addr string, kinds map[string]float64) {
		t.Helper()
		for k, v := range kinds {
			waitMetric(t, addr, series(k), v)
		}
	}
	opts := Options{Sources: []Source{{Pattern: path, Format: "auto"}}, StateDir: dir, FromStart: true}

	w := newLogWriter(t, path)
	w.normal(t, 60, 0)
	opts.Listen = auditAddr(t)
	_, stop := start(t, opts)
	waitMetric(t, opts.Listen, read, 60)
	want(opts.Listen, map[string]float64{"rename": 0, "truncate": 0, "recreate": 0})
	stop()

	// While stopped: deleted and created again, after it was read.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	w2 := newLogWriter(t, path)
	w2.n = w.n
	w2.normal(t, 25, 0)
	opts.Listen = auditAddr(t)
	_, stop2 := start(t, opts)
	stopped2 := false
	defer func() {
		if !stopped2 {
			stop2()
		}
	}()
	addr := opts.Listen
	waitMetric(t, addr, read, 25) // the new file, from its start
	want(addr, map[string]float64{"rename": 0, "truncate": 0, "recreate": 1})

	// Running: rename and create.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	w2.normal(t, 10, 0) // the server still writes the renamed file
	w3 := newLogWriter(t, path)
	w3.n = w2.n
	w3.normal(t, 20, 0)
	waitMetric(t, addr, read, 55)
	want(addr, map[string]float64{"rename": 1, "truncate": 0, "recreate": 1})

	// copytruncate, nothing written between the copy and the truncate.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+"-20260101", b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	w3.normal(t, 5, 0)
	waitMetric(t, addr, read, 60)
	want(addr, map[string]float64{"rename": 1, "truncate": 1, "recreate": 1})

	// Delete and create, once the old file is read.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	w4 := newLogWriter(t, path)
	w4.n = w3.n
	w4.normal(t, 15, 0)
	waitMetric(t, addr, read, 75)
	want(addr, map[string]float64{"rename": 1, "truncate": 1, "recreate": 2})
	time.Sleep(300 * time.Millisecond) // nothing read twice
	if v, _ := scrapeMetric(t, addr, read); v != 75 {
		t.Errorf("%s = %v, want 75", read, v)
	}

	// Restarted with the rotated files still drained, nothing rotated
	// while stopped: no rotation is found at the restart.
	stop2()
	stopped2 = true
	opts.Listen = auditAddr(t)
	_, stop3 := start(t, opts)
	defer stop3()
	w4.normal(t, 5, 0)
	waitMetric(t, opts.Listen, read, 5)
	want(opts.Listen, map[string]float64{"rename": 0, "truncate": 0, "recreate": 0})
}

// scrapeAll returns every sentinel_* series line of addr's /metrics.
func scrapeAll(tb testing.TB, addr string) []string {
	tb.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "sentinel_") {
			out = append(out, l)
		}
	}
	return out
}

// TestAudit_globMatchingRotatedFiles: README: "a glob that also matches
// the rotated files — access.log* with logrotate's .1 naming — never
// reads a file twice", and sentinel_lines_read_total{source} counts the
// lines read from a source. A daemon following access.log* through a
// rename rotation counts each line once, under the live file's source;
// the rotated name is no source of its own.
func TestAudit_globMatchingRotatedFiles(t *testing.T) {
	t.Parallel()
	path, w, addr := metricsDaemon(t, "access.log*")
	read := fmt.Sprintf("sentinel_lines_read_total{source=%q}", path)
	waitMetric(t, addr, read, 60)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	w.normal(t, 10, 0) // into the renamed file
	w2 := newLogWriter(t, path)
	w2.n = w.n
	w2.normal(t, 20, 0)
	waitMetric(t, addr, read, 90)
	waitMetric(t, addr, fmt.Sprintf("sentinel_rotations_total{kind=\"rename\",source=%q}", path), 1)
	time.Sleep(400 * time.Millisecond) // a re-glob or directory event later: nothing read twice
	if v, _ := scrapeMetric(t, addr, read); v != 90 {
		t.Errorf("%s = %v, want 90", read, v)
	}
	for _, l := range scrapeAll(t, addr) {
		if strings.Contains(l, path+".1") {
			t.Errorf("the rotated file is a source of its own: %s", l)
		}
	}
}

// TestAudit_eventsLateOnMetrics: README, "Metrics":
// sentinel_events_late_total counts "events older than the allowed skew"
// (skew, 5 s by default); a line within the skew is not late.
func TestAudit_eventsLateOnMetrics(t *testing.T) {
	t.Parallel()
	path, w, addr := metricsDaemon(t, "")
	parsed := fmt.Sprintf("sentinel_lines_parsed_total{source=%q}", path)
	waitMetric(t, addr, parsed, 60)
	waitMetric(t, addr, "sentinel_events_late_total", 0)
	w.lineAt(t, time.Now().Add(-2*time.Second), "10.0.0.1", "GET", "/", 200) // within the skew
	w.lineAt(t, time.Now().Add(-30*time.Second), "10.0.0.1", "GET", "/", 200)
	w.normal(t, 5, 0)
	waitMetric(t, addr, parsed, 67)
	waitMetric(t, addr, "sentinel_events_late_total", 1)
}

// TestAudit_lagOnMetrics: README, "Metrics": sentinel_lag_bytes is the
// bytes of the file not read yet, and sentinel_lag_seconds is "0 once
// every byte written is read". A line being written (no newline yet) is
// unread bytes; once it ends, both are 0.
func TestAudit_lagOnMetrics(t *testing.T) {
	t.Parallel()
	path, w, addr := metricsDaemon(t, "")
	src := fmt.Sprintf("{source=%q}", path)
	waitMetric(t, addr, "sentinel_lines_read_total"+src, 60)
	waitMetric(t, addr, "sentinel_lag_bytes"+src, 0)
	waitMetric(t, addr, "sentinel_lag_seconds"+src, 0)
	partial := `10.0.0.9 - - [` + time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700") + `] "GET /`
	if _, err := w.f.WriteString(partial); err != nil {
		t.Fatal(err)
	}
	waitMetric(t, addr, "sentinel_lag_bytes"+src, float64(len(partial)))
	if _, err := w.f.WriteString(" HTTP/1.1\" 200 100 \"-\" \"Mozilla/5.0\"\n"); err != nil {
		t.Fatal(err)
	}
	waitMetric(t, addr, "sentinel_lines_read_total"+src, 61)
	waitMetric(t, addr, "sentinel_lag_bytes"+src, 0)
	waitMetric(t, addr, "sentinel_lag_seconds"+src, 0)
}

// TestAudit_lagPerSource: sentinel_lag_seconds{source} is "the age of the
// oldest unread line (at most the time since the newest line read was
// written)" of that source: a log whose reading lags, its newest line
// read two minutes old, shows about two minutes even while another log
// is read as it is written (the newest line of all was its measure).
func TestAudit_lagPerSource(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	busyPath, slowPath := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	busy, slow := newLogWriter(t, busyPath), newLogWriter(t, slowPath)
	old := time.Now().Add(-2 * time.Minute)
	for i := range 60 {
		slow.lineAt(t, old, fmt.Sprintf("10.0.1.%d", i%20), "GET", "/", 200)
	}
	busy.normal(t, 60, 0)
	addr := auditAddr(t)
	_, stop := start(t, Options{Sources: []Source{{Pattern: busyPath, Format: "auto"}, {Pattern: slowPath, Format: "auto"}},
		StateDir: dir, FromStart: true, Listen: addr})
	defer stop()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
				busy.line(t, "10.0.0.1", "GET", "/", 200)
			}
		}
	})
	defer func() { close(done); wg.Wait() }()
	slowSrc := fmt.Sprintf("{source=%q}", slowPath)
	waitMetric(t, addr, "sentinel_lines_read_total"+slowSrc, 60)
	partial := `10.0.1.99 - - [` + old.UTC().Format("02/Jan/2006:15:04:05 -0700") + `] "GET /`
	if _, err := slow.f.WriteString(partial); err != nil {
		t.Fatal(err)
	}
	waitMetric(t, addr, "sentinel_lag_bytes"+slowSrc, float64(len(partial)))
	time.Sleep(1500 * time.Millisecond) // published at the next tick
	lag, _ := scrapeMetric(t, addr, "sentinel_lag_seconds"+slowSrc)
	if lag < 110 || lag > 130 {
		t.Errorf("sentinel_lag_seconds%s = %v, want about 120 (its newest line read is two minutes old)", slowSrc, lag)
	}
	busySrc := fmt.Sprintf("{source=%q}", busyPath)
	if lag, _ := scrapeMetric(t, addr, "sentinel_lag_seconds"+busySrc); lag > 5 {
		t.Errorf("sentinel_lag_seconds%s = %v, want about 0 (read as written)", busySrc, lag)
	}
}

// metricsDaemon writes 60 ordinary lines to access.log in a new
// directory and starts a daemon on it from the start, its /metrics on a
// free loopback address; glob, if set, is the pattern followed instead,
// relative to the directory. The daemon stops when the test ends.
func metricsDaemon(t *testing.T, glob string) (path string, w *logWriter, addr string) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "access.log")
	w = newLogWriter(t, path)
	w.normal(t, 60, 0)
	pattern := path
	if glob != "" {
		pattern = filepath.Join(dir, glob)
	}
	addr = auditAddr(t)
	_, stop := start(t, Options{Sources: []Source{{Pattern: pattern, Format: "auto"}}, StateDir: dir, FromStart: true, Listen: addr})
	t.Cleanup(stop)
	return path, w, addr
}
